//! Consumers of e-mail notifications: each stream entry names an e-mail delivery; the
//! consumer reads what it needs (the participant's address and language, read now, not
//! stored with the notification), renders the message, sends it over SMTP with no
//! transaction open, then records the delivery and acknowledges the entry.
//!
//! At least once: a consumer that dies after sending and before recording sends the
//! message again; the Message-ID is the delivery's, so mail clients show one. A send
//! that fails is tried again after a while (the entry stays pending); after
//! [`MAX_DELIVERIES`] failures it becomes a dead letter, like the app's. What is recorded
//! of a failure is the SMTP reply code, never the server's text, which may quote the
//! address.

use std::time::Duration;

use kompis_messages::{Template, render_email};
use kompis_queue::{Consumer, Delivery, MAX_DELIVERIES, Queue};
use kompis_store::dead_letters::{self, Burial};
use kompis_store::notifications::{self, EMAIL_TOPIC, Finish};
use kompis_store::{Store, StoreError};
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use super::{GROUP, IDLE, Stop};
use crate::settings::Settings;

/// Entries per read: e-mails go one at a time anyway.
const BATCH: usize = 20;
/// How long a read waits for new entries.
const BLOCK: Duration = Duration::from_millis(500);

/// The SMTP transport for `url`: `smtp://host:port` (plain, for a relay on the same
/// host or network), `smtp://host:587?tls=required` (STARTTLS) or `smtps://host`
/// (TLS), with `user:password@` when the server wants it.
pub fn transport(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
        .timeout(Some(Duration::from_secs(20)))
        .build())
}

/// Runs one consumer called `name` until `stop`.
pub async fn run(settings: Settings, store: Store, name: String, stop: Stop) {
    let Some(url) = settings.smtp_url.clone() else {
        return;
    };
    let mailer = match transport(&url) {
        Ok(m) => m,
        Err(e) => {
            // Settings checked the URL; this is not expected.
            tracing::error!(error = %e, "KOMPIS_SMTP_URL cannot be used; no e-mail is sent");
            return;
        }
    };
    let Some(queue) = super::connect(&settings, &stop).await else {
        return;
    };
    let mut consumer = loop {
        match Consumer::new(queue.clone(), EMAIL_TOPIC, GROUP, &name).await {
            Ok(c) => break c,
            Err(e) => {
                tracing::warn!(error = %e, "cannot join the e-mail consumer group; retrying");
                if !stop.sleep(Duration::from_secs(1)).await {
                    return;
                }
            }
        }
    };
    tracing::info!(consumer = %name, "e-mail consumer running");
    while !stop.requested() {
        let batch = tokio::select! {
            () = stop.wait() => return,
            batch = consumer.next_batch(BATCH, settings.reclaim_after, BLOCK) => batch,
        };
        let batch = match batch {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, "reading e-mail notifications failed; retrying");
                if !stop.sleep(IDLE).await {
                    return;
                }
                continue;
            }
        };
        for delivery in batch {
            if let Err(e) = handle(&settings, &store, &queue, &consumer, &mailer, delivery).await {
                tracing::warn!(error = %e, "e-mail delivery failed; the entry stays pending");
            }
        }
    }
}

/// What happened to one send.
enum Sent {
    Yes,
    /// Failed, with a reason free of personal data.
    No(String),
}

async fn handle(
    settings: &Settings,
    store: &Store,
    queue: &Queue,
    consumer: &Consumer,
    mailer: &AsyncSmtpTransport<Tokio1Executor>,
    delivery: Delivery,
) -> anyhow::Result<()> {
    let clock = &settings.clock;
    let Some((envelope, id)) = delivery
        .envelope
        .as_ref()
        .and_then(|e| notifications::delivery_of(e.version, &e.payload).map(|id| (e, id)))
    else {
        return super::inbox::bury_unreadable(store, queue, consumer, &delivery, clock.now()).await;
    };
    let ack = || consumer.ack(std::slice::from_ref(&delivery.entry_id));
    let finish = async |how: Finish| -> Result<(), StoreError> {
        let mut tx = store.begin().await?;
        notifications::finish_delivery(&mut tx, id, envelope.outbox_id, how, clock.now()).await?;
        tx.commit().await
    };
    let Some(job) = notifications::email_job(store.pool(), id).await? else {
        // The participant was erased with their notifications: nothing to send.
        ack().await?;
        return Ok(());
    };
    if job.state != "pending" {
        // Already sent (a repeat), skipped or given up.
        finish(Finish::Delivered).await?;
        ack().await?;
        return Ok(());
    }
    let Some(address) = job.email.as_deref().filter(|_| job.wants_email) else {
        finish(Finish::Skipped).await?;
        ack().await?;
        return Ok(());
    };
    let sent = match job.template.parse::<Template>() {
        Err(_) => Sent::No(format!("unknown template {}", job.template)),
        Ok(template) => match render_email(template, &job.params.0, &job.language) {
            Err(e) => Sent::No(format!("the message did not render: {e}")),
            Ok(email) => send(mailer, &settings.mail_from, address, id, email).await,
        },
    };
    match sent {
        Sent::Yes => {
            finish(Finish::Delivered).await?;
            ack().await?;
        }
        Sent::No(reason) => {
            let attempts = notifications::record_failure(store.pool(), id, &reason).await?;
            let tried = delivery.deliveries.max(u64::try_from(attempts).unwrap_or(0));
            if tried >= MAX_DELIVERIES {
                let mut tx = store.begin().await?;
                dead_letters::bury(
                    &mut tx,
                    &Burial {
                        topic: EMAIL_TOPIC,
                        outbox_id: Some(envelope.outbox_id),
                        delivery_id: Some(id),
                        reason: &reason,
                        attempts: i32::try_from(tried).unwrap_or(i32::MAX),
                        entry: "",
                        at: clock.now(),
                    },
                )
                .await?;
                tx.commit().await?;
                ack().await?;
                tracing::warn!(delivery = %id, reason, "e-mail given up as a dead letter");
            } else {
                tracing::info!(delivery = %id, reason, attempt = tried, "e-mail not sent; will try again");
            }
        }
    }
    Ok(())
}

/// The `Content-Language` header (RFC 3282): the language the message is written in.
#[derive(Debug, Clone)]
struct ContentLanguage(&'static str);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        kompis_messages::SUPPORTED_LANGUAGES
            .iter()
            .find(|l| **l == s)
            .map(|l| Self(l))
            .ok_or_else(|| "not a language of the catalogue".into())
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.to_owned())
    }
}

/// Sends one e-mail; the reason of a failure is the SMTP reply code or the kind of
/// failure, never the server's text.
async fn send(
    mailer: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    to: &str,
    delivery: Uuid,
    email: kompis_messages::Email,
) -> Sent {
    let Ok(to) = to.parse::<Mailbox>() else {
        return Sent::No("the e-mail address is not one SMTP accepts".into());
    };
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject)
        .message_id(Some(format!("<{delivery}@kompis.notifications>")))
        .header(ContentLanguage(email.language))
        .multipart(MultiPart::alternative_plain_html(email.text, email.html));
    let message = match message {
        Ok(m) => m,
        Err(e) => return Sent::No(format!("the message could not be built: {e}")),
    };
    match mailer.send(message).await {
        Ok(_) => Sent::Yes,
        Err(e) => Sent::No(match e.status() {
            Some(code) => format!("SMTP {code}"),
            None if e.is_timeout() => "SMTP timeout".into(),
            None => "SMTP connection failed".into(),
        }),
    }
}
