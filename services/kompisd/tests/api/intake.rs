//! Intake as the people doing it meet it: the project's client shows every error
//! detail, the server records the caller instead of asking for their id, the app can
//! show a sign-up form, an interview records only what is new, Swedish phone numbers
//! are taken as written, and the school tells a waiting learner from one who needs a
//! follow-up.

use crate::fixtures::participants::{
    ALBY, CHAPTER, buddy_app, eligible, get, hold, in_an_hour, in_days, interviews, participants, register,
    request_id, resident,
};
use crate::fixtures::referrals::{SFI, learner, referrals};
use crate::support;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::*;
use tonic::Code;
use uuid::Uuid;

/// Runs the project's Python client against `app` with `args`; returns the exit code,
/// stdout and stderr.
async fn client(app: &support::TestApp, token: &str, args: &[&str]) -> (i32, String, String) {
    let python = std::env::var("KOMPIS_TEST_PYTHON")
        .expect("KOMPIS_TEST_PYTHON must name a Python with grpcio installed; scripts/test.sh sets it up");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/python/kompis_call.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .arg("--addr")
        .arg(app.addr.to_string())
        .arg("--token")
        .arg(token)
        .args(args)
        // A terminal that does not declare UTF-8 must still see Swedish letters.
        .env("PYTHONIOENCODING", "ascii")
        .env("LC_ALL", "C")
        .output()
        .await
        .expect("run the Python client");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).expect("UTF-8 on stdout"),
        String::from_utf8(output.stderr).expect("UTF-8 on stderr"),
    )
}

/// A consent the client leaves for the server to attribute.
fn consent_of_the_caller() -> Consent {
    Consent {
        given_by: String::new(),
        give_time: in_days(-1),
        text_version: "2026-01".into(),
    }
}

/// A referral from the SFI school as the school's client sends it: no account id.
fn referral(phone: &str) -> Referral {
    let mut referral = learner(phone, "", "");
    referral.consent = Some(consent_of_the_caller());
    referral
}

async fn refer(app: &support::TestApp, referral: Referral) -> Referral {
    referrals(app, &app.referrer(SFI))
        .create_referral(CreateReferralRequest {
            parent: CHAPTER.into(),
            referral: Some(referral),
            request_id: request_id(),
        })
        .await
        .expect("the referral is accepted")
        .into_inner()
        .referral
        .unwrap()
}

async fn convert(app: &support::TestApp, referral: &str) -> Participant {
    referrals(app, &app.coordinator("botkyrka"))
        .convert_referral(ConvertReferralRequest {
            name: referral.into(),
            request_id: request_id(),
        })
        .await
        .expect("the referral is converted")
        .into_inner()
        .participant
        .unwrap()
}

async fn book_at(
    app: &support::TestApp,
    participant: &str,
    interview: Interview,
) -> Result<Interview, tonic::Status> {
    interviews(app, &app.coordinator("botkyrka"))
        .book_interview(BookInterviewRequest {
            parent: participant.into(),
            interview: Some(interview),
            request_id: request_id(),
        })
        .await
        .map(|r| r.into_inner().interview.unwrap())
}

fn by_video(app: &support::TestApp) -> Interview {
    Interview {
        schedule_time: in_an_hour(app),
        mode: InterviewMode::Video as i32,
        video_link: "https://meet.example.org/kompis-botkyrka-42".into(),
        ..Default::default()
    }
}

/// What an interview learns that a referral does not say: when and how to meet.
fn what_the_interview_learned() -> MatchingProfile {
    MatchingProfile {
        availability: vec![AvailabilitySlot {
            weekday: Weekday::Thursday as i32,
            day_part: DayPart::Evening as i32,
        }],
        meeting_preference: MeetingPreference::InPerson as i32,
        ..Default::default()
    }
}

fn record_request(
    interview: &str,
    outcome: InterviewOutcome,
    profile: Option<MatchingProfile>,
) -> RecordInterviewRequest {
    RecordInterviewRequest {
        name: interview.into(),
        profile,
        eligibility: Some(eligible()),
        notes: String::new(),
        outcome: outcome as i32,
        outcome_reason: if outcome == InterviewOutcome::Approved {
            String::new()
        } else {
            "Wants to ask their case officer first".into()
        },
        request_id: request_id(),
    }
}

