//! The app's inbox: the notifications delivered to a participant, in delivery order.
//!
//! Entries are written only by [`crate::notifications::deliver_to_inbox`]. `seq` orders a
//! participant's entries as they were committed, so "everything after `seq` n" read at
//! any time is exactly what was delivered since the entry n: the stream of
//! notifications resumes on it without a gap and without a repeat.

use kompis_messages::Params;
use sqlx::PgExecutor;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;

/// A notification in a participant's inbox.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Entry {
    /// The notification's id.
    pub id: Uuid,
    /// Whose inbox.
    pub participant_id: Uuid,
    /// The participant's chapter.
    pub chapter_id: String,
    /// `NotificationKind::as_str`.
    pub kind: String,
    /// The resource it is about.
    pub subject: String,
    /// The template key.
    pub template: String,
    /// The template's values.
    pub params: Json<Params>,
    /// When the notification was made.
    pub create_time: OffsetDateTime,
    /// Its place in the inbox.
    pub seq: i64,
    /// When it entered the inbox.
    pub deliver_time: OffsetDateTime,
    /// When the participant marked it read.
    pub read_time: Option<OffsetDateTime>,
}

macro_rules! select_entry {
    ($rest:literal) => {
        concat!(
            "SELECT n.id, i.participant_id, n.chapter_id, n.kind, n.subject, n.template, n.params,
                    n.create_time, i.seq, i.deliver_time, i.read_time
             FROM inbox i JOIN notifications n ON n.id = i.notification_id ",
            $rest
        )
    };
}

/// One entry of `participant`'s inbox. [`StoreError::NotFound`] when the notification is
/// not in it (another participant's is not found either).
pub async fn get<'c>(db: impl PgExecutor<'c>, participant: Uuid, id: Uuid) -> Result<Entry, StoreError> {
    Ok(sqlx::query_as(select_entry!(
        "WHERE i.participant_id = $1 AND i.notification_id = $2"
    ))
    .bind(participant)
    .bind(id)
    .fetch_one(db)
    .await?)
}

/// Up to `limit` entries after `after_seq`, oldest first.
pub async fn after<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Entry>, StoreError> {
    Ok(sqlx::query_as(select_entry!(
        "WHERE i.participant_id = $1 AND i.seq > $2 ORDER BY i.seq LIMIT $3"
    ))
    .bind(participant)
    .bind(after_seq)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Up to `limit` unread entries delivered at or after `since`, with `seq` in
/// (`after_seq`, `up_to_seq`], oldest first.
pub async fn unread_since<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
    since: OffsetDateTime,
    after_seq: i64,
    up_to_seq: i64,
    limit: i64,
) -> Result<Vec<Entry>, StoreError> {
    Ok(sqlx::query_as(select_entry!(
        "WHERE i.participant_id = $1 AND i.read_time IS NULL AND i.deliver_time >= $2
           AND i.seq > $3 AND i.seq <= $4
         ORDER BY i.seq LIMIT $5"
    ))
    .bind(participant)
    .bind(since)
    .bind(after_seq)
    .bind(up_to_seq)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The `seq` of the participant's latest entry; 0 when the inbox is empty.
pub async fn latest_seq<'c>(db: impl PgExecutor<'c>, participant: Uuid) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM inbox WHERE participant_id = $1")
            .bind(participant)
            .fetch_one(db)
            .await?,
    )
}

/// Up to `limit` entries before `before_seq` (all when `None`), newest first; only
/// unread ones when `unread_only`.
pub async fn list<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
    before_seq: Option<i64>,
    unread_only: bool,
    limit: i64,
) -> Result<Vec<Entry>, StoreError> {
    Ok(sqlx::query_as(select_entry!(
        "WHERE i.participant_id = $1 AND ($2::bigint IS NULL OR i.seq < $2)
           AND (NOT $3 OR i.read_time IS NULL)
         ORDER BY i.seq DESC LIMIT $4"
    ))
    .bind(participant)
    .bind(before_seq)
    .bind(unread_only)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Marks an entry read at `at` (the first time only: marking again keeps the first
/// time) and returns it.
pub async fn mark_read<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
    id: Uuid,
    at: OffsetDateTime,
) -> Result<Entry, StoreError> {
    Ok(sqlx::query_as(
        "WITH i AS (
             UPDATE inbox SET read_time = coalesce(read_time, $3)
             WHERE participant_id = $1 AND notification_id = $2
             RETURNING *)
         SELECT n.id, i.participant_id, n.chapter_id, n.kind, n.subject, n.template, n.params,
                n.create_time, i.seq, i.deliver_time, i.read_time
         FROM i JOIN notifications n ON n.id = i.notification_id",
    )
    .bind(participant)
    .bind(id)
    .bind(at)
    .fetch_one(db)
    .await?)
}
