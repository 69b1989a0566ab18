//! Hard constraints, the score of a pair per criterion, and its explanation.

use std::fmt;

use crate::config::Config;
use crate::model::{
    Gender, InterestId, LanguageCode, MeetingPreference, Participant, ParticipantId, Proficiency, Role,
    Strength, WishKind,
};

/// A soft criterion of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Criterion {
    /// Shared interests.
    SharedInterests,
    /// Distance between the districts.
    Distance,
    /// Closeness in age.
    AgeCloseness,
    /// Soft wishes met.
    SoftWishes,
    /// Swedish-level fit.
    SwedishFit,
    /// Family situation.
    Family,
    /// Meeting preference.
    Meeting,
    /// Time waited.
    Waiting,
}

impl Criterion {
    /// All criteria, in the order of an explanation.
    pub const ALL: [Self; 8] = [
        Self::Waiting,
        Self::SharedInterests,
        Self::Distance,
        Self::SoftWishes,
        Self::SwedishFit,
        Self::AgeCloseness,
        Self::Family,
        Self::Meeting,
    ];

    /// A short English name.
    pub fn name(self) -> &'static str {
        match self {
            Self::SharedInterests => "shared interests",
            Self::Distance => "distance",
            Self::AgeCloseness => "age",
            Self::SoftWishes => "wishes",
            Self::SwedishFit => "Swedish level",
            Self::Family => "family situation",
            Self::Meeting => "meeting preference",
            Self::Waiting => "waiting time",
        }
    }
}

/// Why a pair is never proposed: the hard rule it breaks. A service refusing a
/// proposal names it (and may let a coordinator override it, recording why).
///
/// [`crate::evaluate`] checks the rules in this order and names the first broken:
/// roles; each person (eligible, age, room for a buddy, the resident's Swedish);
/// exclusions; distance; a common language; common free time; the newcomer's hard
/// wishes; the resident's hard wishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Violation {
    /// The first participant is not a newcomer or the second not a resident.
    RolesNotOpposite,
    /// One of them is not ready to be matched (or their district has no valid
    /// coordinates).
    NotEligible,
    /// One of them is younger than the chapter's minimum age.
    TooYoung,
    /// The resident does not speak Swedish at C1 or above.
    ResidentNotFluentInSwedish,
    /// They have no language both can talk in.
    NoCommonLanguage,
    /// A hard wish of one of them is not met.
    Wish {
        /// Whose wish: the newcomer's or the resident's.
        holder: Role,
        /// Which wish.
        wish: WishKind,
    },
    /// Too few common free slots.
    NoCommonTime,
    /// The districts are farther apart than the chapter allows, and the online waiver
    /// does not apply (one wants to meet online only and the other accepts online).
    TooFar,
    /// The resident has no free capacity, or the newcomer already has a buddy.
    NoCapacity,
    /// The pair was declined or ended before.
    Excluded,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::RolesNotOpposite => "a pair is one newcomer and one established resident",
            Self::NotEligible => "not ready to be matched",
            Self::TooYoung => "younger than the minimum age",
            Self::ResidentNotFluentInSwedish => "the resident's Swedish is below C1",
            Self::NoCommonLanguage => "no language both can talk in",
            Self::NoCommonTime => "no common free time",
            Self::TooFar => "too far apart",
            Self::NoCapacity => "no room for another buddy",
            Self::Excluded => "declined or ended before",
            Self::Wish { holder, wish } => {
                let who = match holder {
                    Role::Newcomer => "the newcomer's",
                    Role::Resident => "the resident's",
                };
                let what = match wish {
                    WishKind::SameGender => "a buddy of the same gender",
                    WishKind::AgeRange => "a buddy of a certain age",
                    WishKind::FamilyMatch => "a family match",
                    WishKind::BuddyHasChildren => "a buddy with children",
                };
                return write!(f, "{who} wish for {what} is not met");
            }
        };
        f.write_str(text)
    }
}

/// One criterion's part of a score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// The criterion.
    pub criterion: Criterion,
    /// Points given.
    pub points: i64,
    /// Points at full satisfaction (the chapter's weight).
    pub max_points: i64,
    /// Why, in words a coordinator understands ("3 shared interests: football, …").
    pub reason: String,
}

/// A pair's score broken down per criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The total: the sum of the contributions' points.
    pub total: i64,
    /// The languages both can talk in (the hard language constraint), sorted.
    pub common_languages: Vec<LanguageCode>,
    /// Each criterion's contribution, in [`Criterion::ALL`] order.
    pub contributions: Vec<Contribution>,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let langs: Vec<String> = self
            .common_languages
            .iter()
            .map(|l| language_name(l.as_str()))
            .collect();
        writeln!(f, "score {}; both speak {}", self.total, langs.join(" and "))?;
        for c in &self.contributions {
            writeln!(
                f,
                "  {:>4} / {:<4} {}: {}",
                c.points,
                c.max_points,
                c.criterion.name(),
                c.reason
            )?;
        }
        Ok(())
    }
}