// ---- the project's client

#[tokio::test]
async fn the_client_shows_every_bad_field_and_the_reason_of_a_refused_call() {
    let app = support::spawn_app_with_demo().await;
    let request = r#"{"parent": "chapters/botkyrka", "referral": {
        "learnerName": {"givenName": "Amina", "familyName": "Yusuf"},
        "contact": {"phone": "46 70 123"},
        "birthYear": 1990, "gender": "GENDER_FEMALE",
        "district": "municipalities/botkyrka/districts/alby",
        "languages": [{"languageCode": "ar", "level": "LANGUAGE_LEVEL_NATIVE"}],
        "swedishLevel": {"sfiCourse": "SFI_COURSE_B"}}}"#;

    let (code, stdout, stderr) = client(
        &app,
        &app.referrer(SFI),
        &["call", "kompis.v1.ReferralService/CreateReferral", request],
    )
    .await;

    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("INVALID_ARGUMENT"), "{stderr}");
    assert!(
        stderr.contains("reason: CONSENT_MISSING (domain kompis.se)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("referral.contact.phone: must be in international form"),
        "{stderr}"
    );
    assert!(stderr.contains("referral.consent: is required"), "{stderr}");
}

#[tokio::test]
async fn the_clients_field_option_prints_values_left_at_their_default() {
    let app = support::spawn_app_with_demo().await;
    let coordinator = app.coordinator("botkyrka");
    let person = register(&app, resident(1)).await;
    let request = format!(r#"{{"parent": "{}"}}"#, person.name);
    let field = |name: &'static str| {
        let request = request.clone();
        let coordinator = coordinator.clone();
        let app = &app;
        async move {
            client(
                app,
                &coordinator,
                &[
                    "--field",
                    name,
                    "call",
                    "kompis.v1.ParticipantService/ListParticipantNotes",
                    &request,
                ],
            )
            .await
        }
    };

    // Nothing noted yet: proto3 JSON leaves both fields out, the client prints defaults.
    assert_eq!(field("notes").await, (0, "[]\n".to_owned(), String::new()));
    assert_eq!(field("nextPageToken").await, (0, "\n".to_owned(), String::new()));
    // A name the message does not have is still an error, naming the fields it has.
    let (code, stdout, stderr) = field("noets").await;
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("has no field noets"), "{stderr}");
    assert!(stderr.contains("notes, nextPageToken"), "{stderr}");

    // A file the service exports prints as itself, ready to be saved.
    let export = r#"{"query": {"chapter": "chapters/botkyrka",
        "startTime": "2026-01-01T00:00:00Z", "endTime": "2027-01-01T00:00:00Z"},
        "format": "REPORT_FORMAT_CSV"}"#;
    let (code, stdout, stderr) = client(
        &app,
        &coordinator,
        &[
            "--field",
            "content",
            "call",
            "kompis.v1.ReportService/ExportFollowUpReport",
            export,
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("metric,dimension,key,label,value\n"),
        "{stdout}"
    );
}

#[tokio::test]
async fn the_client_shows_error_metadata_such_as_the_states_of_a_refused_transition() {
    let app = support::spawn_app_with_demo().await;
    let referral = refer(&app, referral("+46701234567")).await;
    convert(&app, &referral.name).await;
    let request = format!(r#"{{"name": "{}"}}"#, referral.name);

    let (code, _, stderr) = client(
        &app,
        &app.coordinator("botkyrka"),
        &[
            "call",
            "kompis.v1.ReferralService/MarkReferralContacted",
            &request,
        ],
    )
    .await;

    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("FAILED_PRECONDITION"), "{stderr}");
    assert!(stderr.contains("reason: "), "{stderr}");
    assert!(stderr.contains("    from_state: "), "{stderr}");
    assert!(stderr.contains("    to_state: contacted"), "{stderr}");
}

