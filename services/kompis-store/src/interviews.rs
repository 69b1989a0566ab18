//! Intake interviews: booked, rescheduled, recorded or cancelled. Each interview keeps
//! its own copy of the recorded profile, so earlier interviews stay as they were.

use kompis_domain::{InterviewMode, InterviewOutcome, InterviewState, ParticipantState};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;
use crate::participants::Profile;

/// An interview as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Interview {
    /// Id.
    pub id: Uuid,
    /// The participant interviewed.
    pub participant_id: Uuid,
    /// The participant's chapter.
    pub chapter_id: String,
    /// The participant's role (`ParticipantRole::as_str`), read with the interview.
    pub participant_role: String,
    /// The participant's display name, read with the interview, for a day's schedule.
    pub participant_display_name: String,
    /// `booked`, `recorded` or `cancelled`.
    pub state: String,
    /// When it starts.
    pub schedule_time: OffsetDateTime,
    /// Planned length in minutes.
    pub duration_minutes: i32,
    /// `in_person`, `video` or `phone`.
    pub mode: String,
    /// Address or room; may be empty.
    pub location: String,
    /// Address of the video call; may be empty.
    pub video_link: String,
    /// Account id of the interviewing coordinator.
    pub interviewer: String,
    /// The participant's state when it was booked.
    pub participant_state_before: String,
    /// What was recorded, once recorded.
    pub profile: Option<Json<Profile>>,
    /// Eligibility: the minimum age was met.
    pub meets_minimum_age: Option<bool>,
    /// Eligibility: the chapter's other rules were met.
    pub meets_chapter_rules: Option<bool>,
    /// Explanation of the eligibility check.
    pub eligibility_note: String,
    /// The coordinator's notes.
    pub notes: String,
    /// `InterviewOutcome::as_str`, once recorded.
    pub outcome: Option<String>,
    /// Why, for outcomes other than approved.
    pub outcome_reason: String,
    /// When recorded.
    pub record_time: Option<OffsetDateTime>,
    /// When booked.
    pub create_time: OffsetDateTime,
    /// Last change.
    pub update_time: OffsetDateTime,
}

impl Interview {
    /// The parsed state; a value the code does not know is corrupt data, an error.
    pub fn parsed_state(&self) -> Result<InterviewState, StoreError> {
        self.state
            .parse()
            .map_err(|_| StoreError::corrupt("interview state", &self.state))
    }

    /// The parsed mode.
    pub fn parsed_mode(&self) -> Result<InterviewMode, StoreError> {
        self.mode
            .parse()
            .map_err(|_| StoreError::corrupt("interview mode", &self.mode))
    }

    /// The participant's state when the interview was booked.
    pub fn parsed_state_before(&self) -> Result<ParticipantState, StoreError> {
        self.participant_state_before
            .parse()
            .map_err(|_| StoreError::corrupt("participant state", &self.participant_state_before))
    }

    /// The recorded outcome, once recorded.
    pub fn parsed_outcome(&self) -> Result<Option<InterviewOutcome>, StoreError> {
        self.outcome
            .as_deref()
            .map(|o| o.parse().map_err(|_| StoreError::corrupt("interview outcome", o)))
            .transpose()
    }

    /// `chapters/{chapter}/participants/{participant}/interviews/{id}`.
    pub fn resource_name(&self) -> String {
        format!(
            "chapters/{}/participants/{}/interviews/{}",
            self.chapter_id, self.participant_id, self.id
        )
    }
}

/// Runs `$statement` (a query or a data-modifying statement returning interview rows)
/// and adds the participant's role to each row; a macro so that queries stay static
/// strings.
macro_rules! with_role {
    ($statement:literal) => {
        concat!(
            "WITH i AS (",
            $statement,
            ") SELECT i.*, p.role AS participant_role, COALESCE(NULLIF(p.display_name, ''), p.given_name) AS participant_display_name
               FROM i JOIN participants p ON p.id = i.participant_id"
        )
    };
}

