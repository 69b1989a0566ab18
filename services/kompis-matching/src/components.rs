//! The round's assignment solved one connected component of the candidate graph at
//! a time: components are independent problems (the linear program decomposes), so
//! they run on two threads, and after pairs are added only the components those
//! pairs touch are solved again; the others keep their matching and prices.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::assignment::{self, BipartiteGraph, Certified, Matching};

/// Components with fewer edges in all are solved on one thread.
const PARALLEL_EDGES: usize = 100_000;

/// A previous solution and which vertices the added pairs touch.
pub(crate) struct Previous<'a> {
    pub solved: &'a Certified,
    pub dirty_left: &'a [bool],
    pub dirty_right: &'a [bool],
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        parent[x as usize] = parent[parent[x as usize] as usize];
        x = parent[x as usize];
    }
    x
}

/// One component: its left and right vertices (sorted) and its edges' indices.
#[derive(Default)]
struct Component {
    left: Vec<u32>,
    right: Vec<u32>,
    edges: Vec<u32>,
}

/// The lexicographic matching of the whole graph (`edges` as `(left, right, weight)`)
/// with its prices, as [`assignment::solve_lexicographic`] with the same `m` gives,
/// solved per component. Deterministic.
pub(crate) fn solve(
    n_left: usize,
    edges: &[(u32, u32, i64)],
    capacity: &[u32],
    m: i64,
    previous: Option<Previous<'_>>,
) -> Certified {
    let n_right = capacity.len();
    let mut parent: Vec<u32> = (0..(n_left + n_right) as u32).collect();
    for &(i, j, _) in edges {
        let (a, b) = (find(&mut parent, i), find(&mut parent, n_left as u32 + j));
        if a != b {
            // The smaller root wins, so that the result does not depend on edge order.
            let (lo, hi) = (a.min(b), a.max(b));
            parent[hi as usize] = lo;
        }
    }
    let mut index = vec![u32::MAX; n_left + n_right];
    let mut comps: Vec<Component> = Vec::new();
    for (k, &(i, _, _)) in edges.iter().enumerate() {
        let root = find(&mut parent, i) as usize;
        if index[root] == u32::MAX {
            index[root] = comps.len() as u32;
            comps.push(Component::default());
        }
        comps[index[root] as usize].edges.push(k as u32);
    }
    for v in 0..(n_left + n_right) as u32 {
        let root = find(&mut parent, v) as usize;
        if index[root] == u32::MAX {
            continue; // a vertex without edges
        }
        let c = &mut comps[index[root] as usize];
        if (v as usize) < n_left {
            c.left.push(v);
        } else {
            c.right.push(v - n_left as u32);
        }
    }

    let mut out = Certified {
        matching: Matching::default(),
        left_price: vec![0; n_left],
        right_price: vec![0; n_right],
    };
    let mut todo: Vec<usize> = Vec::new();
    for (c, comp) in comps.iter().enumerate() {
        let clean = previous.as_ref().is_some_and(|p| {
            !comp.left.iter().any(|&i| p.dirty_left[i as usize])
                && !comp.right.iter().any(|&j| p.dirty_right[j as usize])
        });
        match (&previous, clean) {
            (Some(p), true) => {
                for &i in &comp.left {
                    out.left_price[i as usize] = p.solved.left_price[i as usize];
                    let pairs = &p.solved.matching.pairs;
                    let at = pairs.partition_point(|&(a, _)| a < i);
                    out.matching
                        .pairs
                        .extend(pairs[at..].iter().take_while(|&&(a, _)| a == i));
                }
                for &j in &comp.right {
                    out.right_price[j as usize] = p.solved.right_price[j as usize];
                }
            }
            _ => todo.push(c),
        }
    }
    // Largest first, so that two threads finish close together.
    todo.sort_by_key(|&c| std::cmp::Reverse(comps[c].edges.len()));
    let solve_one = |c: usize| -> Certified {
        let comp = &comps[c];
        let local_right = |j: u32| comp.right.binary_search(&j).unwrap_or(0) as u32;
        let local_left = |i: u32| comp.left.binary_search(&i).unwrap_or(0) as u32;
        let local: Vec<(u32, u32, i64)> = comp
            .edges
            .iter()
            .map(|&k| {
                let (i, j, w) = edges[k as usize];
                (local_left(i), local_right(j), w)
            })
            .collect();
        let graph = BipartiteGraph::from_edges(comp.left.len(), comp.right.len(), &local)
            .expect("local indices are in range");
        let caps: Vec<u32> = comp.right.iter().map(|&j| capacity[j as usize]).collect();
        assignment::solve_lexicographic(&graph, &caps, m).expect("scores are small and capacities match")
    };
    let total: usize = todo.iter().map(|&c| comps[c].edges.len()).sum();
    let results: Vec<(usize, Certified)> = if total < PARALLEL_EDGES || todo.len() < 2 {
        todo.iter().map(|&c| (c, solve_one(c))).collect()
    } else {
        let next = AtomicUsize::new(0);
        let done = Mutex::new(Vec::with_capacity(todo.len()));
        let work = || {
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&c) = todo.get(k) else { break };
                let r = solve_one(c);
                done.lock().unwrap_or_else(|e| e.into_inner()).push((c, r));
            }
        };
        std::thread::scope(|s| {
            s.spawn(work);
            work();
        });
        done.into_inner().unwrap_or_else(|e| e.into_inner())
    };
    for (c, r) in results {
        let comp = &comps[c];
        for (k, &i) in comp.left.iter().enumerate() {
            out.left_price[i as usize] = r.left_price[k];
        }
        for (k, &j) in comp.right.iter().enumerate() {
            out.right_price[j as usize] = r.right_price[k];
        }
        out.matching.pairs.extend(
            r.matching
                .pairs
                .iter()
                .map(|&(i, j)| (comp.left[i as usize], comp.right[j as usize])),
        );
    }
    out.matching.pairs.sort_unstable();
    out.matching.total_weight = out
        .matching
        .pairs
        .iter()
        .map(|&(i, j)| {
            let at = edges.partition_point(|e| (e.0, e.1) < (i, j));
            edges[at].2
        })
        .sum();
    out
}
