//! A chapter's matching settings as the API and the store know them, and their one
//! conversion into the engine's configuration.

use kompis_matching::{Config, Rules, Weights};

use crate::FieldError;

/// The youngest age at which a person takes part in a chapter's programme: 16 to 99,
/// 18 unless the chapter sets another.
///
/// The one source of truth for the rule: the intake interview's approval, the engine's
/// hard rule and the stored setting all take it from here (the database's CHECK on
/// `matching_weights.min_age` mirrors [`MinAge::RANGE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MinAge(u8);

impl MinAge {
    /// The allowed values.
    pub const RANGE: std::ops::RangeInclusive<i32> = 16..=99;
    /// The default: adults.
    pub const DEFAULT: MinAge = MinAge(18);

    /// Checks an age given in a request or read from storage.
    pub fn parse(age: i32) -> Result<Self, FieldError> {
        if Self::RANGE.contains(&age) {
            Ok(Self(age as u8))
        } else {
            Err(FieldError::new(format!(
                "must be between {} and {}",
                Self::RANGE.start(),
                Self::RANGE.end()
            )))
        }
    }

    /// The age in years.
    pub const fn get(self) -> i32 {
        self.0 as i32
    }
}

impl std::fmt::Display for MinAge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One criterion's weight as administrators set it: 0 to 100, 0 switching it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Weight(u8);

impl Weight {
    /// The largest weight.
    pub const MAX: i32 = 100;

    /// Checks a weight given in a request or read from storage.
    pub fn parse(value: i32) -> Result<Self, FieldError> {
        if (0..=Self::MAX).contains(&value) {
            Ok(Self(value as u8))
        } else {
            Err(FieldError::new(format!("must be between 0 and {}", Self::MAX)))
        }
    }

    /// The weight.
    pub const fn get(self) -> i32 {
        self.0 as i32
    }
}

/// The weights of the eight soft criteria, in the API's 0-100 scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CriterionWeights {
    /// Shared interests.
    pub shared_interests: Weight,
    /// Closeness between districts.
    pub distance: Weight,
    /// Closeness in age.
    pub age_closeness: Weight,
    /// Soft wishes met.
    pub soft_wishes: Weight,
    /// Fit between the newcomer's Swedish and the pair's languages.
    pub swedish_level_fit: Weight,
    /// Matching family situations.
    pub family_situation: Weight,
    /// Compatible meeting preferences.
    pub meeting_preference: Weight,
    /// Time waited.
    pub waiting_time: Weight,
}

impl CriterionWeights {
    /// Every weight with its field name, in the order of the API.
    pub fn named(&self) -> [(&'static str, Weight); 8] {
        [
            ("shared_interests", self.shared_interests),
            ("distance", self.distance),
            ("age_closeness", self.age_closeness),
            ("soft_wishes", self.soft_wishes),
            ("swedish_level_fit", self.swedish_level_fit),
            ("family_situation", self.family_situation),
            ("meeting_preference", self.meeting_preference),
            ("waiting_time", self.waiting_time),
        ]
    }
}

/// A chapter's matching settings: the weights and the rules administrators set.
///
/// The defaults are the engine's default weights scaled by 2/3 into the 0-100 range
/// (rounded), so their proportions, which are all that matters to the ranking, are the
/// engine's.
///
/// # Examples
///
/// ```
/// use kompis_domain::MatchingSettings;
///
/// let settings = MatchingSettings::default();
/// let config = settings.to_engine_config();
/// assert_eq!(config.rules.min_age, 18);
/// assert_eq!(config.weights.waiting, 100);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchingSettings {
    /// Points of the soft criteria.
    pub weights: CriterionWeights,
    /// Pairs farther apart than this (great circle between district centres) are never
    /// proposed; more than 0, at most [`MatchingSettings::MAX_DISTANCE_KM`].
    pub max_distance_km: f64,
    /// The youngest age of either participant.
    pub min_age: MinAge,
    /// How many candidates a suggestion lists by default, 1 to 50.
    pub top_k: u8,
}

impl MatchingSettings {
    /// The largest `max_distance_km`.
    pub const MAX_DISTANCE_KM: f64 = 500.0;
    /// The allowed values of `top_k`.
    pub const TOP_K_RANGE: std::ops::RangeInclusive<i32> = 1..=50;

