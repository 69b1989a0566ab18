//! Participants and interviews as a coordinator of the demo chapter would register and
//! record them, shared by the participant, interview, waiting-list and app tests. Every
//! person is invented.
#![allow(dead_code)]

use kompis_proto::v1::buddy_app_service_client::BuddyAppServiceClient;
use kompis_proto::v1::interview_service_client::InterviewServiceClient;
use kompis_proto::v1::participant_service_client::ParticipantServiceClient;
use kompis_proto::v1::*;
use prost_types::{FieldMask, Timestamp};

use crate::support::{Authed, TestApp, authed};

/// The demo chapter.
pub const CHAPTER: &str = "chapters/botkyrka";
/// The account id in the harness's coordinator token for the demo chapter, who records
/// consent when registering someone.
pub const COORDINATOR_ACCOUNT: &str = "coordinator-botkyrka";
/// Alby, a district of Botkyrka.
pub const ALBY: &str = "municipalities/botkyrka/districts/alby";
/// Tumba, a district of Botkyrka.
pub const TUMBA: &str = "municipalities/botkyrka/districts/tumba";
/// Rinkeby-Kista, a district of Stockholm, which the demo chapter does not cover.
pub const RINKEBY: &str = "municipalities/stockholm/districts/rinkeby-kista";

/// A participant client authenticated with `token`.
pub fn participants(app: &TestApp, token: &str) -> ParticipantServiceClient<Authed> {
    ParticipantServiceClient::new(authed(app.channel(), token))
}

/// An interview client authenticated with `token`.
pub fn interviews(app: &TestApp, token: &str) -> InterviewServiceClient<Authed> {
    InterviewServiceClient::new(authed(app.channel(), token))
}

/// An app client authenticated with `token`.
pub fn buddy_app(app: &TestApp, token: &str) -> BuddyAppServiceClient<Authed> {
    BuddyAppServiceClient::new(authed(app.channel(), token))
}

/// A fresh request id.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A field mask of `paths`.
pub fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

/// Now, as a protobuf timestamp.
pub fn now() -> Option<Timestamp> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    Some(Timestamp {
        seconds: now.as_secs() as i64,
        nanos: 0,
    })
}

/// A time `days` from now.
pub fn in_days(days: i64) -> Option<Timestamp> {
    now().map(|t| Timestamp {
        seconds: t.seconds + days * 86_400,
        nanos: 0,
    })
}

/// A language skill.
pub fn speaks(code: &str, level: LanguageLevel) -> LanguageSkill {
    LanguageSkill {
        language_code: code.into(),
        level: level as i32,
    }
}

/// Consent recorded by `account` just now.
pub fn consent(account: &str) -> Consent {
    Consent {
        given_by: account.into(),
        give_time: now(),
        text_version: "2026-01".into(),
    }
}

