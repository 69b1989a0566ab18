//! The HTTP/2 connections a scenario spreads its calls over.

use std::time::Duration;

use anyhow::Context as _;
use tonic::transport::{Channel, Endpoint};

use crate::cli::Args;
use crate::token::Bearer;

/// A fixed set of connections, chosen round-robin by call number, and each call's
/// deadline. One connection carries many concurrent calls; several let the server's
/// per-connection limits and tasks spread over its cores as real clients would.
#[derive(Clone, Debug)]
pub struct Connections {
    channels: Vec<Channel>,
    timeout: Duration,
}

impl Connections {
    /// Connects `args.connections` times to `args.addr`.
    pub async fn open(args: &Args) -> anyhow::Result<Self> {
        let endpoint = Endpoint::from_shared(args.addr.clone())
            .with_context(|| format!("--addr {:?}", args.addr))?
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(5));
        let mut channels = Vec::with_capacity(args.connections);
        for _ in 0..args.connections {
            channels.push(
                endpoint
                    .connect()
                    .await
                    .with_context(|| format!("connecting to {}", args.addr))?,
            );
        }
        Ok(Self {
            channels,
            timeout: args.call_timeout(),
        })
    }

    /// The connection for call `n`.
    pub fn channel(&self, n: u64) -> Channel {
        self.channels[(n % self.channels.len() as u64) as usize].clone()
    }

    /// `message` as a request from `bearer`, with the call deadline.
    pub fn request<T>(&self, bearer: &Bearer, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", bearer.header.clone());
        request.set_timeout(self.timeout);
        request
    }
}

/// The bearer from `token`, or an error naming the flag that is missing.
pub fn bearer(token: Option<&String>, flag: &str) -> anyhow::Result<Bearer> {
    Bearer::parse(token.with_context(|| format!("this scenario needs {flag}"))?)
        .with_context(|| flag.to_owned())
}
