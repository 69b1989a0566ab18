//! Matching rounds: the round row (a job a worker picks, with its state and progress),
//! its dry run's proposals and waiting newcomers, and the chapter's round lock.
//!
//! One round at a time per chapter, across replicas. Starting and committing a round
//! take [`try_lock_chapter`] (a transaction-level advisory lock), and the worker holds
//! [`try_lock_chapter_session`] (the same key, session level) on a connection of its
//! own while it computes; a round PENDING or RUNNING blocks another start, and the
//! partial unique index `matching_rounds_one_in_progress` is the last word. A worker
//! that dies drops its connection and with it the lock, so another worker can take the
//! RUNNING round over: a round is never left running by nobody.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use kompis_domain::{EventKind, MatchState, NotificationKind, ParticipantRole, ParticipantState};
use kompis_messages::{Params, Template};

use crate::events::{self, Attributes, NewEvent};
use crate::matches::{PlaceRefused, PoolMember, SYSTEM, StoredScore};
use crate::notifications::{self, NewNotification};
use crate::{DomainViolation, StoreError};

/// The first key of the chapter's round lock (`pg_advisory_*lock(int, int)`): the
/// ASCII of "kmrd". The second key is `hashtext(chapter_id)`; two chapters whose names
/// hash alike share a lock, which only makes one of them wait.
const ROUND_LOCK_CLASS: i32 = 0x6b6d_7264;

/// How many result rows one statement writes.
const BATCH: usize = 5_000;

