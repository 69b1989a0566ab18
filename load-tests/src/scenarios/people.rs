//! Setup through the API, not timed: people approved at an intake interview, pairs
//! matched and accepted by both sides, and app tokens for them.
//!
//! Everything goes through the same RPCs a coordinator uses, so the rows are what the
//! service itself writes. The interview is booked a minute in the past (the service
//! accepts a few minutes of clock skew), so that it counts as held and can be recorded
//! at once, without waiting on the wall clock.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use futures::StreamExt as _;
use kompis_proto::v1::interview_service_client::InterviewServiceClient;
use kompis_proto::v1::matching_service_client::MatchingServiceClient;
use kompis_proto::v1::participant_service_client::ParticipantServiceClient;
use kompis_proto::v1::*;
use tonic::Code;

use super::connection::Connections;
use crate::token::Bearer;

/// Setup calls in flight.
const SETUP_CONCURRENCY: usize = 16;
/// Attempts of a setup call the server shed or timed out (same request id each time).
const ATTEMPTS: u32 = 30;

/// Makes a setup call, again after a pause when the server sheds load (UNAVAILABLE,
/// RESOURCE_EXHAUSTED) or it timed out: setup is not measured, it only has to finish.
/// Every retried call carries the same request id, so a retry never writes twice.
pub async fn retried<T, F, Fut>(what: &str, mut call: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let mut pause = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(response) => return Ok(response.into_inner()),
            Err(status)
                if attempt < ATTEMPTS
                    && matches!(
                        status.code(),
                        Code::Unavailable
                            | Code::ResourceExhausted
                            | Code::DeadlineExceeded
                            | Code::Cancelled
                    ) =>
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
                attempt += 1;
            }
            Err(status) => return Err(anyhow::Error::new(status).context(what.to_owned())),
        }
    }
}

