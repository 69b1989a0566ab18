//! Notifications to participants: what to say to whom ([`enqueue`]), its deliveries
//! through the app's inbox and e-mail, the inbox the app reads, and each participant's
//! settings.
//!
//! [`enqueue`] writes, in the caller's transaction, the notification, one delivery per
//! channel (the app always; e-mail when the participant chose it and has an address)
//! and one outbox row per delivery. Workers then deliver: [`deliver_to_inbox`] for the
//! app, [`email_job`] and [`finish_delivery`] for e-mail, each recording the delivery
//! and settling the outbox row in one transaction, so that a delivery is recorded
//! exactly when it happened and a repeat changes nothing.

use kompis_domain::NotificationKind;
use kompis_messages::{Params, Template};
use serde_json::json;
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;

/// The outbox topic of deliveries to the app's inbox.
pub const APP_TOPIC: &str = "notifications";
/// The outbox topic of deliveries by e-mail.
pub const EMAIL_TOPIC: &str = "email";
/// The version of the delivery payload (`{"delivery": "<uuid>"}`).
pub const PAYLOAD_VERSION: i32 = 1;

/// A notification to enqueue.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    /// Who it is for.
    pub participant: Uuid,
    /// The participant's chapter (the notification's resource name is under it).
    pub chapter: &'a str,
    /// What it is about.
    pub kind: NotificationKind,
    /// The resource it is about, which the app opens: an invitation, a match...
    pub subject: &'a str,
    /// The text, as a template.
    pub template: Template,
    /// The template's values; never personal data.
    pub params: &'a Params,
    /// When, from the application clock.
    pub at: OffsetDateTime,
}

/// Enqueues one notification in the caller's transaction; returns its id. See
/// [`enqueue_batch`].
pub async fn enqueue(tx: &mut PgConnection, notification: &NewNotification<'_>) -> Result<Uuid, StoreError> {
    Ok(enqueue_batch(tx, std::slice::from_ref(notification)).await?[0])
}

/// Enqueues notifications in the caller's transaction, in one statement however many
/// there are (an activity's invitations go out to thousands at once); returns their
/// ids in order.
///
/// Each gets a delivery to the app's inbox, and one by e-mail when its participant
/// chose e-mail and has an address; each delivery gets an outbox row that awaits its
/// consumer. An unknown participant is [`StoreError::MissingReference`].
///
/// A notification to an erased participant is not written, nor its deliveries or
/// outbox rows, and is no error: the database skips it (migration 0081, which also
/// waits for an erasure in progress), and deliveries are made for the notifications
/// written only. Its id is returned all the same and names nothing.
pub async fn enqueue_batch(
    tx: &mut PgConnection,
    notifications: &[NewNotification<'_>],
) -> Result<Vec<Uuid>, StoreError> {
    let n = notifications.len();
    let mut ids = Vec::with_capacity(n);
    let (mut app_ids, mut email_ids) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut chapters, mut participants, mut kinds) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut subjects, mut templates, mut params, mut times) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for item in notifications {
        ids.push(Uuid::now_v7());
        app_ids.push(Uuid::now_v7());
        email_ids.push(Uuid::now_v7());
        chapters.push(item.chapter);
        participants.push(item.participant);
        kinds.push(item.kind.as_str());
        subjects.push(item.subject);
        templates.push(item.template.key());
        params.push(Json(item.params));
        times.push(item.at);
    }
    sqlx::query(
        "WITH given AS (
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[],
                 $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::timestamptz[])
                 AS g (id, app_id, email_id, chapter_id, participant_id, kind, subject, template,
                       params, at)),
         n AS (
             INSERT INTO notifications (id, chapter_id, participant_id, kind, subject, template,
                 params, create_time)
             SELECT id, chapter_id, participant_id, kind, subject, template, params, at FROM given
             RETURNING id),
         written AS (SELECT g.* FROM given g JOIN n ON n.id = g.id),
         channels AS (
             SELECT g.app_id AS id, g.id AS notification_id, 'app' AS channel, g.at FROM written g
             UNION ALL
             SELECT g.email_id, g.id, 'email', g.at
             FROM written g
             JOIN notification_settings s ON s.participant_id = g.participant_id AND s.email
             JOIN participants p ON p.id = g.participant_id AND p.email IS NOT NULL),
         d AS (
             INSERT INTO notification_deliveries (id, notification_id, channel, state, create_time)
             SELECT id, notification_id, channel, 'pending', at FROM channels
             RETURNING id)
         INSERT INTO outbox (topic, version, payload, create_time, awaits_consumer)
         SELECT CASE c.channel WHEN 'app' THEN $11 ELSE $12 END, $13,
                jsonb_build_object('delivery', c.id), c.at, true
         FROM channels c ORDER BY c.at, c.id",
    )
    .bind(&ids)
    .bind(&app_ids)
    .bind(&email_ids)
    .bind(&chapters)
    .bind(&participants)
    .bind(&kinds)
    .bind(&subjects)
    .bind(&templates)
    .bind(&params)
    .bind(&times)
    .bind(APP_TOPIC)
    .bind(EMAIL_TOPIC)
    .bind(PAYLOAD_VERSION)
    .execute(&mut *tx)
    .await?;
    Ok(ids)
}

