//! Recording who accessed a person's record: every service calls [`Kit::audit`] the same
//! way, after deciding the call's outcome, so that refused attempts are recorded too.
//!
//! A record holds ids only: the caller's subject and role, the participant's id, the
//! object's resource name (made of ids), the action, the method and its purpose. The
//! purpose is derived from the method ([`purpose`]), never told by the caller:
//!
//! | purpose | methods |
//! |---|---|
//! | `self_service` | the participant's own calls in the app (`GetMyProfile`, `UpdateMyProfile`, ...) |
//! | `programme_administration` | coordinators' and administrators' work on a participant (`GetParticipant`, `UpdateParticipant`, ...) |
//! | `audit` | an administrator reading the audit log (`ListAccessRecords`) |
//!
//! A record is written on its own (not in the call's transaction), so a refused or
//! failed call leaves its record. When the record cannot be written the call fails
//! (UNAVAILABLE): an access that cannot be recorded is not given.

use kompis_store::audit::{self, AccessRecord};
use uuid::Uuid;

use super::{ApiError, ApiResult, Kit};
use crate::auth::Principal;

/// What was done to the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read.
    Read,
    /// Changed.
    Change,
    /// Exported.
    Export,
    /// Erased.
    Erase,
}

impl Action {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Change => "change",
            Self::Export => "export",
            Self::Erase => "erase",
        }
    }
}

/// The purpose of an access by `method`, from the table in the module docs.
pub fn purpose(method: &str) -> &'static str {
    match method {
        "ListAccessRecords" => "audit",
        m if m.contains("My") => "self_service",
        _ => "programme_administration",
    }
}

/// Whether `outcome` shows the access refused: out of scope (NOT_FOUND, which also
/// covers a record that does not exist) or a role that may never call the method.
fn refused<T>(outcome: &ApiResult<T>) -> bool {
    matches!(
        outcome,
        Err(ApiError::NotFound(_) | ApiError::PermissionDenied(_) | ApiError::Unauthenticated(_))
    )
}

impl Kit {
    /// Records that `principal` did `action` on `object` (a resource name) of
    /// `participant` through `method`, allowed unless `outcome` is a refusal; returns
    /// `outcome`, or UNAVAILABLE when the record cannot be written. A call that failed
    /// for another reason (a bad field), or named no participant (`None`: a malformed
    /// name), touched no record and is not recorded.
    pub async fn audit<T>(
        &self,
        principal: &Principal,
        method: &'static str,
        participant: Option<Uuid>,
        object: &str,
        action: Action,
        outcome: ApiResult<T>,
    ) -> ApiResult<T> {
        let allowed = !refused(&outcome);
        let Some(participant) = participant else {
            return outcome;
        };
        if allowed && outcome.is_err() {
            return outcome;
        }
        let record = AccessRecord {
            id: Uuid::now_v7(),
            occur_time: self.now(),
            actor_subject: principal.subject.clone(),
            actor_role: principal.role.as_str().to_owned(),
            participant_id: participant,
            object: object.chars().take(300).collect(),
            action: action.as_str().to_owned(),
            method: method.to_owned(),
            purpose: purpose(method).to_owned(),
            allowed,
        };
        if let Err(e) = audit::record(self.store().pool(), &record).await {
            tracing::error!(method, "an access could not be recorded in the audit log");
            return Err(e.into());
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purpose_follows_from_the_method() {
        assert_eq!(purpose("GetMyProfile"), "self_service");
        assert_eq!(purpose("UpdateMyProfile"), "self_service");
        assert_eq!(purpose("GetParticipant"), "programme_administration");
        assert_eq!(purpose("ListAccessRecords"), "audit");
    }
}
