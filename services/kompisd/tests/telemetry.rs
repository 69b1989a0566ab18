//! Traces: with OTEL_EXPORTER_OTLP_ENDPOINT set, kompisd exports a span per call over
//! OTLP, continuing the trace named by the caller's `traceparent` metadata.
//!
//! The tracer provider is process-global, so this test runs the real binary as a child
//! process and receives its spans with an OTLP collector of its own.

mod support;

use std::process::Stdio;

use kompis_proto::v1::ListMunicipalitiesRequest;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

struct Collector(mpsc::UnboundedSender<ExportTraceServiceRequest>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let _ = self.0.send(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tokio::test]
async fn a_call_carrying_traceparent_is_exported_as_a_span_of_that_trace() {
    // Arrange: a collector on port 0, a fresh database, and kompisd pointed at both.
    let (tx, mut spans) = mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector_addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(Collector(tx)))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let database = support::TestDatabase::create().await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kompisd"))
        .arg("serve")
        .env("DATABASE_URL", &database.url)
        .env("REDIS_URL", support::redis_url())
        .env(
            "KOMPIS_REDIS_PREFIX",
            format!("test-{}", uuid::Uuid::new_v4().simple()),
        )
        .env("KOMPIS_GRPC_ADDR", "127.0.0.1:0")
        .env("KOMPIS_METRICS_ADDR", "off")
        .env("KOMPIS_SHUTDOWN_GRACE_MS", "2000")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector_addr}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("kompisd prints its address");
        if let Some(rest) = line.strip_prefix("kompis is listening on ") {
            break rest
                .trim_end_matches('.')
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('.')
                .to_owned();
        }
    };

    // Act: one call inside a trace the caller started.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let token = support::token_for_administrator();
    let mut request = tonic::Request::new(ListMunicipalitiesRequest::default());
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-00f067aa0ba902b7-01").parse().unwrap(),
    );
    AdminServiceClient::new(channel)
        .list_municipalities(request)
        .await
        .unwrap();
    // SIGTERM: a graceful stop flushes the exporter.
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(child.wait().await.unwrap().success());

    // Assert: the collector got a span of the caller's trace for that method.
    let mut found = false;
    while let Ok(export) = spans.try_recv() {
        for resource in export.resource_spans {
            for scope in resource.scope_spans {
                for span in scope.spans {
                    let same_trace = hex(&span.trace_id) == trace_id;
                    let method = span.attributes.iter().any(|a| {
                        a.key == "rpc.method"
                            && format!("{:?}", a.value).contains("/kompis.v1.AdminService/ListMunicipalities")
                    });
                    found |= same_trace && method;
                }
            }
        }
    }
    assert!(
        found,
        "no span of trace {trace_id} for ListMunicipalities was exported"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
