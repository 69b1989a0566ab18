//! Solving again after edges were added, from the previous solution (a warm start).
//!
//! The previous assignment and duals are optimal for the graph without the added
//! edges; an added edge whose reduced cost is negative (its prices do not cover it)
//! is what can make them suboptimal now. In terms of the flow network behind
//! [`super::sparse`] (a source feeding every row one unit, row → column edges, every
//! column draining into a sink `t` up to its capacity, every row's dummy into `t`),
//! the repair has three steps, each keeping every residual arc's reduced cost
//! non-negative with the sink's potential at 0 (Ahuja, Magnanti and Orlin, *Network
//! Flows*, ch. 9, successive shortest paths with excesses and deficits):
//!
//! 1. **Free** each row with an uncovered edge: it leaves its column or its dummy, and
//!    its `u` drops to its least `c - v` (and 0), which covers all its edges. The
//!    column it leaves keeps its `v` and the unit of flow into `t` (a *deficit*: one
//!    unit goes out that no row brings in). Nothing else changes, so this step
//!    touches only the freed rows, where freeing whole columns instead (raising their
//!    `v` to 0 at once) uncovers their neighbours' edges, which frees them, and so on:
//!    on the national benchmark that freed 92 to 96% of the rows of each component.
//! 2. **Place** each freed row by one shortest augmenting path, as in a solve from
//!    scratch ([`super::sparse::State::place_free`]): it ends at a column with spare
//!    capacity, a row's dummy, or a deficit column (which it fills), whichever is
//!    nearest; a column with spare capacity and `v < 0` is exactly a deficit column,
//!    so the search needs no change.
//! 3. **Settle** each deficit column left `c0`: the cheapest way to bring it one unit,
//!    a shortest path from `t` to `c0` in the residual graph (searched backwards from
//!    `c0`, so that `t`, which reaches every column in use and every unmatched row,
//!    is never expanded). It either takes the unit back from `c0` itself (the column
//!    is left with spare capacity, at cost `-v[c0]`), or from another column in use
//!    (whose rows shift along the path towards `c0`), or from an unmatched row.
//!    Then the potentials of the nodes settled closer than that path move by the
//!    difference, which keeps every reduced cost non-negative, sets `v` to 0 on the
//!    column that gives up a unit, and keeps `u` at 0 on the rows on their dummy.
//!    The search also follows each row's tight edge into its own column (a row can
//!    take more than one unit there in the linear program), so that a column and
//!    its rows settle together and every assigned edge stays tight: the prices stay
//!    a certificate of the linear program, not only of the flow.
//!
//! At the end no row is free, no column has a deficit, and the invariants of
//! [`super::sparse`] hold again: the assignment is optimal on the graph with the new
//! edges.

use std::borrow::Cow;

use super::BipartiteGraph;
use super::sparse::{Mode, NONE, Problem, Solution, State, UNMATCHED, Weight};

/// The graph seen from the columns (each column's `(graph row, weight)` edges, in
/// CSR form), and each graph row's slots (rows of the problem that share its edge
/// list).
struct Adjacency<'a> {
    col_start: Cow<'a, [usize]>,
    col_rows: Cow<'a, [u32]>,
    col_weights: Cow<'a, [i64]>,
    slots: Vec<u32>,
    slot_start: Vec<usize>,
}

impl<'a> Adjacency<'a> {
    /// From the problem, and from the graph seen from the columns if the caller has
    /// it (else it is built here).
    fn new<W: Weight>(p: &Problem<'_, W>, columns: Option<&'a BipartiteGraph>) -> Self {
        let n_cols = p.col_cap.len();
        let n_graph_rows = p.offsets.len() - 1;
        let mut slot_start = vec![0usize; n_graph_rows + 1];
        for s in 0..p.n_rows {
            slot_start[graph_row(p, s) + 1] += 1;
        }
        for r in 0..n_graph_rows {
            slot_start[r + 1] += slot_start[r];
        }
        let mut fill = slot_start.clone();
        let mut slots = vec![0u32; p.n_rows];
        for s in 0..p.n_rows {
            let r = graph_row(p, s);
            slots[fill[r]] = s as u32;
            fill[r] += 1;
        }
        let (col_start, col_rows, col_weights) = match columns {
            Some(g) => (
                Cow::Borrowed(g.offsets()),
                Cow::Borrowed(g.targets()),
                Cow::Borrowed(g.weights()),
            ),
            None => {
                let mut start = vec![0usize; n_cols + 1];
                for &j in p.targets {
                    start[j as usize + 1] += 1;
                }
                for j in 0..n_cols {
                    start[j + 1] += start[j];
                }
                let mut fill = start.clone();
                let mut rows = vec![0u32; p.targets.len()];
                let mut weights = vec![0i64; p.targets.len()];
                for r in 0..n_graph_rows {
                    for k in p.offsets[r]..p.offsets[r + 1] {
                        let j = p.targets[k] as usize;
                        rows[fill[j]] = r as u32;
                        weights[fill[j]] = p.weights[k];
                        fill[j] += 1;
                    }
                }
                (Cow::Owned(start), Cow::Owned(rows), Cow::Owned(weights))
            }
        };
        Self {
            col_start,
            col_rows,
            col_weights,
            slots,
            slot_start,
        }
    }
}

