//! What a notification to a participant is about.

use crate::macros::text_enum;

text_enum! {
    /// What a notification is about: the app groups and opens notifications by it. The
    /// `notifications.kind` column holds these strings (a CHECK constraint mirrors the
    /// list). The text itself is a template of `kompis-messages`.
    pub enum NotificationKind: "notification kind" {
        /// The application changed state (for example approved).
        ApplicationUpdated => "application_updated",
        /// An intake interview was booked, moved or cancelled.
        InterviewUpdated => "interview_updated",
        /// A buddy was proposed.
        BuddyProposed => "buddy_proposed",
        /// Both sides accepted; contact details are available.
        MatchAccepted => "match_accepted",
        /// The match ended or the proposal was declined.
        MatchEnded => "match_ended",
        /// A new invitation to an activity.
        InvitationReceived => "invitation_received",
        /// An activity the participant is invited to changed.
        ActivityUpdated => "activity_updated",
        /// The programme asks the participant to check in.
        CheckInRequested => "check_in_requested",
        /// An activity the participant is invited to was cancelled.
        ActivityCancelled => "activity_cancelled",
        /// A reminder before an activity the participant has a seat at.
        ActivityReminder => "activity_reminder",
        /// A seat became free and was given to the participant, first on the waiting
        /// list.
        SeatGiven => "seat_given",
        /// The participant's buddy signed the two of them up for an activity.
        PairSignedUp => "pair_signed_up",
        /// The participant's buddy cancelled the pair's answer to an activity.
        PairCancelled => "pair_cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_stored_string() {
        for kind in NotificationKind::ALL {
            assert_eq!(kind.as_str().parse::<NotificationKind>().unwrap(), *kind);
        }
    }
}
