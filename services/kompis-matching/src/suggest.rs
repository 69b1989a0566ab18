//! Suggestions: the best candidates of one participant against a prepared pool.

use crate::config::Config;
use crate::geo;
use crate::kernel::{self, Dynamic, Fixed, Row, Tables, Words};
use crate::model::{Exclusions, Participant, ParticipantId, Role};
use crate::prep::{self, Dict, Side};
use crate::score::{self, Proposal, Violation};

/// Nanoseconds in a day, the unit of waiting time.
const DAY_NS: i64 = 86_400_000_000_000;

/// A pool of participants prepared once (for example every ready resident of a
/// chapter), to ask for the best candidates of many participants against it.
///
/// Building it costs O(m · (L + I) + m log m) for m participants, kept in order of
/// waiting time, longest first; each [`SuggestionIndex::suggestions`] call then checks
/// and scores them in that order with the round's kernel, O(m + k log k) with no
/// allocation per candidate, keeping only those that may still be among the best k,
/// and stops at the first who could not be among them even with full points on every
/// criterion but waiting time; it explains the k it returns.
///
/// # Examples
///
/// ```
/// use kompis_matching::*;
/// let person = |id: u128, role: Role| Participant {
///     id: ParticipantId(id),
///     role,
///     eligible: true,
///     languages: vec![],
///     swedish: if role == Role::Resident { SwedishLevel::Native } else { SwedishLevel::SfiB },
///     gender: Gender::Woman,
///     age: 30,
///     has_children: false,
///     wishes: Wishes::default(),
///     availability: Availability::ALWAYS,
///     meeting: MeetingPreference::Both,
///     location: GeoPoint { lat: 59.2390, lon: 17.8460 },
///     interests: vec![],
///     capacity: 1,
///     active_matches: 0,
///     waiting_days: 5 * id as u32,
/// };
/// let residents: Vec<Participant> = (1..=60).map(|id| person(id, Role::Resident)).collect();
/// let config = Config::default();
/// let index = SuggestionIndex::new(&residents, &config);
/// let top = index.suggestions(&person(1_000, Role::Newcomer), 3, &Exclusions::default()).unwrap();
/// // The residents who waited longest come first.
/// let ids: Vec<u128> = top.iter().map(|p| p.resident.0).collect();
/// assert_eq!(ids, vec![60, 59, 58]);
/// ```
#[derive(Debug)]
pub struct SuggestionIndex<'a> {
    config: &'a Config,
    others: Vec<&'a Participant>,
    /// When each of `others` started waiting, in nanoseconds since the Unix epoch, when
    /// built by [`SuggestionIndex::with_waiting_since`].
    since: Option<Vec<Option<i64>>>,
    dict: Dict,
    words: usize,
    side: Side,
    tables: Tables,
    hav_max: f64,
}

impl<'a> SuggestionIndex<'a> {
    /// Prepares `others` (those who cannot be matched at all are left out).
    /// Cost: O(m · (L + I) + m log m + L log L + I log I).
    pub fn new(others: &'a [Participant], config: &'a Config) -> Self {
        Self::build(others, config, None)
    }

