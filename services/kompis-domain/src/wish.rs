//! Wishes a person has about their buddy.

use std::fmt;

use crate::FieldError;
use crate::macros::text_enum;

text_enum! {
    /// How much a wish weighs in matching.
    pub enum Strength: "wish strength" {
        /// Must hold: a proposal that breaks it is never made.
        Hard => "hard",
        /// Should hold: a proposal that breaks it scores lower.
        Soft => "soft",
    }
}

/// The range of buddy ages a person wishes for, in whole years: 18 to 110, min ≤ max.
///
/// # Examples
///
/// ```
/// use kompis_domain::AgeRange;
///
/// let range = AgeRange::new(25, 40)?;
/// assert!(range.contains(30) && !range.contains(41));
/// assert!(AgeRange::new(40, 25).is_err());
/// assert!(AgeRange::new(16, 30).is_err());
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgeRange {
    min: u8,
    max: u8,
}

impl AgeRange {
    /// Youngest age a range may start at: buddies are adults.
    pub const MIN_AGE: u8 = 18;
    /// Oldest age a range may end at.
    pub const MAX_AGE: u8 = 110;

    /// Validates a range of ages, both ends inclusive.
    pub fn new(min: u8, max: u8) -> Result<Self, FieldError> {
        let bounds = Self::MIN_AGE..=Self::MAX_AGE;
        if !bounds.contains(&min) || !bounds.contains(&max) {
            return Err(FieldError::new(format!(
                "ages must be between {} and {}",
                Self::MIN_AGE,
                Self::MAX_AGE
            )));
        }
        if min > max {
            return Err(FieldError::new("the lowest age must not be above the highest"));
        }
        Ok(Self { min, max })
    }

    /// The lowest age, inclusive.
    pub fn min(&self) -> u8 {
        self.min
    }

    /// The highest age, inclusive.
    pub fn max(&self) -> u8 {
        self.max
    }

    /// Whether `age` lies in the range.
    pub fn contains(&self, age: i32) -> bool {
        i32::from(self.min) <= age && age <= i32::from(self.max)
    }
}

impl fmt::Display for AgeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.min, self.max)
    }
}

/// What a person wishes for in a buddy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WishKind {
    /// A buddy of the same gender (for example a woman who wants a female buddy).
    SameGenderOnly,
    /// A buddy whose age is in the range.
    AgeRange(AgeRange),
    /// To be matched family with family: the person takes part with their family.
    FamilyMatch,
    /// A buddy who has children.
    HasChildren,
}

impl WishKind {
    /// The stored tag of the kind (`same_gender_only`, `age_range`, `family_match`,
    /// `has_children`); the age range itself is stored beside it.
    pub fn tag(&self) -> &'static str {
        match self {
            WishKind::SameGenderOnly => "same_gender_only",
            WishKind::AgeRange(_) => "age_range",
            WishKind::FamilyMatch => "family_match",
            WishKind::HasChildren => "has_children",
        }
    }
}

/// One wish and how much it weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Wish {
    /// What is wished for.
    pub kind: WishKind,
    /// Whether it must or should hold.
    pub strength: Strength,
}

impl Wish {
    /// A wish from its parts.
    pub fn new(kind: WishKind, strength: Strength) -> Self {
        Self { kind, strength }
    }
}

/// A person's wishes: at most one of each kind (so at most four), possibly none.
///
/// # Examples
///
/// ```
/// use kompis_domain::{AgeRange, Strength, Wish, WishKind, Wishes};
///
/// let wishes = Wishes::new(vec![
///     Wish::new(WishKind::SameGenderOnly, Strength::Hard),
///     Wish::new(WishKind::AgeRange(AgeRange::new(25, 45)?), Strength::Soft),
/// ])?;
/// assert_eq!(wishes.hard().count(), 1);
///
/// let twice = vec![
///     Wish::new(WishKind::AgeRange(AgeRange::new(20, 30)?), Strength::Soft),
///     Wish::new(WishKind::AgeRange(AgeRange::new(40, 50)?), Strength::Hard),
/// ];
/// assert!(Wishes::new(twice).is_err());
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Wishes(Vec<Wish>);

impl Wishes {
    /// Validates a list of wishes: no kind twice.
    pub fn new(wishes: Vec<Wish>) -> Result<Self, FieldError> {
        for (i, wish) in wishes.iter().enumerate() {
            if wishes[..i].iter().any(|w| w.kind.tag() == wish.kind.tag()) {
                return Err(FieldError::new(format!(
                    "has more than one wish of kind \"{}\"",
                    wish.kind.tag()
                )));
            }
        }
        Ok(Self(wishes))
    }

    /// No wishes.
    pub fn none() -> Self {
        Self::default()
    }

    /// The wishes, in the order given.
    pub fn as_slice(&self) -> &[Wish] {
        &self.0
    }

    /// Iterates over the wishes.
    pub fn iter(&self) -> std::slice::Iter<'_, Wish> {
        self.0.iter()
    }

    /// The wishes that must hold.
    pub fn hard(&self) -> impl Iterator<Item = &Wish> {
        self.0.iter().filter(|w| w.strength == Strength::Hard)
    }

    /// The wishes that should hold.
    pub fn soft(&self) -> impl Iterator<Item = &Wish> {
        self.0.iter().filter(|w| w.strength == Strength::Soft)
    }

    /// The age-range wish, if any, with its strength.
    pub fn age_range(&self) -> Option<(AgeRange, Strength)> {
        self.0.iter().find_map(|w| match w.kind {
            WishKind::AgeRange(range) => Some((range, w.strength)),
            _ => None,
        })
    }

    /// The strength of the wish with this tag (see [`WishKind::tag`]), if present.
    pub fn strength_of(&self, tag: &str) -> Option<Strength> {
        self.0.iter().find(|w| w.kind.tag() == tag).map(|w| w.strength)
    }

    /// Number of wishes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no wishes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Wishes {
    type Item = &'a Wish;
    type IntoIter = std::slice::Iter<'a, Wish>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_range_bounds_are_inclusive() {
        assert!(AgeRange::new(18, 110).is_ok());
        assert!(AgeRange::new(30, 30).is_ok());
        assert!(AgeRange::new(17, 30).is_err());
        assert!(AgeRange::new(30, 111).is_err());
        assert!(AgeRange::new(31, 30).is_err());
        let r = AgeRange::new(25, 40).unwrap();
        assert!(r.contains(25) && r.contains(40) && !r.contains(24) && !r.contains(-1));
        assert_eq!(r.to_string(), "25-40");
    }

    #[test]
    fn each_kind_may_appear_once() {
        let all = vec![
            Wish::new(WishKind::SameGenderOnly, Strength::Hard),
            Wish::new(WishKind::AgeRange(AgeRange::new(20, 60).unwrap()), Strength::Soft),
            Wish::new(WishKind::FamilyMatch, Strength::Soft),
            Wish::new(WishKind::HasChildren, Strength::Hard),
        ];
        let wishes = Wishes::new(all).unwrap();
        assert_eq!(wishes.len(), 4);
        assert_eq!(wishes.hard().count(), 2);
        assert_eq!(wishes.soft().count(), 2);
        assert_eq!(wishes.strength_of("has_children"), Some(Strength::Hard));
        assert_eq!(wishes.age_range().unwrap().0.min(), 20);

        let dup = vec![
            Wish::new(WishKind::FamilyMatch, Strength::Soft),
            Wish::new(WishKind::FamilyMatch, Strength::Hard),
        ];
        assert!(Wishes::new(dup).is_err());
        assert!(Wishes::new(vec![]).unwrap().is_empty());
    }
}
