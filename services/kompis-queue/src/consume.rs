//! A member of a consumer group: reads new entries, reclaims those other members left
//! pending, acknowledges what it has committed.

use std::time::Duration;

use redis::Value;
use redis::streams::StreamReadReply;

use crate::{Delivery, Envelope, Queue, QueueError};

/// One consumer (`name`) of a group on a topic. It keeps the cursor of its reclaiming
/// scan, so that each [`Consumer::next_batch`] continues the scan of the pending list
/// where the last one stopped instead of starting over.
#[derive(Debug)]
pub struct Consumer {
    queue: Queue,
    topic: String,
    group: String,
    name: String,
    key: String,
    /// Where the next XAUTOCLAIM starts; `0-0` after a full pass.
    cursor: String,
}

/// Whether an error says the stream or the group is gone (Redis lost them).
fn no_group(e: &redis::RedisError) -> bool {
    e.code() == Some("NOGROUP")
}

impl Consumer {
    /// A consumer called `name` of `group` on `topic`. The group is created when
    /// missing, now and whenever Redis says it is gone.
    pub async fn new(queue: Queue, topic: &str, group: &str, name: &str) -> Result<Self, QueueError> {
        queue.ensure_group(topic, group).await?;
        Ok(Self {
            key: queue.stream_key(topic),
            queue,
            topic: topic.to_owned(),
            group: group.to_owned(),
            name: name.to_owned(),
            cursor: "0-0".to_owned(),
        })
    }

    /// The consumer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The topic it reads.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Up to `count` entries: first those pending for at least `reclaim_after` in the
    /// group (a member died, or an attempt failed), continuing the reclaiming scan from
    /// its cursor; when there are none, new entries, waiting up to `block` for some.
    /// Each comes with its delivery count.
    pub async fn next_batch(
        &mut self,
        count: usize,
        reclaim_after: Duration,
        block: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        match self.read(count, reclaim_after, block).await {
            Err(QueueError::Redis(e)) if no_group(&e) => {
                tracing::warn!(topic = %self.topic, "consumer group gone (Redis lost it?); recreating");
                self.queue.ensure_group(&self.topic, &self.group).await?;
                self.cursor = "0-0".to_owned();
                Ok(Vec::new())
            }
            other => other,
        }
    }

    async fn read(
        &mut self,
        count: usize,
        reclaim_after: Duration,
        block: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        let claimed = self.reclaim(count, reclaim_after).await?;
        if !claimed.is_empty() {
            return Ok(claimed);
        }
        let mut conn = self.queue.conn.clone();
        let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&self.group)
            .arg(&self.name)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(block.as_millis() as u64)
            .arg("STREAMS")
            .arg(&self.key)
            .arg(">")
            .query_async(&mut conn)
            .await?;
        let mut out = Vec::new();
        for stream in reply.map(|r| r.keys).unwrap_or_default() {
            for entry in stream.ids {
                let field = |name: &str| entry.get::<String>(name);
                out.push(Delivery {
                    envelope: envelope(field("outbox_id"), field("version"), field("payload")),
                    entry_id: entry.id,
                    deliveries: 1,
                });
            }
        }
        Ok(out)
    }

    /// XAUTOCLAIM from the cursor, then one XPENDING for the delivery counts of what was
    /// claimed.
    async fn reclaim(&mut self, count: usize, min_idle: Duration) -> Result<Vec<Delivery>, QueueError> {
        let mut conn = self.queue.conn.clone();
        // Reply: [next-cursor, [[id, [field, value, ...]], ...], [deleted ids]].
        let reply: Value = redis::cmd("XAUTOCLAIM")
            .arg(&self.key)
            .arg(&self.group)
            .arg(&self.name)
            .arg(min_idle.as_millis() as u64)
            .arg(&self.cursor)
            .arg("COUNT")
            .arg(count)
            .query_async(&mut conn)
            .await?;
        let (cursor, entries) = parse_autoclaim(reply);
        if let Some(cursor) = cursor {
            self.cursor = cursor;
        }
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        // Extended XPENDING for this consumer over the claimed range:
        // [[id, consumer, idle-ms, deliveries], ...].
        let first = entries.first().map(|e| e.0.clone()).unwrap_or_default();
        let last = entries.last().map(|e| e.0.clone()).unwrap_or_default();
        let pending: Vec<(String, String, u64, u64)> = redis::cmd("XPENDING")
            .arg(&self.key)
            .arg(&self.group)
            .arg(&first)
            .arg(&last)
            .arg(entries.len())
            .arg(&self.name)
            .query_async(&mut conn)
            .await?;
        let counts: std::collections::HashMap<String, u64> =
            pending.into_iter().map(|(id, _, _, n)| (id, n)).collect();
        Ok(entries
            .into_iter()
            .map(|(entry_id, outbox_id, version, payload)| Delivery {
                deliveries: counts.get(&entry_id).copied().unwrap_or(1).max(1),
                envelope: envelope(outbox_id, version, payload),
                entry_id,
            })
            .collect())
    }

    /// Acknowledges entries whose effects are committed, and deletes them from the
    /// stream (nothing reads an acknowledged entry again), in one round trip.
    pub async fn ack(&self, entry_ids: &[String]) -> Result<(), QueueError> {
        if entry_ids.is_empty() {
            return Ok(());
        }
        let mut conn = self.queue.conn.clone();
        redis::pipe()
            .cmd("XACK")
            .arg(&self.key)
            .arg(&self.group)
            .arg(entry_ids)
            .ignore()
            .cmd("XDEL")
            .arg(&self.key)
            .arg(entry_ids)
            .ignore()
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }
}

fn envelope(outbox_id: Option<String>, version: Option<String>, payload: Option<String>) -> Option<Envelope> {
    Some(Envelope {
        outbox_id: outbox_id?.parse().ok()?,
        version: version?.parse().ok()?,
        payload: payload?,
    })
}

type RawEntry = (String, Option<String>, Option<String>, Option<String>);

fn parse_autoclaim(reply: Value) -> (Option<String>, Vec<RawEntry>) {
    let Value::Array(parts) = reply else {
        return (None, Vec::new());
    };
    let mut parts = parts.into_iter();
    let cursor = parts
        .next()
        .and_then(|c| redis::from_redis_value::<String>(c).ok());
    let Some(Value::Array(entries)) = parts.next() else {
        return (cursor, Vec::new());
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
    (cursor, out)
}
