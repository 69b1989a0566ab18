//! Pair evaluation, suggestions, and the matching round.

use crate::assignment::{self, BipartiteGraph, Matching};
use crate::components;
use crate::config::Config;
use crate::control::{Cancelled, Progress};
use crate::geo;
use crate::kernel::{self, Row, Tables};
use crate::model::{Exclusions, Participant, ParticipantId, Role};
use crate::prep::{self, Dict};
use crate::scan::{Candidates, Edge, Furthest, Pool, Since};
use crate::score::{self, Explanation, Proposal, Violation};

/// Of the pairs a check finds, each newcomer and each resident brings at most this
/// many (those its prices cover least): 20 halved the exact step of the national
/// benchmark with online pairs against no limit, and 5 took one more solve.
const PER_VERTEX: usize = 20;

/// Figures about a round, for reports (where the shortage is) and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoundStats {
    /// Newcomers ready to be matched (eligible, old enough, without a buddy).
    pub newcomers_ready: usize,
    /// Residents ready to be matched (eligible, fluent, with free capacity).
    pub residents_ready: usize,
    /// The residents' free capacity, summed.
    pub resident_capacity: usize,
    /// Pairs looked at: those in the grid cells around each newcomer, plus those on
    /// the online lists.
    pub pairs_checked: u64,
    /// Pairs that break no hard rule (every one of them, not only the candidates).
    pub pairs_admissible: u64,
    /// Pairs in the candidate graph the assignment was solved on (each side's best
    /// candidates, plus the pairs the checks against every admissible pair added).
    pub candidate_edges: usize,
    /// How many times the assignment was checked against every admissible pair (at
    /// least 1 for an exact round; each failed check adds pairs and solves again).
    pub full_graph_checks: u32,
    /// Admissible pairs those checks added to the candidate graph.
    pub pairs_added: usize,
    /// Pairs proposed.
    pub matched: usize,
    /// Sum of the proposed pairs' scores.
    pub total_score: i64,
}

/// Why a ready newcomer is left waiting after a round.
///
/// For a newcomer without a single admissible resident, the reason is the first rule,
/// in this order, that leaves no resident: within reach (the distance limit, or the
/// online waiver), a language both can talk in, common free time, the hard wishes of
/// both, not declined or ended before. A newcomer with admissible residents who is
/// still waiting lost them to others: the round matches the most newcomers possible,
/// so those residents' room went to people with fewer options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitReason {
    /// No ready resident within the distance limit, nor one the online waiver reaches.
    NoResidentWithinReach,
    /// Residents within reach, but none shares a language to talk in.
    NoSharedLanguage,
    /// Some share a language, but none has enough common free time.
    NoCommonTime,
    /// Some share a language and time, but a hard wish (of either side) rules each out.
    HardWish,
    /// The only admissible residents were declined or ended before.
    OnlyExcludedPairs,
    /// Admissible residents existed, but all their room went to people with fewer
    /// options (no maximum matching could include this newcomer as well).
    CandidatesTakenByOthers,
}

impl std::fmt::Display for WaitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NoResidentWithinReach => "no resident within reach",
            Self::NoSharedLanguage => "no shared language",
            Self::NoCommonTime => "no common free time",
            Self::HardWish => "a hard wish",
            Self::OnlyExcludedPairs => "every candidate was declined or ended before",
            Self::CandidatesTakenByOthers => "all candidates taken by people with fewer options",
        })
    }
}

