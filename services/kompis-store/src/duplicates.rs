//! Resolving possible duplicates: dismissing a flag, merging two participants, and
//! linking an app account to the participant a referral created. Each is one function
//! that writes the rows and their events in the caller's transaction.
//!
//! Flags themselves are computed when read ([`crate::participants`],
//! [`crate::referrals::possible_duplicates`]): two records of a chapter with the same
//! phone number or e-mail address, unless the pair was dismissed, or one of them is
//! withdrawn or was merged away.

use kompis_domain::{EventKind, ParticipantState, WaitingSince};
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::events::{self, NewEvent};
use crate::participants::{self, Participant, StateChange};
use crate::{DomainViolation, StoreError, notes};

/// The record a participant's flag names.
#[derive(Debug, Clone, Copy)]
pub enum Other<'a> {
    /// Another participant (read and locked by the caller).
    Participant(&'a Participant),
    /// A referral of the participant's chapter.
    Referral(Uuid),
}

/// Who resolves and when.
#[derive(Debug, Clone, Copy)]
pub struct Resolver<'a> {
    /// Account id, for the event log and the dismissal.
    pub actor: &'a str,
    /// When, from the application's clock.
    pub at: OffsetDateTime,
}

/// Appends an event to `p`'s log that leaves its state as it is: a resolution is not a
/// state change, but belongs in the participant's history.
async fn resolution_event(
    tx: &mut PgConnection,
    p: &Participant,
    reason: &str,
    by: Resolver<'_>,
) -> Result<(), StoreError> {
    let attributes = events::participant_attributes(&mut *tx, p.id).await?;
    events::append(
        &mut *tx,
        &NewEvent {
            chapter_id: &p.chapter_id,
            subject: &p.resource_name(),
            kind: EventKind::Participant,
            actor: by.actor,
            occur_time: by.at,
            from_state: &p.state,
            to_state: &p.state,
            reason,
            attributes,
        },
    )
    .await?;
    Ok(())
}

/// Whether the referral `id` belongs to `chapter`.
async fn referral_in_chapter<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    id: Uuid,
) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM referrals WHERE id = $1 AND chapter_id = $2)")
            .bind(id)
            .bind(chapter)
            .fetch_one(db)
            .await?,
    )
}

/// Dismisses the flag between `participant` (locked by the caller) and `other`: not
/// the same person, never flagged again. The flag must be there
/// ([`DomainViolation::NotAPossibleDuplicate`]); a referral of another chapter is
/// [`StoreError::NotFound`]. Returns the participant as it is now.
pub async fn dismiss(
    tx: &mut PgConnection,
    participant: &Participant,
    other: Other<'_>,
    by: Resolver<'_>,
) -> Result<Participant, StoreError> {
    let (other_id, other_name) = match other {
        Other::Participant(o) => (o.id, o.resource_name()),
        Other::Referral(id) => {
            if !referral_in_chapter(&mut *tx, &participant.chapter_id, id).await? {
                return Err(StoreError::NotFound);
            }
            (id, format!("chapters/{}/referrals/{id}", participant.chapter_id))
        }
    };
    if !participant.possible_duplicates.contains(&other_name) {
        return Err(DomainViolation::NotAPossibleDuplicate.into());
    }
    sqlx::query(
        "INSERT INTO duplicate_dismissals (first_id, second_id, chapter_id, dismissed_by, dismiss_time)
         VALUES (least($1::uuid, $2::uuid), greatest($1::uuid, $2::uuid), $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(participant.id)
    .bind(other_id)
    .bind(&participant.chapter_id)
    .bind(by.actor)
    .bind(by.at)
    .execute(&mut *tx)
    .await?;
    resolution_event(
        tx,
        participant,
        &format!("not the same person as {other_name}"),
        by,
    )
    .await?;
    if let Other::Participant(o) = other {
        let reason = format!("not the same person as {}", participant.resource_name());
        resolution_event(tx, o, &reason, by).await?;
    }
    participants::get_participant(&mut *tx, participant.id).await
}

/// What happens to the app accounts in a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accounts {
    /// A plain merge: the duplicate's account, if any, moves to a survivor without one.
    Keep,
    /// The duplicate's app account must move to the survivor, which has none.
    Link,
}

/// Why `survivor` and `duplicate` cannot be merged, if they cannot.
async fn merge_refusal(
    tx: &mut PgConnection,
    survivor: &Participant,
    duplicate: &Participant,
    accounts: Accounts,
) -> Result<Option<DomainViolation>, StoreError> {
    use DomainViolation::{AccountLinkNotPossible as Link, MergeNotPossible as Merge};
    if survivor.merged_into.is_some() || duplicate.merged_into.is_some() {
        return Ok(Some(Merge("one of the two was merged already")));
    }
    if survivor.role != duplicate.role {
        return Ok(Some(Merge(
            "one is a newcomer and the other an established resident",
        )));
    }
    if accounts == Accounts::Link {
        if duplicate.account_subject.is_none() {
            return Ok(Some(Link("the duplicate has no app account")));
        }
        if survivor.account_subject.is_some() {
            return Ok(Some(Link("the participant has an app account already")));
        }
    } else if survivor.account_subject.is_some() && duplicate.account_subject.is_some() {
        return Ok(Some(Merge("both have an app account")));
    }
    if duplicate.parsed_state()? == ParticipantState::InterviewBooked {
        return Ok(Some(Merge(
            "the duplicate has a booked interview; cancel it or merge the other way round",
        )));
    }
    let matched: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM matches WHERE newcomer_id = $1 OR resident_id = $1)",
    )
    .bind(duplicate.id)
    .fetch_one(&mut *tx)
    .await?;
    if matched {
        return Ok(Some(Merge(
            "the duplicate has a match, which keeps its history; merge the other way round",
        )));
    }
    Ok(None)
}

