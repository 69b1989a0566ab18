//! The round's assignment solved one connected component of the candidate graph at
//! a time: components are independent problems (the linear program decomposes), so
//! they run on two threads, and after pairs are added only the components of the
//! pairs the prices do not cover are solved again, each from its previous matching
//! and prices (see [`assignment::solve_lexicographic_from`]); the others keep
//! theirs.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::assignment::{self, BipartiteGraph, Certified, Matching};

/// Components with fewer edges in all are solved on one thread.
const PARALLEL_EDGES: usize = 100_000;

/// A previous solution, and the vertices of the added pairs its prices do not cover
/// (a pair they cover leaves its component's solution optimal, so its vertices may
/// be left out).
pub(crate) struct Previous<'a> {
    pub solved: &'a Certified,
    pub dirty_left: &'a [bool],
    pub dirty_right: &'a [bool],
    /// The components then, and the pairs added since (all of them).
    pub partition: &'a Partition,
    pub added: &'a [(u32, u32, i64)],
}

/// The connected components of a graph: each vertex's root (the least vertex of its
/// component; right vertex `j` is vertex `n_left + j`). Adding edges only merges
/// components, so the next solve starts from these and unites along the added
/// edges alone.
pub(crate) struct Partition(Vec<u32>);

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        parent[x as usize] = parent[parent[x as usize] as usize];
        x = parent[x as usize];
    }
    x
}

/// One component: its left and right vertices (sorted) and how many edges it has.
#[derive(Default)]
struct Component {
    left: Vec<u32>,
    right: Vec<u32>,
    n_edges: usize,
}