/// When, how and where an interview takes place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Start.
    pub schedule_time: OffsetDateTime,
    /// Planned length in minutes, 1 to 240.
    pub duration_minutes: i32,
    /// How it is held.
    pub mode: InterviewMode,
    /// Address or room; may be empty.
    pub location: String,
    /// Address of the video call; may be empty.
    pub video_link: String,
}

/// An interview to book.
#[derive(Debug, Clone)]
pub struct NewInterview {
    /// Id chosen by the caller.
    pub id: Uuid,
    /// The participant.
    pub participant_id: Uuid,
    /// The participant's chapter.
    pub chapter_id: String,
    /// When, how, where.
    pub schedule: Schedule,
    /// The booking coordinator.
    pub interviewer: String,
    /// The participant's state now, restored if the interview is cancelled.
    pub participant_state_before: ParticipantState,
    /// When it was booked, from the application's clock.
    pub at: OffsetDateTime,
}

/// Inserts a booked interview (see [`crate::intake::book`]). A second booked interview
/// of the same participant is [`StoreError::AlreadyExists`] (`interviews_one_booked`).
pub(crate) async fn insert_interview<'c>(
    db: impl PgExecutor<'c>,
    new: &NewInterview,
) -> Result<Interview, StoreError> {
    Ok(sqlx::query_as(with_role!(
        "INSERT INTO interviews (id, participant_id, chapter_id, state, schedule_time,
             duration_minutes, mode, location, interviewer, participant_state_before,
             create_time, update_time, video_link)
         VALUES ($1, $2, $3, 'booked', $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING *"
    ))
    .bind(new.id)
    .bind(new.participant_id)
    .bind(&new.chapter_id)
    .bind(new.schedule.schedule_time)
    .bind(new.schedule.duration_minutes)
    .bind(new.schedule.mode.as_str())
    .bind(&new.schedule.location)
    .bind(&new.interviewer)
    .bind(new.participant_state_before.as_str())
    .bind(new.at)
    .bind(&new.schedule.video_link)
    .fetch_one(db)
    .await?)
}

/// Reads one interview.
pub async fn get_interview<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<Interview, StoreError> {
    Ok(
        sqlx::query_as(with_role!("SELECT * FROM interviews WHERE id = $1"))
            .bind(id)
            .fetch_one(db)
            .await?,
    )
}

/// Reads one interview and locks it for the rest of the transaction.
pub async fn lock_interview(tx: &mut PgConnection, id: Uuid) -> Result<Interview, StoreError> {
    Ok(
        sqlx::query_as(with_role!("SELECT * FROM interviews WHERE id = $1 FOR UPDATE"))
            .bind(id)
            .fetch_one(tx)
            .await?,
    )
}

/// The participant's booked interview, if any.
pub async fn booked_interview<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
) -> Result<Option<Interview>, StoreError> {
    Ok(sqlx::query_as(with_role!(
        "SELECT * FROM interviews WHERE participant_id = $1 AND state = 'booked'"
    ))
    .bind(participant)
    .fetch_optional(db)
    .await?)
}

/// Filters of an interview list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// The chapter.
    pub chapter_id: String,
    /// Only this participant's interviews; `None` for the whole chapter.
    pub participant_id: Option<Uuid>,
    /// Only this state.
    pub state: Option<&'static str>,
    /// Only interviews scheduled at or after this time.
    pub schedule_time_after: Option<OffsetDateTime>,
    /// Only interviews scheduled before this time.
    pub schedule_time_before: Option<OffsetDateTime>,
}

