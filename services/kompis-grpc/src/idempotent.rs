//! Idempotent creates (AIP-155): a create retried with the same `request_id` returns
//! what the first attempt created instead of creating again.
//!
//! ```text
//! match begin_create(store, "CreateX", request_id, &hash).await? {
//!     Begin::Replay(name) => /* read `name` and return it */,
//!     Begin::Create(tx) => /* insert in tx, then */ finish_create(tx, ...).await?,
//! }
//! ```

use kompis_store::{Store, idempotency};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// What a create's idempotency check decided.
#[allow(missing_debug_implementations)] // holds an open transaction
pub enum Begin {
    /// First time: create in this transaction, then call [`finish_create`].
    Create(kompis_store::Transaction<'static, kompis_store::Postgres>),
    /// A retry: return the resource with this name.
    Replay(String),
}

/// Starts a create: opens the transaction and checks the request id.
pub async fn begin_create(store: &Store, method: &str, request_id: Uuid, hash: &[u8]) -> ApiResult<Begin> {
    let mut tx = store.begin().await.map_err(|e| ApiError::from_store(e, method))?;
    match idempotency::check(&mut tx, method, request_id, hash)
        .await
        .map_err(|e| ApiError::from_store(e, method))?
    {
        idempotency::Replay::New => Ok(Begin::Create(tx)),
        idempotency::Replay::Same(name) => Ok(Begin::Replay(name)),
        idempotency::Replay::Mismatch => Err(ApiError::InvalidWithReason(
            "REQUEST_ID_REUSED",
            vec![kompis_domain::FieldViolation {
                field: "request_id".to_owned(),
                description: "was already used for a different request".to_owned(),
            }],
        )),
    }
}

/// Records the request id and commits a create.
pub async fn finish_create(
    mut tx: kompis_store::Transaction<'static, kompis_store::Postgres>,
    method: &str,
    request_id: Uuid,
    hash: &[u8],
    name: &str,
) -> ApiResult<()> {
    idempotency::record(&mut tx, method, request_id, hash, name)
        .await
        .map_err(|e| ApiError::from_store(e, name))?;
    tx.commit()
        .await
        .map_err(|e| ApiError::from_store(e.into(), name))
}
