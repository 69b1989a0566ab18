//! The service kit: what every service module is built on.
//!
//! A handler reads: parse the request (every violation collected), authorise the
//! object ([`scope`]; the caller's role was checked against [`policy`] by the gate
//! before the handler runs, so handlers never check it again), call one store or domain function (through [`Kit::mutate`] when it
//! writes), render. Errors convert with `?` and are mapped to statuses in one table
//! ([`errors`]).
//!
//! ```text
//! async fn create_thing(&self, request: Request<pb::CreateThingRequest>) -> Result<Response<..>, Status> {
//!     let principal = Principal::from_request(&request)?;
//!     let req = request.get_ref();
//!     let (new, rid) = parse(req)?;                      // INVALID_ARGUMENT, every field
//!     scope::managed_chapter(principal, new.chapter.as_str(), &req.parent)?;
//!     let now = self.kit.now();
//!     self.kit.mutate(principal, "CreateThing", rid, req, async |tx| {
//!         let row = things::create(tx, &new, now).await?;  // row + event + outbox
//!         Ok(pb::CreateThingResponse { thing: Some(thing_pb(&row)) })
//!     }).await.map(Response::new).map_err(Into::into)
//! }
//! ```

pub mod audit;
pub mod audit_writer;
pub mod convert;
pub mod enums;
pub mod errors;
pub mod idempotency;
pub mod names;
pub mod page;
pub mod policy;
pub mod scope;

use std::sync::Arc;

use kompis_domain::Clock;
use kompis_store::{Store, Tx};
use prost::Message;
use time::OffsetDateTime;
use tonic::{Response, Status};

use crate::auth::Principal;
use crate::live::LiveNotifications;
pub use errors::{ApiError, ApiResult, IntoApi, StoreResultExt};
pub use idempotency::RequestId;

/// What every service holds: the store, the application clock, the live
/// notification streams of this process and its audit writer. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Kit {
    store: Store,
    clock: Clock,
    live: LiveNotifications,
    audit_writer: Arc<audit_writer::AuditWriter>,
}

impl Kit {
    /// A kit over `store`, with `clock` as the source of every business time. Its
    /// audit writer starts with the first record written, on that call's runtime.
    pub fn new(store: Store, clock: Clock) -> Self {
        Self {
            audit_writer: Arc::new(audit_writer::AuditWriter::new(store.clone())),
            store,
            clock,
            live: LiveNotifications::default(),
        }
    }

    /// The group-commit writer of this kit's access records ([`audit_writer`]): one
    /// per kit built, shared by its clones, ended when the last clone is dropped.
    pub fn audit_writer(&self) -> &audit_writer::AuditWriter {
        &self.audit_writer
    }

    /// The live notification streams of this process: the composition root feeds it
    /// the wake-ups it receives.
    pub fn live(&self) -> &LiveNotifications {
        &self.live
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The application clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Now, from the application clock.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Starts a unit of work (for reads and for writes that need no deduplication).
    pub async fn begin(&self) -> ApiResult<Tx> {
        Ok(self.store.begin().await?)
    }

    /// Commits a unit of work begun with [`Kit::begin`].
    pub async fn commit(&self, tx: Tx) -> ApiResult<()> {
        Ok(tx.commit().await?)
    }

    /// Runs a mutation in one transaction, deduplicated by `request_id`
    /// ([`idempotency::mutate`]).
    pub async fn mutate<Req, Resp, F>(
        &self,
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
        idempotency::mutate(
            &self.store,
            self.clock.now(),
            caller,
            method,
            request_id,
            request,
            act,
        )
        .await
    }

    /// [`Kit::mutate`] for a call that creates the record it is audited under:
    /// `created` names it from the response (a participant's or a referral's resource
    /// name), and the call's access record, the one [`Kit::audit_call`] would write
    /// after it, is written in the mutation's transaction, so that the call commits
    /// once ([`idempotency::create_recorded`]: only for a call whose rows take fresh
    /// ids). Returns the response and whether the record was written: not for a
    /// replayed answer, which the caller records with [`Kit::audit_call`] as before.
    #[allow(clippy::too_many_arguments)]
    pub async fn mutate_audited<Req, Resp, F>(
        &self,
        caller: &Principal,
        method: &'static str,
        request_id: Option<RequestId>,
        request: &Req,
        action: audit::Action,
        created: impl FnOnce(&Resp) -> Option<&str>,
        act: F,
    ) -> ApiResult<(Resp, bool)>
    where
        Req: Message,
        Resp: Message + Default,
        F: AsyncFnOnce(&mut Tx) -> ApiResult<Resp>,
    {
        idempotency::create_recorded(
            &self.store,
            self.clock.now(),
            caller,
            method,
            request_id,
            request,
            act,
            |response| {
                created(response)
                    .and_then(|name| self.created_record(caller, method, name, action))
                    .into_iter()
                    .collect()
            },
        )
        .await
    }
}

/// A handler's answer.
pub fn ok<T>(value: T) -> Result<Response<T>, Status> {
    Ok(Response::new(value))
}

/// A handler's answer from a kit result.
pub fn respond<T>(result: ApiResult<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}