/// A newcomer left waiting, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Waiting {
    /// The newcomer.
    pub newcomer: ParticipantId,
    /// Why.
    pub reason: WaitReason,
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
    /// Every unmatched newcomer with the reason, sorted by id (the same newcomers as
    /// `unmatched_newcomers`).
    pub waiting: Vec<Waiting>,
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
    if newcomer.role != Role::Newcomer || resident.role != Role::Resident {
        return Err(Violation::RolesNotOpposite);
    }
    score::check_person(newcomer, config)?;
    score::check_person(resident, config)?;
    if exclusions.contains(newcomer.id, resident.id) {
        return Err(Violation::Excluded);
    }
    let dict = Dict::new(std::iter::once(newcomer), std::iter::once(resident));
    let words = prep::kernel_words(dict.words);
    let tables = Tables::new(config, words);
    let (mut nb, mut rb) = (vec![0u64; 2 * words], vec![0u64; 2 * words]);
    dict.write_bits(newcomer, &mut nb);
    dict.write_bits(resident, &mut rb);
    let (nr, rr) = (Row::new(newcomer, config), Row::new(resident, config));
    let max_m = geo::km_to_m(config.rules.max_distance_km) as f64;
    let a = geo::Point::new(newcomer.location).hav(&geo::Point::new(resident.location));
    let within = a <= geo::hav_of_m(max_m);
    if !within && !tables.waived(&nr, &rr) {
        return Err(Violation::TooFar);
    }
    let dist = geo::m_of_hav(a);
    let dist_pts = if within { tables.distance_points(dist) } else { 0 };
    let w = kernel::Dynamic(words);
    if let Some(v) = kernel::pair_violation(&tables, w, &nr, &nb, &rr, &rb) {
        return Err(v);
    }
    let pts = kernel::points(&tables, w, &nr, &nb, &rr, &rb, dist_pts)
        .expect("a pair that breaks no pair rule has points");
    Ok(score::explain(newcomer, resident, dist, &pts, config))
}

/// Whether a participant can be matched at all, whatever the other side: eligible
/// (ready, with a district that has coordinates), at least [`crate::Rules::min_age`],
/// with room for a buddy (`capacity - active_matches`, so a resident with a live
/// match and room for more stays matchable) and, for an established resident,
/// Swedish at C1 or above. A round leaves out everyone who is not; this names why,
/// so that no one is unmatchable without a reason a coordinator can see.
///
/// The engine has no "unknown" Swedish level: the service gives it
/// [`SwedishLevel::Native`](crate::SwedishLevel::Native) for an established resident
/// whose level was never recorded (the contract's `MatchingProfile.swedish_level`,
/// unset), so only a resident recorded below C1 is refused here.
///
/// Cost: O(1).
///
/// # Errors
///
/// The first of [`Violation::NotEligible`], [`Violation::TooYoung`],
/// [`Violation::NoCapacity`] and [`Violation::ResidentNotFluentInSwedish`] that
/// applies.
///
/// # Examples
///
/// ```
/// use kompis_matching::*;
/// let resident = Participant {
///     id: ParticipantId(7),
///     role: Role::Resident,
///     eligible: true,
///     languages: vec![],
///     swedish: SwedishLevel::Native,
///     gender: Gender::Man,
///     age: 52,
///     has_children: true,
///     wishes: Wishes::default(),
///     availability: Availability::ALWAYS,
///     meeting: MeetingPreference::Both,
///     location: GeoPoint { lat: 59.2390, lon: 17.8460 },
///     interests: vec![],
///     capacity: 2,
///     active_matches: 1,
///     waiting_days: 0,
/// };
/// let config = Config::default();
/// // One live match and room for one more: still matchable.
/// assert_eq!(matchable(&resident, &config), Ok(()));
/// let b2 = Participant { swedish: SwedishLevel::B2, ..resident.clone() };
/// assert_eq!(matchable(&b2, &config), Err(Violation::ResidentNotFluentInSwedish));
/// let full = Participant { active_matches: 2, ..resident };
/// assert_eq!(matchable(&full, &config), Err(Violation::NoCapacity));
/// ```
pub fn matchable(participant: &Participant, config: &Config) -> Result<(), Violation> {
    score::check_person(participant, config)
}

/// The `k` best candidates for one participant among `others` (residents for a
/// newcomer, newcomers for a resident), best first, each explained. Candidates that
/// violate a hard constraint are left out; equal scores are ordered by id.
///
/// Cost: O(m · (L + I) + m log k) for m others, most of it preparing them; to ask
/// for many participants against one pool, build a [`crate::SuggestionIndex`] once
/// (then O(m + k log k) per participant).
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
    crate::suggest::SuggestionIndex::new(others, config).suggestions(participant, k, exclusions)
}