#[inline]
fn graph_row<W: Weight>(p: &Problem<'_, W>, s: usize) -> usize {
    match p.base {
        Some(b) => b[s] as usize,
        None => s,
    }
}

#[inline]
fn cost<W: Weight>(p: &Problem<'_, W>, k: usize) -> i64 {
    p.sign * p.weights[k] + p.offset
}

/// Solves `p` ([`Mode::AllowUnmatched`]) from a previous assignment `col4row` (a
/// column, [`UNMATCHED`], or [`NONE`]) and duals `u`, `v` that satisfied the
/// invariants of [`super::sparse`] on a graph with fewer edges (see the module
/// documentation). Only the rows of the graph rows marked in `changed` (those with
/// added edges) are checked; `columns`, if given, is the graph seen from the columns
/// (the edges of column `j` are its row `j`), which saves building it. Deterministic.
///
/// Cost: O(R + C) plus the edges of the changed rows to prepare, plus one search per
/// freed row and one backward search per deficit left (after building the graph seen
/// from the columns, O(E), if there is one), each touching the part of the graph
/// within the distance its path costs.
pub(crate) fn solve_warm<W: Weight>(
    p: &Problem<'_, W>,
    mut col4row: Vec<u32>,
    mut u: Vec<i64>,
    mut v: Vec<i64>,
    changed: &[bool],
    columns: Option<&BipartiteGraph>,
) -> Option<Solution> {
    debug_assert_eq!(p.mode, Mode::AllowUnmatched);
    if p.col_cap.contains(&0) {
        // A column without capacity takes no row, and a previous solution (in the
        // other orientation, where it has no rows at all) may have left its edges
        // uncovered: its `v` is free to cover them all.
        for (s, &us) in u.iter().enumerate() {
            let r = graph_row(p, s);
            for k in p.offsets[r]..p.offsets[r + 1] {
                let j = p.targets[k] as usize;
                if p.col_cap[j] == 0 {
                    v[j] = v[j].min(cost(p, k) - us);
                }
            }
        }
    }
    // 1. Free the rows whose duals do not cover an edge (or that are not tight where
    //    they are placed). A row without added edges was covered and tight before.
    for s in 0..p.n_rows {
        let r = graph_row(p, s);
        if !changed[r] {
            debug_assert!(valid_row(p, s, &col4row, &u, &v), "row {s} was valid before");
            continue;
        }
        if !valid_row(p, s, &col4row, &u, &v) {
            let mut least = 0i64;
            for k in p.offsets[r]..p.offsets[r + 1] {
                least = least.min(cost(p, k) - v[p.targets[k] as usize]);
            }
            col4row[s] = NONE;
            u[s] = least;
        }
    }
    let mut state = State::new(p, &col4row, u, v);
    // 2. Place them.
    state.place_free(p).then_some(())?;
    // 3. Settle the deficits.
    let mut adj = None;
    let mut scratch = RowMarks {
        seen: Vec::new(),
        next: Vec::new(),
    };
    for c0 in 0..p.col_cap.len() as u32 {
        while state.cols[c0 as usize].v < 0 && state.cols[c0 as usize].spare > 0 {
            let adj = adj.get_or_insert_with(|| Adjacency::new(p, columns));
            if scratch.seen.is_empty() {
                scratch.seen = vec![0; p.n_rows];
                scratch.next = vec![NONE; p.n_rows];
            }
            state.settle(p, adj, &mut scratch, c0);
        }
    }
    Some(state.into_solution())
}

/// Whether row `s` satisfies the invariants: every edge's reduced cost non-negative,
/// `u <= 0`, and tight where it is placed.
fn valid_row<W: Weight>(p: &Problem<'_, W>, s: usize, col4row: &[u32], u: &[i64], v: &[i64]) -> bool {
    let r = graph_row(p, s);
    let (mut least, mut own) = (0i64, i64::MAX);
    for k in p.offsets[r]..p.offsets[r + 1] {
        let j = p.targets[k];
        let c = cost(p, k) - v[j as usize];
        least = least.min(c);
        if j == col4row[s] {
            own = own.min(c);
        }
    }
    let tight = match col4row[s] {
        NONE => false,
        UNMATCHED => u[s] == 0,
        _ => own == u[s],
    };
    tight && least >= u[s]
}

