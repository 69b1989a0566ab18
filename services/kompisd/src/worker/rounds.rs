//! Matching rounds: computes the dry run of each round a coordinator started
//! ([`kompis_grpc::matching::rounds::run_next`]), one at a time per worker.
//!
//! A round is a job row in PostgreSQL: any worker of any replica may take it, and the
//! chapter's advisory lock, held on a connection of the worker's own while it computes,
//! makes sure only one does. A worker that stops or dies leaves the round RUNNING with
//! its lock released, and the next worker takes it over from the start.

use std::time::Duration;

use kompis_domain::Clock;
use kompis_store::Store;

use super::Stop;

/// Looks for rounds to run every `interval` until `stop`; a failure is logged and
/// retried at the next look.
pub async fn run(store: Store, clock: Clock, interval: Duration, stop: Stop) {
    while !stop.requested() {
        match kompis_grpc::matching::rounds::run_next(&store, &clock, stop.wait()).await {
            // Another may be waiting: look again at once.
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "matching rounds: retrying"),
        }
        if !stop.sleep(interval).await {
            return;
        }
    }
}
