//! The outbox relay and the Redis Streams queue, against the real PostgreSQL and Redis.

use crate::support;
use std::time::Duration;

use kompis_queue::{Consumer, Envelope, MAX_DELIVERIES, Queue};
use redis::AsyncCommands;

#[tokio::test]
async fn an_outbox_row_committed_in_postgres_reaches_its_redis_stream_under_the_tests_prefix() {
    let app = support::spawn_app().await;
    let payload = serde_json::json!({ "event": "0190-test", "to_state": "ready" });
    let id = kompis_store::outbox::enqueue(
        app.pool(),
        "participant-events",
        1,
        &payload,
        time::OffsetDateTime::now_utc(),
    )
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

    // Marked published (shutting down waits for the round in progress), and settled: an
    // announcement has no consumer to wait for, so it is never published again.
    let mut app = app;
    app.stop_server().await;
    let pool = app.pool().clone();
    let (unpublished, unsettled): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE publish_time IS NULL), count(*) FILTER (WHERE settle_time IS NULL)
         FROM outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((unpublished, unsettled), (0, 0));
    let length: u64 = conn.xlen(&key).await.unwrap();
    assert_eq!(length, 1, "published once");
    let _: () = conn.del(&key).await.unwrap();
}

async fn queue() -> Queue {
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    Queue::connect(&support::redis_url(), &prefix).await.unwrap()
}

async fn publish(queue: &Queue, n: i64) {
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

fn outbox_ids(batch: &[kompis_queue::Delivery]) -> Vec<i64> {
    batch
        .iter()
        .map(|d| d.envelope.as_ref().unwrap().outbox_id)
        .collect()
}

#[tokio::test]
async fn a_consumer_group_gets_each_message_and_acknowledged_ones_are_not_redelivered() {
    let queue = queue().await;
    let mut consumer = Consumer::new(queue.clone(), "invitations", "worker", "c1")
        .await
        .unwrap();
    queue.ensure_group("invitations", "worker").await.unwrap(); // idempotent
    for n in 1..=3 {
        publish(&queue, n).await;
    }

    let first = consumer
        .next_batch(10, Duration::from_secs(60), Duration::from_millis(100))
        .await
        .unwrap();
    assert_eq!(outbox_ids(&first), [1, 2, 3]);
    assert!(first.iter().all(|d| d.deliveries == 1));
    consumer
        .ack(&first.iter().map(|d| d.entry_id.clone()).collect::<Vec<_>>())
        .await
        .unwrap();

    let again = consumer
        .next_batch(10, Duration::ZERO, Duration::from_millis(50))
        .await
        .unwrap();
    assert!(again.is_empty());
    assert_eq!(
        queue.len(&queue.stream_key("invitations")).await.unwrap(),
        0,
        "acknowledged entries are deleted from the stream"
    );
}

#[tokio::test]
async fn an_unacknowledged_message_is_reclaimed_with_its_delivery_count_growing() {
    let queue = queue().await;
    let mut dead = Consumer::new(queue.clone(), "invitations", "worker", "dead")
        .await
        .unwrap();
    let mut alive = Consumer::new(queue.clone(), "invitations", "worker", "alive")
        .await
        .unwrap();
    publish(&queue, 7).await;
    let taken = dead
        .next_batch(1, Duration::from_secs(60), Duration::from_millis(50))
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);

    // The first consumer never acknowledges (it died): with a zero idle time the other
    // reclaims it, and the count grows with each delivery.
    for attempt in 2..=MAX_DELIVERIES {
        let got = alive
            .next_batch(1, Duration::ZERO, Duration::from_millis(50))
            .await
            .unwrap();
        assert_eq!(outbox_ids(&got), [7]);
        assert_eq!(got[0].deliveries, attempt);
    }
}

#[tokio::test]
async fn reclaiming_continues_from_where_the_last_scan_stopped() {
    let queue = queue().await;
    let mut dead = Consumer::new(queue.clone(), "invitations", "worker", "dead")
        .await
        .unwrap();
    let mut alive = Consumer::new(queue.clone(), "invitations", "worker", "alive")
        .await
        .unwrap();
    for n in 1..=3 {
        publish(&queue, n).await;
    }
    dead.next_batch(10, Duration::from_secs(60), Duration::from_millis(50))
        .await
        .unwrap();

    // One at a time: each scan starts after the entry the previous one reached, so the
    // three pending entries come in turn instead of the first one three times.
    let mut reclaimed = Vec::new();
    for _ in 0..3 {
        let got = alive
            .next_batch(1, Duration::ZERO, Duration::from_millis(50))
            .await
            .unwrap();
        reclaimed.extend(outbox_ids(&got));
    }
    assert_eq!(reclaimed, [1, 2, 3]);
}

#[tokio::test]
async fn a_consumer_recreates_its_group_when_redis_lost_it() {
    let queue = queue().await;
    let mut consumer = Consumer::new(queue.clone(), "invitations", "worker", "c1")
        .await
        .unwrap();
    let client = redis::Client::open(support::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = conn.del(queue.stream_key("invitations")).await.unwrap();

    // The read that finds the group gone recreates it; what is published next is read.
    let lost = consumer
        .next_batch(10, Duration::from_secs(60), Duration::from_millis(50))
        .await
        .unwrap();
    assert!(lost.is_empty());
    publish(&queue, 9).await;
    let got = consumer
        .next_batch(10, Duration::from_secs(60), Duration::from_millis(500))
        .await
        .unwrap();
    assert_eq!(outbox_ids(&got), [9]);
}

#[tokio::test]
async fn the_incarnation_of_a_redis_stays_until_its_data_is_gone() {
    let queue = queue().await;
    let first = queue.incarnation().await.unwrap();
    assert_eq!(queue.incarnation().await.unwrap(), first);
    let client = redis::Client::open(support::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = conn.del(format!("{}:incarnation", queue.prefix())).await.unwrap();
    assert_ne!(queue.incarnation().await.unwrap(), first);
}
