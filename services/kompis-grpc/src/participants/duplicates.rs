//! `ParticipantService.ResolveDuplicate`: a coordinator resolves a possible-duplicate
//! flag by dismissing it, by merging the two participants, or by linking the app
//! account of a self sign-up to the participant a referral created.
//!
//! The request is parsed whole (every bad field named), authorised for the chapter
//! (another chapter is NOT_FOUND), and resolved by one store function in one
//! transaction, deduplicated by `request_id`. Both participants are locked in id order,
//! so that two resolutions of one pair, asked the other way round, wait for each other
//! instead of deadlocking.

use kompis_domain::{FieldError, ParticipantId, ReferralId, Slug, Violations};
use kompis_proto::v1 as pb;
use kompis_store::duplicates::{self, Accounts, Other, Resolver};
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::enums::EnumTable;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::{Kit, RequestId, scope};
use crate::views::participant::{View, find_managed, parse_participant_name, participant_pb};

/// How a flag is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolution {
    Dismiss,
    Merge,
    LinkAppAccount,
}

const RESOLUTIONS: EnumTable<pb::DuplicateResolution, Resolution> = EnumTable::new(
    "is required: DISMISS, MERGE or LINK_APP_ACCOUNT",
    &[
        (pb::DuplicateResolution::Dismiss, Resolution::Dismiss),
        (pb::DuplicateResolution::Merge, Resolution::Merge),
        (
            pb::DuplicateResolution::LinkAppAccount,
            Resolution::LinkAppAccount,
        ),
    ],
);

/// The record a flag names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Duplicate {
    Participant(Uuid),
    Referral(Uuid),
}

/// Parses `chapters/{chapter}/participants/{id}` or `chapters/{chapter}/referrals/{id}`.
fn parse_duplicate_name(name: &str) -> Result<(Slug, Duplicate), FieldError> {
    if let Ok((chapter, id)) = parse_participant_name(name) {
        return Ok((chapter, Duplicate::Participant(id.into_uuid())));
    }
    match name.split('/').collect::<Vec<_>>().as_slice() {
        ["chapters", chapter, "referrals", id] => Ok((
            Slug::parse(chapter)?,
            Duplicate::Referral(ReferralId::parse(id)?.into_uuid()),
        )),
        _ => Err(FieldError::new(
            "must name a participant (chapters/{chapter}/participants/{participant}) or a \
             referral (chapters/{chapter}/referrals/{referral})",
        )),
    }
}

/// A parsed request.
struct Parsed {
    chapter: Slug,
    participant: ParticipantId,
    duplicate: Duplicate,
    resolution: Resolution,
    request_id: Option<RequestId>,
}

fn parse(req: &pb::ResolveDuplicateRequest) -> ApiResult<Parsed> {
    let mut v = Violations::new();
    let name = v.check("name", parse_participant_name(&req.name));
    let duplicate = v.check("duplicate", parse_duplicate_name(&req.duplicate));
    let resolution = v.check("resolution", RESOLUTIONS.parse(req.resolution));
    let request_id = v.check("request_id", RequestId::parse(&req.request_id));
    if let (Some((chapter, id)), Some((other_chapter, other))) = (&name, &duplicate) {
        if chapter != other_chapter {
            v.add("duplicate", "must be in the same chapter as `name`");
        } else if *other == Duplicate::Participant(id.into_uuid()) {
            v.add("duplicate", "must name another record than `name`");
        }
    }
    if let (Some((_, Duplicate::Referral(_))), Some(Resolution::Merge | Resolution::LinkAppAccount)) =
        (&duplicate, resolution)
    {
        v.add(
            "duplicate",
            "must name a participant to merge or to link an app account; a referral is converted \
             (ReferralService.ConvertReferral) or closed as a duplicate instead",
        );
    }
    v.into_result().map_err(ApiError::InvalidArgument)?;
    match (name, duplicate, resolution, request_id) {
        (Some((chapter, participant)), Some((_, duplicate)), Some(resolution), Some(request_id)) => {
            Ok(Parsed {
                chapter,
                participant,
                duplicate,
                resolution,
                request_id,
            })
        }
        _ => Err(ApiError::bug("a checked field is missing")),
    }
}

