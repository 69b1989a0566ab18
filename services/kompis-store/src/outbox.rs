//! The transactional outbox: messages for Redis, written with the change they announce.

use serde_json::Value;
use sqlx::PgExecutor;

use crate::StoreError;

/// A message waiting to be published.
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
}

/// Enqueues a message. Call it in the transaction that makes the change.
pub async fn enqueue<'c>(
    db: impl PgExecutor<'c>,
    topic: &str,
    version: i32,
    payload: &Value,
) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("INSERT INTO outbox (topic, version, payload) VALUES ($1, $2, $3) RETURNING id")
            .bind(topic)
            .bind(version)
            .bind(payload)
            .fetch_one(db)
            .await?,
    )
}

/// Up to `limit` unpublished messages, oldest first, locked so concurrent relays skip them.
/// Call in a transaction and [`mark_published`] before committing.
pub async fn claim<'c>(db: impl PgExecutor<'c>, limit: i64) -> Result<Vec<OutboxMessage>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, topic, version, payload FROM outbox WHERE publish_time IS NULL
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Marks messages as published.
pub async fn mark_published<'c>(db: impl PgExecutor<'c>, ids: &[i64]) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET publish_time = now() WHERE id = ANY($1)")
        .bind(ids)
        .execute(db)
        .await?;
    Ok(())
}
