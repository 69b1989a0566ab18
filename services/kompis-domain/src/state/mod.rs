//! The life cycles of referrals, participants and interviews, as pure state machines.
//!
//! Each state is stored as a snake_case string (a PostgreSQL text column with a CHECK
//! constraint listing the same strings). Every change of state goes through
//! `transition`, which refuses moves the rules do not allow, so the rules live here
//! and nowhere else.

mod activity;
mod interview;
mod matching;
mod participant;
mod progress;
mod referral;

pub use activity::{
    ActivityKind, ActivityState, Attendance, MAX_GUESTS_PER_INVITATION, Rsvp, seats_fit, seats_for,
};
pub use interview::{InterviewMode, InterviewState};
pub use matching::{AgreementChannel, DeclineCause, MatchEndReason, MatchState, ProposalAnswer};
pub use participant::{InterviewOutcome, ParticipantState};
pub use progress::ReferralProgress;
pub use referral::ReferralState;

/// A change of state the rules do not allow. The caller asked for something the record's
/// current state forbids (gRPC `FAILED_PRECONDITION`), not a malformed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {entity} cannot go from {from} to {to}")]
pub struct TransitionError {
    /// What changes state: `referral`, `participant` or `interview`.
    pub entity: &'static str,
    /// The current state.
    pub from: &'static str,
    /// The state asked for.
    pub to: &'static str,
}
