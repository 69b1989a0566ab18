//! Matches: proposals, answers, acceptance on someone's behalf, declines and expiries,
//! the never-propose-again list, the pool the engine reads and each chapter's
//! programme settings.
//!
//! Every state change is one function that writes the match, its event and the
//! notifications to both people in the caller's transaction. Places are race-free by
//! the database: participant rows are locked `FOR UPDATE` (always the newcomer first,
//! then the resident, then the match), `participants.active_match_count` counts live
//! matches under that lock (its CHECK bounds it by `buddy_capacity`), and a partial
//! unique index allows one live match per newcomer.

use kompis_domain::{
    AgreementChannel, DeclineCause, EventKind, MatchState, NotificationKind, ParticipantRole,
    ParticipantState, ProposalAnswer, WaitingSince,
};
use kompis_messages::{Params, Template};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::events::{self, Attributes, NewEvent};
use crate::notifications::{self, NewNotification};
use crate::participants::{self, StateChange};
use crate::{DomainViolation, StoreError};

/// The actor of what the worker does on its own (expiries, automatic offers).
pub const SYSTEM: &str = "system";

/// One criterion of a stored score, as the engine explained it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCriterion {
    /// The engine's criterion name (`kompis_matching::Criterion::name`).
    pub criterion: String,
    /// Points given.
    pub points: i64,
    /// Points at full satisfaction (the chapter's weight).
    pub max_points: i64,
    /// The explanation, for coordinators.
    pub reason: String,
}

/// A pair's score when proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredScore {
    /// Sum of the points.
    pub total: i64,
    /// Per criterion.
    pub criteria: Vec<StoredCriterion>,
}

/// A match as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Match {
    /// Id.
    pub id: Uuid,
    /// The chapter.
    pub chapter_id: String,
    /// The newcomer.
    pub newcomer_id: Uuid,
    /// The established resident.
    pub resident_id: Uuid,
    /// [`MatchState`] string.
    pub state: String,
    /// [`ProposalAnswer`] string.
    pub newcomer_response: String,
    /// [`ProposalAnswer`] string.
    pub resident_response: String,
    /// [`AgreementChannel`] string, once the newcomer accepted.
    pub newcomer_agreed_via: Option<String>,
    /// Who recorded the newcomer's acceptance.
    pub newcomer_agreed_by: Option<String>,
    /// When.
    pub newcomer_agree_time: Option<OffsetDateTime>,
    /// [`AgreementChannel`] string, once the resident accepted.
    pub resident_agreed_via: Option<String>,
    /// Who recorded the resident's acceptance.
    pub resident_agreed_by: Option<String>,
    /// When.
    pub resident_agree_time: Option<OffsetDateTime>,
    /// The score when proposed; none for an override.
    pub score: Option<Json<StoredScore>>,
    /// The engine's refusal that was overridden.
    pub override_rule: Option<String>,
    /// Why it was overridden.
    pub override_reason: Option<String>,
    /// Who proposed.
    pub proposer: String,
    /// The round that suggested the pair.
    pub matching_round_id: Option<Uuid>,
    /// Until when the proposal may be answered.
    pub deadline_time: OffsetDateTime,
    /// [`DeclineCause`] string, when declined.
    pub decline_cause: Option<String>,
    /// Why declined; may be empty.
    pub decline_reason: String,
    /// When both had accepted.
    pub accept_time: Option<OffsetDateTime>,
    /// When it became active.
    pub start_time: Option<OffsetDateTime>,
    /// When it ended.
    pub end_time: Option<OffsetDateTime>,
    /// Why it ended.
    pub end_reason: Option<String>,
    /// Note on the ending.
    pub end_note: String,
    /// The previous match of a rematch.
    pub previous_match_id: Option<Uuid>,
    /// When proposed.
    pub create_time: OffsetDateTime,
    /// When last changed.
    pub update_time: OffsetDateTime,
}

impl Match {
    /// The parsed state; an unknown stored value is corrupt data.
    pub fn parsed_state(&self) -> Result<MatchState, StoreError> {
        self.state
            .parse()
            .map_err(|_| StoreError::corrupt("match state", &self.state))
    }

    /// `chapters/{chapter}/matches/{id}`.
    pub fn resource_name(&self) -> String {
        resource_name(&self.chapter_id, self.id)
    }

    /// The answer of the side `role`.
    pub fn response_of(&self, role: ParticipantRole) -> Result<ProposalAnswer, StoreError> {
        let raw = match role {
            ParticipantRole::Newcomer => &self.newcomer_response,
            ParticipantRole::EstablishedResident => &self.resident_response,
        };
        raw.parse()
            .map_err(|_| StoreError::corrupt("proposal answer", raw.as_str()))
    }
}

/// `chapters/{chapter}/matches/{id}`.
pub fn resource_name(chapter: &str, id: Uuid) -> String {
    format!("chapters/{chapter}/matches/{id}")
}

