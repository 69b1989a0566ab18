//! Matches, scores and programme settings as the API shows them, to coordinators
//! (MatchingService) and, through the buddy profile, to participants.

use kompis_domain::{
    AgreementChannel, DeclineCause, FieldError, MatchEndReason, MatchState, ParticipantRole, ProposalAnswer,
    Slug,
};
use kompis_matching as engine;
use kompis_proto::v1 as pb;
use kompis_store::StoreError;
use kompis_store::matches::{Match, Programme, StoredScore};
use uuid::Uuid;

use crate::kit::convert::timestamp;
use crate::kit::enums::EnumTable;
use crate::kit::errors::ApiResult;

const STATES: EnumTable<pb::MatchState, MatchState> = EnumTable::new(
    "must be PROPOSED, ACCEPTED, ACTIVE, ENDED or DECLINED",
    &[
        (pb::MatchState::Proposed, MatchState::Proposed),
        (pb::MatchState::Accepted, MatchState::Accepted),
        (pb::MatchState::Active, MatchState::Active),
        (pb::MatchState::Ended, MatchState::Ended),
        (pb::MatchState::Declined, MatchState::Declined),
    ],
);

const ANSWERS: EnumTable<pb::ProposalResponse, ProposalAnswer> = EnumTable::new(
    "must be ACCEPTED or DECLINED",
    &[
        (pb::ProposalResponse::Pending, ProposalAnswer::Pending),
        (pb::ProposalResponse::Accepted, ProposalAnswer::Accepted),
        (pb::ProposalResponse::Declined, ProposalAnswer::Declined),
    ],
);

const CHANNELS: EnumTable<pb::AgreementChannel, AgreementChannel> = EnumTable::new(
    "is required: PHONE, IN_PERSON or MESSAGE",
    &[
        (pb::AgreementChannel::App, AgreementChannel::App),
        (pb::AgreementChannel::Phone, AgreementChannel::Phone),
        (pb::AgreementChannel::InPerson, AgreementChannel::InPerson),
        (pb::AgreementChannel::Message, AgreementChannel::Message),
    ],
);

const CAUSES: EnumTable<pb::DeclineCause, DeclineCause> = EnumTable::new(
    "is not a decline cause",
    &[
        (pb::DeclineCause::Newcomer, DeclineCause::Newcomer),
        (
            pb::DeclineCause::EstablishedResident,
            DeclineCause::EstablishedResident,
        ),
        (pb::DeclineCause::Coordinator, DeclineCause::Coordinator),
        (pb::DeclineCause::DeadlinePassed, DeclineCause::DeadlinePassed),
    ],
);

const END_REASONS: EnumTable<pb::MatchEndReason, MatchEndReason> = EnumTable::new(
    "is required: COMPLETED, NOT_WORKING, NO_CONTACT, PARTICIPANT_LEFT, MOVED_AWAY, REMATCH, OTHER or CONCERN",
    &[
        (pb::MatchEndReason::Completed, MatchEndReason::Completed),
        (pb::MatchEndReason::NotWorking, MatchEndReason::NotWorking),
        (pb::MatchEndReason::NoContact, MatchEndReason::NoContact),
        (
            pb::MatchEndReason::ParticipantLeft,
            MatchEndReason::ParticipantLeft,
        ),
        (pb::MatchEndReason::MovedAway, MatchEndReason::MovedAway),
        (pb::MatchEndReason::Rematch, MatchEndReason::Rematch),
        (pb::MatchEndReason::Other, MatchEndReason::Other),
        (pb::MatchEndReason::Concern, MatchEndReason::Concern),
    ],
);

/// Parses a required end reason.
pub fn parse_end_reason(value: i32) -> Result<MatchEndReason, FieldError> {
    END_REASONS.parse(value)
}

