//! Independent network-flow references for the round: a maximum flow (Edmonds-Karp)
//! and a minimum-cost maximum flow (successive shortest paths with Bellman-Ford), both
//! textbook (Cormen et al., *Introduction to Algorithms*, ch. 26; Ahuja, Magnanti and
//! Orlin, *Network Flows*, ch. 9), written here without anything from the crate.

use std::collections::VecDeque;

struct Arc {
    to: usize,
    cap: i64,
    cost: i64,
}

/// A flow network with paired arcs (arc `k ^ 1` is the reverse of arc `k`).
pub struct Network {
    arcs: Vec<Arc>,
    out: Vec<Vec<usize>>,
}

impl Network {
    pub fn new(nodes: usize) -> Self {
        Self {
            arcs: Vec::new(),
            out: vec![Vec::new(); nodes],
        }
    }

    pub fn add(&mut self, from: usize, to: usize, cap: i64, cost: i64) {
        self.out[from].push(self.arcs.len());
        self.arcs.push(Arc { to, cap, cost });
        self.out[to].push(self.arcs.len());
        self.arcs.push(Arc {
            to: from,
            cap: 0,
            cost: -cost,
        });
    }

    /// Maximum flow from `s` to `t` by shortest augmenting paths (BFS).
    pub fn max_flow(&mut self, s: usize, t: usize) -> i64 {
        let mut flow = 0;
        loop {
            let mut pred = vec![usize::MAX; self.out.len()];
            let mut queue = VecDeque::from([s]);
            pred[s] = usize::MAX - 1;
            while let Some(x) = queue.pop_front() {
                for &k in &self.out[x] {
                    let a = &self.arcs[k];
                    if a.cap > 0 && pred[a.to] == usize::MAX {
                        pred[a.to] = k;
                        queue.push_back(a.to);
                    }
                }
            }
            if pred[t] == usize::MAX {
                return flow;
            }
            let mut x = t;
            while x != s {
                let k = pred[x];
                self.arcs[k].cap -= 1;
                self.arcs[k ^ 1].cap += 1;
                x = self.arcs[k ^ 1].to;
            }
            flow += 1;
        }
    }

    /// Minimum-cost maximum flow from `s` to `t` (unit augmentations along
    /// Bellman-Ford shortest paths): `(flow, cost)`.
    pub fn min_cost_max_flow(&mut self, s: usize, t: usize) -> (i64, i64) {
        let (mut flow, mut cost) = (0, 0);
        loop {
            let n = self.out.len();
            let mut dist = vec![i64::MAX; n];
            let mut pred = vec![usize::MAX; n];
            dist[s] = 0;
            for _ in 0..n {
                let mut changed = false;
                for x in 0..n {
                    if dist[x] == i64::MAX {
                        continue;
                    }
                    for &k in &self.out[x] {
                        let a = &self.arcs[k];
                        if a.cap > 0 && dist[x] + a.cost < dist[a.to] {
                            dist[a.to] = dist[x] + a.cost;
                            pred[a.to] = k;
                            changed = true;
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
            if dist[t] == i64::MAX {
                return (flow, cost);
            }
            let mut x = t;
            while x != s {
                let k = pred[x];
                self.arcs[k].cap -= 1;
                self.arcs[k ^ 1].cap += 1;
                x = self.arcs[k ^ 1].to;
            }
            flow += 1;
            cost += dist[t];
        }
    }
}

/// The network of a round: source → each newcomer (capacity 1), newcomer → resident
/// per admissible pair (capacity 1, cost `-score` when `scored`), resident → sink
/// (the resident's capacity). Returns it with its source and sink.
fn round_network(
    n_newcomers: usize,
    capacity: &[u32],
    pairs: &[(usize, usize, i64)],
    scored: bool,
) -> (Network, usize, usize) {
    let (s, t) = (n_newcomers + capacity.len(), n_newcomers + capacity.len() + 1);
    let mut net = Network::new(t + 1);
    for i in 0..n_newcomers {
        net.add(s, i, 1, 0);
    }
    for (j, &c) in capacity.iter().enumerate() {
        net.add(n_newcomers + j, t, i64::from(c), 0);
    }
    for &(i, j, w) in pairs {
        net.add(i, n_newcomers + j, 1, if scored { -w } else { 0 });
    }
    (net, s, t)
}

/// The most newcomers matched over the admissible pairs `(newcomer, resident, score)`,
/// with resident capacities, by maximum flow.
pub fn max_matched(n_newcomers: usize, capacity: &[u32], pairs: &[(usize, usize, i64)]) -> i64 {
    let (mut net, s, t) = round_network(n_newcomers, capacity, pairs, false);
    net.max_flow(s, t)
}

/// The most newcomers matched and, among those matchings, the greatest total score,
/// by minimum-cost maximum flow with costs `-score`.
pub fn best_matching(n_newcomers: usize, capacity: &[u32], pairs: &[(usize, usize, i64)]) -> (i64, i64) {
    let (mut net, s, t) = round_network(n_newcomers, capacity, pairs, true);
    let (flow, cost) = net.min_cost_max_flow(s, t);
    (flow, -cost)
}
