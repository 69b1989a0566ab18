//! `kompis.v1.ParticipantService`: coordinators register, find, correct, withdraw and
//! return participants, and read the waiting list with its shortage counts.
//!
//! Coordinators act in their own chapter only; a participant of another chapter is
//! NOT_FOUND, as if it did not exist. Administrators act everywhere. Referrers and
//! participants are refused (participants use `BuddyAppService`).
//!
//! Duplicates are flagged, not refused: a participant whose phone number or e-mail
//! address matches another participant or a referral of the chapter is registered, and
//! `possible_duplicates` (coordinators only) names the others. The list is computed when
//! read, so the earlier registration shows the later one too. Coordinators resolve a
//! flag in [`duplicates`]; their note history about a participant is in [`notes`].

mod duplicates;
mod notes;
mod search;

use kompis_domain::{
    FieldError, FreeText, LanguageCode, ParticipantRole, ParticipantState, ReferralId, Role, Slug, Violations,
};
use kompis_proto::v1 as pb;
use kompis_proto::v1::ErrorReason;
use kompis_proto::v1::participant_service_server::ParticipantService;
use kompis_store::audit::Person;
use kompis_store::erasure::{self, ErasureReason};
use kompis_store::participants::{self, ListFilter, NewParticipant, Shortage, Source, WaitingFilter};
use kompis_store::{chapters, intake};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::audit::{Action, Named};
use crate::kit::convert::{from_timestamp, timestamp, update_paths};
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::names;
use crate::kit::page::Page;
use crate::kit::scope;
use crate::kit::{IntoApi, Kit, RequestId, ok, respond};
use crate::parse::participant::{
    check_chapter_district_and_interests, check_places, merge, parse_participant,
};
use crate::parse::person::parse_consent;
use crate::parse::profile::{Completeness, parse_district_name};
use crate::views::participant::{
    View, bad_page_token, find_managed, find_managed_or_erased, parse_participant_name, parse_role,
    parse_state, parse_time_key, participant_pb, time_key,
};

/// Longest reason for a withdrawal or return, in characters.
pub const REASON_MAX: usize = 500;

/// Why a state change happened: at most [`REASON_MAX`] characters.
pub type Reason = FreeText<REASON_MAX>;

/// The fields `UpdateParticipant` accepts in its mask.
const UPDATABLE: &[&str] = &[
    "person_name",
    "contact",
    "birth_year",
    "gender",
    "district",
    "profile",
    "profile.languages",
    "profile.swedish_level",
    "profile.interests",
    "profile.free_tags",
    "profile.district",
    "profile.availability",
    "profile.meeting_preference",
    "profile.wishes",
    "profile.buddy_capacity",
    "profile.has_children",
    "profile_review_time",
];

/// The ParticipantService implementation.
#[derive(Debug, Clone)]
pub struct Participants {
    kit: Kit,
}

impl Participants {
    /// A service on `kit`.
    pub fn new(kit: Kit) -> Self {
        Self { kit }
    }
}

/// Parses the `parent` of a create or a list: `chapters/{chapter}` in the caller's
/// scope, or NOT_FOUND.
fn managed_chapter(principal: &Principal, field: &str, parent: &str) -> ApiResult<Slug> {
    let chapter =
        names::parse_one(parent, "chapters").map_err(|e| ApiError::invalid(field, e.into_description()))?;
    scope::managed_chapter(principal, chapter.as_str(), parent)?;
    Ok(chapter)
}

/// The reason of an erasure, from the closed set of the contract.
fn erasure_reason(value: i32) -> Result<ErasureReason, &'static str> {
    match pb::ErasureReason::try_from(value) {
        Ok(pb::ErasureReason::PersonRequested) => Ok(ErasureReason::PersonRequested),
        Ok(pb::ErasureReason::ConsentWithdrawn) => Ok(ErasureReason::ConsentWithdrawn),
        Ok(pb::ErasureReason::Other) => Ok(ErasureReason::Other),
        _ => Err("is required: one of the ErasureReason values"),
    }
}

