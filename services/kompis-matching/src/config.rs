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
    /// Family situation: full when both have children. Default 40.
    pub family: u32,
    /// Meeting preference: full when compatible (same, or either is "both"). Default 30.
    pub meeting: u32,
    /// Time waited by both people, capped at [`Rules::waiting_days_for_full`]; the
    /// newcomer's wait and the resident's count half each. Default 150.
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

/// Limits and hard rules of a chapter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// Largest distance between the two districts, km (great circle). Default 15.
    pub max_distance_km: f64,
    /// Youngest age of either participant. Default 18.
    pub min_age: u16,
    /// Fewest common free slots (weekday × part of day). Default 1.
    pub min_common_slots: u32,
    /// Shared interests that give the full interest points. Default 3.
    pub interests_for_full_score: u32,
    /// Age gap, years, at which age closeness gives nothing. Default 30.
    pub age_gap_for_zero: u16,
    /// Waiting days that give the full waiting points. Default 365.
    pub waiting_days_for_full: u32,
    /// A matching round keeps, for each newcomer, this many best candidates … Default 30.
    pub candidates_per_newcomer: usize,
    /// … and for each resident this many best candidates (the union of both lists is
    /// the candidate graph, so that no resident is left out because every newcomer
    /// near them had better options). Default 30.
    pub candidates_per_resident: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            max_distance_km: 15.0,
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
    pub(crate) fn interest_name(&self, id: InterestId) -> String {
        self.interest_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("interest #{id}"))
    }
}
