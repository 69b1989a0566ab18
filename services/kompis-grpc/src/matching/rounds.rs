//! Matching rounds: a dry run of the engine over a scope's waiting list, computed in
//! the background by `kompisd worker` ([`run_next`]), read page by page, then committed
//! in full or in part as proposed matches, atomically.
//!
//! A round is a row in PostgreSQL and its state is the long-running operation's state,
//! so any replica answers GetMatchingRound. One round at a time per chapter, whatever
//! its scope (a district's newcomers may take residents from anywhere in the chapter):
//! the chapter's advisory lock is taken to start a round, held by the worker while it
//! computes, and taken again to commit ([`kompis_store::rounds`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use kompis_domain::{Clock, ParticipantRole, Violations};
use kompis_matching as engine;
use kompis_proto::v1 as pb;
use kompis_proto::v1::ErrorReason;
use kompis_store::matches;
use kompis_store::rounds::{self, Phase, Round, RoundState, WaitReason};
use kompis_store::{DomainViolation, Store, StoreError, Tx};
use time::OffsetDateTime;
use tonic::Request;
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::convert::timestamp;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::page::Page;
use crate::kit::scope;
use crate::kit::{Kit, RequestId, names};
use crate::matchmaking::{self, Interests, engine_id, stored_score, to_engine, uuid_of};
use crate::views::matching::stored_score_pb;
use crate::views::participant::{bad_page_token, parse_time_key, time_key};

/// Most proposals one commit may name (an empty list commits them all).
const COMMIT_NAMES_MAX: usize = 1000;
/// How often a running dry run's progress is written.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);
/// How many rounds a worker looks at per tick.
const CANDIDATES: i64 = 10;

fn participant_name(chapter: &str, id: Uuid) -> String {
    format!("chapters/{chapter}/participants/{id}")
}

fn proposal_name(chapter: &str, round: Uuid, newcomer: Uuid) -> String {
    format!("{}/proposals/{newcomer}", rounds::resource_name(chapter, round))
}

/// Parses `chapters/{chapter}/matchingRounds/{round}`.
fn parse_round_name(name: &str) -> Result<(String, Uuid), kompis_domain::FieldError> {
    let bad = || {
        kompis_domain::FieldError::new(
            "must be a resource name of the form chapters/{chapter}/matchingRounds/{matching_round}",
        )
    };
    match name.split('/').collect::<Vec<_>>().as_slice() {
        ["chapters", chapter, "matchingRounds", id] => {
            let chapter = names::parse_one(&format!("chapters/{chapter}"), "chapters")?;
            let id = Uuid::parse_str(id).map_err(|_| bad())?;
            Ok((chapter.as_str().to_owned(), id))
        }
        _ => Err(bad()),
    }
}

/// Parses a proposal name of the round `round_name`: the newcomer's id.
fn parse_proposal_name(round_name: &str, name: &str) -> Result<Uuid, kompis_domain::FieldError> {
    name.strip_prefix(round_name)
        .and_then(|rest| rest.strip_prefix("/proposals/"))
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| {
            kompis_domain::FieldError::new(format!(
                "must be a proposal of {round_name}: {round_name}/proposals/{{proposal}}"
            ))
        })
}

fn state_pb(state: RoundState) -> pb::MatchingRoundState {
    match state {
        RoundState::Pending => pb::MatchingRoundState::Pending,
        RoundState::Running => pb::MatchingRoundState::Running,
        RoundState::Succeeded => pb::MatchingRoundState::Succeeded,
        RoundState::Failed => pb::MatchingRoundState::Failed,
        RoundState::Committed => pb::MatchingRoundState::Committed,
        RoundState::Cancelled => pb::MatchingRoundState::Cancelled,
    }
}

fn phase_pb(phase: Phase) -> pb::MatchingRoundPhase {
    match phase {
        Phase::Queued => pb::MatchingRoundPhase::Queued,
        Phase::Loading => pb::MatchingRoundPhase::Loading,
        Phase::Scoring => pb::MatchingRoundPhase::Scoring,
        Phase::Assigning => pb::MatchingRoundPhase::Assigning,
        Phase::Explaining => pb::MatchingRoundPhase::Explaining,
        Phase::Saving => pb::MatchingRoundPhase::Saving,
        Phase::Done => pb::MatchingRoundPhase::Done,
    }
}

