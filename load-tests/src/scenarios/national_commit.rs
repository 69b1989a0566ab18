//! A national commit: one `MatchingService.CommitMatchingRound` call over a stored dry
//! run of `--commit-pairs` proposals (58,000, a national round), timed beside a plain
//! SQL peer in the same run.
//!
//! **Setup writes straight into the server's database** (`--database-url`, through
//! `psql`), as the suggestions scenario does: `--commit-pairs` ready newcomers and as
//! many ready residents of capacity 1 in `--chapter`'s `--district`, each pair
//! admissible (a shared language, common free time, either way of meeting, no hard
//! wishes), and one round of the chapter stored as a finished dry run (SUCCEEDED)
//! proposing newcomer `i` to resident `i`. The engine's part of a round is measured by
//! its own benchmarks; this measures what committing costs. Run it only against a
//! database made for the run, never against real data.
//!
//! The timed call commits every proposal at once, with a deadline of ten minutes so
//! that the figure is measured whatever it is; the server still answers within its own
//! request timeout (30 s by default) or not at all, and a call cut off by it fails the
//! run. Then it checks what the commit wrote (a proposed match per pair, its event, both
//! notifications, both places counted) and times the **peer**: one `INSERT ... SELECT`
//! of the same number of rows from the round's proposals into a copy of the `matches`
//! table (its columns, defaults, checks and indexes; no foreign keys), in one
//! transaction on the same database. The ratio commit / peer says how many single-table
//! bulk inserts of that size the commit costs; it writes about nine rows per pair
//! (match, event, two notifications, their deliveries, outbox entries) and updates two.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use kompis_proto::v1::matching_service_client::MatchingServiceClient;
use kompis_proto::v1::{CommitMatchingRoundRequest, MatchingRoundState};

use super::connection::{Connections, bearer};
use crate::cli::Args;

/// The longest the generator waits for the commit's answer.
const DEADLINE: Duration = Duration::from_secs(600);

