//! E-mail notifications, sent to a real SMTP server the test starts (aiosmtpd on a free
//! loopback port), and the dead letters of what could not be sent.

use kompis_proto::v1::delivery_service_client::DeliveryServiceClient;
use kompis_proto::v1::*;
use tonic::Code;

use crate::fixtures::notifications::{deliveries_in, id_of, inbox_of, notify};
use crate::fixtures::participants::{buddy_app, mask, newcomer, register, request_id};
use crate::support::smtp::SmtpSink;
use crate::support::{self, TestApp, authed, eventually};

const SUBJECT: &str = "chapters/botkyrka/activities/0190aaaa-0000-7000-8000-000000000002";

async fn app_sending_to(sink: &SmtpSink) -> TestApp {
    let url = sink.url();
    support::spawn_app_configured(move |s| s.smtp_url = Some(url)).await
}

/// Registers newcomer `n` with `email` and turns e-mail on in `language`.
async fn wants_email(app: &TestApp, n: u32, email: &str, language: &str) -> (Participant, String) {
    let mut person = newcomer(n);
    person.contact.as_mut().unwrap().email = email.into();
    let p = register(app, person).await;
    let token = app.participant(id_of(&p.name));
    buddy_app(app, &token)
        .update_my_notification_settings(UpdateMyNotificationSettingsRequest {
            settings: Some(NotificationSettings {
                name: String::new(),
                email: true,
                language_code: language.into(),
            }),
            update_mask: mask(&["email", "language_code"]),
        })
        .await
        .expect("e-mail is turned on");
    (p, token)
}

fn delivery_admin(app: &TestApp) -> DeliveryServiceClient<support::Authed> {
    DeliveryServiceClient::new(authed(app.channel(), &app.administrator()))
}

#[tokio::test]
async fn a_participant_who_chose_e_mail_in_arabic_gets_it_laid_out_right_to_left_and_in_the_app_too() {
    let sink = SmtpSink::start().await;
    let app = app_sending_to(&sink).await;
    let (amina, token) = wants_email(&app, 1, "amina1@exempel.se", "ar").await;

    notify(&app, &[id_of(&amina.name)], SUBJECT).await;

    let mail = eventually("the e-mail arrives", || async { sink.received().pop() }).await;
    assert_eq!(mail.rcpt_tos, ["amina1@exempel.se"]);
    assert_eq!(mail.subject, "دعوة: \u{2068}Walk around Lake Aspen\u{2069}");
    assert_eq!(mail.content_language, "ar");
    assert!(
        mail.html.contains("<html lang=\"ar\" dir=\"rtl\">"),
        "{}",
        mail.html
    );
    assert!(mail.text.contains("السبت 14 مارس 2026"), "{}", mail.text);
    let delivery: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM notification_deliveries WHERE channel = 'email'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(mail.message_id, format!("<{delivery}@kompis.notifications>"));
    assert_eq!(inbox_of(&app, &token, 1).await.len(), 1, "the app's inbox too");
    eventually("the e-mail delivery is recorded", || async {
        (deliveries_in(&app, "email", "delivered").await == 1).then_some(())
    })
    .await;
    assert_eq!(sink.received().len(), 1, "sent once");
}

#[tokio::test]
async fn a_participant_who_did_not_choose_e_mail_gets_none() {
    let sink = SmtpSink::start().await;
    let app = app_sending_to(&sink).await;
    let amina = register(&app, newcomer(1)).await;
    let token = app.participant(id_of(&amina.name));

    notify(&app, &[id_of(&amina.name)], SUBJECT).await;

    inbox_of(&app, &token, 1).await;
    let email_deliveries: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notification_deliveries WHERE channel = 'email'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(email_deliveries, 0);
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn a_refused_e_mail_becomes_a_dead_letter_with_the_reason_and_is_sent_when_replayed() {
    let sink = SmtpSink::start().await;
    let app = app_sending_to(&sink).await;
    let (amina, _) = wants_email(&app, 1, "refuse1@exempel.se", "sv").await;
    let ids = notify(&app, &[id_of(&amina.name)], SUBJECT).await;

    let letter = eventually("the refused e-mail is given up", || async {
        delivery_admin(&app)
            .list_dead_letters(ListDeadLettersRequest::default())
            .await
            .unwrap()
            .into_inner()
            .dead_letters
            .pop()
    })
    .await;
    assert_eq!(letter.channel, DeliveryChannel::Email as i32);
    assert_eq!(letter.topic, "email");
    assert_eq!(letter.reason, "SMTP 550");
    assert_eq!(letter.attempts, 5);
    assert_eq!(
        letter.notification,
        format!("{}/notifications/{}", amina.name, ids[0])
    );
    assert_eq!(letter.kind, NotificationKind::InvitationReceived as i32);
    assert_eq!(letter.subject, SUBJECT);
    assert!(!letter.reason.contains("refuse1"), "no address in the reason");
    assert_eq!(deliveries_in(&app, "email", "dead").await, 1);
    assert!(sink.received().is_empty());

    // The mailbox comes back; an administrator sends the letter again.
    sink.accept_all();
    let replayed = delivery_admin(&app)
        .replay_dead_letter(ReplayDeadLetterRequest {
            name: letter.name.clone(),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .dead_letter
        .unwrap();
    assert_eq!(replayed.replayed_by, "admin-1");
    assert!(replayed.replay_time.is_some());

    let mail = eventually("the replayed e-mail arrives", || async { sink.received().pop() }).await;
    assert_eq!(mail.rcpt_tos, ["refuse1@exempel.se"]);
    let open = delivery_admin(&app)
        .list_dead_letters(ListDeadLettersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .dead_letters;
    assert!(open.is_empty(), "{open:?}");
    let again = delivery_admin(&app)
        .replay_dead_letter(ReplayDeadLetterRequest {
            name: letter.name.clone(),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(support::reason(&again), "INVALID_STATE_TRANSITION");
}

#[tokio::test]
async fn an_unreadable_stream_entry_is_kept_as_a_dead_letter_in_postgres() {
    let app = support::spawn_app_with_demo().await;
    let client = redis::Client::open(support::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: String = redis::cmd("XADD")
        .arg(format!("{}:stream:notifications", app.redis_prefix))
        .arg("*")
        .arg("garbage")
        .arg("1")
        .query_async(&mut conn)
        .await
        .unwrap();

    let letter = eventually("the unreadable entry is kept", || async {
        delivery_admin(&app)
            .list_dead_letters(ListDeadLettersRequest::default())
            .await
            .unwrap()
            .into_inner()
            .dead_letters
            .pop()
    })
    .await;
    assert_eq!(letter.reason, "unreadable entry");
    assert_eq!(letter.channel, DeliveryChannel::Unspecified as i32);
    assert_eq!(letter.topic, "notifications");
    let refused = delivery_admin(&app)
        .replay_dead_letter(ReplayDeadLetterRequest {
            name: letter.name,
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(support::reason(&refused), "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn only_administrators_see_dead_letters() {
    let app = support::spawn_app_with_demo().await;
    for token in [app.coordinator("botkyrka"), app.participant(uuid::Uuid::now_v7())] {
        let err = DeliveryServiceClient::new(authed(app.channel(), &token))
            .list_dead_letters(ListDeadLettersRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
    }
}
