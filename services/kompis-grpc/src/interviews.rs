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
//! Each participant state change and each interview state change (booked, recorded,
//! cancelled) is written to the event log in the same transaction.

use kompis_domain::{
    BirthYear, FieldError, FreeText, InterviewOutcome, Note, ParticipantRole, ParticipantState, Violations,
};
use kompis_proto::v1 as pb;
use kompis_proto::v1::interview_service_server::InterviewService;
use kompis_store::events::{self, NewEvent};
use kompis_store::interviews::{self, Interview, NewInterview, Record, Schedule};
use kompis_store::participants::{self, Participant, StateChange, WaitingSince};
use kompis_store::{Store, weights};
use sqlx::PgConnection;
use time::OffsetDateTime;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Principal;
use crate::convert::{from_timestamp, request_hash, request_id, timestamp, update_paths};
use crate::error::{ApiError, ApiResult};
use crate::idempotent::{Begin, begin_create, finish_create};
use crate::page::Page;
use crate::participant_view::{
    bad_page_token, find_managed, parse_participant_name, parse_time_key, time_key,
};
use crate::participants::MANAGERS;
use crate::profile::{Completeness, check_district, check_interests, parse_profile, profile_pb};

/// Planned length of an interview when the booking does not say.
pub const DEFAULT_DURATION_MINUTES: i32 = 45;
/// Longest interview that can be booked, in minutes.
pub const MAX_DURATION_MINUTES: i32 = 240;

type Location = FreeText<200>;
type OutcomeReason = FreeText<500>;
type EligibilityNote = FreeText<500>;

const MODES: [(pb::InterviewMode, &str); 3] = [
    (pb::InterviewMode::InPerson, "in_person"),
    (pb::InterviewMode::Video, "video"),
    (pb::InterviewMode::Phone, "phone"),
];

const OUTCOMES: [(pb::InterviewOutcome, InterviewOutcome); 3] = [
    (pb::InterviewOutcome::Approved, InterviewOutcome::Approved),
    (pb::InterviewOutcome::NotSuitable, InterviewOutcome::NotSuitable),
    (
        pb::InterviewOutcome::NeedsFollowUp,
        InterviewOutcome::NeedsFollowUp,
    ),
];

/// The InterviewService implementation.
#[derive(Debug, Clone)]
pub struct Interviews {
    store: Store,
}

impl Interviews {
    /// A service reading and writing `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn ok<T>(value: T) -> Result<Response<T>, Status> {
    Ok(Response::new(value))
}

fn parse_mode(value: i32) -> Result<&'static str, FieldError> {
    MODES
        .iter()
        .find(|(p, _)| *p as i32 == value)
        .map(|(_, m)| *m)
        .ok_or_else(|| FieldError::new("is required: IN_PERSON, VIDEO or PHONE"))
}

fn state_pb(stored: &str) -> i32 {
    (match stored {
        "booked" => pb::InterviewState::Booked,
        "recorded" => pb::InterviewState::Recorded,
        "cancelled" => pb::InterviewState::Cancelled,
        _ => pb::InterviewState::Unspecified,
    }) as i32
}

/// The proto form of a stored interview. `notes` are coordinator-only, and only
/// coordinators and administrators call this service.
pub fn interview_pb(i: &Interview) -> pb::Interview {
    let recorded = i.state == "recorded";
    pb::Interview {
        name: i.resource_name(),
        state: state_pb(&i.state),
        schedule_time: timestamp(i.schedule_time),
        duration: Some(prost_types::Duration {
            seconds: i64::from(i.duration_minutes) * 60,
            nanos: 0,
        }),
        mode: MODES
            .iter()
            .find(|(_, m)| *m == i.mode)
            .map_or(0, |(p, _)| *p as i32),
        location: i.location.clone(),
        interviewer: i.interviewer.clone(),
        profile: i
            .profile
            .as_ref()
            .map(|p| profile_pb(&p.0, &i.participant_role, &i.chapter_id)),
        eligibility: match (recorded, i.meets_minimum_age, i.meets_chapter_rules) {
            (true, Some(age), Some(rules)) => Some(pb::Eligibility {
                meets_minimum_age: age,
                meets_chapter_rules: rules,
                note: i.eligibility_note.clone(),
            }),
            _ => None,
        },
        notes: i.notes.clone(),
        outcome: i
            .outcome
            .as_deref()
            .and_then(|o| o.parse::<InterviewOutcome>().ok())
            .and_then(|o| OUTCOMES.iter().find(|(_, d)| *d == o))
            .map_or(0, |(p, _)| *p as i32),
        outcome_reason: i.outcome_reason.clone(),
        record_time: i.record_time.and_then(timestamp),
        create_time: timestamp(i.create_time),
        update_time: timestamp(i.update_time),
    }
}

