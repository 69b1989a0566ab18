//! The programme's rules about participants: eligibility, waiting time and withdrawal.
//!
//! These are decisions a coordinator's action leads to; the store applies them and the
//! service only asks. Keeping them here keeps them in one place and testable without a
//! database.

use time::{Duration, OffsetDateTime};

use crate::{BirthYear, InterviewOutcome, MinAge, ParticipantState, TransitionError};

/// What happens to a participant's waiting time (`waiting_since`) in a state change.
///
/// Waiting time is the fairness measure of matching: who waited longest is served
/// first. It starts when a participant is approved, is kept while a ready participant
/// is reassessed, and is cleared when they can no longer be matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitingSince {
    /// Left as it is.
    Keep,
    /// Set to now: the participant starts waiting.
    Now,
    /// Cleared: the participant no longer waits and loses their place.
    Clear,
}

impl WaitingSince {
    /// After an intake interview with `outcome`. An approved participant who was ready
    /// before the interview (reassessed) and had a place in the queue keeps it; one
    /// approved for the first time starts waiting; any other outcome leaves the queue.
    pub fn after_interview(outcome: InterviewOutcome, was_ready: bool, has_place: bool) -> Self {
        match outcome {
            InterviewOutcome::Approved if was_ready && has_place => WaitingSince::Keep,
            InterviewOutcome::Approved => WaitingSince::Now,
            _ => WaitingSince::Clear,
        }
    }

    /// On return from a withdrawal to `target`: a participant returning ready keeps
    /// their original place unless the coordinator resets it (or they never had one).
    pub fn on_return(target: ParticipantState, reset: bool, has_place: bool) -> Self {
        match target {
            ParticipantState::Ready if reset || !has_place => WaitingSince::Now,
            _ => WaitingSince::Keep,
        }
    }
}

/// How long someone has waited at `now`; zero when they are not waiting.
pub fn waited(now: OffsetDateTime, waiting_since: Option<OffsetDateTime>) -> Duration {
    waiting_since.map_or(Duration::ZERO, |since| (now - since).max(Duration::ZERO))
}

/// What the coordinator recorded at the interview about eligibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EligibilityChecks {
    /// The person reaches the chapter's minimum age.
    pub meets_minimum_age: bool,
    /// The person meets the chapter's other rules.
    pub meets_chapter_rules: bool,
}

impl EligibilityChecks {
    /// Whether both checks hold.
    pub fn all_hold(self) -> bool {
        self.meets_minimum_age && self.meets_chapter_rules
    }
}

/// Refused: the approval needs the eligibility checks to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("approval needs the eligibility checks to hold (minimum age {min_age} and the chapter's rules)")]
pub struct NotEligible {
    /// The chapter's minimum age.
    pub min_age: MinAge,
}

/// Whether a participant born in `birth_year` may be approved in `year`: both recorded
/// checks hold and they reach `min_age` that year. The age is checked when the outcome
/// is recorded, because the rule is about who takes part.
pub fn may_approve(
    checks: EligibilityChecks,
    birth_year: BirthYear,
    year: i32,
    min_age: MinAge,
) -> Result<(), NotEligible> {
    if checks.all_hold() && birth_year.is_adult_in(year, min_age.get()) {
        Ok(())
    } else {
        Err(NotEligible { min_age })
    }
}

/// What a withdrawal does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Withdrawal {
    /// The state the participant returns to if they come back.
    pub return_to: ParticipantState,
    /// Whether their booked interview is cancelled.
    pub cancels_interview: bool,
}

/// Why a withdrawal is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WithdrawalRefused {
    /// The participant's state does not allow it.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The participant has a live match, which must be ended first.
    #[error("the participant has a live match; end it first with MatchingService.EndMatch")]
    LiveMatch,
}

