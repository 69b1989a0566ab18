//! Retention of inactive applicants: warned once, then erased ([`crate::erasure`]).
//!
//! An applicant is inactive when their record has not changed (`update_time`) for
//! `warn_after`; they are then warned (an APPLICATION_UPDATED notification with the
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

/// The periods of the retention rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Inactivity after which an applicant is warned.
    pub warn_after: Duration,
    /// Time after the warning, without a change, after which they are erased.
    pub erase_after: Duration,
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Applicants warned.
    pub warned: u64,
    /// Applicants erased.
    pub erased: u64,
}

/// Warns and erases inactive applicants due at `now` under `rule`.
pub async fn sweep(store: &Store, rule: Retention, now: OffsetDateTime) -> Result<Swept, StoreError> {
    let mut swept = Swept::default();
    let mut tx = store.pool().begin().await?;
    // Active again since the warning: the warning no longer counts.
    sqlx::query(
        "UPDATE participants SET retention_warn_time = NULL
         WHERE retention_warn_time IS NOT NULL AND update_time > retention_warn_time",
    )
    .execute(&mut *tx)
    .await?;
    let due: Vec<(Uuid, String)> = sqlx::query_as(
        "UPDATE participants SET retention_warn_time = $1
         WHERE id IN (SELECT id FROM participants
                      WHERE state = 'applicant' AND erase_time IS NULL
                        AND retention_warn_time IS NULL AND update_time <= $2
                      ORDER BY update_time, id LIMIT $3
                      FOR UPDATE SKIP LOCKED)
         RETURNING id, chapter_id",
    )
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
        let next: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM participants
             WHERE state = 'applicant' AND erase_time IS NULL
               AND retention_warn_time IS NOT NULL AND retention_warn_time <= $1
               AND update_time <= retention_warn_time
             ORDER BY retention_warn_time, id LIMIT 1
             FOR UPDATE SKIP LOCKED",
        )
        .bind(now - rule.erase_after)
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
