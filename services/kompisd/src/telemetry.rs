//! Logs and traces.
//!
//! Logs are JSON lines on stdout, filtered by `RUST_LOG` (default `info`). Handlers log
//! ids and outcomes only, never personal data. When `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set, spans are also exported over OTLP/gRPC, and trace context arriving in a call's
//! metadata (`traceparent`) becomes the parent of the call's span (see [`crate::layers`]).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps the trace exporter alive; flushes it when dropped.
#[derive(Debug)]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            let _ = provider.shutdown();
        }
    }
}

/// Installs the global subscriber. Call once, from `main`.
pub fn init(otlp_endpoint: Option<&str>) -> anyhow::Result<TelemetryGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(std::io::stdout)
        .with_filter(filter);
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let provider = match otlp_endpoint {
        Some(endpoint) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .build()?;
            Some(
                SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(
                        opentelemetry_sdk::Resource::builder()
                            .with_service_name("kompisd")
                            .build(),
                    )
                    .build(),
            )
        }
        None => None,
    };
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("kompisd"))
            .with_filter(EnvFilter::new("info"))
    });
    tracing_subscriber::registry().with(logs).with(otel).try_init()?;
    Ok(TelemetryGuard { provider })
}