/// Per row, for a backward search: the epoch its distance (`dist_row`) was set in,
/// and the column its path goes on to.
struct RowMarks {
    seen: Vec<u32>,
    next: Vec<u32>,
}

/// Where the path from the sink starts.
#[derive(Clone, Copy)]
enum From {
    /// A column in use gives up a unit.
    Col(u32),
    /// A row on its dummy is placed.
    Row(u32),
}

impl State {
    /// Brings deficit column `c0` one unit along a shortest path from the sink,
    /// searched backwards from `c0`, and moves the potentials (see the module
    /// documentation, step 3).
    fn settle<W: Weight>(&mut self, p: &Problem<'_, W>, adj: &Adjacency, scratch: &mut RowMarks, c0: u32) {
        let n_cols = p.col_cap.len() as u32;
        self.next_epoch();
        let epoch = self.epoch;
        self.heap.clear();
        self.scanned_rows.clear();
        self.done_cols.clear();
        let mut best = i64::MAX;
        let mut from = From::Col(c0);
        {
            let col = &mut self.cols[c0 as usize];
            col.seen = epoch;
            col.dist = 0;
            col.pred = NONE;
        }
        self.heap.push(0, c0);
        while let Some((d, x)) = self.heap.pop() {
            if d >= best {
                break;
            }
            if x < n_cols {
                let c = x as usize;
                if self.cols[c].dist != d {
                    continue;
                }
                self.done_cols.push(x);
                let col = self.cols[c];
                // The arc from the sink into `c` exists while `c` drains any flow: rows
                // placed on it, or a deficit (`v < 0`).
                let used = p.col_cap[c] > col.spare;
                if (used || col.v < 0) && d - col.v < best {
                    best = d - col.v;
                    from = From::Col(x);
                }
                let (lo, hi) = (adj.col_start[c], adj.col_start[c + 1]);
                for (&r, &w) in adj.col_rows[lo..hi].iter().zip(&adj.col_weights[lo..hi]) {
                    let ck = p.sign * w + p.offset - col.v;
                    // The rows placed on `c` too: their edge to it is tight, so they
                    // settle with `c` and stay tight (a row whose next column is its
                    // own is never on the path: see below).
                    for &s in &adj.slots[adj.slot_start[r as usize]..adj.slot_start[r as usize + 1]] {
                        let nd = d + ck - self.u[s as usize];
                        if nd >= best {
                            continue;
                        }
                        let su = s as usize;
                        if scratch.seen[su] != epoch || nd < self.dist_row[su] {
                            scratch.seen[su] = epoch;
                            scratch.next[su] = x;
                            self.dist_row[su] = nd;
                            self.heap.push(nd, n_cols + s);
                        }
                    }
                }
            } else {
                let s = x - n_cols;
                if self.dist_row[s as usize] != d {
                    continue;
                }
                self.scanned_rows.push(s);
                match self.col4row[s as usize] {
                    UNMATCHED => {
                        let cand = d + self.u[s as usize];
                        if cand < best {
                            best = cand;
                            from = From::Row(s);
                        }
                    }
                    NONE => {}
                    j => {
                        let col = &mut self.cols[j as usize];
                        if col.seen != epoch || d < col.dist {
                            col.seen = epoch;
                            col.dist = d;
                            col.pred = s;
                            self.heap.push(d, j);
                        }
                    }
                }
            }
        }
        // Potentials of the nodes settled closer than the path.
        for &s in &self.scanned_rows {
            self.u[s as usize] -= best - self.dist_row[s as usize];
        }
        for &j in &self.done_cols {
            let col = &mut self.cols[j as usize];
            col.v += best - col.dist;
        }
        // Shift the rows along the path towards `c0`.
        let mut row = match from {
            From::Col(c) if c == c0 => None,
            From::Col(c) => {
                self.cols[c as usize].spare += 1;
                Some(self.cols[c as usize].pred)
            }
            From::Row(s) => Some(s),
        };
        while let Some(s) = row {
            let c = scratch.next[s as usize];
            let old = self.col4row[s as usize];
            if old != UNMATCHED && old != NONE {
                self.unlink(s, old);
            }
            self.link(s, c);
            if c == c0 {
                self.cols[c0 as usize].spare -= 1;
                break;
            }
            row = Some(self.cols[c as usize].pred);
        }
    }
}
