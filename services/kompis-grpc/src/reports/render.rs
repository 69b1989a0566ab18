//! The follow-up report as files: CSV, and a one-page HTML report with inline SVG
//! charts in Swedish or English. Both are rendered from the same figures as the gRPC
//! answer, suppression included: a suppressed cell is the word `suppressed`
//! (`undertryckt`), never a number, and a suppressed bar is drawn as a hatched stub.
//!
//! The page is self-contained (no scripts, fonts or outside resources), so that it
//! can be mailed, archived as a public document, or printed to PDF from a browser.

use std::fmt::Write as _;

use kompis_proto::v1 as pb;
use time::OffsetDateTime;

/// The page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Swedish, the default.
    Sv,
    /// English.
    En,
}

/// What the page says about the report's scope, already in words.
#[derive(Debug, Clone)]
pub struct Heading {
    /// The chapter, municipality or district the figures cover.
    pub place: String,
    /// Start of the period.
    pub start: OffsetDateTime,
    /// End of the period, exclusive.
    pub end: OffsetDateTime,
}

fn t(lang: Lang, sv: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Sv => sv,
        Lang::En => en,
    }
}

fn value_of(cell: Option<&pb::Cell>) -> Option<i64> {
    match cell.and_then(|c| c.cell.as_ref()) {
        Some(pb::cell::Cell::Value(n)) => Some(*n),
        _ => None,
    }
}

fn stat_text(lang: Lang, s: Option<&pb::Statistic>, percent: bool) -> String {
    match s.and_then(|s| s.statistic.as_ref()) {
        Some(pb::statistic::Statistic::Value(v)) if percent => format!("{:.0} %", v * 100.0),
        Some(pb::statistic::Statistic::Value(v)) => format!("{v:.1}"),
        Some(pb::statistic::Statistic::Suppressed(_)) => t(lang, "undertryckt", "suppressed").into(),
        None => "–".into(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The report as CSV: `metric,dimension,key,label,value`, one row per figure, then the
/// statistics and the goals (`goal:{metric}` with the target in `key`).
pub fn csv(report: &pb::FollowUpReport) -> String {
    let mut out = String::from("metric,dimension,key,label,value\n");
    let text = |cell: Option<&pb::Cell>| value_of(cell).map_or("suppressed".to_owned(), |n| n.to_string());
    for f in &report.figures {
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            csv_field(&f.metric),
            csv_field(&f.dimension),
            csv_field(&f.key),
            csv_field(&f.label),
            text(f.cell.as_ref())
        );
    }
    for (metric, s) in [
        ("median_days_waited", &report.median_days_waited),
        ("p90_days_waited", &report.p90_days_waited),
        ("share_met_within_35_days", &report.share_met_within_35_days),
    ] {
        let value = match s.as_ref().and_then(|s| s.statistic.as_ref()) {
            Some(pb::statistic::Statistic::Value(v)) => format!("{v:.4}"),
            Some(pb::statistic::Statistic::Suppressed(_)) => "suppressed".into(),
            None => String::new(),
        };
        let _ = writeln!(out, "{metric},,,,{value}");
    }
    for g in &report.goals {
        if let Some(goal) = &g.goal {
            let _ = writeln!(
                out,
                "goal:{},target,{},,{}",
                csv_field(&goal.metric),
                goal.target,
                text(g.reached.as_ref())
            );
        }
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn figures<'a>(report: &'a pb::FollowUpReport, metric: &str, dimension: &str) -> Vec<&'a pb::Figure> {
    report
        .figures
        .iter()
        .filter(|f| f.metric == metric && f.dimension == dimension)
        .collect()
}

fn total<'a>(report: &'a pb::FollowUpReport, metric: &str) -> Option<&'a pb::Cell> {
    figures(report, metric, "").first().and_then(|f| f.cell.as_ref())
}

/// One bar of a chart: a label and up to two values (`None` when suppressed).
struct Bar {
    label: String,
    values: Vec<Option<i64>>,
}

