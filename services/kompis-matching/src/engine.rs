//! Pair evaluation, suggestions, and the matching round.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::assignment::{self, BipartiteGraph, Matching};
use crate::config::Config;
use crate::geo::{self, Grid};
use crate::model::{Exclusions, Participant, ParticipantId, Role};
use crate::score::{self, Dict, Explanation, Points, Prepared, Violation};

/// A proposed pair with its score and explanation, for a coordinator to decide on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The newcomer.
    pub newcomer: ParticipantId,
    /// The established resident.
    pub resident: ParticipantId,
    /// The score (the explanation's total).
    pub score: i64,
    /// The score per criterion, in words.
    pub explanation: Explanation,
}

/// Figures about a round, for reports (where the shortage is) and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoundStats {
    /// Newcomers ready to be matched (eligible, old enough, without a buddy).
    pub newcomers_ready: usize,
    /// Residents ready to be matched (eligible, fluent, with free capacity).
    pub residents_ready: usize,
    /// The residents' free capacity, summed.
    pub resident_capacity: usize,
    /// Pairs within reach of the spatial grid that were checked.
    pub pairs_checked: u64,
    /// Pairs that violate no hard constraint.
    pub pairs_admissible: u64,
    /// Pairs kept in the candidate graph (each side's best candidates).
    pub candidate_edges: usize,
    /// Pairs proposed.
    pub matched: usize,
    /// Sum of the proposed pairs' scores.
    pub total_score: i64,
}

/// The outcome of a matching round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    /// Proposed pairs, sorted by newcomer id then resident id.
    pub proposals: Vec<Proposal>,
    /// Ready newcomers without a proposal, sorted by id (the shortage).
    pub unmatched_newcomers: Vec<ParticipantId>,
    /// Ready newcomers without a single admissible resident, sorted by id.
    pub newcomers_without_candidates: Vec<ParticipantId>,
    /// Figures about the round.
    pub stats: RoundStats,
}

/// Scores one pair and explains the score, or names the hard constraint it violates.
///
/// Cost: O(L + I) for L languages and I interests.
///
/// # Errors
///
/// The first [`Violation`] found.
///
/// # Examples
///
/// ```
/// use kompis_matching::*;
/// let mut newcomer = Participant {
///     id: ParticipantId(1),
///     role: Role::Newcomer,
///     eligible: true,
///     languages: vec![Language { code: LanguageCode::new("ar").unwrap(), level: Proficiency::Native }],
///     swedish: SwedishLevel::SfiB,
///     gender: Gender::Woman,
///     age: 30,
///     has_children: false,
///     wishes: Wishes::default(),
///     availability: Availability::ALWAYS,
///     meeting: MeetingPreference::Both,
///     location: GeoPoint { lat: 59.2390, lon: 17.8460 },
///     interests: vec![1, 2],
///     capacity: 1,
///     active_matches: 0,
///     waiting_days: 100,
/// };
/// let mut resident = newcomer.clone();
/// resident.id = ParticipantId(2);
/// resident.role = Role::Resident;
/// resident.swedish = SwedishLevel::Native;
/// let config = Config::default();
/// let e = evaluate(&newcomer, &resident, &config, &Exclusions::default()).unwrap();
/// assert!(e.total > 0);
/// assert_eq!(e.contributions.len(), 8);
///
/// resident.swedish = SwedishLevel::B2;
/// assert_eq!(
///     evaluate(&newcomer, &resident, &config, &Exclusions::default()),
///     Err(Violation::ResidentNotFluentInSwedish)
/// );
/// ```
pub fn evaluate(
    newcomer: &Participant,
    resident: &Participant,
    config: &Config,
    exclusions: &Exclusions,
) -> Result<Explanation, Violation> {
    let dict = Dict::new([newcomer, resident].into_iter());
    let (np, rp) = (Prepared::new(newcomer, &dict), Prepared::new(resident, &dict));
    let (pts, dist) = check_pair(newcomer, &np, resident, &rp, config, exclusions)?;
    Ok(score::explain(newcomer, resident, dist, &pts, config))
}