/// Reads a match.
pub async fn get_match<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<Match, StoreError> {
    Ok(sqlx::query_as("SELECT * FROM matches WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await?)
}

/// Filters of [`list_matches`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this chapter; `None` for every chapter.
    pub chapter: Option<String>,
    /// Only these states (strings of [`MatchState`]); empty for all.
    pub states: Vec<String>,
    /// Only matches with this participant on either side.
    pub participant: Option<Uuid>,
}

/// Lists matches newest first, after the (create_time, id) key `after`, at most `limit`.
pub async fn list_matches<'c>(
    db: impl PgExecutor<'c>,
    filter: &ListFilter,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<Match>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM matches
         WHERE ($1::text IS NULL OR chapter_id = $1)
           AND (cardinality($2::text[]) = 0 OR state = ANY($2))
           AND ($3::uuid IS NULL OR newcomer_id = $3 OR resident_id = $3)
           AND ($4::timestamptz IS NULL OR (create_time, id) < ($4, $5))
         ORDER BY create_time DESC, id DESC
         LIMIT $6",
    )
    .bind(filter.chapter.as_deref())
    .bind(&filter.states)
    .bind(filter.participant)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The live matches of a participant (either side), newest first.
pub async fn live_matches_of<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
) -> Result<Vec<Match>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM matches
         WHERE (newcomer_id = $1 OR resident_id = $1)
           AND state IN ('proposed', 'accepted', 'active')
         ORDER BY create_time DESC, id DESC",
    )
    .bind(participant)
    .fetch_all(db)
    .await?)
}

/// One live match of a participant with what the participant's app shows of the other
/// person, read by [`buddies_of_account`].
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LiveBuddy {
    /// The match.
    #[sqlx(flatten)]
    pub pair: Match,
    /// The other person's given name.
    pub other_given_name: String,
    /// The other person's display name (empty when none was given).
    pub other_display_name: String,
    /// The other person's role.
    pub other_role: String,
    /// The other person's languages.
    pub other_languages: Json<Vec<participants::StoredLanguage>>,
    /// The other person's free-text interest tags.
    pub other_free_tags: Vec<String>,
    /// How the other person wants to meet.
    pub other_meeting_preference: Option<String>,
    /// The other person's phone (shown only once the match releases contact details).
    pub other_phone: Option<String>,
    /// The other person's e-mail (shown only once the match releases contact details).
    pub other_email: Option<String>,
    /// Display name of the other person's district.
    pub district_display_name: String,
    /// Display names of the chapter's interests both people hold, ordered by name.
    pub shared_interest_names: Vec<String>,
}

/// What the app's buddy read needs of the caller: who they are, whether the record
/// belongs to another account or was erased, and what they share with a buddy.
#[derive(Debug, Clone, PartialEq)]
pub struct BuddyReader {
    /// The participant.
    pub id: Uuid,
    /// The participant's chapter (slug), which names their record.
    pub chapter_id: String,
    /// The app account bound to the participant, if any.
    pub account_subject: Option<String>,
    /// Whether the participant was erased (a tombstone).
    pub erased: bool,
    /// The participant's languages.
    pub languages: Vec<participants::StoredLanguage>,
    /// The participant's free-text interest tags.
    pub free_tags: Vec<String>,
}

/// The statement of [`buddies_of_account`] (`$1` the token's participant id, `$2` its
/// subject), public so that a test can ask PostgreSQL for its plan.
pub const BUDDIES_OF_ACCOUNT: &str = "WITH me AS (
         SELECT p.id, p.chapter_id, p.account_subject, p.erase_time, p.languages, p.interests,
                p.free_tags
           FROM participants p
          WHERE p.id = coalesce(
                (SELECT a.id FROM participants a WHERE a.account_subject = $2),
                (SELECT coalesce(m.merged_into, m.id) FROM participants m WHERE m.id = $1)))
     SELECT me.id AS me_id, me.chapter_id AS me_chapter_id, me.account_subject AS me_account_subject,
            me.erase_time IS NOT NULL AS me_erased, me.languages AS me_languages,
            me.free_tags AS me_free_tags, b.*
       FROM me
       LEFT JOIN LATERAL (
            SELECT m.*, o.given_name AS other_given_name, o.display_name AS other_display_name,
                   o.role AS other_role, o.languages AS other_languages,
                   o.free_tags AS other_free_tags, o.meeting_preference AS other_meeting_preference,
                   o.phone AS other_phone, o.email AS other_email,
                   d.display_name AS district_display_name,
                   ARRAY(SELECT i.display_name FROM interests i
                          WHERE i.chapter_id = o.chapter_id AND i.id = ANY(o.interests)
                            AND i.id = ANY(me.interests)
                          ORDER BY i.display_name, i.id) AS shared_interest_names
              FROM (SELECT l.*, l.resident_id AS other_id FROM matches l
                     WHERE l.newcomer_id = me.id AND l.state IN ('proposed', 'accepted', 'active')
                    UNION ALL
                    SELECT l.*, l.newcomer_id FROM matches l
                     WHERE l.resident_id = me.id AND l.state IN ('proposed', 'accepted', 'active')) m
              JOIN participants o ON o.id = m.other_id
              JOIN districts d ON d.municipality_id = o.municipality_id AND d.id = o.district_id) b ON true
      ORDER BY b.create_time DESC, b.id DESC";

