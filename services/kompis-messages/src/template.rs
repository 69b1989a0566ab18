//! The closed set of notification templates.

use std::fmt;
use std::str::FromStr;

/// Declares [`Template`] with its stored keys (the Fluent message ids).
macro_rules! templates {
    ($( $(#[$meta:meta])* $variant:ident => $key:literal, )+) => {
        /// A notification's text, as a key into the message catalogue. Stored as its key
        /// (`invitation-received`...), which is also the Fluent message id: the message's
        /// value is the title and its `.body` attribute the body, in every language.
        ///
        /// Add a template by adding a variant here and its message to each of
        /// `locales/{sv,en,ar}/notifications.ftl`; a test checks that every template
        /// renders in every language.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Template {
            $( $(#[$meta])* $variant, )+
        }

        impl Template {
            /// Every template.
            pub const ALL: &'static [Template] = &[ $( Template::$variant, )+ ];

            /// The stored key, which is the Fluent message id.
            pub const fn key(self) -> &'static str {
                match self {
                    $( Template::$variant => $key, )+
                }
            }
        }

        impl FromStr for Template {
            type Err = UnknownTemplate;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $key => Ok(Template::$variant), )+
                    _ => Err(UnknownTemplate(s.to_owned())),
                }
            }
        }
    };
}

templates! {
    /// A new invitation to an activity (`title`, `start`, `place`).
    InvitationReceived => "invitation-received",
    /// An activity the participant is invited to changed (`title`, `start`, `place`).
    ActivityUpdated => "activity-updated",
    /// An activity the participant is invited to was cancelled (`title`, `start`,
    /// `reason`, which may be empty).
    ActivityCancelled => "activity-cancelled",
    /// A reminder before an activity the participant has a seat at (`title`, `start`,
    /// `place`).
    ActivityReminder => "activity-reminder",
    /// A seat became free and was given to the participant, first on the waiting list
    /// (`title`, `start`, `place`).
    SeatGiven => "seat-given",
    /// The participant's buddy signed the two of them up for an activity (`title`,
    /// `start`, `place`); the app shows whether they have seats or wait together.
    PairSignedUp => "pair-signed-up",
    /// The participant's buddy cancelled the pair's answer; both seats or places are
    /// given up (`title`, `start`).
    PairCancelled => "pair-cancelled",
    /// A buddy was proposed; answer before `deadline`.
    BuddyProposed => "buddy-proposed",
    /// Both sides accepted the match; contact details are available.
    MatchAccepted => "match-accepted",
    /// The match ended or the proposal was declined.
    MatchEnded => "match-ended",
    /// The programme asks how the match is going.
    CheckInRequested => "check-in-requested",
    /// The programme period is over and the match concluded; the closing question.
    MatchConcluded => "match-concluded",
    /// The application changed state (for example approved).
    ApplicationUpdated => "application-updated",
    /// An intake interview was booked, moved or cancelled (`start`).
    InterviewUpdated => "interview-updated",
    /// The application has been inactive for long; it and the person's data will be
    /// erased unless they act in the app before the erasure.
    RetentionWarning => "retention-warning",
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A stored template key the code does not know (corrupt or newer data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown notification template {0:?}")]
pub struct UnknownTemplate(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_reads_back_from_its_key() {
        for template in Template::ALL {
            assert_eq!(template.key().parse::<Template>().unwrap(), *template);
        }
        assert!("no-such-template".parse::<Template>().is_err());
    }
}
