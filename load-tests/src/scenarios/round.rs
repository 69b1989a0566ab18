//! A matching round while the API is under load: the intake burst runs open loop at
//! `--rate` for `--seconds`, and a coordinator starts `RunMatchingRound` for the chapter
//! after the warm-up and polls `GetMatchingRound` until the round's dry run is done.
//!
//! Setup (not timed): `--round-pool` newcomers and as many residents, approved at an
//! interview through the API, so the round has people to pair. It reports the round's
//! time from the call to the poll that saw it done (poll interval 100 ms, an upper
//! bound by at most that), the round's figures, and the intake's latency over the
//! measured window, which holds the round (the report says when the round ran in it;
//! a round longer than the window is reported as not inside it).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::future::BoxFuture;
use kompis_proto::v1::matching_service_client::MatchingServiceClient;
use kompis_proto::v1::*;

use super::connection::{Connections, bearer};
use super::people::{Setup, retried};
use super::{CeilingKind, Scenario};
use crate::ceilings::Ceilings;
use crate::cli::Args;
use crate::open_loop::{self, Plan};
use crate::report::Report;

/// How often the round is polled.
const POLL: Duration = Duration::from_millis(100);
/// The longest a round may take before the run fails.
const DEADLINE: Duration = Duration::from_secs(600);

/// The load beside the round, under this scenario's name so that its files are its own.
struct UnderLoad(Box<dyn Scenario>);

impl Scenario for UnderLoad {
    fn name(&self) -> &'static str {
        "round-under-load"
    }

    fn ceiling(&self) -> CeilingKind {
        self.0.ceiling()
    }

    fn call(&self, n: u64) -> BoxFuture<'static, Result<(), tonic::Status>> {
        self.0.call(n)
    }
}

/// What the round did.
struct Timed {
    /// From the start of the run (warm-up included) to RunMatchingRound.
    started_after: Duration,
    /// From RunMatchingRound to the poll that saw it done.
    took: Duration,
    round: MatchingRound,
}

/// Runs the round under the intake load; returns the load's report and the round's text.
pub async fn run(args: &Args, ceilings: &Ceilings) -> anyhow::Result<(Report, String)> {
    let connections = Connections::open(args).await?;
    let setup = Setup {
        connections: connections.clone(),
        coordinator: bearer(args.coordinator_token.as_ref(), "--coordinator-token")?,
        chapter: format!("chapters/{}", args.chapter),
        district: args.district.clone(),
        run: u64::from(uuid::Uuid::new_v4().as_fields().0),
    };
    let started = Instant::now();
    eprintln!(
        "round-under-load: approving {0} newcomers and {0} residents",
        args.round_pool
    );
    setup.ready_people(args.round_pool, 2).await?;
    eprintln!(
        "round-under-load: pool ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let load: Arc<dyn Scenario> = Arc::new(UnderLoad(super::intake_for(args, connections.clone())?));
    let plan = Plan {
        rate: args.rate,
        duration: args.duration(),
        warmup: args.warmup(),
        max_in_flight: args.max_in_flight,
    };
    let start = Instant::now();
    let round = async {
        // A second into the measured window, so the window holds the round's start.
        tokio::time::sleep(plan.warmup + Duration::from_secs(1)).await;
        let started_after = start.elapsed();
        let (took, round) = round(&setup).await?;
        anyhow::Ok(Timed {
            started_after,
            took,
            round,
        })
    };
    let (outcome, timed) = tokio::join!(open_loop::run(&load, &plan), round);
    let timed = timed?;
    let report = Report::new(load.as_ref(), outcome, ceilings);

    let figures = timed.round.figures.unwrap_or_default();
    let end = timed.started_after + timed.took;
    let inside = end <= plan.warmup + plan.duration;
    let mut text = String::new();
    text.push_str(&format!(
        "matching round {} under the intake load at {:.0} calls/s:\n",
        timed.round.name, args.rate
    ));
    text.push_str(&format!(
        "  RunMatchingRound to done (polled every {} ms): {:.3} s; state {:?}\n",
        POLL.as_millis(),
        timed.took.as_secs_f64(),
        MatchingRoundState::try_from(timed.round.state).unwrap_or_default()
    ));
    text.push_str(&format!(
        "  figures: {} newcomers ready, {} residents ready, {} admissible pairs, {} matched, {} waiting\n",
        figures.newcomers_ready,
        figures.residents_ready,
        figures.admissible_pairs,
        figures.matched,
        figures.waiting
    ));
    text.push_str(&format!(
        "  the round ran {:.1}-{:.1} s into the measured window of {} s{}\n",
        (timed.started_after - plan.warmup).as_secs_f64(),
        (end - plan.warmup).as_secs_f64(),
        plan.duration.as_secs(),
        if inside {
            ""
        } else {
            " (it outlasted the window: the latency above covers only part of it; raise --seconds)"
        }
    ));
    Ok((report, text))
}

/// Starts a round for the whole chapter and polls it until its dry run is done.
async fn round(setup: &Setup) -> anyhow::Result<(Duration, MatchingRound)> {
    let c = &setup.connections;
    let run = RunMatchingRoundRequest {
        parent: setup.chapter.clone(),
        district: String::new(),
        request_id: uuid::Uuid::new_v4().to_string(),
        municipality: String::new(),
    };
    let start = Instant::now();
    let mut round = retried("starting the round", || {
        let request = c.request(&setup.coordinator, run.clone());
        let mut client = MatchingServiceClient::new(c.channel(0));
        async move { client.run_matching_round(request).await }
    })
    .await?
    .matching_round
    .context("no round in the answer")?;
    while matches!(
        MatchingRoundState::try_from(round.state),
        Ok(MatchingRoundState::Pending | MatchingRoundState::Running)
    ) {
        anyhow::ensure!(
            start.elapsed() < DEADLINE,
            "the round was not done after {} s",
            DEADLINE.as_secs()
        );
        tokio::time::sleep(POLL).await;
        let get = GetMatchingRoundRequest {
            name: round.name.clone(),
        };
        round = retried("polling the round", || {
            let request = c.request(&setup.coordinator, get.clone());
            let mut client = MatchingServiceClient::new(c.channel(0));
            async move { client.get_matching_round(request).await }
        })
        .await?
        .matching_round
        .context("no round in the answer")?;
    }
    Ok((start.elapsed(), round))
}
