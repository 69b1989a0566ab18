//! Hard constraints, the score of a pair per criterion, and its explanation.

use std::fmt;

use crate::config::Config;
use crate::geo;
use crate::model::{
    Availability, Gender, InterestId, LanguageCode, MeetingPreference, Participant, Proficiency, Role,
    Strength,
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

/// Why a pair is never proposed: the hard constraint it violates.
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
    /// A hard same-gender wish is not met.
    GenderWish,
    /// A hard age-range wish is not met.
    AgeRangeWish,
    /// A hard family-match wish is not met.
    FamilyWish,
    /// Too few common free slots.
    NoCommonTime,
    /// The districts are farther apart than the chapter allows.
    TooFar,
    /// The resident has no free capacity, or the newcomer already has a buddy.
    NoCapacity,
    /// The pair was declined or ended before.
    Excluded,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RolesNotOpposite => "a pair is one newcomer and one established resident",
            Self::NotEligible => "not ready to be matched",
            Self::TooYoung => "younger than the minimum age",
            Self::ResidentNotFluentInSwedish => "the resident's Swedish is below C1",
            Self::NoCommonLanguage => "no language both can talk in",
            Self::GenderWish => "a wish for a buddy of the same gender is not met",
            Self::AgeRangeWish => "a wish about the buddy's age is not met",
            Self::FamilyWish => "a wish for a family match is not met",
            Self::NoCommonTime => "no common free time",
            Self::TooFar => "too far apart",
            Self::NoCapacity => "no room for another buddy",
            Self::Excluded => "declined or ended before",
        })
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

/// A set of small integers as a bit set: two words inline, more on the heap.
#[derive(Debug, Clone)]
pub(crate) enum BitSet {
    Small([u64; 2]),
    Large(Box<[u64]>),
}

impl BitSet {
    fn from_indices(indices: impl Iterator<Item = usize>, words: usize) -> Self {
        let mut v = vec![0u64; words.max(2)];
        for i in indices {
            v[i / 64] |= 1 << (i % 64);
        }
        if v.len() == 2 {
            Self::Small([v[0], v[1]])
        } else {
            Self::Large(v.into_boxed_slice())
        }
    }

    fn words(&self) -> &[u64] {
        match self {
            Self::Small(w) => w,
            Self::Large(w) => w,
        }
    }

    /// The number of common elements.
    #[inline]
    pub fn common(&self, o: &Self) -> u32 {
        match (self, o) {
            (Self::Small(a), Self::Small(b)) => (a[0] & b[0]).count_ones() + (a[1] & b[1]).count_ones(),
            _ => self
                .words()
                .iter()
                .zip(o.words())
                .map(|(a, b)| (a & b).count_ones())
                .sum(),
        }
    }

    /// Whether there is a common element other than element 0.
    #[inline]
    fn common_beyond_first(&self, o: &Self) -> bool {
        self.words()
            .iter()
            .zip(o.words())
            .enumerate()
            .any(|(k, (a, b))| a & b & if k == 0 { !1 } else { !0 } != 0)
    }
}

/// Interns the languages and interests present, so that each participant's sets
/// become bit sets. Swedish is always element 0 of the languages.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dict {
    langs: Vec<LanguageCode>,
    interests: Vec<InterestId>,
}

impl Dict {
    pub fn new<'a>(people: impl Iterator<Item = &'a Participant>) -> Self {
        let mut langs = Vec::new();
        let mut interests = Vec::new();
        for p in people {
            langs.extend(p.languages.iter().map(|l| l.code));
            interests.extend(p.interests.iter().copied());
        }
        langs.retain(|l| !l.is_swedish());
        langs.sort_unstable();
        langs.dedup();
        interests.sort_unstable();
        interests.dedup();
        Self { langs, interests }
    }

    fn lang_index(&self, l: LanguageCode) -> Option<usize> {
        if l.is_swedish() {
            return Some(0);
        }
        self.langs.binary_search(&l).ok().map(|i| i + 1)
    }
}

/// What the pair checks and the score read of a participant, kept compact so that
/// scanning many candidates stays in cache.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub point: geo::Point,
    availability: u32,
    waiting_days: u32,
    age: u16,
    gender: Gender,
    has_children: bool,
    meeting: MeetingPreference,
    swedish_rank: u8,
    wishes: crate::model::Wishes,
    /// Languages usable in conversation (Conversational and above; Swedish, element
    /// 0, when the newcomer has some Swedish or the resident is fluent).
    talk: BitSet,
    interests: BitSet,
}

