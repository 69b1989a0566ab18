//! Following accepted matches: check-ins ("have you met?"), their schedule and the end
//! of the programme period as durable timers, and each match's follow-up status.
//!
//! Timers: when the worker first sees a match accepted, it writes the match's timers
//! from the chapter's schedule in force then ([`schedule`]); each tick it claims the due
//! ones `FOR UPDATE SKIP LOCKED`, acts and marks them fired in one transaction
//! ([`fire_one`]), so that each fires exactly once however many workers run. Whether a
//! timer is due is judged by the application clock passed in, never by `now()`.

use kompis_domain::{EventKind, MatchEndReason, MatchState, NotificationKind, ParticipantRole};
use kompis_messages::{Params, Template};
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::events::{self, Attributes, NewEvent};
use crate::matches::{self, Match};
use crate::notifications::{self, NewNotification};
use crate::{Store, StoreError};

/// A check-in is overdue when it was asked for this long ago and nobody checked in.
pub const OVERDUE_AFTER: time::Duration = time::Duration::days(7);

/// A check-in as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CheckIn {
    /// Id (UUIDv7, time-ordered).
    pub id: Uuid,
    /// The chapter.
    pub chapter_id: String,
    /// The match.
    pub match_id: Uuid,
    /// `follow_up` or `closing`.
    pub kind: String,
    /// `coordinator`, `newcomer` or `established_resident`.
    pub author: String,
    /// The author's account.
    pub author_account: String,
    /// `met`, `not_yet` or `wont_meet`.
    pub answer: String,
    /// How the pair is doing: `good`, `ok` or `not_working`, when given.
    pub how_it_goes: Option<String>,
    /// Meetings since the previous check-in.
    pub meetings_since_last: i32,
    /// When the pair last met.
    pub last_meeting_time: Option<OffsetDateTime>,
    /// Whether the author asks the coordinator to get in touch.
    pub needs_follow_up: bool,
    /// Free text for coordinators.
    pub note: String,
    /// A concern for coordinators only; empty when none.
    pub concern: String,
    /// When recorded.
    pub create_time: OffsetDateTime,
}

impl CheckIn {
    /// `chapters/{chapter}/matches/{match}/checkIns/{id}`.
    pub fn resource_name(&self) -> String {
        format!(
            "{}/checkIns/{}",
            matches::resource_name(&self.chapter_id, self.match_id),
            self.id
        )
    }
}

/// Which question a check-in answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// During the match.
    FollowUp,
    /// The closing question after the period ended the match.
    Closing,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::FollowUp => "follow_up",
            Kind::Closing => "closing",
        }
    }
}

/// Who checks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// A coordinator.
    Coordinator,
    /// One of the two, in the app.
    Participant(ParticipantRole),
}

impl Author {
    fn as_str(self) -> &'static str {
        match self {
            Author::Coordinator => "coordinator",
            Author::Participant(role) => role.as_str(),
        }
    }
}

/// A check-in to record.
#[derive(Debug, Clone)]
pub struct NewCheckIn<'a> {
    /// The match.
    pub match_id: Uuid,
    /// Which question.
    pub kind: Kind,
    /// Who.
    pub author: Author,
    /// The author's account.
    pub author_account: &'a str,
    /// `met`, `not_yet` or `wont_meet`.
    pub answer: &'a str,
    /// `good`, `ok` or `not_working`.
    pub health: Option<&'a str>,
    /// Meetings since the previous check-in.
    pub meetings_since_last: i32,
    /// When the pair last met.
    pub last_meeting_time: Option<OffsetDateTime>,
    /// Whether the author asks the coordinator to get in touch.
    pub needs_follow_up: bool,
    /// Free text for coordinators.
    pub note: &'a str,
    /// A concern for coordinators only; may be empty.
    pub concern: &'a str,
    /// When, from the clock.
    pub at: OffsetDateTime,
}

/// Why a check-in is refused besides the match's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CheckInRefused {
    /// A closing answer on a match the programme period did not end.
    #[error("the closing question is asked only once the programme period has ended the match")]
    NotConcluded,
    /// This person already answered the closing question.
    #[error("the closing question has already been answered")]
    AlreadyAnswered,
}

