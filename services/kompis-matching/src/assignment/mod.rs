//! Exact assignment algorithms on plain integer weights, independent of the domain.
//!
//! * [`lap_dense`]: the square linear assignment problem on a dense cost matrix
//!   (Jonker-Volgenant).
//! * [`min_cost_assignment`]: every left vertex to a distinct right vertex at minimum
//!   total cost, on a sparse graph (shortest augmenting paths with Dijkstra).
//! * [`max_weight_matching`]: the matching round's problem: right vertices have
//!   capacities, nobody has to be matched, and the objective is lexicographic: first
//!   the most matched left vertices, then the greatest total weight.
//! * [`greedy_matching`]: the "best pair first" baseline, for comparison only.
//!
//! All functions are deterministic: the same input gives the same output.

mod dense;
mod graph;
mod radix_heap;
mod sparse;
mod sparse_init;
mod warm;

use std::fmt;

pub use graph::BipartiteGraph;

/// Why an assignment could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentError {
    /// A cost matrix's length is not `n * n`.
    NotSquare,
    /// An edge names a vertex that does not exist.
    VertexOutOfRange,
    /// CSR arrays are inconsistent.
    MalformedCsr,
    /// A capacity slice's length differs from the number of right vertices.
    CapacityLength,
    /// No assignment covers every left vertex.
    Infeasible,
    /// Weights or sizes are so large that exact 64-bit arithmetic could overflow.
    TooLarge,
}

impl fmt::Display for AssignmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotSquare => "the cost matrix is not square",
            Self::VertexOutOfRange => "an edge names a vertex that does not exist",
            Self::MalformedCsr => "the CSR arrays are inconsistent",
            Self::CapacityLength => "one capacity is needed per right vertex",
            Self::Infeasible => "no assignment covers every left vertex",
            Self::TooLarge => "weights or sizes are too large for exact 64-bit arithmetic",
        })
    }
}

impl std::error::Error for AssignmentError {}

/// A complete assignment: `right_of_left[i]` is the right vertex of left vertex `i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The right vertex assigned to each left vertex.
    pub right_of_left: Vec<u32>,
    /// The sum of the costs of the assigned edges.
    pub total_cost: i64,
}

/// A matching: a set of `(left, right)` pairs, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Matching {
    /// The matched pairs, sorted by `(left, right)`.
    pub pairs: Vec<(u32, u32)>,
    /// The sum of the weights of the matched pairs.
    pub total_weight: i64,
}

impl Matching {
    /// The number of matched pairs.
    pub fn cardinality(&self) -> usize {
        self.pairs.len()
    }
}

/// An integer type a dense cost matrix can be stored in: `i32` (half the memory
/// traffic, for costs that fit) or `i64`. Arithmetic is always done in `i64`.
pub trait DenseCost: Copy + Into<i64> + sealed::Sealed {}
impl DenseCost for i32 {}
impl DenseCost for i64 {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for i32 {}
    impl Sealed for i64 {}
}

/// Solves the dense square linear assignment problem: a permutation `p` minimising
/// `Σ cost[i * n + p(i)]`, the matrix stored row by row as `i32` or `i64`.
///
/// Jonker-Volgenant: column reduction, augmenting row reduction, then shortest
/// augmenting paths. Cost: O(n³) time in the worst case (far less on random
/// matrices), O(n) memory besides the matrix.
///
/// # Errors
///
/// [`AssignmentError::NotSquare`] if `cost.len() != n * n`, and
/// [`AssignmentError::TooLarge`] if a cost's magnitude reaches `2^62 / (2n + 2)`
/// (sums along paths must fit in an `i64`).
///
/// # Examples
///
/// ```
/// use kompis_matching::assignment::lap_dense;
///
/// // Row 0 takes column 1 (cost 1), row 1 takes column 0 (cost 2): total 3.
/// let a = lap_dense(2, &[4i64, 1, 2, 8]).unwrap();
/// assert_eq!(a.right_of_left, vec![1, 0]);
/// assert_eq!(a.total_cost, 3);
/// assert_eq!(lap_dense(2, &[4i32, 1, 2, 8]).unwrap(), a);
/// ```
pub fn lap_dense<C: DenseCost>(n: usize, cost: &[C]) -> Result<Assignment, AssignmentError> {
    if n.checked_mul(n) != Some(cost.len()) {
        return Err(AssignmentError::NotSquare);
    }
    let limit = (1i64 << 62) / (2 * n as i64 + 2);
    if cost.iter().any(|&c| c.into().saturating_abs() >= limit) {
        return Err(AssignmentError::TooLarge);
    }
    let x = dense::solve(n, cost);
    let total_cost = x.iter().enumerate().map(|(i, &j)| cost[i * n + j].into()).sum();
    Ok(Assignment {
        right_of_left: x.into_iter().map(|j| j as u32).collect(),
        total_cost,
    })
}