macro_rules! text_enum_local {
    ($(#[$doc:meta])* $name:ident: $what:literal { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// The stored string.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)*
                }
            }
        }

        impl FromStr for $name {
            type Err = StoreError;

            fn from_str(s: &str) -> Result<Self, StoreError> {
                match s {
                    $($text => Ok(Self::$variant),)*
                    other => Err(StoreError::corrupt($what, other)),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum_local! {
    /// Lifecycle of a round.
    RoundState: "round state" {
        /// Waiting for a worker.
        Pending => "pending",
        /// A worker computes the dry run.
        Running => "running",
        /// The dry run is stored.
        Succeeded => "succeeded",
        /// The dry run failed.
        Failed => "failed",
        /// The proposals were committed.
        Committed => "committed",
        /// A coordinator cancelled it before it was committed.
        Cancelled => "cancelled",
    }
}

text_enum_local! {
    /// The step a dry run is at.
    Phase: "round phase" {
        /// Waiting for a worker.
        Queued => "queued",
        /// Reading the pool.
        Loading => "loading",
        /// Finding and scoring admissible pairs.
        Scoring => "scoring",
        /// Solving the assignment.
        Assigning => "assigning",
        /// Explaining proposals and reasons.
        Explaining => "explaining",
        /// Storing the results.
        Saving => "saving",
        /// Finished.
        Done => "done",
    }
}

text_enum_local! {
    /// Why a newcomer was left waiting (the engine's `WaitReason`).
    WaitReason: "wait reason" {
        /// No resident within reach.
        NoResidentWithinReach => "no_resident_within_reach",
        /// No shared language.
        NoSharedLanguage => "no_shared_language",
        /// No common free time.
        NoCommonTime => "no_common_time",
        /// A hard wish.
        HardWish => "hard_wish",
        /// Only pairs declined or ended before.
        OnlyExcludedPairs => "only_excluded_pairs",
        /// All candidates taken by people with fewer options.
        CandidatesTaken => "candidates_taken",
    }
}

/// A round as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Round {
    /// Id.
    pub id: Uuid,
    /// The chapter.
    pub chapter_id: String,
    /// The municipality the newcomers were limited to.
    pub municipality_id: Option<String>,
    /// The district the newcomers were limited to.
    pub district_id: Option<String>,
    /// Who started it.
    pub creator: String,
    /// [`RoundState`] string.
    pub state: String,
    /// [`Phase`] string.
    pub phase: String,
    /// Progress, 0 to 1000.
    pub progress_permille: i32,
    /// Figures, set from SUCCEEDED on.
    pub newcomers_ready: Option<i32>,
    /// Ready residents.
    pub residents_ready: Option<i32>,
    /// Their free places.
    pub resident_capacity: Option<i32>,
    /// Admissible pairs.
    pub admissible_pairs: Option<i64>,
    /// Proposals.
    pub matched: Option<i32>,
    /// Newcomers left waiting.
    pub waiting: Option<i32>,
    /// Sum of the proposals' points.
    pub total_score: Option<i64>,
    /// Why the dry run failed.
    pub failure: String,
    /// Proposals committed.
    pub committed_proposals: i32,
    /// When started.
    pub create_time: OffsetDateTime,
    /// When a worker started the dry run.
    pub start_time: Option<OffsetDateTime>,
    /// When the dry run finished.
    pub finish_time: Option<OffsetDateTime>,
    /// When committed.
    pub commit_time: Option<OffsetDateTime>,
    /// When last changed.
    pub update_time: OffsetDateTime,
    /// When cancelled.
    pub cancel_time: Option<OffsetDateTime>,
    /// Who cancelled it.
    pub canceller: Option<String>,
}

impl Round {
    /// The parsed state.
    pub fn parsed_state(&self) -> Result<RoundState, StoreError> {
        self.state.parse()
    }

    /// The parsed phase.
    pub fn parsed_phase(&self) -> Result<Phase, StoreError> {
        self.phase.parse()
    }

    /// `chapters/{chapter}/matchingRounds/{id}`.
    pub fn resource_name(&self) -> String {
        resource_name(&self.chapter_id, self.id)
    }

    /// Whether the round has waited for a worker longer than [`STALLED_AFTER`] at `now`.
    pub fn stalled(&self, now: OffsetDateTime) -> bool {
        self.state == RoundState::Pending.as_str() && now - self.create_time > STALLED_AFTER
    }
}

/// How long a round may stay PENDING before it is reported stalled: a worker looks for
/// rounds every few seconds, so a round still waiting after this has no worker.
pub const STALLED_AFTER: time::Duration = time::Duration::minutes(5);

/// A round that cannot be cancelled: committed, failed or cancelled already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotCancellable(pub RoundState);

/// Cancels a round that was not committed (PENDING, RUNNING or SUCCEEDED), with its
/// event, in the caller's transaction. The row lock orders it with the worker's
/// [`start`], [`set_progress`] and [`succeed`]: a worker computing it finds it no longer
/// RUNNING at its next step and stores nothing.
pub async fn cancel(
    tx: &mut PgConnection,
    id: Uuid,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Result<Round, NotCancellable>, StoreError> {
    let before = lock(tx, id).await?.parsed_state()?;
    if !matches!(
        before,
        RoundState::Pending | RoundState::Running | RoundState::Succeeded
    ) {
        return Ok(Err(NotCancellable(before)));
    }
    let round: Round = sqlx::query_as(
        "UPDATE matching_rounds SET state = 'cancelled', phase = 'done', cancel_time = $2,
             canceller = $3, update_time = $2
         WHERE id = $1 RETURNING *",
    )
    .bind(id)
    .bind(at)
    .bind(actor)
    .fetch_one(&mut *tx)
    .await?;
    round_event(tx, &round, actor, Some(before), "", at).await?;
    Ok(Ok(round))
}

/// `chapters/{chapter}/matchingRounds/{id}`.
pub fn resource_name(chapter: &str, id: Uuid) -> String {
    format!("chapters/{chapter}/matchingRounds/{id}")
}

/// Appends a round's event (from `from`, `None` on creation, to its state), with its
/// scope as attributes.
async fn round_event(
    tx: &mut PgConnection,
    round: &Round,
    actor: &str,
    from: Option<RoundState>,
    reason: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let subject = round.resource_name();
    events::append(
        &mut *tx,
        &NewEvent {
            chapter_id: &round.chapter_id,
            subject: &subject,
            kind: kompis_domain::EventKind::MatchingRound,
            actor,
            occur_time: at,
            from_state: from.map_or("", RoundState::as_str),
            to_state: &round.state,
            reason,
            attributes: Attributes {
                municipality_id: round.municipality_id.clone(),
                district_id: round.district_id.clone(),
                ..Default::default()
            },
        },
    )
    .await?;
    Ok(())
}

/// Takes the chapter's round lock until the end of the transaction, without waiting;
/// false when another transaction or a computing worker holds it.
pub async fn try_lock_chapter(tx: &mut PgConnection, chapter: &str) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, hashtext($2))")
            .bind(ROUND_LOCK_CLASS)
            .bind(chapter)
            .fetch_one(tx)
            .await?,
    )
}

/// Takes the chapter's round lock for the session of `conn`, without waiting; false
/// when it is held. Release it with [`unlock_chapter_session`] (or by closing `conn`).
pub async fn try_lock_chapter_session(conn: &mut PgConnection, chapter: &str) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1, hashtext($2))")
            .bind(ROUND_LOCK_CLASS)
            .bind(chapter)
            .fetch_one(conn)
            .await?,
    )
}

