//! The probe binary against a real tonic health service on a loopback port.

use std::net::SocketAddr;
use std::process::Command;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// Serves only `grpc.health.v1.Health` on a free loopback port.
async fn health_server() -> (SocketAddr, HealthReporter) {
    let (reporter, service) = tonic_health::server::health_reporter();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    (addr, reporter)
}

/// Runs the probe binary with `args` off the runtime's threads; returns its exit code.
async fn probe(args: Vec<String>) -> i32 {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_grpc-health-probe"))
            .args(&args)
            .output()
            .unwrap()
            .status
            .code()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_serving_service_exits_zero_and_a_not_serving_one_exits_four() {
    let (addr, reporter) = health_server().await;
    let service = "kompis.v1.ReferralService";
    reporter.set_service_status(service, ServingStatus::Serving).await;
    let args = |s: &str| vec!["--addr".into(), addr.to_string(), "--service".into(), s.into()];

    assert_eq!(probe(args(service)).await, 0);

    reporter
        .set_service_status(service, ServingStatus::NotServing)
        .await;
    assert_eq!(probe(args(service)).await, 4);
}

#[tokio::test]
async fn an_unknown_service_is_a_failed_call() {
    let (addr, _reporter) = health_server().await;
    let args = vec![
        "--addr".into(),
        addr.to_string(),
        "--service".into(),
        "no.such.Service".into(),
    ];
    assert_eq!(probe(args).await, 3);
}

#[tokio::test]
async fn a_closed_port_is_a_failed_connection() {
    // Bind and drop a listener so that the port is known to be closed.
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let args = vec![
        "--addr".into(),
        addr.to_string(),
        "--timeout-ms".into(),
        "2000".into(),
    ];
    assert_eq!(probe(args).await, 2);
}
