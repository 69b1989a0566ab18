//! The life cycle of a match (a proposal until both accepted), and how a person agreed.

use super::TransitionError;
use crate::macros::text_enum;

text_enum! {
    /// Where a match stands.
    ///
    /// | from | to |
    /// |---|---|
    /// | `proposed` | `accepted` (both said yes), `declined` (a side said no, a coordinator withdrew it, or the deadline passed) |
    /// | `accepted` | `active`, `ended` |
    /// | `active` | `ended` |
    /// | `declined`, `ended` | nothing: final |
    ///
    /// `proposed`, `accepted` and `active` are *live*: they hold a place on both sides.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_domain::MatchState::*;
    /// assert_eq!(Proposed.transition(Accepted), Ok(Accepted));
    /// assert!(Declined.transition(Accepted).is_err());
    /// assert!(Proposed.is_live() && !Ended.is_live());
    /// ```
    pub enum MatchState: "match state" {
        /// Proposed to both; waiting for their answers.
        Proposed => "proposed",
        /// Both accepted; contact details are released.
        Accepted => "accepted",
        /// The pair has been introduced and meets.
        Active => "active",
        /// Ended after acceptance.
        Ended => "ended",
        /// Declined, withdrawn or expired before both accepted.
        Declined => "declined",
    }
}

impl MatchState {
    /// The states this one may move to.
    pub const fn next_states(self) -> &'static [MatchState] {
        use MatchState::*;
        match self {
            Proposed => &[Accepted, Declined],
            Accepted => &[Active, Ended],
            Active => &[Ended],
            Ended | Declined => &[],
        }
    }

    /// `next` if the rules allow the move, otherwise an error naming both states.
    pub fn transition(self, next: MatchState) -> Result<MatchState, TransitionError> {
        if self.next_states().contains(&next) {
            Ok(next)
        } else {
            Err(TransitionError {
                entity: "match",
                from: self.as_str(),
                to: next.as_str(),
            })
        }
    }

    /// Whether the match holds a place on both sides (proposed, accepted or active).
    pub const fn is_live(self) -> bool {
        matches!(
            self,
            MatchState::Proposed | MatchState::Accepted | MatchState::Active
        )
    }

    /// Whether contact details are released to both sides: only once both accepted.
    pub const fn releases_contact(self) -> bool {
        matches!(self, MatchState::Accepted | MatchState::Active)
    }
}

text_enum! {
    /// One side's answer to a proposal.
    pub enum ProposalAnswer: "proposal answer" {
        /// Not answered yet.
        Pending => "pending",
        /// Accepted.
        Accepted => "accepted",
        /// Declined.
        Declined => "declined",
    }
}

text_enum! {
    /// How a person agreed to a proposal: in the app themselves, or told a coordinator,
    /// who recorded it on their behalf.
    pub enum AgreementChannel: "agreement channel" {
        /// In the app, by the person.
        App => "app",
        /// On the phone with a coordinator.
        Phone => "phone",
        /// In person with a coordinator.
        InPerson => "in_person",
        /// By a written message to a coordinator.
        Message => "message",
    }
}

text_enum! {
    /// Who ended a proposal without a match.
    pub enum DeclineCause: "decline cause" {
        /// The newcomer declined.
        Newcomer => "newcomer",
        /// The established resident declined.
        EstablishedResident => "established_resident",
        /// A coordinator withdrew it.
        Coordinator => "coordinator",
        /// Nobody answered in time.
        DeadlinePassed => "deadline_passed",
    }
}

impl DeclineCause {
    /// Whether the pair joins the never-propose-again list: when one of them said no.
    /// A withdrawal or an expiry says nothing about the pair.
    pub const fn excludes_pair(self) -> bool {
        matches!(self, DeclineCause::Newcomer | DeclineCause::EstablishedResident)
    }
}

text_enum! {
    /// Why a match ended. Stored with the match and copied into its event, so that
    /// reports count endings by reason.
    pub enum MatchEndReason: "match end reason" {
        /// The programme period is over.
        Completed => "completed",
        /// The pair did not work well together.
        NotWorking => "not_working",
        /// The pair lost contact.
        NoContact => "no_contact",
        /// One side left or paused the programme.
        ParticipantLeft => "participant_left",
        /// One side moved away.
        MovedAway => "moved_away",
        /// Ended so that a participant can be matched again.
        Rematch => "rematch",
        /// Another reason, given in the note.
        Other => "other",
        /// One side raised a concern about the other.
        Concern => "concern",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_proposal_can_be_accepted_or_declined() {
        for s in MatchState::ALL {
            let expected = *s == MatchState::Proposed;
            assert_eq!(s.transition(MatchState::Accepted).is_ok(), expected, "{s}");
            assert_eq!(s.transition(MatchState::Declined).is_ok(), expected, "{s}");
        }
    }

    #[test]
    fn contact_details_are_released_only_after_both_accepted() {
        assert!(!MatchState::Proposed.releases_contact());
        assert!(MatchState::Accepted.releases_contact());
        assert!(!MatchState::Declined.releases_contact());
    }

    #[test]
    fn only_a_side_saying_no_excludes_the_pair() {
        assert!(DeclineCause::Newcomer.excludes_pair());
        assert!(!DeclineCause::DeadlinePassed.excludes_pair());
        assert!(!DeclineCause::Coordinator.excludes_pair());
    }
}
