//! Conversions between `kompis.v1.MatchingProfile` and the stored
//! [`Profile`](kompis_store::participants::Profile), with the checks that need the
//! database (the district lies in the chapter, the interests are in its taxonomy).
//!
//! A profile is parsed in one of two modes: [`Completeness::Partial`] at registration
//! and in updates (what is given must be valid; nothing more is required), and
//! [`Completeness::Approved`] when an interview approves the participant (everything the
//! matching engine needs must be there).

use kompis_domain::{
    AgeRange, Availability, Capacity, FieldError, LanguageSkill, MeetingPreference, ParticipantRole, Slug,
    Strength, TimeOfDay, Violations, Weekday, Wish, WishKind, Wishes,
};
use kompis_proto::v1 as pb;
use kompis_store::Tx;
use kompis_store::participants::{self, Profile, StoredLanguage, StoredWish};

use crate::kit::errors::{ApiResult, StoreResultExt};
use crate::parse::person::{languages_pb, parse_languages, parse_swedish_level, swedish_level_pb};

/// How much of a profile is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// Only what is given is checked.
    Partial,
    /// An approving interview: languages, district, availability and meeting
    /// preference are required, and the Swedish level for newcomers.
    Approved,
}

/// Most interests from the taxonomy per person.
pub const MAX_INTERESTS: usize = 30;
/// Most free tags per person.
pub const MAX_FREE_TAGS: usize = 20;
/// Longest free tag, in characters.
pub const MAX_FREE_TAG_CHARS: usize = 50;

const WEEKDAYS: [(pb::Weekday, Weekday); 7] = [
    (pb::Weekday::Monday, Weekday::Monday),
    (pb::Weekday::Tuesday, Weekday::Tuesday),
    (pb::Weekday::Wednesday, Weekday::Wednesday),
    (pb::Weekday::Thursday, Weekday::Thursday),
    (pb::Weekday::Friday, Weekday::Friday),
    (pb::Weekday::Saturday, Weekday::Saturday),
    (pb::Weekday::Sunday, Weekday::Sunday),
];

const DAY_PARTS: [(pb::DayPart, TimeOfDay); 3] = [
    (pb::DayPart::Morning, TimeOfDay::Morning),
    (pb::DayPart::Afternoon, TimeOfDay::Afternoon),
    (pb::DayPart::Evening, TimeOfDay::Evening),
];

const MEETINGS: [(pb::MeetingPreference, MeetingPreference); 3] = [
    (pb::MeetingPreference::InPerson, MeetingPreference::InPerson),
    (pb::MeetingPreference::Online, MeetingPreference::Online),
    (pb::MeetingPreference::Both, MeetingPreference::Both),
];

const STRENGTHS: [(pb::WishStrength, Strength); 2] = [
    (pb::WishStrength::Hard, Strength::Hard),
    (pb::WishStrength::Soft, Strength::Soft),
];

/// Finds the domain value paired with a proto enum value.
fn lookup<P: Copy + Into<i32>, D: Copy>(table: &[(P, D)], value: i32) -> Option<D> {
    table.iter().find(|(p, _)| (*p).into() == value).map(|(_, d)| *d)
}

/// Finds the proto enum value paired with a domain value.
fn reverse<P: Copy + Into<i32>, D: Copy + PartialEq>(table: &[(P, D)], value: D) -> i32 {
    table
        .iter()
        .find(|(_, d)| *d == value)
        .map_or(0, |(p, _)| (*p).into())
}

/// A stored meeting preference as the API's enum value (0, unspecified, when none).
pub fn meeting_preference_pb(stored: Option<&str>) -> i32 {
    stored
        .and_then(|m| m.parse().ok())
        .map_or(0, |m| reverse(&MEETINGS, m))
}

/// Parses a district resource name `municipalities/{m}/districts/{d}`.
pub fn parse_district_name(name: &str) -> Result<(Slug, Slug), FieldError> {
    crate::kit::names::parse_two(name, "municipalities", "districts")
}

