//! Following accepted matches, for coordinators (MatchingService) and participants
//! (BuddyAppService): matches with their follow-up status, check-ins and concerns,
//! ending one's own match in the app, rematching at the original place in the queue,
//! and the programme settings with the engine rules administrators set.
//!
//! Not a service module: `matching` and `buddy_app` delegate their follow-up methods
//! here, so that the two services share one implementation without importing each
//! other. The scheduled check-ins and the end of the period are the worker's timers
//! (`kompis_store::check_ins::fire_one`).
//!
//! Privacy: a participant's notes and concerns reach coordinators only (ListCheckIns,
//! never the buddy); ending a match tells the buddy only that it ended.

use kompis_domain::{MatchEndReason, ParticipantRole, ParticipantState, Role, Violations};
use kompis_matching as engine;
use kompis_proto::v1 as pb;
use kompis_proto::v1::ErrorReason;
use kompis_store::check_ins::{self, Author, CheckIn, CheckInRefused, Followed, Kind, NewCheckIn};
use kompis_store::engine_rules::{self, EngineRules};
use kompis_store::participants::{self, Participant};
use kompis_store::{StoreError, Tx, matches};
use tonic::Request;
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::convert::{from_timestamp, timestamp};
use crate::kit::enums::EnumTable;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::page::Page;
use crate::kit::scope;
use crate::kit::{Kit, RequestId, names};
use crate::matchmaking;
use crate::views::matching::{
    candidate_pb, match_pb, parse_end_reason, parse_match_name, parse_state, programme_pb,
};
use crate::views::participant::{
    View, bad_page_token, parse_participant_name, parse_time_key, participant_pb, state_pb, time_key,
};

/// Longest note and concern from a participant, and reason of a rematch.
const PARTICIPANT_TEXT_MAX: usize = 500;
/// Longest note from a coordinator.
const COORDINATOR_NOTE_MAX: usize = 2000;

const ANSWERS: EnumTable<pb::CheckInAnswer, &'static str> = EnumTable::new(
    "is required: MET, NOT_YET or WONT_MEET",
    &[
        (pb::CheckInAnswer::Met, "met"),
        (pb::CheckInAnswer::NotYet, "not_yet"),
        (pb::CheckInAnswer::WontMeet, "wont_meet"),
    ],
);

const HEALTH: EnumTable<pb::MatchHealth, &'static str> = EnumTable::new(
    "must be GOOD, OK or NOT_WORKING, or unset",
    &[
        (pb::MatchHealth::Good, "good"),
        (pb::MatchHealth::Ok, "ok"),
        (pb::MatchHealth::NotWorking, "not_working"),
    ],
);

const AUTHORS: EnumTable<pb::CheckInAuthor, &'static str> = EnumTable::new(
    "is not a check-in author",
    &[
        (pb::CheckInAuthor::Coordinator, "coordinator"),
        (pb::CheckInAuthor::Newcomer, "newcomer"),
        (pb::CheckInAuthor::EstablishedResident, "established_resident"),
    ],
);

const KINDS: EnumTable<pb::CheckInKind, &'static str> = EnumTable::new(
    "must be FOLLOW_UP or CLOSING",
    &[
        (pb::CheckInKind::FollowUp, "follow_up"),
        (pb::CheckInKind::Closing, "closing"),
    ],
);

const STATUSES: EnumTable<pb::FollowUpStatus, &'static str> = EnumTable::new(
    "must be MET, NOT_MET_YET, CHECK_IN_OVERDUE or CONCERN_RAISED",
    &[
        (pb::FollowUpStatus::Met, "met"),
        (pb::FollowUpStatus::NotMetYet, "not_met_yet"),
        (pb::FollowUpStatus::CheckInOverdue, "check_in_overdue"),
        (pb::FollowUpStatus::ConcernRaised, "concern_raised"),
    ],
);

/// The end reasons a participant may give in the app.
const APP_END_REASONS: &[MatchEndReason] = &[
    MatchEndReason::Completed,
    MatchEndReason::NotWorking,
    MatchEndReason::MovedAway,
    MatchEndReason::Concern,
    MatchEndReason::Other,
];

