//! Idempotent mutations (AIP-155): a mutation retried with the same `request_id`
//! answers what the first attempt answered, byte for byte, and acts only once.
//!
//! The rule, as common.proto documents it:
//!
//! - a key is (caller, method, `request_id`): the caller is the token's subject, so one
//!   caller's id never meets another's;
//! - the same key with the same request replays the stored response;
//! - the same key with a different request is INVALID_ARGUMENT, reason
//!   `REQUEST_ID_REUSED`, naming `request_id`;
//! - no `request_id` (empty) means the call is simply not deduplicated;
//! - the all-zero UUID is refused: it is what a client sends when it forgot to set one.
//!
//! The response is stored in the transaction of the mutation, so a mutation is never
//! recorded without its answer, nor answered without being recorded.
//!
//! ```text
//! let response = self.kit.mutate(principal, "CreateThing", rid, req, async |tx| {
//!     let row = store::things::create(tx, &new, now).await?;
//!     Ok(pb::CreateThingResponse { thing: Some(thing_pb(&row)) })
//! }).await?;
//! ```

use kompis_domain::FieldError;
use kompis_proto::v1::ErrorReason;
use kompis_store::audit::{self, AccessRecord};
use kompis_store::{Store, StoreError, Tx, idempotency};
use prost::Message;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::errors::{ApiError, ApiResult};
use crate::auth::Principal;

/// A client-chosen `request_id`: a UUID other than the nil UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestId(Uuid);

impl RequestId {
    /// Parses an optional `request_id`: empty is `None` (not deduplicated).
    pub fn parse(value: &str) -> Result<Option<Self>, FieldError> {
        if value.is_empty() {
            return Ok(None);
        }
        let id = Uuid::parse_str(value).map_err(|_| FieldError::new("must be a UUID"))?;
        if id.is_nil() {
            return Err(FieldError::new(
                "must not be the all-zero UUID: choose a random one (version 4 or 7) per request",
            ));
        }
        Ok(Some(Self(id)))
    }

    /// The UUID.
    pub fn uuid(self) -> Uuid {
        self.0
    }
}

/// A fingerprint of a request, stored with its key to tell a true retry from a reused
/// `request_id`. Only the digest is stored, never the request.
pub fn fingerprint<M: Message>(request: &M) -> Vec<u8> {
    Sha256::digest(request.encode_to_vec()).to_vec()
}

/// Runs `act` in one transaction and commits, deduplicated by `request_id` when there
/// is one: see the module's rule. `act` writes through the transaction it is given and
/// returns the response; nothing is written if it fails.
pub async fn mutate<Req, Resp, F>(
    store: &Store,
    now: OffsetDateTime,
    caller: &Principal,
    method: &'static str,
    request_id: Option<RequestId>,
    request: &Req,
    act: F,
) -> ApiResult<Resp>
where
    Req: Message,
    Resp: Message + Default,
    F: AsyncFnOnce(&mut Tx) -> ApiResult<Resp>,
{
    mutate_recorded(store, now, caller, method, request_id, request, act, |_| {
        Vec::new()
    })
    .await
    .map(|(response, _)| response)
}

/// [`mutate`], also writing the access records `access` makes from the response in the
/// mutation's transaction, with the answer's key in one statement: the call commits
/// once, its records with it. Returns the response and whether records were written:
/// never for a replayed answer (`act` did not run; the caller records the replay as it
/// records any call). When the records cannot be written nothing is: the call fails
/// UNAVAILABLE, since an access that cannot be recorded is not given.
#[allow(clippy::too_many_arguments)]
pub async fn mutate_recorded<Req, Resp, F, A>(
    store: &Store,
    now: OffsetDateTime,
    caller: &Principal,
    method: &'static str,
    request_id: Option<RequestId>,
    request: &Req,
    act: F,
    access: A,
) -> ApiResult<(Resp, bool)>
where
    Req: Message,
    Resp: Message + Default,
    F: AsyncFnOnce(&mut Tx) -> ApiResult<Resp>,
    A: FnOnce(&Resp) -> Vec<AccessRecord>,
{
    let mut tx = store.begin().await?;
    let Some(request_id) = request_id else {
        let response = act(&mut tx).await?;
        let records = access(&response);
        audit::record_many(&mut *tx, &records)
            .await
            .map_err(|e| unrecorded(method, e))?;
        tx.commit().await?;
        return Ok((response, !records.is_empty()));
    };
    let key = idempotency::Key {
        caller: &caller.subject,
        method,
        request_id: request_id.uuid(),
    };
    let print = fingerprint(request);
    match idempotency::claim(&mut tx, key, &print, now).await? {
        idempotency::Seen::Replay(bytes) => {
            tracing::debug!(method, "replayed an idempotent request");
            Resp::decode(bytes.as_slice())
                .map(|response| (response, false))
                .map_err(|e| ApiError::Internal(Box::new(e)))
        }
        idempotency::Seen::Reused => Err(reused()),
        idempotency::Seen::New => {
            let response = act(&mut tx).await?;
            let records = access(&response);
            let written = idempotency::record_with_access(
                &mut tx,
                key,
                &print,
                &response.encode_to_vec(),
                now,
                &records,
            )
            .await;
            match written {
                Err(e) if !records.is_empty() => return Err(unrecorded(method, e)),
                other => other?,
            }
            tx.commit().await?;
            Ok((response, !records.is_empty()))
        }
    }
}

/// A mutation's access records that could not be written: UNAVAILABLE (the caller's
/// deadline passing stays DEADLINE_EXCEEDED), logged once.
fn unrecorded(method: &'static str, error: StoreError) -> ApiError {
    if matches!(error, StoreError::DeadlineExceeded) {
        return ApiError::DeadlineExceeded;
    }
    tracing::error!(method, "an access could not be recorded in the audit log");
    ApiError::Unavailable(Box::new(error))
}

fn reused() -> ApiError {
    ApiError::InvalidWithReason(
        ErrorReason::RequestIdReused,
        vec![kompis_domain::FieldViolation {
            field: "request_id".to_owned(),
            description: "was already used by this caller for a different request to this method".to_owned(),
        }],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_request_id_is_not_deduplicated_and_the_nil_one_is_refused() {
        assert_eq!(RequestId::parse(""), Ok(None));
        assert!(RequestId::parse("00000000-0000-0000-0000-000000000000").is_err());
        assert!(RequestId::parse("not-a-uuid").is_err());
        let id = Uuid::now_v7();
        assert_eq!(RequestId::parse(&id.to_string()).unwrap().unwrap().uuid(), id);
    }
}