/// All hard constraints of a pair, then its points and distance in metres.
fn check_pair(
    n: &Participant,
    np: &Prepared,
    r: &Participant,
    rp: &Prepared,
    cfg: &Config,
    exclusions: &Exclusions,
) -> Result<(Points, u32), Violation> {
    if n.role != Role::Newcomer || r.role != Role::Resident {
        return Err(Violation::RolesNotOpposite);
    }
    score::check_person(n, cfg)?;
    score::check_person(r, cfg)?;
    if exclusions.contains(n.id, r.id) {
        return Err(Violation::Excluded);
    }
    let max_m = geo::km_to_m(cfg.rules.max_distance_km) as f64;
    let a = np.point.hav(&rp.point);
    if a > geo::hav_of_m(max_m) {
        return Err(Violation::TooFar);
    }
    let dist = geo::m_of_hav(a);
    let pts = score::evaluate_pair(np, rp, dist, cfg)?;
    Ok((pts, dist))
}

/// The `k` best candidates for one participant among `others` (residents for a
/// newcomer, newcomers for a resident), best first, each explained. Candidates that
/// violate a hard constraint are left out; equal scores are ordered by id.
///
/// Cost: O(m · (L + I) + m log k) for m others; no index is built, so for a single
/// participant it is cheaper than a round.
///
/// # Errors
///
/// The participant's own [`Violation`] if they cannot be matched at all (not
/// eligible, too young, no free capacity, or a resident below C1 in Swedish).
///
/// # Examples
///
/// ```
/// use kompis_matching::*;
/// let base = Participant {
///     id: ParticipantId(1),
///     role: Role::Newcomer,
///     eligible: true,
///     languages: vec![],
///     swedish: SwedishLevel::SfiD,
///     gender: Gender::Man,
///     age: 40,
///     has_children: true,
///     wishes: Wishes::default(),
///     availability: Availability::ALWAYS,
///     meeting: MeetingPreference::InPerson,
///     location: GeoPoint { lat: 57.7089, lon: 11.9746 },
///     interests: vec![3],
///     capacity: 1,
///     active_matches: 0,
///     waiting_days: 30,
/// };
/// let near = Participant { id: ParticipantId(2), role: Role::Resident, swedish: SwedishLevel::Native, ..base.clone() };
/// let far = Participant {
///     id: ParticipantId(3),
///     location: GeoPoint { lat: 59.3293, lon: 18.0686 }, // Stockholm, ~400 km away
///     ..near.clone()
/// };
/// let top = suggestions(&base, &[far, near], 5, &Config::default(), &Exclusions::default()).unwrap();
/// assert_eq!(top.len(), 1);
/// assert_eq!(top[0].resident, ParticipantId(2));
/// ```
pub fn suggestions(
    participant: &Participant,
    others: &[Participant],
    k: usize,
    config: &Config,
    exclusions: &Exclusions,
) -> Result<Vec<Proposal>, Violation> {
    score::check_person(participant, config)?;
    let dict = Dict::new(std::iter::once(participant).chain(others));
    let me = Prepared::new(participant, &dict);
    let mut found: Vec<(i64, ParticipantId, usize, Points, u32)> = Vec::new();
    for (idx, o) in others.iter().enumerate() {
        let op = Prepared::new(o, &dict);
        let result = match participant.role {
            Role::Newcomer => check_pair(participant, &me, o, &op, config, exclusions),
            Role::Resident => check_pair(o, &op, participant, &me, config, exclusions),
        };
        if let Ok((pts, dist)) = result {
            found.push((pts.iter().sum(), o.id, idx, pts, dist));
        }
    }
    let order = |a: &(i64, ParticipantId, usize, Points, u32),
                 b: &(i64, ParticipantId, usize, Points, u32)| {
        b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
    };
    if found.len() > k && k > 0 {
        found.select_nth_unstable_by(k - 1, order);
    }
    found.truncate(k);
    found.sort_unstable_by(order);
    Ok(found
        .into_iter()
        .map(|(s, _, idx, pts, dist)| {
            let o = &others[idx];
            let (n, r) = match participant.role {
                Role::Newcomer => (participant, o),
                Role::Resident => (o, participant),
            };
            Proposal {
                newcomer: n.id,
                resident: r.id,
                score: s,
                explanation: score::explain(n, r, dist, &pts, config),
            }
        })
        .collect())
}

/// The candidate graph of a round: everyone ready, and for each newcomer the best
/// admissible residents within reach (plus, for each resident, their best newcomers).
///
/// Build it once, then solve it exactly ([`CandidateGraph::exact`]) or, for
/// comparison, greedily ([`CandidateGraph::greedy`]).
#[derive(Debug)]
pub struct CandidateGraph<'a> {
    config: &'a Config,
    newcomers: Vec<&'a Participant>,
    residents: Vec<&'a Participant>,
    graph: BipartiteGraph,
    capacity: Vec<u32>,
    stats: RoundStats,
}

