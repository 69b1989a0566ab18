//! What a run prints and writes: the summary text, the `.hgrm` distributions and the
//! latency plot, named after the scenario and the rate.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use plotters::style::RGBColor;

use crate::ceilings::Ceilings;
use crate::open_loop::Outcome;
use crate::plot::{Line, percentile_plot};
use crate::scenarios::{CeilingKind, Scenario};

/// Material red 600 and blue 600: distinct, and readable by most colour-blind readers.
const RED_600: RGBColor = RGBColor(0xe5, 0x39, 0x35);
const BLUE_600: RGBColor = RGBColor(0x1e, 0x88, 0xe5);

/// One rate tried by `--find-max`.
#[derive(Clone, Debug)]
pub struct Step {
    pub rate: f64,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub sustained: bool,
}

/// A finished run, with the ceilings measured beside it.
#[derive(Debug)]
pub struct Report {
    pub scenario: &'static str,
    pub ceiling: CeilingKind,
    pub outcome: Outcome,
    pub ceilings: Ceilings,
    /// `--find-max` only: every step, and the highest rate sustained.
    pub steps: Vec<Step>,
    pub highest_sustained: Option<f64>,
    /// Put before the file names.
    pub tag: Option<String>,
    /// Lines a scenario adds after the figures (the round of `round-under-load`).
    pub extra: String,
}

impl Report {
    pub fn new(scenario: &dyn Scenario, outcome: Outcome, ceilings: &Ceilings) -> Self {
        Self {
            scenario: scenario.name(),
            ceiling: scenario.ceiling(),
            outcome,
            ceilings: ceilings.clone(),
            steps: Vec::new(),
            highest_sustained: None,
            tag: None,
            extra: String::new(),
        }
    }

    /// The file name stem: scenario and rate.
    fn stem(&self) -> String {
        let suffix = if self.highest_sustained.is_some() {
            "-find-max"
        } else {
            ""
        };
        let tag = self.tag.as_deref().map(|t| format!("{t}-")).unwrap_or_default();
        format!("{tag}{}-{:.0}rps{suffix}", self.scenario, self.outcome.plan.rate)
    }

