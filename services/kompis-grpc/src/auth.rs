//! Authentication: bearer tokens (JWT) carrying a role and its scope.
//!
//! A token says who the caller is ([`Principal`]): an administrator; a coordinator of a
//! chapter; a referrer at an organisation; a participant; a partner viewing figures.
//! It is signed either with the service's own HS256 key (`kompisd token`, the embedded
//! default) or by an identity provider whose keys are read from its JWKS document
//! (RS256 or ES256, [`jwks`]). [`Guard`] runs in front of every `kompis.v1` service: it
//! authenticates the caller, applies the [policy table](crate::kit::policy) and the
//! per-identity rate limit, and puts the principal into the request's extensions;
//! handlers then decide, per object, whether the principal may see or change it.
//! Health and reflection need no token.
//!
//! Every refusal of a token is the same UNAUTHENTICATED, with the same message, to the
//! caller; why it was refused is logged (the kind of fault only, never the token or its
//! claims).
//!
//! A participant token that names a participant who does not exist passes this
//! check, because the app's first call, SignUp, is made with it. Every other
//! BuddyAppService call refuses it with the same UNAUTHENTICATED as any refused token,
//! exactly as for a participant bound to another account or erased; staff RPCs refuse
//! the participant role as such (PERMISSION_DENIED, by the policy table).

pub mod guard;
pub mod jwks;

pub use guard::{Guard, RateLimit};
pub use jwks::{Jwks, JwksSettings};

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use kompis_domain::{Role, Slug};
use serde::{Deserialize, Serialize};
use tonic::Request;
use uuid::Uuid;

use crate::kit::errors::ApiError;
use kompis_proto::v1::ErrorReason;

/// Issuer and audience written into and required of every token.
pub const TOKEN_ISSUER: &str = "kompis";
/// Audience of the API's tokens.
pub const TOKEN_AUDIENCE: &str = "kompis-api";

/// The clock difference tolerated between the token's issuer and this server: a token
/// is valid from `nbf` (or `iat`) minus this until `exp` plus this, and no longer.
pub const TOKEN_CLOCK_SKEW: Duration = Duration::from_secs(10);

/// The longest a token may be valid (`exp - iat`). Tokens are bearer secrets: one that
/// leaks must stop working soon, so longer-lived ones are refused outright.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// The longest account id (`sub`) accepted, in bytes.
pub const MAX_SUBJECT_BYTES: usize = 255;

/// Who is calling, as proven by their token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Stable id of the account (the token's `sub`); written to the event log as the actor.
    pub subject: String,
    /// What the caller is.
    pub role: Role,
    /// The chapter a coordinator or partner viewer works in.
    pub chapter: Option<Slug>,
    /// The one municipality of the chapter a partner viewer may read figures of (for
    /// a municipality's official in a chapter covering several); `None` for every
    /// municipality of the chapter. Ignored for the other roles.
    pub municipality: Option<Slug>,
    /// The organisation a referrer works at.
    pub organization: Option<Slug>,
    /// The participant a participant token belongs to.
    pub participant: Option<Uuid>,
}

impl Principal {
    /// True for an administrator, or a coordinator of `chapter`.
    pub fn manages_chapter(&self, chapter: &str) -> bool {
        match self.role {
            Role::Administrator => true,
            Role::Coordinator => self.chapter.as_ref().is_some_and(|c| c.as_str() == chapter),
            _ => false,
        }
    }

    /// Checks that the role carries the scope it needs: a chapter for coordinators and
    /// partner viewers, an organisation for referrers, a participant for participants.
    pub fn check_scope(&self) -> Result<(), ClaimsError> {
        match self.role {
            Role::Coordinator | Role::PartnerViewer if self.chapter.is_none() => {
                Err(ClaimsError::MissingScope(self.role.as_str(), "chapter"))
            }
            Role::Referrer if self.organization.is_none() => {
                Err(ClaimsError::MissingScope(self.role.as_str(), "organization"))
            }
            Role::Participant if self.participant.is_none() => {
                Err(ClaimsError::MissingScope(self.role.as_str(), "participant"))
            }
            _ => Ok(()),
        }
    }

