//! Retention of inactive people: warned once, then erased ([`crate::erasure`]).
//!
//! Two groups, each with its own periods ([`Group`]): people never admitted into the
//! programme (applicants, people assessed as needing a follow-up or not suitable, and
//! people who missed their booked interview), and former participants (withdrawn, or whose programme ended) who
//! hold nothing live: no match that is proposed, accepted or active. Someone with one
//! is never warned or erased by this rule, whatever their state says.
//!
//! Which former participants can hold something live (decided from the state rules;
//! the test `erasure::an_ended_resident_with_a_pending_proposal_or_an_accepted_match_is_kept_until_it_ends`
//! goes through the one case):
//!
//! - a *withdrawn* participant holds nothing: a withdrawal is refused while a proposal
//!   or match is live (`active_match_count` counts proposals too) and cancels a booked
//!   interview, and nobody withdrawn can be proposed (only READY or MATCHED people are)
//!   or have an interview booked (WITHDRAWN does not lead to INTERVIEW_BOOKED);
//! - an *ended* participant can hold a match: an established resident with room for
//!   several buddies becomes ENDED when their last accepted or active match ends even
//!   while another proposal to them waits, and accepting that proposal leaves them
//!   ENDED (only READY people move to MATCHED), in a live match. They are kept until it
//!   ends. Their record does not change when it ends, so they may be warned at once;
//! - nobody ENDED has a booked interview: ENDED is reached from MATCHED only (or by a
//!   merge, which is refused for a duplicate with a booked interview) and leads
//!   nowhere. So a booked interview is not part of the condition;
//! - a seat in an activity still to come is not kept for a former participant: the
//!   erasure gives it up as an RSVP NO would, so the waitlist moves up.
//!
//! People never admitted hold nothing live: only READY people are proposed. An
//! applicant with a booked interview still to come is not inactive, whatever their
//! record's age, so INTERVIEW_BOOKED counts only once every booked interview's time has
//! passed without it being recorded or cancelled (a no-show nobody followed up). The
//! erasure cancels such an interview. NEEDS_FOLLOW_UP and NOT_SUITABLE are swept like
//! applicants: the programme has no use for the record of someone it did not admit and
//! nobody followed up.
//!
//! Neither rule sweeps people in the programme (READY, MATCHED): a READY person waits
//! for a buddy, which is the programme's purpose however long it takes. They are kept
//! until they or a coordinator withdraw them (then the former participants' rule
//! applies) or ask for erasure.
//!
//! A person of a group is inactive when their record has not changed (`update_time`)
//! for `warn_after`; they are then warned (an APPLICATION_UPDATED notification with the
//! `retention-warning` text, through the app and e-mail as they chose) and
//! `retention_warn_time` is set. When `erase_after` more passes without a change, they
//! are erased with reason `retention_expired`. A change after the warning makes them
//! active again: the warning is cleared. Each sweep claims rows `FOR UPDATE SKIP LOCKED`
//! and acts on each in the claiming transaction, so a warning or an erasure happens once
//! however many workers sweep at the same time. Times are the application clock's.

use kompis_domain::NotificationKind;
use kompis_messages::{Params, Template};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::erasure::{self, ErasureReason};
use crate::notifications::{self, NewNotification};
use crate::{Store, StoreError, participants};

/// The account id recorded as the actor of a retention erasure.
pub const RETENTION_ACTOR: &str = "system:retention";

/// Most rows one sweep handles of each kind; the next sweep takes the rest.
const BATCH: i64 = 100;

/// The periods of a retention rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Inactivity after which a person is warned.
    pub warn_after: Duration,
    /// Time after the warning, without a change, after which they are erased.
    pub erase_after: Duration,
}

/// Whom a retention rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// People never admitted into the programme: applicants (state `applicant`),
    /// people assessed as needing a follow-up or found not suitable, and people whose
    /// booked interview is past without being recorded or cancelled (a no-show).
    Applicants,
    /// Former participants: withdrawn or ended, with no live proposal or match (the
    /// module docs say why nothing else can be live for them).
    Former,
}

impl Group {
    /// The SQL condition on a participant row `p` that places it in the group;
    /// `now` is the placeholder (`$n`) bound to the sweep's time.
    fn condition(self, now: &str) -> String {
        match self {
            Self::Applicants => format!(
                "(p.state IN ('applicant', 'needs_follow_up', 'not_suitable')
                  OR (p.state = 'interview_booked'
                      AND NOT EXISTS (SELECT FROM interviews i
                                      WHERE i.participant_id = p.id AND i.state = 'booked'
                                        AND i.schedule_time >= {now})))"
            ),
            Self::Former => "p.state IN ('withdrawn', 'ended')
                 AND NOT EXISTS (SELECT FROM matches m
                                 WHERE p.id IN (m.newcomer_id, m.resident_id)
                                   AND m.state IN ('proposed', 'accepted', 'active'))"
                .to_owned(),
        }
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// People warned.
    pub warned: u64,
    /// People erased.
    pub erased: u64,
}

/// Warns and erases the inactive people of `group` due at `now` under `rule`.
pub async fn sweep(
    store: &Store,
    group: Group,
    rule: Retention,
    now: OffsetDateTime,
) -> Result<Swept, StoreError> {
    let mut swept = Swept::default();
    let mut tx = store.pool().begin().await?;
    // Active again since the warning: the warning no longer counts.
    sqlx::query(
        "UPDATE participants SET retention_warn_time = NULL
         WHERE retention_warn_time IS NOT NULL AND update_time > retention_warn_time",
    )
    .execute(&mut *tx)
    .await?;
    let due: Vec<(Uuid, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE participants SET retention_warn_time = $1
         WHERE id IN (SELECT p.id FROM participants p
                      WHERE {} AND p.erase_time IS NULL
                        AND p.retention_warn_time IS NULL AND p.update_time <= $2
                      ORDER BY p.update_time, p.id LIMIT $3
                      FOR UPDATE OF p SKIP LOCKED)
         RETURNING id, chapter_id",
        group.condition("$1")
    )))
    .bind(now)
    .bind(now - rule.warn_after)
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    for (id, chapter) in &due {
        let subject = participants::resource_name(chapter, *id);
        notifications::enqueue(
            &mut tx,
            &NewNotification {
                participant: *id,
                chapter,
                kind: NotificationKind::ApplicationUpdated,
                subject: &subject,
                template: Template::RetentionWarning,
                params: &Params::new(),
                at: now,
            },
        )
        .await?;
        swept.warned += 1;
    }
    tx.commit().await?;

    loop {
        let mut tx = store.pool().begin().await?;
        // Checked again at erasure: someone matched or booked since the warning is
        // left alone.
        let next: Option<Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT p.id FROM participants p
             WHERE {} AND p.erase_time IS NULL
               AND p.retention_warn_time IS NOT NULL AND p.retention_warn_time <= $1
               AND p.update_time <= p.retention_warn_time
             ORDER BY p.retention_warn_time, p.id LIMIT 1
             FOR UPDATE OF p SKIP LOCKED",
            group.condition("$2")
        )))
        .bind(now - rule.erase_after)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = next else {
            return Ok(swept);
        };
        erasure::erase_participant(&mut tx, id, ErasureReason::RetentionExpired, RETENTION_ACTOR, now)
            .await?;
        tx.commit().await?;
        swept.erased += 1;
        if swept.erased >= BATCH as u64 {
            return Ok(swept);
        }
    }
}
