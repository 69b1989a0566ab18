//! Successive shortest augmenting paths on a sparse graph, with capacities on the
//! right side and, optionally, the freedom to leave a row unmatched.
//!
//! This is the row-by-row shortest augmenting path method of Jonker and Volgenant
//! (as in scipy's `linear_sum_assignment`, after Crouse 2016), on a sparse graph with
//! a binary heap (Dijkstra on reduced costs), generalised in two ways:
//!
//! * a column `j` may take up to `cap[j]` rows. Its dual `v[j]` is shared by all its
//!   rows; complementary slackness makes every assigned edge tight, so a full column
//!   leads to all its rows at the same distance;
//! * with [`Mode::AllowUnmatched`], every row `i` has a private dummy column of cost 0
//!   ("stay unmatched"). Dummies are never stored: the dummy of a scanned row is a
//!   candidate end of the path at distance `d(i) - u[i]`.
//!
//! Invariants (the LP dual of `min Σ c x`, rows `= 1`, columns `<= cap`):
//! `c[i][j] - u[i] - v[j] >= 0` on every edge, `= 0` on assigned edges, `v[j] <= 0`,
//! and `v[j] = 0` while column `j` has spare capacity. With dummies also `u[i] <= 0`.
//! Each augmentation keeps them, so the final assignment is optimal (Ahuja, Magnanti
//! and Orlin, *Network Flows*, ch. 9).

use super::radix_heap::RadixHeap;

pub(crate) const NONE: u32 = u32::MAX;
/// Marks a row that ended on its private dummy column (left unmatched).
pub(crate) const UNMATCHED: u32 = u32::MAX - 1;

/// Whether every row must be assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every row must be assigned; fail if impossible.
    Perfect,
    /// A row may stay unmatched at cost 0.
    AllowUnmatched,
}

/// The input of the solver: rows are "slots"; slot `s` has the edges of graph row
/// `base[s]` (so several slots can share one edge list), and the cost of an edge of
/// weight `w` is `sign * w + offset`. The searches read the edges as [`Arc`]s
/// (`arcs`, built by [`arcs`] from `targets` and `weights`); the rest reads
/// `targets` and `weights`.
#[derive(Debug)]
pub(crate) struct Problem<'a, W = i64> {
    pub offsets: &'a [usize],
    pub targets: &'a [u32],
    pub weights: &'a [i64],
    pub arcs: &'a [Arc<W>],
    pub base: Option<&'a [u32]>,
    pub n_rows: usize,
    pub col_cap: &'a [u32],
    pub sign: i64,
    pub offset: i64,
    pub mode: Mode,
}

/// An edge as the searches read it: its column and `sign * w`, side by side, so that
/// one load brings both and the loop keeps no sign.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arc<W> {
    pub col: u32,
    pub cost: W,
}

/// An edge cost as stored for the scans: `i32` when every one fits (half the
/// memory traffic), else `i64`; arithmetic is in `i64`.
pub(crate) trait Weight: Copy + Into<i64> {}
impl Weight for i32 {}
impl Weight for i64 {}

impl<'a> Problem<'a, i64> {
    /// The same problem whose searches read `arcs` (see [`arcs`]).
    pub fn with_arcs<'b, W: Weight>(&self, arcs: &'b [Arc<W>]) -> Problem<'b, W>
    where
        'a: 'b,
    {
        Problem {
            offsets: self.offsets,
            targets: self.targets,
            weights: self.weights,
            arcs,
            base: self.base,
            n_rows: self.n_rows,
            col_cap: self.col_cap,
            sign: self.sign,
            offset: self.offset,
            mode: self.mode,
        }
    }
}

/// The edges of `p` as [`Arc`]s: `Ok` with `i32` costs if every `sign * w` fits,
/// else `Err` with `i64` ones.
pub(crate) fn arcs(p: &Problem<'_>) -> Result<Vec<Arc<i32>>, Vec<Arc<i64>>> {
    let mut narrow = Vec::with_capacity(p.targets.len());
    for (&col, &w) in p.targets.iter().zip(p.weights) {
        match i32::try_from(p.sign * w) {
            Ok(cost) => narrow.push(Arc { col, cost }),
            Err(_) => {
                return Err(p
                    .targets
                    .iter()
                    .zip(p.weights)
                    .map(|(&col, &w)| Arc {
                        col,
                        cost: p.sign * w,
                    })
                    .collect());
            }
        }
    }
    Ok(narrow)
}

#[derive(Clone, Copy)]
enum Sink {
    None,
    Col(u32),
    Dummy(u32),
}

/// An optimal solution with its duals: `col4row[i]` is the column of row `i`
/// ([`UNMATCHED`] for a row left on its dummy); `u` and `v` satisfy the invariants in
/// the module documentation, so they certify optimality.
pub(crate) struct Solution {
    pub col4row: Vec<u32>,
    pub u: Vec<i64>,
    pub v: Vec<i64>,
}

