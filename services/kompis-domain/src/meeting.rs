//! How a person wants to meet their buddy.

use crate::macros::text_enum;

text_enum! {
    /// How a person wants to meet their buddy.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_domain::MeetingPreference::{Both, InPerson, Online};
    /// use kompis_domain::MeetingPreference;
    ///
    /// assert!(MeetingPreference::compatible(InPerson, Both));
    /// assert!(!MeetingPreference::compatible(InPerson, Online));
    /// ```
    pub enum MeetingPreference: "meeting preference" {
        /// Face to face only.
        InPerson => "in_person",
        /// Video or phone only.
        Online => "online",
        /// Either way.
        Both => "both",
    }
}

impl MeetingPreference {
    /// Whether two people can agree on a way to meet: the same preference, or either of
    /// them is happy with both. Symmetric.
    pub fn compatible(a: MeetingPreference, b: MeetingPreference) -> bool {
        a == b || a == MeetingPreference::Both || b == MeetingPreference::Both
    }
}

#[cfg(test)]
mod tests {
    use super::MeetingPreference::{self, *};

    #[test]
    fn compatibility_is_symmetric_and_matches_the_rule() {
        for &a in MeetingPreference::ALL {
            for &b in MeetingPreference::ALL {
                assert_eq!(
                    MeetingPreference::compatible(a, b),
                    MeetingPreference::compatible(b, a)
                );
            }
            assert!(MeetingPreference::compatible(a, a));
            assert!(MeetingPreference::compatible(a, Both));
        }
        assert!(!MeetingPreference::compatible(InPerson, Online));
    }
}