/// The participant an app account owns (as
/// [`participants::participant_of_account`] finds it: the account's participant, else
/// the token's `id` or the participant it was merged into) with their live matches
/// (proposed, accepted, active), newest first, each with the other person's profile,
/// district name and the names of the chapter's interests the two share. `None` when
/// there is no such participant.
///
/// One statement, so the app's most frequent read is one round trip, and the caller
/// and every match are read from the same snapshot. Cost: two index probes to find the
/// caller and one read of their row; one probe of each side's index of live matches
/// (`matches_one_live_per_newcomer`, `matches_live_resident`), which hold live matches
/// only; then per match one primary-key read of the other person, one of the district
/// and the chapter's interests (a page). About 17 buffers for a caller with one buddy,
/// whatever the number of matches in the database. The caller's possible duplicates
/// and interviews, which the full participant read computes, are not read.
///
/// The two sides are two equality probes joined by `UNION ALL` (a person is on one side
/// only: the sides are roles), not one `newcomer_id = me OR resident_id = me` condition:
/// with the OR, a planner that believed the table nearly empty (a new database, or one
/// analysed before its first matches) read every live match of every chapter, with the
/// other person of each, and filtered afterwards (103 buffers per call with 20 matches,
/// growing with the programme). Equalities leave it no plan but the index probes.
pub async fn buddies_of_account<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    subject: &str,
) -> Result<Option<(BuddyReader, Vec<LiveBuddy>)>, StoreError> {
    use sqlx::{FromRow, Row};
    let rows = sqlx::query(BUDDIES_OF_ACCOUNT)
        .bind(id)
        .bind(subject)
        .fetch_all(db)
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let languages: Json<Vec<participants::StoredLanguage>> = first.try_get("me_languages")?;
    let reader = BuddyReader {
        id: first.try_get("me_id")?,
        chapter_id: first.try_get("me_chapter_id")?,
        account_subject: first.try_get("me_account_subject")?,
        erased: first.try_get("me_erased")?,
        languages: languages.0,
        free_tags: first.try_get("me_free_tags")?,
    };
    // Without a live match the one row is the caller's alone (the match columns NULL).
    let mut buddies = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<Option<Uuid>, _>("id")?.is_some() {
            buddies.push(LiveBuddy::from_row(row)?);
        }
    }
    Ok(Some((reader, buddies)))
}

/// The never-propose-again pairs (newcomer, resident) that involve `participant`.
pub async fn excluded_pairs<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT newcomer_id, resident_id FROM never_propose_again
         WHERE newcomer_id = $1 OR resident_id = $1",
    )
    .bind(participant)
    .fetch_all(db)
    .await?)
}

/// Whether the pair is on the never-propose-again list.
pub async fn is_excluded<'c>(
    db: impl PgExecutor<'c>,
    newcomer: Uuid,
    resident: Uuid,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM never_propose_again WHERE newcomer_id = $1 AND resident_id = $2)",
    )
    .bind(newcomer)
    .bind(resident)
    .fetch_one(db)
    .await?)
}

/// A participant as the engine reads them, with their district's coordinates.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PoolMember {
    /// Id.
    pub id: Uuid,
    /// [`ParticipantRole`] string.
    pub role: String,
    /// [`ParticipantState`] string.
    pub state: String,
    /// Year of birth.
    pub birth_year: i32,
    /// Gender string.
    pub gender: String,
    /// Languages other than Swedish.
    pub languages: Json<Vec<participants::StoredLanguage>>,
    /// Swedish level string, if recorded.
    pub swedish_level: Option<String>,
    /// Interest ids.
    pub interests: Vec<String>,
    /// Free tags.
    pub free_tags: Vec<String>,
    /// Availability bits.
    pub availability: i32,
    /// Meeting preference string, if recorded.
    pub meeting_preference: Option<String>,
    /// Wishes.
    pub wishes: Json<Vec<participants::StoredWish>>,
    /// Capacity.
    pub buddy_capacity: i32,
    /// Children at home.
    pub has_children: bool,
    /// Live matches, proposals included.
    pub active_match_count: i32,
    /// Since when waiting.
    pub waiting_since: Option<OffsetDateTime>,
    /// District latitude.
    pub latitude: f64,
    /// District longitude.
    pub longitude: f64,
}

/// `SELECT` of [`PoolMember`]s from participants `p` with their district `d`, then `$rest`.
macro_rules! select_pool {
    ($rest:literal) => {
        concat!(
            "SELECT p.id, p.role, p.state, p.birth_year, p.gender, p.languages, p.swedish_level,
                 p.interests, p.free_tags, p.availability, p.meeting_preference, p.wishes,
                 p.buddy_capacity, p.has_children, p.active_match_count, p.waiting_since,
                 d.latitude, d.longitude
             FROM participants p
             JOIN districts d ON d.municipality_id = p.municipality_id AND d.id = p.district_id ",
            $rest
        )
    };
}