/// A bar chart as inline SVG; `line` draws a horizontal target at that value.
fn bar_chart(title: &str, series: &[&str], bars: &[Bar], line: Option<(f64, String)>) -> String {
    const W: f64 = 640.0;
    const H: f64 = 220.0;
    const LEFT: f64 = 40.0;
    const BOTTOM: f64 = 40.0;
    const COLOURS: [&str; 2] = ["#1f6f8b", "#e07a1f"];
    let max = bars
        .iter()
        .flat_map(|b| b.values.iter().flatten())
        .copied()
        .map(|v| v as f64)
        .chain(line.as_ref().map(|(v, _)| *v))
        .fold(1.0_f64, f64::max);
    let plot_h = H - BOTTOM - 20.0;
    let slot = (W - LEFT - 10.0) / bars.len().max(1) as f64;
    let per = series.len().max(1) as f64;
    let bar_w = (slot * 0.8 / per).max(2.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" \
         role=\"img\" aria-label=\"{t}\" font-family=\"sans-serif\" font-size=\"11\">\
         <defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/>\
         <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#999\" stroke-width=\"3\"/></pattern></defs>\
         <rect width=\"{W}\" height=\"{H}\" fill=\"#ffffff\"/>\
         <line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{right}\" y2=\"{base}\" stroke=\"#333\"/>\
         <text x=\"{LEFT}\" y=\"12\" fill=\"#333\">{max:.0}</text>",
        t = esc(title),
        base = H - BOTTOM,
        right = W - 10.0,
    );
    for (i, bar) in bars.iter().enumerate() {
        let x0 = LEFT + slot * i as f64 + slot * 0.1;
        for (j, v) in bar.values.iter().enumerate() {
            let x = x0 + bar_w * j as f64;
            match v {
                Some(v) => {
                    let h = plot_h * (*v as f64) / max;
                    let _ = write!(
                        svg,
                        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\" fill=\"{c}\">\
                         <title>{v}</title></rect>\
                         <text x=\"{tx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\" fill=\"#333\">{v}</text>",
                        y = H - BOTTOM - h,
                        c = COLOURS[j % 2],
                        tx = x + bar_w / 2.0,
                        ty = H - BOTTOM - h - 2.0,
                    );
                }
                None => {
                    let _ = write!(
                        svg,
                        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"12\" fill=\"url(#hatch)\" \
                         stroke=\"#999\"/>",
                        y = H - BOTTOM - 12.0,
                    );
                }
            }
        }
        let _ = write!(
            svg,
            "<text x=\"{x:.1}\" y=\"{y}\" text-anchor=\"middle\" fill=\"#333\">{l}</text>",
            x = x0 + bar_w * per / 2.0,
            y = H - BOTTOM + 14.0,
            l = esc(&bar.label),
        );
    }
    if let Some((v, label)) = line {
        let y = H - BOTTOM - plot_h * v / max;
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{r}\" y2=\"{y:.1}\" stroke=\"#c0392b\" \
             stroke-dasharray=\"6 3\" stroke-width=\"2\"/>\
             <text x=\"{r}\" y=\"{ty:.1}\" text-anchor=\"end\" fill=\"#c0392b\">{l}</text>",
            r = W - 10.0,
            ty = y - 3.0,
            l = esc(&label),
        );
    }
    for (j, s) in series.iter().enumerate() {
        let x = LEFT + 160.0 * j as f64;
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{y}\" width=\"10\" height=\"10\" fill=\"{c}\"/>\
             <text x=\"{tx}\" y=\"{ty}\" fill=\"#333\">{s}</text>",
            y = H - 14.0,
            c = COLOURS[j % 2],
            tx = x + 14.0,
            ty = H - 5.0,
            s = esc(s),
        );
    }
    svg.push_str("</svg>");
    format!("<figure><figcaption>{}</figcaption>{svg}</figure>", esc(title))
}

