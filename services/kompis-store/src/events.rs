//! The append-only event log of state changes, with the attributes reports count on.

use std::sync::LazyLock;

use kompis_domain::EventKind;
use sqlx::PgExecutor;
use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::QueryAs;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;

/// An event as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Event {
    /// Time-ordered id (UUIDv7).
    pub id: Uuid,
    /// The chapter the subject belongs to.
    pub chapter_id: String,
    /// Resource name of what changed.
    pub subject: String,
    /// What kind of thing changed: a [`EventKind`] string.
    pub kind: String,
    /// Who made the change: the principal's subject, or `system`.
    pub actor: String,
    /// When it happened.
    pub occur_time: OffsetDateTime,
    /// State before; empty when the subject was created.
    pub from_state: String,
    /// State after.
    pub to_state: String,
    /// Why, in the actor's words; may be empty. The only erasable column.
    pub reason: String,
    /// The participant's role.
    pub participant_role: Option<String>,
    /// How the participant came (`participants.source`).
    pub referral_source: Option<String>,
    /// The referring organisation.
    pub organization_id: Option<String>,
    /// Municipality of the person or activity.
    pub municipality_id: Option<String>,
    /// District of the person or activity.
    pub district_id: Option<String>,
    /// The participant's gender.
    pub gender: Option<String>,
    /// The participant's birth year.
    pub birth_year: Option<i32>,
    /// Why a match ended.
    pub end_reason: Option<String>,
    /// The match concerned.
    pub match_id: Option<Uuid>,
    /// The activity concerned.
    pub activity_id: Option<Uuid>,
    /// The activity's kind.
    pub activity_kind: Option<String>,
    /// On a participant's event into `matched`: how long they had waited since
    /// `waiting_since`, in seconds.
    pub waited_seconds: Option<i64>,
    /// On an activity's events: whether the activity is free.
    pub activity_free: Option<bool>,
    /// On participant and interview events: the ISO 639 codes of the languages the
    /// participant speaks, sorted (0051; `None` on older events of erased people).
    pub languages: Option<Vec<String>>,
}

/// The structured, non-personal attributes of an event that reports count on. They are
/// copied into the event when it happens, so that they survive the erasure of the
/// person. None identifies a person on its own; free text never goes here.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct Attributes {
    /// The participant's role.
    pub participant_role: Option<String>,
    /// How the participant came (`participants.source`).
    pub referral_source: Option<String>,
    /// The referring organisation.
    pub organization_id: Option<String>,
    /// Municipality of the person or activity.
    pub municipality_id: Option<String>,
    /// District of the person or activity.
    pub district_id: Option<String>,
    /// The participant's gender.
    pub gender: Option<String>,
    /// The participant's birth year.
    pub birth_year: Option<i32>,
    /// Why a match ended.
    pub end_reason: Option<String>,
    /// The match concerned.
    pub match_id: Option<Uuid>,
    /// The activity concerned.
    pub activity_id: Option<Uuid>,
    /// The activity's kind.
    pub activity_kind: Option<String>,
    /// On a participant's event into `matched`: how long they had waited since
    /// `waiting_since`, in seconds.
    pub waited_seconds: Option<i64>,
    /// On an activity's events: whether the activity is free.
    pub activity_free: Option<bool>,
    /// On participant and interview events: the ISO 639 codes of the languages the
    /// participant speaks, sorted (0051; `None` on older events of erased people).
    pub languages: Option<Vec<String>>,
}

/// A state change to record.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// The chapter the subject belongs to.
    pub chapter_id: &'a str,
    /// Resource name of what changed.
    pub subject: &'a str,
    /// What kind of thing changed.
    pub kind: EventKind,
    /// Who made the change.
    pub actor: &'a str,
    /// When, from the application's clock.
    pub occur_time: OffsetDateTime,
    /// State before; empty on creation.
    pub from_state: &'a str,
    /// State after.
    pub to_state: &'a str,
    /// Why.
    pub reason: &'a str,
    /// What reports count on.
    pub attributes: Attributes,
}

/// The outbox topic every event is announced on, for consumers such as app
/// notifications. The payload carries ids and states only, never personal data.
pub const EVENTS_TOPIC: &str = "events";

/// Appends an event and announces it on [`EVENTS_TOPIC`] through the outbox. Store
/// functions that change state call it in the caller's transaction; nothing else does.
pub async fn append<'c>(db: impl PgExecutor<'c>, event: &NewEvent<'_>) -> Result<Uuid, StoreError> {
    static STATEMENT: LazyLock<String> =
        LazyLock::new(|| format!("WITH {} SELECT e.id FROM e", append_ctes(1)));
    let id = Uuid::now_v7();
    // One statement for both rows, so that the caller's executor is used once.
    bind_event(sqlx::query_as::<_, (Uuid,)>(STATEMENT.as_str()), id, event)
        .fetch_one(db)
        .await?;
    Ok(id)
}

