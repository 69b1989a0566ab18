//! What the event log records: the closed set of event kinds.

use crate::macros::text_enum;

text_enum! {
    /// What kind of thing an event is about. The event log's `kind` column holds these
    /// strings (a CHECK constraint mirrors the list), so reports can count by kind
    /// without parsing resource names.
    ///
    /// Notifications are not events: they are deliveries of events, kept elsewhere.
    pub enum EventKind: "event kind" {
        /// A referral by an SFI school or another referring organisation.
        Referral => "referral",
        /// A participant (newcomer or established resident).
        Participant => "participant",
        /// An intake interview.
        Interview => "interview",
        /// A match between a newcomer and an established resident, proposal included.
        Match => "match",
        /// A follow-up check-in of a match.
        CheckIn => "check_in",
        /// A group activity.
        Activity => "activity",
        /// An invitation to an activity, and the invitee's answer.
        Invitation => "invitation",
        /// A matching round: started, computed (or failed) and committed.
        MatchingRound => "matching_round",
        /// An invitee's attendance at an activity, recorded or corrected.
        Attendance => "attendance",
        /// A pair signed up together starting or ceasing to have both attended.
        PairAttendance => "pair_attendance",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_stored_string() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>().unwrap(), *kind);
        }
        assert!("notification".parse::<EventKind>().is_err());
    }
}