/// The three charts of the page, as SVG documents: matched per month against the
/// target, the waiting-time distribution, and shortage by district.
pub fn charts(report: &pb::FollowUpReport, lang: Lang) -> Vec<String> {
    let months: Vec<Bar> = figures(report, "newcomers_matched", "month")
        .iter()
        .map(|f| Bar {
            label: f.key.clone(),
            values: vec![value_of(f.cell.as_ref())],
        })
        .collect();
    let target = report
        .goals
        .iter()
        .filter_map(|g| g.goal.as_ref())
        .find(|g| g.metric == "newcomers_matched")
        .map(|g| {
            let per_month = f64::from(g.target) / months.len().max(1) as f64;
            (
                per_month,
                format!(
                    "{} {} ({:.1}/{})",
                    t(lang, "mål", "target"),
                    g.target,
                    per_month,
                    t(lang, "mån", "month")
                ),
            )
        });
    let matched = bar_chart(
        t(
            lang,
            "Matchade nyanlända per månad mot målet",
            "Newcomers matched per month against the target",
        ),
        &[t(lang, "matchade", "matched")],
        &months,
        target,
    );
    let mut waits = figures(report, "newcomers_wait", "days");
    // Shortest wait first (the keys sort as text otherwise).
    waits.sort_by_key(|f| f.key.split('-').next().and_then(|d| d.parse::<u32>().ok()));
    let waits: Vec<Bar> = waits
        .iter()
        .map(|f| Bar {
            label: format!("{} {}", f.key, t(lang, "d", "d")),
            values: vec![value_of(f.cell.as_ref())],
        })
        .collect();
    let waits = bar_chart(
        t(
            lang,
            "Väntetid från redo till matchad (dagar)",
            "Waiting time from ready to matched (days)",
        ),
        &[t(lang, "nyanlända", "newcomers")],
        &waits,
        None,
    );
    // The shortage now; for partner viewers, who get no figures of now, at the
    // period's end (waiting newcomers against ready residents).
    let now = !figures(report, "waiting_now", "district").is_empty();
    let (waiting, supply, title) = if now {
        (
            "waiting_now",
            "free_places_now",
            t(lang, "Brist per kommundel just nu", "Shortage by district now"),
        )
    } else {
        (
            "newcomers_waiting_at_end",
            "residents_ready_at_end",
            t(
                lang,
                "Brist per kommundel vid periodens slut",
                "Shortage by district at the end of the period",
            ),
        )
    };
    let free = figures(report, supply, "district");
    let districts: Vec<Bar> = figures(report, waiting, "district")
        .iter()
        .map(|f| Bar {
            label: if f.label.is_empty() {
                f.key.clone()
            } else {
                f.label.clone()
            },
            values: vec![
                value_of(f.cell.as_ref()),
                free.iter()
                    .find(|p| p.key == f.key)
                    .and_then(|p| value_of(p.cell.as_ref())),
            ],
        })
        .collect();
    let shortage = bar_chart(
        title,
        &[
            t(lang, "väntande nyanlända", "waiting newcomers"),
            if now {
                t(lang, "lediga kompisplatser", "free buddy places")
            } else {
                t(lang, "redo etablerade", "ready residents")
            },
        ],
        &districts,
        None,
    );
    vec![matched, waits, shortage]
}

/// The calendar date in Sweden of a period boundary at local midnight (UTC+1 in
/// winter, UTC+2 in summer): two hours on from UTC lands on the same date either way.
fn swedish_date(t: OffsetDateTime) -> time::Date {
    (t + time::Duration::hours(2)).date()
}

