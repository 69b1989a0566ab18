//! What a referrer sees of a referral once the person is a participant.

use super::{ParticipantState, ReferralState};

/// The progress of a referral as its referrer sees it: the referral's own state, moved
/// forward by what has happened to the participant it led to.
///
/// A referral records what the coordinator did with it (contacted, booked, closed); once
/// the person is a participant, their own state says more, and the referrer should see
/// that progress without the coordinator updating two records. The participant's state
/// implies a referral state:
///
/// | participant | referral |
/// |---|---|
/// | `applicant` | `received` |
/// | `interview_booked` | `interview_booked` |
/// | `ready`, `needs_follow_up`, `not_suitable` | `interviewed` |
/// | `matched`, `ended` | `matched` |
/// | `withdrawn` | `closed` |
///
/// and the view is the further along of the two; a closed referral stays closed. The
/// referral's states say no more than this: `ready`, `not_suitable` and
/// `needs_follow_up` all show as `interviewed`, and `withdrawn` as `closed`. (The
/// service adds whether an interviewed learner waits for a buddy or needs a follow-up;
/// `not_suitable` is not told to the referrer.)
///
/// # Examples
///
/// ```
/// use kompis_domain::{ParticipantState, ReferralProgress, ReferralState};
///
/// let seen = ReferralProgress::view(ReferralState::Contacted, Some(ParticipantState::Ready));
/// assert_eq!(seen, ReferralState::Interviewed);
/// let seen = ReferralProgress::view(ReferralState::Interviewed, Some(ParticipantState::Matched));
/// assert_eq!(seen, ReferralState::Matched);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferralProgress;

impl ReferralProgress {
    /// The referral state a participant's state implies (the table above).
    pub const fn implied_by(participant: ParticipantState) -> ReferralState {
        match participant {
            ParticipantState::Applicant => ReferralState::Received,
            ParticipantState::InterviewBooked => ReferralState::InterviewBooked,
            ParticipantState::Ready | ParticipantState::NeedsFollowUp | ParticipantState::NotSuitable => {
                ReferralState::Interviewed
            }
            ParticipantState::Matched | ParticipantState::Ended => ReferralState::Matched,
            ParticipantState::Withdrawn => ReferralState::Closed,
        }
    }

    /// The state to show the referrer: the referral's own state, or the one the
    /// participant's state implies if that is further along.
    pub fn view(referral: ReferralState, participant: Option<ParticipantState>) -> ReferralState {
        let Some(participant) = participant else {
            return referral;
        };
        let implied = Self::implied_by(participant);
        match (referral.progress_rank(), implied.progress_rank()) {
            (None, _) | (_, None) => ReferralState::Closed,
            (Some(own), Some(theirs)) if theirs > own => implied,
            _ => referral,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_participant_the_referral_speaks_for_itself() {
        for &r in ReferralState::ALL {
            assert_eq!(ReferralProgress::view(r, None), r);
        }
    }

    #[test]
    fn the_participant_moves_the_view_forward_never_back() {
        use ParticipantState as P;
        use ReferralState as R;
        assert_eq!(
            ReferralProgress::view(R::Contacted, Some(P::Applicant)),
            R::Contacted
        );
        assert_eq!(
            ReferralProgress::view(R::Received, Some(P::InterviewBooked)),
            R::InterviewBooked
        );
        assert_eq!(
            ReferralProgress::view(R::Received, Some(P::Ready)),
            R::Interviewed
        );
        assert_eq!(
            ReferralProgress::view(R::Interviewed, Some(P::Matched)),
            R::Matched
        );
        assert_eq!(ReferralProgress::view(R::Matched, Some(P::Ready)), R::Matched);
        assert_eq!(ReferralProgress::view(R::Matched, Some(P::Ended)), R::Matched);
    }

    #[test]
    fn closed_wins_from_either_side() {
        for &p in ParticipantState::ALL {
            assert_eq!(
                ReferralProgress::view(ReferralState::Closed, Some(p)),
                ReferralState::Closed
            );
        }
        for &r in ReferralState::ALL {
            assert_eq!(
                ReferralProgress::view(r, Some(ParticipantState::Withdrawn)),
                ReferralState::Closed
            );
        }
    }

    #[test]
    fn the_view_is_always_reachable_from_the_referrals_own_state_or_equal_to_it() {
        // The view never shows a state the referral could not reach by its own rules.
        for &r in ReferralState::ALL {
            for &p in ParticipantState::ALL {
                let seen = ReferralProgress::view(r, Some(p));
                assert!(seen == r || reachable(r, seen), "{r} + {p} -> {seen}");
            }
        }
    }

    fn reachable(from: ReferralState, to: ReferralState) -> bool {
        let mut frontier = vec![from];
        let mut seen = vec![];
        while let Some(s) = frontier.pop() {
            for &n in s.next_states() {
                if n == to {
                    return true;
                }
                if !seen.contains(&n) {
                    seen.push(n);
                    frontier.push(n);
                }
            }
        }
        false
    }
}
