//! Invitation fan-out: one activity, `--fan-out` participants, one
//! `InviteParticipants` call, timed until every invitation is in its invitee's inbox.
//!
//! Unlike the open-loop scenarios this is one measured operation. Setup (not timed):
//! the participants are registered through `CreateParticipant`, each speaking the
//! marker language `--fan-out-language` so that one audience selects exactly them, and
//! one unlimited activity is planned. Then the clock starts, the invitation goes out
//! with one call, and PostgreSQL's inbox (the record of delivery) is polled through
//! `psql` until it holds every invitation's notification. The end is read from the
//! inbox's own `deliver_time` (the server's clock on this machine), so the poll's
//! interval does not blur it; the polled time is reported beside it.
//!
//! The result is set against redis-benchmark's XADD rate, measured on the same machine
//! in the same run: every invitation is at least one XADD (outbox relay) and one read
//! (worker), so the ratio says how close the pipeline comes to Redis alone.

use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use futures::StreamExt as _;
use kompis_proto::v1::activity_service_client::ActivityServiceClient;
use kompis_proto::v1::participant_service_client::ParticipantServiceClient;
use kompis_proto::v1::*;

use super::connection::{Connections, bearer};
use crate::ceilings::Ceilings;
use crate::cli::Args;

/// Registrations in flight during setup.
const SETUP_CONCURRENCY: usize = 32;
/// How often the inbox is counted.
const POLL: Duration = Duration::from_millis(100);
/// The longest the fan-out may take before the run fails.
const DEADLINE: Duration = Duration::from_secs(600);