/// Merges `duplicate` into `survivor` (both read and locked by the caller, in one
/// chapter): the survivor takes over the duplicate's interviews, notes, referral links
/// and, when it has none, its app account, and keeps the earlier waiting time when both
/// wait; the duplicate is ended with `merged_into` naming the survivor. Events are
/// written for both. Refusals are [`DomainViolation::MergeNotPossible`] and
/// [`DomainViolation::AccountLinkNotPossible`]; nothing is written then.
pub async fn merge(
    tx: &mut PgConnection,
    survivor: &Participant,
    duplicate: &Participant,
    accounts: Accounts,
    by: Resolver<'_>,
) -> Result<Participant, StoreError> {
    if let Some(refusal) = merge_refusal(tx, survivor, duplicate, accounts).await? {
        return Err(refusal.into());
    }
    sqlx::query("UPDATE interviews SET participant_id = $2 WHERE participant_id = $1")
        .bind(duplicate.id)
        .bind(survivor.id)
        .execute(&mut *tx)
        .await?;
    notes::move_all(&mut *tx, duplicate.id, survivor.id).await?;
    sqlx::query("UPDATE referrals SET participant_id = $2, update_time = $3 WHERE participant_id = $1")
        .bind(duplicate.id)
        .bind(survivor.id)
        .bind(by.at)
        .execute(&mut *tx)
        .await?;
    let account = match (&survivor.account_subject, &duplicate.account_subject) {
        (None, Some(account)) => Some(account),
        _ => None,
    };
    // The duplicate lets go of its account first: an account owns one participant.
    sqlx::query("UPDATE participants SET account_subject = NULL WHERE id = $1 AND $2")
        .bind(duplicate.id)
        .bind(account.is_some())
        .execute(&mut *tx)
        .await?;
    let waited_since = match duplicate.parsed_state()? {
        ParticipantState::Ready | ParticipantState::Matched => duplicate.waiting_since,
        _ => None,
    };
    sqlx::query(
        "UPDATE participants
            SET account_subject = coalesce($2, account_subject),
                waiting_since = CASE WHEN state IN ('ready', 'matched') AND $3::timestamptz IS NOT NULL
                                     THEN least(waiting_since, $3) ELSE waiting_since END,
                update_time = $4
          WHERE id = $1",
    )
    .bind(survivor.id)
    .bind(account)
    .bind(waited_since)
    .bind(by.at)
    .execute(&mut *tx)
    .await?;
    let state = duplicate.parsed_state()?;
    let survivor_name = survivor.resource_name();
    let closing = format!("merged into {survivor_name}");
    participants::change_state(
        tx,
        &StateChange {
            id: duplicate.id,
            from: state,
            to: ParticipantState::Ended,
            state_before_withdrawal: None,
            waiting_since: WaitingSince::Clear,
            reason: &closing,
            actor: by.actor,
            at: by.at,
        },
    )
    .await?;
    sqlx::query("UPDATE participants SET merged_into = $2 WHERE id = $1")
        .bind(duplicate.id)
        .bind(survivor.id)
        .execute(&mut *tx)
        .await?;
    let taken = match accounts {
        Accounts::Link => format!("app account linked: merged with {}", duplicate.resource_name()),
        Accounts::Keep => format!("merged with {}", duplicate.resource_name()),
    };
    resolution_event(tx, survivor, &taken, by).await?;
    participants::get_participant(&mut *tx, survivor.id).await
}
