//! The machine's own ceilings, measured in the same run as the scenario: what
//! PostgreSQL does with pgbench for the equivalent single-row insert and primary-key
//! read, and what Redis does with redis-benchmark for XADD. A scenario's throughput is
//! reported as a share of these, so that figures from different machines compare.
//! For the app's reads, also the gRPC floor: the rate of kompisd's cheapest call
//! (`grpc.health.v1.Health/Check`), which no gRPC call on this machine can exceed.

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

use crate::cli::Args;
use crate::scenarios::CeilingKind;

/// Rows in the primary-key read table: enough that reads are index lookups, few
/// enough to load in a second.
const READ_ROWS: u32 = 100_000;
/// XADDs of the Redis ceiling.
const XADD_COUNT: u32 = 200_000;

/// Tables of the pgbench ceilings, shaped like a referral row and a chapter row.
const SETUP_SQL: &str = "\
DROP TABLE IF EXISTS ceiling_insert;
CREATE TABLE ceiling_insert (id uuid PRIMARY KEY, chapter_id text NOT NULL, payload text NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now());
DROP TABLE IF EXISTS ceiling_read;
CREATE TABLE ceiling_read (id integer PRIMARY KEY, payload text NOT NULL);
INSERT INTO ceiling_read SELECT g, repeat('x', 200) FROM generate_series(1, 100000) g;
ANALYZE ceiling_read;
";
/// Run after the ceilings, before the scenario: see [`pgbench_ceilings`].
const SETTLE_SQL: &str = "DROP TABLE IF EXISTS ceiling_insert;\nCHECKPOINT;\n";
/// One single-row insert per transaction, the row about a referral's size.
const INSERT_SQL: &str = "INSERT INTO ceiling_insert (id, chapter_id, payload) VALUES (gen_random_uuid(), 'botkyrka', repeat('x', 300));\n";

/// What the machine did, each in operations per second; `None` when not measured.
#[derive(Clone, Debug, Default)]
pub struct Ceilings {
    pub insert_tps: Option<f64>,
    pub read_tps: Option<f64>,
    pub xadd_rps: Option<f64>,
    /// `Health/Check` calls answered per second by the server under test, closed loop
    /// ([`crate::scenarios::health::floor`]).
    pub grpc_floor: Option<f64>,
    /// How the gRPC floor was measured, and the load averages then.
    pub floor_method: String,
    /// Load averages while they were measured.
    pub load: String,
    /// How they were measured, for the report.
    pub method: String,
}

impl Ceilings {
    /// The ceiling a scenario is set against.
    pub fn for_kind(&self, kind: CeilingKind) -> Option<f64> {
        match kind {
            CeilingKind::SingleRowInsert => self.insert_tps,
            CeilingKind::PrimaryKeyRead => self.read_tps,
        }
    }
}

