//! The audit log (`audit_log`): who read or changed a person's record, when, by which
//! method and for what purpose, refusals included. Ids only; append-only for the
//! service's role.

use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;

/// One access to a person's record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessRecord {
    /// Id (UUID v7).
    pub id: Uuid,
    /// When (the application clock).
    pub occur_time: OffsetDateTime,
    /// The account that acted (the token's subject).
    pub actor_subject: String,
    /// The account's role (`Role::as_str`).
    pub actor_role: String,
    /// The person whose record it is.
    pub participant_id: Uuid,
    /// The object's resource name (ids only).
    pub object: String,
    /// `read`, `change`, `export` or `erase`.
    pub action: String,
    /// The RPC's method name, for example `GetParticipant`.
    pub method: String,
    /// Why, derived from the method, for example `intake` or `self_service`.
    pub purpose: String,
    /// False when the service refused the access.
    pub allowed: bool,
}

/// Appends one record.
pub async fn record<'c>(db: impl PgExecutor<'c>, r: &AccessRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (id, occur_time, actor_subject, actor_role, participant_id, object,
                                action, method, purpose, allowed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(r.id)
    .bind(r.occur_time)
    .bind(&r.actor_subject)
    .bind(&r.actor_role)
    .bind(r.participant_id)
    .bind(&r.object)
    .bind(&r.action)
    .bind(&r.method)
    .bind(&r.purpose)
    .bind(r.allowed)
    .execute(db)
    .await?;
    Ok(())
}

/// Appends `records` in one statement (a page of people shown by a list); nothing for
/// none.
pub async fn record_many<'c>(db: impl PgExecutor<'c>, records: &[AccessRecord]) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&AccessRecord) -> String| records.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO audit_log (id, occur_time, actor_subject, actor_role, participant_id, object,
                                action, method, purpose, allowed)
         SELECT * FROM UNNEST($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::uuid[],
                              $6::text[], $7::text[], $8::text[], $9::text[], $10::bool[])",
    )
    .bind(records.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(records.iter().map(|r| r.occur_time).collect::<Vec<_>>())
    .bind(column(|r| r.actor_subject.clone()))
    .bind(column(|r| r.actor_role.clone()))
    .bind(records.iter().map(|r| r.participant_id).collect::<Vec<_>>())
    .bind(column(|r| r.object.clone()))
    .bind(column(|r| r.action.clone()))
    .bind(column(|r| r.method.clone()))
    .bind(column(|r| r.purpose.clone()))
    .bind(records.iter().map(|r| r.allowed).collect::<Vec<_>>())
    .execute(db)
    .await?;
    Ok(())
}

/// The records of `participant`, newest first, after the key `after` (time, id); uses
/// the index on (participant, time, id).
pub async fn list_for_participant<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<AccessRecord>, StoreError> {
    let (after_time, after_id) = after.unzip();
    Ok(sqlx::query_as(
        "SELECT * FROM audit_log
         WHERE participant_id = $1
           AND ($2::timestamptz IS NULL OR (occur_time, id) < ($2, $3))
         ORDER BY occur_time DESC, id DESC
         LIMIT $4",
    )
    .bind(participant)
    .bind(after_time)
    .bind(after_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The two people of the match `id` (newcomer, then resident); empty when there is no
/// such match. Read whatever the caller's scope, so that a refused attempt on a match
/// is recorded in its people's logs.
pub async fn people_of_match<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<Vec<Uuid>, StoreError> {
    let pair: Option<(Uuid, Uuid)> =
        sqlx::query_as("SELECT newcomer_id, resident_id FROM matches WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(pair.map(|(n, r)| vec![n, r]).unwrap_or_default())
}

/// The invitee of the invitation `id`; empty when there is no such invitation. Read
/// whatever the caller's scope, as [`people_of_match`].
pub async fn person_of_invitation<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<Vec<Uuid>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT participant_id FROM invitations WHERE id = $1")
            .bind(id)
            .fetch_all(db)
            .await?,
    )
}

/// The resource name (`chapters/{c}/participants/{id}`) of the participant `id`, if
/// there is one: the object recorded for a participant's own calls in the app.
pub async fn participant_name<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<Option<String>, StoreError> {
    let chapter: Option<String> = sqlx::query_scalar("SELECT chapter_id FROM participants WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(chapter.map(|c| crate::participants::resource_name(&c, id)))
}
