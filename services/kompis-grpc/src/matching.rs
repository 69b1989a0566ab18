//! `kompis.v1.MatchingService`: suggestions with the engine's explanation, proposals
//! (with a recorded override for pairs the engine refuses), acceptance on someone's
//! behalf with how they agreed, declines and withdrawals, starting and ending matches,
//! and the chapter's programme settings.
//!
//! Following matches (their follow-up status, check-ins, rematching) and the programme
//! settings are in [`crate::follow_up`]; matching rounds live in [`rounds`].

use kompis_domain::{DeclineCause, ParticipantRole, Violations};
use kompis_matching as engine;
use kompis_proto::v1 as pb;
use kompis_proto::v1::matching_service_server::MatchingService;
use kompis_store::matches::{self, Acceptance, Decline, NewProposal};
use kompis_store::participants;
use kompis_store::suggestions;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::audit::{Action, Named};
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt, engine_refusal};
use crate::kit::scope;
use crate::kit::{Kit, RequestId, names, respond};
use crate::views::matching::{
    candidate_pb, match_pb, parse_channel_on_behalf, parse_end_reason, parse_match_name,
};
use crate::views::participant::{parse_participant_name, parse_role};
use crate::{follow_up, matchmaking};

pub mod rounds;

/// Longest free text on a match (override and decline reasons).
const REASON_MAX: usize = 500;

/// The MatchingService implementation.
#[derive(Debug, Clone)]
pub struct Matching {
    kit: Kit,
    /// Chapters' pools in memory for suggestions, validated against the database on
    /// every call (see [`matchmaking::SuggestionCache`]).
    suggestions: std::sync::Arc<matchmaking::SuggestionCache>,
}

