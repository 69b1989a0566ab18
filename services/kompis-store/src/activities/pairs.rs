//! Pair sign-up: a participant answers an activity together with their buddy, the
//! other side of their accepted or active match.
//!
//! The rules, all under the activity's row lock (so capacity stays the database's and
//! answers are ordered):
//!
//! - **Two seats or none.** The pair gets seats when both fit and nobody else is
//!   waiting; otherwise both go to the end of the waitlist, in two places in a row
//!   (one seat left is not taken by either). A pair never holds one seat.
//! - **The waitlist keeps pairs whole.** Promotion gives a waiting pair both seats at
//!   once; a pair at the head waits until two seats are free, and nobody behind it
//!   overtakes (the rule the waitlist already has for an invitee with guests).
//! - **A NO from either cancels both.** Both seats (or places) are given up, the
//!   waitlist is served, and the other is told (PAIR_CANCELLED). Each may then answer
//!   again, alone or as a pair.
//! - **A seat held is never lost.** When one of the two already holds a seat and the
//!   pair does not fit, the sign-up is [`DomainViolation::NotEnoughSeats`] and nothing
//!   changes.
//!
//! The buddy is invited by the sign-up if they were not, and is told
//! (PAIR_SIGNED_UP).

use kompis_domain::{NotificationKind, Rsvp, seats_fit, seats_for};
use kompis_messages::{Params, Template};
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Activity, Answer, Invitation, get, get_invitation, lock, promote};
use crate::events::{self, InvitationChange};
use crate::notifications::{self, NewNotification};
use crate::{DomainViolation, StoreError};

/// One of the pair's invitations as held before the answer.
#[derive(sqlx::FromRow)]
struct Held {
    id: Uuid,
    participant_id: Uuid,
    rsvp: String,
    seats: i32,
    guests: i32,
    waitlist_seq: Option<i64>,
    pair_id: Option<Uuid>,
}

impl Held {
    fn rsvp(&self) -> Result<Rsvp, StoreError> {
        self.rsvp
            .parse()
            .map_err(|_| StoreError::corrupt("answer", &self.rsvp))
    }
}

