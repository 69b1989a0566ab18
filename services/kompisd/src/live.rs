//! The server's side of live notifications: wake-ups from Redis handed to the streams
//! open in this process ([`kompis_grpc::live::LiveNotifications`]).

use std::future::Future;
use std::time::Duration;

use kompis_grpc::live::LiveNotifications;
use kompis_queue::Queue;

use crate::settings::Settings;

/// Forwards every wake-up to `live` until `stop` resolves. After a lost subscription it
/// subscribes again and wakes every stream, since wake-ups may have been missed
/// meanwhile.
pub async fn forward(settings: Settings, live: LiveNotifications, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        let subscribed = async {
            let queue = Queue::connect(&settings.redis_url, &settings.redis_prefix).await?;
            queue.subscribe_live().await
        };
        let mut subscription = tokio::select! {
            () = &mut stop => return,
            s = subscribed => match s {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot subscribe to live notifications; retrying");
                    tokio::select! {
                        () = &mut stop => return,
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            },
        };
        live.wake_all();
        loop {
            tokio::select! {
                () = &mut stop => return,
                woken = subscription.next() => match woken {
                    Some(participant) => live.wake(participant),
                    None => {
                        tracing::warn!("live notification subscription lost; subscribing again");
                        break;
                    }
                },
            }
        }
    }
}
