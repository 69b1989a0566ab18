//! The participant's notifications: the inbox (list, get, mark read), the live stream,
//! and how they want to be notified.
//!
//! The stream first sends what the participant has not seen (everything after
//! `after_notification`, or the unread notifications of the last 30 days), then waits
//! for wake-ups ([`crate::live`]) and sends what entered the inbox since. Both steps read
//! the inbox by `seq`, after the last entry sent, so the seam between them neither loses
//! nor repeats a notification: the subscription to wake-ups is taken before the
//! backlog is read, and whatever arrives meanwhile is simply read by the next look.

use std::pin::Pin;
use std::time::Duration;

use kompis_domain::{FieldError, LanguageCode, Violations};
use kompis_proto::v1 as pb;
use kompis_proto::v1::ErrorReason;
use kompis_store::inbox::{self, Entry};
use kompis_store::notifications::{self, Settings};
use kompis_store::participants::Participant;
use tokio_stream::Stream;
use tonic::{Request, Status};
use uuid::Uuid;

use super::BuddyApp;
use crate::auth::Principal;
use crate::kit::audit::Named;
use crate::kit::convert::update_paths;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::page::Page;
use crate::live::Woken;
use crate::views::notification::{notification_pb, parse_notification_name};

/// The stream of notifications the app receives.
pub type NotificationStream =
    Pin<Box<dyn Stream<Item = Result<pb::StreamNotificationsResponse, Status>> + Send + 'static>>;

/// How far back a new stream looks for unread notifications.
const UNREAD_WINDOW: time::Duration = time::Duration::days(30);
/// Inbox entries read per query.
const CHUNK: i64 = 100;
/// How long a stream waits for a wake-up before it looks at the inbox anyway, in case
/// a wake-up was lost on the way.
const LOOK_AT_LEAST_EVERY: Duration = Duration::from_secs(30);

/// `chapters/{c}/participants/{p}/notificationSettings`.
fn settings_name(me: &Participant) -> String {
    format!("{}/notificationSettings", me.resource_name())
}

pub(super) fn settings_pb(me: &Participant, settings: &Settings) -> pb::NotificationSettings {
    pb::NotificationSettings {
        name: settings_name(me),
        email: settings.email,
        language_code: settings.language.clone(),
    }
}

/// The id of the caller's notification named `name` in `field`; another participant's
/// is NOT_FOUND, like one that does not exist.
fn own_notification(me: &Participant, field: &str, name: &str) -> ApiResult<Uuid> {
    let (chapter, participant, id) =
        parse_notification_name(name).map_err(|e| ApiError::invalid(field, e.into_description()))?;
    if chapter.as_str() != me.chapter_id || participant != me.id {
        return Err(ApiError::NotFound(name.to_owned()));
    }
    Ok(id)
}

impl BuddyApp {
    pub(super) async fn list_notifications(
        &self,
        request: Request<pb::ListMyNotificationsRequest>,
        named: &mut Named,
    ) -> ApiResult<pb::ListMyNotificationsResponse> {
        let me = self.me_named(Principal::from_request(&request)?, named).await?;
        let req = request.get_ref();
        let page = Page::parse(
            req.page_size,
            &req.page_token,
            &format!("unread={}", req.unread_only),
        )?;
        let before = match page.after_first() {
            None => None,
            Some(seq) => Some(
                seq.parse::<i64>()
                    .map_err(|_| ApiError::invalid("page_token", "is not a token this service issued"))?,
            ),
        };
        let pool = self.kit.store().pool();
        let settings = notifications::settings(pool, me.id).await?;
        let mut rows = inbox::list(pool, me.id, before, req.unread_only, page.fetch_limit()).await?;
        let next_page_token = page.finish(&mut rows, |e| vec![e.seq.to_string()]);
        Ok(pb::ListMyNotificationsResponse {
            notifications: rows
                .iter()
                .map(|e| notification_pb(e, &settings.language))
                .collect::<ApiResult<_>>()?,
            next_page_token,
        })
    }

    pub(super) async fn get_own_notification(
        &self,
        request: Request<pb::GetNotificationRequest>,
        named: &mut Named,
    ) -> ApiResult<pb::GetNotificationResponse> {
        let me = self.me_named(Principal::from_request(&request)?, named).await?;
        let name = &request.get_ref().name;
        let id = own_notification(&me, "name", name)?;
        let pool = self.kit.store().pool();
        let entry = inbox::get(pool, me.id, id).await.named(name)?;
        let settings = notifications::settings(pool, me.id).await?;
        Ok(pb::GetNotificationResponse {
            notification: Some(notification_pb(&entry, &settings.language)?),
        })
    }

    pub(super) async fn mark_own_notification_read(
        &self,
        request: Request<pb::MarkNotificationReadRequest>,
        named: &mut Named,
    ) -> ApiResult<pb::MarkNotificationReadResponse> {
        let me = self.me_named(Principal::from_request(&request)?, named).await?;
        let name = &request.get_ref().name;
        let id = own_notification(&me, "name", name)?;
        let pool = self.kit.store().pool();
        let entry = inbox::mark_read(pool, me.id, id, self.kit.now())
            .await
            .named(name)?;
        let settings = notifications::settings(pool, me.id).await?;
        Ok(pb::MarkNotificationReadResponse {
            notification: Some(notification_pb(&entry, &settings.language)?),
        })
    }