    /// Prepares `others` as [`SuggestionIndex::new`] does, with when each of them
    /// started waiting: `since[i]` for `others[i]`, in nanoseconds since the Unix epoch
    /// (`None`: not waiting). [`SuggestionIndex::suggestions_at`] then counts everyone's
    /// waiting days at the moment asked, so an index kept over a pool stays exact while
    /// the clock moves; their `waiting_days` are not read. Cost: as `new`.
    ///
    /// # Panics
    ///
    /// If `since` and `others` differ in length.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_matching::*;
    /// const DAY: i64 = 86_400_000_000_000;
    /// let person = |id: u128, role: Role| Participant {
    ///     id: ParticipantId(id),
    ///     role,
    ///     eligible: true,
    ///     languages: vec![],
    ///     swedish: if role == Role::Resident { SwedishLevel::Native } else { SwedishLevel::SfiB },
    ///     gender: Gender::Woman,
    ///     age: 30,
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
    /// let residents = vec![person(1, Role::Resident)];
    /// // The resident has waited since noon on day 1 (days counted from the epoch).
    /// let since = [Some(DAY + DAY / 2)];
    /// let config = Config::default();
    /// let index = SuggestionIndex::with_waiting_since(&residents, &config, &since);
    /// let me = person(1_000, Role::Newcomer);
    /// let score_on = |day: i64| {
    ///     let top = index.suggestions_at(&me, 1, &Exclusions::default(), day * DAY).unwrap();
    ///     top[0].score
    /// };
    /// // The same index scores the wait as it stands when asked.
    /// assert!(score_on(300) > score_on(10));
    /// ```
    pub fn with_waiting_since(others: &'a [Participant], config: &'a Config, since: &[Option<i64>]) -> Self {
        assert_eq!(others.len(), since.len(), "one waiting start per participant");
        Self::build(others, config, Some(since))
    }

    fn build(others: &'a [Participant], config: &'a Config, since: Option<&[Option<i64>]>) -> Self {
        let mut kept: Vec<usize> = (0..others.len())
            .filter(|&i| score::check_person(&others[i], config).is_ok())
            .collect();
        // Longest waiting first, as the waits are counted (from when each started
        // waiting, or their waiting days): a scan can then stop at the first who,
        // even with full points on everything else, scores below the k-th best found.
        match since {
            Some(since) => kept.sort_by_key(|&i| since[i].unwrap_or(i64::MAX)),
            None => kept.sort_by_key(|&i| std::cmp::Reverse(others[i].waiting_days)),
        }
        let since = since.map(|since| kept.iter().map(|&i| since[i]).collect());
        let others: Vec<&Participant> = kept.iter().map(|&i| &others[i]).collect();
        let dict = Dict::one_side(others.iter().copied());
        let words = prep::kernel_words(dict.words);
        let side = Side::new(others.iter().copied(), &dict, words, config);
        let max_m = geo::km_to_m(config.rules.max_distance_km) as f64;
        Self {
            config,
            tables: Tables::new(config, words),
            others,
            since,
            dict,
            words,
            side,
            hav_max: geo::hav_of_m(max_m),
        }
    }

    /// The number of participants in the index. Cost: O(1).
    pub fn len(&self) -> usize {
        self.others.len()
    }

    /// Whether the index is empty. Cost: O(1).
    pub fn is_empty(&self) -> bool {
        self.others.is_empty()
    }

    /// The `k` best admissible candidates of `participant` in the index (the other
    /// role's), best first, each explained; equal scores are ordered by id. The rules
    /// are those of a round (see [`crate::evaluate`]).
    ///
    /// Cost: O(m + k log k) kernel evaluations and comparisons, plus O(k · (L + I)) to
    /// explain the k returned.
    ///
    /// # Errors
    ///
    /// The participant's own [`Violation`] if they cannot be matched at all (not
    /// eligible, too young, no free capacity, or a resident below C1 in Swedish).
    pub fn suggestions(
        &self,
        participant: &Participant,
        k: usize,
        exclusions: &Exclusions,
    ) -> Result<Vec<Proposal>, Violation> {
        self.ranked(participant, k, exclusions, None)
    }

    /// The `k` best candidates as [`SuggestionIndex::suggestions`] gives them, with the
    /// waiting days of the index's participants counted at `now` (nanoseconds since
    /// the Unix epoch): whole days since each started waiting, none before, as given to
    /// [`SuggestionIndex::with_waiting_since`]; an index built without them uses their
    /// `waiting_days`. The participant asking brings their own `waiting_days`.
    ///
    /// Cost: as `suggestions`, plus one division per candidate scored.
    ///
    /// # Errors
    ///
    /// As `suggestions`.
    pub fn suggestions_at(
        &self,
        participant: &Participant,
        k: usize,
        exclusions: &Exclusions,
        now: i64,
    ) -> Result<Vec<Proposal>, Violation> {
        self.ranked(participant, k, exclusions, Some(now))
    }

