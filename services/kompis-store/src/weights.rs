//! Each chapter's matching weights and limits.

use kompis_domain::{CriterionWeights, MatchingSettings, MinAge, Slug, Weight};
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

impl MatchingWeights {
    /// The domain settings these stored values make. A value out of its range (which
    /// the CHECK constraints prevent) is corrupt data, an error, never a default.
    pub fn settings(&self) -> Result<MatchingSettings, StoreError> {
        let weight = |what: &'static str, value: i32| {
            Weight::parse(value).map_err(|_| StoreError::corrupt(what, value.to_string()))
        };
        Ok(MatchingSettings {
            weights: CriterionWeights {
                shared_interests: weight("shared_interests weight", self.shared_interests)?,
                distance: weight("distance weight", self.distance)?,
                age_closeness: weight("age_closeness weight", self.age_closeness)?,
                soft_wishes: weight("soft_wishes weight", self.soft_wishes)?,
                swedish_level_fit: weight("swedish_level_fit weight", self.swedish_level_fit)?,
                family_situation: weight("family_situation weight", self.family_situation)?,
                meeting_preference: weight("meeting_preference weight", self.meeting_preference)?,
                waiting_time: weight("waiting_time weight", self.waiting_time)?,
            },
            max_distance_km: MatchingSettings::parse_max_distance_km(self.max_distance_km)
                .map_err(|_| StoreError::corrupt("max_distance_km", self.max_distance_km.to_string()))?,
            min_age: MinAge::parse(self.min_age)
                .map_err(|_| StoreError::corrupt("min_age", self.min_age.to_string()))?,
            top_k: MatchingSettings::parse_top_k(self.top_k)
                .map_err(|_| StoreError::corrupt("top_k", self.top_k.to_string()))?,
        })
    }
}

/// Replaces a chapter's settings; `at` is the update time, from the application clock.
pub async fn update_weights<'c>(
    db: impl PgExecutor<'c>,
    chapter: &Slug,
    settings: &MatchingSettings,
    at: OffsetDateTime,
) -> Result<MatchingWeights, StoreError> {
    let w = &settings.weights;
    Ok(sqlx::query_as(
        "UPDATE matching_weights SET shared_interests = $2, distance = $3, age_closeness = $4,
                soft_wishes = $5, swedish_level_fit = $6, family_situation = $7,
                meeting_preference = $8, waiting_time = $9, max_distance_km = $10,
                min_age = $11, top_k = $12, update_time = $13
          WHERE chapter_id = $1 RETURNING *",
    )
    .bind(chapter.as_str())
    .bind(w.shared_interests.get())
    .bind(w.distance.get())
    .bind(w.age_closeness.get())
    .bind(w.soft_wishes.get())
    .bind(w.swedish_level_fit.get())
    .bind(w.family_situation.get())
    .bind(w.meeting_preference.get())
    .bind(w.waiting_time.get())
    .bind(settings.max_distance_km)
    .bind(settings.min_age.get())
    .bind(i32::from(settings.top_k))
    .bind(at)
    .fetch_one(db)
    .await?)
}