/// The delivery a stream entry names: `{"delivery": "<uuid>"}` of version
/// [`PAYLOAD_VERSION`]. `None` for a payload this code cannot read.
pub fn delivery_of(version: i32, payload: &str) -> Option<Uuid> {
    if version != PAYLOAD_VERSION {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(payload).ok()?;
    Uuid::parse_str(value.get("delivery")?.as_str()?).ok()
}

/// The payload of a delivery's outbox row.
pub fn payload_of(delivery: Uuid) -> serde_json::Value {
    json!({ "delivery": delivery })
}

/// A delivery to the app's inbox as a worker took it from the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    /// The delivery.
    pub delivery: Uuid,
    /// The outbox row the stream entry came from, settled with the delivery.
    pub outbox_id: i64,
}

/// A notification that entered a participant's inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivered {
    /// Whose inbox.
    pub participant_id: Uuid,
    /// Its place in the inbox.
    pub seq: i64,
}

/// What [`deliver_to_inbox`] did with a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inboxed {
    /// What entered an inbox, for waking the participants' live streams.
    pub delivered: Vec<Delivered>,
    /// Deliveries left untouched (not settled) because their participant's row was
    /// locked for a key change (an erasure in progress): deliver each again on its own.
    pub skipped: Vec<Taken>,
}

