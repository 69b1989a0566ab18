//! Live notifications inside one server process: wake-ups fanned out to the app's
//! open notification streams.
//!
//! The worker that delivers a notification wakes its participant through Redis; the
//! server's subscriber (in `kompisd`) hands each wake-up to [`LiveNotifications::wake`],
//! and every stream of that participant in this process reads its inbox after the last
//! entry it sent. A wake-up carries nothing but "look": what is sent is always read from
//! PostgreSQL, so a lost or repeated wake-up can delay a notification, never lose or
//! repeat one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;

/// The open streams' wake-ups, by participant. Cheap to clone; clones share it.
#[derive(Debug, Clone)]
pub struct LiveNotifications {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// One counter per participant with an open stream; each wake-up bumps it.
    participants: Mutex<HashMap<Uuid, watch::Sender<u64>>>,
    /// Set when the server shuts down: every stream ends.
    closed: watch::Sender<bool>,
}

impl Default for LiveNotifications {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                participants: Mutex::new(HashMap::new()),
                closed: watch::channel(false).0,
            }),
        }
    }
}

impl LiveNotifications {
    fn participants(&self) -> MutexGuard<'_, HashMap<Uuid, watch::Sender<u64>>> {
        // The map stays consistent through a panic elsewhere: every change is one insert
        // or remove.
        self.inner
            .participants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wakes the streams of `participant` in this process, if any.
    pub fn wake(&self, participant: Uuid) {
        if let Some(sender) = self.participants().get(&participant) {
            sender.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// Wakes every stream: wake-ups may have been missed (the subscription to Redis
    /// was lost and is back).
    pub fn wake_all(&self) {
        for sender in self.participants().values() {
            sender.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// Ends every stream: the server is shutting down.
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
    }

    /// The wake-ups of `participant`, for one stream.
    pub fn subscribe(&self, participant: Uuid) -> Subscription {
        let wakeups = self
            .participants()
            .entry(participant)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        Subscription {
            hub: self.clone(),
            participant,
            wakeups,
            closed: self.inner.closed.subscribe(),
        }
    }

    /// How many participants have a stream open here (for tests and metrics).
    pub fn watched(&self) -> usize {
        self.participants().len()
    }
}

/// One stream's wake-ups.
#[derive(Debug)]
pub struct Subscription {
    hub: LiveNotifications,
    participant: Uuid,
    wakeups: watch::Receiver<u64>,
    closed: watch::Receiver<bool>,
}

/// Why [`Subscription::wait`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// A wake-up came, or `at_most` passed: look at the inbox.
    Look,
    /// The server is shutting down.
    Closed,
}

impl Subscription {
    /// Waits for a wake-up, at most `at_most` (a stream looks now and then even without
    /// one, in case one was lost).
    pub async fn wait(&mut self, at_most: Duration) -> Woken {
        if *self.closed.borrow() {
            return Woken::Closed;
        }
        tokio::select! {
            changed = self.wakeups.changed() => {
                if changed.is_err() {
                    return Woken::Closed;
                }
            }
            _ = self.closed.changed() => return Woken::Closed,
            () = tokio::time::sleep(at_most) => {}
        }
        Woken::Look
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut participants = self.hub.participants();
        // This subscription's receiver still counts: it is the last when the count is 1.
        if participants
            .get(&self.participant)
            .is_some_and(|s| s.receiver_count() <= 1)
        {
            participants.remove(&self.participant);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_up_reaches_only_that_participants_streams_and_closing_ends_them() {
        let hub = LiveNotifications::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut sa = hub.subscribe(a);
        let mut sb = hub.subscribe(b);
        hub.wake(a);
        assert_eq!(sa.wait(Duration::from_secs(5)).await, Woken::Look);
        // b was not woken: it waits out its (short) bound.
        let started = tokio::time::Instant::now();
        assert_eq!(sb.wait(Duration::from_millis(20)).await, Woken::Look);
        assert!(started.elapsed() >= Duration::from_millis(20));
        hub.close();
        assert_eq!(sa.wait(Duration::from_secs(5)).await, Woken::Closed);
    }

    #[test]
    fn a_participant_is_forgotten_when_their_last_stream_closes() {
        let hub = LiveNotifications::default();
        let p = Uuid::now_v7();
        let first = hub.subscribe(p);
        let second = hub.subscribe(p);
        assert_eq!(hub.watched(), 1);
        drop(first);
        assert_eq!(hub.watched(), 1);
        drop(second);
        assert_eq!(hub.watched(), 0);
    }
}