/// Releases a lock taken with [`try_lock_chapter_session`].
pub async fn unlock_chapter_session(conn: &mut PgConnection, chapter: &str) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_unlock($1, hashtext($2))")
        .bind(ROUND_LOCK_CLASS)
        .bind(chapter)
        .execute(conn)
        .await?;
    Ok(())
}

/// The chapter's round lock held for a session, on a connection of its own: what a
/// worker holds while it computes a round. Released by [`SessionLock::release`]; should
/// the process die first, PostgreSQL ends the session and the lock with it.
#[derive(Debug)]
pub struct SessionLock {
    conn: Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
    chapter: String,
}

impl SessionLock {
    /// Takes the chapter's round lock without waiting; `None` when it is held.
    pub async fn try_take(pool: &sqlx::PgPool, chapter: &str) -> Result<Option<Self>, StoreError> {
        let mut conn = pool.acquire().await?;
        if !try_lock_chapter_session(&mut conn, chapter).await? {
            return Ok(None);
        }
        Ok(Some(Self {
            conn: Some(conn),
            chapter: chapter.to_owned(),
        }))
    }

    /// Releases the lock. If the release cannot be sent, the connection is closed
    /// instead (its session, and the lock, end with it), never returned to the pool
    /// still holding the lock.
    pub async fn release(mut self) {
        if let Some(mut conn) = self.conn.take()
            && unlock_chapter_session(&mut conn, &self.chapter).await.is_err()
        {
            drop(conn.detach());
        }
    }
}

impl Drop for SessionLock {
    /// A lock dropped without [`SessionLock::release`] (a cancelled or panicking
    /// holder) closes its connection rather than return it to the pool locked.
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            drop(conn.detach());
        }
    }
}

/// Whether `chapter` covers `municipality`.
pub async fn chapter_covers<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    municipality: &str,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM chapter_municipalities WHERE chapter_id = $1 AND municipality_id = $2)",
    )
    .bind(chapter)
    .bind(municipality)
    .fetch_one(db)
    .await?)
}

/// Whether the district exists.
pub async fn district_exists<'c>(
    db: impl PgExecutor<'c>,
    municipality: &str,
    district: &str,
) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM districts WHERE municipality_id = $1 AND id = $2)")
            .bind(municipality)
            .bind(district)
            .fetch_one(db)
            .await?,
    )
}

/// A round to start.
#[derive(Debug, Clone)]
pub struct NewRound<'a> {
    /// The chapter.
    pub chapter: &'a str,
    /// The municipality, when limited to one.
    pub municipality: Option<&'a str>,
    /// The district (of `municipality`), when limited to one.
    pub district: Option<&'a str>,
    /// Who starts it.
    pub creator: &'a str,
    /// When, from the clock.
    pub at: OffsetDateTime,
}

/// Why a round cannot start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a matching round is already running for the chapter")]
pub struct RoundInProgress;

/// Stores a round PENDING for a worker, under the chapter's round lock; refused with
/// [`RoundInProgress`] when the lock is held or a round of the chapter is PENDING or
/// RUNNING. NotFound for a chapter that does not exist.
pub async fn create(
    tx: &mut PgConnection,
    r: &NewRound<'_>,
) -> Result<Result<Round, RoundInProgress>, StoreError> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM chapters WHERE id = $1)")
        .bind(r.chapter)
        .fetch_one(&mut *tx)
        .await?;
    if !exists {
        return Err(StoreError::NotFound);
    }
    if !try_lock_chapter(tx, r.chapter).await? {
        return Ok(Err(RoundInProgress));
    }
    let busy: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM matching_rounds WHERE chapter_id = $1
             AND state IN ('pending', 'running'))",
    )
    .bind(r.chapter)
    .fetch_one(&mut *tx)
    .await?;
    if busy {
        return Ok(Err(RoundInProgress));
    }
    let inserted = sqlx::query_as::<_, Round>(
        "INSERT INTO matching_rounds (id, chapter_id, municipality_id, district_id, creator, state,
             phase, create_time, update_time)
         VALUES ($1, $2, $3, $4, $5, 'pending', 'queued', $6, $6)
         RETURNING *",
    )
    .bind(Uuid::now_v7())
    .bind(r.chapter)
    .bind(r.municipality)
    .bind(r.district)
    .bind(r.creator)
    .bind(r.at)
    .fetch_one(&mut *tx)
    .await;
    match inserted {
        Ok(round) => {
            round_event(tx, &round, r.creator, None, "", r.at).await?;
            Ok(Ok(round))
        }
        // The partial unique index, should a start ever pass the lock and the check.
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("matching_rounds_one_in_progress") => {
            Ok(Err(RoundInProgress))
        }
        Err(e) => Err(e.into()),
    }
}