/// Solves the problem; `None` if [`Mode::Perfect`] is infeasible.
///
/// Cost: O(R · (E' log E')) in the worst case, where R is the number of rows and E'
/// the edges reachable in one search; on the sparse instances of the benchmark most
/// searches stop after a few steps.
pub(crate) fn solve<W: Weight>(p: &Problem<'_, W>) -> Option<Solution> {
    solve_from(
        p,
        vec![NONE; p.n_rows],
        vec![0; p.n_rows],
        vec![0; p.col_cap.len()],
    )
}

/// Solves the problem starting from a partial assignment `col4row` (a column, or
/// [`UNMATCHED`] for a row on its dummy, or [`NONE`] for a row still to be placed)
/// with duals `u`, `v` satisfying the invariants above (see
/// [`super::warm::solve_warm`] to start from the solution of a graph with fewer
/// edges).
pub(crate) fn solve_from<W: Weight>(
    p: &Problem<'_, W>,
    col4row: Vec<u32>,
    u: Vec<i64>,
    v: Vec<i64>,
) -> Option<Solution> {
    let mut s = State::new(p, &col4row, u, v);
    if !s.place_free(p) {
        return None;
    }
    Some(s.into_solution())
}

/// What a search reads and writes per column, kept together for locality.
#[derive(Clone, Copy)]
pub(super) struct Col {
    /// The column dual.
    pub v: i64,
    /// Tentative distance, valid iff `seen == epoch`.
    pub dist: i64,
    pub seen: u32,
    /// Capacity left.
    pub spare: u32,
    /// The row a search reached this column from.
    pub pred: u32,
}

pub(super) struct State {
    pub u: Vec<i64>,
    pub cols: Vec<Col>,
    pub col4row: Vec<u32>,
    /// Rows assigned to a column form a singly linked list: `head[j]`, `next[i]`.
    head: Vec<u32>,
    next: Vec<u32>,
    pub dist_row: Vec<i64>,
    pub scanned_rows: Vec<u32>,
    pub done_cols: Vec<u32>,
    pub heap: RadixHeap,
    pub epoch: u32,
}

impl State {
    /// The state of a partial assignment `col4row` (see [`solve_from`]) with duals
    /// `u` and `v`.
    pub fn new<W: Weight>(p: &Problem<'_, W>, col4row: &[u32], u: Vec<i64>, v: Vec<i64>) -> Self {
        let n_cols = p.col_cap.len();
        let mut s = State {
            u,
            cols: v
                .into_iter()
                .zip(p.col_cap)
                .map(|(v, &spare)| Col {
                    v,
                    dist: 0,
                    seen: 0,
                    spare,
                    pred: NONE,
                })
                .collect(),
            col4row: vec![NONE; p.n_rows],
            head: vec![NONE; n_cols],
            next: vec![NONE; p.n_rows],
            dist_row: vec![0; p.n_rows],
            scanned_rows: Vec::new(),
            done_cols: Vec::new(),
            heap: RadixHeap::default(),
            epoch: 0,
        };
        for (i, &j) in col4row.iter().enumerate() {
            if j == UNMATCHED {
                s.col4row[i] = UNMATCHED;
            } else if j != NONE {
                s.link(i as u32, j);
                s.cols[j as usize].spare -= 1;
            }
        }
        s
    }

    /// Places every row not placed yet, one shortest augmenting path each; false if
    /// one cannot be placed ([`Mode::Perfect`] only).
    pub fn place_free<W: Weight>(&mut self, p: &Problem<'_, W>) -> bool {
        for r in 0..p.n_rows {
            if self.col4row[r] == NONE && !self.augment(p, r as u32) {
                return false;
            }
        }
        true
    }

    /// The assignment and its duals.
    pub fn into_solution(self) -> Solution {
        Solution {
            col4row: self.col4row,
            u: self.u,
            v: self.cols.iter().map(|c| c.v).collect(),
        }
    }

