//! The life cycle of an intake interview, and how it is held.

use super::TransitionError;
use crate::macros::text_enum;

text_enum! {
    /// Where an intake interview stands.
    ///
    /// | from | to |
    /// |---|---|
    /// | `booked` | `recorded`, `cancelled` |
    /// | `recorded` | nothing: final (a new interview is booked instead) |
    /// | `cancelled` | nothing: final |
    ///
    /// A booked interview can also be rescheduled, which keeps it `booked`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_domain::InterviewState::*;
    ///
    /// assert_eq!(Booked.transition(Recorded)?, Recorded);
    /// assert!(Cancelled.transition(Recorded).is_err());
    /// # Ok::<(), kompis_domain::TransitionError>(())
    /// ```
    pub enum InterviewState: "interview state" {
        /// Planned, not yet held.
        Booked => "booked",
        /// Held; its outcome and what was learned are recorded.
        Recorded => "recorded",
        /// Called off before it was held.
        Cancelled => "cancelled",
    }
}

impl InterviewState {
    /// The states this one may move to.
    pub const fn next_states(self) -> &'static [InterviewState] {
        match self {
            InterviewState::Booked => &[InterviewState::Recorded, InterviewState::Cancelled],
            InterviewState::Recorded | InterviewState::Cancelled => &[],
        }
    }

    /// `next` if the rules allow the move, otherwise an error naming both states.
    pub fn transition(self, next: InterviewState) -> Result<InterviewState, TransitionError> {
        if self.next_states().contains(&next) {
            Ok(next)
        } else {
            Err(TransitionError {
                entity: "interview",
                from: self.as_str(),
                to: next.as_str(),
            })
        }
    }

    /// Whether the interview may still be rescheduled (only while booked).
    pub fn can_reschedule(self) -> Result<(), TransitionError> {
        match self {
            InterviewState::Booked => Ok(()),
            _ => Err(TransitionError {
                entity: "interview",
                from: self.as_str(),
                to: InterviewState::Booked.as_str(),
            }),
        }
    }
}

text_enum! {
    /// How an intake interview is held.
    pub enum InterviewMode: "interview mode" {
        /// Face to face, at `location`.
        InPerson => "in_person",
        /// A video call.
        Video => "video",
        /// A telephone call.
        Phone => "phone",
    }
}

#[cfg(test)]
mod tests {
    use super::InterviewState::*;
    use super::*;

    #[test]
    fn only_a_booked_interview_moves_on() {
        assert_eq!(Booked.transition(Recorded), Ok(Recorded));
        assert_eq!(Booked.transition(Cancelled), Ok(Cancelled));
        for from in [Recorded, Cancelled] {
            for to in InterviewState::ALL {
                assert!(from.transition(*to).is_err(), "{from} -> {to}");
            }
            assert!(from.can_reschedule().is_err());
        }
        assert!(Booked.transition(Booked).is_err());
        assert!(Booked.can_reschedule().is_ok());
    }

    #[test]
    fn a_refused_move_names_both_states() {
        let e = Cancelled.transition(Recorded).unwrap_err();
        assert_eq!((e.entity, e.from, e.to), ("interview", "cancelled", "recorded"));
    }
}