/// Reads a round.
pub async fn get<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<Round, StoreError> {
    Ok(sqlx::query_as("SELECT * FROM matching_rounds WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await?)
}

/// Reads a round and locks its row for the rest of the transaction.
pub async fn lock(tx: &mut PgConnection, id: Uuid) -> Result<Round, StoreError> {
    Ok(
        sqlx::query_as("SELECT * FROM matching_rounds WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_one(tx)
            .await?,
    )
}

/// A chapter's rounds newest first, after the (create_time, id) key `after`, at most
/// `limit`.
pub async fn list<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<Round>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM matching_rounds
         WHERE chapter_id = $1 AND ($2::timestamptz IS NULL OR (create_time, id) < ($2, $3))
         ORDER BY create_time DESC, id DESC
         LIMIT $4",
    )
    .bind(chapter)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Rounds a worker may take, oldest first: PENDING ones, and RUNNING ones whose worker
/// may have died (the caller tells by taking the chapter's lock), as (id, chapter).
pub async fn to_run<'c>(db: impl PgExecutor<'c>, limit: i64) -> Result<Vec<(Uuid, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, chapter_id FROM matching_rounds WHERE state IN ('pending', 'running')
         ORDER BY create_time, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Marks a round RUNNING (loading) for the worker holding the chapter's lock; `None`
/// when it is no longer PENDING or RUNNING. A RUNNING round is taken over from a worker
/// that died.
pub async fn start(tx: &mut PgConnection, id: Uuid, at: OffsetDateTime) -> Result<Option<Round>, StoreError> {
    let before = lock(tx, id).await?.parsed_state()?;
    if !matches!(before, RoundState::Pending | RoundState::Running) {
        return Ok(None);
    }
    let round: Round = sqlx::query_as(
        "UPDATE matching_rounds SET state = 'running', phase = 'loading', progress_permille = 0,
             start_time = $2, update_time = $2
         WHERE id = $1
         RETURNING *",
    )
    .bind(id)
    .bind(at)
    .fetch_one(&mut *tx)
    .await?;
    let reason = if before == RoundState::Running {
        "taken over from a worker that stopped"
    } else {
        ""
    };
    round_event(tx, &round, SYSTEM, Some(before), reason, at).await?;
    Ok(Some(round))
}

/// Records a running round's progress (never lowered); false when the round is no
/// longer RUNNING (it was cancelled): the worker then stops.
pub async fn set_progress<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    phase: Phase,
    permille: i32,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE matching_rounds SET phase = $2, progress_permille = GREATEST(progress_permille, $3),
             update_time = $4
         WHERE id = $1 AND state = 'running'",
    )
    .bind(id)
    .bind(phase.as_str())
    .bind(permille.clamp(0, 1000))
    .bind(at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a running round FAILED with `failure` (no personal data).
pub async fn fail(
    tx: &mut PgConnection,
    id: Uuid,
    failure: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let failure: String = failure.chars().take(500).collect();
    let failed: Option<Round> = sqlx::query_as(
        "UPDATE matching_rounds SET state = 'failed', phase = 'done', failure = $2,
             finish_time = $3, update_time = $3
         WHERE id = $1 AND state = 'running'
         RETURNING *",
    )
    .bind(id)
    .bind(&failure)
    .bind(at)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(round) = failed {
        round_event(tx, &round, SYSTEM, Some(RoundState::Running), &failure, at).await?;
    }
    Ok(())
}

/// The matchable newcomers of `chapter` in the scope (a municipality, or a district
/// of it; the whole chapter when both are `None`): READY without a live match.
pub async fn newcomers_in_scope<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    municipality: Option<&str>,
    district: Option<&str>,
) -> Result<Vec<PoolMember>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.role, p.state, p.birth_year, p.gender, p.languages, p.swedish_level,
             p.interests, p.free_tags, p.availability, p.meeting_preference, p.wishes,
             p.buddy_capacity, p.has_children, p.active_match_count, p.waiting_since,
             d.latitude, d.longitude
         FROM participants p
         JOIN districts d ON d.municipality_id = p.municipality_id AND d.id = p.district_id
         WHERE p.chapter_id = $1 AND p.role = 'newcomer' AND p.state = 'ready'
           AND p.active_match_count = 0
           AND ($2::text IS NULL OR p.municipality_id = $2)
           AND ($3::text IS NULL OR p.district_id = $3)
         ORDER BY p.waiting_since, p.id",
    )
    .bind(chapter)
    .bind(municipality)
    .bind(district)
    .fetch_all(db)
    .await?)
}

