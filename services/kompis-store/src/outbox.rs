//! The transactional outbox: messages for Redis, written with the change they announce.
//!
//! A row is written in the caller's transaction ([`enqueue`]). The relay then works in
//! three short steps, none holding a transaction open while it talks to Redis:
//! [`lease`] some rows (a commit of its own), publish them, [`mark_published`]. A relay
//! that dies after leasing leaves a lease that runs out; the rows are leased again and
//! published again (consumers skip repeats). A row that `awaits_consumer` stays
//! unsettled until its consumer records the delivery in PostgreSQL ([`settle`]);
//! [`republish_lost`] makes such rows publishable again when the Redis they went to has
//! lost them. All times come from the application clock.

use serde_json::Value;
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::StoreError;

/// A message leased for publishing.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutboxMessage {
    /// Position in the outbox; also the message's idempotency key for consumers.
    pub id: i64,
    /// Stream topic (without the Redis key prefix).
    pub topic: String,
    /// Payload schema version.
    pub version: i32,
    /// The payload.
    pub payload: Value,
    /// Whether a consumer settles it when delivered (otherwise publishing settles it).
    pub awaits_consumer: bool,
}

/// Enqueues an announcement: a message settled as soon as it is published. Call it in
/// the transaction that makes the change.
pub async fn enqueue<'c>(
    db: impl PgExecutor<'c>,
    topic: &str,
    version: i32,
    payload: &Value,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO outbox (topic, version, payload, create_time) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(topic)
    .bind(version)
    .bind(payload)
    .bind(at)
    .fetch_one(db)
    .await?)
}

/// Leases up to `limit` unpublished rows, oldest first, until `now + lease`: concurrent
/// relays skip them. Runs as one statement that commits by itself, so no transaction
/// stays open while the rows are published.
pub async fn lease<'c>(
    db: impl PgExecutor<'c>,
    now: OffsetDateTime,
    lease: time::Duration,
    limit: i64,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut rows: Vec<OutboxMessage> = sqlx::query_as(
        "UPDATE outbox SET lease_until = $2
         WHERE id IN (
             SELECT id FROM outbox
             WHERE publish_time IS NULL AND settle_time IS NULL
               AND (lease_until IS NULL OR lease_until < $1)
             ORDER BY id LIMIT $3
             FOR UPDATE SKIP LOCKED)
         RETURNING id, topic, version, payload, awaits_consumer",
    )
    .bind(now)
    .bind(now + lease)
    .bind(limit)
    .fetch_all(db)
    .await?;
    // RETURNING follows no order; publish oldest first.
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Marks leased rows published to the Redis `incarnation`, at `now`. Announcements are
/// settled by it; a settlement a consumer already made stands.
pub async fn mark_published<'c>(
    db: impl PgExecutor<'c>,
    ids: &[i64],
    incarnation: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE outbox SET publish_time = $3, published_to = $2, lease_until = NULL,
             settle_time = CASE WHEN awaits_consumer THEN settle_time ELSE $3 END
         WHERE id = ANY($1)",
    )
    .bind(ids)
    .bind(incarnation)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Gives leased rows back when publishing failed, so that the next relay round takes
/// them at once instead of after the lease.
pub async fn release<'c>(db: impl PgExecutor<'c>, ids: &[i64]) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET lease_until = NULL WHERE id = ANY($1) AND publish_time IS NULL")
        .bind(ids)
        .execute(db)
        .await?;
    Ok(())
}

/// Settles rows: their consumer recorded the delivery (or gave up on it) in the
/// caller's transaction.
pub async fn settle<'c>(db: impl PgExecutor<'c>, ids: &[i64], now: OffsetDateTime) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET settle_time = $2 WHERE id = ANY($1) AND settle_time IS NULL")
        .bind(ids)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Makes publishable again every unsettled row that went to another Redis incarnation
/// than `incarnation` (that Redis lost its data), or that was published before
/// `stale_before` and is still unsettled (a stream entry lost some other way). Returns
/// how many. Running it twice, or on two relays at once, only publishes some rows twice,
/// which consumers skip.
pub async fn republish_lost<'c>(
    db: impl PgExecutor<'c>,
    incarnation: &str,
    stale_before: OffsetDateTime,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE outbox SET publish_time = NULL, published_to = NULL, lease_until = NULL
         WHERE publish_time IS NOT NULL AND settle_time IS NULL
           AND (published_to IS DISTINCT FROM $1 OR publish_time < $2)",
    )
    .bind(incarnation)
    .bind(stale_before)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