fn reason_pb(reason: WaitReason) -> pb::WaitReason {
    match reason {
        WaitReason::NoResidentWithinReach => pb::WaitReason::NoResidentWithinReach,
        WaitReason::NoSharedLanguage => pb::WaitReason::NoSharedLanguage,
        WaitReason::NoCommonTime => pb::WaitReason::NoCommonTime,
        WaitReason::HardWish => pb::WaitReason::HardWish,
        WaitReason::OnlyExcludedPairs => pb::WaitReason::OnlyExcludedPairs,
        WaitReason::CandidatesTaken => pb::WaitReason::CandidatesTaken,
    }
}

fn wait_reason(reason: engine::WaitReason) -> WaitReason {
    match reason {
        engine::WaitReason::NoResidentWithinReach => WaitReason::NoResidentWithinReach,
        engine::WaitReason::NoSharedLanguage => WaitReason::NoSharedLanguage,
        engine::WaitReason::NoCommonTime => WaitReason::NoCommonTime,
        engine::WaitReason::HardWish => WaitReason::HardWish,
        engine::WaitReason::OnlyExcludedPairs => WaitReason::OnlyExcludedPairs,
        engine::WaitReason::CandidatesTakenByOthers => WaitReason::CandidatesTaken,
    }
}

/// A round for coordinators, as of `now` (whether it is stalled).
pub fn round_pb(r: &Round, now: OffsetDateTime) -> ApiResult<pb::MatchingRound> {
    let state = r.parsed_state()?;
    let figures = match (
        r.newcomers_ready,
        r.residents_ready,
        r.resident_capacity,
        r.admissible_pairs,
        r.matched,
        r.waiting,
        r.total_score,
    ) {
        (Some(n), Some(res), Some(cap), Some(pairs), Some(matched), Some(waiting), Some(total)) => {
            Some(pb::MatchingRoundFigures {
                newcomers_ready: n,
                residents_ready: res,
                resident_capacity: cap,
                admissible_pairs: pairs,
                matched,
                waiting,
                total_score: total,
            })
        }
        _ => None,
    };
    Ok(pb::MatchingRound {
        name: r.resource_name(),
        creator: r.creator.clone(),
        district: match (&r.municipality_id, &r.district_id) {
            (Some(m), Some(d)) => names::district(m, d),
            _ => String::new(),
        },
        create_time: timestamp(r.create_time),
        municipality: match (&r.municipality_id, &r.district_id) {
            (Some(m), None) => names::municipality(m),
            _ => String::new(),
        },
        state: state_pb(state) as i32,
        phase: phase_pb(r.parsed_phase()?) as i32,
        progress_percent: r.progress_permille / 10,
        figures,
        start_time: r.start_time.and_then(timestamp),
        finish_time: r.finish_time.and_then(timestamp),
        commit_time: r.commit_time.and_then(timestamp),
        committed_proposals: r.committed_proposals,
        failure: r.failure.clone(),
        stalled: r.stalled(now),
        cancel_time: r.cancel_time.and_then(timestamp),
        canceller: r.canceller.clone().unwrap_or_default(),
    })
}

/// The answer while a round of the chapter is in progress.
fn in_progress() -> ApiError {
    ApiError::precondition(
        ErrorReason::RoundInProgress,
        "a matching round is already running for this chapter (one at a time per chapter, \
         whatever its scope); retry when it has finished",
    )
}

/// The (chapter, id) of a round named in a request, of a chapter the caller manages.
fn round_ref(principal: &Principal, name: &str, field: &str) -> ApiResult<(String, Uuid)> {
    let (chapter, id) = parse_round_name(name).map_err(|e| ApiError::invalid(field, e.into_description()))?;
    scope::managed_chapter(principal, &chapter, name)?;
    Ok((chapter, id))
}

