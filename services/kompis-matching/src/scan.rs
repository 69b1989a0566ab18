//! The pool of a round and its scans over every admissible pair: candidate
//! generation, the pricing check against the assignment's duals, and the reasons
//! newcomers are left waiting.
//!
//! Pairs are found without looking at N × R pairs:
//!
//! * in person, within the distance limit: residents are bucketed in a grid of cells
//!   half a maximum distance wide and, within a cell, in runs of one place (a
//!   district). Newcomers are taken in the same spatial order, a few dozen of one
//!   place at a time (a "unit"), so that each unit computes one distance per resident
//!   run in the 5×5 cells around it and shares it. The pair rules of a newcomer
//!   against a run are read from bit sets over resident positions (`filter`), and
//!   only the residents who pass are scored;
//! * online, beyond the limit (one wants online only, the other accepts online): two
//!   lists of residents in runs of one place, those who accept online and those who
//!   want online only. A newcomer who wants online only reads the first, one who
//!   accepts both ways the second, one who wants to meet in person neither. Runs
//!   within the limit are skipped there (the grid has them).
//!
//! Units are shared out to the threads through an atomic counter and their results
//! put back in unit order, so the outcome does not depend on scheduling.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering as AtomicOrdering};

use crate::config::Config;
use crate::control::{Cancelled, Progress};
use crate::filter::RuleBits;
use crate::geo::{self, Grid};
use crate::kernel::{self, Dynamic, Fixed, Tables, Words};
use crate::model::{Exclusions, Participant, Role};
use crate::prep::{self, Dict, Side};
use crate::score::Points;
use crate::score::{self, Violation};

/// A pair `(newcomer, resident, score)` by indices.
pub(crate) type Edge = (u32, u32, i64);

/// Positions of residents, and runs of one place into them.
type Runs = (Vec<u32>, Vec<(u32, u32)>);

/// The lists a run of residents is on: the grid (runs start at a position), and the
/// two online lists (runs start at an index into the list).
const GRID: usize = 0;
const ONLINE_ANY: usize = 1;
const ONLINE_ONLY: usize = 2;

/// Newcomers of one place handled as one piece of work.
const UNIT: usize = 48;

/// A pool: everyone ready, prepared for the kernel.
#[derive(Debug)]
pub(crate) struct Pool<'a> {
    pub config: &'a Config,
    /// Ready newcomers, by id.
    pub newcomers: Vec<&'a Participant>,
    /// Ready residents, by id.
    pub residents: Vec<&'a Participant>,
    pub capacity: Vec<u32>,
    pub tables: Tables,
    words: usize,
    /// Newcomers by index (id order).
    n: Side,
    /// Residents by grid position.
    r: Side,
    /// `r_index[pos]`: the resident (id order) at grid position `pos`, and back.
    pub r_index: Vec<u32>,
    pos_of: Vec<u32>,
    grid: Grid,
    /// Online lists: positions, and runs of one place into them.
    online_any: Runs,
    online_only: Runs,
    hav_max: f64,
    /// Excluded pairs as sorted (newcomer index, resident position).
    excluded: Vec<(u32, u32)>,
    /// Newcomer indices in spatial order, and units as ranges into it.
    n_order: Vec<u32>,
    units: Vec<(u32, u32)>,
    /// The pair rules as bit sets over resident positions, where they can be read
    /// that way (languages in one word, at most one common slot required).
    rule_bits: Option<RuleBits>,
    /// Where `rule_bits` is built: the residents by grid position as the one-word
    /// scorer reads them, and its tables.
    lean: Option<(kernel::LeanTables, Vec<kernel::Lean>)>,
}

/// A candidate in best-first order: higher score, then lower index (= lower id),
/// packed in one integer so that a comparison is one instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Cand(u64);

impl Cand {
    /// Worse than every candidate.
    pub const NONE: Self = Self(0);

    #[inline(always)]
    pub fn new(score: i32, idx: u32) -> Self {
        Self(((score as u32 ^ 0x8000_0000) as u64) << 32 | u64::from(u32::MAX - idx))
    }

    #[inline(always)]
    pub fn score(self) -> i32 {
        ((self.0 >> 32) as u32 ^ 0x8000_0000) as i32
    }

    #[inline(always)]
    pub fn idx(self) -> u32 {
        u32::MAX - self.0 as u32
    }
}

/// Keeps the `k` best candidates seen (a bounded min-heap). The kept set depends only
/// on the set offered, not on the order, because the order on candidates is total.
#[derive(Debug, Default, Clone)]
pub(crate) struct TopK(BinaryHeap<Reverse<Cand>>);

impl TopK {
    /// Offers a candidate; returns the bar a candidate must now beat to be kept
    /// ([`Cand::NONE`] while there is room).
    pub fn offer(&mut self, c: Cand, k: usize) -> Cand {
        if k == 0 {
            return Cand(u64::MAX);
        }
        if self.0.len() < k {
            self.0.push(Reverse(c));
        } else if let Some(mut worst) = self.0.peek_mut()
            && c > worst.0
        {
            // Replacing the top sifts down once (cheaper than a pop and a push).
            *worst = Reverse(c);
        }
        match self.0.peek() {
            Some(Reverse(worst)) if self.0.len() >= k => *worst,
            _ => Cand::NONE,
        }
    }

    #[cfg(test)]
    pub fn into_vec(self) -> Vec<Cand> {
        self.0.into_iter().map(|Reverse(c)| c).collect()
    }
}

/// The `k` best candidates of each of `n` lists (the residents' lists of newcomers),
/// kept where they are offered often: as bounded min-heaps in one flat array when
/// `k` is small (no allocation per list, and an offer follows no pointer), else one
/// [`TopK`] per list (so that memory grows with the candidates kept, not `n · k`).
/// The kept set of a list depends only on the set offered to it.
#[derive(Debug, Clone)]
pub(crate) enum TopKs {
    /// Heap `x` is `items[x * k..x * k + len[x]]`.
    Flat {
        k: usize,
        len: Vec<u32>,
        items: Vec<Cand>,
    },
    Heaps {
        k: usize,
        heaps: Vec<TopK>,
    },
}

impl TopKs {
    /// Lists of at most this many candidates are kept flat.
    const FLAT: usize = 64;

    pub fn new(n: usize, k: usize) -> Self {
        if k <= Self::FLAT {
            Self::Flat {
                k,
                len: vec![0; n],
                items: vec![Cand::NONE; n * k],
            }
        } else {
            Self::Heaps {
                k,
                heaps: vec![TopK::default(); n],
            }
        }
    }