/// Delivers app deliveries to their participants' inboxes, in the caller's
/// transaction: each pending one gets an inbox entry with the participant's next `seq`
/// and is marked delivered; one already delivered (a repeat) changes nothing; a delivery
/// that no longer exists (its participant was erased) is ignored. Every outbox row is
/// settled, except those of [`Inboxed::skipped`].
///
/// Locks are taken in the order erasure takes them ([`crate::erasure`]): the
/// participant's row first (`FOR KEY SHARE`, which only a key change such as an
/// erasure excludes), then the deliveries (in id order), the inbox counters (in
/// participant order) and the outbox rows. With deliveries of one participant the
/// call waits for that row, holding nothing else yet, so it waits for an erasure to
/// commit and then finds the deliveries gone. With several participants waiting could
/// close a cycle with a transaction locking two of them in another order, so a row
/// locked for a key change is skipped instead (`SKIP LOCKED`): its deliveries are
/// returned in [`Inboxed::skipped`], for the caller to deliver one participant at a
/// time. Either way no delivery waits for a lock an erasure holds while holding one
/// the erasure needs, so erasure never fails for a concurrent delivery, and nothing is
/// written for an erased participant.
pub async fn deliver_to_inbox(
    tx: &mut PgConnection,
    taken: &[Taken],
    now: OffsetDateTime,
) -> Result<Inboxed, StoreError> {
    let deliveries: Vec<Uuid> = taken.iter().map(|t| t.delivery).collect();
    // Whose deliveries they are; read without a lock (a notification never changes
    // hands).
    let owners: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT d.id, n.participant_id
         FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id
         WHERE d.id = ANY($1)",
    )
    .bind(&deliveries)
    .fetch_all(&mut *tx)
    .await?;
    let mut people: Vec<Uuid> = owners.iter().map(|o| o.1).collect();
    people.sort_unstable();
    people.dedup();
    let held: Vec<Uuid> = if people.len() == 1 {
        sqlx::query_scalar(
            "SELECT id FROM participants WHERE id = ANY($1) AND erase_time IS NULL FOR KEY SHARE",
        )
        .bind(&people)
        .fetch_all(&mut *tx)
        .await?
    } else {
        sqlx::query_scalar(
            "SELECT id FROM participants WHERE id = ANY($1) AND erase_time IS NULL
             ORDER BY id FOR KEY SHARE SKIP LOCKED",
        )
        .bind(&people)
        .fetch_all(&mut *tx)
        .await?
    };
    // A participant that was not held is either being erased (skipped: try again
    // alone) or erased already (nothing to deliver; settled).
    let erased: Vec<Uuid> = if people.len() > held.len() {
        sqlx::query_scalar("SELECT id FROM participants WHERE id = ANY($1) AND erase_time IS NOT NULL")
            .bind(&people)
            .fetch_all(&mut *tx)
            .await?
    } else {
        Vec::new()
    };
    let mut skipped = Vec::new();
    let mut settled = Vec::with_capacity(taken.len());
    for t in taken {
        let owner = owners.iter().find(|o| o.0 == t.delivery).map(|o| o.1);
        match owner {
            Some(p) if !held.contains(&p) && !erased.contains(&p) => skipped.push(*t),
            _ => settled.push(t.outbox_id),
        }
    }

    let pending: Vec<(Uuid, Uuid, Uuid)> = sqlx::query_as(
        "SELECT d.id, d.notification_id, n.participant_id
         FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id
         WHERE d.id = ANY($1) AND n.participant_id = ANY($2)
           AND d.channel = 'app' AND d.state = 'pending'
         ORDER BY d.id
         FOR UPDATE OF d",
    )
    .bind(&deliveries)
    .bind(&held)
    .fetch_all(&mut *tx)
    .await?;
    let mut delivered = Vec::new();
    if !pending.is_empty() {
        let ids: Vec<Uuid> = pending.iter().map(|p| p.0).collect();
        let notification_ids: Vec<Uuid> = pending.iter().map(|p| p.1).collect();
        delivered = sqlx::query_as(
            "WITH new AS (
                 SELECT n.id, n.participant_id,
                        row_number() OVER (PARTITION BY n.participant_id ORDER BY n.id) AS k
                 FROM notifications n
                 WHERE n.id = ANY($1)
                   AND NOT EXISTS (SELECT FROM inbox i WHERE i.notification_id = n.id)),
             counts AS (
                 SELECT participant_id, count(*) AS c FROM new GROUP BY participant_id),
             bumped AS (
                 INSERT INTO inbox_counters (participant_id, last_seq)
                 SELECT participant_id, c FROM counts ORDER BY participant_id
                 ON CONFLICT (participant_id)
                 DO UPDATE SET last_seq = inbox_counters.last_seq + EXCLUDED.last_seq
                 RETURNING participant_id, last_seq)
             INSERT INTO inbox (notification_id, participant_id, seq, deliver_time)
             SELECT new.id, new.participant_id, b.last_seq - c.c + new.k, $2
             FROM new JOIN counts c USING (participant_id) JOIN bumped b USING (participant_id)
             ON CONFLICT (notification_id) DO NOTHING
             RETURNING participant_id, seq",
        )
        .bind(&notification_ids)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE notification_deliveries SET state = 'delivered', finish_time = $2
             WHERE id = ANY($1)",
        )
        .bind(&ids)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    crate::outbox::settle(&mut *tx, &settled, now).await?;
    Ok(Inboxed { delivered, skipped })
}