fn audited(name: &str) -> Option<Uuid> {
    let participant: String = name.split('/').take(4).collect::<Vec<_>>().join("/");
    parse_participant_name(&participant)
        .ok()
        .map(|(_, id)| id.into_uuid())
}

/// Parses the person whose audit log is read: a participant
/// (`chapters/{chapter}/participants/{participant}`) or a referral
/// (`chapters/{chapter}/referrals/{referral}`), for a referred learner who has not
/// become a participant (or to start from the referral of one who has).
fn parse_person_name(name: &str) -> Result<Person, FieldError> {
    if let Ok((_, id)) = parse_participant_name(name) {
        return Ok(Person::Participant(id.into_uuid()));
    }
    match name.split('/').collect::<Vec<_>>().as_slice() {
        ["chapters", chapter, "referrals", id] => {
            Slug::parse(chapter)?;
            Ok(Person::Referral(ReferralId::parse(id)?.into_uuid()))
        }
        _ => Err(FieldError::new(
            "must name a participant (chapters/{chapter}/participants/{participant}) or a \
             referral (chapters/{chapter}/referrals/{referral})",
        )),
    }
}

/// The proto form of an audit record.
fn access_record_pb(r: &kompis_store::audit::AccessRecord) -> pb::AccessRecord {
    pb::AccessRecord {
        occur_time: timestamp(r.occur_time),
        actor: r.actor_subject.clone(),
        actor_role: r.actor_role.clone(),
        object: r.object.clone(),
        action: r.action.clone(),
        method: r.method.clone(),
        purpose: r.purpose.clone(),
        allowed: r.allowed,
    }
}

/// Parses an optional language filter.
fn language_filter(v: &mut Violations, field: &str, code: &str) -> Option<LanguageCode> {
    if code.is_empty() {
        None
    } else {
        v.check(field, LanguageCode::parse(code))
    }
}

/// Parses an optional district filter.
fn district_filter(v: &mut Violations, field: &str, name: &str) -> Option<(String, String)> {
    if name.is_empty() {
        None
    } else {
        v.check(field, parse_district_name(name))
            .map(|(m, d)| (m.into_string(), d.into_string()))
    }
}

/// Merges the counts of one language spelt two ways (`ar`, `ara`) and orders them
/// largest shortage first, then by code.
fn merge_language_counts(rows: Vec<Shortage>) -> Vec<Shortage> {
    let mut merged: Vec<Shortage> = Vec::with_capacity(rows.len());
    for mut row in rows {
        if let Ok(code) = LanguageCode::parse(&row.key) {
            row.key = code.alpha2().unwrap_or(code.alpha3()).to_owned();
        }
        match merged.iter_mut().find(|m| m.key == row.key) {
            Some(m) => {
                m.waiting_newcomers += row.waiting_newcomers;
                m.free_resident_places += row.free_resident_places;
            }
            None => merged.push(row),
        }
    }
    merged.sort_by(|a, b| b.shortage().cmp(&a.shortage()).then(a.key.cmp(&b.key)));
    merged
}

fn shortage_pb(row: &Shortage, key: pb::shortage_count::Key) -> pb::ShortageCount {
    let clamp = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    pb::ShortageCount {
        key: Some(key),
        waiting_newcomers: clamp(row.waiting_newcomers),
        free_resident_places: clamp(row.free_resident_places),
        shortage: clamp(row.shortage()),
    }
}

/// Checks what a new participant names against the database: the chapter (NOT_FOUND,
/// named `parent`, when it does not exist), then the district and the profile's
/// interests, whose faults go to `v`.
async fn check_references(
    tx: &mut kompis_store::Tx,
    v: &mut Violations,
    chapter: &Slug,
    parent: &str,
    district: Option<&(Slug, Slug)>,
    profile: Option<&participants::Profile>,
) -> ApiResult<()> {
    check_chapter_district_and_interests(tx, v, "participant", chapter, parent, district, profile).await
}

