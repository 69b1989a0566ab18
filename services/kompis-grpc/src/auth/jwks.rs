//! The keys of an identity provider, read from its JWKS document (RFC 7517).
//!
//! - Only RSA keys (for RS256) and P-256 keys (for ES256) are taken; any other key in
//!   the document (a shared `oct` secret, another curve, an encryption key) is skipped,
//!   so that no token can be checked with a key of the wrong family (algorithm
//!   confusion). A key that names its `alg` is used with that algorithm only.
//! - Keys are cached. A token naming an unknown `kid` makes the document be fetched
//!   again, at most once per [`JwksSettings::min_refetch`] (a minute by default), so
//!   that a flood of made-up key ids cannot turn into a flood of fetches. A rotated key
//!   is thus picked up on its first use; a key removed from the document stops being
//!   accepted at the next fetch, which happens at the latest [`JwksSettings::max_age`]
//!   after the last one (an hour by default).
//! - A failed fetch keeps the keys already held and counts as a fetch for the limit.
//! - The document is fetched over `http://` (loopback, tests, a sidecar) or `https://`
//!   with rustls (ring) and the Mozilla root certificates built in ([`webpki_roots`]):
//!   no system OpenSSL, no certificate store to mount.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::net::TcpStream;

/// The largest JWKS document read, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// How long one fetch of the document may take, connecting included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Where an identity provider's keys are and how often to read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksSettings {
    /// The JWKS document's URL (`http://` or `https://`).
    pub url: String,
    /// The `iss` its tokens carry.
    pub issuer: String,
    /// The `aud` its tokens must carry (this API).
    pub audience: String,
    /// The shortest time between two fetches (one a minute by default).
    pub min_refetch: Duration,
    /// The longest a fetched document is used before it is fetched again.
    pub max_age: Duration,
}

/// One usable key: the algorithm it is for and the key itself.
#[derive(Clone)]
struct Key {
    algorithm: Algorithm,
    key: DecodingKey,
}

/// The identity provider's keys, cached. Cheap to clone.
#[derive(Clone)]
pub struct Jwks {
    settings: Arc<JwksSettings>,
    keys: Arc<RwLock<Arc<HashMap<String, Key>>>>,
    /// When the document was last fetched (or a fetch was tried); held across a fetch,
    /// so that concurrent misses wait for one fetch instead of making their own.
    fetched: Arc<tokio::sync::Mutex<Option<Instant>>>,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwks")
            .field("url", &self.settings.url)
            .finish_non_exhaustive()
    }
}

/// Why no key was found for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The token names no `kid`.
    #[error("the token names no key id")]
    NoKeyId,
    /// No key with that id (after a fetch, or with fetching on cooldown).
    #[error("no key with the token's key id")]
    UnknownKeyId,
    /// The key with that id is for another algorithm than the token's.
    #[error("the key is for another algorithm")]
    WrongAlgorithm,
}