/// Runs the fan-out and returns its report.
pub async fn run(args: &Args, ceilings: &Ceilings) -> anyhow::Result<String> {
    let database = args
        .database_url
        .clone()
        .context("the fan-out scenario needs --database-url (the server's database, read only)")?;
    let coordinator = bearer(args.coordinator_token.as_ref(), "--coordinator-token")?;
    let connections = Connections::open(args).await?;
    let chapter = format!("chapters/{}", args.chapter);
    let marker = args.fan_out_language.clone();
    let run = u64::from(uuid::Uuid::new_v4().as_fields().0);

    eprintln!("fan-out: registering {} participants", args.fan_out);
    let started = Instant::now();
    let registered = futures::stream::iter(0..args.fan_out)
        .map(|n| {
            let request = connections.request(
                &coordinator,
                CreateParticipantRequest {
                    parent: chapter.clone(),
                    participant: Some(invitee(n, run, &args.district, &marker, &coordinator.subject)),
                    request_id: uuid::Uuid::new_v4().to_string(),
                },
            );
            let channel = connections.channel(n);
            async move {
                ParticipantServiceClient::new(channel)
                    .create_participant(request)
                    .await
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .fold(Ok(0u64), |acc, r| async move {
            match (acc, r) {
                (Ok(n), Ok(_)) => Ok(n + 1),
                (Ok(_), Err(status)) => Err(status),
                (e, _) => e,
            }
        })
        .await
        .context("registering the invitees")?;
    eprintln!(
        "fan-out: {registered} registered in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut activities = ActivityServiceClient::new(connections.channel(0));
    let activity = activities
        .create_activity(connections.request(
            &coordinator,
            CreateActivityRequest {
                parent: chapter.clone(),
                activity: Some(fika(&args.district)),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ))
        .await
        .context("planning the activity")?
        .into_inner()
        .activity
        .context("no activity in the answer")?;

    // The measured part: one call, then the inbox until every invitation is in it.
    let load_before = crate::system::load_average();
    let wall_start = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64();
    let start = Instant::now();
    let mut invite = connections.request(
        &coordinator,
        InviteParticipantsRequest {
            activity: activity.name.clone(),
            audience: Some(InvitationAudience {
                states: vec![ParticipantState::Applicant as i32],
                language_codes: vec![marker.clone()],
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        },
    );
    invite.set_timeout(DEADLINE);
    let invited = activities
        .invite_participants(invite)
        .await
        .context("inviting")?
        .into_inner();
    let call = start.elapsed();
    let expected = i64::from(invited.created_count);
    let mut delivered = 0;
    while delivered < expected {
        anyhow::ensure!(
            start.elapsed() < DEADLINE,
            "{delivered} of {expected} delivered after {} s",
            DEADLINE.as_secs()
        );
        tokio::time::sleep(POLL).await;
        delivered = inbox_count(&database, &activity.name)?;
    }
    let polled = start.elapsed();
    let last_delivery = last_delivery(&database, &activity.name)?;
    let load_after = crate::system::load_average();
    let total = (last_delivery - wall_start).max(call.as_secs_f64());
    let rate = expected as f64 / total;

    let mut out = String::new();
    out.push_str(&format!(
        "fan-out of one activity ({}) to {expected} invitees with one InviteParticipants call\n",
        activity.name
    ));
    out.push_str(&format!(
        "  invitees registered: {registered} (marker language {marker}); invitations created: {expected}, already invited: {}\n",
        invited.already_invited_count
    ));
    out.push_str(&format!(
        "  invite call answered after {:.3} s (invitations, events, notifications and outbox written)\n",
        call.as_secs_f64()
    ));
    out.push_str(&format!(
        "  all {expected} in the inbox after {total:.3} s (last inbox deliver_time; polled every {} ms: {:.3} s)\n",
        POLL.as_millis(),
        polled.as_secs_f64()
    ));
    out.push_str(&format!("  delivered: {rate:.0} invitations/s end to end\n"));
    match ceilings.xadd_rps {
        Some(xadd) => out.push_str(&format!(
            "  redis-benchmark XADD, same machine, same run: {xadd:.0}/s; ratio deliveries/XADD: {:.1}%\n",
            100.0 * rate / xadd
        )),
        None => out.push_str("  no XADD ceiling (--redis-url not given)\n"),
    }
    out.push_str(&format!(
        "  load average: {} before, {} after; ceilings measured at {} ({})\n",
        load_before, load_after, ceilings.load, ceilings.method
    ));
    Ok(out)
}

/// Invitation notifications of `activity` in the inbox, counted by PostgreSQL.
fn inbox_count(database: &str, activity: &str) -> anyhow::Result<i64> {
    psql(
        database,
        &format!(
            "SELECT count(*) FROM inbox i JOIN notifications n ON n.id = i.notification_id
             WHERE n.kind = 'invitation_received' AND n.subject LIKE '{activity}/invitations/%'"
        ),
    )?
    .parse()
    .context("psql's count")
}

/// When the last of `activity`'s invitations entered an inbox, in Unix seconds.
fn last_delivery(database: &str, activity: &str) -> anyhow::Result<f64> {
    psql(
        database,
        &format!(
            "SELECT extract(epoch FROM max(i.deliver_time)) FROM inbox i
             JOIN notifications n ON n.id = i.notification_id
             WHERE n.kind = 'invitation_received' AND n.subject LIKE '{activity}/invitations/%'"
        ),
    )?
    .parse()
    .context("psql's time")
}

/// One value from `sql`. The activity name interpolated by the callers is the server's
/// own (`chapters/{slug}/activities/{uuid}`), never user input.
fn psql(database: &str, sql: &str) -> anyhow::Result<String> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-tA", database, "-c", sql])
        .output()
        .context("running psql (Debian: postgresql-client)")?;
    anyhow::ensure!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// An open fika a week ahead, without a seat limit.
fn fika(district: &str) -> Activity {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let at = |seconds: i64| {
        Some(prost_types::Timestamp {
            seconds: now + seconds,
            nanos: 0,
        })
    };
    Activity {
        kind: ActivityKind::GroupActivity as i32,
        title: "Open fika at the library".into(),
        description: "Coffee, cake and Swedish conversation.".into(),
        start_time: at(7 * 86_400),
        end_time: at(7 * 86_400 + 7_200),
        location: "Alby library".into(),
        district: district.to_owned(),
        free: true,
        capacity: 0,
        language_codes: vec!["sv".into()],
        ..Default::default()
    }
}

/// An invented newcomer who speaks the marker language.
fn invitee(n: u64, run: u64, district: &str, marker: &str, coordinator: &str) -> Participant {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Participant {
        role: ParticipantRole::Newcomer as i32,
        person_name: Some(PersonName {
            given_name: format!("Invitee {n}"),
            family_name: "Fika".into(),
            display_name: String::new(),
        }),
        contact: Some(Contact {
            phone: format!("+4672{:07}", (run + n) % 10_000_000),
            email: String::new(),
        }),
        birth_year: 1991,
        gender: Gender::Female as i32,
        district: district.to_owned(),
        consent: Some(Consent {
            given_by: coordinator.to_owned(),
            give_time: Some(prost_types::Timestamp {
                seconds: now - 60,
                nanos: 0,
            }),
            text_version: "2026-01".into(),
        }),
        profile: Some(MatchingProfile {
            languages: vec![LanguageSkill {
                language_code: marker.to_owned(),
                level: LanguageLevel::Native as i32,
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}
