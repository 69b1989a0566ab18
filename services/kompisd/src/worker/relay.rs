//! The outbox relay: PostgreSQL's outbox to Redis Streams, and back again when Redis
//! loses what it was given.
//!
//! One round: lease a batch of rows (a statement that commits by itself), publish them
//! in one pipeline with no transaction open, mark them published. Several relays share
//! the outbox (leases skip each other's rows); a relay that dies between leasing and
//! marking leaves leases that run out, and the rows go out again.
//!
//! Before each round the relay asks Redis for its incarnation. When it differs from the
//! one it saw last (Redis restarted empty), or now and then in any case, every row that
//! awaits its consumer and is not settled, and was published to another incarnation or
//! long ago, is made publishable again. Nobody has to act; consumers recreate their
//! groups and skip what was already delivered.

use std::time::{Duration, Instant};

use kompis_domain::Clock;
use kompis_queue::{Envelope, Outgoing, Queue};
use kompis_store::{Store, outbox};

use super::{IDLE, Stop};
use crate::settings::Settings;

/// Rows per round.
pub const BATCH: i64 = 500;
/// How long a lease lasts: a relay that has not marked its rows by then is presumed dead.
const LEASE: time::Duration = time::Duration::seconds(30);
/// How long a published row may wait for its consumer before it is published again
/// (its stream entry may have been lost some way other than a whole Redis).
const STALE: time::Duration = time::Duration::minutes(15);
/// How often the relay looks for rows to publish again without an incarnation change.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The relay's memory between rounds.
#[derive(Debug)]
pub struct Relay {
    incarnation: Option<String>,
    last_sweep: Option<Instant>,
}

impl Default for Relay {
    fn default() -> Self {
        Self::new()
    }
}

impl Relay {
    /// A relay that has seen no Redis yet.
    pub fn new() -> Self {
        Self {
            incarnation: None,
            last_sweep: None,
        }
    }

    /// One round; returns how many rows it published.
    pub async fn round(&mut self, store: &Store, queue: &Queue, clock: &Clock) -> anyhow::Result<usize> {
        let pool = store.pool();
        let incarnation = queue.incarnation().await?;
        let sweep_due = self.last_sweep.is_none_or(|t| t.elapsed() >= SWEEP_EVERY);
        if self.incarnation.as_deref() != Some(incarnation.as_str()) || sweep_due {
            let again = outbox::republish_lost(pool, &incarnation, clock.now() - STALE).await?;
            if again > 0 {
                tracing::warn!(
                    rows = again,
                    "outbox rows published but never delivered (Redis lost them?); publishing them again"
                );
            }
            self.incarnation = Some(incarnation.clone());
            self.last_sweep = Some(Instant::now());
        }
        let rows = outbox::lease(pool, clock.now(), LEASE, BATCH).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let outgoing: Vec<Outgoing<'_>> = rows
            .iter()
            .map(|r| Outgoing {
                topic: &r.topic,
                envelope: Envelope {
                    outbox_id: r.id,
                    version: r.version,
                    payload: r.payload.to_string(),
                },
                consumed: r.awaits_consumer,
            })
            .collect();
        if let Err(e) = queue.publish_batch(&outgoing).await {
            // Give the rows back at once rather than after the lease; if even that
            // fails, the lease runs out.
            let _ = outbox::release(pool, &ids).await;
            return Err(e.into());
        }
        outbox::mark_published(pool, &ids, &incarnation, clock.now()).await?;
        tracing::debug!(count = ids.len(), "outbox relayed");
        Ok(ids.len())
    }
}

/// Runs the relay until `stop`.
pub async fn run(settings: Settings, store: Store, stop: Stop) {
    let Some(queue) = super::connect(&settings, &stop).await else {
        return;
    };
    tracing::info!("outbox relay running");
    let mut relay = Relay::new();
    while !stop.requested() {
        let relayed = match relay.round(&store, &queue, &settings.clock).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "outbox relay failed; retrying");
                0
            }
        };
        if relayed < BATCH as usize && !stop.sleep(IDLE).await {
            return;
        }
    }
}
