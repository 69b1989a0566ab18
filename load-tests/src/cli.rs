//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::scenarios::ScenarioKind;

/// The longest run or step the generator accepts, so that every run ends by itself.
const MAX_SECONDS: u64 = 600;

#[derive(Parser, Debug)]
#[command(about = "Open-loop load against a kompis server, with the machine's ceilings beside it")]
pub struct Args {
    /// Server address (a server on this machine).
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub addr: String,
    /// What to send.
    #[arg(long, value_enum, default_value_t = ScenarioKind::Intake)]
    pub scenario: ScenarioKind,
    /// Calls started per second (the arrival rate).
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// How long to measure, in seconds.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Seconds at the same rate before measuring (connections, caches, pools warm up).
    #[arg(long, default_value_t = 3)]
    pub warmup_seconds: u64,
    /// HTTP/2 connections the calls are spread over.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Calls in flight at most; past it new calls wait, and the wait counts as latency.
    #[arg(long, default_value_t = 4096)]
    pub max_in_flight: usize,
    /// Deadline of each call, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub call_timeout_ms: u64,

    /// Administrator token (reads); `kompisd token --role administrator`.
    #[arg(long, env = "KOMPIS_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Referrer token of `--organization` (CreateReferral).
    #[arg(long, env = "KOMPIS_REFERRER_TOKEN", hide_env_values = true)]
    pub referrer_token: Option<String>,
    /// Coordinator token of `--chapter` (CreateParticipant).
    #[arg(long, env = "KOMPIS_COORDINATOR_TOKEN", hide_env_values = true)]
    pub coordinator_token: Option<String>,
    /// Chapter slug the calls go to.
    #[arg(long, default_value = "botkyrka")]
    pub chapter: String,
    /// District (resource name) of the people registered.
    #[arg(long, default_value = "municipalities/botkyrka/districts/alby")]
    pub district: String,

    /// Step the rate up to the highest one sustained, then measure at 70% of it.
    #[arg(long)]
    pub find_max: bool,
    /// First rate of `--find-max`.
    #[arg(long, default_value_t = 100.0)]
    pub start_rate: f64,
    /// Each step of `--find-max` multiplies the rate by this.
    #[arg(long, default_value_t = 1.25)]
    pub step_factor: f64,
    /// Seconds of each `--find-max` step.
    #[arg(long, default_value_t = 10)]
    pub step_seconds: u64,
    /// A step is sustained only with p99 at or below this (milliseconds): past it the
    /// queue is growing, not serving.
    #[arg(long, default_value_t = 200.0)]
    pub sustain_p99_ms: f64,
    /// Share of the highest sustained rate that `--find-max` then measures at.
    #[arg(long, default_value_t = 0.7)]
    pub measure_share: f64,

    /// PostgreSQL scratch database for pgbench's ceilings (created and dropped by the
    /// caller); without it no PostgreSQL ceiling is measured.
    #[arg(long, env = "KOMPIS_LOAD_PGBENCH_URL", hide_env_values = true)]
    pub pgbench_url: Option<String>,
    /// Redis for redis-benchmark's XADD ceiling; without it none is measured.
    #[arg(long, env = "KOMPIS_LOAD_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Seconds of each ceiling measurement.
    #[arg(long, default_value_t = 10)]
    pub ceiling_seconds: u64,
    /// Client connections of pgbench and redis-benchmark.
    #[arg(long, default_value_t = 8)]
    pub ceiling_clients: u32,
    /// Health checks in flight while the gRPC floor is measured (closed loop, over
    /// `--connections` connections), for the app-reads, my-buddy and health scenarios
    /// when `--pgbench-url` is given (the floor is measured beside those ceilings).
    #[arg(long, default_value_t = 32)]
    pub floor_in_flight: usize,

    /// The server's own database: read (never written) by the fan-out scenario to see
    /// when every invitation is in an inbox; written by the suggestions scenario's
    /// setup, which seeds its pool there (a database made for the run only).
    #[arg(long, env = "KOMPIS_LOAD_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Participants the fan-out scenario registers and invites with one call.
    #[arg(long, default_value_t = 10_000)]
    pub fan_out: u64,
    /// The language (ISO 639) the fan-out's participants speak, which selects exactly
    /// them in the invitation's audience: one nobody else in the chapter speaks.
    #[arg(long, default_value = "kl")]
    pub fan_out_language: String,

    /// Accepted pairs the app-reads and my-buddy scenarios set up (twice as many people,
    /// each holding a notification stream open).
    #[arg(long, default_value_t = 100)]
    pub app_pairs: u64,
    /// Newcomers, and as many residents, approved for the round-under-load scenario.
    #[arg(long, default_value_t = 200)]
    pub round_pool: u64,
    /// The kompisd binary that signs app tokens (`kompisd token`) for the app scenarios.
    #[arg(long, default_value = "target/release/kompisd")]
    pub kompisd: PathBuf,
    /// Established residents the suggestions scenario seeds into `--chapter`.
    #[arg(long, default_value_t = 20_000)]
    pub suggestions_residents: u64,
    /// Newcomers the suggestions scenario seeds and asks suggestions for, in turn.
    #[arg(long, default_value_t = 200)]
    pub suggestions_newcomers: u64,

    /// Events the report scenario writes (over 2025, every chapter) before timing the
    /// follow-up report over them.
    #[arg(long, default_value_t = 1_000_000)]
    pub report_events: u64,
    /// Timed runs of each report (and of the plain SQL beside it).
    #[arg(long, default_value_t = 7)]
    pub report_runs: u32,
    /// Proposals the national-commit scenario stores as one round and commits at once.
    #[arg(long, default_value_t = 58_000)]
    pub commit_pairs: u64,

    /// Folder for the results (summary text, .hgrm, .png).
    #[arg(long, default_value = "load-tests/results")]
    pub out: PathBuf,
    /// Put before the result files' names, to keep repeated runs apart (`run1`, ...).
    #[arg(long)]
    pub tag: Option<String>,
    /// Exit 0 even when calls failed (the errors are still reported).
    #[arg(long)]
    pub allow_errors: bool,
}

impl Args {
    /// Refuses settings that would not end, or not measure anything.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.rate > 0.0 && self.start_rate > 0.0, "rates must be positive");
        anyhow::ensure!(self.step_factor > 1.0, "--step-factor must be above 1");
        anyhow::ensure!(
            self.measure_share > 0.0 && self.measure_share <= 1.0,
            "--measure-share is a share: above 0, at most 1"
        );
        for (flag, seconds) in [
            ("--seconds", self.seconds),
            ("--warmup-seconds", self.warmup_seconds),
            ("--step-seconds", self.step_seconds),
            ("--ceiling-seconds", self.ceiling_seconds),
        ] {
            anyhow::ensure!(seconds <= MAX_SECONDS, "{flag} is at most {MAX_SECONDS}");
        }
        anyhow::ensure!(
            self.seconds > 0 && self.step_seconds > 0,
            "runs need at least a second"
        );
        anyhow::ensure!(
            self.connections > 0 && self.max_in_flight > 0 && self.floor_in_flight > 0,
            "need a connection and a call in flight"
        );
        Ok(())
    }

    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.seconds)
    }

    pub fn warmup(&self) -> Duration {
        Duration::from_secs(self.warmup_seconds)
    }

    pub fn call_timeout(&self) -> Duration {
        Duration::from_millis(self.call_timeout_ms)
    }
}
