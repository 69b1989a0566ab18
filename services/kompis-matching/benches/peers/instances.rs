//! Seeded benchmark instances and the file format shared with the Python peers.
//!
//! File format (all integers little-endian):
//!
//! ```text
//! magic    8 bytes  "KMPI0001"
//! kind     u64      0 = dense min-cost perfect assignment (n x n, all edges)
//!                   1 = sparse min-cost perfect assignment
//!                   2 = max-cardinality, then max-weight matching, right capacities
//! n_rows   u64
//! n_cols   u64
//! n_edges  u64
//! rows     u32 x n_edges
//! cols     u32 x n_edges
//! weights  i64 x n_edges   (costs for kinds 0 and 1, weights for kind 2)
//! capacity u32 x n_cols    (1 for kinds 0 and 1)
//! ```

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::path::Path;

/// SplitMix64: a tiny seeded generator, enough for reproducible instances.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub kind: u64,
    pub n_rows: usize,
    pub n_cols: usize,
    pub rows: Vec<u32>,
    pub cols: Vec<u32>,
    pub weights: Vec<i64>,
    pub capacity: Vec<u32>,
}

pub const DENSE: u64 = 0;
pub const SPARSE: u64 = 1;
pub const CAPACITY: u64 = 2;

/// Dense n x n, integer costs uniform in 0..10_000.
pub fn dense(n: usize, seed: u64) -> Instance {
    let mut rng = Rng::new(seed);
    let mut inst = Instance {
        kind: DENSE,
        n_rows: n,
        n_cols: n,
        rows: Vec::with_capacity(n * n),
        cols: Vec::with_capacity(n * n),
        weights: Vec::with_capacity(n * n),
        capacity: vec![1; n],
    };
    for i in 0..n {
        for j in 0..n {
            inst.rows.push(i as u32);
            inst.cols.push(j as u32);
            inst.weights.push(rng.below(10_000) as i64);
        }
    }
    inst
}

/// Sparse n x n with `deg` distinct candidates per row, one of them on a hidden random
/// permutation (so that a perfect assignment exists); costs uniform in 0..10_000.
pub fn sparse(n: usize, deg: usize, seed: u64) -> Instance {
    let mut rng = Rng::new(seed);
    let mut perm: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        perm.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut inst = Instance {
        kind: SPARSE,
        n_rows: n,
        n_cols: n,
        rows: Vec::with_capacity(n * deg),
        cols: Vec::with_capacity(n * deg),
        weights: Vec::with_capacity(n * deg),
        capacity: vec![1; n],
    };
    let mut row: Vec<u32> = Vec::with_capacity(deg);
    for (i, &p) in perm.iter().enumerate() {
        row.clear();
        row.push(p);
        while row.len() < deg.min(n) {
            let j = rng.below(n as u64) as u32;
            if !row.contains(&j) {
                row.push(j);
            }
        }
        row.sort_unstable(); // lapmod wants sorted column indices
        for &j in &row {
            inst.rows.push(i as u32);
            inst.cols.push(j);
            inst.weights.push(rng.below(10_000) as i64);
        }
    }
    inst
}

/// Newcomers (rows) and residents (columns, capacity 1 or 2) spread over regions of
/// very different sizes (a few big cities, many small towns); each newcomer has `deg`
/// distinct candidates among the residents of its own region, weights (scores) uniform
/// in 0..1_000.
pub fn capacity(n_rows: usize, n_cols: usize, deg: usize, seed: u64) -> Instance {
    let mut rng = Rng::new(seed);
    // Region sizes follow 1/rank (Zipf), 300 regions.
    let n_regions = 300usize;
    let shares: Vec<f64> = (1..=n_regions).map(|r| 1.0 / r as f64).collect();
    let total: f64 = shares.iter().sum();
    let split = |n: usize| -> Vec<usize> {
        let mut starts = vec![0usize; n_regions + 1];
        let mut acc = 0.0;
        for r in 0..n_regions {
            acc += shares[r] / total;
            starts[r + 1] = ((acc * n as f64).round() as usize).min(n);
        }
        starts[n_regions] = n;
        starts
    };
    let row_starts = split(n_rows);
    let col_starts = split(n_cols);
    let mut inst = Instance {
        kind: CAPACITY,
        n_rows,
        n_cols,
        rows: Vec::with_capacity(n_rows * deg),
        cols: Vec::with_capacity(n_rows * deg),
        weights: Vec::with_capacity(n_rows * deg),
        capacity: (0..n_cols).map(|_| 1 + rng.below(2) as u32).collect(),
    };
    let mut row: Vec<u32> = Vec::with_capacity(deg);
    for r in 0..n_regions {
        let (c0, c1) = (col_starts[r], col_starts[r + 1]);
        for i in row_starts[r]..row_starts[r + 1] {
            row.clear();
            let width = c1 - c0;
            if width == 0 {
                continue;
            }
            while row.len() < deg.min(width) {
                let j = (c0 + rng.below(width as u64) as usize) as u32;
                if !row.contains(&j) {
                    row.push(j);
                }
            }
            row.sort_unstable();
            for &j in &row {
                inst.rows.push(i as u32);
                inst.cols.push(j);
                inst.weights.push(rng.below(1_000) as i64);
            }
        }
    }
    inst
}

pub fn write(inst: &Instance, path: &Path) -> io::Result<()> {
    let mut out = Vec::with_capacity(40 + inst.rows.len() * 16 + inst.n_cols * 4);
    out.extend_from_slice(b"KMPI0001");
    for x in [
        inst.kind,
        inst.n_rows as u64,
        inst.n_cols as u64,
        inst.rows.len() as u64,
    ] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    inst.rows
        .iter()
        .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    inst.cols
        .iter()
        .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    inst.weights
        .iter()
        .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    inst.capacity
        .iter()
        .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    std::fs::File::create(path)?.write_all(&out)
}

pub fn read(path: &Path) -> io::Result<Instance> {
    let mut buf = Vec::new();
    std::fs::File::open(path)?.read_to_end(&mut buf)?;
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "not a KMPI0001 instance");
    if buf.len() < 40 || &buf[..8] != b"KMPI0001" {
        return Err(bad());
    }
    let u64_at = |at: usize| u64::from_le_bytes(buf[at..at + 8].try_into().unwrap());
    let (kind, n_rows, n_cols, m) = (
        u64_at(8),
        u64_at(16) as usize,
        u64_at(24) as usize,
        u64_at(32) as usize,
    );
    if buf.len() != 40 + m * 16 + n_cols * 4 {
        return Err(bad());
    }
    let u32s = |at: usize, n: usize| -> Vec<u32> {
        buf[at..at + 4 * n]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect()
    };
    let rows = u32s(40, m);
    let cols = u32s(40 + 4 * m, m);
    let weights = buf[40 + 8 * m..40 + 16 * m]
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let capacity = u32s(40 + 16 * m, n_cols);
    Ok(Instance {
        kind,
        n_rows,
        n_cols,
        rows,
        cols,
        weights,
        capacity,
    })
}
