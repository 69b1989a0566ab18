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

/// Readiness turns within about a second of PostgreSQL going away and of it coming back,
/// also while every connection of the pool is busy with callers, at the default health
/// interval: when the server is killed (connections refused) and when it hangs
/// (connections open, nothing answers, as a partition looks).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_turns_within_about_a_second_either_way_under_load() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::time::{Duration, Instant};

    let pg = Arc::new(tokio::task::spawn_blocking(TempPostgres::start).await.unwrap());
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let mut settings = support::test_settings(&pg.url(), &prefix);
    settings.health_interval = kompisd::settings::DEFAULT_HEALTH_INTERVAL;
    let app = support::start(settings).await;
    let mut watch = HealthClient::new(app.channel())
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    next_status(&mut watch, ServingStatus::Serving).await;

    // Callers keep every pooled connection busy, more of them than the pool holds.
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let token = app.administrator();
    let mut callers = Vec::new();
    for _ in 0..16 {
        let (stop, answered) = (stop.clone(), answered.clone());
        let mut client = AdminServiceClient::new(support::authed(app.channel(), &token));
        callers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if client
                    .list_municipalities(ListMunicipalitiesRequest::default())
                    .await
                    .is_ok()
                {
                    answered.fetch_add(1, Ordering::Relaxed);
                } else {
                    // Refused quickly while the database is down: do not spin.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }));
    }
    let busy = async || {
        let seen = answered.load(Ordering::Relaxed);
        support::eventually("callers are answered", || {
            let answered = answered.clone();
            async move { (answered.load(Ordering::Relaxed) > seen + 100).then_some(()) }
        })
        .await;
    };
    // About a second, with room for a busy machine; the design gives at most 0.75 s
    // down and 0.25 s up.
    let bound = Duration::from_millis(1500);
    let mut figures = Vec::new();
    for (what, stop_db, start_db) in [
        (
            "killed",
            TempPostgres::kill as fn(&TempPostgres),
            TempPostgres::resume as fn(&TempPostgres),
        ),
        ("hung", TempPostgres::freeze, TempPostgres::thaw),
    ] {
        busy().await;
        let db = pg.clone();
        tokio::task::spawn_blocking(move || stop_db(&db)).await.unwrap();
        let down = Instant::now();
        tokio::time::timeout(bound * 10, next_status(&mut watch, ServingStatus::NotServing))
            .await
            .unwrap_or_else(|_| panic!("{what}: health never turned NotServing"));
        let noticed_down = down.elapsed();
        let db = pg.clone();
        tokio::task::spawn_blocking(move || start_db(&db)).await.unwrap();
        let up = Instant::now();
        tokio::time::timeout(bound * 10, next_status(&mut watch, ServingStatus::Serving))
            .await
            .unwrap_or_else(|_| panic!("{what}: health never turned Serving"));
        let noticed_up = up.elapsed();
        figures.push(format!(
            "{what}: NOT_SERVING after {noticed_down:?}, SERVING after {noticed_up:?}"
        ));
        assert!(
            noticed_down < bound,
            "{what}: NOT_SERVING only after {noticed_down:?}"
        );
        assert!(noticed_up < bound, "{what}: SERVING only after {noticed_up:?}");
    }
    eprintln!("health: {}", figures.join("; "));
    busy().await;
    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        caller.await.unwrap();
    }
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

/// Two transactions waiting for each other: PostgreSQL aborts one of them. That is a
/// collision to send again (ABORTED, reason CONFLICT, through the one error table),
/// never an internal error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadlock_is_a_conflict_to_retry_not_an_internal_error() {
    let app = support::spawn_app().await;
    let (mut first, mut second) = (
        app.pool().begin().await.unwrap(),
        app.pool().begin().await.unwrap(),
    );
    let lock = "SELECT pg_advisory_xact_lock($1)";
    sqlx::query(lock).bind(1_i64).execute(&mut *first).await.unwrap();
    sqlx::query(lock).bind(2_i64).execute(&mut *second).await.unwrap();
    let (a, b) = tokio::join!(
        sqlx::query(lock).bind(2_i64).execute(&mut *first),
        sqlx::query(lock).bind(1_i64).execute(&mut *second),
    );
    let error = a.err().or(b.err()).expect("PostgreSQL breaks the deadlock");
    let error = kompis_store::StoreError::from(error);
    assert!(
        matches!(error, kompis_store::StoreError::Conflict(_)),
        "{error:?}"
    );
    let status = tonic::Status::from(kompis_grpc::kit::errors::ApiError::from(error));
    assert_eq!(status.code(), Code::Aborted);
    use tonic_types::StatusExt;
    assert_eq!(status.get_details_error_info().unwrap().reason, "CONFLICT");
}