/// The never-propose-again pairs (newcomer, resident) of a chapter's newcomers.
pub async fn chapter_exclusions<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT n.newcomer_id, n.resident_id FROM never_propose_again n
         JOIN participants p ON p.id = n.newcomer_id
         WHERE p.chapter_id = $1",
    )
    .bind(chapter)
    .fetch_all(db)
    .await?)
}

/// The figures of a dry run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Figures {
    /// Ready newcomers in the scope.
    pub newcomers_ready: i32,
    /// Ready residents.
    pub residents_ready: i32,
    /// Their free places.
    pub resident_capacity: i32,
    /// Admissible pairs.
    pub admissible_pairs: i64,
    /// Proposals.
    pub matched: i32,
    /// Newcomers left waiting.
    pub waiting: i32,
    /// Sum of the proposals' points.
    pub total_score: i64,
}

/// One proposal of a dry run, to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRoundProposal {
    /// The newcomer.
    pub newcomer: Uuid,
    /// The resident.
    pub resident: Uuid,
    /// The engine's explanation.
    pub score: StoredScore,
}

/// One newcomer left waiting, to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWaiting {
    /// The newcomer.
    pub newcomer: Uuid,
    /// Why.
    pub reason: WaitReason,
    /// Since when they wait.
    pub waiting_since: Option<OffsetDateTime>,
}

/// Stores a dry run's results in list order and marks the round SUCCEEDED, in the
/// caller's transaction; `None` when the round is no longer RUNNING (nothing written).
pub async fn succeed(
    tx: &mut PgConnection,
    id: Uuid,
    figures: &Figures,
    proposals: &[NewRoundProposal],
    waiting: &[NewWaiting],
    at: OffsetDateTime,
) -> Result<Option<Round>, StoreError> {
    let round = lock(tx, id).await?;
    if round.parsed_state()? != RoundState::Running {
        return Ok(None);
    }
    for (chunk_no, chunk) in proposals.chunks(BATCH).enumerate() {
        let base = (chunk_no * BATCH) as i32;
        let positions: Vec<i32> = (0..chunk.len() as i32).map(|i| base + i).collect();
        let newcomers: Vec<Uuid> = chunk.iter().map(|p| p.newcomer).collect();
        let residents: Vec<Uuid> = chunk.iter().map(|p| p.resident).collect();
        let scores: Vec<Json<&StoredScore>> = chunk.iter().map(|p| Json(&p.score)).collect();
        sqlx::query(
            "INSERT INTO matching_round_proposals (round_id, position, newcomer_id, resident_id, score)
             SELECT $1, * FROM UNNEST($2::integer[], $3::uuid[], $4::uuid[], $5::jsonb[])",
        )
        .bind(id)
        .bind(&positions)
        .bind(&newcomers)
        .bind(&residents)
        .bind(&scores)
        .execute(&mut *tx)
        .await?;
    }
    for (chunk_no, chunk) in waiting.chunks(BATCH).enumerate() {
        let base = (chunk_no * BATCH) as i32;
        let positions: Vec<i32> = (0..chunk.len() as i32).map(|i| base + i).collect();
        let newcomers: Vec<Uuid> = chunk.iter().map(|w| w.newcomer).collect();
        let reasons: Vec<&str> = chunk.iter().map(|w| w.reason.as_str()).collect();
        let since: Vec<Option<OffsetDateTime>> = chunk.iter().map(|w| w.waiting_since).collect();
        sqlx::query(
            "INSERT INTO matching_round_waiting (round_id, position, newcomer_id, reason, waiting_since)
             SELECT $1, * FROM UNNEST($2::integer[], $3::uuid[], $4::text[], $5::timestamptz[])",
        )
        .bind(id)
        .bind(&positions)
        .bind(&newcomers)
        .bind(&reasons)
        .bind(&since)
        .execute(&mut *tx)
        .await?;
    }
    let done: Round = sqlx::query_as(
        "UPDATE matching_rounds SET state = 'succeeded', phase = 'done', progress_permille = 1000,
                 newcomers_ready = $2, residents_ready = $3, resident_capacity = $4,
                 admissible_pairs = $5, matched = $6, waiting = $7, total_score = $8,
                 finish_time = $9, update_time = $9
             WHERE id = $1 RETURNING *",
    )
    .bind(id)
    .bind(figures.newcomers_ready)
    .bind(figures.residents_ready)
    .bind(figures.resident_capacity)
    .bind(figures.admissible_pairs)
    .bind(figures.matched)
    .bind(figures.waiting)
    .bind(figures.total_score)
    .bind(at)
    .fetch_one(&mut *tx)
    .await?;
    round_event(tx, &done, SYSTEM, Some(RoundState::Running), "", at).await?;
    Ok(Some(done))
}