/// The matchable participants of `role` in `chapter`: READY newcomers without a live
/// match; READY or MATCHED established residents with a free place.
pub async fn pool<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    role: ParticipantRole,
) -> Result<Vec<PoolMember>, StoreError> {
    Ok(sqlx::query_as(select_pool!(
        "WHERE p.chapter_id = $1 AND p.role = $2
           AND p.state IN ('ready', 'matched') AND p.active_match_count < p.buddy_capacity
           AND (p.role = 'established_resident' OR p.state = 'ready')
         ORDER BY p.waiting_since, p.id"
    ))
    .bind(chapter)
    .bind(role.as_str())
    .fetch_all(db)
    .await?)
}

/// The version of `chapter`'s matching pool (0 before its first change): it moves in
/// the same transaction as any change to a participant who is or was in the pool
/// (migration 0019). Read it before the pool, in the same transaction: what is built
/// from the pool then holds while the version read again is the same.
pub async fn pool_version<'c>(db: impl PgExecutor<'c>, chapter: &str) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT version FROM pool_versions WHERE chapter_id = $1")
            .bind(chapter)
            .fetch_optional(db)
            .await?
            .unwrap_or(0),
    )
}

/// One participant as the engine reads them, whatever their state.
pub async fn pool_member<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<PoolMember, StoreError> {
    Ok(sqlx::query_as(select_pool!("WHERE p.id = $1"))
        .bind(id)
        .fetch_one(db)
        .await?)
}

/// A chapter's programme settings.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Programme {
    /// The chapter.
    pub chapter_id: String,
    /// Days to answer a proposal.
    pub proposal_deadline_days: i32,
    /// Whether the next candidate is offered automatically.
    pub auto_offer_next: bool,
    /// Days after acceptance on which check-ins are asked for.
    pub check_in_days: Vec<i32>,
    /// Months of the programme period.
    pub period_months: i32,
    /// When last changed; `None` while the chapter has the defaults.
    pub update_time: Option<OffsetDateTime>,
}

/// Reads a chapter's programme settings (the defaults when none were set); NotFound
/// for a chapter that does not exist.
pub async fn get_programme<'c>(db: impl PgExecutor<'c>, chapter: &str) -> Result<Programme, StoreError> {
    Ok(sqlx::query_as(
        "SELECT c.id AS chapter_id,
                COALESCE(m.proposal_deadline_days, 7) AS proposal_deadline_days,
                COALESCE(m.auto_offer_next, true) AS auto_offer_next,
                COALESCE(m.check_in_days, '{21,35,91,182}') AS check_in_days,
                COALESCE(m.period_months, 6) AS period_months,
                m.update_time
         FROM chapters c LEFT JOIN matching_programmes m ON m.chapter_id = c.id
         WHERE c.id = $1",
    )
    .bind(chapter)
    .fetch_one(db)
    .await?)
}

/// Replaces a chapter's programme settings; NotFound for an unknown chapter.
pub async fn set_programme(
    tx: &mut PgConnection,
    p: &Programme,
    at: OffsetDateTime,
) -> Result<Programme, StoreError> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM chapters WHERE id = $1)")
        .bind(&p.chapter_id)
        .fetch_one(&mut *tx)
        .await?;
    if !exists {
        return Err(StoreError::NotFound);
    }
    sqlx::query(
        "INSERT INTO matching_programmes (chapter_id, proposal_deadline_days, auto_offer_next,
             check_in_days, period_months, update_time)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (chapter_id) DO UPDATE SET proposal_deadline_days = $2,
             auto_offer_next = $3, check_in_days = $4, period_months = $5, update_time = $6",
    )
    .bind(&p.chapter_id)
    .bind(p.proposal_deadline_days)
    .bind(p.auto_offer_next)
    .bind(&p.check_in_days)
    .bind(p.period_months)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    get_programme(&mut *tx, &p.chapter_id).await
}

/// A proposal to write.
#[derive(Debug, Clone)]
pub struct NewProposal<'a> {
    /// The chapter both belong to.
    pub chapter: &'a str,
    /// The newcomer.
    pub newcomer: Uuid,
    /// The established resident.
    pub resident: Uuid,
    /// The engine's score; `None` for an override.
    pub score: Option<StoredScore>,
    /// The overridden refusal and its reason.
    pub override_: Option<(String, String)>,
    /// Who proposes (a coordinator's account, or [`SYSTEM`]).
    pub proposer: &'a str,
    /// The round that suggested it.
    pub matching_round: Option<Uuid>,
    /// Until when it may be answered.
    pub deadline: OffsetDateTime,
    /// When, from the clock.
    pub at: OffsetDateTime,
}

/// Why a participant cannot take a proposal now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlaceRefused {
    /// The newcomer already has a live match.
    #[error("the newcomer already has a live match")]
    NewcomerTaken,
    /// The resident has no free place.
    #[error("the established resident has no free place")]
    ResidentFull,
    /// One of them is not in a matchable state, or not of the expected role.
    #[error("a participant is not ready to be matched")]
    NotMatchable,
}