/// Best-first order of candidates: higher score, then lower index (= lower id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cand {
    score: i64,
    idx: u32,
}

impl Cand {
    /// Worse than every candidate.
    const NONE: Self = Self {
        score: i64::MIN,
        idx: u32::MAX,
    };
}

impl Ord for Cand {
    fn cmp(&self, o: &Self) -> Ordering {
        // "Greater" is better.
        self.score.cmp(&o.score).then(o.idx.cmp(&self.idx))
    }
}

impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Keeps the `k` best candidates seen (a bounded min-heap). The kept set depends only
/// on the set offered, not on the order, because the order on candidates is total.
#[derive(Debug, Default, Clone)]
struct TopK(BinaryHeap<Reverse<Cand>>);

impl TopK {
    /// Offers a candidate; returns the bar a candidate must now beat to be kept
    /// ([`Cand::NONE`] while there is room).
    fn offer(&mut self, c: Cand, k: usize) -> Cand {
        if self.0.len() < k {
            self.0.push(Reverse(c));
        } else if let Some(Reverse(worst)) = self.0.peek()
            && c > *worst
        {
            self.0.pop();
            self.0.push(Reverse(c));
        }
        match self.0.peek() {
            Some(Reverse(worst)) if self.0.len() >= k => *worst,
            _ => Cand::NONE,
        }
    }
}

struct ChunkOut {
    edges: Vec<(u32, u32, i64)>,
    per_resident: Vec<TopK>,
    /// Per resident position, the bar of `per_resident` (kept apart and flat, so that
    /// the common case, a candidate that does not make a resident's list, touches
    /// one sequential array and no heap).
    bars: Vec<Cand>,
    checked: u64,
    admissible: u64,
}

