//! Traces: with OTEL_EXPORTER_OTLP_ENDPOINT set, kompisd exports a span per call over
//! OTLP, continuing the trace named by the caller's `traceparent` metadata.
//!
//! The tracer provider is process-global, so this test runs the real binary as a child
//! process and receives its spans with an OTLP collector of its own.

use crate::support;
use kompis_proto::v1::ListMunicipalitiesRequest;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
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
    let (mut child, addr) = support::spawn_kompisd(
        &database.url,
        &[
            ("KOMPIS_SHUTDOWN_GRACE_MS", "2000".into()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector_addr}")),
        ],
    )
    .await;

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
    support::terminate(&child);
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
