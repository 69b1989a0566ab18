//! The demo data set: a Botkyrka-sized programme to try the service on.
//!
//! The reference data (the chapter, its two referring schools, the interest taxonomy)
//! is a SQL seed, like the places. The people are not: they are registered, referred,
//! signed up, interviewed and approved by calling the service's own handlers, so that
//! they pass exactly the validation a client's requests pass, and their events,
//! waiting times and notifications are the ones the service writes. A clock of the
//! loader's own runs from eight months ago to now, so that waiting times and the event
//! log look like a programme that has been running.
//!
//! What it holds (all invented; phone numbers only from the range reserved for fiction,
//! 070-174 06 05 to 070-174 06 94, and e-mail addresses at example.org):
//! - 120 established residents, most approved and waiting for a newcomer;
//! - 300 newcomers: 90 referred by SFI Botkyrka and Tumba folkhögskola and converted,
//!   40 signed up in the app, the rest registered by the coordinator; most approved and
//!   on the waiting list, some needing a follow-up or found not suitable, some with an
//!   interview booked in the coming two weeks, some applicants not yet interviewed;
//! - 12 referrals not yet converted (received or contacted), one of them a possible
//!   duplicate of a newcomer already registered.
//!
//! Loading is skipped when the chapter already has participants, so a restart keeps
//! what is there.

use std::future::Future;

use anyhow::Context as _;
use kompis_domain::{Clock, ManualClock, Role, Slug};
use kompis_grpc::kit::convert::timestamp;
use kompis_grpc::{BuddyApp, Interviews, Kit, Participants, Principal, Referrals};
use kompis_proto::v1 as pb;
use kompis_proto::v1::buddy_app_service_server::BuddyAppService;
use kompis_proto::v1::interview_service_server::InterviewService;
use kompis_proto::v1::participant_service_server::ParticipantService;
use kompis_proto::v1::referral_service_server::ReferralService;
use kompis_store::Store;
use time::{Duration, OffsetDateTime};
use tonic::{Request, Response, Status};
use uuid::Uuid;

/// The demo chapter.
pub const CHAPTER: &str = "botkyrka";

/// How many people of each kind the demo holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Established residents registered.
    pub residents: usize,
    /// Newcomers registered, converted from a referral or signed up.
    pub newcomers: usize,
    /// Referrals sent, converted or not.
    pub referrals: usize,
    /// Participants approved at an interview.
    pub approved: usize,
}

/// Loads the demo reference data, then the people, unless the demo chapter already has
/// participants. Returns what was loaded (all zero when skipped).
pub async fn load(store: &Store) -> anyhow::Result<Summary> {
    store
        .load_demo_reference_data()
        .await
        .context("loading the demo reference data")?;
    let start = OffsetDateTime::now_utc() - Duration::days(DAYS_BACK);
    let clock = ManualClock::new(start);
    let demo = Demo::new(Kit::new(store.clone(), Clock::from(clock.clone())), clock);
    if demo.has_people().await? {
        tracing::info!("the demo chapter has participants already; demo people not loaded");
        return Ok(Summary::default());
    }
    let summary = demo.load_people().await?;
    tracing::info!(
        residents = summary.residents,
        newcomers = summary.newcomers,
        referrals = summary.referrals,
        approved = summary.approved,
        "demo people loaded"
    );
    Ok(summary)
}

/// How far back the programme's history starts, in days.
const DAYS_BACK: i64 = 240;
const RESIDENTS: usize = 120;
const NEWCOMERS: usize = 300;
const REFERRED: usize = 90;
const SIGNED_UP: usize = 40;
const UNCONVERTED_REFERRALS: usize = 12;

/// What becomes of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Approved,
    FollowUp,
    NotSuitable,
    /// An interview booked in the coming days.
    Booked,
    /// Registered, not yet interviewed.
    Applicant,
}

/// How a newcomer came to the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Coordinator,
    Referral(&'static str),
    SignUp,
}

#[derive(Debug, Clone)]
struct Person {
    n: usize,
    resident: bool,
    source: Source,
    fate: Fate,
}

#[derive(Debug)]
struct Demo {
    kit: Kit,
    clock: ManualClock,
    coordinator: Principal,
    rng: Rng,
}

fn principal(subject: &str, role: Role) -> Principal {
    Principal {
        subject: subject.to_owned(),
        role,
        chapter: None,
        organization: None,
        participant: None,
        municipality: None,
    }
}

