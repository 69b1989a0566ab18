//! Activities, their invitations, seats and waitlist.
//!
//! Capacity is the database's: every change of seats locks the activity's row first
//! (`FOR UPDATE`), counts against `seats_taken` under that lock, and writes the seats
//! with the invitation; the table's CHECK refuses an over-booking whatever happens. The
//! lock also orders concurrent answers, so the waitlist (numbered from the activity's
//! `waitlist_next`) is in order of arrival. Every change writes its event and its
//! notifications in the caller's transaction.

use kompis_domain::{
    ActivityState, Attendance, EventKind, NotificationKind, Rsvp, TransitionError, seats_fit, seats_for,
};
use kompis_messages::{Params, Template};
use sqlx::{AssertSqlSafe, PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::events::{self, Attributes, InvitationChange, NewEvent};
use crate::notifications::{self, NewNotification};
use crate::{DomainViolation, StoreError};

pub mod pairs;

/// How many invitations are written (and notified) per statement: an invitation to
/// 10,000 people is a few statements, each with bounded parameter arrays.
pub const INVITE_CHUNK: usize = 2_000;

/// An activity as stored, with its counts.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Activity {
    /// Id.
    pub id: Uuid,
    /// Chapter slug.
    pub chapter_id: String,
    /// `ActivityKind::as_str`.
    pub kind: String,
    /// `ActivityState::as_str`.
    pub state: String,
    /// Title.
    pub title: String,
    /// What will happen.
    pub description: String,
    /// Start.
    pub start_time: OffsetDateTime,
    /// End.
    pub end_time: OffsetDateTime,
    /// Meeting place as shown to participants.
    pub location: String,
    /// Municipality of the district, if one is given.
    pub municipality_id: Option<String>,
    /// District, if one is given.
    pub district_id: Option<String>,
    /// Free for participants.
    pub free: bool,
    /// Seats; 0 for no limit.
    pub capacity: i32,
    /// Guests each invitee may bring.
    pub max_guests: i32,
    /// ISO 639 codes spoken there.
    pub language_codes: Vec<String>,
    /// Interest ids of the chapter's taxonomy.
    pub interests: Vec<String>,
    /// Whether pairs sign up together.
    pub pair_sign_up: bool,
    /// Seats taken by answers YES.
    pub seats_taken: i32,
    /// Uninvited guests counted at attendance.
    pub guest_count: i32,
    /// Why it was cancelled.
    pub cancel_reason: String,
    /// Account id of the coordinator who planned it.
    pub organizer: String,
    /// Created.
    pub create_time: OffsetDateTime,
    /// Last changed.
    pub update_time: OffsetDateTime,
    /// Invitations sent.
    pub invited_count: i64,
    /// Invitations answered YES.
    pub yes_count: i64,
    /// Invitations on the waitlist.
    pub waitlist_count: i64,
    /// Invitees who came.
    pub attended_count: i64,
}

impl Activity {
    /// `chapters/{chapter}/activities/{id}`.
    pub fn name(&self) -> String {
        resource_name(&self.chapter_id, self.id)
    }

    /// The notification parameters of this activity: title, start and place.
    pub fn params(&self) -> Params {
        Params::new()
            .text("title", self.title.clone())
            .time("start", self.start_time)
            .text("place", self.location.clone())
    }

    fn state(&self) -> Result<ActivityState, StoreError> {
        self.state
            .parse()
            .map_err(|_| StoreError::corrupt("activity state", &self.state))
    }

    fn attributes(&self) -> Attributes {
        Attributes {
            municipality_id: self.municipality_id.clone(),
            district_id: self.district_id.clone(),
            activity_id: Some(self.id),
            activity_kind: Some(self.kind.clone()),
            activity_free: Some(self.free),
            ..Default::default()
        }
    }
}

/// `chapters/{chapter}/activities/{id}`.
pub fn resource_name(chapter: &str, id: Uuid) -> String {
    format!("chapters/{chapter}/activities/{id}")
}

/// An invitation as stored, with its waitlist position.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Invitation {
    /// Id.
    pub id: Uuid,
    /// The activity.
    pub activity_id: Uuid,
    /// Chapter slug.
    pub chapter_id: String,
    /// The invitee.
    pub participant_id: Uuid,
    /// `Rsvp::as_str`.
    pub rsvp: String,
    /// Guests the invitee brings.
    pub guests: i32,
    /// When answered.
    pub rsvp_time: Option<OffsetDateTime>,
    /// `Attendance::as_str`.
    pub attendance: String,
    /// When sent.
    pub create_time: OffsetDateTime,
    /// Place on the waitlist (1 is next), 0 when not waitlisted.
    pub waitlist_position: i64,
    /// The pair sign-up this invitation is part of, shared with the buddy's.
    pub pair_id: Option<Uuid>,
}

impl Invitation {
    /// `chapters/{chapter}/activities/{activity}/invitations/{id}`.
    pub fn name(&self) -> String {
        format!(
            "{}/invitations/{}",
            resource_name(&self.chapter_id, self.activity_id),
            self.id
        )
    }
}

