//! The participant corrects their own details in the app: `UpdateMyProfile`.
//!
//! What the participant may set is a closed list ([`OWN_PATHS`]): contact details, the
//! preferred name, district, languages and levels, availability, interests, wishes,
//! meeting preference, and how and in which language they are notified. Everything
//! else is the programme's to decide (state, role, chapter, consent, the name, the
//! buddy capacity, a family situation an interview recorded): a mask naming it is
//! refused with a violation naming that field (`participant.{path}`), so a client cannot
//! slip a field in beside the ones it may set (mass assignment).
//!
//! A change to what matching uses ([`MATCHING_PATHS`]) is in force at once, so that the
//! next proposal already sees the new district or languages, and sets the participant's
//! `profile_review_time` (kept at the first unreviewed change) for a coordinator to look
//! at; the coordinator clears it with `UpdateParticipant`. Coordinators find such
//! participants with `ListParticipants` (`profile_review_pending`).

use kompis_domain::{ParticipantRole, ParticipantState, Violations};
use kompis_proto::v1 as pb;
use kompis_proto::v1::ErrorReason;
use kompis_store::{notifications, participants};
use tonic::Request;

use super::BuddyApp;
use super::notifications::{parse_language, settings_pb};
use crate::auth::Principal;
use crate::kit::IntoApi;
use crate::kit::audit::Action;
use crate::kit::convert::snake_case_path;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::parse::participant::{check_places, merge, parse_participant};
use crate::parse::profile::Completeness;
use crate::views::participant::{View, participant_pb};

/// The mask paths a participant may name, in snake_case.
pub const OWN_PATHS: &[&str] = &[
    "person_name.display_name",
    "contact",
    "district",
    "profile.district",
    "profile.languages",
    "profile.swedish_level",
    "profile.availability",
    "profile.interests",
    "profile.free_tags",
    "profile.meeting_preference",
    "profile.wishes",
    "notification_settings.email",
    "notification_settings.language_code",
];

/// The paths whose change matching sees, flagged for a coordinator's review.
pub const MATCHING_PATHS: &[&str] = &[
    "district",
    "profile.district",
    "profile.languages",
    "profile.swedish_level",
    "profile.availability",
    "profile.interests",
    "profile.free_tags",
    "profile.meeting_preference",
    "profile.wishes",
];

const SETTINGS_PREFIX: &str = "notification_settings.";

/// The mask's paths, each one the participant may set; every other path is a violation
/// naming the field it would have set.
fn own_paths(v: &mut Violations, mask: Option<&prost_types::FieldMask>) -> Vec<&'static str> {
    let mut paths = Vec::new();
    match mask {
        None => v.add("update_mask", "is required: name the fields to update"),
        Some(m) if m.paths.is_empty() => v.add("update_mask", "must name at least one field"),
        Some(m) => {
            for path in &m.paths {
                let snake = snake_case_path(path);
                match OWN_PATHS.iter().find(|a| **a == snake) {
                    Some(known) if !paths.contains(known) => paths.push(*known),
                    Some(_) => {}
                    None => {
                        let field = if snake.starts_with(SETTINGS_PREFIX) {
                            snake
                        } else {
                            format!("participant.{snake}")
                        };
                        v.add(
                            field,
                            format!(
                                "cannot be set by the participant; the fields they may set: {}",
                                OWN_PATHS.join(", ")
                            ),
                        );
                    }
                }
            }
        }
    }
    paths
}