/// Locks a participant row for the rest of the transaction.
async fn lock(tx: &mut PgConnection, id: Uuid) -> Result<participants::Participant, StoreError> {
    participants::lock_participant(tx, id).await
}

/// Writes a proposal: takes a place on both sides (newcomer row locked first, then the
/// resident's), inserts the match, appends its event and notifies both. Refused with
/// [`StoreError::Domain`] (`LiveMatch`) when the newcomer is taken, and with
/// [`PlaceRefused`] through `Ok(Err(..))` for the other cases, so that the caller can
/// say which.
pub async fn propose(
    tx: &mut PgConnection,
    p: &NewProposal<'_>,
) -> Result<Result<Match, PlaceRefused>, StoreError> {
    let newcomer = lock(tx, p.newcomer).await?;
    let resident = lock(tx, p.resident).await?;
    let state = |x: &participants::Participant| x.parsed_state();
    if newcomer.chapter_id != p.chapter
        || resident.chapter_id != p.chapter
        || newcomer.role != ParticipantRole::Newcomer.as_str()
        || resident.role != ParticipantRole::EstablishedResident.as_str()
    {
        return Ok(Err(PlaceRefused::NotMatchable));
    }
    if newcomer.active_match_count > 0 {
        return Ok(Err(PlaceRefused::NewcomerTaken));
    }
    if state(&newcomer)? != ParticipantState::Ready
        || !matches!(
            state(&resident)?,
            ParticipantState::Ready | ParticipantState::Matched
        )
    {
        return Ok(Err(PlaceRefused::NotMatchable));
    }
    if resident.active_match_count >= resident.buddy_capacity {
        return Ok(Err(PlaceRefused::ResidentFull));
    }
    sqlx::query("UPDATE participants SET active_match_count = active_match_count + 1 WHERE id = ANY($1)")
        .bind([p.newcomer, p.resident].as_slice())
        .execute(&mut *tx)
        .await?;
    let id = Uuid::now_v7();
    let (rule, reason) = match &p.override_ {
        Some((rule, reason)) => (Some(rule.as_str()), Some(reason.as_str())),
        None => (None, None),
    };
    let inserted = sqlx::query_as::<_, Match>(
        "INSERT INTO matches (id, chapter_id, newcomer_id, resident_id, state, score,
             override_rule, override_reason, proposer, matching_round_id, deadline_time,
             create_time, update_time)
         VALUES ($1, $2, $3, $4, 'proposed', $5, $6, $7, $8, $9, $10, $11, $11)
         RETURNING *",
    )
    .bind(id)
    .bind(p.chapter)
    .bind(p.newcomer)
    .bind(p.resident)
    .bind(p.score.as_ref().map(Json))
    .bind(rule)
    .bind(reason)
    .bind(p.proposer)
    .bind(p.matching_round)
    .bind(p.deadline)
    .bind(p.at)
    .fetch_one(&mut *tx)
    .await;
    let m = match inserted {
        Ok(m) => m,
        // The partial unique index: a live match of the newcomer that the counter did
        // not show (it cannot, under the row lock; kept as the last word).
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("matches_one_live_per_newcomer") => {
            return Err(StoreError::Domain(DomainViolation::LiveMatch));
        }
        Err(e) => return Err(e.into()),
    };
    let event_reason = match &p.override_ {
        Some((rule, reason)) => format!("override of \"{rule}\": {reason}"),
        None => String::new(),
    };
    match_event(
        tx,
        &m,
        p.proposer,
        "",
        MatchState::Proposed.as_str(),
        &event_reason,
        p.at,
    )
    .await?;
    let params = Params::new().time("deadline", p.deadline);
    notify_both(
        tx,
        &m,
        NotificationKind::BuddyProposed,
        Template::BuddyProposed,
        &params,
        p.at,
    )
    .await?;
    Ok(Ok(m))
}

/// Appends a match's event with its attributes.
async fn match_event(
    tx: &mut PgConnection,
    m: &Match,
    actor: &str,
    from: &str,
    to: &str,
    reason: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let name = m.resource_name();
    // The newcomer's attributes: a match counts in the target group of its newcomer.
    let newcomer = events::participant_attributes(&mut *tx, m.newcomer_id).await?;
    events::append(
        &mut *tx,
        &NewEvent {
            chapter_id: &m.chapter_id,
            subject: &name,
            kind: EventKind::Match,
            actor,
            occur_time: at,
            from_state: from,
            to_state: to,
            reason,
            attributes: Attributes {
                match_id: Some(m.id),
                end_reason: m.end_reason.clone(),
                // Languages are an attribute of participant events only.
                languages: None,
                ..newcomer
            },
        },
    )
    .await?;
    Ok(())
}