impl<'a> CandidateGraph<'a> {
    /// Filters who is ready, finds the pairs within reach with a spatial grid, checks
    /// the hard constraints, scores, and keeps the candidate graph.
    ///
    /// Input order does not matter: both sides are sorted by id (a repeated id is
    /// kept once). Cost: O((N + R) log(N + R) + P · (L + I) + P log K) time for P pairs
    /// within reach (the grid cells around each newcomer, at most a few times the pairs
    /// within the maximum distance), O(N·K + R·K) memory. Scoring runs on up to two
    /// threads.
    pub fn build(
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
        let newcomers = ready(newcomers, Role::Newcomer);
        let residents = ready(residents, Role::Resident);
        let capacity: Vec<u32> = residents.iter().map(|r| u32::from(r.free_capacity())).collect();

        let max_m = geo::km_to_m(config.rules.max_distance_km) as f64;
        let hav_max = geo::hav_of_m(max_m);
        let max_abs_lat = newcomers
            .iter()
            .chain(&residents)
            .map(|p| p.location.lat.abs())
            .fold(0.0f64, f64::max);
        let locations: Vec<_> = residents.iter().map(|r| r.location).collect();
        let grid = Grid::new(&locations, max_m.max(1.0), max_abs_lat);
        // Residents are scanned by grid position (`pos`); `grid.order[pos]` is their
        // index in `residents`.
        let dict = Dict::new(newcomers.iter().chain(&residents).copied());
        let n_prep: Vec<Prepared> = newcomers.iter().map(|p| Prepared::new(p, &dict)).collect();
        let r_prep: Vec<Prepared> = grid
            .order
            .iter()
            .map(|&j| Prepared::new(residents[j as usize], &dict))
            .collect();
        let mut pos_of = vec![0u32; residents.len()];
        for (pos, &j) in grid.order.iter().enumerate() {
            pos_of[j as usize] = pos as u32;
        }
        // Excluded pairs as sorted (newcomer index, resident position).
        let mut excluded: Vec<(u32, u32)> = exclusions
            .iter()
            .filter_map(|(n, r)| {
                let i = newcomers.binary_search_by_key(&n, |p| p.id).ok()?;
                let j = residents.binary_search_by_key(&r, |p| p.id).ok()?;
                Some((i as u32, pos_of[j]))
            })
            .collect();
        excluded.sort_unstable();
        let k_n = config.rules.candidates_per_newcomer;
        let k_r = config.rules.candidates_per_resident;
        let order = &grid.order;

        let work = |range: std::ops::Range<usize>| -> ChunkOut {
            let mut out = ChunkOut {
                edges: Vec::new(),
                per_resident: vec![TopK::default(); residents.len()],
                bars: vec![Cand::NONE; residents.len()],
                checked: 0,
                admissible: 0,
            };
            let mut mine: Vec<Cand> = Vec::new();
            for i in range {
                let np = &n_prep[i];
                let lo = excluded.partition_point(|&(a, _)| (a as usize) < i);
                let hi = excluded.partition_point(|&(a, _)| (a as usize) <= i);
                let my_excluded = &excluded[lo..hi];
                mine.clear();
                grid.for_each_run_near(newcomers[i].location, |first, end| {
                    out.checked += u64::from(end - first);
                    // Everyone in a run lives in the same district: one distance.
                    let a = np.point.hav(&r_prep[first as usize].point);
                    if a > hav_max {
                        return;
                    }
                    let dist = geo::m_of_hav(a);
                    for pos in first..end {
                        if !my_excluded.is_empty() && my_excluded.iter().any(|&(_, p)| p == pos) {
                            continue;
                        }
                        let rp = &r_prep[pos as usize];
                        if let Ok(pts) = score::evaluate_pair(np, rp, dist, config) {
                            let s: i64 = pts.iter().sum();
                            mine.push(Cand {
                                score: s,
                                idx: order[pos as usize],
                            });
                            let c = Cand {
                                score: s,
                                idx: i as u32,
                            };
                            let p = pos as usize;
                            if c > out.bars[p] {
                                out.bars[p] = out.per_resident[p].offer(c, k_r);
                            }
                        }
                    }
                });
                out.admissible += mine.len() as u64;
                if mine.len() > k_n {
                    if k_n == 0 {
                        mine.clear();
                    } else {
                        mine.select_nth_unstable_by(k_n - 1, |a, b| b.cmp(a));
                        mine.truncate(k_n);
                    }
                }
                out.edges.extend(mine.iter().map(|c| (i as u32, c.idx, c.score)));
            }
            out
        };

        let threads = if newcomers.len() < 4_096 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
        };
        let chunks: Vec<ChunkOut> = if threads == 1 {
            vec![work(0..newcomers.len())]
        } else {
            let step = newcomers.len().div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let lo = (t * step).min(newcomers.len());
                        let hi = ((t + 1) * step).min(newcomers.len());
                        let work = &work;
                        s.spawn(move || work(lo..hi))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a scoring thread panicked"))
                    .collect()
            })
        };

        let mut stats = RoundStats {
            newcomers_ready: newcomers.len(),
            residents_ready: residents.len(),
            resident_capacity: capacity.iter().map(|&c| c as usize).sum(),
            ..RoundStats::default()
        };
        let mut edges: Vec<(u32, u32, i64)> = Vec::new();
        let mut per_resident: Vec<TopK> = vec![TopK::default(); residents.len()];
        for c in chunks {
            stats.pairs_checked += c.checked;
            stats.pairs_admissible += c.admissible;
            edges.extend(c.edges);
            for (j, heap) in c.per_resident.into_iter().enumerate() {
                for Reverse(cand) in heap.0 {
                    per_resident[j].offer(cand, k_r);
                }
            }
        }
        for (pos, heap) in per_resident.into_iter().enumerate() {
            let j = order[pos];
            edges.extend(heap.0.into_iter().map(|Reverse(c)| (c.idx, j, c.score)));
        }
        edges.sort_unstable();
        edges.dedup_by_key(|e| (e.0, e.1));
        stats.candidate_edges = edges.len();
        let graph = BipartiteGraph::from_edges(newcomers.len(), residents.len(), &edges)
            .expect("indices come from the ready lists");
        Self {
            config,
            newcomers,
            residents,
            graph,
            capacity,
            stats,
        }
    }

    /// Figures about the candidate graph (before solving). Cost: O(1).
    pub fn stats(&self) -> RoundStats {
        self.stats
    }

    /// The number of candidate pairs. Cost: O(1).
    pub fn n_edges(&self) -> usize {
        self.graph.n_edges()
    }

    /// The exact round: the most newcomers matched, then the greatest total score
    /// (see [`assignment::max_weight_matching`]), each pair explained.
    ///
    /// Cost: that of [`assignment::max_weight_matching`] on the candidate graph, plus
    /// O(M · (L + I)) to explain M proposals.
    pub fn exact(&self) -> Round {
        let m = assignment::max_weight_matching(&self.graph, &self.capacity)
            .expect("scores are small and capacities match the residents");
        self.round(&m)
    }

    /// The "best pair first" baseline on the same candidate graph (see
    /// [`assignment::greedy_matching`]); for comparison only.
    ///
    /// Cost: O(E log E) plus the explanations.
    pub fn greedy(&self) -> Round {
        let m =
            assignment::greedy_matching(&self.graph, &self.capacity).expect("capacities match the residents");
        self.round(&m)
    }

    fn round(&self, m: &Matching) -> Round {
        let mut matched = vec![false; self.newcomers.len()];
        let proposals: Vec<Proposal> = m
            .pairs
            .iter()
            .map(|&(i, j)| {
                matched[i as usize] = true;
                let (n, r) = (self.newcomers[i as usize], self.residents[j as usize]);
                let explanation = evaluate(n, r, self.config, &Exclusions::default())
                    .expect("candidate pairs are admissible");
                Proposal {
                    newcomer: n.id,
                    resident: r.id,
                    score: explanation.total,
                    explanation,
                }
            })
            .collect();
        let unmatched_newcomers = (0..self.newcomers.len())
            .filter(|&i| !matched[i])
            .map(|i| self.newcomers[i].id)
            .collect();
        let newcomers_without_candidates = (0..self.newcomers.len())
            .filter(|&i| self.graph.edges_of(i).next().is_none())
            .map(|i| self.newcomers[i].id)
            .collect();
        let stats = RoundStats {
            matched: proposals.len(),
            total_score: m.total_weight,
            ..self.stats
        };
        Round {
            proposals,
            unmatched_newcomers,
            newcomers_without_candidates,
            stats,
        }
    }
}