fn check_text(v: &mut Violations, field: &str, text: &str, max: usize) {
    if text.chars().count() > max {
        v.add(field, format!("must be at most {max} characters"));
    }
}

/// A match with its follow-up, for coordinators.
fn followed_pb(f: &Followed) -> ApiResult<pb::Match> {
    let mut m = match_pb(&f.m)?;
    m.last_check_in_time = f.last_check_in_time.and_then(timestamp);
    let status = match &f.follow_up_status {
        Some(status) => status.as_str(),
        None => return Ok(m),
    };
    let ended_by = match f.ended_by.as_deref() {
        Some(role) => crate::views::participant::role_pb(role)?,
        None => 0,
    };
    m.follow_up = Some(pb::MatchFollowUp {
        status: STATUSES.to_pb(status),
        met: f.met,
        check_in_overdue: f.check_in_overdue,
        concern_raised: f.concern_raised,
        next_check_in_time: f.next_check_in_time.and_then(timestamp),
        period_end_time: f.period_end_time.and_then(timestamp),
        ended_by,
    });
    Ok(m)
}

/// A check-in, for coordinators and for its author.
fn check_in_pb(c: &CheckIn) -> pb::CheckIn {
    pb::CheckIn {
        name: c.resource_name(),
        author: AUTHORS.to_pb(c.author.as_str()),
        author_account: c.author_account.clone(),
        health: c.how_it_goes.as_deref().map_or(0, |h| HEALTH.to_pb(h)),
        meetings_since_last: c.meetings_since_last,
        last_meeting_time: c.last_meeting_time.and_then(timestamp),
        needs_follow_up: c.needs_follow_up,
        note: c.note.clone(),
        create_time: timestamp(c.create_time),
        answer: ANSWERS.to_pb(c.answer.as_str()),
        kind: KINDS.to_pb(c.kind.as_str()),
        concern: c.concern.clone(),
    }
}

/// A match named in a request, of a chapter the caller manages, or NOT_FOUND for
/// `name` exactly as if it did not exist.
pub(crate) async fn managed_match(
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

/// MatchingService.GetMatch: the match with its follow-up.
pub async fn get_match(kit: &Kit, request: Request<pb::GetMatchRequest>) -> ApiResult<pb::GetMatchResponse> {
    let principal = Principal::from_request(&request)?;
    let mut tx = kit.begin().await?;
    let m = managed_match(&mut tx, principal, &request.get_ref().name, "name").await?;
    let f = check_ins::get_followed(&mut *tx, m.id, kit.now()).await?;
    Ok(pb::GetMatchResponse {
        r#match: Some(followed_pb(&f)?),
    })
}

/// MatchingService.ListMatches: matches with their follow-up, filtered on it.
pub async fn list_matches(
    kit: &Kit,
    request: Request<pb::ListMatchesRequest>,
) -> ApiResult<pb::ListMatchesResponse> {
    let principal = Principal::from_request(&request)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let parent = v.check("parent", names::parse_parent_or_wildcard(&req.parent, "chapters"));
    let mut states = Vec::new();
    for (i, s) in req.states.iter().enumerate() {
        if let Some(state) = v.check(format!("states[{i}]"), parse_state(*s)) {
            states.push(state.as_str().to_owned());
        }
    }
    let mut statuses = Vec::new();
    for (i, s) in req.follow_up_statuses.iter().enumerate() {
        if let Some(status) = v.check(format!("follow_up_statuses[{i}]"), STATUSES.parse(*s)) {
            statuses.push(status.to_owned());
        }
    }
    let participant = if req.participant.is_empty() {
        None
    } else {
        v.check("participant", parse_participant_name(&req.participant))
    };
    let no_check_in_since = match &req.no_check_in_since {
        None => None,
        Some(t) => {
            let parsed = from_timestamp(t);
            if parsed.is_none() {
                v.add("no_check_in_since", "is not a valid time");
            }
            parsed
        }
    };
    let filters = format!(
        "{}|{:?}|{}|{:?}|{:?}",
        req.parent, req.states, req.participant, req.follow_up_statuses, req.no_check_in_since
    );
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
        Some(key) => Some(parse_time_key(key).ok_or_else(bad_page_token)?),
        None => None,
    };
    let filter = check_ins::FollowFilter {
        matches: matches::ListFilter {
            chapter,
            states,
            participant: participant.map(|(_, id)| id.into()),
        },
        statuses,
        no_check_in_since,
    };
    let mut rows =
        check_ins::list_followed(kit.store().pool(), &filter, kit.now(), after, page.fetch_limit()).await?;
    let next_page_token = page.finish(&mut rows, |f| time_key(f.m.create_time, f.m.id));
    Ok(pb::ListMatchesResponse {
        matches: rows.iter().map(followed_pb).collect::<ApiResult<_>>()?,
        next_page_token,
    })
}

