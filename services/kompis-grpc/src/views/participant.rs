//! How participants are named, found and shown: resource names, the proto form of a
//! stored participant for coordinators and for the participant themself, and the enum
//! tables shared by the participant, interview and app services.

use kompis_domain::{FieldError, ParticipantId, ParticipantRole, ParticipantState, Slug};
use kompis_proto::v1 as pb;
use kompis_store::Tx;
use kompis_store::participants::{self, Participant};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::convert::timestamp;
use crate::kit::enums::EnumTable;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::scope;
use crate::parse::person::{consent_pb, contact_pb, gender_pb, person_name_pb};
use crate::parse::profile::profile_pb;

/// Participant states.
pub const STATES: EnumTable<pb::ParticipantState, ParticipantState> = EnumTable::new(
    "must be one of the ParticipantState values",
    &[
        (pb::ParticipantState::Applicant, ParticipantState::Applicant),
        (
            pb::ParticipantState::InterviewBooked,
            ParticipantState::InterviewBooked,
        ),
        (pb::ParticipantState::Ready, ParticipantState::Ready),
        (pb::ParticipantState::Matched, ParticipantState::Matched),
        (pb::ParticipantState::NotSuitable, ParticipantState::NotSuitable),
        (
            pb::ParticipantState::NeedsFollowUp,
            ParticipantState::NeedsFollowUp,
        ),
        (pb::ParticipantState::Withdrawn, ParticipantState::Withdrawn),
        (pb::ParticipantState::Ended, ParticipantState::Ended),
    ],
);

/// Participant roles.
pub const ROLES: EnumTable<pb::ParticipantRole, ParticipantRole> = EnumTable::new(
    "is required: NEWCOMER or ESTABLISHED_RESIDENT",
    &[
        (pb::ParticipantRole::Newcomer, ParticipantRole::Newcomer),
        (
            pb::ParticipantRole::EstablishedResident,
            ParticipantRole::EstablishedResident,
        ),
    ],
);

/// How participants came.
const SOURCES: EnumTable<pb::ParticipantSource, &str> = EnumTable::new(
    "must be one of the ParticipantSource values",
    &[
        (pb::ParticipantSource::Referral, "referral"),
        (pb::ParticipantSource::Coordinator, "coordinator"),
        (pb::ParticipantSource::SelfSignUp, "self_sign_up"),
    ],
);

/// Parses a required participant state.
pub fn parse_state(value: i32) -> Result<ParticipantState, FieldError> {
    STATES.parse(value)
}

/// The proto value of a domain state.
pub fn state_pb(state: ParticipantState) -> i32 {
    STATES.to_pb(state)
}

/// Parses a required participant role.
pub fn parse_role(value: i32) -> Result<ParticipantRole, FieldError> {
    ROLES.parse(value)
}

/// The proto value of a stored role; a role the code does not know is corrupt data.
pub fn role_pb(stored: &str) -> ApiResult<i32> {
    let role: ParticipantRole = stored
        .parse()
        .map_err(|_| kompis_store::StoreError::corrupt("participant role", stored))?;
    Ok(ROLES.to_pb(role))
}

/// Parses `chapters/{chapter}/participants/{participant}`.
pub fn parse_participant_name(name: &str) -> Result<(Slug, ParticipantId), FieldError> {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        ["chapters", chapter, "participants", id] => Ok((Slug::parse(chapter)?, ParticipantId::parse(id)?)),
        _ => Err(FieldError::new(
            "must be a resource name of the form chapters/{chapter}/participants/{participant}",
        )),
    }
}

/// Who a participant is shown to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// A coordinator or administrator: everything.
    Coordinator,
    /// The participant themself: coordinator-only fields (the state reason, possible
    /// duplicates, the merge) cleared. Notes are never part of a participant.
    Own,
}

