//! The gRPC services of kompis.
//!
//! Each service converts proto messages into domain types at the edge (every bad field
//! reported at once), checks that the caller may act on the object, calls the store in
//! one transaction, and converts the result back. [`error::ApiError`] is the one table
//! that maps failures to gRPC codes.

#![deny(missing_docs)]

pub mod admin;
pub mod auth;
pub mod buddy_app;
pub mod convert;
pub mod error;
pub mod idempotent;
pub mod interviews;
pub mod names;
pub mod page;
pub mod participant_view;
pub mod participants;
pub mod person;
pub mod profile;
pub mod referrals;
pub mod reports;

pub use admin::Admin;
pub use auth::{Authenticator, Principal, TokenIssuer};
pub use buddy_app::BuddyApp;
pub use interviews::Interviews;
pub use participants::Participants;
pub use referrals::Referrals;
pub use reports::Reports;
