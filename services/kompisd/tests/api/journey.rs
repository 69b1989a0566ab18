//! A learner's journey from an SFI referral to the waiting list, each step visible to
//! the school as progress and to the coordinator in the event log.

use crate::fixtures::referrals::{
    CHAPTER, COORDINATOR_ACCOUNT, SFI, SFI_ACCOUNT, refer, referrals, reports, request_id,
};
use crate::support;
use kompis_proto::v1::interview_service_client::InterviewServiceClient;
use kompis_proto::v1::*;
use tonic::Code;

/// An event reduced to what the journey asserts: the kind of subject, the states and
/// who made the change.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Referral(ReferralState, ReferralState, String),
    Participant(ParticipantState, ParticipantState, String),
    Interview(InterviewState, InterviewState, String),
}

fn step(event: &Event) -> Step {
    use event::Transition;
    let actor = event.actor.clone();
    match event.transition.expect("every event has a transition") {
        Transition::Referral(t) => Step::Referral(
            ReferralState::try_from(t.from_state).unwrap(),
            ReferralState::try_from(t.to_state).unwrap(),
            actor,
        ),
        Transition::Participant(t) => Step::Participant(
            ParticipantState::try_from(t.from_state).unwrap(),
            ParticipantState::try_from(t.to_state).unwrap(),
            actor,
        ),
        Transition::Interview(t) => Step::Interview(
            InterviewState::try_from(t.from_state).unwrap(),
            InterviewState::try_from(t.to_state).unwrap(),
            actor,
        ),
        Transition::Match(_) => panic!("no match is made in this journey"),
        Transition::Activity(_) | Transition::Invitation(_) => panic!("no activity in this journey"),
    }
}

