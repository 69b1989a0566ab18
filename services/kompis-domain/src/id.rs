//! Ids of the records the service creates.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::FieldError;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        ///
        /// The service mints these as UUID version 7 (time-ordered, so indexes stay
        /// compact); the domain has no clock or randomness, so it only wraps and parses
        /// them. Parsing accepts any UUID but the nil UUID: an id a client sends back is
        /// checked by looking it up.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID (for example a freshly minted `Uuid::now_v7()`).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// Parses a UUID in any of its usual text forms (hyphenated, simple, braced, URN).
            pub fn parse(s: &str) -> Result<Self, FieldError> {
                let uuid = Uuid::try_parse(s).map_err(|_| {
                    FieldError::new(concat!("must be a ", $what, " id in UUID form"))
                })?;
                if uuid.is_nil() {
                    return Err(FieldError::new(concat!("must be a ", $what, " id, not the nil UUID")));
                }
                Ok(Self(uuid))
            }

            /// The UUID.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// Consumes the id and returns the UUID.
            pub const fn into_uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = FieldError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    };
}

uuid_id! {
    /// The id of a participant (a newcomer or an established resident).
    ParticipantId, "participant"
}

uuid_id! {
    /// The id of a referral from a referring organisation.
    ReferralId, "referral"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_hyphenated_form() {
        let text = "01936d6f-8a2b-7c3d-9e4f-0a1b2c3d4e5f";
        let id = ParticipantId::parse(text).unwrap();
        assert_eq!(id.to_string(), text);
        assert_eq!(id.as_uuid().get_version_num(), 7);
    }

    #[test]
    fn refuses_garbage_and_the_nil_uuid() {
        for bad in [
            "",
            "alby",
            "00000000-0000-0000-0000-000000000000",
            "01936d6f-8a2b",
        ] {
            assert!(ReferralId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
