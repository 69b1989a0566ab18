//! The follow-up report over a large event log: `ReportService.GetFollowUpReport` over
//! `--report-events` events (1,000,000) of one calendar year, timed beside the plain
//! SQL aggregate of the same events in the same run.
//!
//! **Setup writes the events straight into the server's database** (`--database-url`,
//! through `psql`), as the store writes them (through the event log's own triggers):
//! one `INSERT ... SELECT` from `generate_series`, a tenth as many people as events,
//! each with the life of a participant in the programme spread over 2025 (referred or
//! invited, registered, interviewed, ready, matched after a wait, the match accepted,
//! a check-in, an invitation answered, and for a third the match ended), in every
//! district of every chapter the database holds, with the role (three newcomers to one
//! resident), gender, birth year, source and organisation varying from person to person.
//! One in a hundred people brings a completed activity instead of an invitation. The
//! table is vacuumed and analysed afterwards, as autovacuum would after such an
//! insert. Run it only against a database made for the run, never against real data.
//!
//! Then, after one warm-up call each, `--report-runs` times in turn:
//! 1. the report over every chapter (an administrator's, `chapters/-`) for 2025: all
//!    the events;
//! 2. the plain SQL aggregate of the same events: a count per kind and state
//!    (`psql`, its `\timing`: the statement's round trip without connecting);
//! 3. the report of the coordinator's chapter (`--chapter`) for 2025;
//! 4. the same plain aggregate over that chapter's events;
//! 5. the chapter's report for a target group (women aged 25-64).
//!
//! It prints the best and the median of each and the ratio of the medians. The report's
//! time is the whole gRPC call as a client sees it.

use std::process::Command;
use std::time::Instant;

use anyhow::Context as _;
use kompis_proto::v1::report_service_client::ReportServiceClient;
use kompis_proto::v1::*;

use super::connection::{Connections, bearer};
use crate::cli::Args;
use crate::token::Bearer;

/// 2025-01-01 00:00 in Stockholm (UTC+1), the period's start, in Unix seconds.
const YEAR_START: i64 = 1_735_686_000;
/// 2026-01-01 00:00 in Stockholm, the period's end.
const YEAR_END: i64 = 1_767_222_000;

