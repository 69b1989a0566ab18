//! Pair sign-up and the matched-pairs audience: a participant and their buddy answer
//! an activity together (two seats or none, both waiting together otherwise), a NO
//! from either frees both seats for the waitlist, capacity holds under concurrent
//! pairs and singles, and the audience reaches both sides of accepted and active
//! matches only.

use std::collections::{HashMap, HashSet};

use kompis_proto::v1::*;
use tonic::Code;
use uuid::Uuid;

use crate::fixtures::activities::{
    answer, coordinator, get_activity, invitations, invite, invitee, plan, walk,
};
use crate::fixtures::notifications::{inbox_of, many_ready_newcomers};
use crate::fixtures::participants::{buddy_app, event_states, request_id, step};
use crate::support::{self, TestApp, bad_fields, reason};

/// `n` newcomers each matched with their own established resident in a match in
/// `state` (`proposed`, `accepted`, `active` or `ended`), made in two statements as
/// proposals and acceptances would leave them. Returns (newcomer, resident) ids.
pub(crate) async fn matched_pairs(app: &TestApp, n: i64, state: &str) -> Vec<(Uuid, Uuid)> {
    let live = matches!(state, "accepted" | "active");
    let pairs: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "WITH n AS (SELECT g, gen_random_uuid() AS newcomer, gen_random_uuid() AS resident
                    FROM generate_series(1, $1) g),
              people AS (
                  INSERT INTO participants (id, chapter_id, role, state, source, given_name,
                      family_name, phone, birth_year, gender, municipality_id, district_id,
                      consent_given_by, consent_time, consent_text_version, languages,
                      swedish_level, interests, buddy_capacity, active_match_count,
                      waiting_since, state_time, create_time, update_time)
                  SELECT p.id, 'botkyrka', p.role, CASE WHEN $2 THEN 'matched' ELSE 'ready' END,
                         'coordinator', 'Pair ' || n.g, 'Test', p.phone || lpad(n.g::text, 7, '0'),
                         1980, 'female', 'botkyrka', 'alby', 'coordinator-botkyrka', now(),
                         '2026-01', '[{\"code\": \"sv\", \"level\": \"native\"}]', p.level,
                         '{fika}', 1, CASE WHEN $2 THEN 1 ELSE 0 END, now(), now(), now(), now()
                  FROM n, LATERAL (VALUES (n.newcomer, 'newcomer', '+4675', 'sfi_b'),
                                          (n.resident, 'established_resident', '+4676', NULL))
                       AS p (id, role, phone, level)
                  RETURNING id)
         SELECT newcomer, resident FROM n ORDER BY g",
    )
    .bind(n)
    .bind(live)
    .fetch_all(app.pool())
    .await
    .unwrap();
    let (newcomers, residents): (Vec<Uuid>, Vec<Uuid>) = pairs.iter().copied().unzip();
    let agreed = state != "proposed";
    sqlx::query(
        "INSERT INTO matches (id, chapter_id, newcomer_id, resident_id, state, newcomer_response,
             resident_response, newcomer_agreed_via, newcomer_agreed_by, newcomer_agree_time,
             resident_agreed_via, resident_agreed_by, resident_agree_time, proposer,
             deadline_time, accept_time, start_time, end_time, end_reason, create_time,
             update_time)
         SELECT gen_random_uuid(), 'botkyrka', m.newcomer, m.resident, $3,
                CASE WHEN $4 THEN 'accepted' ELSE 'pending' END,
                CASE WHEN $4 THEN 'accepted' ELSE 'pending' END,
                CASE WHEN $4 THEN 'phone' END, CASE WHEN $4 THEN 'coordinator-botkyrka' END,
                CASE WHEN $4 THEN now() END,
                CASE WHEN $4 THEN 'phone' END, CASE WHEN $4 THEN 'coordinator-botkyrka' END,
                CASE WHEN $4 THEN now() END, 'coordinator-botkyrka', now() + interval '7 days',
                CASE WHEN $4 THEN now() END, CASE WHEN $3 IN ('active', 'ended') THEN now() END,
                CASE WHEN $3 = 'ended' THEN now() END, CASE WHEN $3 = 'ended' THEN 'moved' END,
                now(), now()
         FROM UNNEST($1::uuid[], $2::uuid[]) AS m (newcomer, resident)",
    )
    .bind(&newcomers)
    .bind(&residents)
    .bind(state)
    .bind(agreed)
    .execute(app.pool())
    .await
    .unwrap();
    pairs
}