/// Enqueues the same notification to both people of a match.
async fn notify_both(
    tx: &mut PgConnection,
    m: &Match,
    kind: NotificationKind,
    template: Template,
    params: &Params,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let subject = m.resource_name();
    let one = |participant| NewNotification {
        participant,
        chapter: &m.chapter_id,
        kind,
        subject: &subject,
        template,
        params,
        at,
    };
    notifications::enqueue_batch(tx, &[one(m.newcomer_id), one(m.resident_id)]).await?;
    Ok(())
}

/// Locks a match's two participants (newcomer first) and then the match itself;
/// returns the match as locked.
async fn lock_match(tx: &mut PgConnection, id: Uuid) -> Result<Match, StoreError> {
    let m = get_match(&mut *tx, id).await?;
    lock(tx, m.newcomer_id).await?;
    lock(tx, m.resident_id).await?;
    Ok(
        sqlx::query_as("SELECT * FROM matches WHERE id = $1 FOR NO KEY UPDATE")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?,
    )
}

/// One side's acceptance.
#[derive(Debug, Clone)]
pub struct Acceptance<'a> {
    /// The match.
    pub match_id: Uuid,
    /// Which side accepts.
    pub side: ParticipantRole,
    /// How the person agreed.
    pub channel: AgreementChannel,
    /// Who records it: the participant's account, or the coordinator's.
    pub recorded_by: &'a str,
    /// When, from the clock.
    pub at: OffsetDateTime,
}

/// What an answer may run into besides the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AnswerRefused {
    /// The deadline has passed.
    #[error("the proposal's answer deadline has passed")]
    DeadlinePassed,
    /// This side already answered.
    #[error("this side has already answered the proposal")]
    AlreadyAnswered,
}

/// Records one side's acceptance; when both have accepted the match becomes ACCEPTED,
/// both participants MATCHED, and both are notified that contact details are released.
pub async fn accept(
    tx: &mut PgConnection,
    a: &Acceptance<'_>,
) -> Result<Result<Match, AnswerRefused>, StoreError> {
    let m = lock_match(tx, a.match_id).await?;
    // Only a proposal can be accepted: anything else is the state machine's refusal.
    m.parsed_state()?.transition(MatchState::Accepted)?;
    if a.at >= m.deadline_time {
        return Ok(Err(AnswerRefused::DeadlinePassed));
    }
    if m.response_of(a.side)? != ProposalAnswer::Pending {
        return Ok(Err(AnswerRefused::AlreadyAnswered));
    }
    let other = match a.side {
        ParticipantRole::Newcomer => ParticipantRole::EstablishedResident,
        ParticipantRole::EstablishedResident => ParticipantRole::Newcomer,
    };
    let both = m.response_of(other)? == ProposalAnswer::Accepted;
    macro_rules! accept_side {
        ($side:literal) => {
            concat!(
                "UPDATE matches SET ",
                $side,
                "_response = 'accepted', ",
                $side,
                "_agreed_via = $2, ",
                $side,
                "_agreed_by = $3, ",
                $side,
                "_agree_time = $4,
                     state = CASE WHEN $5 THEN 'accepted' ELSE state END,
                     accept_time = CASE WHEN $5 THEN $4 ELSE accept_time END,
                     update_time = $4
                 WHERE id = $1 RETURNING *"
            )
        };
    }
    let sql = match a.side {
        ParticipantRole::Newcomer => accept_side!("newcomer"),
        ParticipantRole::EstablishedResident => accept_side!("resident"),
    };
    let updated: Match = sqlx::query_as(sql)
        .bind(m.id)
        .bind(a.channel.as_str())
        .bind(a.recorded_by)
        .bind(a.at)
        .bind(both)
        .fetch_one(&mut *tx)
        .await?;
    let to = if both {
        MatchState::Accepted
    } else {
        MatchState::Proposed
    };
    let reason = format!("{} accepted ({})", a.side, a.channel);
    match_event(
        tx,
        &updated,
        a.recorded_by,
        MatchState::Proposed.as_str(),
        to.as_str(),
        &reason,
        a.at,
    )
    .await?;
    if both {
        for id in [updated.newcomer_id, updated.resident_id] {
            let p = participants::get_participant(&mut *tx, id).await?;
            if p.parsed_state()? == ParticipantState::Ready {
                participants::change_state(
                    tx,
                    &StateChange {
                        id,
                        from: ParticipantState::Ready,
                        to: ParticipantState::Matched,
                        state_before_withdrawal: None,
                        reason: "both accepted a match",
                        waiting_since: WaitingSince::Keep,
                        actor: a.recorded_by,
                        at: a.at,
                    },
                )
                .await?;
            }
        }
        notify_both(
            tx,
            &updated,
            NotificationKind::MatchAccepted,
            Template::MatchAccepted,
            &Params::new(),
            a.at,
        )
        .await?;
    }
    Ok(Ok(updated))
}

/// A decline, a withdrawal or an expiry.
#[derive(Debug, Clone)]
pub struct Decline<'a> {
    /// The match.
    pub match_id: Uuid,
    /// Who ended the proposal.
    pub cause: DeclineCause,
    /// Why, in the decliner's words; may be empty. Coordinators only.
    pub reason: &'a str,
    /// Who acts.
    pub actor: &'a str,
    /// When, from the clock.
    pub at: OffsetDateTime,
}