#[tokio::test]
async fn a_field_refused_as_one_of_an_enums_values_names_the_enum_that_describe_lists() {
    let app = support::spawn_app_with_demo().await;
    let coordinator = app.coordinator("botkyrka");
    let person = register(&app, resident(2)).await;
    let request = format!(r#"{{"name": "{}"}}"#, person.name);

    let (code, _, stderr) = client(
        &app,
        &coordinator,
        &["call", "kompis.v1.ParticipantService/EraseParticipant", &request],
    )
    .await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("reason: is required: one of the ErasureReason values"),
        "{stderr}"
    );

    // The enum the error names, and enums and messages in general, describe as
    // themselves, whichever was asked for first.
    for (symbol, expected) in [
        (
            "kompis.v1.ErasureReason",
            "  ERASURE_REASON_PERSON_REQUESTED = 1;",
        ),
        (
            "kompis.v1.EraseParticipantRequest",
            "  kompis.v1.ErasureReason reason = 2;",
        ),
        ("kompis.v1.ParticipantService", "  rpc EraseParticipant("),
        ("kompis.v1.Gender", "  GENDER_FEMALE = 1;"),
    ] {
        let (code, stdout, stderr) = client(&app, &coordinator, &["describe", symbol]).await;
        assert_eq!(code, 0, "{symbol}: {stderr}");
        assert!(stdout.contains(expected), "{symbol}: {stdout}");
    }
    let (code, _, stderr) = client(&app, &coordinator, &["describe", "kompis.v1.NoSuchThing"]).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("not found"), "{stderr}");

    // Nothing was erased.
    let mut participants = participants(&app, &coordinator);
    let read = participants
        .get_participant(GetParticipantRequest {
            name: person.name.clone(),
        })
        .await;
    assert!(read.is_ok(), "{read:?}");
}

#[tokio::test]
async fn the_client_prints_swedish_letters_times_and_durations_as_people_read_them() {
    let app = support::spawn_app_with_demo().await;
    let person = register(&app, resident(1)).await;
    let interview = book_at(&app, &person.name, by_video(&app)).await.unwrap();
    let request = format!(r#"{{"name": "{}"}}"#, interview.name);
    let start = interview.schedule_time.unwrap();
    let start = time::OffsetDateTime::from_unix_timestamp(start.seconds).unwrap();
    let shown_start = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        start.year(),
        start.month() as u8,
        start.day(),
        start.hour(),
        start.minute(),
        start.second()
    );

    let (districts_code, districts, _) = client(
        &app,
        &app.participant(Uuid::now_v7()),
        &[
            "call",
            "kompis.v1.AdminService/ListDistricts",
            r#"{"parent": "municipalities/botkyrka", "pageSize": 100}"#,
        ],
    )
    .await;
    let (interview_code, shown, stderr) = client(
        &app,
        &app.coordinator("botkyrka"),
        &["call", "kompis.v1.InterviewService/GetInterview", &request],
    )
    .await;

    assert_eq!(districts_code, 0);
    assert!(districts.contains("\"Vårsta\""), "{districts}");
    assert!(districts.contains("\"Grödinge\""), "{districts}");
    assert_eq!(interview_code, 0, "{stderr}");
    assert!(
        shown.contains(&format!("\"scheduleTime\": \"{shown_start}\"")),
        "{shown}"
    );
    assert!(shown.contains("\"duration\": \"45 min\""), "{shown}");
}

// ---- who the caller is

#[tokio::test]
async fn a_consent_without_an_account_id_is_recorded_as_given_to_the_caller() {
    let app = support::spawn_app_with_demo().await;

    let referral = refer(&app, referral("+46701234567")).await;

    assert_eq!(referral.consent.unwrap().given_by, "referrer-sfi-botkyrka");
}

