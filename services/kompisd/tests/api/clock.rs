//! The application clock: business times come from it, and the worker's timers go by
//! it, so tests move time instead of sleeping.

use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::*;
use time::macros::datetime;

use crate::fixtures::participants::{newcomer, participants, register, request_id};
use crate::support::{self, authed, eventually};

fn at(t: time::OffsetDateTime) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: t.unix_timestamp(),
        nanos: t.nanosecond() as i32,
    })
}

#[tokio::test]
async fn creation_and_state_times_are_the_clocks() {
    let start = datetime!(2026-03-02 09:00 UTC);
    let app = support::spawn_app_with_clock(start).await;
    // Consent was given before the clock's now, as the API requires.
    let mut person = newcomer(1);
    person.consent.as_mut().unwrap().give_time = at(start - time::Duration::days(1));
    let created = register(&app, person).await;
    assert_eq!(created.create_time, at(start));
    assert_eq!(created.state_time, at(start));

    app.clock().advance(time::Duration::days(3));
    let withdrawn = participants(&app, &app.coordinator("botkyrka"))
        .withdraw_participant(WithdrawParticipantRequest {
            name: created.name.clone(),
            reason: "moved away".into(),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert_eq!(withdrawn.state_time, at(start + time::Duration::days(3)));
    let event_times: Vec<time::OffsetDateTime> =
        sqlx::query_scalar("SELECT occur_time FROM events WHERE subject = $1 ORDER BY id")
            .bind(&created.name)
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(event_times, [start, start + time::Duration::days(3)]);
}

#[tokio::test]
async fn the_worker_forgets_answers_kept_for_retries_once_the_clock_passes_their_retention() {
    let app = support::spawn_app_with_clock(datetime!(2026-03-02 09:00 UTC)).await;
    let mut coordinator = AdminServiceClient::new(authed(app.channel(), &app.coordinator("botkyrka")));
    let request = CreateInterestRequest {
        parent: "chapters/botkyrka".into(),
        interest: Some(Interest {
            display_name: "Birdwatching".into(),
            category: "Outdoors".into(),
            ..Default::default()
        }),
        request_id: request_id(),
        ..Default::default()
    };
    let first = coordinator
        .create_interest(request.clone())
        .await
        .unwrap()
        .into_inner();
    let kept = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM idempotency_keys")
            .fetch_one(app.pool())
            .await
            .unwrap()
    };
    assert_eq!(kept().await, 1);

    app.clock().advance(time::Duration::hours(25));
    eventually("the expired answer to be forgotten", || async {
        (kept().await == 0).then_some(())
    })
    .await;

    // A retry now acts again instead of answering the first interest: the taxonomy
    // refuses a second Birdwatching in the same category.
    let again = coordinator.create_interest(request).await.unwrap_err();
    assert_eq!(again.code(), tonic::Code::AlreadyExists);
    assert!(first.interest.is_some());
}
