//! Erasure of one person (GDPR Art. 17), in place and in one transaction.
//!
//! The participant's row stays as a tombstone (`erase_time`, migration 0037) so that
//! every row referring to it keeps its key and the event log's figures survive. Before
//! the data goes, what the person holds is given back as the programme's own
//! transitions would: a live proposal is declined and a live match ended
//! (`participant_left`, no note: the buddy is told only that it ended, and returns to
//! the waiting list), and every seat or waitlist place in a planned activity that has
//! not started is given up as an RSVP NO would, so the waitlist moves up. Then:
//!
//! - the participant: names, contact, consent signer, app account link, languages,
//!   Swedish level, interests, free tags, wishes, availability, meeting preference and
//!   the state reason are cleared; the state becomes ENDED. Kept, because the event log
//!   keeps them anyway: role, source, birth year, gender, municipality and district;
//! - the referral converted into them: names, contact, note and close note;
//! - their interviews: place, notes, eligibility note, outcome reason, and the
//!   recorded profile's languages, interests, free tags and wishes; an interview still
//!   booked is cancelled, so that no coordinator waits for someone who is gone;
//! - the coordinators' notes about them: text blanked (the history shows a note was
//!   there, erased by whom and when);
//! - their matches: decline reason, end note and override reason; every check-in of
//!   those matches: note and concern (whoever wrote them, they are about the pair);
//! - their notifications with their deliveries, inbox entries, dead letters and the
//!   outbox rows that carried them; their notification settings;
//! - stored idempotent answers that name them (any response holding their id, their
//!   referral's id or one of their matches' ids) or were given to their app account;
//! - the event log: the free-text reason of every event about them, their referral,
//!   their matches and their invitations is blanked, the only change the log allows.
//!   Kinds, states and attributes stay, so reports count them as before.
//!
//! Redis holds no personal data to erase: stream entries carry ids only (an outbox row
//! id and a delivery id), and the deliveries they name are gone with the notifications.
//!
//! Nothing is written to the person afterwards: a notification to an erased participant
//! is skipped by the database (migration 0081), so a change that would have told them
//! (an activity cancelled with their invitation still unanswered, say) writes no
//! notification, delivery or outbox row for them, and Redis gets nothing for them.

use kompis_domain::{EventKind, MatchEndReason, Rsvp};
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::events::{self, NewEvent};
use crate::{StoreError, activities, matches, participants};

/// Why a participant is erased: a closed set, never free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureReason {
    /// The person asked for it.
    PersonRequested,
    /// The person withdrew their consent.
    ConsentWithdrawn,
    /// The retention period ran out.
    RetentionExpired,
    /// A coordinator's decision for another reason.
    Other,
}

impl ErasureReason {
    /// The stored form, used as the erasure event's reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PersonRequested => "erased: person_requested",
            Self::ConsentWithdrawn => "erased: consent_withdrawn",
            Self::RetentionExpired => "erased: retention_expired",
            Self::Other => "erased: other",
        }
    }
}

/// What an erasure did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    /// False when the participant was erased before (nothing changed).
    pub erased_now: bool,
}

