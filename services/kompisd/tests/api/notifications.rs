//! Notifications: from the transaction that enqueues them, through the outbox, Redis and
//! a worker, into the participant's inbox and live stream, in their language; and by
//! e-mail to a real SMTP server.

use kompis_proto::v1::*;
use tonic::Code;

use crate::fixtures::notifications::{
    deliveries_in, id_of, inbox_of, next, notify, open_stream, participant,
};
use crate::fixtures::participants::{buddy_app, mask};
use crate::support::{self, eventually};

const SUBJECT: &str = "chapters/botkyrka/activities/0190aaaa-0000-7000-8000-000000000001";

#[tokio::test]
async fn a_notification_reaches_the_inbox_once_and_is_written_in_swedish_by_default() {
    let app = support::spawn_app_with_demo().await;
    let (amina, token) = participant(&app, 1).await;

    let ids = notify(&app, &[id_of(&amina.name)], SUBJECT).await;

    let inbox = inbox_of(&app, &token, 1).await;
    assert_eq!(inbox.len(), 1);
    let n = &inbox[0];
    assert_eq!(n.name, format!("{}/notifications/{}", amina.name, ids[0]));
    assert_eq!(n.kind, NotificationKind::InvitationReceived as i32);
    assert_eq!(n.subject, SUBJECT);
    assert_eq!(n.language_code, "sv");
    assert_eq!(n.title, "Inbjudan: \u{2068}Walk around Lake Aspen\u{2069}");
    assert!(n.body.contains("lördag 14 mars 2026 kl. 10:00"), "{}", n.body);
    assert!(n.read_time.is_none());
    assert_eq!(deliveries_in(&app, "app", "delivered").await, 1);
}

#[tokio::test]
async fn a_participant_who_chose_arabic_reads_arabic_and_an_unknown_language_reads_swedish() {
    let app = support::spawn_app_with_demo().await;
    let (amina, token) = participant(&app, 1).await;
    let mut client = buddy_app(&app, &token);
    let settings = client
        .update_my_notification_settings(UpdateMyNotificationSettingsRequest {
            settings: Some(NotificationSettings {
                language_code: "ar".into(),
                ..Default::default()
            }),
            update_mask: mask(&["language_code"]),
        })
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    assert_eq!(settings.name, format!("{}/notificationSettings", amina.name));
    assert_eq!((settings.email, settings.language_code.as_str()), (false, "ar"));
    notify(&app, &[id_of(&amina.name)], SUBJECT).await;

    let n = inbox_of(&app, &token, 1).await.remove(0);
    assert_eq!(n.language_code, "ar");
    assert_eq!(n.title, "دعوة: \u{2068}Walk around Lake Aspen\u{2069}");

    client
        .update_my_notification_settings(UpdateMyNotificationSettingsRequest {
            settings: Some(NotificationSettings {
                language_code: "ti".into(),
                ..Default::default()
            }),
            update_mask: mask(&["language_code"]),
        })
        .await
        .unwrap();
    let again = client
        .get_notification(GetNotificationRequest { name: n.name.clone() })
        .await
        .unwrap()
        .into_inner()
        .notification
        .unwrap();
    assert_eq!(again.language_code, "sv", "Tigrinya has no messages yet: Swedish");
}

#[tokio::test]
async fn bad_settings_name_every_bad_field_and_e_mail_needs_an_address() {
    let app = support::spawn_app_with_demo().await;
    let mut resident = crate::fixtures::participants::resident(7);
    resident.contact.as_mut().unwrap().email = String::new();
    let erik = crate::fixtures::participants::register(&app, resident).await;
    let mut client = buddy_app(&app, &app.participant(id_of(&erik.name)));

    let bad = client
        .update_my_notification_settings(UpdateMyNotificationSettingsRequest {
            settings: Some(NotificationSettings {
                language_code: "klingon".into(),
                ..Default::default()
            }),
            update_mask: mask(&["language_code", "name"]),
        })
        .await
        .unwrap_err();
    assert_eq!(support::bad_fields(&bad), ["update_mask"]);
    let bad = client
        .update_my_notification_settings(UpdateMyNotificationSettingsRequest {
            settings: Some(NotificationSettings {
                language_code: "klingon".into(),
                ..Default::default()
            }),
            update_mask: mask(&["language_code"]),
        })
        .await
        .unwrap_err();
    assert_eq!(support::bad_fields(&bad), ["settings.language_code"]);

    let no_address = client
        .update_my_notification_settings(UpdateMyNotificationSettingsRequest {
            settings: Some(NotificationSettings {
                email: true,
                ..Default::default()
            }),
            update_mask: mask(&["email"]),
        })
        .await
        .unwrap_err();
    assert_eq!(no_address.code(), Code::FailedPrecondition);
    assert_eq!(support::reason(&no_address), "EMAIL_ADDRESS_MISSING");
    let unchanged = client
        .get_my_notification_settings(GetMyNotificationSettingsRequest {})
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    assert!(!unchanged.email);
}