    /// The `k` best candidates as [`SuggestionIndex::suggestions_at`] finds them, best
    /// first, with their scores but without explanations: for a caller that explains
    /// them itself (or not at all), so that the k found are not explained twice.
    ///
    /// Cost: O(m + k log k) kernel evaluations and comparisons, nothing per candidate
    /// returned beyond its ids.
    ///
    /// # Errors
    ///
    /// As `suggestions`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_matching::*;
    /// let person = |id: u128, role: Role| Participant {
    ///     id: ParticipantId(id),
    ///     role,
    ///     eligible: true,
    ///     languages: vec![],
    ///     swedish: if role == Role::Resident { SwedishLevel::Native } else { SwedishLevel::SfiB },
    ///     gender: Gender::Woman,
    ///     age: 30,
    ///     has_children: false,
    ///     wishes: Wishes::default(),
    ///     availability: Availability::ALWAYS,
    ///     meeting: MeetingPreference::Both,
    ///     location: GeoPoint { lat: 59.2390, lon: 17.8460 },
    ///     interests: vec![],
    ///     capacity: 1,
    ///     active_matches: 0,
    ///     waiting_days: 5 * id as u32,
    /// };
    /// let residents: Vec<Participant> = (1..=60).map(|id| person(id, Role::Resident)).collect();
    /// let config = Config::default();
    /// let index = SuggestionIndex::new(&residents, &config);
    /// let me = person(1_000, Role::Newcomer);
    /// let none = Exclusions::default();
    /// let found = index.ranked_at(&me, 3, &none, 0).unwrap();
    /// let explained = index.suggestions(&me, 3, &none).unwrap();
    /// assert_eq!(found.len(), 3);
    /// for (f, e) in found.iter().zip(&explained) {
    ///     assert_eq!((f.newcomer, f.resident, f.score), (e.newcomer, e.resident, e.score));
    /// }
    /// ```
    pub fn ranked_at(
        &self,
        participant: &Participant,
        k: usize,
        exclusions: &Exclusions,
        now: i64,
    ) -> Result<Vec<Ranked>, Violation> {
        let newcomer = participant.role == Role::Newcomer;
        Ok(self
            .best(participant, k, exclusions, Some(now))?
            .into_iter()
            .map(|(total, idx)| {
                let o = self.others[idx as usize].id;
                let (newcomer, resident) = if newcomer {
                    (participant.id, o)
                } else {
                    (o, participant.id)
                };
                Ranked {
                    newcomer,
                    resident,
                    score: i64::from(total),
                }
            })
            .collect())
    }

    fn ranked(
        &self,
        participant: &Participant,
        k: usize,
        exclusions: &Exclusions,
        now: Option<i64>,
    ) -> Result<Vec<Proposal>, Violation> {
        let waited = self.waited(now);
        let newcomer = participant.role == Role::Newcomer;
        Ok(self
            .best(participant, k, exclusions, now)?
            .into_iter()
            .map(|(_, idx)| {
                let o = self.others[idx as usize];
                let now_waited;
                let o = match days_of(waited, idx as usize) {
                    Some(days) => {
                        now_waited = Participant {
                            waiting_days: days,
                            ..o.clone()
                        };
                        &now_waited
                    }
                    None => o,
                };
                let (n, r) = if newcomer {
                    (participant, o)
                } else {
                    (o, participant)
                };
                let explanation = crate::evaluate(n, r, self.config, &Exclusions::default())
                    .expect("a candidate found admissible is admissible");
                Proposal {
                    newcomer: n.id,
                    resident: r.id,
                    score: explanation.total,
                    explanation,
                }
            })
            .collect())
    }