fn slug(s: &str) -> Option<Slug> {
    Slug::parse(s).ok()
}

/// A request carrying `principal`, as the authentication layer would hand it on.
fn req<T>(principal: &Principal, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.extensions_mut().insert(principal.clone());
    request
}

/// The answer of a handler; a refusal names every bad field, for whoever changes the
/// demo.
async fn answer<T>(what: &str, call: impl Future<Output = Result<Response<T>, Status>>) -> anyhow::Result<T> {
    use tonic_types::StatusExt as _;
    call.await.map(Response::into_inner).map_err(|s| {
        let fields: Vec<String> = s
            .get_details_bad_request()
            .map(|b| {
                b.field_violations
                    .into_iter()
                    .map(|f| format!("{}: {}", f.field, f.description))
                    .collect()
            })
            .unwrap_or_default();
        anyhow::anyhow!("{what}: {:?}: {} {fields:?}", s.code(), s.message())
    })
}

impl Demo {
    fn new(kit: Kit, clock: ManualClock) -> Self {
        let mut coordinator = principal("demo-coordinator", Role::Coordinator);
        coordinator.chapter = slug(CHAPTER);
        Self {
            kit,
            clock,
            coordinator,
            rng: Rng(0x6b6f_6d70_6973),
        }
    }

    async fn has_people(&self) -> anyhow::Result<bool> {
        let page = answer(
            "listing the demo chapter's participants",
            Participants::new(self.kit.clone()).list_participants(req(
                &self.coordinator,
                pb::ListParticipantsRequest {
                    parent: format!("chapters/{CHAPTER}"),
                    page_size: 1,
                    ..Default::default()
                },
            )),
        )
        .await?;
        Ok(!page.participants.is_empty())
    }

    /// Everyone, in the order they joined.
    fn plan(&mut self) -> Vec<Person> {
        let mut people = Vec::with_capacity(RESIDENTS + NEWCOMERS);
        for n in 0..RESIDENTS {
            let fate = match n % 30 {
                0 | 15 => Fate::FollowUp,
                7 => Fate::Booked,
                22 => Fate::Applicant,
                _ => Fate::Approved,
            };
            people.push(Person {
                n,
                resident: true,
                source: Source::Coordinator,
                fate,
            });
        }
        for n in 0..NEWCOMERS {
            let source = if n < REFERRED {
                Source::Referral(if n % 9 < 5 {
                    "sfi-botkyrka"
                } else {
                    "folkhogskola-tumba"
                })
            } else if n < REFERRED + SIGNED_UP {
                Source::SignUp
            } else {
                Source::Coordinator
            };
            let fate = match n % 50 {
                3 | 13 | 23 => Fate::FollowUp,
                33 => Fate::NotSuitable,
                5 | 25 | 45 => Fate::Booked,
                9 | 29 | 49 => Fate::Applicant,
                _ => Fate::Approved,
            };
            people.push(Person {
                n,
                resident: false,
                source,
                fate,
            });
        }
        // Joined in a shuffled order: residents and newcomers, schools and the app mixed.
        for i in (1..people.len()).rev() {
            let j = self.rng.below(i + 1);
            people.swap(i, j);
        }
        // Those still waiting for an interview joined last.
        people.sort_by_key(|p| matches!(p.fate, Fate::Booked | Fate::Applicant));
        people
    }

