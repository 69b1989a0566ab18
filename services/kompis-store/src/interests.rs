//! Each chapter's interest taxonomy.

use kompis_domain::Slug;
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::StoreError;

/// An interest as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Interest {
    /// The chapter whose taxonomy it is in.
    pub chapter_id: String,
    /// Slug, unique within the chapter.
    pub id: String,
    /// Name as people write it.
    pub display_name: String,
    /// Grouping for display (sport, culture, ...).
    pub category: String,
    /// When the row was created.
    pub create_time: OffsetDateTime,
}

/// Inserts an interest, created at `at`.
pub async fn insert_interest<'c>(
    db: impl PgExecutor<'c>,
    chapter: &Slug,
    id: &Slug,
    display_name: &str,
    category: &str,
    at: OffsetDateTime,
) -> Result<Interest, StoreError> {
    Ok(sqlx::query_as(
        "INSERT INTO interests (chapter_id, id, display_name, category, create_time)
         VALUES ($1, $2, $3, $4, $5) RETURNING *",
    )
    .bind(chapter.as_str())
    .bind(id.as_str())
    .bind(display_name)
    .bind(category)
    .bind(at)
    .fetch_one(db)
    .await?)
}

/// Deletes an interest.
pub async fn delete_interest<'c>(
    db: impl PgExecutor<'c>,
    chapter: &Slug,
    id: &Slug,
) -> Result<(), StoreError> {
    let deleted = sqlx::query("DELETE FROM interests WHERE chapter_id = $1 AND id = $2")
        .bind(chapter.as_str())
        .bind(id.as_str())
        .execute(db)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Lists a chapter's interests ordered by (category, display name, id), after the key
/// `after`.
pub async fn list_interests<'c>(
    db: impl PgExecutor<'c>,
    chapter: &Slug,
    after: Option<(&str, &str, &str)>,
    limit: i64,
) -> Result<Vec<Interest>, StoreError> {
    let (category, display_name, id) = match after {
        Some((c, d, i)) => (Some(c), Some(d), Some(i)),
        None => (None, None, None),
    };
    Ok(sqlx::query_as(
        "SELECT * FROM interests WHERE chapter_id = $1
           AND ($2::text IS NULL OR (category, display_name, id) > ($2, $3::text, $4::text))
         ORDER BY category, display_name, id LIMIT $5",
    )
    .bind(chapter.as_str())
    .bind(category)
    .bind(display_name)
    .bind(id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