/// Seeds the events, measures and returns the report.
pub async fn run(args: &Args) -> anyhow::Result<String> {
    let database = args.database_url.clone().context(
        "the report scenario needs --database-url (the server's database, where its setup \
         writes the events)",
    )?;
    let admin = bearer(args.admin_token.as_ref(), "--admin-token")?;
    let coordinator = bearer(args.coordinator_token.as_ref(), "--coordinator-token")?;
    anyhow::ensure!(
        !args.chapter.is_empty()
            && args
                .chapter
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
        "--chapter must be a slug"
    );
    anyhow::ensure!(args.report_runs > 0, "--report-runs must be at least 1");
    let connections = Connections::open(args).await?;

    eprintln!("report: writing {} events", args.report_events);
    let started = Instant::now();
    psql(&database, &seed(args.report_events)).context("seeding the events")?;
    psql(&database, "VACUUM ANALYZE events").context("vacuuming the events")?;
    psql(&database, "VACUUM ANALYZE report_state_spans").context("vacuuming the spans")?;
    let seeded = started.elapsed();
    let counts = psql(
        &database,
        &format!(
            "SELECT count(*), count(*) FILTER (WHERE chapter_id = '{}') FROM events
             WHERE occur_time >= to_timestamp({YEAR_START}) AND occur_time < to_timestamp({YEAR_END})",
            args.chapter
        ),
    )?;
    let (in_year, in_chapter) = counts.split_once('|').context("psql's counts")?;
    eprintln!(
        "report: {in_year} events in 2025 ({in_chapter} of them in {}), written in {:.0} s",
        args.chapter,
        seeded.as_secs_f64()
    );

    let year = |chapter: &str, group: Option<TargetGroup>| GetFollowUpReportRequest {
        chapter: chapter.to_owned(),
        start_time: Some(prost_types::Timestamp {
            seconds: YEAR_START,
            nanos: 0,
        }),
        end_time: Some(prost_types::Timestamp {
            seconds: YEAR_END,
            nanos: 0,
        }),
        target_group: group,
        ..Default::default()
    };
    let chapter = format!("chapters/{}", args.chapter);
    let women = TargetGroup {
        genders: vec![Gender::Female as i32],
        age_range: Some(AgeRange {
            min_age: 25,
            max_age: 64,
        }),
        ..Default::default()
    };
    let all_sql = format!(
        "SELECT kind, to_state, count(*) FROM events
         WHERE occur_time >= to_timestamp({YEAR_START}) AND occur_time < to_timestamp({YEAR_END})
         GROUP BY kind, to_state"
    );
    let chapter_sql = format!(
        "SELECT kind, to_state, count(*) FROM events
         WHERE chapter_id = '{}' AND occur_time >= to_timestamp({YEAR_START})
           AND occur_time < to_timestamp({YEAR_END})
         GROUP BY kind, to_state",
        args.chapter
    );
    let mut client = ReportServiceClient::new(connections.channel(0));
    let mut report = async |bearer: &Bearer, request: GetFollowUpReportRequest| -> anyhow::Result<f64> {
        let started = Instant::now();
        let answer = client
            .get_follow_up_report(connections.request(bearer, request))
            .await
            .context("GetFollowUpReport")?
            .into_inner();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        anyhow::ensure!(
            answer.report.is_some_and(|r| !r.figures.is_empty()),
            "a report without figures"
        );
        Ok(ms)
    };

    let load_before = crate::system::load_average();
    let cpu_before = cpu_seconds()?;
    // Warm-up: caches, connections, prepared statements.
    report(&admin, year("chapters/-", None)).await?;
    report(&coordinator, year(&chapter, None)).await?;
    timed_sql(&database, &all_sql)?;
    let mut all = Times::default();
    let mut one = Times::default();
    let mut group = Times::default();
    for _ in 0..args.report_runs {
        all.report.push(report(&admin, year("chapters/-", None)).await?);
        all.sql.push(timed_sql(&database, &all_sql)?);
        one.report.push(report(&coordinator, year(&chapter, None)).await?);
        one.sql.push(timed_sql(&database, &chapter_sql)?);
        group
            .report
            .push(report(&coordinator, year(&chapter, Some(women.clone()))).await?);
    }
    let cpu_after = cpu_seconds()?;
    let load_after = crate::system::load_average();

    let mut out = String::new();
    out.push_str(&format!(
        "follow-up report over the events of 2025: {in_year} in all chapters, {in_chapter} in {}\n",
        args.chapter
    ));
    out.push_str(&format!(
        "  setup: {} events written through the event log's triggers and vacuumed in {:.0} s\n",
        args.report_events,
        seeded.as_secs_f64()
    ));
    out.push_str(&format!(
        "  {} runs each, after one warm-up; best / median in ms\n",
        args.report_runs
    ));
    out.push_str(&all.line("every chapter (administrator)", &format!("{in_year} events")));
    out.push_str(&one.line(
        &format!("chapter {}", args.chapter),
        &format!("{in_chapter} events"),
    ));
    out.push_str(&format!(
        "  chapter {}, women aged 25-64: GetFollowUpReport {:.0} / {:.0}\n",
        args.chapter,
        best(&group.report),
        median(&group.report)
    ));
    out.push_str(&format!(
        "  CPU of the whole machine during the runs: {:.1} s user+system over {} cores\n",
        cpu_after - cpu_before,
        crate::system::cores()
    ));
    out.push_str(&format!(
        "  load average: {load_before} before, {load_after} after\n"
    ));
    Ok(out)
}

/// The times of one scope: the report's and the plain aggregate's, in ms.
#[derive(Default)]
struct Times {
    report: Vec<f64>,
    sql: Vec<f64>,
}

impl Times {
    fn line(&self, scope: &str, events: &str) -> String {
        format!(
            "  {scope} ({events}): GetFollowUpReport {:.0} / {:.0}; plain SQL count per kind \
             and state {:.0} / {:.0}; ratio of the medians {:.2}\n",
            best(&self.report),
            median(&self.report),
            best(&self.sql),
            median(&self.sql),
            median(&self.report) / median(&self.sql)
        )
    }
}