/// A stored proposal of a round.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RoundProposal {
    /// Its place in the list.
    pub position: i32,
    /// The newcomer (the proposal's id in its resource name).
    pub newcomer_id: Uuid,
    /// The resident.
    pub resident_id: Uuid,
    /// The engine's explanation at the dry run.
    pub score: Json<StoredScore>,
    /// The match it became, once committed (the round's match of the newcomer); always
    /// `None` from [`proposals_to_commit`].
    pub match_id: Option<Uuid>,
}

/// A round's proposals in list order after position `after`, at most `limit`.
pub async fn list_proposals<'c>(
    db: impl PgExecutor<'c>,
    round: Uuid,
    after: Option<i32>,
    limit: i64,
) -> Result<Vec<RoundProposal>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT p.position, p.newcomer_id, p.resident_id, p.score, m.id AS match_id
         FROM matching_round_proposals p
         LEFT JOIN matches m ON m.matching_round_id = p.round_id AND m.newcomer_id = p.newcomer_id
         WHERE p.round_id = $1 AND ($2::integer IS NULL OR p.position > $2)
         ORDER BY p.position LIMIT $3",
    )
    .bind(round)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The proposals to commit, in list order: all of the round's, or those of the
/// newcomers `only`. Returns the proposals found; the caller compares with `only`.
pub async fn proposals_to_commit<'c>(
    db: impl PgExecutor<'c>,
    round: Uuid,
    only: Option<&[Uuid]>,
) -> Result<Vec<RoundProposal>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT position, newcomer_id, resident_id, score, NULL::uuid AS match_id
         FROM matching_round_proposals
         WHERE round_id = $1 AND ($2::uuid[] IS NULL OR newcomer_id = ANY($2))
         ORDER BY position",
    )
    .bind(round)
    .bind(only)
    .fetch_all(db)
    .await?)
}

/// A participant of a commit as the engine reads them, with their chapter.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CommitMember {
    /// The chapter.
    pub chapter_id: String,
    /// The rest, as the engine reads it.
    #[sqlx(flatten)]
    pub member: PoolMember,
}

/// Gives the rest of the caller's transaction the memory a national commit's
/// statements sort and hash in (`work_mem`, 4 MB by default): with the default, locking
/// its 116,000 participants in id order, counting their places and ordering each
/// batch's outbox rows spill to disk (EXPLAIN ANALYZE on a national round: external
/// merges of 12 to 25 MB, a hash join in two batches); with this they stay in memory.
/// The gain in wall time was within the noise of the shared 2-core machine, where the
/// commit's time goes to writing its rows (see load-tests/README.md). Only for the
/// transaction (`SET LOCAL`), and a chapter commits one round at a time.
pub async fn widen_commit_memory(tx: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SET LOCAL work_mem = '128MB'").execute(tx).await?;
    Ok(())
}

/// Locks the participants of a commit and reads them as the engine does, in one
/// statement: newcomers first, then residents, each in id order. That is the order of
/// every other lock taken on participants (a match locks its newcomer, then its
/// resident), so a commit and a concurrent proposal or answer wait for each other but
/// never deadlock. Rows of unknown ids are missing from the result.
pub async fn lock_commit_members(
    tx: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<CommitMember>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT p.chapter_id, p.id, p.role, p.state, p.birth_year, p.gender, p.languages,
             p.swedish_level, p.interests, p.free_tags, p.availability, p.meeting_preference,
             p.wishes, p.buddy_capacity, p.has_children, p.active_match_count, p.waiting_since,
             d.latitude, d.longitude
         FROM participants p
         JOIN districts d ON d.municipality_id = p.municipality_id AND d.id = p.district_id
         WHERE p.id = ANY($1)
         ORDER BY p.role <> 'newcomer', p.id
         FOR NO KEY UPDATE OF p",
    )
    .bind(ids)
    .fetch_all(tx)
    .await?)
}

