//! Why a referral was closed.

use crate::macros::text_enum;
use crate::{FieldError, FreeText};

text_enum! {
    /// Why a referral was closed. Reports count closures by reason, so the reason is a
    /// closed set; the note beside it explains the particular case.
    pub enum CloseReason: "close reason" {
        /// The person could not be reached.
        NotReachable => "not_reachable",
        /// The person declined to take part.
        Declined => "declined",
        /// The person does not meet the chapter's rules (age, municipality...).
        NotEligible => "not_eligible",
        /// The person was already referred or signed up.
        Duplicate => "duplicate",
        /// The referral led to a match and has run its course.
        Completed => "completed",
        /// The person moved out of the chapter's area.
        MovedAway => "moved_away",
        /// The person withdrew or left the programme after becoming a participant.
        Withdrawn => "withdrawn",
        /// Anything else; the note must say what.
        Other => "other",
    }
}

/// The longest closure note, in characters.
pub const CLOSURE_NOTE_MAX: usize = 500;

/// Why a referral was closed: a reason, and a note of at most 500 characters that is
/// required when the reason is [`CloseReason::Other`].
///
/// The note is read by coordinators and the referrer; it must not hold special
/// categories of personal data (health, religion, ethnicity...). Say "not eligible", not
/// why.
///
/// # Examples
///
/// ```
/// use kompis_domain::{CloseReason, ReferralClosure};
///
/// let closure = ReferralClosure::new(CloseReason::NotReachable, "Three calls, no answer.")?;
/// assert_eq!(closure.reason(), CloseReason::NotReachable);
/// assert!(ReferralClosure::new(CloseReason::Declined, "").is_ok());
/// assert!(ReferralClosure::new(CloseReason::Other, "  ").is_err());
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralClosure {
    reason: CloseReason,
    note: FreeText<CLOSURE_NOTE_MAX>,
}

impl ReferralClosure {
    /// Validates a reason and a note (trimmed, at most 500 characters, required for
    /// `Other`).
    pub fn new(reason: CloseReason, note: &str) -> Result<Self, FieldError> {
        let note = FreeText::parse(note)?;
        if reason == CloseReason::Other && note.is_empty() {
            return Err(FieldError::new(
                "needs a note saying why, when the reason is \"other\"",
            ));
        }
        Ok(Self { reason, note })
    }

    /// The reason.
    pub fn reason(&self) -> CloseReason {
        self.reason
    }

    /// The note, possibly empty.
    pub fn note(&self) -> &str {
        self.note.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_needs_a_note_and_every_note_is_bounded() {
        assert!(ReferralClosure::new(CloseReason::Other, "Moved abroad").is_ok());
        assert!(ReferralClosure::new(CloseReason::Other, "").is_err());
        for &reason in CloseReason::ALL {
            assert!(ReferralClosure::new(reason, &"x".repeat(500)).is_ok());
            assert!(ReferralClosure::new(reason, &"x".repeat(501)).is_err());
        }
    }

    #[test]
    fn reasons_round_trip() {
        for &r in CloseReason::ALL {
            assert_eq!(r.as_str().parse::<CloseReason>().unwrap(), r);
        }
    }
}
