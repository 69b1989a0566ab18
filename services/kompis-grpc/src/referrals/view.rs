//! What a caller sees of a referral: the stored record turned into the proto message,
//! with the coordinator-only fields cleared for referrers.

use kompis_domain::{CloseReason, ParticipantState, ReferralProgress, ReferralState};
use kompis_proto::v1 as pb;
use kompis_store::StoreError;
use kompis_store::referrals::{Duplicate, Referral};

use crate::kit::convert::timestamp;
use crate::kit::errors::ApiResult;
use crate::kit::names;
use crate::parse::person::{
    consent_pb, contact_pb, gender_pb, languages_pb, person_name_pb, swedish_level_pb,
};

/// Who a referral is shown to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Coordinators of the chapter and administrators: everything, including the
    /// participant the referral became and its possible duplicates.
    Staff,
    /// The referring organisation's staff: progress only. The message never holds
    /// interview notes or a buddy's identity; the participant link and the duplicates
    /// are cleared as well, since they name other people's records.
    Referrer,
}

/// `chapters/{chapter}/referrals/{id}`.
pub fn referral_name(chapter: &str, id: uuid::Uuid) -> String {
    format!("chapters/{chapter}/referrals/{id}")
}

const STATES: [(ReferralState, pb::ReferralState); 6] = [
    (ReferralState::Received, pb::ReferralState::Received),
    (ReferralState::Contacted, pb::ReferralState::Contacted),
    (ReferralState::InterviewBooked, pb::ReferralState::InterviewBooked),
    (ReferralState::Interviewed, pb::ReferralState::Interviewed),
    (ReferralState::Matched, pb::ReferralState::Matched),
    (ReferralState::Closed, pb::ReferralState::Closed),
];

/// The proto value of a referral state.
pub fn state_pb(state: ReferralState) -> pb::ReferralState {
    STATES
        .iter()
        .find(|(d, _)| *d == state)
        .map_or(pb::ReferralState::Unspecified, |(_, p)| *p)
}

/// The domain state for a proto value; `None` for UNSPECIFIED or an unknown number.
pub fn state_from_pb(value: i32) -> Option<ReferralState> {
    STATES.iter().find(|(_, p)| *p as i32 == value).map(|(d, _)| *d)
}

const CLOSE_REASONS: [(CloseReason, pb::ReferralCloseReason); 8] = [
    (CloseReason::NotReachable, pb::ReferralCloseReason::Unreachable),
    (CloseReason::Declined, pb::ReferralCloseReason::Declined),
    (CloseReason::NotEligible, pb::ReferralCloseReason::NotEligible),
    (CloseReason::Duplicate, pb::ReferralCloseReason::Duplicate),
    (CloseReason::MovedAway, pb::ReferralCloseReason::MovedAway),
    (CloseReason::Withdrawn, pb::ReferralCloseReason::Withdrawn),
    (CloseReason::Other, pb::ReferralCloseReason::Other),
    (CloseReason::Completed, pb::ReferralCloseReason::Completed),
];

/// The domain reason for a proto value; `None` for UNSPECIFIED or an unknown number.
pub fn close_reason_from_pb(value: i32) -> Option<CloseReason> {
    CLOSE_REASONS
        .iter()
        .find(|(_, p)| *p as i32 == value)
        .map(|(d, _)| *d)
}

fn close_reason_pb(reason: CloseReason) -> pb::ReferralCloseReason {
    CLOSE_REASONS
        .iter()
        .find(|(d, _)| *d == reason)
        .map_or(pb::ReferralCloseReason::Unspecified, |(_, p)| *p)
}

/// The referral's own stored state. Rows hold only the strings the CHECK allows; any
/// other is corrupt data (INTERNAL), never read as a default.
pub fn stored_state(r: &Referral) -> ApiResult<ReferralState> {
    Ok(r.state
        .parse()
        .map_err(|_| StoreError::corrupt("referral state", &r.state))?)
}