/// Records a check-in on a match and appends its event (kind `check_in`, under the
/// match's name, so that the match's history shows it; a concern is flagged in the
/// event, never copied). A follow-up needs the match ACCEPTED or ACTIVE (the state
/// machine's refusal otherwise); a closing answer needs it ENDED by its period.
pub async fn record(
    tx: &mut PgConnection,
    c: &NewCheckIn<'_>,
) -> Result<Result<CheckIn, CheckInRefused>, StoreError> {
    let m: Match = sqlx::query_as("SELECT * FROM matches WHERE id = $1 FOR SHARE")
        .bind(c.match_id)
        .fetch_one(&mut *tx)
        .await?;
    let state = m.parsed_state()?;
    match c.kind {
        Kind::FollowUp => {
            if !state.releases_contact() {
                return Err(StoreError::Transition(kompis_domain::TransitionError {
                    entity: "match",
                    from: state.as_str(),
                    to: "checked in (ACCEPTED or ACTIVE)",
                }));
            }
        }
        Kind::Closing => {
            let concluded = state == MatchState::Ended
                && m.end_reason.as_deref() == Some(MatchEndReason::Completed.as_str());
            if !concluded {
                return Ok(Err(CheckInRefused::NotConcluded));
            }
        }
    }
    let inserted: Result<CheckIn, StoreError> = sqlx::query_as(
        "INSERT INTO check_ins (id, chapter_id, match_id, kind, author, author_account, answer,
             how_it_goes, meetings_since_last, last_meeting_time, needs_follow_up, note, concern,
             create_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         RETURNING *",
    )
    .bind(Uuid::now_v7())
    .bind(&m.chapter_id)
    .bind(m.id)
    .bind(c.kind.as_str())
    .bind(c.author.as_str())
    .bind(c.author_account)
    .bind(c.answer)
    .bind(c.health)
    .bind(c.meetings_since_last)
    .bind(c.last_meeting_time)
    .bind(c.needs_follow_up)
    .bind(c.note)
    .bind(c.concern)
    .bind(c.at)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from);
    let check_in = match inserted {
        Ok(row) => row,
        Err(StoreError::AlreadyExists(_)) => return Ok(Err(CheckInRefused::AlreadyAnswered)),
        Err(e) => return Err(e),
    };
    let subject = check_in.resource_name();
    let reason = match (c.kind, c.concern.is_empty()) {
        (Kind::Closing, _) => "closing answer",
        (Kind::FollowUp, false) => "concern raised",
        (Kind::FollowUp, true) => "",
    };
    events::append(
        &mut *tx,
        &NewEvent {
            chapter_id: &m.chapter_id,
            subject: &subject,
            kind: EventKind::CheckIn,
            actor: c.author_account,
            occur_time: c.at,
            from_state: "",
            to_state: c.answer,
            reason,
            attributes: Attributes {
                match_id: Some(m.id),
                participant_role: match c.author {
                    Author::Participant(role) => Some(role.as_str().to_owned()),
                    Author::Coordinator => None,
                },
                ..Default::default()
            },
        },
    )
    .await?;
    Ok(Ok(check_in))
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// The chapter.
    pub chapter: String,
    /// Only this match; `None` for the whole chapter.
    pub match_id: Option<Uuid>,
    /// Only check-ins asking for follow-up (or raising a concern).
    pub needs_follow_up: bool,
}

/// Lists check-ins newest first, after the (create_time, id) key `after`, at most `limit`.
pub async fn list<'c>(
    db: impl PgExecutor<'c>,
    filter: &ListFilter,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<CheckIn>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM check_ins
         WHERE chapter_id = $1
           AND ($2::uuid IS NULL OR match_id = $2)
           AND (NOT $3 OR needs_follow_up OR concern <> '')
           AND ($4::timestamptz IS NULL OR (create_time, id) < ($4, $5))
         ORDER BY create_time DESC, id DESC
         LIMIT $6",
    )
    .bind(&filter.chapter)
    .bind(filter.match_id)
    .bind(filter.needs_follow_up)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// A match with its follow-up, computed at a time.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Followed {
    /// The match.
    #[sqlx(flatten)]
    pub m: Match,
    /// `met`, `not_met_yet`, `check_in_overdue` or `concern_raised`; `None` for a
    /// proposal or a declined one.
    pub follow_up_status: Option<String>,
    /// Whether someone answered MET.
    pub met: bool,
    /// Whether a check-in is overdue.
    pub check_in_overdue: bool,
    /// Whether a concern is open.
    pub concern_raised: bool,
    /// The latest check-in.
    pub last_check_in_time: Option<OffsetDateTime>,
    /// The next check-in the worker will ask for.
    pub next_check_in_time: Option<OffsetDateTime>,
    /// When the period ends.
    pub period_end_time: Option<OffsetDateTime>,
    /// The side that ended the match in the app (a [`ParticipantRole`] string).
    pub ended_by: Option<String>,
}