/// A walk a week ahead with `capacity` seats that pairs sign up for together.
pub(crate) async fn plan_pair_walk(app: &TestApp, capacity: i32) -> Activity {
    let mut activity = walk(
        time::OffsetDateTime::now_utc() + time::Duration::days(7),
        capacity,
    );
    activity.pair_sign_up = true;
    plan(app, activity).await
}

/// The invitation of `participant` among `sent`.
fn invitation_of(sent: &[Invitation], participant: Uuid) -> &Invitation {
    sent.iter()
        .find(|i| invitee(i) == participant)
        .expect("the participant is invited")
}

/// `participant` answers YES together with their buddy.
pub(crate) async fn sign_up_pair(
    app: &TestApp,
    participant: Uuid,
    invitation: &str,
) -> Result<RespondToInvitationResponse, tonic::Status> {
    buddy_app(app, &app.participant(participant))
        .respond_to_invitation(RespondToInvitationRequest {
            invitation: invitation.into(),
            rsvp: Rsvp::Yes as i32,
            request_id: request_id(),
            with_buddy: true,
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner())
}

/// The caller's own invitations as the app lists them.
async fn my_invitations(app: &TestApp, participant: Uuid) -> Vec<Invitation> {
    buddy_app(app, &app.participant(participant))
        .list_my_invitations(ListMyInvitationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .invitations
        .into_iter()
        .map(|m| m.invitation.unwrap())
        .collect()
}

#[tokio::test]
async fn a_pair_sign_up_with_two_seats_takes_both_and_the_buddy_sees_it_and_is_told() {
    let app = support::spawn_app_with_demo().await;
    let (newcomer, resident) = matched_pairs(&app, 1, "active").await[0];
    let activity = plan_pair_walk(&app, 10).await;
    // Only the newcomer is invited: the sign-up invites the buddy.
    invite(&app, &activity.name, &[newcomer]).await;
    let sent = invitations(&app, &activity.name, Rsvp::Unspecified).await;

    let answered = sign_up_pair(&app, newcomer, &sent[0].name).await.unwrap();

    let mine = answered.invitation.unwrap();
    let theirs = answered.buddy_invitation.unwrap();
    assert_eq!((mine.rsvp, mine.with_buddy), (Rsvp::Yes as i32, true));
    assert_eq!((theirs.rsvp, theirs.with_buddy), (Rsvp::Yes as i32, true));
    assert_eq!(invitee(&theirs), resident);
    let now = get_activity(&app, &activity.name).await;
    assert_eq!((now.seats_taken, now.yes_count, now.invited_count), (2, 2, 2));
    for person in [newcomer, resident] {
        let listed = my_invitations(&app, person).await;
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].rsvp, listed[0].with_buddy), (Rsvp::Yes as i32, true));
    }
    let inbox = inbox_of(&app, &app.participant(resident), 1).await;
    assert_eq!(inbox.len(), 1, "told once, and not invited separately");
    assert_eq!(inbox[0].kind, NotificationKind::PairSignedUp as i32);
    assert_eq!(inbox[0].subject, theirs.name);
    assert_eq!(
        event_states(&app, &theirs.name).await,
        [step("", "pending"), step("pending", "yes")]
    );
}