    /// Checks a distance limit.
    pub fn parse_max_distance_km(km: f64) -> Result<f64, FieldError> {
        if km.is_finite() && km > 0.0 && km <= Self::MAX_DISTANCE_KM {
            Ok(km)
        } else {
            Err(FieldError::new(format!(
                "must be greater than 0 and at most {}",
                Self::MAX_DISTANCE_KM
            )))
        }
    }

    /// Checks a `top_k`.
    pub fn parse_top_k(top_k: i32) -> Result<u8, FieldError> {
        if Self::TOP_K_RANGE.contains(&top_k) {
            Ok(top_k as u8)
        } else {
            Err(FieldError::new(format!(
                "must be between {} and {}",
                Self::TOP_K_RANGE.start(),
                Self::TOP_K_RANGE.end()
            )))
        }
    }

    /// The engine's configuration for these settings: the one conversion.
    ///
    /// The API weights become the engine's points unchanged: the engine ranks by the sum
    /// of points, so only their proportions matter, and explanations then speak in the
    /// units administrators set. The rules the API does not set keep the engine's
    /// defaults.
    pub fn to_engine_config(&self) -> Config {
        let w = |weight: Weight| weight.get() as u32;
        Config {
            weights: Weights {
                shared_interests: w(self.weights.shared_interests),
                distance: w(self.weights.distance),
                age_closeness: w(self.weights.age_closeness),
                soft_wishes: w(self.weights.soft_wishes),
                swedish_fit: w(self.weights.swedish_level_fit),
                family: w(self.weights.family_situation),
                meeting: w(self.weights.meeting_preference),
                waiting: w(self.weights.waiting_time),
            },
            rules: Rules {
                max_distance_km: self.max_distance_km,
                min_age: self.min_age.get() as u16,
                ..Rules::default()
            },
            interest_names: Default::default(),
        }
    }
}

impl Default for MatchingSettings {
    fn default() -> Self {
        let engine = Weights::default();
        // Two thirds of the engine's default, rounded to the nearest whole point.
        let scaled = |points: u32| Weight(((points * 2 + 1) / 3).min(100) as u8);
        Self {
            weights: CriterionWeights {
                shared_interests: scaled(engine.shared_interests),
                distance: scaled(engine.distance),
                age_closeness: scaled(engine.age_closeness),
                soft_wishes: scaled(engine.soft_wishes),
                swedish_level_fit: scaled(engine.swedish_fit),
                family_situation: scaled(engine.family),
                meeting_preference: scaled(engine.meeting),
                waiting_time: scaled(engine.waiting),
            },
            max_distance_km: Rules::default().max_distance_km,
            min_age: MinAge::DEFAULT,
            top_k: 5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_two_thirds_of_the_engines_as_stored() {
        // The column defaults of matching_weights (migration 0001).
        let d = MatchingSettings::default();
        let stored = [67, 67, 33, 53, 40, 27, 20, 100];
        let got: Vec<i32> = d.weights.named().iter().map(|(_, w)| w.get()).collect();
        assert_eq!(got, stored);
        assert_eq!((d.max_distance_km, d.min_age.get(), d.top_k), (15.0, 18, 5));
    }

    #[test]
    fn the_conversion_keeps_weights_and_rules() {
        let mut s = MatchingSettings {
            min_age: MinAge::parse(21).unwrap(),
            max_distance_km: 4.5,
            ..Default::default()
        };
        s.weights.distance = Weight::parse(0).unwrap();
        let c = s.to_engine_config();
        assert_eq!(c.rules.min_age, 21);
        assert_eq!(c.rules.max_distance_km, 4.5);
        assert_eq!(c.weights.distance, 0);
        assert_eq!(c.weights.shared_interests, 67);
        assert_eq!(c.rules.min_common_slots, Rules::default().min_common_slots);
    }

    #[test]
    fn out_of_range_values_are_refused() {
        assert!(Weight::parse(101).is_err());
        assert!(Weight::parse(-1).is_err());
        assert!(MinAge::parse(15).is_err());
        assert!(MinAge::parse(100).is_err());
        assert!(MatchingSettings::parse_max_distance_km(0.0).is_err());
        assert!(MatchingSettings::parse_max_distance_km(f64::NAN).is_err());
        assert!(MatchingSettings::parse_max_distance_km(500.0).is_ok());
        assert!(MatchingSettings::parse_top_k(0).is_err());
        assert!(MatchingSettings::parse_top_k(50).is_ok());
    }
}