/// The one-page report as self-contained HTML.
pub fn html(report: &pb::FollowUpReport, heading: &Heading, lang: Lang) -> String {
    let cell_text = |c: Option<&pb::Cell>| {
        value_of(c).map_or(t(lang, "undertryckt", "suppressed").to_owned(), |n| n.to_string())
    };
    let rows: [(&str, &str, &str); 14] = [
        (
            "referrals_received",
            "Hänvisningar mottagna",
            "Referrals received",
        ),
        ("recruited", "Rekryterade", "Recruited"),
        ("interviewed", "Intervjuade", "Interviewed"),
        ("approved", "Godkända", "Approved"),
        ("matched", "Matchade deltagare", "Participants matched"),
        ("newcomers_matched", "Matchade nyanlända", "Newcomers matched"),
        ("matches_made", "Matchningar gjorda", "Matches made"),
        ("matches_ended", "Matchningar avslutade", "Matches ended"),
        (
            "matches_live_at_end",
            "Pågående matchningar vid periodens slut",
            "Matches live at the end",
        ),
        (
            "newcomers_waiting_at_end",
            "Väntande nyanlända vid periodens slut",
            "Newcomers waiting at the end",
        ),
        ("activities_held", "Aktiviteter genomförda", "Activities held"),
        ("invitations_sent", "Inbjudningar skickade", "Invitations sent"),
        ("attended", "Deltagare på aktiviteter", "Attended activities"),
        (
            "pairs_attended_together",
            "Kompispar som deltog tillsammans",
            "Pairs who attended together",
        ),
    ];
    let lang_code = t(lang, "sv", "en");
    let mut page = format!(
        "<!DOCTYPE html><html lang=\"{lang_code}\"><head><meta charset=\"utf-8\">\
         <title>{title}</title><style>body{{font-family:sans-serif;max-width:700px;margin:1em auto;color:#222}}\
         table{{border-collapse:collapse}}td,th{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}}\
         td.n{{text-align:right}}figure{{margin:1em 0}}</style></head><body>\
         <h1>{title}</h1><p>{place} · {from} – {to}</p>",
        title = t(
            lang,
            "Uppföljning av partnerskapet",
            "Follow-up of the partnership"
        ),
        place = esc(&heading.place),
        from = swedish_date(heading.start),
        to = swedish_date(heading.end - time::Duration::DAY),
    );
    page.push_str("<table>");
    for (metric, sv, en) in rows {
        let _ = write!(
            page,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            t(lang, sv, en),
            cell_text(total(report, metric))
        );
    }
    let _ = write!(
        page,
        "<tr><td>{}</td><td class=\"n\">{}</td></tr><tr><td>{}</td><td class=\"n\">{}</td></tr>\
         <tr><td>{}</td><td class=\"n\">{}</td></tr>",
        t(lang, "Median väntetid (dagar)", "Median wait (days)"),
        stat_text(lang, report.median_days_waited.as_ref(), false),
        t(
            lang,
            "90:e percentil väntetid (dagar)",
            "90th percentile wait (days)"
        ),
        stat_text(lang, report.p90_days_waited.as_ref(), false),
        t(
            lang,
            "Andel par som träffats inom 35 dagar",
            "Share of pairs who met within 35 days"
        ),
        stat_text(lang, report.share_met_within_35_days.as_ref(), true),
    );
    for g in &report.goals {
        if let Some(goal) = &g.goal {
            let _ = write!(
                page,
                "<tr><td>{} {}: {}</td><td class=\"n\">{} ({})</td></tr>",
                t(lang, "Mål", "Goal"),
                esc(&goal.metric),
                goal.target,
                cell_text(g.reached.as_ref()),
                stat_text(lang, g.percent.as_ref(), false) + " %",
            );
        }
    }
    page.push_str("</table>");
    for chart in charts(report, lang) {
        page.push_str(&chart);
    }
    if report.suppressed {
        let _ = write!(
            page,
            "<p><small>{}</small></p>",
            t(
                lang,
                "Celler under 5 personer är undertryckta, liksom de celler som annars skulle avslöja dem.",
                "Cells under 5 people are suppressed, as are the cells that would otherwise give them away."
            )
        );
    }
    page.push_str("</body></html>");
    page
}
