//! A chapter's weights and rules: data an administrator changes, with defaults.

use std::collections::BTreeMap;

use crate::model::InterestId;

/// Points each soft criterion gives a pair that satisfies it fully. A pair's score is
/// the sum over criteria; setting a weight to 0 switches a criterion off.
///
/// The defaults put fairness (waiting time) first, then what makes a pair work in
/// practice (nearby, shared interests), then the rest; a full score is 610 points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Weights {
    /// Shared interests; full at [`Rules::interests_for_full_score`] shared. Default 100.
    pub shared_interests: u32,
    /// Closeness; full at 0 km, none at [`Rules::max_distance_km`]. Default 100.
    pub distance: u32,
    /// Closeness in age; full at the same age, none at [`Rules::age_gap_for_zero`]
    /// years apart. Default 50.
    pub age_closeness: u32,
    /// Soft wishes (same gender, age range, family) of both people; the share met.
    /// Full when neither has a soft wish. Default 80.
    pub soft_wishes: u32,
    /// Swedish-level fit: full when the newcomer can already talk in Swedish (B1 or
    /// SFI D and above) or the pair shares another language to explain in; otherwise
    /// in proportion to the newcomer's Swedish. Default 60.
    pub swedish_fit: u32,
    /// Family situation: full when both are in the same situation, both with
    /// children living at home or both without (a parent learns most from a parent,
    /// and two people without children share their free time more easily). Wishes
    /// about the buddy's family are separate ([`crate::Wishes`]). Default 40.
    pub family: u32,
    /// Meeting preference: full when compatible (same, or either is "both"). Default 30.
    pub meeting: u32,
    /// Time waited by both people, capped at [`Rules::waiting_days_for_full`]; the
    /// newcomer's wait and the resident's count half each. Both count because both
    /// sides drop out when kept waiting, and established residents are the scarce
    /// side of the programme: a resident who waited long is matched first too.
    /// Default 150.
    pub waiting: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            shared_interests: 100,
            distance: 100,
            age_closeness: 50,
            soft_wishes: 80,
            swedish_fit: 60,
            family: 40,
            meeting: 30,
            waiting: 150,
        }
    }
}

/// Limits and hard rules of a chapter. Each field names its valid range;
/// [`Config::validate`] checks them all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// Largest distance between the two districts, km (great circle), 0.1 to 500.
    /// Waived when one wants to meet online only and the other accepts meeting online
    /// (see `online_beyond_distance`; the distance criterion then gives 0 beyond the
    /// limit). Default 15.
    pub max_distance_km: f64,
    /// Whether the distance limit is waived for a pair of whom one wants to meet online
    /// only and the other accepts meeting online (as Kompis Sverige ran digital pairs
    /// across the country). Default true.
    pub online_beyond_distance: bool,
    /// Youngest age of either participant, 0 to 120. Default 18.
    pub min_age: u16,
    /// Fewest common free slots (weekday × part of day), 0 to 21; 0 requires no common
    /// time. Default 1.
    pub min_common_slots: u32,
    /// Shared interests that give the full interest points, 1 to 20. Default 3.
    pub interests_for_full_score: u32,
    /// Age gap, years, at which age closeness gives nothing (the "age gap" of the
    /// settings), 1 to 100. Default 30.
    pub age_gap_for_zero: u16,
    /// Waiting days that give the full waiting points, 1 to 3,650. Default 365.
    pub waiting_days_for_full: u32,
    /// A matching round keeps, for each newcomer, this many best candidates … 1 to
    /// 1,000. Default 30. (The round is exact over every admissible pair whatever the
    /// value; it only trades the first solve's size against later additions.)
    pub candidates_per_newcomer: usize,
    /// … and for each resident this many best candidates (the union of both lists is
    /// the candidate graph, so that no resident is left out because every newcomer
    /// near them had better options), 1 to 1,000. Default 30.
    pub candidates_per_resident: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            max_distance_km: 15.0,
            online_beyond_distance: true,
            min_age: 18,
            min_common_slots: 1,
            interests_for_full_score: 3,
            age_gap_for_zero: 30,
            waiting_days_for_full: 365,
            candidates_per_newcomer: 30,
            candidates_per_resident: 30,
        }
    }
}