/// The candidate graph of a round: everyone ready, and for each newcomer the best
/// admissible residents (plus, for each resident, their best newcomers), found among
/// every admissible pair.
///
/// Build it once, then solve it exactly ([`CandidateGraph::exact`], which also checks
/// the result against every admissible pair) or, for comparison, greedily
/// ([`CandidateGraph::greedy`]) or exactly on the candidates alone
/// ([`CandidateGraph::exact_on_candidates`]).
#[derive(Debug)]
pub struct CandidateGraph<'a> {
    pool: Pool<'a>,
    cand: Candidates,
    /// The candidate graph in CSR form, built on first use: only the comparisons
    /// ([`CandidateGraph::exact_on_candidates`], [`CandidateGraph::greedy`]) need it.
    graph: std::sync::OnceLock<BipartiteGraph>,
    stats: RoundStats,
}

impl<'a> CandidateGraph<'a> {
    /// Filters who is ready, finds every admissible pair (a spatial grid for pairs
    /// within the distance limit, online lists beyond it), scores them, and keeps the
    /// candidate graph.
    ///
    /// Input order does not matter: both sides are sorted by id (a repeated id is
    /// kept once). Cost: O((N + R) log(N + R) + R·A' + P/64 · S + A log K) time for
    /// P pairs looked at (those in the grid cells around each newcomer, at most a few
    /// times the pairs within the maximum distance, plus online pairs), S the slots
    /// and languages a newcomer has (the pair rules are read from bit sets over the
    /// residents, 64 at a time; online pairs, and pools the sets do not fit, are
    /// tested one by one, O(P)), A admissible pairs (each scored) and A' the oldest
    /// age (the sets take O(R / 64 · (A' + 128)) words); O(N·K + R·K) memory besides.
    /// Runs on up to two threads.
    pub fn build(
        newcomers: &'a [Participant],
        residents: &'a [Participant],
        config: &'a Config,
        exclusions: &Exclusions,
    ) -> Self {
        Self::build_observed(newcomers, residents, config, exclusions, &Progress::new())
            .expect("a fresh progress is never cancelled")
    }

    /// [`CandidateGraph::build`], reporting progress (up to 600 per mille) and
    /// stopping when cancelled.
    ///
    /// # Errors
    ///
    /// [`Cancelled`] if `progress` was cancelled.
    pub fn build_observed(
        newcomers: &'a [Participant],
        residents: &'a [Participant],
        config: &'a Config,
        exclusions: &Exclusions,
        progress: &Progress,
    ) -> Result<Self, Cancelled> {
        progress.check()?;
        let pool = Pool::new(newcomers, residents, config, exclusions);
        let rules = &config.rules;
        let cand = pool.candidates(
            rules.candidates_per_newcomer,
            rules.candidates_per_resident,
            progress,
        )?;
        let stats = RoundStats {
            newcomers_ready: pool.newcomers.len(),
            residents_ready: pool.residents.len(),
            resident_capacity: pool.capacity.iter().map(|&c| c as usize).sum(),
            pairs_checked: cand.pairs_checked,
            pairs_admissible: cand.pairs_admissible,
            candidate_edges: cand.edges.len(),
            ..RoundStats::default()
        };
        Ok(Self {
            pool,
            cand,
            graph: std::sync::OnceLock::new(),
            stats,
        })
    }

    /// Figures about the candidate graph (before solving). Cost: O(1).
    pub fn stats(&self) -> RoundStats {
        self.stats
    }

    /// The number of candidate pairs. Cost: O(1).
    pub fn n_edges(&self) -> usize {
        self.cand.edges.len()
    }

