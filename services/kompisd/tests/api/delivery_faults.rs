//! The delivery pipeline under faults: a Redis of the test's own killed and started
//! again empty, and a worker process killed mid-batch, while the invitations of one
//! activity to 10,000 people go out. PostgreSQL is the record: everything is delivered,
//! once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kompis_proto::v1::{
    InvitationAudience, InviteParticipantsRequest, ParticipantState, StreamNotificationsResponse,
};

use crate::fixtures::activities::{coordinator, plan_walk};
use crate::fixtures::notifications::{many_ready_newcomers, notify, open_stream};
use crate::support::redis::{free_port, start_redis};
use crate::support::{self, TestApp};

const PEOPLE: i64 = 10_000;
const STREAMS: usize = 100;
const BARRIER: &str = "chapters/botkyrka/activities/0190aaaa-0000-7000-8000-000000000004";

async fn in_inboxes(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM inbox")
        .fetch_one(app.pool())
        .await
        .unwrap()
}

/// Polls until at least `n` notifications are in inboxes; returns how many.
async fn until_delivered(app: &TestApp, n: i64) -> i64 {
    loop {
        let now = in_inboxes(app).await;
        if now >= n {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Collects a stream's notifications until it has received one about `until`.
async fn collect(
    mut stream: tonic::Streaming<StreamNotificationsResponse>,
    until: &'static str,
) -> Vec<String> {
    let mut subjects = Vec::new();
    while let Some(message) = stream.message().await.expect("the stream stays healthy") {
        let subject = message.notification.unwrap().subject;
        let done = subject == until;
        subjects.push(subject);
        if done {
            break;
        }
    }
    subjects
}

#[tokio::test]
async fn every_invitation_is_delivered_once_when_redis_restarts_empty_and_a_worker_is_killed() {
    let outcome = tokio::time::timeout(Duration::from_secs(180), async {
        let port = free_port();
        let mut redis = start_redis(port);
        let redis_url = format!("redis://127.0.0.1:{port}");
        let url = redis_url.clone();
        // The server serves the API only; the workers are processes of their own.
        let app = support::spawn_app_configured(move |s| {
            s.redis_url = url;
            s.run_worker = false;
        })
        .await;
        let env = [
            ("KOMPIS_QUEUE_RECLAIM_MS", "500"),
            ("KOMPIS_DELIVERY_WORKERS", "2"),
        ];
        let mut doomed = support::spawn_worker(app.database_url(), &redis_url, &app.redis_prefix, &env);
        let _survivor = support::spawn_worker(app.database_url(), &redis_url, &app.redis_prefix, &env);
        let people = many_ready_newcomers(&app, PEOPLE).await;
        let mut streams = Vec::new();
        for p in &people[..STREAMS] {
            let stream = open_stream(&app, &app.participant(*p), "").await;
            streams.push(tokio::spawn(collect(stream, BARRIER)));
        }

        let activity = plan_walk(&app, 0).await.name;
        let started = Instant::now();
        let invited = coordinator(&app)
            .invite_participants(InviteParticipantsRequest {
                activity: activity.clone(),
                audience: Some(InvitationAudience {
                    states: vec![ParticipantState::Ready as i32],
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
            .expect("the invitations go out in one call")
            .into_inner();
        assert_eq!(invited.created_count as i64, PEOPLE);

        // Redis dies as the first notifications arrive, and comes back with nothing.
        let at_redis_kill = until_delivered(&app, 1).await;
        redis.kill().unwrap();
        redis.wait().unwrap();
        let mut redis = start_redis(port);
        // A worker dies while delivering.
        let at_worker_kill = until_delivered(&app, at_redis_kill + 2_000).await;
        doomed.start_kill().unwrap();
        doomed.wait().await.unwrap();
        until_delivered(&app, PEOPLE).await;
        let elapsed = started.elapsed();
        assert!(
            at_redis_kill < PEOPLE && at_worker_kill < PEOPLE,
            "the faults came mid-run: {at_redis_kill} and {at_worker_kill} of {PEOPLE} delivered"
        );

        // Every stream has its notification; a second one to each, sent after everything
        // was delivered, shows that nothing else was on its way.
        notify(&app, &people[..STREAMS], BARRIER).await;
        let mut per_stream = Vec::new();
        for stream in streams {
            per_stream.push(stream.await.unwrap());
        }
        redis.kill().unwrap();
        redis.wait().unwrap();
        eprintln!(
            "Redis killed at {at_redis_kill}, a worker at {at_worker_kill} of {PEOPLE} delivered; \
             all delivered in {elapsed:?}"
        );
        (app, activity, per_stream)
    })
    .await;
    let (app, activity, per_stream) = outcome.expect("delivered within the bound");

    let invitation = format!("{activity}/invitations/");
    for subjects in &per_stream {
        assert_eq!(
            subjects.len(),
            2,
            "each stream shows each notification once: {subjects:?}"
        );
        assert!(subjects[0].starts_with(&invitation), "{subjects:?}");
        assert_eq!(subjects[1], BARRIER);
    }
    let (entries, participants): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT i.participant_id)
         FROM inbox i JOIN notifications n ON n.id = i.notification_id
         WHERE starts_with(n.subject, $1)",
    )
    .bind(&invitation)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(entries, PEOPLE, "every one delivered");
    assert_eq!(participants, PEOPLE, "each to its own inbox, none twice");
    let states: HashMap<String, i64> =
        sqlx::query_as("SELECT state, count(*) FROM notification_deliveries GROUP BY state")
            .fetch_all(app.pool())
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(
        states.get("delivered").copied(),
        Some(PEOPLE + STREAMS as i64),
        "{states:?}"
    );
    assert_eq!(states.len(), 1, "nothing pending or dead: {states:?}");
}
