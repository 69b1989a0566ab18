//! Municipalities and their districts.

use kompis_domain::{Coordinates, KommunKod, Slug};
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::StoreError;

/// A municipality as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Municipality {
    /// Slug, the last segment of `municipalities/{id}`.
    pub id: String,
    /// Name as people write it (Göteborg).
    pub display_name: String,
    /// Official four-digit kommunkod.
    pub code: String,
    /// County (län) name.
    pub region: String,
    /// When the row was created.
    pub create_time: OffsetDateTime,
    /// When the row last changed.
    pub update_time: OffsetDateTime,
}

/// A new municipality.
#[derive(Debug, Clone)]
pub struct NewMunicipality {
    /// Slug chosen by the administrator.
    pub id: Slug,
    /// Name as people write it.
    pub display_name: String,
    /// Official kommunkod.
    pub code: KommunKod,
    /// County (län) name.
    pub region: String,
}

/// Inserts a municipality, created at `at`. A taken id or code is
/// [`StoreError::AlreadyExists`].
pub async fn insert_municipality<'c>(
    db: impl PgExecutor<'c>,
    new: &NewMunicipality,
    at: OffsetDateTime,
) -> Result<Municipality, StoreError> {
    Ok(sqlx::query_as(
        "INSERT INTO municipalities (id, display_name, code, region, create_time, update_time)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
    )
    .bind(new.id.as_str())
    .bind(&new.display_name)
    .bind(new.code.as_str())
    .bind(&new.region)
    .bind(at)
    .fetch_one(db)
    .await?)
}

/// Reads one municipality.
pub async fn get_municipality<'c>(db: impl PgExecutor<'c>, id: &Slug) -> Result<Municipality, StoreError> {
    Ok(sqlx::query_as("SELECT * FROM municipalities WHERE id = $1")
        .bind(id.as_str())
        .fetch_one(db)
        .await?)
}

/// Lists municipalities ordered by id, starting after `after`, at most `limit` rows.
pub async fn list_municipalities<'c>(
    db: impl PgExecutor<'c>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Municipality>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM municipalities WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// A district as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct District {
    /// Slug of the municipality it belongs to.
    pub municipality_id: String,
    /// Slug, unique within the municipality.
    pub id: String,
    /// Name as people write it (Vårsta).
    pub display_name: String,
    /// Latitude of the district's centre, WGS84 degrees.
    pub latitude: f64,
    /// Longitude of the district's centre, WGS84 degrees.
    pub longitude: f64,
    /// When the row was created.
    pub create_time: OffsetDateTime,
    /// When the row last changed.
    pub update_time: OffsetDateTime,
}

/// A new district, or the full new state of one being updated.
#[derive(Debug, Clone)]
pub struct DistrictFields {
    /// Name as people write it.
    pub display_name: String,
    /// Centre of the district.
    pub coordinates: Coordinates,
}

/// Inserts a district, created at `at`. An unknown municipality is
/// [`StoreError::MissingReference`].
pub async fn insert_district<'c>(
    db: impl PgExecutor<'c>,
    municipality: &Slug,
    id: &Slug,
    fields: &DistrictFields,
    at: OffsetDateTime,
) -> Result<District, StoreError> {
    Ok(sqlx::query_as(
        "INSERT INTO districts (municipality_id, id, display_name, latitude, longitude, create_time, update_time)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *",
    )
    .bind(municipality.as_str())
    .bind(id.as_str())
    .bind(&fields.display_name)
    .bind(fields.coordinates.latitude())
    .bind(fields.coordinates.longitude())
    .bind(at)
    .fetch_one(db)
    .await?)
}

/// Replaces a district's fields at `at`.
pub async fn update_district<'c>(
    db: impl PgExecutor<'c>,
    municipality: &Slug,
    id: &Slug,
    fields: &DistrictFields,
    at: OffsetDateTime,
) -> Result<District, StoreError> {
    Ok(sqlx::query_as(
        "UPDATE districts SET display_name = $3, latitude = $4, longitude = $5, update_time = $6
         WHERE municipality_id = $1 AND id = $2 RETURNING *",
    )
    .bind(municipality.as_str())
    .bind(id.as_str())
    .bind(&fields.display_name)
    .bind(fields.coordinates.latitude())
    .bind(fields.coordinates.longitude())
    .bind(at)
    .fetch_one(db)
    .await?)
}

/// Reads one district.
pub async fn get_district<'c>(
    db: impl PgExecutor<'c>,
    municipality: &Slug,
    id: &Slug,
) -> Result<District, StoreError> {
    Ok(
        sqlx::query_as("SELECT * FROM districts WHERE municipality_id = $1 AND id = $2")
            .bind(municipality.as_str())
            .bind(id.as_str())
            .fetch_one(db)
            .await?,
    )
}

/// Lists districts of one municipality (or of all when `municipality` is `None`),
/// ordered by (municipality, id), starting after the key `after`.
pub async fn list_districts<'c>(
    db: impl PgExecutor<'c>,
    municipality: Option<&Slug>,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<District>, StoreError> {
    let (after_municipality, after_id) = after.unzip();
    Ok(sqlx::query_as(
        "SELECT * FROM districts
         WHERE ($1::text IS NULL OR municipality_id = $1)
           AND ($2::text IS NULL OR (municipality_id, id) > ($2, $3::text))
         ORDER BY municipality_id, id LIMIT $4",
    )
    .bind(municipality.map(Slug::as_str))
    .bind(after_municipality)
    .bind(after_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
