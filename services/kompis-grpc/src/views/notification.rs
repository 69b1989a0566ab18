//! How notifications are named and shown: resource names, and the proto form of an inbox
//! entry written in the reader's language.

use kompis_domain::{FieldError, NotificationKind, Slug};
use kompis_messages::{Template, render};
use kompis_proto::v1 as pb;
use kompis_store::StoreError;
use kompis_store::inbox::Entry;
use uuid::Uuid;

use crate::kit::convert::timestamp;
use crate::kit::enums::EnumTable;
use crate::kit::errors::{ApiError, ApiResult};

/// Notification kinds.
pub const KINDS: EnumTable<pb::NotificationKind, NotificationKind> = EnumTable::new(
    "must be one of the NotificationKind values",
    &[
        (
            pb::NotificationKind::ApplicationUpdated,
            NotificationKind::ApplicationUpdated,
        ),
        (
            pb::NotificationKind::InterviewUpdated,
            NotificationKind::InterviewUpdated,
        ),
        (
            pb::NotificationKind::BuddyProposed,
            NotificationKind::BuddyProposed,
        ),
        (
            pb::NotificationKind::MatchAccepted,
            NotificationKind::MatchAccepted,
        ),
        (pb::NotificationKind::MatchEnded, NotificationKind::MatchEnded),
        (
            pb::NotificationKind::InvitationReceived,
            NotificationKind::InvitationReceived,
        ),
        (
            pb::NotificationKind::ActivityUpdated,
            NotificationKind::ActivityUpdated,
        ),
        (
            pb::NotificationKind::CheckInRequested,
            NotificationKind::CheckInRequested,
        ),
        (
            pb::NotificationKind::ActivityCancelled,
            NotificationKind::ActivityCancelled,
        ),
        (
            pb::NotificationKind::ActivityReminder,
            NotificationKind::ActivityReminder,
        ),
        (pb::NotificationKind::SeatGiven, NotificationKind::SeatGiven),
        (pb::NotificationKind::PairSignedUp, NotificationKind::PairSignedUp),
        (
            pb::NotificationKind::PairCancelled,
            NotificationKind::PairCancelled,
        ),
    ],
);

/// The proto value of a stored kind; a kind the code does not know is corrupt data.
pub fn kind_pb(stored: &str) -> ApiResult<i32> {
    let kind: NotificationKind = stored
        .parse()
        .map_err(|_| StoreError::corrupt("notification kind", stored))?;
    Ok(KINDS.to_pb(kind))
}

/// `chapters/{chapter}/participants/{participant}/notifications/{notification}`.
pub fn notification_name(chapter: &str, participant: Uuid, id: Uuid) -> String {
    format!("chapters/{chapter}/participants/{participant}/notifications/{id}")
}

/// Parses `chapters/{chapter}/participants/{participant}/notifications/{notification}`.
pub fn parse_notification_name(name: &str) -> Result<(Slug, Uuid, Uuid), FieldError> {
    let shape = || {
        FieldError::new(
            "must be a resource name of the form \
             chapters/{chapter}/participants/{participant}/notifications/{notification}",
        )
    };
    match name.split('/').collect::<Vec<_>>().as_slice() {
        [
            "chapters",
            chapter,
            "participants",
            participant,
            "notifications",
            id,
        ] => Ok((
            Slug::parse(chapter)?,
            Uuid::parse_str(participant).map_err(|_| shape())?,
            Uuid::parse_str(id).map_err(|_| shape())?,
        )),
        _ => Err(shape()),
    }
}

/// The proto form of an inbox entry, written in `language` (or Swedish when the
/// catalogue has none in it). A stored template the code does not know is corrupt data.
pub fn notification_pb(entry: &Entry, language: &str) -> ApiResult<pb::Notification> {
    let template: Template = entry
        .template
        .parse()
        .map_err(|_| StoreError::corrupt("notification template", &entry.template))?;
    let text = render(template, &entry.params.0, language).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(pb::Notification {
        name: notification_name(&entry.chapter_id, entry.participant_id, entry.id),
        kind: kind_pb(&entry.kind)?,
        title: text.title,
        body: text.body,
        subject: entry.subject.clone(),
        create_time: timestamp(entry.create_time),
        read_time: entry.read_time.and_then(timestamp),
        language_code: text.language.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notification_kind_has_a_proto_value() {
        for kind in NotificationKind::ALL {
            assert_ne!(KINDS.to_pb(*kind), 0, "{kind}");
        }
    }

    #[test]
    fn notification_names_parse_only_in_their_own_shape() {
        let (p, n) = (Uuid::now_v7(), Uuid::now_v7());
        let name = notification_name("botkyrka", p, n);
        let (chapter, participant, id) = parse_notification_name(&name).unwrap();
        assert_eq!((chapter.as_str(), participant, id), ("botkyrka", p, n));
        assert!(parse_notification_name(&format!("chapters/botkyrka/participants/{p}")).is_err());
        assert!(parse_notification_name(&format!("{name}/x")).is_err());
    }
}
