//! The gRPC services of kompis.
//!
//! Every service module is built on the [`kit`]: a handler parses the request into
//! domain types at the edge (every bad field reported at once), authorises the caller
//! ([`kit::scope`]), calls one store or domain function (in one transaction, deduplicated
//! by `request_id` when it writes: [`kit::Kit::mutate`]) and renders the result.
//! [`kit::errors::ApiError`] is the one table that maps failures to gRPC codes.
//!
//! Service modules never import each other: what several need lives in [`views`]
//! (rendering) and [`parse`] (parsing people and profiles).

#![deny(missing_docs)]

pub mod auth;
pub mod follow_up;
pub mod kit;
pub mod live;
pub mod matchmaking;
pub mod parse;
pub mod views;

pub mod activities;
pub mod admin;
pub mod buddy_app;
pub mod delivery;
pub mod interviews;
pub mod matching;
pub mod participants;
pub mod referrals;
pub mod reports;

pub use activities::Activities;
pub use admin::Admin;
pub use auth::{Authenticator, Principal, TokenIssuer};
pub use buddy_app::BuddyApp;
pub use delivery::Delivery;
pub use interviews::Interviews;
pub use kit::Kit;
pub use matching::Matching;
pub use participants::Participants;
pub use referrals::Referrals;
pub use reports::Reports;
