//! InterviewService: booking and recording intake interviews moves the participant
//! through the state machine; an approval copies the recorded profile and makes the
//! participant ready; a second interview keeps the first one's record.

use crate::fixtures::participants::*;
use crate::support;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::*;
use tonic::Code;

#[tokio::test]
async fn booking_an_interview_moves_the_applicant_to_interview_booked() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;

    let interview = book(&app, &applicant.name).await;

    assert!(
        interview
            .name
            .starts_with(&format!("{}/interviews/", applicant.name))
    );
    assert_eq!(interview.state, InterviewState::Booked as i32);
    assert_eq!(interview.interviewer, COORDINATOR_ACCOUNT);
    assert_eq!(interview.duration.unwrap().seconds, 45 * 60, "the default length");
    let participant = get(&app, &applicant.name).await;
    assert_eq!(participant.state, ParticipantState::InterviewBooked as i32);
    assert_eq!(participant.latest_interview, interview.name);
}

#[tokio::test]
async fn an_approved_interview_makes_the_participant_ready_with_the_recorded_profile() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;
    let interview = book(&app, &applicant.name).await;
    let profile = interview_profile(ParticipantRole::Newcomer, TUMBA, "prs");

    let recorded = record(&app, &interview.name, InterviewOutcome::Approved, profile.clone()).await;

    assert_eq!(recorded.state, InterviewState::Recorded as i32);
    assert_eq!(recorded.outcome, InterviewOutcome::Approved as i32);
    assert_eq!(recorded.profile.as_ref(), Some(&profile));
    assert!(recorded.eligibility.unwrap().meets_minimum_age);
    assert!(recorded.record_time.is_some());
    let ready = get(&app, &applicant.name).await;
    assert_eq!(ready.state, ParticipantState::Ready as i32);
    assert!(ready.waiting_since.is_some());
    assert_eq!(ready.profile.as_ref(), Some(&profile));
    assert_eq!(
        ready.district, TUMBA,
        "the recorded district becomes the home district"
    );
}

#[tokio::test]
async fn the_journey_from_applicant_to_ready_is_in_the_event_log_step_by_step() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;

    let interview = book(&app, &applicant.name).await;
    record(
        &app,
        &interview.name,
        InterviewOutcome::Approved,
        interview_profile(ParticipantRole::Newcomer, ALBY, "ar"),
    )
    .await;

    assert_eq!(
        event_states(&app, &applicant.name).await,
        [
            step("", "applicant"),
            step("applicant", "interview_booked"),
            step("interview_booked", "ready"),
        ]
    );
    assert_eq!(
        event_states(&app, &interview.name).await,
        [step("", "booked"), step("booked", "recorded")]
    );
    let actors: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT actor FROM events WHERE subject LIKE $1 || '%'")
            .bind(&applicant.name)
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(actors, [COORDINATOR_ACCOUNT]);
}

