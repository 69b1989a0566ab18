//! Which side of the programme a participant is on, and how many buddies they take.

use std::fmt;

use crate::FieldError;
use crate::macros::text_enum;

text_enum! {
    /// Which side of the programme a participant is on.
    pub enum ParticipantRole: "participant role" {
        /// A person new in Sweden (nyanländ).
        Newcomer => "newcomer",
        /// A person established in Sweden (etablerad svensk).
        EstablishedResident => "established_resident",
    }
}

/// How many buddies a participant takes at once: always 1 for a newcomer, 1 to 5 for an
/// established resident. Residents are the scarce side, so one may take several
/// newcomers.
///
/// # Examples
///
/// ```
/// use kompis_domain::{Capacity, ParticipantRole};
///
/// assert_eq!(Capacity::new(ParticipantRole::EstablishedResident, 3)?.get(), 3);
/// assert!(Capacity::new(ParticipantRole::EstablishedResident, 6).is_err());
/// assert!(Capacity::new(ParticipantRole::Newcomer, 2).is_err());
/// assert_eq!(Capacity::for_role(ParticipantRole::Newcomer).get(), 1);
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Capacity(u8);

impl Capacity {
    /// Most buddies an established resident may take.
    pub const MAX_RESIDENT: u8 = 5;

    /// Validates a capacity for a participant in `role`.
    pub fn new(role: ParticipantRole, buddies: u32) -> Result<Self, FieldError> {
        match role {
            ParticipantRole::Newcomer if buddies == 1 => Ok(Self(1)),
            ParticipantRole::Newcomer => Err(FieldError::new("must be 1 for a newcomer, who has one buddy")),
            ParticipantRole::EstablishedResident => u8::try_from(buddies)
                .ok()
                .filter(|n| (1..=Self::MAX_RESIDENT).contains(n))
                .map(Self)
                .ok_or_else(|| {
                    FieldError::new(format!(
                        "must be between 1 and {} for an established resident",
                        Self::MAX_RESIDENT
                    ))
                }),
        }
    }

    /// The default capacity for `role`: one buddy.
    pub const fn for_role(_role: ParticipantRole) -> Self {
        Self(1)
    }

    /// The number of buddies.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residents_take_one_to_five() {
        for n in 1..=5 {
            assert_eq!(
                Capacity::new(ParticipantRole::EstablishedResident, n)
                    .unwrap()
                    .get(),
                n as u8
            );
        }
        for n in [0, 6, 256, u32::MAX] {
            assert!(Capacity::new(ParticipantRole::EstablishedResident, n).is_err());
        }
    }

    #[test]
    fn newcomers_always_take_one() {
        assert_eq!(Capacity::new(ParticipantRole::Newcomer, 1).unwrap().get(), 1);
        for n in [0, 2, 5] {
            assert!(Capacity::new(ParticipantRole::Newcomer, n).is_err());
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in ParticipantRole::ALL {
            assert_eq!(r.as_str().parse::<ParticipantRole>().unwrap(), *r);
        }
    }
}
