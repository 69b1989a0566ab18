//! Redis Streams for kompis: what the outbox relay publishes and the workers consume,
//! and the wake-ups of the app's live notification streams.
//!
//! Delivery is at least once. PostgreSQL is the record of what must be delivered and of
//! what was; Redis only moves it. A message carries its outbox id and a payload
//! version, so consumers can skip repeats and refuse payloads they do not understand.
//! Consumers acknowledge only after their own transaction committed ([`Consumer`]).
//!
//! Redis may lose everything (many deployments run it without persistence). The queue
//! keeps a random *incarnation* id in Redis ([`Queue::incarnation`]); a Redis that comes
//! back empty gets a new one, which tells the relay to publish again what PostgreSQL says
//! is not delivered, and consumers recreate their groups when Redis says they are gone.
//!
//! Every key starts with the configured prefix (`{prefix}:stream:{topic}`), so several
//! deployments, or several tests, share one Redis without seeing each other's keys.

#![deny(missing_docs)]

mod consume;
mod live;

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub use consume::Consumer;
pub use live::LiveSubscription;

/// How often a message may be delivered before it is given up as a dead letter.
pub const MAX_DELIVERIES: u64 = 5;

/// How many entries a stream of announcements (a topic nobody acknowledges) keeps,
/// roughly: its readers want recent changes, and nothing else trims it.
pub const ANNOUNCEMENTS_KEPT: u64 = 100_000;

/// What went wrong talking to Redis.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Redis refused or could not be reached.
    #[error("redis")]
    Redis(#[from] redis::RedisError),
}

/// A message as published: the outbox id, the payload version and the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The outbox row's id; consumers' idempotency key.
    pub outbox_id: i64,
    /// Payload schema version.
    pub version: i32,
    /// JSON payload.
    pub payload: String,
}

/// A message read from a consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The stream entry id, for [`Consumer::ack`].
    pub entry_id: String,
    /// The message, or `None` when its fields are malformed (a poison message).
    pub envelope: Option<Envelope>,
    /// How many times it has been delivered, this time included.
    pub deliveries: u64,
}

/// One message to publish and whether its topic is read by a consumer group (it is
/// then left whole until acknowledged; otherwise the stream is trimmed to about
/// [`ANNOUNCEMENTS_KEPT`] entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing<'a> {
    /// The stream topic.
    pub topic: &'a str,
    /// The message.
    pub envelope: Envelope,
    /// Whether a consumer group acknowledges it.
    pub consumed: bool,
}

/// A Redis connection that reconnects by itself, and the key prefix. Cheap to clone.
#[derive(Clone)]
pub struct Queue {
    conn: ConnectionManager,
    prefix: String,
    url: String,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Queue {
    /// Connects to `url`. The connection is re-established automatically after a
    /// failure, with exponential backoff; calls made while it is down fail fast.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, QueueError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(10)))
            .set_max_delay(Duration::from_secs(2))
            .set_number_of_retries(3);
        let conn = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
            url: url.to_owned(),
        })
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The stream key of `topic`.
    pub fn stream_key(&self, topic: &str) -> String {
        format!("{}:stream:{topic}", self.prefix)
    }

    /// The dead-letter stream key of `topic` (operators' view; PostgreSQL keeps the
    /// record).
    pub fn dead_letter_key(&self, topic: &str) -> String {
        format!("{}:dead:{topic}", self.prefix)
    }

    fn incarnation_key(&self) -> String {
        format!("{}:incarnation", self.prefix)
    }

    /// True when Redis answers PING.
    pub async fn ping(&self) -> bool {
        let mut conn = self.conn.clone();
        redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok()
    }

    /// The id of this Redis's incarnation: set (at random) by the first caller to find
    /// none, so it changes exactly when Redis has lost its data.
    pub async fn incarnation(&self) -> Result<String, QueueError> {
        let mut conn = self.conn.clone();
        let key = self.incarnation_key();
        let candidate = uuid::Uuid::new_v4().to_string();
        // SET NX GET: sets the candidate only if there is none, and answers the value
        // that was there (nil when the candidate was set), in one round trip.
        let existing: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(&candidate)
            .arg("NX")
            .arg("GET")
            .query_async(&mut conn)
            .await?;
        Ok(existing.unwrap_or(candidate))
    }

    /// Appends a message to `topic`'s stream and returns its entry id.
    pub async fn publish(&self, topic: &str, envelope: &Envelope) -> Result<String, QueueError> {
        let mut conn = self.conn.clone();
        let id: String = conn
            .xadd(
                self.stream_key(topic),
                "*",
                &[
                    ("outbox_id", envelope.outbox_id.to_string()),
                    ("version", envelope.version.to_string()),
                    ("payload", envelope.payload.clone()),
                ],
            )
            .await?;
        Ok(id)
    }

    /// Appends messages to their streams in one pipeline (one round trip), in order.
    pub async fn publish_batch(&self, messages: &[Outgoing<'_>]) -> Result<(), QueueError> {
        if messages.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for m in messages {
            let cmd = pipe.cmd("XADD").arg(self.stream_key(m.topic));
            if !m.consumed {
                cmd.arg("MAXLEN").arg("~").arg(ANNOUNCEMENTS_KEPT);
            }
            cmd.arg("*")
                .arg("outbox_id")
                .arg(m.envelope.outbox_id)
                .arg("version")
                .arg(m.envelope.version)
                .arg("payload")
                .arg(&m.envelope.payload)
                .ignore();
        }
        let mut conn = self.conn.clone();
        pipe.query_async::<()>(&mut conn).await?;
        Ok(())
    }

    /// Creates the consumer group `group` on `topic` (and the stream) if missing. A
    /// group created on a stream that already has entries reads them all (`0`), so a
    /// group recreated after Redis lost it misses nothing published since.
    pub async fn ensure_group(&self, topic: &str, group: &str) -> Result<(), QueueError> {
        let mut conn = self.conn.clone();
        let created: Result<(), redis::RedisError> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(self.stream_key(topic))
            .arg(group)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut conn)
            .await;
        match created {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => Ok(other?),
        }
    }

    /// Moves a message to `topic`'s dead-letter stream with `reason` (operators' view).
    pub async fn dead_letter(
        &self,
        topic: &str,
        group: &str,
        delivery: &Delivery,
        reason: &str,
    ) -> Result<(), QueueError> {
        let mut conn = self.conn.clone();
        let (outbox_id, version, payload) = match &delivery.envelope {
            Some(e) => (e.outbox_id.to_string(), e.version.to_string(), e.payload.clone()),
            None => (String::new(), String::new(), String::new()),
        };
        let _: String = conn
            .xadd_maxlen(
                self.dead_letter_key(topic),
                redis::streams::StreamMaxlen::Approx(10_000),
                "*",
                &[
                    ("entry_id", delivery.entry_id.clone()),
                    ("group", group.to_owned()),
                    ("reason", reason.to_owned()),
                    ("outbox_id", outbox_id),
                    ("version", version),
                    ("payload", payload),
                ],
            )
            .await?;
        Ok(())
    }

    /// Number of entries in a stream (for tests and operators).
    pub async fn len(&self, key: &str) -> Result<u64, QueueError> {
        let mut conn = self.conn.clone();
        Ok(conn.xlen(key).await?)
    }
}
