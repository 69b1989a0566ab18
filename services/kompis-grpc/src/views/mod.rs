//! Renderings that several services share: participants and interviews.

pub mod interview;
pub mod participant;
