//! Parsers that several services share: people (names, contact, consent, languages)
//! and matching profiles.

pub mod participant;
pub mod person;
pub mod profile;