// The queries below are composed only of these constants (hence `AssertSqlSafe`); every
// value is a bind parameter.
const ACTIVITY_COLUMNS: &str = "a.id, a.chapter_id, a.kind, a.state, a.title, a.description,
    a.start_time, a.end_time, a.location, a.municipality_id, a.district_id, a.free, a.capacity,
    a.max_guests, a.language_codes, a.interests, a.pair_sign_up, a.seats_taken, a.guest_count,
    a.cancel_reason, a.organizer, a.create_time, a.update_time,
    (SELECT count(*) FROM invitations i WHERE i.activity_id = a.id) AS invited_count,
    (SELECT count(*) FROM invitations i WHERE i.activity_id = a.id AND i.rsvp = 'yes') AS yes_count,
    (SELECT count(*) FROM invitations i WHERE i.activity_id = a.id AND i.rsvp = 'waitlisted')
        AS waitlist_count,
    (SELECT count(*) FROM invitations i WHERE i.activity_id = a.id AND i.attendance = 'attended')
        AS attended_count";

const INVITATION_COLUMNS: &str = "i.id, i.activity_id, i.chapter_id, i.participant_id, i.rsvp,
    i.guests, i.rsvp_time, i.attendance, i.create_time, i.pair_id,
    CASE WHEN i.waitlist_seq IS NULL THEN 0 ELSE
        (SELECT count(*) FROM invitations w WHERE w.activity_id = i.activity_id
             AND w.waitlist_seq <= i.waitlist_seq) END AS waitlist_position";

/// An activity to create (or the new values of one).
#[derive(Debug, Clone)]
pub struct NewActivity {
    /// Chapter slug.
    pub chapter_id: String,
    /// `ActivityKind`.
    pub kind: kompis_domain::ActivityKind,
    /// Title, 1 to 100 characters.
    pub title: String,
    /// At most 2000 characters.
    pub description: String,
    /// Start.
    pub start_time: OffsetDateTime,
    /// End, after the start.
    pub end_time: OffsetDateTime,
    /// Meeting place, 1 to 200 characters.
    pub location: String,
    /// Municipality and district, when given.
    pub district: Option<(String, String)>,
    /// Free for participants.
    pub free: bool,
    /// Seats, 0 for no limit.
    pub capacity: i32,
    /// Guests each invitee may bring.
    pub max_guests: i32,
    /// ISO 639 codes.
    pub language_codes: Vec<String>,
    /// Interest ids of the chapter's taxonomy.
    pub interests: Vec<String>,
    /// Whether pairs sign up together.
    pub pair_sign_up: bool,
}

/// Creates a planned activity with its event; the reminder falls due the chapter's
/// `activity_reminder_hours` before the start.
pub async fn create(
    tx: &mut PgConnection,
    new: &NewActivity,
    organizer: &str,
    at: OffsetDateTime,
) -> Result<Activity, StoreError> {
    let id = Uuid::now_v7();
    let (municipality, district) = new.district.clone().unzip();
    sqlx::query(
        "INSERT INTO activities (id, chapter_id, kind, state, title, description, start_time,
             end_time, location, municipality_id, district_id, free, capacity, max_guests,
             language_codes, interests, pair_sign_up, organizer, reminder_time, create_time,
             update_time)
         SELECT $1, $2, $3, 'planned', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                $16, $17,
                CASE WHEN c.activity_reminder_hours > 0
                     THEN $6 - make_interval(hours => c.activity_reminder_hours) END,
                $18, $18
         FROM chapters c WHERE c.id = $2",
    )
    .bind(id)
    .bind(&new.chapter_id)
    .bind(new.kind.as_str())
    .bind(&new.title)
    .bind(&new.description)
    .bind(new.start_time)
    .bind(new.end_time)
    .bind(&new.location)
    .bind(municipality)
    .bind(district)
    .bind(new.free)
    .bind(new.capacity)
    .bind(new.max_guests)
    .bind(&new.language_codes)
    .bind(&new.interests)
    .bind(new.pair_sign_up)
    .bind(organizer)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    let activity = get(&mut *tx, &new.chapter_id, id).await?;
    activity_event(tx, &activity, "", ActivityState::Planned, organizer, "", at).await?;
    Ok(activity)
}

async fn activity_event(
    tx: &mut PgConnection,
    activity: &Activity,
    from: &str,
    to: ActivityState,
    actor: &str,
    reason: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    events::append(
        &mut *tx,
        &NewEvent {
            chapter_id: &activity.chapter_id,
            subject: &activity.name(),
            kind: EventKind::Activity,
            actor,
            occur_time: at,
            from_state: from,
            to_state: to.as_str(),
            reason,
            attributes: activity.attributes(),
        },
    )
    .await?;
    Ok(())
}

/// The activity `id` of `chapter`; [`StoreError::NotFound`] when it is not there.
pub async fn get<'c>(db: impl PgExecutor<'c>, chapter: &str, id: Uuid) -> Result<Activity, StoreError> {
    Ok(sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {ACTIVITY_COLUMNS} FROM activities a WHERE a.id = $1 AND a.chapter_id = $2"
    )))
    .bind(id)
    .bind(chapter)
    .fetch_one(db)
    .await?)
}

