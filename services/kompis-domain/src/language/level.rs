//! How well someone speaks a language: CEFR levels, and SFI courses for Swedish learners.

use std::fmt;
use std::str::FromStr;

use crate::FieldError;
use crate::macros::text_enum;

text_enum! {
    /// A level on the Common European Framework of Reference for Languages (CEFR), plus
    /// `Native` for a first language. Ordered from beginner to native.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_domain::LanguageLevel;
    ///
    /// let b1: LanguageLevel = "b1".parse()?;
    /// assert!(b1 > LanguageLevel::A2);
    /// assert!(LanguageLevel::Native > LanguageLevel::C2);
    /// assert!(LanguageLevel::C1.is_fluent() && !b1.is_fluent());
    /// # Ok::<(), kompis_domain::FieldError>(())
    /// ```
    #[derive(PartialOrd, Ord)]
    pub enum LanguageLevel: "language level" {
        /// Breakthrough: basic phrases.
        A1 => "a1",
        /// Waystage: everyday expressions.
        A2 => "a2",
        /// Threshold: main points of familiar matters.
        B1 => "b1",
        /// Vantage: fluent conversation with native speakers without strain.
        B2 => "b2",
        /// Effective operational proficiency.
        C1 => "c1",
        /// Mastery.
        C2 => "c2",
        /// A first language.
        Native => "native",
    }
}

impl LanguageLevel {
    /// Whether the level is C1 or above (C1, C2 or native).
    pub fn is_fluent(self) -> bool {
        self >= LanguageLevel::C1
    }
}

text_enum! {
    /// A course of SFI (svenska för invandrare), the municipal Swedish tuition for adult
    /// immigrants. Courses A to D follow one another; study paths 1 to 3 decide where a
    /// learner starts, not what the courses mean.
    #[derive(PartialOrd, Ord)]
    pub enum SfiCourse: "SFI course" {
        /// Course A.
        A => "a",
        /// Course B.
        B => "b",
        /// Course C.
        C => "c",
        /// Course D, the last.
        D => "d",
    }
}

impl SfiCourse {
    /// The CEFR level a learner in this course is taken to have; see
    /// [`SwedishLevel::approximate_cefr`].
    pub fn approximate_cefr(self) -> LanguageLevel {
        match self {
            SfiCourse::A => LanguageLevel::A1,
            SfiCourse::B => LanguageLevel::A2,
            SfiCourse::C => LanguageLevel::B1,
            SfiCourse::D => LanguageLevel::B2,
        }
    }
}

/// Someone's Swedish: the SFI course they study, or a CEFR level.
///
/// Stored as one text value: `sfi_a` to `sfi_d` for courses, the [`LanguageLevel`] strings
/// (`a1` to `c2`, `native`) otherwise.
///
/// # Examples
///
/// ```
/// use kompis_domain::{LanguageLevel, SfiCourse, SwedishLevel};
///
/// let level: SwedishLevel = "sfi_c".parse()?;
/// assert_eq!(level, SwedishLevel::Sfi(SfiCourse::C));
/// assert_eq!(level.approximate_cefr(), LanguageLevel::B1);
/// assert!(!level.is_fluent());
/// assert!(SwedishLevel::Cefr(LanguageLevel::Native).is_fluent());
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SwedishLevel {
    /// Studying the given SFI course.
    Sfi(SfiCourse),
    /// A CEFR level (or native).
    Cefr(LanguageLevel),
}

impl SwedishLevel {
    /// An approximate CEFR level, for comparing learners with other speakers.
    ///
    /// SFI A ≈ A1, B ≈ A2, C ≈ B1, D ≈ B2. Skolverket's course descriptions relate the
    /// courses to CEFR only roughly, and place the end of course D at about B1/B2; this
    /// crate takes the upper end of each course's range, since a learner in a course is
    /// working towards its end. The choice never makes an SFI learner fluent: course D
    /// maps to B2, below C1.
    pub fn approximate_cefr(self) -> LanguageLevel {
        match self {
            SwedishLevel::Sfi(course) => course.approximate_cefr(),
            SwedishLevel::Cefr(level) => level,
        }
    }

    /// Whether the approximate level is C1 or above.
    pub fn is_fluent(self) -> bool {
        self.approximate_cefr().is_fluent()
    }

    /// The stored string: `sfi_a` to `sfi_d`, or a [`LanguageLevel`] string.
    pub fn as_str(self) -> &'static str {
        match self {
            SwedishLevel::Sfi(SfiCourse::A) => "sfi_a",
            SwedishLevel::Sfi(SfiCourse::B) => "sfi_b",
            SwedishLevel::Sfi(SfiCourse::C) => "sfi_c",
            SwedishLevel::Sfi(SfiCourse::D) => "sfi_d",
            SwedishLevel::Cefr(level) => level.as_str(),
        }
    }
}

impl fmt::Display for SwedishLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SwedishLevel {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(course) = s.strip_prefix("sfi_") {
            if let Ok(course) = course.parse() {
                return Ok(SwedishLevel::Sfi(course));
            }
        } else if let Ok(level) = s.parse() {
            return Ok(SwedishLevel::Cefr(level));
        }
        Err(FieldError::new(
            "is not a known Swedish level; expected sfi_a to sfi_d, a1 to c2 or native",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_from_beginner_to_native() {
        assert!(LanguageLevel::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(LanguageLevel::ALL.len(), 7);
    }

    #[test]
    fn only_c1_and_above_is_fluent() {
        let fluent: Vec<_> = LanguageLevel::ALL.iter().filter(|l| l.is_fluent()).collect();
        assert_eq!(
            fluent,
            [&LanguageLevel::C1, &LanguageLevel::C2, &LanguageLevel::Native]
        );
    }

    #[test]
    fn sfi_courses_map_to_rising_cefr_levels_below_fluent() {
        assert!(
            SfiCourse::ALL
                .windows(2)
                .all(|w| w[0].approximate_cefr() < w[1].approximate_cefr())
        );
        assert!(SfiCourse::ALL.iter().all(|c| !SwedishLevel::Sfi(*c).is_fluent()));
        assert_eq!(SfiCourse::A.approximate_cefr(), LanguageLevel::A1);
        assert_eq!(SfiCourse::D.approximate_cefr(), LanguageLevel::B2);
    }

    #[test]
    fn every_swedish_level_round_trips_through_its_string() {
        let all = SfiCourse::ALL
            .iter()
            .map(|c| SwedishLevel::Sfi(*c))
            .chain(LanguageLevel::ALL.iter().map(|l| SwedishLevel::Cefr(*l)));
        for level in all {
            assert_eq!(level.as_str().parse::<SwedishLevel>().unwrap(), level);
        }
    }

    #[test]
    fn rejects_unknown_swedish_levels() {
        for bad in ["", "sfi", "sfi_e", "sfi_", "a", "d", "B1", "sfi_b1", "c3"] {
            assert!(bad.parse::<SwedishLevel>().is_err(), "{bad:?}");
        }
    }
}