/// Checks that a parsed district exists and lies in one of the chapter's municipalities,
/// recording a violation at `path` otherwise.
pub async fn check_district(
    db: &mut Tx,
    v: &mut Violations,
    path: &str,
    chapter: &str,
    district: &(Slug, Slug),
) -> ApiResult<()> {
    let known =
        participants::district_in_chapter(&mut **db, chapter, district.0.as_str(), district.1.as_str())
            .await
            .named(path)?;
    record_district(v, path, known);
    Ok(())
}

/// Records the violation of a district the database did not find in the chapter.
pub fn record_district(v: &mut Violations, path: &str, known: bool) {
    if !known {
        v.add(path, "is not a district of a municipality this chapter covers");
    }
}

/// Checks that every interest id of `profile` is in the chapter's taxonomy; unknown ones
/// are recorded at `{path}.interests[i]`.
pub async fn check_interests(
    db: &mut Tx,
    v: &mut Violations,
    path: &str,
    chapter: &str,
    profile: &Profile,
) -> ApiResult<()> {
    if profile.interests.is_empty() {
        return Ok(());
    }
    let known = participants::known_interests(&mut **db, chapter, &profile.interests)
        .await
        .named(path)?;
    record_interests(v, path, profile, &known);
    Ok(())
}

/// Records a violation at `{path}.interests[i]` for each interest of `profile` not
/// among `known` (those the database found in the chapter's taxonomy).
pub fn record_interests(v: &mut Violations, path: &str, profile: &Profile, known: &[String]) {
    for (i, id) in profile.interests.iter().enumerate() {
        if !known.contains(id) {
            v.add(
                format!("{path}.interests[{i}]"),
                "is not an interest in this chapter's taxonomy",
            );
        }
    }
}

/// Parses a profile at `path` for a participant of `role` in `chapter`, checking what can
/// be checked without the database. The district is parsed from `profile.district` when
/// set (callers that keep it elsewhere fill it in afterwards). Returns `None` when any
/// field is bad (each is recorded in `v`).
pub fn parse_profile(
    v: &mut Violations,
    path: &str,
    profile: &pb::MatchingProfile,
    role: ParticipantRole,
    chapter: &str,
    completeness: Completeness,
) -> Option<Profile> {
    let approved = completeness == Completeness::Approved;
    let before = v.as_slice().len();

    let languages = if profile.languages.is_empty() && !approved {
        Vec::new()
    } else {
        parse_languages(v, &format!("{path}.languages"), &profile.languages)
            .map(|skills| skills.iter().map(stored_language).collect())
            .unwrap_or_default()
    };

    let swedish_level = match (&profile.swedish_level, role, approved) {
        (None, ParticipantRole::Newcomer, true) => {
            v.add(
                format!("{path}.swedish_level"),
                "is required for a newcomer at an approving interview",
            );
            None
        }
        (None, _, _) => None,
        (Some(level), _, _) => v
            .check(format!("{path}.swedish_level"), parse_swedish_level(Some(level)))
            .map(|l| l.as_str().to_owned()),
    };

    let interests = parse_interests(v, path, &profile.interests, chapter);
    let free_tags = parse_free_tags(v, path, &profile.free_tags);

    let (municipality_id, district_id) = if profile.district.is_empty() {
        if approved {
            v.add(format!("{path}.district"), "is required");
        }
        (String::new(), String::new())
    } else {
        v.check(format!("{path}.district"), parse_district_name(&profile.district))
            .map(|(m, d)| (m.into_string(), d.into_string()))
            .unwrap_or_default()
    };

    let availability = parse_availability(v, path, &profile.availability, approved);

    let meeting_preference = match lookup(&MEETINGS, profile.meeting_preference) {
        Some(m) => Some(m.as_str().to_owned()),
        None if profile.meeting_preference == 0 && !approved => None,
        None => {
            v.add(
                format!("{path}.meeting_preference"),
                "is required: IN_PERSON, ONLINE or BOTH",
            );
            None
        }
    };

    let wishes = parse_wishes(v, path, &profile.wishes);

    let buddy_capacity = match (role, profile.buddy_capacity) {
        (ParticipantRole::Newcomer, 0 | 1) => Some(1),
        (ParticipantRole::EstablishedResident, 0) if !approved => Some(1),
        (ParticipantRole::EstablishedResident, 0) => {
            v.add(
                format!("{path}.buddy_capacity"),
                "is required for an established resident: 1 to 5",
            );
            None
        }
        (_, n) => v
            .check(
                format!("{path}.buddy_capacity"),
                u32::try_from(n)
                    .map_err(|_| FieldError::new("must not be negative"))
                    .and_then(|n| Capacity::new(role, n)),
            )
            .map(|c| i32::from(c.get())),
    };

    if v.as_slice().len() > before {
        return None;
    }
    Some(Profile {
        languages,
        swedish_level,
        interests,
        free_tags,
        municipality_id,
        district_id,
        availability,
        meeting_preference,
        wishes,
        buddy_capacity: buddy_capacity.unwrap_or(1),
        has_children: profile.has_children,
    })
}

