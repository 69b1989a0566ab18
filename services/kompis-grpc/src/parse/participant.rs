//! A participant as registration and updates parse it: the person, the district and the
//! matching profile, checked against the chapter's places and interests, and the merge
//! of a masked update into the current participant. Shared by coordinators' updates and
//! the participant's own.

use kompis_domain::{BirthYear, ParticipantRole, Slug, Violations};
use kompis_proto::v1 as pb;
use kompis_store::participants::{self, PersonalDetails, PlacesAndInterests, Profile};

use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::parse::person::{parse_contact, parse_gender, parse_person_name};
use crate::parse::profile::{
    Completeness, parse_district_name, parse_profile, record_district, record_interests,
};
use crate::views::participant::parse_role;

/// A parsed participant: what registration and updates share.
#[derive(Debug)]
pub struct ParsedParticipant {
    /// The role.
    pub role: Option<ParticipantRole>,
    /// Name, contact, birth year and gender.
    pub person: Option<PersonalDetails>,
    /// Municipality and district.
    pub district: Option<(Slug, Slug)>,
    /// The matching profile, its district the participant's.
    pub profile: Option<Profile>,
}

/// Parses the person, district and profile of `p` at `path`, recording every bad
/// field. `role` is the participant's role when already known (updates).
pub fn parse_participant(
    v: &mut Violations,
    path: &str,
    p: &pb::Participant,
    role: Option<ParticipantRole>,
    chapter: &str,
    completeness: Completeness,
    year: i32,
) -> ParsedParticipant {
    let role = role.or_else(|| v.check(format!("{path}.role"), parse_role(p.role)));
    let name = parse_person_name(v, &format!("{path}.person_name"), p.person_name.as_ref());
    let contact = parse_contact(v, &format!("{path}.contact"), p.contact.as_ref());
    let birth_year = v.check(
        format!("{path}.birth_year"),
        BirthYear::for_referral(p.birth_year, year),
    );
    let gender = v.check(format!("{path}.gender"), parse_gender(p.gender));
    let district = if p.district.is_empty() {
        v.add(format!("{path}.district"), "is required");
        None
    } else {
        v.check(format!("{path}.district"), parse_district_name(&p.district))
    };
    let empty = pb::MatchingProfile::default();
    let profile_in = p.profile.as_ref().unwrap_or(&empty);
    if !profile_in.district.is_empty() && profile_in.district != p.district {
        v.add(
            format!("{path}.profile.district"),
            "must be empty or equal to the participant's district",
        );
    }
    let profile = role.and_then(|role| {
        parse_profile(
            v,
            &format!("{path}.profile"),
            profile_in,
            role,
            chapter,
            completeness,
        )
    });
    let person = match (name, contact, birth_year, gender) {
        (Some(name), Some(contact), Some(birth_year), Some(gender)) => Some(PersonalDetails {
            given_name: name.given,
            family_name: name.family,
            display_name: name.display,
            contact,
            birth_year,
            gender,
        }),
        _ => None,
    };
    let profile = match (profile, &district) {
        (Some(mut profile), Some((m, d))) => {
            // The participant's district is the profile's district.
            profile.municipality_id = m.as_str().to_owned();
            profile.district_id = d.as_str().to_owned();
            Some(profile)
        }
        _ => None,
    };
    ParsedParticipant {
        role,
        person,
        district,
        profile,
    }
}

/// The database checks of a parsed participant: the district lies in the chapter, the
/// interests are in its taxonomy.
pub async fn check_places(
    db: &mut kompis_store::Tx,
    v: &mut Violations,
    path: &str,
    chapter: &str,
    parsed: &ParsedParticipant,
) -> ApiResult<()> {
    check_district_and_interests(
        db,
        v,
        path,
        chapter,
        parsed.district.as_ref(),
        parsed.profile.as_ref(),
    )
    .await
}