impl Prepared {
    pub fn new(p: &Participant, dict: &Dict) -> Self {
        let swedish_usable = match p.role {
            Role::Newcomer => p.swedish.rank() >= 1,
            Role::Resident => p.swedish.is_fluent(),
        };
        let talk = p
            .languages
            .iter()
            .filter(|l| l.level >= Proficiency::Conversational && !l.code.is_swedish())
            .filter_map(|l| dict.lang_index(l.code))
            .chain(swedish_usable.then_some(0));
        let interests = p
            .interests
            .iter()
            .filter_map(|i| dict.interests.binary_search(i).ok());
        Self {
            point: geo::Point::new(p.location),
            availability: p.availability.0,
            waiting_days: p.waiting_days,
            age: p.age,
            gender: p.gender,
            has_children: p.has_children,
            meeting: p.meeting,
            swedish_rank: p.swedish.rank(),
            wishes: p.wishes,
            talk: BitSet::from_indices(talk, (dict.langs.len() + 1).div_ceil(64)),
            interests: BitSet::from_indices(interests, dict.interests.len().div_ceil(64)),
        }
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

/// The points of each criterion, in [`Criterion`] declaration order.
pub(crate) type Points = [i64; 8];

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

/// Checks the pair constraints (not the per-person ones, nor exclusions) and computes
/// the points. `distance_m` is the great-circle distance in metres.
#[inline]
pub(crate) fn evaluate_pair(
    n: &Prepared,
    r: &Prepared,
    distance_m: u32,
    cfg: &Config,
) -> Result<Points, Violation> {
    let rules = &cfg.rules;
    let w = &cfg.weights;
    if (n.availability & r.availability & Availability::ALWAYS.0).count_ones() < rules.min_common_slots {
        return Err(Violation::NoCommonTime);
    }
    let mut soft_total = 0i64;
    let mut soft_met = 0i64;
    for (me, other) in [(n, r), (r, n)] {
        if let Some(s) = me.wishes.same_gender {
            let ok = gender_ok(me.gender, other.gender);
            match s {
                Strength::Hard if !ok => return Err(Violation::GenderWish),
                Strength::Hard => {}
                Strength::Soft => {
                    soft_total += 1;
                    soft_met += i64::from(ok);
                }
            }
        }
        if let Some((range, s)) = me.wishes.age_range {
            let ok = range.contains(other.age);
            match s {
                Strength::Hard if !ok => return Err(Violation::AgeRangeWish),
                Strength::Hard => {}
                Strength::Soft => {
                    soft_total += 1;
                    soft_met += i64::from(ok);
                }
            }
        }
        if let Some(s) = me.wishes.family_match {
            let ok = me.has_children && other.has_children;
            match s {
                Strength::Hard if !ok => return Err(Violation::FamilyWish),
                Strength::Hard => {}
                Strength::Soft => {
                    soft_total += 1;
                    soft_met += i64::from(ok);
                }
            }
        }
    }
    if n.talk.common(&r.talk) == 0 {
        return Err(Violation::NoCommonLanguage);
    }

    let mut pts: Points = [0; 8];
    let full_i = i64::from(rules.interests_for_full_score.max(1));
    let n_shared = i64::from(n.interests.common(&r.interests));
    pts[Criterion::SharedInterests as usize] = i64::from(w.shared_interests) * n_shared.min(full_i) / full_i;

    let max_m = geo::km_to_m(rules.max_distance_km).max(1);
    let d = i64::from(distance_m).min(max_m);
    pts[Criterion::Distance as usize] = i64::from(w.distance) * (max_m - d) / max_m;

    let span = i64::from(rules.age_gap_for_zero.max(1));
    let gap = (i64::from(n.age) - i64::from(r.age)).abs().min(span);
    pts[Criterion::AgeCloseness as usize] = i64::from(w.age_closeness) * (span - gap) / span;

    pts[Criterion::SoftWishes as usize] = if soft_total == 0 {
        i64::from(w.soft_wishes)
    } else {
        i64::from(w.soft_wishes) * soft_met / soft_total
    };

    let rank = i64::from(n.swedish_rank);
    let bridge = n.talk.common_beyond_first(&r.talk);
    pts[Criterion::SwedishFit as usize] = if rank >= 3 || bridge {
        i64::from(w.swedish_fit)
    } else {
        i64::from(w.swedish_fit) * rank / 3
    };

    pts[Criterion::Family as usize] = if n.has_children && r.has_children {
        i64::from(w.family)
    } else {
        0
    };
    pts[Criterion::Meeting as usize] = if meeting_ok(n.meeting, r.meeting) {
        i64::from(w.meeting)
    } else {
        0
    };

    let cap = i64::from(rules.waiting_days_for_full.max(1));
    let waited = i64::from(n.waiting_days).min(cap) + i64::from(r.waiting_days).min(cap);
    pts[Criterion::Waiting as usize] = i64::from(w.waiting) * waited / (2 * cap);
    Ok(pts)
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
        Criterion::Distance => format!("{:.1} km apart", f64::from(distance_m) / 1000.0),
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
            (true, true) => "both have children".to_owned(),
            (true, false) => "only the newcomer has children".to_owned(),
            (false, true) => "only the resident has children".to_owned(),
            (false, false) => "neither has children".to_owned(),
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
            points: pts[c as usize],
            max_points: max(c),
            reason: reason(c, n, r, distance_m, cfg),
        })
        .collect();
    Explanation {
        total: pts.iter().sum(),
        common_languages: shared(&talk_list(n), &talk_list(r)).collect(),
        contributions,
    }
}
