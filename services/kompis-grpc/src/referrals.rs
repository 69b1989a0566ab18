//! `kompis.v1.ReferralService`: referrals of learners by referring organisations (SFI
//! schools and other partners), and the coordinators' handling of them.
//!
//! Who sees what:
//!
//! - referrers create referrals for their organisation (to its chapter) and list and
//!   get their own organisation's referrals, seeing progress only: never interview
//!   notes, never a buddy, never the participant record or the possible duplicates.
//!   Another organisation's referral answers NOT_FOUND exactly as one that does not
//!   exist, so that a referrer cannot learn that a person was referred elsewhere;
//! - coordinators see and handle every referral of their chapter (administrators every
//!   chapter's): they also create referrals (naming the referring organisation, for a
//!   referral taken by phone), mark them contacted, convert them into participants and
//!   close them.
//!
//! Duplicates are flagged, not refused: a referral whose phone number or e-mail address
//! is already known in the chapter (another referral or a participant) is created all
//! the same, and coordinators see the other records in `possible_duplicates`. Refusing
//! would tell the referrer that the person is known, and a family sharing one phone is
//! not a duplicate; the coordinator decides, and may close it with reason DUPLICATE.
//!
//! Every state change is one store function that appends its event (who, when, from,
//! to, why) to the event log in the transaction that makes it.

mod create;
mod view;

use kompis_domain::{
    BirthYear, Contact, DisplayName, Email, FieldError, FreeText, Gender, LanguageCode, Note,
    ParticipantRole, PhoneNumber, ReferralClosure, ReferralId, ReferralState, Role, Slug, Violations,
};
use kompis_proto::v1 as pb;
use kompis_proto::v1::ErrorReason;
use kompis_proto::v1::referral_service_server::ReferralService;
use kompis_store::Tx;
use kompis_store::notes::NewNote;
use kompis_store::participants::{
    self, ConsentRecord, NewParticipant, PersonalDetails, Profile, Source, StoredLanguage,
};
use kompis_store::referrals::{self, DistrictPlace, NewReferral, Referral, ReferralFilter};
use time::OffsetDateTime;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::audit::{Action, Named};
use crate::kit::convert::from_timestamp;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::names;
use crate::kit::page::Page;
use crate::kit::scope;
use crate::kit::{Kit, RequestId, ok, respond};
use crate::views::participant::{View, participant_pb};

pub use view::{Audience, referral_name};

/// Longest reason for the event log given with a state change, in characters.
const REASON_MAX: usize = 500;

/// The ReferralService implementation.
#[derive(Debug, Clone)]
pub struct Referrals {
    kit: Kit,
}

impl Referrals {
    /// A service on `kit`.
    pub fn new(kit: Kit) -> Self {
        Self { kit }
    }
}

/// What a caller may read of a chapter's referrals.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reader {
    /// A coordinator of the chapter or an administrator: every referral.
    Staff,
    /// A referrer: their organisation's referrals only.
    Organization(Slug),
}

impl Reader {
    fn audience(&self) -> Audience {
        match self {
            Reader::Staff => Audience::Staff,
            Reader::Organization(_) => Audience::Referrer,
        }
    }

    /// Whether the reader may see `r`.
    fn sees(&self, r: &Referral) -> bool {
        match self {
            Reader::Staff => true,
            Reader::Organization(org) => r.organization_id == org.as_str(),
        }
    }
}

/// What `principal` may read in `chapter`, asking for the referral `name`. Another
/// chapter's referrals answer NOT_FOUND, as if they did not exist.
fn reader(principal: &Principal, chapter: &Slug, name: &str) -> ApiResult<Reader> {
    match principal.role {
        Role::Referrer => principal
            .organization
            .clone()
            .map(Reader::Organization)
            .ok_or(ApiError::Unauthenticated(ErrorReason::InvalidToken)),
        Role::Administrator | Role::Coordinator if principal.manages_chapter(chapter.as_str()) => {
            Ok(Reader::Staff)
        }
        Role::Coordinator => Err(scope::not_found(name)),
        _ => Err(ApiError::PermissionDenied(ErrorReason::RoleNotAllowed)),
    }
}