/// Who sets people up, and where.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The connections to the server.
    pub connections: Connections,
    /// A coordinator of `chapter`.
    pub coordinator: Bearer,
    /// `chapters/{slug}`.
    pub chapter: String,
    /// District resource name of everyone set up.
    pub district: String,
    /// Varies phone numbers between runs against the same server.
    pub run: u64,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Setup {
    /// Registers `count` newcomers and `count` established residents (capacity one) and
    /// approves each at an interview with a profile that makes every newcomer and
    /// resident a possible pair: Arabic, fika and football, the same evenings, the same
    /// district. Returns (newcomers, residents) as resource names.
    pub async fn ready_people(&self, count: u64, series: u64) -> anyhow::Result<(Vec<String>, Vec<String>)> {
        let people: Vec<anyhow::Result<String>> = futures::stream::iter(0..2 * count)
            .map(|i| {
                let role = if i < count {
                    ParticipantRole::Newcomer
                } else {
                    ParticipantRole::EstablishedResident
                };
                self.ready(role, series * 1_000_000 + i)
            })
            .buffered(SETUP_CONCURRENCY)
            .collect()
            .await;
        let mut people = people.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
        let residents = people.split_off(count as usize);
        Ok((people, residents))
    }

    /// One person of `role`, registered and approved; number `n` makes them unique.
    async fn ready(&self, role: ParticipantRole, n: u64) -> anyhow::Result<String> {
        let c = &self.connections;
        let newcomer = role == ParticipantRole::Newcomer;
        let create = CreateParticipantRequest {
            parent: self.chapter.clone(),
            participant: Some(Participant {
                role: role as i32,
                person_name: Some(PersonName {
                    given_name: if newcomer {
                        format!("Amina {n}")
                    } else {
                        format!("Erik {n}")
                    },
                    family_name: "Load".into(),
                    display_name: String::new(),
                }),
                contact: Some(Contact {
                    phone: format!("+4676{:07}", (self.run + n) % 10_000_000),
                    email: String::new(),
                }),
                birth_year: if newcomer { 1990 } else { 1975 },
                gender: Gender::Female as i32,
                district: self.district.clone(),
                consent: Some(Consent {
                    given_by: self.coordinator.subject.clone(),
                    give_time: at(now() - 60),
                    text_version: "2026-01".into(),
                }),
                profile: Some(MatchingProfile {
                    languages: vec![arabic()],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            request_id: request_id(),
        };
        let person = retried("registering", || {
            let request = c.request(&self.coordinator, create.clone());
            let mut client = ParticipantServiceClient::new(c.channel(n));
            async move { client.create_participant(request).await }
        })
        .await?
        .participant
        .context("no participant in the answer")?;
        let book = BookInterviewRequest {
            parent: person.name.clone(),
            interview: Some(Interview {
                schedule_time: at(now() - 60),
                mode: InterviewMode::InPerson as i32,
                location: "Alby library".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        };
        let interview = retried("booking the interview", || {
            let request = c.request(&self.coordinator, book.clone());
            let mut client = InterviewServiceClient::new(c.channel(n));
            async move { client.book_interview(request).await }
        })
        .await?
        .interview
        .context("no interview in the answer")?;
        let record = RecordInterviewRequest {
            name: interview.name,
            profile: Some(matchable_profile(newcomer, &self.district)),
            eligibility: Some(Eligibility {
                meets_minimum_age: true,
                meets_chapter_rules: true,
                note: String::new(),
            }),
            notes: String::new(),
            outcome: InterviewOutcome::Approved as i32,
            outcome_reason: String::new(),
            request_id: request_id(),
        };
        retried("recording the interview", || {
            let request = c.request(&self.coordinator, record.clone());
            let mut client = InterviewServiceClient::new(c.channel(n));
            async move { client.record_interview(request).await }
        })
        .await?;
        Ok(person.name)
    }

    /// Proposes each newcomer with the resident at the same position and records both
    /// acceptances (agreed on the phone), so that every pair is ACCEPTED. Returns the
    /// matches' names.
    pub async fn accepted_pairs(
        &self,
        newcomers: &[String],
        residents: &[String],
    ) -> anyhow::Result<Vec<String>> {
        let pairs: Vec<anyhow::Result<String>> =
            futures::stream::iter(newcomers.iter().zip(residents).enumerate())
                .map(|(i, (n, r))| self.accepted_pair(i as u64, n, r))
                .buffered(SETUP_CONCURRENCY)
                .collect()
                .await;
        pairs.into_iter().collect()
    }

    async fn accepted_pair(&self, i: u64, newcomer: &str, resident: &str) -> anyhow::Result<String> {
        let c = &self.connections;
        let propose = CreateMatchRequest {
            parent: self.chapter.clone(),
            r#match: Some(Match {
                newcomer: newcomer.to_owned(),
                established_resident: resident.to_owned(),
                ..Default::default()
            }),
            request_id: request_id(),
            override_reason: String::new(),
        };
        let m = retried("proposing the pair", || {
            let request = c.request(&self.coordinator, propose.clone());
            let mut client = MatchingServiceClient::new(c.channel(i));
            async move { client.create_match(request).await }
        })
        .await?
        .r#match
        .context("no match in the answer")?;
        for side in [ParticipantRole::Newcomer, ParticipantRole::EstablishedResident] {
            let accept = AcceptMatchRequest {
                name: m.name.clone(),
                side: side as i32,
                request_id: request_id(),
                how_agreed: AgreementChannel::Phone as i32,
            };
            retried("accepting the pair", || {
                let request = c.request(&self.coordinator, accept.clone());
                let mut client = MatchingServiceClient::new(c.channel(i));
                async move { client.accept_match(request).await }
            })
            .await?;
        }
        Ok(m.name)
    }
}

fn arabic() -> LanguageSkill {
    LanguageSkill {
        language_code: "ar".into(),
        level: LanguageLevel::Native as i32,
    }
}

/// What the interview records: every newcomer and resident set up here fit each other.
fn matchable_profile(newcomer: bool, district: &str) -> MatchingProfile {
    MatchingProfile {
        languages: vec![arabic()],
        swedish_level: newcomer.then_some(SwedishLevel {
            level: Some(swedish_level::Level::SfiCourse(SfiCourse::B as i32)),
        }),
        interests: vec![
            "chapters/botkyrka/interests/fika".into(),
            "chapters/botkyrka/interests/football".into(),
        ],
        free_tags: vec![],
        district: district.to_owned(),
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
        wishes: vec![],
        buddy_capacity: if newcomer { 0 } else { 1 },
        has_children: false,
    }
}

/// The participant id at the end of `chapters/{c}/participants/{id}`.
pub fn participant_id(name: &str) -> anyhow::Result<&str> {
    name.rsplit('/')
        .next()
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .with_context(|| format!("{name:?} is not a participant's name"))
}

/// An app token for each participant, signed by `kompisd token` (the generator holds
/// no signing key).
pub fn app_tokens(kompisd: &Path, names: &[String]) -> anyhow::Result<Vec<Bearer>> {
    names
        .iter()
        .map(|name| {
            let id = participant_id(name)?;
            let out = Command::new(kompisd)
                .args(["token", "--role", "participant", "--participant", id])
                .args(["--subject", &format!("load-app-{id}")])
                .output()
                .with_context(|| format!("running {} token", kompisd.display()))?;
            anyhow::ensure!(
                out.status.success(),
                "kompisd token failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            Bearer::parse(&String::from_utf8_lossy(&out.stdout))
        })
        .collect()
}
