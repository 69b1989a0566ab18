//! BuddyAppService: a person signs up in the app, appears to coordinators as an
//! applicant, and follows their application and place in the queue.

use crate::fixtures::participants::*;
use crate::support;
use kompis_proto::v1::*;
use tonic::Code;
use uuid::Uuid;

/// The account id in the harness's participant token for `id`.
fn account(id: Uuid) -> String {
    format!("participant-{id}")
}

/// A sign-up of a newcomer in Alby who speaks Dari; `n` makes the contact unique.
fn sign_up_request(id: Uuid, n: u32) -> SignUpRequest {
    SignUpRequest {
        role: ParticipantRole::Newcomer as i32,
        person_name: Some(PersonName {
            given_name: format!("Farid {n}"),
            family_name: "Ahmadi".into(),
            display_name: "Farid".into(),
        }),
        contact: Some(Contact {
            phone: format!("+4670300{n:04}"),
            email: String::new(),
        }),
        birth_year: 1995,
        gender: Gender::Male as i32,
        district: ALBY.into(),
        languages: vec![speaks("prs", LanguageLevel::Native)],
        swedish_level: Some(SwedishLevel {
            level: Some(swedish_level::Level::Cefr(LanguageLevel::A2 as i32)),
        }),
        consent: Some(consent(&account(id))),
        request_id: request_id(),
    }
}

/// Signs up a new app user; returns their participant id and token.
pub(crate) async fn signed_up(app: &support::TestApp, n: u32) -> (Uuid, String, Participant) {
    let id = Uuid::now_v7();
    let token = app.participant(id);
    let participant = buddy_app(app, &token)
        .sign_up(sign_up_request(id, n))
        .await
        .expect("the sign-up succeeds")
        .into_inner()
        .participant
        .unwrap();
    (id, token, participant)
}

async fn my_application(app: &support::TestApp, token: &str) -> MyApplication {
    buddy_app(app, token)
        .get_my_application(GetMyApplicationRequest {})
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap()
}

#[tokio::test]
async fn a_person_signs_up_in_the_app_and_sees_their_application() {
    let app = support::spawn_app_with_demo().await;

    let (id, token, participant) = signed_up(&app, 1).await;
    let application = my_application(&app, &token).await;

    assert_eq!(participant.name, format!("{CHAPTER}/participants/{id}"));
    assert_eq!(participant.state, ParticipantState::Applicant as i32);
    assert_eq!(participant.source, ParticipantSource::SelfSignUp as i32);
    assert_eq!(application.state, ParticipantState::Applicant as i32);
    assert_eq!(application.queue_position, 0);
    assert_eq!(application.chapter_display_name, "Kompis Botkyrka");
    assert!(application.interview_time.is_none());
    let profile = buddy_app(&app, &token)
        .get_my_profile(GetMyProfileRequest {})
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert_eq!(profile.name, participant.name);
    assert_eq!(profile.profile.unwrap().languages[0].language_code, "prs");
}

#[tokio::test]
async fn a_self_sign_up_appears_to_coordinators_as_an_applicant() {
    let app = support::spawn_app_with_demo().await;
    let (_, _, participant) = signed_up(&app, 1).await;

    let applicants = participants(&app, &app.coordinator("botkyrka"))
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            states: vec![ParticipantState::Applicant as i32],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participants;

    assert_eq!(applicants.len(), 1);
    assert_eq!(applicants[0].name, participant.name);
    assert_eq!(applicants[0].source, ParticipantSource::SelfSignUp as i32);
    assert_eq!(
        event_states(&app, &participant.name).await,
        [step("", "applicant")]
    );
}

#[tokio::test]
async fn before_signing_up_every_call_but_sign_up_is_refused_as_a_bad_token_would_be() {
    let app = support::spawn_app_with_demo().await;
    let id = Uuid::now_v7();
    let token = app.participant(id);

    let profile = buddy_app(&app, &token)
        .get_my_profile(GetMyProfileRequest {})
        .await
        .unwrap_err();
    let application = buddy_app(&app, &token)
        .get_my_application(GetMyApplicationRequest {})
        .await
        .unwrap_err();

    for status in [profile, application] {
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(support::reason(&status), "INVALID_TOKEN");
        assert_eq!(status.message(), "a valid bearer token is required");
    }
    // The same token signs up, and is then the participant's.
    buddy_app(&app, &token)
        .sign_up(sign_up_request(id, 1))
        .await
        .expect("the token signs up");
    buddy_app(&app, &token)
        .get_my_profile(GetMyProfileRequest {})
        .await
        .expect("after signing up, the profile is the caller's");
}

