//! The coordinator console on the gRPC port: its static files, and in development a
//! sign-in that mints tokens.
//!
//! The console (`services/kompis-console/`) is a single-page application that
//! talks gRPC-Web to this same port, so it needs no CORS and no second API. This layer
//! sits outside every other one and answers only what gRPC never sends:
//!
//! - `GET`/`HEAD` of a path, when `KOMPIS_CONSOLE_DIR` is set: the file under that
//!   folder, or `index.html` for a path without a file extension (the console's own
//!   routes). Paths with `..`, hidden names or backslashes are refused (404).
//! - `POST /console/dev-sign-in?role=R&chapter=C&organization=O`, only when
//!   `KOMPIS_ENV=development`: a token for that role and scope, signed with the server's
//!   key, valid for 12 hours, as `text/plain`. `GET /console/dev-sign-in` answers 204
//!   in development (so the console shows its sign-in form) and 404 otherwise. In
//!   production the route does not exist and the request goes on to gRPC, which
//!   refuses it like any unknown path.
//!
//! - `GET /console/oidc.json`: the public settings of the production sign-in at the
//!   identity provider (issuer, authorization and token endpoints, client id, scopes,
//!   audience; see `KOMPIS_OIDC_*`), as JSON, or 404 when none is configured.
//!
//! Everything else (every gRPC and gRPC-Web call, which are `POST`s) goes to the inner
//! service untouched.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use kompis_domain::{Role, Slug};
use kompis_grpc::{Principal, TokenIssuer};
use tower::{Layer, Service};

/// The path of the development sign-in.
pub const DEV_SIGN_IN_PATH: &str = "/console/dev-sign-in";

/// The path of the production sign-in's public settings.
pub const OIDC_SETTINGS_PATH: &str = "/console/oidc.json";

/// How long a development sign-in lasts.
const DEV_TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Serves the console in front of the gRPC services (see the module docs).
#[derive(Clone)]
pub struct ConsoleLayer {
    dir: Option<Arc<PathBuf>>,
    dev_tokens: Option<Arc<TokenIssuer>>,
    /// `/console/oidc.json`, when the production sign-in is configured.
    oidc: Option<Bytes>,
    /// The Content-Security-Policy of the console's files: its own origin, and the token
    /// endpoint's when the production sign-in is configured.
    csp: HeaderValue,
}