/// Fails unless `principal` coordinates `chapter` (or administers every chapter); the
/// referral `name` in another chapter answers NOT_FOUND, as if it did not exist.
fn require_staff(principal: &Principal, chapter: &Slug, name: &str) -> ApiResult<()> {
    scope::managed_chapter(principal, chapter.as_str(), name)
}

/// Parses `chapters/{chapter}/referrals/{referral}` at `field`.
fn parse_referral_name(name: &str, field: &str) -> ApiResult<(Slug, Uuid)> {
    let parsed = match name.split('/').collect::<Vec<_>>().as_slice() {
        ["chapters", chapter, "referrals", id] => {
            Slug::parse(chapter).and_then(|c| ReferralId::parse(id).map(|id| (c, id.into_uuid())))
        }
        _ => Err(FieldError::new(
            "must be a resource name of the form chapters/{chapter}/referrals/{referral}",
        )),
    };
    parsed.map_err(|e| ApiError::invalid(field, e.into_description()))
}

/// A stored value that does not parse is our bug (the schema's CHECKs mirror the
/// domain types), never the caller's.
fn stored<T>(value: Result<T, FieldError>) -> ApiResult<T> {
    value.map_err(|e| ApiError::Internal(format!("a stored value is invalid: {e}").into()))
}

impl Referrals {
    /// Renders referrals for `audience`, reading the possible duplicates for staff.
    /// Reads in `tx`, so that a change made in it is seen.
    async fn render(
        &self,
        tx: &mut Tx,
        rows: &[Referral],
        audience: Audience,
    ) -> ApiResult<Vec<pb::Referral>> {
        let duplicates = if audience == Audience::Staff && !rows.is_empty() {
            let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
            referrals::possible_duplicates(&mut **tx, &ids).await?
        } else {
            Vec::new()
        };
        rows.iter()
            .map(|r| view::referral_pb(r, audience, &duplicates))
            .collect()
    }

    async fn render_one(&self, tx: &mut Tx, row: &Referral, audience: Audience) -> ApiResult<pb::Referral> {
        let mut rendered = self.render(tx, std::slice::from_ref(row), audience).await?;
        rendered
            .pop()
            .ok_or_else(|| ApiError::Internal("rendering a referral returned nothing".into()))
    }

    /// Reads a referral the caller may see; NOT_FOUND (named `name`) otherwise.
    async fn visible(&self, reader: &Reader, chapter: &Slug, id: Uuid, name: &str) -> ApiResult<Referral> {
        let row = referrals::get_referral(self.kit.store().pool(), chapter, id)
            .await
            .named(name)?;
        if reader.sees(&row) {
            Ok(row)
        } else {
            // The same answer as for a referral that does not exist.
            Err(ApiError::NotFound(name.to_owned()))
        }
    }
}

/// The organisation whose chapter a create must read: the referrer's own (a token
/// without one is UNAUTHENTICATED), else the one the request names, if any.
fn organization_to_check(principal: &Principal, named: Option<&Slug>) -> ApiResult<Option<Slug>> {
    if principal.role == Role::Referrer {
        return principal
            .organization
            .clone()
            .map(Some)
            .ok_or(ApiError::Unauthenticated(ErrorReason::InvalidToken));
    }
    Ok(named.cloned())
}