    /// When each of the index's participants started waiting, with the moment asked,
    /// when both are known.
    fn waited(&self, now: Option<i64>) -> Waited<'_> {
        match (&self.since, now) {
            (Some(since), Some(now)) => Some((since.as_slice(), now)),
            _ => None,
        }
    }

    /// The `k` best as (total points, index into `others`), best first.
    fn best(
        &self,
        participant: &Participant,
        k: usize,
        exclusions: &Exclusions,
        now: Option<i64>,
    ) -> Result<Vec<(i32, u32)>, Violation> {
        score::check_person(participant, self.config)?;
        let waited = self.waited(now);
        Ok(match self.words {
            1 => self.top(Fixed::<1>, participant, k, exclusions, waited),
            2 => self.top(Fixed::<2>, participant, k, exclusions, waited),
            4 => self.top(Fixed::<4>, participant, k, exclusions, waited),
            n => self.top(Dynamic(n), participant, k, exclusions, waited),
        })
    }

    fn top<W: Words>(
        &self,
        w: W,
        me: &Participant,
        k: usize,
        exclusions: &Exclusions,
        waited: Waited<'_>,
    ) -> Vec<(i32, u32)> {
        let days_of = |idx: usize| days_of(waited, idx);
        let row = Row::new(me, self.config);
        let mut bits = vec![0u64; self.side.stride];
        self.dict.write_bits(me, &mut bits);
        // The index is in order of waiting time as this call counts it (see `build`)
        // unless it was built with waiting starts and is asked without a moment.
        let ordered = self.since.is_some() == waited.is_some();
        let interests: usize = bits[self.words..].iter().map(|b| b.count_ones() as usize).sum();
        let best_besides_waiting = self.tables.best_besides_waiting(interests);
        let here = geo::Point::new(me.location);
        let newcomer = me.role == Role::Newcomer;
        if k == 0 {
            return Vec::new();
        }
        let order = |a: &(i32, u32), b: &(i32, u32)| {
            b.0.cmp(&a.0)
                .then(self.others[a.1 as usize].id.cmp(&self.others[b.1 as usize].id))
        };
        // The candidates found, kept to the best k whenever `keep` have gathered; once
        // k are kept, one scoring below the k-th best (`floor`) can never be among the
        // best k and is not kept (one scoring the same still can: ties go by id).
        let keep = k.saturating_mul(4).max(256);
        let mut found: Vec<(i32, u32)> = Vec::with_capacity(keep.min(self.others.len()));
        let mut floor = i32::MIN;
        // The distance points of the last haversine term computed: people sit on their
        // district's point, so a run of candidates shares one, and its square root and
        // arcsine are computed once (NaN matches nothing, so the first is computed).
        let (mut last_hav, mut last_pts) = (f64::NAN, 0);
        for (idx, o) in self.others.iter().enumerate() {
            if o.role == me.role {
                continue;
            }
            let (mut orow, obits) = (&self.side.rows[idx], self.side.bits_of(idx));
            if ordered && floor != i32::MIN {
                // Everyone after waited no longer: none of them can score more.
                let waited = days_of(idx).map_or(*orow, |days| orow.with_waiting_days(days, self.config));
                let wait = if newcomer {
                    self.tables.waiting_points(&row, &waited)
                } else {
                    self.tables.waiting_points(&waited, &row)
                };
                if best_besides_waiting + wait < floor {
                    break;
                }
            }
            let a = here.hav(&self.side.points[idx]);
            let within = a <= self.hav_max;
            // The waiver does not depend on waiting time, so the wait is counted only
            // for those within reach.
            if !within && !self.tables.waived(&row, orow) {
                continue;
            }
            let patched;
            if let Some(days) = days_of(idx) {
                patched = orow.with_waiting_days(days, self.config);
                orow = &patched;
            }
            let dist_pts = if !within {
                0
            } else if a.to_bits() == last_hav.to_bits() {
                last_pts
            } else {
                last_hav = a;
                last_pts = self.tables.distance_points(geo::m_of_hav(a));
                last_pts
            };
            let pts = if newcomer {
                kernel::points(&self.tables, w, &row, &bits, orow, obits, dist_pts)
            } else {
                kernel::points(&self.tables, w, orow, obits, &row, &bits, dist_pts)
            };
            let Some(pts) = pts else { continue };
            let total: i32 = pts.iter().sum();
            if total < floor {
                continue;
            }
            let excluded = if newcomer {
                exclusions.contains(me.id, o.id)
            } else {
                exclusions.contains(o.id, me.id)
            };
            if !excluded {
                found.push((total, idx as u32));
                if found.len() >= keep {
                    found.select_nth_unstable_by(k - 1, order);
                    found.truncate(k);
                    floor = found[k - 1].0;
                }
            }
        }
        if found.len() > k {
            found.select_nth_unstable_by(k - 1, order);
            found.truncate(k);
        }
        found.sort_unstable_by(order);
        found
    }
}

