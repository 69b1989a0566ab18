//! The partnership's follow-up figures and goals, counted from the event log alone.
//!
//! Every figure is computed from the structured, non-personal attributes that events
//! carry (0005, 0050), never from participants, referrals, interviews or notes, which
//! erasure removes: erasing a person blanks free text and deletes their rows but leaves
//! the figures of every period exactly as they were.
//!
//! Persons are filtered by the attributes copied into each event when it happened
//! (role, gender, birth year, referral source, municipality, district). A match counts
//! in the target group and place of its newcomer; a check-in in those of its match;
//! activities only by place.
//!
//! **Exact, and fast over millions of events** (load-tests/README.md, "The follow-up
//! report"). No figure is pre-aggregated: a target group is any combination of role,
//! gender, birth years, source and place, which no rollup by day could hold in fewer
//! rows than the events themselves. Instead the report reads the period's events once
//! ([`follow_up`], counted by everything a figure breaks down by), reads the subsets it
//! needs apart from the indexes alone ([`matches_made`], [`waits`]), and takes the states
//! at the end from spans kept beside the log ([`at_end`]); the service runs the four side
//! by side. Two things written with each event by triggers (migration 0052) make that
//! possible without DISTINCT or a scan of the whole history: the time of the subject's
//! previous event into the same state (`events.prior_time`), and the spans a participant
//! was ready or a match live (`report_state_spans`). Both are built from the event log's
//! own structured attributes, so they survive erasure as the log does.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::StoreError;

/// What a follow-up counts: a period, a place and a target group. `None` and empty
/// lists mean "no filter".
#[derive(Debug, Clone, Default)]
pub struct FollowUpQuery {
    /// The chapter; `None` for every chapter.
    pub chapter: Option<String>,
    /// Only people and activities of this municipality.
    pub municipality: Option<String>,
    /// Only people and activities of this district (of `municipality`).
    pub district: Option<String>,
    /// Start of the period, inclusive.
    pub start: Option<OffsetDateTime>,
    /// End of the period, exclusive.
    pub end: Option<OffsetDateTime>,
    /// Only these roles (`ParticipantRole::as_str`).
    pub roles: Vec<String>,
    /// Only these genders (`Gender::as_str`).
    pub genders: Vec<String>,
    /// Only people born in or after this year.
    pub born_from: Option<i32>,
    /// Only people born in or before this year.
    pub born_to: Option<i32>,
    /// Only people who came this way (`participants.source`).
    pub sources: Vec<String>,
}

/// One count of the follow-up: `metric` in total (`dimension` empty) or for one `key`
/// of a breakdown.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FigureRow {
    /// What is counted, for example `recruited`.
    pub metric: String,
    /// The breakdown; empty for the total.
    pub dimension: String,
    /// The value of the breakdown, for example `organizations/sfi-alby`.
    pub key: String,
    /// How many.
    pub count: i64,
}

/// The waiting time from ready to matched of the newcomers matched in the period.
#[derive(Debug, Clone, Copy, PartialEq, Default, sqlx::FromRow)]
pub struct WaitStats {
    /// Newcomers whose wait is known.
    pub newcomers: i64,
    /// Median in days; `None` without newcomers.
    pub median_days: Option<f64>,
    /// 90th percentile in days (continuous); `None` without newcomers.
    pub p90_days: Option<f64>,
}

/// The person and activity filters of a query, on events aliased `{e}`: person events by
/// place and target group. `$4`/`$5` place, `$6` roles, `$7` genders, `$8`/`$9` birth
/// years, `$10` sources.
const PERSON_FILTER: &str = "
    ($4::text IS NULL OR {e}.municipality_id = $4)
    AND ($5::text IS NULL OR {e}.district_id = $5)
    AND (cardinality($6::text[]) = 0 OR {e}.participant_role = ANY($6))
    AND (cardinality($7::text[]) = 0 OR {e}.gender = ANY($7))
    AND ($8::int IS NULL OR {e}.birth_year >= $8)
    AND ($9::int IS NULL OR {e}.birth_year <= $9)
    AND (cardinality($10::text[]) = 0 OR {e}.referral_source = ANY($10))";

