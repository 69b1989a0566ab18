//! Tower layers around every call: a span per call (continuing the caller's trace),
//! and Prometheus metrics by method and status code.
//!
//! Only the methods the server serves become labels and span names: any other path
//! (a typo, a scanner, a path carrying someone's e-mail address) is counted and logged
//! as `unknown`, so no caller can grow the metrics or put data into them.

use std::collections::HashSet;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{HeaderMap, Request, Response};
use opentelemetry::propagation::Extractor;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Reads W3C trace context from HTTP/2 headers (gRPC metadata).
struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The most request metadata (HTTP/2 header list size: names, values and 32 bytes per
/// entry) a call may carry. A bearer token and trace context need a few kilobytes.
pub const MAX_METADATA_BYTES: usize = 16 * 1024;

/// The largest header list HTTP/2 reads at all (the server's
/// `SETTINGS_MAX_HEADER_LIST_SIZE`).
pub const MAX_HEADER_LIST_BYTES: u32 = 1024 * 1024;

/// The header list size of `headers`, as HTTP/2 counts it (RFC 9113, 6.5.2).
fn header_list_size(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 32)
        .sum()
}

/// The label of a path that is not one of the served methods.
pub const UNKNOWN_METHOD: &str = "unknown";

/// The gRPC paths (`/package.Service/Method`) the server answers.
#[derive(Debug, Clone, Default)]
pub struct KnownMethods(Arc<HashSet<String>>);

impl KnownMethods {
    /// Every method of the services in the encoded `FileDescriptorSet`s.
    pub fn from_descriptor_sets(sets: &[&[u8]]) -> Result<Self, prost::DecodeError> {
        use prost::Message;
        let mut paths = HashSet::new();
        for bytes in sets {
            let set = prost_types::FileDescriptorSet::decode(*bytes)?;
            for file in set.file {
                let package = file.package.unwrap_or_default();
                for service in file.service {
                    let service_name = service.name.unwrap_or_default();
                    for method in service.method {
                        let method_name = method.name.unwrap_or_default();
                        paths.insert(if package.is_empty() {
                            format!("/{service_name}/{method_name}")
                        } else {
                            format!("/{package}.{service_name}/{method_name}")
                        });
                    }
                }
            }
        }
        Ok(Self(Arc::new(paths)))
    }

    /// Adds paths served without a descriptor here (reflection).
    pub fn with(mut self, extra: &[&str]) -> Self {
        let set = Arc::make_mut(&mut self.0);
        set.extend(extra.iter().map(|p| (*p).to_owned()));
        self
    }

    /// The label for `path`: the path itself when it is served, else [`UNKNOWN_METHOD`].
    pub fn label(&self, path: &str) -> String {
        if self.0.contains(path) {
            path.to_owned()
        } else {
            UNKNOWN_METHOD.to_owned()
        }
    }
}

/// Wraps each call in an INFO span named after the method, parented on the caller's
/// trace, and records `grpc_server_requests_total{method,code}` and
/// `grpc_server_request_duration_seconds{method}`, with `method` one of the
/// [`KnownMethods`] or `unknown`.
///
/// The code is read from the response headers, where tonic puts it for every unary
/// error (a trailers-only response); a call whose headers carry no status is counted
/// as OK. Streaming calls are counted when their headers are sent.
///
/// A request body that is not a valid protobuf message is the caller's mistake: tonic
/// answers it INTERNAL, and this layer turns that answer into INVALID_ARGUMENT with a
/// `BadRequest` detail, as for any other bad request.
///
/// Request metadata larger than [`MAX_METADATA_BYTES`] is refused here, as
/// INVALID_ARGUMENT on that one call. (HTTP/2 itself reads header lists up to
/// [`MAX_HEADER_LIST_BYTES`], so that an oversized one reaches this check instead of
/// failing as a bare HTTP 431 or a reset of the connection that other calls share.)
#[derive(Debug, Clone, Default)]
pub struct ObserveLayer {
    known: KnownMethods,
}

impl ObserveLayer {
    /// A layer labelling by `known`.
    pub fn new(known: KnownMethods) -> Self {
        Self { known }
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe {
            inner,
            known: self.known.clone(),
        }
    }
}

/// The service made by [`ObserveLayer`].
#[derive(Debug, Clone)]
pub struct Observe<S> {
    inner: S,
    known: KnownMethods,
}

/// The start of tonic's message for a request body that does not decode (prost's
/// `DecodeError`), percent-encoded as it travels in `grpc-message`.
const DECODE_ERROR_PREFIX: &str = "failed%20to%20decode%20Protobuf%20message";

/// Rewrites tonic's INTERNAL answer to an undecodable request into INVALID_ARGUMENT.
fn blame_undecodable_request(headers: &mut HeaderMap) {
    let internal = headers.get("grpc-status").is_some_and(|v| v.as_bytes() == b"13");
    let undecodable = headers
        .get("grpc-message")
        .is_some_and(|v| v.as_bytes().starts_with(DECODE_ERROR_PREFIX.as_bytes()));
    if !(internal && undecodable) {
        return;
    }
    let status = kompis_grpc::kit::errors::ApiError::invalid(
        "request",
        "is not a valid protobuf encoding of the method's request message",
    )
    .into_status();
    headers.remove("grpc-message");
    headers.remove("grpc-status-details-bin");
    if status.add_header(headers).is_err() {
        // Only the code is left to fix.
        headers.insert("grpc-status", http::HeaderValue::from_static("3"));
    }
}

impl<S, B, RB> Service<Request<B>> for Observe<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send,
    B: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let method = self.known.label(request.uri().path());
        let span = tracing::info_span!("grpc", rpc.method = %method, rpc.code = tracing::field::Empty);
        let parent = opentelemetry::global::get_text_map_propagator(|p| {
            p.extract(&HeaderExtractor(request.headers()))
        });
        let _ = span.set_parent(parent);
        // Take the service that was made ready, leave a fresh clone behind (tower's rule).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let start = Instant::now();
        let oversized = header_list_size(request.headers()) > MAX_METADATA_BYTES;
        Box::pin(
            async move {
                let mut result = if oversized {
                    let status = kompis_grpc::kit::errors::ApiError::invalid(
                        "metadata",
                        format!("is larger than {MAX_METADATA_BYTES} bytes (HTTP/2 header list size)"),
                    )
                    .into_status();
                    Ok(status.into_http())
                } else {
                    inner.call(request).await
                };
                if let Ok(response) = &mut result {
                    blame_undecodable_request(response.headers_mut());
                }
                let code = match &result {
                    Ok(response) => response
                        .headers()
                        .get("grpc-status")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<i32>().ok())
                        .map_or("Ok".to_owned(), |c| format!("{:?}", tonic::Code::from(c))),
                    Err(_) => "Unknown".to_owned(),
                };
                tracing::Span::current().record("rpc.code", code.as_str());
                metrics::counter!("grpc_server_requests_total", "method" => method.clone(), "code" => code)
                    .increment(1);
                metrics::histogram!("grpc_server_request_duration_seconds", "method" => method)
                    .record(start.elapsed().as_secs_f64());
                result
            }
            .instrument(span),
        )
    }
}