    /// Offers a candidate to list `x`; returns the bar a candidate must now beat to
    /// be kept in it ([`Cand::NONE`] while there is room). Cost: O(log k).
    #[inline]
    pub fn offer(&mut self, x: usize, c: Cand) -> Cand {
        match self {
            Self::Heaps { k, heaps } => heaps[x].offer(c, *k),
            Self::Flat { k, len, items } => {
                let k = *k;
                if k == 0 {
                    return Cand(u64::MAX);
                }
                let heap = &mut items[x * k..(x + 1) * k];
                let n = len[x] as usize;
                if n < k {
                    let mut at = n;
                    while at > 0 {
                        let parent = (at - 1) / 2;
                        if heap[parent] <= c {
                            break;
                        }
                        heap[at] = heap[parent];
                        at = parent;
                    }
                    heap[at] = c;
                    len[x] += 1;
                    return if n + 1 == k { heap[0] } else { Cand::NONE };
                }
                if c > heap[0] {
                    // Replace the worst and sift it down.
                    let mut at = 0;
                    loop {
                        let left = 2 * at + 1;
                        if left >= k {
                            break;
                        }
                        let right = left + 1;
                        let child = if right < k && heap[right] < heap[left] {
                            right
                        } else {
                            left
                        };
                        if heap[child] >= c {
                            break;
                        }
                        heap[at] = heap[child];
                        at = child;
                    }
                    heap[at] = c;
                }
                heap[0]
            }
        }
    }

    /// The number of candidates kept in all lists. Cost: O(n).
    pub fn kept(&self) -> usize {
        match self {
            Self::Heaps { heaps, .. } => heaps.iter().map(|h| h.0.len()).sum(),
            Self::Flat { len, .. } => len.iter().map(|&l| l as usize).sum(),
        }
    }

    /// Calls `f` with each candidate kept in list `x`, in no particular order,
    /// without copying the list.
    pub fn for_each(&self, x: usize, mut f: impl FnMut(Cand)) {
        match self {
            Self::Heaps { heaps, .. } => heaps[x].0.iter().for_each(|r| f(r.0)),
            Self::Flat { k, len, items } => items[x * k..x * k + len[x] as usize].iter().for_each(|&c| f(c)),
        }
    }

    /// The candidates kept in list `x`, in no particular order.
    #[cfg(test)]
    pub fn list(&self, x: usize) -> Vec<Cand> {
        match self {
            Self::Heaps { heaps, .. } => heaps[x].clone().into_vec(),
            Self::Flat { k, len, items } => items[x * k..x * k + len[x] as usize].to_vec(),
        }
    }
}

/// Reach of one unit: resident runs within the limit with their distance points, and
/// online runs beyond it (indices into the online lists).
#[derive(Debug, Default)]
struct Reach {
    near: Vec<(u32, u32, i32)>,
    far_any: Vec<(u32, u32)>,
    far_only: Vec<(u32, u32)>,
    checked_near: u64,
}

/// What the candidate scan found.
#[derive(Debug)]
pub(crate) struct Candidates {
    /// `(newcomer, resident, score)`, sorted and distinct.
    pub edges: Vec<(u32, u32, i64)>,
    /// Admissible residents of each newcomer.
    pub deg_n: Vec<u32>,
    /// The worst score kept in each newcomer's list (every admissible pair left out
    /// scores at most this); meaningful where `deg_n > k`.
    pub bar_n: Vec<i32>,
    /// The same per resident (by index).
    pub deg_r: Vec<u32>,
    pub bar_r: Vec<i32>,
    pub pairs_checked: u64,
    pub pairs_admissible: u64,
}

/// Why a newcomer waits, before the assignment: the furthest rule any resident within
/// reach passes (see [`crate::WaitReason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Furthest {
    NoneWithinReach,
    WithinReach,
    SharedLanguage,
    CommonTime,
    HardWishes,
}

/// Runs `work` on every unit, on up to two threads; results in unit order.
///
/// Units are in spatial order, and the two threads take them from opposite ends
/// (one from the front, one from the back) until they meet: each works on its own
/// part of the map, so the residents whose lists and bars one thread updates are
/// rarely those the other reads (no cache lines passed between the cores), while
/// neither waits for the other at the end.
fn par_units<S: Send, T: Send>(
    n_units: usize,
    progress: &Progress,
    span: (u32, u32),
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize) -> T + Sync,
) -> Result<(Vec<S>, Vec<T>), Cancelled> {
    let threads = if n_units < 64 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
    };
    // The units not taken yet: `front..back`.
    let left = Mutex::new((0usize, n_units));
    let done = AtomicUsize::new(0);
    let failed = Mutex::new(false);
    let run = |from_back: bool| -> (S, Vec<(usize, T)>) {
        let mut state = init();
        let mut out = Vec::new();
        loop {
            let u = {
                let mut left = left.lock().unwrap_or_else(|e| e.into_inner());
                if left.0 >= left.1 {
                    break;
                }
                if from_back {
                    left.1 -= 1;
                    left.1
                } else {
                    left.0 += 1;
                    left.0 - 1
                }
            };
            if progress.is_cancelled() {
                *failed.lock().unwrap_or_else(|e| e.into_inner()) = true;
                break;
            }
            out.push((u, work(&mut state, u)));
            let finished = done.fetch_add(1, AtomicOrdering::Relaxed) + 1;
            if finished.is_multiple_of(64) {
                progress.advance(span.0 + ((span.1 - span.0) as usize * finished / n_units.max(1)) as u32);
            }
        }
        (state, out)
    };
    let parts: Vec<(S, Vec<(usize, T)>)> = if threads == 1 {
        vec![run(false)]
    } else {
        std::thread::scope(|s| {
            let back = s.spawn(|| run(true));
            let front = run(false);
            vec![front, back.join().expect("a scanning thread panicked")]
        })
    };
    if *failed.lock().unwrap_or_else(|e| e.into_inner()) {
        return Err(Cancelled);
    }
    let mut states = Vec::with_capacity(parts.len());
    let mut all: Vec<(usize, T)> = Vec::with_capacity(n_units);
    for (s, out) in parts {
        states.push(s);
        all.extend(out);
    }
    all.sort_unstable_by_key(|x| x.0);
    progress.advance(span.1);
    Ok((states, all.into_iter().map(|x| x.1).collect()))
}

