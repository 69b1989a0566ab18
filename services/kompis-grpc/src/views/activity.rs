//! How activities and invitations are shown and named: their proto forms, resource
//! names and the enum tables of kind, state, answer and attendance.

use kompis_domain::{ActivityKind, ActivityState, Attendance, FieldError, Rsvp, Slug};
use kompis_proto::v1 as pb;
use kompis_store::StoreError;
use kompis_store::activities::{Activity, Invitation};
use uuid::Uuid;

use crate::kit::convert::timestamp;
use crate::kit::enums::EnumTable;
use crate::kit::errors::ApiResult;
use crate::kit::names;

/// Activity kinds.
pub const KINDS: EnumTable<pb::ActivityKind, ActivityKind> = EnumTable::new(
    "is required: GROUP_ACTIVITY or BUDDY_MEETING_EVENING",
    &[
        (pb::ActivityKind::GroupActivity, ActivityKind::GroupActivity),
        (
            pb::ActivityKind::BuddyMeetingEvening,
            ActivityKind::BuddyMeetingEvening,
        ),
    ],
);

/// Activity states.
pub const STATES: EnumTable<pb::ActivityState, ActivityState> = EnumTable::new(
    "must be PLANNED, COMPLETED or CANCELLED",
    &[
        (pb::ActivityState::Planned, ActivityState::Planned),
        (pb::ActivityState::Completed, ActivityState::Completed),
        (pb::ActivityState::Cancelled, ActivityState::Cancelled),
    ],
);

/// Answers, as shown and as filters.
pub const RSVPS: EnumTable<pb::Rsvp, Rsvp> = EnumTable::new(
    "must be PENDING, YES, NO or WAITLISTED",
    &[
        (pb::Rsvp::Pending, Rsvp::Pending),
        (pb::Rsvp::Yes, Rsvp::Yes),
        (pb::Rsvp::No, Rsvp::No),
        (pb::Rsvp::Waitlisted, Rsvp::Waitlisted),
    ],
);

/// Answers a participant or coordinator may give.
pub const ANSWERS: EnumTable<pb::Rsvp, Rsvp> = EnumTable::new(
    "is required: YES or NO",
    &[(pb::Rsvp::Yes, Rsvp::Yes), (pb::Rsvp::No, Rsvp::No)],
);

/// Attendance, as shown.
pub const ATTENDANCES: EnumTable<pb::Attendance, Attendance> = EnumTable::new(
    "must be UNKNOWN, ATTENDED or ABSENT",
    &[
        (pb::Attendance::Unknown, Attendance::Unknown),
        (pb::Attendance::Attended, Attendance::Attended),
        (pb::Attendance::Absent, Attendance::Absent),
    ],
);

/// Attendance a coordinator may record.
pub const RECORDED_ATTENDANCES: EnumTable<pb::Attendance, Attendance> = EnumTable::new(
    "is required: ATTENDED or ABSENT",
    &[
        (pb::Attendance::Attended, Attendance::Attended),
        (pb::Attendance::Absent, Attendance::Absent),
    ],
);

fn uuid(id: &str, what: &str) -> Result<Uuid, FieldError> {
    Uuid::parse_str(id).map_err(|_| FieldError::new(format!("must end in {what} id (a UUID)")))
}

/// Parses `chapters/{chapter}/activities/{activity}`.
pub fn parse_activity_name(name: &str) -> Result<(Slug, Uuid), FieldError> {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        ["chapters", chapter, "activities", id] => Ok((Slug::parse(chapter)?, uuid(id, "an activity")?)),
        _ => Err(FieldError::new(
            "must be a resource name of the form chapters/{chapter}/activities/{activity}",
        )),
    }
}

