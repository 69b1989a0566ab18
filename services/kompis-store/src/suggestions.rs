//! What one suggestion for a participant reads, in one statement: the participant as
//! the engine reads them, their chapter's weights, engine rules and pool version, and
//! the never-propose-again pairs that involve them.
//!
//! `SuggestCandidates` is called hundreds of times a second against a pool kept in
//! memory; its reads were six statements in a transaction (with its `BEGIN` and
//! rollback), eight round trips for rows that are each a probe by key. One statement
//! outside a transaction reads them all from one snapshot: the version is read with
//! the rest, so a pool read after it is at least as new (see
//! [`crate::matches::pool_version`]). It is a read straight on the pool, so the
//! caller's deadline does not bound it ([`crate::deadline`]); every part of it is an
//! index probe.

use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;
use crate::engine_rules::EngineRules;
use crate::matches::PoolMember;
use crate::weights::MatchingWeights;

/// Everything a suggestion for one participant reads ([`context`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionContext {
    /// The participant's chapter.
    pub chapter_id: String,
    /// The participant as the engine reads them (as [`crate::matches::pool_member`]).
    pub member: PoolMember,
    /// The chapter's weights (as [`crate::weights::get_weights`]).
    pub weights: MatchingWeights,
    /// The chapter's engine rules (as [`crate::engine_rules::get_rules`]).
    pub rules: EngineRules,
    /// The chapter's pool version (as [`crate::matches::pool_version`]).
    pub pool_version: i64,
    /// The never-propose-again pairs (newcomer, resident) that involve the participant
    /// (as [`crate::matches::excluded_pairs`]).
    pub excluded: Vec<(Uuid, Uuid)>,
}

/// The row [`context`] reads.
#[derive(sqlx::FromRow)]
struct ContextRow {
    chapter_id: String,
    #[sqlx(flatten)]
    member: PoolMember,
    w_shared_interests: i32,
    w_distance: i32,
    w_age_closeness: i32,
    w_soft_wishes: i32,
    w_swedish_level_fit: i32,
    w_family_situation: i32,
    w_meeting_preference: i32,
    w_waiting_time: i32,
    w_max_distance_km: f64,
    w_min_age: i32,
    w_top_k: i32,
    w_update_time: OffsetDateTime,
    min_common_slots: Option<i32>,
    interests_for_full_score: Option<i32>,
    age_gap_years: Option<i32>,
    waiting_days_for_full_score: Option<i32>,
    pool_version: i64,
    excluded_newcomers: Vec<Uuid>,
    excluded_residents: Vec<Uuid>,
}

/// Reads what a suggestion for the participant `id` needs, in one statement; `None`
/// when there is no such participant (or, as for [`crate::matches::pool_member`], their
/// district is unknown). A chapter's weights row is written with the chapter
/// ([`crate::chapters`]), so every participant's chapter has one.
pub async fn context<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<Option<SuggestionContext>, StoreError> {
    let row: Option<ContextRow> = sqlx::query_as(
        "SELECT p.chapter_id,
                p.id, p.role, p.state, p.birth_year, p.gender, p.languages, p.swedish_level,
                p.interests, p.free_tags, p.availability, p.meeting_preference, p.wishes,
                p.buddy_capacity, p.has_children, p.active_match_count, p.waiting_since,
                d.latitude, d.longitude,
                w.shared_interests AS w_shared_interests, w.distance AS w_distance,
                w.age_closeness AS w_age_closeness, w.soft_wishes AS w_soft_wishes,
                w.swedish_level_fit AS w_swedish_level_fit,
                w.family_situation AS w_family_situation,
                w.meeting_preference AS w_meeting_preference, w.waiting_time AS w_waiting_time,
                w.max_distance_km AS w_max_distance_km, w.min_age AS w_min_age,
                w.top_k AS w_top_k, w.update_time AS w_update_time,
                m.min_common_slots, m.interests_for_full_score, m.age_gap_years,
                m.waiting_days_for_full_score,
                coalesce(v.version, 0) AS pool_version,
                coalesce(e.newcomers, '{}') AS excluded_newcomers,
                coalesce(e.residents, '{}') AS excluded_residents
         FROM participants p
         JOIN districts d ON d.municipality_id = p.municipality_id AND d.id = p.district_id
         JOIN matching_weights w ON w.chapter_id = p.chapter_id
         LEFT JOIN matching_programmes m ON m.chapter_id = p.chapter_id
         LEFT JOIN pool_versions v ON v.chapter_id = p.chapter_id
         CROSS JOIN LATERAL (
             SELECT array_agg(x.newcomer_id ORDER BY x.newcomer_id, x.resident_id) AS newcomers,
                    array_agg(x.resident_id ORDER BY x.newcomer_id, x.resident_id) AS residents
             FROM never_propose_again x
             WHERE x.newcomer_id = p.id OR x.resident_id = p.id) e
         WHERE p.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| SuggestionContext {
        weights: MatchingWeights {
            chapter_id: r.chapter_id.clone(),
            shared_interests: r.w_shared_interests,
            distance: r.w_distance,
            age_closeness: r.w_age_closeness,
            soft_wishes: r.w_soft_wishes,
            swedish_level_fit: r.w_swedish_level_fit,
            family_situation: r.w_family_situation,
            meeting_preference: r.w_meeting_preference,
            waiting_time: r.w_waiting_time,
            max_distance_km: r.w_max_distance_km,
            min_age: r.w_min_age,
            top_k: r.w_top_k,
            update_time: r.w_update_time,
        },
        rules: EngineRules {
            min_common_slots: r.min_common_slots,
            interests_for_full_score: r.interests_for_full_score,
            age_gap_years: r.age_gap_years,
            waiting_days_for_full_score: r.waiting_days_for_full_score,
        },
        excluded: r
            .excluded_newcomers
            .into_iter()
            .zip(r.excluded_residents)
            .collect(),
        chapter_id: r.chapter_id,
        member: r.member,
        pool_version: r.pool_version,
    }))
}