/// Locks the activity's row (every change of seats starts here) and reads it.
async fn lock(tx: &mut PgConnection, chapter: &str, id: Uuid) -> Result<Activity, StoreError> {
    sqlx::query("SELECT 1 FROM activities WHERE id = $1 AND chapter_id = $2 FOR UPDATE")
        .bind(id)
        .bind(chapter)
        .fetch_one(&mut *tx)
        .await?;
    get(&mut *tx, chapter, id).await
}

/// Which activities [`list`] returns; filters combine with AND.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// One chapter, or every chapter.
    pub chapter_id: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this state.
    pub state: Option<String>,
    /// Only starting at or after.
    pub start_after: Option<OffsetDateTime>,
    /// Only starting before.
    pub start_before: Option<OffsetDateTime>,
}

/// Lists activities by start time, `limit` of them after skipping `offset`.
pub async fn list<'c>(
    db: impl PgExecutor<'c>,
    filter: &ActivityFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<Activity>, StoreError> {
    Ok(sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {ACTIVITY_COLUMNS} FROM activities a
         WHERE ($1::text IS NULL OR a.chapter_id = $1) AND ($2::text IS NULL OR a.kind = $2)
           AND ($3::text IS NULL OR a.state = $3)
           AND ($4::timestamptz IS NULL OR a.start_time >= $4)
           AND ($5::timestamptz IS NULL OR a.start_time < $5)
         ORDER BY a.start_time, a.id OFFSET $6 LIMIT $7"
    )))
    .bind(filter.chapter_id.as_deref())
    .bind(filter.kind.as_deref())
    .bind(filter.state.as_deref())
    .bind(filter.start_after)
    .bind(filter.start_before)
    .bind(offset)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Updates a planned activity to `new` (the caller has merged the changed fields),
/// gives seats a raised capacity frees to the waitlist, and notifies everyone invited
/// who has not declined. A capacity below the seats taken is
/// [`DomainViolation::NotEnoughSeats`].
pub async fn update(
    tx: &mut PgConnection,
    id: Uuid,
    new: &NewActivity,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Activity, StoreError> {
    let before = lock(tx, &new.chapter_id, id).await?;
    let state = before.state()?;
    if state != ActivityState::Planned {
        return Err(TransitionError {
            entity: "activity",
            from: state.as_str(),
            to: ActivityState::Planned.as_str(),
        }
        .into());
    }
    if new.capacity != 0 && new.capacity < before.seats_taken {
        return Err(DomainViolation::NotEnoughSeats.into());
    }
    let (municipality, district) = new.district.clone().unzip();
    sqlx::query(
        "UPDATE activities a SET title = $3, description = $4, start_time = $5, end_time = $6,
             location = $7, municipality_id = $8, district_id = $9, free = $10, capacity = $11,
             max_guests = $12, language_codes = $13, interests = $14, update_time = $15,
             reminder_time = CASE WHEN c.activity_reminder_hours > 0
                 THEN $5 - make_interval(hours => c.activity_reminder_hours) END,
             reminded_time = CASE WHEN a.start_time = $5 THEN a.reminded_time END
         FROM chapters c WHERE c.id = a.chapter_id AND a.id = $1 AND a.chapter_id = $2",
    )
    .bind(id)
    .bind(&new.chapter_id)
    .bind(&new.title)
    .bind(&new.description)
    .bind(new.start_time)
    .bind(new.end_time)
    .bind(&new.location)
    .bind(municipality)
    .bind(district)
    .bind(new.free)
    .bind(new.capacity)
    .bind(new.max_guests)
    .bind(&new.language_codes)
    .bind(&new.interests)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    let activity = get(&mut *tx, &new.chapter_id, id).await?;
    activity_event(tx, &activity, state.as_str(), state, actor, "", at).await?;
    promote(tx, &activity, actor, at).await?;
    notify_invited(
        tx,
        &activity,
        &["pending", "yes", "waitlisted"],
        NotificationKind::ActivityUpdated,
        Template::ActivityUpdated,
        &activity.params(),
        at,
    )
    .await?;
    get(&mut *tx, &new.chapter_id, id).await
}

/// Cancels a planned activity and notifies everyone invited who has not declined.
pub async fn cancel(
    tx: &mut PgConnection,
    chapter: &str,
    id: Uuid,
    reason: &str,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Activity, StoreError> {
    let before = lock(tx, chapter, id).await?;
    let from = before.state()?;
    from.transition(ActivityState::Cancelled)?;
    sqlx::query(
        "UPDATE activities SET state = 'cancelled', cancel_reason = $2, update_time = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(reason)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    let activity = get(&mut *tx, chapter, id).await?;
    activity_event(
        tx,
        &activity,
        from.as_str(),
        ActivityState::Cancelled,
        actor,
        reason,
        at,
    )
    .await?;
    let params = Params::new()
        .text("title", activity.title.clone())
        .time("start", activity.start_time)
        .text("reason", reason);
    notify_invited(
        tx,
        &activity,
        &["pending", "yes", "waitlisted"],
        NotificationKind::ActivityCancelled,
        Template::ActivityCancelled,
        &params,
        at,
    )
    .await?;
    Ok(activity)
}

/// Enqueues one notification about the activity to each invitee whose answer is one of
/// `answers`, in chunks of [`INVITE_CHUNK`].
async fn notify_invited(
    tx: &mut PgConnection,
    activity: &Activity,
    answers: &[&str],
    kind: NotificationKind,
    template: Template,
    params: &Params,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let invitees: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT id, participant_id FROM invitations WHERE activity_id = $1 AND rsvp = ANY($2)
         ORDER BY create_time, id",
    )
    .bind(activity.id)
    .bind(answers)
    .fetch_all(&mut *tx)
    .await?;
    let subjects: Vec<String> = invitees
        .iter()
        .map(|(id, _)| format!("{}/invitations/{id}", activity.name()))
        .collect();
    for (chunk, names) in invitees.chunks(INVITE_CHUNK).zip(subjects.chunks(INVITE_CHUNK)) {
        let batch: Vec<NewNotification<'_>> = chunk
            .iter()
            .zip(names)
            .map(|((_, participant), subject)| NewNotification {
                participant: *participant,
                chapter: &activity.chapter_id,
                kind,
                subject,
                template,
                params,
                at,
            })
            .collect();
        notifications::enqueue_batch(tx, &batch).await?;
    }
    Ok(())
}

/// Who an invitation goes to: those named and those an audience selects.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    /// Participants named one by one (they must be of the activity's chapter).
    pub participants: Vec<Uuid>,
    /// Whether the criteria below select anyone (an empty audience selects nobody).
    pub select: bool,
    /// Roles; empty for both.
    pub roles: Vec<String>,
    /// States; empty for any (the service asks for at least one unless
    /// `active_matches`).
    pub states: Vec<String>,
    /// `(municipality, district)` pairs; empty for the whole chapter.
    pub districts: Vec<(String, String)>,
    /// ISO 639 codes; empty for any.
    pub language_codes: Vec<String>,
    /// Interest ids; empty for any.
    pub interests: Vec<String>,
    /// Only participants in an accepted or active match, either side.
    pub active_matches: bool,
}

/// What [`invite`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invited {
    /// Invitations written and notified, and the selected who already had one.
    Done {
        /// New invitations.
        created: i64,
        /// Selected participants already invited.
        already: i64,
    },
    /// Named participants who are not in the activity's chapter (or do not exist).
    Unknown(Vec<Uuid>),
}

