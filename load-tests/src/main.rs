//! `kompis-load`: a bounded load generator for a running kompis server.
//!
//! It opens one HTTP/2 channel per worker, issues one kind of call in a closed loop for
//! a fixed time (or a fixed number of calls, whichever ends first), and prints the
//! throughput and latency percentiles from an HDR histogram. It only ever targets the
//! address it is given; use it against a server on this machine.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::{GetChapterRequest, ListDistrictsRequest, ListMunicipalitiesRequest};
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Call {
    /// AdminService.ListDistricts over every municipality, 100 per page.
    ListDistricts,
    /// AdminService.ListMunicipalities.
    ListMunicipalities,
    /// AdminService.GetChapter for `--chapter`.
    GetChapter,
}

#[derive(Parser, Debug)]
#[command(about = "Closed-loop load against a kompis server")]
struct Args {
    /// Server address.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    addr: String,
    /// Bearer token (mint one with `kompisd token --role administrator`).
    #[arg(long, env = "KOMPIS_TOKEN")]
    token: String,
    /// Which call to make.
    #[arg(long, value_enum, default_value_t = Call::ListDistricts)]
    call: Call,
    /// Chapter for `get-chapter`.
    #[arg(long, default_value = "botkyrka")]
    chapter: String,
    /// Concurrent workers, each with its own connection.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// How long to run, in seconds (at most 600).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Stop after this many calls in total.
    #[arg(long, default_value_t = 1_000_000)]
    max_calls: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.seconds <= 600, "--seconds is at most 600");
    let bearer: MetadataValue<_> = format!("Bearer {}", args.token).parse().context("token")?;
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let per_worker = args.max_calls.div_ceil(args.concurrency as u64);
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let channel = Channel::from_shared(args.addr.clone())?
            .connect()
            .await
            .context("connect")?;
        let bearer = bearer.clone();
        let chapter = args.chapter.clone();
        let call = args.call;
        workers.push(tokio::spawn(async move {
            let mut client =
                AdminServiceClient::with_interceptor(channel, move |mut r: tonic::Request<()>| {
                    r.metadata_mut().insert("authorization", bearer.clone());
                    Ok(r)
                });
            let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
            let mut errors = 0u64;
            for _ in 0..per_worker {
                if Instant::now() >= deadline {
                    break;
                }
                let t = Instant::now();
                let ok = match call {
                    Call::ListDistricts => client
                        .list_districts(ListDistrictsRequest {
                            parent: "municipalities/-".into(),
                            page_size: 100,
                            page_token: String::new(),
                        })
                        .await
                        .is_ok(),
                    Call::ListMunicipalities => client
                        .list_municipalities(ListMunicipalitiesRequest::default())
                        .await
                        .is_ok(),
                    Call::GetChapter => client
                        .get_chapter(GetChapterRequest {
                            name: format!("chapters/{chapter}"),
                        })
                        .await
                        .is_ok(),
                };
                histogram.saturating_record(t.elapsed().as_micros() as u64);
                errors += u64::from(!ok);
            }
            (histogram, errors)
        }));
    }
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let mut errors = 0;
    for worker in workers {
        let (h, e) = worker.await?;
        total.add(h)?;
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "call: {:?}, concurrency: {}, duration: {elapsed:.1} s",
        args.call, args.concurrency
    );
    println!(
        "calls: {}, errors: {errors}, throughput: {:.0} calls/s",
        total.len(),
        total.len() as f64 / elapsed
    );
    println!(
        "latency µs: p50 {} p90 {} p99 {} p99.9 {} max {}",
        total.value_at_quantile(0.50),
        total.value_at_quantile(0.90),
        total.value_at_quantile(0.99),
        total.value_at_quantile(0.999),
        total.max()
    );
    anyhow::ensure!(errors == 0, "{errors} calls failed");
    Ok(())
}
