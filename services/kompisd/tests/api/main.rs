//! The integration tests of kompisd, in one binary so that the support code and the
//! server are compiled once. Each test starts the real server in-process on port 0 with
//! a fresh PostgreSQL database and its own Redis key prefix (see [`support`]) and calls
//! it with the generated gRPC clients; the fault and telemetry tests start the kompisd
//! binary or their own PostgreSQL and Redis as child processes.
//!
//! One module per service or concern; `fixtures/` holds the people and referrals the
//! tests share.

mod fixtures;
mod support;

mod access;
mod activities;
mod admin;
mod audit;
mod buddy_app;
mod clock;
mod delivery_faults;
mod duplicates;
mod email;
mod erasure;
mod event_log;
mod faults;
mod follow_up;
mod horizontal;
mod hostile;
mod idempotency;
mod intake;
mod interviews;
mod journey;
mod matching;
mod notes;
mod notifications;
mod pairs;
mod participants;
mod queue;
mod readme;
mod referrals;
mod report_access;
mod reports;
mod rounds;
mod scope;
mod server;
mod telemetry;
mod tokens;
mod waiting_list;