/// The follow-up columns of the matches `m` chosen by `$filter` at time `$1`, filtered
/// on them by `$outer`. A concern is open
/// until a coordinator's check-in without a concern follows it; a check-in is overdue
/// when one was asked for [`OVERDUE_AFTER`] ago or more and nobody checked in since.
macro_rules! select_followed {
    ($filter:literal, $outer:literal) => {
        concat!(
            "WITH f AS (
               SELECT m.*,
                 EXISTS (SELECT 1 FROM check_ins c WHERE c.match_id = m.id AND c.answer = 'met')
                   AS met,
                 (m.state IN ('accepted', 'active') AND EXISTS (
                   SELECT 1 FROM follow_up_timers t
                   WHERE t.match_id = m.id AND t.kind = 'check_in' AND t.fire_time IS NOT NULL
                     AND t.fire_time <= $1 - $2::interval
                     AND NOT EXISTS (SELECT 1 FROM check_ins c
                                     WHERE c.match_id = m.id AND c.create_time >= t.fire_time)))
                   AS check_in_overdue,
                 EXISTS (
                   SELECT 1 FROM check_ins c
                   WHERE c.match_id = m.id AND c.concern <> ''
                     AND NOT EXISTS (SELECT 1 FROM check_ins r
                                     WHERE r.match_id = m.id AND r.author = 'coordinator'
                                       AND r.concern = ''
                                       AND (r.create_time, r.id) > (c.create_time, c.id)))
                   AS concern_raised,
                 (SELECT max(c.create_time) FROM check_ins c WHERE c.match_id = m.id)
                   AS last_check_in_time,
                 (SELECT min(t.due_time) FROM follow_up_timers t
                  WHERE t.match_id = m.id AND t.kind = 'check_in' AND t.fire_time IS NULL
                    AND m.state IN ('accepted', 'active'))
                   AS next_check_in_time,
                 (SELECT t.due_time FROM follow_up_timers t
                  WHERE t.match_id = m.id AND t.kind = 'period_end')
                   AS period_end_time
               FROM matches m ",
            $filter,
            "), s AS (
               SELECT f.*, CASE
                   WHEN f.state NOT IN ('accepted', 'active', 'ended') THEN NULL
                   WHEN f.concern_raised THEN 'concern_raised'
                   WHEN f.check_in_overdue THEN 'check_in_overdue'
                   WHEN f.met THEN 'met'
                   ELSE 'not_met_yet' END AS follow_up_status
               FROM f)
             SELECT * FROM s ",
            $outer
        )
    };
}

fn overdue_interval() -> String {
    format!("{} seconds", OVERDUE_AFTER.whole_seconds())
}

/// One match with its follow-up at `now`.
pub async fn get_followed<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<Followed, StoreError> {
    Ok(sqlx::query_as(select_followed!("WHERE m.id = $3", ""))
        .bind(now)
        .bind(overdue_interval())
        .bind(id)
        .fetch_one(db)
        .await?)
}

/// Filters of [`list_followed`].
#[derive(Debug, Clone, Default)]
pub struct FollowFilter {
    /// The matches' filters.
    pub matches: matches::ListFilter,
    /// Only these follow-up statuses (strings of [`Followed::follow_up_status`]); empty
    /// for all.
    pub statuses: Vec<String>,
    /// Only matches without a check-in since this time.
    pub no_check_in_since: Option<OffsetDateTime>,
}