    /// The principal a handler finds in the request's extensions.
    pub fn from_request<T>(request: &Request<T>) -> Result<&Principal, ApiError> {
        request
            .extensions()
            .get::<Principal>()
            .ok_or(ApiError::Unauthenticated(ErrorReason::MissingCredentials))
    }
}

/// The claims of a kompis token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Account id.
    pub sub: String,
    /// Role, as [`Role::as_str`].
    pub role: String,
    /// Chapter slug (coordinator, partner viewer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chapter: Option<String>,
    /// Municipality slug (optional, partner viewer): the one municipality of the
    /// chapter whose figures the partner viewer reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality: Option<String>,
    /// Organisation slug (referrer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Participant id (participant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant: Option<String>,
    /// Issuer.
    pub iss: String,
    /// Audience. An identity provider may send a list; the token is accepted when
    /// this API's audience is in it, and the first entry is kept here.
    #[serde(deserialize_with = "one_or_first")]
    pub aud: String,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Not valid before, seconds since the epoch (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Expires at, seconds since the epoch.
    pub exp: u64,
}

/// Why a set of claims is not a valid principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// The role is not one of ours.
    #[error("unknown role")]
    UnknownRole,
    /// The role needs a scope the token does not carry (or carries malformed).
    #[error("the {0} role needs a valid {1}")]
    MissingScope(&'static str, &'static str),
    /// The account id is empty, too long, or holds control characters.
    #[error("the subject is not a valid account id")]
    BadSubject,
    /// Issued in the future, or valid for longer than [`MAX_TOKEN_LIFETIME`].
    #[error("the token's lifetime is not acceptable")]
    BadLifetime,
}

impl Claims {
    /// Checks that the role and its scope fit together and builds the principal.
    pub fn into_principal(self) -> Result<Principal, ClaimsError> {
        if self.sub.is_empty() || self.sub.len() > MAX_SUBJECT_BYTES || self.sub.chars().any(char::is_control)
        {
            return Err(ClaimsError::BadSubject);
        }
        let role: Role = self.role.parse().map_err(|_| ClaimsError::UnknownRole)?;
        let chapter = self.chapter.as_deref().map(Slug::parse).transpose();
        let organization = self.organization.as_deref().map(Slug::parse).transpose();
        let participant = self.participant.as_deref().map(Uuid::parse_str).transpose();
        let municipality = self.municipality.as_deref().map(Slug::parse).transpose();
        let (chapter, organization, participant, municipality) =
            match (chapter, organization, participant, municipality) {
                (Ok(c), Ok(o), Ok(p), Ok(m)) => (c, o, p, m),
                _ => return Err(ClaimsError::MissingScope(role.as_str(), "scope")),
            };
        let principal = Principal {
            subject: self.sub,
            role,
            chapter,
            municipality,
            organization,
            participant,
        };
        principal.check_scope()?;
        Ok(principal)
    }
}

/// Verifies bearer tokens: the service's own HS256 tokens, and an identity provider's
/// RS256 and ES256 tokens when one is configured. Cheap to clone.
#[derive(Clone)]
pub struct Authenticator {
    key: DecodingKey,
    validation: Validation,
    provider: Option<Jwks>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// The same answer to every refused token: the reason is logged, never told.
fn refused(fault: &dyn std::fmt::Display) -> ApiError {
    tracing::info!(fault = %fault, "bearer token refused");
    ApiError::Unauthenticated(ErrorReason::InvalidToken)
}

/// The validation of one algorithm, issuer and audience, with the service's skew.
fn validation(algorithm: Algorithm, issuer: &str, audience: &str) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = TOKEN_CLOCK_SKEW.as_secs();
    validation.validate_nbf = true;
    validation
}