fn best(times: &[f64]) -> f64 {
    times.iter().copied().fold(f64::INFINITY, f64::min)
}

fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// The machine's CPU time so far (user, nice and system of every core), in seconds.
fn cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    let line = stat.lines().next().context("an empty /proc/stat")?;
    let ticks: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .take(3)
        .map(|t| t.parse().unwrap_or(0.0))
        .collect();
    // USER_HZ is 100 on Linux.
    Ok(ticks.iter().sum::<f64>() / 100.0)
}

/// The statement's time as psql's `\timing` reports it, in ms.
fn timed_sql(database: &str, sql: &str) -> anyhow::Result<f64> {
    let out = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            database,
            "-c",
            "\\timing on",
            "-c",
            sql,
        ])
        .output()
        .context("running psql (Debian: postgresql-client)")?;
    anyhow::ensure!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .rev()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|l| l.split_whitespace().next())
        .find_map(|ms| ms.parse().ok())
        .context("psql printed no time")
}

/// Runs `sql` and returns what it printed, trimmed.
fn psql(database: &str, sql: &str) -> anyhow::Result<String> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", database, "-c", sql])
        .output()
        .context("running psql (Debian: postgresql-client)")?;
    anyhow::ensure!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// One `INSERT ... SELECT` of about `events` events: ten per person (see the module