/// Every event of the chapter, oldest first, read `page_size` at a time.
async fn all_events(app: &support::TestApp, page_size: i32) -> Vec<Event> {
    let mut client = reports(app, &app.coordinator("botkyrka"));
    let mut events = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_events(ListEventsRequest {
                parent: CHAPTER.into(),
                page_size,
                page_token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        events.extend(page.events);
        if page.next_page_token.is_empty() {
            return events;
        }
        page_token = page.next_page_token;
    }
}

/// The progress the school sees of `referral`.
async fn progress_seen_by_school(app: &support::TestApp, referral: &str) -> i32 {
    referrals(app, &app.referrer(SFI))
        .get_referral(GetReferralRequest {
            name: referral.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap()
        .state
}

/// What a coordinator records at an interview that approves a newcomer.
fn approving_interview(name: &str) -> RecordInterviewRequest {
    RecordInterviewRequest {
        request_id: String::new(),
        name: name.to_owned(),
        profile: Some(MatchingProfile {
            languages: vec![LanguageSkill {
                language_code: "prs".into(),
                level: LanguageLevel::Native as i32,
            }],
            swedish_level: Some(SwedishLevel {
                level: Some(swedish_level::Level::SfiCourse(SfiCourse::C as i32)),
            }),
            interests: vec!["chapters/botkyrka/interests/walking".into()],
            district: "municipalities/botkyrka/districts/alby".into(),
            availability: vec![AvailabilitySlot {
                weekday: Weekday::Tuesday as i32,
                day_part: DayPart::Evening as i32,
            }],
            meeting_preference: MeetingPreference::InPerson as i32,
            buddy_capacity: 1,
            ..Default::default()
        }),
        eligibility: Some(Eligibility {
            meets_minimum_age: true,
            meets_chapter_rules: true,
            note: String::new(),
        }),
        notes: "Keen to practise Swedish on walks.".into(),
        outcome: InterviewOutcome::Approved as i32,
        outcome_reason: String::new(),
    }
}

#[tokio::test]
async fn a_referral_becomes_a_ready_participant_step_by_step_in_the_event_log() {
    let app = support::spawn_app_with_demo().await;
    let coordinator_token = app.coordinator("botkyrka");
    let mut coordinator = referrals(&app, &coordinator_token);
    let mut interviews = InterviewServiceClient::new(support::authed(app.channel(), &coordinator_token));

    // The school refers the learner.
    let referral = refer(&app, "+46701234567", "amina@exempel.se").await;
    assert_eq!(
        progress_seen_by_school(&app, &referral.name).await,
        ReferralState::Received as i32
    );

    // The coordinator turns the referral into a participant.
    let participant = coordinator
        .convert_referral(ConvertReferralRequest {
            name: referral.name.clone(),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert_eq!(
        progress_seen_by_school(&app, &referral.name).await,
        ReferralState::Contacted as i32
    );

    // ... books the intake interview ...
    let interview = interviews
        .book_interview(BookInterviewRequest {
            parent: participant.name.clone(),
            interview: Some(Interview {
                schedule_time: Some(prost_types::Timestamp {
                    // A week from now.
                    seconds: std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_secs() as i64
                        + 7 * 24 * 3600,
                    nanos: 0,
                }),
                mode: InterviewMode::InPerson as i32,
                location: "Alby library".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .interview
        .unwrap();
    assert_eq!(
        progress_seen_by_school(&app, &referral.name).await,
        ReferralState::InterviewBooked as i32
    );

    // ... and, once it has been held, records it as approved: the participant is
    // ready for a buddy.
    crate::fixtures::participants::hold(&app, &interview.name).await;
    interviews
        .record_interview(approving_interview(&interview.name))
        .await
        .unwrap();
    assert_eq!(
        progress_seen_by_school(&app, &referral.name).await,
        ReferralState::Interviewed as i32
    );

    // Every step is in the event log, in order, with who made it.
    let events = all_events(&app, 2).await;
    let coordinator_account = COORDINATOR_ACCOUNT.to_owned();
    assert_eq!(
        events.iter().map(step).collect::<Vec<_>>(),
        [
            Step::Referral(
                ReferralState::Unspecified,
                ReferralState::Received,
                SFI_ACCOUNT.into()
            ),
            Step::Participant(
                ParticipantState::Unspecified,
                ParticipantState::Applicant,
                coordinator_account.clone()
            ),
            Step::Referral(
                ReferralState::Received,
                ReferralState::Contacted,
                coordinator_account.clone()
            ),
            Step::Participant(
                ParticipantState::Applicant,
                ParticipantState::InterviewBooked,
                coordinator_account.clone()
            ),
            Step::Interview(
                InterviewState::Unspecified,
                InterviewState::Booked,
                coordinator_account.clone()
            ),
            Step::Interview(
                InterviewState::Booked,
                InterviewState::Recorded,
                coordinator_account.clone()
            ),
            Step::Participant(
                ParticipantState::InterviewBooked,
                ParticipantState::Ready,
                coordinator_account
            ),
        ]
    );
    let subjects: Vec<&str> = events.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(subjects[0], referral.name);
    assert_eq!(subjects[1], participant.name);
    assert_eq!(subjects[4], interview.name);
    assert_eq!(events[0].reason, "referred by organizations/sfi-botkyrka");
    assert_eq!(events[2].reason, format!("converted into {}", participant.name));
    let times: Vec<(i64, i32)> = events
        .iter()
        .map(|e| e.event_time.map(|t| (t.seconds, t.nanos)).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    assert!(
        events
            .iter()
            .all(|e| e.name.starts_with("chapters/botkyrka/events/"))
    );
}

#[tokio::test]
async fn the_event_log_can_be_read_for_one_subject() {
    let app = support::spawn_app_with_demo().await;
    let referral = refer(&app, "+46701234567", "").await;
    refer(&app, "+46707654321", "").await;
    referrals(&app, &app.coordinator("botkyrka"))
        .close_referral(CloseReferralRequest {
            request_id: String::new(),
            name: referral.name.clone(),
            reason: ReferralCloseReason::Declined as i32,
            note: "Found a language café instead.".into(),
        })
        .await
        .unwrap();

    let events = reports(&app, &app.coordinator("botkyrka"))
        .list_events(ListEventsRequest {
            parent: CHAPTER.into(),
            subject: referral.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;

    assert_eq!(
        events.iter().map(step).collect::<Vec<_>>(),
        [
            Step::Referral(
                ReferralState::Unspecified,
                ReferralState::Received,
                SFI_ACCOUNT.into()
            ),
            Step::Referral(
                ReferralState::Received,
                ReferralState::Closed,
                COORDINATOR_ACCOUNT.into()
            ),
        ]
    );
    assert_eq!(events[1].reason, "declined: Found a language café instead.");
}

#[tokio::test]
async fn only_the_chapters_staff_read_the_event_log() {
    let app = support::spawn_app_with_demo().await;
    refer(&app, "+46701234567", "").await;
    let request = ListEventsRequest {
        parent: CHAPTER.into(),
        ..Default::default()
    };

    let school = reports(&app, &app.referrer(SFI))
        .list_events(request.clone())
        .await
        .unwrap_err();
    let other_chapter = reports(&app, &app.coordinator("stockholm"))
        .list_events(request.clone())
        .await
        .unwrap_err();
    let administrator = reports(&app, &app.administrator())
        .list_events(request)
        .await
        .unwrap()
        .into_inner();

    // A referrer's role may never read the log; another chapter's log does not exist
    // for a coordinator.
    assert_eq!(school.code(), Code::PermissionDenied);
    assert_eq!(other_chapter.code(), Code::NotFound);
    assert_eq!(administrator.events.len(), 1);
}

#[tokio::test]
async fn the_event_log_refuses_changes_but_lets_free_text_reasons_be_erased() {
    let app = support::spawn_app_with_demo().await;
    let subject = "chapters/botkyrka/participants/0190a000-0000-7000-8000-000000000001";
    kompis_store::events::append(
        app.pool(),
        &kompis_store::events::NewEvent {
            chapter_id: "botkyrka",
            subject,
            kind: kompis_domain::EventKind::Participant,
            actor: "coordinator-botkyrka",
            occur_time: time::OffsetDateTime::now_utc(),
            from_state: "ready",
            to_state: "withdrawn",
            reason: "moved to Malmö to live with her sister",
            attributes: Default::default(),
        },
    )
    .await
    .unwrap();

    let rewrite = sqlx::query("UPDATE events SET to_state = 'ended' WHERE subject = $1")
        .bind(subject)
        .execute(app.pool())
        .await;
    assert!(rewrite.is_err(), "states in the log cannot be rewritten");
    let delete = sqlx::query("DELETE FROM events WHERE subject = $1")
        .bind(subject)
        .execute(app.pool())
        .await;
    assert!(delete.is_err(), "events cannot be deleted");

    let erased = kompis_store::events::erase_reasons(app.pool(), subject)
        .await
        .unwrap();
    assert_eq!(erased, 1);
    let (to_state, reason): (String, String) =
        sqlx::query_as("SELECT to_state, reason FROM events WHERE subject = $1")
            .bind(subject)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!((to_state.as_str(), reason.as_str()), ("withdrawn", ""));
}