/// Parses `chapters/{chapter}/activities/{activity}/invitations/{invitation}`.
pub fn parse_invitation_name(name: &str) -> Result<(Slug, Uuid, Uuid), FieldError> {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        ["chapters", chapter, "activities", activity, "invitations", id] => Ok((
            Slug::parse(chapter)?,
            uuid(activity, "an activity")?,
            uuid(id, "an invitation")?,
        )),
        _ => Err(FieldError::new(
            "must be a resource name of the form \
             chapters/{chapter}/activities/{activity}/invitations/{invitation}",
        )),
    }
}

/// Parses `chapters/{chapter}/interests/{interest}` of `chapter` into the interest id.
pub fn parse_interest_name(name: &str, chapter: &str) -> Result<String, FieldError> {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        ["chapters", c, "interests", id] if *c == chapter => Ok(Slug::parse(id)?.into_string()),
        ["chapters", _, "interests", _] => Err(FieldError::new("is not an interest of this chapter")),
        _ => Err(FieldError::new(
            "must be a resource name of the form chapters/{chapter}/interests/{interest}",
        )),
    }
}

fn parse_stored<T: std::str::FromStr>(what: &'static str, stored: &str) -> Result<T, StoreError> {
    stored.parse().map_err(|_| StoreError::corrupt(what, stored))
}

/// The proto form of a stored activity.
pub fn activity_pb(a: &Activity) -> ApiResult<pb::Activity> {
    let kind: ActivityKind = parse_stored("activity kind", &a.kind)?;
    let state: ActivityState = parse_stored("activity state", &a.state)?;
    Ok(pb::Activity {
        name: a.name(),
        kind: KINDS.to_pb(kind),
        title: a.title.clone(),
        description: a.description.clone(),
        start_time: timestamp(a.start_time),
        end_time: timestamp(a.end_time),
        location: a.location.clone(),
        district: match (&a.municipality_id, &a.district_id) {
            (Some(m), Some(d)) => names::district(m, d),
            _ => String::new(),
        },
        free: a.free,
        capacity: a.capacity,
        state: STATES.to_pb(state),
        invited_count: a.invited_count as i32,
        yes_count: a.yes_count as i32,
        attended_count: a.attended_count as i32,
        guest_count: a.guest_count,
        organizer: a.organizer.clone(),
        create_time: timestamp(a.create_time),
        update_time: timestamp(a.update_time),
        language_codes: a.language_codes.clone(),
        interests: a
            .interests
            .iter()
            .map(|i| format!("chapters/{}/interests/{i}", a.chapter_id))
            .collect(),
        pair_sign_up: a.pair_sign_up,
        max_guests_per_invitation: a.max_guests,
        seats_taken: a.seats_taken,
        waitlist_count: a.waitlist_count as i32,
        cancel_reason: a.cancel_reason.clone(),
    })
}

/// The proto form of an activity as an invitee sees it: counts and organizer cleared.
pub fn invitee_activity_pb(a: &Activity) -> ApiResult<pb::Activity> {
    Ok(pb::Activity {
        invited_count: 0,
        yes_count: 0,
        attended_count: 0,
        guest_count: 0,
        seats_taken: 0,
        waitlist_count: 0,
        organizer: String::new(),
        ..activity_pb(a)?
    })
}

/// The proto form of a stored invitation.
pub fn invitation_pb(i: &Invitation) -> ApiResult<pb::Invitation> {
    let rsvp: Rsvp = parse_stored("answer", &i.rsvp)?;
    let attendance: Attendance = parse_stored("attendance", &i.attendance)?;
    Ok(pb::Invitation {
        name: i.name(),
        participant: format!("chapters/{}/participants/{}", i.chapter_id, i.participant_id),
        rsvp: RSVPS.to_pb(rsvp),
        rsvp_time: i.rsvp_time.and_then(timestamp),
        attendance: ATTENDANCES.to_pb(attendance),
        create_time: timestamp(i.create_time),
        waitlist_position: i.waitlist_position as i32,
        guests: i.guests,
        with_buddy: i.pair_id.is_some(),
    })
}
