//! Possible duplicates as a coordinator resolves them: a flag dismissed is never shown
//! again for that pair; two records of one person merge into one with nothing lost; an
//! app sign-up is linked to the participant a referral created; a withdrawal clears the
//! flags of both records.

use crate::fixtures::participants::{
    CHAPTER, access_records, buddy_app, consent, eligible, get, hold, interviews, newcomer, participants,
    register, request_id, resident, speaks,
};
use crate::fixtures::referrals::{SFI, learner, referrals, reports};
use crate::support::{self, TestApp, bad_fields, reason};
use kompis_proto::v1::*;
use tonic::Code;
use uuid::Uuid;

/// A newcomer `n` whose phone number is `phone`.
fn newcomer_with_phone(n: u32, phone: &str) -> Participant {
    let mut p = newcomer(n);
    p.contact = Some(Contact {
        phone: phone.into(),
        email: String::new(),
    });
    p
}

/// Resolves the flag between `name` and `duplicate` as the demo chapter's coordinator.
async fn resolve(
    app: &TestApp,
    name: &str,
    duplicate: &str,
    resolution: DuplicateResolution,
) -> Result<Participant, tonic::Status> {
    resolve_as(app, &app.coordinator("botkyrka"), name, duplicate, resolution).await
}

async fn resolve_as(
    app: &TestApp,
    token: &str,
    name: &str,
    duplicate: &str,
    resolution: DuplicateResolution,
) -> Result<Participant, tonic::Status> {
    participants(app, token)
        .resolve_duplicate(ResolveDuplicateRequest {
            name: name.into(),
            duplicate: duplicate.into(),
            resolution: resolution as i32,
            request_id: request_id(),
        })
        .await
        .map(|r| r.into_inner().participant.unwrap())
}

/// Refers a learner with `phone` from the SFI school and converts the referral; returns
/// the referral's and the participant's names.
async fn referred_and_converted(app: &TestApp, phone: &str) -> (String, Participant) {
    let referral = referrals(app, &app.referrer(SFI))
        .create_referral(CreateReferralRequest {
            parent: CHAPTER.into(),
            referral: Some(learner(phone, "", "")),
            request_id: request_id(),
        })
        .await
        .expect("the referral is accepted")
        .into_inner()
        .referral
        .unwrap();
    let participant = referrals(app, &app.coordinator("botkyrka"))
        .convert_referral(ConvertReferralRequest {
            name: referral.name.clone(),
            request_id: request_id(),
        })
        .await
        .expect("the referral is converted")
        .into_inner()
        .participant
        .unwrap();
    (referral.name, participant)
}

/// Signs up in the app with `phone`; returns the token and the participant.
async fn signed_up(app: &TestApp, phone: &str) -> (String, Participant) {
    let id = Uuid::now_v7();
    let token = app.participant(id);
    let participant = buddy_app(app, &token)
        .sign_up(SignUpRequest {
            role: ParticipantRole::Newcomer as i32,
            person_name: Some(PersonName {
                given_name: "Amina".into(),
                family_name: "Yusuf".into(),
                display_name: String::new(),
            }),
            contact: Some(Contact {
                phone: phone.into(),
                email: String::new(),
            }),
            birth_year: 1990,
            gender: Gender::Female as i32,
            district: "municipalities/botkyrka/districts/alby".into(),
            languages: vec![speaks("prs", LanguageLevel::Native)],
            swedish_level: Some(SwedishLevel {
                level: Some(swedish_level::Level::SfiCourse(SfiCourse::B as i32)),
            }),
            consent: Some(consent(&format!("participant-{id}"))),
            request_id: request_id(),
        })
        .await
        .expect("the sign-up succeeds")
        .into_inner()
        .participant
        .unwrap();
    (token, participant)
}

async fn flagged_names(app: &TestApp) -> Vec<String> {
    participants(app, &app.coordinator("botkyrka"))
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            has_possible_duplicates: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participants
        .into_iter()
        .map(|p| p.name)
        .collect()
}

async fn coordinator_view_of_referral(app: &TestApp, name: &str) -> Referral {
    referrals(app, &app.coordinator("botkyrka"))
        .get_referral(GetReferralRequest { name: name.into() })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap()
}