    fn ceiling_name(&self) -> &'static str {
        match self.ceiling {
            CeilingKind::SingleRowInsert => "pgbench single-row insert",
            CeilingKind::PrimaryKeyRead => "pgbench primary-key read",
        }
    }

    /// The summary, as printed and as written to `<stem>.txt`.
    pub fn text(&self) -> String {
        let o = &self.outcome;
        let mut t = String::new();
        let _ = writeln!(
            t,
            "scenario {}: open loop at {:.0} calls/s for {} s after {} s warm-up; {} cores",
            self.scenario,
            o.plan.rate,
            o.plan.duration.as_secs(),
            o.plan.warmup.as_secs(),
            crate::system::cores()
        );
        let _ = writeln!(t, "load average before {}, after {}", o.load_before, o.load_after);
        let _ = writeln!(
            t,
            "calls: scheduled {}, answered {}, errors {}",
            o.scheduled,
            o.completed(),
            o.error_count()
        );
        for (code, (n, message)) in &o.errors {
            let _ = writeln!(t, "  {code}: {n} (first: {message})");
        }
        let _ = writeln!(t, "throughput: {:.1} calls/s", o.throughput());
        let quantiles = |h: &hdrhistogram::Histogram<u64>| {
            let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
            format!(
                "p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
                ms(0.5),
                ms(0.9),
                ms(0.99),
                ms(0.999),
                h.max() as f64 / 1000.0
            )
        };
        let _ = writeln!(
            t,
            "response time ms (from intended start): {}",
            quantiles(&o.response)
        );
        let _ = writeln!(
            t,
            "service time ms  (from actual send):    {}",
            quantiles(&o.service)
        );
        let c = &self.ceilings;
        let fmt = |v: Option<f64>| v.map_or_else(|| "not measured".to_owned(), |v| format!("{v:.0}/s"));
        let _ = writeln!(
            t,
            "ceilings (same run, load {}): pgbench single-row insert {}, primary-key read {}, redis-benchmark XADD {}",
            c.load,
            fmt(c.insert_tps),
            fmt(c.read_tps),
            fmt(c.xadd_rps)
        );
        let _ = writeln!(t, "  measured with: {}", c.method);
        if let Some(floor) = c.grpc_floor {
            let _ = write!(t, "gRPC floor (same run): {floor:.0}/s");
            if let Some(read) = c.read_tps {
                let _ = write!(t, " = {:.1}% of pgbench primary-key read", 100.0 * floor / read);
            }
            let _ = writeln!(t, "\n  measured with: {}", c.floor_method);
        }
        let ceiling = c.for_kind(self.ceiling);
        if let Some(ceiling) = ceiling {
            let _ = writeln!(
                t,
                "throughput / {}: {:.1}%",
                self.ceiling_name(),
                100.0 * o.throughput() / ceiling
            );
        }
        if let Some(max) = self.highest_sustained {
            let _ = writeln!(
                t,
                "find-max steps (sustained: no errors, all answered, p99 within bound):"
            );
            let _ = writeln!(
                t,
                "  {:>9} {:>11} {:>9} {:>9} {:>7}  sustained",
                "rate", "throughput", "p50 ms", "p99 ms", "errors"
            );
            for s in &self.steps {
                let _ = writeln!(
                    t,
                    "  {:>9.0} {:>11.1} {:>9.2} {:>9.2} {:>7}  {}",
                    s.rate,
                    s.throughput,
                    s.p50_ms,
                    s.p99_ms,
                    s.errors,
                    if s.sustained { "yes" } else { "no" }
                );
            }
            let _ = write!(t, "highest sustained rate: {max:.0} calls/s");
            if let Some(ceiling) = ceiling {
                let _ = write!(t, " = {:.1}% of {}", 100.0 * max / ceiling, self.ceiling_name());
            }
            if let Some(floor) = c.grpc_floor {
                let _ = write!(t, " = {:.1}% of the gRPC floor", 100.0 * max / floor);
            }
            let _ = writeln!(
                t,
                "\nmeasured above at {:.0}% of it ({:.0} calls/s): p99 {:.2} ms",
                100.0 * o.plan.rate / max,
                o.plan.rate,
                o.ms(0.99)
            );
        }
        t.push_str(&self.extra);
        t
    }

    /// Writes `<stem>.txt`, `<stem>.hgrm` (response time), `<stem>.service.hgrm` and
    /// `<stem>.png` into `dir`, and lists them at the end of the text.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let stem = self.stem();
        let path = |ext: &str| dir.join(format!("{stem}{ext}"));
        let o = &self.outcome;
        std::fs::write(path(".hgrm"), crate::hgrm::percentile_distribution(&o.response))?;
        std::fs::write(
            path(".service.hgrm"),
            crate::hgrm::percentile_distribution(&o.service),
        )?;
        let title = format!(
            "{} at {:.0} calls/s: p99 {:.1} ms (load {})",
            self.scenario,
            o.plan.rate,
            o.ms(0.99),
            o.load_before
        );
        percentile_plot(
            &path(".png"),
            &title,
            &[
                Line {
                    label: "response time (from intended start)",
                    histogram: &o.response,
                    color: RED_600,
                },
                Line {
                    label: "service time (from actual send)",
                    histogram: &o.service,
                    color: BLUE_600,
                },
            ],
        )?;
        let mut text = self.text();
        let _ = writeln!(
            text,
            "files: {stem}.txt {stem}.hgrm {stem}.service.hgrm {stem}.png"
        );
        std::fs::write(path(".txt"), text).with_context(|| format!("writing {}", path(".txt").display()))?;
        Ok(())
    }
}
