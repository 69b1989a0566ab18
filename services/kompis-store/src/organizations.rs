//! Referring organisations.

use kompis_domain::Slug;
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::StoreError;

/// The kinds of organisation that refer learners, as stored (`organizations.kind`).
pub const ORGANIZATION_KINDS: [&str; 6] = [
    "sfi_school",
    "folk_high_school",
    "study_association",
    "public_employment_service",
    "municipality",
    "other",
];

/// An organisation as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Organization {
    /// Slug, the last segment of `organizations/{id}`.
    pub id: String,
    /// The chapter its referrals go to.
    pub chapter_id: String,
    /// The municipality it is in.
    pub municipality_id: String,
    /// One of [`ORGANIZATION_KINDS`].
    pub kind: String,
    /// Name as people write it.
    pub display_name: String,
    /// The organisation's contact address; may be empty.
    pub contact_email: String,
    /// When the row was created.
    pub create_time: OffsetDateTime,
    /// When the row last changed.
    pub update_time: OffsetDateTime,
}

/// The fields of an organisation an administrator sets.
#[derive(Debug, Clone)]
pub struct OrganizationFields {
    /// The chapter its referrals go to.
    pub chapter: Slug,
    /// The municipality it is in.
    pub municipality: Slug,
    /// One of [`ORGANIZATION_KINDS`].
    pub kind: &'static str,
    /// Name as people write it.
    pub display_name: String,
    /// Contact address; may be empty.
    pub contact_email: String,
}

/// Inserts an organisation, created at `at`.
pub async fn insert_organization<'c>(
    db: impl PgExecutor<'c>,
    id: &Slug,
    fields: &OrganizationFields,
    at: OffsetDateTime,
) -> Result<Organization, StoreError> {
    Ok(sqlx::query_as(
        "INSERT INTO organizations (id, chapter_id, municipality_id, kind, display_name, contact_email, create_time, update_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *",
    )
    .bind(id.as_str())
    .bind(fields.chapter.as_str())
    .bind(fields.municipality.as_str())
    .bind(fields.kind)
    .bind(&fields.display_name)
    .bind(&fields.contact_email)
    .bind(at)
    .fetch_one(db)
    .await?)
}

/// Replaces an organisation's fields at `at`.
pub async fn update_organization<'c>(
    db: impl PgExecutor<'c>,
    id: &Slug,
    fields: &OrganizationFields,
    at: OffsetDateTime,
) -> Result<Organization, StoreError> {
    Ok(sqlx::query_as(
        "UPDATE organizations SET chapter_id = $2, municipality_id = $3, kind = $4,
                display_name = $5, contact_email = $6, update_time = $7
         WHERE id = $1 RETURNING *",
    )
    .bind(id.as_str())
    .bind(fields.chapter.as_str())
    .bind(fields.municipality.as_str())
    .bind(fields.kind)
    .bind(&fields.display_name)
    .bind(&fields.contact_email)
    .bind(at)
    .fetch_one(db)
    .await?)
}

/// Reads one organisation.
pub async fn get_organization<'c>(db: impl PgExecutor<'c>, id: &Slug) -> Result<Organization, StoreError> {
    Ok(sqlx::query_as("SELECT * FROM organizations WHERE id = $1")
        .bind(id.as_str())
        .fetch_one(db)
        .await?)
}

/// Lists organisations, optionally of one chapter and one kind, ordered by id, after
/// `after`.
pub async fn list_organizations<'c>(
    db: impl PgExecutor<'c>,
    chapter: Option<&Slug>,
    kind: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Organization>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM organizations
         WHERE ($1::text IS NULL OR chapter_id = $1) AND ($2::text IS NULL OR kind = $2)
           AND ($3::text IS NULL OR id > $3)
         ORDER BY id LIMIT $4",
    )
    .bind(chapter.map(Slug::as_str))
    .bind(kind)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