/// The referring organisation of a create, checked against the chapter from what the
/// database found (`found`: the chapter of the organisation
/// [`organization_to_check`] chose, `None` when it does not exist); violations
/// go to `v`. `None` only when a violation was recorded.
fn referring_organization(
    v: &mut Violations,
    principal: &Principal,
    chapter: Option<&Slug>,
    checked: Option<Slug>,
    found: Option<&str>,
    named_empty: bool,
) -> ApiResult<Option<Slug>> {
    if principal.role == Role::Referrer {
        let Some(own) = checked else {
            return Err(ApiError::Unauthenticated(ErrorReason::InvalidToken));
        };
        let Some(org_chapter) = found else {
            return Err(ApiError::NotFound(names::organization(own.as_str())));
        };
        if chapter.is_some_and(|c| c.as_str() != org_chapter) {
            v.add(
                "parent",
                format!("must be chapters/{org_chapter}, the chapter of the caller's organisation"),
            );
        }
        return Ok(Some(own));
    }
    let Some(named) = checked else {
        if named_empty {
            v.add(
                "referral.organization",
                "is required: the referring organisation, organizations/{organization}",
            );
        }
        return Ok(None);
    };
    match (found, chapter) {
        (Some(org_chapter), Some(chapter)) if org_chapter == chapter.as_str() => Ok(Some(named)),
        (Some(_), None) => Ok(None),
        _ => {
            v.add(
                "referral.organization",
                "must be an existing organisation of the chapter",
            );
            Ok(None)
        }
    }
}

