//! The intake's state changes, each one function that writes the rows, their events and
//! their outbox entries in the caller's transaction: booking, recording and cancelling
//! an interview, withdrawing a participant and their return.
//!
//! The rules come from the domain ([`ParticipantState`], [`InterviewState`],
//! [`kompis_domain::may_approve`], [`WaitingSince`]); a refusal is a
//! [`StoreError::Domain`] or [`StoreError::Transition`], never a partial write.

use kompis_domain::{
    EligibilityChecks, EventKind, InterviewOutcome, InterviewState, MinAge, ParticipantState, Slug,
    WaitingSince, may_approve,
};
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::events::{self, NewEvent};
use crate::interviews::{self, Interview, NewInterview, Record};
use crate::participants::{self, Participant, StateChange};
use crate::{DomainViolation, StoreError, weights};

/// Appends an interview's state change to the event log.
async fn interview_event(
    tx: &mut PgConnection,
    interview: &Interview,
    from: &str,
    to: InterviewState,
    reason: &str,
    actor: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let name = interview.resource_name();
    let attributes = events::participant_attributes(&mut *tx, interview.participant_id).await?;
    events::append(
        &mut *tx,
        &NewEvent {
            chapter_id: &interview.chapter_id,
            subject: &name,
            kind: EventKind::Interview,
            actor,
            occur_time: at,
            from_state: from,
            to_state: to.as_str(),
            reason,
            attributes,
        },
    )
    .await?;
    Ok(())
}

/// Books an interview for `participant` (read and locked by the caller), moving them to
/// `interview_booked`. A ready participant keeps their waiting time: they leave the
/// queue while reassessed and keep their place if approved again.
pub async fn book(
    tx: &mut PgConnection,
    participant: &Participant,
    new: &NewInterview,
) -> Result<Interview, StoreError> {
    let state = participant.parsed_state()?;
    state.transition(ParticipantState::InterviewBooked)?;
    let interview = interviews::insert_interview(&mut *tx, new).await?;
    participants::change_state(
        tx,
        &StateChange {
            id: participant.id,
            from: state,
            to: ParticipantState::InterviewBooked,
            state_before_withdrawal: None,
            waiting_since: WaitingSince::Keep,
            reason: "intake interview booked",
            actor: &new.interviewer,
            at: new.at,
        },
    )
    .await?;
    interview_event(
        tx,
        &interview,
        "",
        InterviewState::Booked,
        "",
        &new.interviewer,
        new.at,
    )
    .await?;
    Ok(interview)
}

/// What a coordinator records at an interview.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    /// What was recorded.
    pub record: Record,
    /// Who recorded it.
    pub actor: &'a str,
    /// When, from the application's clock.
    pub at: OffsetDateTime,
}

/// Records the outcome of `interview` (locked by the caller) for `participant`:
/// checks eligibility for an approval against the chapter's minimum age, writes the
/// record, copies an approved profile to the participant, moves the participant by the
/// outcome and starts, keeps or clears their waiting time.
pub async fn record_outcome(
    tx: &mut PgConnection,
    participant: &Participant,
    interview: &Interview,
    outcome: &Outcome<'_>,
) -> Result<Interview, StoreError> {
    interview.parsed_state()?.transition(InterviewState::Recorded)?;
    let decision = outcome.record.outcome;
    if decision == InterviewOutcome::Approved {
        let min_age = chapter_min_age(tx, &participant.chapter_id).await?;
        let checks = EligibilityChecks {
            meets_minimum_age: outcome.record.meets_minimum_age,
            meets_chapter_rules: outcome.record.meets_chapter_rules,
        };
        let born = kompis_domain::BirthYear::from_stored(participant.birth_year);
        may_approve(checks, born, outcome.at.year(), min_age)
            .map_err(|e| DomainViolation::NotEligible { min_age: e.min_age })?;
    }
    let state = participant.parsed_state()?;
    let next = state.record_interview(decision)?;
    let recorded = interviews::record(&mut *tx, interview.id, &outcome.record, outcome.at).await?;
    interview_event(
        tx,
        &recorded,
        InterviewState::Booked.as_str(),
        InterviewState::Recorded,
        decision.as_str(),
        outcome.actor,
        outcome.at,
    )
    .await?;
    if decision == InterviewOutcome::Approved {
        participants::set_profile(&mut *tx, participant.id, &outcome.record.profile, outcome.at).await?;
    }
    let was_ready = interview.parsed_state_before()? == ParticipantState::Ready;
    let waiting_since =
        WaitingSince::after_interview(decision, was_ready, participant.waiting_since.is_some());
    if next != state {
        let reason = if decision == InterviewOutcome::Approved {
            "approved at the intake interview"
        } else {
            recorded.outcome_reason.as_str()
        };
        participants::change_state(
            tx,
            &StateChange {
                id: participant.id,
                from: state,
                to: next,
                state_before_withdrawal: None,
                waiting_since,
                reason,
                actor: outcome.actor,
                at: outcome.at,
            },
        )
        .await?;
    }
    Ok(recorded)
}