impl Matching {
    /// A service on `kit`.
    pub fn new(kit: Kit) -> Self {
        Self {
            kit,
            suggestions: Default::default(),
        }
    }
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
        let asked = v.check("participant", parse_participant_name(&req.participant));
        v.into_result()?;
        let Some((chapter, id)) = asked else {
            return Err(ApiError::bug("a checked field is missing"));
        };
        scope::managed_chapter(principal, chapter.as_str(), &req.participant)?;
        let now = self.kit.now();
        let store = self.kit.store();
        // One statement, outside a transaction, reads all the call needs from the
        // database (the pool itself is in memory): see `kompis_store::suggestions`.
        let asked = suggestions::context(store.pool(), id.into())
            .await?
            .filter(|c| c.chapter_id == chapter.as_str())
            .ok_or_else(|| scope::not_found(&req.participant))?;
        let settings = asked.weights.settings()?;
        let k = k.unwrap_or(usize::from(settings.top_k));
        let config = matchmaking::config_with_rules(&settings, &asked.rules);
        let proposals = self
            .suggestions
            .suggestions(store, &asked, k, config, now)
            .await?
            .map_err(|v| engine_refusal(v).0)?;
        Ok(pb::SuggestCandidatesResponse {
            candidates: proposals
                .iter()
                .map(|p| candidate_pb(&asked.chapter_id, p))
                .collect(),
        })
    }

    async fn create(&self, request: Request<pb::CreateMatchRequest>) -> ApiResult<pb::CreateMatchResponse> {
        let principal = Principal::from_request(&request)?;
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

    async fn accept(&self, request: Request<pb::AcceptMatchRequest>) -> ApiResult<pb::AcceptMatchResponse> {
        let principal = Principal::from_request(&request)?;
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
                let m = follow_up::managed_match(tx, principal, &req.name, "name").await?;
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
        let (Some(rid), Some((chapter, match_id)), Some(cause)) = (rid, name, cause) else {
            return Err(ApiError::bug("a checked field is missing"));
        };
        scope::managed_chapter(principal, chapter.as_str(), &req.name)?;
        let now = self.kit.now();
        let response = self
            .kit
            .mutate(principal, "DeclineMatch", rid, req, async |tx| {
                let m = follow_up::managed_match(tx, principal, &req.name, "name").await?;
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
        matchmaking::offer_next_after(self.kit.store(), match_id, now).await;
        Ok(response)
    }

    async fn start(&self, request: Request<pb::StartMatchRequest>) -> ApiResult<pb::StartMatchResponse> {
        let principal = Principal::from_request(&request)?;
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
                let m = follow_up::managed_match(tx, principal, &req.name, "name").await?;
                let started = matches::start(tx, m.id, &principal.subject, now).await?;
                Ok(pb::StartMatchResponse {
                    r#match: Some(match_pb(&started)?),
                })
            })
            .await
    }

    async fn end(&self, request: Request<pb::EndMatchRequest>) -> ApiResult<pb::EndMatchResponse> {
        let principal = Principal::from_request(&request)?;
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
                let m = follow_up::managed_match(tx, principal, &req.name, "name").await?;
                let ended = matches::end(
                    tx,
                    &matches::Ending {
                        match_id: m.id,
                        reason,
                        note: req.note.trim(),
                        return_to_waiting_list: req.return_to_waiting_list,
                        leaves: None,
                        ended_by: None,
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
}

#[tonic::async_trait]
impl MatchingService for Matching {
    #[tracing::instrument(skip_all, fields(rpc = "SuggestCandidates"))]
    async fn suggest_candidates(
        &self,
        request: Request<pb::SuggestCandidatesRequest>,
    ) -> Result<Response<pb::SuggestCandidatesResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let asked = request.get_ref().participant.clone();
        let outcome: Result<Response<pb::SuggestCandidatesResponse>, Status> =
            async { respond(self.suggest(request).await) }.await;
        // The participant asked about, and each candidate shown (the side other than the
        // one asked about), each a read of their record, in one statement.
        self.kit
            .audit_call_showing(
                &audit_principal,
                "SuggestCandidates",
                Named::Participant(asked.clone()),
                Action::Read,
                outcome,
                |r| {
                    r.candidates
                        .iter()
                        .flat_map(|c| [&c.newcomer, &c.established_resident])
                        .filter(|name| **name != asked)
                        .map(|name| (name.clone(), name.clone()))
                        .collect()
                },
            )
            .await
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
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Participants(
            request
                .get_ref()
                .r#match
                .as_ref()
                .map(|m| vec![m.newcomer.clone(), m.established_resident.clone()])
                .unwrap_or_default(),
        );
        let outcome: Result<Response<pb::CreateMatchResponse>, Status> =
            async { respond(self.create(request).await) }.await;
        self.kit
            .audit_call(&principal, "CreateMatch", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetMatch"))]
    async fn get_match(
        &self,
        request: Request<pb::GetMatchRequest>,
    ) -> Result<Response<pb::GetMatchResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Match(request.get_ref().name.clone());
        let outcome: Result<Response<pb::GetMatchResponse>, Status> =
            async { respond(follow_up::get_match(&self.kit, request).await) }.await;
        self.kit
            .audit_call(&principal, "GetMatch", named, Action::Read, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListMatches"))]
    async fn list_matches(
        &self,
        request: Request<pb::ListMatchesRequest>,
    ) -> Result<Response<pb::ListMatchesResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let outcome: Result<Response<pb::ListMatchesResponse>, Status> =
            async { respond(follow_up::list_matches(&self.kit, request).await) }.await;
        self.kit
            .audit_shown(&audit_principal, "ListMatches", outcome, |r| {
                r.matches
                    .iter()
                    .flat_map(|m| {
                        [
                            (m.newcomer.clone(), m.name.clone()),
                            (m.established_resident.clone(), m.name.clone()),
                        ]
                    })
                    .collect()
            })
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "AcceptMatch"))]
    async fn accept_match(
        &self,
        request: Request<pb::AcceptMatchRequest>,
    ) -> Result<Response<pb::AcceptMatchResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Match(request.get_ref().name.clone());
        let outcome: Result<Response<pb::AcceptMatchResponse>, Status> =
            async { respond(self.accept(request).await) }.await;
        self.kit
            .audit_call(&principal, "AcceptMatch", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "DeclineMatch"))]
    async fn decline_match(
        &self,
        request: Request<pb::DeclineMatchRequest>,
    ) -> Result<Response<pb::DeclineMatchResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Match(request.get_ref().name.clone());
        let outcome: Result<Response<pb::DeclineMatchResponse>, Status> =
            async { respond(self.decline(request).await) }.await;
        self.kit
            .audit_call(&principal, "DeclineMatch", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "StartMatch"))]
    async fn start_match(
        &self,
        request: Request<pb::StartMatchRequest>,
    ) -> Result<Response<pb::StartMatchResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Match(request.get_ref().name.clone());
        let outcome: Result<Response<pb::StartMatchResponse>, Status> =
            async { respond(self.start(request).await) }.await;
        self.kit
            .audit_call(&principal, "StartMatch", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "EndMatch"))]
    async fn end_match(
        &self,
        request: Request<pb::EndMatchRequest>,
    ) -> Result<Response<pb::EndMatchResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Match(request.get_ref().name.clone());
        let outcome: Result<Response<pb::EndMatchResponse>, Status> =
            async { respond(self.end(request).await) }.await;
        self.kit
            .audit_call(&principal, "EndMatch", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "RematchParticipant"))]
    async fn rematch_participant(
        &self,
        request: Request<pb::RematchParticipantRequest>,
    ) -> Result<Response<pb::RematchParticipantResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Participant(request.get_ref().participant.clone());
        let outcome: Result<Response<pb::RematchParticipantResponse>, Status> =
            async { respond(follow_up::rematch(&self.kit, request).await) }.await;
        self.kit
            .audit_call(&principal, "RematchParticipant", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "RecordCheckIn"))]
    async fn record_check_in(
        &self,
        request: Request<pb::RecordCheckInRequest>,
    ) -> Result<Response<pb::RecordCheckInResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Match(request.get_ref().parent.clone());
        let outcome: Result<Response<pb::RecordCheckInResponse>, Status> =
            async { respond(follow_up::record_check_in(&self.kit, request).await) }.await;
        self.kit
            .audit_call(&principal, "RecordCheckIn", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListCheckIns"))]
    async fn list_check_ins(
        &self,
        request: Request<pb::ListCheckInsRequest>,
    ) -> Result<Response<pb::ListCheckInsResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Match(request.get_ref().parent.clone());
        let outcome: Result<Response<pb::ListCheckInsResponse>, Status> =
            async { respond(follow_up::list_check_ins(&self.kit, request).await) }.await;
        self.kit
            .audit_call(&principal, "ListCheckIns", named, Action::Read, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetMatchingProgramme"))]
    async fn get_matching_programme(
        &self,
        request: Request<pb::GetMatchingProgrammeRequest>,
    ) -> Result<Response<pb::GetMatchingProgrammeResponse>, Status> {
        respond(follow_up::get_programme(&self.kit, request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateMatchingProgramme"))]
    async fn update_matching_programme(
        &self,
        request: Request<pb::UpdateMatchingProgrammeRequest>,
    ) -> Result<Response<pb::UpdateMatchingProgrammeResponse>, Status> {
        respond(follow_up::update_programme(&self.kit, request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListMatchingRoundProposals"))]
    async fn list_matching_round_proposals(
        &self,
        request: Request<pb::ListMatchingRoundProposalsRequest>,
    ) -> Result<Response<pb::ListMatchingRoundProposalsResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let outcome: Result<Response<pb::ListMatchingRoundProposalsResponse>, Status> =
            async { respond(rounds::list_proposals(&self.kit, request).await) }.await;
        self.kit
            .audit_shown(&audit_principal, "ListMatchingRoundProposals", outcome, |r| {
                r.proposals
                    .iter()
                    .flat_map(|p| {
                        [
                            (p.newcomer.clone(), p.name.clone()),
                            (p.established_resident.clone(), p.name.clone()),
                        ]
                    })
                    .collect()
            })
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListWaitingNewcomers"))]
    async fn list_waiting_newcomers(
        &self,
        request: Request<pb::ListWaitingNewcomersRequest>,
    ) -> Result<Response<pb::ListWaitingNewcomersResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let outcome: Result<Response<pb::ListWaitingNewcomersResponse>, Status> =
            async { respond(rounds::list_waiting(&self.kit, request).await) }.await;
        self.kit
            .audit_shown(&audit_principal, "ListWaitingNewcomers", outcome, |r| {
                r.waiting_newcomers
                    .iter()
                    .map(|w| (w.newcomer.clone(), w.newcomer.clone()))
                    .collect()
            })
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "CommitMatchingRound"))]
    async fn commit_matching_round(
        &self,
        request: Request<pb::CommitMatchingRoundRequest>,
    ) -> Result<Response<pb::CommitMatchingRoundResponse>, Status> {
        respond(rounds::commit(&self.kit, request).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "CancelMatchingRound"))]
    async fn cancel_matching_round(
        &self,
        request: Request<pb::CancelMatchingRoundRequest>,
    ) -> Result<Response<pb::CancelMatchingRoundResponse>, Status> {
        respond(rounds::cancel(&self.kit, request).await)
    }
}
