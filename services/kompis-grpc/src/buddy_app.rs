//! `kompis.v1.BuddyAppService`, the part a participant needs to apply: sign up, see
//! their own profile, and follow their application and place in the queue.
//!
//! How a sign-up is tied to the token: a participant token always carries a participant
//! id (the `participant` claim), minted by the account service when the app account is
//! created, before the person has applied. `SignUp` creates the participant with exactly
//! that id, so the same token works before and after signing up and no new token is
//! needed. Before `SignUp`, the other methods answer FAILED_PRECONDITION with reason
//! `RESOURCE_NOT_FOUND`; a second `SignUp` for the same id is ALREADY_EXISTS, except a
//! retry with the same `request_id`, which returns the participant created the first
//! time. Once a coordinator links the app account to the participant a referral created
//! (`ParticipantService.ResolveDuplicate`), the account owns that participant, and the
//! same token shows it.
//!
//! The chapter is the one covering the chosen district's municipality. A phone number
//! or e-mail address already known in that chapter is flagged to its coordinators
//! (`possible_duplicates`), never refused and never shown to the participant.
//!
//! The participant's notifications (inbox, live stream, settings) are in
//! [`notifications`]; their buddies and answers to proposals in [`buddies`]; their
//! invitations to activities in [`invitations`]; their check-ins and ending their own
//! match in [`crate::follow_up`]; correcting their own details in [`profile`].

mod buddies;
mod invitations;
mod notifications;
mod pairs;
mod profile;
mod withdrawal;

use kompis_domain::{BirthYear, ParticipantRole, ParticipantState, Violations};
use kompis_proto::v1 as pb;
use kompis_proto::v1::ErrorReason;
use kompis_proto::v1::buddy_app_service_server::BuddyAppService;
use kompis_store::erasure::{self, ErasureReason};
use kompis_store::participants::{self, NewParticipant, Participant, PersonalDetails, Source};
use kompis_store::{chapters, interviews, places};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::audit::{Action, Named};
use crate::kit::convert::timestamp;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::{IntoApi, Kit, RequestId, ok, respond};
use crate::parse::person::{
    parse_consent, parse_contact, parse_gender, parse_languages, parse_person_name, parse_swedish_level,
};
use crate::parse::profile::{parse_district_name, stored_language};
use crate::views::interview::my_interview_pb;
use crate::views::participant::{View, parse_role, participant_pb, state_pb};

/// The BuddyAppService implementation.
#[derive(Debug, Clone)]
pub struct BuddyApp {
    kit: Kit,
}

impl BuddyApp {
    /// A service on `kit`.
    pub fn new(kit: Kit) -> Self {
        Self { kit }
    }

    /// The caller's participant, or UNAUTHENTICATED before they signed up: the one
    /// the caller's account owns (after a coordinator linked the account to the
    /// participant a referral created, that one), else the one with the token's id.
    ///
    /// A participant bound to an app account (the `sub` that signed up, or was linked)
    /// belongs to that account alone: a token naming the same participant under another
    /// `sub` gets exactly the answer of a participant that does not exist.
    ///
    /// A token that names no signed-up participant of its account (none yet, another
    /// account's, or an erased one) is refused with the same UNAUTHENTICATED and message
    /// as any other refused token, so the answer tells nothing about who exists. SignUp
    /// is the one call such a token may make; it answers ALREADY_EXISTS for someone who
    /// has signed up, which is how an app learns that it need not sign up again.
    async fn me(&self, principal: &Principal) -> ApiResult<Participant> {
        let id = caller_id(principal)?;
        match participants::participant_of_account(self.kit.store().pool(), id, &principal.subject).await {
            Ok(p) => {
                refuse_unless_own(principal, p.account_subject.as_deref(), p.erase_time.is_some())?;
                Ok(p)
            }
            Err(kompis_store::StoreError::NotFound) => {
                tracing::info!("a participant token naming nobody signed up was refused");
                Err(not_signed_up())
            }
            Err(e) => Err(e.into()),
        }
    }
}

impl BuddyApp {
    /// [`BuddyApp::me`], and `named` set to the caller's record as read, so that the
    /// call's access record is named without a statement of its own.
    async fn me_named(&self, principal: &Principal, named: &mut Named) -> ApiResult<Participant> {
        let me = self.me(principal).await?;
        *named = Named::own(principal, me.id, &me.chapter_id);
        Ok(me)
    }
}

