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

use sqlx::PgExecutor;
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

/// The events of the query: person events by place and target group, activity events by
/// place, check-ins by the place and target group of their match. `$1` chapter,
/// `$2`/`$3` period, `$4`/`$5` place, `$6` roles, `$7` genders, `$8`/`$9` birth years,
/// `$10` sources. `{period}` is replaced by the period condition.
const SCOPED: &str = "
    person AS (
        SELECT * FROM events
        WHERE ($1::text IS NULL OR chapter_id = $1)
          AND kind IN ('referral', 'participant', 'interview', 'match', 'invitation')
          AND ($4::text IS NULL OR municipality_id = $4)
          AND ($5::text IS NULL OR district_id = $5)
          AND (cardinality($6::text[]) = 0 OR participant_role = ANY($6))
          AND (cardinality($7::text[]) = 0 OR gender = ANY($7))
          AND ($8::int IS NULL OR birth_year >= $8)
          AND ($9::int IS NULL OR birth_year <= $9)
          AND (cardinality($10::text[]) = 0 OR referral_source = ANY($10))
          AND {period}),
    activity AS (
        SELECT * FROM events
        WHERE ($1::text IS NULL OR chapter_id = $1) AND kind = 'activity'
          AND ($4::text IS NULL OR municipality_id = $4)
          AND ($5::text IS NULL OR district_id = $5)
          AND {period})";

/// The period condition of [`SCOPED`] for events inside the period.
const IN_PERIOD: &str = "occur_time >= $2 AND occur_time < $3";
/// The period condition of [`SCOPED`] for every event before the period's end.
const BEFORE_END: &str = "occur_time < $3";

