//! Supply and demand at the end of a past period, counted from the event log alone:
//! who waited for a buddy and which established residents were ready for one, per
//! district and per language ("who waits for what, and where residents are missing").
//!
//! A participant counts at the end of the period when a span of `ready`
//! (`report_state_spans`, 0052) covers the end, in the place, target group and
//! languages of the event that began the span (as [`crate::reports::at_end`] reads
//! it). Languages are on participant events since 0051, and on the spans (0052);
//! older events carry the languages of participants still on record when 0051 ran, and
//! none for people erased before it, who then count in the totals and districts but
//! under no language.
//! A resident counts while READY (approved, without a buddy): the spare places of
//! residents who already have a buddy are not in the event log (capacity is not an
//! event attribute); GetShortageReport counts those for now.

use sqlx::PgExecutor;

use crate::StoreError;
use crate::reports::{FigureRow, FollowUpQuery};

/// The waiting newcomers and ready residents at the end of `q`'s period:
/// `newcomers_waiting_at_end` by `language`, and `residents_ready_at_end` in total, by
/// `district` (`{municipality}/{district}`) and by `language` (ISO 639 code; a person
/// speaking two languages counts under both). Keys without anyone are left out.
///
/// Cost: an index range over the chapter's spans that end after the period's end
/// (index `report_state_spans_end`), not the events before it.
pub async fn at_end<'c>(db: impl PgExecutor<'c>, q: &FollowUpQuery) -> Result<Vec<FigureRow>, StoreError> {
    let mut rows: Vec<FigureRow> = sqlx::query_as(
        "WITH ready AS (
             SELECT participant_role, municipality_id, district_id, languages
             FROM report_state_spans
             WHERE ($1::text IS NULL OR chapter_id = $1) AND kind = 'participant'
               AND end_time >= $2 AND start_time < $2
               AND ($3::text IS NULL OR municipality_id = $3)
               AND ($4::text IS NULL OR district_id = $4)
               AND (cardinality($5::text[]) = 0 OR participant_role = ANY($5))
               AND (cardinality($6::text[]) = 0 OR gender = ANY($6))
               AND ($7::int IS NULL OR birth_year >= $7)
               AND ($8::int IS NULL OR birth_year <= $8)
               AND (cardinality($9::text[]) = 0 OR referral_source = ANY($9))),
         counted (metric, dimension, key, n) AS (
             SELECT 'residents_ready_at_end', '', '', count(*) FROM ready
                 WHERE participant_role = 'established_resident'
             UNION ALL
             SELECT 'residents_ready_at_end', 'district', municipality_id || '/' || district_id,
                    count(*) FROM ready
                 WHERE participant_role = 'established_resident' GROUP BY 3
             UNION ALL
             SELECT CASE participant_role WHEN 'newcomer' THEN 'newcomers_waiting_at_end'
                         ELSE 'residents_ready_at_end' END,
                    'language', language, count(*)
                 FROM ready, unnest(languages) AS language GROUP BY 1, 3)
         SELECT metric, dimension, coalesce(key, '-') AS key, n AS count FROM counted
         ORDER BY metric, dimension, key",
    )
    .bind(q.chapter.as_deref())
    .bind(q.end)
    .bind(q.municipality.as_deref())
    .bind(q.district.as_deref())
    .bind(&q.roles)
    .bind(&q.genders)
    .bind(q.born_from)
    .bind(q.born_to)
    .bind(&q.sources)
    .fetch_all(db)
    .await?;
    rows.sort_by(|a, b| (&a.metric, &a.dimension, &a.key).cmp(&(&b.metric, &b.dimension, &b.key)));
    Ok(rows)
}

/// Every language code of the participants of `chapter` (every chapter for `None`)
/// ready at some time before `end` (their spans of `ready`, 0052): the known keys of the language breakdowns of a period ending
/// then, listed with 0 where nobody in scope speaks them, so that a language left out
/// never stands for a 0. Once `end` has passed the set no longer changes.
pub async fn languages_before<'c>(
    db: impl PgExecutor<'c>,
    chapter: Option<&str>,
    end: Option<time::OffsetDateTime>,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT language FROM report_state_spans, unnest(languages) AS language
         WHERE ($1::text IS NULL OR chapter_id = $1) AND kind = 'participant'
           AND ($2::timestamptz IS NULL OR start_time < $2)
         ORDER BY 1",
    )
    .bind(chapter)
    .bind(end)
    .fetch_all(db)
    .await?)
}