/// The stored form of a language: two letters where ISO 639-1 has a code, as the API
/// documents, else the three-letter code.
pub fn stored_language(skill: &LanguageSkill) -> StoredLanguage {
    StoredLanguage {
        code: skill.code.alpha2().unwrap_or(skill.code.alpha3()).to_owned(),
        level: skill.level.as_str().to_owned(),
    }
}

fn parse_interests(v: &mut Violations, path: &str, names: &[String], chapter: &str) -> Vec<String> {
    if names.len() > MAX_INTERESTS {
        v.add(
            format!("{path}.interests"),
            format!("must list at most {MAX_INTERESTS} interests"),
        );
        return Vec::new();
    }
    let mut ids: Vec<String> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let field = format!("{path}.interests[{i}]");
        match crate::kit::names::parse_two(name, "chapters", "interests") {
            Ok((c, id)) if c.as_str() == chapter => {
                if ids.iter().any(|known| known == id.as_str()) {
                    v.add(field, "lists the same interest twice");
                } else {
                    ids.push(id.into_string());
                }
            }
            Ok(_) => v.add(field, "must be an interest of the participant's chapter"),
            Err(e) => v.add(field, e.into_description()),
        }
    }
    ids
}

fn parse_free_tags(v: &mut Violations, path: &str, tags: &[String]) -> Vec<String> {
    if tags.len() > MAX_FREE_TAGS {
        v.add(
            format!("{path}.free_tags"),
            format!("must list at most {MAX_FREE_TAGS} tags"),
        );
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for (i, tag) in tags.iter().enumerate() {
        // Tags are compared case-insensitively, so they are kept lowercased.
        let tag = tag.trim().to_lowercase();
        let chars = tag.chars().count();
        if chars == 0 || chars > MAX_FREE_TAG_CHARS || tag.chars().any(char::is_control) {
            v.add(
                format!("{path}.free_tags[{i}]"),
                format!("must be 1 to {MAX_FREE_TAG_CHARS} characters without control characters"),
            );
        } else if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

fn parse_availability(v: &mut Violations, path: &str, slots: &[pb::AvailabilitySlot], approved: bool) -> i32 {
    let mut availability = Availability::EMPTY;
    for (i, slot) in slots.iter().enumerate() {
        let day = lookup(&WEEKDAYS, slot.weekday);
        let part = lookup(&DAY_PARTS, slot.day_part);
        if day.is_none() {
            v.add(format!("{path}.availability[{i}].weekday"), "is required");
        }
        if part.is_none() {
            v.add(format!("{path}.availability[{i}].day_part"), "is required");
        }
        if let (Some(day), Some(part)) = (day, part) {
            if availability.contains(day, part) {
                v.add(
                    format!("{path}.availability[{i}]"),
                    "repeats a slot listed before",
                );
            }
            availability.set(day, part);
        }
    }
    if approved && slots.is_empty() {
        v.add(
            format!("{path}.availability"),
            "is required: at least one weekday and time of day",
        );
    }
    // 21 bits always fit.
    i32::try_from(availability.bits()).unwrap_or_default()
}

fn parse_wishes(v: &mut Violations, path: &str, wishes: &[pb::Wish]) -> Vec<StoredWish> {
    let mut parsed = Vec::with_capacity(wishes.len());
    let mut all_valid = true;
    for (i, wish) in wishes.iter().enumerate() {
        let field = format!("{path}.wishes[{i}]");
        let strength = lookup(&STRENGTHS, wish.strength);
        if strength.is_none() {
            v.add(format!("{field}.strength"), "is required: HARD or SOFT");
        }
        let kind = match pb::WishKind::try_from(wish.kind) {
            Ok(pb::WishKind::AgeRange) => match &wish.age_range {
                None => {
                    v.add(format!("{field}.age_range"), "is required for an age-range wish");
                    None
                }
                Some(range) => v
                    .check(
                        format!("{field}.age_range"),
                        age(range.min_age)
                            .and_then(|min| age(range.max_age).map(|max| (min, max)))
                            .and_then(|(min, max)| AgeRange::new(min, max)),
                    )
                    .map(WishKind::AgeRange),
            },
            Ok(_) if wish.age_range.is_some() => {
                v.add(
                    format!("{field}.age_range"),
                    "must be unset unless the wish is an age range",
                );
                None
            }
            Ok(pb::WishKind::SameGender) => Some(WishKind::SameGenderOnly),
            Ok(pb::WishKind::FamilyMatch) => Some(WishKind::FamilyMatch),
            Ok(pb::WishKind::HasChildren) => Some(WishKind::HasChildren),
            Ok(pb::WishKind::Unspecified) | Err(_) => {
                v.add(format!("{field}.kind"), "is required: one of the WishKind values");
                None
            }
        };
        match (kind, strength) {
            (Some(kind), Some(strength)) => parsed.push(Wish::new(kind, strength)),
            _ => all_valid = false,
        }
    }
    if !all_valid {
        return Vec::new();
    }
    match v.check(format!("{path}.wishes"), Wishes::new(parsed)) {
        Some(wishes) => wishes.iter().map(stored_wish).collect(),
        None => Vec::new(),
    }
}

fn age(value: i32) -> Result<u8, FieldError> {
    u8::try_from(value).map_err(|_| FieldError::new("ages must be between 18 and 110"))
}

fn stored_wish(wish: &Wish) -> StoredWish {
    let (min_age, max_age) = match wish.kind {
        WishKind::AgeRange(range) => (Some(i32::from(range.min())), Some(i32::from(range.max()))),
        _ => (None, None),
    };
    StoredWish {
        kind: wish.kind.tag().to_owned(),
        strength: wish.strength.as_str().to_owned(),
        min_age,
        max_age,
    }
}

fn wish_pb(wish: &StoredWish) -> pb::Wish {
    let kind = match wish.kind.as_str() {
        "same_gender_only" => pb::WishKind::SameGender,
        "age_range" => pb::WishKind::AgeRange,
        "family_match" => pb::WishKind::FamilyMatch,
        "has_children" => pb::WishKind::HasChildren,
        _ => pb::WishKind::Unspecified,
    };
    pb::Wish {
        kind: kind as i32,
        strength: wish
            .strength
            .parse()
            .map_or(0, |s: Strength| reverse(&STRENGTHS, s)),
        age_range: match (wish.min_age, wish.max_age) {
            (Some(min_age), Some(max_age)) => Some(pb::AgeRange { min_age, max_age }),
            _ => None,
        },
    }
}

/// The proto form of a stored profile of a participant of `role` in `chapter`.
pub fn profile_pb(profile: &Profile, role: &str, chapter: &str) -> pb::MatchingProfile {
    let availability = Availability::from_bits(u32::try_from(profile.availability).unwrap_or(0))
        .unwrap_or(Availability::EMPTY)
        .iter()
        .map(|(day, part)| pb::AvailabilitySlot {
            weekday: reverse(&WEEKDAYS, day),
            day_part: reverse(&DAY_PARTS, part),
        })
        .collect();
    pb::MatchingProfile {
        languages: languages_pb(
            profile
                .languages
                .iter()
                .map(|l| (l.code.as_str(), l.level.as_str())),
        ),
        swedish_level: profile.swedish_level.as_deref().and_then(swedish_level_pb),
        interests: profile
            .interests
            .iter()
            .map(|id| format!("chapters/{chapter}/interests/{id}"))
            .collect(),
        free_tags: profile.free_tags.clone(),
        district: if profile.district_id.is_empty() {
            String::new()
        } else {
            crate::kit::names::district(&profile.municipality_id, &profile.district_id)
        },
        availability,
        meeting_preference: meeting_preference_pb(profile.meeting_preference.as_deref()),
        wishes: profile.wishes.iter().map(wish_pb).collect(),
        // The API documents zero for newcomers, who always have one buddy.
        buddy_capacity: if role == ParticipantRole::Newcomer.as_str() {
            0
        } else {
            profile.buddy_capacity
        },
        has_children: profile.has_children,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approved_newcomer() -> pb::MatchingProfile {
        pb::MatchingProfile {
            languages: vec![pb::LanguageSkill {
                language_code: "ara".into(),
                level: pb::LanguageLevel::Native as i32,
            }],
            swedish_level: Some(pb::SwedishLevel {
                level: Some(pb::swedish_level::Level::SfiCourse(pb::SfiCourse::B as i32)),
            }),
            interests: vec!["chapters/botkyrka/interests/fika".into()],
            free_tags: vec![" Chess ".into(), "chess".into()],
            district: "municipalities/botkyrka/districts/alby".into(),
            availability: vec![pb::AvailabilitySlot {
                weekday: pb::Weekday::Saturday as i32,
                day_part: pb::DayPart::Morning as i32,
            }],
            meeting_preference: pb::MeetingPreference::Both as i32,
            wishes: vec![pb::Wish {
                kind: pb::WishKind::AgeRange as i32,
                strength: pb::WishStrength::Soft as i32,
                age_range: Some(pb::AgeRange {
                    min_age: 25,
                    max_age: 40,
                }),
            }],
            buddy_capacity: 0,
            has_children: true,
        }
    }

    #[test]
    fn a_complete_profile_round_trips() {
        let mut v = Violations::new();
        let input = approved_newcomer();
        let parsed = parse_profile(
            &mut v,
            "profile",
            &input,
            ParticipantRole::Newcomer,
            "botkyrka",
            Completeness::Approved,
        )
        .unwrap();
        assert_eq!(parsed.languages[0].code, "ar", "two letters where they exist");
        assert_eq!(parsed.free_tags, ["chess"]);
        let back = profile_pb(&parsed, "newcomer", "botkyrka");
        assert_eq!(back.availability, input.availability);
        assert_eq!(back.wishes, input.wishes);
        assert_eq!(back.interests, input.interests);
        assert_eq!(back.district, input.district);
        assert_eq!(back.swedish_level, input.swedish_level);
    }

    #[test]
    fn an_approving_profile_names_every_missing_field() {
        let mut v = Violations::new();
        let parsed = parse_profile(
            &mut v,
            "profile",
            &pb::MatchingProfile::default(),
            ParticipantRole::EstablishedResident,
            "botkyrka",
            Completeness::Approved,
        );
        assert!(parsed.is_none());
        let fields: Vec<_> = v.as_slice().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "profile.languages",
                "profile.district",
                "profile.availability",
                "profile.meeting_preference",
                "profile.buddy_capacity"
            ]
        );
    }

    #[test]
    fn interests_of_another_chapter_and_bad_wishes_are_refused() {
        let mut input = approved_newcomer();
        input.interests = vec!["chapters/malmo/interests/fika".into()];
        input.wishes[0].age_range = None;
        let mut v = Violations::new();
        assert!(
            parse_profile(
                &mut v,
                "p",
                &input,
                ParticipantRole::Newcomer,
                "botkyrka",
                Completeness::Partial
            )
            .is_none()
        );
        let fields: Vec<_> = v.as_slice().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["p.interests[0]", "p.wishes[0].age_range"]);
    }
}
