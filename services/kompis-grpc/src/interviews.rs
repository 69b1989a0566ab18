//! `kompis.v1.InterviewService`: coordinators book intake interviews, reschedule or
//! cancel them, and record what was learned and decided.
//!
//! The participant's state follows the domain's state machine
//! ([`ParticipantState`]): booking moves them to `interview_booked` (a ready participant
//! too, who leaves the queue while reassessed and keeps their original waiting time if
//! approved again); recording moves them by the outcome
//! ([`ParticipantState::record_interview`]); cancelling returns them to the state held
//! before the booking. An approval copies the recorded profile to the participant and
//! starts their waiting time. Every interview keeps its own copy of what was recorded,
//! so a second interview leaves the first one's record as it was.
//!
//! Each change is one store function ([`kompis_store::intake`]) that writes the
//! interview, the participant's state change and both events in one transaction.

use kompis_domain::{
    FieldError, FreeText, InterviewOutcome, InterviewState, Note, ParticipantRole, Violations,
};
use kompis_proto::v1 as pb;
use kompis_proto::v1::ErrorReason;
use kompis_proto::v1::interview_service_server::InterviewService;
use kompis_store::Tx;
use kompis_store::intake::{self, Outcome};
use kompis_store::interviews::{self, Interview, NewInterview, Record, Schedule};
use kompis_store::participants::Participant;
use time::OffsetDateTime;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::audit::{Action, Named};
use crate::kit::convert::{from_timestamp, update_paths};
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::page::Page;
use crate::kit::scope;
use crate::kit::{IntoApi, Kit, RequestId, ok, respond};
use crate::parse::profile::{Completeness, check_district, check_interests, parse_profile, profile_pb};
use crate::views::interview::{MODES, OUTCOMES, STATES, interview_pb};
use crate::views::participant::{
    bad_page_token, find_managed, parse_participant_name, parse_time_key, time_key,
};

/// Planned length of an interview when the booking does not say.
pub const DEFAULT_DURATION_MINUTES: i32 = 45;
/// Longest interview that can be booked, in minutes.
pub const MAX_DURATION_MINUTES: i32 = 240;

type Location = FreeText<200>;
type OutcomeReason = FreeText<500>;
type EligibilityNote = FreeText<500>;

/// The InterviewService implementation.
#[derive(Debug, Clone)]
pub struct Interviews {
    kit: Kit,
}

impl Interviews {
    /// A service on `kit`.
    pub fn new(kit: Kit) -> Self {
        Self { kit }
    }
}

/// Parses `chapters/{c}/participants/{p}/interviews/{i}` into the participant's name
/// and the interview id.
fn parse_interview_name(name: &str) -> Result<(String, Uuid), FieldError> {
    let (parent, id) = name.rsplit_once("/interviews/").ok_or_else(|| {
        FieldError::new(
            "must be a resource name of the form \
             chapters/{chapter}/participants/{participant}/interviews/{interview}",
        )
    })?;
    parse_participant_name(parent)?;
    let id = Uuid::parse_str(id).map_err(|_| FieldError::new("must end in an interview id"))?;
    Ok((parent.to_owned(), id))
}

/// Reads (and locks, in `tx`) the participant and the interview named `name`, in the
/// caller's chapter; anything else is NOT_FOUND, as if it did not exist.
async fn find_interview(
    tx: &mut Tx,
    principal: &Principal,
    name: &str,
    field: &str,
    lock: bool,
) -> ApiResult<(Participant, Interview)> {
    let (parent, id) =
        parse_interview_name(name).map_err(|e| ApiError::invalid(field, e.into_description()))?;
    let participant = find_managed(tx, principal, &parent, field, lock)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => scope::not_found(name),
            other => other,
        })?;
    let found = if lock {
        interviews::lock_interview(tx, id).await
    } else {
        interviews::get_interview(&mut **tx, id).await
    };
    let interview = found.named(name)?;
    if interview.participant_id != participant.id {
        return Err(scope::not_found(name));
    }
    Ok((participant, interview))
}

