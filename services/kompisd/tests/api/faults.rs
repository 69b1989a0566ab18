//! Faults: the server keeps running when PostgreSQL goes away, says so through health,
//! answers UNAVAILABLE (with RetryInfo) rather than INTERNAL, and recovers by itself.

use crate::support;
use crate::support::postgres::TempPostgres;
use crate::support::redis::{free_port, start_redis};
use kompis_proto::v1::ListMunicipalitiesRequest;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

async fn next_status(
    stream: &mut tonic::Streaming<tonic_health::pb::HealthCheckResponse>,
    wanted: ServingStatus,
) {
    while let Some(update) = stream.message().await.unwrap() {
        if update.status == wanted as i32 {
            return;
        }
    }
    panic!("the health watch ended before {wanted:?}");
}

#[tokio::test]
async fn health_follows_postgres_down_and_back_up() {
    let pg = tokio::task::spawn_blocking(TempPostgres::start).await.unwrap();
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let app = support::start(support::test_settings(&pg.url(), &prefix)).await;
    let mut health = HealthClient::new(app.channel());
    let mut watch = health
        .watch(HealthCheckRequest {
            service: "kompis.v1.AdminService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    next_status(&mut watch, ServingStatus::Serving).await;

    pg.kill();
    next_status(&mut watch, ServingStatus::NotServing).await;
    let token = app.administrator();
    let err = AdminServiceClient::new(support::authed(app.channel(), &token))
        .list_municipalities(ListMunicipalitiesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    use tonic_types::StatusExt;
    assert!(
        err.get_details_retry_info().is_some(),
        "UNAVAILABLE carries RetryInfo"
    );

    pg.resume();
    next_status(&mut watch, ServingStatus::Serving).await;
    let listed = AdminServiceClient::new(support::authed(app.channel(), &token))
        .list_municipalities(ListMunicipalitiesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(!listed.municipalities.is_empty());
    app.shutdown().await;
}

/// Publishes once Redis is back: the first attempts may meet the connection that broke,
/// and the manager reconnects on them.
async fn publish_when_back(queue: &kompis_queue::Queue, envelope: &kompis_queue::Envelope) -> String {
    let mut last = None;
    for _ in 0..5 {
        match queue.publish("faults", envelope).await {
            Ok(id) => return id,
            Err(e) => last = Some(e),
        }
    }
    panic!("the queue did not reconnect to a running Redis: {last:?}");
}

#[tokio::test]
async fn the_queue_reconnects_by_itself_after_redis_restarts() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let mut redis = start_redis(port);
    let envelope = kompis_queue::Envelope {
        outbox_id: 1,
        version: 1,
        payload: "{}".into(),
    };
    let queue = kompis_queue::Queue::connect(&url, "faults").await.unwrap();
    publish_when_back(&queue, &envelope).await;

    redis.kill().unwrap();
    redis.wait().unwrap();
    assert!(queue.publish("faults", &envelope).await.is_err(), "Redis is down");

    let mut redis = start_redis(port);
    publish_when_back(&queue, &envelope).await;
    assert_eq!(
        queue.len(&queue.stream_key("faults")).await.unwrap(),
        1,
        "a fresh server, one entry"
    );
    redis.kill().unwrap();
    redis.wait().unwrap();
}

/// A fresh cluster has no service role yet. Databases of one cluster migrated at once (as
/// a test suite or several deployments do) all find it missing and all try to create it:
/// every migration succeeds, and every database's pool acts as the service role.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn databases_of_a_fresh_cluster_migrated_at_once_all_get_the_service_role() {
    use sqlx::Connection;
    let pg = tokio::task::spawn_blocking(TempPostgres::start).await.unwrap();
    let mut admin = sqlx::PgConnection::connect(&pg.url()).await.unwrap();
    let mut stores = Vec::new();
    for i in 0..20 {
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE db{i}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let url = support::with_database(&pg.url(), &format!("db{i}"));
        stores.push(kompis_store::Store::connect_lazy(&url, 2).unwrap());
    }
    let results = futures::future::join_all(stores.iter().map(|s| s.migrate())).await;
    for (i, result) in results.iter().enumerate() {
        assert!(result.is_ok(), "database {i}: {result:?}");
    }
    for store in &stores {
        let role: String = sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(role, "kompis_app");
    }
}
