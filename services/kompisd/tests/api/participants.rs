//! ParticipantService: coordinators register, find, correct, withdraw and return
//! participants of their own chapter; validation names every bad field; creates are
//! idempotent; duplicates are flagged, not refused.

use crate::fixtures::participants::*;
use crate::support;
use kompis_proto::v1::*;
use tonic::Code;

#[tokio::test]
async fn a_coordinator_registers_a_newcomer_as_an_applicant() {
    let app = support::spawn_app_with_demo().await;

    let created = register(&app, newcomer(1)).await;

    assert!(created.name.starts_with("chapters/botkyrka/participants/"));
    assert_eq!(created.state, ParticipantState::Applicant as i32);
    assert_eq!(created.source, ParticipantSource::Coordinator as i32);
    assert_eq!(created.role, ParticipantRole::Newcomer as i32);
    assert_eq!(created.district, ALBY);
    assert_eq!(created.profile.as_ref().unwrap().district, ALBY);
    assert_eq!(created.profile.unwrap().languages[0].language_code, "ar");
    assert!(created.possible_duplicates.is_empty());
    assert_eq!(get(&app, &created.name).await.name, created.name);
    assert_eq!(event_states(&app, &created.name).await, [step("", "applicant")]);
}

#[tokio::test]
async fn an_established_resident_can_be_registered_directly() {
    let app = support::spawn_app_with_demo().await;

    let created = register(&app, resident(1)).await;

    assert_eq!(created.role, ParticipantRole::EstablishedResident as i32);
    assert_eq!(created.state, ParticipantState::Applicant as i32);
    assert_eq!(created.profile.unwrap().buddy_capacity, 1);
}

#[tokio::test]
async fn an_invalid_language_code_and_an_unknown_district_are_named() {
    let app = support::spawn_app_with_demo().await;
    let mut input = newcomer(1);
    input.district = "municipalities/botkyrka/districts/atlantis".into();
    input.profile.as_mut().unwrap().languages = vec![
        speaks("prs", LanguageLevel::Native),
        speaks("swedish", LanguageLevel::B1),
    ];

    let status = participants(&app, &app.coordinator("botkyrka"))
        .create_participant(CreateParticipantRequest {
            parent: CHAPTER.into(),
            participant: Some(input),
            request_id: request_id(),
        })
        .await
        .unwrap_err();

    assert_eq!(
        support::bad_fields(&status),
        [
            "participant.district",
            "participant.profile.languages[1].language_code"
        ]
    );
    assert_eq!(support::reason(&status), "INVALID_FIELD");
}

#[tokio::test]
async fn a_district_outside_the_chapters_municipalities_is_refused() {
    let app = support::spawn_app_with_demo().await;
    let mut input = newcomer(1);
    input.district = RINKEBY.into();

    let status = participants(&app, &app.coordinator("botkyrka"))
        .create_participant(CreateParticipantRequest {
            parent: CHAPTER.into(),
            participant: Some(input),
            request_id: request_id(),
        })
        .await
        .unwrap_err();

    assert_eq!(support::bad_fields(&status), ["participant.district"]);
}

#[tokio::test]
async fn every_bad_field_is_named_at_once() {
    let app = support::spawn_app_with_demo().await;
    let mut input = newcomer(1);
    input.role = 0;
    input.contact = Some(Contact {
        phone: "0046 70 123 45 67".into(),
        email: "amina.exempel.se".into(),
    });
    input.birth_year = 2022;
    input.gender = 0;
    input.person_name.as_mut().unwrap().family_name = " ".into();

    let status = participants(&app, &app.coordinator("botkyrka"))
        .create_participant(CreateParticipantRequest {
            parent: CHAPTER.into(),
            participant: Some(input),
            request_id: request_id(),
        })
        .await
        .unwrap_err();

    assert_eq!(
        support::bad_fields(&status),
        [
            "participant.birth_year",
            "participant.contact.email",
            "participant.contact.phone",
            "participant.gender",
            "participant.person_name.family_name",
            "participant.role",
        ]
    );
}

