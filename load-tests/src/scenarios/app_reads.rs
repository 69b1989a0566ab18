//! The mobile app's read mix: people in accepted matches open the app, see their buddy
//! (`GetMyBuddy`) and their invitations (`ListMyInvitations`), while every one of them
//! holds a `StreamNotifications` stream open for the whole run.
//!
//! Setup (not timed), all through the API: `--app-pairs` newcomers and as many
//! residents are registered and approved, paired, and both sides' acceptances
//! recorded; one activity is planned and its invitations sent to everyone in an
//! accepted match, so that each person has a buddy and an invitation to list. App
//! tokens come from `kompisd token` (`--kompisd`).
//!
//! `app-reads` makes three `GetMyBuddy` calls for each `ListMyInvitations` call;
//! `my-buddy` only `GetMyBuddy`, the read the target is set for. Call `n` is made as
//! person `n` modulo the number of people, so every person reads in turn.

use futures::StreamExt as _;
use futures::future::BoxFuture;
use kompis_proto::v1::activity_service_client::ActivityServiceClient;
use kompis_proto::v1::buddy_app_service_client::BuddyAppServiceClient;
use kompis_proto::v1::*;
use tokio::task::JoinHandle;

use super::connection::{Connections, bearer};
use super::people::{self, Setup};
use super::{CeilingKind, Scenario};
use crate::cli::Args;
use crate::token::Bearer;

/// Which calls the app makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    /// Three `GetMyBuddy` to one `ListMyInvitations`.
    AppReads,
    /// `GetMyBuddy` only.
    MyBuddy,
}

/// The app's reads, with notification streams held open.
#[derive(Debug)]
pub struct AppReads {
    connections: Connections,
    people: Vec<Bearer>,
    mix: Mix,
    streams: Vec<JoinHandle<()>>,
}

impl Drop for AppReads {
    fn drop(&mut self) {
        for stream in &self.streams {
            stream.abort();
        }
    }
}

impl AppReads {
    /// Sets up the pairs and the invitations, opens the streams.
    pub async fn new(args: &Args, connections: Connections, mix: Mix) -> anyhow::Result<Self> {
        let setup = Setup {
            connections: connections.clone(),
            coordinator: bearer(args.coordinator_token.as_ref(), "--coordinator-token")?,
            chapter: format!("chapters/{}", args.chapter),
            district: args.district.clone(),
            run: u64::from(uuid::Uuid::new_v4().as_fields().0),
        };
        let started = std::time::Instant::now();
        eprintln!("{}: setting up {} accepted pairs", name(mix), args.app_pairs);
        let (newcomers, residents) = setup.ready_people(args.app_pairs, 1).await?;
        setup.accepted_pairs(&newcomers, &residents).await?;
        invite_the_matched(&setup).await?;
        let names: Vec<String> = newcomers.into_iter().chain(residents).collect();
        let people = people::app_tokens(&args.kompisd, &names)?;
        let streams = people
            .iter()
            .enumerate()
            .map(|(i, person)| hold_stream(&connections, i as u64, person))
            .collect();
        eprintln!(
            "{}: {} people with a buddy and an invitation, streams open, in {:.1} s",
            name(mix),
            people.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(Self {
            connections,
            people,
            mix,
            streams,
        })
    }
}

fn name(mix: Mix) -> &'static str {
    match mix {
        Mix::AppReads => "app-reads",
        Mix::MyBuddy => "my-buddy",
    }
}

/// One open activity, its invitations sent to everyone in an accepted or active match.
async fn invite_the_matched(setup: &Setup) -> anyhow::Result<()> {
    let c = &setup.connections;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let at = |seconds: i64| {
        Some(prost_types::Timestamp {
            seconds: now + seconds,
            nanos: 0,
        })
    };
    let create = CreateActivityRequest {
        parent: setup.chapter.clone(),
        activity: Some(Activity {
            kind: ActivityKind::GroupActivity as i32,
            title: "Buddy evening".into(),
            description: "Pairs meet other pairs over fika.".into(),
            start_time: at(7 * 86_400),
            end_time: at(7 * 86_400 + 7_200),
            location: "Alby library".into(),
            district: setup.district.clone(),
            free: true,
            capacity: 0,
            language_codes: vec!["sv".into()],
            ..Default::default()
        }),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let activity = people::retried("planning the activity", || {
        let request = c.request(&setup.coordinator, create.clone());
        let mut client = ActivityServiceClient::new(c.channel(0));
        async move { client.create_activity(request).await }
    })
    .await?
    .activity
    .ok_or_else(|| anyhow::anyhow!("no activity in the answer"))?;
    let invite = InviteParticipantsRequest {
        activity: activity.name,
        audience: Some(InvitationAudience {
            only_active_matches: true,
            ..Default::default()
        }),
        request_id: uuid::Uuid::new_v4().to_string(),
        ..Default::default()
    };
    people::retried("inviting the matched", || {
        let request = c.request(&setup.coordinator, invite.clone());
        let mut client = ActivityServiceClient::new(c.channel(0));
        async move { client.invite_participants(request).await }
    })
    .await?;
    Ok(())
}

/// Opens person `i`'s notification stream and reads it until the run drops it. A
/// stream that ends or fails is opened again, as the app does.
fn hold_stream(connections: &Connections, i: u64, person: &Bearer) -> JoinHandle<()> {
    let connections = connections.clone();
    let person = person.clone();
    tokio::spawn(async move {
        loop {
            let mut request = tonic::Request::new(StreamNotificationsRequest::default());
            request
                .metadata_mut()
                .insert("authorization", person.header.clone());
            let mut client = BuddyAppServiceClient::new(connections.channel(i));
            if let Ok(stream) = client.stream_notifications(request).await {
                let mut stream = stream.into_inner();
                while let Some(Ok(_)) = stream.next().await {}
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    })
}

impl Scenario for AppReads {
    fn name(&self) -> &'static str {
        name(self.mix)
    }

    fn ceiling(&self) -> CeilingKind {
        CeilingKind::PrimaryKeyRead
    }

    fn call(&self, n: u64) -> BoxFuture<'static, Result<(), tonic::Status>> {
        let person = &self.people[(n % self.people.len() as u64) as usize];
        let mut client = BuddyAppServiceClient::new(self.connections.channel(n));
        if self.mix == Mix::AppReads && n % 4 == 3 {
            let request = self.connections.request(
                person,
                ListMyInvitationsRequest {
                    include_past: false,
                    page_size: 20,
                    page_token: String::new(),
                },
            );
            Box::pin(async move {
                client.list_my_invitations(request).await?;
                Ok(())
            })
        } else {
            let request = self.connections.request(person, GetMyBuddyRequest {});
            Box::pin(async move {
                let buddies = client.get_my_buddy(request).await?.into_inner().buddies;
                // Every person was set up with one accepted buddy: anything else is a
                // wrong answer, counted as an error, not a fast one.
                if buddies.len() != 1 {
                    return Err(tonic::Status::internal(format!(
                        "expected one buddy, got {}",
                        buddies.len()
                    )));
                }
                Ok(())
            })
        }
    }
}
