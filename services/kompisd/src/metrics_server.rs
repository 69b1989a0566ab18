//! Prometheus metrics on their own port.
//!
//! The recorder is process-global (the `metrics` facade allows one), installed on first
//! use. The endpoint is a minimal HTTP/1.1 responder: every request gets the current
//! exposition, whatever its path, which is all a scraper needs and keeps an HTTP server
//! framework out of the dependency tree.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Latency buckets in seconds, from 1 ms to 10 s.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's Prometheus handle, installing the recorder the first time.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .expect("the bucket list is not empty")
                .install_recorder()
                .expect("no other metrics recorder is installed in this process")
        })
        .clone()
}

/// Serves the exposition on `listener` until `shutdown` resolves.
pub async fn serve(listener: TcpListener, shutdown: impl std::future::Future<Output = ()>) {
    let handle = handle();
    tokio::pin!(shutdown);
    loop {
        let (mut socket, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics listener accept failed");
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            // Read (and ignore) the request head; answer once it has arrived.
            let mut buf = [0u8; 2048];
            let _ = socket.read(&mut buf).await;
            handle.run_upkeep();
            let body = handle.render();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(body.as_bytes()).await;
            let _ = socket.shutdown().await;
        });
    }
}