/// Assigns every left vertex to a distinct right vertex at minimum total cost, on a
/// sparse graph whose edge weights are costs.
///
/// Successive shortest augmenting paths with Dijkstra on reduced costs, row by row.
/// Cost: O(n_left · E log E) time in the worst case, O(n_left + n_right + E) memory;
/// typically each path search touches only a small part of the graph.
///
/// # Errors
///
/// [`AssignmentError::Infeasible`] if no assignment covers every left vertex, and
/// [`AssignmentError::TooLarge`] if path sums could overflow.
///
/// # Examples
///
/// ```
/// use kompis_matching::assignment::{min_cost_assignment, BipartiteGraph};
///
/// let g = BipartiteGraph::from_edges(2, 2, &[(0, 0, 1), (0, 1, 2), (1, 0, 1)]).unwrap();
/// let a = min_cost_assignment(&g).unwrap();
/// assert_eq!(a.right_of_left, vec![1, 0]);
/// assert_eq!(a.total_cost, 3);
/// ```
pub fn min_cost_assignment(graph: &BipartiteGraph) -> Result<Assignment, AssignmentError> {
    check_magnitude(graph, 0)?;
    let caps = vec![1u32; graph.n_right()];
    let problem = sparse::Problem {
        offsets: graph.offsets(),
        targets: graph.targets(),
        weights: graph.weights(),
        arcs: &[],
        base: None,
        n_rows: graph.n_left(),
        col_cap: &caps,
        sign: 1,
        offset: 0,
        mode: sparse::Mode::Perfect,
    };
    let cols = if graph.n_left() == graph.n_right() {
        // Square: every column ends up assigned, so column duals need no sign and the
        // Jonker-Volgenant initialisation applies.
        let (x, u, v) =
            sparse_init::jv_init(graph.n_left(), graph.offsets(), graph.targets(), graph.weights());
        match sparse::arcs(&problem) {
            Ok(a) => sparse::solve_from(&problem.with_arcs(&a), x, u, v),
            Err(a) => sparse::solve_from(&problem.with_arcs(&a), x, u, v),
        }
    } else {
        solve_narrow(&problem)
    }
    .ok_or(AssignmentError::Infeasible)?
    .col4row;
    let total_cost = cols
        .iter()
        .enumerate()
        .map(|(i, &j)| min_weight_of(graph, i, j))
        .sum();
    Ok(Assignment {
        right_of_left: cols,
        total_cost,
    })
}