#[tokio::test]
async fn levels_outside_the_closed_sets_are_named() {
    let app = support::spawn_app_with_demo().await;
    let mut input = newcomer(1);
    let profile = input.profile.as_mut().unwrap();
    profile.languages[0].level = 0;
    profile.swedish_level = Some(SwedishLevel {
        level: Some(swedish_level::Level::SfiCourse(9)),
    });

    let status = participants(&app, &app.coordinator("botkyrka"))
        .create_participant(CreateParticipantRequest {
            parent: CHAPTER.into(),
            participant: Some(input),
            request_id: request_id(),
        })
        .await
        .unwrap_err();

    assert_eq!(
        support::bad_fields(&status),
        [
            "participant.profile.languages[0].level",
            "participant.profile.swedish_level",
        ]
    );
}

#[tokio::test]
async fn an_interest_outside_the_chapters_taxonomy_is_named() {
    let app = support::spawn_app_with_demo().await;
    let mut input = newcomer(1);
    input.profile.as_mut().unwrap().interests = vec![
        "chapters/botkyrka/interests/fika".into(),
        "chapters/botkyrka/interests/skydiving".into(),
    ];

    let status = participants(&app, &app.coordinator("botkyrka"))
        .create_participant(CreateParticipantRequest {
            parent: CHAPTER.into(),
            participant: Some(input),
            request_id: request_id(),
        })
        .await
        .unwrap_err();

    assert_eq!(support::bad_fields(&status), ["participant.profile.interests[1]"]);
}

#[tokio::test]
async fn a_registration_without_consent_is_refused_as_consent_missing() {
    let app = support::spawn_app_with_demo().await;
    let mut input = newcomer(1);
    input.consent = None;

    let status = participants(&app, &app.coordinator("botkyrka"))
        .create_participant(CreateParticipantRequest {
            parent: CHAPTER.into(),
            participant: Some(input),
            request_id: request_id(),
        })
        .await
        .unwrap_err();

    assert_eq!(support::bad_fields(&status), ["participant.consent"]);
    assert_eq!(support::reason(&status), "CONSENT_MISSING");
}

#[tokio::test]
async fn a_create_retried_with_the_same_request_id_registers_one_participant() {
    let app = support::spawn_app_with_demo().await;
    let mut client = participants(&app, &app.coordinator("botkyrka"));
    let request = CreateParticipantRequest {
        parent: CHAPTER.into(),
        participant: Some(newcomer(1)),
        request_id: request_id(),
    };

    let first = client.create_participant(request.clone()).await.unwrap();
    let retry = client.create_participant(request).await.unwrap();

    assert_eq!(first.into_inner().participant, retry.into_inner().participant);
    let all = client
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.participants.len(), 1);
}

#[tokio::test]
async fn a_request_id_reused_for_another_participant_is_refused() {
    let app = support::spawn_app_with_demo().await;
    let mut client = participants(&app, &app.coordinator("botkyrka"));
    let id = request_id();
    client
        .create_participant(CreateParticipantRequest {
            parent: CHAPTER.into(),
            participant: Some(newcomer(1)),
            request_id: id.clone(),
        })
        .await
        .unwrap();

    let status = client
        .create_participant(CreateParticipantRequest {
            parent: CHAPTER.into(),
            participant: Some(newcomer(2)),
            request_id: id,
        })
        .await
        .unwrap_err();

    assert_eq!(support::bad_fields(&status), ["request_id"]);
}

#[tokio::test]
async fn a_person_already_in_the_programme_is_flagged_not_refused() {
    let app = support::spawn_app_with_demo().await;
    let first = register(&app, newcomer(1)).await;
    let mut same_person = newcomer(2);
    // The same e-mail address, written in other case.
    same_person.contact.as_mut().unwrap().email = "AMINA1@Exempel.se".into();

    let second = register(&app, same_person).await;

    assert_eq!(second.possible_duplicates, std::slice::from_ref(&first.name));
    assert_eq!(
        get(&app, &first.name).await.possible_duplicates,
        std::slice::from_ref(&second.name)
    );
    let flagged = participants(&app, &app.coordinator("botkyrka"))
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            has_possible_duplicates: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participants;
    assert_eq!(flagged.len(), 2);
    let unrelated = register(&app, newcomer(3)).await;
    assert!(unrelated.possible_duplicates.is_empty());
}