impl BuddyApp {
    pub(super) async fn update_own_profile(
        &self,
        request: Request<pb::UpdateMyProfileRequest>,
    ) -> ApiResult<pb::UpdateMyProfileResponse> {
        let principal = Principal::from_request(&request)?;
        let me = self.me(principal).await?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let paths = own_paths(&mut v, req.update_mask.as_ref());
        let (settings_paths, person_paths): (Vec<&str>, Vec<&str>) =
            paths.iter().partition(|p| p.starts_with(SETTINGS_PREFIX));
        let input = if person_paths.is_empty() {
            None
        } else {
            v.require("participant", req.participant.as_ref())
        };
        let settings_in = if settings_paths.is_empty() {
            None
        } else {
            v.require("notification_settings", req.notification_settings.as_ref())
        };
        v.into_result().map_err(ApiError::InvalidArgument)?;

        let now = self.kit.now();
        let mut tx = self.kit.begin().await?;
        let mut v = Violations::new();

        // The participant's fields: merged into the current ones and parsed whole, as a
        // coordinator's update is, so that the result is a valid participant.
        let mut parsed = None;
        if let Some(input) = input {
            let role: ParticipantRole = me
                .role
                .parse()
                .map_err(|e: kompis_domain::FieldError| ApiError::Internal(e.into()))?;
            let mut merged = participant_pb(&me, View::Coordinator)?;
            if person_paths.contains(&"person_name.display_name") {
                let display = input
                    .person_name
                    .as_ref()
                    .map(|n| n.display_name.clone())
                    .unwrap_or_default();
                merged
                    .person_name
                    .get_or_insert_with(Default::default)
                    .display_name = display;
            }
            let rest: Vec<&str> = person_paths
                .iter()
                .copied()
                .filter(|p| *p != "person_name.display_name")
                .collect();
            merge(&mut merged, input, &rest);
            let completeness = match me.parsed_state().api()? {
                ParticipantState::Ready | ParticipantState::Matched => Completeness::Approved,
                _ => Completeness::Partial,
            };
            let p = parse_participant(
                &mut v,
                "participant",
                &merged,
                Some(role),
                &me.chapter_id,
                completeness,
                now.year(),
            );
            check_places(&mut tx, &mut v, "participant", &me.chapter_id, &p).await?;
            parsed = Some(p);
        }

        let mut settings = notifications::settings(&mut *tx, me.id).await?;
        if let Some(given) = settings_in {
            for path in &settings_paths {
                if *path == "notification_settings.email" {
                    settings.email = given.email;
                } else if let Some(code) = v.check(
                    "notification_settings.language_code",
                    parse_language(&given.language_code),
                ) {
                    settings.language = code;
                }
            }
        }
        v.into_result().map_err(ApiError::InvalidArgument)?;

        let mut flagged = false;
        if let Some(parsed) = parsed {
            let (Some(person), Some(profile)) = (parsed.person, parsed.profile) else {
                return Err(ApiError::Internal("a parsed participant lacks a field".into()));
            };
            // E-mail notifications need an address, also after the contact changed.
            check_email(settings.email, person.contact.email().is_some())?;
            participants::update_participant(&mut *tx, me.id, &person, &profile, now)
                .await
                .named("participant")?;
            if person_paths.iter().any(|p| MATCHING_PATHS.contains(p)) && profile != me.profile() {
                participants::flag_profile_review(&mut *tx, me.id, now)
                    .await
                    .named("participant")?;
                flagged = true;
            }
        } else {
            check_email(settings.email, me.email.is_some())?;
        }
        if !settings_paths.is_empty() {
            notifications::put_settings(&mut *tx, me.id, &settings, now).await?;
        }
        let updated = participants::get_participant(&mut *tx, me.id)
            .await
            .named("participant")?;
        self.kit.commit(tx).await?;
        self.kit
            .audit(
                principal,
                "UpdateMyProfile",
                Some(me.id),
                &me.resource_name(),
                Action::Change,
                Ok(()),
            )
            .await?;
        tracing::info!(participant = %me.id, review = flagged, "the participant updated their profile");
        Ok(pb::UpdateMyProfileResponse {
            participant: Some(participant_pb(&updated, View::Own)?),
            notification_settings: Some(settings_pb(&updated, &settings)),
        })
    }
}

/// E-mail notifications without an e-mail address are refused.
fn check_email(email_chosen: bool, has_address: bool) -> ApiResult<()> {
    if email_chosen && !has_address {
        return Err(ApiError::precondition(
            ErrorReason::EmailAddressMissing,
            "e-mail notifications need an e-mail address in the contact details",
        ));
    }
    Ok(())
}