/// The proto form of a stored participant. A stored value the code does not know is
/// corrupt data: INTERNAL, logged, never shown as a default.
pub fn participant_pb(p: &Participant, view: View) -> ApiResult<pb::Participant> {
    let state = p.parsed_state()?;
    let name = p.resource_name();
    let coordinator = view == View::Coordinator;
    Ok(pb::Participant {
        role: role_pb(&p.role)?,
        state: state_pb(state),
        person_name: Some(person_name_pb(&p.given_name, &p.family_name, &p.display_name)),
        contact: Some(contact_pb(p.phone.as_deref(), p.email.as_deref())),
        birth_year: p.birth_year,
        gender: gender_pb(&p.gender),
        district: crate::kit::names::district(&p.municipality_id, &p.district_id),
        consent: Some(consent_pb(
            &p.consent_given_by,
            p.consent_time,
            &p.consent_text_version,
        )),
        profile: Some(profile_pb(&p.profile(), &p.role, &p.chapter_id)),
        source: SOURCES.to_pb(p.source.as_str()),
        referral: p
            .referral_id
            .map(|r| format!("chapters/{}/referrals/{r}", p.chapter_id))
            .unwrap_or_default(),
        latest_interview: p
            .latest_interview_id
            .map(|i| format!("{name}/interviews/{i}"))
            .unwrap_or_default(),
        // The waiting time is only meaningful while the participant is in the queue or
        // matched; it is kept through a withdrawal but not shown.
        waiting_since: match state {
            ParticipantState::Ready | ParticipantState::Matched => p.waiting_since.and_then(timestamp),
            _ => None,
        },
        active_match_count: p.active_match_count,
        // Why the state changed is the coordinators' working note (an interview's
        // "not suitable" reason, say), not something to show the person in the app.
        state_reason: if coordinator {
            p.state_reason.clone()
        } else {
            String::new()
        },
        possible_duplicates: if coordinator {
            p.possible_duplicates.clone()
        } else {
            Vec::new()
        },
        merged_into: match p.merged_into {
            Some(survivor) if coordinator => participants::resource_name(&p.chapter_id, survivor),
            _ => String::new(),
        },
        create_time: timestamp(p.create_time),
        state_time: timestamp(p.state_time),
        update_time: timestamp(p.update_time),
        profile_review_time: p.profile_review_time.and_then(timestamp),
        name,
    })
}

/// Reads the participant named `name` for a coordinator or administrator, locking it
/// when `lock` (for a state change in the caller's transaction). A participant of a
/// chapter the caller does not manage is NOT_FOUND, as if it did not exist.
pub async fn find_managed_or_erased(
    db: &mut Tx,
    principal: &Principal,
    name: &str,
    field: &str,
    lock: bool,
) -> ApiResult<Participant> {
    let (chapter, id) =
        parse_participant_name(name).map_err(|e| ApiError::invalid(field, e.into_description()))?;
    scope::managed_chapter(principal, chapter.as_str(), name)?;
    let found = if lock {
        participants::lock_participant(db, id.into_uuid()).await
    } else {
        participants::get_participant(&mut **db, id.into_uuid()).await
    };
    let participant = found.named(name)?;
    if participant.chapter_id != chapter.as_str() {
        return Err(ApiError::NotFound(name.to_owned()));
    }
    Ok(participant)
}

/// [`find_managed_or_erased`], except that an erased participant (a tombstone without
/// personal data) is NOT_FOUND, like one that never existed: every method but the
/// erasure itself uses this.
pub async fn find_managed(
    db: &mut Tx,
    principal: &Principal,
    name: &str,
    field: &str,
    lock: bool,
) -> ApiResult<Participant> {
    let participant = find_managed_or_erased(db, principal, name, field, lock).await?;
    if participant.erase_time.is_some() {
        return Err(ApiError::NotFound(name.to_owned()));
    }
    Ok(participant)
}

/// The page-token key of a time and id.
pub fn time_key(time: OffsetDateTime, id: Uuid) -> Vec<String> {
    vec![time.unix_timestamp_nanos().to_string(), id.to_string()]
}

/// Reads back a [`time_key`]; `None` for a key of another shape.
pub fn parse_time_key(key: &[String]) -> Option<(OffsetDateTime, Uuid)> {
    match key {
        [nanos, id] => Some((
            OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?,
            Uuid::parse_str(id).ok()?,
        )),
        _ => None,
    }
}

/// The INVALID_ARGUMENT of a page token whose key cannot be read.
pub fn bad_page_token() -> ApiError {
    ApiError::invalid("page_token", "is not a token this service issued")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_roles_map_one_to_one() {
        for s in ParticipantState::ALL {
            assert_eq!(parse_state(state_pb(*s)).unwrap(), *s);
        }
        for r in ParticipantRole::ALL {
            assert_eq!(parse_role(role_pb(r.as_str()).unwrap()).unwrap(), *r);
        }
        assert!(parse_state(0).is_err() && parse_role(0).is_err());
    }

    #[test]
    fn participant_names_parse() {
        let id = Uuid::now_v7();
        let (c, p) = parse_participant_name(&format!("chapters/botkyrka/participants/{id}")).unwrap();
        assert_eq!((c.as_str(), p.into_uuid()), ("botkyrka", id));
        assert!(parse_participant_name("chapters/botkyrka/participants/alby").is_err());
        assert!(parse_participant_name("chapters/botkyrka").is_err());
    }

    #[test]
    fn time_keys_round_trip() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_000).unwrap();
        let id = Uuid::now_v7();
        assert_eq!(parse_time_key(&time_key(t, id)), Some((t, id)));
        assert_eq!(parse_time_key(&["x".into()]), None);
    }
}