/// Runs the national commit and returns its report.
pub async fn run(args: &Args) -> anyhow::Result<String> {
    let database = args.database_url.as_deref().context(
        "the national-commit scenario needs --database-url (the server's database, \
         where its setup writes the round)",
    )?;
    let admin = bearer(args.admin_token.as_ref(), "--admin-token")?;
    let pairs = args.commit_pairs;
    anyhow::ensure!(
        (1..=1_000_000).contains(&pairs),
        "--commit-pairs must be 1 to 1,000,000"
    );
    let (municipality, district) = match args.district.split('/').collect::<Vec<_>>().as_slice() {
        ["municipalities", m, "districts", d] => ((*m).to_owned(), (*d).to_owned()),
        _ => anyhow::bail!("--district must be municipalities/{{m}}/districts/{{d}}"),
    };
    for (what, value) in [
        ("--chapter", args.chapter.as_str()),
        ("--district", municipality.as_str()),
        ("--district", district.as_str()),
    ] {
        // Interpolated into SQL below: slugs only.
        anyhow::ensure!(
            !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "{what} must be a slug"
        );
    }

    eprintln!("national-commit: seeding {pairs} pairs and their dry run");
    let started = Instant::now();
    let round =
        psql(database, &seed(&args.chapter, &municipality, &district, pairs)).context("seeding the round")?;
    let round = round
        .lines()
        .last()
        .context("the seed returned no round")?
        .to_owned();
    anyhow::ensure!(
        uuid::Uuid::parse_str(&round).is_ok(),
        "the seed returned {round:?}"
    );
    eprintln!(
        "national-commit: seeded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let name = format!("chapters/{}/matchingRounds/{round}", args.chapter);

    let connections = Connections::open(args).await?;
    let mut client = MatchingServiceClient::new(connections.channel(0));
    let mut request = connections.request(
        &admin,
        CommitMatchingRoundRequest {
            name: name.clone(),
            proposals: vec![],
            request_id: uuid::Uuid::new_v4().to_string(),
        },
    );
    request.set_timeout(DEADLINE);
    let load_before = crate::system::load_average();
    let busy_before = busy_cpu_seconds();
    let start = Instant::now();
    let answer = client.commit_matching_round(request).await;
    let took = start.elapsed();
    let busy = busy_cpu_seconds().zip(busy_before).map(|(a, b)| a - b);
    let load_after = crate::system::load_average();
    let peer = |round: &str| peer_seconds(database, round).context("timing the peer");
    let seconds = took.as_secs_f64();
    let committed = match answer {
        Ok(answer) => answer
            .into_inner()
            .matching_round
            .context("no round in the answer")?,
        Err(status) => {
            // A commit cut off by the server's request timeout is a result too: it is
            // reported with the peer, and the run fails.
            let peer = peer(&round)?;
            anyhow::bail!(
                "CommitMatchingRound failed after {seconds:.3} s ({:?}: {}); peer {peer:.3} s \
                 (ratio {:.1}); load average {load_before} before, {load_after} after",
                status.code(),
                status.message(),
                seconds / peer.max(1e-6)
            );
        }
    };
    anyhow::ensure!(
        committed.state == MatchingRoundState::Committed as i32
            && u64::try_from(committed.committed_proposals) == Ok(pairs),
        "the round is not COMMITTED with {pairs} proposals: {committed:?}"
    );
    let written = psql(database, &written(&round)).context("counting what the commit wrote")?;
    let expected = format!("{pairs}|{pairs}|{}|{}", 2 * pairs, 2 * pairs);
    anyhow::ensure!(
        written == expected,
        "matches|events|notifications|places: {written}, expected {expected}"
    );
    let peer = peer(&round)?;
    let mut out = String::new();
    out.push_str(&format!(
        "national commit: one CommitMatchingRound of {pairs} proposals ({name})\n"
    ));
    out.push_str(&format!(
        "  commit answered after {seconds:.3} s: {pairs} proposed matches, {pairs} events, {} notifications, {} places counted\n",
        2 * pairs,
        2 * pairs
    ));
    out.push_str(&format!(
        "  peer, same database, same run: INSERT ... SELECT of {pairs} rows into a copy of matches (no foreign keys) in {peer:.3} s\n"
    ));
    out.push_str(&format!(
        "  ratio commit / peer: {:.1}\n",
        seconds / peer.max(1e-6)
    ));
    match busy {
        Some(busy) => out.push_str(&format!(
            "  machine CPU busy during the commit: {busy:.1} s of {:.1} s available ({} cores)\n",
            seconds * crate::system::cores() as f64,
            crate::system::cores()
        )),
        None => out.push_str("  machine CPU: unknown (/proc/stat not readable)\n"),
    }
    out.push_str(&format!(
        "  load average: {load_before} before, {load_after} after\n"
    ));
    Ok(out)
}

/// The SQL that seeds the pairs and the round's dry run, and prints the round's id.
fn seed(chapter: &str, municipality: &str, district: &str, pairs: u64) -> String {
    let participant = |role: &str, column: &str, phone: &str, swedish: &str| {
        format!(
            "INSERT INTO participants (id, chapter_id, role, state, source, given_name,
                 family_name, phone, birth_year, gender, municipality_id, district_id,
                 consent_given_by, consent_time, consent_text_version, languages,
                 swedish_level, availability, meeting_preference, buddy_capacity,
                 has_children, waiting_since)
             SELECT {column}, '{chapter}', '{role}', 'ready', 'coordinator', 'Load',
                 'Pair ' || n, '{phone}' || lpad(n::text, 7, '0'), 1990, 'female',
                 '{municipality}', '{district}', 'load test setup', now(), 'load-test',
                 '[{{\"code\": \"ar\", \"level\": \"native\"}}]', '{swedish}', 2097151, 'both', 1,
                 false, now() - (n % 400) * interval '1 day'
             FROM national_pairs;"
        )
    };
    format!(
        "BEGIN;
         CREATE TEMP TABLE national_pairs ON COMMIT DROP AS
             SELECT n, gen_random_uuid() AS newcomer, gen_random_uuid() AS resident
             FROM generate_series(1, {pairs}) AS n;
         {newcomers}
         {residents}
         CREATE TEMP TABLE national_round ON COMMIT DROP AS SELECT gen_random_uuid() AS id;
         INSERT INTO matching_rounds (id, chapter_id, creator, state, phase, progress_permille,
             newcomers_ready, residents_ready, resident_capacity, admissible_pairs, matched,
             waiting, total_score, create_time, start_time, finish_time, update_time)
         SELECT id, '{chapter}', 'load-test', 'succeeded', 'done', 1000, {pairs}, {pairs},
             {pairs}, {pairs}, {pairs}, 0, 0, now(), now(), now(), now()
         FROM national_round;
         INSERT INTO matching_round_proposals (round_id, position, newcomer_id, resident_id, score)
         SELECT r.id, p.n, p.newcomer, p.resident, '{{\"total\": 0, \"criteria\": []}}'
         FROM national_pairs p, national_round r;
         SELECT id FROM national_round;
         COMMIT;
         ANALYZE participants; ANALYZE matching_round_proposals;",
        newcomers = participant("newcomer", "newcomer", "+4673", "sfi_b"),
        residents = participant("established_resident", "resident", "+4674", "native"),
    )
}

