//! `kompis.v1.MatchingService`: suggestions with the engine's explanation, proposals
//! (with a recorded override for pairs the engine refuses), acceptance on someone's
//! behalf with how they agreed, declines and withdrawals, starting and ending matches,
//! and the chapter's programme settings.
//!
//! Matching rounds live in [`rounds`]; rematching and check-ins answer UNIMPLEMENTED for
//! now.

use kompis_domain::{DeclineCause, ParticipantRole, Role, Slug, Violations};
use kompis_matching as engine;
use kompis_proto::v1 as pb;
use kompis_proto::v1::matching_service_server::MatchingService;
use kompis_store::Tx;
use kompis_store::matches::{self, Acceptance, Decline, NewProposal};
use kompis_store::participants::{self, Participant};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt, engine_refusal};
use crate::kit::page::Page;
use crate::kit::scope::{self, ADMINISTRATORS, MANAGERS};
use crate::kit::{Kit, RequestId, names, respond};
use crate::matchmaking;
use crate::views::matching::{
    candidate_pb, match_pb, parse_channel_on_behalf, parse_end_reason, parse_match_name, parse_state,
    programme_pb,
};
use crate::views::participant::{parse_participant_name, parse_role, parse_time_key, time_key};

pub mod rounds;

/// Longest free text on a match (override and decline reasons).
const REASON_MAX: usize = 500;

/// The MatchingService implementation.
#[derive(Debug, Clone)]
pub struct Matching {
    kit: Kit,
}

impl Matching {
    /// A service on `kit`.
    pub fn new(kit: Kit) -> Self {
        Self { kit }
    }
}

fn not_yet(what: &'static str) -> Status {
    ApiError::Unimplemented(what).into()
}

/// A participant named in a request, of a chapter the caller manages, or NOT_FOUND for
/// `name` exactly as if it did not exist.
async fn managed_participant(
    tx: &mut Tx,
    principal: &Principal,
    name: &str,
    field: &str,
) -> ApiResult<Participant> {
    let (chapter, id) =
        parse_participant_name(name).map_err(|e| ApiError::invalid(field, e.into_description()))?;
    scope::managed_chapter(principal, chapter.as_str(), name)?;
    let p = participants::get_participant(&mut **tx, id.into())
        .await
        .named(name)?;
    if p.chapter_id != chapter.as_str() {
        return Err(scope::not_found(name));
    }
    Ok(p)
}

/// A match named in a request, of a chapter the caller manages.
async fn managed_match(
    tx: &mut Tx,
    principal: &Principal,
    name: &str,
    field: &str,
) -> ApiResult<matches::Match> {
    let (chapter, id) = parse_match_name(name).map_err(|e| ApiError::invalid(field, e.into_description()))?;
    scope::managed_chapter(principal, chapter.as_str(), name)?;
    let m = matches::get_match(&mut **tx, id).await.named(name)?;
    if m.chapter_id != chapter.as_str() {
        return Err(scope::not_found(name));
    }
    Ok(m)
}

/// An optional free text of at most [`REASON_MAX`] characters.
fn check_reason(v: &mut Violations, field: &str, text: &str) {
    if text.chars().count() > REASON_MAX {
        v.add(field, format!("must be at most {REASON_MAX} characters"));
    }
}

impl Matching {
    async fn suggest(
        &self,
        request: Request<pb::SuggestCandidatesRequest>,
    ) -> ApiResult<pb::SuggestCandidatesResponse> {
        let principal = Principal::from_request(&request)?;
        scope::require_role(principal, MANAGERS)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let k = match req.max_candidates {
            0 => None,
            n if (1..=50).contains(&n) => Some(n as usize),
            _ => {
                v.add("max_candidates", "must be between 1 and 50");
                None
            }
        };
        if let Err(e) = parse_participant_name(&req.participant) {
            v.add("participant", e.into_description());
        }
        v.into_result()?;
        let now = self.kit.now();
        let mut tx = self.kit.begin().await?;
        let me = managed_participant(&mut tx, principal, &req.participant, "participant").await?;
        let pool = matchmaking::pool_for(&mut tx, &me.chapter_id, me.id, now).await?;
        let settings = matchmaking::settings(&mut tx, &me.chapter_id).await?;
        let k = k.unwrap_or(usize::from(settings.top_k));
        let index = engine::SuggestionIndex::new(&pool.others, &pool.config);
        let proposals = index
            .suggestions(&pool.me, k, &pool.exclusions)
            .map_err(|v| engine_refusal(v).0)?;
        Ok(pb::SuggestCandidatesResponse {
            candidates: proposals
                .iter()
                .map(|p| candidate_pb(&me.chapter_id, p))
                .collect(),
        })
    }

