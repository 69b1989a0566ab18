//! Dead letters: stream entries that could not be delivered, kept in PostgreSQL so that
//! they survive a Redis that loses its data, listed for administrators with the reason,
//! and sent again on their word.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;
use crate::notifications::{APP_TOPIC, EMAIL_TOPIC, PAYLOAD_VERSION, payload_of};

/// A dead letter as stored, with what it was about when it named a delivery.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeadLetter {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// The stream topic.
    pub topic: String,
    /// The outbox row, when the entry named one.
    pub outbox_id: Option<i64>,
    /// The delivery, when the entry named one.
    pub delivery_id: Option<Uuid>,
    /// Why it could not be delivered.
    pub reason: String,
    /// How often delivery was tried.
    pub attempts: i32,
    /// The entry as it was in the stream, for one that named no delivery.
    pub entry: String,
    /// When it was given up.
    pub create_time: OffsetDateTime,
    /// When it was sent again, if it was.
    pub replay_time: Option<OffsetDateTime>,
    /// Who sent it again.
    pub replayed_by: Option<String>,
    /// The delivery's channel (`app`, `email`).
    pub channel: Option<String>,
    /// The notification delivered.
    pub notification_id: Option<Uuid>,
    /// The notification's participant.
    pub participant_id: Option<Uuid>,
    /// The notification's chapter.
    pub chapter_id: Option<String>,
    /// `NotificationKind::as_str`.
    pub kind: Option<String>,
    /// The resource the notification is about.
    pub subject: Option<String>,
}

macro_rules! select_dead_letter {
    ($rest:literal) => {
        concat!(
            "SELECT l.*, d.channel, n.id AS notification_id, n.participant_id, n.chapter_id, n.kind,
                    n.subject
             FROM dead_letters l
             LEFT JOIN notification_deliveries d ON d.id = l.delivery_id
             LEFT JOIN notifications n ON n.id = d.notification_id ",
            $rest
        )
    };
}

/// A stream entry given up on.
#[derive(Debug, Clone)]
pub struct Burial<'a> {
    /// The stream topic.
    pub topic: &'a str,
    /// The outbox row, when the entry named one.
    pub outbox_id: Option<i64>,
    /// The delivery, when the entry named one.
    pub delivery_id: Option<Uuid>,
    /// Why; never personal data.
    pub reason: &'a str,
    /// How often delivery was tried.
    pub attempts: i32,
    /// The entry as it was in the stream, for one that named no delivery.
    pub entry: &'a str,
    /// When, from the application clock.
    pub at: OffsetDateTime,
}

/// Records a dead letter in the caller's transaction: the delivery (if still pending)
/// becomes `dead`, the outbox row is settled, and the letter is kept. A delivery that
/// already has an open dead letter gets no second one.
pub async fn bury(tx: &mut PgConnection, burial: &Burial<'_>) -> Result<(), StoreError> {
    if let Some(delivery) = burial.delivery_id {
        let still_pending = sqlx::query(
            "UPDATE notification_deliveries SET state = 'dead', finish_time = $2,
                 last_error = left($3, 500)
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(delivery)
        .bind(burial.at)
        .bind(burial.reason)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if still_pending == 0 {
            // Delivered meanwhile, or already dead: nothing to give up on.
            if let Some(outbox) = burial.outbox_id {
                crate::outbox::settle(&mut *tx, &[outbox], burial.at).await?;
            }
            return Ok(());
        }
    }
    sqlx::query(
        "INSERT INTO dead_letters (id, topic, outbox_id, delivery_id, reason, attempts, entry,
             create_time)
         VALUES ($1, $2, $3, $4, left($5, 500), $6, left($7, 2000), $8)
         ON CONFLICT (delivery_id) WHERE replay_time IS NULL AND delivery_id IS NOT NULL
         DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(burial.topic)
    .bind(burial.outbox_id)
    .bind(burial.delivery_id)
    .bind(if burial.reason.is_empty() {
        "unknown"
    } else {
        burial.reason
    })
    .bind(burial.attempts)
    .bind(burial.entry)
    .bind(burial.at)
    .execute(&mut *tx)
    .await?;
    if let Some(outbox) = burial.outbox_id {
        crate::outbox::settle(&mut *tx, &[outbox], burial.at).await?;
    }
    Ok(())
}

/// Up to `limit` dead letters after `after` (by id, oldest first); only open ones
/// (not sent again) unless `include_replayed`.
pub async fn list<'c>(
    db: impl PgExecutor<'c>,
    include_replayed: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DeadLetter>, StoreError> {
    Ok(sqlx::query_as(select_dead_letter!(
        "WHERE ($1 OR l.replay_time IS NULL) AND ($2::uuid IS NULL OR l.id > $2)
         ORDER BY l.id LIMIT $3"
    ))
    .bind(include_replayed)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// One dead letter.
pub async fn get<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<DeadLetter, StoreError> {
    Ok(sqlx::query_as(select_dead_letter!("WHERE l.id = $1"))
        .bind(id)
        .fetch_one(db)
        .await?)
}

/// Why a dead letter cannot be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayRefused {
    /// It was sent again already.
    AlreadyReplayed,
    /// It names nothing that can be sent: an unreadable entry with no outbox row.
    NothingToSend,
}

/// Sends a dead letter again, in the caller's transaction: its delivery becomes pending
/// with its attempts reset and gets a new outbox row (or, for an entry that named only
/// an outbox row, that row is published again), and the letter is marked replayed by
/// `actor`.
pub async fn replay(
    tx: &mut PgConnection,
    id: Uuid,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Result<DeadLetter, ReplayRefused>, StoreError> {
    let letter: DeadLetter = sqlx::query_as(select_dead_letter!("WHERE l.id = $1 FOR UPDATE OF l"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if letter.replay_time.is_some() {
        return Ok(Err(ReplayRefused::AlreadyReplayed));
    }
    match (letter.delivery_id, letter.outbox_id) {
        (Some(delivery), _) => {
            let channel: String = sqlx::query_scalar(
                "UPDATE notification_deliveries
                 SET state = 'pending', attempts = 0, last_error = '', finish_time = NULL
                 WHERE id = $1 RETURNING channel",
            )
            .bind(delivery)
            .fetch_one(&mut *tx)
            .await?;
            let topic = if channel == "app" { APP_TOPIC } else { EMAIL_TOPIC };
            sqlx::query(
                "INSERT INTO outbox (topic, version, payload, create_time, awaits_consumer)
                 VALUES ($1, $2, $3, $4, true)",
            )
            .bind(topic)
            .bind(PAYLOAD_VERSION)
            .bind(payload_of(delivery))
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        (None, Some(outbox)) => {
            let found = sqlx::query(
                "UPDATE outbox SET publish_time = NULL, published_to = NULL, lease_until = NULL,
                     settle_time = NULL
                 WHERE id = $1",
            )
            .bind(outbox)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if found == 0 {
                return Ok(Err(ReplayRefused::NothingToSend));
            }
        }
        (None, None) => return Ok(Err(ReplayRefused::NothingToSend)),
    }
    sqlx::query("UPDATE dead_letters SET replay_time = $2, replayed_by = $3 WHERE id = $1")
        .bind(id)
        .bind(at)
        .bind(actor)
        .execute(&mut *tx)
        .await?;
    Ok(Ok(get(&mut *tx, id).await?))
}