/// The progress to show: the referral's own state moved forward by the state of the
/// participant it became (see [`ReferralProgress::view`]).
pub fn progress(r: &Referral) -> ApiResult<ReferralState> {
    let participant = r
        .participant_state
        .as_deref()
        .map(|s| {
            s.parse::<ParticipantState>()
                .map_err(|_| StoreError::corrupt("participant state", s))
        })
        .transpose()?;
    Ok(ReferralProgress::view(stored_state(r)?, participant))
}

/// The possible duplicates of `referral` among `all` (from
/// [`kompis_store::referrals::possible_duplicates`]), as resource names.
pub fn duplicates_of(referral: &Referral, all: &[Duplicate]) -> Vec<String> {
    all.iter()
        .filter(|d| d.referral_id == referral.id)
        .map(|d| format!("chapters/{}/{}/{}", referral.chapter_id, d.collection, d.other_id))
        .collect()
}

/// The referral as `audience` may see it. `duplicates` is only read for staff.
pub fn referral_pb(r: &Referral, audience: Audience, duplicates: &[Duplicate]) -> ApiResult<pb::Referral> {
    let shown = progress(r)?;
    let own = stored_state(r)?;
    // A referral closed because its participant withdrew is shown closed with the
    // reason WITHDRAWN; one the coordinator closed keeps the recorded reason.
    let (close_reason, close_note) = match (shown, own) {
        (ReferralState::Closed, ReferralState::Closed) => (
            r.close_reason
                .as_deref()
                .map(|s| {
                    s.parse::<CloseReason>()
                        .map_err(|_| StoreError::corrupt("close reason", s))
                })
                .transpose()?
                .map_or(pb::ReferralCloseReason::Unspecified, close_reason_pb),
            r.close_note.clone(),
        ),
        (ReferralState::Closed, _) => (pb::ReferralCloseReason::Withdrawn, String::new()),
        _ => (pb::ReferralCloseReason::Unspecified, String::new()),
    };
    // When the participant's progress is what is shown, its state time is too.
    let state_time = if shown != own {
        r.participant_state_time.unwrap_or(r.state_time)
    } else {
        r.state_time
    };
    let staff = audience == Audience::Staff;
    Ok(pb::Referral {
        name: referral_name(&r.chapter_id, r.id),
        organization: names::organization(&r.organization_id),
        referrer: r.referrer.clone(),
        learner_name: Some(person_name_pb(&r.given_name, &r.family_name, &r.display_name)),
        contact: Some(contact_pb(r.phone.as_deref(), r.email.as_deref())),
        birth_year: r.birth_year,
        gender: gender_pb(&r.gender),
        district: names::district(&r.municipality_id, &r.district_id),
        languages: languages_pb(r.languages.0.iter().map(|s| (s.code.as_str(), s.level.as_str()))),
        swedish_level: swedish_level_pb(&r.swedish_level),
        consent: Some(consent_pb(
            &r.consent_given_by,
            r.consent_give_time,
            &r.consent_text_version,
        )),
        note: r.note.clone(),
        state: state_pb(shown) as i32,
        close_reason: close_reason as i32,
        close_note,
        participant: match r.participant_id {
            Some(id) if staff => kompis_store::participants::resource_name(&r.chapter_id, id),
            _ => String::new(),
        },
        possible_duplicates: if staff {
            duplicates_of(r, duplicates)
        } else {
            Vec::new()
        },
        create_time: timestamp(r.create_time),
        state_time: timestamp(state_time),
        update_time: timestamp(r.update_time),
        interview_result: interview_result(shown, r.participant_state.as_deref()) as i32,
    })
}

/// What the interview led to, while the referral shows INTERVIEWED: the participant
/// waits (READY) or needs a follow-up. A participant found not suitable says nothing
/// more to the referrer.
fn interview_result(shown: ReferralState, participant_state: Option<&str>) -> pb::InterviewResult {
    let participant = participant_state.and_then(|s| s.parse::<ParticipantState>().ok());
    match (shown, participant) {
        (ReferralState::Interviewed, Some(ParticipantState::Ready)) => pb::InterviewResult::WaitingForBuddy,
        (ReferralState::Interviewed, Some(ParticipantState::NeedsFollowUp)) => pb::InterviewResult::FollowUp,
        _ => pb::InterviewResult::Unspecified,
    }
}