#[tonic::async_trait]
impl ParticipantService for Participants {
    #[tracing::instrument(skip_all, fields(rpc = "CreateParticipant", participant))]
    async fn create_participant(
        &self,
        request: Request<pb::CreateParticipantRequest>,
    ) -> Result<Response<pb::CreateParticipantResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        // Whether the call's access record was written with the participant.
        let mut recorded = false;
        let outcome: Result<Response<pb::CreateParticipantResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let chapter = managed_chapter(principal, "parent", &req.parent)?;
            let mut v = Violations::new();
            let rid = v.check("request_id", RequestId::parse(&req.request_id));
            let Some(input) = v.require("participant", req.participant.as_ref()) else {
                return Err(ApiError::InvalidArgument(v.into_result().unwrap_err()).into());
            };
            let parsed = parse_participant(
                &mut v,
                "participant",
                input,
                None,
                chapter.as_str(),
                Completeness::Partial,
                self.kit.now().year(),
            );
            let now = self.kit.now();
            let consent = parse_consent(
                &mut v,
                "participant.consent",
                input.consent.as_ref(),
                &principal.subject,
                now,
            );
            // A request that parsed is checked against the database (chapter, district,
            // interests) inside the transaction that writes it, saving a transaction of its
            // own; one that did not is checked apart, so that every fault is answered at once.
            let parsed_cleanly = v.is_empty() && consent.is_ok();
            if !parsed_cleanly {
                let mut conn = self.kit.begin().await?;
                check_references(
                    &mut conn,
                    &mut v,
                    &chapter,
                    &req.parent,
                    parsed.district.as_ref(),
                    parsed.profile.as_ref(),
                )
                .await?;
                drop(conn);
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
            let district = parsed.district;
            let (Some(rid), Some(role), Some(person), Some(profile)) =
                (rid, parsed.role, parsed.person, parsed.profile)
            else {
                return Err(ApiError::Internal("a parsed participant lacks a field".into()).into());
            };
            let id = Uuid::now_v7();
            tracing::Span::current().record("participant", tracing::field::display(id));
            let new = NewParticipant {
                id,
                chapter_id: chapter.clone(),
                role,
                source: Source::Coordinator,
                referral_id: None,
                account_subject: None,
                person,
                consent: participants::ConsentRecord {
                    given_by: consent.given_by,
                    give_time: consent.give_time,
                    text_version: consent.text_version,
                },
                profile,
                first_note: None,
                actor: principal.subject.clone(),
                at: now,
            };
            respond(
                self.kit
                    .mutate_audited(
                        principal,
                        "CreateParticipant",
                        rid,
                        req,
                        Action::Change,
                        |r: &pb::CreateParticipantResponse| r.participant.as_ref().map(|p| p.name.as_str()),
                        async |tx| {
                            let mut v = Violations::new();
                            check_references(
                                tx,
                                &mut v,
                                &chapter,
                                &req.parent,
                                district.as_ref(),
                                Some(&new.profile),
                            )
                            .await?;
                            v.into_result().map_err(ApiError::InvalidArgument)?;
                            let created = participants::insert_participant(tx, &new)
                                .await
                                .named(&req.parent)?;
                            Ok(pb::CreateParticipantResponse {
                                participant: Some(participant_pb(&created, View::Coordinator)?),
                            })
                        },
                    )
                    .await
                    .map(|(response, written)| {
                        recorded = written;
                        response
                    }),
            )
        }
        .await;
        if recorded {
            return outcome;
        }
        let named = match &outcome {
            Ok(r) => Named::Participant(
                r.get_ref()
                    .participant
                    .as_ref()
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
            ),
            Err(_) => Named::Participants(Vec::new()),
        };
        self.kit
            .audit_call(
                &audit_principal,
                "CreateParticipant",
                named,
                Action::Change,
                outcome,
            )
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetParticipant"))]
    async fn get_participant(
        &self,
        request: Request<pb::GetParticipantRequest>,
    ) -> Result<Response<pb::GetParticipantResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let name = &request.get_ref().name;
        let outcome = async {
            let mut conn = self.kit.begin().await?;
            let p = find_managed(&mut conn, principal, name, "name", false).await?;
            Ok(pb::GetParticipantResponse {
                participant: Some(participant_pb(&p, View::Coordinator)?),
            })
        }
        .await;
        respond(
            self.kit
                .audit(
                    principal,
                    "GetParticipant",
                    audited(name),
                    name,
                    Action::Read,
                    outcome,
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListParticipants"))]
    async fn list_participants(
        &self,
        request: Request<pb::ListParticipantsRequest>,
    ) -> Result<Response<pb::ListParticipantsResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let outcome: Result<Response<pb::ListParticipantsResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let chapter_id = match names::parse_parent_or_wildcard(&req.parent, "chapters") {
                Err(e) => return Err(ApiError::invalid("parent", e.into_description()).into()),
                // `chapters/-` is every chapter the caller manages: all of them for an
                // administrator, their own for a coordinator.
                Ok(None) if principal.role == Role::Administrator => None,
                Ok(None) => principal.chapter.as_ref().map(|c| c.as_str().to_owned()),
                Ok(Some(chapter)) => {
                    if !principal.manages_chapter(chapter.as_str()) {
                        return Err(ApiError::NotFound(req.parent.clone()).into());
                    }
                    Some(chapter.into_string())
                }
            };
            let mut v = Violations::new();
            let role = if req.role == 0 {
                None
            } else {
                v.check("role", parse_role(req.role))
            };
            let states: Vec<ParticipantState> = req
                .states
                .iter()
                .enumerate()
                .filter_map(|(i, s)| v.check(format!("states[{i}]"), parse_state(*s)))
                .collect();
            let district = district_filter(&mut v, "district", &req.district);
            let language_code = language_filter(&mut v, "language_code", &req.language_code);
            let waiting_since_before = req.waiting_since_before.as_ref().and_then(|t| {
                let parsed = from_timestamp(t);
                if parsed.is_none() {
                    v.add("waiting_since_before", "is not a valid time");
                }
                parsed
            });
            let fingerprint = format!(
                "{}|{:?}|{:?}|{}|{}|{:?}|{}|{}",
                req.parent,
                req.role,
                req.states,
                req.district,
                req.language_code,
                req.waiting_since_before.as_ref().map(|t| (t.seconds, t.nanos)),
                req.has_possible_duplicates,
                req.profile_review_pending
            );
            let page = Page::parse_into(&mut v, req.page_size, &req.page_token, &fingerprint);
            v.into_result().map_err(ApiError::InvalidArgument)?;
            let page = page.ok_or_else(bad_page_token)?;
            let after = match &page.after {
                None => None,
                Some(key) => Some(parse_time_key(key).ok_or_else(bad_page_token)?),
            };
            let filter = ListFilter {
                chapter_id,
                role,
                order_by_waiting_since: states == [ParticipantState::Ready],
                states,
                district,
                language_code,
                waiting_since_before,
                has_possible_duplicates: req.has_possible_duplicates,
                profile_review_pending: req.profile_review_pending,
            };
            let mut rows =
                participants::list_participants(self.kit.store().pool(), &filter, after, page.fetch_limit())
                    .await
                    .named(&req.parent)?;
            let by_waiting = filter.order_by_waiting_since;
            let next_page_token = page.finish(&mut rows, |p| {
                let time = if by_waiting {
                    p.waiting_since.unwrap_or(p.create_time)
                } else {
                    p.create_time
                };
                time_key(time, p.id)
            });
            ok(pb::ListParticipantsResponse {
                participants: rows
                    .iter()
                    .map(|p| participant_pb(p, View::Coordinator))
                    .collect::<ApiResult<_>>()?,
                next_page_token,
            })
        }
        .await;
        self.kit
            .audit_shown(&audit_principal, "ListParticipants", outcome, |r| {
                r.participants
                    .iter()
                    .map(|p| (p.name.clone(), p.name.clone()))
                    .collect()
            })
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateParticipant"))]
    async fn update_participant(
        &self,
        request: Request<pb::UpdateParticipantRequest>,
    ) -> Result<Response<pb::UpdateParticipantResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let audit_name = req.participant.as_ref().map_or("", |p| p.name.as_str());
        let target = audited(audit_name);
        let mut v = Violations::new();
        let paths = v.check("update_mask", update_paths(req.update_mask.as_ref(), UPDATABLE));
        let input = v.require("participant", req.participant.as_ref());
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (Some(mut paths), Some(input)) = (paths, input) else {
            return Err(ApiError::Internal("a checked field is missing".into()).into());
        };
        // The review flag is the coordinator's to clear, never to set.
        let reviewed = paths.contains(&"profile_review_time");
        if reviewed && input.profile_review_time.is_some() {
            return Err(ApiError::invalid(
                "participant.profile_review_time",
                "may only be cleared: leave it unset to mark the participant's changes reviewed",
            )
            .into());
        }
        paths.retain(|p| *p != "profile_review_time");
        let name = &input.name;
        let mut tx = self.kit.begin().await?;
        let current = match find_managed(&mut tx, principal, name, "participant.name", true).await {
            Ok(current) => current,
            Err(e) => {
                let refused: ApiResult<()> = self
                    .kit
                    .audit(
                        principal,
                        "UpdateParticipant",
                        target,
                        name,
                        Action::Change,
                        Err(e),
                    )
                    .await;
                return respond(refused.map(|()| pb::UpdateParticipantResponse::default()));
            }
        };
        let role: ParticipantRole = current
            .role
            .parse()
            .map_err(|e: kompis_domain::FieldError| ApiError::Internal(e.into()))?;
        let mut merged = participant_pb(&current, View::Coordinator)?;
        merge(&mut merged, input, &paths);
        // A participant who is waiting or matched keeps a profile complete enough to
        // match on.
        let completeness = match current.parsed_state().api()? {
            ParticipantState::Ready | ParticipantState::Matched => Completeness::Approved,
            _ => Completeness::Partial,
        };
        let mut v = Violations::new();
        let parsed = parse_participant(
            &mut v,
            "participant",
            &merged,
            Some(role),
            &current.chapter_id,
            completeness,
            self.kit.now().year(),
        );
        check_places(&mut tx, &mut v, "participant", &current.chapter_id, &parsed).await?;
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (Some(person), Some(profile)) = (parsed.person, parsed.profile) else {
            return Err(ApiError::Internal("a parsed participant lacks a field".into()).into());
        };
        participants::update_participant(&mut *tx, current.id, &person, &profile, self.kit.now())
            .await
            .named(name)?;
        if reviewed {
            participants::clear_profile_review(&mut *tx, current.id)
                .await
                .named(name)?;
        }
        let updated = participants::get_participant(&mut *tx, current.id)
            .await
            .named(name)?;
        self.kit.commit(tx).await?;
        self.kit
            .audit(
                principal,
                "UpdateParticipant",
                target,
                name,
                Action::Change,
                Ok(()),
            )
            .await?;
        ok(pb::UpdateParticipantResponse {
            participant: Some(participant_pb(&updated, View::Coordinator)?),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "WithdrawParticipant"))]
    async fn withdraw_participant(
        &self,
        request: Request<pb::WithdrawParticipantRequest>,
    ) -> Result<Response<pb::WithdrawParticipantResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Participant(request.get_ref().name.clone());
        let outcome: Result<Response<pb::WithdrawParticipantResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let reason = Reason::parse(&req.reason)
                .ok()
                .filter(|r| !r.is_empty())
                .ok_or_else(|| {
                    ApiError::invalid("reason", format!("is required: 1 to {REASON_MAX} characters"))
                })?;
            let rid = RequestId::parse(&req.request_id)
                .map_err(|e| ApiError::invalid("request_id", e.into_description()))?;
            let now = self.kit.now();
            respond(
                self.kit
                    .mutate(principal, "WithdrawParticipant", rid, req, async |tx| {
                        let current = find_managed(tx, principal, &req.name, "name", true).await?;
                        let updated =
                            intake::withdraw(tx, &current, reason.as_str(), &principal.subject, now)
                                .await
                                .named(&req.name)?;
                        tracing::info!(participant = %current.id, "participant withdrawn");
                        Ok(pb::WithdrawParticipantResponse {
                            participant: Some(participant_pb(&updated, View::Coordinator)?),
                        })
                    })
                    .await,
            )
        }
        .await;
        self.kit
            .audit_call(&principal, "WithdrawParticipant", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "ReturnParticipant"))]
    async fn return_participant(
        &self,
        request: Request<pb::ReturnParticipantRequest>,
    ) -> Result<Response<pb::ReturnParticipantResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Participant(request.get_ref().name.clone());
        let outcome: Result<Response<pb::ReturnParticipantResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let reason =
                Reason::parse(&req.reason).map_err(|e| ApiError::invalid("reason", e.into_description()))?;
            let rid = RequestId::parse(&req.request_id)
                .map_err(|e| ApiError::invalid("request_id", e.into_description()))?;
            let now = self.kit.now();
            respond(
                self.kit
                    .mutate(principal, "ReturnParticipant", rid, req, async |tx| {
                        let current = find_managed(tx, principal, &req.name, "name", true).await?;
                        let updated = intake::return_participant(
                            tx,
                            &current,
                            req.reset_waiting_since,
                            reason.as_str(),
                            &principal.subject,
                            now,
                        )
                        .await
                        .named(&req.name)?;
                        Ok(pb::ReturnParticipantResponse {
                            participant: Some(participant_pb(&updated, View::Coordinator)?),
                        })
                    })
                    .await,
            )
        }
        .await;
        self.kit
            .audit_call(&principal, "ReturnParticipant", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "SearchPeople"))]
    async fn search_people(
        &self,
        request: Request<pb::SearchPeopleRequest>,
    ) -> Result<Response<pb::SearchPeopleResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let outcome: Result<Response<pb::SearchPeopleResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let chapter = managed_chapter(principal, "parent", &req.parent)?;
            let query = search::parse_query(&req.query)
                .map_err(|e| ApiError::invalid("query", e.into_description()))?;
            ok(search::search_people(&self.kit, chapter.as_str(), &query).await?)
        }
        .await;
        self.kit
            .audit_shown(&audit_principal, "SearchPeople", outcome, |r| {
                r.people
                    .iter()
                    .map(|p| (p.name.clone(), p.name.clone()))
                    .collect()
            })
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "ResolveDuplicate"))]
    async fn resolve_duplicate(
        &self,
        request: Request<pb::ResolveDuplicateRequest>,
    ) -> Result<Response<pb::ResolveDuplicateResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Participants(vec![
            request.get_ref().name.clone(),
            request.get_ref().duplicate.clone(),
        ]);
        let outcome: Result<Response<pb::ResolveDuplicateResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            respond(duplicates::resolve(&self.kit, principal, request.get_ref()).await)
        }
        .await;
        self.kit
            .audit_call(&principal, "ResolveDuplicate", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "CreateParticipantNote"))]
    async fn create_participant_note(
        &self,
        request: Request<pb::CreateParticipantNoteRequest>,
    ) -> Result<Response<pb::CreateParticipantNoteResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let outcome = notes::create(&self.kit, principal, req).await;
        respond(
            self.kit
                .audit(
                    principal,
                    "CreateParticipantNote",
                    audited(&req.parent),
                    &req.parent,
                    Action::Change,
                    outcome,
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListParticipantNotes"))]
    async fn list_participant_notes(
        &self,
        request: Request<pb::ListParticipantNotesRequest>,
    ) -> Result<Response<pb::ListParticipantNotesResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let outcome = notes::list(&self.kit, principal, req).await;
        respond(
            self.kit
                .audit(
                    principal,
                    "ListParticipantNotes",
                    audited(&req.parent),
                    &req.parent,
                    Action::Read,
                    outcome,
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "EraseParticipantNote"))]
    async fn erase_participant_note(
        &self,
        request: Request<pb::EraseParticipantNoteRequest>,
    ) -> Result<Response<pb::EraseParticipantNoteResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let outcome = notes::erase(&self.kit, principal, req).await;
        respond(
            self.kit
                .audit(
                    principal,
                    "EraseParticipantNote",
                    audited(&req.name),
                    &req.name,
                    Action::Erase,
                    outcome,
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListAccessRecords"))]
    async fn list_access_records(
        &self,
        request: Request<pb::ListAccessRecordsRequest>,
    ) -> Result<Response<pb::ListAccessRecordsResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let outcome = async {
            let mut v = Violations::new();
            let person = v.check("parent", parse_person_name(&req.parent));
            let page = Page::parse_into(&mut v, req.page_size, &req.page_token, &req.parent);
            v.into_result().map_err(ApiError::InvalidArgument)?;
            let (Some(person), Some(page)) = (person, page) else {
                return Err(ApiError::Internal("a checked field is missing".into()));
            };
            let after = match &page.after {
                None => None,
                Some(key) => Some(parse_time_key(key).ok_or_else(bad_page_token)?),
            };
            let mut rows = kompis_store::audit::list_for_person(
                self.kit.store().pool(),
                person,
                after,
                page.fetch_limit(),
            )
            .await?;
            let next_page_token = page.finish(&mut rows, |r| time_key(r.occur_time, r.id));
            Ok(pb::ListAccessRecordsResponse {
                records: rows.iter().map(access_record_pb).collect(),
                next_page_token,
            })
        }
        .await;
        // Reading a person's log is recorded in it: under the participant, or under
        // the referral when the log was asked for by the referral's name.
        let named = match parse_person_name(&req.parent) {
            Ok(Person::Referral(_)) => Named::Referral(req.parent.clone()),
            _ => Named::Participant(req.parent.clone()),
        };
        self.kit
            .audit_call(
                principal,
                "ListAccessRecords",
                named,
                Action::Read,
                respond(outcome),
            )
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "ExportParticipant"))]
    async fn export_participant(
        &self,
        request: Request<pb::ExportParticipantRequest>,
    ) -> Result<Response<pb::ExportParticipantResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let name = &request.get_ref().name;
        let outcome = async {
            let mut conn = self.kit.begin().await?;
            let p = find_managed(&mut conn, principal, name, "name", false).await?;
            drop(conn);
            let export = crate::views::export::export_pb(&self.kit, p.id).await?;
            Ok(pb::ExportParticipantResponse { export: Some(export) })
        }
        .await;
        respond(
            self.kit
                .audit(
                    principal,
                    "ExportParticipant",
                    audited(name),
                    name,
                    Action::Export,
                    outcome,
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "EraseParticipant"))]
    async fn erase_participant(
        &self,
        request: Request<pb::EraseParticipantRequest>,
    ) -> Result<Response<pb::EraseParticipantResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let outcome = async {
            let mut v = Violations::new();
            let reason = v.check("reason", erasure_reason(req.reason));
            let rid = v.check("request_id", RequestId::parse(&req.request_id));
            v.into_result().map_err(ApiError::InvalidArgument)?;
            let (Some(reason), Some(rid)) = (reason, rid) else {
                return Err(ApiError::Internal("a checked field is missing".into()));
            };
            let now = self.kit.now();
            self.kit
                .mutate(principal, "EraseParticipant", rid, req, async |tx| {
                    let p = find_managed_or_erased(tx, principal, &req.name, "name", true).await?;
                    erasure::erase_participant(tx, p.id, reason, &principal.subject, now)
                        .await
                        .named(&req.name)?;
                    Ok(pb::EraseParticipantResponse {})
                })
                .await
        }
        .await;
        respond(
            self.kit
                .audit(
                    principal,
                    "EraseParticipant",
                    audited(&req.name),
                    &req.name,
                    Action::Erase,
                    outcome,
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetWaitingList"))]
    async fn get_waiting_list(
        &self,
        request: Request<pb::GetWaitingListRequest>,
    ) -> Result<Response<pb::GetWaitingListResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let outcome: Result<Response<pb::GetWaitingListResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let chapter = managed_chapter(principal, "chapter", &req.chapter)?;
            let mut v = Violations::new();
            let role = if req.role == 0 {
                Some(ParticipantRole::Newcomer)
            } else {
                v.check("role", parse_role(req.role))
            };
            let filter = WaitingFilter {
                district: district_filter(&mut v, "district", &req.district),
                language_code: language_filter(&mut v, "language_code", &req.language_code),
            };
            let fingerprint = format!(
                "{}|{}|{}|{}",
                req.chapter, req.role, req.district, req.language_code
            );
            let page = Page::parse_into(&mut v, req.page_size, &req.page_token, &fingerprint);
            v.into_result().map_err(ApiError::InvalidArgument)?;
            let (Some(role), Some(page)) = (role, page) else {
                return Err(bad_page_token().into());
            };
            let after = match &page.after {
                None => None,
                Some(key) => Some(parse_time_key(key).ok_or_else(bad_page_token)?),
            };
            // One snapshot for the page, the total and the counts, so they agree.
            let mut tx = self.kit.store().begin_snapshot().await.api()?;
            chapters::get_chapter(&mut *tx, &chapter)
                .await
                .named(&req.chapter)?;
            let mut rows = participants::waiting_list(
                &mut *tx,
                chapter.as_str(),
                role,
                &filter,
                after,
                page.fetch_limit(),
            )
            .await
            .api()?;
            let total = participants::count_waiting(&mut *tx, chapter.as_str(), role, &filter)
                .await
                .api()?;
            let districts = participants::shortage_by_district(&mut *tx, chapter.as_str())
                .await
                .api()?;
            let languages = participants::shortage_by_language(&mut *tx, chapter.as_str())
                .await
                .api()?;
            self.kit.commit(tx).await?;
            let next_page_token = page.finish(&mut rows, |e| {
                let p = &e.participant;
                time_key(p.waiting_since.unwrap_or(p.create_time), p.id)
            });
            let now = self.kit.now();
            ok(pb::GetWaitingListResponse {
                entries: rows
                    .iter()
                    .map(|e| {
                        let waited = kompis_domain::waited(now, e.participant.waiting_since);
                        Ok(pb::WaitingListEntry {
                            participant: Some(participant_pb(&e.participant, View::Coordinator)?),
                            position: i32::try_from(e.position).unwrap_or(i32::MAX),
                            waiting_duration: Some(prost_types::Duration {
                                seconds: waited.whole_seconds(),
                                nanos: waited.subsec_nanoseconds(),
                            }),
                        })
                    })
                    .collect::<ApiResult<_>>()?,
                next_page_token,
                total_size: i32::try_from(total).unwrap_or(i32::MAX),
                district_counts: districts
                    .iter()
                    .map(|row| {
                        let (m, d) = row.key.split_once('/').unwrap_or((&row.key, ""));
                        shortage_pb(row, pb::shortage_count::Key::District(names::district(m, d)))
                    })
                    .collect(),
                language_counts: merge_language_counts(languages)
                    .iter()
                    .map(|row| shortage_pb(row, pb::shortage_count::Key::LanguageCode(row.key.clone())))
                    .collect(),
            })
        }
        .await;
        self.kit
            .audit_shown(&audit_principal, "GetWaitingList", outcome, |r| {
                r.entries
                    .iter()
                    .filter_map(|e| e.participant.as_ref())
                    .map(|p| (p.name.clone(), p.name.clone()))
                    .collect()
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_spelt_two_ways_is_counted_once() {
        let row = |key: &str, w, f| Shortage {
            key: key.into(),
            waiting_newcomers: w,
            free_resident_places: f,
        };
        let merged = merge_language_counts(vec![
            row("ar", 2, 0),
            row("ara", 1, 1),
            row("prs", 5, 0),
            row("ti", 1, 3),
        ]);
        let keys: Vec<_> = merged.iter().map(|r| (r.key.as_str(), r.shortage())).collect();
        assert_eq!(keys, [("prs", 5), ("ar", 2), ("ti", 0)]);
    }

    #[test]
    fn the_district_and_the_profile_district_are_one_value() {
        let mut current = pb::Participant {
            district: "municipalities/botkyrka/districts/alby".into(),
            ..Default::default()
        };
        let input = pb::Participant {
            profile: Some(pb::MatchingProfile {
                district: "municipalities/botkyrka/districts/tumba".into(),
                has_children: true,
                ..Default::default()
            }),
            ..Default::default()
        };
        merge(&mut current, &input, &["profile.district"]);
        assert_eq!(current.district, "municipalities/botkyrka/districts/tumba");
        assert_eq!(current.profile.as_ref().unwrap().district, current.district);
        assert!(!current.profile.unwrap().has_children, "unmasked fields stay");
    }
}