/// Invites to a planned activity everyone the audience selects who is not invited yet:
/// each new invitation is written with its event and its notification (in chunks of
/// [`INVITE_CHUNK`]), all in the caller's transaction.
pub async fn invite(
    tx: &mut PgConnection,
    chapter: &str,
    id: Uuid,
    audience: &Audience,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Invited, StoreError> {
    let activity = lock(tx, chapter, id).await?;
    let state = activity.state()?;
    if state != ActivityState::Planned {
        return Err(DomainViolation::ActivityClosed.into());
    }
    let selected = match select_audience(&mut *tx, chapter, audience).await? {
        Selected::Unknown(ids) => return Ok(Invited::Unknown(ids)),
        Selected::Ids(ids) => ids,
    };
    let params = activity.params();
    let mut created = 0;
    for chunk in selected.chunks(INVITE_CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|_| Uuid::now_v7()).collect();
        let new: Vec<(Uuid, Uuid)> = sqlx::query_as(
            "INSERT INTO invitations (id, activity_id, chapter_id, participant_id, rsvp,
                 create_time, update_time)
             SELECT g.id, $3, $4, g.participant_id, 'pending', $5, $5
             FROM UNNEST($1::uuid[], $2::uuid[]) AS g (id, participant_id)
             ON CONFLICT (activity_id, participant_id) DO NOTHING
             RETURNING id, participant_id",
        )
        .bind(&ids)
        .bind(chunk)
        .bind(id)
        .bind(chapter)
        .bind(at)
        .fetch_all(&mut *tx)
        .await?;
        created += new.len() as i64;
        let changes: Vec<InvitationChange> = new
            .iter()
            .map(|(invitation, _)| InvitationChange {
                invitation: *invitation,
                from: "",
                to: Rsvp::Pending.as_str(),
            })
            .collect();
        events::append_invitation_changes(&mut *tx, &changes, actor, at).await?;
        let subjects: Vec<String> = new
            .iter()
            .map(|(invitation, _)| format!("{}/invitations/{invitation}", activity.name()))
            .collect();
        let batch: Vec<NewNotification<'_>> = new
            .iter()
            .zip(&subjects)
            .map(|((_, participant), subject)| NewNotification {
                participant: *participant,
                chapter,
                kind: NotificationKind::InvitationReceived,
                subject,
                template: Template::InvitationReceived,
                params: &params,
                at,
            })
            .collect();
        notifications::enqueue_batch(tx, &batch).await?;
    }
    Ok(Invited::Done {
        created,
        already: selected.len() as i64 - created,
    })
}