#[tokio::test]
async fn a_retried_sign_up_returns_the_first_and_a_second_one_is_refused() {
    let app = support::spawn_app_with_demo().await;
    let id = Uuid::now_v7();
    let token = app.participant(id);
    let request = sign_up_request(id, 1);
    let mut client = buddy_app(&app, &token);

    let first = client.sign_up(request.clone()).await.unwrap().into_inner();
    let retry = client.sign_up(request).await.unwrap().into_inner();
    let again = client.sign_up(sign_up_request(id, 2)).await.unwrap_err();

    assert_eq!(first.participant, retry.participant);
    assert_eq!(again.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn a_sign_up_names_an_invalid_language_code_and_an_unknown_district() {
    let app = support::spawn_app_with_demo().await;
    let id = Uuid::now_v7();
    let mut request = sign_up_request(id, 1);
    request.languages = vec![speaks("swedish", LanguageLevel::B1)];
    request.district = "municipalities/botkyrka/districts/atlantis".into();
    request.swedish_level = None;

    let status = buddy_app(&app, &app.participant(id))
        .sign_up(request)
        .await
        .unwrap_err();

    assert_eq!(
        support::bad_fields(&status),
        ["district", "languages[0].language_code", "swedish_level"]
    );
}

#[tokio::test]
async fn a_sign_up_needs_the_callers_own_consent() {
    let app = support::spawn_app_with_demo().await;
    let id = Uuid::now_v7();
    let mut request = sign_up_request(id, 1);
    request.consent = Some(consent("someone-else"));

    let status = buddy_app(&app, &app.participant(id))
        .sign_up(request)
        .await
        .unwrap_err();

    assert_eq!(support::bad_fields(&status), ["consent.given_by"]);
    assert_eq!(support::reason(&status), "CONSENT_MISSING");
}

#[tokio::test]
async fn a_sign_up_in_a_district_no_chapter_covers_is_not_found() {
    let app = support::spawn_app_with_demo().await;
    let id = Uuid::now_v7();
    let mut request = sign_up_request(id, 1);
    request.district = RINKEBY.into();

    let status = buddy_app(&app, &app.participant(id))
        .sign_up(request)
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn a_known_phone_number_is_flagged_to_coordinators_but_never_shown_in_the_app() {
    let app = support::spawn_app_with_demo().await;
    let mut known = newcomer(1);
    known.contact.as_mut().unwrap().phone = "+46703000001".into();
    let known = register(&app, known).await;

    let (_, token, participant) = signed_up(&app, 1).await;

    assert!(participant.possible_duplicates.is_empty());
    assert!(participant.state_reason.is_empty());
    let mine = buddy_app(&app, &token)
        .get_my_profile(GetMyProfileRequest {})
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert!(mine.possible_duplicates.is_empty());
    assert_eq!(
        get(&app, &participant.name).await.possible_duplicates,
        [known.name]
    );
}

#[tokio::test]
async fn a_ready_participant_sees_their_place_in_the_queue() {
    let app = support::spawn_app_with_demo().await;
    let (_, first_token, first) = signed_up(&app, 1).await;
    let (_, second_token, second) = signed_up(&app, 2).await;
    let (_, third_token, third) = signed_up(&app, 3).await;
    approve(&app, &first, ALBY, "prs").await;

    let interview = book(&app, &second.name).await;
    let booked = my_application(&app, &second_token).await;
    record(
        &app,
        &interview.name,
        InterviewOutcome::Approved,
        interview_profile(ParticipantRole::Newcomer, ALBY, "prs"),
    )
    .await;
    let first_place = my_application(&app, &first_token).await;
    let second_place = my_application(&app, &second_token).await;
    let not_ready = my_application(&app, &third_token).await;

    assert_eq!(booked.state, ParticipantState::InterviewBooked as i32);
    assert_eq!(booked.interview_time, interview.schedule_time);
    assert_eq!(first_place.state, ParticipantState::Ready as i32);
    assert_eq!((first_place.queue_position, first_place.queue_length), (1, 2));
    assert_eq!((second_place.queue_position, second_place.queue_length), (2, 2));
    assert!(second_place.waiting_since.is_some());
    assert_eq!(not_ready.state, ParticipantState::Applicant as i32);
    assert_eq!((not_ready.queue_position, not_ready.queue_length), (0, 2));
    let _ = third;
}

#[tokio::test]
async fn a_new_participant_has_no_buddy_and_no_invitations_and_no_match_to_check_in_on() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, _) = signed_up(&app, 1).await;
    let mut client = buddy_app(&app, &token);

    let buddies = client
        .get_my_buddy(GetMyBuddyRequest {})
        .await
        .unwrap()
        .into_inner()
        .buddies;
    let invitations = client
        .list_my_invitations(ListMyInvitationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .invitations;
    let check_in = client.check_in(CheckInRequest::default()).await.unwrap_err();

    assert!(buddies.is_empty());
    assert!(invitations.is_empty());
    assert_eq!(support::bad_fields(&check_in), ["answer", "match"]);
}

#[tokio::test]
async fn only_participants_use_the_app_service() {
    let app = support::spawn_app_with_demo().await;

    let status = buddy_app(&app, &app.coordinator("botkyrka"))
        .get_my_application(GetMyApplicationRequest {})
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn the_reason_a_coordinator_gave_for_an_outcome_is_not_shown_in_the_app() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, participant) = signed_up(&app, 40).await;
    let interview = book(&app, &participant.name).await;
    record(
        &app,
        &interview.name,
        InterviewOutcome::NeedsFollowUp,
        interview_profile(ParticipantRole::Newcomer, ALBY, "prs"),
    )
    .await;

    let seen_by_coordinator = get(&app, &participant.name).await;
    let seen_in_app = buddy_app(&app, &token)
        .get_my_profile(GetMyProfileRequest {})
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();

    assert_eq!(seen_by_coordinator.state_reason, "wants to think it over");
    assert_eq!(seen_in_app.state, ParticipantState::NeedsFollowUp as i32);
    assert_eq!(seen_in_app.state_reason, "");
}

/// The caller's profile as the app shows it.
async fn my_profile(app: &support::TestApp, token: &str) -> Participant {
    buddy_app(app, token)
        .get_my_profile(GetMyProfileRequest {})
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap()
}

/// The names of the chapter's participants whose own changes wait for a review.
async fn waiting_for_review(app: &support::TestApp) -> Vec<String> {
    participants(app, &app.coordinator("botkyrka"))
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            profile_review_pending: true,
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

#[tokio::test]
async fn a_participant_moves_and_learns_a_language_and_a_coordinator_is_asked_to_review_it() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, participant) = signed_up(&app, 1).await;

    let updated = buddy_app(&app, &token)
        .update_my_profile(UpdateMyProfileRequest {
            participant: Some(Participant {
                contact: Some(Contact {
                    phone: "+46703009999".into(),
                    email: "farid@example.org".into(),
                }),
                district: TUMBA.into(),
                profile: Some(MatchingProfile {
                    languages: vec![
                        speaks("prs", LanguageLevel::Native),
                        speaks("ar", LanguageLevel::B1),
                    ],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            update_mask: mask(&[
                "contact",
                "district",
                "profile.languages",
                "notificationSettings.email",
            ]),
            notification_settings: Some(NotificationSettings {
                email: true,
                ..Default::default()
            }),
        })
        .await
        .expect("the participant may change these")
        .into_inner();

    let p = updated.participant.unwrap();
    assert_eq!(p.district, TUMBA);
    assert_eq!(p.contact.unwrap().email, "farid@example.org");
    let languages: Vec<String> = p
        .profile
        .unwrap()
        .languages
        .into_iter()
        .map(|l| l.language_code)
        .collect();
    assert_eq!(languages, ["prs", "ar"]);
    assert!(p.profile_review_time.is_some());
    assert!(updated.notification_settings.unwrap().email);
    assert_eq!(
        waiting_for_review(&app).await,
        std::slice::from_ref(&participant.name)
    );

    // The coordinator looks and clears the flag; the participant's changes stay.
    let reviewed = participants(&app, &app.coordinator("botkyrka"))
        .update_participant(UpdateParticipantRequest {
            participant: Some(Participant {
                name: participant.name.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["profile_review_time"]),
        })
        .await
        .expect("a coordinator clears the review flag")
        .into_inner()
        .participant
        .unwrap();
    assert!(reviewed.profile_review_time.is_none());
    assert_eq!(reviewed.district, TUMBA);
    assert!(waiting_for_review(&app).await.is_empty());
}

#[tokio::test]
async fn new_contact_details_alone_are_not_sent_for_review() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, _) = signed_up(&app, 1).await;

    let p = buddy_app(&app, &token)
        .update_my_profile(UpdateMyProfileRequest {
            participant: Some(Participant {
                person_name: Some(PersonName {
                    display_name: "Fari".into(),
                    ..Default::default()
                }),
                contact: Some(Contact {
                    phone: "070-300 88 88".into(),
                    email: String::new(),
                }),
                ..Default::default()
            }),
            update_mask: mask(&["person_name.display_name", "contact"]),
            notification_settings: None,
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();

    assert_eq!(p.contact.unwrap().phone, "+46703008888");
    let name = p.person_name.unwrap();
    assert_eq!(
        (name.given_name.as_str(), name.display_name.as_str()),
        ("Farid 1", "Fari")
    );
    assert!(p.profile_review_time.is_none());
    assert!(waiting_for_review(&app).await.is_empty());
}

#[tokio::test]
async fn a_participant_cannot_set_their_state_role_or_chapter() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, before) = signed_up(&app, 1).await;

    let status = buddy_app(&app, &token)
        .update_my_profile(UpdateMyProfileRequest {
            participant: Some(Participant {
                state: ParticipantState::Ready as i32,
                role: ParticipantRole::EstablishedResident as i32,
                contact: Some(Contact {
                    phone: "+46703007777".into(),
                    email: String::new(),
                }),
                ..Default::default()
            }),
            update_mask: mask(&["state", "role", "chapter", "contact"]),
            notification_settings: None,
        })
        .await
        .unwrap_err();

    assert_eq!(
        support::bad_fields(&status),
        ["participant.chapter", "participant.role", "participant.state"]
    );
    let after = my_profile(&app, &token).await;
    assert_eq!(after.state, ParticipantState::Applicant as i32);
    assert_eq!(after.role, before.role);
    assert_eq!(
        after.contact, before.contact,
        "nothing of the refused update is written"
    );
}

#[tokio::test]
async fn a_district_outside_the_chapter_is_refused_and_nothing_changes() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, before) = signed_up(&app, 1).await;

    let status = buddy_app(&app, &token)
        .update_my_profile(UpdateMyProfileRequest {
            participant: Some(Participant {
                district: RINKEBY.into(),
                ..Default::default()
            }),
            update_mask: mask(&["district", "notification_settings.language_code"]),
            notification_settings: Some(NotificationSettings {
                language_code: "not a language".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();

    assert_eq!(
        support::bad_fields(&status),
        ["notification_settings.language_code", "participant.district"]
    );
    assert_eq!(my_profile(&app, &token).await.district, before.district);
    assert!(waiting_for_review(&app).await.is_empty());
}

#[tokio::test]
async fn e_mail_notifications_without_an_address_are_refused() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, _) = signed_up(&app, 1).await;

    let status = buddy_app(&app, &token)
        .update_my_profile(UpdateMyProfileRequest {
            participant: None,
            update_mask: mask(&["notification_settings.email"]),
            notification_settings: Some(NotificationSettings {
                email: true,
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(support::reason(&status), "EMAIL_ADDRESS_MISSING");
}

#[tokio::test]
async fn a_participant_sees_how_and_where_their_interview_is_and_cancels_it() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, participant) = signed_up(&app, 1).await;
    book(&app, &participant.name).await;
    let booked = my_application(&app, &token).await;
    assert_eq!(booked.state, ParticipantState::InterviewBooked as i32);
    let interview = booked.interview.expect("the booked interview is shown");
    assert_eq!(interview.mode, InterviewMode::InPerson as i32);
    assert_eq!(interview.location, "Alby library");

    buddy_app(&app, &token)
        .cancel_my_interview(CancelMyInterviewRequest {
            request_id: request_id(),
        })
        .await
        .expect("the participant cancels their interview");

    let after = my_application(&app, &token).await;
    assert_eq!(after.state, ParticipantState::Applicant as i32);
    assert!(after.interview.is_none());
    let again = buddy_app(&app, &token)
        .cancel_my_interview(CancelMyInterviewRequest {
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::NotFound);
}

#[tokio::test]
async fn a_participant_withdraws_in_the_app_and_only_coordinators_read_why() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, participant) = signed_up(&app, 1).await;

    let withdrawn = buddy_app(&app, &token)
        .withdraw_from_programme(WithdrawFromProgrammeRequest {
            reason: "Jag flyttar till Umeå.".into(),
            request_id: request_id(),
        })
        .await
        .expect("the participant withdraws")
        .into_inner()
        .participant
        .unwrap();

    assert_eq!(withdrawn.state, ParticipantState::Withdrawn as i32);
    assert_eq!(withdrawn.state_reason, "");
    let seen_by_coordinator = get(&app, &participant.name).await;
    assert_eq!(seen_by_coordinator.state, ParticipantState::Withdrawn as i32);
    assert_eq!(seen_by_coordinator.state_reason, "Jag flyttar till Umeå.");
}
