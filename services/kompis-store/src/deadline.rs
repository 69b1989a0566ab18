//! The caller's deadline, carried to PostgreSQL as each transaction's statement timeout.
//!
//! The serving layer runs a call inside [`within`] with the instant its caller stops
//! waiting (gRPC's `grpc-timeout`). Every transaction begun inside it
//! ([`crate::Store::begin`], [`crate::Store::begin_snapshot`]) sets `statement_timeout`
//! for itself (`SET LOCAL`) to the time left, less [`MARGIN`] so that the answer can
//! still reach the caller. A statement that outlasts it is cancelled by PostgreSQL
//! (SQLSTATE 57014), its transaction rolled back, and the store answers
//! [`crate::StoreError::DeadlineExceeded`]: no work goes on for a caller who has left,
//! and no lock is held for them. Reads made straight on the pool, outside a
//! transaction, are not bounded this way.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// The time kept back from the caller's deadline for the answer to travel.
pub const MARGIN: Duration = Duration::from_millis(100);

/// Runs `work` with `deadline` as the deadline of the transactions it begins (none
/// when `deadline` is `None`).
pub async fn within<F: Future>(deadline: Option<Instant>, work: F) -> F::Output {
    match deadline {
        Some(deadline) => DEADLINE.scope(deadline, work).await,
        None => work.await,
    }
}

/// The statement timeout for a transaction begun now, if the work has a deadline: the
/// time left less [`MARGIN`], at least a millisecond (0 would mean no timeout).
pub(crate) fn statement_timeout() -> Option<Duration> {
    DEADLINE
        .try_with(|deadline| deadline.saturating_duration_since(Instant::now()))
        .ok()
        .map(|left| left.saturating_sub(MARGIN).max(Duration::from_millis(1)))
}

/// The statement that begins a transaction with `begin` (`BEGIN` and its options) and,
/// if the work has a deadline, sets the transaction's statement timeout from it, both
/// in one simple-protocol message: one round trip instead of two.
pub(crate) fn begin(begin: &'static str) -> sqlx::AssertSqlSafe<String> {
    // Only a constant and an integer go into the text, so nothing needs quoting.
    sqlx::AssertSqlSafe(match statement_timeout() {
        Some(timeout) => format!("{begin}; SET LOCAL statement_timeout = {}", timeout.as_millis()),
        None => begin.to_owned(),
    })
}
