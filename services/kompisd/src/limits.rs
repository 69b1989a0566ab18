//! The per-identity rate limit, counted in Redis so that every replica shares it.
//!
//! A fixed window: one counter per identity and window (`{prefix}:rate:{identity}:{n}`,
//! `n` the window's number since the epoch), incremented and given an expiry in one
//! transaction. A call that finds the counter past the limit is refused until the
//! window ends. Identities are digests ([`kompis_grpc::auth::guard::identity_of`]), so
//! no account id is written to Redis.
//!
//! When Redis cannot be reached the call is let through (and a warning logged): the
//! limit protects the service from a runaway client, and refusing everyone while Redis
//! is down would be worse than not counting for a while.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kompis_grpc::auth::RateLimit;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

/// Counts calls per identity in Redis.
pub struct RedisRateLimit {
    url: String,
    prefix: String,
    limit: u32,
    window: Duration,
    conn: OnceCell<ConnectionManager>,
}

impl std::fmt::Debug for RedisRateLimit {
    // Hand-written: the URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateLimit")
            .field("limit", &self.limit)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl RedisRateLimit {
    /// `limit` calls per `window` for each identity, counted under `prefix` in the Redis
    /// at `url` (connected on first use).
    pub fn new(url: &str, prefix: &str, limit: u32, window: Duration) -> Self {
        Self {
            url: url.to_owned(),
            prefix: prefix.to_owned(),
            limit,
            window,
            conn: OnceCell::new(),
        }
    }

    async fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        self.conn
            .get_or_try_init(|| async {
                let client = redis::Client::open(self.url.as_str())?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_secs(1)))
                    .set_response_timeout(Some(Duration::from_secs(1)))
                    .set_number_of_retries(1);
                ConnectionManager::new_with_config(client, config).await
            })
            .await
            .cloned()
    }

    /// Counts one call; `Ok(Some(wait))` when it is over the limit.
    async fn count(&self, identity: &str) -> redis::RedisResult<Option<Duration>> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let window_ms = self.window.as_millis().max(1);
        let number = now.as_millis() / window_ms;
        let key = format!("{}:rate:{identity}:{number}", self.prefix);
        let mut conn = self.connection().await?;
        let (count,): (u64,) = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .pexpire(&key, i64::try_from(window_ms).unwrap_or(i64::MAX))
            .ignore()
            .query_async(&mut conn)
            .await?;
        if count <= u64::from(self.limit) {
            return Ok(None);
        }
        let ends = (number + 1) * window_ms;
        let wait = Duration::from_millis(u64::try_from(ends - now.as_millis()).unwrap_or(0));
        Ok(Some(wait.max(Duration::from_millis(1))))
    }
}

impl RateLimit for RedisRateLimit {
    fn check<'a>(
        &'a self,
        identity: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), Duration>> + Send + 'a>> {
        Box::pin(async move {
            match self.count(identity).await {
                Ok(None) => Ok(()),
                Ok(Some(wait)) => Err(wait),
                Err(e) => {
                    tracing::warn!(error = %e, "rate limit not counted: Redis unavailable");
                    Ok(())
                }
            }
        })
    }
}
