//! Property tests of the assignment algorithms against brute force on small instances.

use kompis_matching::assignment::{
    AssignmentError, BipartiteGraph, greedy_matching, lap_dense, max_weight_matching, min_cost_assignment,
};
use proptest::prelude::*;

/// Best (cardinality, weight) over all matchings, by exhaustive search.
fn brute_max(n_left: usize, adj: &[Vec<(u32, i64)>], cap: &mut Vec<u32>, i: usize) -> (usize, i64) {
    if i == n_left {
        return (0, 0);
    }
    let mut best = brute_max(n_left, adj, cap, i + 1);
    for &(j, w) in &adj[i] {
        if cap[j as usize] > 0 {
            cap[j as usize] -= 1;
            let (c, s) = brute_max(n_left, adj, cap, i + 1);
            cap[j as usize] += 1;
            best = best.max((c + 1, s + w));
        }
    }
    best
}

/// Least cost of an assignment covering every left vertex, by exhaustive search.
fn brute_min(adj: &[Vec<(u32, i64)>], used: &mut Vec<bool>, i: usize) -> Option<i64> {
    if i == adj.len() {
        return Some(0);
    }
    let mut best: Option<i64> = None;
    for &(j, w) in &adj[i] {
        if !used[j as usize] {
            used[j as usize] = true;
            if let Some(rest) = brute_min(adj, used, i + 1) {
                best = Some(best.map_or(w + rest, |b| b.min(w + rest)));
            }
            used[j as usize] = false;
        }
    }
    best
}

fn adjacency(g: &BipartiteGraph) -> Vec<Vec<(u32, i64)>> {
    (0..g.n_left()).map(|i| g.edges_of(i).collect()).collect()
}

/// Left count, right count, edges `(left, right, weight)`, right capacities.
type Instance = (usize, usize, Vec<(u32, u32, i64)>, Vec<u32>);