/// How far in the past a new interview time may lie, for clocks that run a little slow.
const BOOKING_CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// How far ahead an interview may be booked, in days.
const MAX_DAYS_AHEAD: i64 = 366;

/// Parses the schedule of an interview at `path` (`schedule_time`, `duration`, `mode`,
/// `location`).
fn parse_schedule(
    v: &mut Violations,
    path: &str,
    i: &pb::Interview,
    now: OffsetDateTime,
    new_time: bool,
) -> Option<Schedule> {
    let schedule_time = match i.schedule_time.as_ref().map(from_timestamp) {
        None => {
            v.add(format!("{path}.schedule_time"), "is required");
            None
        }
        Some(None) => {
            v.add(format!("{path}.schedule_time"), "is not a valid time");
            None
        }
        // At most a year ahead: an interview is something the coordinator has planned,
        // and a date decades away would also let an age check pass that should not.
        Some(Some(t)) if t > now + time::Duration::days(MAX_DAYS_AHEAD) => {
            v.add(
                format!("{path}.schedule_time"),
                format!("must be at most {MAX_DAYS_AHEAD} days ahead"),
            );
            None
        }
        // A booking (or a new time) lies ahead; a few minutes' grace for clocks that
        // differ. An interview already held is booked and recorded from now on.
        Some(Some(t)) if new_time && t < now - BOOKING_CLOCK_SKEW => {
            v.add(
                format!("{path}.schedule_time"),
                "must not be in the past: an interview is booked ahead of time",
            );
            None
        }
        Some(Some(t)) => Some(t),
    };
    let duration_minutes = match &i.duration {
        None => Some(DEFAULT_DURATION_MINUTES),
        Some(d) if d.seconds > 0 && d.seconds <= i64::from(MAX_DURATION_MINUTES) * 60 => {
            // Whole minutes; a part-minute rounds up.
            i32::try_from((d.seconds + 59) / 60).ok()
        }
        Some(_) => {
            v.add(
                format!("{path}.duration"),
                format!("must be more than zero and at most {MAX_DURATION_MINUTES} minutes"),
            );
            None
        }
    };
    let mode = v.check(format!("{path}.mode"), MODES.parse(i.mode));
    let location = v.check(format!("{path}.location"), Location::parse(&i.location));
    let video_link = v.check(format!("{path}.video_link"), parse_video_link(&i.video_link));
    Some(Schedule {
        schedule_time: schedule_time?,
        duration_minutes: duration_minutes?,
        mode: mode?,
        location: location?.as_str().to_owned(),
        video_link: video_link?,
    })
}

/// The profile an interview records: what the participant already holds (copied from
/// the referral or the sign-up, or recorded at an earlier interview), with every field
/// the request sets in its place. A field left empty, or no `profile` at all, keeps the
/// participant's value, so that nothing already known is typed again. `has_children`
/// can only be turned on here (a bool cannot say "not given"); `buddy_capacity` is
/// always the interview's own.
fn merged_profile(given: Option<&pb::MatchingProfile>, participant: &Participant) -> pb::MatchingProfile {
    let mut merged = profile_pb(&participant.profile(), &participant.role, &participant.chapter_id);
    // How many buddies a resident takes is decided at each interview, never assumed
    // from a registration's default.
    merged.buddy_capacity = given.map_or(0, |g| g.buddy_capacity);
    let Some(given) = given else {
        return merged;
    };
    if !given.languages.is_empty() {
        merged.languages.clone_from(&given.languages);
    }
    if given.swedish_level.is_some() {
        merged.swedish_level.clone_from(&given.swedish_level);
    }
    if !given.interests.is_empty() {
        merged.interests.clone_from(&given.interests);
    }
    if !given.free_tags.is_empty() {
        merged.free_tags.clone_from(&given.free_tags);
    }
    if !given.district.is_empty() {
        merged.district.clone_from(&given.district);
    }
    if !given.availability.is_empty() {
        merged.availability.clone_from(&given.availability);
    }
    if given.meeting_preference != 0 {
        merged.meeting_preference = given.meeting_preference;
    }
    if !given.wishes.is_empty() {
        merged.wishes.clone_from(&given.wishes);
    }
    merged.has_children |= given.has_children;
    merged
}