/// Declines a proposal: the match becomes DECLINED, both places are freed (neither
/// participant's state or `waiting_since` changes, so both keep their place in the
/// queue), a pair one of them declined joins the never-propose-again list, and both are
/// notified. A side's decline after the deadline is refused like an acceptance.
pub async fn decline(
    tx: &mut PgConnection,
    d: &Decline<'_>,
) -> Result<Result<Match, AnswerRefused>, StoreError> {
    let m = lock_match(tx, d.match_id).await?;
    m.parsed_state()?.transition(MatchState::Declined)?;
    let side = match d.cause {
        DeclineCause::Newcomer => Some(ParticipantRole::Newcomer),
        DeclineCause::EstablishedResident => Some(ParticipantRole::EstablishedResident),
        DeclineCause::Coordinator | DeclineCause::DeadlinePassed => None,
    };
    if let Some(side) = side {
        if d.at >= m.deadline_time {
            return Ok(Err(AnswerRefused::DeadlinePassed));
        }
        if m.response_of(side)? != ProposalAnswer::Pending {
            return Ok(Err(AnswerRefused::AlreadyAnswered));
        }
    }
    let updated: Match = sqlx::query_as(
        "UPDATE matches SET state = 'declined', decline_cause = $2, decline_reason = $3,
             newcomer_response = CASE WHEN $2 = 'newcomer' THEN 'declined' ELSE newcomer_response END,
             resident_response = CASE WHEN $2 = 'established_resident' THEN 'declined'
                                      ELSE resident_response END,
             update_time = $4
         WHERE id = $1 RETURNING *",
    )
    .bind(m.id)
    .bind(d.cause.as_str())
    .bind(d.reason)
    .bind(d.at)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE participants SET active_match_count = active_match_count - 1 WHERE id = ANY($1)")
        .bind([m.newcomer_id, m.resident_id].as_slice())
        .execute(&mut *tx)
        .await?;
    if d.cause.excludes_pair() {
        sqlx::query(
            "INSERT INTO never_propose_again (newcomer_id, resident_id, match_id, cause, create_time)
             VALUES ($1, $2, $3, 'declined', $4) ON CONFLICT DO NOTHING",
        )
        .bind(m.newcomer_id)
        .bind(m.resident_id)
        .bind(m.id)
        .bind(d.at)
        .execute(&mut *tx)
        .await?;
    }
    let reason = if d.reason.is_empty() {
        format!("declined: {}", d.cause)
    } else {
        format!("declined: {}: {}", d.cause, d.reason)
    };
    match_event(
        tx,
        &updated,
        d.actor,
        MatchState::Proposed.as_str(),
        MatchState::Declined.as_str(),
        &reason,
        d.at,
    )
    .await?;
    notify_both(
        tx,
        &updated,
        NotificationKind::MatchEnded,
        Template::MatchEnded,
        &Params::new(),
        d.at,
    )
    .await?;
    Ok(Ok(updated))
}

/// Withdraws every open proposal of `leaving`, a participant (locked by the caller)
/// who is leaving the programme (their match ended, or they are erased): each becomes
/// DECLINED with the cause COORDINATOR and `reason` (a withdrawal: the pair is not
/// excluded, and no next candidate is offered; the other side keeps their place in the
/// queue for the next round or coordinator), and both are notified, as [`decline`] does.
pub(crate) async fn withdraw_proposals_of(
    tx: &mut PgConnection,
    leaving: Uuid,
    reason: &str,
    actor: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let open: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM matches WHERE $1 IN (newcomer_id, resident_id) AND state = 'proposed'
         ORDER BY id",
    )
    .bind(leaving)
    .fetch_all(&mut *tx)
    .await?;
    for id in open {
        let withdrawn = decline(
            tx,
            &Decline {
                match_id: id,
                cause: DeclineCause::Coordinator,
                reason,
                actor,
                at,
            },
        )
        .await?;
        // A withdrawal answers for neither side, so neither the deadline nor an answer
        // already given refuses it.
        if withdrawn.is_err() {
            return Err(StoreError::Conflict("a proposal could not be withdrawn".into()));
        }
    }
    Ok(())
}

/// Proposals whose deadline is at or before `now`, oldest deadline first, at most
/// `limit`. Not locked: [`decline`] locks each and finds it no longer proposed when
/// another worker got there first.
pub async fn due_proposals<'c>(
    db: impl PgExecutor<'c>,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM matches WHERE state = 'proposed' AND deadline_time <= $1
         ORDER BY deadline_time, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The display names of the chapter's interests among `ids`, as (id, name).
pub async fn interest_names<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    ids: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, display_name FROM interests WHERE chapter_id = $1 AND id = ANY($2::text[])
         ORDER BY display_name, id",
    )
    .bind(chapter)
    .bind(ids)
    .fetch_all(db)
    .await?)
}

