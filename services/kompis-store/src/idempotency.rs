//! Idempotency keys of mutations (AIP-155): what a mutation answered, kept so that a
//! retry with the same `request_id` gets the same answer without acting again.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;

/// Whose retry of what: the caller (token subject), the RPC and the client's id.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    /// The caller's subject; two callers never share a key.
    pub caller: &'a str,
    /// The RPC, for example `CreateReferral`.
    pub method: &'a str,
    /// The client's `request_id`; never the nil UUID.
    pub request_id: Uuid,
}

/// What a key was seen with before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// First time: go ahead, then [`record`] the answer in the same transaction.
    New,
    /// The same request was made before; this is its encoded answer.
    Replay(Vec<u8>),
    /// The key was used before with a different request.
    Reused,
}

/// Looks the key up, locking it for the rest of the transaction so that concurrent
/// retries serialise and only one acts.
pub async fn claim(tx: &mut PgConnection, key: Key<'_>, fingerprint: &[u8]) -> Result<Seen, StoreError> {
    // The advisory lock serialises concurrent retries of the same key before either
    // has inserted a row to lock.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2 || '/' || $3::text, 0))")
        .bind(key.caller)
        .bind(key.method)
        .bind(key.request_id)
        .execute(&mut *tx)
        .await?;
    let row: Option<(Vec<u8>, Vec<u8>)> = sqlx::query_as(
        "SELECT request_fingerprint, response FROM idempotency_keys
         WHERE caller = $1 AND method = $2 AND request_id = $3",
    )
    .bind(key.caller)
    .bind(key.method)
    .bind(key.request_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(match row {
        None => Seen::New,
        Some((stored, response)) if stored == fingerprint => Seen::Replay(response),
        Some(_) => Seen::Reused,
    })
}

/// Records the answer to the key. Call in the transaction that made the change.
pub async fn record(
    tx: &mut PgConnection,
    key: Key<'_>,
    fingerprint: &[u8],
    response: &[u8],
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (caller, method, request_id, request_fingerprint, response,
             create_time)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(key.caller)
    .bind(key.method)
    .bind(key.request_id)
    .bind(fingerprint)
    .bind(response)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Forgets the answers recorded before `before` (a retry after that acts again), and
/// says how many. A timer of the worker calls it.
pub async fn expire<'c>(db: impl PgExecutor<'c>, before: OffsetDateTime) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE create_time < $1")
        .bind(before)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
