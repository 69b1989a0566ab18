//! Each chapter's matching weights and limits.

use kompis_domain::Slug;
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::StoreError;

/// A chapter's matching weights, as stored. Weights are relative integers (0-100).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MatchingWeights {
    /// The chapter they belong to.
    pub chapter_id: String,
    /// Weight of shared interests.
    pub shared_interests: i32,
    /// Weight of closeness between districts.
    pub distance: i32,
    /// Weight of closeness in age.
    pub age_closeness: i32,
    /// Weight of soft wishes met.
    pub soft_wishes: i32,
    /// Weight of the fit between the newcomer's Swedish and the pair's languages.
    pub swedish_level_fit: i32,
    /// Weight of matching family situations.
    pub family_situation: i32,
    /// Weight of compatible meeting preferences.
    pub meeting_preference: i32,
    /// Weight of the time both have waited.
    pub waiting_time: i32,
    /// Pairs farther apart than this are never proposed.
    pub max_distance_km: f64,
    /// Minimum age to take part.
    pub min_age: i32,
    /// How many candidates a suggestion lists by default.
    pub top_k: i32,
    /// When the weights last changed.
    pub update_time: OffsetDateTime,
}

/// Reads a chapter's weights.
pub async fn get_weights<'c>(db: impl PgExecutor<'c>, chapter: &Slug) -> Result<MatchingWeights, StoreError> {
    Ok(
        sqlx::query_as("SELECT * FROM matching_weights WHERE chapter_id = $1")
            .bind(chapter.as_str())
            .fetch_one(db)
            .await?,
    )
}

/// Replaces a chapter's weights with `weights` (its `chapter_id` and `update_time`
/// are ignored).
pub async fn update_weights<'c>(
    db: impl PgExecutor<'c>,
    chapter: &Slug,
    weights: &MatchingWeights,
) -> Result<MatchingWeights, StoreError> {
    Ok(sqlx::query_as(
        "UPDATE matching_weights SET shared_interests = $2, distance = $3, age_closeness = $4,
                soft_wishes = $5, swedish_level_fit = $6, family_situation = $7,
                meeting_preference = $8, waiting_time = $9, max_distance_km = $10,
                min_age = $11, top_k = $12, update_time = now()
         WHERE chapter_id = $1 RETURNING *",
    )
    .bind(chapter.as_str())
    .bind(weights.shared_interests)
    .bind(weights.distance)
    .bind(weights.age_closeness)
    .bind(weights.soft_wishes)
    .bind(weights.swedish_level_fit)
    .bind(weights.family_situation)
    .bind(weights.meeting_preference)
    .bind(weights.waiting_time)
    .bind(weights.max_distance_km)
    .bind(weights.min_age)
    .bind(weights.top_k)
    .fetch_one(db)
    .await?)
}