/// The lexicographic matching of the whole graph (`edges` as `(left, right, weight)`,
/// sorted) with its prices, as [`assignment::solve_lexicographic`] with the same `m`
/// gives, solved per component. Deterministic.
pub(crate) fn solve(
    n_left: usize,
    edges: &[(u32, u32, i64)],
    capacity: &[u32],
    m: i64,
    previous: Option<Previous<'_>>,
) -> (Certified, Partition) {
    let n_right = capacity.len();
    // Edges are sorted by left vertex: its root is looked up once per run of its edges
    // (a union only ever makes the root smaller, so the one looked up stays a
    // vertex of the same set), and its edges are a range.
    let unite = |parent: &mut Vec<u32>, edges: &[(u32, u32, i64)]| {
        let mut last = (u32::MAX, 0u32);
        for &(i, j, _) in edges {
            if last.0 != i {
                last = (i, find(parent, i));
            }
            let (a, b) = (find(parent, last.1), find(parent, n_left as u32 + j));
            if a != b {
                // The smaller root wins, so that the result does not depend on the
                // order of the edges (each root is the least vertex of its set).
                let (lo, hi) = (a.min(b), a.max(b));
                parent[hi as usize] = lo;
            }
            last.1 = a.min(b);
        }
    };
    let mut parent: Vec<u32> = match &previous {
        Some(p) => {
            let mut parent = p.partition.0.clone();
            unite(&mut parent, p.added);
            parent
        }
        None => {
            let mut parent = (0..(n_left + n_right) as u32).collect();
            unite(&mut parent, edges);
            parent
        }
    };
    let mut edge_start = vec![0usize; n_left + 1];
    for &(i, _, _) in edges {
        edge_start[i as usize + 1] += 1;
    }
    for i in 0..n_left {
        edge_start[i + 1] += edge_start[i];
    }
    // Components in the order of their first left vertex, and each right vertex's
    // index within its component (components are disjoint, so one array serves them
    // all; a left vertex's is found from its place in `left`).
    let mut index = vec![u32::MAX; n_left + n_right];
    let mut comps: Vec<Component> = Vec::new();
    let mut comp_of_left = vec![u32::MAX; n_left];
    let mut local_right = vec![0u32; n_right];
    for i in 0..n_left {
        if edge_start[i] == edge_start[i + 1] {
            continue; // a newcomer without edges
        }
        let root = find(&mut parent, i as u32) as usize;
        if index[root] == u32::MAX {
            index[root] = comps.len() as u32;
            comps.push(Component::default());
        }
        let c = index[root];
        comp_of_left[i] = c;
        let comp = &mut comps[c as usize];
        comp.left.push(i as u32);
        comp.n_edges += edge_start[i + 1] - edge_start[i];
    }
    for (j, local) in local_right.iter_mut().enumerate() {
        let root = find(&mut parent, (n_left + j) as u32) as usize;
        if index[root] == u32::MAX {
            continue; // a resident without edges
        }
        let comp = &mut comps[index[root] as usize];
        *local = comp.right.len() as u32;
        comp.right.push(j as u32);
    }
    let local_right = &local_right[..];

    // Components none of whose vertices the added pairs touch keep their solution:
    // the previous prices and pairs are taken as they were, and those of the others
    // overwritten below.
    let clean: Vec<bool> = comps
        .iter()
        .map(|comp| {
            previous.as_ref().is_some_and(|p| {
                !comp.left.iter().any(|&i| p.dirty_left[i as usize])
                    && !comp.right.iter().any(|&j| p.dirty_right[j as usize])
            })
        })
        .collect();
    let mut out = match &previous {
        Some(p) => Certified {
            matching: Matching {
                pairs: p
                    .solved
                    .matching
                    .pairs
                    .iter()
                    .copied()
                    .filter(|&(i, _)| clean[comp_of_left[i as usize] as usize])
                    .collect(),
                total_weight: 0,
            },
            left_price: p.solved.left_price.clone(),
            right_price: p.solved.right_price.clone(),
        },
        None => Certified {
            matching: Matching::default(),
            left_price: vec![0; n_left],
            right_price: vec![0; n_right],
        },
    };
    let mut todo: Vec<usize> = (0..comps.len()).filter(|&c| !clean[c]).collect();
    // Largest first, so that two threads finish close together.
    todo.sort_by_key(|&c| std::cmp::Reverse(comps[c].n_edges));
    let solve_one = |c: usize| -> Certified {
        let comp = &comps[c];
        // The component's graph in local indices, row by row: its left vertices are
        // sorted, so each one's edges are a range of `edges`, already in order.
        let mut offsets = Vec::with_capacity(comp.left.len() + 1);
        let mut targets = Vec::with_capacity(comp.n_edges);
        let mut weights = Vec::with_capacity(comp.n_edges);
        offsets.push(0);
        for &i in &comp.left {
            for &(_, j, w) in &edges[edge_start[i as usize]..edge_start[i as usize + 1]] {
                targets.push(local_right[j as usize]);
                weights.push(w);
            }
            offsets.push(targets.len());
        }
        let graph = BipartiteGraph::from_local_csr(comp.right.len(), offsets, targets, weights);
        let caps: Vec<u32> = comp.right.iter().map(|&j| capacity[j as usize]).collect();
        // A component solved before (with fewer edges, perhaps as several components)
        // starts from that solution: its pairs and prices, in local indices.
        let warm = previous.as_ref().map(|p| {
            let solved = p.solved;
            let all = &solved.matching.pairs;
            let mut pairs = Vec::new();
            for (li, &i) in comp.left.iter().enumerate() {
                let at = all.partition_point(|&(a, _)| a < i);
                for &(_, j) in all[at..].iter().take_while(|&&(a, _)| a == i) {
                    // A pair of the previous matching is an edge, so its resident is
                    // in this component.
                    pairs.push((li as u32, local_right[j as usize]));
                }
            }
            let left =
                |f: &dyn Fn(usize) -> i64| comp.left.iter().map(|&i| f(i as usize)).collect::<Vec<_>>();
            let right =
                |f: &dyn Fn(usize) -> i64| comp.right.iter().map(|&j| f(j as usize)).collect::<Vec<_>>();
            (
                pairs,
                left(&|i| solved.left_price[i]),
                right(&|j| solved.right_price[j]),
                comp.left
                    .iter()
                    .map(|&i| p.dirty_left[i as usize])
                    .collect::<Vec<_>>(),
                comp.right
                    .iter()
                    .map(|&j| p.dirty_right[j as usize])
                    .collect::<Vec<_>>(),
            )
        });
        let warm = warm
            .as_ref()
            .map(
                |(pairs, left_price, right_price, changed_left, changed_right)| assignment::WarmStart {
                    pairs,
                    left_price,
                    right_price,
                    changed_left,
                    changed_right,
                },
            );
        assignment::solve_lexicographic_from(&graph, &caps, m, warm)
            .expect("scores are small and capacities match")
    };
    let total: usize = todo.iter().map(|&c| comps[c].n_edges).sum();
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
    // Both lists are sorted: each pair's edge is found by galloping on from the last
    // one (a binary search over all edges per pair missed the cache at every step).
    let mut at = 0usize;
    let mut total = 0i64;
    for &(i, j) in &out.matching.pairs {
        let before = |e: &(u32, u32, i64)| (e.0, e.1) < (i, j);
        let mut step = 1;
        while at + step < edges.len() && before(&edges[at + step]) {
            at += step;
            step *= 2;
        }
        let end = (at + step + 1).min(edges.len());
        at += edges[at..end].partition_point(before);
        total += edges[at].2;
    }
    out.matching.total_weight = total;
    for v in 0..parent.len() as u32 {
        let root = find(&mut parent, v);
        parent[v as usize] = root;
    }
    (out, Partition(parent))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Left count, edges `(left, right, weight, solve)`, right capacities.
    type Staged = (usize, Vec<(u32, u32, i64, u8)>, Vec<u32>);

    /// A graph's edges, each tagged with the solve (0, 1 or 2) that first sees it,
    /// and capacities: some pools short of capacity and some not, so that both of the
    /// solver's orientations (rows on the left, rows on units of capacity) are used.
    fn staged() -> impl Strategy<Value = Staged> {
        (1usize..30, 1usize..15).prop_flat_map(|(nl, nr)| {
            let edges = proptest::collection::vec(
                (0..nl as u32, 0..nr as u32, -20i64..100, 0u8..3),
                0..(nl * nr).min(120),
            );
            let caps = proptest::collection::vec(0u32..4, nr);
            (Just(nl), edges, caps)
        })
    }

    /// Checks the prices certify `c` on `edges`: not negative, covering every edge
    /// (`p + q >= w + m`) but those of residents without capacity (who take no pair,
    /// and whom a round never includes), and adding up to the matching's total of
    /// `w + m`.
    fn certifies(c: &Certified, edges: &[(u32, u32, i64)], capacity: &[u32], m: i64) -> bool {
        let covered = edges.iter().all(|&(i, j, w)| {
            capacity[j as usize] == 0 || c.left_price[i as usize] + c.right_price[j as usize] >= w + m
        });
        let dual: i64 = c.left_price.iter().sum::<i64>()
            + c.right_price
                .iter()
                .zip(capacity)
                .map(|(&q, &k)| q * i64::from(k))
                .sum::<i64>();
        let primal = c.matching.total_weight + m * c.matching.pairs.len() as i64;
        let signs = c.left_price.iter().chain(&c.right_price).all(|&x| x >= 0);
        covered && signs && dual == primal
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn a_warm_start_after_added_pairs_finds_the_same_optimum_as_a_cold_solve(
            (n_left, tagged, capacity) in staged()
        ) {
            let w_max = tagged.iter().map(|e| e.2.abs()).max().unwrap_or(0).max(1);
            let m = assignment::big_m(n_left, &capacity, w_max).unwrap();
            let mut seen = std::collections::BTreeMap::new();
            for &(i, j, w, stage) in &tagged {
                seen.entry((i, j)).or_insert((w, stage));
            }
            let mut previous: Option<(Certified, Partition)> = None;
            for stage in 0..3u8 {
                let edges: Vec<(u32, u32, i64)> = seen
                    .iter()
                    .filter(|&(_, &(_, s))| s <= stage)
                    .map(|(&(i, j), &(w, _))| (i, j, w))
                    .collect();
                let mut dirty_left = vec![false; n_left];
                let mut dirty_right = vec![false; capacity.len()];
                for (&(i, j), &(_, s)) in &seen {
                    if s == stage {
                        dirty_left[i as usize] = true;
                        dirty_right[j as usize] = true;
                    }
                }
                let added: Vec<(u32, u32, i64)> = seen
                    .iter()
                    .filter(|&(_, &(_, s))| s == stage)
                    .map(|(&(i, j), &(w, _))| (i, j, w))
                    .collect();
                let (warm, partition) = solve(
                    n_left,
                    &edges,
                    &capacity,
                    m,
                    previous.as_ref().map(|(solved, partition)| Previous {
                        solved,
                        dirty_left: &dirty_left,
                        dirty_right: &dirty_right,
                        partition,
                        added: &added,
                    }),
                );
                let graph = BipartiteGraph::from_edges(n_left, capacity.len(), &edges).unwrap();
                let cold = assignment::solve_lexicographic(&graph, &capacity, m).unwrap();
                prop_assert_eq!(warm.matching.pairs.len(), cold.matching.pairs.len());
                prop_assert_eq!(warm.matching.total_weight, cold.matching.total_weight);
                prop_assert!(certifies(&warm, &edges, &capacity, m));
                prop_assert!(certifies(&cold, &edges, &capacity, m));
                previous = Some((warm, partition));
            }
        }
    }
}
