//! Redis Streams for kompis: what the outbox relay publishes and the worker consumes.
//!
//! Delivery is at least once. PostgreSQL's outbox is the record of what must be
//! delivered; Redis only moves it. A message carries its outbox id, which consumers use
//! to ignore repeats, and a payload version, so consumers can refuse payloads they do
//! not understand. Consumers acknowledge only after their own transaction committed;
//! a message that fails [`MAX_DELIVERIES`] times, or cannot be understood at all, moves to
//! the topic's dead-letter stream with the reason.
//!
//! Every key starts with the configured prefix (`{prefix}:stream:{topic}`), so several
//! deployments, or several tests, share one Redis without seeing each other's keys.

#![deny(missing_docs)]

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::streams::StreamReadReply;
use redis::{AsyncCommands, Value};

/// How often a message may be delivered before it goes to the dead-letter stream.
pub const MAX_DELIVERIES: u64 = 5;

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
    /// The stream entry id, for [`Queue::ack`].
    pub entry_id: String,
    /// The message, or `None` when its fields are malformed (a poison message).
    pub envelope: Option<Envelope>,
    /// How many times it has been delivered, this time included.
    pub deliveries: u64,
}

/// A Redis connection that reconnects by itself, and the key prefix. Cheap to clone.
#[derive(Clone)]
pub struct Queue {
    conn: ConnectionManager,
    prefix: String,
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
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_max_delay(Duration::from_secs(2))
            .set_number_of_retries(3);
        let conn = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
        })
    }

    /// The stream key of `topic`.
    pub fn stream_key(&self, topic: &str) -> String {
        format!("{}:stream:{topic}", self.prefix)
    }

    /// The dead-letter stream key of `topic`.
    pub fn dead_letter_key(&self, topic: &str) -> String {
        format!("{}:dead:{topic}", self.prefix)
    }

    /// True when Redis answers PING.
    pub async fn ping(&self) -> bool {
        let mut conn = self.conn.clone();
        redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok()
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

    /// Creates the consumer group `group` on `topic` (and the stream) if missing.
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

    /// Reads up to `count` messages for `consumer` in `group`: first messages that were
    /// delivered before but not acknowledged for at least `retry_after` (another
    /// consumer died, or processing failed), then new ones, waiting up to `block` for
    /// new ones when there are none.
    pub async fn read(
        &self,
        topic: &str,
        group: &str,
        consumer: &str,
        count: usize,
        retry_after: Duration,
        block: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        let mut conn = self.conn.clone();
        let key = self.stream_key(topic);
        // XAUTOCLAIM replies [next-cursor, [[id, [field, value, ...]], ...], [deleted ids]].
        let claimed: Value = redis::cmd("XAUTOCLAIM")
            .arg(&key)
            .arg(group)
            .arg(consumer)
            .arg(retry_after.as_millis() as u64)
            .arg("0-0")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut conn)
            .await?;
        let mut entries = parse_autoclaim(claimed);
        if entries.is_empty() {
            let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
                .arg("GROUP")
                .arg(group)
                .arg(consumer)
                .arg("COUNT")
                .arg(count)
                .arg("BLOCK")
                .arg(block.as_millis() as u64)
                .arg("STREAMS")
                .arg(&key)
                .arg(">")
                .query_async(&mut conn)
                .await?;
            for stream in reply.map(|r| r.keys).unwrap_or_default() {
                for entry in stream.ids {
                    let field = |name: &str| entry.get::<String>(name);
                    entries.push((
                        entry.id.clone(),
                        field("outbox_id"),
                        field("version"),
                        field("payload"),
                    ));
                }
            }
        }
        let mut deliveries = Vec::with_capacity(entries.len());
        for (entry_id, outbox_id, version, payload) in entries {
            let deliveries_so_far = self.delivery_count(&key, group, &entry_id).await?;
            let envelope = match (
                outbox_id.and_then(|s| s.parse().ok()),
                version.and_then(|s| s.parse().ok()),
                payload,
            ) {
                (Some(outbox_id), Some(version), Some(payload)) => Some(Envelope {
                    outbox_id,
                    version,
                    payload,
                }),
                _ => None,
            };
            deliveries.push(Delivery {
                entry_id,
                envelope,
                deliveries: deliveries_so_far.max(1),
            });
        }
        Ok(deliveries)
    }

    async fn delivery_count(&self, key: &str, group: &str, entry_id: &str) -> Result<u64, QueueError> {
        let mut conn = self.conn.clone();
        // XPENDING key group start end count -> [[id, consumer, idle-ms, deliveries]]
        let pending: Vec<(String, String, u64, u64)> = redis::cmd("XPENDING")
            .arg(key)
            .arg(group)
            .arg(entry_id)
            .arg(entry_id)
            .arg(1)
            .query_async(&mut conn)
            .await?;
        Ok(pending.first().map_or(1, |p| p.3))
    }

    /// Acknowledges a message: it was handled and its effects are committed.
    pub async fn ack(&self, topic: &str, group: &str, entry_id: &str) -> Result<(), QueueError> {
        let mut conn = self.conn.clone();
        let _: i64 = conn.xack(self.stream_key(topic), group, &[entry_id]).await?;
        Ok(())
    }

    /// Moves a message to `topic`'s dead-letter stream with `reason`, and acknowledges it.
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
            .xadd(
                self.dead_letter_key(topic),
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
        self.ack(topic, group, &delivery.entry_id).await
    }

    /// Number of entries in a stream (for tests and operators).
    pub async fn len(&self, key: &str) -> Result<u64, QueueError> {
        let mut conn = self.conn.clone();
        Ok(conn.xlen(key).await?)
    }
}

type RawEntry = (String, Option<String>, Option<String>, Option<String>);

fn parse_autoclaim(reply: Value) -> Vec<RawEntry> {
    let Value::Array(parts) = reply else {
        return Vec::new();
    };
    let Some(Value::Array(entries)) = parts.into_iter().nth(1) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries {
        let Value::Array(pair) = entry else { continue };
        let mut pair = pair.into_iter();
        let (Some(id), Some(Value::Array(fields))) = (pair.next(), pair.next()) else {
            continue;
        };
        let Ok(id) = redis::from_redis_value::<String>(id) else {
            continue;
        };
        let fields: Vec<String> = fields
            .into_iter()
            .filter_map(|f| redis::from_redis_value::<String>(f).ok())
            .collect();
        let get = |name: &str| {
            fields
                .chunks(2)
                .find(|kv| kv.len() == 2 && kv[0] == name)
                .map(|kv| kv[1].clone())
        };
        out.push((id, get("outbox_id"), get("version"), get("payload")));
    }
    out
}
