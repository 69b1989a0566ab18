//! HdrHistogram's percentile-distribution text (`.hgrm`), in milliseconds, as Java's
//! `outputPercentileDistribution` writes it, so HdrHistogram's own plotter and other
//! tools read it.

use std::fmt::Write as _;

use hdrhistogram::Histogram;

/// Ticks per half-distance to 100%, as HdrHistogram's tools use by default.
const TICKS_PER_HALF_DISTANCE: u32 = 5;

/// The distribution of `histogram` (recorded in microseconds) in milliseconds.
pub fn percentile_distribution(histogram: &Histogram<u64>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    for v in histogram.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
        let value = v.value_iterated_to() as f64 / 1000.0;
        let quantile = v.quantile_iterated_to();
        let total = cumulative(histogram, v.value_iterated_to());
        if quantile < 1.0 {
            let _ = writeln!(
                out,
                "{value:12.3} {quantile:2.12} {total:10} {:14.2}",
                1.0 / (1.0 - quantile)
            );
        } else {
            let _ = writeln!(out, "{value:12.3} {quantile:2.12} {total:10}");
        }
    }
    let _ = writeln!(
        out,
        "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]",
        histogram.mean() / 1000.0,
        histogram.stdev() / 1000.0
    );
    let _ = writeln!(
        out,
        "#[Max     = {:12.3}, Total count    = {:12}]",
        histogram.max() as f64 / 1000.0,
        histogram.len()
    );
    let _ = writeln!(
        out,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        histogram.buckets(),
        sub_buckets(histogram)
    );
    out
}

/// Sub-buckets per bucket: the power of two that holds `2 × 10^sigfig` values.
fn sub_buckets(histogram: &Histogram<u64>) -> u64 {
    (2 * 10u64.pow(u32::from(histogram.sigfig()))).next_power_of_two()
}

/// Calls recorded at or below `value`.
fn cumulative(histogram: &Histogram<u64>, value: u64) -> u64 {
    histogram.count_between(0, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_distribution_ends_at_the_maximum_with_every_call_counted() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        for micros in 1..=1000 {
            h.record(micros * 10).unwrap();
        }
        let text = percentile_distribution(&h);
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with(['#', ' ']))
            .collect();
        assert!(rows.is_empty(), "every row is right-aligned: {rows:?}");
        let last = text
            .lines()
            .rfind(|l| !l.starts_with('#') && !l.trim().is_empty())
            .unwrap();
        let fields: Vec<&str> = last.split_whitespace().collect();
        let last_ms: f64 = fields[0].parse().unwrap();
        // 10 ms, within the histogram's three significant digits.
        assert!(
            (last_ms - 10.0).abs() <= 0.01,
            "the last value is the maximum: {last_ms}"
        );
        assert_eq!(fields[1], "1.000000000000");
        assert_eq!(fields[2], "1000");
        assert!(text.contains("Total count    =         1000"));
    }
}
