//! Shared test fixtures.
#![allow(dead_code)]

pub mod flow;

use kompis_matching::*;

/// Alby, Botkyrka.
pub const ALBY: GeoPoint = GeoPoint {
    lat: 59.2390,
    lon: 17.8460,
};

pub fn lang(code: &str, level: Proficiency) -> Language {
    Language {
        code: LanguageCode::new(code).unwrap(),
        level,
    }
}

/// A newcomer in Alby with SFI C Swedish, no wishes, free at any time.
pub fn newcomer(id: u128) -> Participant {
    Participant {
        id: ParticipantId(id),
        role: Role::Newcomer,
        eligible: true,
        languages: vec![lang("ar", Proficiency::Native)],
        swedish: SwedishLevel::SfiC,
        gender: Gender::Woman,
        age: 30,
        has_children: false,
        wishes: Wishes::default(),
        availability: Availability::ALWAYS,
        meeting: MeetingPreference::Both,
        location: ALBY,
        interests: vec![],
        capacity: 1,
        active_matches: 0,
        waiting_days: 0,
    }
}

/// A resident in Alby, native Swedish speaker, room for one buddy.
pub fn resident(id: u128) -> Participant {
    Participant {
        role: Role::Resident,
        languages: vec![],
        swedish: SwedishLevel::Native,
        ..newcomer(id)
    }
}