/// Appends an interview's state change to the event log. Used by this service and by
/// withdrawals, which cancel a booked interview.
pub(crate) async fn append_interview_event(
    tx: &mut PgConnection,
    interview: &Interview,
    from: &str,
    to: &str,
    reason: &str,
    actor: &str,
) -> ApiResult<()> {
    let name = interview.resource_name();
    events::append(
        &mut *tx,
        &NewEvent {
            chapter_id: &interview.chapter_id,
            subject: &name,
            actor,
            from_state: from,
            to_state: to,
            reason,
        },
    )
    .await
    .map_err(|e| ApiError::from_store(e, &name))?;
    Ok(())
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
/// caller's chapter; anything else is NOT_FOUND.
async fn find_interview(
    tx: &mut PgConnection,
    principal: &Principal,
    name: &str,
    lock: bool,
) -> ApiResult<(Participant, Interview)> {
    let (parent, id) =
        parse_interview_name(name).map_err(|e| ApiError::invalid("name", e.into_description()))?;
    let participant = find_managed(&mut *tx, principal, &parent, "name", lock)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::NotFound(name.to_owned()),
            other => other,
        })?;
    let found = if lock {
        interviews::lock_interview(&mut *tx, id).await
    } else {
        interviews::get_interview(&mut *tx, id).await
    };
    let interview = found.map_err(|e| ApiError::from_store(e, name))?;
    if interview.participant_id != participant.id {
        return Err(ApiError::NotFound(name.to_owned()));
    }
    Ok((participant, interview))
}

fn not_booked(interview: &Interview) -> ApiError {
    ApiError::FailedPrecondition {
        reason: "INVALID_STATE_TRANSITION",
        message: format!("the interview is {}, not booked", interview.state),
    }
}

/// How far ahead an interview may be booked, in days.
const MAX_DAYS_AHEAD: i64 = 366;