/// Measures the ceilings that `args` gives a database or Redis for.
pub async fn measure(args: &Args) -> anyhow::Result<Ceilings> {
    let seconds = args.ceiling_seconds;
    let clients = args.ceiling_clients;
    let pg = args.pgbench_url.clone();
    let redis = args.redis_url.clone();
    let mut ceilings = tokio::task::spawn_blocking(move || -> anyhow::Result<Ceilings> {
        let mut ceilings = Ceilings {
            load: crate::system::load_average(),
            method: format!(
                "pgbench -n -M prepared -c {clients} -j 2 -T {seconds}; redis-benchmark -c {clients} -n {XADD_COUNT} XADD"
            ),
            ..Default::default()
        };
        if let Some(url) = pg {
            let dir = std::env::temp_dir().join(format!("kompis-load-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let result = pgbench_ceilings(&dir, &url, clients, seconds);
            let _ = std::fs::remove_dir_all(&dir);
            let (insert, read) = result?;
            ceilings.insert_tps = Some(insert);
            ceilings.read_tps = Some(read);
        }
        if let Some(url) = redis {
            ceilings.xadd_rps = Some(xadd_ceiling(&url, clients)?);
        }
        Ok(ceilings)
    })
    .await??;
    // Beside pgbench's ceilings only: a fixed-rate profile (no ceilings) counts the
    // server's CPU over the whole run, which the floor's calls would swell.
    if args.scenario.measures_grpc_floor() && args.pgbench_url.is_some() {
        ceilings.floor_method = format!(
            "grpc.health.v1.Health/Check, closed loop, {} in flight over {} connections, {seconds} s, load {}",
            args.floor_in_flight,
            args.connections,
            crate::system::load_average()
        );
        ceilings.grpc_floor = Some(crate::scenarios::health::floor(args).await?);
    }
    Ok(ceilings)
}

fn pgbench_ceilings(dir: &Path, url: &str, clients: u32, seconds: u64) -> anyhow::Result<(f64, f64)> {
    let script = |name: &str, sql: &str| -> anyhow::Result<String> {
        let path = dir.join(name);
        std::fs::write(&path, sql)?;
        Ok(path.to_string_lossy().into_owned())
    };
    let setup = script("setup.sql", SETUP_SQL)?;
    let insert = script("insert.sql", INSERT_SQL)?;
    let read = script(
        "read.sql",
        &format!("\\set id random(1, {READ_ROWS})\nSELECT id, payload FROM ceiling_read WHERE id = :id;\n"),
    )?;
    pgbench(&["-n", "-t", "1", "-c", "1", "-f", &setup, url])?;
    let (c, t) = (clients.to_string(), seconds.to_string());
    let timed = |file: &str| {
        pgbench(&[
            "-n", "-M", "prepared", "-c", &c, "-j", "2", "-T", &t, "-f", file, url,
        ])
    };
    let measured = (timed(&insert)?, timed(&read)?);
    // The insert ceiling leaves hundreds of thousands of rows' worth of dirty pages and
    // WAL: a checkpoint that wrote them out during the scenario measured next (same
    // server) would show in its tail, not the service's work. Drop the rows and
    // checkpoint now (CHECKPOINT needs a superuser or pg_checkpoint; without it the
    // rows are still dropped).
    let settle = script("settle.sql", SETTLE_SQL)?;
    if let Err(e) = pgbench(&["-n", "-t", "1", "-c", "1", "-f", &settle, url]) {
        eprintln!("kompis-load: no checkpoint after the ceilings ({e:#}); the scenario may see one");
    }
    Ok(measured)
}

/// Runs pgbench and returns its transactions per second.
fn pgbench(args: &[&str]) -> anyhow::Result<f64> {
    let out = Command::new("pgbench")
        .args(args)
        .output()
        .context("running pgbench (Debian: postgresql-client or postgresql-contrib)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    parse_pgbench_tps(&stdout).context("no `tps = ` line in pgbench's output")
}

/// The `tps = N (without initial connection time)` figure.
fn parse_pgbench_tps(output: &str) -> Option<f64> {
    output
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l["tps = ".len()..].split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// XADD to a stream of its own, deleted afterwards, and returns requests per second.
fn xadd_ceiling(url: &str, clients: u32) -> anyhow::Result<f64> {
    let key = format!("kompis-load:ceiling:{}", std::process::id());
    let (c, n) = (clients.to_string(), XADD_COUNT.to_string());
    let out = Command::new("redis-benchmark")
        .args(["-u", url, "-c", &c, "-n", &n, "--csv"])
        .args([
            "XADD",
            &key,
            "MAXLEN",
            "~",
            "100000",
            "*",
            "outbox_id",
            "0190f1c2-aaaa-7bbb-8ccc-123456789abc",
        ])
        .output()
        .context("running redis-benchmark (Debian: redis-tools)")?;
    let _ = Command::new("redis-benchmark")
        .args(["-u", url, "-c", "1", "-n", "1", "DEL", &key])
        .output();
    anyhow::ensure!(
        out.status.success(),
        "redis-benchmark failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    parse_redis_benchmark_rps(&String::from_utf8_lossy(&out.stdout))
        .context("no result in redis-benchmark's CSV")
}

/// The `rps` column of redis-benchmark's CSV (`"test","rps",...` then one row).
fn parse_redis_benchmark_rps(csv: &str) -> Option<f64> {
    csv.lines()
        .filter(|l| !l.starts_with("\"test\""))
        .find_map(|l| l.split(',').nth(1))
        .and_then(|v| v.trim_matches('"').parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbench_tps_is_read_from_its_summary() {
        let out = "number of failed transactions: 0 (0.000%)\nlatency average = 1.2 ms\n\
                   initial connection time = 5.1 ms\ntps = 6543.210987 (without initial connection time)\n";
        assert_eq!(parse_pgbench_tps(out), Some(6543.210987));
        assert_eq!(parse_pgbench_tps("pgbench: error"), None);
    }

    #[test]
    fn redis_benchmark_rps_is_read_from_its_csv() {
        let csv = "\"test\",\"rps\",\"avg_latency_ms\"\n\"XADD kompis-load:ceiling:1 MAXLEN ~ 100000 * a b\",\"81234.77\",\"0.1\"\n";
        assert_eq!(parse_redis_benchmark_rps(csv), Some(81234.77));
    }
}