/// The round read by id, if it is of `chapter`; NOT_FOUND for `name` otherwise.
fn of_chapter(round: Round, chapter: &str, name: &str) -> ApiResult<Round> {
    if round.chapter_id == chapter {
        Ok(round)
    } else {
        Err(scope::not_found(name))
    }
}

/// A round named in a request, of a chapter the caller manages.
async fn managed_round(kit: &Kit, principal: &Principal, name: &str, field: &str) -> ApiResult<Round> {
    let (chapter, id) = round_ref(principal, name, field)?;
    let round = rounds::get(kit.store().pool(), id).await.named(name)?;
    of_chapter(round, &chapter, name)
}

/// RunMatchingRound: stores the round PENDING for a worker.
pub async fn run(
    kit: &Kit,
    request: Request<pb::RunMatchingRoundRequest>,
) -> ApiResult<pb::RunMatchingRoundResponse> {
    let principal = Principal::from_request(&request)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let rid = v.check("request_id", RequestId::parse(&req.request_id));
    let chapter = v.check("parent", names::parse_one(&req.parent, "chapters"));
    let district = if req.district.is_empty() {
        None
    } else {
        v.check(
            "district",
            names::parse_two(&req.district, "municipalities", "districts"),
        )
    };
    let municipality = if req.municipality.is_empty() {
        None
    } else {
        v.check(
            "municipality",
            names::parse_one(&req.municipality, "municipalities"),
        )
    };
    if !req.district.is_empty() && !req.municipality.is_empty() {
        v.add(
            "municipality",
            "set at most one of district and municipality (a district names its municipality)",
        );
    }
    v.into_result()?;
    let (Some(rid), Some(chapter)) = (rid, chapter) else {
        return Err(ApiError::bug("a checked field is missing"));
    };
    scope::managed_chapter(principal, chapter.as_str(), &req.parent)?;
    let now = kit.now();
    let (municipality, district, field) = match (&district, &municipality) {
        (Some((m, d)), _) => (Some(m.as_str()), Some(d.as_str()), "district"),
        (None, Some(m)) => (Some(m.as_str()), None, "municipality"),
        (None, None) => (None, None, ""),
    };
    kit.mutate(principal, "RunMatchingRound", rid, req, async |tx| {
        // The chapter first: one that does not exist (or is out of scope) is NOT_FOUND.
        matches::get_programme(&mut **tx, chapter.as_str())
            .await
            .named(&req.parent)?;
        if let Some(m) = municipality {
            if !rounds::chapter_covers(&mut **tx, chapter.as_str(), m).await? {
                return Err(ApiError::invalid(
                    field,
                    "is not in a municipality the chapter covers",
                ));
            }
            if let Some(d) = district
                && !rounds::district_exists(&mut **tx, m, d).await?
            {
                return Err(ApiError::invalid(field, "is not a district of its municipality"));
            }
        }
        let round = rounds::create(
            tx,
            &rounds::NewRound {
                chapter: chapter.as_str(),
                municipality,
                district,
                creator: &principal.subject,
                at: now,
            },
        )
        .await
        .named(&req.parent)?
        .map_err(|_| in_progress())?;
        Ok(pb::RunMatchingRoundResponse {
            matching_round: Some(round_pb(&round, now)?),
        })
    })
    .await
}

/// GetMatchingRound.
pub async fn get(
    kit: &Kit,
    request: Request<pb::GetMatchingRoundRequest>,
) -> ApiResult<pb::GetMatchingRoundResponse> {
    let principal = Principal::from_request(&request)?;
    let r = managed_round(kit, principal, &request.get_ref().name, "name").await?;
    Ok(pb::GetMatchingRoundResponse {
        matching_round: Some(round_pb(&r, kit.now())?),
    })
}