/// The parts of a check-in both services take.
struct ParsedCheckIn<'a> {
    answer: &'static str,
    health: Option<&'static str>,
    kind: Kind,
    meetings_since_last: i32,
    last_meeting_time: Option<time::OffsetDateTime>,
    needs_follow_up: bool,
    note: &'a str,
    concern: &'a str,
}

/// The fields of a check-in as either service receives them, every bad one reported.
#[allow(clippy::too_many_arguments)]
fn parse_check_in<'a>(
    v: &mut Violations,
    prefix: &str,
    answer: i32,
    health: i32,
    kind: i32,
    meetings: i32,
    last_meeting: Option<&prost_types::Timestamp>,
    needs_follow_up: bool,
    note: &'a str,
    concern: &'a str,
    note_max: usize,
    now: time::OffsetDateTime,
) -> Option<ParsedCheckIn<'a>> {
    let answer = v.check(format!("{prefix}answer"), ANSWERS.parse(answer));
    let health = match health {
        0 => Some(None),
        h => v.check(format!("{prefix}health"), HEALTH.parse(h)).map(Some),
    };
    let kind = match kind {
        0 => Some(Kind::FollowUp),
        k => v.check(format!("{prefix}kind"), KINDS.parse(k)).map(|k| {
            if k == "closing" {
                Kind::Closing
            } else {
                Kind::FollowUp
            }
        }),
    };
    if !(0..=100).contains(&meetings) {
        v.add(
            format!("{prefix}meetings_since_last"),
            "must be between 0 and 100",
        );
    }
    let last_meeting_time = match last_meeting {
        None => Some(None),
        Some(t) => match from_timestamp(t) {
            Some(t) if t <= now => Some(Some(t)),
            _ => {
                v.add(
                    format!("{prefix}last_meeting_time"),
                    "must be a valid time, not in the future",
                );
                None
            }
        },
    };
    check_text(v, &format!("{prefix}note"), note, note_max);
    check_text(v, &format!("{prefix}concern"), concern, PARTICIPANT_TEXT_MAX);
    Some(ParsedCheckIn {
        answer: answer?,
        health: health?,
        kind: kind?,
        meetings_since_last: meetings,
        last_meeting_time: last_meeting_time?,
        needs_follow_up,
        note: note.trim(),
        concern: concern.trim(),
    })
}

impl From<CheckInRefused> for ApiError {
    fn from(refused: CheckInRefused) -> Self {
        let reason = match refused {
            CheckInRefused::NotConcluded => ErrorReason::NoLiveMatch,
            CheckInRefused::AlreadyAnswered => ErrorReason::AlreadyAnswered,
        };
        ApiError::precondition(reason, refused.to_string())
    }
}