/// Signs up the caller of `answer` (YES, with their guests) together with their buddy;
/// see the module's rules. Returns the caller's invitation and the buddy's.
///
/// Refused with [`DomainViolation::PairSignUpNotAllowed`] when the activity does not
/// take pairs, [`DomainViolation::NoLiveMatch`] without an accepted or active match,
/// [`DomainViolation::BuddyAmbiguous`] with several, and as [`super::respond`] refuses
/// (closed, too many guests).
pub async fn respond_as_pair(
    tx: &mut PgConnection,
    answer: &Answer<'_>,
) -> Result<(Invitation, Invitation), StoreError> {
    let Answer {
        chapter,
        activity: activity_id,
        invitation,
        at,
        actor,
        ..
    } = *answer;
    let me = answer.participant.ok_or(StoreError::NotFound)?;
    let activity = lock(tx, chapter, activity_id).await?;
    // The caller's own invitation first: someone else's is not found, whatever else holds.
    sqlx::query("SELECT 1 FROM invitations WHERE id = $1 AND activity_id = $2 AND participant_id = $3")
        .bind(invitation)
        .bind(activity_id)
        .bind(me)
        .fetch_one(&mut *tx)
        .await?;
    super::check_open(&activity, at)?;
    if !activity.pair_sign_up {
        return Err(DomainViolation::PairSignUpNotAllowed.into());
    }
    if answer.guests > activity.max_guests {
        return Err(DomainViolation::TooManyGuests {
            max: activity.max_guests,
        }
        .into());
    }
    let buddy = buddy_of(tx, chapter, me).await?;
    let buddy_invitation = invitation_of(tx, &activity, buddy, actor, at).await?;
    let mut held: Vec<Held> = sqlx::query_as(
        "SELECT id, participant_id, rsvp, seats, guests, waitlist_seq, pair_id FROM invitations
         WHERE id = ANY($1) ORDER BY id FOR UPDATE",
    )
    .bind([invitation, buddy_invitation].as_slice())
    .fetch_all(&mut *tx)
    .await?;
    let (mine, theirs) = match (held.pop(), held.pop()) {
        (Some(a), Some(b)) if a.id == invitation => (a, b),
        (Some(a), Some(b)) => (b, a),
        _ => return Err(StoreError::NotFound),
    };
    let (from_mine, from_theirs) = (mine.rsvp()?, theirs.rsvp()?);
    let signed_up = |r: Rsvp| matches!(r, Rsvp::Yes | Rsvp::Waitlisted);
    let together = mine.pair_id.is_some() && mine.pair_id == theirs.pair_id;
    let buddy_guests = if signed_up(from_theirs) { theirs.guests } else { 0 };
    let (seats_mine, seats_theirs) = (seats_for(answer.guests), seats_for(buddy_guests));
    let held_seats = mine.seats + theirs.seats;
    let taken_by_others = activity.seats_taken - held_seats;
    let waiting_ours = i64::from(from_mine == Rsvp::Waitlisted) + i64::from(from_theirs == Rsvp::Waitlisted);
    let waiting_others = activity.waitlist_count - waiting_ours;
    let both_seated = from_mine == Rsvp::Yes && from_theirs == Rsvp::Yes;
    let fits = seats_fit(activity.capacity, taken_by_others, seats_mine + seats_theirs);

    let (to, seqs) = if together && from_mine == Rsvp::Waitlisted && from_theirs == Rsvp::Waitlisted {
        // Already waiting as a pair: the places are kept (promotion below seats them
        // if they now fit).
        (Rsvp::Waitlisted, (mine.waitlist_seq, theirs.waitlist_seq))
    } else if fits && (waiting_others == 0 || both_seated) {
        (Rsvp::Yes, (None, None))
    } else if from_mine == Rsvp::Yes || from_theirs == Rsvp::Yes {
        return Err(DomainViolation::NotEnoughSeats.into());
    } else {
        let last: i64 = sqlx::query_scalar(
            "UPDATE activities SET waitlist_next = waitlist_next + 2 WHERE id = $1
             RETURNING waitlist_next",
        )
        .bind(activity_id)
        .fetch_one(&mut *tx)
        .await?;
        (Rsvp::Waitlisted, (Some(last - 1), Some(last)))
    };
    let pair_id = if together {
        mine.pair_id
    } else {
        Some(Uuid::now_v7())
    };
    // Whoever either was paired with before (another buddy, a match since ended) keeps
    // their own answer, alone.
    let old: Vec<Uuid> = [mine.pair_id, theirs.pair_id]
        .into_iter()
        .flatten()
        .filter(|p| Some(*p) != pair_id)
        .collect();
    sqlx::query(
        "UPDATE invitations SET pair_id = NULL WHERE activity_id = $1 AND pair_id = ANY($2)
           AND NOT (id = ANY($3))",
    )
    .bind(activity_id)
    .bind(&old)
    .bind([invitation, buddy_invitation].as_slice())
    .execute(&mut *tx)
    .await?;
    // Seats are released before they are taken, so the capacity CHECK holds at every
    // step.
    sqlx::query("UPDATE activities SET seats_taken = seats_taken - $2, update_time = $3 WHERE id = $1")
        .bind(activity_id)
        .bind(held_seats)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    let seated = to == Rsvp::Yes;
    let rows = [
        (invitation, seats_mine, answer.guests, seqs.0),
        (buddy_invitation, seats_theirs, buddy_guests, seqs.1),
    ];
    for (id, seats, guests, seq) in rows {
        sqlx::query(
            "UPDATE invitations SET rsvp = $2, seats = $3, guests = $4, waitlist_seq = $5,
                 pair_id = $6, rsvp_time = $7, update_time = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(to.as_str())
        .bind(if seated { seats } else { 0 })
        .bind(guests)
        .bind(seq)
        .bind(pair_id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE activities SET seats_taken = seats_taken + $2 WHERE id = $1")
        .bind(activity_id)
        .bind(if seated { seats_mine + seats_theirs } else { 0 })
        .execute(&mut *tx)
        .await?;
    let changes: Vec<InvitationChange> = [(invitation, from_mine), (buddy_invitation, from_theirs)]
        .into_iter()
        .filter(|(_, from)| *from != to)
        .map(|(id, from)| InvitationChange {
            invitation: id,
            from: from.as_str(),
            to: to.as_str(),
        })
        .collect();
    events::append_invitation_changes(&mut *tx, &changes, actor, at).await?;
    if !together {
        tell(
            tx,
            &activity,
            (buddy_invitation, theirs.participant_id),
            NotificationKind::PairSignedUp,
            Template::PairSignedUp,
            &activity.params(),
            at,
        )
        .await?;
    }
    let activity = get(&mut *tx, chapter, activity_id).await?;
    promote(tx, &activity, actor, at).await?;
    Ok((
        get_invitation(&mut *tx, chapter, activity_id, invitation).await?,
        get_invitation(&mut *tx, chapter, activity_id, buddy_invitation).await?,
    ))
}

/// Cancels the pair sign-up `pair` after a NO to `invitation`, one of its two: both
/// give up their seats or places, the other is told (PAIR_CANCELLED), and the
/// waitlist is served. The caller holds the activity's lock.
pub(super) async fn cancel(
    tx: &mut PgConnection,
    activity: &Activity,
    invitation: Uuid,
    pair: Uuid,
    actor: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let held: Vec<Held> = sqlx::query_as(
        "SELECT id, participant_id, rsvp, seats, guests, waitlist_seq, pair_id FROM invitations
         WHERE activity_id = $1 AND pair_id = $2 ORDER BY id FOR UPDATE",
    )
    .bind(activity.id)
    .bind(pair)
    .fetch_all(&mut *tx)
    .await?;
    let released: i32 = held.iter().map(|h| h.seats).sum();
    let ids: Vec<Uuid> = held.iter().map(|h| h.id).collect();
    sqlx::query("UPDATE activities SET seats_taken = seats_taken - $2, update_time = $3 WHERE id = $1")
        .bind(activity.id)
        .bind(released)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE invitations SET rsvp = 'no', seats = 0, guests = 0, waitlist_seq = NULL,
             pair_id = NULL, rsvp_time = $2, update_time = $2 WHERE id = ANY($1)",
    )
    .bind(&ids)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    let mut changes = Vec::with_capacity(held.len());
    for h in &held {
        changes.push(InvitationChange {
            invitation: h.id,
            from: h.rsvp()?.as_str(),
            to: Rsvp::No.as_str(),
        });
    }
    events::append_invitation_changes(&mut *tx, &changes, actor, at).await?;
    let params = Params::new()
        .text("title", activity.title.clone())
        .time("start", activity.start_time);
    for other in held.iter().filter(|h| h.id != invitation) {
        tell(
            tx,
            activity,
            (other.id, other.participant_id),
            NotificationKind::PairCancelled,
            Template::PairCancelled,
            &params,
            at,
        )
        .await?;
    }
    let activity = get(&mut *tx, &activity.chapter_id, activity.id).await?;
    promote(tx, &activity, actor, at).await
}

/// The other side of `participant`'s one accepted or active match, which is held
/// (`FOR SHARE`) until the caller's transaction ends, so it cannot end meanwhile.
async fn buddy_of(tx: &mut PgConnection, chapter: &str, participant: Uuid) -> Result<Uuid, StoreError> {
    let buddies: Vec<Uuid> = sqlx::query_scalar(
        "SELECT CASE WHEN newcomer_id = $1 THEN resident_id ELSE newcomer_id END FROM matches
         WHERE chapter_id = $2 AND (newcomer_id = $1 OR resident_id = $1)
           AND state IN ('accepted', 'active')
         ORDER BY id FOR SHARE",
    )
    .bind(participant)
    .bind(chapter)
    .fetch_all(&mut *tx)
    .await?;
    match buddies.as_slice() {
        [] => Err(DomainViolation::NoLiveMatch.into()),
        [buddy] => Ok(*buddy),
        _ => Err(DomainViolation::BuddyAmbiguous.into()),
    }
}

/// The id of `participant`'s invitation to `activity`, written now (PENDING, with its
/// event) if they were not invited. The caller holds the activity's lock.
async fn invitation_of(
    tx: &mut PgConnection,
    activity: &Activity,
    participant: Uuid,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Uuid, StoreError> {
    let new: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO invitations (id, activity_id, chapter_id, participant_id, rsvp, create_time,
             update_time)
         VALUES ($1, $2, $3, $4, 'pending', $5, $5)
         ON CONFLICT (activity_id, participant_id) DO NOTHING RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(activity.id)
    .bind(&activity.chapter_id)
    .bind(participant)
    .bind(at)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = new {
        events::append_invitation_changes(
            &mut *tx,
            &[InvitationChange {
                invitation: id,
                from: "",
                to: Rsvp::Pending.as_str(),
            }],
            actor,
            at,
        )
        .await?;
        return Ok(id);
    }
    Ok(
        sqlx::query_scalar("SELECT id FROM invitations WHERE activity_id = $1 AND participant_id = $2")
            .bind(activity.id)
            .bind(participant)
            .fetch_one(&mut *tx)
            .await?,
    )
}

/// Notifies the invitee of `invitation` about it.
async fn tell(
    tx: &mut PgConnection,
    activity: &Activity,
    (invitation, participant): (Uuid, Uuid),
    kind: NotificationKind,
    template: Template,
    params: &Params,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let subject = format!("{}/invitations/{invitation}", activity.name());
    notifications::enqueue(
        tx,
        &NewNotification {
            participant,
            chapter: &activity.chapter_id,
            kind,
            subject: &subject,
            template,
            params,
            at,
        },
    )
    .await?;
    Ok(())
}
