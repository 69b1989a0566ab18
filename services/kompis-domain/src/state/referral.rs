//! The life cycle of a referral.

use super::TransitionError;
use crate::macros::text_enum;

text_enum! {
    /// Where a referral from a referring organisation (such as an SFI school) stands.
    ///
    /// Allowed transitions (anything else is refused):
    ///
    /// | from | to |
    /// |---|---|
    /// | `received` | `contacted`, `interview_booked`, `closed` |
    /// | `contacted` | `interview_booked`, `closed` |
    /// | `interview_booked` | `interviewed`, `closed` |
    /// | `interviewed` | `matched`, `closed` |
    /// | `matched` | `closed` |
    /// | `closed` | nothing: final |
    ///
    /// A referral can be closed from any open state (see
    /// [`ReferralClosure`](crate::ReferralClosure) for why); a coordinator may book the
    /// interview directly on receipt, skipping `contacted`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_domain::ReferralState::{self, *};
    ///
    /// assert_eq!(Received.transition(InterviewBooked)?, InterviewBooked);
    /// assert!(Received.transition(Matched).is_err());
    /// assert!(Closed.is_final());
    /// assert_eq!("interview_booked".parse::<ReferralState>()?, InterviewBooked);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub enum ReferralState: "referral state" {
        /// Sent by the referring organisation; nobody has acted on it yet.
        Received => "received",
        /// A coordinator has reached the person.
        Contacted => "contacted",
        /// An intake interview is booked.
        InterviewBooked => "interview_booked",
        /// The intake interview has taken place.
        Interviewed => "interviewed",
        /// The person has been matched with a buddy.
        Matched => "matched",
        /// Closed; final.
        Closed => "closed",
    }
}

impl ReferralState {
    /// The states this one may move to.
    pub const fn next_states(self) -> &'static [ReferralState] {
        use ReferralState::*;
        match self {
            Received => &[Contacted, InterviewBooked, Closed],
            Contacted => &[InterviewBooked, Closed],
            InterviewBooked => &[Interviewed, Closed],
            Interviewed => &[Matched, Closed],
            Matched => &[Closed],
            Closed => &[],
        }
    }

    /// Whether the rules allow moving from this state to `next`.
    pub fn can_transition_to(self, next: ReferralState) -> bool {
        self.next_states().contains(&next)
    }

    /// `next` if the rules allow the move, otherwise an error naming both states.
    pub fn transition(self, next: ReferralState) -> Result<ReferralState, TransitionError> {
        if self.can_transition_to(next) {
            Ok(next)
        } else {
            Err(TransitionError {
                entity: "referral",
                from: self.as_str(),
                to: next.as_str(),
            })
        }
    }

    /// Whether no transition leaves this state.
    pub fn is_final(self) -> bool {
        self.next_states().is_empty()
    }

    /// Whether the referral is still being worked on (not closed).
    pub fn is_open(self) -> bool {
        self != ReferralState::Closed
    }

    /// Position along the normal path received → matched; `None` for `closed`, which
    /// is off the path.
    pub(crate) const fn progress_rank(self) -> Option<u8> {
        use ReferralState::*;
        match self {
            Received => Some(0),
            Contacted => Some(1),
            InterviewBooked => Some(2),
            Interviewed => Some(3),
            Matched => Some(4),
            Closed => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ReferralState::{self, *};

    /// The rules of the table in the type's documentation, written out pair by pair.
    const ALLOWED: &[(ReferralState, ReferralState)] = &[
        (Received, Contacted),
        (Received, InterviewBooked),
        (Received, Closed),
        (Contacted, InterviewBooked),
        (Contacted, Closed),
        (InterviewBooked, Interviewed),
        (InterviewBooked, Closed),
        (Interviewed, Matched),
        (Interviewed, Closed),
        (Matched, Closed),
    ];

    #[test]
    fn exactly_the_documented_transitions_are_allowed() {
        for &from in ReferralState::ALL {
            for &to in ReferralState::ALL {
                let expected = ALLOWED.contains(&(from, to));
                assert_eq!(from.can_transition_to(to), expected, "{from} -> {to}");
                assert_eq!(from.transition(to).is_ok(), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn a_refused_transition_names_both_states() {
        let err = Closed.transition(Received).unwrap_err();
        assert_eq!(err.to_string(), "a referral cannot go from closed to received");
    }

    #[test]
    fn only_closed_is_final_and_every_open_state_can_close() {
        for &s in ReferralState::ALL {
            assert_eq!(s.is_final(), s == Closed);
            assert_eq!(s.is_open(), s != Closed);
            if s.is_open() {
                assert!(s.can_transition_to(Closed));
            }
        }
    }

    #[test]
    fn states_round_trip_through_their_strings() {
        for &s in ReferralState::ALL {
            assert_eq!(s.as_str().parse::<ReferralState>().unwrap(), s);
        }
        assert!("Closed".parse::<ReferralState>().is_err());
    }
}
