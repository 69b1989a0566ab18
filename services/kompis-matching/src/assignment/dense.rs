//! The Jonker-Volgenant algorithm for the dense square linear assignment problem.
//!
//! R. Jonker and A. Volgenant, "A shortest augmenting path algorithm for dense and
//! sparse linear assignment problems", Computing 38 (1987) 325-340. Three phases:
//! column reduction with reduction transfer, two passes of augmenting row reduction
//! (an auction-like phase that assigns most rows cheaply), then a shortest augmenting
//! path (Dijkstra on reduced costs, O(n²) per path) for every row still free. The
//! reduced cost of `(i, j)` is `c[i][j] - v[j]`; row duals are implicit.

const NONE: usize = usize::MAX;

#[inline(always)]
fn at<C: Copy + Into<i64>>(c: C) -> i64 {
    c.into()
}

/// Solves the square problem; returns the column of each row.
pub(crate) fn solve<C: Copy + Into<i64>>(n: usize, cost: &[C]) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    if n == 1 {
        return vec![0];
    }
    let mut x = vec![NONE; n]; // column of row
    let mut y = vec![NONE; n]; // row of column
    let mut v = vec![i64::MAX; n];
    let mut free_rows = column_reduction(n, cost, &mut x, &mut y, &mut v);
    for _ in 0..2 {
        if free_rows.is_empty() {
            break;
        }
        free_rows = augmenting_row_reduction(n, cost, free_rows, &mut x, &mut y, &mut v);
    }
    let mut aug = Augmenter {
        cols: vec![0; n],
        d: vec![0; n],
        pred: vec![0; n],
    };
    for &free_i in &free_rows {
        let mut j = aug.find_path(n, cost, free_i, &y, &mut v);
        loop {
            let i = aug.pred[j];
            y[j] = i;
            std::mem::swap(&mut j, &mut x[i]);
            if i == free_i {
                break;
            }
        }
    }
    x
}

/// Column reduction and reduction transfer. Returns the rows left free.
fn column_reduction<C: Copy + Into<i64>>(
    n: usize,
    cost: &[C],
    x: &mut [usize],
    y: &mut [usize],
    v: &mut [i64],
) -> Vec<usize> {
    // Row-major scan (cache friendly); the first row wins a tie.
    for (i, row) in cost.chunks_exact(n).enumerate() {
        for ((vj, yj), &c) in v.iter_mut().zip(y.iter_mut()).zip(row) {
            let c: i64 = at(c);
            if c < *vj {
                *vj = c;
                *yj = i;
            }
        }
    }
    let mut unique = vec![true; n];
    for j in (0..n).rev() {
        let i = y[j];
        if x[i] == NONE {
            x[i] = j;
        } else {
            unique[i] = false;
            y[j] = NONE;
        }
    }
    let mut free_rows = Vec::new();
    for i in 0..n {
        if x[i] == NONE {
            free_rows.push(i);
        } else if unique[i] {
            // Reduction transfer: lower v[j] by the row's second smallest reduced cost.
            let j = x[i];
            let row = &cost[i * n..(i + 1) * n];
            let mut min = i64::MAX;
            for (j2, (&c, &vj)) in row.iter().zip(v.iter()).enumerate() {
                if j2 != j {
                    min = min.min(at(c) - vj);
                }
            }
            v[j] -= min;
        }
    }
    free_rows
}

