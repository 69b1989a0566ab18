//! The life cycle of an activity, the answers to its invitations and their seats.

use super::TransitionError;
use crate::macros::text_enum;

text_enum! {
    /// What kind of activity it is.
    pub enum ActivityKind: "activity kind" {
        /// A group activity open to participants (a walk, a museum visit, a fika).
        GroupActivity => "group_activity",
        /// An evening where buddy pairs meet each other and the programme.
        BuddyMeetingEvening => "buddy_meeting_evening",
    }
}

text_enum! {
    /// Where an activity stands.
    ///
    /// | from | to |
    /// |---|---|
    /// | `planned` | `completed` (attendance recorded), `cancelled` |
    /// | `completed` | `completed` (attendance corrected) |
    /// | `cancelled` | nothing: final |
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_domain::ActivityState::*;
    ///
    /// assert_eq!(Planned.transition(Cancelled)?, Cancelled);
    /// assert_eq!(Completed.transition(Completed)?, Completed);
    /// assert!(Cancelled.transition(Completed).is_err());
    /// # Ok::<(), kompis_domain::TransitionError>(())
    /// ```
    pub enum ActivityState: "activity state" {
        /// Planned, not yet held.
        Planned => "planned",
        /// Held; attendance recorded.
        Completed => "completed",
        /// Cancelled.
        Cancelled => "cancelled",
    }
}

impl ActivityState {
    /// The states this one may move to.
    pub const fn next_states(self) -> &'static [ActivityState] {
        match self {
            ActivityState::Planned => &[ActivityState::Completed, ActivityState::Cancelled],
            ActivityState::Completed => &[ActivityState::Completed],
            ActivityState::Cancelled => &[],
        }
    }

    /// `next` if the rules allow the move, otherwise an error naming both states.
    pub fn transition(self, next: ActivityState) -> Result<ActivityState, TransitionError> {
        if self.next_states().contains(&next) {
            Ok(next)
        } else {
            Err(TransitionError {
                entity: "activity",
                from: self.as_str(),
                to: next.as_str(),
            })
        }
    }
}

text_enum! {
    /// An answer to an invitation.
    pub enum Rsvp: "answer" {
        /// Not answered yet.
        Pending => "pending",
        /// Coming, with a seat.
        Yes => "yes",
        /// Not coming, or no longer coming.
        No => "no",
        /// Wants to come; waiting for a seat, in order of arrival.
        Waitlisted => "waitlisted",
    }
}

text_enum! {
    /// Whether an invited participant came.
    pub enum Attendance: "attendance" {
        /// Not recorded yet.
        Unknown => "unknown",
        /// Came.
        Attended => "attended",
        /// Did not come.
        Absent => "absent",
    }
}

/// Most guests an activity may let each invitee bring.
pub const MAX_GUESTS_PER_INVITATION: i32 = 10;

/// The seats an answer YES with `guests` takes: the invitee's and one per guest.
pub const fn seats_for(guests: i32) -> i32 {
    1 + guests
}

/// Whether `seats` more fit in an activity of `capacity` (0: no limit) with `taken`
/// seats taken.
///
/// # Examples
///
/// ```
/// use kompis_domain::seats_fit;
///
/// assert!(seats_fit(50, 49, 1));
/// assert!(!seats_fit(50, 49, 2), "a pair with one seat left takes none");
/// assert!(seats_fit(0, 10_000, 3), "0 is no limit");
/// ```
pub const fn seats_fit(capacity: i32, taken: i32, seats: i32) -> bool {
    capacity == 0 || taken + seats <= capacity
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_activity_is_final_and_attendance_may_be_corrected() {
        for next in ActivityState::ALL {
            assert!(ActivityState::Cancelled.transition(*next).is_err());
        }
        assert!(
            ActivityState::Completed
                .transition(ActivityState::Completed)
                .is_ok()
        );
        assert!(
            ActivityState::Completed
                .transition(ActivityState::Planned)
                .is_err()
        );
    }

    #[test]
    fn every_value_reads_back_from_its_stored_string() {
        for v in Rsvp::ALL {
            assert_eq!(v.as_str().parse::<Rsvp>().unwrap(), *v);
        }
        for v in Attendance::ALL {
            assert_eq!(v.as_str().parse::<Attendance>().unwrap(), *v);
        }
        for v in ActivityKind::ALL {
            assert_eq!(v.as_str().parse::<ActivityKind>().unwrap(), *v);
        }
    }

    #[test]
    fn seats_count_the_invitee_and_each_guest() {
        assert_eq!(seats_for(0), 1);
        assert_eq!(seats_for(2), 3);
        assert!(!seats_fit(5, 3, seats_for(2)));
        assert!(seats_fit(5, 2, seats_for(2)));
    }
}
