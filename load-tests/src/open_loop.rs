//! The open-loop schedule: calls start at fixed intended times, whatever the server does.
//!
//! Call `n` is due at `start + n / rate`. Its *response time* runs from that intended
//! time to its answer, so time a call spent waiting for the generator to get round to
//! it (because the server was slow and calls piled up) is counted, not hidden: this is
//! the coordinated-omission correction of wrk2 and of HdrHistogram's notes. Its
//! *service time* runs from the moment it was actually sent; the gap between the two
//! is the queueing a closed-loop generator would not see.
//!
//! The timer has millisecond resolution, so at rates above 1,000/s calls leave in small
//! bursts each millisecond; their response times include that wait, which is at most
//! a millisecond.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::sync::Semaphore;
// Tokio's clock, so that the tests can run the schedule on a paused clock.
use tokio::time::Instant;

use crate::scenarios::Scenario;

/// Latencies are recorded in microseconds up to this (one minute).
const HIGHEST_MICROS: u64 = 60_000_000;

/// How a run is paced.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Calls started per second.
    pub rate: f64,
    /// How long calls are measured.
    pub duration: Duration,
    /// Calls at the same rate before measuring, not recorded.
    pub warmup: Duration,
    /// Calls in flight at most.
    pub max_in_flight: usize,
}

/// What a run measured.
#[derive(Debug)]
pub struct Outcome {
    /// The plan it followed.
    pub plan: Plan,
    /// Response time from each call's intended start, in microseconds.
    pub response: Histogram<u64>,
    /// Service time from each call's actual send, in microseconds.
    pub service: Histogram<u64>,
    /// Failed calls by gRPC code, with the first message seen for each.
    pub errors: BTreeMap<String, (u64, String)>,
    /// Measured calls that were scheduled.
    pub scheduled: u64,
    /// Seconds from the first measured call's intended start to the last answer.
    pub elapsed: f64,
    /// Load averages before and after (`/proc/loadavg`).
    pub load_before: String,
    pub load_after: String,
}

impl Outcome {
    /// Answered calls (successful or not) per second.
    pub fn throughput(&self) -> f64 {
        self.completed() as f64 / self.elapsed.max(f64::EPSILON)
    }

    /// Calls that were answered, successfully or not.
    pub fn completed(&self) -> u64 {
        self.response.len()
    }

    /// Calls that failed.
    pub fn error_count(&self) -> u64 {
        self.errors.values().map(|(n, _)| n).sum()
    }