/// ListMatchingRounds.
pub async fn list(
    kit: &Kit,
    request: Request<pb::ListMatchingRoundsRequest>,
) -> ApiResult<pb::ListMatchingRoundsResponse> {
    let principal = Principal::from_request(&request)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let chapter = v.check("parent", names::parse_one(&req.parent, "chapters"));
    let page = Page::parse_into(&mut v, req.page_size, &req.page_token, &req.parent);
    v.into_result()?;
    let (Some(chapter), Some(page)) = (chapter, page) else {
        return Err(ApiError::bug("a checked field is missing"));
    };
    scope::managed_chapter(principal, chapter.as_str(), &req.parent)?;
    let after = match &page.after {
        Some(key) => Some(parse_time_key(key).ok_or_else(bad_page_token)?),
        None => None,
    };
    let mut rows = rounds::list(kit.store().pool(), chapter.as_str(), after, page.fetch_limit()).await?;
    let next_page_token = page.finish(&mut rows, |r| time_key(r.create_time, r.id));
    Ok(pb::ListMatchingRoundsResponse {
        matching_rounds: rows
            .iter()
            .map(|r| round_pb(r, kit.now()))
            .collect::<ApiResult<_>>()?,
        next_page_token,
    })
}

/// The round of a list request whose results can be read, and its page.
async fn readable_round(
    kit: &Kit,
    principal: &Principal,
    parent: &str,
    page_size: i32,
    page_token: &str,
) -> ApiResult<(Round, Page, Option<i32>)> {
    let mut v = Violations::new();
    if let Err(e) = parse_round_name(parent) {
        v.add("parent", e.into_description());
    }
    let page = Page::parse_into(&mut v, page_size, page_token, parent);
    v.into_result()?;
    let Some(page) = page else {
        return Err(ApiError::bug("a checked field is missing"));
    };
    let round = managed_round(kit, principal, parent, "parent").await?;
    // A dry run cancelled after it succeeded keeps its results readable.
    let readable = match round.parsed_state()? {
        RoundState::Succeeded | RoundState::Committed => true,
        RoundState::Cancelled => round.matched.is_some(),
        RoundState::Pending | RoundState::Running | RoundState::Failed => false,
    };
    if !readable {
        return Err(ApiError::precondition(
            ErrorReason::RoundNotComplete,
            "the round's dry run has not finished, or it failed",
        ));
    }
    let after = match page.after_first() {
        Some(key) => Some(key.parse::<i32>().map_err(|_| bad_page_token())?),
        None => None,
    };
    Ok((round, page, after))
}

/// ListMatchingRoundProposals.
pub async fn list_proposals(
    kit: &Kit,
    request: Request<pb::ListMatchingRoundProposalsRequest>,
) -> ApiResult<pb::ListMatchingRoundProposalsResponse> {
    let principal = Principal::from_request(&request)?;
    let req = request.get_ref();
    let (round, page, after) =
        readable_round(kit, principal, &req.parent, req.page_size, &req.page_token).await?;
    let mut rows = rounds::list_proposals(kit.store().pool(), round.id, after, page.fetch_limit()).await?;
    let next_page_token = page.finish(&mut rows, |p| vec![p.position.to_string()]);
    let chapter = &round.chapter_id;
    Ok(pb::ListMatchingRoundProposalsResponse {
        proposals: rows
            .iter()
            .map(|p| pb::MatchingRoundProposal {
                name: proposal_name(chapter, round.id, p.newcomer_id),
                newcomer: participant_name(chapter, p.newcomer_id),
                established_resident: participant_name(chapter, p.resident_id),
                score: Some(stored_score_pb(&p.score)),
                r#match: p
                    .match_id
                    .map(|m| matches::resource_name(chapter, m))
                    .unwrap_or_default(),
            })
            .collect(),
        next_page_token,
    })
}

/// ListWaitingNewcomers.
pub async fn list_waiting(
    kit: &Kit,
    request: Request<pb::ListWaitingNewcomersRequest>,
) -> ApiResult<pb::ListWaitingNewcomersResponse> {
    let principal = Principal::from_request(&request)?;
    let req = request.get_ref();
    let (round, page, after) =
        readable_round(kit, principal, &req.parent, req.page_size, &req.page_token).await?;
    let mut rows = rounds::list_waiting(kit.store().pool(), round.id, after, page.fetch_limit()).await?;
    let next_page_token = page.finish(&mut rows, |w| vec![w.position.to_string()]);
    Ok(pb::ListWaitingNewcomersResponse {
        waiting_newcomers: rows
            .iter()
            .map(|w| {
                Ok(pb::WaitingNewcomer {
                    newcomer: participant_name(&round.chapter_id, w.newcomer_id),
                    reason: reason_pb(w.reason.parse()?) as i32,
                    waiting_since: w.waiting_since.and_then(timestamp),
                })
            })
            .collect::<ApiResult<_>>()?,
        next_page_token,
    })
}