/// Of pairs `(newcomer, resident, score, gain)`, those among the `per_vertex` of the
/// largest gain of their newcomer or of their resident (ties by indices), sorted. A
/// vertex with very many uncovered pairs (someone meeting online, reachable from the
/// whole country) needs only its best few to move its price, and the graph stays
/// small; the others are found again if they are still uncovered.
///
/// Also returns the newcomers of the uncovered pairs (gain above 0) left out, which
/// the next check must read again in full.
fn least_covered(all: Vec<(u32, u32, i64, i64)>, per_vertex: usize) -> (Vec<(u32, u32, i64)>, Vec<u32>) {
    let mut keep = vec![false; all.len()];
    let mut order: Vec<usize> = (0..all.len()).collect();
    for by_resident in [true, false] {
        let key = |x: usize| if by_resident { all[x].1 } else { all[x].0 };
        order.sort_unstable_by(|&a, &b| {
            key(a)
                .cmp(&key(b))
                .then(all[b].3.cmp(&all[a].3))
                .then((all[a].0, all[a].1).cmp(&(all[b].0, all[b].1)))
        });
        let mut run = 0;
        for x in 0..order.len() {
            run = if x > 0 && key(order[x]) == key(order[x - 1]) {
                run + 1
            } else {
                0
            };
            if run < per_vertex {
                keep[order[x]] = true;
            }
        }
    }
    let mut left_out: Vec<u32> = all
        .iter()
        .zip(&keep)
        .filter(|&(e, &k)| !k && e.3 > 0)
        .map(|(e, _)| e.0)
        .collect();
    left_out.sort_unstable();
    left_out.dedup();
    let mut out: Vec<(u32, u32, i64)> = all
        .into_iter()
        .zip(keep)
        .filter(|x| x.1)
        .map(|(e, _)| (e.0, e.1, e.2))
        .collect();
    out.sort_unstable();
    (out, left_out)
}

/// A resident's position on a run as a check reads it: the most a pair outside the
/// graph can gain there (`bar + m - q`, the resident's bar plus its slack, or
/// `i64::MIN` when all its pairs are in the graph), and the slack `m - q` alone.
#[derive(Debug, Clone, Copy)]
struct Bound {
    bar: i64,
    slack: i64,
    pos: u32,
}

/// What a check needs from the one before it, so that it reads only the pairs whose
/// cover can have changed: the prices it was made against, and the newcomers whose
/// uncovered pairs it left out. Every admissible pair outside the graph was covered
/// by those prices except pairs of those newcomers, and a price that did not fall
/// still covers what it covered, so only the pairs of those newcomers and of
/// newcomers or residents whose price fell can be uncovered now.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Since<'s> {
    /// The newcomers' prices then.
    pub p: &'s [i64],
    /// The residents' prices then.
    pub q: &'s [i64],
    /// Newcomers (sorted indices) whose uncovered pairs were left out.
    pub left_out: &'s [u32],
}

/// The candidate edges sorted by `(newcomer, resident)`, each once, from the
/// newcomers' own lists (`own`: edges `(newcomer, resident, score)`, each newcomer's
/// together, in any order) and the residents' lists (`per_resident`, by grid
/// position; `pos_of` gives a resident's position), each list holding a pair at most
/// once. A pair on both lists carries one score there.
///
/// Written newcomer by newcomer, each newcomer's own list sorted and merged with the
/// residents' entries (gathered by newcomer, in resident order), so that the output
/// is written in order; the two halves of the newcomers on two threads when there
/// are many edges, each reading the residents' lists and keeping its own.
fn gather(n_newcomers: usize, own: &[&[(u32, u32, i32)]], per_resident: &TopKs, pos_of: &[u32]) -> Vec<Edge> {
    let mut own_of: Vec<&[(u32, u32, i32)]> = vec![&[]; n_newcomers];
    let mut n_edges = 0;
    for &list in own {
        n_edges += list.len();
        for run in list.chunk_by(|a, b| a.0 == b.0) {
            own_of[run[0].0 as usize] = run;
        }
    }
    let own_of = own_of.as_slice();
    let part = |from: usize, to: usize| {
        let n = to - from;
        // The residents' entries of newcomers `from..to`, by newcomer.
        let mut start = vec![0usize; n + 1];
        for &pos in pos_of {
            per_resident.for_each(pos as usize, |x| {
                let k = (x.idx() as usize).wrapping_sub(from);
                if k < n {
                    start[k + 1] += 1;
                }
            });
        }
        for k in 0..n {
            start[k + 1] += start[k];
        }
        let mut fill = start.clone();
        let mut theirs = vec![(0u32, 0i32); start[n]];
        for (j, &pos) in pos_of.iter().enumerate() {
            per_resident.for_each(pos as usize, |x| {
                let k = (x.idx() as usize).wrapping_sub(from);
                if k < n {
                    theirs[fill[k]] = (j as u32, x.score());
                    fill[k] += 1;
                }
            });
        }
        let mut out: Vec<Edge> =
            Vec::with_capacity(start[n] + own_of[from..to].iter().map(|l| l.len()).sum::<usize>());
        let mut mine: Vec<(u32, i32)> = Vec::new();
        for k in 0..n {
            let i = (from + k) as u32;
            mine.clear();
            mine.extend(own_of[from + k].iter().map(|&(_, j, score)| (j, score)));
            mine.sort_unstable_by_key(|e| e.0);
            let theirs = &theirs[start[k]..start[k + 1]];
            let (mut a, mut b) = (0, 0);
            while a < mine.len() || b < theirs.len() {
                let e = if b == theirs.len() || (a < mine.len() && mine[a].0 <= theirs[b].0) {
                    // On both lists: one score, kept once.
                    if b < theirs.len() && mine[a].0 == theirs[b].0 {
                        b += 1;
                    }
                    a += 1;
                    mine[a - 1]
                } else {
                    b += 1;
                    theirs[b - 1]
                };
                out.push((i, e.0, i64::from(e.1)));
            }
        }
        out
    };
    if n_edges + per_resident.kept() < 1 << 16 {
        return part(0, n_newcomers);
    }
    let mid = n_newcomers / 2;
    let (mut low, high) = std::thread::scope(|s| {
        let h = s.spawn(|| part(mid, n_newcomers));
        (part(0, mid), h.join().expect("a gathering thread panicked"))
    });
    low.extend(high);
    low
}

/// Calls `f` with the kernel's word count as a type: fixed for 1, 2 and 4 words.
macro_rules! with_words {
    ($words:expr, $w:ident => $body:expr) => {
        match $words {
            1 => {
                let $w = Fixed::<1>;
                $body
            }
            2 => {
                let $w = Fixed::<2>;
                $body
            }
            4 => {
                let $w = Fixed::<4>;
                $body
            }
            n => {
                let $w = Dynamic(n);
                $body
            }
        }
    };
}