/// What a delivery's failed attempt leaves: the attempts so far.
pub async fn record_failure<'c>(
    db: impl PgExecutor<'c>,
    delivery: Uuid,
    error: &str,
) -> Result<i32, StoreError> {
    let attempts: Option<i32> = sqlx::query_scalar(
        "UPDATE notification_deliveries SET attempts = attempts + 1, last_error = left($2, 500)
         WHERE id = $1 AND state = 'pending' RETURNING attempts",
    )
    .bind(delivery)
    .bind(error)
    .fetch_optional(db)
    .await?;
    Ok(attempts.unwrap_or(0))
}

/// Everything an e-mail delivery needs, read when it is sent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailJob {
    /// The delivery.
    pub delivery_id: Uuid,
    /// `pending`, `delivered`, `skipped` or `dead`.
    pub state: String,
    /// The notification.
    pub notification_id: Uuid,
    /// The template key.
    pub template: String,
    /// The template's values.
    pub params: Json<Params>,
    /// The participant's address, if they have one.
    pub email: Option<String>,
    /// Whether the participant still wants e-mail.
    pub wants_email: bool,
    /// The language they chose; empty for none.
    pub language: String,
}

/// Reads an e-mail delivery and what sending it needs. `None` when it no longer exists.
pub async fn email_job<'c>(db: impl PgExecutor<'c>, delivery: Uuid) -> Result<Option<EmailJob>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT d.id AS delivery_id, d.state, n.id AS notification_id, n.template, n.params,
                p.email, coalesce(s.email, false) AS wants_email, coalesce(s.language, '') AS language
         FROM notification_deliveries d
         JOIN notifications n ON n.id = d.notification_id
         JOIN participants p ON p.id = n.participant_id
         LEFT JOIN notification_settings s ON s.participant_id = p.id
         WHERE d.id = $1 AND d.channel = 'email'",
    )
    .bind(delivery)
    .fetch_optional(db)
    .await?)
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// Delivered.
    Delivered,
    /// Not sent, because the participant no longer wants it or cannot receive it.
    Skipped,
}

/// Records how a pending delivery ended and settles its outbox row, in the caller's
/// transaction. A delivery no longer pending (a repeat) is left as it is.
pub async fn finish_delivery(
    tx: &mut PgConnection,
    delivery: Uuid,
    outbox_id: i64,
    finish: Finish,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE notification_deliveries SET state = $2, finish_time = $3
         WHERE id = $1 AND state = 'pending'",
    )
    .bind(delivery)
    .bind(match finish {
        Finish::Delivered => "delivered",
        Finish::Skipped => "skipped",
    })
    .bind(now)
    .execute(&mut *tx)
    .await?;
    crate::outbox::settle(&mut *tx, &[outbox_id], now).await
}

/// A participant's notification settings.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Settings {
    /// E-mail besides the app.
    pub email: bool,
    /// The language of their messages (ISO 639 code).
    pub language: String,
}

impl Default for Settings {
    /// The app only, in Swedish.
    fn default() -> Self {
        Self {
            email: false,
            language: kompis_messages::FALLBACK_LANGUAGE.to_owned(),
        }
    }
}

/// A participant's settings; the default when they never set any.
pub async fn settings<'c>(db: impl PgExecutor<'c>, participant: Uuid) -> Result<Settings, StoreError> {
    Ok(
        sqlx::query_as("SELECT email, language FROM notification_settings WHERE participant_id = $1")
            .bind(participant)
            .fetch_optional(db)
            .await?
            .unwrap_or_default(),
    )
}

/// Stores a participant's settings.
pub async fn put_settings<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
    settings: &Settings,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO notification_settings (participant_id, email, language, update_time)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (participant_id) DO UPDATE
         SET email = EXCLUDED.email, language = EXCLUDED.language, update_time = EXCLUDED.update_time",
    )
    .bind(participant)
    .bind(settings.email)
    .bind(&settings.language)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}