/// Every count of the follow-up report over `q`, totals and breakdowns. A total is
/// always present (0 when nothing happened); a breakdown lists the keys that occurred,
/// and the months of the period with 0 (a key may come twice: add them up).
///
/// Cost: one scan of the chapter's events of the period per kind (index
/// `events_kind`), and one of its match and participant events before the period's
/// end for the states at the end.
pub async fn follow_up<'c>(db: impl PgExecutor<'c>, q: &FollowUpQuery) -> Result<Vec<FigureRow>, StoreError> {
    let sql = format!(
        "WITH {scoped},
         in_scope_matches AS (SELECT NULL::uuid AS match_id),
         made AS (
             SELECT DISTINCT ON (match_id) match_id, occur_time FROM person
             WHERE kind = 'match' AND to_state = 'accepted' ORDER BY match_id, occur_time),
         counted (metric, dimension, key, n) AS (
             SELECT 'referrals_received', '', '', count(*) FROM person
                 WHERE kind = 'referral' AND from_state = ''
             UNION ALL
             SELECT 'referrals_received', 'source', 'organizations/' || organization_id, count(*)
                 FROM person WHERE kind = 'referral' AND from_state = ''
                 GROUP BY organization_id
             UNION ALL
             SELECT 'recruited', '', '', count(*) FROM person
                 WHERE kind = 'participant' AND from_state = ''
             UNION ALL
             SELECT 'recruited', 'role', participant_role, count(*) FROM person
                 WHERE kind = 'participant' AND from_state = '' GROUP BY participant_role
             UNION ALL
             SELECT 'recruited', 'source',
                    CASE WHEN referral_source = 'referral'
                         THEN 'organizations/' || coalesce(organization_id, '-')
                         ELSE referral_source END, count(*)
                 FROM person WHERE kind = 'participant' AND from_state = '' GROUP BY 3
             UNION ALL
             SELECT 'interviewed', '', '', count(*) FROM person
                 WHERE kind = 'interview' AND to_state = 'recorded'
             UNION ALL
             SELECT 'interviewed', 'role', participant_role, count(*) FROM person
                 WHERE kind = 'interview' AND to_state = 'recorded' GROUP BY participant_role
             UNION ALL
             SELECT 'approved', '', '', count(*) FROM person
                 WHERE kind = 'participant' AND to_state = 'ready'
                   AND from_state IN ('applicant', 'interview_booked', 'needs_follow_up')
             UNION ALL
             SELECT 'approved', 'role', participant_role, count(*) FROM person
                 WHERE kind = 'participant' AND to_state = 'ready'
                   AND from_state IN ('applicant', 'interview_booked', 'needs_follow_up')
                 GROUP BY participant_role
             UNION ALL
             SELECT 'matched', '', '', count(DISTINCT subject) FROM person
                 WHERE kind = 'participant' AND to_state = 'matched'
             UNION ALL
             SELECT 'matched', 'role', participant_role, count(DISTINCT subject) FROM person
                 WHERE kind = 'participant' AND to_state = 'matched' GROUP BY participant_role
             UNION ALL
             SELECT 'matched', 'district', municipality_id || '/' || district_id,
                    count(DISTINCT subject) FROM person
                 WHERE kind = 'participant' AND to_state = 'matched' GROUP BY 3
             UNION ALL
             SELECT 'newcomers_matched', '', '', count(DISTINCT subject)
                 FROM person
                 WHERE kind = 'participant' AND to_state = 'matched' AND participant_role = 'newcomer'
             UNION ALL
             SELECT 'newcomers_matched', 'month',
                    to_char(occur_time AT TIME ZONE 'Europe/Stockholm', 'YYYY-MM'), count(DISTINCT subject)
                 FROM person
                 WHERE kind = 'participant' AND to_state = 'matched' AND participant_role = 'newcomer'
                 GROUP BY 3
             UNION ALL
             SELECT 'newcomers_matched', 'month', to_char(m, 'YYYY-MM'), 0
                 FROM generate_series(date_trunc('month', $2 AT TIME ZONE 'Europe/Stockholm'),
                     ($3 AT TIME ZONE 'Europe/Stockholm') - interval '1 microsecond',
                     interval '1 month') m
             UNION ALL
             SELECT 'newcomers_wait', '', '', count(*) FROM person
                 WHERE kind = 'participant' AND to_state = 'matched'
                   AND participant_role = 'newcomer' AND waited_seconds IS NOT NULL
             UNION ALL
             SELECT 'newcomers_wait', 'days',
                    CASE WHEN waited_seconds <= 30 * 86400 THEN '0-30'
                         WHEN waited_seconds <= 90 * 86400 THEN '31-90'
                         WHEN waited_seconds <= 180 * 86400 THEN '91-180'
                         WHEN waited_seconds <= 365 * 86400 THEN '181-365'
                         ELSE '366-' END, count(*)
                 FROM person
                 WHERE kind = 'participant' AND to_state = 'matched'
                   AND participant_role = 'newcomer' AND waited_seconds IS NOT NULL
                 GROUP BY 3
             UNION ALL
             SELECT 'matches_made', '', '', count(*) FROM made
             UNION ALL
             SELECT 'matches_made', 'met_within_35_days',
                    CASE WHEN EXISTS (SELECT 1 FROM events c
                             WHERE c.kind = 'check_in' AND c.match_id = made.match_id
                               AND c.to_state = 'met'
                               AND c.occur_time <= made.occur_time + interval '35 days')
                         THEN 'yes' ELSE 'no' END, count(*)
                 FROM made GROUP BY 3
             UNION ALL
             SELECT 'matches_ended', '', '', count(DISTINCT match_id) FROM person
                 WHERE kind = 'match' AND to_state = 'ended'
             UNION ALL
             SELECT 'matches_ended', 'end_reason', coalesce(end_reason, '-'), count(DISTINCT match_id)
                 FROM person WHERE kind = 'match' AND to_state = 'ended' GROUP BY 3
             UNION ALL
             SELECT 'check_ins', '', '', count(*) FROM events c
                 WHERE ($1::text IS NULL OR c.chapter_id = $1) AND c.kind = 'check_in'
                   AND c.occur_time >= $2 AND c.occur_time < $3
                   AND c.match_id IN (SELECT match_id FROM in_scope_matches)
             UNION ALL
             SELECT 'check_ins', 'answer', c.to_state, count(*) FROM events c
                 WHERE ($1::text IS NULL OR c.chapter_id = $1) AND c.kind = 'check_in'
                   AND c.occur_time >= $2 AND c.occur_time < $3
                   AND c.match_id IN (SELECT match_id FROM in_scope_matches)
                 GROUP BY c.to_state
             UNION ALL
             SELECT 'activities_held', '', '', count(DISTINCT activity_id) FROM activity
                 WHERE to_state = 'completed'
             UNION ALL
             SELECT 'activities_held', 'kind', activity_kind, count(DISTINCT activity_id)
                 FROM activity WHERE to_state = 'completed' GROUP BY activity_kind
             UNION ALL
             SELECT 'activities_held', 'free',
                    CASE WHEN activity_free THEN 'free' WHEN NOT activity_free THEN 'not_free'
                         ELSE '-' END, count(DISTINCT activity_id)
                 FROM activity WHERE to_state = 'completed' GROUP BY 3
             UNION ALL
             SELECT 'invitations_sent', '', '', count(*) FROM person
                 WHERE kind = 'invitation' AND from_state = ''
             UNION ALL
             SELECT 'invitations_accepted', '', '', count(DISTINCT subject) FROM person
                 WHERE kind = 'invitation' AND to_state = 'yes'
             UNION ALL
             SELECT 'invitations_waitlisted', '', '', count(DISTINCT subject) FROM person
                 WHERE kind = 'invitation' AND to_state = 'waitlisted'
             UNION ALL
             SELECT 'became_ready_' || r.role, '', '', count(DISTINCT subject)
                 FROM (VALUES ('newcomer'), ('established_resident')) r (role)
                 LEFT JOIN person ON kind = 'participant' AND to_state = 'ready'
                      AND participant_role = r.role
                 GROUP BY r.role
             UNION ALL
             SELECT 'became_ready_' || participant_role, 'district',
                    municipality_id || '/' || district_id, count(DISTINCT subject) FROM person
                 WHERE kind = 'participant' AND to_state = 'ready' GROUP BY 1, 3)
         SELECT metric, dimension, coalesce(key, '-') AS key, n AS count FROM counted",
        scoped = SCOPED.replace("{period}", IN_PERIOD),
    );
    // Check-ins count in the scope of their match: the matches of the scope, any time.
    let sql = sql.replace(
        "in_scope_matches AS (SELECT NULL::uuid AS match_id),",
        &format!(
            "in_scope_matches AS (
                 SELECT DISTINCT match_id FROM events
                 WHERE ($1::text IS NULL OR chapter_id = $1) AND kind = 'match'
                   AND ($4::text IS NULL OR municipality_id = $4)
                   AND ($5::text IS NULL OR district_id = $5)
                   AND (cardinality($6::text[]) = 0 OR participant_role = ANY($6))
                   AND (cardinality($7::text[]) = 0 OR gender = ANY($7))
                   AND ($8::int IS NULL OR birth_year >= $8)
                   AND ($9::int IS NULL OR birth_year <= $9)
                   AND (cardinality($10::text[]) = 0 OR referral_source = ANY($10))
                   AND {BEFORE_END}),"
        ),
    );
    let mut rows: Vec<FigureRow> = bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)), q)
        .fetch_all(db)
        .await?;
    rows.sort_by(|a, b| (&a.metric, &a.dimension, &a.key).cmp(&(&b.metric, &b.dimension, &b.key)));
    Ok(rows)
}