/// A matching round among everyone ready in a scope (a district, a municipality, a
/// chapter, or the whole country: the caller passes the participants of the scope).
///
/// Objective, exactly: among all sets of pairs on the candidate graph that violate no
/// hard constraint, match each newcomer at most once and each resident at most their
/// free capacity, maximise first the number of pairs and then the sum of scores.
/// Deterministic and independent of input order (ties are broken by ids).
///
/// Cost: [`CandidateGraph::build`] plus [`CandidateGraph::exact`].
///
/// # Examples
///
/// ```
/// use kompis_matching::*;
/// let newcomer = |id: u128, lang: &str| Participant {
///     id: ParticipantId(id),
///     role: Role::Newcomer,
///     eligible: true,
///     languages: vec![Language { code: LanguageCode::new(lang).unwrap(), level: Proficiency::Native }],
///     swedish: SwedishLevel::None,
///     gender: Gender::Woman,
///     age: 35,
///     has_children: false,
///     wishes: Wishes::default(),
///     availability: Availability::ALWAYS,
///     meeting: MeetingPreference::Both,
///     location: GeoPoint { lat: 59.2390, lon: 17.8460 },
///     interests: vec![],
///     capacity: 1,
///     active_matches: 0,
///     waiting_days: 0,
/// };
/// // Without Swedish, each newcomer needs a resident who speaks their language.
/// let resident = |id: u128, langs: &[&str]| Participant {
///     role: Role::Resident,
///     swedish: SwedishLevel::Native,
///     languages: langs
///         .iter()
///         .map(|l| Language { code: LanguageCode::new(l).unwrap(), level: Proficiency::Fluent })
///         .collect(),
///     ..newcomer(id, "sv")
/// };
/// let newcomers = [newcomer(1, "ar"), newcomer(2, "ti")];
/// let residents = [resident(10, &["ar", "ti"]), resident(11, &["ar"])];
/// let round = matching_round(&newcomers, &residents, &Config::default(), &Exclusions::default());
/// // Both are matched: the Tigrinya speaker gets resident 10, so 11 takes the Arabic speaker.
/// let pairs: Vec<_> = round.proposals.iter().map(|p| (p.newcomer.0, p.resident.0)).collect();
/// assert_eq!(pairs, vec![(1, 11), (2, 10)]);
/// ```
pub fn matching_round(
    newcomers: &[Participant],
    residents: &[Participant],
    config: &Config,
    exclusions: &Exclusions,
) -> Round {
    CandidateGraph::build(newcomers, residents, config, exclusions).exact()
}

/// The same round solved "best pair first", for comparison with [`matching_round`].
///
/// Cost: [`CandidateGraph::build`] plus [`CandidateGraph::greedy`].
pub fn greedy_round(
    newcomers: &[Participant],
    residents: &[Participant],
    config: &Config,
    exclusions: &Exclusions,
) -> Round {
    CandidateGraph::build(newcomers, residents, config, exclusions).greedy()
}