    async fn create(&self, request: Request<pb::CreateMatchRequest>) -> ApiResult<pb::CreateMatchResponse> {
        let principal = Principal::from_request(&request)?;
        scope::require_role(principal, MANAGERS)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        let chapter = v.check("parent", names::parse_one(&req.parent, "chapters"));
        let given = req.r#match.clone().unwrap_or_default();
        let newcomer = v.check("match.newcomer", parse_participant_name(&given.newcomer));
        let resident = v.check(
            "match.established_resident",
            parse_participant_name(&given.established_resident),
        );
        if req.r#match.is_none() {
            v.add("match", "is required");
        }
        if !given.matching_round.is_empty() {
            v.add(
                "match.matching_round",
                "is set by CommitMatchingRound; leave it empty",
            );
        }
        check_reason(&mut v, "override_reason", &req.override_reason);
        v.into_result()?;
        let (Some(rid), Some(chapter), Some(newcomer), Some(resident)) = (rid, chapter, newcomer, resident)
        else {
            return Err(ApiError::bug("a checked field is missing"));
        };
        scope::managed_chapter(principal, chapter.as_str(), &req.parent)?;
        // Each participant must be of the parent chapter; one elsewhere is not found.
        for (name, (c, _)) in [
            (&given.newcomer, &newcomer),
            (&given.established_resident, &resident),
        ] {
            if c != &chapter {
                return Err(scope::not_found(name));
            }
        }
        let now = self.kit.now();
        let (newcomer, resident): (Uuid, Uuid) = (newcomer.1.into(), resident.1.into());
        let override_reason = req.override_reason.trim().to_owned();
        self.kit
            .mutate(principal, "CreateMatch", rid, req, async |tx| {
                for (id, name) in [
                    (newcomer, &given.newcomer),
                    (resident, &given.established_resident),
                ] {
                    let p = participants::get_participant(&mut **tx, id).await.named(name)?;
                    if p.chapter_id != chapter.as_str() {
                        return Err(scope::not_found(name));
                    }
                }
                let (n, r, config, exclusions) =
                    matchmaking::pair(tx, chapter.as_str(), newcomer, resident, now).await?;
                let (score, override_) = match engine::evaluate(&n, &r, &config, &exclusions) {
                    Ok(explanation) => (Some(matchmaking::stored_score(&explanation)), None),
                    Err(violation) => {
                        let (refusal, overridable) = engine_refusal(violation);
                        if !overridable || override_reason.is_empty() {
                            return Err(refusal);
                        }
                        (None, Some((violation.to_string(), override_reason.clone())))
                    }
                };
                let programme = matches::get_programme(&mut **tx, chapter.as_str()).await?;
                let proposal = NewProposal {
                    chapter: chapter.as_str(),
                    newcomer,
                    resident,
                    score,
                    override_,
                    proposer: &principal.subject,
                    matching_round: None,
                    deadline: now + time::Duration::days(i64::from(programme.proposal_deadline_days)),
                    at: now,
                };
                let m = matches::propose(tx, &proposal).await??;
                Ok(pb::CreateMatchResponse {
                    r#match: Some(match_pb(&m)?),
                })
            })
            .await
    }

    async fn get(&self, request: Request<pb::GetMatchRequest>) -> ApiResult<pb::GetMatchResponse> {
        let principal = Principal::from_request(&request)?;
        scope::require_role(principal, MANAGERS)?;
        let mut tx = self.kit.begin().await?;
        let m = managed_match(&mut tx, principal, &request.get_ref().name, "name").await?;
        Ok(pb::GetMatchResponse {
            r#match: Some(match_pb(&m)?),
        })
    }

    async fn list(&self, request: Request<pb::ListMatchesRequest>) -> ApiResult<pb::ListMatchesResponse> {
        let principal = Principal::from_request(&request)?;
        scope::require_role(principal, MANAGERS)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let parent = v.check("parent", names::parse_parent_or_wildcard(&req.parent, "chapters"));
        let mut states = Vec::new();
        for (i, s) in req.states.iter().enumerate() {
            if let Some(state) = v.check(format!("states[{i}]"), parse_state(*s)) {
                states.push(state.as_str().to_owned());
            }
        }
        let participant = if req.participant.is_empty() {
            None
        } else {
            v.check("participant", parse_participant_name(&req.participant))
        };
        if req.no_check_in_since.is_some() {
            v.add(
                "no_check_in_since",
                "check-ins are not served yet; leave it unset",
            );
        }
        let filters = format!("{}|{:?}|{}", req.parent, req.states, req.participant);
        let page = Page::parse_into(&mut v, req.page_size, &req.page_token, &filters);
        v.into_result()?;
        let (Some(parent), Some(page)) = (parent, page) else {
            return Err(ApiError::bug("a checked field is missing"));
        };
        let chapter = match parent {
            None if principal.role == Role::Administrator => None,
            None => principal.chapter.as_ref().map(|c| c.as_str().to_owned()),
            Some(c) => {
                scope::managed_chapter(principal, c.as_str(), &req.parent)?;
                Some(c.as_str().to_owned())
            }
        };
        let after = match &page.after {
            Some(key) => Some(parse_time_key(key).ok_or_else(crate::views::participant::bad_page_token)?),
            None => None,
        };
        let filter = matches::ListFilter {
            chapter,
            states,
            participant: participant.map(|(_, id)| id.into()),
        };
        let mut rows =
            matches::list_matches(self.kit.store().pool(), &filter, after, page.fetch_limit()).await?;
        let next_page_token = page.finish(&mut rows, |m| time_key(m.create_time, m.id));
        Ok(pb::ListMatchesResponse {
            matches: rows.iter().map(match_pb).collect::<ApiResult<_>>()?,
            next_page_token,
        })
    }

    async fn accept(&self, request: Request<pb::AcceptMatchRequest>) -> ApiResult<pb::AcceptMatchResponse> {
        let principal = Principal::from_request(&request)?;
        scope::require_role(principal, MANAGERS)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        let name = v.check("name", parse_match_name(&req.name));
        let side = v.check("side", parse_role(req.side));
        let channel = v.check("how_agreed", parse_channel_on_behalf(req.how_agreed));
        v.into_result()?;
        let (Some(rid), Some((chapter, _)), Some(side), Some(channel)) = (rid, name, side, channel) else {
            return Err(ApiError::bug("a checked field is missing"));
        };
        scope::managed_chapter(principal, chapter.as_str(), &req.name)?;
        let now = self.kit.now();
        self.kit
            .mutate(principal, "AcceptMatch", rid, req, async |tx| {
                let m = managed_match(tx, principal, &req.name, "name").await?;
                let accepted = matches::accept(
                    tx,
                    &Acceptance {
                        match_id: m.id,
                        side,
                        channel,
                        recorded_by: &principal.subject,
                        at: now,
                    },
                )
                .await??;
                Ok(pb::AcceptMatchResponse {
                    r#match: Some(match_pb(&accepted)?),
                })
            })
            .await
    }

    async fn decline(
        &self,
        request: Request<pb::DeclineMatchRequest>,
    ) -> ApiResult<pb::DeclineMatchResponse> {
        let principal = Principal::from_request(&request)?;
        scope::require_role(principal, MANAGERS)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        let name = v.check("name", parse_match_name(&req.name));
        let cause = match req.side {
            0 => Some(DeclineCause::Coordinator),
            side => v.check("side", parse_role(side)).map(|role| match role {
                ParticipantRole::Newcomer => DeclineCause::Newcomer,
                ParticipantRole::EstablishedResident => DeclineCause::EstablishedResident,
            }),
        };
        check_reason(&mut v, "reason", &req.reason);
        v.into_result()?;
        let (Some(rid), Some((chapter, _)), Some(cause)) = (rid, name, cause) else {
            return Err(ApiError::bug("a checked field is missing"));
        };
        scope::managed_chapter(principal, chapter.as_str(), &req.name)?;
        let now = self.kit.now();
        let response = self
            .kit
            .mutate(principal, "DeclineMatch", rid, req, async |tx| {
                let m = managed_match(tx, principal, &req.name, "name").await?;
                let declined = matches::decline(
                    tx,
                    &Decline {
                        match_id: m.id,
                        cause,
                        reason: req.reason.trim(),
                        actor: &principal.subject,
                        at: now,
                    },
                )
                .await??;
                Ok(pb::DeclineMatchResponse {
                    r#match: Some(match_pb(&declined)?),
                })
            })
            .await?;
        offer_after(&self.kit, &req.name, now).await;
        Ok(response)
    }

    async fn start(&self, request: Request<pb::StartMatchRequest>) -> ApiResult<pb::StartMatchResponse> {
        let principal = Principal::from_request(&request)?;
        scope::require_role(principal, MANAGERS)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        let name = v.check("name", parse_match_name(&req.name));
        v.into_result()?;
        let (Some(rid), Some((chapter, _))) = (rid, name) else {
            return Err(ApiError::bug("a checked field is missing"));
        };
        scope::managed_chapter(principal, chapter.as_str(), &req.name)?;
        let now = self.kit.now();
        self.kit
            .mutate(principal, "StartMatch", rid, req, async |tx| {
                let m = managed_match(tx, principal, &req.name, "name").await?;
                let started = matches::start(tx, m.id, &principal.subject, now).await?;
                Ok(pb::StartMatchResponse {
                    r#match: Some(match_pb(&started)?),
                })
            })
            .await
    }

    async fn end(&self, request: Request<pb::EndMatchRequest>) -> ApiResult<pb::EndMatchResponse> {
        let principal = Principal::from_request(&request)?;
        scope::require_role(principal, MANAGERS)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        let name = v.check("name", parse_match_name(&req.name));
        let reason = v.check("reason", parse_end_reason(req.reason));
        check_reason(&mut v, "note", &req.note);
        if reason == Some(kompis_domain::MatchEndReason::Other) && req.note.trim().is_empty() {
            v.add("note", "is required when the reason is OTHER");
        }
        v.into_result()?;
        let (Some(rid), Some((chapter, _)), Some(reason)) = (rid, name, reason) else {
            return Err(ApiError::bug("a checked field is missing"));
        };
        scope::managed_chapter(principal, chapter.as_str(), &req.name)?;
        let now = self.kit.now();
        self.kit
            .mutate(principal, "EndMatch", rid, req, async |tx| {
                let m = managed_match(tx, principal, &req.name, "name").await?;
                let ended = matches::end(
                    tx,
                    &matches::Ending {
                        match_id: m.id,
                        reason,
                        note: req.note.trim(),
                        return_to_waiting_list: req.return_to_waiting_list,
                        actor: &principal.subject,
                        at: now,
                    },
                )
                .await?;
                Ok(pb::EndMatchResponse {
                    r#match: Some(match_pb(&ended)?),
                })
            })
            .await
    }

    async fn get_programme(
        &self,
        request: Request<pb::GetMatchingProgrammeRequest>,
    ) -> ApiResult<pb::GetMatchingProgrammeResponse> {
        let principal = Principal::from_request(&request)?;
        scope::require_role(principal, MANAGERS)?;
        let name = &request.get_ref().name;
        let chapter = names::parse_singleton(name, "chapters", "matchingProgramme")
            .map_err(|e| ApiError::invalid("name", e.into_description()))?;
        scope::managed_chapter(principal, chapter.as_str(), name)?;
        let p = matches::get_programme(self.kit.store().pool(), chapter.as_str())
            .await
            .named(name)?;
        Ok(pb::GetMatchingProgrammeResponse {
            matching_programme: Some(programme_pb(&p)),
        })
    }

    async fn update_programme(
        &self,
        request: Request<pb::UpdateMatchingProgrammeRequest>,
    ) -> ApiResult<pb::UpdateMatchingProgrammeResponse> {
        let principal = Principal::from_request(&request)?;
        scope::require_role(principal, ADMINISTRATORS)?;
        let req = request.get_ref();
        let given = req.matching_programme.clone().unwrap_or_default();
        let mut v = Violations::new();
        if req.matching_programme.is_none() {
            v.add("matching_programme", "is required");
        }
        let chapter: Option<Slug> = v.check(
            "matching_programme.name",
            names::parse_singleton(&given.name, "chapters", "matchingProgramme"),
        );
        if !(1..=60).contains(&given.proposal_deadline_days) {
            v.add(
                "matching_programme.proposal_deadline_days",
                "must be between 1 and 60",
            );
        }
        if !(1..=24).contains(&given.period_months) {
            v.add("matching_programme.period_months", "must be between 1 and 24");
        }
        let days = &given.check_in_days;
        if days.len() > 12
            || days.iter().any(|d| !(1..=730).contains(d))
            || days.windows(2).any(|w| w[0] >= w[1])
        {
            v.add(
                "matching_programme.check_in_days",
                "must be at most 12 days, each 1 to 730, in ascending order",
            );
        }
        v.into_result()?;
        let Some(chapter) = chapter else {
            return Err(ApiError::bug("a checked field is missing"));
        };
        scope::managed_chapter(principal, chapter.as_str(), &given.name)?;
        let now = self.kit.now();
        let programme = matches::Programme {
            chapter_id: chapter.as_str().to_owned(),
            proposal_deadline_days: given.proposal_deadline_days,
            auto_offer_next: given.auto_offer_next,
            check_in_days: given.check_in_days.clone(),
            period_months: given.period_months,
            update_time: None,
        };
        let mut tx = self.kit.begin().await?;
        let stored = matches::set_programme(&mut tx, &programme, now)
            .await
            .named(&given.name)?;
        self.kit.commit(tx).await?;
        Ok(pb::UpdateMatchingProgrammeResponse {
            matching_programme: Some(programme_pb(&stored)),
        })
    }
}

