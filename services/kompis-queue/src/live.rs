//! Wake-ups of the app's live notification streams, over Redis pub/sub.
//!
//! A wake-up only says "participant P has something new": the stream then reads its
//! inbox in PostgreSQL after the last entry it sent. So a lost wake-up delays a
//! notification (until the next wake-up or the stream's own periodic look), and never
//! loses or repeats one.

use futures::StreamExt;
use redis::aio::PubSubStream;
use uuid::Uuid;

use crate::{Queue, QueueError};

impl Queue {
    fn live_channel(&self, participant: Uuid) -> String {
        format!("{}:live:{participant}", self.prefix)
    }

    /// Wakes the live streams of `participants` (one PUBLISH each, in one round trip).
    pub async fn wake(&self, participants: &[Uuid]) -> Result<(), QueueError> {
        if participants.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for p in participants {
            pipe.cmd("PUBLISH").arg(self.live_channel(*p)).arg("1").ignore();
        }
        let mut conn = self.conn.clone();
        pipe.query_async::<()>(&mut conn).await?;
        Ok(())
    }

    /// Subscribes to every participant's wake-ups, on a connection of its own.
    pub async fn subscribe_live(&self) -> Result<LiveSubscription, QueueError> {
        let client = redis::Client::open(self.url.as_str())?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.psubscribe(format!("{}:live:*", self.prefix)).await?;
        Ok(LiveSubscription {
            prefix: format!("{}:live:", self.prefix),
            messages: pubsub.into_on_message(),
        })
    }
}

/// Every participant's wake-ups.
pub struct LiveSubscription {
    prefix: String,
    messages: PubSubStream,
}

impl std::fmt::Debug for LiveSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSubscription")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl LiveSubscription {
    /// The next participant woken; `None` when the connection is lost (subscribe
    /// again).
    pub async fn next(&mut self) -> Option<Uuid> {
        loop {
            let message = self.messages.next().await?;
            if let Some(id) = message
                .get_channel_name()
                .strip_prefix(&self.prefix)
                .and_then(|id| Uuid::parse_str(id).ok())
            {
                return Some(id);
            }
        }
    }
}