impl<'a> Pool<'a> {
    /// Filters who is ready (a repeated id is kept once), prepares both sides and the
    /// indexes. Cost: O((N + R) log(N + R) + (N + R)(L + I)).
    pub fn new(
        newcomers: &'a [Participant],
        residents: &'a [Participant],
        config: &'a Config,
        exclusions: &Exclusions,
    ) -> Self {
        let ready = |list: &'a [Participant], role: Role| -> Vec<&'a Participant> {
            let mut v: Vec<&Participant> = list
                .iter()
                .filter(|p| p.role == role && score::check_person(p, config).is_ok())
                .collect();
            v.sort_by_key(|p| p.id);
            v.dedup_by_key(|p| p.id);
            v
        };
        // The two sides are prepared on two threads where they are large (each step
        // needs only its own side, but the dictionary needs both).
        let big = newcomers.len() + residents.len() > 20_000;
        let both = |a: &(dyn Fn() -> Vec<&'a Participant> + Sync),
                    b: &(dyn Fn() -> Vec<&'a Participant> + Sync)| {
            if big {
                std::thread::scope(|s| {
                    let h = s.spawn(b);
                    (a(), h.join().expect("a preparing thread panicked"))
                })
            } else {
                (a(), b())
            }
        };
        let (newcomers, residents) = both(&|| ready(newcomers, Role::Newcomer), &|| {
            ready(residents, Role::Resident)
        });
        let capacity: Vec<u32> = residents.iter().map(|r| u32::from(r.free_capacity())).collect();

        let max_m = geo::km_to_m(config.rules.max_distance_km) as f64;
        let max_abs_lat = newcomers
            .iter()
            .chain(&residents)
            .map(|p| p.location.lat.abs())
            .fold(0.0f64, f64::max);
        let grid_of = |people: &[&Participant]| {
            let locations: Vec<_> = people.iter().map(|p| p.location).collect();
            Grid::new(&locations, max_m.max(1.0), max_abs_lat)
        };
        let sets = |side: &[&'a Participant]| prep::SideSets::new(side.iter().copied());
        let (n_sets, r_sets) = if big {
            std::thread::scope(|s| {
                let h = s.spawn(|| sets(&residents));
                (sets(&newcomers), h.join().expect("a preparing thread panicked"))
            })
        } else {
            (sets(&newcomers), sets(&residents))
        };
        let dict = Dict::shared(n_sets, &r_sets);
        let words = prep::kernel_words(dict.words);
        let r_side = |grid: &Grid| {
            Side::new(
                grid.order.iter().map(|&j| residents[j as usize]),
                &dict,
                words,
                config,
            )
        };
        let n_side = || {
            (
                grid_of(&newcomers),
                Side::new(newcomers.iter().copied(), &dict, words, config),
            )
        };
        let ((n_grid, n), (grid, r)) = if big {
            std::thread::scope(|s| {
                let h = s.spawn(n_side);
                let grid = grid_of(&residents);
                let r = r_side(&grid);
                (h.join().expect("a preparing thread panicked"), (grid, r))
            })
        } else {
            let grid = grid_of(&residents);
            let r = r_side(&grid);
            (n_side(), (grid, r))
        };
        let r_index = grid.order.clone();
        let mut pos_of = vec![0u32; residents.len()];
        for (pos, &j) in r_index.iter().enumerate() {
            pos_of[j as usize] = pos as u32;
        }
        let mut excluded: Vec<(u32, u32)> = exclusions
            .iter()
            .filter_map(|(a, b)| {
                let i = newcomers.binary_search_by_key(&a, |p| p.id).ok()?;
                let j = residents.binary_search_by_key(&b, |p| p.id).ok()?;
                Some((i as u32, pos_of[j]))
            })
            .collect();
        excluded.sort_unstable();

        let online = |want: fn(&kernel::Row) -> bool| {
            let mut positions = Vec::new();
            let mut runs = Vec::new();
            for &(first, end) in grid.runs() {
                let start = positions.len() as u32;
                positions.extend((first..end).filter(|&p| want(&r.rows[p as usize])));
                if positions.len() as u32 > start {
                    runs.push((start, positions.len() as u32));
                }
            }
            (positions, runs)
        };
        let (online_any, online_only) = if config.rules.online_beyond_distance {
            (
                online(kernel::Row::accepts_online),
                online(kernel::Row::meeting_online_only),
            )
        } else {
            Default::default()
        };

        let rule_bits = if words == 1 {
            let oldest_newcomer = newcomers.iter().map(|p| p.age).max().unwrap_or(0);
            RuleBits::new(
                &r.rows,
                (0..r.rows.len()).map(|pos| r.bits_of(pos)[0]),
                config.rules.min_common_slots,
                oldest_newcomer,
            )
        } else {
            None
        };
        let tables = Tables::new(config, words);
        let lean = rule_bits.as_ref().and_then(|_| {
            let residents = (0..r.rows.len())
                .map(|pos| kernel::Lean::new(&r.rows[pos], r.bits_of(pos)))
                .collect::<Option<Vec<_>>>()?;
            Some((kernel::LeanTables::new(&tables), residents))
        });
        let mut units = Vec::new();
        for &(first, end) in n_grid.runs() {
            let mut s = first;
            while s < end {
                let e = (s + UNIT as u32).min(end);
                units.push((s, e));
                s = e;
            }
        }
        Self {
            config,
            tables,
            newcomers,
            residents,
            capacity,
            words,
            n,
            r,
            r_index,
            pos_of,
            grid,
            online_any,
            online_only,
            hav_max: geo::hav_of_m(max_m),
            excluded,
            n_order: n_grid.order,
            units,
            rule_bits,
            lean,
        }
    }

    fn reach(&self, unit: usize) -> Reach {
        let (s, _) = self.units[unit];
        let i = self.n_order[s as usize] as usize;
        let here = &self.n.points[i];
        let loc = self.newcomers[i].location;
        let mut reach = Reach::default();
        self.grid.for_each_run_near(loc, |first, end| {
            reach.checked_near += u64::from(end - first);
            let a = here.hav(&self.r.points[first as usize]);
            if a <= self.hav_max {
                let pts = self.tables.distance_points(geo::m_of_hav(a));
                reach.near.push((first, end, pts));
            }
        });
        let far = |(positions, runs): &Runs, out: &mut Vec<(u32, u32)>| {
            for &(a, b) in runs {
                if here.hav(&self.r.points[positions[a as usize] as usize]) > self.hav_max {
                    out.push((a, b));
                }
            }
        };
        // Every newcomer of a unit is at one place, but their meeting preferences
        // differ: compute what any of them may need.
        let (s, e) = self.units[unit];
        let members = &self.n_order[s as usize..e as usize];
        if members
            .iter()
            .any(|&m| self.n.rows[m as usize].meeting_online_only())
        {
            far(&self.online_any, &mut reach.far_any);
        }
        if members.iter().any(|&m| {
            let r = &self.n.rows[m as usize];
            r.accepts_online() && r.accepts_in_person()
        }) {
            far(&self.online_only, &mut reach.far_only);
        }
        reach
    }

    /// Calls `f(pos, score)` for every admissible resident of newcomer `i` within
    /// `reach`. Returns the pairs looked at. `passed` is scratch space.
    ///
    /// Each run of residents is read twice: first every resident is tested against
    /// the pair rules without a branch, writing the offsets of those who pass into
    /// `passed` (a write per resident, the count advanced by the outcome), then only
    /// those are scored. About half the pairs within reach pass, in no order a branch
    /// predictor could learn, so testing and scoring in one loop would mispredict
    /// about every other pair.
    #[inline(always)]
    fn visit<W: Words>(
        &self,
        w: W,
        reach: &Reach,
        i: usize,
        passed: &mut Vec<u32>,
        mut f: impl FnMut(u32, i32),
    ) -> u64 {
        let t = &self.tables;
        let nr = &self.n.rows[i];
        let nb = self.n.bits_of(i);
        let lo = self.excluded.partition_point(|&(a, _)| (a as usize) < i);
        let hi = self.excluded.partition_point(|&(a, _)| (a as usize) <= i);
        let mine = &self.excluded[lo..hi];
        let mut checked = reach.checked_near;
        if let (Some(rule_bits), Some((lean_tables, lean))) = (&self.rule_bits, &self.lean) {
            // 64 residents of a run at a time against every pair rule, then only
            // those who pass are scored, with this newcomer's side of the score
            // computed once.
            let q = rule_bits.query(nr, nb[0], self.config.rules.min_common_slots);
            let scorer = kernel::Scorer::new(t, lean_tables, nr, nb);
            for &(first, end, dist_pts) in &reach.near {
                let (first, end) = (first as usize, end as usize);
                if first == end {
                    continue;
                }
                let (w0, w1) = (first / 64, (end - 1) / 64);
                for wi in w0..=w1 {
                    let mut m = rule_bits.mask(&q, wi);
                    if wi == w0 {
                        m &= !0u64 << (first % 64);
                    }
                    if end - wi * 64 < 64 {
                        m &= (1u64 << (end - wi * 64)) - 1;
                    }
                    while m != 0 {
                        let pos = wi * 64 + m.trailing_zeros() as usize;
                        m &= m - 1;
                        if !mine.is_empty() && mine.iter().any(|&(_, p)| p as usize == pos) {
                            continue;
                        }
                        f(pos as u32, scorer.score(&lean[pos], dist_pts));
                    }
                }
            }
        }
        for &(first, end, dist_pts) in reach.near.iter().filter(|_| self.lean.is_none()) {
            // Slices of the run, so that the loop needs no bounds checks.
            let (lo, hi) = (first as usize, end as usize);
            let stride = self.r.stride;
            let rows = &self.r.rows[lo..hi];
            let bits = &self.r.bits[lo * stride..hi * stride];
            if passed.len() < rows.len() {
                passed.resize(rows.len(), 0);
            }
            let mut n_passed = 0;
            for (k, (row, rb)) in rows.iter().zip(bits.chunks_exact(stride)).enumerate() {
                passed[n_passed] = k as u32;
                n_passed += usize::from(kernel::admissible(t, w, nr, nb, row, rb));
            }
            for &k in &passed[..n_passed] {
                let pos = first + k;
                if !mine.is_empty() && mine.iter().any(|&(_, p)| p == pos) {
                    continue;
                }
                let k = k as usize;
                let rb = &bits[k * stride..(k + 1) * stride];
                f(
                    pos,
                    kernel::score_of_admissible(t, w, nr, nb, &rows[k], rb, dist_pts),
                );
            }
        }
        // The online list this newcomer reads (by meeting preference), and the runs of
        // it beyond the limit.
        type Far<'r> = (usize, &'r Runs, &'r Vec<(u32, u32)>);
        let lists: &[Far<'_>] = if nr.meeting_online_only() {
            &[(ONLINE_ANY, &self.online_any, &reach.far_any)]
        } else if nr.accepts_online() {
            &[(ONLINE_ONLY, &self.online_only, &reach.far_only)]
        } else {
            &[]
        };
        for &(_, (positions, _), runs) in lists {
            for &(a, b) in runs {
                checked += u64::from(b - a);
                for &pos in &positions[a as usize..b as usize] {
                    if !mine.is_empty() && mine.iter().any(|&(_, p)| p == pos) {
                        continue;
                    }
                    let p = pos as usize;
                    if let Some(pts) = kernel::points(t, w, nr, nb, &self.r.rows[p], self.r.bits_of(p), 0) {
                        f(pos, pts.iter().sum());
                    }
                }
            }
        }
        checked
    }

    /// Calls `f(pos, score)` for the admissible residents of newcomer `i` within
    /// `reach` that can give a pair the prices do not cover (each position's
    /// [`Bound`], as `uncovered` computes it, against the newcomer's price `pi` and
    /// bar `bar_i`), reading each run in `order` (by slack, largest first) and
    /// leaving it at the first resident whose slack is too small.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn visit_uncovered<W: Words>(
        &self,
        w: W,
        reach: &Reach,
        i: usize,
        order: &[Vec<Bound>; 3],
        only: Option<&[bool]>,
        pi: i64,
        bar_i: i64,
        mut f: impl FnMut(u32, i32),
    ) {
        let t = &self.tables;
        let nr = &self.n.rows[i];
        let nb = self.n.bits_of(i);
        let lo = self.excluded.partition_point(|&(a, _)| (a as usize) < i);
        let hi = self.excluded.partition_point(|&(a, _)| (a as usize) <= i);
        let mine = &self.excluded[lo..hi];
        let lean = self
            .lean
            .as_ref()
            .map(|(tables, residents)| (kernel::Scorer::new(t, tables, nr, nb), residents));
        let mut run = |bounds: &[Bound], dist_pts: i32| {
            for &Bound { bar, slack, pos } in bounds {
                if bar_i + slack <= pi {
                    break;
                }
                if bar <= pi
                    || only.is_some_and(|fell| !fell[pos as usize])
                    || (!mine.is_empty() && mine.iter().any(|&(_, p)| p == pos))
                {
                    continue;
                }
                let p = pos as usize;
                let (r, rb) = (&self.r.rows[p], self.r.bits_of(p));
                if let Some((scorer, residents)) = &lean {
                    if kernel::admissible(t, w, nr, nb, r, rb) {
                        f(pos, scorer.score(&residents[p], dist_pts));
                    }
                } else if let Some(pts) = kernel::points(t, w, nr, nb, r, rb, dist_pts) {
                    f(pos, pts.iter().sum());
                }
            }
        };
        for &(first, end, dist_pts) in &reach.near {
            run(&order[GRID][first as usize..end as usize], dist_pts);
        }
        let far: &[(usize, &Vec<(u32, u32)>)] = if nr.meeting_online_only() {
            &[(ONLINE_ANY, &reach.far_any)]
        } else if nr.accepts_online() {
            &[(ONLINE_ONLY, &reach.far_only)]
        } else {
            &[]
        };
        for &(list, runs) in far {
            for &(a, b) in runs {
                run(&order[list][a as usize..b as usize], 0);
            }
        }
    }

    /// Whether `flag` is set for a resident on a run `reach` reads.
    fn reach_has(&self, reach: &Reach, flag: &[bool]) -> bool {
        let within = |positions: &[u32]| positions.iter().any(|&pos| flag[pos as usize]);
        reach
            .near
            .iter()
            .any(|&(first, end, _)| flag[first as usize..end as usize].iter().any(|&f| f))
            || reach
                .far_any
                .iter()
                .any(|&(a, b)| within(&self.online_any.0[a as usize..b as usize]))
            || reach
                .far_only
                .iter()
                .any(|&(a, b)| within(&self.online_only.0[a as usize..b as usize]))
    }

    /// The candidate graph: each newcomer's `k_n` best admissible residents and each
    /// resident's `k_r` best admissible newcomers, with degrees and bars.
    pub fn candidates(&self, k_n: usize, k_r: usize, progress: &Progress) -> Result<Candidates, Cancelled> {
        with_words!(self.words, w => self.candidates_with(w, k_n, k_r, progress))
    }

    fn candidates_with<W: Words>(
        &self,
        w: W,
        k_n: usize,
        k_r: usize,
        progress: &Progress,
    ) -> Result<Candidates, Cancelled> {
        struct Thread {
            per_resident: TopKs,
            deg: Vec<u32>,
            mine: Vec<Cand>,
            found: Vec<(u32, i32)>,
            passed: Vec<u32>,
        }
        struct UnitOut {
            edges: Vec<(u32, u32, i32)>,
            per_newcomer: Vec<(u32, u32, i32)>,
            checked: u64,
        }
        let n_res = self.residents.len();
        // Each resident's bar, the better of the two threads' (a candidate below it
        // cannot make the merged list: the other thread already holds k better), so
        // that each thread offers about half as often. It is never below the bar of
        // the thread's own list, so a candidate that does not make a resident's list
        // reads this one word and touches no heap.
        let shared_bars: Vec<AtomicU64> = (0..n_res).map(|_| AtomicU64::new(0)).collect();
        let (threads, units) = par_units(
            self.units.len(),
            progress,
            (0, 600),
            || Thread {
                per_resident: TopKs::new(n_res, k_r),
                deg: vec![0; n_res],
                mine: Vec::new(),
                found: Vec::new(),
                passed: Vec::new(),
            },
            |th, u| {
                let reach = self.reach(u);
                let (s, e) = self.units[u];
                let mut out = UnitOut {
                    edges: Vec::new(),
                    per_newcomer: Vec::new(),
                    checked: 0,
                };
                for &i in &self.n_order[s as usize..e as usize] {
                    let i = i as usize;
                    th.mine.clear();
                    // The bar of this newcomer's own list, raised as it fills.
                    let mut bar = Cand::NONE;
                    let limit = (4 * k_n).max(64);
                    let Thread {
                        per_resident,
                        deg: deg_r,
                        mine,
                        found,
                        passed,
                    } = th;
                    // Admissible pairs first, into a buffer (a small loop the kernel
                    // is inlined into), then the lists.
                    found.clear();
                    out.checked += self.visit(w, &reach, i, passed, |pos, score| found.push((pos, score)));
                    let deg = found.len() as u32;
                    for &(pos, score) in found.iter() {
                        let p = pos as usize;
                        deg_r[p] += 1;
                        let c = Cand::new(score, self.r_index[p]);
                        if c > bar {
                            mine.push(c);
                            if mine.len() >= limit && k_n > 0 {
                                mine.select_nth_unstable_by(k_n - 1, |a, b| b.cmp(a));
                                mine.truncate(k_n);
                                bar = *mine.iter().min().unwrap_or(&Cand::NONE);
                            }
                        }
                        let c = Cand::new(score, i as u32);
                        if c.0 > shared_bars[p].load(AtomicOrdering::Relaxed) {
                            let bar = per_resident.offer(p, c);
                            shared_bars[p].fetch_max(bar.0, AtomicOrdering::Relaxed);
                        }
                    }
                    let mine = &mut th.mine;
                    if mine.len() > k_n {
                        if k_n == 0 {
                            mine.clear();
                        } else {
                            mine.select_nth_unstable_by(k_n - 1, |a, b| b.cmp(a));
                            mine.truncate(k_n);
                        }
                    }
                    let worst = mine.iter().min().map_or(i32::MIN, |c| c.score());
                    out.per_newcomer
                        .push((i as u32, deg, if k_n == 0 { i32::MAX } else { worst }));
                    out.edges
                        .extend(mine.iter().map(|c| (i as u32, c.idx(), c.score())));
                }
                out
            },
        )?;
        let mut c = Candidates {
            edges: Vec::new(),
            deg_n: vec![0; self.newcomers.len()],
            bar_n: vec![i32::MIN; self.newcomers.len()],
            deg_r: vec![0; n_res],
            bar_r: vec![i32::MIN; n_res],
            pairs_checked: 0,
            pairs_admissible: 0,
        };
        for u in &units {
            c.pairs_checked += u.checked;
            for &(i, deg, bar) in &u.per_newcomer {
                c.deg_n[i as usize] = deg;
                c.bar_n[i as usize] = bar;
                c.pairs_admissible += u64::from(deg);
            }
        }
        // The other threads' lists are offered to the first thread's (the kept set
        // depends only on the set offered), each read in place.
        let mut threads = threads.into_iter();
        let Some(first) = threads.next() else {
            unreachable!("the scan runs on at least one thread")
        };
        let mut per_resident = first.per_resident;
        for (pos, &d) in first.deg.iter().enumerate() {
            c.deg_r[self.r_index[pos] as usize] += d;
        }
        for th in threads {
            for pos in 0..n_res {
                th.per_resident.for_each(pos, |cand| {
                    per_resident.offer(pos, cand);
                });
                c.deg_r[self.r_index[pos] as usize] += th.deg[pos];
            }
        }
        for pos in 0..n_res {
            let j = self.r_index[pos];
            let mut worst = i32::MIN;
            let mut any = false;
            per_resident.for_each(pos, |x| {
                worst = if any { worst.min(x.score()) } else { x.score() };
                any = true;
            });
            c.bar_r[j as usize] = if k_r == 0 { i32::MAX } else { worst };
        }
        let own: Vec<&[(u32, u32, i32)]> = units.iter().map(|u| u.edges.as_slice()).collect();
        c.edges = gather(self.newcomers.len(), &own, &per_resident, &self.pos_of);
        Ok(c)
    }

    /// Admissible pairs outside the candidate graph that the prices `p` (newcomers)
    /// and `q` (residents) do not cover: `w + m > p_i + q_j`. Those are the pairs that
    /// could improve the matching; none means it is optimal over every admissible
    /// pair. Only pairs that can be outside the graph are scored: a newcomer's whose
    /// list was cut, unless their price covers its bar, against a resident's whose list
    /// was cut likewise.
    ///
    /// Pairs covered by less than `margin` come along (the prices move when pairs are
    /// added, and these are the next to be uncovered); the second value counts the
    /// uncovered ones. Pairs of the graph may be among those within the margin. The
    /// third value lists the newcomers whose uncovered pairs were left out (beyond
    /// `per_vertex`), for the next check.
    ///
    /// With `since` (the check before, and the graph since grown by the pairs it
    /// found), only newcomers whose price fell or whose pairs were left out are read
    /// in full, and the others only against residents whose price fell (see
    /// [`Since`]); pairs within the margin are then found only among those.
    #[allow(clippy::too_many_arguments)]
    pub fn uncovered(
        &self,
        cand: &Candidates,
        k_n: usize,
        k_r: usize,
        m: i64,
        p: &[i64],
        q: &[i64],
        margin: i64,
        per_vertex: usize,
        since: Option<Since<'_>>,
        progress: &Progress,
        span: (u32, u32),
    ) -> Result<(Vec<Edge>, usize, Vec<u32>), Cancelled> {
        // Per newcomer, whether to read all their pairs; per position, whether the
        // resident's price fell (`None`: a first check reads everything).
        let changed = since.map(|since| {
            let mut full: Vec<bool> = p.iter().zip(since.p).map(|(now, then)| now < then).collect();
            for &i in since.left_out {
                full[i as usize] = true;
            }
            let fell: Vec<bool> = self
                .r_index
                .iter()
                .map(|&j| q[j as usize] < since.q[j as usize])
                .collect();
            (full, fell)
        });
        let changed = changed.as_ref();
        // Per position: a resident's pairs outside the graph score at most `bar_r`, so
        // one can be uncovered only if `bar + m - q > p_i` (and `bar_n + m - q > p_i`).
        let limit: Vec<(i64, i64)> = self
            .r_index
            .iter()
            .map(|&j| {
                let j = j as usize;
                let slack = m - q[j];
                if cand.deg_r[j] as usize <= k_r {
                    (i64::MIN, slack)
                } else {
                    (i64::from(cand.bar_r[j]) + slack, slack)
                }
            })
            .collect();
        // Each run's positions with their limits, by slack, largest first: a newcomer
        // reads a run only while the slack can still give an uncovered pair. (By
        // `bar + m - q` instead, the reads measured 17% more instructions: more
        // residents pass that and fail the slack.)
        let bound = |pos: u32| {
            let (bar, slack) = limit[pos as usize];
            Bound { bar, slack, pos }
        };
        let mut order: [Vec<Bound>; 3] = [
            (0..self.r_index.len() as u32).map(bound).collect(),
            self.online_any.0.iter().map(|&pos| bound(pos)).collect(),
            self.online_only.0.iter().map(|&pos| bound(pos)).collect(),
        ];
        let by_slack = |list: &mut [Bound]| list.sort_unstable_by_key(|b| (Reverse(b.slack), b.pos));
        for &(first, end) in self.grid.runs() {
            by_slack(&mut order[GRID][first as usize..end as usize]);
        }
        for (list, runs) in [
            (ONLINE_ANY, &self.online_any.1),
            (ONLINE_ONLY, &self.online_only.1),
        ] {
            for &(a, b) in runs {
                by_slack(&mut order[list][a as usize..b as usize]);
            }
        }
        let (order, limit) = (&order, &limit);
        with_words!(self.words, w => {
            let (_, units) = par_units(self.units.len(), progress, span, || (), |_, u| {
                let (s, e) = self.units[u];
                let mut found = Vec::new();
                let mut mine = Vec::new();
                let mut strict = 0usize;
                let mut reach = None;
                let mut any_fell: Option<bool> = None;
                for &i in &self.n_order[s as usize..e as usize] {
                    let i = i as usize;
                    // Compared with the price less the margin, so that pairs within
                    // the margin are found too.
                    let pi = p[i] - margin;
                    if cand.deg_n[i] as usize <= k_n || pi >= i64::from(cand.bar_n[i]) + m {
                        continue;
                    }
                    let full = changed.is_none_or(|(full, _)| full[i]);
                    let fell = changed.map(|(_, fell)| fell.as_slice());
                    if !full && any_fell.is_none() {
                        // Whether a resident within reach of the unit has a lower price.
                        let reach = reach.get_or_insert_with(|| self.reach(u));
                        any_fell = Some(fell.is_some_and(|fell| self.reach_has(reach, fell)));
                    }
                    if !full && any_fell == Some(false) {
                        continue;
                    }
                    let only = if full { None } else { fell };
                    let reach = reach.get_or_insert_with(|| self.reach(u));
                    let bar_i = i64::from(cand.bar_n[i]);
                    self.visit_uncovered(w, reach, i, order, only, pi, bar_i, |pos, score| {
                        let gain = i64::from(score) + limit[pos as usize].1;
                        if gain > pi {
                            strict += usize::from(gain > p[i]);
                            mine.push((i as u32, self.r_index[pos as usize], i64::from(score), gain - p[i]));
                        }
                    });
                    found.append(&mut mine);
                }
                (found, strict)
            })?;
            let strict = units.iter().map(|u| u.1).sum();
            let all: Vec<(u32, u32, i64, i64)> = units.into_iter().flat_map(|u| u.0).collect();
            let (out, left_out) = least_covered(all, per_vertex);
            Ok((out, strict, left_out))
        })
    }

    /// For each newcomer in `which` (indices), the furthest rule any resident within
    /// reach passes.
    pub fn furthest(&self, which: &[u32]) -> Vec<Furthest> {
        with_words!(self.words, w => which.iter().map(|&i| self.furthest_one(w, i as usize)).collect())
    }

    fn furthest_one<W: Words>(&self, w: W, i: usize) -> Furthest {
        let t = &self.tables;
        let (nr, nb) = (&self.n.rows[i], self.n.bits_of(i));
        let here = &self.n.points[i];
        let mut best = Furthest::NoneWithinReach;
        let mut look = |pos: u32| {
            let p = pos as usize;
            let stage = match kernel::pair_violation(t, w, nr, nb, &self.r.rows[p], self.r.bits_of(p)) {
                Some(Violation::NoCommonLanguage) => Furthest::WithinReach,
                Some(Violation::NoCommonTime) => Furthest::SharedLanguage,
                Some(_) => Furthest::CommonTime,
                None => Furthest::HardWishes,
            };
            best = best.max(stage);
        };
        self.grid
            .for_each_run_near(self.newcomers[i].location, |first, end| {
                if here.hav(&self.r.points[first as usize]) <= self.hav_max {
                    (first..end).for_each(&mut look);
                }
            });
        for (positions, runs) in [&self.online_any, &self.online_only] {
            for &(a, b) in runs {
                for &pos in &positions[a as usize..b as usize] {
                    let p = pos as usize;
                    if t.waived(nr, &self.r.rows[p]) && here.hav(&self.r.points[p]) > self.hav_max {
                        look(pos);
                    }
                }
            }
        }
        best
    }

    /// The points and distance of an admissible pair (newcomer `i`, resident `j`, both
    /// indices), for its explanation.
    pub fn pair_points(&self, i: usize, j: usize) -> Option<(Points, u32)> {
        let pos = self.pos_of[j] as usize;
        let a = self.n.points[i].hav(&self.r.points[pos]);
        let dist = geo::m_of_hav(a);
        let pts = if a <= self.hav_max {
            self.tables.distance_points(dist)
        } else {
            0
        };
        let (nr, rr) = (&self.n.rows[i], &self.r.rows[pos]);
        if a > self.hav_max && !self.tables.waived(nr, rr) {
            return None;
        }
        with_words!(self.words, w => kernel::points(&self.tables, w, nr, self.n.bits_of(i), rr, self.r.bits_of(pos), pts))
            .map(|p| (p, dist))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_names_the_newcomers_whose_uncovered_pairs_it_left_out() {
        // Pairs as (newcomer, resident, score, gain over the newcomer's price), at
        // most one per person kept (each newcomer's and each resident's largest gain).
        // Every pair is someone's best: all kept, no one to read again.
        let all = vec![
            (0, 5, 10, 3),
            (0, 6, 10, 2),
            (0, 7, 10, 1),
            (1, 5, 10, 0),
            (2, 8, 10, 4),
        ];
        let (kept, left_out) = least_covered(all, 1);
        assert_eq!(
            kept,
            vec![(0, 5, 10), (0, 6, 10), (0, 7, 10), (1, 5, 10), (2, 8, 10)]
        );
        assert!(left_out.is_empty());
        // (1, 5) is neither resident 5's best ((0, 5)) nor newcomer 1's ((1, 9)): it is
        // left out, but it is only within the margin (gain 0), so no one is named.
        let (kept, left_out) = least_covered(vec![(0, 5, 10, 3), (1, 5, 10, 0), (1, 9, 10, 1)], 1);
        assert_eq!(kept, vec![(0, 5, 10), (1, 9, 10)]);
        assert!(left_out.is_empty());
        // (3, 5) is uncovered (gain 2) and left out likewise: newcomer 3 is named, so
        // that the next check reads all of their pairs again.
        let (kept, left_out) = least_covered(vec![(0, 5, 10, 3), (3, 5, 10, 2), (3, 9, 10, 5)], 1);
        assert_eq!(kept, vec![(0, 5, 10), (3, 9, 10)]);
        assert_eq!(left_out, vec![3]);
    }

    #[test]
    fn each_list_keeps_the_k_best_candidates_offered_flat_or_in_heaps() {
        let mut state = 11u64;
        let mut draw = move |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        for k in [0, 1, 2, 3, 30, 64, 65, 100] {
            let lists = 5;
            let mut kept = TopKs::new(lists, k);
            assert_eq!(matches!(kept, TopKs::Flat { .. }), k <= TopKs::FLAT);
            let mut offered: Vec<Vec<Cand>> = vec![Vec::new(); lists];
            for idx in 0..400u32 {
                let x = draw(lists as u64) as usize;
                // Few distinct scores, so that ties are broken by index.
                let c = Cand::new(draw(40) as i32 - 20, idx);
                let bar = kept.offer(x, c);
                offered[x].push(c);
                let mut best = offered[x].clone();
                best.sort_unstable_by(|a, b| b.cmp(a));
                let expected_bar = match k {
                    0 => Cand(u64::MAX),
                    _ if best.len() >= k => best[k - 1],
                    _ => Cand::NONE,
                };
                assert_eq!(bar, expected_bar, "k {k}");
            }
            assert_eq!(
                kept.kept(),
                offered.iter().map(|o| o.len().min(k)).sum::<usize>(),
                "k {k}"
            );
            for (x, all) in offered.iter_mut().enumerate() {
                all.sort_unstable_by(|a, b| b.cmp(a));
                all.truncate(k);
                let mut list = kept.list(x);
                list.sort_unstable_by(|a, b| b.cmp(a));
                assert_eq!(&list, all, "k {k}");
                // Read in place, the same candidates.
                let mut read = Vec::new();
                kept.for_each(x, |c| read.push(c));
                read.sort_unstable_by(|a, b| b.cmp(a));
                assert_eq!(&read, all, "k {k}");
            }
        }
    }

    #[test]
    fn edges_come_out_sorted_and_each_once_on_one_thread_or_two() {
        let mut state = 5u64;
        let mut draw = move |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        // Below and above the size at which the two halves of the newcomers are
        // gathered on two threads; few residents, so that many pairs are on both a
        // newcomer's list and the resident's (the copies of a pair carry one score).
        for (n_newcomers, n_res, per_newcomer, k_r) in [
            (0, 0, 0, 3),
            (1, 1, 1, 1),
            (37, 20, 6, 4),
            (9_001, 40, 12, 64),
            (9_001, 3_000, 30, 30),
        ] {
            let score = |i: u32, j: u32| (i ^ j) as i32 % 97;
            // Residents' grid positions: a shuffled order of their indices.
            let mut r_index: Vec<u32> = (0..n_res as u32).collect();
            for x in (1..r_index.len()).rev() {
                r_index.swap(x, draw(x as u64 + 1) as usize);
            }
            let mut pos_of = vec![0u32; n_res];
            for (pos, &j) in r_index.iter().enumerate() {
                pos_of[j as usize] = pos as u32;
            }
            // Newcomers' own lists in units of newcomers in no order, each newcomer's
            // together and in no order within.
            let mut order: Vec<u32> = (0..n_newcomers as u32).collect();
            for x in (1..order.len()).rev() {
                order.swap(x, draw(x as u64 + 1) as usize);
            }
            let mut expected: Vec<Edge> = Vec::new();
            let units: Vec<Vec<(u32, u32, i32)>> = order
                .chunks(7)
                .map(|unit| {
                    let mut edges = Vec::new();
                    for &i in unit {
                        let mut js: Vec<u32> = (0..per_newcomer.min(n_res))
                            .map(|_| draw(n_res as u64) as u32)
                            .collect();
                        js.sort_unstable();
                        js.dedup();
                        for x in (1..js.len()).rev() {
                            js.swap(x, draw(x as u64 + 1) as usize);
                        }
                        for j in js {
                            edges.push((i, j, score(i, j)));
                            expected.push((i, j, i64::from(score(i, j))));
                        }
                    }
                    edges
                })
                .collect();
            let mut per_resident = TopKs::new(n_res, k_r);
            if n_res > 0 {
                // Each pair offered once, as the scan does.
                for i in 0..n_newcomers as u32 {
                    let mut js: Vec<u32> = (0..3).map(|_| draw(n_res as u64) as u32).collect();
                    js.sort_unstable();
                    js.dedup();
                    for j in js {
                        per_resident.offer(pos_of[j as usize] as usize, Cand::new(score(i, j), i));
                    }
                }
            }
            for (pos, &j) in r_index.iter().enumerate() {
                per_resident.for_each(pos, |c| expected.push((c.idx(), j, i64::from(c.score()))));
            }
            expected.sort_unstable();
            expected.dedup();
            let own: Vec<&[(u32, u32, i32)]> = units.iter().map(Vec::as_slice).collect();
            let got = gather(n_newcomers, &own, &per_resident, &pos_of);
            assert_eq!(got, expected, "{n_newcomers} newcomers, {n_res} residents");
        }
    }
}