/// What stands at the end of the period: matches live and newcomers waiting, from the
/// last event of each match and participant before the end.
pub async fn at_end<'c>(db: impl PgExecutor<'c>, q: &FollowUpQuery) -> Result<Vec<FigureRow>, StoreError> {
    let sql = format!(
        "WITH {scoped},
         last_state AS (
             SELECT DISTINCT ON (subject) subject, kind, to_state, participant_role,
                    municipality_id, district_id
             FROM person WHERE kind IN ('participant', 'match')
             ORDER BY subject, occur_time DESC, id DESC),
         counted (metric, dimension, key, n) AS (
             SELECT 'matches_live_at_end', '', '', count(*) FROM last_state
                 WHERE kind = 'match' AND to_state IN ('accepted', 'active')
             UNION ALL
             SELECT 'newcomers_waiting_at_end', '', '', count(*) FROM last_state
                 WHERE kind = 'participant' AND to_state = 'ready'
                   AND participant_role = 'newcomer'
             UNION ALL
             SELECT 'newcomers_waiting_at_end', 'district', municipality_id || '/' || district_id,
                    count(*) FROM last_state
                 WHERE kind = 'participant' AND to_state = 'ready'
                   AND participant_role = 'newcomer' GROUP BY 3)
         SELECT metric, dimension, coalesce(key, '-') AS key, n AS count FROM counted",
        scoped = SCOPED.replace("{period}", BEFORE_END),
    );
    let mut rows: Vec<FigureRow> = bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)), q)
        .fetch_all(db)
        .await?;
    rows.sort_by(|a, b| (&a.metric, &a.dimension, &a.key).cmp(&(&b.metric, &b.dimension, &b.key)));
    Ok(rows)
}

/// The median and 90th percentile wait from ready to matched of the newcomers matched
/// in the period (a newcomer matched twice counts twice).
pub async fn waits<'c>(db: impl PgExecutor<'c>, q: &FollowUpQuery) -> Result<WaitStats, StoreError> {
    let sql = format!(
        "WITH {scoped}
         SELECT count(*) AS newcomers,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY waited_seconds / 86400.0) AS median_days,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY waited_seconds / 86400.0) AS p90_days
         FROM person
         WHERE kind = 'participant' AND to_state = 'matched' AND participant_role = 'newcomer'
           AND waited_seconds IS NOT NULL",
        scoped = SCOPED.replace("{period}", IN_PERIOD),
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
