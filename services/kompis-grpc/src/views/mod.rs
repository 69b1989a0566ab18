//! Renderings that several services share: participants, interviews and notifications.

pub mod interview;
pub mod matching;
pub mod notification;
pub mod participant;
