//! What the matching service, the app and the worker share about matching: the pool
//! the engine reads (stored participants converted into the engine's types, with the
//! chapter's settings), suggestions, the automatic offer of the next candidate, and the
//! expiry of proposals whose deadline passed.
//!
//! Not a service module: `matching` and `buddy_app` use it, and `kompisd`'s worker
//! fires [`expire_due`] as a durable timer.

use std::collections::HashMap;

use kompis_domain::{DeclineCause, MatchingSettings, ParticipantRole, Slug};
use kompis_matching as engine;
use kompis_store::engine_rules::EngineRules;
use kompis_store::matches::{self, Match, NewProposal, PoolMember, StoredCriterion, StoredScore};
use kompis_store::suggestions::SuggestionContext;
use kompis_store::{Store, StoreError, Tx, weights};
use time::OffsetDateTime;
use uuid::Uuid;

/// How many candidates an automatic offer tries, best first, before giving up.
const OFFER_TRIES: usize = 5;
/// How many expired proposals one timer tick handles.
const EXPIRY_BATCH: i64 = 100;

/// The engine's id of a participant (the UUID's bits, so it converts back).
pub fn engine_id(id: Uuid) -> engine::ParticipantId {
    engine::ParticipantId(id.as_u128())
}

/// The participant's UUID of an engine id.
pub fn uuid_of(id: engine::ParticipantId) -> Uuid {
    Uuid::from_u128(id.0)
}

/// Interests as the engine's numeric ids: taxonomy ids and free tags, one dictionary
/// per request, with their names for the explanations.
///
/// A dictionary may extend another one ([`Interests::extending`]): the other's keys keep
/// their ids and new keys are numbered after them, exactly as in a copy of it, without
/// copying it (a suggestion numbers one participant's interests in the dictionary of a
/// whole pool kept in memory).
#[derive(Debug, Default)]
pub(crate) struct Interests<'a> {
    base: Option<&'a HashMap<String, engine::InterestId>>,
    ids: HashMap<String, engine::InterestId>,
}

impl<'a> Interests<'a> {
    /// An empty dictionary that extends `base`.
    pub(crate) fn extending(base: &'a Interests<'_>) -> Self {
        Self {
            base: Some(&base.ids),
            ids: HashMap::new(),
        }
    }

    pub(crate) fn id(&mut self, key: String) -> engine::InterestId {
        if let Some(&id) = self.base.and_then(|base| base.get(&key)) {
            return id;
        }
        let next = (self.base.map_or(0, HashMap::len) + self.ids.len()) as engine::InterestId;
        *self.ids.entry(key).or_insert(next)
    }

    /// The names of the interests this dictionary numbered itself (not those of the
    /// dictionary it extends).
    pub(crate) fn names(&self) -> std::collections::BTreeMap<engine::InterestId, String> {
        self.ids
            .iter()
            .map(|(k, v)| (*v, k.split_once(':').map_or(k.as_str(), |(_, n)| n).to_owned()))
            .collect()
    }
}

