//! The life cycle of a participant, and the outcomes of an intake interview.

use super::TransitionError;
use crate::macros::text_enum;

text_enum! {
    /// Where a participant (newcomer or established resident) stands in the programme.
    ///
    /// Allowed transitions (anything else is refused):
    ///
    /// | from | to |
    /// |---|---|
    /// | `applicant` | `interview_booked`, `ready`, `not_suitable`, `needs_follow_up`, `withdrawn` |
    /// | `interview_booked` | `ready`, `not_suitable`, `needs_follow_up`, `withdrawn`, `applicant` |
    /// | `needs_follow_up` | `interview_booked`, `ready`, `not_suitable`, `withdrawn` |
    /// | `ready` | `matched`, `withdrawn`, `interview_booked` |
    /// | `matched` | `ready`, `ended`, `withdrawn` |
    /// | `withdrawn` | `applicant`, `ready`, `needs_follow_up` |
    /// | `not_suitable` | `interview_booked` |
    /// | `ended` | nothing: final |
    ///
    /// Why:
    /// - an applicant can be assessed without a booked interview (met at an SFI class,
    ///   say), so the interview outcomes are reachable from `applicant` too;
    /// - `ready` → `interview_booked` is a new interview when circumstances change;
    /// - a cancelled interview returns the participant to the state they had before it
    ///   was booked: `interview_booked` → `applicant` (or `ready`, `not_suitable`,
    ///   `needs_follow_up`);
    /// - `matched` → `ready` is a match that ended early, to be matched again; `ended`
    ///   is the participant leaving the programme after a match ran its course;
    /// - a participant who withdrew may come back; the service returns them to the state
    ///   they had before (`applicant`, `ready` or `needs_follow_up`; one who was matched
    ///   comes back `ready`, since the match ended when they withdrew);
    /// - `not_suitable` is not final: a second interview may be booked.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_domain::ParticipantState::{self, *};
    /// use kompis_domain::InterviewOutcome;
    ///
    /// let booked = Applicant.transition(InterviewBooked)?;
    /// let ready = booked.record_interview(InterviewOutcome::Approved)?;
    /// assert_eq!(ready, Ready);
    /// assert!(Ended.transition(Ready).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub enum ParticipantState: "participant state" {
        /// Signed up or referred; not yet assessed.
        Applicant => "applicant",
        /// An intake interview is booked.
        InterviewBooked => "interview_booked",
        /// Approved and waiting for a buddy (or for another one).
        Ready => "ready",
        /// In a live match.
        Matched => "matched",
        /// Judged not suitable for the programme at the interview.
        NotSuitable => "not_suitable",
        /// Needs another conversation before a decision.
        NeedsFollowUp => "needs_follow_up",
        /// Left the programme of their own accord; may return.
        Withdrawn => "withdrawn",
        /// Left the programme after taking part; final.
        Ended => "ended",
    }
}

impl ParticipantState {
    /// The states this one may move to.
    pub const fn next_states(self) -> &'static [ParticipantState] {
        use ParticipantState::*;
        match self {
            Applicant => &[InterviewBooked, Ready, NotSuitable, NeedsFollowUp, Withdrawn],
            InterviewBooked => &[Ready, NotSuitable, NeedsFollowUp, Withdrawn, Applicant],
            NeedsFollowUp => &[InterviewBooked, Ready, NotSuitable, Withdrawn],
            Ready => &[Matched, Withdrawn, InterviewBooked],
            Matched => &[Ready, Ended, Withdrawn],
            Withdrawn => &[Applicant, Ready, NeedsFollowUp],
            NotSuitable => &[InterviewBooked],
            Ended => &[],
        }
    }

    /// Whether the rules allow moving from this state to `next`.
    pub fn can_transition_to(self, next: ParticipantState) -> bool {
        self.next_states().contains(&next)
    }

    /// `next` if the rules allow the move, otherwise an error naming both states.
    pub fn transition(self, next: ParticipantState) -> Result<ParticipantState, TransitionError> {
        if self.can_transition_to(next) {
            Ok(next)
        } else {
            Err(TransitionError {
                entity: "participant",
                from: self.as_str(),
                to: next.as_str(),
            })
        }
    }

    /// The state after an intake interview with `outcome`: allowed from `applicant`,
    /// `interview_booked` and `needs_follow_up` (a follow-up interview; one that again
    /// needs follow-up leaves the state as it is).
    pub fn record_interview(self, outcome: InterviewOutcome) -> Result<ParticipantState, TransitionError> {
        use ParticipantState::*;
        match self {
            NeedsFollowUp if outcome == InterviewOutcome::NeedsFollowUp => Ok(NeedsFollowUp),
            Applicant | InterviewBooked | NeedsFollowUp => self.transition(outcome.resulting_state()),
            _ => Err(TransitionError {
                entity: "participant",
                from: self.as_str(),
                to: outcome.resulting_state().as_str(),
            }),
        }
    }

    /// Whether no transition leaves this state.
    pub fn is_final(self) -> bool {
        self.next_states().is_empty()
    }

    /// Whether the participant can be proposed for a match now.
    pub fn is_matchable(self) -> bool {
        self == ParticipantState::Ready
    }
}