/// The common table expressions `e` (one event) and `o` (its outbox entry) that every
/// event is written with: [`append`] runs them alone, and a statement that also writes
/// the row the event is about runs them beside it, so that the row, its event and its
/// outbox entry take one round trip. Their 23 parameters are
/// numbered from `$first`, in the order [`bind_event`] binds them.
pub(crate) fn append_ctes(first: usize) -> String {
    let params: Vec<String> = (first..first + 23).map(|i| format!("${i}")).collect();
    format!(
        "e AS (
             INSERT INTO events (id, chapter_id, subject, kind, actor, occur_time, from_state,
                 to_state, reason, participant_role, referral_source, organization_id,
                 municipality_id, district_id, gender, birth_year, end_reason, match_id,
                 activity_id, activity_kind, waited_seconds, activity_free, languages)
             VALUES ({})
             RETURNING id, chapter_id, subject, kind, from_state, to_state, occur_time),
         o AS (
             INSERT INTO outbox (topic, version, payload, create_time)
             SELECT 'events', 1, jsonb_build_object(
                 'event_id', e.id, 'chapter', e.chapter_id, 'subject', e.subject, 'kind', e.kind,
                 'from_state', e.from_state, 'to_state', e.to_state, 'occur_time', e.occur_time),
                 e.occur_time
             FROM e)",
        params.join(", ")
    )
}

/// Binds the parameters of [`append_ctes`]: the event's id, then the event.
pub(crate) fn bind_event<'q, O>(
    query: QueryAs<'q, Postgres, O, PgArguments>,
    id: Uuid,
    event: &'q NewEvent<'q>,
) -> QueryAs<'q, Postgres, O, PgArguments> {
    let a = &event.attributes;
    query
        .bind(id)
        .bind(event.chapter_id)
        .bind(event.subject)
        .bind(event.kind.as_str())
        .bind(event.actor)
        .bind(event.occur_time)
        .bind(event.from_state)
        .bind(event.to_state)
        .bind(event.reason)
        .bind(a.participant_role.as_deref())
        .bind(a.referral_source.as_deref())
        .bind(a.organization_id.as_deref())
        .bind(a.municipality_id.as_deref())
        .bind(a.district_id.as_deref())
        .bind(a.gender.as_deref())
        .bind(a.birth_year)
        .bind(a.end_reason.as_deref())
        .bind(a.match_id)
        .bind(a.activity_id)
        .bind(a.activity_kind.as_deref())
        .bind(a.waited_seconds)
        .bind(a.activity_free)
        .bind(a.languages.as_deref())
}

/// Appends many events of one kind and actor, each announced on [`EVENTS_TOPIC`], in
/// one statement (a committed round writes tens of thousands at once). Only the
/// attribute `match_id` varies per event; the others are `attributes` for all. Returns
/// the ids in order.
pub async fn append_batch<'c>(
    db: impl PgExecutor<'c>,
    common: &NewEvent<'_>,
    subjects: &[String],
    match_ids: &[Option<Uuid>],
) -> Result<Vec<Uuid>, StoreError> {
    let ids: Vec<Uuid> = subjects.iter().map(|_| Uuid::now_v7()).collect();
    let a = &common.attributes;
    sqlx::query(
        "WITH e AS (
             INSERT INTO events (id, chapter_id, subject, kind, actor, occur_time, from_state,
                 to_state, reason, participant_role, referral_source, organization_id,
                 municipality_id, district_id, gender, birth_year, end_reason, match_id,
                 activity_id, activity_kind, languages)
             SELECT g.id, $2, g.subject, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 $16, $17, g.match_id, $18, $19, $21
             FROM UNNEST($1::uuid[], $3::text[], $20::uuid[]) AS g (id, subject, match_id)
             RETURNING id, chapter_id, subject, kind, from_state, to_state, occur_time)
         INSERT INTO outbox (topic, version, payload, create_time)
         SELECT 'events', 1, jsonb_build_object(
             'event_id', e.id, 'chapter', e.chapter_id, 'subject', e.subject, 'kind', e.kind,
             'from_state', e.from_state, 'to_state', e.to_state, 'occur_time', e.occur_time),
             e.occur_time
         FROM e ORDER BY e.id",
    )
    .bind(&ids)
    .bind(common.chapter_id)
    .bind(subjects)
    .bind(common.kind.as_str())
    .bind(common.actor)
    .bind(common.occur_time)
    .bind(common.from_state)
    .bind(common.to_state)
    .bind(common.reason)
    .bind(a.participant_role.as_deref())
    .bind(a.referral_source.as_deref())
    .bind(a.organization_id.as_deref())
    .bind(a.municipality_id.as_deref())
    .bind(a.district_id.as_deref())
    .bind(a.gender.as_deref())
    .bind(a.birth_year)
    .bind(a.end_reason.as_deref())
    .bind(a.activity_id)
    .bind(a.activity_kind.as_deref())
    .bind(match_ids)
    .bind(a.languages.as_deref())
    .execute(db)
    .await?;
    Ok(ids)
}