/// The never-propose-again pairs among `pairs` (newcomer, resident).
pub async fn excluded_among<'c>(
    db: impl PgExecutor<'c>,
    newcomers: &[Uuid],
    residents: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT n.newcomer_id, n.resident_id FROM never_propose_again n
         JOIN UNNEST($1::uuid[], $2::uuid[]) AS g (newcomer_id, resident_id)
           ON g.newcomer_id = n.newcomer_id AND g.resident_id = n.resident_id",
    )
    .bind(newcomers)
    .bind(residents)
    .fetch_all(db)
    .await?)
}

/// One proposal of a commit, checked by the caller against the engine's rules as
/// things are now.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitPair {
    /// The newcomer.
    pub newcomer: Uuid,
    /// The established resident.
    pub resident: Uuid,
    /// The engine's explanation, as of now.
    pub score: StoredScore,
}

/// What a commit writes besides its pairs.
#[derive(Debug, Clone, Copy)]
pub struct CommitOf<'a> {
    /// The round.
    pub round: Uuid,
    /// Its chapter.
    pub chapter: &'a str,
    /// Who commits.
    pub proposer: &'a str,
    /// Until when the proposals may be answered.
    pub deadline: OffsetDateTime,
    /// When, from the clock.
    pub at: OffsetDateTime,
}

/// A pair of a commit that cannot take its places: nothing may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairRefused {
    /// The newcomer of the pair (its proposal's id).
    pub newcomer: Uuid,
    /// Why.
    pub why: PlaceRefused,
}

/// Proposes every pair as `matches::propose` proposes one, set-based: the places of
/// all pairs are checked on `members`, the pairs' participants as
/// [`lock_commit_members`] locked and read them in this transaction, then counted, the
/// matches inserted, their events appended and both people of each notified, a few
/// statements per [`BATCH`] pairs. Returns (newcomer, match) of each pair in order, or
/// the first pair whose places no longer hold, having written nothing. The caller's
/// transaction makes it all or nothing.
pub async fn propose_all(
    tx: &mut PgConnection,
    c: &CommitOf<'_>,
    pairs: &[CommitPair],
    members: &[CommitMember],
) -> Result<Result<Vec<(Uuid, Uuid)>, PairRefused>, StoreError> {
    let places: HashMap<Uuid, &CommitMember> = members.iter().map(|m| (m.member.id, m)).collect();
    let mut taken: HashMap<Uuid, i32> = HashMap::new();
    for p in pairs {
        let refuse = |why| {
            Ok(Err(PairRefused {
                newcomer: p.newcomer,
                why,
            }))
        };
        let (Some(n), Some(r)) = (places.get(&p.newcomer), places.get(&p.resident)) else {
            return refuse(PlaceRefused::NotMatchable);
        };
        if n.chapter_id != c.chapter
            || r.chapter_id != c.chapter
            || n.member.role != ParticipantRole::Newcomer.as_str()
            || r.member.role != ParticipantRole::EstablishedResident.as_str()
        {
            return refuse(PlaceRefused::NotMatchable);
        }
        let (n, r) = (&n.member, &r.member);
        let n_taken = taken.entry(p.newcomer).or_default();
        if n.active_match_count + *n_taken > 0 {
            return refuse(PlaceRefused::NewcomerTaken);
        }
        *n_taken += 1;
        let parse = |state: &str| {
            state
                .parse::<ParticipantState>()
                .map_err(|_| StoreError::corrupt("participant state", state))
        };
        if parse(&n.state)? != ParticipantState::Ready
            || !matches!(
                parse(&r.state)?,
                ParticipantState::Ready | ParticipantState::Matched
            )
        {
            return refuse(PlaceRefused::NotMatchable);
        }
        let r_taken = taken.entry(p.resident).or_default();
        if r.active_match_count + *r_taken >= r.buddy_capacity {
            return refuse(PlaceRefused::ResidentFull);
        }
        *r_taken += 1;
    }
    let (counted, by): (Vec<Uuid>, Vec<i32>) = taken.into_iter().unzip();
    sqlx::query(
        "UPDATE participants p SET active_match_count = p.active_match_count + t.n
         FROM UNNEST($1::uuid[], $2::integer[]) AS t (id, n) WHERE p.id = t.id",
    )
    .bind(&counted)
    .bind(&by)
    .execute(&mut *tx)
    .await?;
    let params = Params::new().time("deadline", c.deadline);
    let mut committed = Vec::with_capacity(pairs.len());
    for chunk in pairs.chunks(BATCH) {
        let match_ids: Vec<Uuid> = chunk.iter().map(|_| Uuid::now_v7()).collect();
        let newcomers: Vec<Uuid> = chunk.iter().map(|p| p.newcomer).collect();
        let residents: Vec<Uuid> = chunk.iter().map(|p| p.resident).collect();
        let scores: Vec<Json<&StoredScore>> = chunk.iter().map(|p| Json(&p.score)).collect();
        let inserted = sqlx::query(
            "INSERT INTO matches (id, chapter_id, newcomer_id, resident_id, state, score, proposer,
                 matching_round_id, deadline_time, create_time, update_time)
             SELECT g.id, $2, g.newcomer_id, g.resident_id, 'proposed', g.score, $6, $7, $8, $9, $9
             FROM UNNEST($1::uuid[], $3::uuid[], $4::uuid[], $5::jsonb[])
                 AS g (id, newcomer_id, resident_id, score)",
        )
        .bind(&match_ids)
        .bind(c.chapter)
        .bind(&newcomers)
        .bind(&residents)
        .bind(&scores)
        .bind(c.proposer)
        .bind(c.round)
        .bind(c.deadline)
        .bind(c.at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            // The partial unique index, should the counter not show a live match (it
            // cannot, under the row locks; kept as the last word).
            Err(sqlx::Error::Database(e)) if e.constraint() == Some("matches_one_live_per_newcomer") => {
                return Err(StoreError::Domain(DomainViolation::LiveMatch));
            }
            Err(e) => return Err(e.into()),
        }
        let subjects: Vec<String> = match_ids
            .iter()
            .map(|id| crate::matches::resource_name(c.chapter, *id))
            .collect();
        let event_matches: Vec<Option<Uuid>> = match_ids.iter().copied().map(Some).collect();
        events::append_batch(
            &mut *tx,
            &NewEvent {
                chapter_id: c.chapter,
                subject: "",
                kind: EventKind::Match,
                actor: c.proposer,
                occur_time: c.at,
                from_state: "",
                to_state: MatchState::Proposed.as_str(),
                reason: "",
                attributes: Attributes::default(),
            },
            &subjects,
            &event_matches,
        )
        .await?;
        let notes: Vec<NewNotification<'_>> = chunk
            .iter()
            .zip(&subjects)
            .flat_map(|(p, subject)| {
                [p.newcomer, p.resident].map(|participant| NewNotification {
                    participant,
                    chapter: c.chapter,
                    kind: NotificationKind::BuddyProposed,
                    subject,
                    template: Template::BuddyProposed,
                    params: &params,
                    at: c.at,
                })
            })
            .collect();
        notifications::enqueue_batch(tx, &notes).await?;
        committed.extend(newcomers.into_iter().zip(match_ids));
    }
    Ok(Ok(committed))
}

