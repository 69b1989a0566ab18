//! Gender, as the person states it.

use crate::macros::text_enum;

text_enum! {
    /// A person's gender as they state it. Used for "same gender only" wishes and for
    /// reports on target groups; `Undisclosed` is always a valid answer.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_domain::Gender;
    ///
    /// assert_eq!("non_binary".parse::<Gender>()?, Gender::NonBinary);
    /// assert_eq!(Gender::Female.as_str(), "female");
    /// # Ok::<(), kompis_domain::FieldError>(())
    /// ```
    pub enum Gender: "gender" {
        /// Woman.
        Female => "female",
        /// Man.
        Male => "male",
        /// Non-binary.
        NonBinary => "non_binary",
        /// The person prefers not to say.
        Undisclosed => "undisclosed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gender_round_trips() {
        for g in Gender::ALL {
            assert_eq!(g.as_str().parse::<Gender>().unwrap(), *g);
        }
        assert!("woman".parse::<Gender>().is_err());
    }
}