/// Refuses, as not signed up, a participant found for `principal` that is bound to
/// another account or was erased (a tombstone: the token answers as before sign-up).
fn refuse_unless_own(principal: &Principal, account_subject: Option<&str>, erased: bool) -> ApiResult<()> {
    if account_subject.is_some_and(|s| s != principal.subject) {
        tracing::info!("a participant token under another account was refused");
        return Err(not_signed_up());
    }
    if erased {
        tracing::info!("a participant token of an erased participant was refused");
        return Err(not_signed_up());
    }
    Ok(())
}

/// A token naming no signed-up participant of its account: refused like every other
/// token the service does not accept (the same code, reason and message).
fn not_signed_up() -> ApiError {
    ApiError::Unauthenticated(ErrorReason::InvalidToken)
}

/// The participant id in the caller's token; only participants call this service.
fn caller_id(principal: &Principal) -> ApiResult<Uuid> {
    principal
        .participant
        .ok_or(ApiError::Unauthenticated(ErrorReason::InvalidToken))
}

/// A sign-up refused by a unique constraint, told so that it agrees with GetMyProfile:
/// either this participant id signed up before (GetMyProfile shows it), or the caller's
/// account (the token's subject) signed up before under another participant id, which
/// the token in hand does not carry.
fn sign_up_conflict(error: kompis_store::StoreError, id: Uuid) -> ApiError {
    match error {
        kompis_store::StoreError::AlreadyExists(constraint) if constraint.contains("account_subject") => {
            ApiError::AlreadyExists(
                "a participant for the caller's account (the token's subject) under another \
                 participant id: sign in with the token of that participant"
                    .into(),
            )
        }
        kompis_store::StoreError::AlreadyExists(_) => ApiError::AlreadyExists(format!("participants/{id}")),
        e => e.into(),
    }
}

/// A sign-up, parsed.
struct SignUp {
    role: ParticipantRole,
    person: PersonalDetails,
    profile: participants::Profile,
}

fn parse_sign_up(v: &mut Violations, req: &pb::SignUpRequest, year: i32) -> Option<SignUp> {
    let role = v.check("role", parse_role(req.role));
    let name = parse_person_name(v, "person_name", req.person_name.as_ref());
    let contact = parse_contact(v, "contact", req.contact.as_ref());
    let birth_year = v.check("birth_year", BirthYear::for_referral(req.birth_year, year));
    let gender = v.check("gender", parse_gender(req.gender));
    let district = v.check("district", parse_district_name(&req.district));
    let languages = parse_languages(v, "languages", &req.languages);
    let swedish_level = match (&req.swedish_level, role) {
        (None, Some(ParticipantRole::EstablishedResident)) => Some(None),
        (level, _) => v
            .check("swedish_level", parse_swedish_level(level.as_ref()))
            .map(Some),
    };
    let name = name?;
    let (district, languages, swedish_level) = (district?, languages?, swedish_level?);
    Some(SignUp {
        role: role?,
        person: PersonalDetails {
            given_name: name.given,
            family_name: name.family,
            display_name: name.display,
            contact: contact?,
            birth_year: birth_year?,
            gender: gender?,
        },
        profile: participants::Profile {
            languages: languages.iter().map(stored_language).collect(),
            swedish_level: swedish_level.map(|l| l.as_str().to_owned()),
            municipality_id: district.0.as_str().to_owned(),
            district_id: district.1.as_str().to_owned(),
            buddy_capacity: 1,
            ..Default::default()
        },
    })
}

