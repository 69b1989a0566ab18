//! The cheapest call kompisd answers: the standard `grpc.health.v1.Health/Check` of
//! the whole server, served without a token, a database or Redis. Its rate is the
//! gRPC floor of this machine: the most calls of any kind a gRPC server here can
//! answer, set beside pgbench's primary-key read rate ([`floor`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use futures::future::BoxFuture;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use super::connection::Connections;
use super::{CeilingKind, Scenario};
use crate::cli::Args;

/// `Health/Check` for the server as a whole (the empty service name).
#[derive(Debug)]
pub struct Health {
    connections: Connections,
    timeout: Duration,
}

impl Health {
    /// Checks over `connections`, each with `--call-timeout-ms`.
    pub fn new(args: &Args, connections: Connections) -> Self {
        Self {
            connections,
            timeout: args.call_timeout(),
        }
    }
}

/// One check on `channel`; an answer other than SERVING is a failure.
async fn check(
    mut client: HealthClient<tonic::transport::Channel>,
    timeout: Duration,
) -> Result<(), tonic::Status> {
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: String::new(),
    });
    request.set_timeout(timeout);
    let answer = client.check(request).await?.into_inner();
    // 1 is SERVING in grpc.health.v1.
    if answer.status != 1 {
        return Err(tonic::Status::unavailable(format!(
            "not serving: status {}",
            answer.status
        )));
    }
    Ok(())
}

impl Scenario for Health {
    fn name(&self) -> &'static str {
        "health"
    }

    fn ceiling(&self) -> CeilingKind {
        CeilingKind::PrimaryKeyRead
    }

    fn call(&self, n: u64) -> BoxFuture<'static, Result<(), tonic::Status>> {
        let client = HealthClient::new(self.connections.channel(n));
        Box::pin(check(client, self.timeout))
    }
}

/// The gRPC floor: `Health/Check` calls answered per second by the server at
/// `--addr`, closed loop (like pgbench's ceilings), `--floor-in-flight` calls in
/// flight over `--connections` connections for `--ceiling-seconds`. A failed check
/// fails the measurement.
pub async fn floor(args: &Args) -> anyhow::Result<f64> {
    let connections = Connections::open(args).await?;
    let health = Arc::new(Health::new(args, connections));
    // A short warm-up (connections, the server's tasks), not counted.
    for n in 0..100 {
        health.call(n).await.context("the gRPC floor's warm-up check")?;
    }
    let answered = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = tokio::time::Instant::now();
    let mut workers = Vec::new();
    for w in 0..args.floor_in_flight {
        let (health, answered, stop) = (health.clone(), answered.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut n = w as u64;
            while !stop.load(Ordering::Relaxed) {
                health.call(n).await?;
                answered.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
            Ok::<(), tonic::Status>(())
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.ceiling_seconds)).await;
    let counted = answered.load(Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await?.context("a gRPC floor check failed")?;
    }
    Ok(counted as f64 / elapsed.max(f64::EPSILON))
}