/// Erases `participant` as the module docs describe, in the caller's transaction;
/// erasing an erased participant changes nothing. [`StoreError::NotFound`] when there
/// is no such participant.
pub async fn erase_participant(
    tx: &mut PgConnection,
    participant: Uuid,
    reason: ErasureReason,
    actor: &str,
    at: OffsetDateTime,
) -> Result<Erased, StoreError> {
    // The key lock first, before anything else is touched: it is what every delivery
    // to the person's inbox waits for or skips ([`crate::notifications::deliver_to_inbox`]),
    // so no delivery holds a row this transaction needs later.
    participants::lock_participant_key(tx, participant).await?;
    let p = participants::lock_participant(tx, participant).await?;
    if p.erase_time.is_some() {
        return Ok(Erased { erased_now: false });
    }
    let chapter = p.chapter_id.clone();
    let name = participants::resource_name(&chapter, p.id);

    // Open proposals are withdrawn, then live matches end.
    matches::withdraw_proposals_of(tx, p.id, "", actor, at).await?;
    let live: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM matches WHERE $1 IN (newcomer_id, resident_id)
           AND state IN ('accepted', 'active') ORDER BY id",
    )
    .bind(p.id)
    .fetch_all(&mut *tx)
    .await?;
    for id in live {
        matches::end(
            tx,
            &matches::Ending {
                match_id: id,
                reason: MatchEndReason::ParticipantLeft,
                note: "",
                return_to_waiting_list: true,
                leaves: Some(p.id),
                ended_by: None,
                actor,
                at,
            },
        )
        .await?;
    }

    // Seats and waitlist places in activities still open.
    let held: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT v.activity_id, v.id FROM invitations v JOIN activities a ON a.id = v.activity_id
         WHERE v.participant_id = $1 AND v.rsvp IN ('yes', 'waitlisted')
           AND a.state = 'planned' AND a.start_time > $2
         ORDER BY v.id",
    )
    .bind(p.id)
    .bind(at)
    .fetch_all(&mut *tx)
    .await?;
    for (activity, invitation) in held {
        activities::respond(
            tx,
            &activities::Answer {
                chapter: &chapter,
                activity,
                invitation,
                participant: Some(p.id),
                rsvp: Rsvp::No,
                guests: 0,
                actor,
                at,
            },
        )
        .await?;
    }

    // The participant is ENDED now (a match ending may have moved them already).
    let current = participants::get_participant(&mut *tx, p.id).await?;
    // The referral's and the matches' ids, for the event log and stored answers.
    let referral: Option<Uuid> = p.referral_id;
    let match_ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM matches WHERE $1 IN (newcomer_id, resident_id)")
            .bind(p.id)
            .fetch_all(&mut *tx)
            .await?;

    sqlx::query(
        "UPDATE participants SET state = 'ended', state_before_withdrawal = NULL,
             state_reason = '', state_time = $2, update_time = $2, erase_time = $2,
             given_name = '', family_name = '', display_name = '', phone = NULL, email = NULL,
             consent_given_by = '', account_subject = NULL, languages = '[]',
             swedish_level = NULL, interests = '{}', free_tags = '{}', wishes = '[]',
             availability = 0, meeting_preference = NULL, profile_review_time = NULL
         WHERE id = $1",
    )
    .bind(p.id)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE referrals SET erase_time = $2, update_time = $2, given_name = '',
             family_name = '', display_name = '', phone = NULL, email = NULL, note = '',
             close_note = ''
         WHERE participant_id = $1 OR id = $3",
    )
    .bind(p.id)
    .bind(at)
    .bind(referral)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE interviews SET location = '', notes = '', eligibility_note = '',
             outcome_reason = '',
             state = CASE WHEN state = 'booked' THEN 'cancelled' ELSE state END,
             profile = profile || jsonb_build_object('languages', '[]'::jsonb, 'interests', '[]'::jsonb,
                 'free_tags', '[]'::jsonb, 'wishes', '[]'::jsonb),
             update_time = $2
         WHERE participant_id = $1",
    )
    .bind(p.id)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE participant_notes SET text = '', erased_by = $2, erase_time = $3
         WHERE participant_id = $1 AND text <> ''",
    )
    .bind(p.id)
    .bind(actor)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE matches SET decline_reason = '', end_note = '',
             override_reason = CASE WHEN override_reason IS NULL THEN NULL ELSE 'erased' END
         WHERE id = ANY($1)",
    )
    .bind(&match_ids)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE check_ins SET note = '', concern = '' WHERE match_id = ANY($1)")
        .bind(&match_ids)
        .execute(&mut *tx)
        .await?;

    // Notifications, their deliveries and what carried them: deliveries before outbox
    // rows, the order in which the workers lock them.
    // No delivery can be added meanwhile: a new notification for them waits for the
    // key lock, and once this commits the database skips it (migration 0081).
    let deliveries: Vec<String> = sqlx::query_scalar(
        "SELECT d.id::text FROM notification_deliveries d
         JOIN notifications n ON n.id = d.notification_id
         WHERE n.participant_id = $1",
    )
    .bind(p.id)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM notifications WHERE participant_id = $1")
        .bind(p.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM outbox WHERE payload ->> 'delivery' = ANY($1)")
        .bind(&deliveries)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM inbox_counters WHERE participant_id = $1")
        .bind(p.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM notification_settings WHERE participant_id = $1")
        .bind(p.id)
        .execute(&mut *tx)
        .await?;

    // Stored answers that name them.
    let mut ids: Vec<String> = vec![p.id.to_string()];
    ids.extend(referral.map(|r| r.to_string()));
    ids.extend(match_ids.iter().map(Uuid::to_string));
    sqlx::query(
        "DELETE FROM idempotency_keys k
         WHERE k.caller = $2
            OR EXISTS (SELECT 1 FROM unnest($1::text[]) AS i(id)
                       WHERE position(convert_to(i.id, 'UTF8') IN k.response) > 0)",
    )
    .bind(&ids)
    .bind(p.account_subject.as_deref().unwrap_or(""))
    .execute(&mut *tx)
    .await?;

    // The event log's free text.
    let mut subjects = vec![name.clone()];
    if let Some(r) = referral {
        subjects.push(format!("chapters/{chapter}/referrals/{r}"));
    }
    subjects.extend(match_ids.iter().map(|m| matches::resource_name(&chapter, *m)));
    let invitations: Vec<(Uuid, Uuid, String)> =
        sqlx::query_as("SELECT activity_id, id, chapter_id FROM invitations WHERE participant_id = $1")
            .bind(p.id)
            .fetch_all(&mut *tx)
            .await?;
    subjects.extend(
        invitations
            .iter()
            .map(|(a, i, c)| format!("{}/invitations/{i}", activities::resource_name(c, *a))),
    );
    for subject in &subjects {
        events::erase_reasons(&mut *tx, subject).await?;
    }
    let attributes = events::participant_attributes(&mut *tx, p.id).await?;
    events::append(
        &mut *tx,
        &NewEvent {
            chapter_id: &chapter,
            subject: &name,
            kind: EventKind::Participant,
            actor,
            occur_time: at,
            from_state: &current.state,
            to_state: "ended",
            reason: reason.as_str(),
            attributes,
        },
    )
    .await?;
    tracing::info!(participant = %p.id, reason = reason.as_str(), "participant erased");
    Ok(Erased { erased_now: true })
}