#[cfg(test)]
mod tests {
    use kompis_store::Json;
    use kompis_store::referrals::StoredSkill;
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;

    fn converted(referral_state: &str, participant_state: &str) -> Referral {
        let now = OffsetDateTime::now_utc();
        Referral {
            id: Uuid::now_v7(),
            chapter_id: "botkyrka".into(),
            organization_id: "sfi-botkyrka".into(),
            referrer: "referrer-1".into(),
            state: referral_state.into(),
            close_reason: None,
            close_note: String::new(),
            given_name: "Amina".into(),
            family_name: "Yusuf".into(),
            display_name: String::new(),
            phone: Some("+46701234567".into()),
            email: None,
            birth_year: 1990,
            gender: "female".into(),
            municipality_id: "botkyrka".into(),
            district_id: "alby".into(),
            languages: Json(vec![StoredSkill {
                code: "prs".into(),
                level: "native".into(),
            }]),
            swedish_level: "sfi_b".into(),
            consent_given_by: "referrer-1".into(),
            consent_give_time: now,
            consent_text_version: "2026-01".into(),
            note: String::new(),
            participant_id: Some(Uuid::now_v7()),
            participant_state: Some(participant_state.into()),
            participant_state_time: Some(now),
            create_time: now,
            state_time: now,
            update_time: now,
        }
    }

    #[test]
    fn a_referrer_sees_the_participants_progress_but_not_the_participant() {
        let r = converted("contacted", "ready");
        let duplicate = Duplicate {
            referral_id: r.id,
            collection: "participants".into(),
            other_id: Uuid::now_v7(),
        };

        let school = referral_pb(&r, Audience::Referrer, std::slice::from_ref(&duplicate)).unwrap();
        let staff = referral_pb(&r, Audience::Staff, &[duplicate]).unwrap();

        assert_eq!(school.state, pb::ReferralState::Interviewed as i32);
        assert!(school.participant.is_empty() && school.possible_duplicates.is_empty());
        assert!(!staff.participant.is_empty());
        assert_eq!(staff.possible_duplicates.len(), 1);
    }

    #[test]
    fn a_referrer_tells_waiting_for_a_buddy_from_needing_a_follow_up() {
        let result = |participant: &str| {
            referral_pb(&converted("contacted", participant), Audience::Referrer, &[])
                .unwrap()
                .interview_result
        };

        assert_eq!(result("ready"), pb::InterviewResult::WaitingForBuddy as i32);
        assert_eq!(result("needs_follow_up"), pb::InterviewResult::FollowUp as i32);
        assert_eq!(result("not_suitable"), pb::InterviewResult::Unspecified as i32);
        assert_eq!(
            result("interview_booked"),
            pb::InterviewResult::Unspecified as i32
        );
    }

    #[test]
    fn a_withdrawn_participant_shows_the_referral_closed_as_withdrawn() {
        let shown = referral_pb(&converted("contacted", "withdrawn"), Audience::Referrer, &[]).unwrap();

        assert_eq!(shown.state, pb::ReferralState::Closed as i32);
        assert_eq!(shown.close_reason, pb::ReferralCloseReason::Withdrawn as i32);
    }

    #[test]
    fn every_state_and_close_reason_has_a_proto_value() {
        for state in ReferralState::ALL {
            assert_eq!(state_from_pb(state_pb(*state) as i32), Some(*state));
        }
        for reason in CloseReason::ALL {
            let value = close_reason_pb(*reason);
            assert_ne!(value, pb::ReferralCloseReason::Unspecified);
            assert_eq!(close_reason_from_pb(value as i32), Some(*reason));
        }
    }
}