/// The engine's criteria and the contract's.
const CRITERIA: &[(engine::Criterion, pb::MatchCriterion)] = &[
    (
        engine::Criterion::SharedInterests,
        pb::MatchCriterion::SharedInterests,
    ),
    (engine::Criterion::Distance, pb::MatchCriterion::Distance),
    (engine::Criterion::AgeCloseness, pb::MatchCriterion::AgeCloseness),
    (engine::Criterion::SoftWishes, pb::MatchCriterion::SoftWishes),
    (engine::Criterion::SwedishFit, pb::MatchCriterion::SwedishLevelFit),
    (engine::Criterion::Family, pb::MatchCriterion::FamilySituation),
    (engine::Criterion::Meeting, pb::MatchCriterion::MeetingPreference),
    (engine::Criterion::Waiting, pb::MatchCriterion::WaitingTime),
];

/// Parses a match state filter value.
pub fn parse_state(value: i32) -> Result<MatchState, FieldError> {
    STATES.parse(value)
}

/// Parses how a person agreed, as a coordinator records it (never APP).
pub fn parse_channel_on_behalf(value: i32) -> Result<AgreementChannel, FieldError> {
    match CHANNELS.parse(value)? {
        AgreementChannel::App => Err(FieldError::new(
            "must not be APP: only the person answers in the app; say how they told you: PHONE, IN_PERSON or MESSAGE",
        )),
        channel => Ok(channel),
    }
}

/// Parses a participant's answer (ACCEPTED or DECLINED).
pub fn parse_answer(value: i32) -> Result<ProposalAnswer, FieldError> {
    match ANSWERS.parse(value)? {
        ProposalAnswer::Pending => Err(FieldError::new("must be ACCEPTED or DECLINED")),
        answer => Ok(answer),
    }
}

/// Parses `chapters/{chapter}/matches/{match}`.
pub fn parse_match_name(name: &str) -> Result<(Slug, Uuid), FieldError> {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        ["chapters", chapter, "matches", id] => Ok((
            Slug::parse(chapter)?,
            Uuid::parse_str(id).map_err(|_| FieldError::new("must end in a match id (a UUID)"))?,
        )),
        _ => Err(FieldError::new(
            "must be a resource name of the form chapters/{chapter}/matches/{match}",
        )),
    }
}

fn participant_name(chapter: &str, id: Uuid) -> String {
    format!("chapters/{chapter}/participants/{id}")
}

/// The score from the engine's points: each criterion with a weight above 0, largest
/// contribution first; the total on 0-100 (points over the sum of the weights).
fn score_pb<'a>(total: i64, parts: impl Iterator<Item = (&'a str, i64, i64, &'a str)>) -> pb::MatchScore {
    let parts: Vec<_> = parts.filter(|p| p.2 > 0).collect();
    let sum: i64 = parts.iter().map(|p| p.2).sum();
    let scale = if sum > 0 { 100.0 / sum as f64 } else { 0.0 };
    let mut criteria: Vec<pb::CriterionScore> = parts
        .iter()
        .map(|(name, points, max, reason)| pb::CriterionScore {
            criterion: CRITERIA
                .iter()
                .find(|(c, _)| c.name() == *name)
                .map_or(0, |(_, p)| *p as i32),
            score: *points as f64 / *max as f64,
            weight: i32::try_from(*max).unwrap_or(i32::MAX),
            contribution: *points as f64 * scale,
            explanation: reason.chars().take(200).collect(),
        })
        .collect();
    criteria.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
    pb::MatchScore {
        total: total as f64 * scale,
        criteria,
    }
}

/// The score of an engine explanation.
pub fn explanation_pb(e: &engine::Explanation) -> pb::MatchScore {
    score_pb(
        e.total,
        e.contributions
            .iter()
            .map(|c| (c.criterion.name(), c.points, c.max_points, c.reason.as_str())),
    )
}

/// The score of a stored explanation.
pub fn stored_score_pb(s: &StoredScore) -> pb::MatchScore {
    score_pb(
        s.total,
        s.criteria
            .iter()
            .map(|c| (c.criterion.as_str(), c.points, c.max_points, c.reason.as_str())),
    )
}

/// A candidate for coordinators.
pub fn candidate_pb(chapter: &str, p: &engine::Proposal) -> pb::Candidate {
    pb::Candidate {
        newcomer: participant_name(chapter, Uuid::from_u128(p.newcomer.0)),
        established_resident: participant_name(chapter, Uuid::from_u128(p.resident.0)),
        score: Some(explanation_pb(&p.explanation)),
        participant: None,
    }
}