    /// The exact round over every admissible pair: the most newcomers matched, then
    /// the greatest total score, each pair explained.
    ///
    /// The assignment is solved on the candidate graph
    /// ([`assignment::max_weight_matching`]'s method, one connected component at a
    /// time on two threads), and its dual prices are then checked against every
    /// admissible pair outside the graph. A pair they do not cover could improve the
    /// matching: such pairs (each person's 20 least covered, with those covered by
    /// less than a sixtieth of the largest score) are added and the components of
    /// the uncovered ones solved again, until none is left. Linear-programming duality (the
    /// bipartite b-matching polytope is integral) then makes the result optimal over
    /// all admissible pairs, in cardinality and in score, not only on the candidates.
    ///
    /// Each solve after the first starts from the one before (the components the
    /// added pairs touch keep their pairs and prices, and only the people whose
    /// prices the new pairs break are placed again, see
    /// [`assignment`]'s warm start), and each check after the first reads only the
    /// pairs whose cover can have changed: those of newcomers or residents whose
    /// price fell, and of newcomers whose uncovered pairs the check before left out.
    ///
    /// Cost: the first check scores only the pairs that can lie outside the graph
    /// (of newcomers whose list was cut and whose price does not cover the cut,
    /// against residents whose slack still allows it), the later ones only those
    /// whose prices fell; one assignment on the components, then one warm-started
    /// re-solve per failed check (O(E) to rebuild the components, plus the searches
    /// of those placed again), plus O(M · (L + I)) to explain M proposals. Every
    /// check adds at least one pair, so the number of checks is finite; on the
    /// national benchmark it is 3 (the second and third read a few thousand pairs).
    pub fn exact(&self) -> Round {
        self.exact_observed(&Progress::new())
            .expect("a fresh progress is never cancelled")
    }

    /// [`CandidateGraph::exact`], reporting progress (600 to 1000 per mille) and
    /// stopping when cancelled.
    ///
    /// # Errors
    ///
    /// [`Cancelled`] if `progress` was cancelled.
    pub fn exact_observed(&self, progress: &Progress) -> Result<Round, Cancelled> {
        progress.check()?;
        let rules = &self.pool.config.rules;
        let (k_n, k_r) = (rules.candidates_per_newcomer, rules.candidates_per_resident);
        let m = assignment::big_m(
            self.pool.newcomers.len(),
            &self.pool.capacity,
            self.weight_bound(),
        )
        .expect("scores are small");
        let mut edges = self.cand.edges.clone();
        let mut stats = self.stats;
        let mut span = (700u32, 900u32);
        // Pairs the prices cover by less than this come along with the uncovered ones
        // (the prices move when pairs are added, and these are the next to be
        // uncovered), which saves solves. Any value keeps the result exact.
        // A sixtieth of the largest score (10 points with the default weights) measured
        // best on the national benchmark: 0 took three solves there, 30 added 20 times
        // as many pairs.
        let margin = (self.weight_bound() / 60).max(1);
        let (n_left, n_right) = (self.pool.newcomers.len(), self.pool.residents.len());
        let (mut cert, mut partition) = components::solve(n_left, &edges, &self.pool.capacity, m, None);
        // The prices the last check was made against, and the newcomers whose pairs
        // it left out (see [`Since`]).
        let mut before: Option<(Vec<i64>, Vec<i64>, Vec<u32>)> = None;
        loop {
            stats.full_graph_checks += 1;
            progress.check()?;
            progress.advance(span.0);
            let since = before
                .as_ref()
                .map(|(p, q, left_out): &(Vec<i64>, Vec<i64>, Vec<u32>)| Since { p, q, left_out });
            let (extra, uncovered, left_out) = self.pool.uncovered(
                &self.cand,
                k_n,
                k_r,
                m,
                &cert.left_price,
                &cert.right_price,
                margin,
                PER_VERTEX,
                since,
                progress,
                span,
            )?;
            if uncovered == 0 {
                stats.candidate_edges = edges.len();
                return self.round(&cert.matching, edges.len(), stats, progress);
            }
            // Only the components of the pairs the prices do not cover are solved
            // again: a pair they cover (within the margin) changes neither the
            // matching nor the prices of its component.
            let mut dirty_left = vec![false; n_left];
            let mut dirty_right = vec![false; n_right];
            // `extra` is sorted and distinct: one merge with the sorted graph finds
            // the pairs not in it yet and puts them in place (linear, where sorting the
            // whole graph again would not be).
            let (merged, added) = merge_new(&edges, &extra);
            for &(i, j, w) in &added {
                if w + m > cert.left_price[i as usize] + cert.right_price[j as usize] {
                    dirty_left[i as usize] = true;
                    dirty_right[j as usize] = true;
                }
            }
            stats.pairs_added += added.len();
            edges = merged;
            let previous = components::Previous {
                solved: &cert,
                dirty_left: &dirty_left,
                dirty_right: &dirty_right,
                partition: &partition,
                added: &added,
            };
            let (next, next_partition) =
                components::solve(n_left, &edges, &self.pool.capacity, m, Some(previous));
            before = Some((cert.left_price, cert.right_price, left_out));
            cert = next;
            partition = next_partition;
            span = (span.1, (span.1 + 950) / 2);
        }
    }

