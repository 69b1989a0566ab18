//! The one place where errors become gRPC statuses.
//!
//! Handlers return [`ApiError`]; [`ApiError::into_status`] is the mapping table. Client
//! mistakes get their own codes with `google.rpc` details (BadRequest for bad fields,
//! ErrorInfo with a machine-readable reason everywhere, RetryInfo where a retry helps).
//! Our own failures become INTERNAL or UNAVAILABLE with no detail for the client; the
//! full cause chain is logged once, here.

use std::time::Duration;

use kompis_domain::FieldViolation;
use kompis_proto::v1::ErrorReason;
use kompis_store::{DomainViolation, StoreError};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` of every error this service returns.
pub const ERROR_DOMAIN: &str = "kompis.se";

/// The `ErrorInfo.reason` of `reason`: its name in common.proto without the
/// `ERROR_REASON_` prefix. Reasons come only from the generated enum, so that the
/// contract and the code cannot drift apart.
pub fn reason_name(reason: ErrorReason) -> &'static str {
    let name = reason.as_str_name();
    name.strip_prefix("ERROR_REASON_").unwrap_or(name)
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// One or more fields of the request are invalid.
    #[error("invalid request: {}", .0.len())]
    InvalidArgument(Vec<FieldViolation>),
    /// Fields are invalid for a reason with its own `ErrorInfo` reason (for example
    /// `CONSENT_MISSING`, `REQUEST_ID_REUSED`, `INVALID_PAGE_TOKEN`). Carries every bad
    /// field of the request, so that all are reported at once.
    #[error("invalid request: {0:?}")]
    InvalidWithReason(ErrorReason, Vec<FieldViolation>),
    /// The named resource does not exist, or the caller may not know it exists: the two
    /// answer alike (same code, message and details).
    #[error("not found")]
    NotFound(String),
    /// A resource with that name already exists.
    #[error("already exists")]
    AlreadyExists(String),
    /// A state change the resource's current state does not allow; answered as
    /// FAILED_PRECONDITION with `from_state` and `to_state` in the ErrorInfo metadata.
    #[error("invalid state transition")]
    InvalidTransition(#[from] kompis_domain::TransitionError),
    /// The request is well-formed but the resource is not in a state that allows it.
    #[error("failed precondition: {reason:?}")]
    FailedPrecondition {
        /// Machine-readable reason.
        reason: ErrorReason,
        /// What a person should know.
        message: String,
    },
    /// The resource changed concurrently (optimistic concurrency): ABORTED, reason
    /// CONFLICT; reading again and retrying may succeed.
    #[error("conflict")]
    Conflict(String),
    /// The caller has no valid credentials.
    #[error("unauthenticated")]
    Unauthenticated(ErrorReason),
    /// The caller's role may never call this RPC (ROLE_NOT_ALLOWED). An object outside
    /// the caller's scope is [`ApiError::NotFound`] instead.
    #[error("permission denied")]
    PermissionDenied(ErrorReason),
    /// The caller made more calls than its rate limit allows: RESOURCE_EXHAUSTED, reason
    /// RATE_LIMITED, with the time to wait in `RetryInfo`.
    #[error("rate limited")]
    RateLimited(Duration),
    /// The caller's deadline passed while the request was being served (a database
    /// statement was cancelled at the deadline): DEADLINE_EXCEEDED.
    #[error("deadline exceeded")]
    DeadlineExceeded,
    /// The server is shutting down: a long-lived call (a stream) ends; the client
    /// reconnects, to this or another replica.
    #[error("shutting down")]
    ShuttingDown,
    /// A dependency (PostgreSQL, Redis) is unreachable; retrying later may help.
    #[error("unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A bug or an unexpected failure of ours.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A single bad field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        ApiError::InvalidArgument(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }

    /// FAILED_PRECONDITION with `reason`.
    pub fn precondition(reason: ErrorReason, message: impl Into<String>) -> Self {
        ApiError::FailedPrecondition {
            reason,
            message: message.into(),
        }
    }

    /// A bug of ours: something the code guarantees did not hold.
    pub fn bug(what: &'static str) -> Self {
        ApiError::Internal(what.into())
    }

    /// The mapping table from errors to gRPC statuses.
    pub fn into_status(self) -> Status {
        let (code, reason, message, mut details) = match &self {
            ApiError::InvalidArgument(violations) => bad_request(ErrorReason::InvalidField, violations),
            ApiError::InvalidWithReason(reason, violations) => bad_request(*reason, violations),
            ApiError::NotFound(name) => (
                Code::NotFound,
                ErrorReason::ResourceNotFound,
                format!("{name} not found"),
                ErrorDetails::with_resource_info("", name.clone(), "", "not found"),
            ),
            ApiError::AlreadyExists(name) => (
                Code::AlreadyExists,
                ErrorReason::AlreadyExists,
                format!("{name} already exists"),
                ErrorDetails::new(),
            ),
            ApiError::InvalidTransition(e) => (
                Code::FailedPrecondition,
                ErrorReason::InvalidStateTransition,
                e.to_string(),
                ErrorDetails::new(),
            ),
            ApiError::FailedPrecondition { reason, message } => (
                Code::FailedPrecondition,
                *reason,
                message.clone(),
                ErrorDetails::new(),
            ),
            ApiError::Conflict(message) => (
                Code::Aborted,
                ErrorReason::Conflict,
                message.clone(),
                ErrorDetails::new(),
            ),
            ApiError::Unauthenticated(reason) => (
                Code::Unauthenticated,
                *reason,
                "a valid bearer token is required".to_owned(),
                ErrorDetails::new(),
            ),
            ApiError::PermissionDenied(reason) => (
                Code::PermissionDenied,
                *reason,
                "the caller may not do this".to_owned(),
                ErrorDetails::new(),
            ),
            ApiError::RateLimited(retry_after) => (
                Code::ResourceExhausted,
                ErrorReason::RateLimited,
                "too many requests; retry after the delay given".to_owned(),
                ErrorDetails::with_retry_info(Some(*retry_after)),
            ),
            ApiError::DeadlineExceeded => (
                Code::DeadlineExceeded,
                ErrorReason::DeadlineExceeded,
                "the call's deadline passed before it was done".to_owned(),
                ErrorDetails::new(),
            ),
            ApiError::ShuttingDown => (
                Code::Unavailable,
                ErrorReason::TemporarilyUnavailable,
                "the server is shutting down; reconnect".to_owned(),
                ErrorDetails::with_retry_info(Some(Duration::from_secs(1))),
            ),
            ApiError::Unavailable(source) => {
                tracing::warn!(error = %ErrorChain(source.as_ref()), "dependency unavailable");
                (
                    Code::Unavailable,
                    ErrorReason::TemporarilyUnavailable,
                    "the service is temporarily unavailable; retry later".to_owned(),
                    ErrorDetails::with_retry_info(Some(Duration::from_secs(2))),
                )
            }
            ApiError::Internal(source) => {
                tracing::error!(error = %ErrorChain(source.as_ref()), "internal error");
                (
                    Code::Internal,
                    ErrorReason::Unspecified,
                    "internal error".to_owned(),
                    ErrorDetails::new(),
                )
            }
        };
        // Every error but INTERNAL says why in a machine-readable reason (the
        // `ErrorReason` values of common.proto); INTERNAL says nothing about us.
        if code == Code::Internal {
            return Status::new(code, message);
        }
        let mut metadata = std::collections::HashMap::<String, String>::new();
        if let ApiError::InvalidTransition(e) = &self {
            metadata.insert("resource_type".into(), e.entity.into());
            metadata.insert("from_state".into(), e.from.into());
            metadata.insert("to_state".into(), e.to.into());
        }
        details.set_error_info(reason_name(reason), ERROR_DOMAIN, metadata);
        Status::with_error_details(code, message, details)
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        error.into_status()
    }
}

impl From<Vec<FieldViolation>> for ApiError {
    fn from(violations: Vec<FieldViolation>) -> Self {
        ApiError::InvalidArgument(violations)
    }
}

/// Store results convert with `?`. A row that is not there is NOT_FOUND of an unnamed
/// resource; where the resource has a name, say it with [`StoreResultExt::named`].
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        store_error(error, None)
    }
}

/// The one mapping of store errors: a valid request's outcomes are the client's,
/// everything else is ours.
pub fn store_error(error: StoreError, resource: Option<&str>) -> ApiError {
    let resource = resource.unwrap_or("the resource");
    match error {
        StoreError::NotFound => ApiError::NotFound(resource.to_owned()),
        StoreError::AlreadyExists(_) => ApiError::AlreadyExists(resource.to_owned()),
        StoreError::MissingReference(_) => ApiError::precondition(
            ErrorReason::ResourceNotFound,
            "a resource this request refers to does not exist",
        ),
        StoreError::Conflict(what) => ApiError::Conflict(what),
        StoreError::Transition(e) => ApiError::InvalidTransition(e),
        StoreError::Domain(rule) => domain_error(rule),
        StoreError::Unavailable(_) => ApiError::Unavailable(Box::new(error)),
        StoreError::DeadlineExceeded => ApiError::DeadlineExceeded,
        StoreError::Unrepresentable(_) => {
            // Not the error itself: PostgreSQL's message may quote the value.
            tracing::info!("a request value the database cannot hold");
            ApiError::invalid(
                "request",
                "holds a value the service cannot store: a NUL character in a text, or a time or number out of range",
            )
        }
        other => ApiError::Internal(Box::new(other)),
    }
}

/// The programme's rules, as codes and reasons.
fn domain_error(rule: DomainViolation) -> ApiError {
    let reason = match rule {
        DomainViolation::MunicipalityTaken => ErrorReason::MunicipalityTaken,
        DomainViolation::NotEligible { .. } => ErrorReason::NotEligible,
        DomainViolation::LiveMatch => ErrorReason::AlreadyMatched,
        DomainViolation::TooManyGuests { .. } => ErrorReason::TooManyGuests,
        DomainViolation::ActivityClosed => ErrorReason::ActivityClosed,
        DomainViolation::NotEnoughSeats => ErrorReason::CapacityExceeded,
        DomainViolation::NotAPossibleDuplicate => ErrorReason::NotAPossibleDuplicate,
        DomainViolation::MergeNotPossible(_) => ErrorReason::MergeNotPossible,
        DomainViolation::AccountLinkNotPossible(_) => ErrorReason::AccountLinkNotPossible,
        DomainViolation::PairSignUpNotAllowed => ErrorReason::PairSignUpNotAllowed,
        DomainViolation::NoLiveMatch => ErrorReason::NoLiveMatch,
        DomainViolation::BuddyAmbiguous => ErrorReason::BuddyAmbiguous,
    };
    ApiError::precondition(reason, rule.to_string())
}

/// Why the engine refuses a pair, as a code and reason. `overridable` says whether a
/// coordinator may propose the pair anyway with a reason.
pub fn engine_refusal(violation: kompis_matching::Violation) -> (ApiError, bool) {
    use kompis_matching::Violation as V;
    let (reason, overridable) = match violation {
        V::RolesNotOpposite | V::NotEligible | V::TooYoung => (ErrorReason::NotEligible, false),
        V::NoCapacity => (ErrorReason::CapacityExceeded, false),
        V::ResidentNotFluentInSwedish => (ErrorReason::SwedishLevelTooLow, true),
        V::NoCommonLanguage => (ErrorReason::NoCommonLanguage, true),
        V::Wish { .. } => (ErrorReason::HardWishViolated, true),
        V::NoCommonTime => (ErrorReason::NoCommonTime, true),
        V::TooFar => (ErrorReason::TooFar, true),
        V::Excluded => (ErrorReason::PairExcluded, true),
    };
    let message = if overridable {
        format!("the engine refuses the pair: {violation}; propose it with an override_reason to override")
    } else {
        format!("the pair cannot be matched: {violation}")
    };
    (ApiError::precondition(reason, message), overridable)
}

/// A place a proposal could not take.
impl From<kompis_store::matches::PlaceRefused> for ApiError {
    fn from(refused: kompis_store::matches::PlaceRefused) -> Self {
        use kompis_store::matches::PlaceRefused as P;
        let reason = match refused {
            P::NewcomerTaken => ErrorReason::AlreadyMatched,
            P::ResidentFull => ErrorReason::CapacityExceeded,
            P::NotMatchable => ErrorReason::NotEligible,
        };
        ApiError::precondition(reason, refused.to_string())
    }
}

/// An answer to a proposal that came too late or twice.
impl From<kompis_store::matches::AnswerRefused> for ApiError {
    fn from(refused: kompis_store::matches::AnswerRefused) -> Self {
        use kompis_store::matches::AnswerRefused as A;
        let reason = match refused {
            A::DeadlinePassed => ErrorReason::ProposalDeadlinePassed,
            A::AlreadyAnswered => ErrorReason::AlreadyAnswered,
        };
        ApiError::precondition(reason, refused.to_string())
    }
}

/// Converts a store or domain result for a handler that answers `tonic::Status`
/// (which cannot convert them itself): `store_call().await.api()?`.
pub trait IntoApi<T> {
    /// The result with its error mapped by the one table.
    fn api(self) -> ApiResult<T>;
}

impl<T, E: Into<ApiError>> IntoApi<T> for Result<T, E> {
    fn api(self) -> ApiResult<T> {
        self.map_err(Into::into)
    }
}

/// Names the resource of a store call, for its NOT_FOUND and ALREADY_EXISTS answers.
pub trait StoreResultExt<T> {
    /// Converts the result, naming `resource` (a resource name) if it is missing or taken.
    fn named(self, resource: &str) -> ApiResult<T>;

    /// Converts the result of creating `resource` under `parent`: a reference that does
    /// not exist is the parent, answered NOT_FOUND for it (the scope rule's answer for a
    /// parent that does not exist).
    fn created_under(self, resource: &str, parent: &str) -> ApiResult<T>;
}

impl<T> StoreResultExt<T> for Result<T, StoreError> {
    fn named(self, resource: &str) -> ApiResult<T> {
        self.map_err(|e| store_error(e, Some(resource)))
    }

    fn created_under(self, resource: &str, parent: &str) -> ApiResult<T> {
        self.map_err(|e| match e {
            StoreError::MissingReference(_) => ApiError::NotFound(parent.to_owned()),
            e => store_error(e, Some(resource)),
        })
    }
}

/// INVALID_ARGUMENT with one `google.rpc.BadRequest` field violation per bad field. The
/// violations come bounded from [`kompis_domain::Violations`] (at most
/// [`kompis_domain::MAX_REPORTED_VIOLATIONS`], then one saying how many more).
fn bad_request(
    reason: ErrorReason,
    violations: &[FieldViolation],
) -> (Code, ErrorReason, String, ErrorDetails) {
    let mut details = ErrorDetails::new();
    for v in violations {
        details.add_bad_request_violation(v.field.clone(), v.description.clone());
    }
    let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
    (
        Code::InvalidArgument,
        reason,
        format!("invalid fields: {}", fields.join(", ")),
        details,
    )
}

/// Displays an error with its whole `source()` chain, for logging it once.
#[derive(Debug)]
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