/// Resolves the flag the request names, for `principal` (a coordinator or an
/// administrator).
pub async fn resolve(
    kit: &Kit,
    principal: &Principal,
    req: &pb::ResolveDuplicateRequest,
) -> ApiResult<pb::ResolveDuplicateResponse> {
    let parsed = parse(req)?;
    scope::managed_chapter(principal, parsed.chapter.as_str(), &req.name)?;
    let by = Resolver {
        actor: &principal.subject,
        at: kit.now(),
    };
    let method = "ResolveDuplicate";
    kit.mutate(principal, method, parsed.request_id, req, async |tx| {
        let survivor = match parsed.duplicate {
            Duplicate::Referral(referral) => {
                let p = find_managed(tx, principal, &req.name, "name", true).await?;
                duplicates::dismiss(tx, &p, Other::Referral(referral), by)
                    .await
                    .named(&req.duplicate)?
            }
            Duplicate::Participant(other) => {
                // Locked in id order: see the module's docs.
                let (p, o) = if parsed.participant.into_uuid() < other {
                    let p = find_managed(tx, principal, &req.name, "name", true).await?;
                    (p, find_managed(tx, principal, &req.duplicate, "duplicate", true).await?)
                } else {
                    let o = find_managed(tx, principal, &req.duplicate, "duplicate", true).await?;
                    (find_managed(tx, principal, &req.name, "name", true).await?, o)
                };
                let done = match parsed.resolution {
                    Resolution::Dismiss => duplicates::dismiss(tx, &p, Other::Participant(&o), by).await,
                    Resolution::Merge => duplicates::merge(tx, &p, &o, Accounts::Keep, by).await,
                    Resolution::LinkAppAccount => duplicates::merge(tx, &p, &o, Accounts::Link, by).await,
                };
                done.named(&req.name)?
            }
        };
        tracing::info!(participant = %survivor.id, resolution = ?parsed.resolution, "duplicate flag resolved");
        Ok(pb::ResolveDuplicateResponse {
            participant: Some(participant_pb(&survivor, View::Coordinator)?),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(
        name: &str,
        duplicate: &str,
        resolution: pb::DuplicateResolution,
    ) -> pb::ResolveDuplicateRequest {
        pb::ResolveDuplicateRequest {
            name: name.into(),
            duplicate: duplicate.into(),
            resolution: resolution as i32,
            request_id: String::new(),
        }
    }

    fn bad_fields(req: &pb::ResolveDuplicateRequest) -> Vec<String> {
        match parse(req) {
            Err(ApiError::InvalidArgument(v)) => v.into_iter().map(|f| f.field).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let req = request(
            "chapters/botkyrka/people/1",
            "nobody",
            pb::DuplicateResolution::Unspecified,
        );
        assert_eq!(bad_fields(&req), ["name", "duplicate", "resolution"]);
    }

    #[test]
    fn a_referral_may_only_be_dismissed_and_a_record_is_not_its_own_duplicate() {
        let p = format!("chapters/botkyrka/participants/{}", Uuid::now_v7());
        let r = format!("chapters/botkyrka/referrals/{}", Uuid::now_v7());
        assert!(parse(&request(&p, &r, pb::DuplicateResolution::Dismiss)).is_ok());
        assert_eq!(
            bad_fields(&request(&p, &r, pb::DuplicateResolution::Merge)),
            ["duplicate"]
        );
        assert_eq!(
            bad_fields(&request(&p, &p, pb::DuplicateResolution::Dismiss)),
            ["duplicate"]
        );
        let elsewhere = format!("chapters/huddinge/participants/{}", Uuid::now_v7());
        assert_eq!(
            bad_fields(&request(&p, &elsewhere, pb::DuplicateResolution::Merge)),
            ["duplicate"]
        );
    }
}
