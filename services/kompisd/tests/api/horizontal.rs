//! Several replicas behave as one service: three `kompisd serve` processes and two
//! `kompisd worker` processes on one PostgreSQL and one Redis, called at once through
//! all three, keep every rule the one-process tests check (no double match, no
//! over-booking, every invitation delivered once).

use std::collections::HashMap;

use kompis_proto::v1::activity_service_client::ActivityServiceClient;
use kompis_proto::v1::buddy_app_service_client::BuddyAppServiceClient;
use kompis_proto::v1::matching_service_client::MatchingServiceClient;
use kompis_proto::v1::*;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::fixtures::activities::{invitations, plan_walk};
use crate::fixtures::matching::{many_matchable_newcomers, matches_of, ready_newcomer, ready_resident};
use crate::fixtures::notifications::id_of;
use crate::fixtures::participants::{ALBY, CHAPTER, request_id};
use crate::support::{self, authed};

/// A channel to the replica listening on `addr`.
async fn replica(addr: &str) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("the replica accepts connections")
}

fn propose_request(newcomer: &str, resident: &str) -> CreateMatchRequest {
    CreateMatchRequest {
        parent: CHAPTER.into(),
        r#match: Some(Match {
            newcomer: newcomer.into(),
            established_resident: resident.into(),
            ..Default::default()
        }),
        request_id: request_id(),
        override_reason: String::new(),
    }
}

#[tokio::test]
async fn three_servers_and_two_workers_behave_as_one_service() {
    // The harness's own server only prepares the data: it runs no worker, so every
    // outbox row is relayed and delivered by the two worker processes.
    let app = support::spawn_app_configured(|s| s.run_worker = false).await;
    let prefix = format!("test-{}", Uuid::new_v4().simple());
    let serve_env = [
        ("KOMPIS_REDIS_PREFIX", prefix.clone()),
        ("KOMPIS_RUN_WORKER", "false".to_owned()),
    ];
    let mut servers = Vec::new();
    let mut channels = Vec::new();
    for _ in 0..3 {
        let (child, addr) = support::spawn_kompisd(app.database_url(), &serve_env).await;
        channels.push(replica(&addr).await);
        servers.push(child);
    }
    let workers: Vec<_> = (0..2)
        .map(|_| support::spawn_worker(app.database_url(), &support::redis_url(), &prefix, &[]))
        .collect();
    let coordinator = app.coordinator("botkyrka");

    // One newcomer, five residents: thirty proposals at once through the three
    // replicas leave the newcomer exactly one live match.
    let newcomer = ready_newcomer(&app, 1, ALBY).await;
    let mut residents = Vec::new();
    for n in 0..5 {
        residents.push(ready_resident(&app, 10 + n, ALBY, 1).await);
    }
    // One resident with room for three, and ten newcomers proposed to them at once.
    let busy = ready_resident(&app, 20, ALBY, 3).await;
    let people = many_matchable_newcomers(&app, 50).await;
    let (for_busy, invitees) = people.split_at(10);

    let mut calls = tokio::task::JoinSet::new();
    for i in 0..30 {
        let mut client = MatchingServiceClient::new(authed(channels[i % 3].clone(), &coordinator));
        let request = propose_request(&newcomer.name, &residents[i % 5].name);
        calls.spawn(async move { client.create_match(request).await.map(|_| ()) });
    }
    for (i, n) in for_busy.iter().enumerate() {
        let mut client = MatchingServiceClient::new(authed(channels[i % 3].clone(), &coordinator));
        let request = propose_request(n, &busy.name);
        calls.spawn(async move { client.create_match(request).await.map(|_| ()) });
    }
    let mut refused = HashMap::<tonic::Code, usize>::new();
    while let Some(outcome) = calls.join_next().await {
        if let Err(status) = outcome.unwrap() {
            *refused.entry(status.code()).or_default() += 1;
        }
    }
    assert!(
        !refused.contains_key(&tonic::Code::Internal) && !refused.contains_key(&tonic::Code::Unknown),
        "{refused:?}"
    );
    let live = [MatchState::Proposed, MatchState::Accepted, MatchState::Active];
    assert_eq!(matches_of(&app, &newcomer.name, &live).await.len(), 1);
    assert_eq!(matches_of(&app, &busy.name, &live).await.len(), 3);

    // Forty invitations sent through one replica reach every inbox once, delivered by
    // the two workers; then forty answers through all three fill ten seats exactly.
    let walk = plan_walk(&app, 10).await;
    let ids: Vec<Uuid> = invitees.iter().map(|n| id_of(n)).collect();
    ActivityServiceClient::new(authed(channels[0].clone(), &coordinator))
        .invite_participants(InviteParticipantsRequest {
            activity: walk.name.clone(),
            participants: invitees.to_vec(),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .expect("the invitations go out");
    let pool = app.pool().clone();
    support::eventually("the workers deliver all forty invitations", || {
        let pool = pool.clone();
        async move {
            let (delivered, unfinished): (i64, i64) = sqlx::query_as(
                "SELECT count(*) FILTER (WHERE d.state = 'delivered'),
                        count(*) FILTER (WHERE d.state <> 'delivered')
                 FROM notification_deliveries d
                 WHERE d.channel = 'app'",
            )
            .fetch_one(&pool)
            .await
            .ok()?;
            (delivered >= 40 && unfinished == 0).then_some(())
        }
    })
    .await;
    for (i, id) in ids.iter().enumerate() {
        let list = BuddyAppServiceClient::new(authed(channels[i % 3].clone(), &app.participant(*id)))
            .list_my_notifications(ListMyNotificationsRequest {
                page_size: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let invited = list
            .notifications
            .iter()
            .filter(|n| n.kind == NotificationKind::InvitationReceived as i32)
            .count();
        assert_eq!(invited, 1, "participant {i} sees {invited} invitations");
    }

    let all = invitations(&app, &walk.name, Rsvp::Unspecified).await;
    assert_eq!(all.len(), 40);
    let mut answers = tokio::task::JoinSet::new();
    for (i, invitation) in all.iter().enumerate() {
        let participant = crate::fixtures::activities::invitee(invitation);
        let client =
            BuddyAppServiceClient::new(authed(channels[i % 3].clone(), &app.participant(participant)));
        let request = RespondToInvitationRequest {
            invitation: invitation.name.clone(),
            rsvp: Rsvp::Yes as i32,
            guests: 0,
            request_id: request_id(),
            with_buddy: false,
        };
        answers.spawn(async move {
            support::resent(|| {
                let mut client = client.clone();
                let request = request.clone();
                async move { client.respond_to_invitation(request).await }
            })
            .await
        });
    }
    while let Some(outcome) = answers.join_next().await {
        outcome
            .unwrap()
            .expect("an answer past capacity is a waitlist place, not an error");
    }
    let seated = invitations(&app, &walk.name, Rsvp::Yes).await;
    let waiting = invitations(&app, &walk.name, Rsvp::Waitlisted).await;
    assert_eq!((seated.len(), waiting.len()), (10, 30));

    drop(workers);
    drop(servers);
}
