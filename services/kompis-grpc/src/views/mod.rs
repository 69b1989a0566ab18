//! Renderings that several services share: participants, interviews, notifications,
//! personal data exports,
//! activities and invitations.

pub mod activity;
pub mod export;
pub mod interview;
pub mod matching;
pub mod notification;
pub mod participant;