/// Lists interviews newest first by (`create_time`, id), after the key `after`.
pub async fn list_interviews<'c>(
    db: impl PgExecutor<'c>,
    filter: &ListFilter,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<Interview>, StoreError> {
    let (after_time, after_id) = after.unzip();
    Ok(sqlx::query_as(
        "SELECT i.*, p.role AS participant_role, COALESCE(NULLIF(p.display_name, ''), p.given_name) AS participant_display_name
         FROM interviews i JOIN participants p ON p.id = i.participant_id
         WHERE i.chapter_id = $1
           AND ($2::uuid IS NULL OR i.participant_id = $2)
           AND ($3::text IS NULL OR i.state = $3)
           AND ($4::timestamptz IS NULL OR i.schedule_time >= $4)
           AND ($5::timestamptz IS NULL OR i.schedule_time < $5)
           AND ($6::timestamptz IS NULL OR (i.create_time, i.id) < ($6, $7))
         ORDER BY i.create_time DESC, i.id DESC
         LIMIT $8",
    )
    .bind(&filter.chapter_id)
    .bind(filter.participant_id)
    .bind(filter.state)
    .bind(filter.schedule_time_after)
    .bind(filter.schedule_time_before)
    .bind(after_time)
    .bind(after_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Reschedules a booked interview. [`StoreError::Conflict`] when it is no longer booked.
pub async fn reschedule<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    schedule: &Schedule,
    at: OffsetDateTime,
) -> Result<Interview, StoreError> {
    sqlx::query_as(with_role!(
        "UPDATE interviews SET schedule_time = $2, duration_minutes = $3, mode = $4,
             location = $5, update_time = $6, video_link = $7
         WHERE id = $1 AND state = 'booked' RETURNING *"
    ))
    .bind(id)
    .bind(schedule.schedule_time)
    .bind(schedule.duration_minutes)
    .bind(schedule.mode.as_str())
    .bind(&schedule.location)
    .bind(at)
    .bind(&schedule.video_link)
    .fetch_optional(db)
    .await?
    .ok_or_else(|| StoreError::Conflict("the interview is no longer booked".into()))
}

/// What an interview recorded.
#[derive(Debug, Clone)]
pub struct Record {
    /// The profile as recorded.
    pub profile: Profile,
    /// Eligibility: minimum age met.
    pub meets_minimum_age: bool,
    /// Eligibility: chapter rules met.
    pub meets_chapter_rules: bool,
    /// Eligibility explanation.
    pub eligibility_note: String,
    /// Notes.
    pub notes: String,
    /// The decision.
    pub outcome: InterviewOutcome,
    /// Why, for outcomes other than approved.
    pub outcome_reason: String,
}

/// Records a booked interview (see [`crate::intake::record_outcome`]).
/// [`StoreError::Conflict`] when it is no longer booked.
pub(crate) async fn record<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    record: &Record,
    at: OffsetDateTime,
) -> Result<Interview, StoreError> {
    sqlx::query_as(with_role!(
        "UPDATE interviews SET state = 'recorded', profile = $2, meets_minimum_age = $3,
             meets_chapter_rules = $4, eligibility_note = $5, notes = $6, outcome = $7,
             outcome_reason = $8, record_time = $9, update_time = $9
         WHERE id = $1 AND state = 'booked' RETURNING *"
    ))
    .bind(id)
    .bind(Json(&record.profile))
    .bind(record.meets_minimum_age)
    .bind(record.meets_chapter_rules)
    .bind(&record.eligibility_note)
    .bind(&record.notes)
    .bind(record.outcome.as_str())
    .bind(&record.outcome_reason)
    .bind(at)
    .fetch_optional(db)
    .await?
    .ok_or_else(|| StoreError::Conflict("the interview is no longer booked".into()))
}

/// Cancels a booked interview (see [`crate::intake::cancel`]). [`StoreError::Conflict`]
/// when it is no longer booked.
pub(crate) async fn cancel<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    at: OffsetDateTime,
) -> Result<Interview, StoreError> {
    sqlx::query_as(with_role!(
        "UPDATE interviews SET state = 'cancelled', update_time = $2
         WHERE id = $1 AND state = 'booked' RETURNING *"
    ))
    .bind(id)
    .bind(at)
    .fetch_optional(db)
    .await?
    .ok_or_else(|| StoreError::Conflict("the interview is no longer booked".into()))
}