#[tokio::test]
async fn an_approval_names_every_missing_profile_field() {
    let app = support::spawn_app_with_demo().await;
    let resident = register(&app, resident(1)).await;
    let interview = book(&app, &resident.name).await;

    hold(&app, &interview.name).await;
    let status = interviews(&app, &app.coordinator("botkyrka"))
        .record_interview(RecordInterviewRequest {
            name: interview.name.clone(),
            profile: Some(MatchingProfile {
                languages: vec![speaks("swedish", LanguageLevel::Native)],
                district: "municipalities/botkyrka/districts/atlantis".into(),
                ..Default::default()
            }),
            eligibility: Some(eligible()),
            outcome: InterviewOutcome::Approved as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(
        support::bad_fields(&status),
        [
            "profile.availability",
            "profile.buddy_capacity",
            "profile.district",
            "profile.languages[0].language_code",
            "profile.meeting_preference",
        ]
    );
    assert_eq!(
        get(&app, &resident.name).await.state,
        ParticipantState::InterviewBooked as i32,
        "nothing changed"
    );
}

#[tokio::test]
async fn an_approval_needs_the_eligibility_checks_to_hold() {
    let app = support::spawn_app_with_demo().await;
    let mut young = newcomer(1);
    // Turns 17 this year: old enough to be referred, too young for the default 18.
    young.birth_year = time::OffsetDateTime::now_utc().year() - 17;
    let young = register(&app, young).await;
    let adult = register(&app, newcomer(2)).await;
    let mut client = interviews(&app, &app.coordinator("botkyrka"));
    let mut approve_with = async |participant: &Participant, eligibility: Eligibility| {
        let interview = book(&app, &participant.name).await;
        hold(&app, &interview.name).await;
        client
            .record_interview(RecordInterviewRequest {
                name: interview.name,
                profile: Some(interview_profile(ParticipantRole::Newcomer, ALBY, "ar")),
                eligibility: Some(eligibility),
                outcome: InterviewOutcome::Approved as i32,
                ..Default::default()
            })
            .await
            .unwrap_err()
    };

    let too_young = approve_with(&young, eligible()).await;
    let rules_not_met = approve_with(
        &adult,
        Eligibility {
            meets_minimum_age: true,
            meets_chapter_rules: false,
            note: "Lives outside the chapter's municipalities".into(),
        },
    )
    .await;

    for status in [too_young, rules_not_met] {
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(support::reason(&status), "NOT_ELIGIBLE");
    }
}

#[tokio::test]
async fn a_failed_eligibility_check_needs_an_explanation() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;
    let interview = book(&app, &applicant.name).await;

    hold(&app, &interview.name).await;
    let status = interviews(&app, &app.coordinator("botkyrka"))
        .record_interview(RecordInterviewRequest {
            name: interview.name,
            profile: Some(MatchingProfile::default()),
            eligibility: Some(Eligibility {
                meets_minimum_age: true,
                meets_chapter_rules: false,
                note: String::new(),
            }),
            outcome: InterviewOutcome::NotSuitable as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(
        support::bad_fields(&status),
        ["eligibility.note", "outcome_reason"]
    );
}

#[tokio::test]
async fn a_second_interview_keeps_the_history_of_the_first() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;
    let first = book(&app, &applicant.name).await;
    let first_profile = interview_profile(ParticipantRole::Newcomer, ALBY, "ar");
    record(
        &app,
        &first.name,
        InterviewOutcome::NeedsFollowUp,
        first_profile.clone(),
    )
    .await;
    assert_eq!(
        get(&app, &applicant.name).await.state,
        ParticipantState::NeedsFollowUp as i32
    );

    let second = book(&app, &applicant.name).await;
    let second_profile = interview_profile(ParticipantRole::Newcomer, TUMBA, "prs");
    record(
        &app,
        &second.name,
        InterviewOutcome::Approved,
        second_profile.clone(),
    )
    .await;

    let history = interviews(&app, &app.coordinator("botkyrka"))
        .list_interviews(ListInterviewsRequest {
            parent: applicant.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .interviews;
    let names: Vec<_> = history.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, [second.name.as_str(), first.name.as_str()], "newest first");
    assert_eq!(history[1].outcome, InterviewOutcome::NeedsFollowUp as i32);
    assert_eq!(history[1].outcome_reason, "wants to think it over");
    assert_eq!(
        history[1].profile.as_ref(),
        Some(&first_profile),
        "kept as recorded"
    );
    assert_eq!(history[0].profile.as_ref(), Some(&second_profile));
    let participant = get(&app, &applicant.name).await;
    assert_eq!(participant.state, ParticipantState::Ready as i32);
    assert_eq!(participant.profile.as_ref(), Some(&second_profile));
    assert_eq!(participant.latest_interview, second.name);
    assert_eq!(
        event_states(&app, &applicant.name).await,
        [
            step("", "applicant"),
            step("applicant", "interview_booked"),
            step("interview_booked", "needs_follow_up"),
            step("needs_follow_up", "interview_booked"),
            step("interview_booked", "ready"),
        ]
    );
}

#[tokio::test]
async fn a_participant_cannot_have_two_interviews_booked_at_once() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;
    book(&app, &applicant.name).await;

    let status = interviews(&app, &app.coordinator("botkyrka"))
        .book_interview(BookInterviewRequest {
            parent: applicant.name.clone(),
            interview: Some(Interview {
                schedule_time: in_days(8),
                mode: InterviewMode::Phone as i32,
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn a_booking_retried_with_the_same_request_id_books_once() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;
    let mut client = interviews(&app, &app.coordinator("botkyrka"));
    let request = BookInterviewRequest {
        parent: applicant.name.clone(),
        interview: Some(Interview {
            schedule_time: in_days(3),
            mode: InterviewMode::Video as i32,
            ..Default::default()
        }),
        request_id: request_id(),
    };

    let first = client.book_interview(request.clone()).await.unwrap().into_inner();
    let retry = client.book_interview(request).await.unwrap().into_inner();

    assert_eq!(first.interview, retry.interview);
}

#[tokio::test]
async fn a_booking_names_every_bad_field() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;

    let status = interviews(&app, &app.coordinator("botkyrka"))
        .book_interview(BookInterviewRequest {
            parent: applicant.name,
            interview: Some(Interview {
                duration: Some(prost_types::Duration {
                    seconds: 5 * 3600,
                    nanos: 0,
                }),
                location: "x".repeat(201),
                ..Default::default()
            }),
            request_id: "not-a-uuid".into(),
        })
        .await
        .unwrap_err();

    assert_eq!(
        support::bad_fields(&status),
        [
            "interview.duration",
            "interview.location",
            "interview.mode",
            "interview.schedule_time",
            "request_id",
        ]
    );
}

#[tokio::test]
async fn cancelling_returns_the_participant_to_the_state_before_the_booking() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;
    let interview = book(&app, &applicant.name).await;

    let cancelled = interviews(&app, &app.coordinator("botkyrka"))
        .cancel_interview(CancelInterviewRequest {
            request_id: String::new(),
            name: interview.name.clone(),
            reason: "The participant is ill".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .interview
        .unwrap();

    assert_eq!(cancelled.state, InterviewState::Cancelled as i32);
    assert_eq!(
        get(&app, &applicant.name).await.state,
        ParticipantState::Applicant as i32
    );
    let again = interviews(&app, &app.coordinator("botkyrka"))
        .cancel_interview(CancelInterviewRequest {
            request_id: String::new(),
            name: interview.name,
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn rescheduling_changes_only_the_fields_in_the_mask() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;
    let interview = book(&app, &applicant.name).await;
    let mut client = interviews(&app, &app.coordinator("botkyrka"));

    let moved = client
        .update_interview(UpdateInterviewRequest {
            interview: Some(Interview {
                name: interview.name.clone(),
                schedule_time: in_days(10),
                mode: InterviewMode::Video as i32,
                location: "ignored".into(),
                ..Default::default()
            }),
            update_mask: mask(&["schedule_time", "mode"]),
        })
        .await
        .unwrap()
        .into_inner()
        .interview
        .unwrap();

    assert_eq!(moved.schedule_time.unwrap().seconds, in_days(10).unwrap().seconds);
    assert_eq!(moved.mode, InterviewMode::Video as i32);
    assert_eq!(moved.location, "Alby library");
    record(
        &app,
        &interview.name,
        InterviewOutcome::Approved,
        interview_profile(ParticipantRole::Newcomer, ALBY, "ar"),
    )
    .await;
    let after_recording = client
        .update_interview(UpdateInterviewRequest {
            interview: Some(Interview {
                name: interview.name,
                location: "Tumba".into(),
                ..Default::default()
            }),
            update_mask: mask(&["location"]),
        })
        .await
        .unwrap_err();
    assert_eq!(after_recording.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn the_chapter_wide_list_shows_every_interview_and_filters_by_state() {
    let app = support::spawn_app_with_demo().await;
    let a = register(&app, newcomer(1)).await;
    let b = register(&app, resident(1)).await;
    let first = book(&app, &a.name).await;
    let second = book(&app, &b.name).await;
    record(
        &app,
        &first.name,
        InterviewOutcome::Approved,
        interview_profile(ParticipantRole::Newcomer, ALBY, "ar"),
    )
    .await;
    let mut client = interviews(&app, &app.coordinator("botkyrka"));

    let page1 = client
        .list_interviews(ListInterviewsRequest {
            parent: format!("{CHAPTER}/participants/-"),
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let page2 = client
        .list_interviews(ListInterviewsRequest {
            parent: format!("{CHAPTER}/participants/-"),
            page_size: 1,
            page_token: page1.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let booked = client
        .list_interviews(ListInterviewsRequest {
            parent: format!("{CHAPTER}/participants/-"),
            state: InterviewState::Booked as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(page1.interviews[0].name, second.name);
    assert_eq!(page2.interviews[0].name, first.name);
    assert!(page2.next_page_token.is_empty());
    assert_eq!(booked.interviews.len(), 1);
    assert_eq!(booked.interviews[0].name, second.name);
}

#[tokio::test]
async fn another_chapters_interviews_are_not_found() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;
    let interview = book(&app, &applicant.name).await;
    let mut other = interviews(&app, &app.coordinator("stockholm"));

    let get = other
        .get_interview(GetInterviewRequest {
            name: interview.name.clone(),
        })
        .await
        .unwrap_err();
    let book = other
        .book_interview(BookInterviewRequest {
            parent: applicant.name.clone(),
            interview: Some(Interview {
                schedule_time: in_days(3),
                mode: InterviewMode::Phone as i32,
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    let list = other
        .list_interviews(ListInterviewsRequest {
            parent: format!("{CHAPTER}/participants/-"),
            ..Default::default()
        })
        .await
        .unwrap_err();

    for status in [get, book, list] {
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
    }
}

#[tokio::test]
async fn a_withdrawal_cancels_the_booked_interview() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;
    let interview = book(&app, &applicant.name).await;

    participants(&app, &app.coordinator("botkyrka"))
        .withdraw_participant(WithdrawParticipantRequest {
            request_id: String::new(),
            name: applicant.name.clone(),
            reason: "Not reachable".into(),
        })
        .await
        .unwrap();
    let returned = participants(&app, &app.coordinator("botkyrka"))
        .return_participant(ReturnParticipantRequest {
            name: applicant.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();

    let after = interviews(&app, &app.coordinator("botkyrka"))
        .get_interview(GetInterviewRequest { name: interview.name })
        .await
        .unwrap()
        .into_inner()
        .interview
        .unwrap();
    assert_eq!(after.state, InterviewState::Cancelled as i32);
    assert_eq!(returned.state, ParticipantState::Applicant as i32);
}

#[tokio::test]
async fn another_chapters_coordinator_can_neither_record_reschedule_nor_cancel_an_interview() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;
    let interview = book(&app, &applicant.name).await;
    let mut other = interviews(&app, &app.coordinator("stockholm"));

    let recorded = other
        .record_interview(RecordInterviewRequest {
            name: interview.name.clone(),
            profile: Some(interview_profile(ParticipantRole::Newcomer, ALBY, "ar")),
            eligibility: Some(eligible()),
            outcome: InterviewOutcome::Approved as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    let rescheduled = other
        .update_interview(UpdateInterviewRequest {
            interview: Some(Interview {
                name: interview.name.clone(),
                location: "Stockholm City".into(),
                ..Default::default()
            }),
            update_mask: mask(&["location"]),
        })
        .await
        .unwrap_err();
    let cancelled = other
        .cancel_interview(CancelInterviewRequest {
            request_id: String::new(),
            name: interview.name.clone(),
            reason: "Not our chapter".into(),
        })
        .await
        .unwrap_err();

    for status in [recorded, rescheduled, cancelled] {
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
    }
    let unchanged = interviews(&app, &app.coordinator("botkyrka"))
        .get_interview(GetInterviewRequest {
            name: interview.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .interview
        .unwrap();
    assert_eq!(unchanged.state, InterviewState::Booked as i32);
    assert_eq!(unchanged.location, "Alby library");
    assert_eq!(
        get(&app, &applicant.name).await.state,
        ParticipantState::InterviewBooked as i32
    );
}

#[tokio::test]
async fn a_not_suitable_outcome_moves_the_participant_to_not_suitable() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;
    let interview = book(&app, &applicant.name).await;

    let recorded = record(
        &app,
        &interview.name,
        InterviewOutcome::NotSuitable,
        interview_profile(ParticipantRole::Newcomer, ALBY, "ar"),
    )
    .await;

    assert_eq!(recorded.state, InterviewState::Recorded as i32);
    assert_eq!(recorded.outcome, InterviewOutcome::NotSuitable as i32);
    let participant = get(&app, &applicant.name).await;
    assert_eq!(participant.state, ParticipantState::NotSuitable as i32);
    assert!(participant.waiting_since.is_none());
    assert_eq!(
        event_states(&app, &applicant.name).await,
        [
            step("", "applicant"),
            step("applicant", "interview_booked"),
            step("interview_booked", "not_suitable"),
        ]
    );
}

#[tokio::test]
async fn a_minimum_age_raised_by_an_administrator_holds_at_approval() {
    let app = support::spawn_app_with_demo().await;
    let this_year = time::OffsetDateTime::now_utc().year();
    let mut nineteen = newcomer(1);
    nineteen.birth_year = this_year - 19;
    let nineteen = register(&app, nineteen).await;
    let mut twenty = newcomer(2);
    twenty.birth_year = this_year - 20;
    let twenty = register(&app, twenty).await;
    let weights = AdminServiceClient::new(support::authed(app.channel(), &app.administrator()))
        .update_matching_weights(UpdateMatchingWeightsRequest {
            matching_weights: Some(MatchingWeights {
                name: format!("{CHAPTER}/matchingWeights"),
                min_age: 20,
                ..Default::default()
            }),
            update_mask: mask(&["min_age"]),
        })
        .await
        .unwrap()
        .into_inner()
        .matching_weights
        .unwrap();
    assert_eq!(weights.min_age, 20);
    let interview = book(&app, &nineteen.name).await;

    hold(&app, &interview.name).await;
    let status = interviews(&app, &app.coordinator("botkyrka"))
        .record_interview(RecordInterviewRequest {
            name: interview.name,
            profile: Some(interview_profile(ParticipantRole::Newcomer, ALBY, "ar")),
            eligibility: Some(eligible()),
            outcome: InterviewOutcome::Approved as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(support::reason(&status), "NOT_ELIGIBLE");
    assert_eq!(
        get(&app, &nineteen.name).await.state,
        ParticipantState::InterviewBooked as i32
    );
    assert_eq!(
        approve(&app, &twenty, ALBY, "ar").await.state,
        ParticipantState::Ready as i32,
        "old enough for the raised minimum"
    );
}

#[tokio::test]
async fn family_wishes_recorded_at_an_approved_interview_are_on_the_profile() {
    let app = support::spawn_app_with_demo().await;
    let applicant = register(&app, newcomer(1)).await;
    let interview = book(&app, &applicant.name).await;
    let mut profile = interview_profile(ParticipantRole::Newcomer, ALBY, "ar");
    profile.has_children = true;
    profile.wishes = vec![
        Wish {
            kind: WishKind::FamilyMatch as i32,
            strength: WishStrength::Hard as i32,
            age_range: None,
        },
        Wish {
            kind: WishKind::HasChildren as i32,
            strength: WishStrength::Soft as i32,
            age_range: None,
        },
    ];

    record(&app, &interview.name, InterviewOutcome::Approved, profile.clone()).await;

    let ready = get(&app, &applicant.name).await;
    assert_eq!(ready.state, ParticipantState::Ready as i32);
    let on_profile = ready.profile.unwrap();
    assert_eq!(on_profile.wishes, profile.wishes);
    assert!(on_profile.has_children);
}

#[tokio::test]
async fn an_interview_cannot_be_booked_more_than_a_year_ahead() {
    let app = support::spawn_app_with_demo().await;
    let participant = register(&app, newcomer(90)).await;

    let status = interviews(&app, &app.coordinator("botkyrka"))
        .book_interview(BookInterviewRequest {
            parent: participant.name.clone(),
            interview: Some(Interview {
                schedule_time: in_days(400),
                mode: InterviewMode::InPerson as i32,
                location: "Alby library".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap_err();

    assert_eq!(support::bad_fields(&status), ["interview.schedule_time"]);
    assert_eq!(
        get(&app, &participant.name).await.state,
        ParticipantState::Applicant as i32
    );
}