/// Sorted, deduplicated languages a participant can talk in (for explanations).
fn talk_list(p: &Participant) -> Vec<LanguageCode> {
    let swedish_usable = match p.role {
        Role::Newcomer => p.swedish.rank() >= 1,
        Role::Resident => p.swedish.is_fluent(),
    };
    let mut v: Vec<LanguageCode> = p
        .languages
        .iter()
        .filter(|l| l.level >= Proficiency::Conversational && !l.code.is_swedish())
        .map(|l| l.code)
        .collect();
    if swedish_usable {
        v.push(LanguageCode::SWEDISH);
    }
    v.sort_unstable();
    v.dedup();
    v
}

fn sorted_interests(p: &Participant) -> Vec<InterestId> {
    let mut v = p.interests.clone();
    v.sort_unstable();
    v.dedup();
    v
}

/// Hard constraints that involve one person only (checked once per person).
pub(crate) fn check_person(p: &Participant, cfg: &Config) -> Result<(), Violation> {
    // A location that is not a real place cannot be measured against any other.
    if !p.eligible || !p.location.lat.is_finite() || !p.location.lon.is_finite() {
        return Err(Violation::NotEligible);
    }
    if p.age < cfg.rules.min_age {
        return Err(Violation::TooYoung);
    }
    if p.free_capacity() == 0 {
        return Err(Violation::NoCapacity);
    }
    if p.role == Role::Resident && !p.swedish.is_fluent() {
        return Err(Violation::ResidentNotFluentInSwedish);
    }
    Ok(())
}

fn gender_ok(a: Gender, b: Gender) -> bool {
    a == b && a != Gender::Unspecified
}

fn meeting_ok(a: MeetingPreference, b: MeetingPreference) -> bool {
    use MeetingPreference::{InPerson, Online};
    !matches!((a, b), (InPerson, Online) | (Online, InPerson))
}

fn shared<T: Ord + Copy>(a: &[T], b: &[T]) -> impl Iterator<Item = T> {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    return Some(a[i - 1]);
                }
            }
        }
        None
    })
}

/// Words for one criterion's contribution.
fn reason(c: Criterion, n: &Participant, r: &Participant, distance_m: u32, cfg: &Config) -> String {
    match c {
        Criterion::SharedInterests => {
            let names: Vec<String> = shared(&sorted_interests(n), &sorted_interests(r))
                .map(|i| cfg.interest_name(i))
                .collect();
            match names.len() {
                0 => "no shared interests".to_owned(),
                1 => format!("1 shared interest: {}", names[0]),
                k => format!("{k} shared interests: {}", names.join(", ")),
            }
        }
        Criterion::Distance => {
            let km = f64::from(distance_m) / 1000.0;
            if i64::from(distance_m) > crate::geo::km_to_m(cfg.rules.max_distance_km) {
                format!("{km:.1} km apart, beyond the limit: they meet online")
            } else {
                format!("{km:.1} km apart")
            }
        }
        Criterion::AgeCloseness => {
            let gap = n.age.abs_diff(r.age);
            if gap == 0 {
                "the same age".to_owned()
            } else {
                format!("{gap} years apart in age")
            }
        }
        Criterion::SoftWishes => {
            let mut met = Vec::new();
            let mut unmet = Vec::new();
            for (who, me, other) in [("the newcomer", n, r), ("the resident", r, n)] {
                if me.wishes.same_gender == Some(Strength::Soft) {
                    let list = if gender_ok(me.gender, other.gender) {
                        &mut met
                    } else {
                        &mut unmet
                    };
                    list.push(format!("{who}'s wish for the same gender"));
                }
                if let Some((range, Strength::Soft)) = me.wishes.age_range {
                    let list = if range.contains(other.age) {
                        &mut met
                    } else {
                        &mut unmet
                    };
                    list.push(format!("{who}'s wish for age {}-{}", range.min, range.max));
                }
                if me.wishes.family_match == Some(Strength::Soft) {
                    let ok = me.has_children && other.has_children;
                    let list = if ok { &mut met } else { &mut unmet };
                    list.push(format!("{who}'s wish for a family match"));
                }
                if me.wishes.buddy_has_children == Some(Strength::Soft) {
                    let list = if other.has_children { &mut met } else { &mut unmet };
                    list.push(format!("{who}'s wish for a buddy with children"));
                }
            }
            match (met.is_empty(), unmet.is_empty()) {
                (true, true) => "no soft wishes to meet".to_owned(),
                (false, true) => format!("meets {}", met.join(" and ")),
                (true, false) => format!("does not meet {}", unmet.join(" or ")),
                (false, false) => {
                    format!("meets {} but not {}", met.join(" and "), unmet.join(" or "))
                }
            }
        }
        Criterion::SwedishFit => {
            let bridge: Vec<LanguageCode> = shared(&talk_list(n), &talk_list(r))
                .filter(|l| !l.is_swedish())
                .collect();
            let level = n.swedish.to_string();
            if n.swedish.rank() >= 3 {
                format!("the newcomer's Swedish ({level}) is enough to talk in Swedish")
            } else if !bridge.is_empty() {
                format!(
                    "the newcomer's Swedish is {level}; both speak {}, to explain in",
                    language_list(&bridge)
                )
            } else {
                format!("the newcomer's Swedish is {level} and there is no other common language")
            }
        }
        Criterion::Family => match (n.has_children, r.has_children) {
            (true, true) => "both have children: the same family situation".to_owned(),
            (true, false) => "only the newcomer has children".to_owned(),
            (false, true) => "only the resident has children".to_owned(),
            (false, false) => "neither has children: the same family situation".to_owned(),
        },
        Criterion::Meeting => {
            if meeting_ok(n.meeting, r.meeting) {
                format!(
                    "meeting preferences fit ({} / {})",
                    meeting_name(n.meeting),
                    meeting_name(r.meeting)
                )
            } else {
                format!(
                    "meeting preferences differ ({} / {})",
                    meeting_name(n.meeting),
                    meeting_name(r.meeting)
                )
            }
        }
        Criterion::Waiting => format!(
            "the newcomer waited {} days, the resident {} days",
            n.waiting_days, r.waiting_days
        ),
    }
}

