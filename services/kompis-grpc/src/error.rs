//! The one place where errors become gRPC statuses.
//!
//! Handlers return [`ApiError`]; [`ApiError::into_status`] is the mapping table. Client
//! mistakes get their own codes with `google.rpc` details (BadRequest for bad fields,
//! ErrorInfo with a machine-readable reason everywhere, RetryInfo where a retry helps).
//! Our own failures become INTERNAL or UNAVAILABLE with no detail for the client; the
//! full cause chain is logged once, here.

use std::time::Duration;

use kompis_domain::FieldViolation;
use kompis_store::StoreError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` of every error this service returns.
pub const ERROR_DOMAIN: &str = "kompis.se";

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// One or more fields of the request are invalid.
    #[error("invalid request: {}", .0.len())]
    InvalidArgument(Vec<FieldViolation>),
    /// The person's recorded consent is missing or incomplete (INVALID_ARGUMENT with
    /// reason `CONSENT_MISSING`). Carries every bad field of the request, the consent's
    /// and any others, so that all are reported at once.
    #[error("consent missing: {}", .0.len())]
    ConsentMissing(Vec<FieldViolation>),
    /// Fields are invalid for a reason with its own `ErrorInfo` reason (for example
    /// `REQUEST_ID_REUSED`, `INVALID_PAGE_TOKEN`).
    #[error("invalid request: {0}")]
    InvalidWithReason(&'static str, Vec<FieldViolation>),
    /// The named resource does not exist, or the caller may not know it exists.
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
    #[error("failed precondition: {reason}")]
    FailedPrecondition {
        /// Machine-readable reason, UPPER_SNAKE_CASE.
        reason: &'static str,
        /// What a person should know.
        message: String,
    },
    /// The caller has no valid credentials.
    #[error("unauthenticated")]
    Unauthenticated(&'static str),
    /// The caller is known but may not do this.
    #[error("permission denied")]
    PermissionDenied(&'static str),
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

    /// Maps a storage error for an operation on `resource` (a resource name).
    ///
    /// Constraint violations that a valid request can still cause (a taken id, a
    /// reference to something that does not exist) are the client's; everything else
    /// is ours.
    pub fn from_store(error: StoreError, resource: &str) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound(resource.to_owned()),
            StoreError::AlreadyExists(_) => ApiError::AlreadyExists(resource.to_owned()),
            StoreError::MissingReference(constraint) => ApiError::FailedPrecondition {
                reason: "RESOURCE_NOT_FOUND",
                message: format!("a resource this request refers to does not exist ({constraint})"),
            },
            StoreError::Conflict(what) => ApiError::FailedPrecondition {
                reason: "CONFLICT",
                message: what,
            },
            StoreError::Database(ref e) if is_unavailable(e) => ApiError::Unavailable(Box::new(error)),
            other => ApiError::Internal(Box::new(other)),
        }
    }

    /// The mapping table from errors to gRPC statuses.
    pub fn into_status(self) -> Status {
        let (code, reason, message, mut details) = match &self {
            ApiError::InvalidArgument(violations) => bad_request("INVALID_FIELD", violations),
            ApiError::ConsentMissing(violations) => bad_request("CONSENT_MISSING", violations),
            ApiError::InvalidWithReason(reason, violations) => bad_request(reason, violations),
            ApiError::NotFound(name) => (
                Code::NotFound,
                "RESOURCE_NOT_FOUND",
                format!("{name} not found"),
                ErrorDetails::with_resource_info("", name.clone(), "", "not found"),
            ),
            ApiError::AlreadyExists(name) => (
                Code::AlreadyExists,
                "ALREADY_EXISTS",
                format!("{name} already exists"),
                ErrorDetails::new(),
            ),
            ApiError::InvalidTransition(e) => (
                Code::FailedPrecondition,
                "INVALID_STATE_TRANSITION",
                e.to_string(),
                ErrorDetails::new(),
            ),
            ApiError::FailedPrecondition { reason, message } => (
                Code::FailedPrecondition,
                *reason,
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
            ApiError::Unavailable(source) => {
                tracing::warn!(error = %ErrorChain(source.as_ref()), "dependency unavailable");
                (
                    Code::Unavailable,
                    "TEMPORARILY_UNAVAILABLE",
                    "the service is temporarily unavailable; retry later".to_owned(),
                    ErrorDetails::with_retry_info(Some(Duration::from_secs(2))),
                )
            }
            ApiError::Internal(source) => {
                tracing::error!(error = %ErrorChain(source.as_ref()), "internal error");
                (
                    Code::Internal,
                    "INTERNAL",
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
        details.set_error_info(reason, ERROR_DOMAIN, metadata);
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

/// INVALID_ARGUMENT with one `google.rpc.BadRequest` field violation per bad field.
fn bad_request(
    reason: &'static str,
    violations: &[FieldViolation],
) -> (Code, &'static str, String, ErrorDetails) {
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

fn is_unavailable(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed
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
