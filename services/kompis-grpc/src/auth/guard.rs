//! The gate in front of every `kompis.v1` service: who calls, may their role ever call
//! this RPC, and have they called too often.
//!
//! In order, before the handler runs:
//! 1. the bearer token is verified ([`Authenticator::authenticate`]): UNAUTHENTICATED;
//! 2. the [policy table](crate::kit::policy) is read for the method path and the
//!    caller's role: PERMISSION_DENIED with reason ROLE_NOT_ALLOWED;
//! 3. the caller's identity is counted against its rate limit ([`RateLimit`]):
//!    RESOURCE_EXHAUSTED with reason RATE_LIMITED and `RetryInfo`.
//!
//! The call then runs with the caller's deadline (`grpc-timeout`) as the statement
//! timeout of its transactions ([`kompis_store::deadline`]).
//!
//! Refused calls are counted too (a caller cannot escape its limit by sending calls it
//! may not make), but only once authenticated: an unauthenticated caller has no
//! identity to count, and is refused before any Redis round trip.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use kompis_proto::v1::ErrorReason;
use sha2::{Digest, Sha256};
use tonic::codegen::{Service, http};
use tonic::server::NamedService;

use super::{Authenticator, Principal};
use crate::kit::errors::ApiError;
use crate::kit::policy;

/// A per-identity rate limit, shared by every replica (the server's is kept in Redis).
pub trait RateLimit: Send + Sync + 'static {
    /// Counts one call of `identity` (an opaque digest of the caller's account, never
    /// the account id itself); `Err(wait)` when the call is over the limit and the
    /// caller should wait `wait` before the next one.
    fn check<'a>(
        &'a self,
        identity: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), Duration>> + Send + 'a>>;
}

/// The identity a rate limit counts: a digest of the role and the account id, so that
/// no account id (which an identity provider may make an e-mail address) is stored.
pub fn identity_of(principal: &Principal) -> String {
    let digest = Sha256::new()
        .chain_update(principal.role.as_str())
        .chain_update([0])
        .chain_update(&principal.subject)
        .finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A `kompis.v1` service behind the gate. Carries the service's name, so it is routed
/// and reported to health like the service itself.
#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
    auth: Authenticator,
    limit: Option<Arc<dyn RateLimit>>,
}

impl<S> std::fmt::Debug for Guard<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl<S> Guard<S> {
    /// `inner`, authenticated by `auth`, and limited by `limit` if given.
    pub fn new(inner: S, auth: Authenticator, limit: Option<Arc<dyn RateLimit>>) -> Self {
        Self { inner, auth, limit }
    }
}

impl<S: NamedService> NamedService for Guard<S> {
    const NAME: &'static str = S::NAME;
}

/// The principal of the call at `path` with `headers`, or the answer refusing it.
async fn admit(
    auth: &Authenticator,
    limit: Option<&dyn RateLimit>,
    path: &str,
    headers: &http::HeaderMap,
) -> Result<Principal, ApiError> {
    let header = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated(ErrorReason::MissingCredentials))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthenticated(ErrorReason::InvalidToken))?;
    let principal = auth.authenticate(token.trim()).await?;
    tracing::Span::current().record("role", principal.role.as_str());
    if let Some(limit) = limit
        && let Err(wait) = limit.check(&identity_of(&principal)).await
    {
        tracing::info!(role = principal.role.as_str(), "rate limit reached");
        return Err(ApiError::RateLimited(wait));
    }
    if !policy::allows(path, principal.role) {
        return Err(ApiError::PermissionDenied(ErrorReason::RoleNotAllowed));
    }
    Ok(principal)
}

/// The instant the caller stops waiting, from its `grpc-timeout` header (an integer of
/// at most 8 digits and a unit: `H`, `M`, `S`, `m`, `u` or `n`).
fn caller_deadline(headers: &http::HeaderMap) -> Option<tokio::time::Instant> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    let timeout = match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    };
    tokio::time::Instant::now().checked_add(timeout)
}

impl<S, B> Service<http::Request<B>> for Guard<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // Take the service that was made ready, leave a fresh clone behind (tower's rule).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        let limit = self.limit.clone();
        Box::pin(async move {
            let admitted = admit(&auth, limit.as_deref(), request.uri().path(), request.headers()).await;
            match admitted {
                Ok(principal) => {
                    request.extensions_mut().insert(principal);
                    let deadline = caller_deadline(request.headers());
                    kompis_store::deadline::within(deadline, inner.call(request)).await
                }
                Err(refusal) => Ok(refusal.into_status().into_http()),
            }
        })
    }
}