text_enum! {
    /// The decision a coordinator records after an intake interview.
    pub enum InterviewOutcome: "interview outcome" {
        /// Ready to be matched.
        Approved => "approved",
        /// Not suitable for the programme.
        NotSuitable => "not_suitable",
        /// Needs another conversation before a decision.
        NeedsFollowUp => "needs_follow_up",
    }
}

impl InterviewOutcome {
    /// The participant state the outcome leads to.
    pub const fn resulting_state(self) -> ParticipantState {
        match self {
            InterviewOutcome::Approved => ParticipantState::Ready,
            InterviewOutcome::NotSuitable => ParticipantState::NotSuitable,
            InterviewOutcome::NeedsFollowUp => ParticipantState::NeedsFollowUp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ParticipantState::{self, *};
    use super::*;

    /// The rules of the table in the type's documentation, written out pair by pair.
    const ALLOWED: &[(ParticipantState, ParticipantState)] = &[
        (Applicant, InterviewBooked),
        (Applicant, Ready),
        (Applicant, NotSuitable),
        (Applicant, NeedsFollowUp),
        (Applicant, Withdrawn),
        (InterviewBooked, Ready),
        (InterviewBooked, NotSuitable),
        (InterviewBooked, NeedsFollowUp),
        (InterviewBooked, Withdrawn),
        (InterviewBooked, Applicant),
        (NeedsFollowUp, InterviewBooked),
        (NeedsFollowUp, Ready),
        (NeedsFollowUp, NotSuitable),
        (NeedsFollowUp, Withdrawn),
        (Ready, Matched),
        (Ready, Withdrawn),
        (Ready, InterviewBooked),
        (Matched, Ready),
        (Matched, Ended),
        (Matched, Withdrawn),
        (Withdrawn, Applicant),
        (Withdrawn, Ready),
        (Withdrawn, NeedsFollowUp),
        (NotSuitable, InterviewBooked),
    ];

    #[test]
    fn exactly_the_documented_transitions_are_allowed() {
        for &from in ParticipantState::ALL {
            for &to in ParticipantState::ALL {
                let expected = ALLOWED.contains(&(from, to));
                assert_eq!(from.can_transition_to(to), expected, "{from} -> {to}");
                assert_eq!(from.transition(to).is_ok(), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn only_ended_is_final_and_no_state_moves_to_itself() {
        for &s in ParticipantState::ALL {
            assert_eq!(s.is_final(), s == Ended);
            assert!(!s.can_transition_to(s), "{s}");
        }
    }

    #[test]
    fn interview_outcomes_lead_to_their_states() {
        for &from in &[Applicant, InterviewBooked, NeedsFollowUp] {
            assert_eq!(from.record_interview(InterviewOutcome::Approved), Ok(Ready));
            assert_eq!(
                from.record_interview(InterviewOutcome::NotSuitable),
                Ok(NotSuitable)
            );
        }
        assert_eq!(
            InterviewBooked.record_interview(InterviewOutcome::NeedsFollowUp),
            Ok(NeedsFollowUp)
        );
        // A follow-up that again needs follow-up leaves the state as it is.
        assert_eq!(
            NeedsFollowUp.record_interview(InterviewOutcome::NeedsFollowUp),
            Ok(NeedsFollowUp)
        );
        for &from in &[Ready, Matched, Withdrawn, NotSuitable, Ended] {
            assert!(
                from.record_interview(InterviewOutcome::Approved).is_err(),
                "{from}"
            );
        }
    }

    #[test]
    fn a_withdrawn_participant_can_return_but_an_ended_one_cannot() {
        assert_eq!(Matched.transition(Withdrawn), Ok(Withdrawn));
        assert_eq!(Withdrawn.transition(Ready), Ok(Ready));
        assert!(Withdrawn.transition(Matched).is_err());
        assert!(Ended.transition(Applicant).is_err());
    }

    #[test]
    fn only_ready_participants_are_matchable() {
        for &s in ParticipantState::ALL {
            assert_eq!(s.is_matchable(), s == Ready);
        }
    }

    #[test]
    fn states_and_outcomes_round_trip_through_their_strings() {
        for &s in ParticipantState::ALL {
            assert_eq!(s.as_str().parse::<ParticipantState>().unwrap(), s);
        }
        for &o in InterviewOutcome::ALL {
            assert_eq!(o.as_str().parse::<InterviewOutcome>().unwrap(), o);
        }
    }
}