/// The attributes of events about a participant (or their interviews), as the
/// participant is now. The organisation is that of the referral the participant came
/// from (`participants.referral_id`, set from the start, unlike the referral's link back
/// to the participant, which is set after the participant is written).
pub async fn participant_attributes<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
) -> Result<Attributes, StoreError> {
    Ok(sqlx::query_as(
        "SELECT p.role AS participant_role, p.source AS referral_source,
                r.organization_id, p.municipality_id, p.district_id, p.gender, p.birth_year,
                NULL::text AS end_reason, NULL::uuid AS match_id, NULL::uuid AS activity_id,
                NULL::text AS activity_kind, NULL::bigint AS waited_seconds,
                NULL::boolean AS activity_free,
                (SELECT array_agg(DISTINCT l ->> 'code' ORDER BY l ->> 'code')
                 FROM jsonb_array_elements(p.languages) l) AS languages
         FROM participants p LEFT JOIN referrals r ON r.id = p.referral_id
         WHERE p.id = $1",
    )
    .bind(participant)
    .fetch_one(db)
    .await?)
}

/// The attributes of events about a referral: a newcomer referred by an organisation.
pub async fn referral_attributes<'c>(
    db: impl PgExecutor<'c>,
    referral: Uuid,
) -> Result<Attributes, StoreError> {
    Ok(sqlx::query_as(
        "SELECT 'newcomer' AS participant_role, 'referral' AS referral_source,
                organization_id, municipality_id, district_id, gender, birth_year,
                NULL::text AS end_reason, NULL::uuid AS match_id, NULL::uuid AS activity_id,
                NULL::text AS activity_kind, NULL::bigint AS waited_seconds,
                NULL::boolean AS activity_free, NULL::text[] AS languages
         FROM referrals WHERE id = $1",
    )
    .bind(referral)
    .fetch_one(db)
    .await?)
}

/// Lists the events of one subject (or, with `subject_prefix`, of every subject whose
/// name starts with it) in a chapter, oldest first, after the event `after`.
pub async fn list<'c>(
    db: impl PgExecutor<'c>,
    chapter_id: &str,
    subject_prefix: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM events
         WHERE chapter_id = $1
           AND ($2::text IS NULL OR subject = $2 OR subject LIKE $2 || '/%')
           AND ($3::uuid IS NULL OR id > $3)
         ORDER BY id LIMIT $4",
    )
    .bind(chapter_id)
    .bind(subject_prefix)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Which events [`list_filtered`] returns. Filters combine with AND.
#[derive(Debug, Clone)]
pub struct EventFilter<'a> {
    /// The chapter whose log is read.
    pub chapter_id: &'a str,
    /// Only events about this resource or a resource under it (a participant's
    /// interviews are under the participant). For a participant, also those of the
    /// participants merged into it, whose history it took over.
    pub subject: Option<&'a str>,
    /// Only events at or after this time.
    pub occurred_at_or_after: Option<OffsetDateTime>,
    /// Only events before this time.
    pub occurred_before: Option<OffsetDateTime>,
}