fn language_list(codes: &[LanguageCode]) -> String {
    codes
        .iter()
        .map(|c| language_name(c.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// English names of the languages most common in the programme; other codes as is.
pub(crate) fn language_name(code: &str) -> String {
    match code {
        "sv" | "swe" => "Swedish",
        "en" | "eng" => "English",
        "ar" | "ara" => "Arabic",
        "fa" | "fas" | "per" => "Persian",
        "prs" => "Dari",
        "ti" | "tir" => "Tigrinya",
        "so" | "som" => "Somali",
        "uk" | "ukr" => "Ukrainian",
        "ru" | "rus" => "Russian",
        "es" | "spa" => "Spanish",
        "fr" | "fra" | "fre" => "French",
        "de" | "deu" | "ger" => "German",
        "tr" | "tur" => "Turkish",
        "ku" | "kur" => "Kurdish",
        "ps" | "pus" => "Pashto",
        "am" | "amh" => "Amharic",
        "pl" | "pol" => "Polish",
        "bs" | "bos" => "Bosnian",
        other => return other.to_owned(),
    }
    .to_owned()
}

fn meeting_name(m: MeetingPreference) -> &'static str {
    match m {
        MeetingPreference::InPerson => "in person",
        MeetingPreference::Online => "online",
        MeetingPreference::Both => "in person or online",
    }
}

/// A proposed pair with its score and explanation, for a coordinator to decide on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The newcomer.
    pub newcomer: ParticipantId,
    /// The established resident.
    pub resident: ParticipantId,
    /// The score (the explanation's total).
    pub score: i64,
    /// The score per criterion, in words.
    pub explanation: Explanation,
}

/// The points of each criterion, in [`Criterion`] declaration order.
pub(crate) type Points = [i32; 8];

/// Builds the explanation of an admissible pair.
pub(crate) fn explain(
    n: &Participant,
    r: &Participant,
    distance_m: u32,
    pts: &Points,
    cfg: &Config,
) -> Explanation {
    let w = &cfg.weights;
    let max = |c: Criterion| -> i64 {
        i64::from(match c {
            Criterion::SharedInterests => w.shared_interests,
            Criterion::Distance => w.distance,
            Criterion::AgeCloseness => w.age_closeness,
            Criterion::SoftWishes => w.soft_wishes,
            Criterion::SwedishFit => w.swedish_fit,
            Criterion::Family => w.family,
            Criterion::Meeting => w.meeting,
            Criterion::Waiting => w.waiting,
        })
    };
    let contributions = Criterion::ALL
        .iter()
        .map(|&c| Contribution {
            criterion: c,
            points: i64::from(pts[c as usize]),
            max_points: max(c),
            reason: reason(c, n, r, distance_m, cfg),
        })
        .collect();
    Explanation {
        total: pts.iter().map(|&p| i64::from(p)).sum(),
        common_languages: shared(&talk_list(n), &talk_list(r)).collect(),
        contributions,
    }
}