    pub(super) async fn get_notification_settings(
        &self,
        request: Request<pb::GetMyNotificationSettingsRequest>,
        named: &mut Named,
    ) -> ApiResult<pb::GetMyNotificationSettingsResponse> {
        let me = self.me_named(Principal::from_request(&request)?, named).await?;
        let settings = notifications::settings(self.kit.store().pool(), me.id).await?;
        Ok(pb::GetMyNotificationSettingsResponse {
            settings: Some(settings_pb(&me, &settings)),
        })
    }

    pub(super) async fn update_notification_settings(
        &self,
        request: Request<pb::UpdateMyNotificationSettingsRequest>,
        named: &mut Named,
    ) -> ApiResult<pb::UpdateMyNotificationSettingsResponse> {
        let me = self.me_named(Principal::from_request(&request)?, named).await?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let paths = v.check(
            "update_mask",
            update_paths(req.update_mask.as_ref(), &["email", "language_code"]),
        );
        let given = v.require("settings", req.settings.as_ref());
        let pool = self.kit.store().pool();
        let mut settings = notifications::settings(pool, me.id).await?;
        if let (Some(paths), Some(given)) = (paths, given) {
            for path in paths {
                match path {
                    "email" => settings.email = given.email,
                    _ => {
                        if let Some(code) =
                            v.check("settings.language_code", parse_language(&given.language_code))
                        {
                            settings.language = code;
                        }
                    }
                }
            }
        }
        v.into_result().map_err(ApiError::InvalidArgument)?;
        if settings.email && me.email.is_none() {
            return Err(ApiError::precondition(
                ErrorReason::EmailAddressMissing,
                "e-mail notifications need an e-mail address in the contact details",
            ));
        }
        notifications::put_settings(pool, me.id, &settings, self.kit.now()).await?;
        Ok(pb::UpdateMyNotificationSettingsResponse {
            settings: Some(settings_pb(&me, &settings)),
        })
    }

    pub(super) async fn notification_stream(
        &self,
        request: Request<pb::StreamNotificationsRequest>,
    ) -> ApiResult<NotificationStream> {
        let me = self.me(Principal::from_request(&request)?).await?;
        let after = &request.get_ref().after_notification;
        let pool = self.kit.store().pool().clone();
        // The subscription comes first: a notification delivered while the backlog is
        // read wakes it, and the next look reads it.
        let mut subscription = self.kit.live().subscribe(me.id);
        let start = if after.is_empty() {
            Start::Unread {
                since: self.kit.now() - UNREAD_WINDOW,
            }
        } else {
            let id = own_notification(&me, "after_notification", after)?;
            let entry = inbox::get(&pool, me.id, id).await.named(after)?;
            Start::After(entry.seq)
        };
        let settings = notifications::settings(&pool, me.id).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(CHUNK as usize);
        let participant = me.id;
        tokio::spawn(async move {
            let send = async |entry: &Entry| -> bool {
                let item = notification_pb(entry, &settings.language)
                    .map(|n| pb::StreamNotificationsResponse {
                        notification: Some(n),
                    })
                    .map_err(Status::from);
                tx.send(item).await.is_ok()
            };
            let fail = async |e: kompis_store::StoreError| {
                let _ = tx.send(Err(ApiError::from(e).into())).await;
            };
            // The backlog.
            let mut cursor = match start {
                Start::After(seq) => seq,
                Start::Unread { since } => {
                    let up_to = match inbox::latest_seq(&pool, participant).await {
                        Ok(seq) => seq,
                        Err(e) => return fail(e).await,
                    };
                    let mut from = 0;
                    loop {
                        let rows =
                            match inbox::unread_since(&pool, participant, since, from, up_to, CHUNK).await {
                                Ok(rows) => rows,
                                Err(e) => return fail(e).await,
                            };
                        for entry in &rows {
                            if !send(entry).await {
                                return;
                            }
                            from = entry.seq;
                        }
                        if (rows.len() as i64) < CHUNK {
                            break;
                        }
                    }
                    up_to
                }
            };
            // Then live: everything after the cursor, at every wake-up.
            loop {
                loop {
                    let rows = match inbox::after(&pool, participant, cursor, CHUNK).await {
                        Ok(rows) => rows,
                        Err(e) => return fail(e).await,
                    };
                    for entry in &rows {
                        if !send(entry).await {
                            return;
                        }
                        cursor = entry.seq;
                    }
                    if (rows.len() as i64) < CHUNK {
                        break;
                    }
                }
                tokio::select! {
                    woken = subscription.wait(LOOK_AT_LEAST_EVERY) => {
                        if woken == Woken::Closed {
                            let _ = tx.send(Err(ApiError::ShuttingDown.into())).await;
                            return;
                        }
                    }
                    () = tx.closed() => return,
                }
            }
        });
        Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
    }
}

/// Where a stream starts.
enum Start {
    /// After this inbox entry.
    After(i64),
    /// With the unread entries delivered since this time.
    Unread { since: time::OffsetDateTime },
}

/// A language for messages: an ISO 639 code, stored as its two-letter form where one
/// exists.
pub(super) fn parse_language(code: &str) -> Result<String, FieldError> {
    let code = LanguageCode::parse(code)?;
    Ok(code.alpha2().unwrap_or(code.alpha3()).to_owned())
}
