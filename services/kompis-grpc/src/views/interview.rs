//! How interviews are shown: the proto form of a stored interview and the enum tables
//! of its state, mode and outcome.

use kompis_domain::{InterviewMode, InterviewOutcome, InterviewState};
use kompis_proto::v1 as pb;
use kompis_store::interviews::Interview;

use crate::kit::convert::timestamp;
use crate::kit::enums::EnumTable;
use crate::kit::errors::ApiResult;
use crate::parse::profile::profile_pb;

/// Interview modes.
pub const MODES: EnumTable<pb::InterviewMode, InterviewMode> = EnumTable::new(
    "is required: IN_PERSON, VIDEO or PHONE",
    &[
        (pb::InterviewMode::InPerson, InterviewMode::InPerson),
        (pb::InterviewMode::Video, InterviewMode::Video),
        (pb::InterviewMode::Phone, InterviewMode::Phone),
    ],
);

/// Interview outcomes.
pub const OUTCOMES: EnumTable<pb::InterviewOutcome, InterviewOutcome> = EnumTable::new(
    "is required: APPROVED, NOT_SUITABLE or NEEDS_FOLLOW_UP",
    &[
        (pb::InterviewOutcome::Approved, InterviewOutcome::Approved),
        (pb::InterviewOutcome::NotSuitable, InterviewOutcome::NotSuitable),
        (
            pb::InterviewOutcome::NeedsFollowUp,
            InterviewOutcome::NeedsFollowUp,
        ),
    ],
);

/// Interview states.
pub const STATES: EnumTable<pb::InterviewState, InterviewState> = EnumTable::new(
    "must be one of the InterviewState values",
    &[
        (pb::InterviewState::Booked, InterviewState::Booked),
        (pb::InterviewState::Recorded, InterviewState::Recorded),
        (pb::InterviewState::Cancelled, InterviewState::Cancelled),
    ],
);

/// The interview as its participant sees it in the app: when, how and where, never the
/// coordinator's notes.
pub fn my_interview_pb(i: &Interview) -> ApiResult<pb::MyInterview> {
    Ok(pb::MyInterview {
        schedule_time: timestamp(i.schedule_time),
        duration: Some(prost_types::Duration {
            seconds: i64::from(i.duration_minutes) * 60,
            nanos: 0,
        }),
        mode: MODES.to_pb(i.parsed_mode()?),
        location: i.location.clone(),
        video_link: i.video_link.clone(),
    })
}

/// The proto form of a stored interview. `notes` are coordinator-only, and only
/// coordinators and administrators call the interview service. A stored value the code
/// does not know is corrupt data (INTERNAL), never shown as a default.
pub fn interview_pb(i: &Interview) -> ApiResult<pb::Interview> {
    let state = i.parsed_state()?;
    let recorded = state == InterviewState::Recorded;
    Ok(pb::Interview {
        name: i.resource_name(),
        state: STATES.to_pb(state),
        schedule_time: timestamp(i.schedule_time),
        duration: Some(prost_types::Duration {
            seconds: i64::from(i.duration_minutes) * 60,
            nanos: 0,
        }),
        mode: MODES.to_pb(i.parsed_mode()?),
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
        outcome: i.parsed_outcome()?.map_or(0, |o| OUTCOMES.to_pb(o)),
        outcome_reason: i.outcome_reason.clone(),
        record_time: i.record_time.and_then(timestamp),
        create_time: timestamp(i.create_time),
        update_time: timestamp(i.update_time),
        video_link: i.video_link.clone(),
        participant_display_name: i.participant_display_name.clone(),
    })
}