/// One candidate found by [`SuggestionIndex::ranked_at`]: the pair and its score (the
/// total an explanation of the pair gives), unexplained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ranked {
    /// The newcomer.
    pub newcomer: ParticipantId,
    /// The established resident.
    pub resident: ParticipantId,
    /// The score.
    pub score: i64,
}

/// When each of an index's participants started waiting (nanoseconds since the Unix
/// epoch, by index), with the moment asked.
type Waited<'s> = Option<(&'s [Option<i64>], i64)>;

/// The whole days participant `idx` has waited at the moment in `waited` (none before
/// they started; `None` when the index counts no waits).
#[inline(always)]
fn days_of(waited: Waited<'_>, idx: usize) -> Option<u32> {
    waited.map(|(since, now)| match since[idx] {
        Some(since) => u32::try_from(now.saturating_sub(since).div_euclid(DAY_NS).max(0)).unwrap_or(u32::MAX),
        None => 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Availability, Gender, GeoPoint, MeetingPreference, ParticipantId, SwedishLevel, Wishes,
    };

    fn person(id: u128, role: Role) -> Participant {
        Participant {
            id: ParticipantId(id),
            role,
            eligible: true,
            languages: vec![],
            swedish: if role == Role::Resident {
                SwedishLevel::Native
            } else {
                SwedishLevel::SfiB
            },
            gender: Gender::Woman,
            age: 30,
            has_children: false,
            wishes: Wishes::default(),
            availability: Availability::ALWAYS,
            meeting: MeetingPreference::Both,
            location: GeoPoint {
                lat: 59.2390,
                lon: 17.8460,
            },
            interests: vec![],
            capacity: 1,
            active_matches: 0,
            waiting_days: 0,
        }
    }

    /// The best `k` by brute force: every resident evaluated on their own
    /// ([`crate::evaluate`]), the admissible ones sorted by score, then id.
    fn brute_force(
        me: &Participant,
        residents: &[Participant],
        k: usize,
        config: &Config,
        ex: &Exclusions,
    ) -> Vec<Proposal> {
        let mut all: Vec<Proposal> = residents
            .iter()
            .filter_map(|r| {
                crate::evaluate(me, r, config, ex)
                    .ok()
                    .map(|explanation| Proposal {
                        newcomer: me.id,
                        resident: r.id,
                        score: explanation.total,
                        explanation,
                    })
            })
            .collect();
        all.sort_by(|a, b| b.score.cmp(&a.score).then(a.resident.cmp(&b.resident)));
        all.truncate(k);
        all
    }

    /// More candidates than the index keeps at once, many of them scoring the same (so
    /// that ties go by id across the points where it drops those that cannot be among
    /// the best), some beyond the distance limit and some excluded: the index answers as
    /// scoring every candidate on its own and sorting them all does.
    #[test]
    fn an_index_keeping_only_the_best_gives_what_sorting_every_candidate_gives() {
        let config = Config::default();
        let residents: Vec<Participant> = (0..3_000u128)
            .map(|i| {
                let mut r = person(10_000 + (i * 7_919) % 3_001, Role::Resident);
                r.waiting_days = (i % 7) as u32 * 60;
                r.interests = vec![(i % 3) as u32];
                r.location.lat += (i % 11) as f64 * 0.02;
                r
            })
            .collect();
        let index = SuggestionIndex::new(&residents, &config);
        for asker in 0..4u128 {
            let mut me = person(asker, Role::Newcomer);
            me.interests = vec![(asker % 3) as u32];
            let mut exclusions = Exclusions::default();
            for r in residents.iter().step_by(5 + asker as usize) {
                exclusions.insert(me.id, r.id);
            }
            for k in [1, 3, 10, 50, 300, 5_000] {
                let all = brute_force(&me, &residents, k, &config, &exclusions);
                assert!(!all.is_empty());
                assert_eq!(
                    index.suggestions(&me, k, &exclusions).unwrap(),
                    all,
                    "asker {asker}, k {k}"
                );
                assert_eq!(all.len(), k.min(all.len()));
            }
        }
    }

    /// The unexplained ranking finds the same candidates, in the same order and with
    /// the same scores, as the explained one, waits counted when asked and exclusions
    /// included, for a resident asking as well as a newcomer.
    #[test]
    fn the_ranking_without_explanations_finds_what_the_explained_one_finds() {
        let config = Config::default();
        let newcomers: Vec<Participant> = (0..3_000u128)
            .map(|i| {
                let mut n = person(20_000 + (i * 7_919) % 3_001, Role::Newcomer);
                n.interests = vec![(i % 4) as u32];
                n.location.lat += (i % 13) as f64 * 0.02;
                n
            })
            .collect();
        let since: Vec<Option<i64>> = (0..3_000i64)
            .map(|i| (i % 5 != 0).then_some((i % 9) * 40 * DAY_NS + i * 1_000_000_007))
            .collect();
        let index = SuggestionIndex::with_waiting_since(&newcomers, &config, &since);
        let mut me = person(7, Role::Resident);
        me.capacity = 2;
        me.interests = vec![1];
        let mut exclusions = Exclusions::default();
        for n in newcomers.iter().step_by(7) {
            exclusions.insert(n.id, me.id);
        }
        for now in [0, 100 * DAY_NS, 400 * DAY_NS + 12_345] {
            for k in [1, 10, 50, 600] {
                let explained = index.suggestions_at(&me, k, &exclusions, now).unwrap();
                let found = index.ranked_at(&me, k, &exclusions, now).unwrap();
                let explained: Vec<Ranked> = explained
                    .iter()
                    .map(|p| Ranked {
                        newcomer: p.newcomer,
                        resident: p.resident,
                        score: p.score,
                    })
                    .collect();
                assert!(!found.is_empty());
                assert_eq!(found, explained, "now {now}, k {k}");
                // And both as scoring every newcomer, waits counted at `now`, does.
                let mut all: Vec<Ranked> = newcomers
                    .iter()
                    .zip(&since)
                    .filter_map(|(n, since)| {
                        let days = since.map_or(0, |s| (now - s).div_euclid(DAY_NS).max(0) as u32);
                        let n = Participant {
                            waiting_days: days,
                            ..n.clone()
                        };
                        crate::evaluate(&n, &me, &config, &exclusions)
                            .ok()
                            .map(|e| Ranked {
                                newcomer: n.id,
                                resident: me.id,
                                score: e.total,
                            })
                    })
                    .collect();
                all.sort_by(|a, b| b.score.cmp(&a.score).then(a.newcomer.cmp(&b.newcomer)));
                all.truncate(k);
                assert_eq!(found, all, "now {now}, k {k}");
            }
        }
        let mut ineligible = me.clone();
        ineligible.eligible = false;
        assert!(index.ranked_at(&ineligible, 10, &exclusions, 0).is_err());
    }
}
