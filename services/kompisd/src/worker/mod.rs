//! The worker role: everything that happens after a request has committed.
//!
//! - [`relay`]: publishes the outbox from PostgreSQL to Redis Streams, and publishes
//!   again what Redis lost.
//! - [`inbox`]: a pool of consumers delivering notifications to the participants' app
//!   inboxes and waking their live streams.
//! - [`email`]: consumers sending notifications by e-mail, when SMTP is configured.
//! - [`timers`]: durable timers, fired by the application clock.
//! - [`rounds`]: the dry runs of matching rounds, computed in the background.
//!
//! Delivery is at least once from PostgreSQL's outbox to the consumers, and exactly
//! once into an inbox: a consumer records the delivery in PostgreSQL and only then
//! acknowledges the stream entry, and a repeat finds the delivery already recorded. An
//! entry that keeps failing becomes a dead letter in PostgreSQL.
//!
//! Each part runs its own loop; Redis or PostgreSQL being down is logged and retried,
//! never the end of the worker.

use std::future::Future;
use std::time::Duration;

use kompis_queue::Queue;
use kompis_store::Store;
use tokio::sync::watch;

use crate::settings::Settings;

pub mod email;
pub mod inbox;
pub mod relay;
pub mod rounds;
pub mod timers;

/// The consumer group every delivery topic is read by.
pub const GROUP: &str = "delivery";

/// Pause when there is nothing to do or a dependency is down.
const IDLE: Duration = Duration::from_millis(250);

/// A stop signal shared by the worker's parts.
#[derive(Debug, Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    /// Resolves when the worker is asked to stop.
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|stop| *stop).await;
    }

    /// Whether the worker was asked to stop.
    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Sleeps for `duration`; false when a stop came first.
    pub async fn sleep(&self, duration: Duration) -> bool {
        tokio::select! {
            () = self.wait() => false,
            () = tokio::time::sleep(duration) => true,
        }
    }
}

/// Connects to Redis, retrying until it answers or a stop comes.
pub async fn connect(settings: &Settings, stop: &Stop) -> Option<Queue> {
    loop {
        match Queue::connect(&settings.redis_url, &settings.redis_prefix).await {
            Ok(queue) => return Some(queue),
            Err(e) => {
                tracing::warn!(error = %e, "redis unreachable; retrying");
                if !stop.sleep(Duration::from_secs(1)).await {
                    return None;
                }
            }
        }
    }
}

/// A consumer name unique to this process: the host, the process and a random part
/// (a restarted process is a new consumer; what the old one left pending is reclaimed).
pub fn consumer_name(role: &str, n: usize) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "kompisd".into());
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{role}{n}-{}", std::process::id(), &nonce[..8])
}

/// Runs every part of the worker until `stop` resolves, then waits for each to finish
/// what it is doing.
pub async fn run(settings: Settings, store: Store, stop: impl Future<Output = ()>) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopper = Stop(stop_rx);
    let mut tasks = vec![
        tokio::spawn(timers::run(
            store.clone(),
            settings.clock.clone(),
            settings.timer_interval,
            {
                let stop = stopper.clone();
                async move { stop.wait().await }
            },
        )),
        tokio::spawn(relay::run(settings.clone(), store.clone(), stopper.clone())),
        tokio::spawn(rounds::run(
            store.clone(),
            settings.clock.clone(),
            settings.timer_interval,
            stopper.clone(),
        )),
    ];
    let rules = settings.retention();
    if !rules.is_empty() {
        tasks.push(tokio::spawn(retention(
            store.clone(),
            settings.clock.clone(),
            settings.timer_interval,
            rules,
            stopper.clone(),
        )));
    }
    for n in 0..settings.delivery_workers {
        tasks.push(tokio::spawn(inbox::run(
            settings.clone(),
            store.clone(),
            consumer_name("inbox", n),
            stopper.clone(),
        )));
    }
    if settings.smtp_url.is_some() {
        for n in 0..settings.email_workers {
            tasks.push(tokio::spawn(email::run(
                settings.clone(),
                store.clone(),
                consumer_name("email", n),
                stopper.clone(),
            )));
        }
    }
    stop.await;
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
}

/// Sweeps the inactive people of each group with a rule
/// ([`kompis_store::retention::sweep`]) every `interval`, by the application clock,
/// until stopped.
async fn retention(
    store: Store,
    clock: kompis_domain::Clock,
    interval: Duration,
    rules: Vec<(kompis_store::retention::Group, kompis_store::retention::Retention)>,
    stop: Stop,
) {
    loop {
        for (group, rule) in &rules {
            match kompis_store::retention::sweep(&store, *group, *rule, clock.now()).await {
                Ok(swept) if swept.warned + swept.erased > 0 => {
                    tracing::info!(group = ?group, warned = swept.warned, erased = swept.erased, "retention swept");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention sweep failed; retrying"),
            }
        }
        if !stop.sleep(interval).await {
            return;
        }
    }
}