/// The events of the query: person events by place and target group, activity events by
/// place, check-ins by the place and target group of their match. `$1` chapter,
/// `$2`/`$3` period, and [`PERSON_FILTER`]'s parameters.
const SCOPED: &str = "
    person AS (
        SELECT * FROM events e
        WHERE ($1::text IS NULL OR chapter_id = $1)
          AND kind IN ('referral', 'participant', 'interview', 'match', 'invitation')
          AND {person}
          AND occur_time >= $2 AND occur_time < $3)";

/// Every count of the follow-up report over `q` but the matches made
/// ([`matches_made`]) and the states at the end ([`at_end`]), totals and breakdowns. A
/// total is always present (0 when nothing happened); a breakdown lists the keys that
/// occurred, and the months of the period with 0 (a key may come twice: add them up).
///
/// How it stays fast (1,000,000 events in well under a second, load-tests/README.md):
/// - **One pass.** The period's events of the scope are read once and counted by
///   everything a figure breaks down by (kind, transition, role, source, organisation,
///   place, end reason, activity kind, free, month, wait bucket): a few hundred groups,
///   from which every figure is summed.
/// - **People once, without DISTINCT.** A figure that counts subjects (people matched,
///   matches ended, activities held, invitations accepted) counts the events whose
///   `prior_time` (migration 0052: the subject's previous event of the same kind into the
///   same state) lies before the period: each subject's first such event in the
///   period, exactly one per subject. Its breakdowns (role, district, month) are those
///   of that first event, so they add up to the total.
/// - **Attendance** is counted net: the events into `attended` less those out of it
///   (corrections), for invitees (`attendance`, by their place and target group) and
///   for pairs who signed up together and both came (`pair_attendance`, by the
///   activity's place).
/// - **Check-ins** count in the scope of their match: without a place or target group
///   every check-in of the chapter is in it (a check-in's match was made before it), so
///   the matches of the scope are only looked up when one is given.
///
/// It sets planner settings for the transaction (`SET LOCAL`), so it takes one: the
/// planner cannot tell from per-column statistics that the period falls into a few
/// hundred groups, and would otherwise sort the period's events (to disk) instead of
/// hashing them, and would not let parallel workers hash parts of the period (their
/// partial counts are a few hundred rows each, not the hundreds of thousands it
/// expects: `parallel_tuple_cost` 0); JIT compilation costs more than it saves here.
///
/// Cost: one scan of the period's events (sequential, or the chapter's range of
/// `events_chapter`); without filters no other read.
pub async fn follow_up(tx: &mut PgConnection, q: &FollowUpQuery) -> Result<Vec<FigureRow>, StoreError> {
    for setting in [
        "SET LOCAL enable_sort = off",
        "SET LOCAL enable_gathermerge = off",
        "SET LOCAL parallel_tuple_cost = 0",
        "SET LOCAL jit = off",
        "SET LOCAL work_mem = '32MB'",
    ] {
        sqlx::query(setting).execute(&mut *tx).await?;
    }
    let sql = FOLLOW_UP
        .replace("{person}", &PERSON_FILTER.replace("{e}", "events"))
        .replace("{person_m}", &PERSON_FILTER.replace("{e}", "m"));
    let mut rows: Vec<FigureRow> = bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)), q)
        .fetch_all(&mut *tx)
        .await?;
    rows.sort_by(|a, b| (&a.metric, &a.dimension, &a.key).cmp(&(&b.metric, &b.dimension, &b.key)));
    Ok(rows)
}

/// The query of [`follow_up`]; `{person}` and `{person_m}` are [`PERSON_FILTER`] on
/// `events` and on `m`.
const FOLLOW_UP: &str = "
WITH months AS (
    SELECT array_agg(m AT TIME ZONE 'Europe/Stockholm' ORDER BY m) AS starts,
           array_agg(to_char(m, 'YYYY-MM') ORDER BY m) AS labels
    FROM generate_series(date_trunc('month', $2 AT TIME ZONE 'Europe/Stockholm'),
        ($3 AT TIME ZONE 'Europe/Stockholm') - interval '1 microsecond', interval '1 month') m),
