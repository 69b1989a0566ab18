//! The outbox relay and the Redis Streams queue, against the real PostgreSQL and Redis.

use crate::support;
use std::time::Duration;

use kompis_queue::{Envelope, MAX_DELIVERIES, Queue};
use redis::AsyncCommands;

#[tokio::test]
async fn an_outbox_row_committed_in_postgres_reaches_its_redis_stream_under_the_tests_prefix() {
    let app = support::spawn_app().await;
    let payload = serde_json::json!({ "event": "0190-test", "to_state": "ready" });
    let id = kompis_store::outbox::enqueue(app.pool(), "participant-events", 1, &payload)
        .await
        .unwrap();

    // Wait on Redis itself (a blocking read), not on time.
    let client = redis::Client::open(support::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}:stream:participant-events", app.redis_prefix);
    let reply: redis::streams::StreamReadReply = redis::cmd("XREAD")
        .arg("BLOCK")
        .arg(10_000)
        .arg("STREAMS")
        .arg(&key)
        .arg("0")
        .query_async(&mut conn)
        .await
        .expect("the relay publishes within the block timeout");
    let entry = &reply.keys[0].ids[0];
    assert_eq!(entry.get::<i64>("outbox_id"), Some(id));
    assert_eq!(entry.get::<i32>("version"), Some(1));
    let published: serde_json::Value =
        serde_json::from_str(&entry.get::<String>("payload").unwrap()).unwrap();
    assert_eq!(published, payload);

    // Marked published in the relay's transaction (which commits right after publishing;
    // shutting down waits for it), so it is not relayed again.
    let mut app = app;
    app.stop_server().await;
    let pool = app.pool().clone();
    let unpublished: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE publish_time IS NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(unpublished, 0);
    let length: u64 = conn.xlen(&key).await.unwrap();
    assert_eq!(length, 1, "published once");
    let _: () = conn.del(&key).await.unwrap();
}

#[tokio::test]
async fn a_consumer_group_gets_each_message_acknowledged_ones_are_not_redelivered() {
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let queue = Queue::connect(&support::redis_url(), &prefix).await.unwrap();
    queue.ensure_group("invitations", "worker").await.unwrap();
    queue.ensure_group("invitations", "worker").await.unwrap(); // idempotent
    for n in 1..=3 {
        queue
            .publish(
                "invitations",
                &Envelope {
                    outbox_id: n,
                    version: 1,
                    payload: format!("{{\"n\":{n}}}"),
                },
            )
            .await
            .unwrap();
    }

    let first = queue
        .read(
            "invitations",
            "worker",
            "c1",
            10,
            Duration::from_secs(60),
            Duration::from_millis(100),
        )
        .await
        .unwrap();
    assert_eq!(
        first
            .iter()
            .map(|d| d.envelope.as_ref().unwrap().outbox_id)
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(first.iter().all(|d| d.deliveries == 1));
    for d in &first {
        queue.ack("invitations", "worker", &d.entry_id).await.unwrap();
    }
    let again = queue
        .read(
            "invitations",
            "worker",
            "c1",
            10,
            Duration::ZERO,
            Duration::from_millis(50),
        )
        .await
        .unwrap();
    assert!(again.is_empty());
}

#[tokio::test]
async fn an_unacknowledged_message_is_redelivered_and_then_dead_lettered() {
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let queue = Queue::connect(&support::redis_url(), &prefix).await.unwrap();
    queue.ensure_group("invitations", "worker").await.unwrap();
    queue
        .publish(
            "invitations",
            &Envelope {
                outbox_id: 7,
                version: 99,
                payload: "{}".into(),
            },
        )
        .await
        .unwrap();

    // A consumer that fails leaves the message pending; with a zero retry delay the next
    // read claims it again, and the delivery count grows.
    let mut last = None;
    for attempt in 1..=MAX_DELIVERIES {
        let got = queue
            .read(
                "invitations",
                "worker",
                "c1",
                1,
                Duration::ZERO,
                Duration::from_millis(50),
            )
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].deliveries, attempt);
        last = Some(got.into_iter().next().unwrap());
    }
    let poison = last.unwrap();
    queue
        .dead_letter("invitations", "worker", &poison, "unknown payload version 99")
        .await
        .unwrap();

    assert_eq!(queue.len(&queue.dead_letter_key("invitations")).await.unwrap(), 1);
    let after = queue
        .read(
            "invitations",
            "worker",
            "c1",
            1,
            Duration::ZERO,
            Duration::from_millis(50),
        )
        .await
        .unwrap();
    assert!(after.is_empty(), "a dead-lettered message is acknowledged");
}
