//! Chapters and the municipalities they cover.

use kompis_domain::Slug;
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::StoreError;

/// A chapter as stored, with the municipalities it covers.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Chapter {
    /// Slug, the last segment of `chapters/{id}`.
    pub id: String,
    /// Name as people write it.
    pub display_name: String,
    /// Where applicants and partners reach the chapter.
    pub contact_email: String,
    /// Slugs of the municipalities the chapter covers, sorted.
    pub municipalities: Vec<String>,
    /// Hours before an activity its participants with a seat are reminded; 0 for none.
    pub activity_reminder_hours: i32,
    /// When the row was created.
    pub create_time: OffsetDateTime,
    /// When the row last changed.
    pub update_time: OffsetDateTime,
}

/// The fields of a chapter an administrator sets.
#[derive(Debug, Clone)]
pub struct ChapterFields {
    /// Name as people write it.
    pub display_name: String,
    /// Contact address, may be empty.
    pub contact_email: String,
    /// Municipalities covered.
    pub municipalities: Vec<Slug>,
    /// Hours before an activity its participants are reminded (0 to 336, 0 for none);
    /// `None` keeps the stored value, or [`DEFAULT_ACTIVITY_REMINDER_HOURS`] for a new
    /// chapter.
    pub activity_reminder_hours: Option<i32>,
}

/// A new chapter's reminder schedule: a day before each activity.
pub const DEFAULT_ACTIVITY_REMINDER_HOURS: i32 = 24;

/// The chapter columns with the covered municipalities aggregated; a macro so the
/// queries stay static strings.
macro_rules! select_chapter {
    ($rest:literal) => {
        concat!(
            "SELECT c.id, c.display_name, c.contact_email, c.activity_reminder_hours,
        c.create_time, c.update_time,
        coalesce(array_agg(cm.municipality_id ORDER BY cm.municipality_id)
                 FILTER (WHERE cm.municipality_id IS NOT NULL), '{}') AS municipalities
    FROM chapters c LEFT JOIN chapter_municipalities cm ON cm.chapter_id = c.id ",
            $rest
        )
    };
}

/// Inserts a chapter, created at `at`, with its matching weights at their defaults. Runs several
/// statements: call it inside a transaction.
///
/// A municipality already covered by another chapter is [`StoreError::AlreadyExists`]
/// (`chapter_municipalities_municipality_id_key`).
pub async fn insert_chapter(
    tx: &mut PgConnection,
    id: &Slug,
    fields: &ChapterFields,
    at: OffsetDateTime,
) -> Result<Chapter, StoreError> {
    sqlx::query(
        "INSERT INTO chapters (id, display_name, contact_email, activity_reminder_hours, create_time, update_time)
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id.as_str())
    .bind(&fields.display_name)
    .bind(&fields.contact_email)
    .bind(
        fields
            .activity_reminder_hours
            .unwrap_or(DEFAULT_ACTIVITY_REMINDER_HOURS),
    )
    .bind(at)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO matching_weights (chapter_id) VALUES ($1)")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    set_municipalities(tx, id, &fields.municipalities).await?;
    get_chapter(tx, id).await
}

/// Replaces a chapter's fields at `at`. Call it inside a transaction.
pub async fn update_chapter(
    tx: &mut PgConnection,
    id: &Slug,
    fields: &ChapterFields,
    at: OffsetDateTime,
) -> Result<Chapter, StoreError> {
    let updated = sqlx::query(
        "UPDATE chapters SET display_name = $2, contact_email = $3,
             activity_reminder_hours = coalesce($4, activity_reminder_hours), update_time = $5
         WHERE id = $1",
    )
    .bind(id.as_str())
    .bind(&fields.display_name)
    .bind(&fields.contact_email)
    .bind(fields.activity_reminder_hours)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query("DELETE FROM chapter_municipalities WHERE chapter_id = $1")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    set_municipalities(tx, id, &fields.municipalities).await?;
    get_chapter(tx, id).await
}

async fn set_municipalities(
    tx: &mut PgConnection,
    id: &Slug,
    municipalities: &[Slug],
) -> Result<(), StoreError> {
    let slugs: Vec<&str> = municipalities.iter().map(Slug::as_str).collect();
    sqlx::query(
        "INSERT INTO chapter_municipalities (chapter_id, municipality_id)
         SELECT $1, unnest($2::text[])",
    )
    .bind(id.as_str())
    .bind(&slugs)
    .execute(tx)
    .await?;
    Ok(())
}

/// Reads one chapter.
pub async fn get_chapter<'c>(db: impl PgExecutor<'c>, id: &Slug) -> Result<Chapter, StoreError> {
    Ok(sqlx::query_as(select_chapter!("WHERE c.id = $1 GROUP BY c.id"))
        .bind(id.as_str())
        .fetch_one(db)
        .await?)
}

/// Lists chapters ordered by id, starting after `after`.
pub async fn list_chapters<'c>(
    db: impl PgExecutor<'c>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Chapter>, StoreError> {
    Ok(sqlx::query_as(select_chapter!(
        "WHERE ($1::text IS NULL OR c.id > $1) GROUP BY c.id ORDER BY c.id LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The chapter that covers a municipality, if any.
pub async fn chapter_of_municipality<'c>(
    db: impl PgExecutor<'c>,
    municipality: &Slug,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT chapter_id FROM chapter_municipalities WHERE municipality_id = $1")
            .bind(municipality.as_str())
            .fetch_optional(db)
            .await?,
    )
}