/// One pass of augmenting row reduction. Returns the rows still free.
fn augmenting_row_reduction<C: Copy + Into<i64>>(
    n: usize,
    cost: &[C],
    mut free_rows: Vec<usize>,
    x: &mut [usize],
    y: &mut [usize],
    v: &mut [i64],
) -> Vec<usize> {
    let n_free = free_rows.len();
    let mut current = 0usize;
    let mut new_free = 0usize;
    let mut rr_cnt = 0usize;
    while current < n_free {
        rr_cnt += 1;
        let free_i = free_rows[current];
        current += 1;
        let row = &cost[free_i * n..(free_i + 1) * n];
        // Smallest and second smallest reduced cost of the row.
        let mut j1 = 0usize;
        let mut v1 = at(row[0]) - v[0];
        let mut j2 = NONE;
        let mut v2 = i64::MAX;
        for j in 1..n {
            let c = at(row[j]) - v[j];
            if c < v2 {
                if c >= v1 {
                    v2 = c;
                    j2 = j;
                } else {
                    v2 = v1;
                    v1 = c;
                    j2 = j1;
                    j1 = j;
                }
            }
        }
        let mut i0 = y[j1];
        let v1_new = v[j1] - (v2 - v1);
        let v1_lowers = v1_new < v[j1];
        if rr_cnt < current * n {
            if v1_lowers {
                v[j1] = v1_new;
            } else if i0 != NONE && j2 != NONE {
                j1 = j2;
                i0 = y[j2];
            }
            if i0 != NONE {
                if v1_lowers {
                    current -= 1;
                    free_rows[current] = i0;
                } else {
                    free_rows[new_free] = i0;
                    new_free += 1;
                }
            }
        } else if i0 != NONE {
            free_rows[new_free] = i0;
            new_free += 1;
        }
        x[free_i] = j1;
        y[j1] = free_i;
        if i0 != NONE {
            x[i0] = NONE;
        }
    }
    free_rows.truncate(new_free);
    free_rows
}

struct Augmenter {
    cols: Vec<usize>,
    d: Vec<i64>,
    pred: Vec<usize>,
}

impl Augmenter {
    /// Dijkstra from `start_i` in the dense reduced-cost graph; returns a free column
    /// at the end of a shortest path and updates the column duals.
    fn find_path<C: Copy + Into<i64>>(
        &mut self,
        n: usize,
        cost: &[C],
        start_i: usize,
        y: &[usize],
        v: &mut [i64],
    ) -> usize {
        let row = &cost[start_i * n..(start_i + 1) * n];
        for j in 0..n {
            self.cols[j] = j;
            self.pred[j] = start_i;
            self.d[j] = at(row[j]) - v[j];
        }
        let (mut lo, mut hi, mut n_ready) = (0usize, 0usize, 0usize);
        let mut final_j = NONE;
        while final_j == NONE {
            if lo == hi {
                n_ready = lo;
                hi = self.find_min(n, lo);
                for k in lo..hi {
                    if y[self.cols[k]] == NONE {
                        final_j = self.cols[k];
                    }
                }
            }
            if final_j == NONE {
                final_j = self.scan(n, cost, &mut lo, &mut hi, y, v);
            }
        }
        // The path's end was reached at the current minimal distance.
        let mind = self.d[final_j];
        for k in 0..n_ready {
            let j = self.cols[k];
            v[j] += self.d[j] - mind;
        }
        final_j
    }

    /// Moves the columns of minimal `d` among `cols[lo..]` to `cols[lo..hi]`; returns `hi`.
    fn find_min(&mut self, n: usize, lo: usize) -> usize {
        let start = lo + 1;
        let mut hi = start;
        let mut mind = self.d[self.cols[lo]];
        for k in start..n {
            let j = self.cols[k];
            let dj = self.d[j];
            if dj <= mind {
                if dj < mind {
                    hi = lo;
                    mind = dj;
                }
                self.cols[k] = self.cols[hi];
                self.cols[hi] = j;
                hi += 1;
            }
        }
        hi
    }

    /// Scans the columns in `cols[lo..hi]`; returns a free column reached at the
    /// minimal distance, if any.
    fn scan<C: Copy + Into<i64>>(
        &mut self,
        n: usize,
        cost: &[C],
        lo: &mut usize,
        hi: &mut usize,
        y: &[usize],
        v: &[i64],
    ) -> usize {
        while *lo != *hi {
            let j = self.cols[*lo];
            *lo += 1;
            let i = y[j];
            let mind = self.d[j];
            let row = &cost[i * n..(i + 1) * n];
            let h = at(row[j]) - v[j] - mind;
            for k in *hi..n {
                let j = self.cols[k];
                let cred = at(row[j]) - v[j] - h;
                if cred < self.d[j] {
                    self.d[j] = cred;
                    self.pred[j] = i;
                    if cred == mind {
                        if y[j] == NONE {
                            return j;
                        }
                        self.cols[k] = self.cols[*hi];
                        self.cols[*hi] = j;
                        *hi += 1;
                    }
                }
            }
        }
        NONE
    }
}