impl Authenticator {
    /// Verifies HS256 tokens signed with `secret` (issuer [`TOKEN_ISSUER`], audience
    /// [`TOKEN_AUDIENCE`]).
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: DecodingKey::from_secret(secret),
            validation: validation(Algorithm::HS256, TOKEN_ISSUER, TOKEN_AUDIENCE),
            provider: None,
        }
    }

    /// Also accepts the RS256 and ES256 tokens of the identity provider whose keys are
    /// `provider` (its issuer and audience are checked).
    pub fn with_identity_provider(mut self, provider: Jwks) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Verifies a token of the service's own key (HS256) and returns its principal.
    /// Any other token, an identity provider's included, is refused: see
    /// [`Authenticator::authenticate`].
    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| refused(&format_args!("{:?}", e.kind())))?;
        principal_of(data.claims)
    }

    /// Verifies any token this service accepts and returns its principal.
    ///
    /// The header's `alg` picks the key, and each key serves one algorithm only: HS256
    /// is checked with the service's secret alone, RS256 and ES256 with the identity
    /// provider's key of the token's `kid` and of that family alone. A token signed
    /// with HS256 and the provider's public key as the secret therefore fails (it is
    /// checked against our secret), and `alg: none` or any other algorithm is refused.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| refused(&format_args!("header: {:?}", e.kind())))?;
        match header.alg {
            Algorithm::HS256 => self.verify(token),
            Algorithm::RS256 | Algorithm::ES256 => {
                let provider = self
                    .provider
                    .as_ref()
                    .ok_or_else(|| refused(&"an identity provider's algorithm, none configured"))?;
                let key = provider
                    .key(header.kid.as_deref(), header.alg)
                    .await
                    .map_err(|e| refused(&e))?;
                let settings = provider.settings();
                let validation = validation(header.alg, &settings.issuer, &settings.audience);
                let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)
                    .map_err(|e| refused(&format_args!("{:?}", e.kind())))?;
                principal_of(data.claims)
            }
            other => Err(refused(&format_args!("algorithm {other:?}"))),
        }
    }
}

/// The principal of verified claims, after the checks a signature cannot make.
fn principal_of(claims: Claims) -> Result<Principal, ApiError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    check_lifetime(&claims, now).map_err(|e| refused(&e))?;
    claims.into_principal().map_err(|e| refused(&e))
}

/// An audience given as one string or as a list (RFC 7519, 4.1.3): the first entry.
fn one_or_first<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => Ok(one),
        OneOrMany::Many(many) => many
            .into_iter()
            .next()
            .ok_or_else(|| serde::de::Error::custom("an empty audience")),
    }
}

/// A token issued in the future (past the clock skew), or valid for longer than
/// [`MAX_TOKEN_LIFETIME`], is refused, whatever its signature.
fn check_lifetime(claims: &Claims, now: u64) -> Result<(), ClaimsError> {
    let skew = TOKEN_CLOCK_SKEW.as_secs();
    let issued_in_future = claims.iat > now.saturating_add(skew);
    let too_long = claims.exp.saturating_sub(claims.iat) > MAX_TOKEN_LIFETIME.as_secs();
    if issued_in_future || too_long {
        Err(ClaimsError::BadLifetime)
    } else {
        Ok(())
    }
}

/// Signs tokens, for `kompisd token` and for tests.
#[derive(Clone)]
pub struct TokenIssuer {
    key: EncodingKey,
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer").finish_non_exhaustive()
    }
}

