//! The append-only event log of state changes.

use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;

/// An event as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Event {
    /// Time-ordered id (UUIDv7).
    pub id: Uuid,
    /// The chapter the subject belongs to.
    pub chapter_id: String,
    /// Resource name of what changed.
    pub subject: String,
    /// Who made the change: the principal's subject, or `system`.
    pub actor: String,
    /// When it happened.
    pub occur_time: OffsetDateTime,
    /// State before; empty when the subject was created.
    pub from_state: String,
    /// State after.
    pub to_state: String,
    /// Why, in the actor's words; may be empty.
    pub reason: String,
}

/// A state change to record.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// The chapter the subject belongs to.
    pub chapter_id: &'a str,
    /// Resource name of what changed.
    pub subject: &'a str,
    /// Who made the change.
    pub actor: &'a str,
    /// State before; empty on creation.
    pub from_state: &'a str,
    /// State after.
    pub to_state: &'a str,
    /// Why.
    pub reason: &'a str,
}

/// The outbox topic every event is announced on, for consumers such as app
/// notifications. The payload carries ids and states only, never personal data.
pub const EVENTS_TOPIC: &str = "events";

/// Appends an event and announces it on [`EVENTS_TOPIC`] through the outbox. Call it in
/// the transaction that makes the change.
pub async fn append<'c>(db: impl PgExecutor<'c>, event: &NewEvent<'_>) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    // One statement for both rows, so that the caller's executor is used once.
    sqlx::query(
        "WITH e AS (
             INSERT INTO events (id, chapter_id, subject, actor, from_state, to_state, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             RETURNING id, chapter_id, subject, from_state, to_state, occur_time)
         INSERT INTO outbox (topic, version, payload)
         SELECT 'events', 1, jsonb_build_object(
             'event_id', e.id, 'chapter', e.chapter_id, 'subject', e.subject,
             'from_state', e.from_state, 'to_state', e.to_state, 'occur_time', e.occur_time)
         FROM e",
    )
    .bind(id)
    .bind(event.chapter_id)
    .bind(event.subject)
    .bind(event.actor)
    .bind(event.from_state)
    .bind(event.to_state)
    .bind(event.reason)
    .execute(db)
    .await?;
    Ok(id)
}

/// Lists the events of one subject (or, with `subject_prefix`, of every subject whose
/// name starts with it) in a chapter, oldest first, after the event `after`.
pub async fn list<'c>(
    db: impl PgExecutor<'c>,
    chapter_id: &str,
    subject_prefix: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM events
         WHERE chapter_id = $1
           AND ($2::text IS NULL OR subject = $2 OR subject LIKE $2 || '/%')
           AND ($3::uuid IS NULL OR id > $3)
         ORDER BY id LIMIT $4",
    )
    .bind(chapter_id)
    .bind(subject_prefix)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Which events [`list_filtered`] returns. Filters combine with AND.
#[derive(Debug, Clone)]
pub struct EventFilter<'a> {
    /// The chapter whose log is read.
    pub chapter_id: &'a str,
    /// Only events about this resource or a resource under it (a participant's
    /// interviews are under the participant).
    pub subject: Option<&'a str>,
    /// Only events at or after this time.
    pub occurred_at_or_after: Option<OffsetDateTime>,
    /// Only events before this time.
    pub occurred_before: Option<OffsetDateTime>,
}

/// Lists a chapter's events oldest first (by id, which is time-ordered and follows the
/// order of appending), after the event `after`.
pub async fn list_filtered<'c>(
    db: impl PgExecutor<'c>,
    filter: &EventFilter<'_>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM events
         WHERE chapter_id = $1
           AND ($2::text IS NULL OR subject = $2 OR starts_with(subject, $2 || '/'))
           AND ($3::timestamptz IS NULL OR occur_time >= $3)
           AND ($4::timestamptz IS NULL OR occur_time < $4)
           AND ($5::uuid IS NULL OR id > $5)
         ORDER BY id LIMIT $6",
    )
    .bind(filter.chapter_id)
    .bind(filter.subject)
    .bind(filter.occurred_at_or_after)
    .bind(filter.occurred_before)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Blanks the free-text reasons of every event of `subject` (and of the resources under
/// it), keeping who, when, from and to. The only change the event log allows: a reason
/// may hold personal data that must be erasable.
pub async fn erase_reasons<'c>(db: impl PgExecutor<'c>, subject: &str) -> Result<u64, StoreError> {
    let erased = sqlx::query(
        "UPDATE events SET reason = '' WHERE (subject = $1 OR subject LIKE $1 || '/%') AND reason <> ''",
    )
    .bind(subject)
    .execute(db)
    .await?;
    Ok(erased.rows_affected())
}