/// Whom an audience selects in `chapter`: ids in order, or the named ids that are not
/// the chapter's. Reads only (two queries, one statement each).
async fn select_audience(
    conn: &mut PgConnection,
    chapter: &str,
    audience: &Audience,
) -> Result<Selected, StoreError> {
    let unknown: Vec<Uuid> = sqlx::query_scalar(
        "SELECT g.id FROM UNNEST($1::uuid[]) AS g (id)
         WHERE NOT EXISTS (SELECT 1 FROM participants p WHERE p.id = g.id AND p.chapter_id = $2)",
    )
    .bind(&audience.participants)
    .bind(chapter)
    .fetch_all(&mut *conn)
    .await?;
    if !unknown.is_empty() {
        return Ok(Selected::Unknown(unknown));
    }
    let municipalities: Vec<&str> = audience.districts.iter().map(|d| d.0.as_str()).collect();
    let districts: Vec<&str> = audience.districts.iter().map(|d| d.1.as_str()).collect();
    let selected: Vec<Uuid> = sqlx::query_scalar(
        "SELECT p.id FROM participants p
         WHERE p.chapter_id = $1
           AND (p.id = ANY($2)
                OR ($3 AND (cardinality($5::text[]) = 0 OR p.state = ANY($5))
                    AND (cardinality($4::text[]) = 0 OR p.role = ANY($4))
                    AND (cardinality($6::text[]) = 0 OR EXISTS (
                        SELECT 1 FROM UNNEST($6::text[], $7::text[]) AS d (m, d)
                        WHERE d.m = p.municipality_id AND d.d = p.district_id))
                    AND (cardinality($8::text[]) = 0 OR EXISTS (
                        SELECT 1 FROM jsonb_array_elements(p.languages) l
                        WHERE l->>'code' = ANY($8)))
                    AND (cardinality($9::text[]) = 0 OR p.interests && $9)
                    AND (NOT $10 OR EXISTS (
                        SELECT 1 FROM matches m
                        WHERE (m.newcomer_id = p.id OR m.resident_id = p.id)
                          AND m.state IN ('accepted', 'active')))))
         ORDER BY p.id",
    )
    .bind(chapter)
    .bind(&audience.participants)
    .bind(audience.select)
    .bind(&audience.roles)
    .bind(&audience.states)
    .bind(&municipalities)
    .bind(&districts)
    .bind(&audience.language_codes)
    .bind(&audience.interests)
    .bind(audience.active_matches)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Selected::Ids(selected))
}

/// What [`select_audience`] found.
enum Selected {
    /// The participants selected, by id.
    Ids(Vec<Uuid>),
    /// Named participants who are not in the chapter (or do not exist).
    Unknown(Vec<Uuid>),
}

/// What [`invite`] would do, without writing anything: how many the audience selects
/// who are not invited yet (`created`) and how many already are (`already`). The
/// activity must be planned, as for [`invite`]. Reads the caller's connection only;
/// the count can change before an invitation is sent, when people's states change.
pub async fn audience_size(
    conn: &mut PgConnection,
    chapter: &str,
    id: Uuid,
    audience: &Audience,
) -> Result<Invited, StoreError> {
    let activity = get(&mut *conn, chapter, id).await?;
    if activity.state()? != ActivityState::Planned {
        return Err(DomainViolation::ActivityClosed.into());
    }
    let selected = match select_audience(&mut *conn, chapter, audience).await? {
        Selected::Unknown(ids) => return Ok(Invited::Unknown(ids)),
        Selected::Ids(ids) => ids,
    };
    let already: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM invitations WHERE activity_id = $1 AND participant_id = ANY($2)",
    )
    .bind(id)
    .bind(&selected)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Invited::Done {
        created: selected.len() as i64 - already,
        already,
    })
}

/// The invitation `id` of `activity` in `chapter`.
pub async fn get_invitation<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    activity: Uuid,
    id: Uuid,
) -> Result<Invitation, StoreError> {
    Ok(sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations i
         WHERE i.id = $1 AND i.activity_id = $2 AND i.chapter_id = $3"
    )))
    .bind(id)
    .bind(activity)
    .bind(chapter)
    .fetch_one(db)
    .await?)
}

/// An activity's invitations in the order they were sent, or, with the answer
/// `waitlisted`, the waitlist in its order; `limit` after skipping `offset`.
pub async fn list_invitations<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    activity: Uuid,
    rsvp: Option<Rsvp>,
    offset: i64,
    limit: i64,
) -> Result<Vec<Invitation>, StoreError> {
    Ok(sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations i
         WHERE i.activity_id = $1 AND i.chapter_id = $2 AND ($3::text IS NULL OR i.rsvp = $3)
         ORDER BY i.waitlist_seq NULLS LAST, i.create_time, i.id OFFSET $4 LIMIT $5"
    )))
    .bind(activity)
    .bind(chapter)
    .bind(rsvp.map(Rsvp::as_str))
    .bind(offset)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// A participant's invitations with their activities, soonest activity first; only
