//! An intake burst: an SFI school refers learners while a coordinator registers people
//! met at an intake evening, alternately. Every person is invented; each call carries a
//! fresh request id, so every call writes (no idempotent replays).

use futures::future::BoxFuture;
use kompis_proto::v1::participant_service_client::ParticipantServiceClient;
use kompis_proto::v1::referral_service_client::ReferralServiceClient;
use kompis_proto::v1::*;

use super::connection::{Connections, bearer};
use super::{CeilingKind, Scenario};
use crate::cli::Args;
use crate::token::Bearer;

/// CreateReferral on even numbers, CreateParticipant on odd ones.
#[derive(Debug)]
pub struct Intake {
    connections: Connections,
    referrer: Bearer,
    coordinator: Bearer,
    chapter: String,
    district: String,
    /// Varies phone numbers between runs, so that repeated runs do not all look like
    /// possible duplicates of the previous one.
    run: u64,
}

impl Intake {
    pub fn new(args: &Args, connections: Connections) -> anyhow::Result<Self> {
        Ok(Self {
            connections,
            referrer: bearer(args.referrer_token.as_ref(), "--referrer-token")?,
            coordinator: bearer(args.coordinator_token.as_ref(), "--coordinator-token")?,
            chapter: format!("chapters/{}", args.chapter),
            district: args.district.clone(),
            run: u64::from(uuid::Uuid::new_v4().as_fields().0),
        })
    }

    /// An invented Swedish mobile number, unique within a run of under ten million calls.
    fn phone(&self, n: u64) -> String {
        format!("+4670{:07}", (self.run + n) % 10_000_000)
    }
}

impl Scenario for Intake {
    fn name(&self) -> &'static str {
        "intake"
    }

    fn ceiling(&self) -> CeilingKind {
        CeilingKind::SingleRowInsert
    }

    fn call(&self, n: u64) -> BoxFuture<'static, Result<(), tonic::Status>> {
        let channel = self.connections.channel(n);
        if n.is_multiple_of(2) {
            let request = self.connections.request(
                &self.referrer,
                CreateReferralRequest {
                    parent: self.chapter.clone(),
                    referral: Some(learner(n, &self.phone(n), &self.district, &self.referrer.subject)),
                    request_id: uuid::Uuid::new_v4().to_string(),
                },
            );
            Box::pin(async move {
                ReferralServiceClient::new(channel)
                    .create_referral(request)
                    .await?;
                Ok(())
            })
        } else {
            let request = self.connections.request(
                &self.coordinator,
                CreateParticipantRequest {
                    parent: self.chapter.clone(),
                    participant: Some(newcomer(
                        n,
                        &self.phone(n),
                        &self.district,
                        &self.coordinator.subject,
                    )),
                    request_id: uuid::Uuid::new_v4().to_string(),
                },
            );
            Box::pin(async move {
                ParticipantServiceClient::new(channel)
                    .create_participant(request)
                    .await?;
                Ok(())
            })
        }
    }
}

/// Family names as an intake in Botkyrka meets them: varied, as real names are, so that
/// the name indexes hold many values per chapter rather than one.
const FAMILY_NAMES: [&str; 24] = [
    "Yusuf",
    "Haddad",
    "Mohammed",
    "Ali",
    "Hassan",
    "Ahmadi",
    "Karimi",
    "Hosseini",
    "Abdi",
    "Tesfaye",
    "Kovalenko",
    "Shevchenko",
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Yilmaz",
];

/// The family name of the `n`th person of a run.
fn family_name(n: u64) -> &'static str {
    FAMILY_NAMES[(n % FAMILY_NAMES.len() as u64) as usize]
}

/// Consent recorded by `account` a minute ago (never in the future of the server's clock).
fn consent(account: &str) -> Consent {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Consent {
        given_by: account.to_owned(),
        give_time: Some(prost_types::Timestamp {
            seconds: now - 60,
            nanos: 0,
        }),
        text_version: "2026-01".into(),
    }
}

fn swedish_course_b() -> Option<SwedishLevel> {
    Some(SwedishLevel {
        level: Some(swedish_level::Level::SfiCourse(SfiCourse::B as i32)),
    })
}

/// A learner as an SFI school refers them.
fn learner(n: u64, phone: &str, district: &str, referrer: &str) -> Referral {
    Referral {
        learner_name: Some(PersonName {
            given_name: format!("Amina {n}"),
            family_name: family_name(n).into(),
            display_name: String::new(),
        }),
        contact: Some(Contact {
            phone: phone.to_owned(),
            email: format!("learner{n}@exempel.se"),
        }),
        birth_year: 1990,
        gender: Gender::Female as i32,
        district: district.to_owned(),
        languages: vec![LanguageSkill {
            language_code: "prs".into(),
            level: LanguageLevel::Native as i32,
        }],
        swedish_level: swedish_course_b(),
        consent: Some(consent(referrer)),
        note: "Wants to practise speaking; free on weekday evenings.".into(),
        ..Default::default()
    }
}

/// A newcomer as a coordinator registers them.
fn newcomer(n: u64, phone: &str, district: &str, coordinator: &str) -> Participant {
    Participant {
        role: ParticipantRole::Newcomer as i32,
        person_name: Some(PersonName {
            given_name: format!("Samir {n}"),
            family_name: family_name(n + 7).into(),
            display_name: String::new(),
        }),
        contact: Some(Contact {
            phone: phone.to_owned(),
            email: String::new(),
        }),
        birth_year: 1988,
        gender: Gender::Male as i32,
        district: district.to_owned(),
        consent: Some(consent(coordinator)),
        profile: Some(MatchingProfile {
            languages: vec![LanguageSkill {
                language_code: "ar".into(),
                level: LanguageLevel::Native as i32,
            }],
            swedish_level: swedish_course_b(),
            ..Default::default()
        }),
        ..Default::default()
    }
}