    /// The exact round on the candidate graph alone (most pairs, then most points,
    /// among the candidates), without the check against every admissible pair; for
    /// comparison with [`CandidateGraph::exact`].
    ///
    /// Cost: that of [`assignment::max_weight_matching`] plus the explanations.
    pub fn exact_on_candidates(&self) -> Round {
        let m = assignment::max_weight_matching(self.graph(), &self.pool.capacity)
            .expect("scores are small and capacities match the residents");
        self.round(&m, self.n_edges(), self.stats, &Progress::new())
            .expect("a fresh progress is never cancelled")
    }

    /// The candidate graph in CSR form. Cost: O(N + E) on first use, then O(1).
    fn graph(&self) -> &BipartiteGraph {
        self.graph.get_or_init(|| {
            BipartiteGraph::from_edges(
                self.pool.newcomers.len(),
                self.pool.residents.len(),
                &self.cand.edges,
            )
            .expect("indices come from the ready lists")
        })
    }

    /// The "best pair first" baseline on the candidate graph (see
    /// [`assignment::greedy_matching`]); for comparison only.
    ///
    /// Cost: O(E log E) plus the explanations.
    pub fn greedy(&self) -> Round {
        let m = assignment::greedy_matching(self.graph(), &self.pool.capacity)
            .expect("capacities match the residents");
        self.round(&m, self.n_edges(), self.stats, &Progress::new())
            .expect("a fresh progress is never cancelled")
    }

    /// The largest score a pair can have: the sum of the weights.
    fn weight_bound(&self) -> i64 {
        let w = &self.pool.config.weights;
        [
            w.shared_interests,
            w.distance,
            w.age_closeness,
            w.soft_wishes,
            w.swedish_fit,
            w.family,
            w.meeting,
            w.waiting,
        ]
        .iter()
        .map(|&x| i64::from(x))
        .sum::<i64>()
        .max(1)
    }