/// those of planned activities that have not ended unless `include_past`.
pub async fn list_for_participant<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
    include_past: bool,
    now: OffsetDateTime,
    offset: i64,
    limit: i64,
) -> Result<Vec<Invitation>, StoreError> {
    Ok(sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations i JOIN activities a ON a.id = i.activity_id
         WHERE i.participant_id = $1 AND ($2 OR (a.state = 'planned' AND a.end_time > $3))
         ORDER BY a.start_time, i.id OFFSET $4 LIMIT $5"
    )))
    .bind(participant)
    .bind(include_past)
    .bind(now)
    .bind(offset)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// An answer to an invitation.
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    /// Chapter slug.
    pub chapter: &'a str,
    /// The activity.
    pub activity: Uuid,
    /// The invitation.
    pub invitation: Uuid,
    /// Only the invitation of this participant (the caller, in the app).
    pub participant: Option<Uuid>,
    /// YES or NO.
    pub rsvp: Rsvp,
    /// Guests, with YES.
    pub guests: i32,
    /// Who answers.
    pub actor: &'a str,
    /// When.
    pub at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct Held {
    rsvp: String,
    seats: i32,
    waitlist_seq: Option<i64>,
    pair_id: Option<Uuid>,
}

/// Answers are closed once the activity is not planned or has started.
fn check_open(activity: &Activity, at: OffsetDateTime) -> Result<(), StoreError> {
    if activity.state()? != ActivityState::Planned || at >= activity.start_time {
        return Err(DomainViolation::ActivityClosed.into());
    }
    Ok(())
}

/// Answers an invitation, under the activity's lock:
///
/// - YES takes `1 + guests` seats when they fit and nobody is waiting; otherwise the
///   invitation goes to the end of the waitlist (WAITLISTED). A YES changing its guests
///   keeps its seat if the new seats fit, and is [`DomainViolation::NotEnoughSeats`]
///   otherwise; a waitlisted one keeps its place.
/// - NO gives up a seat or a waitlist place; freed seats go to the waitlist in order,
///   each given one notified (SEAT_GIVEN). NO to an invitation signed up as a pair
///   cancels both of the pair ([`pairs`]).
///
/// Closed answers (activity not planned, or started) are
/// [`DomainViolation::ActivityClosed`].
pub async fn respond(tx: &mut PgConnection, answer: &Answer<'_>) -> Result<Invitation, StoreError> {
    let Answer {
        chapter,
        activity: activity_id,
        invitation,
        at,
        ..
    } = *answer;
    let activity = lock(tx, chapter, activity_id).await?;
    let held: Held = sqlx::query_as(
        "SELECT rsvp, seats, waitlist_seq, pair_id FROM invitations
         WHERE id = $1 AND activity_id = $2 AND ($3::uuid IS NULL OR participant_id = $3)
         FOR UPDATE",
    )
    .bind(invitation)
    .bind(activity_id)
    .bind(answer.participant)
    .fetch_one(&mut *tx)
    .await?;
    check_open(&activity, at)?;
    if let Some(pair) = held.pair_id.filter(|_| answer.rsvp != Rsvp::Yes) {
        pairs::cancel(tx, &activity, invitation, pair, answer.actor, at).await?;
        return get_invitation(&mut *tx, chapter, activity_id, invitation).await;
    }
    let from: Rsvp = held
        .rsvp
        .parse()
        .map_err(|_| StoreError::corrupt("answer", &held.rsvp))?;
    let taken_by_others = activity.seats_taken - held.seats;
    let (to, seats, guests, waitlist_seq) = match answer.rsvp {
        Rsvp::Yes => {
            if answer.guests > activity.max_guests {
                return Err(DomainViolation::TooManyGuests {
                    max: activity.max_guests,
                }
                .into());
            }
            let seats = seats_for(answer.guests);
            match from {
                Rsvp::Yes if seats_fit(activity.capacity, taken_by_others, seats) => {
                    (Rsvp::Yes, seats, answer.guests, None)
                }
                Rsvp::Yes => return Err(DomainViolation::NotEnoughSeats.into()),
                Rsvp::Waitlisted => (Rsvp::Waitlisted, 0, answer.guests, held.waitlist_seq),
                Rsvp::Pending | Rsvp::No => {
                    if activity.waitlist_count == 0
                        && seats_fit(activity.capacity, activity.seats_taken, seats)
                    {
                        (Rsvp::Yes, seats, answer.guests, None)
                    } else {
                        let seq: i64 = sqlx::query_scalar(
                            "UPDATE activities SET waitlist_next = waitlist_next + 1 WHERE id = $1
                             RETURNING waitlist_next",
                        )
                        .bind(activity_id)
                        .fetch_one(&mut *tx)
                        .await?;
                        (Rsvp::Waitlisted, 0, answer.guests, Some(seq))
                    }
                }
            }
        }
        _ => (Rsvp::No, 0, 0, None),
    };
    // Seats are released before they are taken, so the CHECK holds at every step.
    sqlx::query("UPDATE activities SET seats_taken = seats_taken - $2, update_time = $3 WHERE id = $1")
        .bind(activity_id)
        .bind(held.seats)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE invitations SET rsvp = $2, seats = $3, guests = $4, waitlist_seq = $5,
             rsvp_time = $6, update_time = $6 WHERE id = $1",
    )
    .bind(invitation)
    .bind(to.as_str())
    .bind(seats)
    .bind(guests)
    .bind(waitlist_seq)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE activities SET seats_taken = seats_taken + $2 WHERE id = $1")
        .bind(activity_id)
        .bind(seats)
        .execute(&mut *tx)
        .await?;
    if from != to {
        events::append_invitation_changes(
            &mut *tx,
            &[InvitationChange {
                invitation,
                from: from.as_str(),
                to: to.as_str(),
            }],
            answer.actor,
            at,
        )
        .await?;
    }
    let activity = get(&mut *tx, chapter, activity_id).await?;
    promote(tx, &activity, answer.actor, at).await?;
    get_invitation(&mut *tx, chapter, activity_id, invitation).await
}