#[tokio::test]
async fn a_pair_sign_up_with_one_seat_left_takes_none_and_the_pair_waits_together_until_two_are_free() {
    let app = support::spawn_app_with_demo().await;
    let (newcomer, resident) = matched_pairs(&app, 1, "accepted").await[0];
    let singles = many_ready_newcomers(&app, 2).await;
    let activity = plan_pair_walk(&app, 2).await;
    invite(
        &app,
        &activity.name,
        &[newcomer, resident, singles[0], singles[1]],
    )
    .await;
    let sent = invitations(&app, &activity.name, Rsvp::Unspecified).await;
    let first = invitation_of(&sent, singles[0]).clone();
    let behind = invitation_of(&sent, singles[1]).clone();
    answer(&app, singles[0], &first.name, Rsvp::Yes, 0).await.unwrap();

    let answered = sign_up_pair(&app, resident, &invitation_of(&sent, resident).name)
        .await
        .unwrap();
    let later = answer(&app, singles[1], &behind.name, Rsvp::Yes, 0)
        .await
        .unwrap();

    let (mine, theirs) = (answered.invitation.unwrap(), answered.buddy_invitation.unwrap());
    assert_eq!(
        (mine.rsvp, mine.waitlist_position),
        (Rsvp::Waitlisted as i32, 1),
        "one seat left: the pair takes none"
    );
    assert_eq!(
        (theirs.rsvp, theirs.waitlist_position),
        (Rsvp::Waitlisted as i32, 2)
    );
    assert_eq!(
        (later.rsvp, later.waitlist_position),
        (Rsvp::Waitlisted as i32, 3),
        "nobody overtakes the pair for the one free seat"
    );
    let now = get_activity(&app, &activity.name).await;
    assert_eq!((now.seats_taken, now.waitlist_count), (1, 3));

    // The seated single cancels: two seats are free, and the pair gets both.
    answer(&app, singles[0], &first.name, Rsvp::No, 0).await.unwrap();
    let seated: HashSet<Uuid> = invitations(&app, &activity.name, Rsvp::Yes)
        .await
        .iter()
        .map(invitee)
        .collect();
    assert_eq!(seated, HashSet::from([newcomer, resident]));
    let waiting = invitations(&app, &activity.name, Rsvp::Waitlisted).await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        (invitee(&waiting[0]), waiting[0].waitlist_position),
        (singles[1], 1)
    );
    // The resident was invited and got the seat; the newcomer was also told of the
    // sign-up.
    // (The inbox lists in the order the workers delivered, which for notifications
    // written moments apart by different transactions may be either.)
    for (person, notifications) in [(resident, 2), (newcomer, 3)] {
        let inbox = inbox_of(&app, &app.participant(person), notifications).await;
        assert!(
            inbox.iter().any(|n| n.kind == NotificationKind::SeatGiven as i32),
            "{person}'s seat is told"
        );
    }
    assert_eq!(get_activity(&app, &activity.name).await.seats_taken, 2);
}

#[tokio::test]
async fn a_pair_sign_up_is_refused_without_an_accepted_match_or_for_an_activity_without_pairs() {
    let app = support::spawn_app_with_demo().await;
    let (proposed, _) = matched_pairs(&app, 1, "proposed").await[0];
    let (ended, _) = matched_pairs(&app, 1, "ended").await[0];
    let (live, _) = matched_pairs(&app, 1, "active").await[0];
    let alone = many_ready_newcomers(&app, 1).await[0];
    let pairs = plan_pair_walk(&app, 10).await;
    let singles_only = plan(
        &app,
        walk(time::OffsetDateTime::now_utc() + time::Duration::days(7), 10),
    )
    .await;
    invite(&app, &pairs.name, &[proposed, ended, alone]).await;
    invite(&app, &singles_only.name, &[live]).await;
    let sent = invitations(&app, &pairs.name, Rsvp::Unspecified).await;
    let other = invitations(&app, &singles_only.name, Rsvp::Unspecified).await;

    for person in [proposed, ended, alone] {
        let status = sign_up_pair(&app, person, &invitation_of(&sent, person).name)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "NO_LIVE_MATCH");
        assert!(
            status.message().contains("accepted or active match"),
            "{status:?}"
        );
    }
    let not_allowed = sign_up_pair(&app, live, &other[0].name).await.unwrap_err();
    assert_eq!(not_allowed.code(), Code::FailedPrecondition);
    assert_eq!(reason(&not_allowed), "PAIR_SIGN_UP_NOT_ALLOWED");
    let with_no = buddy_app(&app, &app.participant(alone))
        .respond_to_invitation(RespondToInvitationRequest {
            invitation: invitation_of(&sent, alone).name.clone(),
            rsvp: Rsvp::No as i32,
            with_buddy: true,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&with_no), ["with_buddy"]);

    for name in [&pairs.name, &singles_only.name] {
        let now = get_activity(&app, name).await;
        assert_eq!((now.seats_taken, now.yes_count, now.waitlist_count), (0, 0, 0));
    }
    assert_eq!(
        get_activity(&app, &pairs.name).await.invited_count,
        3,
        "nobody was invited by a refused sign-up"
    );
}

