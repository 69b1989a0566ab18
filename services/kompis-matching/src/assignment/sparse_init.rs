//! Jonker-Volgenant initialisation for the sparse square problem: column reduction,
//! reduction transfer and two passes of augmenting row reduction (as in LAPMOD,
//! Volgenant 1996), producing a partial assignment and duals for the shortest
//! augmenting path phase.

use super::sparse::NONE;

/// Returns `(col4row, u, v)`: a partial assignment in which every assigned row sits on
/// a column of least reduced cost `c - v`, and `u[i]` that least reduced cost (0 for
/// free rows). Cost: O(n + E) per pass, a bounded number of passes.
pub(crate) fn jv_init(
    n: usize,
    offsets: &[usize],
    targets: &[u32],
    weights: &[i64],
) -> (Vec<u32>, Vec<i64>, Vec<i64>) {
    let mut v = vec![i64::MAX; n];
    let mut y = vec![NONE; n];
    let mut x = vec![NONE; n];
    for i in 0..n {
        for k in offsets[i]..offsets[i + 1] {
            let j = targets[k] as usize;
            if weights[k] < v[j] {
                v[j] = weights[k];
                y[j] = i as u32;
            }
        }
    }
    for vj in v.iter_mut() {
        if *vj == i64::MAX {
            *vj = 0; // a column without edges
        }
    }
    let mut unique = vec![true; n];
    for j in (0..n).rev() {
        let i = y[j];
        if i == NONE {
            continue;
        }
        if x[i as usize] == NONE {
            x[i as usize] = j as u32;
        } else {
            unique[i as usize] = false;
            y[j] = NONE;
        }
    }
    let mut free_rows = Vec::new();
    for i in 0..n {
        if x[i] == NONE {
            free_rows.push(i as u32);
        } else if unique[i] {
            let j = x[i] as usize;
            let mut min = i64::MAX;
            for k in offsets[i]..offsets[i + 1] {
                let j2 = targets[k] as usize;
                if j2 != j {
                    min = min.min(weights[k] - v[j2]);
                }
            }
            if min != i64::MAX {
                v[j] -= min;
            }
        }
    }
    for _ in 0..2 {
        free_rows = arr(n, offsets, targets, weights, free_rows, &mut x, &mut y, &mut v);
    }
    // Row duals; drop a row that is not on a least reduced cost column (never expected).
    let mut u = vec![0i64; n];
    for i in 0..n {
        if x[i] == NONE {
            continue;
        }
        let mut min = i64::MAX;
        let mut own = i64::MAX;
        for k in offsets[i]..offsets[i + 1] {
            let j = targets[k] as usize;
            let r = weights[k] - v[j];
            min = min.min(r);
            if j == x[i] as usize {
                own = own.min(r);
            }
        }
        if own == min {
            u[i] = min;
        } else {
            y[x[i] as usize] = NONE;
            x[i] = NONE;
        }
    }
    (x, u, v)
}

#[allow(clippy::too_many_arguments)]
fn arr(
    n: usize,
    offsets: &[usize],
    targets: &[u32],
    weights: &[i64],
    mut free_rows: Vec<u32>,
    x: &mut [u32],
    y: &mut [u32],
    v: &mut [i64],
) -> Vec<u32> {
    let n_free = free_rows.len();
    let mut current = 0usize;
    let mut new_free = 0usize;
    let mut rr_cnt = 0usize;
    while current < n_free {
        rr_cnt += 1;
        let free_i = free_rows[current] as usize;
        current += 1;
        let (lo, hi) = (offsets[free_i], offsets[free_i + 1]);
        if lo == hi {
            free_rows[new_free] = free_i as u32;
            new_free += 1;
            continue;
        }
        let mut j1 = NONE;
        let mut v1 = i64::MAX;
        let mut j2 = NONE;
        let mut v2 = i64::MAX;
        for k in lo..hi {
            let j = targets[k];
            let c = weights[k] - v[j as usize];
            if c < v2 {
                if c >= v1 {
                    if j != j1 {
                        v2 = c;
                        j2 = j;
                    }
                } else {
                    if j != j1 {
                        v2 = v1;
                        j2 = j1;
                    }
                    v1 = c;
                    j1 = j;
                }
            }
        }
        if j2 == NONE {
            v2 = v1;
        }
        let mut j1 = j1 as usize;
        let mut i0 = y[j1];
        let v1_new = v[j1] - (v2 - v1);
        let v1_lowers = v1_new < v[j1];
        if rr_cnt < current * n {
            if v1_lowers {
                v[j1] = v1_new;
            } else if i0 != NONE && j2 != NONE {
                j1 = j2 as usize;
                i0 = y[j1];
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
        if i0 != NONE {
            x[i0 as usize] = NONE;
        }
        x[free_i] = j1 as u32;
        y[j1] = free_i as u32;
    }
    free_rows.truncate(new_free);
    free_rows
}
