//! The engine rules a chapter's administrators set beside the programme settings
//! (common free slots, interests for full points, age gap, waiting days for full
//! points), applied to the engine's configuration of every suggestion.

use sqlx::{PgConnection, PgExecutor};

use crate::StoreError;

/// A chapter's engine rules; `None` keeps the engine's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct EngineRules {
    /// Fewest common free slots, 0 to 21.
    pub min_common_slots: Option<i32>,
    /// Shared interests for the full interest points, 1 to 20.
    pub interests_for_full_score: Option<i32>,
    /// Age gap in years at which age closeness gives nothing, 1 to 100.
    pub age_gap_years: Option<i32>,
    /// Waiting days for the full waiting points, 1 to 3,650.
    pub waiting_days_for_full_score: Option<i32>,
}

/// Reads a chapter's engine rules (all `None` while the chapter has the defaults).
pub async fn get_rules<'c>(db: impl PgExecutor<'c>, chapter: &str) -> Result<EngineRules, StoreError> {
    Ok(sqlx::query_as(
        "SELECT m.min_common_slots, m.interests_for_full_score, m.age_gap_years,
                m.waiting_days_for_full_score
         FROM chapters c LEFT JOIN matching_programmes m ON m.chapter_id = c.id
         WHERE c.id = $1",
    )
    .bind(chapter)
    .fetch_optional(db)
    .await?
    .unwrap_or_default())
}

/// Replaces a chapter's engine rules; the chapter's programme row must exist (write it
/// first with [`crate::matches::set_programme`] in the same transaction).
pub async fn set_rules(tx: &mut PgConnection, chapter: &str, rules: &EngineRules) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE matching_programmes SET min_common_slots = $2, interests_for_full_score = $3,
             age_gap_years = $4, waiting_days_for_full_score = $5
         WHERE chapter_id = $1",
    )
    .bind(chapter)
    .bind(rules.min_common_slots)
    .bind(rules.interests_for_full_score)
    .bind(rules.age_gap_years)
    .bind(rules.waiting_days_for_full_score)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
