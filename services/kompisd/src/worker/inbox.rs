//! Consumers of the app's notifications: each stream entry names a delivery; the
//! consumer puts the notification into its participant's inbox (recording the
//! delivery and settling the outbox row in one transaction), then wakes the
//! participant's live streams, then acknowledges the entries.
//!
//! A batch is delivered in one transaction. When that fails, the entries are tried one
//! by one, so that one bad entry does not hold back the others; an entry that has
//! failed [`MAX_DELIVERIES`] times becomes a dead letter. A PostgreSQL that cannot be
//! reached fails nothing for good: the entries stay pending and are tried again.

use std::collections::BTreeSet;
use std::time::Duration;

use kompis_queue::{Consumer, Delivery, MAX_DELIVERIES, Queue};
use kompis_store::dead_letters::{self, Burial};
use kompis_store::notifications::{self, APP_TOPIC, Taken};
use kompis_store::{Store, StoreError};
use uuid::Uuid;

use super::{GROUP, IDLE, Stop};
use crate::settings::Settings;

/// Entries per batch.
const BATCH: usize = 200;
/// How long a read waits for new entries.
const BLOCK: Duration = Duration::from_millis(500);

/// Runs one consumer called `name` until `stop`.
pub async fn run(settings: Settings, store: Store, name: String, stop: Stop) {
    let Some(queue) = super::connect(&settings, &stop).await else {
        return;
    };
    let mut consumer = loop {
        match Consumer::new(queue.clone(), APP_TOPIC, GROUP, &name).await {
            Ok(c) => break c,
            Err(e) => {
                tracing::warn!(error = %e, "cannot join the notification consumer group; retrying");
                if !stop.sleep(Duration::from_secs(1)).await {
                    return;
                }
            }
        }
    };
    tracing::info!(consumer = %name, "notification consumer running");
    while !stop.requested() {
        let batch = tokio::select! {
            () = stop.wait() => return,
            batch = consumer.next_batch(BATCH, settings.reclaim_after, BLOCK) => batch,
        };
        match batch {
            Ok(batch) if batch.is_empty() => {}
            Ok(batch) => {
                // A batch in hand is finished even when a stop comes meanwhile.
                if let Err(e) = handle(&settings, &store, &queue, &consumer, batch).await {
                    tracing::warn!(error = %e, "notification delivery failed; the entries stay pending");
                    if !stop.sleep(IDLE).await {
                        return;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading notifications failed; retrying");
                if !stop.sleep(IDLE).await {
                    return;
                }
            }
        }
    }
}

/// One entry, understood.
struct Item {
    entry_id: String,
    taken: Taken,
    deliveries: u64,
}

/// Delivers a batch; returns an error only for what should be tried again as it is
/// (a dependency down).
pub async fn handle(
    settings: &Settings,
    store: &Store,
    queue: &Queue,
    consumer: &Consumer,
    batch: Vec<Delivery>,
) -> anyhow::Result<()> {
    let clock = &settings.clock;
    let mut items = Vec::with_capacity(batch.len());
    for delivery in batch {
        let taken = delivery.envelope.as_ref().and_then(|e| {
            notifications::delivery_of(e.version, &e.payload).map(|d| Taken {
                delivery: d,
                outbox_id: e.outbox_id,
            })
        });
        match taken {
            Some(taken) => items.push(Item {
                entry_id: delivery.entry_id,
                taken,
                deliveries: delivery.deliveries,
            }),
            // Nothing to retry: an entry this code cannot read never will be.
            None => bury_unreadable(store, queue, consumer, &delivery, clock.now()).await?,
        }
    }
    if items.is_empty() {
        return Ok(());
    }
    let taken: Vec<Taken> = items.iter().map(|i| i.taken).collect();
    match deliver(store, &taken, clock.now()).await {
        Ok((woken, skipped)) => {
            wake(queue, woken).await;
            let (later, done): (Vec<Item>, Vec<Item>) =
                items.into_iter().partition(|i| skipped.contains(&i.taken));
            let ids: Vec<String> = done.into_iter().map(|i| i.entry_id).collect();
            consumer.ack(&ids).await?;
            // A participant being erased: alone, the delivery waits for the erasure.
            for item in later {
                one_by_one(store, queue, consumer, item, clock.now()).await?;
            }
            Ok(())
        }
        Err(StoreError::Unavailable(e)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, entries = items.len(), "a batch failed; delivering one by one");
            for item in items {
                one_by_one(store, queue, consumer, item, clock.now()).await?;
            }
            Ok(())
        }
    }
}

/// Delivers in one transaction; returns the participants to wake and what was
/// skipped (see [`notifications::deliver_to_inbox`]).
async fn deliver(
    store: &Store,
    taken: &[Taken],
    now: time::OffsetDateTime,
) -> Result<(Vec<Uuid>, Vec<Taken>), StoreError> {
    let mut tx = store.begin().await?;
    let inboxed = notifications::deliver_to_inbox(&mut tx, taken, now).await?;
    tx.commit().await?;
    let participants: BTreeSet<Uuid> = inboxed.delivered.iter().map(|d| d.participant_id).collect();
    Ok((participants.into_iter().collect(), inboxed.skipped))
}

/// Wakes live streams. Best effort: a stream also looks by itself now and then.
async fn wake(queue: &Queue, participants: Vec<Uuid>) {
    if let Err(e) = queue.wake(&participants).await {
        tracing::debug!(error = %e, "waking live streams failed");
    }
}

async fn one_by_one(
    store: &Store,
    queue: &Queue,
    consumer: &Consumer,
    item: Item,
    now: time::OffsetDateTime,
) -> anyhow::Result<()> {
    match deliver(store, std::slice::from_ref(&item.taken), now).await {
        Ok((woken, skipped)) => {
            wake(queue, woken).await;
            // One participant's delivery waits rather than skips; were it skipped all
            // the same, it stays pending and is reclaimed.
            if skipped.is_empty() {
                consumer.ack(std::slice::from_ref(&item.entry_id)).await?;
            }
        }
        Err(StoreError::Unavailable(e)) => return Err(e.into()),
        Err(e) => {
            // The reason is ours (a database error's category), never a person's data.
            let reason = format!("delivery to the inbox failed: {e}");
            let attempts = notifications::record_failure(store.pool(), item.taken.delivery, &reason).await?;
            let tried = item.deliveries.max(u64::try_from(attempts).unwrap_or(0));
            if tried >= MAX_DELIVERIES {
                let mut tx = store.begin().await?;
                dead_letters::bury(
                    &mut tx,
                    &Burial {
                        topic: APP_TOPIC,
                        outbox_id: Some(item.taken.outbox_id),
                        delivery_id: Some(item.taken.delivery),
                        reason: &reason,
                        attempts: i32::try_from(tried).unwrap_or(i32::MAX),
                        entry: "",
                        at: now,
                    },
                )
                .await?;
                tx.commit().await?;
                consumer.ack(std::slice::from_ref(&item.entry_id)).await?;
                tracing::warn!(delivery = %item.taken.delivery, "notification given up as a dead letter");
            }
            // Otherwise it stays pending and is reclaimed after a while.
        }
    }
    Ok(())
}

/// Records an entry that cannot be read as a dead letter and acknowledges it.
pub async fn bury_unreadable(
    store: &Store,
    queue: &Queue,
    consumer: &Consumer,
    delivery: &Delivery,
    now: time::OffsetDateTime,
) -> anyhow::Result<()> {
    let (outbox_id, entry) = match &delivery.envelope {
        Some(e) => (
            Some(e.outbox_id),
            format!("version {} payload {}", e.version, e.payload),
        ),
        None => (None, format!("stream entry {}", delivery.entry_id)),
    };
    let mut tx = store.begin().await?;
    dead_letters::bury(
        &mut tx,
        &Burial {
            topic: consumer.topic(),
            outbox_id,
            delivery_id: None,
            reason: "unreadable entry",
            attempts: i32::try_from(delivery.deliveries).unwrap_or(i32::MAX),
            entry: &entry,
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    let _ = queue
        .dead_letter(consumer.topic(), GROUP, delivery, "unreadable entry")
        .await;
    consumer.ack(std::slice::from_ref(&delivery.entry_id)).await?;
    tracing::warn!(entry = %delivery.entry_id, "unreadable stream entry kept as a dead letter");
    Ok(())
}
