//! The gRPC services of kompis.
//!
//! Each service converts proto messages into domain types at the edge (every bad field
//! reported at once), checks that the caller may act on the object, calls the store in
//! one transaction, and converts the result back. [`error::ApiError`] is the one table
//! that maps failures to gRPC codes.

#![deny(missing_docs)]

pub mod admin;
pub mod auth;
pub mod convert;
pub mod error;
pub mod idempotent;
pub mod names;
pub mod page;
pub mod person;
pub mod reports;

pub use admin::Admin;
pub use auth::{Authenticator, Principal, TokenIssuer};
pub use reports::Reports;