/// The chapter's minimum age; a chapter always has settings, and without them the
/// default rule applies.
async fn chapter_min_age(tx: &mut PgConnection, chapter: &str) -> Result<MinAge, StoreError> {
    let slug = Slug::parse(chapter).map_err(|_| StoreError::corrupt("chapter id", chapter))?;
    match weights::get_weights(&mut *tx, &slug).await {
        Ok(w) => {
            MinAge::parse(w.min_age).map_err(|_| StoreError::corrupt("minimum age", w.min_age.to_string()))
        }
        Err(StoreError::NotFound) => Ok(MinAge::DEFAULT),
        Err(e) => Err(e),
    }
}

/// Cancels `interview` (locked by the caller) and returns `participant` to the state
/// they had before it was booked.
pub async fn cancel(
    tx: &mut PgConnection,
    participant: &Participant,
    interview: &Interview,
    reason: &str,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Interview, StoreError> {
    interview.parsed_state()?.transition(InterviewState::Cancelled)?;
    let cancelled = interviews::cancel(&mut *tx, interview.id, at).await?;
    interview_event(
        tx,
        &cancelled,
        InterviewState::Booked.as_str(),
        InterviewState::Cancelled,
        reason,
        actor,
        at,
    )
    .await?;
    let state = participant.parsed_state()?;
    if state == ParticipantState::InterviewBooked {
        let before = interview.parsed_state_before()?;
        state.transition(before)?;
        participants::change_state(
            tx,
            &StateChange {
                id: participant.id,
                from: state,
                to: before,
                state_before_withdrawal: None,
                waiting_since: WaitingSince::Keep,
                reason,
                actor,
                at,
            },
        )
        .await?;
    }
    Ok(cancelled)
}

/// Withdraws `participant` (locked by the caller): cancels a booked interview and
/// remembers where a return leads ([`ParticipantState::withdraw`]).
pub async fn withdraw(
    tx: &mut PgConnection,
    participant: &Participant,
    reason: &str,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Participant, StoreError> {
    let state = participant.parsed_state()?;
    let booked = if state == ParticipantState::InterviewBooked {
        interviews::booked_interview(&mut *tx, participant.id).await?
    } else {
        None
    };
    let before_booking = booked.as_ref().map(Interview::parsed_state_before).transpose()?;
    let withdrawal = state
        .withdraw(i64::from(participant.active_match_count), before_booking)
        .map_err(|e| match e {
            kompis_domain::WithdrawalRefused::Transition(t) => StoreError::Transition(t),
            kompis_domain::WithdrawalRefused::LiveMatch => DomainViolation::LiveMatch.into(),
        })?;
    if let Some(interview) = booked.filter(|_| withdrawal.cancels_interview) {
        let cancelled = interviews::cancel(&mut *tx, interview.id, at).await?;
        interview_event(
            tx,
            &cancelled,
            InterviewState::Booked.as_str(),
            InterviewState::Cancelled,
            "the participant withdrew",
            actor,
            at,
        )
        .await?;
    }
    participants::change_state(
        tx,
        &StateChange {
            id: participant.id,
            from: state,
            to: ParticipantState::Withdrawn,
            state_before_withdrawal: Some(withdrawal.return_to),
            waiting_since: WaitingSince::Keep,
            reason,
            actor,
            at,
        },
    )
    .await
}

/// Returns a withdrawn `participant` (locked by the caller) to the state they had;
/// one returning ready keeps their waiting time unless `reset_waiting` says otherwise.
pub async fn return_participant(
    tx: &mut PgConnection,
    participant: &Participant,
    reset_waiting: bool,
    reason: &str,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Participant, StoreError> {
    let state = participant.parsed_state()?;
    let before = participant
        .state_before_withdrawal
        .as_deref()
        .map(|b| b.parse().map_err(|_| StoreError::corrupt("participant state", b)))
        .transpose()?;
    let target = state.return_from_withdrawal(before)?;
    let waiting_since = WaitingSince::on_return(target, reset_waiting, participant.waiting_since.is_some());
    participants::change_state(
        tx,
        &StateChange {
            id: participant.id,
            from: state,
            to: target,
            state_before_withdrawal: None,
            waiting_since,
            reason,
            actor,
            at,
        },
    )
    .await
}
