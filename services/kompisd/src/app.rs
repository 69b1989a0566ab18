//! The composition root: builds the store, the queue and every gRPC service from
//! [`Settings`], binds the listeners and runs until a shutdown future resolves.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use kompis_grpc::{Authenticator, Kit};
use kompis_store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::console::ConsoleLayer;
use crate::layers::{KnownMethods, ObserveLayer};
use crate::limits::RedisRateLimit;
use crate::settings::Settings;
use crate::{live, metrics_server, services, worker};

/// A built application: listeners bound, store ready, not yet serving.
#[derive(Debug)]
pub struct Application {
    settings: Settings,
    store: Store,
    grpc: TcpListener,
    metrics: Option<TcpListener>,
}

impl Application {
    /// Connects to PostgreSQL (lazily), runs migrations and the demo data load when
    /// configured, and binds the gRPC and metrics listeners.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = Store::connect_lazy(&settings.database_url, settings.database_max_connections)
            .context("DATABASE_URL is not a valid PostgreSQL URL")?;
        if settings.migrate {
            store.migrate().await.context("running migrations")?;
        }
        if settings.demo_data {
            crate::demo::load(&store).await.context("loading the demo data")?;
        }
        let grpc = TcpListener::bind(settings.grpc_addr)
            .await
            .with_context(|| format!("binding the gRPC address {}", settings.grpc_addr))?;
        let metrics = match settings.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding the metrics address {addr}"))?,
            ),
            None => None,
        };
        Ok(Self {
            settings,
            store,
            grpc,
            metrics,
        })
    }

    /// The address the gRPC server listens on (its port is real even when 0 was asked).
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc.local_addr().expect("a bound listener has an address")
    }

    /// The address of the metrics endpoint, if enabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The store the application uses.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves until `shutdown` resolves, then reports NOT_SERVING, stops accepting,
    /// lets in-flight calls finish for up to the configured grace period, and returns.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Application {
            settings,
            store,
            grpc,
            metrics,
        } = self;
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };

        let mut auth = Authenticator::new(settings.jwt_secret.as_bytes());
        if let Some(provider) = &settings.identity_provider {
            auth = auth.with_identity_provider(kompis_grpc::auth::Jwks::new(provider.clone()));
        }
        let limit = (settings.rate_limit > 0).then(|| {
            Arc::new(RedisRateLimit::new(
                &settings.redis_url,
                &settings.redis_prefix,
                settings.rate_limit,
                settings.rate_limit_window,
            )) as Arc<dyn kompis_grpc::auth::RateLimit>
        });
        kompis_grpc::kit::page::set_signing_key(settings.jwt_secret.as_bytes());
        let kit = Kit::new(store.clone(), settings.clock.clone());
        let registry = services::register(&kit, &services::Gate { auth, limit }, settings.max_request_bytes);
        // Health reports every registered service by name; the empty name stands for
        // the whole server.
        let served: Vec<&'static str> = std::iter::once("")
            .chain(registry.names().iter().copied())
            .collect();

        let (reporter, health_service) = tonic_health::server::health_reporter();
        // Every service is known to health from the start, NOT_SERVING until the
        // database has answered once.
        for name in &served {
            reporter
                .set_service_status(*name, ServingStatus::NotServing)
                .await;
        }
        let (health_stop_tx, mut health_stop_rx) = watch::channel(false);
        let health_task = tokio::spawn(watch_database(
            reporter.clone(),
            served.clone(),
            store.clone(),
            settings.health_interval,
            async move {
                let _ = health_stop_rx.wait_for(|stop| *stop).await;
            },
        ));
        if let Some(listener) = metrics {
            tokio::spawn(metrics_server::serve(listener, stopped()));
        } else {
            // Still install the recorder, so the layer's metrics have somewhere to go.
            metrics_server::handle();
        }
        let worker_task = settings
            .run_worker
            .then(|| tokio::spawn(worker::run(settings.clone(), store.clone(), stopped())));
        let live_task = tokio::spawn(live::forward(settings.clone(), kit.live().clone(), stopped()));

        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(kompis_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(kompis_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;

        let mut routes = registry.routes();
        routes
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);
        // The console answers only plain HTTP GETs (and the development sign-in), outside
        // the gRPC layers, so that it is neither traced nor counted as an RPC.
        let console = ConsoleLayer::new(
            settings.console_dir.clone(),
            (settings.environment == "development").then_some(settings.jwt_secret.as_bytes()),
        )
        .with_oidc(settings.oidc.as_ref());
        let router = Server::builder()
            .accept_http1(true)
            .timeout(settings.request_timeout)
            .concurrency_limit_per_connection(settings.concurrency_limit)
            .http2_max_header_list_size(crate::layers::MAX_HEADER_LIST_BYTES)
            .layer(console)
            .layer(ObserveLayer::new(known_methods()?))
            .layer(tonic_web::GrpcWebLayer::new())
            .add_routes(routes.routes());

        let addr = grpc.local_addr()?;
        tracing::info!(%addr, "kompis gRPC server listening");
        let serve_stop = stopped();
        let mut server = tokio::spawn(
            router.serve_with_incoming_shutdown(
                // Small responses must not wait for delayed ACKs (Nagle): no delay, and
                // keepalive so dead peers are noticed.
                TcpIncoming::from(grpc)
                    .with_nodelay(Some(true))
                    .with_keepalive(Some(Duration::from_secs(60))),
                serve_stop,
            ),
        );

        shutdown.await;
        tracing::info!("shutdown requested: draining");
        // Tell load balancers first (after the database watch can no longer overwrite
        // it), then stop accepting and drain.
        let _ = health_stop_tx.send(true);
        let _ = health_task.await;
        for name in &served {
            reporter
                .set_service_status(*name, ServingStatus::NotServing)
                .await;
        }
        // Notification streams would outlive every grace period: end them now, with
        // UNAVAILABLE, so that the apps reconnect to another replica.
        kit.live().close();
        let _ = stop_tx.send(true);
        match tokio::time::timeout(settings.shutdown_grace, &mut server).await {
            Ok(joined) => joined??,
            Err(_) => {
                // Long-lived streams (health watches, notifications) would hold the
                // server open for ever: cut what is left after the grace period.
                tracing::warn!("in-flight calls did not finish within the grace period");
                server.abort();
            }
        }
        if let Some(task) = worker_task {
            let _ = tokio::time::timeout(settings.shutdown_grace, task).await;
        }
        let _ = live_task.await;
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// How long the health probe waits for PostgreSQL before it counts it as down.
///
/// With the default interval (250 ms) health turns NOT_SERVING at most about 0.75 s after
/// PostgreSQL stops answering, and SERVING about 0.25 s after it answers again: soon
/// enough for a load balancer's readiness probe to act on, within about a second either
/// way. A database slower than this for a plain `SELECT 1` is reported as down too: a
/// replica whose every call would wait that long is better taken out of rotation.
const HEALTH_PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// Reports SERVING while PostgreSQL answers and NOT_SERVING while it does not, checking
/// every `interval` on a connection of its own, until `stop` resolves.
/// The methods served: every `kompis.v1` RPC, health and both reflection versions.
fn known_methods() -> anyhow::Result<KnownMethods> {
    Ok(KnownMethods::from_descriptor_sets(&[
        kompis_proto::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
    ])?
    .with(&[
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ]))
}

async fn watch_database(
    reporter: HealthReporter,
    served: Vec<&'static str>,
    store: Store,
    interval: Duration,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut last = None;
    let mut probe = store.health_probe(HEALTH_PROBE_TIMEOUT);
    loop {
        let up = probe.check().await;
        if last != Some(up) {
            let status = if up {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            if up {
                tracing::info!("database reachable: serving");
            } else {
                tracing::warn!("database unreachable: not serving");
            }
            tokio::select! {
                () = &mut stop => return,
                () = async {
                    for name in &served {
                        reporter.set_service_status(*name, status).await;
                    }
                } => {}
            }
            last = Some(up);
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}