g AS MATERIALIZED (
    SELECT kind, from_state, to_state, participant_role, referral_source, organization_id,
           municipality_id, district_id, end_reason, activity_kind, activity_free,
           prior_time IS NULL OR prior_time < $2 AS first,
           CASE WHEN kind = 'participant' AND to_state = 'matched'
                THEN width_bucket(occur_time, (SELECT starts FROM months)) END AS month,
           CASE WHEN kind = 'participant' AND to_state = 'matched' AND waited_seconds IS NOT NULL
                THEN width_bucket(waited_seconds, ARRAY[0, 30 * 86400 + 1, 90 * 86400 + 1,
                     180 * 86400 + 1, 365 * 86400 + 1]::bigint[]) END AS wait_bucket,
           count(*) AS n
    FROM events
    WHERE ($1::text IS NULL OR chapter_id = $1) AND occur_time >= $2 AND occur_time < $3
      AND ((kind IN ('referral', 'participant', 'interview', 'match', 'invitation', 'attendance')
            AND {person})
        OR (kind IN ('activity', 'pair_attendance') AND ($4::text IS NULL OR municipality_id = $4)
            AND ($5::text IS NULL OR district_id = $5))
        OR (kind = 'check_in'
            AND (($4::text IS NULL AND $5::text IS NULL AND cardinality($6::text[]) = 0
                  AND cardinality($7::text[]) = 0 AND $8::int IS NULL AND $9::int IS NULL
                  AND cardinality($10::text[]) = 0)
                 OR match_id IN (
                     SELECT m.match_id FROM events m
                     WHERE ($1::text IS NULL OR m.chapter_id = $1) AND m.kind = 'match'
                       AND m.occur_time < $3
                       AND {person_m}))))
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14),
counted (metric, dimension, key, n) AS (
    SELECT 'referrals_received', '', '', sum(n) FROM g WHERE kind = 'referral' AND from_state = ''
    UNION ALL
    SELECT 'referrals_received', 'source', 'organizations/' || organization_id, sum(n)
        FROM g WHERE kind = 'referral' AND from_state = '' GROUP BY organization_id
    UNION ALL
    SELECT 'recruited', '', '', sum(n) FROM g WHERE kind = 'participant' AND from_state = ''
    UNION ALL
    SELECT 'recruited', 'role', participant_role, sum(n) FROM g
        WHERE kind = 'participant' AND from_state = '' GROUP BY participant_role
    UNION ALL
    SELECT 'recruited', 'source',
           CASE WHEN referral_source = 'referral'
                THEN 'organizations/' || coalesce(organization_id, '-')
                ELSE referral_source END, sum(n)
        FROM g WHERE kind = 'participant' AND from_state = '' GROUP BY 3
    UNION ALL
    SELECT 'interviewed', '', '', sum(n) FROM g WHERE kind = 'interview' AND to_state = 'recorded'
    UNION ALL
    SELECT 'interviewed', 'role', participant_role, sum(n) FROM g
        WHERE kind = 'interview' AND to_state = 'recorded' GROUP BY participant_role
    UNION ALL
    SELECT 'approved', '', '', sum(n) FROM g
        WHERE kind = 'participant' AND to_state = 'ready'
          AND from_state IN ('applicant', 'interview_booked', 'needs_follow_up')
    UNION ALL
    SELECT 'approved', 'role', participant_role, sum(n) FROM g
        WHERE kind = 'participant' AND to_state = 'ready'
          AND from_state IN ('applicant', 'interview_booked', 'needs_follow_up')
        GROUP BY participant_role
    UNION ALL
    SELECT 'matched', '', '', sum(n) FROM g
        WHERE kind = 'participant' AND to_state = 'matched' AND first
    UNION ALL
    SELECT 'matched', 'role', participant_role, sum(n) FROM g
        WHERE kind = 'participant' AND to_state = 'matched' AND first GROUP BY participant_role
    UNION ALL
    SELECT 'matched', 'district', municipality_id || '/' || district_id, sum(n) FROM g
        WHERE kind = 'participant' AND to_state = 'matched' AND first GROUP BY 3
    UNION ALL
    SELECT 'newcomers_matched', '', '', sum(n) FROM g
        WHERE kind = 'participant' AND to_state = 'matched' AND participant_role = 'newcomer' AND first
    UNION ALL
    SELECT 'newcomers_matched', 'month', (SELECT labels[month] FROM months), sum(n) FROM g
        WHERE kind = 'participant' AND to_state = 'matched' AND participant_role = 'newcomer' AND first
        GROUP BY month
    UNION ALL
    SELECT 'newcomers_matched', 'month', label, 0 FROM months, unnest(labels) label
    UNION ALL
    SELECT 'newcomers_wait', '', '', sum(n) FROM g
        WHERE kind = 'participant' AND to_state = 'matched' AND participant_role = 'newcomer'
          AND wait_bucket IS NOT NULL
    UNION ALL
    SELECT 'newcomers_wait', 'days',
           (ARRAY['0-30', '31-90', '91-180', '181-365', '366-'])[wait_bucket], sum(n)
        FROM g
        WHERE kind = 'participant' AND to_state = 'matched' AND participant_role = 'newcomer'
          AND wait_bucket IS NOT NULL
        GROUP BY wait_bucket
    UNION ALL
    SELECT 'matches_ended', '', '', sum(n) FROM g WHERE kind = 'match' AND to_state = 'ended' AND first
    UNION ALL
    SELECT 'matches_ended', 'end_reason', coalesce(end_reason, '-'), sum(n)
        FROM g WHERE kind = 'match' AND to_state = 'ended' AND first GROUP BY 3
    UNION ALL
    SELECT 'check_ins', '', '', sum(n) FROM g WHERE kind = 'check_in'
    UNION ALL
    SELECT 'check_ins', 'answer', to_state, sum(n) FROM g WHERE kind = 'check_in' GROUP BY to_state
    UNION ALL
    SELECT 'activities_held', '', '', sum(n) FROM g
        WHERE kind = 'activity' AND to_state = 'completed' AND first
    UNION ALL
    SELECT 'activities_held', 'kind', activity_kind, sum(n) FROM g
        WHERE kind = 'activity' AND to_state = 'completed' AND first GROUP BY activity_kind
    UNION ALL
    SELECT 'activities_held', 'free',
           CASE WHEN activity_free THEN 'free' WHEN NOT activity_free THEN 'not_free'
                ELSE '-' END, sum(n)
        FROM g WHERE kind = 'activity' AND to_state = 'completed' AND first GROUP BY 3
    UNION ALL
    SELECT 'invitations_sent', '', '', sum(n) FROM g WHERE kind = 'invitation' AND from_state = ''
    UNION ALL
    SELECT 'invitations_accepted', '', '', sum(n) FROM g
        WHERE kind = 'invitation' AND to_state = 'yes' AND first
    UNION ALL
    SELECT 'invitations_waitlisted', '', '', sum(n) FROM g
        WHERE kind = 'invitation' AND to_state = 'waitlisted' AND first
    UNION ALL
    SELECT 'attended', '', '',
           coalesce(sum(n) FILTER (WHERE to_state = 'attended'), 0)
           - coalesce(sum(n) FILTER (WHERE from_state = 'attended'), 0)
        FROM g WHERE kind = 'attendance'
    UNION ALL
    SELECT 'pairs_attended_together', '', '',
           coalesce(sum(n) FILTER (WHERE to_state = 'attended'), 0)
           - coalesce(sum(n) FILTER (WHERE from_state = 'attended'), 0)
        FROM g WHERE kind = 'pair_attendance'
    UNION ALL
    SELECT 'became_ready_' || r.role, '', '', sum(n)
        FROM (VALUES ('newcomer'), ('established_resident')) r (role)
        LEFT JOIN g ON kind = 'participant' AND to_state = 'ready' AND first
             AND participant_role = r.role
        GROUP BY r.role
    UNION ALL
    SELECT 'became_ready_' || participant_role, 'district',
           municipality_id || '/' || district_id, sum(n) FROM g
        WHERE kind = 'participant' AND to_state = 'ready' AND first GROUP BY 1, 3)