/// The engine's view of one stored participant. `matchable` says whether their state
/// lets them be matched now (the engine checks their free places itself).
pub(crate) fn to_engine(
    m: &PoolMember,
    now: OffsetDateTime,
    interests: &mut Interests,
) -> Result<engine::Participant, StoreError> {
    let corrupt = |what: &'static str, v: &str| StoreError::corrupt(what, v);
    let role = match m.role.as_str() {
        "newcomer" => engine::Role::Newcomer,
        "established_resident" => engine::Role::Resident,
        other => return Err(corrupt("participant role", other)),
    };
    let matchable = match role {
        engine::Role::Newcomer => m.state == "ready",
        engine::Role::Resident => m.state == "ready" || m.state == "matched",
    };
    let languages = m
        .languages
        .iter()
        .map(|l| {
            let level = match l.level.as_str() {
                "a1" | "a2" => engine::Proficiency::Basic,
                "b1" | "b2" => engine::Proficiency::Conversational,
                "c1" | "c2" => engine::Proficiency::Fluent,
                "native" => engine::Proficiency::Native,
                other => return Err(corrupt("language level", other)),
            };
            let code = engine::LanguageCode::new(&l.code).ok_or_else(|| corrupt("language code", &l.code))?;
            Ok(engine::Language { code, level })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let swedish = match (m.swedish_level.as_deref(), role) {
        // One truth with the contract: a resident's unrecorded level is native.
        (None, engine::Role::Resident) => engine::SwedishLevel::Native,
        (None, engine::Role::Newcomer) => engine::SwedishLevel::None,
        (Some(level), _) => match level {
            "sfi_a" => engine::SwedishLevel::SfiA,
            "sfi_b" => engine::SwedishLevel::SfiB,
            "sfi_c" => engine::SwedishLevel::SfiC,
            "sfi_d" => engine::SwedishLevel::SfiD,
            "a1" => engine::SwedishLevel::A1,
            "a2" => engine::SwedishLevel::A2,
            "b1" => engine::SwedishLevel::B1,
            "b2" => engine::SwedishLevel::B2,
            "c1" => engine::SwedishLevel::C1,
            "c2" => engine::SwedishLevel::C2,
            "native" => engine::SwedishLevel::Native,
            other => return Err(corrupt("Swedish level", other)),
        },
    };
    let gender = match m.gender.as_str() {
        "female" => engine::Gender::Woman,
        "male" => engine::Gender::Man,
        "non_binary" => engine::Gender::NonBinary,
        "undisclosed" => engine::Gender::Unspecified,
        other => return Err(corrupt("gender", other)),
    };
    let mut wishes = engine::Wishes::default();
    for w in m.wishes.iter() {
        let strength = match w.strength.as_str() {
            "hard" => engine::Strength::Hard,
            "soft" => engine::Strength::Soft,
            other => return Err(corrupt("wish strength", other)),
        };
        match w.kind.as_str() {
            "same_gender_only" => wishes.same_gender = Some(strength),
            "family_match" => wishes.family_match = Some(strength),
            "has_children" => wishes.buddy_has_children = Some(strength),
            "age_range" => {
                let age = |a: Option<i32>| a.and_then(|a| u16::try_from(a).ok());
                let (Some(min), Some(max)) = (age(w.min_age), age(w.max_age)) else {
                    return Err(corrupt("age range wish", "without its ages"));
                };
                wishes.age_range = Some((engine::AgeRange { min, max }, strength));
            }
            other => return Err(corrupt("wish kind", other)),
        }
    }
    let meeting = match m.meeting_preference.as_deref() {
        Some("in_person") => engine::MeetingPreference::InPerson,
        Some("online") => engine::MeetingPreference::Online,
        Some("both") | None => engine::MeetingPreference::Both,
        Some(other) => return Err(corrupt("meeting preference", other)),
    };
    let mut ids: Vec<engine::InterestId> = m
        .interests
        .iter()
        .map(|i| interests.id(format!("i:{i}")))
        .collect();
    ids.extend(m.free_tags.iter().map(|t| interests.id(format!("t:{t}"))));
    let waiting_days = m
        .waiting_since
        .map_or(0, |since| (now - since).whole_days().max(0) as u32);
    Ok(engine::Participant {
        id: engine_id(m.id),
        role,
        eligible: matchable,
        languages,
        swedish,
        gender,
        age: u16::try_from((now.year() - m.birth_year).max(0)).unwrap_or(0),
        has_children: m.has_children,
        wishes,
        availability: engine::Availability(m.availability.max(0) as u32),
        meeting,
        location: engine::GeoPoint {
            lat: m.latitude,
            lon: m.longitude,
        },
        interests: ids,
        capacity: u8::try_from(m.buddy_capacity).unwrap_or(0),
        active_matches: u8::try_from(m.active_match_count).unwrap_or(u8::MAX),
        waiting_days,
    })
}

/// A chapter's engine configuration, from its stored settings.
pub async fn settings(db: &mut Tx, chapter: &str) -> Result<MatchingSettings, StoreError> {
    let slug = Slug::parse(chapter).map_err(|_| StoreError::corrupt("chapter id", chapter))?;
    weights::get_weights(&mut **db, &slug).await?.settings()
}

/// A chapter's engine configuration: its matching settings with the engine rules its
/// administrators set beside the programme (`kompis_store::engine_rules`).
pub async fn engine_config(db: &mut Tx, chapter: &str) -> Result<engine::Config, StoreError> {
    let settings = settings(db, chapter).await?;
    engine_config_of(db, chapter, &settings).await
}

/// [`engine_config`] from the chapter's `settings` already read.
pub async fn engine_config_of(
    db: &mut Tx,
    chapter: &str,
    settings: &MatchingSettings,
) -> Result<engine::Config, StoreError> {
    let rules = kompis_store::engine_rules::get_rules(&mut **db, chapter).await?;
    Ok(config_with_rules(settings, &rules))
}

/// A chapter's engine configuration from its `settings` and engine `rules`, both read.
pub fn config_with_rules(settings: &MatchingSettings, rules: &EngineRules) -> engine::Config {
    let mut config = settings.to_engine_config();
    let r = &mut config.rules;
    let unsigned = |v: i32| u32::try_from(v).ok();
    if let Some(v) = rules.min_common_slots.and_then(unsigned) {
        r.min_common_slots = v;
    }
    if let Some(v) = rules.interests_for_full_score.and_then(unsigned) {
        r.interests_for_full_score = v;
    }
    if let Some(v) = rules.age_gap_years.and_then(|v| u16::try_from(v).ok()) {
        r.age_gap_for_zero = v;
    }
    if let Some(v) = rules.waiting_days_for_full_score.and_then(unsigned) {
        r.waiting_days_for_full = v;
    }
    config
}

/// One participant with the pool of the other role, ready for the engine.
#[derive(Debug)]
pub struct Pool {
    /// The participant asked about.
    pub me: engine::Participant,
    /// The matchable participants of the other role.
    pub others: Vec<engine::Participant>,
    /// The engine's configuration.
    pub config: engine::Config,
    /// The never-propose-again pairs that involve the participant.
    pub exclusions: engine::Exclusions,
}

/// Loads the pool for `participant` (of `chapter`).
pub async fn pool_for(
    db: &mut Tx,
    chapter: &str,
    participant: Uuid,
    now: OffsetDateTime,
) -> Result<Pool, StoreError> {
    let mut interests = Interests::default();
    let me_row = matches::pool_member(&mut **db, participant).await?;
    let me = to_engine(&me_row, now, &mut interests)?;
    let other_role = match me.role {
        engine::Role::Newcomer => ParticipantRole::EstablishedResident,
        engine::Role::Resident => ParticipantRole::Newcomer,
    };
    let others = matches::pool(&mut **db, chapter, other_role)
        .await?
        .iter()
        .map(|m| to_engine(m, now, &mut interests))
        .collect::<Result<Vec<_>, _>>()?;
    let mut exclusions = engine::Exclusions::default();
    for (n, r) in matches::excluded_pairs(&mut **db, participant).await? {
        exclusions.insert(engine_id(n), engine_id(r));
    }
    let mut config = engine_config(db, chapter).await?;
    config.interest_names = interests.names();
    Ok(Pool {
        me,
        others,
        config,
        exclusions,
    })
}

/// Loads a pair for [`engine::evaluate`]: (newcomer, resident, config, exclusions).
/// Their places are left out (no live matches): whether each has room is decided by
/// the store under the participants' row locks, which names who has none.
pub async fn pair(
    db: &mut Tx,
    chapter: &str,
    newcomer: Uuid,
    resident: Uuid,
    now: OffsetDateTime,
) -> Result<
    (
        engine::Participant,
        engine::Participant,
        engine::Config,
        engine::Exclusions,
    ),
    StoreError,
> {
    let mut interests = Interests::default();
    let mut n = to_engine(
        &matches::pool_member(&mut **db, newcomer).await?,
        now,
        &mut interests,
    )?;
    let mut r = to_engine(
        &matches::pool_member(&mut **db, resident).await?,
        now,
        &mut interests,
    )?;
    n.active_matches = 0;
    r.active_matches = 0;
    let mut exclusions = engine::Exclusions::default();
    if matches::is_excluded(&mut **db, newcomer, resident).await? {
        exclusions.insert(engine_id(newcomer), engine_id(resident));
    }
    let mut config = engine_config(db, chapter).await?;
    config.interest_names = interests.names();
    Ok((n, r, config, exclusions))
}

/// The engine's explanation, as stored with a match.
pub fn stored_score(e: &engine::Explanation) -> StoredScore {
    StoredScore {
        total: e.total,
        criteria: e
            .contributions
            .iter()
            .map(|c| StoredCriterion {
                criterion: c.criterion.name().to_owned(),
                points: c.points,
                max_points: c.max_points,
                reason: c.reason.clone(),
            })
            .collect(),
    }
}

/// Offers the next candidate to `participant` (of `chapter`), when the chapter offers
/// automatically: proposes their best matchable candidate, trying the next if one was
/// taken meanwhile. `skip` is a pair not to offer now (the one that just expired).
/// Returns the new proposal, if any.
///
/// Lock order: the caller may hold the participant's row (a newcomer's, or nothing
/// else), never another resident's: proposals lock the newcomer first.
pub async fn offer_next(
    db: &mut Tx,
    chapter: &str,
    participant: Uuid,
    skip: Option<(Uuid, Uuid)>,
    now: OffsetDateTime,
) -> Result<Option<Match>, StoreError> {
    let programme = matches::get_programme(&mut **db, chapter).await?;
    if !programme.auto_offer_next {
        return Ok(None);
    }
    let mut pool = pool_for(db, chapter, participant, now).await?;
    if let Some((n, r)) = skip {
        pool.exclusions.insert(engine_id(n), engine_id(r));
    }
    let index = engine::SuggestionIndex::new(&pool.others, &pool.config);
    let Ok(candidates) = index.suggestions(&pool.me, OFFER_TRIES, &pool.exclusions) else {
        return Ok(None);
    };
    let deadline = now + time::Duration::days(i64::from(programme.proposal_deadline_days));
    for c in candidates {
        let proposal = NewProposal {
            chapter,
            newcomer: uuid_of(c.newcomer),
            resident: uuid_of(c.resident),
            score: Some(stored_score(&c.explanation)),
            override_: None,
            proposer: matches::SYSTEM,
            matching_round: None,
            deadline,
            at: now,
        };
        if let Ok(m) = matches::propose(db, &proposal).await? {
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// After a decline has committed: offers the next candidate to the side left waiting
/// ([`after_decline`]). The decline stands whatever happens here: a failure is logged
/// (without personal data) and nothing else is done.
pub async fn offer_next_after(store: &Store, match_id: Uuid, now: OffsetDateTime) {
    let result = async {
        let m = matches::get_match(store.pool(), match_id).await?;
        after_decline(store, &m, now).await
    }
    .await;
    match result {
        Ok(Some(m)) => tracing::info!(proposal = %m.id, "next candidate offered"),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "offering the next candidate failed"),
    }
}

/// After a decline: offers the next candidate to the side left waiting, in its own
/// transaction (the newcomer when the resident declined or nobody answered; the
/// resident when the newcomer declined). A coordinator's withdrawal offers nothing.
pub async fn after_decline(
    store: &Store,
    declined: &Match,
    now: OffsetDateTime,
) -> Result<Option<Match>, StoreError> {
    let waiting = match declined.decline_cause.as_deref().map(str::parse::<DeclineCause>) {
        Some(Ok(DeclineCause::EstablishedResident | DeclineCause::DeadlinePassed)) => declined.newcomer_id,
        Some(Ok(DeclineCause::Newcomer)) => declined.resident_id,
        _ => return Ok(None),
    };
    let mut tx = store.begin().await?;
    let offered = offer_next(
        &mut tx,
        &declined.chapter_id,
        waiting,
        Some((declined.newcomer_id, declined.resident_id)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(offered)
}

/// The durable timer of proposal deadlines: declines every proposal whose deadline
/// passed at `now` (cause DEADLINE_PASSED) and offers the newcomer their next
/// candidate. Several workers may run it at once: each proposal is declined under its
/// row locks, and one already declined is skipped, so each fires once.
pub async fn expire_due(store: &Store, now: OffsetDateTime) -> Result<u64, StoreError> {
    let due = matches::due_proposals(store.pool(), now, EXPIRY_BATCH).await?;
    let mut fired = 0;
    for id in due {
        let mut tx = store.begin().await?;
        let declined = matches::decline(
            &mut tx,
            &matches::Decline {
                match_id: id,
                cause: DeclineCause::DeadlinePassed,
                reason: "",
                actor: matches::SYSTEM,
                at: now,
            },
        )
        .await;
        match declined {
            Ok(Ok(m)) => {
                tx.commit().await?;
                fired += 1;
                after_decline(store, &m, now).await?;
            }
            // Another worker declined it, or it was answered meanwhile.
            Err(StoreError::Transition(_)) | Ok(Err(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(fired)
}

/// The engine's index over one chapter's pool of one role, with what it borrows.
type Index<'a> = engine::SuggestionIndex<'a>;

self_cell::self_cell!(
    /// The pool converted for the engine (with the configuration it was built under)
    /// and the index over it.
    struct IndexCell {
        owner: (Vec<engine::Participant>, engine::Config, Vec<Option<i64>>),
        #[covariant]
        dependent: Index,
    }
);

impl std::fmt::Debug for IndexCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexCell")
            .field("participants", &self.borrow_owner().0.len())
            .finish()
    }
}

/// One chapter's pool of one role in memory: the stored rows as read at `version`, and
/// the engine's index over them as they stand at instants in `built_at..valid_until`
/// (a participant's age changes with the clock alone, at the turn of the year). Waiting
/// days change with the clock too, but the index counts them when asked
/// ([`engine::SuggestionIndex::suggestions_at`]) from when each started waiting, so
/// they need no rebuild: with 20,000 residents someone's wait passes a whole day every
/// few seconds, and each rebuild held every call for the pool meanwhile.
#[derive(Debug)]
struct CachedPool {
    version: i64,
    /// The configuration without interest names, as read from the chapter.
    config: engine::Config,
    rows: Vec<PoolMember>,
    /// Row of each participant, by engine id.
    row_of: HashMap<engine::ParticipantId, usize>,
    interests: Interests<'static>,
    built_at: OffsetDateTime,
    valid_until: OffsetDateTime,
    index: IndexCell,
}

impl CachedPool {
    /// Converts `rows` for the engine as they stand at `now` and indexes them.
    fn build(
        version: i64,
        config: engine::Config,
        rows: Vec<PoolMember>,
        now: OffsetDateTime,
    ) -> Result<Self, StoreError> {
        let mut interests = Interests::default();
        let others = rows
            .iter()
            .map(|m| to_engine(m, now, &mut interests))
            .collect::<Result<Vec<_>, _>>()?;
        let row_of = others.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        let since = rows.iter().map(|m| m.waiting_since.map(unix_nanos)).collect();
        let valid_until = next_year(now);
        let mut named = config.clone();
        named.interest_names = interests.names();
        let index = IndexCell::new((others, named, since), |(others, config, since)| {
            engine::SuggestionIndex::with_waiting_since(others, config, since)
        });
        Ok(Self {
            version,
            config,
            rows,
            row_of,
            interests,
            built_at: now,
            valid_until,
            index,
        })
    }

    /// Whether this answers exactly as a fresh read at `version` would, at `now`.
    fn holds(&self, version: i64, config: &engine::Config, now: OffsetDateTime) -> bool {
        self.version == version && &self.config == config && self.built_at <= now && now < self.valid_until
    }
}

/// `at` in nanoseconds since the Unix epoch, as the engine counts waiting time
/// (saturating outside the years 1677 to 2262).
fn unix_nanos(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos()).unwrap_or(if at.year() < 1970 { i64::MIN } else { i64::MAX })
}

/// The start of the year after `now`'s (ages count in years of birth).
fn next_year(now: OffsetDateTime) -> OffsetDateTime {
    time::Date::from_calendar_date(now.year() + 1, time::Month::January, 1)
        .map_or(now + time::Duration::days(366), |d| {
            d.midnight().assume_offset(now.offset())
        })
}

/// One chapter's pool of one role, once read: a lock that lets one call at a time read
/// and index it while the others wait for the result.
type PoolSlot = tokio::sync::Mutex<Option<std::sync::Arc<CachedPool>>>;

/// Suggestions from pools kept in memory, per chapter and role, so that a call does not
/// read and index a chapter's whole pool. Each call reads the chapter's pool version
/// ([`matches::pool_version`]) and its configuration with the participant, in one
/// statement ([`kompis_store::suggestions::context`]); a pool is read and indexed again
/// only when either changed (in this server or any other on the same database) or when
/// the clock passed a year on which ages change (waiting days are counted when asked).
/// The answers are exactly those of [`pool_for`] with the engine's
/// [`engine::SuggestionIndex`] over it, explanations included.
#[derive(Debug, Default)]
pub struct SuggestionCache {
    pools: std::sync::Mutex<HashMap<(String, bool), std::sync::Arc<PoolSlot>>>,
}

impl SuggestionCache {
    /// The `k` best candidates for the participant whose suggestion context `asked` is,
    /// best first, each explained; the engine's refusal if they cannot be matched at
    /// all. `config` is the chapter's engine configuration from that context
    /// ([`config_with_rules`]). A pool read again (its version or the configuration
    /// changed) is read in a transaction of its own from `store`, after the context,
    /// so it is at least as new as the version the context read.
    pub async fn suggestions(
        &self,
        store: &Store,
        asked: &SuggestionContext,
        k: usize,
        config: engine::Config,
        now: OffsetDateTime,
    ) -> Result<Result<Vec<engine::Proposal>, engine::Violation>, StoreError> {
        let (chapter, version, me_row) = (asked.chapter_id.as_str(), asked.pool_version, &asked.member);
        let mut exclusions = engine::Exclusions::default();
        for &(n, r) in &asked.excluded {
            exclusions.insert(engine_id(n), engine_id(r));
        }
        let newcomer = me_row.role == ParticipantRole::Newcomer.as_str();
        let slot = {
            let mut pools = self
                .pools
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            pools.entry((chapter.to_owned(), newcomer)).or_default().clone()
        };
        let cached = {
            let mut slot = slot.lock().await;
            match slot.as_ref() {
                Some(c) if c.holds(version, &config, now) => c.clone(),
                previous => {
                    let rows = match previous {
                        Some(c) if c.version == version => c.rows.clone(),
                        _ => {
                            let other_role = if newcomer {
                                ParticipantRole::EstablishedResident
                            } else {
                                ParticipantRole::Newcomer
                            };
                            let mut tx = store.begin().await?;
                            matches::pool(&mut *tx, chapter, other_role).await?
                        }
                    };
                    let built = std::sync::Arc::new(CachedPool::build(version, config.clone(), rows, now)?);
                    *slot = Some(built.clone());
                    built
                }
            }
        };
        // Ranking: the participant in the pool's interest dictionary (an interest nobody
        // in the pool has gets an id of its own, shared with nobody), which is extended,
        // not copied: it holds every interest and tag of the pool.
        let mut interests = Interests::extending(&cached.interests);
        let me = to_engine(me_row, now, &mut interests)?;
        let ranked = match cached
            .index
            .borrow_dependent()
            .ranked_at(&me, k, &exclusions, unix_nanos(now))
        {
            Ok(ranked) => ranked,
            Err(v) => return Ok(Err(v)),
        };
        // Explanations as a fresh read gives them, once per candidate (the index found
        // them unexplained): interests numbered from the participant's own first, so
        // that shared ones are named in their order.
        let mut interests = Interests::default();
        let me = to_engine(me_row, now, &mut interests)?;
        let mut others = Vec::with_capacity(ranked.len());
        for p in &ranked {
            let other = if newcomer { p.resident } else { p.newcomer };
            let row = cached
                .row_of
                .get(&other)
                .map(|&i| &cached.rows[i])
                .ok_or_else(|| StoreError::corrupt("pool member", "missing from its pool"))?;
            others.push(to_engine(row, now, &mut interests)?);
        }
        let mut named = config;
        named.interest_names = interests.names();
        ranked
            .into_iter()
            .zip(&others)
            .map(|(p, other)| {
                let (n, r) = if newcomer { (&me, other) } else { (other, &me) };
                let explanation = engine::evaluate(n, r, &named, &engine::Exclusions::default())
                    .map_err(|_| StoreError::corrupt("suggestion", "no longer admissible"))?;
                Ok(engine::Proposal {
                    newcomer: p.newcomer,
                    resident: p.resident,
                    score: explanation.total,
                    explanation,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Ok)
    }
}