/// The maximum-cardinality, then maximum-weight matching in which each left vertex
/// is matched at most once and right vertex `j` at most `capacity[j]` times.
///
/// The objective is lexicographic: among all feasible matchings, those with the most
/// pairs; among those, one with the greatest total weight. Weights may be negative:
/// a pair is still preferred to no pair, because cardinality comes first.
///
/// It is solved exactly as one min-cost problem: every edge costs `-(w + M)` with
/// `M = (2k + 1)·W + 1` (W the largest |weight|, k the largest possible cardinality),
/// so that one more pair always outweighs any difference in weight, and every row may
/// stay unmatched at cost 0. The side with the smaller total capacity becomes the rows
/// of successive shortest augmenting paths (so few searches end without a pair);
/// capacities are handled directly on columns, or by giving each unit of capacity its
/// own row that shares the vertex's edge list.
///
/// Cost: O(R · E log E) time in the worst case, R = min(n_left, Σ capacity);
/// O(n_left + n_right + Σ capacity + E) memory. Deterministic.
///
/// # Errors
///
/// [`AssignmentError::CapacityLength`] if `capacity.len() != graph.n_right()`, and
/// [`AssignmentError::TooLarge`] if `M` times the graph size could overflow an `i64`.
///
/// # Examples
///
/// ```
/// use kompis_matching::assignment::{max_weight_matching, BipartiteGraph};
///
/// // Greedy would take the heaviest pair (0, 0) and strand left vertex 1;
/// // the exact matching pairs both.
/// let g = BipartiteGraph::from_edges(2, 2, &[(0, 0, 10), (0, 1, 9), (1, 0, 8)]).unwrap();
/// let m = max_weight_matching(&g, &[1, 1]).unwrap();
/// assert_eq!(m.pairs, vec![(0, 1), (1, 0)]);
/// assert_eq!(m.total_weight, 17);
/// ```
pub fn max_weight_matching(graph: &BipartiteGraph, capacity: &[u32]) -> Result<Matching, AssignmentError> {
    if capacity.len() != graph.n_right() {
        return Err(AssignmentError::CapacityLength);
    }
    let m = big_m(graph.n_left(), capacity, graph.max_abs_weight())?;
    Ok(solve_lexicographic(graph, capacity, m)?.matching)
}

/// `M = (2k + 1)·W + 1` for `k` the largest possible number of pairs and `W` a bound on
/// every |weight|: with every edge worth `w + M`, one more pair outweighs any
/// difference in weight.
pub(crate) fn big_m(n_left: usize, capacity: &[u32], w: i64) -> Result<i64, AssignmentError> {
    let total_cap: u64 = capacity.iter().map(|&c| u64::from(c)).sum();
    let k = (n_left as u64).min(total_cap) as i64;
    k.checked_mul(2)
        .and_then(|x| x.checked_add(1))
        .and_then(|x| x.checked_mul(w))
        .and_then(|x| x.checked_add(1))
        .ok_or(AssignmentError::TooLarge)
}

/// A lexicographic matching with a dual certificate: on every edge
/// `left_price[i] + right_price[j]` is at least `w + M`, prices are not negative, and
/// the total of the prices (right ones times capacity) equals the matching's total
/// of `w + M`. Any edge outside the graph that satisfies the same inequality could
/// not improve the matching.
#[derive(Debug, Clone)]
pub(crate) struct Certified {
    pub matching: Matching,
    pub left_price: Vec<i64>,
    pub right_price: Vec<i64>,
}

/// A previous solution to start from: a lexicographic matching of a graph with the
/// same vertices and fewer edges (local pairs, sorted) and its prices, as in
/// [`Certified`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct WarmStart<'a> {
    pub pairs: &'a [(u32, u32)],
    pub left_price: &'a [i64],
    pub right_price: &'a [i64],
    /// The vertices the added edges touch, on each side.
    pub changed_left: &'a [bool],
    pub changed_right: &'a [bool],
}

/// [`max_weight_matching`] with a given `M` (see [`big_m`]), and its duals.
pub(crate) fn solve_lexicographic(
    graph: &BipartiteGraph,
    capacity: &[u32],
    m: i64,
) -> Result<Certified, AssignmentError> {
    solve_lexicographic_from(graph, capacity, m, None)
}

