//! The audit log (`audit_log`): who read or changed a person's record, when, by which
//! method and for what purpose, refusals included. Ids only; append-only for the
//! service's role.
//!
//! A record is about a participant or about a referral (a referred learner has no
//! participant id until the referral is converted; migration 0080). A person's log
//! ([`list_for_person`]) joins both through the referral's link to its participant.

use std::sync::LazyLock;

use sqlx::PgExecutor;
use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::Query;
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
    /// The participant whose record it is; `None` for a record about a referral.
    pub participant_id: Option<Uuid>,
    /// The referral accessed; `None` for a record about a participant.
    pub referral_id: Option<Uuid>,
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
                                action, method, purpose, allowed, referral_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
    .bind(r.referral_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Appends `records` in one statement (a page of people shown by a list); nothing for
/// none.
pub async fn record_many<'c>(db: impl PgExecutor<'c>, records: &[AccessRecord]) -> Result<(), StoreError> {
    static STATEMENT: LazyLock<String> = LazyLock::new(|| insert_many(1));
    if records.is_empty() {
        return Ok(());
    }
    bind_records(sqlx::query(STATEMENT.as_str()), records)
        .execute(db)
        .await?;
    Ok(())
}

/// The INSERT that every batch of access records is written with: [`record_many`]
/// runs it alone, and a statement that also writes what the records are about runs
/// it as a common table expression. Its 11 array parameters are numbered from
/// `$first`, in the order [`bind_records`] binds them.
pub(crate) fn insert_many(first: usize) -> String {
    let types = [
        "uuid",
        "timestamptz",
        "text",
        "text",
        "uuid",
        "text",
        "text",
        "text",
        "text",
        "bool",
        "uuid",
    ];
    let params: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, t)| format!("${}::{t}[]", first + i))
        .collect();
    format!(
        "INSERT INTO audit_log (id, occur_time, actor_subject, actor_role, participant_id, object,
                                action, method, purpose, allowed, referral_id)
         SELECT * FROM UNNEST({})",
        params.join(", ")
    )
}

/// Binds the parameters of [`insert_many`]: one array per column of `records`.
pub(crate) fn bind_records<'q>(
    query: Query<'q, Postgres, PgArguments>,
    records: &[AccessRecord],
) -> Query<'q, Postgres, PgArguments> {
    let column = |f: fn(&AccessRecord) -> String| records.iter().map(f).collect::<Vec<_>>();
    query
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
        .bind(records.iter().map(|r| r.referral_id).collect::<Vec<_>>())
}

/// Whose log is read: a person known by their participant's id, by a referral's id,
/// or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    /// The participant `id`, every participant record merged into them (a duplicate
    /// closed by a merge, and those merged into it in turn), and every referral
    /// converted into any of them.
    Participant(Uuid),
    /// The referral `id`; once converted, its participant's log as
    /// [`Person::Participant`] reads it.
    Referral(Uuid),
}

/// The records of `person`, newest first, after the key `after` (time, id): the
/// participant's own, those of every participant record merged into them (a merge
/// closes the duplicate with `merged_into` naming the survivor; records are never
/// rewritten, so the survivor's log joins the duplicate's when it is read, as it joins
/// a converted referral's), and those of every referral converted into any of them; or
/// a referral's own while it is not converted (migration 0080). The participant's part
/// is read on its index in order, so it costs the rows of the page; the merged records'
/// and the referrals' parts on theirs, all of their records and then sorted (a
/// duplicate or a referral is read and changed a few times, mostly before it is merged
/// or converted). A page of 51 of 50 + 20 such records read 57 buffers (EXPLAIN, with
/// 1.1 million records in the log).
pub async fn list_for_person(
    db: &sqlx::PgPool,
    person: Person,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<AccessRecord>, StoreError> {
    let participant: Option<Uuid> = match person {
        Person::Participant(id) => Some(id),
        Person::Referral(id) => sqlx::query_scalar("SELECT participant_id FROM referrals WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?
            .flatten(),
    };
    // The records merged into the participant, at any depth (a survivor may itself be
    // merged later), and the referrals converted into any of them.
    let (merged, referrals): (Vec<Uuid>, Vec<Uuid>) = match (participant, person) {
        (Some(p), _) => {
            let merged: Vec<Uuid> = sqlx::query_scalar(
                "WITH RECURSIVE merged(id) AS (
                     SELECT id FROM participants WHERE merged_into = $1
                     UNION
                     SELECT p.id FROM participants p JOIN merged m ON p.merged_into = m.id)
                 SELECT id FROM merged",
            )
            .bind(p)
            .fetch_all(db)
            .await?;
            let people: Vec<Uuid> = std::iter::once(p).chain(merged.iter().copied()).collect();
            let referrals = sqlx::query_scalar("SELECT id FROM referrals WHERE participant_id = ANY($1)")
                .bind(&people)
                .fetch_all(db)
                .await?;
            (merged, referrals)
        }
        (None, Person::Referral(id)) => (Vec::new(), vec![id]),
        (None, Person::Participant(_)) => (Vec::new(), Vec::new()),
    };
    let (after_time, after_id) = after.unzip();
    Ok(sqlx::query_as(
        "(SELECT * FROM audit_log
          WHERE participant_id = $1
            AND ($2::timestamptz IS NULL OR (occur_time, id) < ($2, $3))
          ORDER BY occur_time DESC, id DESC
          LIMIT $4)
         UNION ALL
         (SELECT * FROM audit_log
          WHERE participant_id = ANY($6)
            AND ($2::timestamptz IS NULL OR (occur_time, id) < ($2, $3))
          ORDER BY occur_time DESC, id DESC
          LIMIT $4)
         UNION ALL
         (SELECT * FROM audit_log
          WHERE referral_id = ANY($5)
            AND ($2::timestamptz IS NULL OR (occur_time, id) < ($2, $3))
          ORDER BY occur_time DESC, id DESC
          LIMIT $4)
         ORDER BY occur_time DESC, id DESC
         LIMIT $4",
    )
    .bind(participant)
    .bind(after_time)
    .bind(after_id)
    .bind(limit)
    .bind(&referrals)
    .bind(&merged)
    .fetch_all(db)
    .await?)
}

/// Whether the referral `id` exists (erased or not), read whatever the caller's scope,
/// so that a refused attempt on an existing referral is recorded.
pub async fn referral_exists<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT FROM referrals WHERE id = $1)")
            .bind(id)
            .fetch_one(db)
            .await?,
    )
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
