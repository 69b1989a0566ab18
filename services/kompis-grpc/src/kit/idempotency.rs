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
    let mut tx = store.begin().await?;
    let Some(request_id) = request_id else {
        let response = act(&mut tx).await?;
        tx.commit().await?;
        return Ok(response);
    };
    let key = idempotency::Key {
        caller: &caller.subject,
        method,
        request_id: request_id.uuid(),
    };
    let print = fingerprint(request);
    match idempotency::claim(&mut tx, key, &print, now).await? {
        idempotency::Seen::New => {
            let response = act(&mut tx).await?;
            idempotency::record(&mut tx, key, &print, &response.encode_to_vec(), now).await?;
            tx.commit().await?;
            Ok(response)
        }
        seen => answer_seen(method, seen),
    }
}

/// [`mutate`] for a mutation that only adds rows under fresh ids (a registration),
/// also writing the access records `access` makes from the response in its
/// transaction. Returns the response and whether records were written: never for a
/// replayed answer (`act` did not run or was rolled back; the caller records the
/// replay as it records any call). When the records cannot be written nothing is:
/// the call fails UNAVAILABLE, since an access that cannot be recorded is not given.
///
/// The key is claimed at the end, with its answer and the records in one statement
/// ([`idempotency::claim_answered`]), instead of before `act` and answered after it:
/// one commit and two statements fewer than [`mutate`] and a separate audit write.
/// The answers are [`mutate`]'s:
///
/// - a retry of an answered request: its key is found stored, `act`'s rows are rolled
///   back, and the first answer is replayed (or REQUEST_ID_REUSED for another request);
/// - concurrent retries: the later claim waits for the first transaction, then finds
///   the key and replays; only one commits rows;
/// - `act` refusing the request (a reference that no longer exists): the key is looked
///   up, so that a retry of an answered request is still answered as before.
///
/// This holds only because `act`'s rows take fresh ids, so a retry's `act` never
/// collides with the first attempt's rows before its key is claimed.
#[allow(clippy::too_many_arguments)]
pub async fn create_recorded<Req, Resp, F, A>(
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
    let response = match act(&mut tx).await {
        Ok(response) => response,
        Err(refused) => {
            drop(tx);
            // The refusal stands when the key is not stored, or cannot be read.
            return match idempotency::seen(store.pool(), key, &print).await {
                Ok(Some(seen)) => answer_seen(method, seen).map(|r| (r, false)),
                _ => Err(refused),
            };
        }
    };
    let records = access(&response);
    let claimed = idempotency::claim_answered(&mut tx, key, &print, &response.encode_to_vec(), now, &records)
        .await
        .map_err(|e| {
            if records.is_empty() {
                ApiError::from(e)
            } else {
                unrecorded(method, e)
            }
        })?;
    if claimed {
        tx.commit().await?;
        return Ok((response, !records.is_empty()));
    }
    // Answered by another transaction, committed before the claim returned.
    let seen = idempotency::seen(&mut *tx, key, &print).await?;
    drop(tx);
    match seen {
        Some(seen) => answer_seen(method, seen).map(|r| (r, false)),
        // Forgotten since (expired or erased): the caller retries the call.
        None => Err(StoreError::Conflict("the request's key changed meanwhile".into()).into()),
    }
}

/// The answer to a key found stored: the first answer replayed, or REQUEST_ID_REUSED.
fn answer_seen<Resp: Message + Default>(method: &'static str, seen: idempotency::Seen) -> ApiResult<Resp> {
    match seen {
        idempotency::Seen::Replay(bytes) => {
            tracing::debug!(method, "replayed an idempotent request");
            Resp::decode(bytes.as_slice()).map_err(|e| ApiError::Internal(Box::new(e)))
        }
        idempotency::Seen::Reused => Err(reused()),
        idempotency::Seen::New => Err(ApiError::Internal("a stored key answered as new".into())),
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