impl Jwks {
    /// Keys from `settings.url`, fetched on first use.
    pub fn new(settings: JwksSettings) -> Self {
        Self {
            settings: Arc::new(settings),
            keys: Arc::default(),
            fetched: Arc::default(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &JwksSettings {
        &self.settings
    }

    /// The key with id `kid` for `algorithm`, fetching the document if the id is
    /// unknown or the document old (within the refetch limit).
    pub async fn key(&self, kid: Option<&str>, algorithm: Algorithm) -> Result<DecodingKey, KeyError> {
        let kid = kid.ok_or(KeyError::NoKeyId)?;
        let fresh = {
            let fetched = self.fetched.lock().await;
            fetched.is_some_and(|at| at.elapsed() < self.settings.max_age)
        };
        if !fresh || self.lookup(kid).is_none() {
            self.refresh().await;
        }
        let key = self.lookup(kid).ok_or(KeyError::UnknownKeyId)?;
        if key.algorithm == algorithm {
            Ok(key.key)
        } else {
            Err(KeyError::WrongAlgorithm)
        }
    }

    fn lookup(&self, kid: &str) -> Option<Key> {
        self.keys.read().ok()?.get(kid).cloned()
    }

    /// Fetches the document unless it was fetched (or tried) within the limit.
    async fn refresh(&self) {
        let mut fetched = self.fetched.lock().await;
        if fetched.is_some_and(|at| at.elapsed() < self.settings.min_refetch) {
            return;
        }
        *fetched = Some(Instant::now());
        match tokio::time::timeout(FETCH_TIMEOUT, fetch(&self.settings.url)).await {
            Ok(Ok(document)) => {
                let keys = usable_keys(&document);
                tracing::info!(keys = keys.len(), "identity provider keys fetched");
                if let Ok(mut held) = self.keys.write() {
                    *held = Arc::new(keys);
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "identity provider keys could not be fetched"),
            Err(_) => tracing::warn!("identity provider keys could not be fetched in time"),
        }
    }
}

/// The keys of `document` this service can use, by id.
fn usable_keys(document: &JwkSet) -> HashMap<String, Key> {
    let mut keys = HashMap::new();
    for jwk in &document.keys {
        let Some(kid) = &jwk.common.key_id else { continue };
        if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
            continue;
        }
        let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
            (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
                if ec.curve == EllipticCurve::P256 =>
            {
                Algorithm::ES256
            }
            _ => continue,
        };
        if let Ok(key) = DecodingKey::from_jwk(jwk) {
            keys.insert(kid.clone(), Key { algorithm, key });
        }
    }
    keys
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL is not `http://host[:port]/path` or `https://...`.
    #[error("the JWKS URL is not an http:// or https:// URL with a host")]
    BadUrl,
    /// Connecting, TLS or HTTP failed.
    #[error("transport: {0}")]
    Transport(String),
    /// The server answered with a status other than 200.
    #[error("the server answered HTTP {0}")]
    Status(u16),
    /// The body is too large or not a JWKS document.
    #[error("the document is not a JWKS: {0}")]
    Document(String),
}

/// Checks that `url` can be fetched from: `http://` or `https://` with a host.
pub fn check_url(url: &str) -> Result<(), FetchError> {
    target(url).map(|_| ())
}

struct Target {
    tls: bool,
    host: String,
    port: u16,
    uri: hyper::Uri,
}

fn target(url: &str) -> Result<Target, FetchError> {
    let uri: hyper::Uri = url.parse().map_err(|_| FetchError::BadUrl)?;
    let tls = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(FetchError::BadUrl),
    };
    let host = uri.host().ok_or(FetchError::BadUrl)?.to_owned();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    Ok(Target { tls, host, port, uri })
}

/// GETs the document at `url` over HTTP/1.1.
pub async fn fetch(url: &str) -> Result<JwkSet, FetchError> {
    let target = target(url)?;
    let transport = |e: &dyn std::fmt::Display| FetchError::Transport(e.to_string());
    let host = target
        .host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let tcp = TcpStream::connect((host.as_str(), target.port))
        .await
        .map_err(|e| transport(&e))?;
    let path = target.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let authority = target.uri.authority().map_or(host.clone(), |a| a.to_string());
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::ACCEPT, "application/json")
        .body(Empty::<Bytes>::new())
        .map_err(|e| transport(&e))?;
    let response = if target.tls {
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host).map_err(|e| transport(&e))?;
        let stream = tls_connector()
            .connect(name, tcp)
            .await
            .map_err(|e| transport(&e))?;
        send(TokioIo::new(stream), request).await?
    } else {
        send(TokioIo::new(tcp), request).await?
    };
    if response.status() != hyper::StatusCode::OK {
        return Err(FetchError::Status(response.status().as_u16()));
    }
    let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
        .collect()
        .await
        .map_err(|e| FetchError::Document(e.to_string()))?
        .to_bytes();
    serde_json::from_slice(&body).map_err(|e| FetchError::Document(e.to_string()))
}

async fn send<I>(
    io: I,
    request: hyper::Request<Empty<Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>, FetchError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| FetchError::Transport(e.to_string()))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    sender
        .send_request(request)
        .await
        .map_err(|e| FetchError::Transport(e.to_string()))
}

fn tls_connector() -> tokio_rustls::TlsConnector {
    use tokio_rustls::rustls;
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rsa_and_p256_signing_keys_are_taken() {
        let document: JwkSet = serde_json::from_str(
            r#"{"keys": [
                {"kty": "oct", "kid": "secret", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"},
                {"kty": "EC", "kid": "p256", "crv": "P-256", "use": "sig",
                 "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                 "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
                {"kty": "EC", "kid": "enc", "crv": "P-256", "use": "enc",
                 "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                 "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
                {"kty": "EC", "kid": "p256-as-rs", "crv": "P-256", "alg": "RS256",
                 "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                 "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
                {"kty": "RSA", "kid": "rsa", "alg": "RS256", "e": "AQAB",
                 "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}
            ]}"#,
        )
        .unwrap();
        let mut kids: Vec<String> = usable_keys(&document).into_keys().collect();
        kids.sort();
        assert_eq!(kids, ["p256", "rsa"]);
        let keys = usable_keys(&document);
        assert_eq!(keys["p256"].algorithm, Algorithm::ES256);
        assert_eq!(keys["rsa"].algorithm, Algorithm::RS256);
    }

    #[test]
    fn only_http_and_https_urls_with_a_host_are_fetched_from() {
        assert!(check_url("http://127.0.0.1:8080/jwks.json").is_ok());
        assert!(check_url("https://idp.example.org/.well-known/jwks.json").is_ok());
        for bad in ["", "ftp://idp.example.org/jwks", "/jwks.json", "idp.example.org"] {
            assert!(check_url(bad).is_err(), "{bad:?}");
        }
    }
}