impl ParticipantState {
    /// Withdraws a participant in this state who has `live_matches` live matches.
    /// `before_booking` is the state held before their booked interview, when one is
    /// booked.
    ///
    /// A return leads to the state held now, except that a booked interview is
    /// cancelled (the participant goes back to where they were before it, and one found
    /// not suitable who was being reassessed needs a follow-up), and a matched
    /// participant without a live match comes back ready.
    pub fn withdraw(
        self,
        live_matches: i64,
        before_booking: Option<ParticipantState>,
    ) -> Result<Withdrawal, WithdrawalRefused> {
        self.transition(ParticipantState::Withdrawn)?;
        if live_matches > 0 {
            return Err(WithdrawalRefused::LiveMatch);
        }
        Ok(match self {
            ParticipantState::InterviewBooked => Withdrawal {
                return_to: match before_booking.unwrap_or(ParticipantState::Applicant) {
                    ParticipantState::NotSuitable => ParticipantState::NeedsFollowUp,
                    before => before,
                },
                cancels_interview: before_booking.is_some(),
            },
            ParticipantState::Matched => Withdrawal {
                return_to: ParticipantState::Ready,
                cancels_interview: false,
            },
            other => Withdrawal {
                return_to: other,
                cancels_interview: false,
            },
        })
    }

    /// The state a withdrawn participant returns to: the one recorded at withdrawal.
    pub fn return_from_withdrawal(
        self,
        before: Option<ParticipantState>,
    ) -> Result<ParticipantState, TransitionError> {
        match (self, before) {
            (ParticipantState::Withdrawn, Some(before)) => self.transition(before),
            _ => Err(TransitionError {
                entity: "participant",
                from: self.as_str(),
                to: "the state before the withdrawal",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ParticipantState::*;

    #[test]
    fn a_reassessed_ready_participant_keeps_their_place() {
        use InterviewOutcome::*;
        assert_eq!(
            WaitingSince::after_interview(Approved, true, true),
            WaitingSince::Keep
        );
        assert_eq!(
            WaitingSince::after_interview(Approved, true, false),
            WaitingSince::Now
        );
        assert_eq!(
            WaitingSince::after_interview(Approved, false, true),
            WaitingSince::Now
        );
        assert_eq!(
            WaitingSince::after_interview(NotSuitable, true, true),
            WaitingSince::Clear
        );
        assert_eq!(
            WaitingSince::after_interview(NeedsFollowUp, false, false),
            WaitingSince::Clear
        );
    }

    #[test]
    fn a_return_keeps_the_place_unless_reset() {
        assert_eq!(WaitingSince::on_return(Ready, false, true), WaitingSince::Keep);
        assert_eq!(WaitingSince::on_return(Ready, true, true), WaitingSince::Now);
        assert_eq!(WaitingSince::on_return(Ready, false, false), WaitingSince::Now);
        assert_eq!(
            WaitingSince::on_return(Applicant, true, false),
            WaitingSince::Keep
        );
    }

    #[test]
    fn nobody_waits_a_negative_time() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(10);
        assert_eq!(waited(now, None), Duration::ZERO);
        assert_eq!(waited(now, Some(now + Duration::days(1))), Duration::ZERO);
        assert_eq!(waited(now, Some(now - Duration::days(3))), Duration::days(3));
    }

    #[test]
    fn approval_needs_both_checks_and_the_age() {
        let both = EligibilityChecks {
            meets_minimum_age: true,
            meets_chapter_rules: true,
        };
        let born = BirthYear::from_stored(2008);
        let eighteen = MinAge::DEFAULT;
        assert!(may_approve(both, born, 2026, eighteen).is_ok());
        assert!(may_approve(both, born, 2025, eighteen).is_err());
        let failed = EligibilityChecks {
            meets_chapter_rules: false,
            ..both
        };
        assert_eq!(
            may_approve(failed, born, 2026, eighteen),
            Err(NotEligible { min_age: eighteen })
        );
    }

    #[test]
    fn a_withdrawal_cancels_a_booked_interview_and_remembers_where_to_return() {
        let w = InterviewBooked.withdraw(0, Some(Ready)).unwrap();
        assert_eq!((w.return_to, w.cancels_interview), (Ready, true));
        let w = InterviewBooked.withdraw(0, Some(NotSuitable)).unwrap();
        assert_eq!(w.return_to, NeedsFollowUp);
        assert_eq!(Matched.withdraw(0, None).unwrap().return_to, Ready);
        assert_eq!(Matched.withdraw(1, None), Err(WithdrawalRefused::LiveMatch));
        assert!(matches!(
            Ended.withdraw(0, None),
            Err(WithdrawalRefused::Transition(_))
        ));
    }

    #[test]
    fn only_a_withdrawn_participant_returns() {
        assert_eq!(Withdrawn.return_from_withdrawal(Some(Ready)), Ok(Ready));
        assert!(Withdrawn.return_from_withdrawal(None).is_err());
        assert!(Ready.return_from_withdrawal(Some(Ready)).is_err());
    }
}