/// MatchingService.RecordCheckIn: a coordinator's check-in.
pub async fn record_check_in(
    kit: &Kit,
    request: Request<pb::RecordCheckInRequest>,
) -> ApiResult<pb::RecordCheckInResponse> {
    let principal = Principal::from_request(&request)?;
    let req = request.get_ref();
    let given = req.check_in.clone().unwrap_or_default();
    let now = kit.now();
    let mut v = Violations::new();
    let rid = v.check("request_id", RequestId::parse(&req.request_id));
    let name = v.check("parent", parse_match_name(&req.parent));
    if req.check_in.is_none() {
        v.add("check_in", "is required");
    }
    let parsed = parse_check_in(
        &mut v,
        "check_in.",
        given.answer,
        given.health,
        given.kind,
        given.meetings_since_last,
        given.last_meeting_time.as_ref(),
        given.needs_follow_up,
        &given.note,
        &given.concern,
        COORDINATOR_NOTE_MAX,
        now,
    );
    v.into_result()?;
    let (Some(rid), Some((chapter, _)), Some(c)) = (rid, name, parsed) else {
        return Err(ApiError::bug("a checked field is missing"));
    };
    scope::managed_chapter(principal, chapter.as_str(), &req.parent)?;
    kit.mutate(principal, "RecordCheckIn", rid, req, async |tx| {
        let m = managed_match(tx, principal, &req.parent, "parent").await?;
        let recorded = check_ins::record(
            tx,
            &new_check_in(m.id, Author::Coordinator, &principal.subject, &c, now),
        )
        .await
        .named(&req.parent)??;
        Ok(pb::RecordCheckInResponse {
            check_in: Some(check_in_pb(&recorded)),
        })
    })
    .await
}

fn new_check_in<'a>(
    match_id: Uuid,
    author: Author,
    account: &'a str,
    c: &'a ParsedCheckIn<'a>,
    at: time::OffsetDateTime,
) -> NewCheckIn<'a> {
    NewCheckIn {
        match_id,
        kind: c.kind,
        author,
        author_account: account,
        answer: c.answer,
        health: c.health,
        meetings_since_last: c.meetings_since_last,
        last_meeting_time: c.last_meeting_time,
        needs_follow_up: c.needs_follow_up,
        note: c.note,
        concern: c.concern,
        at,
    }
}

/// MatchingService.ListCheckIns: a match's check-ins, or a chapter's.
pub async fn list_check_ins(
    kit: &Kit,
    request: Request<pb::ListCheckInsRequest>,
) -> ApiResult<pb::ListCheckInsResponse> {
    let principal = Principal::from_request(&request)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let parent = match req.parent.strip_suffix("/matches/-") {
        Some(chapter) => v
            .check("parent", names::parse_one(chapter, "chapters"))
            .map(|c| (c, None)),
        None => v
            .check("parent", parse_match_name(&req.parent))
            .map(|(c, id)| (c, Some(id))),
    };
    let filters = format!("{}|{}", req.parent, req.needs_follow_up);
    let page = Page::parse_into(&mut v, req.page_size, &req.page_token, &filters);
    v.into_result()?;
    let (Some((chapter, match_id)), Some(page)) = (parent, page) else {
        return Err(ApiError::bug("a checked field is missing"));
    };
    scope::managed_chapter(principal, chapter.as_str(), &req.parent)?;
    if match_id.is_some() {
        let mut tx = kit.begin().await?;
        managed_match(&mut tx, principal, &req.parent, "parent").await?;
    }
    let after = match &page.after {
        Some(key) => Some(parse_time_key(key).ok_or_else(bad_page_token)?),
        None => None,
    };
    let filter = check_ins::ListFilter {
        chapter: chapter.as_str().to_owned(),
        match_id,
        needs_follow_up: req.needs_follow_up,
    };
    let mut rows = check_ins::list(kit.store().pool(), &filter, after, page.fetch_limit()).await?;
    let next_page_token = page.finish(&mut rows, |c| time_key(c.create_time, c.id));
    Ok(pb::ListCheckInsResponse {
        check_ins: rows.iter().map(check_in_pb).collect(),
        next_page_token,
    })
}

/// The caller's match named `name` (either side), or NOT_FOUND as if it did not exist.
async fn own_match(tx: &mut Tx, me: &Participant, name: &str, id: Uuid) -> ApiResult<matches::Match> {
    match matches::get_match(&mut **tx, id).await {
        Ok(m) if m.newcomer_id == me.id || m.resident_id == me.id => Ok(m),
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::NotFound(name.to_owned())),
        Err(e) => Err(e.into()),
    }
}

fn side_of(me: &Participant) -> ApiResult<ParticipantRole> {
    Ok(me
        .role
        .parse()
        .map_err(|_| StoreError::corrupt("participant role", me.role.as_str()))?)
}