/// Lists matches with their follow-up at `now`, newest first, after the
/// (create_time, id) key `after`, at most `limit`.
pub async fn list_followed<'c>(
    db: impl PgExecutor<'c>,
    filter: &FollowFilter,
    now: OffsetDateTime,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<Followed>, StoreError> {
    Ok(sqlx::query_as(select_followed!(
        "WHERE ($3::text IS NULL OR m.chapter_id = $3)
           AND (cardinality($4::text[]) = 0 OR m.state = ANY($4))
           AND ($5::uuid IS NULL OR m.newcomer_id = $5 OR m.resident_id = $5)
           AND ($6::timestamptz IS NULL OR (m.create_time, m.id) < ($6, $7))",
        "WHERE (cardinality($8::text[]) = 0 OR follow_up_status = ANY($8))
           AND ($9::timestamptz IS NULL OR last_check_in_time IS NULL OR last_check_in_time < $9)
         ORDER BY create_time DESC, id DESC
         LIMIT $10"
    ))
    .bind(now)
    .bind(overdue_interval())
    .bind(filter.matches.chapter.as_deref())
    .bind(&filter.matches.states)
    .bind(filter.matches.participant)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(&filter.statuses)
    .bind(filter.no_check_in_since)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Writes the timers of every accepted or active match that has none yet: a check-in on
/// each day of the chapter's schedule after acceptance that is still ahead at `now`
/// (a match accepted long before the worker saw it is not asked about days gone by),
/// and the end of the period. Several workers may run it at once: the primary key keeps
/// one row per timer. Returns how many timers were written.
pub async fn schedule<'c>(db: impl PgExecutor<'c>, now: OffsetDateTime) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "WITH todo AS (
             SELECT m.id, m.accept_time,
                    COALESCE(p.check_in_days, '{21,35,91,182}') AS days,
                    COALESCE(p.period_months, 6) AS months
             FROM matches m LEFT JOIN matching_programmes p ON p.chapter_id = m.chapter_id
             WHERE m.state IN ('accepted', 'active') AND m.accept_time IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM follow_up_timers t WHERE t.match_id = m.id))
         INSERT INTO follow_up_timers (match_id, kind, seq, due_time)
         SELECT todo.id, 'check_in', d.seq, todo.accept_time + make_interval(days => d.day)
         FROM todo CROSS JOIN LATERAL unnest(todo.days) WITH ORDINALITY AS d(day, seq)
         WHERE todo.accept_time + make_interval(days => d.day) > $1
         UNION ALL
         SELECT todo.id, 'period_end', 0, todo.accept_time + make_interval(months => todo.months)
         FROM todo
         ON CONFLICT DO NOTHING",
    )
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A due timer, claimed.
#[derive(Debug, Clone, sqlx::FromRow)]
struct DueTimer {
    match_id: Uuid,
    kind: String,
    seq: i32,
}

/// What firing one timer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fired {
    /// Nothing was due.
    Nothing,
    /// Both people were asked to check in.
    CheckInRequested,
    /// The match concluded and both were asked the closing question.
    Concluded,
    /// The match had ended before; the timer was marked without acting.
    Skipped,
}

/// Claims one timer due at `now` (skipping those another worker holds), acts on it and
/// marks it fired, all in one transaction: asks both people to check in, or concludes
/// the match (ended, reason COMPLETED, both leaving the programme unless they have
/// another match) and asks both the closing question.
pub async fn fire_one(store: &Store, now: OffsetDateTime) -> Result<Fired, StoreError> {
    let mut tx = store.begin().await?;
    let due: Option<DueTimer> = sqlx::query_as(
        "SELECT match_id, kind, seq FROM follow_up_timers
         WHERE fire_time IS NULL AND due_time <= $1
         ORDER BY due_time, match_id, kind, seq
         LIMIT 1 FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(due) = due else {
        return Ok(Fired::Nothing);
    };
    let m = matches::get_match(&mut *tx, due.match_id).await?;
    let live = matches!(m.parsed_state()?, MatchState::Accepted | MatchState::Active);
    let fired = match (live, due.kind.as_str()) {
        (false, _) => Fired::Skipped,
        (true, "check_in") => {
            notify_both(&mut tx, &m, Template::CheckInRequested, now).await?;
            Fired::CheckInRequested
        }
        (true, _) => {
            let ended = matches::end(
                &mut tx,
                &matches::Ending {
                    match_id: m.id,
                    reason: MatchEndReason::Completed,
                    note: "",
                    return_to_waiting_list: false,
                    leaves: None,
                    ended_by: None,
                    actor: matches::SYSTEM,
                    at: now,
                },
            )
            .await?;
            notify_both(&mut tx, &ended, Template::MatchConcluded, now).await?;
            Fired::Concluded
        }
    };
    sqlx::query("UPDATE follow_up_timers SET fire_time = $4 WHERE match_id = $1 AND kind = $2 AND seq = $3")
        .bind(due.match_id)
        .bind(&due.kind)
        .bind(due.seq)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(fired)
}

/// Asks both people of `m` to check in with `template` (kind CHECK_IN_REQUESTED, about
/// the match).
async fn notify_both(
    tx: &mut PgConnection,
    m: &Match,
    template: Template,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let subject = m.resource_name();
    let params = Params::new();
    let one = |participant| NewNotification {
        participant,
        chapter: &m.chapter_id,
        kind: NotificationKind::CheckInRequested,
        subject: &subject,
        template,
        params: &params,
        at,
    };
    notifications::enqueue_batch(tx, &[one(m.newcomer_id), one(m.resident_id)]).await?;
    Ok(())
}

/// Puts `participant` at the end of the queue from `at` (a rematch that starts the wait
/// afresh).
pub async fn restart_waiting<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE participants SET waiting_since = $2, update_time = $2 WHERE id = $1")
        .bind(participant)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}