async fn notes_of(app: &TestApp, participant: &str) -> Vec<ParticipantNote> {
    participants(app, &app.coordinator("botkyrka"))
        .list_participant_notes(ListParticipantNotesRequest {
            parent: participant.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .notes
}

#[tokio::test]
async fn a_dismissed_flag_is_never_shown_again_for_that_pair() {
    let app = support::spawn_app_with_demo().await;
    let first = register(&app, newcomer_with_phone(1, "+46701110001")).await;
    let second = register(&app, newcomer_with_phone(2, "+46701110001")).await;
    assert_eq!(
        get(&app, &first.name).await.possible_duplicates,
        std::slice::from_ref(&second.name)
    );

    let resolved = resolve(&app, &first.name, &second.name, DuplicateResolution::Dismiss)
        .await
        .unwrap();
    let third = register(&app, newcomer_with_phone(3, "+46701110001")).await;

    assert!(resolved.possible_duplicates.is_empty());
    assert_eq!(
        get(&app, &first.name).await.possible_duplicates,
        std::slice::from_ref(&third.name)
    );
    assert_eq!(
        get(&app, &second.name).await.possible_duplicates,
        std::slice::from_ref(&third.name)
    );
    assert_eq!(
        third.possible_duplicates,
        [first.name.clone(), second.name.clone()],
        "a dismissal is for one pair only"
    );
    let (dismissed_by,): (String,) = sqlx::query_as("SELECT dismissed_by FROM duplicate_dismissals")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(dismissed_by, "coordinator-botkyrka");
}

#[tokio::test]
async fn dismissing_a_pair_that_is_not_flagged_is_refused() {
    let app = support::spawn_app_with_demo().await;
    let first = register(&app, newcomer_with_phone(1, "+46701110001")).await;
    let other = register(&app, newcomer_with_phone(2, "+46701110002")).await;
    let twin = register(&app, newcomer_with_phone(3, "+46701110001")).await;
    resolve(&app, &first.name, &twin.name, DuplicateResolution::Dismiss)
        .await
        .unwrap();

    let unrelated = resolve(&app, &first.name, &other.name, DuplicateResolution::Dismiss)
        .await
        .unwrap_err();
    let again = resolve(&app, &twin.name, &first.name, DuplicateResolution::Dismiss)
        .await
        .unwrap_err();

    assert_eq!(unrelated.code(), Code::FailedPrecondition);
    assert_eq!(reason(&unrelated), "NOT_A_POSSIBLE_DUPLICATE");
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(reason(&again), "NOT_A_POSSIBLE_DUPLICATE");
}

#[tokio::test]
async fn a_dismissed_referral_is_no_longer_flagged_on_either_side() {
    let app = support::spawn_app_with_demo().await;
    let known = register(&app, newcomer_with_phone(1, "+46701110001")).await;
    let referral = referrals(&app, &app.referrer(SFI))
        .create_referral(CreateReferralRequest {
            parent: CHAPTER.into(),
            referral: Some(learner("+46701110001", "", "")),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();
    assert_eq!(
        coordinator_view_of_referral(&app, &referral.name)
            .await
            .possible_duplicates,
        std::slice::from_ref(&known.name)
    );

    let resolved = resolve(&app, &known.name, &referral.name, DuplicateResolution::Dismiss)
        .await
        .unwrap();

    assert!(resolved.possible_duplicates.is_empty());
    assert!(
        coordinator_view_of_referral(&app, &referral.name)
            .await
            .possible_duplicates
            .is_empty()
    );
}

#[tokio::test]
async fn a_merge_leaves_one_record_holding_the_referral_interviews_notes_and_events() {
    let app = support::spawn_app_with_demo().await;
    let coordinator = app.coordinator("botkyrka");
    let (referral, duplicate) = referred_and_converted(&app, "+46701110001").await;
    let interview = crate::fixtures::participants::book(&app, &duplicate.name).await;
    hold(&app, &interview.name).await;
    interviews(&app, &coordinator)
        .record_interview(RecordInterviewRequest {
            name: interview.name.clone(),
            outcome: InterviewOutcome::NeedsFollowUp as i32,
            outcome_reason: "wants to ask her family first".into(),
            eligibility: Some(eligible()),
            ..Default::default()
        })
        .await
        .expect("the interview is recorded");
    let survivor = register(&app, newcomer_with_phone(2, "+46701110001")).await;
    assert_eq!(
        survivor.possible_duplicates,
        [duplicate.name.clone(), referral.clone()]
    );

    let merged = resolve(&app, &survivor.name, &duplicate.name, DuplicateResolution::Merge)
        .await
        .unwrap();

    // The survivor keeps its own state and takes over the rest.
    let moved_interview = format!(
        "{}/interviews/{}",
        survivor.name,
        interview.name.rsplit('/').next().unwrap()
    );
    assert_eq!(merged.state, ParticipantState::Applicant as i32);
    assert!(merged.possible_duplicates.is_empty());
    assert_eq!(merged.latest_interview, moved_interview);
    let recorded = interviews(&app, &coordinator)
        .get_interview(GetInterviewRequest {
            name: moved_interview.clone(),
        })
        .await
        .expect("the interview is the survivor's")
        .into_inner()
        .interview
        .unwrap();
    assert_eq!(recorded.outcome, InterviewOutcome::NeedsFollowUp as i32);
    assert_eq!(
        coordinator_view_of_referral(&app, &referral).await.participant,
        survivor.name
    );
    let notes = notes_of(&app, &survivor.name).await;
    assert_eq!(notes.len(), 1, "the referrer's note moved: {notes:?}");
    assert!(notes[0].name.starts_with(&survivor.name));
    assert!(notes_of(&app, &duplicate.name).await.is_empty());
    // The duplicate is closed, not deleted.
    let closed = get(&app, &duplicate.name).await;
    assert_eq!(closed.state, ParticipantState::Ended as i32);
    assert_eq!(closed.merged_into, survivor.name);
    assert_eq!(closed.person_name, duplicate.person_name);
    assert!(closed.possible_duplicates.is_empty());
    // The survivor's history lists the closed record's events with its own.
    let events = reports(&app, &coordinator)
        .list_events(ListEventsRequest {
            parent: CHAPTER.into(),
            subject: survivor.name.clone(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let subjects: std::collections::BTreeSet<&str> = events.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            survivor.name.as_str(),
            duplicate.name.as_str(),
            interview.name.as_str()
        ]
        .into_iter()
        .collect()
    );
    let reasons: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e.reason.starts_with("merged"))
        .map(|e| (e.subject.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                duplicate.name.as_str(),
                format!("merged into {}", survivor.name).as_str()
            ),
            (
                survivor.name.as_str(),
                format!("merged with {}", duplicate.name).as_str()
            ),
        ]
    );
}

/// (method, object) of every record in `log` about `object`.
fn about<'a>(log: &'a [AccessRecord], object: &str) -> Vec<(&'a str, &'a str)> {
    log.iter()
        .filter(|r| r.object == object)
        .map(|r| (r.method.as_str(), r.object.as_str()))
        .collect()
}

#[tokio::test]
async fn the_survivors_access_log_holds_every_access_to_the_records_merged_into_it() {
    let app = support::spawn_app_with_demo().await;
    let phone = "+46701110009";
    let duplicate = register(&app, newcomer_with_phone(1, phone)).await;
    get(&app, &duplicate.name).await;
    let survivor = register(&app, newcomer_with_phone(2, phone)).await;
    assert!(about(&access_records(&app, &survivor.name).await, &duplicate.name).is_empty());

    resolve(&app, &survivor.name, &duplicate.name, DuplicateResolution::Merge)
        .await
        .unwrap();
    let log = access_records(&app, &survivor.name).await;
    let of_duplicate = about(&log, &duplicate.name);
    assert!(
        of_duplicate.contains(&("CreateParticipant", duplicate.name.as_str()))
            && of_duplicate.contains(&("GetParticipant", duplicate.name.as_str())),
        "{of_duplicate:?}"
    );
    // Newest first across both records.
    let times: Vec<_> = log
        .iter()
        .map(|r| r.occur_time.unwrap())
        .map(|t| (t.seconds, t.nanos))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    // The survivor merged in turn: the last record's log holds both earlier ones'.
    let last = register(&app, newcomer_with_phone(3, phone)).await;
    resolve(&app, &last.name, &survivor.name, DuplicateResolution::Merge)
        .await
        .unwrap();
    let log = access_records(&app, &last.name).await;
    assert!(about(&log, &duplicate.name).contains(&("GetParticipant", duplicate.name.as_str())));
    assert!(about(&log, &survivor.name).contains(&("CreateParticipant", survivor.name.as_str())));
    // A record merged away keeps its own log, without the survivor's.
    assert!(about(&access_records(&app, &duplicate.name).await, &last.name).is_empty());
}

#[tokio::test]
async fn a_merge_is_refused_with_nothing_written_when_the_duplicate_has_a_booked_interview() {
    let app = support::spawn_app_with_demo().await;
    let survivor = register(&app, newcomer_with_phone(1, "+46701110001")).await;
    let duplicate = register(&app, newcomer_with_phone(2, "+46701110001")).await;
    crate::fixtures::participants::book(&app, &duplicate.name).await;
    let resident = register(&app, resident(1)).await;

    let booked = resolve(&app, &survivor.name, &duplicate.name, DuplicateResolution::Merge)
        .await
        .unwrap_err();
    let roles = resolve(&app, &survivor.name, &resident.name, DuplicateResolution::Merge)
        .await
        .unwrap_err();

    assert_eq!(booked.code(), Code::FailedPrecondition);
    assert_eq!(reason(&booked), "MERGE_NOT_POSSIBLE");
    assert_eq!(roles.code(), Code::FailedPrecondition);
    assert_eq!(reason(&roles), "MERGE_NOT_POSSIBLE");
    let after = get(&app, &duplicate.name).await;
    assert_eq!(after.state, ParticipantState::InterviewBooked as i32);
    assert!(after.merged_into.is_empty());
    assert_eq!(after.possible_duplicates, std::slice::from_ref(&survivor.name));
}

#[tokio::test]
async fn an_app_account_linked_to_the_referral_created_record_sees_that_record() {
    let app = support::spawn_app_with_demo().await;
    let (_, from_referral) = referred_and_converted(&app, "+46701110001").await;
    let (token, self_sign_up) = signed_up(&app, "070-111 00 01").await;
    assert_eq!(
        get(&app, &from_referral.name).await.possible_duplicates,
        std::slice::from_ref(&self_sign_up.name)
    );

    let linked = resolve(
        &app,
        &from_referral.name,
        &self_sign_up.name,
        DuplicateResolution::LinkAppAccount,
    )
    .await
    .unwrap();
    let mine = buddy_app(&app, &token)
        .get_my_profile(GetMyProfileRequest {})
        .await
        .expect("the app account owns a participant")
        .into_inner()
        .participant
        .unwrap();
    let application = buddy_app(&app, &token)
        .get_my_application(GetMyApplicationRequest {})
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();

    assert_eq!(linked.source, ParticipantSource::Referral as i32);
    assert!(linked.possible_duplicates.is_empty());
    assert_eq!(mine.name, from_referral.name);
    assert!(mine.merged_into.is_empty() && mine.possible_duplicates.is_empty());
    assert_eq!(application.state, ParticipantState::Applicant as i32);
    let closed = get(&app, &self_sign_up.name).await;
    assert_eq!(closed.state, ParticipantState::Ended as i32);
    assert_eq!(closed.merged_into, from_referral.name);
    let (owner,): (Option<String>,) =
        sqlx::query_as("SELECT account_subject FROM participants WHERE id = $1")
            .bind(Uuid::parse_str(from_referral.name.rsplit('/').next().unwrap()).unwrap())
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(
        owner.as_deref(),
        Some(format!("participant-{}", self_sign_up.name.rsplit('/').next().unwrap()).as_str())
    );
}

#[tokio::test]
async fn an_app_account_cannot_be_linked_from_a_record_without_one() {
    let app = support::spawn_app_with_demo().await;
    let (_, from_referral) = referred_and_converted(&app, "+46701110001").await;
    let registered = register(&app, newcomer_with_phone(2, "+46701110001")).await;

    let status = resolve(
        &app,
        &from_referral.name,
        &registered.name,
        DuplicateResolution::LinkAppAccount,
    )
    .await
    .unwrap_err();

    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "ACCOUNT_LINK_NOT_POSSIBLE");
    assert_eq!(
        get(&app, &registered.name).await.state,
        ParticipantState::Applicant as i32
    );
}

#[tokio::test]
async fn a_withdrawal_clears_the_flags_of_both_records() {
    let app = support::spawn_app_with_demo().await;
    let staying = register(&app, newcomer_with_phone(1, "+46701110001")).await;
    let leaving = register(&app, newcomer_with_phone(2, "+46701110001")).await;
    assert_eq!(
        flagged_names(&app).await,
        [staying.name.clone(), leaving.name.clone()]
    );

    participants(&app, &app.coordinator("botkyrka"))
        .withdraw_participant(WithdrawParticipantRequest {
            name: leaving.name.clone(),
            reason: "registered twice".into(),
            request_id: request_id(),
        })
        .await
        .unwrap();

    assert!(get(&app, &staying.name).await.possible_duplicates.is_empty());
    assert!(get(&app, &leaving.name).await.possible_duplicates.is_empty());
    assert!(flagged_names(&app).await.is_empty());
}

#[tokio::test]
async fn a_bad_resolution_names_every_bad_field() {
    let app = support::spawn_app_with_demo().await;
    let participant = register(&app, newcomer(1)).await;
    let referral = format!("{CHAPTER}/referrals/{}", Uuid::now_v7());

    let everything = resolve(&app, "participants/1", "", DuplicateResolution::Unspecified)
        .await
        .unwrap_err();
    let merge_a_referral = resolve(&app, &participant.name, &referral, DuplicateResolution::Merge)
        .await
        .unwrap_err();
    let itself = resolve(
        &app,
        &participant.name,
        &participant.name,
        DuplicateResolution::Merge,
    )
    .await
    .unwrap_err();

    assert_eq!(everything.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&everything), ["duplicate", "name", "resolution"]);
    assert_eq!(bad_fields(&merge_a_referral), ["duplicate"]);
    assert_eq!(bad_fields(&itself), ["duplicate"]);
}