/// [`solve_lexicographic`], started from a previous solution when one is given: its
/// pairs stay and its prices are kept wherever the added edges leave them valid
/// ([`warm::solve_warm`] frees the rows whose prices the new edges break, places
/// each again by one shortest augmenting path, and then gives each column they left
/// its unit back, or lets it go, along one shortest path searched backwards). The
/// optimum is the same as from scratch (every start that satisfies the solver's
/// invariants leads to an optimal solution); which optimal matching and prices
/// come out may differ where there are ties, deterministically.
///
/// Cost: that of [`solve_lexicographic`] in the worst case; O(E) plus the searches of
/// the freed rows when few prices change.
pub(crate) fn solve_lexicographic_from(
    graph: &BipartiteGraph,
    capacity: &[u32],
    m: i64,
    warm: Option<WarmStart<'_>>,
) -> Result<Certified, AssignmentError> {
    if capacity.len() != graph.n_right() {
        return Err(AssignmentError::CapacityLength);
    }
    check_magnitude(graph, m)?;
    let total_cap: u64 = capacity.iter().map(|&c| u64::from(c)).sum();
    if graph.n_left() as u64 <= total_cap {
        // Rows: left vertices. Columns: right vertices with their capacities.
        let problem = sparse::Problem {
            offsets: graph.offsets(),
            targets: graph.targets(),
            weights: graph.weights(),
            arcs: &[],
            base: None,
            n_rows: graph.n_left(),
            col_cap: capacity,
            sign: -1,
            offset: -m,
            mode: sparse::Mode::AllowUnmatched,
        };
        let start = warm.map(|w| {
            let mut col4row = vec![sparse::UNMATCHED; graph.n_left()];
            for &(i, j) in w.pairs {
                col4row[i as usize] = j;
            }
            let u = w.left_price.iter().map(|&p| -p).collect();
            let v = w.right_price.iter().map(|&q| -q).collect();
            Start {
                col4row,
                u,
                v,
                changed: w.changed_left,
                columns: None,
            }
        });
        let sol = solve_narrow_from(&problem, start).ok_or(AssignmentError::Infeasible)?;
        let pairs = sol
            .col4row
            .iter()
            .enumerate()
            .filter(|&(_, &j)| j != sparse::UNMATCHED)
            .map(|(i, &j)| (i as u32, j))
            .collect::<Vec<_>>();
        Ok(Certified {
            matching: finish(graph, pairs, true),
            left_price: sol.u.iter().map(|&u| -u).collect(),
            right_price: sol.v.iter().map(|&v| -v).collect(),
        })
    } else {
        // Shortage of capacity: rows are the units of right capacity (each sharing its
        // vertex's edges), columns the left vertices, each with capacity 1.
        let t = graph.transposed();
        let base: Vec<u32> = capacity
            .iter()
            .enumerate()
            .flat_map(|(j, &c)| std::iter::repeat_n(j as u32, c as usize))
            .collect();
        let ones = vec![1u32; graph.n_left()];
        let problem = sparse::Problem {
            offsets: t.offsets(),
            targets: t.targets(),
            weights: t.weights(),
            arcs: &[],
            base: Some(&base),
            n_rows: base.len(),
            col_cap: &ones,
            sign: -1,
            offset: -m,
            mode: sparse::Mode::AllowUnmatched,
        };
        let start = warm.map(|w| {
            // Each right vertex's partners go to its first units; all its units start
            // at its price.
            let mut first = vec![0usize; graph.n_right() + 1];
            for j in 0..graph.n_right() {
                first[j + 1] = first[j] + capacity[j] as usize;
            }
            let mut next = first.clone();
            let mut col4row = vec![sparse::UNMATCHED; base.len()];
            for &(i, j) in w.pairs {
                let j = j as usize;
                if next[j] < first[j + 1] {
                    col4row[next[j]] = i;
                    next[j] += 1;
                }
            }
            let u = base.iter().map(|&j| -w.right_price[j as usize]).collect();
            let v = w.left_price.iter().map(|&p| -p).collect();
            Start {
                col4row,
                u,
                v,
                changed: w.changed_right,
                columns: Some(graph),
            }
        });
        let sol = solve_narrow_from(&problem, start).ok_or(AssignmentError::Infeasible)?;
        let pairs = sol
            .col4row
            .iter()
            .enumerate()
            .filter(|&(_, &i)| i != sparse::UNMATCHED)
            .map(|(s, &i)| (i, base[s]))
            .collect::<Vec<_>>();
        // Every unit of a right vertex satisfies the inequality on the vertex's edges,
        // so the smallest of their prices does too.
        let mut right_price = vec![i64::MAX; graph.n_right()];
        for (s, &j) in base.iter().enumerate() {
            right_price[j as usize] = right_price[j as usize].min(-sol.u[s]);
        }
        for p in &mut right_price {
            if *p == i64::MAX {
                *p = 0; // no capacity: never matched, no edge needs it
            }
        }
        Ok(Certified {
            matching: finish(graph, pairs, true),
            left_price: sol.v.iter().map(|&v| -v).collect(),
            right_price,
        })
    }
}