#[tonic::async_trait]
impl ReferralService for Referrals {
    #[tracing::instrument(skip_all, fields(rpc = "CreateReferral", referral))]
    async fn create_referral(
        &self,
        request: Request<pb::CreateReferralRequest>,
    ) -> Result<Response<pb::CreateReferralResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        // Whether the call's access record was written with the referral.
        let mut recorded = false;
        let outcome: Result<Response<pb::CreateReferralResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let now = self.kit.now();
            let mut v = Violations::new();
            let parsed = create::parse(&mut v, req, &principal.subject, now);
            if principal.role != Role::Referrer
                && let Some(chapter) = &parsed.chapter
            {
                scope::managed_chapter(principal, chapter.as_str(), &req.parent)?;
            }
            let named_empty = req.referral.as_ref().is_some_and(|r| r.organization.is_empty());
            // The organisation and the district are checked in one statement.
            let checked = organization_to_check(principal, parsed.organization.as_ref())?;
            let place = match (&parsed.chapter, &parsed.district) {
                (Some(chapter), Some((municipality, district))) => Some((chapter, municipality, district)),
                _ => None,
            };
            let found = if checked.is_some() || place.is_some() {
                referrals::references(self.kit.store().pool(), checked.as_ref(), place)
                    .await
                    .named("districts")?
            } else {
                referrals::References {
                    organization_chapter: None,
                    place: None,
                }
            };
            let organization = referring_organization(
                &mut v,
                principal,
                parsed.chapter.as_ref(),
                checked,
                found.organization_chapter.as_deref(),
                named_empty,
            )?;
            match found.place {
                None | Some(DistrictPlace::InChapter) => {}
                Some(DistrictPlace::OutsideChapter) => {
                    v.add("referral.district", "is not in a municipality the chapter covers")
                }
                Some(DistrictPlace::Unknown) => v.add("referral.district", "is not a known district"),
            }
            if let Err(violations) = v.into_result() {
                return Err(if parsed.consent_missing {
                    ApiError::InvalidWithReason(ErrorReason::ConsentMissing, violations)
                } else {
                    ApiError::InvalidArgument(violations)
                }
                .into());
            }
            let (Some(p), Some(organization)) = (parsed.referral, organization) else {
                return Err(ApiError::Internal("a valid referral did not parse".into()).into());
            };
            let audience = if principal.role == Role::Referrer {
                Audience::Referrer
            } else {
                Audience::Staff
            };
            let id = Uuid::now_v7();
            let new = NewReferral {
                id,
                chapter: &p.chapter,
                organization: &organization,
                referrer: &principal.subject,
                given_name: &p.name.given,
                family_name: &p.name.family,
                display_name: p.name.display.as_ref(),
                contact: &p.contact,
                birth_year: p.birth_year.year(),
                gender: p.gender,
                municipality: &p.municipality,
                district: &p.district,
                languages: &p.languages,
                swedish_level: p.swedish_level,
                consent_given_by: &p.consent.given_by,
                consent_give_time: p.consent.give_time,
                consent_text_version: &p.consent.text_version,
                note: p.note.as_str(),
                at: now,
            };
            let name = referral_name(p.chapter.as_str(), id);
            let response = self
                .kit
                .mutate_audited(
                    principal,
                    "CreateReferral",
                    p.request_id,
                    req,
                    Action::Change,
                    |r: &pb::CreateReferralResponse| r.referral.as_ref().map(|r| r.name.as_str()),
                    async |tx| {
                        let row = referrals::insert_referral(tx, &new).await.named(&name)?;
                        Ok(pb::CreateReferralResponse {
                            referral: Some(self.render_one(tx, &row, audience).await?),
                        })
                    },
                )
                .await
                .map(|(response, written)| {
                    recorded = written;
                    response
                });
            // A replay answers the first referral; the span names the one answered.
            if let Some(r) = response.as_ref().ok().and_then(|r| r.referral.as_ref()) {
                tracing::Span::current().record("referral", tracing::field::display(&r.name));
            }
            respond(response)
        }
        .await;
        if recorded {
            return outcome;
        }
        let named = match &outcome {
            Ok(r) => Named::Referral(
                r.get_ref()
                    .referral
                    .as_ref()
                    .map(|r| r.name.clone())
                    .unwrap_or_default(),
            ),
            Err(_) => Named::Participants(Vec::new()),
        };
        self.kit
            .audit_call(&audit_principal, "CreateReferral", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetReferral", referral))]
    async fn get_referral(
        &self,
        request: Request<pb::GetReferralRequest>,
    ) -> Result<Response<pb::GetReferralResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let named = Named::Referral(request.get_ref().name.clone());
        let outcome: Result<Response<pb::GetReferralResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let (chapter, id) = parse_referral_name(&req.name, "name")?;
            tracing::Span::current().record("referral", tracing::field::display(id));
            let reader = reader(principal, &chapter, &req.name)?;
            let row = self.visible(&reader, &chapter, id, &req.name).await?;
            let mut tx = self.kit.begin().await?;
            ok(pb::GetReferralResponse {
                referral: Some(self.render_one(&mut tx, &row, reader.audience()).await?),
            })
        }
        .await;
        self.kit
            .audit_call(&audit_principal, "GetReferral", named, Action::Read, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListReferrals"))]
    async fn list_referrals(
        &self,
        request: Request<pb::ListReferralsRequest>,
    ) -> Result<Response<pb::ListReferralsResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let outcome: Result<Response<pb::ListReferralsResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let mut v = Violations::new();
            let parent = v.check("parent", names::parse_parent_or_wildcard(&req.parent, "chapters"));
            let state = match req.state {
                0 => Some(None),
                n => v
                    .check(
                        "state",
                        view::state_from_pb(n)
                            .ok_or_else(|| FieldError::new("must be one of the ReferralState values")),
                    )
                    .map(Some),
            };
            let organization = if req.organization.is_empty() {
                Some(None)
            } else {
                v.check(
                    "organization",
                    names::parse_one(&req.organization, "organizations"),
                )
                .map(Some)
            };
            let created_after = match req.create_time_after.as_ref() {
                None => Some(None),
                Some(t) => v
                    .check(
                        "create_time_after",
                        from_timestamp(t).ok_or_else(|| FieldError::new("is not a valid time")),
                    )
                    .map(Some),
            };
            v.into_result().map_err(ApiError::InvalidArgument)?;
            let (parent, state, mut organization, created_after) = (
                parent.flatten(),
                state.flatten(),
                organization.flatten(),
                created_after.flatten(),
            );
            // The scope: a referrer's own organisation, a coordinator's chapter, or any.
            let chapter = match principal.role {
                Role::Referrer => {
                    let own = principal
                        .organization
                        .clone()
                        .ok_or(ApiError::Unauthenticated(ErrorReason::InvalidToken))?;
                    if organization.as_ref().is_some_and(|o| *o != own) {
                        // Another organisation's referrals do not exist for a referrer.
                        return ok(pb::ListReferralsResponse::default());
                    }
                    organization = Some(own);
                    parent
                }
                Role::Coordinator => match parent {
                    None => principal.chapter.clone(),
                    Some(c) if principal.manages_chapter(c.as_str()) => Some(c),
                    // Another chapter answers as if it did not exist, like its referrals.
                    Some(_) => return Err(scope::not_found(&req.parent).into()),
                },
                Role::Administrator => parent,
                _ => return Err(ApiError::PermissionDenied(ErrorReason::RoleNotAllowed).into()),
            };
            let audience = if principal.role == Role::Referrer {
                Audience::Referrer
            } else {
                Audience::Staff
            };
            let filters = format!(
                "{:?}|{:?}|{:?}|{:?}",
                chapter.as_ref().map(Slug::as_str),
                organization.as_ref().map(Slug::as_str),
                state.map(ReferralState::as_str),
                created_after.map(OffsetDateTime::unix_timestamp_nanos),
            );
            let page = Page::parse(req.page_size, &req.page_token, &filters)?;
            let mut cursor = match page.after.as_deref() {
                None => None,
                Some([time, id]) => Some(
                    time.parse::<i128>()
                        .ok()
                        .and_then(|t| OffsetDateTime::from_unix_timestamp_nanos(t).ok())
                        .zip(Uuid::parse_str(id).ok())
                        .ok_or_else(|| {
                            ApiError::invalid("page_token", "is not a token this service issued")
                        })?,
                ),
                Some(_) => {
                    return Err(ApiError::invalid("page_token", "is not a token this service issued").into());
                }
            };
            let filter = ReferralFilter {
                chapter: chapter.as_ref(),
                organization: organization.as_ref(),
                state,
                created_after,
            };
            // The state filter applies to the progress shown, which for a converted
            // referral depends on its participant: the query narrows, the domain rule
            // decides, and batches are read until the page is full.
            let mut rows = Vec::new();
            loop {
                let batch =
                    referrals::list_referrals(self.kit.store().pool(), &filter, cursor, page.fetch_limit())
                        .await
                        .named(&req.parent)?;
                let exhausted = (batch.len() as i64) < page.fetch_limit();
                cursor = batch.last().map(|r| (r.create_time, r.id)).or(cursor);
                rows.extend(
                    batch
                        .into_iter()
                        .filter(|r| state.is_none_or(|s| view::progress(r).is_ok_and(|p| p == s))),
                );
                if exhausted || rows.len() as i64 > page.size {
                    break;
                }
            }
            let next_page_token = page.finish(&mut rows, |r| {
                vec![r.create_time.unix_timestamp_nanos().to_string(), r.id.to_string()]
            });
            ok(pb::ListReferralsResponse {
                referrals: self.render(&mut self.kit.begin().await?, &rows, audience).await?,
                next_page_token,
            })
        }
        .await;
        self.kit
            .audit_shown(&audit_principal, "ListReferrals", outcome, |r| {
                r.referrals
                    .iter()
                    .map(|x| (x.name.clone(), x.name.clone()))
                    .collect()
            })
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "MarkReferralContacted", referral))]
    async fn mark_referral_contacted(
        &self,
        request: Request<pb::MarkReferralContactedRequest>,
    ) -> Result<Response<pb::MarkReferralContactedResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let named = Named::Referral(request.get_ref().name.clone());
        let outcome: Result<Response<pb::MarkReferralContactedResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let (chapter, id) = parse_referral_name(&req.name, "name")?;
            tracing::Span::current().record("referral", tracing::field::display(id));
            require_staff(principal, &chapter, &req.name)?;
            let mut v = Violations::new();
            let reason = v.check("reason", FreeText::<REASON_MAX>::parse(&req.reason));
            let rid = v.check("request_id", RequestId::parse(&req.request_id));
            v.into_result().map_err(ApiError::InvalidArgument)?;
            let (Some(reason), Some(rid)) = (reason, rid) else {
                return Err(ApiError::bug("a checked field is missing").into());
            };
            let now = self.kit.now();
            respond(
                self.kit
                    .mutate(principal, "MarkReferralContacted", rid, req, async |tx| {
                        let row = referrals::lock_referral(tx, &chapter, id)
                            .await
                            .named(&req.name)?;
                        let own = view::stored_state(&row)?;
                        // Both the progress shown and the recorded state must allow it: a
                        // referral whose participant has an interview booked is past being
                        // contacted.
                        view::progress(&row)?.transition(ReferralState::Contacted)?;
                        let change = referrals::Change {
                            actor: &principal.subject,
                            reason: reason.as_str(),
                            at: now,
                        };
                        let row = referrals::set_state(
                            tx,
                            &chapter,
                            id,
                            own,
                            ReferralState::Contacted,
                            None,
                            change,
                        )
                        .await
                        .named(&req.name)?;
                        Ok(pb::MarkReferralContactedResponse {
                            referral: Some(self.render_one(tx, &row, Audience::Staff).await?),
                        })
                    })
                    .await,
            )
        }
        .await;
        self.kit
            .audit_call(
                &audit_principal,
                "MarkReferralContacted",
                named,
                Action::Change,
                outcome,
            )
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "ConvertReferral", referral, participant))]
    async fn convert_referral(
        &self,
        request: Request<pb::ConvertReferralRequest>,
    ) -> Result<Response<pb::ConvertReferralResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let named = Named::Referral(request.get_ref().name.clone());
        let outcome: Result<Response<pb::ConvertReferralResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let (chapter, id) = parse_referral_name(&req.name, "name")?;
            tracing::Span::current().record("referral", tracing::field::display(id));
            require_staff(principal, &chapter, &req.name)?;
            let rid = RequestId::parse(&req.request_id)
                .map_err(|e| ApiError::invalid("request_id", e.into_description()))?;
            let now = self.kit.now();
            respond(
                self.kit
                    .mutate(principal, "ConvertReferral", rid, req, async |tx| {
                        let row = referrals::lock_referral(tx, &chapter, id)
                            .await
                            .named(&req.name)?;
                        let own = view::stored_state(&row)?;
                        if let Some(existing) = row.participant_id {
                            return Err(ApiError::precondition(
                                ErrorReason::InvalidStateTransition,
                                format!(
                                    "the referral was already converted into {}",
                                    participants::resource_name(chapter.as_str(), existing)
                                ),
                            ));
                        }
                        if !own.is_open() {
                            return Err(ApiError::precondition(
                                ErrorReason::InvalidStateTransition,
                                "a closed referral cannot be converted",
                            ));
                        }
                        let new = new_participant(&row, &chapter, principal, now)?;
                        let participant_name = participants::resource_name(chapter.as_str(), new.id);
                        tracing::Span::current().record("participant", tracing::field::display(new.id));
                        let participant = participants::insert_participant(tx, &new)
                            .await
                            .named(&participant_name)?;
                        let mut row = referrals::link_participant(tx, &chapter, id, new.id, now)
                            .await
                            .named(&req.name)?;
                        // Converting means the coordinator has reached the learner: a
                        // referral still `received` moves on to `contacted`. From here on
                        // its progress follows the participant's.
                        if own == ReferralState::Received {
                            let reason = format!("converted into {participant_name}");
                            let change = referrals::Change {
                                actor: &principal.subject,
                                reason: &reason,
                                at: now,
                            };
                            row = referrals::set_state(
                                tx,
                                &chapter,
                                id,
                                own,
                                ReferralState::Contacted,
                                None,
                                change,
                            )
                            .await
                            .named(&req.name)?;
                        }
                        Ok(pb::ConvertReferralResponse {
                            participant: Some(participant_pb(&participant, View::Coordinator)?),
                            referral: Some(self.render_one(tx, &row, Audience::Staff).await?),
                        })
                    })
                    .await,
            )
        }
        .await;
        self.kit
            .audit_call(
                &audit_principal,
                "ConvertReferral",
                named,
                Action::Change,
                outcome,
            )
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "CloseReferral", referral))]
    async fn close_referral(
        &self,
        request: Request<pb::CloseReferralRequest>,
    ) -> Result<Response<pb::CloseReferralResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let named = Named::Referral(request.get_ref().name.clone());
        let outcome: Result<Response<pb::CloseReferralResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let (chapter, id) = parse_referral_name(&req.name, "name")?;
            tracing::Span::current().record("referral", tracing::field::display(id));
            require_staff(principal, &chapter, &req.name)?;
            let mut v = Violations::new();
            let reason = v.check(
                "reason",
                view::close_reason_from_pb(req.reason)
                    .ok_or_else(|| FieldError::new("is required: one of the ReferralCloseReason values")),
            );
            let closure = reason.and_then(|r| v.check("note", ReferralClosure::new(r, &req.note)));
            v.into_result().map_err(ApiError::InvalidArgument)?;
            let Some(closure) = closure else {
                return Err(ApiError::Internal("a valid closure did not parse".into()).into());
            };
            let rid = RequestId::parse(&req.request_id)
                .map_err(|e| ApiError::invalid("request_id", e.into_description()))?;
            let why = if closure.note().is_empty() {
                closure.reason().as_str().to_owned()
            } else {
                format!("{}: {}", closure.reason(), closure.note())
            };
            let now = self.kit.now();
            respond(
                self.kit
                    .mutate(principal, "CloseReferral", rid, req, async |tx| {
                        let row = referrals::lock_referral(tx, &chapter, id)
                            .await
                            .named(&req.name)?;
                        let own = view::stored_state(&row)?;
                        let change = referrals::Change {
                            actor: &principal.subject,
                            reason: &why,
                            at: now,
                        };
                        let row = referrals::set_state(
                            tx,
                            &chapter,
                            id,
                            own,
                            ReferralState::Closed,
                            Some(&closure),
                            change,
                        )
                        .await
                        .named(&req.name)?;
                        Ok(pb::CloseReferralResponse {
                            referral: Some(self.render_one(tx, &row, Audience::Staff).await?),
                        })
                    })
                    .await,
            )
        }
        .await;
        self.kit
            .audit_call(&audit_principal, "CloseReferral", named, Action::Change, outcome)
            .await
    }
}