/// A newcomer living in Alby who speaks Arabic and attends SFI course B; `n` makes the
/// name and phone number unique.
pub fn newcomer(n: u32) -> Participant {
    Participant {
        role: ParticipantRole::Newcomer as i32,
        person_name: Some(PersonName {
            given_name: format!("Amina {n}"),
            family_name: "Yusuf".into(),
            display_name: String::new(),
        }),
        contact: Some(Contact {
            phone: format!("+4670100{n:04}"),
            email: format!("amina{n}@exempel.se"),
        }),
        birth_year: 1990,
        gender: Gender::Female as i32,
        district: ALBY.into(),
        consent: Some(consent(COORDINATOR_ACCOUNT)),
        profile: Some(MatchingProfile {
            languages: vec![speaks("ar", LanguageLevel::Native)],
            swedish_level: Some(SwedishLevel {
                level: Some(swedish_level::Level::SfiCourse(SfiCourse::B as i32)),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An established resident living in Alby who speaks Swedish natively and Arabic a
/// little; `n` makes the name and phone number unique.
pub fn resident(n: u32) -> Participant {
    Participant {
        role: ParticipantRole::EstablishedResident as i32,
        person_name: Some(PersonName {
            given_name: format!("Erik {n}"),
            family_name: "Lind".into(),
            display_name: String::new(),
        }),
        contact: Some(Contact {
            phone: format!("+4670200{n:04}"),
            email: String::new(),
        }),
        birth_year: 1975,
        gender: Gender::Male as i32,
        district: ALBY.into(),
        consent: Some(consent(COORDINATOR_ACCOUNT)),
        profile: Some(MatchingProfile {
            languages: vec![speaks("ar", LanguageLevel::A2)],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Registers `participant` in the demo chapter as the chapter's coordinator.
pub async fn register(app: &TestApp, participant: Participant) -> Participant {
    participants(app, &app.coordinator("botkyrka"))
        .create_participant(CreateParticipantRequest {
            parent: CHAPTER.into(),
            participant: Some(participant),
            request_id: request_id(),
        })
        .await
        .expect("the participant is registered")
        .into_inner()
        .participant
        .unwrap()
}

/// What an interview records for someone of `role` in `district` who speaks
/// `language`, complete enough to approve.
pub fn interview_profile(role: ParticipantRole, district: &str, language: &str) -> MatchingProfile {
    let newcomer = role == ParticipantRole::Newcomer;
    MatchingProfile {
        languages: vec![speaks(language, LanguageLevel::Native)],
        swedish_level: newcomer.then_some(SwedishLevel {
            level: Some(swedish_level::Level::SfiCourse(SfiCourse::B as i32)),
        }),
        interests: vec![
            "chapters/botkyrka/interests/fika".into(),
            "chapters/botkyrka/interests/football".into(),
        ],
        free_tags: vec!["chess".into()],
        district: district.into(),
        availability: vec![
            AvailabilitySlot {
                weekday: Weekday::Tuesday as i32,
                day_part: DayPart::Evening as i32,
            },
            AvailabilitySlot {
                weekday: Weekday::Saturday as i32,
                day_part: DayPart::Morning as i32,
            },
        ],
        meeting_preference: MeetingPreference::Both as i32,
        wishes: vec![
            Wish {
                kind: WishKind::SameGender as i32,
                strength: WishStrength::Hard as i32,
                age_range: None,
            },
            Wish {
                kind: WishKind::AgeRange as i32,
                strength: WishStrength::Soft as i32,
                age_range: Some(AgeRange {
                    min_age: 25,
                    max_age: 45,
                }),
            },
        ],
        buddy_capacity: if newcomer { 0 } else { 2 },
        has_children: false,
    }
}

/// Eligibility that holds.
pub fn eligible() -> Eligibility {
    Eligibility {
        meets_minimum_age: true,
        meets_chapter_rules: true,
        note: String::new(),
    }
}

/// Books an interview for the participant named `participant`, in person next week.
pub async fn book(app: &TestApp, participant: &str) -> Interview {
    interviews(app, &app.coordinator("botkyrka"))
        .book_interview(BookInterviewRequest {
            parent: participant.into(),
            interview: Some(Interview {
                schedule_time: in_days(7),
                mode: InterviewMode::InPerson as i32,
                location: "Alby library".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("the interview is booked")
        .into_inner()
        .interview
        .unwrap()
}

/// Records `interview` with `outcome` and `profile`.
pub async fn record(
    app: &TestApp,
    interview: &str,
    outcome: InterviewOutcome,
    profile: MatchingProfile,
) -> Interview {
    let reason = if outcome == InterviewOutcome::Approved {
        String::new()
    } else {
        "wants to think it over".into()
    };
    interviews(app, &app.coordinator("botkyrka"))
        .record_interview(RecordInterviewRequest {
            name: interview.into(),
            profile: Some(profile),
            eligibility: Some(eligible()),
            notes: "Met at the library; friendly and keen.".into(),
            outcome: outcome as i32,
            outcome_reason: reason,
        })
        .await
        .expect("the interview is recorded")
        .into_inner()
        .interview
        .unwrap()
}

/// Interviews and approves the participant named `participant` with a complete
/// profile in `district` speaking `language`; returns the participant, now READY.
pub async fn approve(
    app: &TestApp,
    participant: &Participant,
    district: &str,
    language: &str,
) -> Participant {
    let role = ParticipantRole::try_from(participant.role).unwrap();
    let interview = book(app, &participant.name).await;
    record(
        app,
        &interview.name,
        InterviewOutcome::Approved,
        interview_profile(role, district, language),
    )
    .await;
    get(app, &participant.name).await
}

/// Reads a participant as the demo chapter's coordinator.
pub async fn get(app: &TestApp, name: &str) -> Participant {
    participants(app, &app.coordinator("botkyrka"))
        .get_participant(GetParticipantRequest { name: name.into() })
        .await
        .expect("the participant is visible to its coordinator")
        .into_inner()
        .participant
        .unwrap()
}

/// The (from, to) states of the events of `subject` (exactly), oldest first, read from
/// the event log.
pub async fn event_states(app: &TestApp, subject: &str) -> Vec<(String, String)> {
    sqlx::query_as("SELECT from_state, to_state FROM events WHERE subject = $1 ORDER BY occur_time, id")
        .bind(subject)
        .fetch_all(app.pool())
        .await
        .unwrap()
}

/// The pair (from, to) as owned strings, for comparing with [`event_states`].
pub fn step(from: &str, to: &str) -> (String, String) {
    (from.to_owned(), to.to_owned())
}