    /// A new search: every column's distance becomes stale.
    pub fn next_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            for c in &mut self.cols {
                c.seen = 0;
            }
            self.epoch = 1;
        }
    }

    /// One shortest augmenting path from row `r`. Returns false if none exists.
    fn augment<W: Weight>(&mut self, p: &Problem<'_, W>, r: u32) -> bool {
        self.next_epoch();
        self.heap.clear();
        self.scanned_rows.clear();
        self.done_cols.clear();

        let mut best_d = i64::MAX;
        let mut best = Sink::None;
        if p.mode == Mode::AllowUnmatched {
            // The source's own dummy: reduced cost 0 - u[r] - 0, and u[r] is 0.
            best_d = -self.u[r as usize];
            best = Sink::Dummy(r);
        }
        self.dist_row[r as usize] = 0;
        self.scanned_rows.push(r);
        self.scan_row(p, r, 0, &mut best_d, &mut best);

        while let Some((d, j)) = self.heap.pop() {
            if d >= best_d {
                break;
            }
            let ju = j as usize;
            let col = &mut self.cols[ju];
            // Stale entries carry an old distance; a column's final distance is pushed
            // once (pushes happen only on strict improvement), so it pops once.
            if d != col.dist {
                continue;
            }
            self.done_cols.push(j);
            let mut i = self.head[ju];
            while i != NONE {
                let iu = i as usize;
                self.dist_row[iu] = d;
                self.scanned_rows.push(i);
                if p.mode == Mode::AllowUnmatched {
                    let cand = d - self.u[iu];
                    if cand < best_d {
                        best_d = cand;
                        best = Sink::Dummy(i);
                    }
                }
                self.scan_row(p, i, d, &mut best_d, &mut best);
                i = self.next[iu];
            }
        }
        if matches!(best, Sink::None) {
            return false;
        }

        // Dual update: keeps reduced costs non-negative and makes the path tight.
        for &i in &self.scanned_rows {
            self.u[i as usize] += best_d - self.dist_row[i as usize];
        }
        for &j in &self.done_cols {
            let col = &mut self.cols[j as usize];
            col.v -= best_d - col.dist;
        }

        // Flip the path.
        let mut j = match best {
            Sink::None => unreachable!("checked above"),
            Sink::Col(j) => {
                self.cols[j as usize].spare -= 1;
                j
            }
            Sink::Dummy(i) => {
                let old = self.col4row[i as usize];
                if old != NONE {
                    self.unlink(i, old);
                }
                self.col4row[i as usize] = UNMATCHED;
                if i == r {
                    return true;
                }
                old
            }
        };
        loop {
            let i = self.cols[j as usize].pred;
            let old = self.col4row[i as usize];
            if old != NONE {
                self.unlink(i, old);
            }
            self.link(i, j);
            if i == r {
                return true;
            }
            j = old;
        }
    }

    #[inline]
    fn scan_row<W: Weight>(&mut self, p: &Problem<'_, W>, i: u32, d: i64, best_d: &mut i64, best: &mut Sink) {
        let row = match p.base {
            Some(b) => b[i as usize] as usize,
            None => i as usize,
        };
        // `h` folds the row's dual and the offset; locals keep the loop's state in
        // registers.
        let h = d - self.u[i as usize] + p.offset;
        let arcs = &p.arcs[p.offsets[row]..p.offsets[row + 1]];
        let (cols, epoch) = (&mut self.cols[..], self.epoch);
        let mut bd = *best_d;
        for a in arcs {
            let col = &mut cols[a.col as usize];
            // A finalised column needs no check: every row scanned after it is at
            // least as far, and reduced costs are non-negative, so `nd >= col.dist`.
            let nd = h + a.cost.into() - col.v;
            // A column reached at or beyond the best end found so far can matter
            // neither as an end nor as a step: skip it (the best end only improves).
            if nd < bd && (col.seen != epoch || nd < col.dist) {
                col.seen = epoch;
                col.dist = nd;
                col.pred = i;
                if col.spare > 0 {
                    bd = nd;
                    *best = Sink::Col(a.col);
                } else {
                    self.heap.push(nd, a.col);
                }
            }
        }
        *best_d = bd;
    }

    pub fn link(&mut self, i: u32, j: u32) {
        self.col4row[i as usize] = j;
        self.next[i as usize] = self.head[j as usize];
        self.head[j as usize] = i;
    }

    pub fn unlink(&mut self, i: u32, j: u32) {
        let ju = j as usize;
        if self.head[ju] == i {
            self.head[ju] = self.next[i as usize];
        } else {
            let mut k = self.head[ju];
            while self.next[k as usize] != i {
                k = self.next[k as usize];
            }
            self.next[k as usize] = self.next[i as usize];
        }
        self.next[i as usize] = NONE;
        self.col4row[i as usize] = NONE;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem<'a>(targets: &'a [u32], weights: &'a [i64], sign: i64) -> Problem<'a> {
        Problem {
            offsets: &[0, 2],
            targets,
            weights,
            arcs: &[],
            base: None,
            n_rows: 1,
            col_cap: &[1, 1],
            sign,
            offset: 0,
            mode: Mode::AllowUnmatched,
        }
    }

    /// The arcs carry `sign * w`: narrowed to `i32` only when that product fits, which
    /// `i32::MIN` does not once negated.
    #[test]
    fn arcs_are_narrowed_only_when_every_signed_cost_fits() {
        let (targets, weights) = ([1u32, 0], [i64::from(i32::MIN), 5]);
        let costs = |a: &[Arc<i32>]| a.iter().map(|a| (a.col, a.cost)).collect::<Vec<_>>();
        match arcs(&problem(&targets, &weights, 1)) {
            Ok(a) => assert_eq!(costs(&a), vec![(1, i32::MIN), (0, 5)]),
            Err(_) => panic!("every cost fits in i32"),
        }
        match arcs(&problem(&targets, &weights, -1)) {
            Ok(_) => panic!("-i32::MIN does not fit in i32"),
            Err(a) => assert_eq!(
                a.iter().map(|a| (a.col, a.cost)).collect::<Vec<_>>(),
                vec![(1, 1i64 << 31), (0, -5)]
            ),
        }
    }
}
