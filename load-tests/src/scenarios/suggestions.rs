//! Suggestions in a large chapter: `MatchingService.SuggestCandidates` for newcomers of
//! a chapter with `--suggestions-residents` established residents (20,000) waiting.
//!
//! **Setup writes the pool straight into the server's database** (`--database-url`,
//! through `psql`): one `INSERT ... SELECT` from `generate_series` creates the
//! residents and one the newcomers, all `ready`, in `--chapter`'s `--district`, in a
//! few seconds where 20,000 `CreateParticipant` calls and interviews would take
//! minutes. The seeded rows are complete participants as the store reads them
//! (languages, Swedish level, free tags, availability, capacity, waiting since), but
//! have no events, outbox entries or interviews behind them: run it only against a
//! database made for the run (as `load-tests/run.sh` does), never against real data.
//! Each run adds its own pool; the residents are spread over languages, ages, genders,
//! free time, tags, capacities and waiting times so the engine ranks a real field.
//!
//! The timed calls go through the generated client: call `n` asks for the default
//! number of candidates (the chapter's `top_k`) for newcomer `n` modulo the newcomers,
//! as an administrator. The ceiling is pgbench's primary-key read: a suggestion is a
//! read.

use std::process::Command;

use anyhow::Context as _;
use futures::future::BoxFuture;
use kompis_proto::v1::SuggestCandidatesRequest;
use kompis_proto::v1::matching_service_client::MatchingServiceClient;

use super::connection::{Connections, bearer};
use super::{CeilingKind, Scenario};
use crate::cli::Args;
use crate::token::Bearer;

/// SuggestCandidates for the seeded newcomers, round-robin.
#[derive(Debug)]
pub struct Suggestions {
    connections: Connections,
    admin: Bearer,
    /// Resource names of the seeded newcomers.
    newcomers: Vec<String>,
}

impl Suggestions {
    /// Seeds the pool (see the module docs) and returns the scenario.
    pub fn new(args: &Args, connections: Connections) -> anyhow::Result<Self> {
        let database = args.database_url.as_deref().context(
            "the suggestions scenario needs --database-url (the server's database, \
             where its setup writes the pool)",
        )?;
        let admin = bearer(args.admin_token.as_ref(), "--admin-token")?;
        anyhow::ensure!(
            args.suggestions_newcomers > 0,
            "--suggestions-newcomers must be at least 1"
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
        let started = std::time::Instant::now();
        psql(
            database,
            &seed(
                &args.chapter,
                &municipality,
                &district,
                "established_resident",
                args.suggestions_residents,
            ),
        )
        .context("seeding the residents")?;
        let newcomers: Vec<String> = psql(
            database,
            &seed(
                &args.chapter,
                &municipality,
                &district,
                "newcomer",
                args.suggestions_newcomers,
            ),
        )
        .context("seeding the newcomers")?
        .lines()
        .map(str::to_owned)
        .collect();
        anyhow::ensure!(
            newcomers.len() as u64 == args.suggestions_newcomers,
            "seeded {} newcomers, expected {}",
            newcomers.len(),
            args.suggestions_newcomers
        );
        psql(database, "ANALYZE participants").context("analysing participants")?;
        eprintln!(
            "suggestions: seeded {} residents and {} newcomers in {:.1} s",
            args.suggestions_residents,
            newcomers.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(Self {
            connections,
            admin,
            newcomers,
        })
    }
}

impl Scenario for Suggestions {
    fn name(&self) -> &'static str {
        "suggestions"
    }

    fn ceiling(&self) -> CeilingKind {
        CeilingKind::PrimaryKeyRead
    }

    fn call(&self, n: u64) -> BoxFuture<'static, Result<(), tonic::Status>> {
        let mut client = MatchingServiceClient::new(self.connections.channel(n));
        let participant = self.newcomers[(n % self.newcomers.len() as u64) as usize].clone();
        let request = self.connections.request(
            &self.admin,
            SuggestCandidatesRequest {
                participant,
                max_candidates: 0,
            },
        );
        Box::pin(async move {
            client.suggest_candidates(request).await?;
            Ok(())
        })
    }
}

/// One `INSERT ... SELECT` of `count` ready participants of `role`; for newcomers it
/// returns their resource names, one a line. The values vary with the row number so
/// that the pool is a field to rank, not 20,000 copies of one person.
fn seed(chapter: &str, municipality: &str, district: &str, role: &str, count: u64) -> String {
    let resident = role == "established_resident";
    let (swedish, level, capacity, returning) = if resident {
        ("'native'", "'c1'", "1 + n % 3", "")
    } else {
        (
            "(ARRAY['sfi_b','sfi_c','sfi_d','a2'])[1 + n % 4]",
            "'b1'",
            "1",
            "RETURNING 'chapters/' || chapter_id || '/participants/' || id",
        )
    };
    format!(
        "INSERT INTO participants (id, chapter_id, role, state, source, given_name, family_name,
             phone, birth_year, gender, municipality_id, district_id, consent_given_by,
             consent_time, consent_text_version, languages, swedish_level, free_tags,
             availability, meeting_preference, buddy_capacity, has_children, waiting_since)
         SELECT gen_random_uuid(), '{chapter}', '{role}', 'ready', 'coordinator', 'Load',
             'Person ' || n, '+4676' || lpad((n % 10000000)::text, 7, '0'),
             1950 + n % 50,
             (ARRAY['female','male','non_binary','undisclosed'])[1 + n % 4],
             '{municipality}', '{district}', 'load test setup', now(), 'load-test',
             jsonb_build_array(jsonb_build_object(
                 'code', (ARRAY['en','ar','fa','so','ti','uk'])[1 + n % 6], 'level', {level})),
             {swedish},
             ARRAY['tag-' || (n % 40), 'tag-' || (40 + n % 7)],
             ((n::bigint * 2654435761) % 2097152)::int,
             (ARRAY['in_person','online','both'])[1 + n % 3],
             {capacity}, n % 5 = 0,
             now() - (n % 400) * interval '1 day' - (n % 86400) * interval '1 second'
         FROM generate_series(1, {count}) AS n
         {returning}"
    )
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