/// Matches, their proposed events, their notifications and the places counted, of
/// `round`, as `a|b|c|d`.
fn written(round: &str) -> String {
    format!(
        "WITH m AS (SELECT id, chapter_id, newcomer_id, resident_id FROM matches
                    WHERE matching_round_id = '{round}')
         SELECT (SELECT count(*) FROM m)
             || '|' || (SELECT count(*) FROM events e JOIN m ON e.match_id = m.id
                        WHERE e.to_state = 'proposed')
             || '|' || (SELECT count(*) FROM notifications n JOIN m
                        ON n.subject = 'chapters/' || m.chapter_id || '/matches/' || m.id)
             || '|' || (SELECT sum(p.active_match_count) FROM participants p JOIN m
                        ON p.id IN (m.newcomer_id, m.resident_id))"
    )
}

/// Seconds PostgreSQL took (psql's `\timing`) for one `INSERT ... SELECT` of the
/// round's proposals into a fresh copy of `matches`, dropped afterwards.
fn peer_seconds(database: &str, round: &str) -> anyhow::Result<f64> {
    let out = psql(
        database,
        &format!(
            "DROP TABLE IF EXISTS national_commit_peer;
             CREATE TABLE national_commit_peer (LIKE matches INCLUDING ALL);
             \\timing on
             INSERT INTO national_commit_peer (id, chapter_id, newcomer_id, resident_id, state,
                 score, proposer, matching_round_id, deadline_time, create_time, update_time)
             SELECT gen_random_uuid(), r.chapter_id, p.newcomer_id, p.resident_id, 'proposed',
                 p.score, 'load-test', r.id, now() + interval '7 days', now(), now()
             FROM matching_round_proposals p JOIN matching_rounds r ON r.id = p.round_id
             WHERE p.round_id = '{round}';
             \\timing off
             DROP TABLE national_commit_peer;"
        ),
    )?;
    let ms: f64 = out
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("Time: "))
        .and_then(|t| t.split_whitespace().next())
        .context("psql printed no timing")?
        .parse()
        .context("psql's timing")?;
    Ok(ms / 1000.0)
}

/// Seconds every core of the machine spent busy so far (`/proc/stat`: all but idle and
/// iowait), so that the commit's wall time can be read against what else ran.
fn busy_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<f64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: f64 = fields.iter().take(8).sum();
    let idle = fields.get(3)? + fields.get(4)?;
    // USER_HZ is 100 on Linux.
    Some((total - idle) / 100.0)
}

/// Runs `sql` through psql (from a script on stdin, so that meta-commands work) and
/// returns what it printed, trimmed.
fn psql(database: &str, sql: &str) -> anyhow::Result<String> {
    use std::io::Write as _;
    let mut child = Command::new("psql")
        .args(["-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", database, "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("running psql (Debian: postgresql-client)")?;
    child
        .stdin
        .take()
        .context("psql's stdin")?
        .write_all(sql.as_bytes())?;
    let out = child.wait_with_output()?;
    anyhow::ensure!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