/// `t` as RFC 3339, for messages.
fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Longest video link, in characters.
pub const MAX_VIDEO_LINK_CHARS: usize = 500;

/// A video call's address: empty, or an `https://` address without spaces.
fn parse_video_link(link: &str) -> Result<String, FieldError> {
    let link = link.trim();
    if link.is_empty() {
        return Ok(String::new());
    }
    if !link.starts_with("https://")
        || link.len() <= "https://".len()
        || link.chars().count() > MAX_VIDEO_LINK_CHARS
        || link.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(FieldError::new(format!(
            "must be an https:// address without spaces, at most {MAX_VIDEO_LINK_CHARS} characters"
        )));
    }
    Ok(link.to_owned())
}

/// What RecordInterview parsed: everything the store's `record_outcome` needs.
fn parse_record(
    v: &mut Violations,
    req: &pb::RecordInterviewRequest,
    participant: &Participant,
) -> ApiResult<Option<Record>> {
    let role: ParticipantRole = participant
        .role
        .parse()
        .map_err(|e: FieldError| ApiError::Internal(e.into()))?;
    let outcome = v.check("outcome", OUTCOMES.parse(req.outcome));
    let completeness = if outcome == Some(InterviewOutcome::Approved) {
        Completeness::Approved
    } else {
        Completeness::Partial
    };
    let merged = merged_profile(req.profile.as_ref(), participant);
    let profile = parse_profile(v, "profile", &merged, role, &participant.chapter_id, completeness);
    let eligibility = v.require("eligibility", req.eligibility.as_ref());
    let eligibility_note = eligibility.and_then(|e| {
        let note = v.check("eligibility.note", EligibilityNote::parse(&e.note))?;
        if note.is_empty() && !(e.meets_minimum_age && e.meets_chapter_rules) {
            v.add("eligibility.note", "is required when a check fails: explain why");
            return None;
        }
        Some(note)
    });
    let notes = v.check("notes", Note::parse(&req.notes));
    let outcome_reason = v.check("outcome_reason", OutcomeReason::parse(&req.outcome_reason));
    if outcome.is_some_and(|o| o != InterviewOutcome::Approved)
        && outcome_reason.as_ref().is_some_and(FreeText::is_empty)
    {
        v.add(
            "outcome_reason",
            "is required when the outcome is NOT_SUITABLE or NEEDS_FOLLOW_UP",
        );
    }
    let (Some(outcome), Some(profile), Some(eligibility), Some(eligibility_note)) =
        (outcome, profile, eligibility, eligibility_note)
    else {
        return Ok(None);
    };
    Ok(Some(Record {
        profile,
        meets_minimum_age: eligibility.meets_minimum_age,
        meets_chapter_rules: eligibility.meets_chapter_rules,
        eligibility_note: eligibility_note.as_str().to_owned(),
        notes: notes.unwrap_or_default().as_str().to_owned(),
        outcome,
        outcome_reason: outcome_reason.unwrap_or_default().as_str().to_owned(),
    }))
}