/// Parses the schedule of an interview at `path` (`schedule_time`, `duration`, `mode`,
/// `location`).
fn parse_schedule(v: &mut Violations, path: &str, i: &pb::Interview) -> Option<Schedule> {
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
        Some(Some(t)) if t > time::OffsetDateTime::now_utc() + time::Duration::days(MAX_DAYS_AHEAD) => {
            v.add(
                format!("{path}.schedule_time"),
                format!("must be at most {MAX_DAYS_AHEAD} days ahead"),
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
    let mode = v.check(format!("{path}.mode"), parse_mode(i.mode));
    let location = v.check(format!("{path}.location"), Location::parse(&i.location));
    Some(Schedule {
        schedule_time: schedule_time?,
        duration_minutes: duration_minutes?,
        mode: mode?,
        location: location?.as_str().to_owned(),
    })
}

#[tonic::async_trait]
impl InterviewService for Interviews {
    #[tracing::instrument(skip_all, fields(rpc = "BookInterview", interview))]
    async fn book_interview(
        &self,
        request: Request<pb::BookInterviewRequest>,
    ) -> Result<Response<pb::BookInterviewResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        principal.require_role(MANAGERS)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let rid = v.check("request_id", request_id(&req.request_id));
        let schedule = match v.require("interview", req.interview.as_ref()) {
            Some(i) => parse_schedule(&mut v, "interview", i),
            None => None,
        };
        v.check("parent", parse_participant_name(&req.parent));
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (Some(rid), Some(schedule)) = (rid, schedule) else {
            return Err(ApiError::Internal("a checked field is missing".into()).into());
        };
        let hash = request_hash(req);
        let mut tx = match begin_create(&self.store, "BookInterview", rid, &hash).await? {
            Begin::Replay(name) => {
                let mut conn = self
                    .store
                    .pool()
                    .acquire()
                    .await
                    .map_err(|e| ApiError::from_store(e.into(), &name))?;
                let (_, interview) = find_interview(&mut conn, principal, &name, false).await?;
                return ok(pb::BookInterviewResponse {
                    interview: Some(interview_pb(&interview)),
                });
            }
            Begin::Create(tx) => tx,
        };
        let participant = find_managed(&mut tx, principal, &req.parent, "parent", true).await?;
        let state = participant.parsed_state();
        state
            .transition(ParticipantState::InterviewBooked)
            .map_err(ApiError::InvalidTransition)?;
        let id = Uuid::now_v7();
        tracing::Span::current().record("interview", tracing::field::display(id));
        let interview = interviews::insert_interview(
            &mut *tx,
            &NewInterview {
                id,
                participant_id: participant.id,
                chapter_id: participant.chapter_id.clone(),
                schedule,
                interviewer: principal.subject.clone(),
                participant_state_before: state,
            },
        )
        .await
        .map_err(|e| ApiError::from_store(e, &req.parent))?;
        participants::change_state(
            &mut tx,
            &StateChange {
                id: participant.id,
                from: state,
                to: ParticipantState::InterviewBooked,
                state_before_withdrawal: None,
                waiting_since: WaitingSince::Keep,
                reason: "intake interview booked",
                actor: &principal.subject,
            },
        )
        .await
        .map_err(|e| ApiError::from_store(e, &req.parent))?;
        append_interview_event(&mut tx, &interview, "", "booked", "", &principal.subject).await?;
        let name = interview.resource_name();
        finish_create(tx, "BookInterview", rid, &hash, &name).await?;
        ok(pb::BookInterviewResponse {
            interview: Some(interview_pb(&interview)),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetInterview"))]
    async fn get_interview(
        &self,
        request: Request<pb::GetInterviewRequest>,
    ) -> Result<Response<pb::GetInterviewResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        principal.require_role(MANAGERS)?;
        let name = &request.get_ref().name;
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(|e| ApiError::from_store(e.into(), name))?;
        let (_, interview) = find_interview(&mut conn, principal, name, false).await?;
        ok(pb::GetInterviewResponse {
            interview: Some(interview_pb(&interview)),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListInterviews"))]
    async fn list_interviews(
        &self,
        request: Request<pb::ListInterviewsRequest>,
    ) -> Result<Response<pb::ListInterviewsResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        principal.require_role(MANAGERS)?;
        let req = request.get_ref();
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(|e| ApiError::from_store(e.into(), &req.parent))?;
        // `chapters/{c}/participants/-` lists the whole chapter.
        let (chapter_id, participant_id) = match req.parent.strip_suffix("/participants/-") {
            Some(chapter_name) => {
                let chapter = crate::names::parse_one(chapter_name, "chapters")
                    .map_err(|e| ApiError::invalid("parent", e.into_description()))?;
                if !principal.manages_chapter(chapter.as_str()) {
                    return Err(ApiError::NotFound(req.parent.clone()).into());
                }
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
            s if s == pb::InterviewState::Booked as i32 => Some("booked"),
            s if s == pb::InterviewState::Recorded as i32 => Some("recorded"),
            s if s == pb::InterviewState::Cancelled as i32 => Some("cancelled"),
            _ => {
                v.add("state", "must be one of the InterviewState values");
                None
            }
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
            .map_err(|e| ApiError::from_store(e, &req.parent))?;
        let next_page_token = page.finish(&mut rows, |i| time_key(i.create_time, i.id));
        ok(pb::ListInterviewsResponse {
            interviews: rows.iter().map(interview_pb).collect(),
            next_page_token,
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateInterview"))]
    async fn update_interview(
        &self,
        request: Request<pb::UpdateInterviewRequest>,
    ) -> Result<Response<pb::UpdateInterviewResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        principal.require_role(MANAGERS)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let paths = v.check(
            "update_mask",
            update_paths(
                req.update_mask.as_ref(),
                &["schedule_time", "duration", "mode", "location"],
            ),
        );
        let input = v.require("interview", req.interview.as_ref());
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (Some(paths), Some(input)) = (paths, input) else {
            return Err(ApiError::Internal("a checked field is missing".into()).into());
        };
        let name = &input.name;
        let mut tx = self
            .store
            .begin()
            .await
            .map_err(|e| ApiError::from_store(e, name))?;
        let (_, current) = find_interview(&mut tx, principal, name, true)
            .await
            .map_err(|e| match e {
                ApiError::InvalidArgument(mut bad) => {
                    for b in &mut bad {
                        b.field = "interview.name".into();
                    }
                    ApiError::InvalidArgument(bad)
                }
                other => other,
            })?;
        if current.state != "booked" {
            return Err(not_booked(&current).into());
        }
        let mut merged = interview_pb(&current);
        for path in paths {
            match path {
                "schedule_time" => merged.schedule_time = input.schedule_time,
                "duration" => merged.duration = input.duration,
                "mode" => merged.mode = input.mode,
                _ => merged.location.clone_from(&input.location),
            }
        }
        let mut v = Violations::new();
        let schedule = parse_schedule(&mut v, "interview", &merged);
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let Some(schedule) = schedule else {
            return Err(ApiError::Internal("a checked field is missing".into()).into());
        };
        let updated = interviews::reschedule(&mut *tx, current.id, &schedule)
            .await
            .map_err(|e| ApiError::from_store(e, name))?;
        tx.commit()
            .await
            .map_err(|e| ApiError::from_store(e.into(), name))?;
        ok(pb::UpdateInterviewResponse {
            interview: Some(interview_pb(&updated)),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "RecordInterview"))]
    async fn record_interview(
        &self,
        request: Request<pb::RecordInterviewRequest>,
    ) -> Result<Response<pb::RecordInterviewResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        principal.require_role(MANAGERS)?;
        let req = request.get_ref();
        let mut tx = self
            .store
            .begin()
            .await
            .map_err(|e| ApiError::from_store(e, &req.name))?;
        let (participant, interview) = find_interview(&mut tx, principal, &req.name, true).await?;
        if interview.state != "booked" {
            return Err(not_booked(&interview).into());
        }
        let role: ParticipantRole = participant
            .role
            .parse()
            .map_err(|e: FieldError| ApiError::Internal(e.into()))?;

        let mut v = Violations::new();
        let outcome = OUTCOMES
            .iter()
            .find(|(p, _)| *p as i32 == req.outcome)
            .map(|(_, o)| *o);
        if outcome.is_none() {
            v.add(
                "outcome",
                "is required: APPROVED, NOT_SUITABLE or NEEDS_FOLLOW_UP",
            );
        }
        let completeness = if outcome == Some(InterviewOutcome::Approved) {
            Completeness::Approved
        } else {
            Completeness::Partial
        };
        let profile = match v.require("profile", req.profile.as_ref()) {
            Some(p) => parse_profile(&mut v, "profile", p, role, &participant.chapter_id, completeness),
            None => None,
        };
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
        // The recorded profile keeps the participant's district unless the interview
        // recorded another one.
        let profile = profile.map(|mut p| {
            if p.district_id.is_empty() {
                p.municipality_id.clone_from(&participant.municipality_id);
                p.district_id.clone_from(&participant.district_id);
            }
            p
        });
        // The district is checked even when another profile field is bad, so that every
        // bad field is named at once. A malformed one was reported by `parse_profile`.
        if let Some(district) = req
            .profile
            .as_ref()
            .and_then(|p| crate::profile::parse_district_name(&p.district).ok())
        {
            check_district(
                &mut tx,
                &mut v,
                "profile.district",
                &participant.chapter_id,
                &district,
            )
            .await?;
        }
        if let Some(p) = &profile {
            check_interests(&mut tx, &mut v, "profile", &participant.chapter_id, p).await?;
        }
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (Some(outcome), Some(profile), Some(eligibility), Some(eligibility_note)) =
            (outcome, profile, eligibility, eligibility_note)
        else {
            return Err(ApiError::Internal("a checked field is missing".into()).into());
        };

        if outcome == InterviewOutcome::Approved {
            let min_age = match weights::get_weights(
                &mut *tx,
                &kompis_domain::Slug::parse(&participant.chapter_id)
                    .map_err(|e| ApiError::Internal(e.into()))?,
            )
            .await
            {
                Ok(w) => w.min_age,
                // A chapter always has weights; without them the default rule applies.
                Err(kompis_store::StoreError::NotFound) => BirthYear::DEFAULT_ADULT_AGE,
                Err(e) => return Err(ApiError::from_store(e, &participant.chapter_id).into()),
            };
            // Age now, when the outcome is recorded: the rule is about who takes part.
            let old_enough = BirthYear::from_stored(participant.birth_year)
                .is_adult_in(time::OffsetDateTime::now_utc().year(), min_age);
            if !(eligibility.meets_minimum_age && eligibility.meets_chapter_rules && old_enough) {
                return Err(ApiError::FailedPrecondition {
                    reason: "NOT_ELIGIBLE",
                    message: format!(
                        "approval needs the eligibility checks to hold (minimum age {min_age} \
                         and the chapter's rules)"
                    ),
                }
                .into());
            }
        }

        let state = participant.parsed_state();
        let next = state
            .record_interview(outcome)
            .map_err(ApiError::InvalidTransition)?;
        let recorded = interviews::record(
            &mut *tx,
            interview.id,
            &Record {
                profile: profile.clone(),
                meets_minimum_age: eligibility.meets_minimum_age,
                meets_chapter_rules: eligibility.meets_chapter_rules,
                eligibility_note: eligibility_note.as_str().to_owned(),
                notes: notes.unwrap_or_default().as_str().to_owned(),
                outcome,
                outcome_reason: outcome_reason.unwrap_or_default().as_str().to_owned(),
            },
        )
        .await
        .map_err(|e| ApiError::from_store(e, &req.name))?;
        append_interview_event(
            &mut tx,
            &recorded,
            "booked",
            "recorded",
            outcome.as_str(),
            &principal.subject,
        )
        .await?;

        let waiting_since = if outcome == InterviewOutcome::Approved {
            participants::set_profile(&mut *tx, participant.id, &profile)
                .await
                .map_err(|e| ApiError::from_store(e, &req.name))?;
            // A ready participant who was reassessed keeps their place in the queue.
            let was_ready = interview.participant_state_before == ParticipantState::Ready.as_str();
            if was_ready && participant.waiting_since.is_some() {
                WaitingSince::Keep
            } else {
                WaitingSince::Now
            }
        } else {
            WaitingSince::Clear
        };
        if next != state {
            let reason = if outcome == InterviewOutcome::Approved {
                "approved at the intake interview".to_owned()
            } else {
                recorded.outcome_reason.clone()
            };
            participants::change_state(
                &mut tx,
                &StateChange {
                    id: participant.id,
                    from: state,
                    to: next,
                    state_before_withdrawal: None,
                    waiting_since,
                    reason: &reason,
                    actor: &principal.subject,
                },
            )
            .await
            .map_err(|e| ApiError::from_store(e, &req.name))?;
        }
        tx.commit()
            .await
            .map_err(|e| ApiError::from_store(e.into(), &req.name))?;
        tracing::info!(interview = %recorded.id, outcome = outcome.as_str(), "interview recorded");
        ok(pb::RecordInterviewResponse {
            interview: Some(interview_pb(&recorded)),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "CancelInterview"))]
    async fn cancel_interview(
        &self,
        request: Request<pb::CancelInterviewRequest>,
    ) -> Result<Response<pb::CancelInterviewResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        principal.require_role(MANAGERS)?;
        let req = request.get_ref();
        let reason = OutcomeReason::parse(&req.reason)
            .map_err(|e| ApiError::invalid("reason", e.into_description()))?;
        let mut tx = self
            .store
            .begin()
            .await
            .map_err(|e| ApiError::from_store(e, &req.name))?;
        let (participant, interview) = find_interview(&mut tx, principal, &req.name, true).await?;
        if interview.state != "booked" {
            return Err(not_booked(&interview).into());
        }
        let cancelled = interviews::cancel(&mut *tx, interview.id)
            .await
            .map_err(|e| ApiError::from_store(e, &req.name))?;
        let reason = if reason.is_empty() {
            "intake interview cancelled"
        } else {
            reason.as_str()
        };
        append_interview_event(
            &mut tx,
            &cancelled,
            "booked",
            "cancelled",
            reason,
            &principal.subject,
        )
        .await?;
        let state = participant.parsed_state();
        let before: ParticipantState = interview
            .participant_state_before
            .parse()
            .map_err(|e: FieldError| ApiError::Internal(e.into()))?;
        if state == ParticipantState::InterviewBooked {
            state.transition(before).map_err(ApiError::InvalidTransition)?;
            participants::change_state(
                &mut tx,
                &StateChange {
                    id: participant.id,
                    from: state,
                    to: before,
                    state_before_withdrawal: None,
                    waiting_since: WaitingSince::Keep,
                    reason,
                    actor: &principal.subject,
                },
            )
            .await
            .map_err(|e| ApiError::from_store(e, &req.name))?;
        }
        tx.commit()
            .await
            .map_err(|e| ApiError::from_store(e.into(), &req.name))?;
        ok(pb::CancelInterviewResponse {
            interview: Some(interview_pb(&cancelled)),
        })
    }
}

/// When the participant's booked interview starts, if one is booked (for the app).
pub(crate) async fn booked_interview_time(
    store: &Store,
    participant: Uuid,
) -> ApiResult<Option<OffsetDateTime>> {
    Ok(interviews::booked_interview(store.pool(), participant)
        .await
        .map_err(|e| ApiError::from_store(e, "interview"))?
        .map(|i| i.schedule_time))
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
        assert!(parse_schedule(&mut v, "interview", &input).is_none());
        let fields: Vec<_> = v.as_slice().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["interview.schedule_time", "interview.duration", "interview.mode"]
        );
    }
}