    fn round(
        &self,
        m: &Matching,
        n_edges: usize,
        stats: RoundStats,
        progress: &Progress,
    ) -> Result<Round, Cancelled> {
        let pool = &self.pool;
        let explain = |&(i, j): &(u32, u32)| {
            let (n, r) = (pool.newcomers[i as usize], pool.residents[j as usize]);
            let (pts, dist) = pool
                .pair_points(i as usize, j as usize)
                .expect("matched pairs are admissible");
            let explanation = score::explain(n, r, dist, &pts, pool.config);
            Proposal {
                newcomer: n.id,
                resident: r.id,
                score: explanation.total,
                explanation,
            }
        };
        let proposals: Vec<Proposal> = if m.pairs.len() < 2_048 {
            m.pairs.iter().map(explain).collect()
        } else {
            let half = m.pairs.len() / 2;
            let (a, b) = m.pairs.split_at(half);
            std::thread::scope(|s| {
                let other = s.spawn(|| b.iter().map(explain).collect::<Vec<_>>());
                let mut first: Vec<Proposal> = a.iter().map(explain).collect();
                first.extend(other.join().expect("an explaining thread panicked"));
                first
            })
        };
        progress.check()?;
        let mut matched = vec![false; pool.newcomers.len()];
        for p in &m.pairs {
            matched[p.0 as usize] = true;
        }
        let unmatched: Vec<u32> = (0..pool.newcomers.len() as u32)
            .filter(|&i| !matched[i as usize])
            .collect();
        let without: Vec<u32> = unmatched
            .iter()
            .copied()
            .filter(|&i| self.cand.deg_n[i as usize] == 0)
            .collect();
        let furthest = pool.furthest(&without);
        let mut why = without.iter().zip(furthest);
        let waiting = unmatched
            .iter()
            .map(|&i| {
                let reason = if self.cand.deg_n[i as usize] > 0 {
                    WaitReason::CandidatesTakenByOthers
                } else {
                    match why.next().map(|x| x.1) {
                        Some(Furthest::NoneWithinReach) | None => WaitReason::NoResidentWithinReach,
                        Some(Furthest::WithinReach) => WaitReason::NoSharedLanguage,
                        Some(Furthest::SharedLanguage) => WaitReason::NoCommonTime,
                        Some(Furthest::CommonTime) => WaitReason::HardWish,
                        Some(Furthest::HardWishes) => WaitReason::OnlyExcludedPairs,
                    }
                };
                Waiting {
                    newcomer: pool.newcomers[i as usize].id,
                    reason,
                }
            })
            .collect();
        let stats = RoundStats {
            matched: proposals.len(),
            total_score: m.total_weight,
            candidate_edges: n_edges,
            ..stats
        };
        progress.advance(1000);
        Ok(Round {
            proposals,
            unmatched_newcomers: unmatched.iter().map(|&i| pool.newcomers[i as usize].id).collect(),
            newcomers_without_candidates: without.iter().map(|&i| pool.newcomers[i as usize].id).collect(),
            waiting,
            stats,
        })
    }
}

/// The union of the sorted, distinct `edges` and `extra` (by their pair), sorted,
/// and the pairs of `extra` that were not in `edges`.
fn merge_new(edges: &[Edge], extra: &[Edge]) -> (Vec<Edge>, Vec<Edge>) {
    let key = |e: &Edge| (e.0, e.1);
    let mut out = Vec::with_capacity(edges.len() + extra.len());
    let mut added = Vec::new();
    let mut y = 0;
    for e in edges {
        while y < extra.len() && key(&extra[y]) < key(e) {
            out.push(extra[y]);
            added.push(extra[y]);
            y += 1;
        }
        if y < extra.len() && key(&extra[y]) == key(e) {
            y += 1; // already in the graph
        }
        out.push(*e);
    }
    out.extend_from_slice(&extra[y..]);
    added.extend_from_slice(&extra[y..]);
    (out, added)
}

/// A matching round among everyone ready in a scope (a district, a municipality, a
/// chapter, or the whole country: the caller passes the participants of the scope).
///
/// Objective, exactly: among all sets of admissible pairs (every pair that breaks no
/// hard rule, not only the candidates) that match each newcomer at most once and each
/// resident at most their free capacity, maximise first the number of pairs and then
/// the sum of scores. Deterministic and independent of input order (ties are broken
/// by ids).
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

/// [`matching_round`], reporting its progress and stopping when cancelled (see
/// [`Progress`]).
///
/// Cost: that of [`matching_round`].
///
/// # Errors
///
/// [`Cancelled`] if `progress` was cancelled before the round finished.
pub fn matching_round_observed(
    newcomers: &[Participant],
    residents: &[Participant],
    config: &Config,
    exclusions: &Exclusions,
    progress: &Progress,
) -> Result<Round, Cancelled> {
    CandidateGraph::build_observed(newcomers, residents, config, exclusions, progress)?
        .exact_observed(progress)
}
