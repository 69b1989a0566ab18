//! Faults: the server keeps running when PostgreSQL goes away, says so through health,
//! answers UNAVAILABLE (with RetryInfo) rather than INTERNAL, and recovers by itself.

mod support;

use kompis_proto::v1::ListMunicipalitiesRequest;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use support::postgres::TempPostgres;
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