SELECT metric, dimension, coalesce(key, '-') AS key, coalesce(n, 0)::bigint AS count FROM counted";

/// Matches made in the period (each counted once, at the first acceptance in it) in the
/// target group and place of their newcomer, and how many of them met within 35 days
/// (a check-in answered `met` by then).
///
/// Cost: the period's acceptances (`events_report_made`) and the check-ins answered
/// `met` until 35 days after it (`events_report_met`), from the indexes alone, joined
/// by hashing.
pub async fn matches_made<'c>(
    db: impl PgExecutor<'c>,
    q: &FollowUpQuery,
) -> Result<Vec<FigureRow>, StoreError> {
    let sql = format!(
        "WITH made AS (
             SELECT match_id, occur_time FROM events
             WHERE ($1::text IS NULL OR chapter_id = $1) AND kind = 'match'
               AND to_state = 'accepted' AND occur_time >= $2 AND occur_time < $3
               AND (prior_time IS NULL OR prior_time < $2) AND {person}),
         met_in_time AS (
             SELECT DISTINCT made.match_id FROM made
             JOIN events c ON c.match_id = made.match_id
             WHERE ($1::text IS NULL OR c.chapter_id = $1) AND c.kind = 'check_in'
               AND c.to_state = 'met' AND c.occur_time < $3 + interval '35 days'
               AND c.occur_time <= made.occur_time + interval '35 days'),
         met AS (
             SELECT made.match_id IN (SELECT match_id FROM met_in_time) AS met FROM made)
         SELECT 'matches_made' AS metric, '' AS dimension, '' AS key, count(*) AS count FROM met
         UNION ALL
         SELECT 'matches_made', 'met_within_35_days', CASE WHEN met THEN 'yes' ELSE 'no' END,
                count(*)
             FROM met GROUP BY 3",
        person = PERSON_FILTER.replace("{e}", "events"),
    );
    Ok(bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)), q)
        .fetch_all(db)
        .await?)
}

