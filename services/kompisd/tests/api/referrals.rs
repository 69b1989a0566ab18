//! ReferralService: SFI staff refer learners with their consent and follow their
//! progress; coordinators handle the referrals of their chapter.

use crate::fixtures::referrals::{
    CHAPTER, COORDINATOR_ACCOUNT, FOLK_HIGH_SCHOOL, SFI, SFI_ACCOUNT, create, learner, refer, referrals,
    request_id,
};
use crate::support;
use crate::support::{bad_fields, reason};
use kompis_proto::v1::*;
use tonic::Code;

#[tokio::test]
async fn a_referrer_refers_a_learner_with_every_field_and_gets_it_back() {
    let app = support::spawn_app_with_demo().await;
    let mut sfi = referrals(&app, &app.referrer(SFI));
    let sent = learner("+46 70-123 45 67", "Amina.Yusuf@Exempel.SE", SFI_ACCOUNT);

    let created = sfi
        .create_referral(create(sent.clone()))
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();

    assert!(created.name.starts_with("chapters/botkyrka/referrals/"));
    assert_eq!(created.organization, "organizations/sfi-botkyrka");
    assert_eq!(created.referrer, SFI_ACCOUNT);
    assert_eq!(created.state, ReferralState::Received as i32);
    assert_eq!(created.learner_name, sent.learner_name);
    let contact = created.contact.clone().unwrap();
    assert_eq!(contact.phone, "+46701234567", "normalised to E.164");
    assert_eq!(
        contact.email, "amina.yusuf@exempel.se",
        "compared case-insensitively"
    );
    assert_eq!(created.birth_year, 1990);
    assert_eq!(created.gender, Gender::Female as i32);
    assert_eq!(created.district, "municipalities/botkyrka/districts/alby");
    assert_eq!(created.languages, sent.languages);
    assert_eq!(created.swedish_level, sent.swedish_level);
    assert_eq!(created.consent, sent.consent);
    assert_eq!(created.note, sent.note);
    assert!(created.create_time.is_some() && created.state_time.is_some());

    let fetched = sfi
        .get_referral(GetReferralRequest {
            name: created.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn a_referral_without_consent_is_refused_naming_the_consent() {
    let app = support::spawn_app_with_demo().await;
    let mut sfi = referrals(&app, &app.referrer(SFI));
    let mut referral = learner("+46701234567", "", SFI_ACCOUNT);
    referral.consent = None;

    let status = sfi.create_referral(create(referral)).await.unwrap_err();

    assert_eq!(bad_fields(&status), ["referral.consent"]);
    assert_eq!(reason(&status), "CONSENT_MISSING");
}

#[tokio::test]
async fn every_bad_field_of_a_referral_is_named_at_once() {
    let app = support::spawn_app_with_demo().await;
    let mut sfi = referrals(&app, &app.referrer(SFI));
    let mut referral = learner("0046 70 123 45 67", "amina@", SFI_ACCOUNT);
    referral.consent = None;
    referral.languages[0].language_code = "swedish".into();
    referral.district = "municipalities/botkyrka/districts/atlantis".into();
    referral.birth_year = 2024;

    let status = sfi.create_referral(create(referral)).await.unwrap_err();

    assert_eq!(
        bad_fields(&status),
        [
            "referral.birth_year",
            "referral.consent",
            "referral.contact.email",
            "referral.contact.phone",
            "referral.district",
            "referral.languages[0].language_code",
        ]
    );
    assert_eq!(reason(&status), "CONSENT_MISSING");
}

#[tokio::test]
async fn an_invalid_language_code_and_an_unknown_district_are_invalid_arguments() {
    let app = support::spawn_app_with_demo().await;
    let mut sfi = referrals(&app, &app.referrer(SFI));
    let mut referral = learner("+46701234567", "", SFI_ACCOUNT);
    referral.languages[1].language_code = "swedish".into();
    referral.district = "municipalities/botkyrka/districts/atlantis".into();

    let status = sfi.create_referral(create(referral)).await.unwrap_err();

    assert_eq!(
        bad_fields(&status),
        ["referral.district", "referral.languages[1].language_code"]
    );
    assert_eq!(reason(&status), "INVALID_FIELD");
}

#[tokio::test]
async fn a_district_outside_the_chapters_municipalities_is_refused() {
    let app = support::spawn_app_with_demo().await;
    let mut sfi = referrals(&app, &app.referrer(SFI));
    let mut referral = learner("+46701234567", "", SFI_ACCOUNT);
    // Rinkeby-Kista exists, but in Stockholm, which the Botkyrka chapter does not cover.
    referral.district = "municipalities/stockholm/districts/rinkeby-kista".into();

    let status = sfi.create_referral(create(referral)).await.unwrap_err();

    assert_eq!(bad_fields(&status), ["referral.district"]);
}

#[tokio::test]
async fn consent_must_be_recorded_by_the_caller() {
    let app = support::spawn_app_with_demo().await;
    let mut sfi = referrals(&app, &app.referrer(SFI));
    let referral = learner("+46701234567", "", "someone-else");

    let status = sfi.create_referral(create(referral)).await.unwrap_err();

    assert_eq!(bad_fields(&status), ["referral.consent.given_by"]);
    assert_eq!(reason(&status), "CONSENT_MISSING");
}

#[tokio::test]
async fn a_referral_from_another_school_is_not_visible() {
    let app = support::spawn_app_with_demo().await;
    let referral = refer(&app, "+46701234567", "").await;
    let mut other_school = referrals(&app, &app.referrer(FOLK_HIGH_SCHOOL));
    let missing = format!("{CHAPTER}/referrals/{}", uuid::Uuid::now_v7());

    let theirs = other_school
        .get_referral(GetReferralRequest {
            name: referral.name.clone(),
        })
        .await
        .unwrap_err();
    let nonexistent = other_school
        .get_referral(GetReferralRequest {
            name: missing.clone(),
        })
        .await
        .unwrap_err();
    let listed = other_school
        .list_referrals(ListReferralsRequest {
            parent: "chapters/-".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let asked_for_sfi = other_school
        .list_referrals(ListReferralsRequest {
            parent: "chapters/-".into(),
            organization: format!("organizations/{SFI}"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    // Answered exactly as if it did not exist.
    assert_eq!(theirs.code(), Code::NotFound);
    assert_eq!(nonexistent.code(), Code::NotFound);
    assert_eq!(
        theirs.message().replace(&referral.name, "{name}"),
        nonexistent.message().replace(&missing, "{name}")
    );
    assert_eq!(reason(&theirs), reason(&nonexistent));
    assert!(listed.referrals.is_empty());
    assert!(asked_for_sfi.referrals.is_empty());
}

#[tokio::test]
async fn a_referrer_sees_progress_only() {
    let app = support::spawn_app_with_demo().await;
    let first = refer(&app, "+46701234567", "").await;
    let referral = refer(&app, "+46701234567", "amina@exempel.se").await;
    let mut coordinator = referrals(&app, &app.coordinator("botkyrka"));
    coordinator
        .convert_referral(ConvertReferralRequest {
            name: referral.name.clone(),
            request_id: request_id(),
        })
        .await
        .unwrap();

    let seen_by_school = referrals(&app, &app.referrer(SFI))
        .get_referral(GetReferralRequest {
            name: referral.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();
    let seen_by_coordinator = coordinator
        .get_referral(GetReferralRequest {
            name: referral.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();

    assert_eq!(seen_by_school.state, ReferralState::Contacted as i32);
    assert_eq!(seen_by_school.participant, "");
    assert!(seen_by_school.possible_duplicates.is_empty());
    // What the school does not see is there for the coordinator.
    assert!(
        seen_by_coordinator
            .participant
            .starts_with("chapters/botkyrka/participants/")
    );
    assert_eq!(seen_by_coordinator.possible_duplicates, [first.name]);
}

#[tokio::test]
async fn a_retried_referral_creates_one_referral_and_returns_it_again() {
    let app = support::spawn_app_with_demo().await;
    let mut sfi = referrals(&app, &app.referrer(SFI));
    let request = create(learner("+46701234567", "", SFI_ACCOUNT));

    let first = sfi.create_referral(request.clone()).await.unwrap().into_inner();
    let retried = sfi.create_referral(request.clone()).await.unwrap().into_inner();
    let listed = sfi
        .list_referrals(ListReferralsRequest {
            parent: CHAPTER.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(retried, first);
    assert_eq!(listed.referrals.len(), 1);
}

#[tokio::test]
async fn a_request_id_reused_for_another_referral_is_refused() {
    let app = support::spawn_app_with_demo().await;
    let mut sfi = referrals(&app, &app.referrer(SFI));
    let request = create(learner("+46701234567", "", SFI_ACCOUNT));
    sfi.create_referral(request.clone()).await.unwrap();
    let mut other = request.clone();
    other.referral = Some(learner("+46709999999", "", SFI_ACCOUNT));

    let status = sfi.create_referral(other).await.unwrap_err();

    assert_eq!(bad_fields(&status), ["request_id"]);
}

#[tokio::test]
async fn a_learner_already_in_the_programme_is_flagged_to_the_coordinator_not_duplicated() {
    let app = support::spawn_app_with_demo().await;
    let mut coordinator = referrals(&app, &app.coordinator("botkyrka"));
    let earlier = refer(&app, "+46701234567", "").await;
    let participant = coordinator
        .convert_referral(ConvertReferralRequest {
            name: earlier.name.clone(),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();

    // Referred again by another school: same e-mail in other letter case, same phone.
    let again = referrals(&app, &app.referrer(FOLK_HIGH_SCHOOL))
        .create_referral(create(learner(
            "+46701234567",
            "AMINA@exempel.se",
            "referrer-folkhogskola-tumba",
        )))
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();
    let flagged = coordinator
        .get_referral(GetReferralRequest {
            name: again.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();
    let listed = coordinator
        .list_referrals(ListReferralsRequest {
            parent: CHAPTER.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    assert!(again.possible_duplicates.is_empty(), "the school is not told");
    let mut duplicates = flagged.possible_duplicates.clone();
    duplicates.sort();
    let mut expected = vec![earlier.name.clone(), participant.name.clone()];
    expected.sort();
    assert_eq!(duplicates, expected);
    assert_eq!(listed.referrals.len(), 2, "created all the same");
}

#[tokio::test]
async fn a_coordinator_turns_a_referral_into_a_participant_without_retyping() {
    let app = support::spawn_app_with_demo().await;
    let referral = refer(&app, "+46701234567", "amina@exempel.se").await;
    let mut coordinator = referrals(&app, &app.coordinator("botkyrka"));
    let request = ConvertReferralRequest {
        name: referral.name.clone(),
        request_id: request_id(),
    };

    let converted = coordinator
        .convert_referral(request.clone())
        .await
        .unwrap()
        .into_inner();
    let retried = coordinator.convert_referral(request).await.unwrap().into_inner();
    let converted_again = coordinator
        .convert_referral(ConvertReferralRequest {
            name: referral.name.clone(),
            request_id: request_id(),
        })
        .await
        .unwrap_err();

    let participant = converted.participant.clone().unwrap();
    assert_eq!(participant.state, ParticipantState::Applicant as i32);
    assert_eq!(participant.role, ParticipantRole::Newcomer as i32);
    assert_eq!(participant.source, ParticipantSource::Referral as i32);
    assert_eq!(participant.referral, referral.name);
    assert_eq!(participant.person_name, referral.learner_name);
    assert_eq!(participant.contact, referral.contact);
    assert_eq!(participant.birth_year, referral.birth_year);
    assert_eq!(participant.gender, referral.gender);
    assert_eq!(participant.district, referral.district);
    assert_eq!(participant.consent, referral.consent);
    let profile = participant.profile.clone().unwrap();
    assert_eq!(profile.languages, referral.languages);
    assert_eq!(profile.swedish_level, referral.swedish_level);
    let referral_after = converted.referral.clone().unwrap();
    assert_eq!(referral_after.participant, participant.name);
    assert_eq!(referral_after.state, ReferralState::Contacted as i32);
    assert_eq!(retried.participant.unwrap().name, participant.name);
    assert_eq!(converted_again.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn a_coordinator_closes_a_referral_with_a_reason_the_school_sees() {
    let app = support::spawn_app_with_demo().await;
    let referral = refer(&app, "+46701234567", "").await;
    let mut coordinator = referrals(&app, &app.coordinator("botkyrka"));

    let without_note = coordinator
        .close_referral(CloseReferralRequest {
            request_id: String::new(),
            name: referral.name.clone(),
            reason: ReferralCloseReason::Other as i32,
            note: String::new(),
        })
        .await
        .unwrap_err();
    coordinator
        .close_referral(CloseReferralRequest {
            request_id: String::new(),
            name: referral.name.clone(),
            reason: ReferralCloseReason::Unreachable as i32,
            note: "Three calls, no answer.".into(),
        })
        .await
        .unwrap();
    let closed_again = coordinator
        .close_referral(CloseReferralRequest {
            request_id: String::new(),
            name: referral.name.clone(),
            reason: ReferralCloseReason::Declined as i32,
            note: String::new(),
        })
        .await
        .unwrap_err();
    let seen_by_school = referrals(&app, &app.referrer(SFI))
        .get_referral(GetReferralRequest {
            name: referral.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();

    assert_eq!(bad_fields(&without_note), ["note"]);
    assert_eq!(closed_again.code(), Code::FailedPrecondition);
    assert_eq!(reason(&closed_again), "INVALID_STATE_TRANSITION");
    assert_eq!(
        support::error_metadata(&closed_again, "from_state").as_deref(),
        Some("closed")
    );
    assert_eq!(
        support::error_metadata(&closed_again, "to_state").as_deref(),
        Some("closed")
    );
    assert_eq!(seen_by_school.state, ReferralState::Closed as i32);
    assert_eq!(
        seen_by_school.close_reason,
        ReferralCloseReason::Unreachable as i32
    );
    assert_eq!(seen_by_school.close_note, "Three calls, no answer.");
}

#[tokio::test]
async fn a_coordinator_sees_incoming_referrals_and_marks_them_contacted() {
    let app = support::spawn_app_with_demo().await;
    let first = refer(&app, "+46701234567", "").await;
    let second = refer(&app, "+46707654321", "").await;
    let mut coordinator = referrals(&app, &app.coordinator("botkyrka"));

    let contacted = coordinator
        .mark_referral_contacted(MarkReferralContactedRequest {
            request_id: String::new(),
            name: first.name.clone(),
            reason: "Called; she is interested.".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();
    let incoming = coordinator
        .list_referrals(ListReferralsRequest {
            parent: CHAPTER.into(),
            state: ReferralState::Received as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let everything = coordinator
        .list_referrals(ListReferralsRequest {
            parent: CHAPTER.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(contacted.state, ReferralState::Contacted as i32);
    let names = |list: &ListReferralsResponse| -> Vec<String> {
        list.referrals.iter().map(|r| r.name.clone()).collect()
    };
    assert_eq!(names(&incoming), [second.name.as_str()]);
    assert_eq!(names(&everything), [second.name, first.name], "newest first");
}

#[tokio::test]
async fn a_coordinator_refers_a_learner_for_a_named_organisation() {
    let app = support::spawn_app_with_demo().await;
    let mut coordinator = referrals(&app, &app.coordinator("botkyrka"));
    let mut referral = learner("+46701234567", "", COORDINATOR_ACCOUNT);

    let unnamed = coordinator
        .create_referral(create(referral.clone()))
        .await
        .unwrap_err();
    referral.organization = format!("organizations/{FOLK_HIGH_SCHOOL}");
    let created = coordinator
        .create_referral(create(referral))
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();

    assert_eq!(bad_fields(&unnamed), ["referral.organization"]);
    assert_eq!(created.organization, "organizations/folkhogskola-tumba");
    assert_eq!(created.referrer, COORDINATOR_ACCOUNT);
}

#[tokio::test]
async fn referrers_cannot_handle_referrals() {
    let app = support::spawn_app_with_demo().await;
    let referral = refer(&app, "+46701234567", "").await;
    let mut sfi = referrals(&app, &app.referrer(SFI));

    let contacted = sfi
        .mark_referral_contacted(MarkReferralContactedRequest {
            request_id: String::new(),
            name: referral.name.clone(),
            reason: String::new(),
        })
        .await
        .unwrap_err();
    let converted = sfi
        .convert_referral(ConvertReferralRequest {
            name: referral.name.clone(),
            request_id: request_id(),
        })
        .await
        .unwrap_err();

    assert_eq!(contacted.code(), Code::PermissionDenied);
    assert_eq!(converted.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn listing_by_state_follows_the_progress_shown_across_pages() {
    let app = support::spawn_app_with_demo().await;
    let mut coordinator = referrals(&app, &app.coordinator("botkyrka"));
    let mut referred = Vec::new();
    for phone in ["+46701111111", "+46702222222", "+46703333333"] {
        let referral = refer(&app, phone, "").await;
        coordinator
            .convert_referral(ConvertReferralRequest {
                name: referral.name.clone(),
                request_id: request_id(),
            })
            .await
            .unwrap();
        referred.push(referral.name);
    }
    coordinator
        .close_referral(CloseReferralRequest {
            request_id: String::new(),
            name: referred[1].clone(),
            reason: ReferralCloseReason::Declined as i32,
            note: String::new(),
        })
        .await
        .unwrap();

    let mut pages = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = coordinator
            .list_referrals(ListReferralsRequest {
                parent: CHAPTER.into(),
                state: ReferralState::Contacted as i32,
                page_size: 1,
                page_token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        pages.push(page.referrals.into_iter().map(|r| r.name).collect::<Vec<_>>());
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }

    assert_eq!(
        pages,
        [vec![referred[2].clone()], vec![referred[0].clone()]],
        "newest first, one per page, the closed one left out"
    );
}

#[tokio::test]
async fn a_referrer_may_not_close_a_referral_and_nothing_changes() {
    let app = support::spawn_app_with_demo().await;
    let referral = refer(&app, "+46701234567", "").await;
    let mut sfi = referrals(&app, &app.referrer(SFI));

    let closed = sfi
        .close_referral(CloseReferralRequest {
            request_id: String::new(),
            name: referral.name.clone(),
            reason: ReferralCloseReason::Declined as i32,
            note: "The learner changed their mind.".into(),
        })
        .await
        .unwrap_err();
    let after = sfi
        .get_referral(GetReferralRequest {
            name: referral.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE subject = $1")
        .bind(&referral.name)
        .fetch_one(app.pool())
        .await
        .unwrap();

    assert_eq!(closed.code(), Code::PermissionDenied);
    assert_eq!(after, referral);
    assert_eq!(after.state, ReferralState::Received as i32);
    assert_eq!(events, 1, "only the referral's creation is in the event log");
}

#[tokio::test]
async fn a_given_name_and_a_note_that_are_too_long_are_both_named() {
    let app = support::spawn_app_with_demo().await;
    let mut sfi = referrals(&app, &app.referrer(SFI));
    let mut referral = learner("+46701234567", "", SFI_ACCOUNT);
    referral.learner_name.as_mut().unwrap().given_name = "A".repeat(101);
    referral.note = "n".repeat(501);

    let status = sfi.create_referral(create(referral)).await.unwrap_err();

    assert_eq!(
        bad_fields(&status),
        ["referral.learner_name.given_name", "referral.note"]
    );
    assert_eq!(reason(&status), "INVALID_FIELD");
}

#[tokio::test]
async fn a_swedish_level_outside_the_closed_set_is_named() {
    let app = support::spawn_app_with_demo().await;
    let mut sfi = referrals(&app, &app.referrer(SFI));
    let mut referral = learner("+46701234567", "", SFI_ACCOUNT);
    referral.swedish_level = Some(SwedishLevel {
        level: Some(swedish_level::Level::SfiCourse(42)),
    });

    let status = sfi.create_referral(create(referral)).await.unwrap_err();

    assert_eq!(bad_fields(&status), ["referral.swedish_level"]);
}

#[tokio::test]
async fn converting_a_referral_makes_the_referrers_note_the_first_of_the_participants_notes() {
    let app = support::spawn_app_with_demo().await;
    let referral = refer(&app, "+46701234567", "").await;

    let participant = referrals(&app, &app.coordinator("botkyrka"))
        .convert_referral(ConvertReferralRequest {
            name: referral.name.clone(),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();

    let notes = crate::fixtures::participants::participants(&app, &app.coordinator("botkyrka"))
        .list_participant_notes(ListParticipantNotesRequest {
            parent: participant.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .notes;

    assert!(!referral.note.is_empty());
    let written: Vec<_> = notes
        .iter()
        .map(|n| (n.text.as_str(), n.author.as_str()))
        .collect();
    assert_eq!(written, [(referral.note.as_str(), SFI_ACCOUNT)]);
}

#[tokio::test]
async fn another_chapters_coordinator_lists_none_of_the_chapters_referrals() {
    let app = support::spawn_app_with_demo().await;
    refer(&app, "+46701234567", "").await;

    // `chapters/-` is the coordinator's own chapter only.
    let listed = referrals(&app, &app.coordinator("stockholm"))
        .list_referrals(ListReferralsRequest {
            parent: "chapters/-".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    assert!(listed.referrals.is_empty());
    assert!(listed.next_page_token.is_empty());
}

#[tokio::test]
async fn another_chapters_coordinator_finds_no_referral_to_read_or_handle() {
    let app = support::spawn_app_with_demo().await;
    let referral = refer(&app, "+46701234599", "").await;
    let mut elsewhere = referrals(&app, &app.coordinator("stockholm"));

    let get = elsewhere
        .get_referral(GetReferralRequest {
            name: referral.name.clone(),
        })
        .await
        .unwrap_err();
    let contacted = elsewhere
        .mark_referral_contacted(MarkReferralContactedRequest {
            request_id: String::new(),
            name: referral.name.clone(),
            reason: "Called her.".into(),
        })
        .await
        .unwrap_err();
    let converted = elsewhere
        .convert_referral(ConvertReferralRequest {
            name: referral.name.clone(),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    let closed = elsewhere
        .close_referral(CloseReferralRequest {
            request_id: String::new(),
            name: referral.name.clone(),
            reason: ReferralCloseReason::Declined as i32,
            note: String::new(),
        })
        .await
        .unwrap_err();
    let listed = elsewhere
        .list_referrals(ListReferralsRequest {
            parent: CHAPTER.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();

    for status in [&get, &contacted, &converted, &closed, &listed] {
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
        assert_eq!(reason(status), "RESOURCE_NOT_FOUND");
    }
    // Nothing changed.
    let still = referrals(&app, &app.coordinator("botkyrka"))
        .get_referral(GetReferralRequest { name: referral.name })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();
    assert_eq!(still.state, ReferralState::Received as i32);
    assert!(still.participant.is_empty());
}

#[tokio::test]
async fn retries_arriving_at_the_same_time_still_create_one_referral() {
    let app = support::spawn_app_with_demo().await;
    let request = create(learner("+46701234568", "", SFI_ACCOUNT));
    let token = app.referrer(SFI);

    // Eight copies of one request in flight at once, as a flaky network may deliver them.
    let attempts = (0..8).map(|_| {
        let mut client = referrals(&app, &token);
        let request = request.clone();
        tokio::spawn(async move { client.create_referral(request).await })
    });
    let mut names = Vec::new();
    for attempt in attempts.collect::<Vec<_>>() {
        names.push(
            attempt
                .await
                .unwrap()
                .unwrap()
                .into_inner()
                .referral
                .unwrap()
                .name,
        );
    }

    names.dedup();
    assert_eq!(names.len(), 1, "every attempt got the same referral");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM referrals")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(count, 1);
}