#[tokio::test]
async fn forty_concurrent_pair_and_single_answers_never_book_more_than_eleven_seats_or_split_a_pair() {
    let app = support::spawn_app_with_demo().await;
    let pairs = matched_pairs(&app, 15, "active").await;
    let singles = many_ready_newcomers(&app, 25).await;
    let activity = plan_pair_walk(&app, 11).await;
    let everyone: Vec<Uuid> = pairs
        .iter()
        .flat_map(|(n, r)| [*n, *r])
        .chain(singles.iter().copied())
        .collect();
    invite(&app, &activity.name, &everyone).await;
    let sent = invitations(&app, &activity.name, Rsvp::Unspecified).await;
    assert_eq!(sent.len(), 55);

    // One answer per pair (from the newcomer) and one per single: 40 at once.
    let mut calls = tokio::task::JoinSet::new();
    let answering = pairs
        .iter()
        .map(|(n, _)| (*n, true))
        .chain(singles.iter().map(|s| (*s, false)));
    for (person, with_buddy) in answering {
        let client = buddy_app(&app, &app.participant(person));
        let request = RespondToInvitationRequest {
            invitation: invitation_of(&sent, person).name.clone(),
            rsvp: Rsvp::Yes as i32,
            request_id: request_id(),
            with_buddy,
            ..Default::default()
        };
        calls.spawn(async move {
            support::resent(|| {
                let (mut client, request) = (client.clone(), request.clone());
                async move { client.respond_to_invitation(request).await }
            })
            .await
        });
    }
    let mut answered = 0;
    while let Some(done) = calls.join_next().await {
        done.unwrap().expect("a YES is never an error, full or not");
        answered += 1;
    }
    assert_eq!(answered, 40);

    let all = invitations(&app, &activity.name, Rsvp::Unspecified).await;
    let by_person: HashMap<Uuid, &Invitation> = all.iter().map(|i| (invitee(i), i)).collect();
    let seats: i64 = sqlx::query_scalar("SELECT coalesce(sum(seats), 0) FROM invitations WHERE rsvp = 'yes'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let now = get_activity(&app, &activity.name).await;
    assert!(now.seats_taken <= 11, "over-booked: {}", now.seats_taken);
    assert_eq!(i64::from(now.seats_taken), seats);
    assert_eq!(i64::from(now.yes_count), seats, "one seat each, no guests");
    assert!(
        now.seats_taken >= 10,
        "seats stay empty only while a pair waits for two: {}",
        now.seats_taken
    );
    assert_eq!(now.yes_count + now.waitlist_count, 55);
    for (newcomer, resident) in &pairs {
        let (a, b) = (by_person[newcomer], by_person[resident]);
        assert_eq!(a.rsvp, b.rsvp, "a pair is never split");
        assert!(a.with_buddy && b.with_buddy);
        if a.rsvp == Rsvp::Waitlisted as i32 {
            assert_eq!(
                b.waitlist_position,
                a.waitlist_position + 1,
                "waiting side by side"
            );
        }
    }
    let mut positions: Vec<i32> = all
        .iter()
        .filter(|i| i.rsvp == Rsvp::Waitlisted as i32)
        .map(|i| i.waitlist_position)
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=now.waitlist_count as i32).collect::<Vec<_>>());
}