/// A setting outside its documented range, as found by [`Config::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRule {
    /// The field, as named in [`Weights`] or [`Rules`] (`"rules.max_distance_km"`).
    pub field: &'static str,
    /// The range it must lie in.
    pub expected: &'static str,
}

impl std::fmt::Display for InvalidRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} must be {}", self.field, self.expected)
    }
}

/// Everything a chapter configures: weights, rules and the names of interests used
/// in explanations.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// Points per criterion.
    pub weights: Weights,
    /// Limits and hard rules.
    pub rules: Rules,
    /// Names of interests for explanations ("football"); an interest without a name
    /// is shown as "interest #7".
    pub interest_names: BTreeMap<InterestId, String>,
}

impl Config {
    /// Every setting outside its documented range (each weight 0 to 1,000, not all
    /// 0; the rules' ranges on [`Rules`]), so that a service can name each bad field
    /// at once. The engine itself accepts any value (it clamps), but only these
    /// ranges are documented to behave as described. Cost: O(1).
    ///
    /// # Errors
    ///
    /// The settings out of range, in declaration order.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_matching::Config;
    /// let mut config = Config::default();
    /// assert!(config.validate().is_ok());
    /// config.rules.min_common_slots = 22;
    /// config.rules.waiting_days_for_full = 0;
    /// let bad: Vec<_> = config.validate().unwrap_err().iter().map(|e| e.field).collect();
    /// assert_eq!(bad, ["rules.min_common_slots", "rules.waiting_days_for_full"]);
    /// ```
    pub fn validate(&self) -> Result<(), Vec<InvalidRule>> {
        let w = &self.weights;
        let r = &self.rules;
        let weights = [
            ("weights.shared_interests", w.shared_interests),
            ("weights.distance", w.distance),
            ("weights.age_closeness", w.age_closeness),
            ("weights.soft_wishes", w.soft_wishes),
            ("weights.swedish_fit", w.swedish_fit),
            ("weights.family", w.family),
            ("weights.meeting", w.meeting),
            ("weights.waiting", w.waiting),
        ];
        let mut bad: Vec<InvalidRule> = weights
            .iter()
            .filter(|(_, v)| *v > 1_000)
            .map(|&(field, _)| InvalidRule {
                field,
                expected: "0 to 1,000",
            })
            .collect();
        if weights.iter().all(|(_, v)| *v == 0) {
            bad.push(InvalidRule {
                field: "weights",
                expected: "not all 0",
            });
        }
        let checks: [(&'static str, bool, &'static str); 8] = [
            (
                "rules.max_distance_km",
                (0.1..=500.0).contains(&r.max_distance_km),
                "0.1 to 500",
            ),
            ("rules.min_age", r.min_age <= 120, "0 to 120"),
            ("rules.min_common_slots", r.min_common_slots <= 21, "0 to 21"),
            (
                "rules.interests_for_full_score",
                (1..=20).contains(&r.interests_for_full_score),
                "1 to 20",
            ),
            (
                "rules.age_gap_for_zero",
                (1..=100).contains(&r.age_gap_for_zero),
                "1 to 100",
            ),
            (
                "rules.waiting_days_for_full",
                (1..=3_650).contains(&r.waiting_days_for_full),
                "1 to 3,650",
            ),
            (
                "rules.candidates_per_newcomer",
                (1..=1_000).contains(&r.candidates_per_newcomer),
                "1 to 1,000",
            ),
            (
                "rules.candidates_per_resident",
                (1..=1_000).contains(&r.candidates_per_resident),
                "1 to 1,000",
            ),
        ];
        bad.extend(
            checks
                .iter()
                .filter(|c| !c.1)
                .map(|&(field, _, expected)| InvalidRule { field, expected }),
        );
        if bad.is_empty() { Ok(()) } else { Err(bad) }
    }

    pub(crate) fn interest_name(&self, id: InterestId) -> String {
        self.interest_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("interest #{id}"))
    }
}