/// Records a commit: the round COMMITTED with the count of `committed` (newcomer,
/// match) pairs. Each proposal's match is found by the round and its newcomer
/// ([`list_proposals`]), so no proposal row is rewritten.
pub async fn mark_committed(
    tx: &mut PgConnection,
    round: Uuid,
    committed: &[(Uuid, Uuid)],
    actor: &str,
    at: OffsetDateTime,
) -> Result<Round, StoreError> {
    let done: Round = sqlx::query_as(
        "UPDATE matching_rounds SET state = 'committed', commit_time = $2, update_time = $2,
             committed_proposals = $3
         WHERE id = $1 RETURNING *",
    )
    .bind(round)
    .bind(at)
    .bind(committed.len() as i32)
    .fetch_one(&mut *tx)
    .await?;
    let reason = format!("{} proposals committed", committed.len());
    round_event(tx, &done, actor, Some(RoundState::Succeeded), &reason, at).await?;
    Ok(done)
}

/// A stored newcomer left waiting.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RoundWaiting {
    /// Its place in the list.
    pub position: i32,
    /// The newcomer.
    pub newcomer_id: Uuid,
    /// [`WaitReason`] string.
    pub reason: String,
    /// Since when they waited, at the dry run.
    pub waiting_since: Option<OffsetDateTime>,
}

/// A round's waiting newcomers in list order after position `after`, at most `limit`.
pub async fn list_waiting<'c>(
    db: impl PgExecutor<'c>,
    round: Uuid,
    after: Option<i32>,
    limit: i64,
) -> Result<Vec<RoundWaiting>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT position, newcomer_id, reason, waiting_since FROM matching_round_waiting
         WHERE round_id = $1 AND ($2::integer IS NULL OR position > $2)
         ORDER BY position LIMIT $3",
    )
    .bind(round)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
