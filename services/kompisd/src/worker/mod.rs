//! The worker role: relays the outbox from PostgreSQL to Redis Streams.
//!
//! The relay claims unpublished outbox rows (`FOR UPDATE SKIP LOCKED`, so several
//! workers share the work), publishes each to its topic's stream, and marks them
//! published in the same transaction. A crash between publishing and committing
//! publishes the rows again later: delivery is at least once, and consumers skip
//! repeats by outbox id. Consumers of the streams are added by the features that need
//! them (activity invitations, notifications).
//!
//! It also fires durable timers ([`timers`]): every `timer_interval` it asks each
//! timer to act on what is due by the application clock, so that tests move a manual
//! clock forward and wait for the effect instead of sleeping.

use std::future::Future;
use std::time::Duration;

use kompis_queue::{Envelope, Queue};
use kompis_store::{Store, outbox};

use crate::settings::Settings;

pub mod timers;

/// Rows relayed per transaction.
const BATCH: i64 = 100;
/// Pause when the outbox is empty or a dependency is down.
const IDLE: Duration = Duration::from_millis(250);

/// Runs the relay until `stop` resolves. Redis or PostgreSQL being down is logged and
/// retried; it never ends the loop.
pub async fn run(settings: Settings, store: Store, stop: impl Future<Output = ()>) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let timers = tokio::spawn(timers::run(
        store.clone(),
        settings.clock.clone(),
        settings.timer_interval,
        async move {
            let mut rx = stop_rx;
            let _ = rx.wait_for(|stop| *stop).await;
        },
    ));
    relay(&settings, &store, stop).await;
    let _ = stop_tx.send(true);
    let _ = timers.await;
}

/// The outbox relay, until `stop` resolves.
async fn relay(settings: &Settings, store: &Store, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let queue = loop {
        match Queue::connect(&settings.redis_url, &settings.redis_prefix).await {
            Ok(queue) => break queue,
            Err(e) => {
                tracing::warn!(error = %e, "redis unreachable; retrying");
                tokio::select! {
                    () = &mut stop => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    };
    tracing::info!("outbox relay running");
    loop {
        let relayed = match relay_once(store, &queue).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "outbox relay failed; retrying");
                0
            }
        };
        if relayed < BATCH as usize {
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(IDLE) => {}
            }
        }
    }
}

/// Publishes one batch; returns how many rows it relayed.
pub async fn relay_once(store: &Store, queue: &Queue) -> anyhow::Result<usize> {
    let mut tx = store.begin().await?;
    let rows = outbox::claim(&mut *tx, BATCH).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        queue
            .publish(
                &row.topic,
                &Envelope {
                    outbox_id: row.id,
                    version: row.version,
                    payload: row.payload.to_string(),
                },
            )
            .await?;
        ids.push(row.id);
    }
    outbox::mark_published(&mut *tx, &ids).await?;
    tx.commit().await?;
    tracing::debug!(count = ids.len(), "outbox relayed");
    Ok(ids.len())
}
