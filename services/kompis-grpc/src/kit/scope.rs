//! Who may call what, and on which objects: the one scope rule.
//!
//! - PERMISSION_DENIED (reason ROLE_NOT_ALLOWED) only when the caller's role may never
//!   call the RPC: the policy table ([`super::policy`]), enforced by the gate
//!   ([`crate::auth::Guard`]) before any handler runs. Handlers do not repeat it.
//! - An object outside the caller's scope (another chapter's, organisation's or
//!   participant's) answers NOT_FOUND exactly like one that does not exist: same code,
//!   same message, same details. A create or list naming a parent outside the scope is
//!   NOT_FOUND for that parent.

use kompis_domain::Role;

use super::errors::{ApiError, ApiResult};
use crate::auth::Principal;

/// Staff: everyone but participants.
pub const STAFF: &[Role] = &[
    Role::Administrator,
    Role::Coordinator,
    Role::Referrer,
    Role::PartnerViewer,
];

/// Everyone signed in, participants too: for the reference data the app needs to show
/// a sign-up form (municipalities, districts, interests). None of it is personal.
pub const EVERYONE: &[Role] = &[
    Role::Administrator,
    Role::Coordinator,
    Role::Referrer,
    Role::PartnerViewer,
    Role::Participant,
];

/// Roles that manage participants and interviews.
pub const MANAGERS: &[Role] = &[Role::Administrator, Role::Coordinator];

/// Administrators only.
pub const ADMINISTRATORS: &[Role] = &[Role::Administrator];

/// NOT_FOUND for `name` unless the caller manages `chapter` (an administrator, or a
/// coordinator of that chapter).
pub fn managed_chapter(principal: &Principal, chapter: &str, name: &str) -> ApiResult<()> {
    if principal.manages_chapter(chapter) {
        Ok(())
    } else {
        Err(not_found(name))
    }
}

/// The answer for an object that does not exist or lies outside the caller's scope.
pub fn not_found(name: &str) -> ApiError {
    ApiError::NotFound(name.to_owned())
}