#[tokio::test]
async fn marking_read_keeps_the_first_time_and_the_unread_list_leaves_it_out() {
    let app = support::spawn_app_with_demo().await;
    let (amina, token) = participant(&app, 1).await;
    notify(&app, &[id_of(&amina.name)], SUBJECT).await;
    notify(&app, &[id_of(&amina.name)], SUBJECT).await;
    let inbox = inbox_of(&app, &token, 2).await;
    let mut client = buddy_app(&app, &token);

    let first = client
        .mark_notification_read(MarkNotificationReadRequest {
            name: inbox[1].name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .notification
        .unwrap();
    let again = client
        .mark_notification_read(MarkNotificationReadRequest {
            name: inbox[1].name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .notification
        .unwrap();

    assert!(first.read_time.is_some());
    assert_eq!(again.read_time, first.read_time);
    let unread = client
        .list_my_notifications(ListMyNotificationsRequest {
            unread_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .notifications;
    assert_eq!(
        unread.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        [inbox[0].name.as_str()]
    );
}

#[tokio::test]
async fn the_inbox_is_listed_newest_first_page_by_page() {
    let app = support::spawn_app_with_demo().await;
    let (amina, token) = participant(&app, 1).await;
    for _ in 0..5 {
        notify(&app, &[id_of(&amina.name)], SUBJECT).await;
    }
    let all = inbox_of(&app, &token, 5).await;
    let mut client = buddy_app(&app, &token);
    let (mut seen, mut token_) = (Vec::new(), String::new());
    loop {
        let page = client
            .list_my_notifications(ListMyNotificationsRequest {
                page_size: 2,
                page_token: token_.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.notifications.into_iter().map(|n| n.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token_ = page.next_page_token;
    }
    assert_eq!(seen, all.iter().map(|n| n.name.clone()).collect::<Vec<_>>());
    // Newest first: the last to reach the inbox first (workers delivering side by side
    // may deliver notifications made at the same moment in either order).
    let delivered: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT notification_id FROM inbox WHERE participant_id = $1 ORDER BY seq DESC")
            .bind(id_of(&amina.name))
            .fetch_all(app.pool())
            .await
            .unwrap();
    let listed: Vec<uuid::Uuid> = seen.iter().map(|name| id_of(name)).collect();
    assert_eq!(listed, delivered, "newest first");
}

#[tokio::test]
async fn someone_elses_notification_is_not_found_like_none_at_all() {
    let app = support::spawn_app_with_demo().await;
    let (amina, _) = participant(&app, 1).await;
    let (_, hassan_token) = participant(&app, 2).await;
    notify(&app, &[id_of(&amina.name)], SUBJECT).await;
    eventually("amina's notification delivered", || async {
        (deliveries_in(&app, "app", "delivered").await == 1).then_some(())
    })
    .await;
    let theirs: String = sqlx::query_scalar("SELECT notification_id::text FROM inbox LIMIT 1")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let theirs = format!("{}/notifications/{theirs}", amina.name);

    let err = buddy_app(&app, &hassan_token)
        .get_notification(GetNotificationRequest { name: theirs.clone() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = buddy_app(&app, &hassan_token)
        .mark_notification_read(MarkNotificationReadRequest { name: theirs })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn the_stream_sends_the_unread_backlog_then_live_ones_and_resumes_after_the_last_without_a_repeat() {
    let app = support::spawn_app_with_demo().await;
    let (amina, token) = participant(&app, 1).await;
    let me = id_of(&amina.name);
    notify(&app, &[me], SUBJECT).await;
    notify(&app, &[me], SUBJECT).await;
    let backlog = inbox_of(&app, &token, 2).await; // newest first
    buddy_app(&app, &token)
        .mark_notification_read(MarkNotificationReadRequest {
            name: backlog[1].name.clone(),
        })
        .await
        .unwrap();

    // Unread ones first: only the newer of the two.
    let mut stream = open_stream(&app, &token, "").await;
    assert_eq!(next(&mut stream).await.name, backlog[0].name);
    // Then live.
    let live = notify(&app, &[me], SUBJECT).await;
    let got = next(&mut stream).await;
    assert_eq!(id_of(&got.name), live[0]);
    drop(stream);

    // While disconnected, two more; resuming after the last one received sends exactly
    // those, then the next live one. The stream follows the order of delivery into the
    // inbox, which workers delivering side by side may give the two in either order.
    let missed_a = notify(&app, &[me], SUBJECT).await;
    let missed_b = notify(&app, &[me], SUBJECT).await;
    inbox_of(&app, &token, 5).await;
    let mut resumed = open_stream(&app, &token, &got.name).await;
    let mut missed = vec![
        id_of(&next(&mut resumed).await.name),
        id_of(&next(&mut resumed).await.name),
    ];
    missed.sort();
    let mut expected = vec![missed_a[0], missed_b[0]];
    expected.sort();
    assert_eq!(missed, expected);
    let later = notify(&app, &[me], SUBJECT).await;
    assert_eq!(id_of(&next(&mut resumed).await.name), later[0]);
}

#[tokio::test]
async fn resuming_after_someone_elses_notification_is_not_found() {
    let app = support::spawn_app_with_demo().await;
    let (amina, _) = participant(&app, 1).await;
    let (_, hassan_token) = participant(&app, 2).await;
    let ids = notify(&app, &[id_of(&amina.name)], SUBJECT).await;
    let err = buddy_app(&app, &hassan_token)
        .stream_notifications(StreamNotificationsRequest {
            after_notification: format!("{}/notifications/{}", amina.name, ids[0]),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn shutting_down_ends_an_open_stream_with_unavailable_and_a_retry_delay() {
    let mut app = support::spawn_app_with_demo().await;
    let (_, token) = participant(&app, 1).await;
    let mut stream = open_stream(&app, &token, "").await;
    app.signal_shutdown();
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), stream.message())
        .await
        .expect("the stream ends promptly")
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    use tonic_types::StatusExt;
    assert!(status.get_details_retry_info().is_some());
    app.stop_server().await;
}