/// BuddyAppService.CheckIn: the caller's check-in on their own match.
pub async fn check_in(
    kit: &Kit,
    principal: &Principal,
    me: &Participant,
    req: &pb::CheckInRequest,
) -> ApiResult<pb::CheckInResponse> {
    let now = kit.now();
    let mut v = Violations::new();
    let rid = v.check("request_id", RequestId::parse(&req.request_id));
    let name = v.check("match", parse_match_name(&req.r#match));
    let parsed = parse_check_in(
        &mut v,
        "",
        req.answer,
        req.health,
        req.kind,
        req.meetings_since_last,
        req.last_meeting_time.as_ref(),
        req.needs_follow_up,
        &req.note,
        &req.concern,
        PARTICIPANT_TEXT_MAX,
        now,
    );
    v.into_result()?;
    let (Some(rid), Some((_, id)), Some(c)) = (rid, name, parsed) else {
        return Err(ApiError::bug("a checked field is missing"));
    };
    let side = side_of(me)?;
    kit.mutate(principal, "CheckIn", rid, req, async |tx| {
        let m = own_match(tx, me, &req.r#match, id).await?;
        let recorded = check_ins::record(
            tx,
            &new_check_in(m.id, Author::Participant(side), &principal.subject, &c, now),
        )
        .await
        .named(&req.r#match)??;
        Ok(pb::CheckInResponse {
            check_in: Some(check_in_pb(&recorded)),
        })
    })
    .await
}

/// BuddyAppService.EndMyMatch: the caller ends their own match.
pub async fn end_my_match(
    kit: &Kit,
    principal: &Principal,
    me: &Participant,
    req: &pb::EndMyMatchRequest,
) -> ApiResult<pb::EndMyMatchResponse> {
    let mut v = Violations::new();
    let rid = v.check("request_id", RequestId::parse(&req.request_id));
    let name = v.check("match", parse_match_name(&req.r#match));
    let reason = match parse_end_reason(req.reason) {
        Ok(r) if APP_END_REASONS.contains(&r) => Some(r),
        _ => {
            v.add(
                "reason",
                "is required: COMPLETED, NOT_WORKING, MOVED_AWAY, CONCERN or OTHER",
            );
            None
        }
    };
    check_text(&mut v, "note", &req.note, PARTICIPANT_TEXT_MAX);
    if matches!(reason, Some(MatchEndReason::Other | MatchEndReason::Concern)) && req.note.trim().is_empty() {
        v.add("note", "is required when the reason is OTHER or CONCERN");
    }
    v.into_result()?;
    let (Some(rid), Some((_, id)), Some(reason)) = (rid, name, reason) else {
        return Err(ApiError::bug("a checked field is missing"));
    };
    let side = side_of(me)?;
    let now = kit.now();
    kit.mutate(principal, "EndMyMatch", rid, req, async |tx| {
        let m = own_match(tx, me, &req.r#match, id).await?;
        matches::end(
            tx,
            &matches::Ending {
                match_id: m.id,
                reason,
                note: req.note.trim(),
                return_to_waiting_list: true,
                leaves: (!req.ask_for_new_buddy).then_some(me.id),
                ended_by: Some(side),
                actor: &principal.subject,
                at: now,
            },
        )
        .await
        .named(&req.r#match)?;
        let after = participants::get_participant(&mut **tx, me.id).await?;
        let (position, _) = participants::queue_position(&mut **tx, &after).await?;
        let state = after.parsed_state()?;
        let ready = state == ParticipantState::Ready;
        Ok(pb::EndMyMatchResponse {
            state: state_pb(state),
            queue_position: if ready {
                i32::try_from(position).unwrap_or(i32::MAX)
            } else {
                0
            },
            waiting_since: if ready {
                after.waiting_since.and_then(timestamp)
            } else {
                None
            },
        })
    })
    .await
}

/// MatchingService.RematchParticipant: ends the participant's accepted or active match
/// (reason REMATCH), both back on the waiting list at their original place (or the
/// participant's wait restarted when asked), and fresh suggestions.
pub async fn rematch(
    kit: &Kit,
    request: Request<pb::RematchParticipantRequest>,
) -> ApiResult<pb::RematchParticipantResponse> {
    let principal = Principal::from_request(&request)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let rid = v.check("request_id", RequestId::parse(&req.request_id));
    let name = v.check("participant", parse_participant_name(&req.participant));
    let chosen = if req.r#match.is_empty() {
        None
    } else {
        v.check("match", parse_match_name(&req.r#match)).map(|(_, id)| id)
    };
    if req.reason.trim().is_empty() {
        v.add("reason", "is required");
    }
    check_text(&mut v, "reason", &req.reason, PARTICIPANT_TEXT_MAX);
    v.into_result()?;
    let (Some(rid), Some((chapter, pid))) = (rid, name) else {
        return Err(ApiError::bug("a checked field is missing"));
    };
    scope::managed_chapter(principal, chapter.as_str(), &req.participant)?;
    let now = kit.now();
    let pid: Uuid = pid.into();
    let response = kit
        .mutate(principal, "RematchParticipant", rid, req, async |tx| {
            let p = participants::get_participant(&mut **tx, pid)
                .await
                .named(&req.participant)?;
            if p.chapter_id != chapter.as_str() {
                return Err(scope::not_found(&req.participant));
            }
            let live: Vec<matches::Match> = matches::live_matches_of(&mut **tx, pid)
                .await?
                .into_iter()
                .filter(|m| m.state == "accepted" || m.state == "active")
                .filter(|m| chosen.is_none_or(|c| c == m.id))
                .collect();
            let m = match live.as_slice() {
                [m] => m,
                [] => {
                    return Err(ApiError::precondition(
                        ErrorReason::NoLiveMatch,
                        "the participant has no accepted or active match to end",
                    ));
                }
                _ => {
                    return Err(ApiError::invalid(
                        "match",
                        "is required: the participant has several matches",
                    ));
                }
            };
            let ended = matches::end(
                tx,
                &matches::Ending {
                    match_id: m.id,
                    reason: MatchEndReason::Rematch,
                    note: req.reason.trim(),
                    return_to_waiting_list: true,
                    leaves: None,
                    ended_by: None,
                    actor: &principal.subject,
                    at: now,
                },
            )
            .await?;
            let mut after = participants::get_participant(&mut **tx, pid).await?;
            if req.reset_waiting_since && after.parsed_state()? == ParticipantState::Ready {
                check_ins::restart_waiting(&mut **tx, pid, now).await?;
                after = participants::get_participant(&mut **tx, pid).await?;
            }
            Ok(pb::RematchParticipantResponse {
                participant: Some(participant_pb(&after, View::Coordinator)?),
                ended_match: Some(match_pb(&ended)?),
                candidates: Vec::new(),
            })
        })
        .await?;
    Ok(pb::RematchParticipantResponse {
        candidates: suggestions(kit, chapter.as_str(), pid, now).await?,
        ..response
    })
}

/// Fresh candidates for a participant; none when they cannot be matched now.
async fn suggestions(
    kit: &Kit,
    chapter: &str,
    participant: Uuid,
    now: time::OffsetDateTime,
) -> ApiResult<Vec<pb::Candidate>> {
    let mut tx = kit.begin().await?;
    let pool = matchmaking::pool_for(&mut tx, chapter, participant, now).await?;
    let settings = matchmaking::settings(&mut tx, chapter).await?;
    let index = engine::SuggestionIndex::new(&pool.others, &pool.config);
    let found = index
        .suggestions(&pool.me, usize::from(settings.top_k), &pool.exclusions)
        .unwrap_or_default();
    Ok(found.iter().map(|p| candidate_pb(chapter, p)).collect())
}

/// The programme settings with the engine rules in force (the defaults where unset).
fn programme_with_rules_pb(p: &matches::Programme, rules: &EngineRules) -> pb::MatchingProgramme {
    let defaults = engine::Rules::default();
    pb::MatchingProgramme {
        min_common_slots: Some(rules.min_common_slots.unwrap_or(defaults.min_common_slots as i32)),
        interests_for_full_score: Some(
            rules
                .interests_for_full_score
                .unwrap_or(defaults.interests_for_full_score as i32),
        ),
        age_gap_years: Some(
            rules
                .age_gap_years
                .unwrap_or(i32::from(defaults.age_gap_for_zero)),
        ),
        waiting_days_for_full_score: Some(
            rules
                .waiting_days_for_full_score
                .unwrap_or(defaults.waiting_days_for_full as i32),
        ),
        ..programme_pb(p)
    }
}

/// MatchingService.GetMatchingProgramme.
pub async fn get_programme(
    kit: &Kit,
    request: Request<pb::GetMatchingProgrammeRequest>,
) -> ApiResult<pb::GetMatchingProgrammeResponse> {
    let principal = Principal::from_request(&request)?;
    let name = &request.get_ref().name;
    let chapter = names::parse_singleton(name, "chapters", "matchingProgramme")
        .map_err(|e| ApiError::invalid("name", e.into_description()))?;
    scope::managed_chapter(principal, chapter.as_str(), name)?;
    let pool = kit.store().pool();
    let p = matches::get_programme(pool, chapter.as_str()).await.named(name)?;
    let rules = engine_rules::get_rules(pool, chapter.as_str()).await?;
    Ok(pb::GetMatchingProgrammeResponse {
        matching_programme: Some(programme_with_rules_pb(&p, &rules)),
    })
}

/// An optional engine rule within `range`.
fn rule(
    v: &mut Violations,
    field: &str,
    value: Option<i32>,
    range: std::ops::RangeInclusive<i32>,
) -> Option<i32> {
    let value = value?;
    if range.contains(&value) {
        Some(value)
    } else {
        v.add(
            format!("matching_programme.{field}"),
            format!("must be between {} and {}", range.start(), range.end()),
        );
        None
    }
}

/// MatchingService.UpdateMatchingProgramme (administrators): the programme settings and
/// the engine rules, in one transaction; they apply to the next suggestions.
pub async fn update_programme(
    kit: &Kit,
    request: Request<pb::UpdateMatchingProgrammeRequest>,
) -> ApiResult<pb::UpdateMatchingProgrammeResponse> {
    let principal = Principal::from_request(&request)?;
    let req = request.get_ref();
    let given = req.matching_programme.clone().unwrap_or_default();
    let mut v = Violations::new();
    if req.matching_programme.is_none() {
        v.add("matching_programme", "is required");
    }
    let chapter = v.check(
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
    if days.len() > 12 || days.iter().any(|d| !(1..=730).contains(d)) || days.windows(2).any(|w| w[0] >= w[1])
    {
        v.add(
            "matching_programme.check_in_days",
            "must be at most 12 days, each 1 to 730, in ascending order",
        );
    }
    // The ranges of kompis_matching::Rules.
    let rules = EngineRules {
        min_common_slots: rule(&mut v, "min_common_slots", given.min_common_slots, 0..=21),
        interests_for_full_score: rule(
            &mut v,
            "interests_for_full_score",
            given.interests_for_full_score,
            1..=20,
        ),
        age_gap_years: rule(&mut v, "age_gap_years", given.age_gap_years, 1..=100),
        waiting_days_for_full_score: rule(
            &mut v,
            "waiting_days_for_full_score",
            given.waiting_days_for_full_score,
            1..=3650,
        ),
    };
    v.into_result()?;
    let Some(chapter) = chapter else {
        return Err(ApiError::bug("a checked field is missing"));
    };
    scope::managed_chapter(principal, chapter.as_str(), &given.name)?;
    let programme = matches::Programme {
        chapter_id: chapter.as_str().to_owned(),
        proposal_deadline_days: given.proposal_deadline_days,
        auto_offer_next: given.auto_offer_next,
        check_in_days: given.check_in_days.clone(),
        period_months: given.period_months,
        update_time: None,
    };
    let mut tx = kit.begin().await?;
    let stored = matches::set_programme(&mut tx, &programme, kit.now())
        .await
        .named(&given.name)?;
    engine_rules::set_rules(&mut tx, chapter.as_str(), &rules).await?;
    kit.commit(tx).await?;
    Ok(pb::UpdateMatchingProgrammeResponse {
        matching_programme: Some(programme_with_rules_pb(&stored, &rules)),
    })
}