/// The participant a referral becomes: a newcomer applicant with the referral's name,
/// contact, birth year, gender, district, languages, Swedish level and consent, so that
/// nothing is typed twice. The referrer's note becomes the first note of the
/// participant's note history, written by the referrer.
fn new_participant(
    row: &Referral,
    chapter: &Slug,
    principal: &Principal,
    at: OffsetDateTime,
) -> ApiResult<NewParticipant> {
    let phone = row.phone.as_deref().map(PhoneNumber::parse).transpose();
    let email = row.email.as_deref().map(Email::parse).transpose();
    let contact = stored(phone.and_then(|p| Contact::new(p, email?)))?;
    let languages = row
        .languages
        .0
        .iter()
        .map(|s| {
            // Participants keep the two-letter code where one exists.
            let code = stored(LanguageCode::parse(&s.code))?;
            Ok(StoredLanguage {
                code: code.alpha2().unwrap_or(code.alpha3()).to_owned(),
                level: s.level.clone(),
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(NewParticipant {
        id: Uuid::now_v7(),
        chapter_id: chapter.clone(),
        role: ParticipantRole::Newcomer,
        source: Source::Referral,
        referral_id: Some(row.id),
        account_subject: None,
        person: PersonalDetails {
            given_name: stored(DisplayName::parse(&row.given_name))?,
            family_name: stored(DisplayName::parse(&row.family_name))?,
            display_name: match row.display_name.as_str() {
                "" => None,
                d => Some(stored(DisplayName::parse(d))?),
            },
            contact,
            birth_year: BirthYear::from_stored(row.birth_year),
            gender: stored(row.gender.parse::<Gender>())?,
        },
        consent: ConsentRecord {
            given_by: row.consent_given_by.clone(),
            give_time: row.consent_give_time,
            text_version: row.consent_text_version.clone(),
        },
        profile: Profile {
            languages,
            swedish_level: Some(row.swedish_level.clone()),
            municipality_id: row.municipality_id.clone(),
            district_id: row.district_id.clone(),
            buddy_capacity: 1,
            ..Profile::default()
        },
        first_note: Some(NewNote {
            author: row.referrer.clone(),
            text: stored(Note::parse(&row.note))?,
        }),
        actor: principal.subject.clone(),
        at,
    })
}