/// After a decline has committed: offers the next candidate to the side left waiting
/// (its own transaction; a failure is logged, the decline stands).
pub(crate) async fn offer_after(kit: &Kit, match_name: &str, now: time::OffsetDateTime) {
    let Ok((_, id)) = parse_match_name(match_name) else {
        return;
    };
    let result = async {
        let m = matches::get_match(kit.store().pool(), id).await?;
        matchmaking::after_decline(kit.store(), &m, now).await
    }
    .await;
    match result {
        Ok(Some(m)) => tracing::info!(proposal = %m.id, "next candidate offered"),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "offering the next candidate failed"),
    }
}

#[tonic::async_trait]
impl MatchingService for Matching {
    #[tracing::instrument(skip_all, fields(rpc = "SuggestCandidates"))]
    async fn suggest_candidates(
        &self,
        request: Request<pb::SuggestCandidatesRequest>,
    ) -> Result<Response<pb::SuggestCandidatesResponse>, Status> {
        respond(self.suggest(request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "RunMatchingRound"))]
    async fn run_matching_round(
        &self,
        request: Request<pb::RunMatchingRoundRequest>,
    ) -> Result<Response<pb::RunMatchingRoundResponse>, Status> {
        respond(rounds::run(&self.kit, request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetMatchingRound"))]
    async fn get_matching_round(
        &self,
        request: Request<pb::GetMatchingRoundRequest>,
    ) -> Result<Response<pb::GetMatchingRoundResponse>, Status> {
        respond(rounds::get(&self.kit, request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListMatchingRounds"))]
    async fn list_matching_rounds(
        &self,
        request: Request<pb::ListMatchingRoundsRequest>,
    ) -> Result<Response<pb::ListMatchingRoundsResponse>, Status> {
        respond(rounds::list(&self.kit, request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "CreateMatch"))]
    async fn create_match(
        &self,
        request: Request<pb::CreateMatchRequest>,
    ) -> Result<Response<pb::CreateMatchResponse>, Status> {
        respond(self.create(request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetMatch"))]
    async fn get_match(
        &self,
        request: Request<pb::GetMatchRequest>,
    ) -> Result<Response<pb::GetMatchResponse>, Status> {
        respond(self.get(request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListMatches"))]
    async fn list_matches(
        &self,
        request: Request<pb::ListMatchesRequest>,
    ) -> Result<Response<pb::ListMatchesResponse>, Status> {
        respond(self.list(request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "AcceptMatch"))]
    async fn accept_match(
        &self,
        request: Request<pb::AcceptMatchRequest>,
    ) -> Result<Response<pb::AcceptMatchResponse>, Status> {
        respond(self.accept(request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "DeclineMatch"))]
    async fn decline_match(
        &self,
        request: Request<pb::DeclineMatchRequest>,
    ) -> Result<Response<pb::DeclineMatchResponse>, Status> {
        respond(self.decline(request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "StartMatch"))]
    async fn start_match(
        &self,
        request: Request<pb::StartMatchRequest>,
    ) -> Result<Response<pb::StartMatchResponse>, Status> {
        respond(self.start(request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "EndMatch"))]
    async fn end_match(
        &self,
        request: Request<pb::EndMatchRequest>,
    ) -> Result<Response<pb::EndMatchResponse>, Status> {
        respond(self.end(request).await)
    }

    async fn rematch_participant(
        &self,
        _request: Request<pb::RematchParticipantRequest>,
    ) -> Result<Response<pb::RematchParticipantResponse>, Status> {
        Err(not_yet("rematching"))
    }

    async fn record_check_in(
        &self,
        _request: Request<pb::RecordCheckInRequest>,
    ) -> Result<Response<pb::RecordCheckInResponse>, Status> {
        Err(not_yet("check-ins"))
    }

    async fn list_check_ins(
        &self,
        _request: Request<pb::ListCheckInsRequest>,
    ) -> Result<Response<pb::ListCheckInsResponse>, Status> {
        Err(not_yet("check-ins"))
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetMatchingProgramme"))]
    async fn get_matching_programme(
        &self,
        request: Request<pb::GetMatchingProgrammeRequest>,
    ) -> Result<Response<pb::GetMatchingProgrammeResponse>, Status> {
        respond(self.get_programme(request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateMatchingProgramme"))]
    async fn update_matching_programme(
        &self,
        request: Request<pb::UpdateMatchingProgrammeRequest>,
    ) -> Result<Response<pb::UpdateMatchingProgrammeResponse>, Status> {
        respond(self.update_programme(request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListMatchingRoundProposals"))]
    async fn list_matching_round_proposals(
        &self,
        request: Request<pb::ListMatchingRoundProposalsRequest>,
    ) -> Result<Response<pb::ListMatchingRoundProposalsResponse>, Status> {
        respond(rounds::list_proposals(&self.kit, request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListWaitingNewcomers"))]
    async fn list_waiting_newcomers(
        &self,
        request: Request<pb::ListWaitingNewcomersRequest>,
    ) -> Result<Response<pb::ListWaitingNewcomersResponse>, Status> {
        respond(rounds::list_waiting(&self.kit, request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "CommitMatchingRound"))]
    async fn commit_matching_round(
        &self,
        request: Request<pb::CommitMatchingRoundRequest>,
    ) -> Result<Response<pb::CommitMatchingRoundResponse>, Status> {
        respond(rounds::commit(&self.kit, request).await)
    }
}