/// The console's Content-Security-Policy; `connect` adds an origin the page may call.
fn content_security_policy(connect: Option<&str>) -> HeaderValue {
    let connect = connect
        .map(|o| format!("; connect-src 'self' {o}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "default-src 'self'{connect}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// The origin (`scheme://host[:port]`) of an http(s) URL, if it has only safe characters.
fn origin(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
    ((scheme == "http" || scheme == "https") && ok).then(|| &url[..scheme.len() + 3 + host.len()])
}

impl std::fmt::Debug for ConsoleLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleLayer")
            .field("dir", &self.dir)
            .field("dev_sign_in", &self.dev_tokens.is_some())
            .field("oidc", &self.oidc.is_some())
            .finish()
    }
}

impl ConsoleLayer {
    /// Serves the files of `dir` (if any); mints development tokens signed with
    /// `dev_secret` (if any: pass it only in development).
    pub fn new(dir: Option<PathBuf>, dev_secret: Option<&[u8]>) -> Self {
        Self {
            dir: dir.map(Arc::new),
            dev_tokens: dev_secret.map(|s| Arc::new(TokenIssuer::new(s))),
            oidc: None,
            csp: content_security_policy(None),
        }
    }

    /// Offers the console the production sign-in described by `oidc`.
    #[must_use]
    pub fn with_oidc(mut self, oidc: Option<&crate::settings::OidcSettings>) -> Self {
        self.oidc = oidc.map(|o| Bytes::from(serde_json::to_vec(o).expect("plain strings serialise")));
        self.csp = content_security_policy(oidc.and_then(|o| origin(&o.token_endpoint)));
        self
    }
}

impl<S> Layer<S> for ConsoleLayer {
    type Service = Console<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Console {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`ConsoleLayer`].
#[derive(Debug, Clone)]
pub struct Console<S> {
    inner: S,
    layer: ConsoleLayer,
}

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for Console<S>
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send,
    B: Send + 'static,
{
    type Response = Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let path = request.uri().path();
        let is_get = request.method() == Method::GET || request.method() == Method::HEAD;
        if path == DEV_SIGN_IN_PATH
            && let Some(issuer) = &self.layer.dev_tokens
        {
            let response = if is_get {
                plain(StatusCode::NO_CONTENT, Bytes::new())
            } else if request.method() == Method::POST {
                dev_sign_in(issuer, request.uri().query().unwrap_or(""))
            } else {
                plain(StatusCode::METHOD_NOT_ALLOWED, Bytes::new())
            };
            return Box::pin(async move { Ok(response) });
        }
        if is_get && path == OIDC_SETTINGS_PATH {
            let response = match &self.layer.oidc {
                Some(json) => {
                    let mut response = plain(StatusCode::OK, json.clone());
                    response
                        .headers_mut()
                        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    response
                }
                None => plain(StatusCode::NOT_FOUND, Bytes::new()),
            };
            return Box::pin(async move { Ok(response) });
        }
        if is_get && let Some(dir) = &self.layer.dir {
            let dir = dir.clone();
            let path = path.to_owned();
            let head = request.method() == Method::HEAD;
            let csp = self.layer.csp.clone();
            return Box::pin(async move { Ok(static_file(&dir, &path, head, csp).await) });
        }
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(inner.call(request))
    }
}

fn body(bytes: Bytes) -> tonic::body::Body {
    tonic::body::Body::new(Full::new(bytes))
}

fn plain(status: StatusCode, text: Bytes) -> Response<tonic::body::Body> {
    let mut response = Response::new(body(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The value of `name` in a query string of slugs (no percent-decoding: a slug needs none).
fn query_value<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Mints a development token, or answers 400 with what is wrong.
fn dev_sign_in(issuer: &TokenIssuer, query: &str) -> Response<tonic::body::Body> {
    match dev_principal(query) {
        Ok(principal) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            let token = issuer.issue(&principal, now, DEV_TOKEN_LIFETIME);
            tracing::info!(role = %principal.role, "development sign-in");
            plain(StatusCode::OK, Bytes::from(token))
        }
        Err(message) => plain(StatusCode::BAD_REQUEST, Bytes::from(message)),
    }
}

/// The principal a development sign-in asks for: one staff role and its scope. App
/// accounts (participants) sign in through the app, not the console.
fn dev_principal(query: &str) -> Result<Principal, String> {
    let role: Role = query_value(query, "role")
        .unwrap_or("")
        .parse()
        .map_err(|e| format!("role: {e}"))?;
    if role == Role::Participant {
        return Err("role: participants use the app, not the console".into());
    }
    let slug = |name: &str| -> Result<Option<Slug>, String> {
        query_value(query, name)
            .map(|v| Slug::parse(v).map_err(|e| format!("{name}: {e}")))
            .transpose()
    };
    let principal = Principal {
        subject: format!("dev-{}", uuid::Uuid::new_v4().simple()),
        role,
        chapter: slug("chapter")?,
        organization: slug("organization")?,
        participant: None,
        municipality: None,
    };
    principal.check_scope().map_err(|e| e.to_string())?;
    Ok(principal)
}

/// The console's file for `path`, `index.html` for its routes, or 404.
async fn static_file(dir: &Path, path: &str, head: bool, csp: HeaderValue) -> Response<tonic::body::Body> {
    let Some(relative) = safe_relative(path) else {
        return plain(StatusCode::NOT_FOUND, Bytes::from_static(b"not found"));
    };
    let mut file = dir.join(&relative);
    let is_route = relative.extension().is_none();
    if is_route || relative.as_os_str().is_empty() {
        file = dir.join("index.html");
    }
    let Ok(bytes) = tokio::fs::read(&file).await else {
        return plain(StatusCode::NOT_FOUND, Bytes::from_static(b"not found"));
    };
    let len = bytes.len();
    let mut response = Response::new(if head {
        body(Bytes::new())
    } else {
        body(Bytes::from(bytes))
    });
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&file)),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    // Vite names built assets by their content hash; the page itself always revalidates.
    let cache = if relative.starts_with("assets") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    response
}

/// `path` as a relative path inside the console folder, or `None` when it could
/// leave it or name a hidden file.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        if part.starts_with('.') || part.contains('\\') || part.contains('\0') || part.contains('%') {
            return None;
        }
        out.push(part);
    }
    Some(out)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_that_climbs_out_or_names_a_hidden_file_is_refused() {
        assert_eq!(
            safe_relative("/assets/app.js"),
            Some(PathBuf::from("assets/app.js"))
        );
        assert_eq!(safe_relative("/"), Some(PathBuf::new()));
        assert_eq!(safe_relative("/../etc/passwd"), None);
        assert_eq!(safe_relative("/assets/%2e%2e/x"), None);
        assert_eq!(safe_relative("/.env"), None);
    }

    /// The gRPC services behind the layer: answers everything with 418, so that a test
    /// can tell what went through.
    fn grpc()
    -> tower::util::BoxCloneService<Request<()>, Response<tonic::body::Body>, std::convert::Infallible> {
        tower::util::BoxCloneService::new(tower::service_fn(|_req: Request<()>| async {
            let mut r = Response::new(tonic::body::Body::empty());
            *r.status_mut() = StatusCode::IM_A_TEAPOT;
            Ok(r)
        }))
    }

    async fn call(layer: &ConsoleLayer, method: Method, uri: &str) -> StatusCode {
        use tower::ServiceExt as _;
        let request = Request::builder().method(method).uri(uri).body(()).unwrap();
        layer.layer(grpc()).oneshot(request).await.unwrap().status()
    }

    #[tokio::test]
    async fn the_development_sign_in_exists_only_when_asked_for() {
        let development = ConsoleLayer::new(None, Some(b"a-development-key-of-32-characters!!"));
        let production = ConsoleLayer::new(None, None);
        let sign_in = "/console/dev-sign-in?role=coordinator&chapter=botkyrka";
        assert_eq!(
            call(&development, Method::GET, DEV_SIGN_IN_PATH).await,
            StatusCode::NO_CONTENT
        );
        assert_eq!(call(&development, Method::POST, sign_in).await, StatusCode::OK);
        assert_eq!(
            call(
                &development,
                Method::POST,
                "/console/dev-sign-in?role=coordinator"
            )
            .await,
            StatusCode::BAD_REQUEST
        );
        // In production the path is not the console's: it goes on to gRPC, which refuses it.
        assert_eq!(
            call(&production, Method::GET, DEV_SIGN_IN_PATH).await,
            StatusCode::IM_A_TEAPOT
        );
        assert_eq!(
            call(&production, Method::POST, sign_in).await,
            StatusCode::IM_A_TEAPOT
        );
    }

    #[tokio::test]
    async fn files_are_served_to_gets_and_every_grpc_call_goes_through() {
        let dir = std::env::temp_dir().join(format!("kompis-console-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(dir.join("assets/app.js"), "//").unwrap();
        let layer = ConsoleLayer::new(Some(dir.clone()), None);
        assert_eq!(call(&layer, Method::GET, "/").await, StatusCode::OK);
        assert_eq!(call(&layer, Method::GET, "/assets/app.js").await, StatusCode::OK);
        assert_eq!(call(&layer, Method::GET, "/referrals").await, StatusCode::OK);
        assert_eq!(
            call(&layer, Method::GET, "/assets/missing.js").await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            call(&layer, Method::GET, "/../Cargo.toml").await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            call(&layer, Method::POST, "/kompis.v1.ReferralService/ListReferrals").await,
            StatusCode::IM_A_TEAPOT
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn the_production_sign_in_settings_are_served_only_when_configured() {
        use tower::ServiceExt as _;
        let oidc = crate::settings::OidcSettings {
            issuer: "https://id.example.org".into(),
            authorization_endpoint: "https://id.example.org/authorize".into(),
            token_endpoint: "https://id.example.org/token".into(),
            client_id: "kompis-console".into(),
            scopes: "openid".into(),
            audience: "kompis-api".into(),
        };
        let none = ConsoleLayer::new(None, None);
        assert_eq!(
            call(&none, Method::GET, OIDC_SETTINGS_PATH).await,
            StatusCode::NOT_FOUND
        );
        let layer = ConsoleLayer::new(None, None).with_oidc(Some(&oidc));
        let request = Request::builder().uri(OIDC_SETTINGS_PATH).body(()).unwrap();
        let response = layer.layer(grpc()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json["token_endpoint"], "https://id.example.org/token");
        assert_eq!(json["client_id"], "kompis-console");
        assert_eq!(json["audience"], "kompis-api");
        // The page may call the token endpoint's origin, and no other.
        let csp = layer.csp.to_str().unwrap();
        assert!(
            csp.contains("connect-src 'self' https://id.example.org;"),
            "{csp}"
        );
        assert!(!none.csp.to_str().unwrap().contains("connect-src"));
        assert_eq!(
            origin("http://127.0.0.1:8080/token?x=1"),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin("https://id.example.org"), Some("https://id.example.org"));
        assert_eq!(origin("https://evil; script-src *"), None);
        assert_eq!(origin("ftp://id.example.org/"), None);
    }

    #[test]
    fn a_development_sign_in_needs_a_staff_role_and_its_scope() {
        let coordinator = dev_principal("role=coordinator&chapter=botkyrka").unwrap();
        assert_eq!(coordinator.role, Role::Coordinator);
        assert!(dev_principal("role=coordinator").is_err());
        assert!(dev_principal("role=participant").is_err());
        assert!(dev_principal("role=king&chapter=botkyrka").is_err());
    }
}