    /// A response-time quantile in milliseconds.
    pub fn ms(&self, quantile: f64) -> f64 {
        self.response.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// Where every answered call is written down.
#[derive(Debug)]
struct Recorder {
    response: Histogram<u64>,
    service: Histogram<u64>,
    errors: BTreeMap<String, (u64, String)>,
    last_answer: Option<Instant>,
}

impl Recorder {
    fn new() -> Self {
        let histogram = || Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).expect("valid bounds");
        Self {
            response: histogram(),
            service: histogram(),
            errors: BTreeMap::new(),
            last_answer: None,
        }
    }

    fn record(&mut self, intended: Instant, sent: Instant, done: Instant, result: Result<(), tonic::Status>) {
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
        self.response.saturating_record(micros(done - intended));
        self.service.saturating_record(micros(done - sent));
        if let Err(status) = result {
            let entry = self
                .errors
                .entry(format!("{:?}", status.code()))
                .or_insert_with(|| (0, status.message().to_owned()));
            entry.0 += 1;
        }
        self.last_answer = Some(self.last_answer.map_or(done, |t| t.max(done)));
    }
}

/// Runs `scenario` by `plan`: a warm-up that is not recorded, then the measured calls.
pub async fn run(scenario: &Arc<dyn Scenario>, plan: &Plan) -> Outcome {
    let load_before = crate::system::load_average();
    if !plan.warmup.is_zero() {
        schedule(scenario, plan.rate, plan.warmup, plan.max_in_flight, 0, None).await;
    }
    let warmup_calls = calls_in(plan.rate, plan.warmup);
    let recorder = Arc::new(Mutex::new(Recorder::new()));
    let start = schedule(
        scenario,
        plan.rate,
        plan.duration,
        plan.max_in_flight,
        warmup_calls,
        Some(recorder.clone()),
    )
    .await;
    let recorder = Arc::try_unwrap(recorder)
        .expect("every call has finished")
        .into_inner()
        .expect("no call panicked while recording");
    let elapsed = recorder.last_answer.map_or(0.0, |t| (t - start).as_secs_f64());
    Outcome {
        plan: *plan,
        response: recorder.response,
        service: recorder.service,
        errors: recorder.errors,
        scheduled: calls_in(plan.rate, plan.duration),
        elapsed,
        load_before,
        load_after: crate::system::load_average(),
    }
}

fn calls_in(rate: f64, duration: Duration) -> u64 {
    (rate * duration.as_secs_f64()).round() as u64
}

/// Starts `rate × duration` calls at their intended times and waits for every answer.
/// Calls are numbered from `first`, so that a scenario never repeats a number across
/// the warm-up and the measurement. Returns the first call's intended start.
async fn schedule(
    scenario: &Arc<dyn Scenario>,
    rate: f64,
    duration: Duration,
    max_in_flight: usize,
    first: u64,
    recorder: Option<Arc<Mutex<Recorder>>>,
) -> Instant {
    let count = calls_in(rate, duration);
    let permits = Arc::new(Semaphore::new(max_in_flight));
    // A small head start, so that the first call is not already late when the loop begins.
    let start = Instant::now() + Duration::from_millis(5);
    for i in 0..count {
        // From the start each time rather than by adding intervals, so that rounding
        // never drifts the schedule.
        let intended = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(intended).await;
        // When the cap is reached the schedule waits here; the call's response time
        // still counts from `intended`.
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let scenario = scenario.clone();
        let recorder = recorder.clone();
        tokio::spawn(async move {
            let sent = Instant::now();
            let result = scenario.call(first + i).await;
            let done = Instant::now();
            if let Some(recorder) = recorder {
                recorder
                    .lock()
                    .expect("no call panicked while recording")
                    .record(intended, sent, done, result);
            }
            drop(permit);
        });
    }
    let all = u32::try_from(max_in_flight).unwrap_or(u32::MAX);
    let _all_done = permits
        .acquire_many(all)
        .await
        .expect("the semaphore is never closed");
    start
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::{CeilingKind, Scenario};
    use futures::future::BoxFuture;

    /// Answers every call after a fixed pause, failing every tenth.
    struct Fixed(Duration);

    impl Scenario for Fixed {
        fn name(&self) -> &'static str {
            "fixed"
        }
        fn ceiling(&self) -> CeilingKind {
            CeilingKind::PrimaryKeyRead
        }
        fn call(&self, n: u64) -> BoxFuture<'static, Result<(), tonic::Status>> {
            let pause = self.0;
            Box::pin(async move {
                tokio::time::sleep(pause).await;
                if n.is_multiple_of(10) {
                    Err(tonic::Status::unavailable("planned"))
                } else {
                    Ok(())
                }
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_scheduled_call_is_answered_and_failures_are_counted_by_code() {
        let scenario: Arc<dyn Scenario> = Arc::new(Fixed(Duration::from_millis(2)));
        let plan = Plan {
            rate: 100.0,
            duration: Duration::from_secs(2),
            warmup: Duration::from_millis(500),
            max_in_flight: 64,
        };
        let outcome = run(&scenario, &plan).await;
        assert_eq!(outcome.scheduled, 200);
        assert_eq!(outcome.completed(), 200);
        assert_eq!(outcome.error_count(), 20);
        assert_eq!(outcome.errors["Unavailable"].1, "planned");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_server_is_charged_for_the_calls_it_held_up() {
        // One call in flight at a time, each taking 100 ms, offered 100 calls/s: the
        // server can answer 10/s, so the queue grows by 90 calls every second.
        let scenario: Arc<dyn Scenario> = Arc::new(Fixed(Duration::from_millis(100)));
        let plan = Plan {
            rate: 100.0,
            duration: Duration::from_secs(1),
            warmup: Duration::ZERO,
            max_in_flight: 1,
        };
        let outcome = run(&scenario, &plan).await;
        // Service time stays at the server's 100 ms ...
        assert!(outcome.service.value_at_quantile(0.99) < 110_000);
        // ... but the last call was due at 0.99 s and answered at 10 s.
        assert!(
            outcome.response.max() > 8_900_000,
            "max {}",
            outcome.response.max()
        );
        assert!(outcome.throughput() < 11.0);
    }
}