#[tonic::async_trait]
impl InterviewService for Interviews {
    #[tracing::instrument(skip_all, fields(rpc = "BookInterview", interview))]
    async fn book_interview(
        &self,
        request: Request<pb::BookInterviewRequest>,
    ) -> Result<Response<pb::BookInterviewResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Participant(request.get_ref().parent.clone());
        let outcome: Result<Response<pb::BookInterviewResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let now = self.kit.now();
            let mut v = Violations::new();
            let rid = v.check("request_id", RequestId::parse(&req.request_id));
            let schedule = match v.require("interview", req.interview.as_ref()) {
                Some(i) => parse_schedule(&mut v, "interview", i, now, true),
                None => None,
            };
            v.check("parent", parse_participant_name(&req.parent));
            v.into_result().map_err(ApiError::InvalidArgument)?;
            let (Some(rid), Some(schedule)) = (rid, schedule) else {
                return Err(ApiError::bug("a checked field is missing").into());
            };
            respond(
                self.kit
                    .mutate(principal, "BookInterview", rid, req, async |tx| {
                        let participant = find_managed(tx, principal, &req.parent, "parent", true).await?;
                        let id = Uuid::now_v7();
                        tracing::Span::current().record("interview", tracing::field::display(id));
                        let new = NewInterview {
                            id,
                            participant_id: participant.id,
                            chapter_id: participant.chapter_id.clone(),
                            schedule,
                            interviewer: principal.subject.clone(),
                            participant_state_before: participant.parsed_state()?,
                            at: now,
                        };
                        let interview = intake::book(tx, &participant, &new).await.named(&req.parent)?;
                        Ok(pb::BookInterviewResponse {
                            interview: Some(interview_pb(&interview)?),
                        })
                    })
                    .await,
            )
        }
        .await;
        self.kit
            .audit_call(&principal, "BookInterview", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetInterview"))]
    async fn get_interview(
        &self,
        request: Request<pb::GetInterviewRequest>,
    ) -> Result<Response<pb::GetInterviewResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Participant(request.get_ref().name.clone());
        let outcome: Result<Response<pb::GetInterviewResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let name = &request.get_ref().name;
            let mut tx = self.kit.begin().await?;
            let (_, interview) = find_interview(&mut tx, principal, name, "name", false).await?;
            ok(pb::GetInterviewResponse {
                interview: Some(interview_pb(&interview)?),
            })
        }
        .await;
        self.kit
            .audit_call(&principal, "GetInterview", named, Action::Read, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListInterviews"))]
    async fn list_interviews(
        &self,
        request: Request<pb::ListInterviewsRequest>,
    ) -> Result<Response<pb::ListInterviewsResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Participant(request.get_ref().parent.clone());
        let outcome: Result<Response<pb::ListInterviewsResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let mut conn = self.kit.begin().await?;
            // `chapters/{c}/participants/-` lists the whole chapter.
            let (chapter_id, participant_id) = match req.parent.strip_suffix("/participants/-") {
                Some(chapter_name) => {
                    let chapter = crate::kit::names::parse_one(chapter_name, "chapters")
                        .map_err(|e| ApiError::invalid("parent", e.into_description()))?;
                    scope::managed_chapter(principal, chapter.as_str(), &req.parent)?;
                    (chapter.into_string(), None)
                }
                None => {
                    let p = find_managed(&mut conn, principal, &req.parent, "parent", false).await?;
                    (p.chapter_id, Some(p.id))
                }
            };
            let mut v = Violations::new();
            let state = match req.state {
                0 => None,
                s => v.check("state", STATES.parse(s)).map(InterviewState::as_str),
            };
            let mut time = |field: &str, t: &Option<prost_types::Timestamp>| {
                t.as_ref().and_then(|t| {
                    let parsed = from_timestamp(t);
                    if parsed.is_none() {
                        v.add(field, "is not a valid time");
                    }
                    parsed
                })
            };
            let after_time = time("schedule_time_after", &req.schedule_time_after);
            let before_time = time("schedule_time_before", &req.schedule_time_before);
            let fingerprint = format!(
                "{}|{}|{:?}|{:?}",
                req.parent,
                req.state,
                req.schedule_time_after.as_ref().map(|t| (t.seconds, t.nanos)),
                req.schedule_time_before.as_ref().map(|t| (t.seconds, t.nanos)),
            );
            let page = Page::parse_into(&mut v, req.page_size, &req.page_token, &fingerprint);
            v.into_result().map_err(ApiError::InvalidArgument)?;
            let page = page.ok_or_else(bad_page_token)?;
            let after = match &page.after {
                None => None,
                Some(key) => Some(parse_time_key(key).ok_or_else(bad_page_token)?),
            };
            let filter = interviews::ListFilter {
                chapter_id,
                participant_id,
                state,
                schedule_time_after: after_time,
                schedule_time_before: before_time,
            };
            let mut rows = interviews::list_interviews(&mut *conn, &filter, after, page.fetch_limit())
                .await
                .named(&req.parent)?;
            let next_page_token = page.finish(&mut rows, |i| time_key(i.create_time, i.id));
            ok(pb::ListInterviewsResponse {
                interviews: rows.iter().map(interview_pb).collect::<ApiResult<_>>()?,
                next_page_token,
            })
        }
        .await;
        let chapter_wide = request.get_ref().parent.ends_with("/participants/-");
        let outcome = self
            .kit
            .audit_call(&principal, "ListInterviews", named, Action::Read, outcome)
            .await;
        if !chapter_wide {
            return outcome;
        }
        // Chapter-wide: one read of every person on the page.
        self.kit
            .audit_shown(&principal, "ListInterviews", outcome, |r| {
                r.interviews
                    .iter()
                    .map(|i| (i.name.clone(), i.name.clone()))
                    .collect()
            })
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateInterview"))]
    async fn update_interview(
        &self,
        request: Request<pb::UpdateInterviewRequest>,
    ) -> Result<Response<pb::UpdateInterviewResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Participant(
            request
                .get_ref()
                .interview
                .as_ref()
                .map(|i| i.name.clone())
                .unwrap_or_default(),
        );
        let outcome: Result<Response<pb::UpdateInterviewResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let now = self.kit.now();
            let mut v = Violations::new();
            let paths = v.check(
                "update_mask",
                update_paths(
                    req.update_mask.as_ref(),
                    &["schedule_time", "duration", "mode", "location", "video_link"],
                ),
            );
            let input = v.require("interview", req.interview.as_ref());
            v.into_result().map_err(ApiError::InvalidArgument)?;
            let (Some(paths), Some(input)) = (paths, input) else {
                return Err(ApiError::bug("a checked field is missing").into());
            };
            let name = &input.name;
            let mut tx = self.kit.begin().await?;
            let (_, current) = find_interview(&mut tx, principal, name, "interview.name", true).await?;
            current.parsed_state().api()?.can_reschedule().api()?;
            let mut merged = interview_pb(&current)?;
            for path in paths {
                match path {
                    "schedule_time" => merged.schedule_time = input.schedule_time,
                    "duration" => merged.duration = input.duration,
                    "mode" => merged.mode = input.mode,
                    "video_link" => merged.video_link.clone_from(&input.video_link),
                    _ => merged.location.clone_from(&input.location),
                }
            }
            let mut v = Violations::new();
            let new_time = merged.schedule_time != interview_pb(&current)?.schedule_time;
            let schedule = parse_schedule(&mut v, "interview", &merged, now, new_time);
            v.into_result().map_err(ApiError::InvalidArgument)?;
            let Some(schedule) = schedule else {
                return Err(ApiError::bug("a checked field is missing").into());
            };
            let updated = interviews::reschedule(&mut *tx, current.id, &schedule, now)
                .await
                .named(name)?;
            self.kit.commit(tx).await?;
            ok(pb::UpdateInterviewResponse {
                interview: Some(interview_pb(&updated)?),
            })
        }
        .await;
        self.kit
            .audit_call(&principal, "UpdateInterview", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "RecordInterview"))]
    async fn record_interview(
        &self,
        request: Request<pb::RecordInterviewRequest>,
    ) -> Result<Response<pb::RecordInterviewResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Participant(request.get_ref().name.clone());
        let outcome: Result<Response<pb::RecordInterviewResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let rid = RequestId::parse(&req.request_id)
                .map_err(|e| ApiError::invalid("request_id", e.into_description()))?;
            let now = self.kit.now();
            respond(
                self.kit
                    .mutate(principal, "RecordInterview", rid, req, async |tx| {
                        let (participant, interview) = find_interview(tx, principal, &req.name, "name", true).await?;
                        interview.parsed_state()?.transition(InterviewState::Recorded)?;
                        if now < interview.schedule_time {
                            return Err(ApiError::precondition(
                                ErrorReason::InterviewNotStarted,
                                format!(
                                    "the interview starts at {}; record it once it has been held, \
                                     or reschedule it with UpdateInterview if it was held earlier",
                                    rfc3339(interview.schedule_time)
                                ),
                            ));
                        }
                        let mut v = Violations::new();
                        let record = parse_record(&mut v, req, &participant)?;
                        // The district and interests are checked even when another field is
                        // bad, so that every bad field is named at once.
                        if let Some(district) = req
                            .profile
                            .as_ref()
                            .and_then(|p| crate::parse::profile::parse_district_name(&p.district).ok())
                        {
                            check_district(tx, &mut v, "profile.district", &participant.chapter_id, &district).await?;
                        }
                        if let Some(r) = &record {
                            check_interests(tx, &mut v, "profile", &participant.chapter_id, &r.profile).await?;
                        }
                        v.into_result().map_err(ApiError::InvalidArgument)?;
                        let record = record.ok_or_else(|| ApiError::bug("a checked field is missing"))?;
                        let outcome = Outcome {
                            record,
                            actor: &principal.subject,
                            at: now,
                        };
                        let recorded = intake::record_outcome(tx, &participant, &interview, &outcome)
                            .await
                            .named(&req.name)?;
                        tracing::info!(interview = %recorded.id, outcome = outcome.record.outcome.as_str(), "interview recorded");
                        Ok(pb::RecordInterviewResponse {
                            interview: Some(interview_pb(&recorded)?),
                        })
                    })
                    .await,
            )
        }
        .await;
        self.kit
            .audit_call(&principal, "RecordInterview", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "CancelInterview"))]
    async fn cancel_interview(
        &self,
        request: Request<pb::CancelInterviewRequest>,
    ) -> Result<Response<pb::CancelInterviewResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Participant(request.get_ref().name.clone());
        let outcome: Result<Response<pb::CancelInterviewResponse>, Status> = async {
            let principal = Principal::from_request(&request)?;
            let req = request.get_ref();
            let mut v = Violations::new();
            let reason = v.check("reason", OutcomeReason::parse(&req.reason));
            let rid = v.check("request_id", RequestId::parse(&req.request_id));
            v.into_result().map_err(ApiError::InvalidArgument)?;
            let (Some(reason), Some(rid)) = (reason, rid) else {
                return Err(ApiError::bug("a checked field is missing").into());
            };
            let reason = if reason.is_empty() {
                "intake interview cancelled"
            } else {
                reason.as_str()
            };
            let now = self.kit.now();
            respond(
                self.kit
                    .mutate(principal, "CancelInterview", rid, req, async |tx| {
                        let (participant, interview) =
                            find_interview(tx, principal, &req.name, "name", true).await?;
                        let cancelled =
                            intake::cancel(tx, &participant, &interview, reason, &principal.subject, now)
                                .await
                                .named(&req.name)?;
                        Ok(pb::CancelInterviewResponse {
                            interview: Some(interview_pb(&cancelled)?),
                        })
                    })
                    .await,
            )
        }
        .await;
        self.kit
            .audit_call(&principal, "CancelInterview", named, Action::Change, outcome)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interview_names_parse() {
        let (p, i) = (Uuid::now_v7(), Uuid::now_v7());
        let name = format!("chapters/botkyrka/participants/{p}/interviews/{i}");
        let (parent, id) = parse_interview_name(&name).unwrap();
        assert_eq!(parent, format!("chapters/botkyrka/participants/{p}"));
        assert_eq!(id, i);
        assert!(parse_interview_name(&format!("chapters/botkyrka/participants/{p}")).is_err());
        assert!(parse_interview_name("chapters/x/participants/y/interviews/z").is_err());
    }

    #[test]
    fn a_schedule_needs_a_time_and_a_mode_and_a_sane_length() {
        let mut v = Violations::new();
        let input = pb::Interview {
            duration: Some(prost_types::Duration {
                seconds: 5 * 3600,
                nanos: 0,
            }),
            ..Default::default()
        };
        assert!(parse_schedule(&mut v, "interview", &input, OffsetDateTime::now_utc(), true).is_none());
        let fields: Vec<_> = v.as_slice().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["interview.schedule_time", "interview.duration", "interview.mode"]
        );
    }
}