/// docs). A person's attributes come from hashes of their number, so they vary
/// independently of one another; their place is one of every chapter's districts.
fn seed(events: u64) -> String {
    let people = events.div_ceil(10);
    format!(
        "WITH places AS (
             SELECT row_number() OVER (ORDER BY cm.chapter_id, d.municipality_id, d.id) - 1 AS k,
                    cm.chapter_id, d.municipality_id, d.id AS district_id,
                    (SELECT array_agg(o.id ORDER BY o.id) FROM organizations o
                     WHERE o.chapter_id = cm.chapter_id) AS orgs
             FROM chapter_municipalities cm JOIN districts d USING (municipality_id)),
         person AS (
             SELECT p, pl.chapter_id, pl.municipality_id, pl.district_id,
                    CASE WHEN h % 4 = 0 THEN 'established_resident' ELSE 'newcomer' END AS role,
                    (ARRAY['female', 'male', 'non_binary', 'undisclosed'])[1 + (h / 7) % 4] AS gender,
                    1950 + ((h / 29) % 58)::int AS birth_year,
                    CASE WHEN h % 4 <> 0 AND (h / 11) % 3 = 0 AND cardinality(pl.orgs) > 0
                         THEN 'referral'
                         ELSE (ARRAY['coordinator', 'self_sign_up'])[1 + (h / 13) % 2] END AS source,
                    pl.orgs[1 + ((h / 17) % greatest(cardinality(pl.orgs), 1))] AS org,
                    timestamptz '2025-01-01 00:00+01' + ((h / 19) % (200 * 86400)) * interval '1 second' AS t0,
                    ((h / 23) % (90 * 86400))::bigint AS wait,
                    md5('person' || p)::uuid AS id, h
             FROM (SELECT p, ('x' || substr(md5(p::text), 1, 15))::bit(60)::bigint AS h
                   FROM generate_series(0, {people} - 1) AS p) g
             JOIN places pl ON pl.k = g.h % (SELECT count(*) FROM places))
         INSERT INTO events (id, chapter_id, subject, kind, actor, occur_time, from_state,
             to_state, reason, participant_role, referral_source, organization_id,
             municipality_id, district_id, gender, birth_year, end_reason, match_id,
             activity_id, activity_kind, waited_seconds, activity_free)
         SELECT gen_random_uuid(), p.chapter_id,
                'chapters/' || p.chapter_id || '/' || s.path, s.kind, 'load', s.at,
                s.from_state, s.to_state, '',
                CASE WHEN s.kind NOT IN ('activity', 'check_in') THEN p.role END,
                CASE WHEN s.kind NOT IN ('activity', 'check_in') THEN p.source END,
                CASE WHEN p.source = 'referral' AND s.kind IN ('referral', 'participant') THEN p.org END,
                p.municipality_id, p.district_id,
                CASE WHEN s.kind NOT IN ('activity', 'check_in') THEN p.gender END,
                CASE WHEN s.kind NOT IN ('activity', 'check_in') THEN p.birth_year END,
                CASE WHEN s.to_state = 'ended'
                     THEN (ARRAY['completed', 'not_working', 'moved', 'no_contact'])[1 + (p.h / 31) % 4] END,
                CASE WHEN s.kind IN ('match', 'check_in') THEN md5('match' || p.p)::uuid END,
                CASE WHEN s.kind IN ('activity', 'invitation') THEN md5('activity' || (p.p / 100))::uuid END,
                CASE WHEN s.kind = 'activity' THEN 'group_activity' END,
                CASE WHEN s.to_state = 'matched' THEN p.wait END,
                CASE WHEN s.kind = 'activity' THEN true END
         FROM person p
         CROSS JOIN LATERAL (VALUES
             (0, CASE WHEN p.source = 'referral' THEN 'referral' ELSE 'invitation' END,
                 CASE WHEN p.source = 'referral' THEN 'referrals/' || p.id
                      ELSE 'activities/' || md5('activity' || (p.p / 100))::uuid || '/invitations/' || p.id END,
                 '', CASE WHEN p.source = 'referral' THEN 'received' ELSE 'pending' END, p.t0),
             (1, 'participant', 'participants/' || p.id, '', 'applicant', p.t0 + interval '2 days'),
             (2, 'interview', 'participants/' || p.id || '/interviews/' || md5('interview' || p.p)::uuid,
                 '', 'booked', p.t0 + interval '3 days'),
             (3, 'participant', 'participants/' || p.id, 'applicant', 'interview_booked',
                 p.t0 + interval '3 days 1 hour'),
             (4, 'interview', 'participants/' || p.id || '/interviews/' || md5('interview' || p.p)::uuid,
                 'booked', 'recorded', p.t0 + interval '10 days'),
             (5, 'participant', 'participants/' || p.id, 'interview_booked', 'ready',
                 p.t0 + interval '10 days 1 hour'),
             (6, 'participant', 'participants/' || p.id, 'ready', 'matched',
                 p.t0 + interval '10 days 1 hour' + p.wait * interval '1 second'),
             (7, 'match', 'matches/' || md5('match' || p.p)::uuid, 'proposed', 'accepted',
                 p.t0 + interval '10 days 1 hour' + p.wait * interval '1 second'),
             (8, 'check_in', 'matches/' || md5('match' || p.p)::uuid || '/checkIns/' || p.id, '',
                 (ARRAY['met', 'met', 'not_yet', 'wont_meet'])[1 + (p.h / 37) % 4],
                 p.t0 + interval '40 days' + p.wait * interval '1 second'),
             (9, CASE WHEN p.p % 100 = 0 THEN 'activity'
                      WHEN (p.h / 41) % 3 = 0 THEN 'match' ELSE 'invitation' END,
                 CASE WHEN p.p % 100 = 0 THEN 'activities/' || md5('activity' || (p.p / 100))::uuid
                      WHEN (p.h / 41) % 3 = 0 THEN 'matches/' || md5('match' || p.p)::uuid
                      ELSE 'activities/' || md5('activity' || (p.p / 100))::uuid || '/invitations/' || p.id END,
                 CASE WHEN p.p % 100 = 0 THEN 'planned' WHEN (p.h / 41) % 3 = 0 THEN 'accepted'
                      ELSE 'pending' END,
                 CASE WHEN p.p % 100 = 0 THEN 'completed' WHEN (p.h / 41) % 3 = 0 THEN 'ended'
                      ELSE (ARRAY['yes', 'no', 'waitlisted'])[1 + (p.h / 43) % 3] END,
                 p.t0 + interval '120 days' + p.wait * interval '1 second'))
             AS s (slot, kind, path, from_state, to_state, at)
         WHERE p.p * 10 + s.slot < {events}"
    )
}
