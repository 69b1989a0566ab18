//! The domain model of the kompis buddy programme: validated value types and the rules
//! that govern referrals and participants.
//!
//! Requests are parsed into these types once, at the gRPC edge ("parse, don't
//! validate"); inner code never handles a raw string. Every parser returns a
//! [`FieldError`] with a human-readable description, and [`Violations`] collects the
//! errors of a whole request so that every bad field is reported at once.
//!
//! The crate is pure: no I/O, no async. Functions that depend on the date take it as an
//! argument; [`Clock`] is the application's one source of that date, injectable so that
//! tests set and advance time.
//!
//! What is here:
//!
//! - errors: [`FieldError`], [`FieldViolation`], [`Violations`];
//! - places and ids: [`Slug`], [`Coordinates`], [`KommunKod`], [`ParticipantId`],
//!   [`ReferralId`];
//! - accounts: [`Role`];
//! - people: [`DisplayName`], [`Note`], [`Gender`], [`BirthYear`], [`Contact`]
//!   ([`PhoneNumber`], [`Email`]), [`ParticipantRole`], [`Capacity`];
//! - languages: [`LanguageCode`] (the ISO 639 table), [`LanguageLevel`],
//!   [`SwedishLevel`], [`LanguageSkills`];
//! - matching inputs: [`Availability`], [`MeetingPreference`], [`Wishes`];
//! - life cycles: [`ReferralState`], [`ParticipantState`], [`InterviewState`],
//!   [`InterviewMode`], [`InterviewOutcome`], [`ReferralProgress`], [`ReferralClosure`];
//! - programme rules: eligibility ([`may_approve`]), waiting time ([`WaitingSince`],
//!   [`waited`]), withdrawal ([`Withdrawal`]);
//! - matching: [`MatchingSettings`] and its one conversion into the engine's `Config`,
//!   [`MinAge`];
//! - the event log's kinds: [`EventKind`]; notifications' kinds: [`NotificationKind`];
//!   time: [`Clock`], [`ManualClock`].
//!
//! Personal data is kept to what the programme needs. There are deliberately no types for
//! special categories of personal data (ethnicity, religion, health) or national identity
//! numbers.
#![deny(missing_docs)]

mod availability;
mod birth_year;
mod clock;
mod contact;
mod error;
mod event;
mod gender;
mod id;
mod language;
mod macros;
mod matching_settings;
mod meeting;
mod notification;
mod participant;
mod place;
mod referral_closure;
mod role;
mod rules;
mod slug;
mod state;
pub mod suppression;
mod text;
mod wish;

pub use availability::{Availability, TimeOfDay};
pub use birth_year::BirthYear;
pub use clock::{Clock, ManualClock};
pub use contact::{Contact, Email, PhoneNumber};
pub use error::{
    FieldError, FieldViolation, MAX_REPORTED_VIOLATIONS, MAX_VIOLATION_CHARS, Violations, bounded_violations,
};
pub use event::EventKind;
pub use gender::Gender;
pub use id::{ParticipantId, ReferralId};
pub use language::{
    LanguageCode, LanguageLevel, LanguageScope, LanguageSkill, LanguageSkills, LanguageType, SfiCourse,
    SwedishLevel,
};
pub use matching_settings::{CriterionWeights, MatchingSettings, MinAge, Weight};
pub use meeting::MeetingPreference;
pub use notification::NotificationKind;
pub use participant::{Capacity, ParticipantRole};
pub use place::{Coordinates, EARTH_MEAN_RADIUS_KM, KommunKod};
pub use referral_closure::{CLOSURE_NOTE_MAX, CloseReason, ReferralClosure};
pub use role::Role;
pub use rules::{
    EligibilityChecks, NotEligible, WaitingSince, Withdrawal, WithdrawalRefused, may_approve, waited,
};
pub use slug::Slug;
pub use state::{
    ActivityKind, ActivityState, AgreementChannel, Attendance, DeclineCause, InterviewMode, InterviewOutcome,
    InterviewState, MAX_GUESTS_PER_INVITATION, MatchEndReason, MatchState, ParticipantState, ProposalAnswer,
    ReferralProgress, ReferralState, Rsvp, TransitionError, seats_fit, seats_for,
};
pub use text::{DisplayName, FreeText, Note};
pub use wish::{AgeRange, Strength, Wish, WishKind, Wishes};

/// Re-exported so callers name weekdays with the same type as [`Availability`].
pub use time::Weekday;