/// What stands at the end of the period: matches live and newcomers waiting, counted in
/// the place and target group of the event that put them in that state. A subject
/// counts when its last event before the end put it there: the spans of
/// `report_state_spans` (migration 0052) that cover the end.
///
/// Cost: the chapter's spans that end after the period's end (index
/// `report_state_spans_end`): those still lasting and those ended since.
pub async fn at_end<'c>(db: impl PgExecutor<'c>, q: &FollowUpQuery) -> Result<Vec<FigureRow>, StoreError> {
    let sql = format!(
        "WITH last_state AS (
             SELECT kind, state, participant_role, municipality_id, district_id
             FROM report_state_spans s
             WHERE ($1::text IS NULL OR chapter_id = $1) AND end_time >= $3
               AND start_time < $3 AND {person}),
         counted (metric, dimension, key, n) AS (
             SELECT 'matches_live_at_end', '', '', count(*) FROM last_state
                 WHERE kind = 'match'
             UNION ALL
             SELECT 'newcomers_waiting_at_end', '', '', count(*) FROM last_state
                 WHERE kind = 'participant' AND participant_role = 'newcomer'
             UNION ALL
             SELECT 'newcomers_waiting_at_end', 'district', municipality_id || '/' || district_id,
                    count(*) FROM last_state
                 WHERE kind = 'participant' AND participant_role = 'newcomer' GROUP BY 3)
         SELECT metric, dimension, coalesce(key, '-') AS key, n AS count FROM counted",
        person = PERSON_FILTER.replace("{e}", "s"),
    );
    let mut rows: Vec<FigureRow> = bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)), q)
        .fetch_all(db)
        .await?;
    rows.sort_by(|a, b| (&a.metric, &a.dimension, &a.key).cmp(&(&b.metric, &b.dimension, &b.key)));
    Ok(rows)
}

/// The median and 90th percentile wait from ready to matched of the newcomers matched
/// in the period (a newcomer matched twice counts twice).
///
/// Cost: the period's events into `matched`, from the index `events_report_matched`.
pub async fn waits<'c>(db: impl PgExecutor<'c>, q: &FollowUpQuery) -> Result<WaitStats, StoreError> {
    let sql = format!(
        "WITH {scoped}
         SELECT count(*) AS newcomers,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY waited_seconds / 86400.0) AS median_days,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY waited_seconds / 86400.0) AS p90_days
         FROM person
         WHERE kind = 'participant' AND to_state = 'matched' AND participant_role = 'newcomer'
           AND waited_seconds IS NOT NULL",
        scoped = SCOPED.replace("{person}", &PERSON_FILTER.replace("{e}", "e")),
    );
    Ok(bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)), q)
        .fetch_one(db)
        .await?)
}