/// Records that the pair has been introduced and meets: ACCEPTED → ACTIVE.
pub async fn start(
    tx: &mut PgConnection,
    match_id: Uuid,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Match, StoreError> {
    let m = lock_match(tx, match_id).await?;
    m.parsed_state()?.transition(MatchState::Active)?;
    let updated: Match = sqlx::query_as(
        "UPDATE matches SET state = 'active', start_time = $2, update_time = $2 WHERE id = $1 RETURNING *",
    )
    .bind(m.id)
    .bind(at)
    .fetch_one(&mut *tx)
    .await?;
    match_event(
        tx,
        &updated,
        actor,
        MatchState::Accepted.as_str(),
        MatchState::Active.as_str(),
        "",
        at,
    )
    .await?;
    Ok(updated)
}

/// An ending.
#[derive(Debug, Clone)]
pub struct Ending<'a> {
    /// The match.
    pub match_id: Uuid,
    /// Why.
    pub reason: kompis_domain::MatchEndReason,
    /// The explanation; may be empty. Coordinators only.
    pub note: &'a str,
    /// Whether participants left without a live match return to the waiting list
    /// (READY, with their original `waiting_since`) rather than leave (ENDED).
    pub return_to_waiting_list: bool,
    /// A participant of the match who leaves (ENDED) even when the other returns to the
    /// waiting list: one who ended the match in the app without asking for a new buddy.
    pub leaves: Option<Uuid>,
    /// The side that ended the match themselves in the app, if one did.
    pub ended_by: Option<ParticipantRole>,
    /// Who acts.
    pub actor: &'a str,
    /// When, from the clock.
    pub at: OffsetDateTime,
}

/// Ends an accepted or active match: frees both places, puts the pair on the
/// never-propose-again list, moves each participant left without a live match to READY
/// (keeping their place in the queue) or ENDED, and notifies both.
///
/// A participant who leaves (ENDED) leaves their open proposals too: a resident with
/// room for several buddies may have one open while the match ends. Each is withdrawn
/// as a coordinator's withdrawal ([`withdraw_proposals_of`]) in the same transaction, so
/// that nobody can accept a buddy who has left the programme; the other side keeps their
/// place in the queue.
pub async fn end(tx: &mut PgConnection, e: &Ending<'_>) -> Result<Match, StoreError> {
    let m = lock_match(tx, e.match_id).await?;
    let from = m.parsed_state()?;
    from.transition(MatchState::Ended)?;
    let updated: Match = sqlx::query_as(
        "UPDATE matches SET state = 'ended', end_time = $2, end_reason = $3, end_note = $4,
             ended_by = $5, update_time = $2
         WHERE id = $1 RETURNING *",
    )
    .bind(m.id)
    .bind(e.at)
    .bind(e.reason.as_str())
    .bind(e.note)
    .bind(e.ended_by.map(|r| r.as_str()))
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE participants SET active_match_count = active_match_count - 1 WHERE id = ANY($1)")
        .bind([m.newcomer_id, m.resident_id].as_slice())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO never_propose_again (newcomer_id, resident_id, match_id, cause, create_time)
         VALUES ($1, $2, $3, 'ended', $4) ON CONFLICT DO NOTHING",
    )
    .bind(m.newcomer_id)
    .bind(m.resident_id)
    .bind(m.id)
    .bind(e.at)
    .execute(&mut *tx)
    .await?;
    for id in [m.newcomer_id, m.resident_id] {
        let p = participants::get_participant(&mut *tx, id).await?;
        let still_live: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM matches WHERE (newcomer_id = $1 OR resident_id = $1)
                 AND state IN ('accepted', 'active'))",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if p.parsed_state()? != ParticipantState::Matched || still_live {
            continue;
        }
        let to = if e.return_to_waiting_list && e.leaves != Some(id) {
            ParticipantState::Ready
        } else {
            ParticipantState::Ended
        };
        participants::change_state(
            tx,
            &StateChange {
                id,
                from: ParticipantState::Matched,
                to,
                state_before_withdrawal: None,
                reason: "the match ended",
                waiting_since: WaitingSince::Keep,
                actor: e.actor,
                at: e.at,
            },
        )
        .await?;
        if to == ParticipantState::Ended {
            let reason = if p.role == ParticipantRole::Newcomer.as_str() {
                "the newcomer left the programme"
            } else {
                "the established resident left the programme"
            };
            withdraw_proposals_of(tx, id, reason, e.actor, e.at).await?;
        }
    }
    let reason = if e.note.is_empty() {
        e.reason.as_str().to_owned()
    } else {
        format!("{}: {}", e.reason, e.note)
    };
    match_event(
        tx,
        &updated,
        e.actor,
        from.as_str(),
        MatchState::Ended.as_str(),
        &reason,
        e.at,
    )
    .await?;
    notify_both(
        tx,
        &updated,
        NotificationKind::MatchEnded,
        Template::MatchEnded,
        &Params::new(),
        e.at,
    )
    .await?;
    Ok(updated)
}