/// CancelMatchingRound: a round not committed becomes CANCELLED (see
/// [`rounds::cancel`]); a worker computing it stops at its next progress step.
pub async fn cancel(
    kit: &Kit,
    request: Request<pb::CancelMatchingRoundRequest>,
) -> ApiResult<pb::CancelMatchingRoundResponse> {
    let principal = Principal::from_request(&request)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let rid = v.check("request_id", RequestId::parse(&req.request_id));
    let name = v.check("name", parse_round_name(&req.name));
    v.into_result()?;
    let (Some(rid), Some((chapter, round_id))) = (rid, name) else {
        return Err(ApiError::bug("a checked field is missing"));
    };
    scope::managed_chapter(principal, &chapter, &req.name)?;
    let now = kit.now();
    kit.mutate(principal, "CancelMatchingRound", rid, req, async |tx| {
        let round = rounds::get(&mut **tx, round_id).await.named(&req.name)?;
        of_chapter(round, &chapter, &req.name)?;
        let round = rounds::cancel(tx, round_id, &principal.subject, now)
            .await
            .named(&req.name)?
            .map_err(|rounds::NotCancellable(state)| {
                ApiError::precondition(
                    ErrorReason::RoundNotCancellable,
                    format!("the round is {state}: only a round not committed, failed or cancelled can be cancelled"),
                )
            })?;
        tracing::info!(round = %round.id, "matching round cancelled");
        Ok(pb::CancelMatchingRoundResponse {
            matching_round: Some(round_pb(&round, now)?),
        })
    })
    .await
}

/// A proposal that no longer holds: the whole commit fails.
fn conflict(name: &str, what: impl std::fmt::Display) -> ApiError {
    ApiError::precondition(
        ErrorReason::RoundProposalConflict,
        format!("{name} no longer holds: {what}; nothing was committed"),
    )
}

/// CommitMatchingRound: every chosen proposal becomes a proposed match in one
/// transaction, or none does.
pub async fn commit(
    kit: &Kit,
    request: Request<pb::CommitMatchingRoundRequest>,
) -> ApiResult<pb::CommitMatchingRoundResponse> {
    let principal = Principal::from_request(&request)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let rid = v.check("request_id", RequestId::parse(&req.request_id));
    let name = v.check("name", parse_round_name(&req.name));
    if req.proposals.len() > COMMIT_NAMES_MAX {
        v.add(
            "proposals",
            format!("must name at most {COMMIT_NAMES_MAX} proposals; commit the rest in all"),
        );
    }
    let mut chosen = Vec::new();
    let mut seen = HashSet::new();
    for (i, p) in req.proposals.iter().enumerate() {
        if let Some(newcomer) = v.check(format!("proposals[{i}]"), parse_proposal_name(&req.name, p)) {
            if !seen.insert(newcomer) {
                v.add(format!("proposals[{i}]"), "is named twice");
            }
            chosen.push(newcomer);
        }
    }
    v.into_result()?;
    let (Some(rid), Some((chapter, round_id))) = (rid, name) else {
        return Err(ApiError::bug("a checked field is missing"));
    };
    scope::managed_chapter(principal, &chapter, &req.name)?;
    let now = kit.now();
    kit.mutate(principal, "CommitMatchingRound", rid, req, async |tx| {
        let round = rounds::get(&mut **tx, round_id).await.named(&req.name)?;
        let round = of_chapter(round, &chapter, &req.name)?;
        if !rounds::try_lock_chapter(tx, &chapter).await? {
            return Err(in_progress());
        }
        let round = rounds::lock(tx, round.id).await.named(&req.name)?;
        match round.parsed_state()? {
            RoundState::Succeeded => {}
            RoundState::Committed => {
                return Err(ApiError::precondition(
                    ErrorReason::RoundAlreadyCommitted,
                    "the round was already committed",
                ));
            }
            RoundState::Cancelled => {
                return Err(ApiError::precondition(
                    ErrorReason::RoundNotComplete,
                    "the round was cancelled: run a new round",
                ));
            }
            _ => {
                return Err(ApiError::precondition(
                    ErrorReason::RoundNotComplete,
                    "the round's dry run has not finished, or it failed",
                ));
            }
        }
        let only = (!chosen.is_empty()).then_some(chosen.as_slice());
        let proposals = rounds::proposals_to_commit(&mut **tx, round_id, only).await?;
        if let Some(only) = only
            && proposals.len() != only.len()
        {
            let found: HashSet<Uuid> = proposals.iter().map(|p| p.newcomer_id).collect();
            let missing = only
                .iter()
                .find(|n| !found.contains(n))
                .copied()
                .unwrap_or_default();
            return Err(scope::not_found(&proposal_name(&chapter, round_id, missing)));
        }
        let committed = commit_proposals(tx, &round, &proposals, &principal.subject, now).await?;
        let round = rounds::mark_committed(tx, round_id, &committed, &principal.subject, now).await?;
        Ok(pb::CommitMatchingRoundResponse {
            matching_round: Some(round_pb(&round, now)?),
        })
    })
    .await
}