type Query<'q, T> = sqlx::query::QueryAs<'q, sqlx::Postgres, T, sqlx::postgres::PgArguments>;

fn bind<'q, T>(query: Query<'q, T>, q: &'q FollowUpQuery) -> Query<'q, T> {
    query
        .bind(q.chapter.as_deref())
        .bind(q.start)
        .bind(q.end)
        .bind(q.municipality.as_deref())
        .bind(q.district.as_deref())
        .bind(&q.roles)
        .bind(&q.genders)
        .bind(q.born_from)
        .bind(q.born_to)
        .bind(&q.sources)
}

/// A place or organisation a report names, with its display name.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Label {
    /// The key the figures use: `organizations/{id}` or `{municipality}/{district}`.
    pub key: String,
    /// The display name.
    pub display_name: String,
    /// The municipality of a district; `None` for an organisation.
    pub municipality_id: Option<String>,
}

/// The organisations of a chapter (every chapter for `None`) and the districts of the
/// municipalities it covers, by key. Reference data, not personal.
pub async fn labels<'c>(db: impl PgExecutor<'c>, chapter: Option<&str>) -> Result<Vec<Label>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT 'organizations/' || id AS key, display_name, NULL::text AS municipality_id
         FROM organizations WHERE $1::text IS NULL OR chapter_id = $1
         UNION ALL
         SELECT d.municipality_id || '/' || d.id, d.display_name, d.municipality_id
         FROM districts d JOIN chapter_municipalities cm ON cm.municipality_id = d.municipality_id
         WHERE $1::text IS NULL OR cm.chapter_id = $1
         ORDER BY 1",
    )
    .bind(chapter)
    .fetch_all(db)
    .await?)
}

/// A target of the partnership for a period.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Goal {
    /// The chapter.
    pub chapter_id: String,
    /// The municipality; empty for the whole chapter.
    pub municipality_id: String,
    /// Start of the period, inclusive.
    pub start_time: OffsetDateTime,
    /// End of the period, exclusive.
    pub end_time: OffsetDateTime,
    /// The metric of the follow-up report.
    pub metric: String,
    /// The target.
    pub target: i32,
    /// When it was last set.
    pub update_time: OffsetDateTime,
    /// Who set it.
    pub updated_by: String,
}

/// Sets (or replaces) a goal; returns it as stored.
pub async fn set_goal<'c>(db: impl PgExecutor<'c>, g: &Goal) -> Result<Goal, StoreError> {
    Ok(sqlx::query_as(
        "INSERT INTO report_goals (chapter_id, municipality_id, start_time, end_time, metric,
             target, update_time, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (chapter_id, municipality_id, start_time, end_time, metric)
         DO UPDATE SET target = EXCLUDED.target, update_time = EXCLUDED.update_time,
             updated_by = EXCLUDED.updated_by
         RETURNING *",
    )
    .bind(&g.chapter_id)
    .bind(&g.municipality_id)
    .bind(g.start_time)
    .bind(g.end_time)
    .bind(&g.metric)
    .bind(g.target)
    .bind(g.update_time)
    .bind(&g.updated_by)
    .fetch_one(db)
    .await?)
}

/// The goals of a chapter (and municipality, `None` for all) whose period overlaps
/// `[start, end)`, by period then metric.
pub async fn goals<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    municipality: Option<&str>,
    start: Option<OffsetDateTime>,
    end: Option<OffsetDateTime>,
) -> Result<Vec<Goal>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM report_goals
         WHERE chapter_id = $1 AND ($2::text IS NULL OR municipality_id = $2)
           AND ($3::timestamptz IS NULL OR end_time > $3)
           AND ($4::timestamptz IS NULL OR start_time < $4)
         ORDER BY start_time, end_time, municipality_id, metric",
    )
    .bind(chapter)
    .bind(municipality)
    .bind(start)
    .bind(end)
    .fetch_all(db)
    .await?)
}