#[tokio::test]
async fn two_app_accounts_sign_up_as_two_people_and_the_app_agrees_with_itself() {
    let app = support::spawn_app_with_demo().await;
    let sign_up = |n: u32| SignUpRequest {
        role: ParticipantRole::Newcomer as i32,
        person_name: Some(PersonName {
            given_name: format!("Farid {n}"),
            family_name: "Ahmadi".into(),
            display_name: String::new(),
        }),
        contact: Some(Contact {
            phone: format!("070-300 00 0{n}"),
            email: String::new(),
        }),
        birth_year: 1995,
        gender: Gender::Male as i32,
        district: ALBY.into(),
        languages: vec![LanguageSkill {
            language_code: "prs".into(),
            level: LanguageLevel::Native as i32,
        }],
        swedish_level: Some(SwedishLevel {
            level: Some(swedish_level::Level::SfiCourse(SfiCourse::B as i32)),
        }),
        consent: Some(consent_of_the_caller()),
        request_id: request_id(),
    };
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());

    let a = buddy_app(&app, &app.participant(first)).sign_up(sign_up(1)).await;
    let b = buddy_app(&app, &app.participant(second))
        .sign_up(sign_up(2))
        .await;
    // The same account (token subject) again, with a token for another participant id.
    let mut same_account = kompis_grpc::Principal {
        subject: format!("participant-{first}"),
        role: kompis_domain::Role::Participant,
        chapter: None,
        organization: None,
        participant: Some(Uuid::now_v7()),
        municipality: None,
    };
    let again = buddy_app(&app, &app.token(&same_account))
        .sign_up(sign_up(3))
        .await
        .unwrap_err();
    same_account.participant = Some(first);
    let mine = buddy_app(&app, &app.token(&same_account))
        .get_my_profile(GetMyProfileRequest {})
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();

    let a = a.unwrap().into_inner().participant.unwrap();
    assert_eq!(a.consent.unwrap().given_by, format!("participant-{first}"));
    assert_eq!(a.contact.unwrap().phone, "+46703000001");
    b.expect("another account signs up as another person");
    assert_eq!(again.code(), Code::AlreadyExists);
    assert!(again.message().contains("the caller's account"), "{again:?}");
    assert_eq!(mine.name, a.name, "the account's own participant is there to see");
}

// ---- reference data for the app