/// Proposes each pair as CreateMatch would, after checking it again against the
/// engine's rules as things are now; returns (newcomer, match) of each.
///
/// Set-based, so that a national round (about 58,000 proposals) commits well inside
/// the request timeout: the participants of every pair are locked and read in one
/// statement, the rules checked in memory, and the store writes the matches, their
/// events and notifications a few statements per batch of pairs
/// ([`rounds::propose_all`]). The first pair that no longer holds fails the whole
/// commit; the transaction then writes nothing.
async fn commit_proposals(
    tx: &mut Tx,
    round: &Round,
    proposals: &[rounds::RoundProposal],
    proposer: &str,
    now: OffsetDateTime,
) -> ApiResult<Vec<(Uuid, Uuid)>> {
    let chapter = round.chapter_id.as_str();
    let programme = matches::get_programme(&mut **tx, chapter).await?;
    let deadline = now + time::Duration::days(i64::from(programme.proposal_deadline_days));
    let mut config = matchmaking::engine_config(tx, chapter).await?;
    let ids: Vec<Uuid> = proposals
        .iter()
        .flat_map(|p| [p.newcomer_id, p.resident_id])
        .collect();
    rounds::widen_commit_memory(tx).await?;
    // Locked before they are read, so that the rules are checked on what is written.
    let members = rounds::lock_commit_members(tx, &ids).await?;
    let newcomers: Vec<Uuid> = proposals.iter().map(|p| p.newcomer_id).collect();
    let residents: Vec<Uuid> = proposals.iter().map(|p| p.resident_id).collect();
    let mut exclusions = engine::Exclusions::default();
    for (n, r) in rounds::excluded_among(&mut **tx, &newcomers, &residents).await? {
        exclusions.insert(engine_id(n), engine_id(r));
    }
    let mut interests = Interests::default();
    let mut people = HashMap::with_capacity(members.len());
    for m in &members {
        let mut person = to_engine(&m.member, now, &mut interests)?;
        // Places are the store's to decide under the row locks (as in CreateMatch).
        person.active_matches = 0;
        people.insert(m.member.id, person);
    }
    config.interest_names = interests.names();
    let mut pairs = Vec::with_capacity(proposals.len());
    for p in proposals {
        let name = proposal_name(chapter, round.id, p.newcomer_id);
        let (Some(n), Some(r)) = (people.get(&p.newcomer_id), people.get(&p.resident_id)) else {
            return Err(conflict(&name, "a participant no longer exists"));
        };
        let explanation = engine::evaluate(n, r, &config, &exclusions).map_err(|v| conflict(&name, v))?;
        pairs.push(rounds::CommitPair {
            newcomer: p.newcomer_id,
            resident: p.resident_id,
            score: stored_score(&explanation),
        });
    }
    let of = rounds::CommitOf {
        round: round.id,
        chapter,
        proposer,
        deadline,
        at: now,
    };
    match rounds::propose_all(tx, &of, &pairs, &members).await {
        Ok(Ok(committed)) => Ok(committed),
        Ok(Err(refused)) => Err(conflict(
            &proposal_name(chapter, round.id, refused.newcomer),
            refused.why,
        )),
        Err(StoreError::Domain(DomainViolation::LiveMatch)) => Err(conflict(
            &rounds::resource_name(chapter, round.id),
            "a newcomer already has a live match",
        )),
        Err(e) => Err(e.into()),
    }
}

