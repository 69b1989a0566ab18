//! Where a report request points: the optional municipality name every report request
//! may carry, and the chapter and municipality a partner viewer's token scopes them to.
//!
//! A partner viewer's token names their chapter and may name one municipality of it
//! (the `municipality` claim, for a municipality's official in a chapter covering
//! several). They may leave `chapter` and `municipality` out of a request: the token's
//! are used, and without a municipality claim the chapter's only municipality (a
//! chapter covering several then needs `municipality`). Naming another chapter, or a
//! municipality other than the token's or outside the chapter, answers NOT_FOUND
//! exactly as a chapter or municipality that does not exist (the kit's scope rule).

use kompis_domain::{Role, Slug, Violations};

use crate::auth::Principal;
use crate::kit::errors::{ApiError, ApiResult};
use crate::kit::{names, scope};

/// Parses an optional `municipalities/{id}` in `field`: `Some(None)` when empty,
/// `Some(Some(id))` when well formed, `None` (a violation added) otherwise.
pub fn optional_municipality(v: &mut Violations, field: &str, name: &str) -> Option<Option<Slug>> {
    if name.is_empty() {
        Some(None)
    } else {
        v.check(field, names::parse_one(name, "municipalities")).map(Some)
    }
}

/// The chapter name a request means: the one it names, or a partner viewer's own when
/// it names none.
pub fn chapter_name(principal: &Principal, requested: &str) -> String {
    match (&principal.chapter, principal.role) {
        (Some(own), Role::PartnerViewer) if requested.is_empty() => names::chapter(own.as_str()),
        _ => requested.to_owned(),
    }
}

/// The municipality a request covers, given the municipalities its (authorised)
/// chapter `covered`: for a partner viewer, the token's municipality or the chapter's
/// only one (see the module docs); for staff, the one named, if any. `name` is the
/// request's municipality name, `field` its field, for NOT_FOUND and INVALID_ARGUMENT;
/// `chapter_name` answers NOT_FOUND for a token whose municipality the chapter does not
/// cover (nothing is visible to it).
pub fn municipality_in_scope(
    principal: &Principal,
    covered: &[String],
    requested: Option<&Slug>,
    field: &str,
    name: &str,
    chapter_name: &str,
) -> ApiResult<Option<String>> {
    let covers = |m: &str| covered.iter().any(|c| c == m);
    if principal.role == Role::PartnerViewer
        && let Some(own) = &principal.municipality
    {
        if !covers(own.as_str()) {
            return Err(scope::not_found(chapter_name));
        }
        return match requested {
            Some(m) if m != own => Err(scope::not_found(name)),
            _ => Ok(Some(own.as_str().to_owned())),
        };
    }
    match requested {
        Some(m) if !covers(m.as_str()) => Err(scope::not_found(name)),
        Some(m) => Ok(Some(m.as_str().to_owned())),
        None if principal.role == Role::PartnerViewer => match covered {
            [only] => Ok(Some(only.clone())),
            _ => Err(ApiError::invalid(
                field,
                "is required: the chapter covers several municipalities",
            )),
        },
        None => Ok(None),
    }
}