    async fn load_people(mut self) -> anyhow::Result<Summary> {
        let people = self.plan();
        let start = self.clock.now();
        let history = Duration::days(DAYS_BACK - 10);
        let recent = people
            .iter()
            .filter(|p| matches!(p.fate, Fate::Booked | Fate::Applicant))
            .count();
        let settled = people.len() - recent;
        let mut summary = Summary::default();
        for (i, person) in people.iter().enumerate() {
            // Settled people join over the first 230 days, the rest over the last ten.
            let joined = if i < settled {
                start + history * (i as f64 / settled as f64)
            } else {
                start + history + Duration::days(9) * ((i - settled) as f64 / recent.max(1) as f64)
            };
            self.clock.set(joined);
            let name = self.register(person, &mut summary).await?;
            match person.fate {
                Fate::Applicant => {}
                Fate::Booked => {
                    let days = 1 + self.rng.below(14) as i64;
                    let when = OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT)
                        + Duration::days(days)
                        + Duration::hours(9 + self.rng.below(8) as i64);
                    self.book(&name, when).await?;
                }
                fate => {
                    let interview = self.book(&name, joined + Duration::days(3)).await?;
                    self.clock.set(joined + Duration::days(3) + Duration::hours(1));
                    self.record(&interview, person, fate).await?;
                    if fate == Fate::Approved {
                        summary.approved += 1;
                    }
                }
            }
        }
        self.unconverted_referrals(&mut summary).await?;
        Ok(summary)
    }

    /// Registers `person` the way they came; returns their participant's name.
    async fn register(&mut self, person: &Person, summary: &mut Summary) -> anyhow::Result<String> {
        let now = self.clock.now();
        let p = person_for(person, now);
        if person.resident {
            summary.residents += 1;
        } else {
            summary.newcomers += 1;
        }
        match person.source {
            Source::Coordinator => {
                let created = answer(
                    "registering a demo participant",
                    Participants::new(self.kit.clone()).create_participant(req(
                        &self.coordinator,
                        pb::CreateParticipantRequest {
                            parent: format!("chapters/{CHAPTER}"),
                            participant: Some(p),
                            request_id: String::new(),
                        },
                    )),
                )
                .await?;
                Ok(created.participant.map(|p| p.name).unwrap_or_default())
            }
            Source::Referral(organization) => {
                summary.referrals += 1;
                let referral = self.refer(organization, &p).await?;
                let converted = answer(
                    "converting a demo referral",
                    Referrals::new(self.kit.clone()).convert_referral(req(
                        &self.coordinator,
                        pb::ConvertReferralRequest {
                            name: referral,
                            request_id: String::new(),
                        },
                    )),
                )
                .await?;
                Ok(converted.participant.map(|p| p.name).unwrap_or_default())
            }
            Source::SignUp => {
                let id = Uuid::now_v7();
                let mut app_user = principal(&format!("demo-app-{}", person.n), Role::Participant);
                app_user.participant = Some(id);
                let profile = p.profile.unwrap_or_default();
                let signed_up = answer(
                    "signing a demo participant up",
                    BuddyApp::new(self.kit.clone()).sign_up(req(
                        &app_user,
                        pb::SignUpRequest {
                            role: p.role,
                            person_name: p.person_name,
                            contact: p.contact,
                            birth_year: p.birth_year,
                            gender: p.gender,
                            district: p.district,
                            languages: profile.languages,
                            swedish_level: profile.swedish_level,
                            consent: p.consent,
                            request_id: String::new(),
                        },
                    )),
                )
                .await?;
                Ok(signed_up.participant.map(|p| p.name).unwrap_or_default())
            }
        }
    }

    /// Sends `p` as a referral from `organization`; returns the referral's name.
    async fn refer(&self, organization: &str, p: &pb::Participant) -> anyhow::Result<String> {
        let mut referrer = principal(&format!("demo-{organization}"), Role::Referrer);
        referrer.organization = slug(organization);
        let profile = p.profile.clone().unwrap_or_default();
        let referral = answer(
            "sending a demo referral",
            Referrals::new(self.kit.clone()).create_referral(req(
                &referrer,
                pb::CreateReferralRequest {
                    parent: format!("chapters/{CHAPTER}"),
                    referral: Some(pb::Referral {
                        learner_name: p.person_name.clone(),
                        contact: p.contact.clone(),
                        birth_year: p.birth_year,
                        gender: p.gender,
                        district: p.district.clone(),
                        languages: profile.languages,
                        swedish_level: profile.swedish_level,
                        consent: p.consent.clone(),
                        note: "Vill träna på att prata svenska.".into(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
            )),
        )
        .await?;
        Ok(referral.referral.map(|r| r.name).unwrap_or_default())
    }

    async fn book(&self, participant: &str, when: OffsetDateTime) -> anyhow::Result<String> {
        let booked = answer(
            "booking a demo interview",
            Interviews::new(self.kit.clone()).book_interview(req(
                &self.coordinator,
                pb::BookInterviewRequest {
                    parent: participant.to_owned(),
                    interview: Some(pb::Interview {
                        schedule_time: timestamp(when),
                        mode: pb::InterviewMode::InPerson as i32,
                        location: "Kompis Botkyrka, Alby centrum".into(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
            )),
        )
        .await?;
        Ok(booked.interview.map(|i| i.name).unwrap_or_default())
    }

    /// Records the interview: only what was learned at it (availability, how to meet,
    /// interests, capacity); the rest was registered before.
    async fn record(&mut self, interview: &str, person: &Person, fate: Fate) -> anyhow::Result<()> {
        let mut availability = Vec::new();
        for _ in 0..2 + self.rng.below(3) {
            let slot = pb::AvailabilitySlot {
                weekday: 1 + self.rng.below(7) as i32,
                day_part: 1 + self.rng.below(3) as i32,
            };
            if !availability.contains(&slot) {
                availability.push(slot);
            }
        }
        let mut interests = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            let interest = format!("chapters/{CHAPTER}/interests/{}", self.rng.pick(INTERESTS));
            if !interests.contains(&interest) {
                interests.push(interest);
            }
        }
        let (outcome, reason) = match fate {
            Fate::FollowUp => (
                pb::InterviewOutcome::NeedsFollowUp,
                "Ska prata med sin handläggare först; ring igen om två veckor.",
            ),
            Fate::NotSuitable => (
                pb::InterviewOutcome::NotSuitable,
                "Söker i första hand praktikplats, inte en kompis.",
            ),
            _ => (pb::InterviewOutcome::Approved, ""),
        };
        answer(
            "recording a demo interview",
            Interviews::new(self.kit.clone()).record_interview(req(
                &self.coordinator,
                pb::RecordInterviewRequest {
                    name: interview.to_owned(),
                    profile: Some(pb::MatchingProfile {
                        interests,
                        availability,
                        meeting_preference: 1 + self.rng.below(3) as i32,
                        buddy_capacity: if person.resident {
                            1 + self.rng.below(3) as i32
                        } else {
                            0
                        },
                        ..Default::default()
                    }),
                    eligibility: Some(pb::Eligibility {
                        meets_minimum_age: true,
                        meets_chapter_rules: true,
                        note: String::new(),
                    }),
                    notes: String::new(),
                    outcome: outcome as i32,
                    outcome_reason: reason.into(),
                    request_id: String::new(),
                },
            )),
        )
        .await?;
        Ok(())
    }

    /// Referrals the coordinator has not converted yet; the first repeats the e-mail
    /// address of a newcomer already registered, so it is flagged as a possible
    /// duplicate.
    async fn unconverted_referrals(&mut self, summary: &mut Summary) -> anyhow::Result<()> {
        let now = OffsetDateTime::now_utc() - Duration::hours(2);
        for k in 0..UNCONVERTED_REFERRALS {
            self.clock
                .set(now - Duration::hours(3 * (UNCONVERTED_REFERRALS - k) as i64));
            let person = Person {
                n: NEWCOMERS + k,
                resident: false,
                source: Source::Coordinator,
                fate: Fate::Applicant,
            };
            let mut p = person_for(&person, self.clock.now());
            if k == 0 {
                let twin = person_for(
                    &Person {
                        n: NEWCOMERS - 1,
                        ..person.clone()
                    },
                    self.clock.now(),
                );
                p.contact = twin.contact;
            }
            let organization = if k % 2 == 0 {
                "sfi-botkyrka"
            } else {
                "folkhogskola-tumba"
            };
            let name = self.refer(organization, &p).await?;
            summary.referrals += 1;
            if k % 3 == 2 {
                answer(
                    "marking a demo referral contacted",
                    Referrals::new(self.kit.clone()).mark_referral_contacted(req(
                        &self.coordinator,
                        pb::MarkReferralContactedRequest {
                            name,
                            reason: "Ringt upp; bokar intervju nästa vecka.".into(),
                            request_id: String::new(),
                        },
                    )),
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// The person numbered `person.n`, as a coordinator would register them at `now`.
/// Deterministic: the same number always gives the same person.
fn person_for(person: &Person, now: OffsetDateTime) -> pb::Participant {
    let mut rng = Rng(0x5eed ^ ((person.n as u64) << 1) ^ u64::from(person.resident));
    let female = rng.below(2) == 0;
    let gender = match rng.below(40) {
        0 => pb::Gender::NonBinary,
        1 => pb::Gender::Undisclosed,
        _ if female => pb::Gender::Female,
        _ => pb::Gender::Male,
    };
    let (given, family, languages, swedish_level, birth_year) = if person.resident {
        let given = rng.pick(if female { RESIDENT_WOMEN } else { RESIDENT_MEN });
        let family = rng.pick(RESIDENT_FAMILIES);
        let mut languages = vec![speaks(
            "en",
            pb::LanguageLevel::from_i32_or(3 + rng.below(4) as i32),
        )];
        if rng.below(3) == 0 {
            languages.push(speaks(
                rng.pick(&["es", "de", "fr", "ar", "fi", "fa", "so"]),
                pb::LanguageLevel::from_i32_or(1 + rng.below(7) as i32),
            ));
        }
        let level = if rng.below(6) == 0 {
            pb::LanguageLevel::C1
        } else {
            pb::LanguageLevel::Native
        };
        (
            given,
            family,
            languages,
            pb::swedish_level::Level::Cefr(level as i32),
            1950 + rng.below(50) as i32,
        )
    } else {
        let group = rng.pick(NEWCOMER_GROUPS);
        let given = rng.pick(if female { group.women } else { group.men });
        let family = rng.pick(group.families);
        let mut languages = vec![speaks(group.language, pb::LanguageLevel::Native)];
        if let Some(second) = group.second
            && rng.below(2) == 0
        {
            languages.push(speaks(
                second,
                pb::LanguageLevel::from_i32_or(1 + rng.below(5) as i32),
            ));
        }
        if rng.below(3) == 0 && languages.iter().all(|l| l.language_code != "en") {
            languages.push(speaks(
                "en",
                pb::LanguageLevel::from_i32_or(1 + rng.below(5) as i32),
            ));
        }
        let course = pb::SfiCourse::from_i32_or(1 + rng.below(4) as i32);
        (
            given,
            family,
            languages,
            pb::swedish_level::Level::SfiCourse(course as i32),
            1962 + rng.below(44) as i32,
        )
    };
    // The fiction range holds 95 numbers; 90 are used here, the rest left for the
    // README's example. The others give an e-mail address.
    let phone = if person.n < 90 && !person.resident {
        format!("070-174 06 {:02}", person.n + 5)
    } else {
        String::new()
    };
    let email = format!(
        "{}.{}.{}{}@example.org",
        ascii(given),
        ascii(family),
        if person.resident { "r" } else { "n" },
        person.n
    );
    pb::Participant {
        role: if person.resident {
            pb::ParticipantRole::EstablishedResident
        } else {
            pb::ParticipantRole::Newcomer
        } as i32,
        person_name: Some(pb::PersonName {
            given_name: given.into(),
            family_name: family.into(),
            display_name: String::new(),
        }),
        contact: Some(pb::Contact { phone, email }),
        birth_year,
        gender: gender as i32,
        district: format!("municipalities/botkyrka/districts/{}", rng.pick(DISTRICTS)),
        consent: Some(pb::Consent {
            given_by: String::new(),
            give_time: timestamp(now - Duration::hours(1)),
            text_version: "2026-01".into(),
        }),
        profile: Some(pb::MatchingProfile {
            languages,
            swedish_level: Some(pb::SwedishLevel {
                level: Some(swedish_level),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn speaks(code: &str, level: pb::LanguageLevel) -> pb::LanguageSkill {
    pb::LanguageSkill {
        language_code: code.into(),
        level: level as i32,
    }
}

/// Conversions from a number to a proto enum value, for the generator.
trait FromI32Or: Sized {
    fn from_i32_or(n: i32) -> Self;
}

impl FromI32Or for pb::LanguageLevel {
    fn from_i32_or(n: i32) -> Self {
        pb::LanguageLevel::try_from(n).unwrap_or(pb::LanguageLevel::B1)
    }
}

impl FromI32Or for pb::SfiCourse {
    fn from_i32_or(n: i32) -> Self {
        pb::SfiCourse::try_from(n).unwrap_or(pb::SfiCourse::B)
    }
}

/// `Åsa` -> `asa`, for e-mail addresses.
fn ascii(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'å' | 'ä' | 'Å' | 'Ä' => Some('a'),
            'ö' | 'Ö' => Some('o'),
            'é' | 'É' => Some('e'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// A small deterministic generator (SplitMix64): the same demo on every machine.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const DISTRICTS: &[&str] = &[
    "alby",
    "alby",
    "fittja",
    "fittja",
    "hallunda",
    "norsborg",
    "eriksberg",
    "tumba",
    "tumba",
    "storvreten",
    "tullinge",
    "varsta",
    "grodinge",
];

const INTERESTS: &[&str] = &[
    "football",
    "walking",
    "cooking",
    "fika",
    "museums",
    "music",
    "reading",
    "gardening",
];

const RESIDENT_WOMEN: &[&str] = &[
    "Anna", "Åsa", "Karin", "Märta", "Ingrid", "Lena", "Maria", "Sofia", "Elin", "Birgitta", "Eva", "Linnéa",
    "Kristina", "Helena", "Ulla",
];
const RESIDENT_MEN: &[&str] = &[
    "Erik", "Göran", "Johan", "Lars", "Anders", "Per", "Mikael", "Björn", "Olof", "Nils", "Magnus", "Stefan",
    "Håkan", "Jörgen", "Sven",
];
const RESIDENT_FAMILIES: &[&str] = &[
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Lindqvist",
    "Berg",
    "Öberg",
    "Åberg",
    "Sjöberg",
    "Lindström",
    "Holmgren",
    "Ström",
    "Nyström",
    "Bäckström",
    "Ek",
];

/// Newcomers' first language, a common second language, and names.
#[derive(Debug, Clone, Copy)]
struct Group {
    language: &'static str,
    second: Option<&'static str>,
    women: &'static [&'static str],
    men: &'static [&'static str],
    families: &'static [&'static str],
}

const NEWCOMER_GROUPS: &[Group] = &[
    Group {
        language: "ar",
        second: Some("en"),
        women: &["Amina", "Fatima", "Layla", "Noor", "Rana", "Huda"],
        men: &["Omar", "Ahmad", "Khaled", "Yousef", "Samir", "Bilal"],
        families: &["Haddad", "Al-Khatib", "Nasser", "Saleh", "Hamdan", "Darwish"],
    },
    Group {
        language: "so",
        second: Some("ar"),
        women: &["Hodan", "Sahra", "Ayaan", "Faadumo", "Ifrah"],
        men: &["Abdi", "Mohamed", "Liban", "Hassan", "Yusuf"],
        families: &["Warsame", "Ali", "Farah", "Jama", "Osman"],
    },
    Group {
        language: "ti",
        second: Some("am"),
        women: &["Selam", "Helen", "Saba", "Yordanos"],
        men: &["Dawit", "Yonas", "Tesfay", "Filmon"],
        families: &["Tesfaye", "Ghebre", "Haile", "Kidane"],
    },
    Group {
        language: "prs",
        second: Some("fa"),
        women: &["Farida", "Zahra", "Maryam", "Shabnam"],
        men: &["Ahmad", "Mustafa", "Jawad", "Hamid"],
        families: &["Rahimi", "Ahmadi", "Hakimi", "Sultani"],
    },
    Group {
        language: "uk",
        second: Some("ru"),
        women: &["Olena", "Iryna", "Kateryna", "Oksana", "Natalia"],
        men: &["Andrii", "Oleksandr", "Dmytro", "Serhii"],
        families: &["Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Melnyk"],
    },
    Group {
        language: "ckb",
        second: Some("ar"),
        women: &["Leyla", "Shilan", "Nasrin"],
        men: &["Aram", "Karwan", "Rebin"],
        families: &["Karimi", "Aziz", "Mahmoud"],
    },
    Group {
        language: "tr",
        second: None,
        women: &["Elif", "Zeynep", "Ayşe"],
        men: &["Mehmet", "Emre", "Burak"],
        families: &["Yılmaz", "Kaya", "Demir"],
    },
    Group {
        language: "en",
        second: Some("yo"),
        women: &["Grace", "Blessing", "Chioma"],
        men: &["Samuel", "Emeka", "Tunde"],
        families: &["Okafor", "Adeyemi", "Eze"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_number_is_always_the_same_person() {
        let demo_person = |n| {
            person_for(
                &Person {
                    n,
                    resident: false,
                    source: Source::Coordinator,
                    fate: Fate::Approved,
                },
                OffsetDateTime::UNIX_EPOCH,
            )
        };
        assert_eq!(demo_person(7), demo_person(7));
        assert_ne!(demo_person(7).contact, demo_person(8).contact);
    }

    #[test]
    fn e_mail_addresses_are_ascii() {
        assert_eq!(ascii("Åsa"), "asa");
        assert_eq!(ascii("Al-Khatib"), "alkhatib");
        assert_eq!(ascii("Yılmaz"), "ylmaz");
    }
}