/// A dry run stopped because its round was cancelled: nothing is stored, and the
/// worker goes on to the next round (it did its work on this one).
fn cancelled(round: &Round) -> bool {
    tracing::info!(round = %round.id, "matching round cancelled while computing; stopped");
    true
}

/// The phase of a running engine at `permille` (see [`engine::Progress`]).
fn phase_at(permille: u32) -> Phase {
    match permille {
        0..600 => Phase::Scoring,
        600..950 => Phase::Assigning,
        _ => Phase::Explaining,
    }
}

/// The worker's part: takes one round to run (PENDING, or RUNNING with no live worker:
/// its chapter's lock is free), computes its dry run while holding the chapter's lock
/// on a connection of its own, and stores the results. Returns whether it ran one.
/// `stop` cancels a running computation; the round then stays RUNNING and the next
/// worker to come takes it over.
pub async fn run_next(
    store: &Store,
    clock: &Clock,
    stop: impl Future<Output = ()>,
) -> Result<bool, StoreError> {
    for (id, chapter) in rounds::to_run(store.pool(), CANDIDATES).await? {
        let Some(lock) = rounds::SessionLock::try_take(store.pool(), &chapter).await? else {
            continue;
        };
        let outcome = async {
            let mut tx = store.begin().await?;
            let Some(round) = rounds::start(&mut tx, id, clock.now()).await? else {
                return Ok(false);
            };
            tx.commit().await?;
            tracing::info!(round = %round.id, "matching round started");
            dry_run(store, clock, &round, stop).await
        }
        .await;
        lock.release().await;
        return outcome;
    }
    Ok(false)
}

/// Computes a round's dry run and stores it; a failure of the computation marks the
/// round FAILED, a database that cannot be reached leaves it RUNNING for a retry.
async fn dry_run(
    store: &Store,
    clock: &Clock,
    round: &Round,
    stop: impl Future<Output = ()>,
) -> Result<bool, StoreError> {
    match compute(store, clock, round, stop).await {
        Ok(done) => Ok(done),
        Err(e @ StoreError::Unavailable(_)) => Err(e),
        Err(e) => {
            tracing::error!(round = %round.id, error = %e, "matching round failed");
            fail(store, clock, round).await?;
            Ok(true)
        }
    }
}

/// Marks the round FAILED, for a computation that cannot succeed by trying again.
async fn fail(store: &Store, clock: &Clock, round: &Round) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    rounds::fail(
        &mut tx,
        round.id,
        "the dry run failed on an internal error; run a new round",
        clock.now(),
    )
    .await?;
    tx.commit().await
}