#[tokio::test]
async fn a_person_already_referred_by_a_school_is_flagged_with_the_referral() {
    let app = support::spawn_app_with_demo().await;
    let referral = crate::fixtures::referrals::refer(&app, "+46701000001", "").await;

    // The same phone number as the referral (newcomer 1's phone).
    let registered = register(&app, newcomer(1)).await;

    assert_eq!(
        registered.possible_duplicates,
        std::slice::from_ref(&referral.name)
    );
}

#[tokio::test]
async fn a_coordinator_cannot_see_another_chapters_participant() {
    let app = support::spawn_app_with_demo().await;
    let created = register(&app, newcomer(1)).await;
    let mut other = participants(&app, &app.coordinator("stockholm"));

    let get = other
        .get_participant(GetParticipantRequest {
            name: created.name.clone(),
        })
        .await
        .unwrap_err();
    let list = other
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let withdraw = other
        .withdraw_participant(WithdrawParticipantRequest {
            request_id: String::new(),
            name: created.name.clone(),
            reason: "moved".into(),
        })
        .await
        .unwrap_err();
    let create = other
        .create_participant(CreateParticipantRequest {
            parent: CHAPTER.into(),
            participant: Some(newcomer(2)),
            request_id: request_id(),
        })
        .await
        .unwrap_err();

    for status in [get, list, withdraw, create] {
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
    }
    // `chapters/-` is the coordinator's own chapter only.
    let everywhere = other
        .list_participants(ListParticipantsRequest {
            parent: "chapters/-".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(everywhere.participants.is_empty());
}

#[tokio::test]
async fn an_administrator_sees_every_chapter() {
    let app = support::spawn_app_with_demo().await;
    let created = register(&app, newcomer(1)).await;

    let all = participants(&app, &app.administrator())
        .list_participants(ListParticipantsRequest {
            parent: "chapters/-".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participants;

    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, created.name);
}

#[tokio::test]
async fn referrers_and_participants_may_not_use_the_participant_service() {
    let app = support::spawn_app_with_demo().await;
    let created = register(&app, newcomer(1)).await;
    let id = created.name.rsplit('/').next().unwrap().parse().unwrap();

    for token in [app.referrer("sfi-botkyrka"), app.participant(id)] {
        let status = participants(&app, &token)
            .get_participant(GetParticipantRequest {
                name: created.name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
    }
}

#[tokio::test]
async fn participants_are_listed_across_pages_in_registration_order() {
    let app = support::spawn_app_with_demo().await;
    let mut names = Vec::new();
    for n in 1..=5 {
        names.push(register(&app, newcomer(n)).await.name);
    }
    let mut client = participants(&app, &app.coordinator("botkyrka"));

    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = client
            .list_participants(ListParticipantsRequest {
                parent: CHAPTER.into(),
                role: ParticipantRole::Newcomer as i32,
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(page.participants.len() <= 2);
        seen.extend(page.participants.into_iter().map(|p| p.name));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }

    assert_eq!(pages, 3);
    assert_eq!(seen, names);
}

#[tokio::test]
async fn a_page_token_only_works_with_the_filters_it_was_made_for() {
    let app = support::spawn_app_with_demo().await;
    for n in 1..=3 {
        register(&app, newcomer(n)).await;
    }
    let mut client = participants(&app, &app.coordinator("botkyrka"));
    let first = client
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    let status = client
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            district: TUMBA.into(),
            page_size: 1,
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(support::bad_fields(&status), ["page_token"]);
}

#[tokio::test]
async fn participants_are_filtered_by_role_state_district_and_language() {
    let app = support::spawn_app_with_demo().await;
    let arabic_in_alby = register(&app, newcomer(1)).await;
    let mut tigrinya_in_tumba = newcomer(2);
    tigrinya_in_tumba.district = TUMBA.into();
    tigrinya_in_tumba.profile.as_mut().unwrap().languages = vec![speaks("tir", LanguageLevel::Native)];
    let tigrinya_in_tumba = register(&app, tigrinya_in_tumba).await;
    let resident = register(&app, resident(1)).await;
    let mut client = participants(&app, &app.coordinator("botkyrka"));
    let mut list = async |request: ListParticipantsRequest| -> Vec<String> {
        client
            .list_participants(ListParticipantsRequest {
                parent: CHAPTER.into(),
                ..request
            })
            .await
            .unwrap()
            .into_inner()
            .participants
            .into_iter()
            .map(|p| p.name)
            .collect()
    };

    let residents = list(ListParticipantsRequest {
        role: ParticipantRole::EstablishedResident as i32,
        ..Default::default()
    })
    .await;
    let in_tumba = list(ListParticipantsRequest {
        district: TUMBA.into(),
        ..Default::default()
    })
    .await;
    // "ara" is the three-letter code of the language stored as "ar".
    let arabic = list(ListParticipantsRequest {
        language_code: "ara".into(),
        ..Default::default()
    })
    .await;
    let tigrinya = list(ListParticipantsRequest {
        language_code: "ti".into(),
        ..Default::default()
    })
    .await;
    let ready = list(ListParticipantsRequest {
        states: vec![ParticipantState::Ready as i32],
        ..Default::default()
    })
    .await;

    assert_eq!(residents, std::slice::from_ref(&resident.name));
    assert_eq!(in_tumba, std::slice::from_ref(&tigrinya_in_tumba.name));
    assert_eq!(arabic, [arabic_in_alby.name.clone(), resident.name]);
    assert_eq!(tigrinya, [tigrinya_in_tumba.name]);
    assert!(ready.is_empty());
}

#[tokio::test]
async fn a_list_filter_with_a_word_for_a_language_is_refused() {
    let app = support::spawn_app_with_demo().await;

    let status = participants(&app, &app.coordinator("botkyrka"))
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            language_code: "swedish".into(),
            district: "alby".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(support::bad_fields(&status), ["district", "language_code"]);
}

#[tokio::test]
async fn an_update_changes_only_the_fields_in_the_mask() {
    let app = support::spawn_app_with_demo().await;
    let created = register(&app, newcomer(1)).await;
    let mut client = participants(&app, &app.coordinator("botkyrka"));
    let mut changes = newcomer(99);
    changes.name = created.name.clone();
    changes.gender = Gender::NonBinary as i32;
    changes.contact = Some(Contact {
        phone: "+46 70 999 88 77".into(),
        email: String::new(),
    });
    changes.profile.as_mut().unwrap().district = TUMBA.into();

    let updated = client
        .update_participant(UpdateParticipantRequest {
            participant: Some(changes),
            update_mask: mask(&["gender", "contact", "profile.district"]),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();

    assert_eq!(updated.gender, Gender::NonBinary as i32);
    assert_eq!(updated.contact.unwrap().phone, "+46709998877");
    assert_eq!(updated.district, TUMBA);
    assert_eq!(updated.profile.as_ref().unwrap().district, TUMBA);
    // Not in the mask: unchanged.
    assert_eq!(updated.person_name, created.person_name);
    assert_eq!(
        updated.profile.unwrap().languages,
        created.profile.unwrap().languages
    );
    assert_eq!(updated.state, ParticipantState::Applicant as i32);
}

#[tokio::test]
async fn an_update_names_a_bad_value_and_refuses_fields_that_cannot_change() {
    let app = support::spawn_app_with_demo().await;
    let created = register(&app, newcomer(1)).await;
    let mut client = participants(&app, &app.coordinator("botkyrka"));
    let mut changes = created.clone();
    changes.profile.as_mut().unwrap().languages = vec![speaks("swedish", LanguageLevel::B1)];

    let bad_value = client
        .update_participant(UpdateParticipantRequest {
            participant: Some(changes.clone()),
            update_mask: mask(&["profile.languages"]),
        })
        .await
        .unwrap_err();
    let immutable = client
        .update_participant(UpdateParticipantRequest {
            participant: Some(changes),
            update_mask: mask(&["role"]),
        })
        .await
        .unwrap_err();

    assert_eq!(
        support::bad_fields(&bad_value),
        ["participant.profile.languages[0].language_code"]
    );
    assert_eq!(support::bad_fields(&immutable), ["update_mask"]);
}

#[tokio::test]
async fn a_withdrawn_participant_is_paused_and_returns_to_where_they_were() {
    let app = support::spawn_app_with_demo().await;
    let created = register(&app, newcomer(1)).await;
    let mut client = participants(&app, &app.coordinator("botkyrka"));

    let withdrawn = client
        .withdraw_participant(WithdrawParticipantRequest {
            request_id: String::new(),
            name: created.name.clone(),
            reason: "Moving abroad for the summer".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    let returned = client
        .return_participant(ReturnParticipantRequest {
            request_id: String::new(),
            name: created.name.clone(),
            reason: "Back in Alby".into(),
            reset_waiting_since: false,
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();

    assert_eq!(withdrawn.state, ParticipantState::Withdrawn as i32);
    assert_eq!(withdrawn.state_reason, "Moving abroad for the summer");
    assert_eq!(returned.state, ParticipantState::Applicant as i32);
    assert_eq!(returned.person_name, created.person_name, "nothing was deleted");
    assert_eq!(
        event_states(&app, &created.name).await,
        [
            step("", "applicant"),
            step("applicant", "withdrawn"),
            step("withdrawn", "applicant"),
        ]
    );
}

#[tokio::test]
async fn withdrawing_needs_a_reason_and_returning_needs_a_withdrawal() {
    let app = support::spawn_app_with_demo().await;
    let created = register(&app, newcomer(1)).await;
    let mut client = participants(&app, &app.coordinator("botkyrka"));

    let no_reason = client
        .withdraw_participant(WithdrawParticipantRequest {
            request_id: String::new(),
            name: created.name.clone(),
            reason: "  ".into(),
        })
        .await
        .unwrap_err();
    let not_withdrawn = client
        .return_participant(ReturnParticipantRequest {
            name: created.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(support::bad_fields(&no_reason), ["reason"]);
    assert_eq!(not_withdrawn.code(), Code::FailedPrecondition);
    assert_eq!(support::reason(&not_withdrawn), "INVALID_STATE_TRANSITION");
}

#[tokio::test]
async fn another_chapters_coordinator_can_neither_correct_nor_return_a_participant() {
    let app = support::spawn_app_with_demo().await;
    let created = register(&app, newcomer(1)).await;
    participants(&app, &app.coordinator("botkyrka"))
        .withdraw_participant(WithdrawParticipantRequest {
            request_id: String::new(),
            name: created.name.clone(),
            reason: "Moving abroad for the summer".into(),
        })
        .await
        .unwrap();
    let mut other = participants(&app, &app.coordinator("stockholm"));
    let mut changes = created.clone();
    changes.gender = Gender::Male as i32;

    let update = other
        .update_participant(UpdateParticipantRequest {
            participant: Some(changes),
            update_mask: mask(&["gender"]),
        })
        .await
        .unwrap_err();
    let returned = other
        .return_participant(ReturnParticipantRequest {
            request_id: String::new(),
            name: created.name.clone(),
            reason: "Back in Alby".into(),
            reset_waiting_since: false,
        })
        .await
        .unwrap_err();

    for status in [update, returned] {
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
    }
    let unchanged = get(&app, &created.name).await;
    assert_eq!(unchanged.state, ParticipantState::Withdrawn as i32);
    assert_eq!(unchanged.gender, created.gender);
}

#[tokio::test]
async fn another_chapters_coordinator_cannot_read_the_waiting_list() {
    let app = support::spawn_app_with_demo().await;
    let waiting = approve(&app, &register(&app, newcomer(1)).await, ALBY, "ar").await;
    assert_eq!(waiting.state, ParticipantState::Ready as i32);

    let status = participants(&app, &app.coordinator("stockholm"))
        .get_waiting_list(GetWaitingListRequest {
            chapter: CHAPTER.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert!(!status.message().contains(&waiting.name));
}
