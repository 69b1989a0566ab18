//! The matching engine of the kompis buddy programme: it proposes pairs of a newcomer
//! and an established resident, exactly, explainably and fairly, at national scale.
//!
//! A pure library: no I/O, no async runtime, no dependencies. The matching service
//! converts its domain values into this crate's [`Participant`], [`Config`] and
//! [`Exclusions`] at the edge and gets back [`Proposal`]s, each with an
//! [`Explanation`] of its score per criterion.
//!
//! # What is proposed
//!
//! A pair is *admissible* when it breaks no hard rule ([`Violation`], checked in this
//! order): opposite roles; both eligible and at least [`Rules::min_age`]; room left (a
//! resident takes `capacity - active_matches` more buddies, so a resident with a live
//! match and room for more stays matchable; a newcomer takes one if they have none);
//! the resident speaks Swedish at C1 or above; the pair not declined or ended before
//! ([`Exclusions`]); districts at most [`Rules::max_distance_km`] apart (great circle
//! between their coordinates), **unless** one wants to meet online only and the other
//! accepts online ([`Rules::online_beyond_distance`]); a language both can talk in
//! (Conversational or better, and Swedish counts when the newcomer has some); at
//! least [`Rules::min_common_slots`] common free slots; the hard wishes of the
//! newcomer, then of the resident ([`Wishes`]: same gender, age range, a family
//! match, a buddy with children). The rules on one person alone decide who is in a
//! round at all; [`matchable`] names the one that leaves someone out, so that no one
//! is unmatchable without a reason.
//!
//! Its *score* is a sum of integer points, one part per soft criterion, each at most
//! the chapter's weight ([`Weights`], with documented defaults): shared interests,
//! distance (0 beyond the limit), age closeness, soft wishes, Swedish-level fit,
//! family situation (the same on both sides: both with children or both without),
//! meeting preference and the time both have waited (half each). Integer points make
//! totals exact and comparable.
//!
//! # The objective of a matching round
//!
//! [`matching_round`] takes everyone ready in a scope and returns a set of pairs that
//!
//! 1. maximises the number of newcomers matched, and then
//! 2. among those sets, maximises the total score,
//!
//! over **every admissible pair**, with each newcomer in at most one pair and each
//! resident in at most their free capacity. It is exact, not greedy, and
//! deterministic: ties are broken by ids, so the input order does not matter.
//!
//! The assignment is first solved on a candidate graph (each newcomer's
//! [`Rules::candidates_per_newcomer`] best admissible residents and each resident's
//! [`Rules::candidates_per_resident`] best newcomers), then its dual prices are checked
//! against every admissible pair outside that graph; pairs they do not cover are
//! added and the assignment solved again, until every admissible pair is covered.
//! By linear-programming duality the result is then optimal over all admissible
//! pairs, in the number matched and in the score ([`CandidateGraph::exact`]).
//!
//! Every newcomer left waiting gets a [`WaitReason`]; [`Progress`] observes and
//! cancels a long round.
//!
//! Fairness: the waiting-time criterion makes long waits count in every pair, and,
//! because cardinality comes first, no one is left out to improve anyone's score.
//!
//! # Algorithms
//!
//! * Candidates: residents are bucketed in a grid of cells half a maximum distance
//!   wide and in runs of one district; newcomers are taken a few dozen of one place at
//!   a time, sharing one distance per district pair; online pairs beyond the limit
//!   come from two lists (who accepts online, who wants online only). The pair
//!   rules are read from bit sets over the residents, 64 residents a few word
//!   operations, and one kernel scores the pairs that pass from compact rows and
//!   bit sets, branch-free and with lookup tables. Scans run on up to two threads,
//!   deterministically.
//! * Assignment ([`assignment`]): successive shortest augmenting paths with Dijkstra on
//!   reduced costs (Jonker-Volgenant style, row by row) on the sparse graph, with
//!   capacities handled directly; a large constant added to every weight turns
//!   "most pairs, then most points" into one exact min-cost problem. A dense
//!   Jonker-Volgenant solver serves the dense square problem.
//! * Suggestions ([`suggestions`], [`SuggestionIndex`]): the top k admissible
//!   candidates of one participant, with the round's kernel.
//! * A greedy "best pair first" baseline ([`greedy_round`]) for comparison.
//!
//! # Examples
//!
//! ```
//! use kompis_matching::*;
//!
//! let person = |id: u128, role: Role| Participant {
//!     id: ParticipantId(id),
//!     role,
//!     eligible: true,
//!     languages: vec![],
//!     swedish: if role == Role::Resident { SwedishLevel::Native } else { SwedishLevel::SfiC },
//!     gender: Gender::Woman,
//!     age: 30,
//!     has_children: false,
//!     wishes: Wishes::default(),
//!     availability: Availability::ALWAYS,
//!     meeting: MeetingPreference::InPerson,
//!     location: GeoPoint { lat: 59.2390, lon: 17.8460 }, // Alby, Botkyrka
//!     interests: vec![1, 2],
//!     capacity: 2,
//!     active_matches: 0,
//!     waiting_days: 90,
//! };
//! let newcomers = [person(1, Role::Newcomer), person(2, Role::Newcomer), person(3, Role::Newcomer)];
//! let residents = [person(10, Role::Resident)]; // room for two
//! let round = matching_round(&newcomers, &residents, &Config::default(), &Exclusions::default());
//! assert_eq!(round.proposals.len(), 2);
//! assert_eq!(round.unmatched_newcomers, vec![ParticipantId(3)]);
//! println!("{}", round.proposals[0].explanation);
//! ```
#![deny(missing_docs)]

pub mod assignment;
mod components;
mod config;
mod control;
mod engine;
mod filter;
mod geo;
mod kernel;
mod model;
mod prep;
mod scan;
mod score;
mod suggest;

pub use config::{Config, InvalidRule, Rules, Weights};
pub use control::{Cancelled, Progress};
pub use engine::{
    CandidateGraph, Round, RoundStats, WaitReason, Waiting, evaluate, greedy_round, matchable,
    matching_round, matching_round_observed, suggestions,
};
pub use geo::distance_km;
pub use model::{
    AgeRange, Availability, DayPart, Exclusions, Gender, GeoPoint, InterestId, Language, LanguageCode,
    MeetingPreference, Participant, ParticipantId, Proficiency, Role, Strength, SwedishLevel, WishKind,
    Wishes,
};
pub use score::{Contribution, Criterion, Explanation, Proposal, Violation};
pub use suggest::{Ranked, SuggestionIndex};