#[tonic::async_trait]
impl BuddyAppService for BuddyApp {
    #[tracing::instrument(skip_all, fields(rpc = "SignUp", participant))]
    async fn sign_up(
        &self,
        request: Request<pb::SignUpRequest>,
    ) -> Result<Response<pb::SignUpResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Own;
        let outcome: Result<Response<pb::SignUpResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let id = caller_id(principal)?;
            tracing::Span::current().record("participant", tracing::field::display(id));
            let req = request.get_ref();
            let mut v = Violations::new();
            let now = self.kit.now();
            let rid = v.check("request_id", RequestId::parse(&req.request_id));
            let parsed = parse_sign_up(&mut v, req, now.year());
            let consent = parse_consent(&mut v, "consent", req.consent.as_ref(), &principal.subject, now);
            // The district must exist; the chapter is the one covering its municipality.
            // Checked even when another field is bad, so that every bad field is named at
            // once (a malformed district was reported by `parse_sign_up`).
            let mut chapter = None;
            if let Ok((municipality, district)) = parse_district_name(&req.district) {
                let pool = self.kit.store().pool();
                match places::get_district(pool, &municipality, &district).await {
                    Ok(_) => {
                        chapter = chapters::chapter_of_municipality(pool, &municipality)
                            .await
                            .named(&req.district)?;
                        if chapter.is_none() {
                            return Err(
                                ApiError::NotFound(format!("the chapter covering {}", req.district)).into(),
                            );
                        }
                    }
                    Err(kompis_store::StoreError::NotFound) => {
                        v.add("district", "is not a known district");
                    }
                    Err(e) => return Err(ApiError::from(e).into()),
                }
            }
            let violations = v.into_result();
            let consent = match (consent, violations) {
                (Err(()), result) => {
                    return Err(ApiError::InvalidWithReason(
                        ErrorReason::ConsentMissing,
                        result.err().unwrap_or_default(),
                    )
                    .into());
                }
                (Ok(_), Err(violations)) => return Err(ApiError::InvalidArgument(violations).into()),
                (Ok(consent), Ok(())) => consent,
            };
            let (Some(rid), Some(parsed), Some(chapter)) = (rid, parsed, chapter) else {
                return Err(ApiError::Internal("a checked field is missing".into()).into());
            };
            let chapter = kompis_domain::Slug::parse(&chapter).map_err(|e| ApiError::Internal(e.into()))?;
            let new = NewParticipant {
                id,
                chapter_id: chapter,
                role: parsed.role,
                source: Source::SelfSignUp,
                referral_id: None,
                account_subject: Some(principal.subject.clone()),
                person: parsed.person,
                consent: participants::ConsentRecord {
                    given_by: consent.given_by,
                    give_time: consent.give_time,
                    text_version: consent.text_version,
                },
                profile: parsed.profile,
                first_note: None,
                actor: principal.subject.clone(),
                at: now,
            };
            respond(
                self.kit
                    .mutate(principal, "SignUp", rid, req, async |tx| {
                        let created = participants::insert_participant(tx, &new)
                            .await
                            .map_err(|e| sign_up_conflict(e, id))?;
                        Ok(pb::SignUpResponse {
                            participant: Some(participant_pb(&created, View::Own)?),
                        })
                    })
                    .await,
            )
        }
        .await;
        self.kit
            .audit_call(&principal, "SignUp", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetMyProfile"))]
    async fn get_my_profile(
        &self,
        request: Request<pb::GetMyProfileRequest>,
    ) -> Result<Response<pb::GetMyProfileResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let me = self.me(principal).await?;
        let outcome =
            participant_pb(&me, View::Own).map(|p| pb::GetMyProfileResponse { participant: Some(p) });
        respond(
            self.kit
                .audit(
                    principal,
                    "GetMyProfile",
                    Some(me.id),
                    &me.resource_name(),
                    Action::Read,
                    outcome,
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateMyProfile"))]
    async fn update_my_profile(
        &self,
        request: Request<pb::UpdateMyProfileRequest>,
    ) -> Result<Response<pb::UpdateMyProfileResponse>, Status> {
        respond(self.update_own_profile(request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetMyApplication"))]
    async fn get_my_application(
        &self,
        request: Request<pb::GetMyApplicationRequest>,
    ) -> Result<Response<pb::GetMyApplicationResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::GetMyApplicationResponse>, Status> = async {
            let me = self
                .me_named(Principal::from_request(&request)?, &mut named)
                .await?;
            let pool = self.kit.store().pool();
            let (position, length) = participants::queue_position(pool, &me)
                .await
                .named("participant")?;
            let chapter = chapters::get_chapter(
                pool,
                &kompis_domain::Slug::parse(&me.chapter_id).map_err(|e| ApiError::Internal(e.into()))?,
            )
            .await
            .named("chapter")?;
            let state = me.parsed_state().api()?;
            let ready = state == ParticipantState::Ready;
            let clamp = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
            let booked = interviews::booked_interview(pool, me.id).await.api()?;
            ok(pb::GetMyApplicationResponse {
                application: Some(pb::MyApplication {
                    state: state_pb(state),
                    queue_position: if ready { clamp(position) } else { 0 },
                    queue_length: clamp(length),
                    waiting_since: if ready {
                        me.waiting_since.and_then(timestamp)
                    } else {
                        None
                    },
                    interview_time: booked.as_ref().and_then(|i| timestamp(i.schedule_time)),
                    chapter_display_name: chapter.display_name,
                    interview: booked.as_ref().map(my_interview_pb).transpose()?,
                }),
            })
        }
        .await;
        self.kit
            .audit_call(&principal, "GetMyApplication", named, Action::Read, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetMyBuddy"))]
    async fn get_my_buddy(
        &self,
        request: Request<pb::GetMyBuddyRequest>,
    ) -> Result<Response<pb::GetMyBuddyResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::GetMyBuddyResponse>, Status> =
            respond(self.my_buddies(request, &mut named).await);
        self.kit
            .audit_call(&principal, "GetMyBuddy", named, Action::Read, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "RespondToProposal"))]
    async fn respond_to_proposal(
        &self,
        request: Request<pb::RespondToProposalRequest>,
    ) -> Result<Response<pb::RespondToProposalResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::RespondToProposalResponse>, Status> =
            respond(self.answer_proposal(request, &mut named).await);
        self.kit
            .audit_call(&principal, "RespondToProposal", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListMyInvitations"))]
    async fn list_my_invitations(
        &self,
        request: Request<pb::ListMyInvitationsRequest>,
    ) -> Result<Response<pb::ListMyInvitationsResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::ListMyInvitationsResponse>, Status> =
            respond(self.list_invitations(request, &mut named).await);
        self.kit
            .audit_call(&principal, "ListMyInvitations", named, Action::Read, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "RespondToInvitation"))]
    async fn respond_to_invitation(
        &self,
        request: Request<pb::RespondToInvitationRequest>,
    ) -> Result<Response<pb::RespondToInvitationResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::RespondToInvitationResponse>, Status> =
            respond(self.answer_invitation(request, &mut named).await);
        self.kit
            .audit_call(&principal, "RespondToInvitation", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "CheckIn"))]
    async fn check_in(
        &self,
        request: Request<pb::CheckInRequest>,
    ) -> Result<Response<pb::CheckInResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::CheckInResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let me = self.me_named(principal, &mut named).await?;
            respond(crate::follow_up::check_in(&self.kit, principal, &me, request.get_ref()).await)
        }
        .await;
        self.kit
            .audit_call(&principal, "CheckIn", named, Action::Change, outcome)
            .await
    }

    type StreamNotificationsStream = notifications::NotificationStream;

    #[tracing::instrument(skip_all, fields(rpc = "StreamNotifications"))]
    async fn stream_notifications(
        &self,
        request: Request<pb::StreamNotificationsRequest>,
    ) -> Result<Response<Self::StreamNotificationsStream>, Status> {
        respond(self.notification_stream(request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListMyNotifications"))]
    async fn list_my_notifications(
        &self,
        request: Request<pb::ListMyNotificationsRequest>,
    ) -> Result<Response<pb::ListMyNotificationsResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::ListMyNotificationsResponse>, Status> =
            respond(self.list_notifications(request, &mut named).await);
        self.kit
            .audit_call(&principal, "ListMyNotifications", named, Action::Read, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetNotification"))]
    async fn get_notification(
        &self,
        request: Request<pb::GetNotificationRequest>,
    ) -> Result<Response<pb::GetNotificationResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::GetNotificationResponse>, Status> =
            respond(self.get_own_notification(request, &mut named).await);
        self.kit
            .audit_call(&principal, "GetNotification", named, Action::Read, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "MarkNotificationRead"))]
    async fn mark_notification_read(
        &self,
        request: Request<pb::MarkNotificationReadRequest>,
    ) -> Result<Response<pb::MarkNotificationReadResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::MarkNotificationReadResponse>, Status> =
            respond(self.mark_own_notification_read(request, &mut named).await);
        self.kit
            .audit_call(&principal, "MarkNotificationRead", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetMyNotificationSettings"))]
    async fn get_my_notification_settings(
        &self,
        request: Request<pb::GetMyNotificationSettingsRequest>,
    ) -> Result<Response<pb::GetMyNotificationSettingsResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::GetMyNotificationSettingsResponse>, Status> =
            respond(self.get_notification_settings(request, &mut named).await);
        self.kit
            .audit_call(
                &principal,
                "GetMyNotificationSettings",
                named,
                Action::Read,
                outcome,
            )
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateMyNotificationSettings"))]
    async fn update_my_notification_settings(
        &self,
        request: Request<pb::UpdateMyNotificationSettingsRequest>,
    ) -> Result<Response<pb::UpdateMyNotificationSettingsResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::UpdateMyNotificationSettingsResponse>, Status> =
            respond(self.update_notification_settings(request, &mut named).await);
        self.kit
            .audit_call(
                &principal,
                "UpdateMyNotificationSettings",
                named,
                Action::Change,
                outcome,
            )
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "CancelMyInterview"))]
    async fn cancel_my_interview(
        &self,
        request: Request<pb::CancelMyInterviewRequest>,
    ) -> Result<Response<pb::CancelMyInterviewResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::CancelMyInterviewResponse>, Status> =
            respond(self.cancel_own_interview(request, &mut named).await);
        self.kit
            .audit_call(&principal, "CancelMyInterview", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "WithdrawFromProgramme"))]
    async fn withdraw_from_programme(
        &self,
        request: Request<pb::WithdrawFromProgrammeRequest>,
    ) -> Result<Response<pb::WithdrawFromProgrammeResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::WithdrawFromProgrammeResponse>, Status> =
            respond(self.withdraw_self(request, &mut named).await);
        self.kit
            .audit_call(
                &principal,
                "WithdrawFromProgramme",
                named,
                Action::Change,
                outcome,
            )
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "ExportMyData"))]
    async fn export_my_data(
        &self,
        request: Request<pb::ExportMyDataRequest>,
    ) -> Result<Response<pb::ExportMyDataResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let me = self.me(principal).await?;
        let outcome = crate::views::export::export_pb(&self.kit, me.id)
            .await
            .map(|export| pb::ExportMyDataResponse { export: Some(export) });
        respond(
            self.kit
                .audit(
                    principal,
                    "ExportMyData",
                    Some(me.id),
                    &me.resource_name(),
                    Action::Export,
                    outcome,
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "EraseMyData"))]
    async fn erase_my_data(
        &self,
        request: Request<pb::EraseMyDataRequest>,
    ) -> Result<Response<pb::EraseMyDataResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let me = self.me(principal).await?;
        let req = request.get_ref();
        let rid = RequestId::parse(&req.request_id)
            .map_err(|e| ApiError::invalid("request_id", e.into_description()))?;
        let reason = if req.consent_withdrawn {
            ErasureReason::ConsentWithdrawn
        } else {
            ErasureReason::PersonRequested
        };
        let now = self.kit.now();
        let outcome = self
            .kit
            .mutate(principal, "EraseMyData", rid, req, async |tx| {
                erasure::erase_participant(tx, me.id, reason, &principal.subject, now)
                    .await
                    .named("participant")?;
                Ok(pb::EraseMyDataResponse {})
            })
            .await;
        respond(
            self.kit
                .audit(
                    principal,
                    "EraseMyData",
                    Some(me.id),
                    &me.resource_name(),
                    Action::Erase,
                    outcome,
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "EndMyMatch"))]
    async fn end_my_match(
        &self,
        request: Request<pb::EndMyMatchRequest>,
    ) -> Result<Response<pb::EndMyMatchResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let mut named = Named::Own;
        let outcome: Result<Response<pb::EndMyMatchResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let me = self.me_named(principal, &mut named).await?;
            respond(crate::follow_up::end_my_match(&self.kit, principal, &me, request.get_ref()).await)
        }
        .await;
        self.kit
            .audit_call(&principal, "EndMyMatch", named, Action::Change, outcome)
            .await
    }
}
