//! `--find-max`: step the arrival rate up until the server stops keeping up, then
//! measure at a share (70%) of the highest rate it sustained.
//!
//! A step is *sustained* when every call was answered without error and its p99 stays
//! within `--sustain-p99-ms`: an open-loop queue that grows for a whole step shows as
//! a p99 of seconds, so the bound separates serving from queueing without depending on
//! the step's length.

use std::sync::Arc;
use std::time::Duration;

use crate::ceilings::Ceilings;
use crate::cli::Args;
use crate::open_loop::{self, Plan};
use crate::report::{Report, Step};
use crate::scenarios::Scenario;

/// At most this many steps, so that a server that never saturates still ends the run.
const MAX_STEPS: usize = 30;

/// Steps up from `--start-rate`, then measures at `--measure-share` of the highest
/// sustained rate for `--seconds`.
pub async fn run(
    args: &Args,
    scenario: &Arc<dyn Scenario>,
    plan: &Plan,
    ceilings: &Ceilings,
) -> anyhow::Result<Report> {
    let mut steps = Vec::new();
    let mut rate = args.start_rate;
    let mut highest = None;
    for _ in 0..MAX_STEPS {
        let step_plan = Plan {
            rate,
            duration: Duration::from_secs(args.step_seconds),
            // The first step warms up; later ones follow on from a warm server.
            warmup: if steps.is_empty() {
                plan.warmup
            } else {
                Duration::ZERO
            },
            ..*plan
        };
        let outcome = open_loop::run(scenario, &step_plan).await;
        let step = Step {
            rate,
            throughput: outcome.throughput(),
            p50_ms: outcome.ms(0.5),
            p99_ms: outcome.ms(0.99),
            errors: outcome.error_count(),
            sustained: sustained(&outcome, args.sustain_p99_ms),
        };
        eprintln!(
            "find-max: {:.0} calls/s -> {:.1} answered/s, p99 {:.2} ms, {} errors{}",
            step.rate,
            step.throughput,
            step.p99_ms,
            step.errors,
            if step.sustained { "" } else { " (not sustained)" }
        );
        let keep_going = step.sustained;
        steps.push(step);
        if !keep_going {
            break;
        }
        highest = Some(rate);
        rate *= args.step_factor;
    }
    let highest = highest.ok_or_else(|| {
        anyhow::anyhow!(
            "not even --start-rate {} was sustained; start lower",
            args.start_rate
        )
    })?;
    let measure = Plan {
        rate: highest * args.measure_share,
        ..*plan
    };
    let outcome = open_loop::run(scenario, &measure).await;
    let mut report = Report::new(scenario.as_ref(), outcome, ceilings);
    report.steps = steps;
    report.highest_sustained = Some(highest);
    Ok(report)
}

/// Every call answered, none failed, and the tail within the bound.
fn sustained(outcome: &open_loop::Outcome, p99_bound_ms: f64) -> bool {
    outcome.error_count() == 0 && outcome.completed() == outcome.scheduled && outcome.ms(0.99) <= p99_bound_ms
}