impl TokenIssuer {
    /// Signs with the HS256 `secret`.
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: EncodingKey::from_secret(secret),
        }
    }

    /// A signed token for `principal`, valid for `lifetime` from `now` (seconds since
    /// the epoch).
    pub fn issue(&self, principal: &Principal, now: u64, lifetime: Duration) -> String {
        let claims = Claims {
            sub: principal.subject.clone(),
            role: principal.role.as_str().to_owned(),
            chapter: principal.chapter.as_ref().map(|s| s.as_str().to_owned()),
            organization: principal.organization.as_ref().map(|s| s.as_str().to_owned()),
            participant: principal.participant.map(|p| p.to_string()),
            municipality: principal.municipality.as_ref().map(|s| s.as_str().to_owned()),
            iss: TOKEN_ISSUER.to_owned(),
            aud: TOKEN_AUDIENCE.to_owned(),
            iat: now,
            nbf: None,
            exp: now + lifetime.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .expect("HS256 signing with an in-memory key cannot fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(role: &str) -> Claims {
        Claims {
            sub: "account-1".into(),
            role: role.into(),
            chapter: None,
            organization: None,
            participant: None,
            municipality: None,
            iss: TOKEN_ISSUER.into(),
            aud: TOKEN_AUDIENCE.into(),
            iat: 0,
            nbf: None,
            exp: 0,
        }
    }

    #[test]
    fn each_role_needs_its_own_scope() {
        assert!(claims("administrator").into_principal().is_ok());
        assert_eq!(
            claims("coordinator").into_principal().unwrap_err(),
            ClaimsError::MissingScope("coordinator", "chapter")
        );
        assert_eq!(
            claims("referrer").into_principal().unwrap_err(),
            ClaimsError::MissingScope("referrer", "organization")
        );
        assert_eq!(
            claims("participant").into_principal().unwrap_err(),
            ClaimsError::MissingScope("participant", "participant")
        );
        assert_eq!(
            claims("janitor").into_principal().unwrap_err(),
            ClaimsError::UnknownRole
        );
        let mut coordinator = claims("coordinator");
        coordinator.chapter = Some("botkyrka".into());
        assert_eq!(
            coordinator.into_principal().unwrap().chapter.unwrap().as_str(),
            "botkyrka"
        );
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn signed(claims: &Claims) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(b"a key of at least thirty-two bytes!!"),
        )
        .unwrap()
    }

    #[test]
    fn token_times_are_held_to_the_clock_skew_and_the_longest_lifetime() {
        let auth = Authenticator::new(b"a key of at least thirty-two bytes!!");
        let now = now();
        let mut good = claims("administrator");
        good.iat = now;
        good.exp = now + 3600;
        assert!(auth.verify(&signed(&good)).is_ok());

        let mut expired = good.clone();
        expired.iat = now - 3600;
        expired.exp = now - TOKEN_CLOCK_SKEW.as_secs() - 2;
        assert!(auth.verify(&signed(&expired)).is_err(), "expired past the skew");

        let mut early = good.clone();
        early.nbf = Some(now + 600);
        assert!(auth.verify(&signed(&early)).is_err(), "not valid before nbf");

        let mut century = good.clone();
        century.exp = now + 100 * 365 * 24 * 3600;
        assert!(auth.verify(&signed(&century)).is_err(), "valid for a century");

        let mut future = good.clone();
        future.iat = now + 3600;
        future.exp = now + 7200;
        assert!(auth.verify(&signed(&future)).is_err(), "issued in the future");

        for sub in ["", "a\0b", &"x".repeat(MAX_SUBJECT_BYTES + 1)] {
            let mut bad = good.clone();
            bad.sub = sub.to_owned();
            assert!(auth.verify(&signed(&bad)).is_err(), "sub {sub:?}");
        }
    }

    #[test]
    fn a_token_verifies_only_with_its_key_and_carries_the_principal() {
        let principal = Principal {
            subject: "account-1".into(),
            role: Role::Referrer,
            chapter: None,
            organization: Some(Slug::parse("sfi-botkyrka").unwrap()),
            participant: None,
            municipality: None,
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let token = TokenIssuer::new(b"a key of at least thirty-two bytes!!").issue(
            &principal,
            now,
            Duration::from_secs(60),
        );
        let verified = Authenticator::new(b"a key of at least thirty-two bytes!!").verify(&token);
        assert_eq!(verified.unwrap(), principal);
        assert!(
            Authenticator::new(b"another key of thirty-two bytes!!!!")
                .verify(&token)
                .is_err()
        );
        let expired = TokenIssuer::new(b"a key of at least thirty-two bytes!!").issue(
            &principal,
            now - 3600,
            Duration::from_secs(60),
        );
        assert!(
            Authenticator::new(b"a key of at least thirty-two bytes!!")
                .verify(&expired)
                .is_err()
        );
    }
}