fn agreement_pb(
    via: Option<&str>,
    by: Option<&str>,
    at: Option<time::OffsetDateTime>,
) -> ApiResult<Option<pb::Agreement>> {
    let Some(via) = via else { return Ok(None) };
    let channel: AgreementChannel = via
        .parse()
        .map_err(|_| StoreError::corrupt("agreement channel", via))?;
    Ok(Some(pb::Agreement {
        channel: CHANNELS.to_pb(channel),
        recorded_by: by.unwrap_or_default().to_owned(),
        record_time: at.and_then(timestamp),
    }))
}

/// The proto value of a stored answer.
pub fn answer_pb(answer: ProposalAnswer) -> i32 {
    ANSWERS.to_pb(answer)
}

/// The proto value of a match state.
pub fn state_pb(state: MatchState) -> i32 {
    STATES.to_pb(state)
}

/// A match for coordinators.
pub fn match_pb(m: &Match) -> ApiResult<pb::Match> {
    let cause = match &m.decline_cause {
        Some(c) => CAUSES.to_pb(
            c.parse::<DeclineCause>()
                .map_err(|_| StoreError::corrupt("decline cause", c.as_str()))?,
        ),
        None => 0,
    };
    Ok(pb::Match {
        name: m.resource_name(),
        newcomer: participant_name(&m.chapter_id, m.newcomer_id),
        established_resident: participant_name(&m.chapter_id, m.resident_id),
        state: state_pb(m.parsed_state()?),
        score: m.score.as_ref().map(|s| stored_score_pb(s)),
        matching_round: m
            .matching_round_id
            .map(|r| format!("chapters/{}/matchingRounds/{r}", m.chapter_id))
            .unwrap_or_default(),
        proposer: m.proposer.clone(),
        newcomer_response: answer_pb(m.response_of(ParticipantRole::Newcomer)?),
        established_resident_response: answer_pb(m.response_of(ParticipantRole::EstablishedResident)?),
        decline_reason: m.decline_reason.clone(),
        accept_time: m.accept_time.and_then(timestamp),
        start_time: m.start_time.and_then(timestamp),
        end_time: m.end_time.and_then(timestamp),
        end_reason: match &m.end_reason {
            Some(r) => END_REASONS.to_pb(
                r.parse::<MatchEndReason>()
                    .map_err(|_| StoreError::corrupt("match end reason", r.as_str()))?,
            ),
            None => 0,
        },
        end_note: m.end_note.clone(),
        previous_match: m
            .previous_match_id
            .map(|p| format!("chapters/{}/matches/{p}", m.chapter_id))
            .unwrap_or_default(),
        last_check_in_time: None,
        create_time: timestamp(m.create_time),
        update_time: timestamp(m.update_time),
        deadline_time: timestamp(m.deadline_time),
        r#override: match (&m.override_rule, &m.override_reason) {
            (Some(rule), Some(reason)) => Some(pb::MatchOverride {
                rule: rule.clone(),
                reason: reason.clone(),
            }),
            _ => None,
        },
        newcomer_agreement: agreement_pb(
            m.newcomer_agreed_via.as_deref(),
            m.newcomer_agreed_by.as_deref(),
            m.newcomer_agree_time,
        )?,
        established_resident_agreement: agreement_pb(
            m.resident_agreed_via.as_deref(),
            m.resident_agreed_by.as_deref(),
            m.resident_agree_time,
        )?,
        decline_cause: cause,
        follow_up: None,
    })
}

/// `chapters/{chapter}/matchingProgramme`.
pub fn programme_name(chapter: &str) -> String {
    format!("chapters/{chapter}/matchingProgramme")
}

/// A chapter's programme settings.
pub fn programme_pb(p: &Programme) -> pb::MatchingProgramme {
    pb::MatchingProgramme {
        name: programme_name(&p.chapter_id),
        proposal_deadline_days: p.proposal_deadline_days,
        auto_offer_next: p.auto_offer_next,
        check_in_days: p.check_in_days.clone(),
        period_months: p.period_months,
        update_time: p.update_time.and_then(timestamp),
        min_common_slots: None,
        interests_for_full_score: None,
        age_gap_years: None,
        waiting_days_for_full_score: None,
    }
}
