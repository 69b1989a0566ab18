//! Durable timers: work that falls due at a business time (a proposal's deadline, a
//! scheduled check-in, an activity's reminder, the expiry of idempotency keys).
//!
//! The record of what is due lives in PostgreSQL, so timers survive restarts; each
//! timer claims its due rows with `FOR UPDATE SKIP LOCKED` (or an equivalent single
//! statement), so that several workers fire each one exactly once. Whether something
//! is due is judged by the application [`Clock`], never by the database's `now()`.
//!
//! To add one: write the store function that acts on everything due at `now` and
//! returns how much it did, and list it in [`TIMERS`].

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use kompis_domain::Clock;
use kompis_store::{Store, StoreError, idempotency};
use time::OffsetDateTime;

/// A timer: acts on what is due at `now` and says how many items it handled.
pub type Timer = for<'a> fn(
    &'a Store,
    OffsetDateTime,
) -> Pin<Box<dyn Future<Output = Result<u64, StoreError>> + Send + 'a>>;

/// Every timer, by name (for logs).
pub const TIMERS: &[(&str, Timer)] = &[
    ("idempotency key expiry", expire_idempotency_keys),
    ("activity reminders", remind_activities),
    ("proposal deadlines", expire_proposals),
    ("match follow-up", follow_matches),
];

/// How long a mutation's answer is kept for retries.
pub const IDEMPOTENCY_KEY_RETENTION: time::Duration = time::Duration::hours(24);

fn expire_idempotency_keys(
    store: &Store,
    now: OffsetDateTime,
) -> Pin<Box<dyn Future<Output = Result<u64, StoreError>> + Send + '_>> {
    Box::pin(async move { idempotency::expire(store.pool(), now - IDEMPOTENCY_KEY_RETENTION).await })
}

fn remind_activities(
    store: &Store,
    now: OffsetDateTime,
) -> Pin<Box<dyn Future<Output = Result<u64, StoreError>> + Send + '_>> {
    Box::pin(kompis_store::activities::send_due_reminders(store, now))
}

/// Declines the proposals whose answer deadline passed and offers the next candidate
/// ([`kompis_grpc::matchmaking::expire_due`]).
fn expire_proposals(
    store: &Store,
    now: OffsetDateTime,
) -> Pin<Box<dyn Future<Output = Result<u64, StoreError>> + Send + '_>> {
    Box::pin(kompis_grpc::matchmaking::expire_due(store, now))
}

/// How many follow-up timers one tick fires at most.
const FOLLOW_UP_BATCH: u64 = 100;

/// Schedules the check-ins and period end of newly accepted matches, then fires those
/// due: asks both people to check in, or concludes the match with the closing question
/// ([`kompis_store::check_ins`]).
fn follow_matches(
    store: &Store,
    now: OffsetDateTime,
) -> Pin<Box<dyn Future<Output = Result<u64, StoreError>> + Send + '_>> {
    Box::pin(async move {
        kompis_store::check_ins::schedule(store.pool(), now).await?;
        let mut fired = 0;
        while fired < FOLLOW_UP_BATCH {
            match kompis_store::check_ins::fire_one(store, now).await? {
                kompis_store::check_ins::Fired::Nothing => break,
                _ => fired += 1,
            }
        }
        Ok(fired)
    })
}

/// Fires every timer each `interval` until `stop` resolves. A failure is logged and
/// retried at the next tick; it never ends the loop.
pub async fn run(store: Store, clock: Clock, interval: Duration, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        let now = clock.now();
        for (name, timer) in TIMERS {
            match timer(&store, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(timer = name, fired = n, "timers fired"),
                Err(e) => tracing::warn!(timer = name, error = %e, "timer failed; retrying"),
            }
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}
