//! Idempotency keys of mutations (AIP-155): what a mutation answered, kept so that a
//! retry with the same `request_id` gets the same answer without acting again.

use std::sync::LazyLock;

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;
use crate::audit::{self, AccessRecord};

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

/// Claims the key for this transaction at `at`: inserts it (without its response
/// yet), or finds it there. A concurrent transaction holding the same key makes the
/// insert wait until it commits or rolls back, so concurrent retries serialise and only
/// one acts. One statement when the key is new (the usual case), two when it was seen.
pub async fn claim(
    tx: &mut PgConnection,
    key: Key<'_>,
    fingerprint: &[u8],
    at: OffsetDateTime,
) -> Result<Seen, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (caller, method, request_id, request_fingerprint, create_time)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(key.caller)
    .bind(key.method)
    .bind(key.request_id)
    .bind(fingerprint)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Seen::New);
    }
    // Committed by the transaction that held it (a new statement sees it).
    match seen(&mut *tx, key, fingerprint).await? {
        Some(seen) => Ok(seen),
        // Forgotten between the two statements (expired or erased): a retry after that
        // acts again, as the rule says; the caller retries the call.
        None => Err(StoreError::Conflict("the request's key changed meanwhile".into())),
    }
}

/// What `key` was seen with, if it is stored: the answer to replay for the same
/// request, or [`Seen::Reused`] for another; `None` when the key is not stored.
pub async fn seen<'c>(
    db: impl PgExecutor<'c>,
    key: Key<'_>,
    fingerprint: &[u8],
) -> Result<Option<Seen>, StoreError> {
    let row: Option<(Vec<u8>, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT request_fingerprint, response FROM idempotency_keys
         WHERE caller = $1 AND method = $2 AND request_id = $3",
    )
    .bind(key.caller)
    .bind(key.method)
    .bind(key.request_id)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some((stored, Some(response))) if stored == fingerprint => Some(Seen::Replay(response)),
        Some((stored, None)) if stored == fingerprint => {
            return Err(StoreError::corrupt(
                "idempotency key",
                "committed without its response",
            ));
        }
        Some(_) => Some(Seen::Reused),
        None => None,
    })
}

/// Records the answer to the key [`claim`]ed in this transaction. If the mutation
/// itself removed the key (an erasure forgets its person's keys), it is written again.
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
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (caller, method, request_id) DO UPDATE SET response = excluded.response",
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

/// Claims `key` with its answer at once, at the end of the work it answers, and
/// appends `access` to the audit log in the same statement; false, with nothing
/// written by it, when the key is already stored (a retry: the caller rolls back and
/// replays what [`seen`] finds). A concurrent transaction holding the same key makes
/// the statement wait until it commits or rolls back, as [`claim`] does.
pub async fn claim_answered(
    tx: &mut PgConnection,
    key: Key<'_>,
    fingerprint: &[u8],
    response: &[u8],
    at: OffsetDateTime,
    access: &[AccessRecord],
) -> Result<bool, StoreError> {
    static STATEMENT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH logged AS ({})
             INSERT INTO idempotency_keys (caller, method, request_id, request_fingerprint, response,
                 create_time)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT DO NOTHING",
            audit::insert_many(7)
        )
    });
    let claim = sqlx::query(STATEMENT.as_str())
        .bind(key.caller)
        .bind(key.method)
        .bind(key.request_id)
        .bind(fingerprint)
        .bind(response)
        .bind(at);
    let done = audit::bind_records(claim, access).execute(tx).await?;
    Ok(done.rows_affected() == 1)
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