/// Gives free seats to the waitlist in order of arrival, as long as the first waiting
/// fits (nobody overtakes), each with its event and a SEAT_GIVEN notification. A pair
/// signed up together is one party: both get seats at once or both wait. The caller
/// holds the activity's lock.
async fn promote(
    tx: &mut PgConnection,
    activity: &Activity,
    actor: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let waiting: Vec<(Uuid, Uuid, i32, Option<Uuid>)> = sqlx::query_as(
        "SELECT id, participant_id, guests, pair_id FROM invitations
         WHERE activity_id = $1 AND waitlist_seq IS NOT NULL ORDER BY waitlist_seq",
    )
    .bind(activity.id)
    .fetch_all(&mut *tx)
    .await?;
    let mut taken = activity.seats_taken;
    let mut given: Vec<(Uuid, Uuid, i32)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (invitation, _, _, pair) in &waiting {
        if !seen.insert(*invitation) {
            continue;
        }
        // The party: the invitee alone, or the two of a pair wherever they wait.
        let party: Vec<(Uuid, Uuid, i32)> = waiting
            .iter()
            .filter(|w| w.0 == *invitation || (pair.is_some() && w.3 == *pair))
            .map(|w| (w.0, w.1, seats_for(w.2)))
            .collect();
        let seats: i32 = party.iter().map(|p| p.2).sum();
        if !seats_fit(activity.capacity, taken, seats) {
            break;
        }
        taken += seats;
        seen.extend(party.iter().map(|p| p.0));
        given.extend(party);
    }
    if given.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = given.iter().map(|g| g.0).collect();
    let seats: Vec<i32> = given.iter().map(|g| g.2).collect();
    sqlx::query(
        "UPDATE invitations i SET rsvp = 'yes', seats = g.seats, waitlist_seq = NULL,
             update_time = $3
         FROM UNNEST($1::uuid[], $2::int[]) AS g (id, seats) WHERE i.id = g.id",
    )
    .bind(&ids)
    .bind(&seats)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE activities SET seats_taken = $2 WHERE id = $1")
        .bind(activity.id)
        .bind(taken)
        .execute(&mut *tx)
        .await?;
    let changes: Vec<InvitationChange> = ids
        .iter()
        .map(|invitation| InvitationChange {
            invitation: *invitation,
            from: Rsvp::Waitlisted.as_str(),
            to: Rsvp::Yes.as_str(),
        })
        .collect();
    events::append_invitation_changes(&mut *tx, &changes, actor, at).await?;
    let params = activity.params();
    let subjects: Vec<String> = ids
        .iter()
        .map(|id| format!("{}/invitations/{id}", activity.name()))
        .collect();
    let batch: Vec<NewNotification<'_>> = given
        .iter()
        .zip(&subjects)
        .map(|((_, participant, _), subject)| NewNotification {
            participant: *participant,
            chapter: &activity.chapter_id,
            kind: NotificationKind::SeatGiven,
            subject,
            template: Template::SeatGiven,
            params: &params,
            at,
        })
        .collect();
    notifications::enqueue_batch(tx, &batch).await?;
    Ok(())
}

/// What [`record_attendance`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// The activity after the change.
    Done(Box<Activity>),
    /// Invitations named that are not the activity's.
    Unknown(Vec<Uuid>),
}