#[tokio::test]
async fn the_matched_pairs_audience_invites_both_sides_of_accepted_and_active_matches_only() {
    let app = support::spawn_app_with_demo().await;
    let accepted = matched_pairs(&app, 2, "accepted").await;
    let active = matched_pairs(&app, 2, "active").await;
    let proposed = matched_pairs(&app, 1, "proposed").await;
    let ended = matched_pairs(&app, 1, "ended").await;
    let activity = plan_pair_walk(&app, 50).await;

    let invited = coordinator(&app)
        .invite_participants(InviteParticipantsRequest {
            activity: activity.name.clone(),
            audience: Some(InvitationAudience {
                only_active_matches: true,
                ..Default::default()
            }),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!((invited.created_count, invited.already_invited_count), (8, 0));
    let sent: HashSet<Uuid> = invitations(&app, &activity.name, Rsvp::Unspecified)
        .await
        .iter()
        .map(invitee)
        .collect();
    let expected: HashSet<Uuid> = accepted
        .iter()
        .chain(&active)
        .flat_map(|(n, r)| [*n, *r])
        .collect();
    assert_eq!(sent, expected);
    for (n, r) in proposed.iter().chain(&ended) {
        assert!(!sent.contains(n) && !sent.contains(r));
    }
    // Combined with other criteria with AND: only the newcomers of those matches.
    let newcomers_only = coordinator(&app)
        .invite_participants(InviteParticipantsRequest {
            activity: plan_pair_walk(&app, 50).await.name,
            audience: Some(InvitationAudience {
                only_active_matches: true,
                roles: vec![ParticipantRole::Newcomer as i32],
                states: vec![ParticipantState::Matched as i32],
                ..Default::default()
            }),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(newcomers_only.created_count, 4);
}

#[tokio::test]
async fn a_no_from_either_of_a_pair_frees_both_seats_for_the_waitlist_and_tells_the_other() {
    let app = support::spawn_app_with_demo().await;
    let (newcomer, resident) = matched_pairs(&app, 1, "active").await[0];
    let singles = many_ready_newcomers(&app, 3).await;
    let activity = plan_pair_walk(&app, 3).await;
    invite(
        &app,
        &activity.name,
        &[newcomer, singles[0], singles[1], singles[2]],
    )
    .await;
    let sent = invitations(&app, &activity.name, Rsvp::Unspecified).await;
    let pair = sign_up_pair(&app, newcomer, &invitation_of(&sent, newcomer).name)
        .await
        .unwrap();
    let buddy_invitation = pair.buddy_invitation.unwrap();
    for single in &singles {
        answer(&app, *single, &invitation_of(&sent, *single).name, Rsvp::Yes, 0)
            .await
            .unwrap();
    }
    let full = get_activity(&app, &activity.name).await;
    assert_eq!((full.seats_taken, full.waitlist_count), (3, 2));

    // The buddy, not the one who signed the pair up, cancels.
    let cancelled = answer(&app, resident, &buddy_invitation.name, Rsvp::No, 0)
        .await
        .unwrap();

    assert_eq!((cancelled.rsvp, cancelled.with_buddy), (Rsvp::No as i32, false));
    let mine = coordinator(&app)
        .get_invitation(GetInvitationRequest {
            name: pair.invitation.unwrap().name,
        })
        .await
        .unwrap()
        .into_inner()
        .invitation
        .unwrap();
    assert_eq!(
        (mine.rsvp, mine.with_buddy),
        (Rsvp::No as i32, false),
        "both answers go"
    );
    let seated: HashSet<Uuid> = invitations(&app, &activity.name, Rsvp::Yes)
        .await
        .iter()
        .map(invitee)
        .collect();
    assert_eq!(
        seated,
        singles.iter().copied().collect::<HashSet<_>>(),
        "both freed seats go to the two waiting"
    );
    let now = get_activity(&app, &activity.name).await;
    assert_eq!((now.seats_taken, now.waitlist_count), (3, 0));
    // In whichever order the workers delivered them.
    let told = inbox_of(&app, &app.participant(newcomer), 2).await;
    let cancelled: Vec<_> = told
        .iter()
        .filter(|n| n.kind == NotificationKind::PairCancelled as i32)
        .collect();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].subject, mine.name);
    for single in &singles[1..] {
        let inbox = inbox_of(&app, &app.participant(*single), 2).await;
        assert!(inbox.iter().any(|n| n.kind == NotificationKind::SeatGiven as i32));
    }
    assert_eq!(
        event_states(&app, &buddy_invitation.name).await,
        [step("", "pending"), step("pending", "yes"), step("yes", "no")]
    );
}
