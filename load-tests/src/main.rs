//! `kompis-load`: an open-loop load generator for a running kompis server.
//!
//! Calls are scheduled at a constant arrival rate and each one's latency is measured
//! from the time it was *meant* to start, so a server that stalls is charged for every
//! call it held up (coordinated omission corrected, as in wrk2). Beside each result it
//! reports what the same machine does in the same run with pgbench and
//! redis-benchmark, so that figures from different machines can be compared as ratios.
//!
//! It only ever targets the address it is given: point it at a server on this machine.

mod ceilings;
mod cli;
mod find_max;
mod hgrm;
mod open_loop;
mod plot;
mod report;
mod scenarios;
mod system;
mod token;

use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser as _;

use crate::cli::Args;
use crate::open_loop::Plan;
use crate::report::Report;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    args.check()?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;

    // The report is set against the plain SQL of the same events, not a ceiling.
    if args.scenario == scenarios::ScenarioKind::Report {
        let text = scenarios::report::run(&args).await?;
        let stem = match &args.tag {
            Some(tag) => format!("{tag}-report-{}", args.report_events),
            None => format!("report-{}", args.report_events),
        };
        let path = args.out.join(format!("{stem}.txt"));
        std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
        print!("{text}");
        return Ok(());
    }
    let ceilings = ceilings::measure(&args).await?;
    if args.scenario == scenarios::ScenarioKind::FanOut {
        let text = scenarios::fan_out::run(&args, &ceilings).await?;
        let stem = match &args.tag {
            Some(tag) => format!("{tag}-fan-out-{}", args.fan_out),
            None => format!("fan-out-{}", args.fan_out),
        };
        let path = args.out.join(format!("{stem}.txt"));
        std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
        print!("{text}");
        return Ok(());
    }
    if args.scenario == scenarios::ScenarioKind::NationalCommit {
        let text = scenarios::national_commit::run(&args).await?;
        let stem = match &args.tag {
            Some(tag) => format!("{tag}-national-commit-{}", args.commit_pairs),
            None => format!("national-commit-{}", args.commit_pairs),
        };
        let path = args.out.join(format!("{stem}.txt"));
        std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
        print!("{text}");
        return Ok(());
    }
    if args.scenario == scenarios::ScenarioKind::RoundUnderLoad {
        let (mut report, round) = scenarios::round::run(&args, &ceilings).await?;
        report.tag = args.tag.clone();
        report.extra = round;
        report.write(&args.out)?;
        print!("{}", report.text());
        return Ok(());
    }
    let scenario: Arc<dyn scenarios::Scenario> = scenarios::build(&args).await?.into();
    let plan = Plan {
        rate: args.rate,
        duration: args.duration(),
        warmup: args.warmup(),
        max_in_flight: args.max_in_flight,
    };

    let mut report = if args.find_max {
        find_max::run(&args, &scenario, &plan, &ceilings).await?
    } else {
        let outcome = open_loop::run(&scenario, &plan).await;
        Report::new(scenario.as_ref(), outcome, &ceilings)
    };
    report.tag = args.tag.clone();
    report.write(&args.out)?;
    print!("{}", report.text());
    anyhow::ensure!(
        report.outcome.errors.is_empty() || args.allow_errors,
        "{} calls failed (--allow-errors to accept)",
        report.outcome.error_count()
    );
    Ok(())
}