/// Records (or corrects) who came and how many uninvited guests, and marks the
/// activity completed, with its event. Refused before the activity has started.
pub async fn record_attendance(
    tx: &mut PgConnection,
    chapter: &str,
    id: Uuid,
    records: &[(Uuid, Attendance)],
    guest_count: i32,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Recorded, StoreError> {
    let activity = lock(tx, chapter, id).await?;
    let from = activity.state()?;
    from.transition(ActivityState::Completed)?;
    if at < activity.start_time {
        return Err(TransitionError {
            entity: "activity",
            from: from.as_str(),
            to: ActivityState::Completed.as_str(),
        }
        .into());
    }
    let ids: Vec<Uuid> = records.iter().map(|r| r.0).collect();
    let attendance: Vec<&str> = records.iter().map(|r| r.1.as_str()).collect();
    let unknown: Vec<Uuid> = sqlx::query_scalar(
        "SELECT g.id FROM UNNEST($1::uuid[]) AS g (id)
         WHERE NOT EXISTS (SELECT 1 FROM invitations i WHERE i.id = g.id AND i.activity_id = $2)",
    )
    .bind(&ids)
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    if !unknown.is_empty() {
        return Ok(Recorded::Unknown(unknown));
    }
    let before = attendance_of(&mut *tx, id).await?;
    sqlx::query(
        "UPDATE invitations i SET attendance = g.attendance, update_time = $3
         FROM UNNEST($1::uuid[], $2::text[]) AS g (id, attendance) WHERE i.id = g.id",
    )
    .bind(&ids)
    .bind(&attendance)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    let after = attendance_of(&mut *tx, id).await?;
    attendance_events(tx, chapter, id, &before, &after, actor, at).await?;
    sqlx::query(
        "UPDATE activities SET state = 'completed', guest_count = $2, update_time = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(guest_count)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    let activity = get(&mut *tx, chapter, id).await?;
    activity_event(
        tx,
        &activity,
        from.as_str(),
        ActivityState::Completed,
        actor,
        "",
        at,
    )
    .await?;
    Ok(Recorded::Done(Box::new(activity)))
}

/// An activity's invitations with their attendance and pair, by id.
async fn attendance_of(
    tx: &mut PgConnection,
    activity: Uuid,
) -> Result<std::collections::BTreeMap<Uuid, (String, Option<Uuid>)>, StoreError> {
    let rows: Vec<(Uuid, String, Option<Uuid>)> =
        sqlx::query_as("SELECT id, attendance, pair_id FROM invitations WHERE activity_id = $1")
            .bind(activity)
            .fetch_all(&mut *tx)
            .await?;
    Ok(rows.into_iter().map(|(id, a, pair)| (id, (a, pair))).collect())
}

/// The event log's record of an attendance change: an [`EventKind::Attendance`] event
/// per invitee whose attendance changed, and an [`EventKind::PairAttendance`] event per
/// pair that starts or ceases to have both attended.
async fn attendance_events(
    tx: &mut PgConnection,
    chapter: &str,
    activity: Uuid,
    before: &std::collections::BTreeMap<Uuid, (String, Option<Uuid>)>,
    after: &std::collections::BTreeMap<Uuid, (String, Option<Uuid>)>,
    actor: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let stored = |s: &str| -> Result<&'static str, StoreError> {
        s.parse::<Attendance>()
            .map(|a| a.as_str())
            .map_err(|_| StoreError::corrupt("attendance", s))
    };
    let mut changes = Vec::new();
    for (invitation, (now, _)) in after {
        let was = before.get(invitation).map_or("unknown", |(a, _)| a.as_str());
        if was != now {
            changes.push(InvitationChange {
                invitation: *invitation,
                from: stored(was)?,
                to: stored(now)?,
            });
        }
    }
    events::append_attendance_changes(&mut *tx, &changes, actor, at).await?;
    // A pair attended together when both of its invitations are `attended`.
    let together = |seen: &std::collections::BTreeMap<Uuid, (String, Option<Uuid>)>| {
        let mut pairs: std::collections::BTreeMap<Uuid, (usize, usize)> = Default::default();
        for (a, pair) in seen.values() {
            if let Some(pair) = pair {
                let e = pairs.entry(*pair).or_default();
                e.0 += 1;
                e.1 += usize::from(a == Attendance::Attended.as_str());
            }
        }
        pairs
            .into_iter()
            .map(|(pair, (n, attended))| (pair, n == 2 && attended == 2))
            .collect::<std::collections::BTreeMap<Uuid, bool>>()
    };
    let (was, now) = (together(before), together(after));
    let activity = get(&mut *tx, chapter, activity).await?;
    for (pair, &both) in &now {
        let had = was.get(pair).copied().unwrap_or(false);
        if both == had {
            continue;
        }
        let (from, to) = if both {
            ("not_attended", "attended")
        } else {
            ("attended", "not_attended")
        };
        events::append(
            &mut *tx,
            &NewEvent {
                chapter_id: &activity.chapter_id,
                subject: &format!("{}/pairs/{pair}", activity.name()),
                kind: EventKind::PairAttendance,
                actor,
                occur_time: at,
                from_state: from,
                to_state: to,
                reason: "",
                attributes: activity.attributes(),
            },
        )
        .await?;
    }
    Ok(())
}

/// The durable reminder timer: for every planned activity whose reminder is due at
/// `now` and that has not started, reminds everyone with a seat (ACTIVITY_REMINDER)
/// and marks it reminded, in one transaction per batch. Rows are claimed with
/// `SKIP LOCKED`, so several workers remind once. Returns the activities reminded.
pub async fn send_due_reminders(store: &crate::Store, now: OffsetDateTime) -> Result<u64, StoreError> {
    let mut tx = store.begin().await?;
    let due: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, chapter_id FROM activities
         WHERE state = 'planned' AND reminded_time IS NULL AND reminder_time <= $1
           AND start_time > $1
         ORDER BY reminder_time LIMIT 20 FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    for (id, chapter) in &due {
        let activity = get(&mut *tx, chapter, *id).await?;
        notify_invited(
            &mut tx,
            &activity,
            &["yes"],
            NotificationKind::ActivityReminder,
            Template::ActivityReminder,
            &activity.params(),
            now,
        )
        .await?;
        sqlx::query("UPDATE activities SET reminded_time = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(due.len() as u64)
}