/// [`check_places`] for a district and profile taken out of a [`ParsedParticipant`]:
/// one statement for both checks, none when there is nothing to check.
pub async fn check_district_and_interests(
    db: &mut kompis_store::Tx,
    v: &mut Violations,
    path: &str,
    chapter: &str,
    district: Option<&(Slug, Slug)>,
    profile: Option<&Profile>,
) -> ApiResult<()> {
    if district.is_none() && profile.is_none_or(|p| p.interests.is_empty()) {
        return Ok(());
    }
    let found = places_of(db, chapter, district, profile).await.named(path)?;
    record_places(v, path, district, profile, &found);
    Ok(())
}

/// [`check_district_and_interests`] for a new participant, with the chapter itself in
/// the same statement: a chapter that does not exist is NOT_FOUND, named `parent`,
/// before any violation of the district or the interests (as reading the chapter apart
/// answered).
pub async fn check_chapter_district_and_interests(
    db: &mut kompis_store::Tx,
    v: &mut Violations,
    path: &str,
    chapter: &Slug,
    parent: &str,
    district: Option<&(Slug, Slug)>,
    profile: Option<&Profile>,
) -> ApiResult<()> {
    let found = places_of(db, chapter.as_str(), district, profile)
        .await
        .named(parent)?;
    if !found.chapter_exists {
        return Err(ApiError::NotFound(parent.to_owned()));
    }
    record_places(v, path, district, profile, &found);
    Ok(())
}

async fn places_of(
    db: &mut kompis_store::Tx,
    chapter: &str,
    district: Option<&(Slug, Slug)>,
    profile: Option<&Profile>,
) -> Result<PlacesAndInterests, kompis_store::StoreError> {
    participants::places_and_interests(
        &mut **db,
        chapter,
        district.map(|(m, d)| (m.as_str(), d.as_str())),
        profile.map_or(&[][..], |p| p.interests.as_slice()),
    )
    .await
}

/// The violations of what [`places_of`] found: the district first, then each interest.
fn record_places(
    v: &mut Violations,
    path: &str,
    district: Option<&(Slug, Slug)>,
    profile: Option<&Profile>,
    found: &PlacesAndInterests,
) {
    if district.is_some() {
        record_district(v, &format!("{path}.district"), found.district_in_chapter);
    }
    if let Some(profile) = profile {
        record_interests(v, &format!("{path}.profile"), profile, &found.known_interests);
    }
}

/// Merges the masked fields of `input` into `current` (both proto participants). The
/// district and the profile's district are one value: setting either sets both.
pub fn merge(current: &mut pb::Participant, input: &pb::Participant, paths: &[&str]) {
    let input_profile = input.profile.clone().unwrap_or_default();
    let profile = current.profile.get_or_insert_with(Default::default);
    for path in paths {
        match *path {
            "person_name" => current.person_name.clone_from(&input.person_name),
            "contact" => current.contact.clone_from(&input.contact),
            "birth_year" => current.birth_year = input.birth_year,
            "gender" => current.gender = input.gender,
            "district" => current.district.clone_from(&input.district),
            "profile" => {
                *profile = input_profile.clone();
                if !input_profile.district.is_empty() {
                    current.district.clone_from(&input_profile.district);
                }
            }
            "profile.languages" => profile.languages.clone_from(&input_profile.languages),
            "profile.swedish_level" => {
                profile.swedish_level.clone_from(&input_profile.swedish_level);
            }
            "profile.interests" => profile.interests.clone_from(&input_profile.interests),
            "profile.free_tags" => profile.free_tags.clone_from(&input_profile.free_tags),
            "profile.district" => current.district.clone_from(&input_profile.district),
            "profile.availability" => {
                profile.availability.clone_from(&input_profile.availability);
            }
            "profile.meeting_preference" => {
                profile.meeting_preference = input_profile.meeting_preference;
            }
            "profile.wishes" => profile.wishes.clone_from(&input_profile.wishes),
            "profile.buddy_capacity" => profile.buddy_capacity = input_profile.buddy_capacity,
            _ => profile.has_children = input_profile.has_children,
        }
    }
    profile.district.clone_from(&current.district);
}