/// Lists a chapter's events oldest first (by id, which is time-ordered and follows the
/// order of appending), after the event `after`.
pub async fn list_filtered<'c>(
    db: impl PgExecutor<'c>,
    filter: &EventFilter<'_>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    // The subject and, for a participant, every participant merged into it (a merge of
    // a merge too). The CASE casts only a well-formed participant name.
    Ok(sqlx::query_as(
        "WITH RECURSIVE merged (id) AS (
             SELECT CASE WHEN $2 ~ '^chapters/[^/]+/participants/[0-9a-fA-F-]{36}$'
                         THEN split_part($2, '/', 4)::uuid END
             UNION
             SELECT p.id FROM participants p JOIN merged m ON p.merged_into = m.id
         ),
         subjects (name) AS (
             SELECT $2::text
             UNION
             SELECT 'chapters/' || p.chapter_id || '/participants/' || p.id::text
             FROM participants p JOIN merged m ON p.id = m.id
         )
         SELECT * FROM events
         WHERE chapter_id = $1
           AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM subjects s
                    WHERE events.subject = s.name OR starts_with(events.subject, s.name || '/')))
           AND ($3::timestamptz IS NULL OR occur_time >= $3)
           AND ($4::timestamptz IS NULL OR occur_time < $4)
           AND ($5::uuid IS NULL OR id > $5)
         ORDER BY id LIMIT $6",
    )
    .bind(filter.chapter_id)
    .bind(filter.subject)
    .bind(filter.occurred_at_or_after)
    .bind(filter.occurred_before)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Blanks the free-text reasons of every event of `subject` (and of the resources under
/// it), keeping who, when, from and to. The only change the event log allows: a reason
/// may hold personal data that must be erasable.
pub async fn erase_reasons<'c>(db: impl PgExecutor<'c>, subject: &str) -> Result<u64, StoreError> {
    let erased = sqlx::query(
        "UPDATE events SET reason = '' WHERE (subject = $1 OR subject LIKE $1 || '/%') AND reason <> ''",
    )
    .bind(subject)
    .execute(db)
    .await?;
    Ok(erased.rows_affected())
}

/// A change of one invitation's answer, for [`append_invitation_changes`].
#[derive(Debug, Clone, Copy)]
pub struct InvitationChange {
    /// The invitation.
    pub invitation: Uuid,
    /// Answer before; empty when the invitation was just sent.
    pub from: &'static str,
    /// Answer after.
    pub to: &'static str,
}

/// Appends one [`EventKind::Invitation`] event per change (and announces each, like
/// [`append`]) in one statement however many there are (an activity's invitations go
/// out to thousands at once). The attributes are copied from the invitee and the
/// activity as they are now.
pub async fn append_invitation_changes<'c>(
    db: impl PgExecutor<'c>,
    changes: &[InvitationChange],
    actor: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    append_invitation_events(db, EventKind::Invitation, changes, actor, at).await
}

/// Appends one [`EventKind::Attendance`] event per change of an invitee's attendance
/// (`from` and `to` are `invitations.attendance` values), with the same attributes as
/// [`append_invitation_changes`], in one statement.
pub async fn append_attendance_changes<'c>(
    db: impl PgExecutor<'c>,
    changes: &[InvitationChange],
    actor: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    append_invitation_events(db, EventKind::Attendance, changes, actor, at).await
}

async fn append_invitation_events<'c>(
    db: impl PgExecutor<'c>,
    kind: EventKind,
    changes: &[InvitationChange],
    actor: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = changes.iter().map(|_| Uuid::now_v7()).collect();
    let invitations: Vec<Uuid> = changes.iter().map(|c| c.invitation).collect();
    let from: Vec<&str> = changes.iter().map(|c| c.from).collect();
    let to: Vec<&str> = changes.iter().map(|c| c.to).collect();
    sqlx::query(
        "WITH given AS (
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[])
                 WITH ORDINALITY AS g (id, invitation_id, from_state, to_state, ord)),
         e AS (
             INSERT INTO events (id, chapter_id, subject, kind, actor, occur_time, from_state,
                 to_state, reason, participant_role, referral_source, organization_id,
                 municipality_id, district_id, gender, birth_year, end_reason, match_id,
                 activity_id, activity_kind, activity_free)
             SELECT g.id, i.chapter_id,
                    'chapters/' || i.chapter_id || '/activities/' || i.activity_id
                        || '/invitations/' || i.id,
                    $5, $6, $7, g.from_state, g.to_state, '', p.role, p.source,
                    r.organization_id, p.municipality_id, p.district_id, p.gender, p.birth_year,
                    NULL, NULL, a.id, a.kind, a.free
             FROM given g
             JOIN invitations i ON i.id = g.invitation_id
             JOIN activities a ON a.id = i.activity_id
             JOIN participants p ON p.id = i.participant_id
             LEFT JOIN referrals r ON r.id = p.referral_id
             ORDER BY g.ord
             RETURNING id, chapter_id, subject, kind, from_state, to_state, occur_time)
         INSERT INTO outbox (topic, version, payload, create_time)
         SELECT 'events', 1, jsonb_build_object(
             'event_id', e.id, 'chapter', e.chapter_id, 'subject', e.subject, 'kind', e.kind,
             'from_state', e.from_state, 'to_state', e.to_state, 'occur_time', e.occur_time),
             e.occur_time
         FROM e ORDER BY e.id",
    )
    .bind(&ids)
    .bind(&invitations)
    .bind(&from)
    .bind(&to)
    .bind(kind.as_str())
    .bind(actor)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}