/// The "best pair first" baseline: repeatedly takes the heaviest remaining edge whose
/// endpoints both have capacity left (ties by `(left, right)`). Not optimal in
/// cardinality or weight; provided to measure what exact matching gains.
///
/// Cost: O(E log E) time, O(E) memory.
///
/// # Errors
///
/// [`AssignmentError::CapacityLength`] if `capacity.len() != graph.n_right()`.
///
/// # Examples
///
/// ```
/// use kompis_matching::assignment::{greedy_matching, BipartiteGraph};
///
/// let g = BipartiteGraph::from_edges(2, 2, &[(0, 0, 10), (0, 1, 9), (1, 0, 8)]).unwrap();
/// let m = greedy_matching(&g, &[1, 1]).unwrap();
/// assert_eq!(m.pairs, vec![(0, 0)]); // left vertex 1 is stranded
/// ```
pub fn greedy_matching(graph: &BipartiteGraph, capacity: &[u32]) -> Result<Matching, AssignmentError> {
    if capacity.len() != graph.n_right() {
        return Err(AssignmentError::CapacityLength);
    }
    let mut edges: Vec<(i64, u32, u32)> = (0..graph.n_left())
        .flat_map(|i| graph.edges_of(i).map(move |(j, w)| (w, i as u32, j)))
        .collect();
    edges.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut left_used = vec![false; graph.n_left()];
    let mut left_cap = capacity.to_vec();
    let mut pairs = Vec::new();
    for (_, i, j) in edges {
        if !left_used[i as usize] && left_cap[j as usize] > 0 {
            left_used[i as usize] = true;
            left_cap[j as usize] -= 1;
            pairs.push((i, j));
        }
    }
    Ok(finish(graph, pairs, true))
}

/// Solves with the costs narrowed to `i32` when they all fit.
fn solve_narrow(problem: &sparse::Problem<'_>) -> Option<sparse::Solution> {
    match sparse::arcs(problem) {
        Ok(a) => sparse::solve(&problem.with_arcs(&a)),
        Err(a) => sparse::solve(&problem.with_arcs(&a)),
    }
}

/// A start for [`warm::solve_warm`]: a previous assignment and duals in the
/// solver's terms, the graph rows with added edges, and the graph seen from the
/// columns if at hand.
struct Start<'a> {
    col4row: Vec<u32>,
    u: Vec<i64>,
    v: Vec<i64>,
    changed: &'a [bool],
    columns: Option<&'a BipartiteGraph>,
}

/// [`solve_narrow`] from a previous solution ([`warm::solve_warm`]), or from scratch.
fn solve_narrow_from(problem: &sparse::Problem<'_>, start: Option<Start<'_>>) -> Option<sparse::Solution> {
    let Some(s) = start else {
        return solve_narrow(problem);
    };
    match sparse::arcs(problem) {
        Ok(a) => warm::solve_warm(&problem.with_arcs(&a), s.col4row, s.u, s.v, s.changed, s.columns),
        Err(a) => warm::solve_warm(&problem.with_arcs(&a), s.col4row, s.u, s.v, s.changed, s.columns),
    }
}

fn finish(graph: &BipartiteGraph, mut pairs: Vec<(u32, u32)>, max: bool) -> Matching {
    pairs.sort_unstable();
    let total_weight = pairs
        .iter()
        .map(|&(i, j)| {
            if max {
                graph.weight(i as usize, j as usize).unwrap_or(0)
            } else {
                min_weight_of(graph, i as usize, j)
            }
        })
        .sum();
    Matching { pairs, total_weight }
}

fn min_weight_of(graph: &BipartiteGraph, i: usize, j: u32) -> i64 {
    graph
        .edges_of(i)
        .filter(|&(r, _)| r == j)
        .map(|(_, w)| w)
        .min()
        .unwrap_or(0)
}

/// Path sums are bounded by (rows + columns + 1) · (|M| + W) · 2 and must fit an i64.
fn check_magnitude(graph: &BipartiteGraph, m: i64) -> Result<(), AssignmentError> {
    let per_edge = (m.unsigned_abs() as u128) + (graph.max_abs_weight().unsigned_abs() as u128);
    let vertices = (graph.n_left() + graph.n_right() + 1) as u128;
    if per_edge * vertices * 8 >= i64::MAX as u128 {
        return Err(AssignmentError::TooLarge);
    }
    Ok(())
}
