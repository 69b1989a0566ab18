//! When a person can meet: a weekly grid of weekdays and times of day.

use std::fmt;

use time::Weekday;

use crate::FieldError;
use crate::macros::text_enum;

text_enum! {
    /// A part of the day.
    #[derive(PartialOrd, Ord)]
    pub enum TimeOfDay: "time of day" {
        /// Before lunch.
        Morning => "morning",
        /// Lunch to dinner.
        Afternoon => "afternoon",
        /// After dinner.
        Evening => "evening",
    }
}

impl TimeOfDay {
    const fn index(self) -> u32 {
        match self {
            TimeOfDay::Morning => 0,
            TimeOfDay::Afternoon => 1,
            TimeOfDay::Evening => 2,
        }
    }
}

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// The times in a week a person can usually meet: 7 weekdays × 3 times of day, as a
/// 21-bit set. Bit `3 × d + t` is weekday `d` (Monday = 0) at time of day `t`
/// (morning = 0, afternoon = 1, evening = 2); [`bits`](Self::bits) is the stored form.
///
/// All operations are constant time.
///
/// # Examples
///
/// ```
/// use kompis_domain::{Availability, TimeOfDay};
/// use time::Weekday;
///
/// let newcomer = Availability::EMPTY
///     .with(Weekday::Tuesday, TimeOfDay::Evening)
///     .with(Weekday::Saturday, TimeOfDay::Morning);
/// let resident = Availability::EMPTY.with(Weekday::Saturday, TimeOfDay::Morning);
/// assert!(newcomer.overlaps(&resident));
/// assert_eq!(
///     newcomer.intersection(&resident).iter().collect::<Vec<_>>(),
///     [(Weekday::Saturday, TimeOfDay::Morning)]
/// );
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Availability(u32);

impl Availability {
    /// Available at no time.
    pub const EMPTY: Availability = Availability(0);
    /// Available at every time.
    pub const ALL: Availability = Availability(Self::MASK);
    const MASK: u32 = (1 << 21) - 1;

    /// Reads the stored bit set; bits above the 21st are refused.
    pub fn from_bits(bits: u32) -> Result<Self, FieldError> {
        if bits & !Self::MASK != 0 {
            return Err(FieldError::new(
                "has bits set beyond the 21 weekday and time-of-day slots",
            ));
        }
        Ok(Self(bits))
    }

    /// The stored bit set.
    pub const fn bits(self) -> u32 {
        self.0
    }

    const fn bit(day: Weekday, time: TimeOfDay) -> u32 {
        1 << (day.number_days_from_monday() as u32 * 3 + time.index())
    }

    /// This availability with one more slot.
    #[must_use]
    pub const fn with(self, day: Weekday, time: TimeOfDay) -> Self {
        Self(self.0 | Self::bit(day, time))
    }

    /// Adds a slot.
    pub fn set(&mut self, day: Weekday, time: TimeOfDay) {
        self.0 |= Self::bit(day, time);
    }

    /// Removes a slot.
    pub fn unset(&mut self, day: Weekday, time: TimeOfDay) {
        self.0 &= !Self::bit(day, time);
    }

    /// Whether the slot is included.
    pub const fn contains(self, day: Weekday, time: TimeOfDay) -> bool {
        self.0 & Self::bit(day, time) != 0
    }

    /// Whether no slot is included.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Number of slots included.
    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// Whether the two share at least one slot.
    pub const fn overlaps(&self, other: &Availability) -> bool {
        self.0 & other.0 != 0
    }

    /// The slots both include.
    #[must_use]
    pub const fn intersection(&self, other: &Availability) -> Availability {
        Availability(self.0 & other.0)
    }

    /// The slots either includes.
    #[must_use]
    pub const fn union(&self, other: &Availability) -> Availability {
        Availability(self.0 | other.0)
    }

    /// The included slots, Monday morning first.
    pub fn iter(self) -> impl Iterator<Item = (Weekday, TimeOfDay)> {
        WEEKDAYS
            .into_iter()
            .flat_map(|day| TimeOfDay::ALL.iter().map(move |time| (day, *time)))
            .filter(move |(day, time)| self.contains(*day, *time))
    }
}

impl FromIterator<(Weekday, TimeOfDay)> for Availability {
    fn from_iter<I: IntoIterator<Item = (Weekday, TimeOfDay)>>(iter: I) -> Self {
        iter.into_iter()
            .fold(Self::EMPTY, |acc, (day, time)| acc.with(day, time))
    }
}

impl fmt::Debug for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_has_its_own_bit() {
        let all: Vec<_> = Availability::ALL.iter().collect();
        assert_eq!(all.len(), 21);
        let mut seen = 0u32;
        for (day, time) in all {
            let one = Availability::EMPTY.with(day, time);
            assert_eq!(one.len(), 1);
            assert_eq!(seen & one.bits(), 0);
            seen |= one.bits();
        }
        assert_eq!(seen, Availability::ALL.bits());
        assert_eq!(
            Availability::EMPTY
                .with(Weekday::Monday, TimeOfDay::Morning)
                .bits(),
            1
        );
        assert_eq!(
            Availability::EMPTY
                .with(Weekday::Sunday, TimeOfDay::Evening)
                .bits(),
            1 << 20
        );
    }

    #[test]
    fn set_unset_and_contains_agree() {
        let mut a = Availability::EMPTY;
        assert!(a.is_empty());
        a.set(Weekday::Wednesday, TimeOfDay::Afternoon);
        assert!(a.contains(Weekday::Wednesday, TimeOfDay::Afternoon));
        assert!(!a.contains(Weekday::Wednesday, TimeOfDay::Evening));
        a.unset(Weekday::Wednesday, TimeOfDay::Afternoon);
        assert!(a.is_empty());
    }

    #[test]
    fn overlap_needs_a_shared_slot() {
        let evenings: Availability = [Weekday::Monday, Weekday::Friday]
            .into_iter()
            .map(|d| (d, TimeOfDay::Evening))
            .collect();
        let friday_morning = Availability::EMPTY.with(Weekday::Friday, TimeOfDay::Morning);
        assert!(!evenings.overlaps(&friday_morning));
        assert!(evenings.overlaps(&Availability::ALL));
        assert!(!Availability::EMPTY.overlaps(&Availability::ALL));
        assert_eq!(evenings.union(&friday_morning).len(), 3);
    }

    #[test]
    fn stored_bits_round_trip_and_stray_bits_are_refused() {
        let a = Availability::EMPTY.with(Weekday::Thursday, TimeOfDay::Evening);
        assert_eq!(Availability::from_bits(a.bits()).unwrap(), a);
        assert!(Availability::from_bits(1 << 21).is_err());
        assert!(Availability::from_bits(u32::MAX).is_err());
    }
}
