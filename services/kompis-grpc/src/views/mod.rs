//! Renderings that several services share: participants, interviews, notifications,
//! activities and invitations.

pub mod activity;
pub mod interview;
pub mod matching;
pub mod notification;
pub mod participant;