#[tokio::test]
async fn only_the_chapters_coordinators_resolve_flags() {
    let app = support::spawn_app_with_demo().await;
    let first = register(&app, newcomer_with_phone(1, "+46701110001")).await;
    let second = register(&app, newcomer_with_phone(2, "+46701110001")).await;
    let id = Uuid::parse_str(first.name.rsplit('/').next().unwrap()).unwrap();

    let school = resolve_as(
        &app,
        &app.referrer(SFI),
        &first.name,
        &second.name,
        DuplicateResolution::Dismiss,
    )
    .await
    .unwrap_err();
    let learner = resolve_as(
        &app,
        &app.participant(id),
        &first.name,
        &second.name,
        DuplicateResolution::Dismiss,
    )
    .await
    .unwrap_err();
    let elsewhere = resolve_as(
        &app,
        &app.coordinator("uppsala"),
        &first.name,
        &second.name,
        DuplicateResolution::Merge,
    )
    .await
    .unwrap_err();

    assert_eq!(
        (school.code(), reason(&school).as_str()),
        (Code::PermissionDenied, "ROLE_NOT_ALLOWED")
    );
    assert_eq!(
        (learner.code(), reason(&learner).as_str()),
        (Code::PermissionDenied, "ROLE_NOT_ALLOWED")
    );
    assert_eq!(elsewhere.code(), Code::NotFound);
    assert_eq!(
        get(&app, &second.name).await.state,
        ParticipantState::Applicant as i32
    );
    assert_eq!(
        get(&app, &first.name).await.possible_duplicates,
        std::slice::from_ref(&second.name)
    );
}

#[tokio::test]
async fn a_retried_merge_answers_what_the_first_answered() {
    let app = support::spawn_app_with_demo().await;
    let survivor = register(&app, newcomer_with_phone(1, "+46701110001")).await;
    let duplicate = register(&app, newcomer_with_phone(2, "+46701110001")).await;
    let request = ResolveDuplicateRequest {
        name: survivor.name.clone(),
        duplicate: duplicate.name.clone(),
        resolution: DuplicateResolution::Merge as i32,
        request_id: request_id(),
    };
    let mut client = participants(&app, &app.coordinator("botkyrka"));

    let first = client
        .resolve_duplicate(request.clone())
        .await
        .unwrap()
        .into_inner();
    let retried = client.resolve_duplicate(request).await.unwrap().into_inner();

    assert_eq!(retried, first);
    let closing_events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE subject = $1 AND to_state = 'ended'")
            .bind(&duplicate.name)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(closing_events, 1, "the merge happened once");
}