async fn compute(
    store: &Store,
    clock: &Clock,
    round: &Round,
    stop: impl Future<Output = ()>,
) -> Result<bool, StoreError> {
    let now = clock.now();
    let chapter = round.chapter_id.as_str();
    // One snapshot: the pool, its exclusions and the settings agree with each other.
    let mut tx = store.begin_snapshot().await?;
    let newcomer_rows = rounds::newcomers_in_scope(
        &mut *tx,
        chapter,
        round.municipality_id.as_deref(),
        round.district_id.as_deref(),
    )
    .await?;
    let resident_rows = matches::pool(&mut *tx, chapter, ParticipantRole::EstablishedResident).await?;
    let excluded = rounds::chapter_exclusions(&mut *tx, chapter).await?;
    let mut config = matchmaking::engine_config(&mut tx, chapter).await?;
    tx.commit().await?;
    let mut interests = Interests::default();
    let newcomers = newcomer_rows
        .iter()
        .map(|m| to_engine(m, now, &mut interests))
        .collect::<Result<Vec<_>, _>>()?;
    let residents = resident_rows
        .iter()
        .map(|m| to_engine(m, now, &mut interests))
        .collect::<Result<Vec<_>, _>>()?;
    config.interest_names = interests.names();
    let mut exclusions = engine::Exclusions::default();
    for (n, r) in excluded {
        exclusions.insert(engine_id(n), engine_id(r));
    }
    let since: HashMap<Uuid, Option<OffsetDateTime>> =
        newcomer_rows.iter().map(|m| (m.id, m.waiting_since)).collect();
    if !rounds::set_progress(store.pool(), round.id, Phase::Scoring, 0, clock.now()).await? {
        return Ok(cancelled(round));
    }

    let progress = Arc::new(engine::Progress::new());
    let mut work = tokio::task::spawn_blocking({
        let progress = Arc::clone(&progress);
        move || engine::matching_round_observed(&newcomers, &residents, &config, &exclusions, &progress)
    });
    tokio::pin!(stop);
    let outcome = loop {
        tokio::select! {
            joined = &mut work => break joined,
            () = &mut stop => {
                progress.cancel();
                let _ = (&mut work).await;
                tracing::info!(round = %round.id, "matching round interrupted; another worker will take it over");
                return Ok(false);
            }
            () = tokio::time::sleep(PROGRESS_EVERY) => {
                let permille = progress.permille();
                let running =
                    rounds::set_progress(store.pool(), round.id, phase_at(permille), permille as i32, clock.now())
                        .await?;
                if !running {
                    progress.cancel();
                    let _ = (&mut work).await;
                    return Ok(cancelled(round));
                }
            }
        }
    };
    let result = match outcome {
        Ok(Ok(result)) => result,
        Ok(Err(engine::Cancelled)) => return Ok(false),
        Err(panicked) => {
            tracing::error!(round = %round.id, error = %panicked, "the matching engine stopped");
            fail(store, clock, round).await?;
            return Ok(true);
        }
    };
    if !rounds::set_progress(store.pool(), round.id, Phase::Saving, 990, clock.now()).await? {
        return Ok(cancelled(round));
    }

    // Highest score first, then by newcomer: the order coordinators review in.
    let mut proposals: Vec<rounds::NewRoundProposal> = result
        .proposals
        .iter()
        .map(|p| rounds::NewRoundProposal {
            newcomer: uuid_of(p.newcomer),
            resident: uuid_of(p.resident),
            score: stored_score(&p.explanation),
        })
        .collect();
    proposals.sort_by(|a, b| {
        b.score
            .total
            .cmp(&a.score.total)
            .then(a.newcomer.cmp(&b.newcomer))
    });
    // Longest waiting first.
    let mut waiting: Vec<rounds::NewWaiting> = result
        .waiting
        .iter()
        .map(|w| {
            let id = uuid_of(w.newcomer);
            rounds::NewWaiting {
                newcomer: id,
                reason: wait_reason(w.reason),
                waiting_since: since.get(&id).copied().flatten(),
            }
        })
        .collect();
    waiting.sort_by(|a, b| {
        (a.waiting_since.is_none(), a.waiting_since, a.newcomer).cmp(&(
            b.waiting_since.is_none(),
            b.waiting_since,
            b.newcomer,
        ))
    });
    let stats = result.stats;
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let figures = rounds::Figures {
        newcomers_ready: count(stats.newcomers_ready),
        residents_ready: count(stats.residents_ready),
        resident_capacity: count(stats.resident_capacity),
        admissible_pairs: i64::try_from(stats.pairs_admissible).unwrap_or(i64::MAX),
        matched: count(stats.matched),
        waiting: count(waiting.len()),
        total_score: stats.total_score,
    };
    let mut tx = store.begin().await?;
    let stored = rounds::succeed(&mut tx, round.id, &figures, &proposals, &waiting, clock.now()).await?;
    tx.commit().await?;
    if stored.is_some() {
        tracing::info!(
            round = %round.id,
            matched = figures.matched,
            waiting = figures.waiting,
            "matching round computed"
        );
    }
    Ok(true)
}
