//! Idempotent mutations: the kit's rule, as common.proto states it, through the API.

use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::*;
use prost::Message;
use tonic::Code;

use crate::fixtures::participants::{newcomer, participants, register, request_id};
use crate::support::{self, authed, bad_fields, reason};

fn interest(display_name: &str, request_id: &str) -> CreateInterestRequest {
    CreateInterestRequest {
        parent: "chapters/botkyrka".into(),
        interest_id: String::new(),
        interest: Some(Interest {
            display_name: display_name.into(),
            category: "Outdoors".into(),
            ..Default::default()
        }),
        request_id: request_id.into(),
    }
}

async fn interest_count(app: &support::TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM interests WHERE chapter_id = 'botkyrka'")
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_retried_create_answers_the_first_answer_byte_for_byte_and_creates_once() {
    let app = support::spawn_app_with_demo().await;
    let mut admin = AdminServiceClient::new(authed(app.channel(), &app.coordinator("botkyrka")));
    let before = interest_count(&app).await;
    let id = request_id();
    // The interest id is chosen by the server, so only a replay can answer the same one.
    let first = admin
        .create_interest(interest("Orienteering", &id))
        .await
        .unwrap()
        .into_inner();
    let retry = admin
        .create_interest(interest("Orienteering", &id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.encode_to_vec(), retry.encode_to_vec());
    assert_eq!(interest_count(&app).await, before + 1);
}

#[tokio::test]
async fn a_retried_state_change_answers_again_instead_of_refusing_the_second_move() {
    let app = support::spawn_app_with_demo().await;
    let person = register(&app, newcomer(1)).await;
    let mut coordinator = participants(&app, &app.coordinator("botkyrka"));
    let withdraw = WithdrawParticipantRequest {
        name: person.name.clone(),
        reason: "moved to Malmö".into(),
        request_id: request_id(),
    };
    let first = coordinator
        .withdraw_participant(withdraw.clone())
        .await
        .unwrap()
        .into_inner();
    let retry = coordinator
        .withdraw_participant(withdraw.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.encode_to_vec(), retry.encode_to_vec());
    // Without the request id the second withdrawal is a new request, which the state
    // machine refuses.
    let again = coordinator
        .withdraw_participant(WithdrawParticipantRequest {
            request_id: String::new(),
            ..withdraw
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn the_same_request_id_with_another_request_is_refused_naming_request_id() {
    let app = support::spawn_app_with_demo().await;
    let mut admin = AdminServiceClient::new(authed(app.channel(), &app.coordinator("botkyrka")));
    let id = request_id();
    admin.create_interest(interest("Chess", &id)).await.unwrap();
    let reused = admin
        .create_interest(interest("Knitting", &id))
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::InvalidArgument);
    assert_eq!(reason(&reused), "REQUEST_ID_REUSED");
    assert_eq!(bad_fields(&reused), ["request_id"]);
}

#[tokio::test]
async fn another_callers_request_id_is_another_key() {
    let app = support::spawn_app_with_demo().await;
    let id = request_id();
    let mut coordinator = AdminServiceClient::new(authed(app.channel(), &app.coordinator("botkyrka")));
    let mut administrator = AdminServiceClient::new(authed(app.channel(), &app.administrator()));
    let theirs = coordinator
        .create_interest(interest("Chess", &id))
        .await
        .unwrap()
        .into_inner();
    let mine = administrator
        .create_interest(interest("Bridge", &id))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(theirs.interest.unwrap().name, mine.interest.unwrap().name);
}

#[tokio::test]
async fn a_mutation_without_request_id_is_not_deduplicated() {
    let app = support::spawn_app_with_demo().await;
    let mut admin = AdminServiceClient::new(authed(app.channel(), &app.coordinator("botkyrka")));
    let before = interest_count(&app).await;
    admin.create_interest(interest("Padel", "")).await.unwrap();
    admin.create_interest(interest("Boule", "")).await.unwrap();
    assert_eq!(interest_count(&app).await, before + 2);
}

#[tokio::test]
async fn the_all_zero_request_id_is_refused() {
    let app = support::spawn_app_with_demo().await;
    let mut admin = AdminServiceClient::new(authed(app.channel(), &app.coordinator("botkyrka")));
    let refused = admin
        .create_interest(interest("Sailing", "00000000-0000-0000-0000-000000000000"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&refused), ["request_id"]);
}

#[tokio::test]
async fn a_registration_retried_at_once_or_with_another_request_is_made_once_and_answered_by_the_rule() {
    let app = support::spawn_app_with_demo().await;
    let count = async || -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM participants WHERE chapter_id = 'botkyrka'")
            .fetch_one(app.pool())
            .await
            .unwrap()
    };
    let before = count().await;
    let register = CreateParticipantRequest {
        parent: "chapters/botkyrka".into(),
        participant: Some(newcomer(501)),
        request_id: request_id(),
    };

    // Eight copies of one request at once: one participant, one answer for all.
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let mut client = participants(&app, &app.coordinator("botkyrka"));
        let request = register.clone();
        calls.spawn(async move { client.create_participant(request).await });
    }
    let mut answers = Vec::new();
    while let Some(call) = calls.join_next().await {
        answers.push(
            call.unwrap()
                .expect("every copy is answered")
                .into_inner()
                .encode_to_vec(),
        );
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "every copy gets the first answer");
    assert_eq!(count().await, before + 1);

    // The same request id with another request, valid or naming a district that does
    // not exist: refused for the reused id, and nothing made.
    let mut other = newcomer(502);
    for district in [
        other.district.clone(),
        "municipalities/botkyrka/districts/nowhere".into(),
    ] {
        other.district = district;
        let reused = participants(&app, &app.coordinator("botkyrka"))
            .create_participant(CreateParticipantRequest {
                participant: Some(other.clone()),
                ..register.clone()
            })
            .await
            .unwrap_err();
        assert_eq!(reused.code(), Code::InvalidArgument);
        assert_eq!(reason(&reused), "REQUEST_ID_REUSED");
        assert_eq!(bad_fields(&reused), ["request_id"]);
    }
    assert_eq!(count().await, before + 1);
}
