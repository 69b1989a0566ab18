//! A latency-by-percentile plot (PNG), drawn as HdrHistogram's plotter draws it: the
//! x axis stretches the tail (90%, 99%, 99.9%, ...) so that the rare slow calls are
//! as visible as the common ones. The font is embedded, so nothing depends on the
//! fonts installed on the machine.

use std::path::Path;
use std::sync::Once;

use hdrhistogram::Histogram;
use plotters::prelude::*;

const FONT: &str = "sans-serif";

/// One line of the plot.
#[derive(Debug)]
pub struct Line<'a> {
    pub label: &'a str,
    pub histogram: &'a Histogram<u64>,
    pub color: RGBColor,
}

/// Draws `lines` (histograms in microseconds) into a PNG at `path`.
pub fn percentile_plot(path: &Path, title: &str, lines: &[Line<'_>]) -> anyhow::Result<()> {
    register_font();
    let curves: Vec<Vec<(f64, f64)>> = lines.iter().map(|l| curve(l.histogram)).collect();
    let x_max = curves
        .iter()
        .flatten()
        .map(|(x, _)| *x)
        .fold(3.0_f64, f64::max)
        .ceil();
    let y_max = curves.iter().flatten().map(|(_, y)| *y).fold(1.0_f64, f64::max) * 1.1;

    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 20))
        .margin(20)
        // Room for the last percentile label, centred on the right edge.
        .margin_right(45)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_labels(x_max as usize + 1)
        .x_label_formatter(&|x| percentile_label(*x))
        .y_label_formatter(&|y| format!("{y:.1}"))
        .x_desc("percentile")
        .y_desc("latency (ms)")
        .label_style((FONT, 15))
        .draw()
        .map_err(plot_error)?;
    for (line, points) in lines.iter().zip(curves) {
        let color = line.color;
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(plot_error)?
            .label(line.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// The histogram as (log10(1 / (1 - quantile)), milliseconds) points; the maximum
/// is drawn at the last quantile before 100%, since 100% has no finite position.
fn curve(histogram: &Histogram<u64>) -> Vec<(f64, f64)> {
    let mut points = Vec::new();
    for v in histogram.iter_quantiles(5) {
        let q = v.quantile_iterated_to();
        let ms = v.value_iterated_to() as f64 / 1000.0;
        if q < 1.0 {
            points.push(((1.0 / (1.0 - q)).log10(), ms));
        } else if let Some(&(x, _)) = points.last() {
            points.push((x, ms));
        }
    }
    points
}

/// "0%", "90%", "99%", "99.9%", ... at whole positions of the axis; nothing between.
fn percentile_label(x: f64) -> String {
    if (x - x.round()).abs() > 1e-6 {
        return String::new();
    }
    let nines = x.round() as i32;
    if nines == 0 {
        return "0%".to_owned();
    }
    let percent = 100.0 * (1.0 - 10f64.powi(-nines));
    format!("{percent:.*}%", (nines - 2).max(0) as usize)
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded DejaVu Sans is a valid font; failing here would be a build defect.
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| panic!("the embedded font is valid"));
    });
}

fn plot_error(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("drawing the plot: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_is_labelled_in_nines() {
        assert_eq!(percentile_label(0.0), "0%");
        assert_eq!(percentile_label(1.0), "90%");
        assert_eq!(percentile_label(2.0), "99%");
        assert_eq!(percentile_label(3.0), "99.9%");
        assert_eq!(percentile_label(4.0), "99.99%");
        assert_eq!(percentile_label(2.5), "");
    }

    #[test]
    fn a_plot_is_written_as_a_png() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        for micros in 1..=10_000u64 {
            h.record(500 + micros).unwrap();
        }
        let path = std::env::temp_dir().join(format!("kompis-load-plot-{}.png", std::process::id()));
        let line = Line {
            label: "response time",
            histogram: &h,
            color: RED,
        };
        percentile_plot(&path, "test", &[line]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}