#[tokio::test]
async fn the_app_reads_what_a_sign_up_form_offers() {
    let app = support::spawn_app_with_demo().await;
    let mut admin = AdminServiceClient::new(support::authed(app.channel(), &app.participant(Uuid::now_v7())));

    let districts = admin
        .list_districts(ListDistrictsRequest {
            parent: "municipalities/botkyrka".into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .districts;
    let interests = admin
        .list_interests(ListInterestsRequest {
            parent: CHAPTER.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .interests;
    let alby = admin
        .get_district(GetDistrictRequest { name: ALBY.into() })
        .await
        .unwrap()
        .into_inner()
        .district
        .unwrap();

    assert_eq!(districts.len(), 10);
    assert_eq!(interests.len(), 8);
    assert_eq!(alby.display_name, "Alby");
}

// ---- interviews

#[tokio::test]
async fn an_approval_after_a_referral_needs_only_what_the_interview_learned() {
    let app = support::spawn_app_with_demo().await;
    let participant = convert(&app, &refer(&app, referral("+46701234567")).await.name).await;
    let interview = book_at(&app, &participant.name, by_video(&app)).await.unwrap();
    hold(&app, &interview.name).await;

    let recorded = interviews(&app, &app.coordinator("botkyrka"))
        .record_interview(record_request(
            &interview.name,
            InterviewOutcome::Approved,
            Some(what_the_interview_learned()),
        ))
        .await
        .expect("the languages, Swedish level and district come from the referral")
        .into_inner()
        .interview
        .unwrap();

    let profile = recorded.profile.unwrap();
    assert_eq!(profile.languages, participant.profile.as_ref().unwrap().languages);
    assert_eq!(
        profile.swedish_level,
        participant.profile.as_ref().unwrap().swedish_level
    );
    assert_eq!(profile.district, ALBY);
    assert_eq!(profile.meeting_preference, MeetingPreference::InPerson as i32);
    assert_eq!(
        get(&app, &participant.name).await.state,
        ParticipantState::Ready as i32
    );
}

#[tokio::test]
async fn a_follow_up_is_recorded_without_a_profile() {
    let app = support::spawn_app_with_demo().await;
    let participant = convert(&app, &refer(&app, referral("+46701234567")).await.name).await;
    let interview = book_at(&app, &participant.name, by_video(&app)).await.unwrap();
    hold(&app, &interview.name).await;

    interviews(&app, &app.coordinator("botkyrka"))
        .record_interview(record_request(
            &interview.name,
            InterviewOutcome::NeedsFollowUp,
            None,
        ))
        .await
        .expect("no profile is needed to ask for a follow-up");

    assert_eq!(
        get(&app, &participant.name).await.state,
        ParticipantState::NeedsFollowUp as i32
    );
}

#[tokio::test]
async fn an_interview_is_booked_ahead_and_recorded_once_it_has_started() {
    let app = support::spawn_app_with_demo().await;
    let participant = register(&app, resident(1)).await;
    let mut past = by_video(&app);
    past.schedule_time = in_days(-1);

    let refused = book_at(&app, &participant.name, past).await.unwrap_err();
    let interview = book_at(&app, &participant.name, by_video(&app)).await.unwrap();
    let mut profile = what_the_interview_learned();
    profile.buddy_capacity = 2;
    let early = interviews(&app, &app.coordinator("botkyrka"))
        .record_interview(record_request(
            &interview.name,
            InterviewOutcome::Approved,
            Some(profile.clone()),
        ))
        .await
        .unwrap_err();
    app.clock().advance(time::Duration::hours(1));
    let on_time = interviews(&app, &app.coordinator("botkyrka"))
        .record_interview(record_request(
            &interview.name,
            InterviewOutcome::Approved,
            Some(profile),
        ))
        .await;

    assert_eq!(support::bad_fields(&refused), ["interview.schedule_time"]);
    assert_eq!(early.code(), Code::FailedPrecondition);
    assert_eq!(support::reason(&early), "INTERVIEW_NOT_STARTED");
    on_time.expect("recorded once the interview has started");
}

#[tokio::test]
async fn a_days_schedule_names_each_participant_and_the_learner_sees_how_to_join() {
    let app = support::spawn_app_with_demo().await;
    let participant = convert(&app, &refer(&app, referral("+46701234567")).await.name).await;
    let interview = book_at(&app, &participant.name, by_video(&app)).await.unwrap();
    // The school's learner signs in to the app as the participant.
    let learner = app.participant(Uuid::parse_str(participant.name.rsplit('/').next().unwrap()).unwrap());

    let schedule = interviews(&app, &app.coordinator("botkyrka"))
        .list_interviews(ListInterviewsRequest {
            parent: format!("{CHAPTER}/participants/-"),
            state: InterviewState::Booked as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .interviews;
    let application = buddy_app(&app, &learner)
        .get_my_application(GetMyApplicationRequest {})
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();

    assert_eq!(schedule.len(), 1);
    assert_eq!(schedule[0].participant_display_name, "Ami");
    assert_eq!(schedule[0].video_link, interview.video_link);
    let mine = application.interview.expect("the booked interview is shown");
    assert_eq!(mine.mode, InterviewMode::Video as i32);
    assert_eq!(mine.video_link, "https://meet.example.org/kompis-botkyrka-42");
    assert_eq!(mine.schedule_time, interview.schedule_time);
    assert_eq!(mine.duration.unwrap().seconds, 45 * 60);
}

#[tokio::test]
async fn a_video_link_must_be_an_https_address() {
    let app = support::spawn_app_with_demo().await;
    let participant = register(&app, resident(1)).await;
    let mut interview = by_video(&app);
    interview.video_link = "javascript:alert(1)".into();

    let status = book_at(&app, &participant.name, interview).await.unwrap_err();

    assert_eq!(support::bad_fields(&status), ["interview.video_link"]);
}

#[tokio::test]
async fn an_update_mask_is_accepted_in_snake_case_and_in_camel_case() {
    let app = support::spawn_app_with_demo().await;
    let participant = register(&app, resident(1)).await;
    let interview = book_at(&app, &participant.name, by_video(&app)).await.unwrap();
    let mut client = interviews(&app, &app.coordinator("botkyrka"));
    let two_days_on = in_days(2);

    let moved = client
        .update_interview(UpdateInterviewRequest {
            interview: Some(Interview {
                name: interview.name.clone(),
                schedule_time: two_days_on,
                video_link: "https://meet.example.org/new-room".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["scheduleTime".into(), "video_link".into()],
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .interview
        .unwrap();
    let unknown = client
        .update_interview(UpdateInterviewRequest {
            interview: Some(Interview {
                name: interview.name.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["notes".into()],
            }),
        })
        .await
        .unwrap_err();

    assert_eq!(moved.schedule_time.unwrap().seconds, two_days_on.unwrap().seconds);
    assert_eq!(moved.video_link, "https://meet.example.org/new-room");
    assert_eq!(support::bad_fields(&unknown), ["update_mask"]);
}

// ---- phone numbers

#[tokio::test]
async fn a_swedish_number_written_the_national_way_is_stored_with_the_country_code() {
    let app = support::spawn_app_with_demo().await;

    let referral = refer(&app, referral("070-123 45 67")).await;

    assert_eq!(referral.contact.unwrap().phone, "+46701234567");
}

// ---- what the school sees

#[tokio::test]
async fn the_school_tells_a_learner_waiting_for_a_buddy_from_one_who_needs_a_follow_up() {
    let app = support::spawn_app_with_demo().await;
    let waiting = refer(&app, referral("+46701234567")).await;
    let follow_up = refer(&app, referral("+46701234568")).await;
    for (referral, outcome) in [
        (&waiting, InterviewOutcome::Approved),
        (&follow_up, InterviewOutcome::NeedsFollowUp),
    ] {
        let participant = convert(&app, &referral.name).await;
        let interview = book_at(&app, &participant.name, by_video(&app)).await.unwrap();
        hold(&app, &interview.name).await;
        interviews(&app, &app.coordinator("botkyrka"))
            .record_interview(record_request(
                &interview.name,
                outcome,
                Some(what_the_interview_learned()),
            ))
            .await
            .unwrap();
    }
    let seen = async |name: &str| {
        referrals(&app, &app.referrer(SFI))
            .get_referral(GetReferralRequest { name: name.into() })
            .await
            .unwrap()
            .into_inner()
            .referral
            .unwrap()
    };

    let (waiting, follow_up) = (seen(&waiting.name).await, seen(&follow_up.name).await);

    assert_eq!(waiting.state, ReferralState::Interviewed as i32);
    assert_eq!(follow_up.state, ReferralState::Interviewed as i32);
    assert_eq!(waiting.interview_result, InterviewResult::WaitingForBuddy as i32);
    assert_eq!(follow_up.interview_result, InterviewResult::FollowUp as i32);
}

// ---- the demo programme

#[tokio::test]
async fn the_demo_programme_is_botkyrka_sized_and_keeps_the_apis_rules() {
    let app = support::spawn_app_with_demo().await;
    let store = kompis_store::Store::from_pool(app.pool().clone());

    let started = std::time::Instant::now();
    let loaded = kompisd::demo::load(&store).await.expect("the demo loads");
    let took = started.elapsed();
    let again = kompisd::demo::load(&store)
        .await
        .expect("a second load is a no-op");

    eprintln!("demo programme loaded in {took:?}: {loaded:?}");
    assert_eq!(
        (loaded.residents, loaded.newcomers, loaded.referrals),
        (120, 300, 102)
    );
    assert_eq!(loaded.approved, 344);
    assert_eq!(again, kompisd::demo::Summary::default(), "what is there is kept");
    let coordinator = app.coordinator("botkyrka");
    let everyone = participants(&app, &coordinator)
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participants;
    assert_eq!(everyone.len(), 420);
    for p in &everyone {
        let languages = &p.profile.as_ref().unwrap().languages;
        assert!(!languages.is_empty(), "{}", p.name);
        assert!(
            languages.iter().all(|l| l.language_code != "sv"),
            "Swedish has its own field: {}",
            p.name
        );
    }
    let waiting = participants(&app, &coordinator)
        .get_waiting_list(GetWaitingListRequest {
            chapter: CHAPTER.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(waiting.total_size, 240);
    assert!(waiting.district_counts.iter().any(|c| c.shortage > 0));
    let referred = referrals(&app, &coordinator)
        .list_referrals(ListReferralsRequest {
            parent: CHAPTER.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .referrals;
    let mut schools: Vec<_> = referred.iter().map(|r| r.organization.as_str()).collect();
    schools.sort_unstable();
    schools.dedup();
    assert_eq!(
        schools,
        ["organizations/folkhogskola-tumba", "organizations/sfi-botkyrka"]
    );
    assert!(referred.iter().any(|r| !r.possible_duplicates.is_empty()));
}

// ---- search

async fn search(app: &support::TestApp, token: &str, query: &str) -> Result<Vec<PersonFound>, tonic::Status> {
    participants(app, token)
        .search_people(SearchPeopleRequest {
            parent: CHAPTER.into(),
            query: query.into(),
        })
        .await
        .map(|r| r.into_inner().people)
}

#[tokio::test]
async fn a_coordinator_finds_people_by_name_phone_or_e_mail_before_registering_them_again() {
    let app = support::spawn_app_with_demo().await;
    let coordinator = app.coordinator("botkyrka");
    let mut with_email = referral("+46701234567");
    with_email.contact.as_mut().unwrap().email = "amina@exempel.se".into();
    let waiting = refer(&app, with_email).await;
    let registered = register(&app, resident(7)).await;
    let converted = convert(&app, &refer(&app, referral("+46701234568")).await.name).await;

    let by_national_phone = search(&app, &coordinator, "070-123 45 67").await.unwrap();
    let by_name = search(&app, &coordinator, "eri").await.unwrap();
    let by_both_names = search(&app, &coordinator, "AMINA yus").await.unwrap();
    let by_email = search(&app, &coordinator, "amina@EXEMPEL.se").await.unwrap();
    let by_part_of_an_email = search(&app, &coordinator, "amina@exempel.com").await.unwrap();
    let nobody = search(&app, &coordinator, "Zlatan").await.unwrap();

    let names = |found: &[PersonFound]| found.iter().map(|p| p.name.clone()).collect::<Vec<String>>();
    assert_eq!(names(&by_national_phone), vec![waiting.name.clone()]);
    assert_eq!(names(&by_name), vec![registered.name.clone()]);
    assert_eq!(
        names(&by_both_names),
        vec![converted.name.clone(), waiting.name.clone()],
        "a converted referral is found as its participant, newest first"
    );
    assert_eq!(
        by_both_names[0].participant_state,
        ParticipantState::Applicant as i32
    );
    assert_eq!(names(&by_email), vec![waiting.name.clone()]);
    assert!(
        by_part_of_an_email.is_empty(),
        "an e-mail address matches exactly"
    );
    assert!(nobody.is_empty());
}

#[tokio::test]
async fn a_search_stays_within_the_callers_chapter_and_names_a_bad_query() {
    let app = support::spawn_app_with_demo().await;
    refer(&app, referral("+46701234567")).await;

    let other_chapter = search(&app, &app.coordinator("stockholm"), "amina")
        .await
        .unwrap_err();
    let school = search(&app, &app.referrer(SFI), "amina").await.unwrap_err();
    let too_short = search(&app, &app.coordinator("botkyrka"), "a").await.unwrap_err();

    assert_eq!(other_chapter.code(), Code::NotFound);
    assert_eq!(school.code(), Code::PermissionDenied);
    assert_eq!(support::bad_fields(&too_short), ["query"]);
}

#[tokio::test]
async fn every_search_is_answered_from_an_index_not_a_full_scan() {
    use kompis_store::search::{Query, statement};
    let app = support::spawn_app_with_demo().await;
    let store = kompis_store::Store::from_pool(app.pool().clone());
    kompisd::demo::load(&store).await.unwrap();
    let mut tx = app.pool().begin().await.unwrap();
    sqlx::query("ANALYZE participants")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("ANALYZE referrals").execute(&mut *tx).await.unwrap();
    // A few hundred rows fit in a handful of pages, where a scan is cheaper than any
    // index; forbidding scans shows whether an index can answer the query at all.
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .unwrap();

    for query in [
        Query::Phone("+46701740605".into()),
        Query::Email("amina.yusuf.n1@example.org".into()),
        Query::Name("ami".into()),
        Query::FullName("ami".into(), "yus".into()),
    ] {
        let (sql, first, second) = statement(&query);
        let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
            .bind("botkyrka")
            .bind(first)
            .bind(second)
            .bind(50_i64)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        let plan = plan.join("\n");
        assert!(!plan.contains("Seq Scan"), "{query:?}:\n{plan}");
        assert!(plan.contains("participants_"), "{query:?}:\n{plan}");
        assert!(plan.contains("referrals_"), "{query:?}:\n{plan}");
    }
}
