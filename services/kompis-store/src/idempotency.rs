//! Idempotency keys for creates retried by flaky clients.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;

/// What a `request_id` was seen with before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// First time: go ahead and create.
    New,
    /// The same request was made before; it created this resource.
    Same(String),
    /// The `request_id` was used before for a different request.
    Mismatch,
}

/// Looks up `request_id` for `method`, locking the key for the rest of the transaction
/// so that two concurrent retries serialise and only one creates.
pub async fn check(
    tx: &mut PgConnection,
    method: &str,
    request_id: Uuid,
    request_hash: &[u8],
) -> Result<Replay, StoreError> {
    // The advisory lock serialises concurrent retries of the same key before either
    // has inserted a row to lock.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || $2::text, 0))")
        .bind(method)
        .bind(request_id)
        .execute(&mut *tx)
        .await?;
    let row: Option<(Vec<u8>, String)> = sqlx::query_as(
        "SELECT request_hash, resource_name FROM idempotency_keys WHERE method = $1 AND request_id = $2",
    )
    .bind(method)
    .bind(request_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(match row {
        None => Replay::New,
        Some((hash, name)) if hash == request_hash => Replay::Same(name),
        Some(_) => Replay::Mismatch,
    })
}

/// Records that `request_id` created `resource_name`. Call in the creating transaction.
pub async fn record(
    tx: &mut PgConnection,
    method: &str,
    request_id: Uuid,
    request_hash: &[u8],
    resource_name: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (method, request_id, request_hash, resource_name)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(method)
    .bind(request_id)
    .bind(request_hash)
    .bind(resource_name)
    .execute(tx)
    .await?;
    Ok(())
}