fn instance() -> impl Strategy<Value = Instance> {
    (1usize..7, 1usize..6).prop_flat_map(|(nl, nr)| {
        let edges = proptest::collection::vec((0..nl as u32, 0..nr as u32, -20i64..60), 0..(nl * nr + 1));
        let caps = proptest::collection::vec(0u32..4, nr);
        (Just(nl), Just(nr), edges, caps)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn max_weight_matching_is_lexicographically_optimal((nl, nr, edges, caps) in instance()) {
        let g = BipartiteGraph::from_edges(nl, nr, &edges).unwrap();
        let m = max_weight_matching(&g, &caps).unwrap();
        let mut c = caps.clone();
        let best = brute_max(nl, &adjacency(&g), &mut c, 0);
        prop_assert_eq!((m.cardinality(), m.total_weight), best);
        // Feasible: every pair is an edge, each left at most once, capacities respected.
        let mut load = vec![0u32; nr];
        let mut seen = vec![false; nl];
        for &(i, j) in &m.pairs {
            prop_assert!(g.weight(i as usize, j as usize).is_some());
            prop_assert!(!seen[i as usize]);
            seen[i as usize] = true;
            load[j as usize] += 1;
        }
        for j in 0..nr {
            prop_assert!(load[j] <= caps[j]);
        }
        // Deterministic.
        prop_assert_eq!(&max_weight_matching(&g, &caps).unwrap(), &m);
        // Greedy is feasible and never better.
        let gm = greedy_matching(&g, &caps).unwrap();
        prop_assert!((gm.cardinality(), gm.total_weight) <= best);
    }

    #[test]
    fn min_cost_assignment_is_optimal((nl, nr, edges, _caps) in instance()) {
        let g = BipartiteGraph::from_edges(nl, nr, &edges).unwrap();
        let best = brute_min(&adjacency(&g), &mut vec![false; nr], 0);
        match min_cost_assignment(&g) {
            Ok(a) => {
                prop_assert_eq!(Some(a.total_cost), best);
                let mut used = vec![false; nr];
                for (i, &j) in a.right_of_left.iter().enumerate() {
                    prop_assert!(g.weight(i, j as usize).is_some());
                    prop_assert!(!used[j as usize]);
                    used[j as usize] = true;
                }
            }
            Err(e) => {
                prop_assert_eq!(e, AssignmentError::Infeasible);
                prop_assert_eq!(best, None);
            }
        }
    }

    #[test]
    fn lap_dense_is_optimal(n in 1usize..7, seed in proptest::collection::vec(0i64..50, 49)) {
        let cost: Vec<i64> = seed[..n * n].to_vec();
        let a = lap_dense(n, &cost).unwrap();
        let mut perm = a.right_of_left.clone();
        perm.sort_unstable();
        prop_assert_eq!(perm, (0..n as u32).collect::<Vec<_>>());
        let edges: Vec<(u32, u32, i64)> = (0..n * n).map(|k| ((k / n) as u32, (k % n) as u32, cost[k])).collect();
        let g = BipartiteGraph::from_edges(n, n, &edges).unwrap();
        prop_assert_eq!(Some(a.total_cost), brute_min(&adjacency(&g), &mut vec![false; n], 0));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Too large for brute force: the dense and the sparse solvers, two independent
    /// algorithms, must agree on the optimum (ties are frequent with range 0..4).
    #[test]
    fn lap_dense_agrees_with_the_sparse_solver(
        n in 1usize..60,
        range in prop_oneof![Just(4i64), Just(10_000i64)],
        seed in any::<u64>(),
    ) {
        let mut state = seed;
        let cost: Vec<i64> = (0..n * n)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((state >> 33) as i64) % range
            })
            .collect();
        let dense = lap_dense(n, &cost).unwrap();
        let narrow: Vec<i32> = cost.iter().map(|&c| c as i32).collect();
        prop_assert_eq!(&lap_dense(n, &narrow).unwrap(), &dense);
        let edges: Vec<(u32, u32, i64)> = (0..n * n).map(|k| ((k / n) as u32, (k % n) as u32, cost[k])).collect();
        let g = BipartiteGraph::from_edges(n, n, &edges).unwrap();
        let sparse = min_cost_assignment(&g).unwrap();
        prop_assert_eq!(dense.total_cost, sparse.total_cost);
        // The lexicographic solver on negated costs finds the same optimum.
        let neg: Vec<(u32, u32, i64)> = edges.iter().map(|&(i, j, c)| (i, j, -c)).collect();
        let gn = BipartiteGraph::from_edges(n, n, &neg).unwrap();
        let m = max_weight_matching(&gn, &vec![1; n]).unwrap();
        prop_assert_eq!(m.cardinality(), n);
        prop_assert_eq!(-m.total_weight, dense.total_cost);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Weights beyond 32 bits take the solvers' 64-bit path: scaling every weight by
    /// 2^33 scales the optimum and keeps the number of pairs.
    #[test]
    fn weights_beyond_32_bits_give_the_scaled_optimum((nl, nr, edges, caps) in instance()) {
        let scale = 1i64 << 33;
        let big: Vec<(u32, u32, i64)> = edges.iter().map(|&(i, j, w)| (i, j, w * scale + 1)).collect();
        let small: Vec<(u32, u32, i64)> = edges.iter().map(|&(i, j, w)| (i, j, w)).collect();
        let (g, gb) = (
            BipartiteGraph::from_edges(nl, nr, &small).unwrap(),
            BipartiteGraph::from_edges(nl, nr, &big).unwrap(),
        );
        let (m, mb) = (max_weight_matching(&g, &caps).unwrap(), max_weight_matching(&gb, &caps).unwrap());
        prop_assert_eq!(mb.cardinality(), m.cardinality());
        // +1 per pair breaks no tie in a way that changes the scaled part.
        prop_assert_eq!(mb.total_weight, m.total_weight * scale + m.cardinality() as i64);
        match (min_cost_assignment(&g), min_cost_assignment(&gb)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(b.total_cost, a.total_cost * scale + nl as i64),
            (Err(e), Err(f)) => prop_assert_eq!(e, f),
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
        }
    }
}
