//! Birth years, and ages derived from them.

use std::fmt;

use crate::FieldError;

/// The year a person was born. The programme records the year only, not the date: it is
/// enough for age rules and age-group reports, and it is less personal data.
///
/// Ages are computed by year alone ([`age_in`](Self::age_in)): the age the person reaches
/// during the given year. The domain has no clock; callers pass the reference year.
///
/// # Examples
///
/// ```
/// use kompis_domain::BirthYear;
///
/// let born = BirthYear::for_referral(1990, 2026)?;
/// assert_eq!(born.age_in(2026), 36);
/// assert!(born.is_adult_in(2026, BirthYear::DEFAULT_ADULT_AGE));
///
/// assert!(BirthYear::for_referral(2015, 2026).is_err()); // 11: too young
/// assert!(BirthYear::for_referral(1900, 2026).is_err()); // 126: implausible
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BirthYear(i32);

impl BirthYear {
    /// Youngest age at which a person can be referred to the programme.
    pub const MIN_REFERRAL_AGE: i32 = 16;
    /// Oldest plausible age.
    pub const MAX_AGE: i32 = 110;
    /// The age from which a person counts as an adult unless a chapter's rules say
    /// otherwise: [`MinAge::DEFAULT`](crate::MinAge::DEFAULT).
    pub const DEFAULT_ADULT_AGE: i32 = crate::MinAge::DEFAULT.get();

    /// Checks a birth year given for a referral or sign-up in `reference_year` (usually
    /// the current year): the person must turn between 16 and 110 that year.
    pub fn for_referral(year: i32, reference_year: i32) -> Result<Self, FieldError> {
        let age = i64::from(reference_year) - i64::from(year);
        if age < i64::from(Self::MIN_REFERRAL_AGE) || age > i64::from(Self::MAX_AGE) {
            return Err(FieldError::new(format!(
                "must be a birth year between {} and {}",
                i64::from(reference_year) - i64::from(Self::MAX_AGE),
                i64::from(reference_year) - i64::from(Self::MIN_REFERRAL_AGE)
            )));
        }
        Ok(Self(year))
    }

    /// A birth year read back from storage. It was checked when recorded; checking it
    /// again against today's year would make old records unreadable as time passes.
    pub const fn from_stored(year: i32) -> Self {
        Self(year)
    }

    /// The year.
    pub const fn year(self) -> i32 {
        self.0
    }

    /// The age the person reaches during `year` (negative before the birth year).
    pub fn age_in(self, year: i32) -> i32 {
        year.saturating_sub(self.0)
    }

    /// Whether the person reaches `min_age` during `year`. Use
    /// [`DEFAULT_ADULT_AGE`](Self::DEFAULT_ADULT_AGE) unless the chapter sets another age.
    pub fn is_adult_in(self, year: i32, min_age: i32) -> bool {
        self.age_in(year) >= min_age
    }
}

impl fmt::Display for BirthYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referral_ages_16_to_110_are_accepted() {
        assert!(BirthYear::for_referral(2010, 2026).is_ok()); // 16
        assert!(BirthYear::for_referral(1916, 2026).is_ok()); // 110
        assert!(BirthYear::for_referral(2011, 2026).is_err()); // 15
        assert!(BirthYear::for_referral(1915, 2026).is_err()); // 111
        assert!(BirthYear::for_referral(2030, 2026).is_err()); // not born yet
        assert!(BirthYear::for_referral(i32::MIN, i32::MAX).is_err()); // no overflow
    }

    #[test]
    fn the_error_names_the_accepted_range() {
        let err = BirthYear::for_referral(2020, 2026).unwrap_err();
        assert_eq!(err.description(), "must be a birth year between 1916 and 2010");
    }

    #[test]
    fn adulthood_follows_the_chapter_minimum() {
        let born = BirthYear::from_stored(2008);
        assert_eq!(born.age_in(2026), 18);
        assert!(born.is_adult_in(2026, BirthYear::DEFAULT_ADULT_AGE));
        assert!(!born.is_adult_in(2025, BirthYear::DEFAULT_ADULT_AGE));
        assert!(!born.is_adult_in(2026, 20));
        assert_eq!(born.age_in(2000), -8);
    }
}
