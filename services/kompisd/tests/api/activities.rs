//! Activities and invitations: planning, invitations by audience that reach the inbox,
//! seats enforced by the database under concurrency, the waitlist in order of arrival,
//! cancellations that give the seat to the first waiting, guests, reminders before the
//! activity, and attendance.

use std::collections::{HashMap, HashSet};

use kompis_proto::v1::*;
use tonic::Code;

use crate::fixtures::activities::{
    activities, answer, coordinator, get_activity, invitations, invite, invitee, plan, plan_walk, ts, walk,
};
use crate::fixtures::notifications::{inbox_of, many_ready_newcomers, participant, subjects_of_kind};
use crate::fixtures::participants::{CHAPTER, buddy_app, event_states, mask, request_id, step};
use crate::support::{self, bad_fields, eventually, reason};

#[tokio::test]
async fn an_audience_by_state_interest_and_language_is_invited_once_and_each_invitee_finds_it() {
    let app = support::spawn_app_with_demo().await;
    // Ready newcomers who speak Arabic and like fika, and one applicant who is not ready.
    let ready = many_ready_newcomers(&app, 3).await;
    let (_applicant, _) = participant(&app, 1).await;
    let activity = plan_walk(&app, 10).await;
    let audience = InvitationAudience {
        states: vec![ParticipantState::Ready as i32],
        interests: vec!["chapters/botkyrka/interests/fika".into()],
        language_codes: vec!["ar".into()],
        ..Default::default()
    };
    let request = || InviteParticipantsRequest {
        activity: activity.name.clone(),
        audience: Some(audience.clone()),
        request_id: request_id(),
        ..Default::default()
    };

    let first = coordinator(&app)
        .invite_participants(request())
        .await
        .unwrap()
        .into_inner();
    let again = coordinator(&app)
        .invite_participants(request())
        .await
        .unwrap()
        .into_inner();

    assert_eq!((first.created_count, first.already_invited_count), (3, 0));
    assert_eq!((again.created_count, again.already_invited_count), (0, 3));
    let sent = invitations(&app, &activity.name, Rsvp::Unspecified).await;
    let invited: HashSet<_> = sent.iter().map(invitee).collect();
    assert_eq!(invited, ready.iter().copied().collect::<HashSet<_>>());
    // Other interests select nobody.
    let none = coordinator(&app)
        .invite_participants(InviteParticipantsRequest {
            activity: activity.name.clone(),
            audience: Some(InvitationAudience {
                states: vec![ParticipantState::Ready as i32],
                interests: vec!["chapters/botkyrka/interests/chess-does-not-exist".into()],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((none.created_count, none.already_invited_count), (0, 0));

    let token = app.participant(ready[0]);
    let inbox = inbox_of(&app, &token, 1).await;
    let mine = sent.iter().find(|i| invitee(i) == ready[0]).unwrap();
    assert_eq!(
        inbox.len(),
        1,
        "one notification, however often the call is repeated"
    );
    assert_eq!(inbox[0].kind, NotificationKind::InvitationReceived as i32);
    assert_eq!(inbox[0].subject, mine.name);
    let listed = buddy_app(&app, &token)
        .list_my_invitations(ListMyInvitationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .invitations;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].invitation.as_ref().unwrap().name, mine.name);
    let seen = listed[0].activity.as_ref().unwrap();
    assert_eq!(seen.title, "Walk around Lake Aspen");
    assert_eq!(seen.invited_count, 0, "counts are for coordinators");
    assert_eq!(get_activity(&app, &activity.name).await.invited_count, 3);
    assert_eq!(event_states(&app, &mine.name).await, [step("", "pending")]);
}

#[tokio::test]
async fn two_hundred_concurrent_acceptances_for_fifty_seats_take_fifty_and_waitlist_the_rest_in_order() {
    let app = support::spawn_app_with_demo().await;
    let people = many_ready_newcomers(&app, 200).await;
    let activity = plan_walk(&app, 50).await;
    invite(&app, &activity.name, &people).await;
    let sent = invitations(&app, &activity.name, Rsvp::Unspecified).await;
    assert_eq!(sent.len(), 200);

    let mut calls = tokio::task::JoinSet::new();
    for invitation in sent {
        let client = buddy_app(&app, &app.participant(invitee(&invitation)));
        calls.spawn(async move {
            let request = RespondToInvitationRequest {
                invitation: invitation.name.clone(),
                rsvp: Rsvp::Yes as i32,
                request_id: request_id(),
                ..Default::default()
            };
            support::resent(|| {
                let (mut client, request) = (client.clone(), request.clone());
                async move { client.respond_to_invitation(request).await }
            })
            .await
            .map(|r| r.into_inner().invitation.unwrap())
        });
    }
    let mut answers = Vec::new();
    while let Some(done) = calls.join_next().await {
        answers.push(done.unwrap().expect("a YES is never an error, full or not"));
    }

    let seated: Vec<_> = answers.iter().filter(|a| a.rsvp == Rsvp::Yes as i32).collect();
    let waiting: Vec<_> = answers
        .iter()
        .filter(|a| a.rsvp == Rsvp::Waitlisted as i32)
        .collect();
    assert_eq!((seated.len(), waiting.len()), (50, 150));
    let mut positions: Vec<i32> = waiting.iter().map(|a| a.waitlist_position).collect();
    positions.sort_unstable();
    assert_eq!(
        positions,
        (1..=150).collect::<Vec<_>>(),
        "each arrival its own place"
    );
    let listed = invitations(&app, &activity.name, Rsvp::Waitlisted).await;
    let answered_at: HashMap<&str, i32> = waiting
        .iter()
        .map(|a| (a.name.as_str(), a.waitlist_position))
        .collect();
    for (i, w) in listed.iter().enumerate() {
        assert_eq!(w.waitlist_position, i as i32 + 1);
        assert_eq!(
            answered_at[w.name.as_str()],
            w.waitlist_position,
            "the order of arrival holds"
        );
    }
    let now = get_activity(&app, &activity.name).await;
    assert_eq!(
        (now.seats_taken, now.yes_count, now.waitlist_count),
        (50, 50, 150)
    );
    let seats: i64 = sqlx::query_scalar("SELECT sum(seats) FROM invitations WHERE rsvp = 'yes'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(seats, 50);

    // One seated participant cancels: the first waiting gets the seat and is told.
    let leaving = seated[0];
    let cancelled = answer(&app, invitee(leaving), &leaving.name, Rsvp::No, 0)
        .await
        .unwrap();
    assert_eq!(cancelled.rsvp, Rsvp::No as i32);
    let first = &listed[0];
    let seated_now = coordinator(&app)
        .get_invitation(GetInvitationRequest {
            name: first.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .invitation
        .unwrap();
    assert_eq!(
        (seated_now.rsvp, seated_now.waitlist_position),
        (Rsvp::Yes as i32, 0)
    );
    let second = coordinator(&app)
        .get_invitation(GetInvitationRequest {
            name: listed[1].name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .invitation
        .unwrap();
    assert_eq!(second.waitlist_position, 1, "everyone moves up");
    // Found wherever the workers delivered it among the person's two notifications.
    let inbox = inbox_of(&app, &app.participant(invitee(first)), 2).await;
    let given = subjects_of_kind(&inbox, NotificationKind::SeatGiven as i32);
    assert_eq!(given, [first.name.as_str()], "told of the seat once");
    let now = get_activity(&app, &activity.name).await;
    assert_eq!((now.seats_taken, now.waitlist_count), (50, 149));
    assert_eq!(
        event_states(&app, &first.name).await,
        [
            step("", "pending"),
            step("pending", "waitlisted"),
            step("waitlisted", "yes")
        ]
    );
}

#[tokio::test]
async fn guests_take_seats_and_a_party_that_does_not_fit_waits_without_being_overtaken() {
    let app = support::spawn_app_with_demo().await;
    let people = many_ready_newcomers(&app, 3).await;
    let mut three_seats = walk(time::OffsetDateTime::now_utc() + time::Duration::days(3), 3);
    three_seats.max_guests_per_invitation = 1;
    let activity = plan(&app, three_seats).await;
    invite(&app, &activity.name, &people).await;
    let sent = invitations(&app, &activity.name, Rsvp::Unspecified).await;
    let (a, b, c) = (&sent[0], &sent[1], &sent[2]);

    let too_many = answer(&app, invitee(a), &a.name, Rsvp::Yes, 2).await.unwrap_err();
    let with_guest = answer(&app, invitee(a), &a.name, Rsvp::Yes, 1).await.unwrap();
    let pair_left_out = answer(&app, invitee(b), &b.name, Rsvp::Yes, 1).await.unwrap();
    let alone_behind = answer(&app, invitee(c), &c.name, Rsvp::Yes, 0).await.unwrap();

    assert_eq!(too_many.code(), Code::FailedPrecondition);
    assert_eq!(reason(&too_many), "TOO_MANY_GUESTS");
    assert_eq!((with_guest.rsvp, with_guest.guests), (Rsvp::Yes as i32, 1));
    assert_eq!(
        (pair_left_out.rsvp, pair_left_out.waitlist_position),
        (Rsvp::Waitlisted as i32, 1),
        "two seats asked for, one left: none taken"
    );
    assert_eq!(
        (alone_behind.rsvp, alone_behind.waitlist_position),
        (Rsvp::Waitlisted as i32, 2),
        "nobody overtakes the waitlist"
    );
    assert_eq!(get_activity(&app, &activity.name).await.seats_taken, 2);
    // The party of two leaves the waitlist: the one behind fits and gets the seat.
    answer(&app, invitee(b), &b.name, Rsvp::No, 0).await.unwrap();
    let seated = invitations(&app, &activity.name, Rsvp::Yes).await;
    assert_eq!(seated.len(), 2);
    assert_eq!(get_activity(&app, &activity.name).await.seats_taken, 3);
}

#[tokio::test]
async fn an_activity_with_bad_fields_is_refused_naming_every_one_and_nothing_is_written() {
    let app = support::spawn_app_with_demo().await;
    let start = time::OffsetDateTime::now_utc() + time::Duration::days(2);
    let bad = Activity {
        kind: 0,
        title: String::new(),
        start_time: ts(start),
        end_time: ts(start - time::Duration::hours(1)),
        location: "x".repeat(201),
        district: "municipalities/stockholm/districts/rinkeby-kista".into(),
        capacity: -1,
        max_guests_per_invitation: 11,
        language_codes: vec!["xx-not-a-language".into()],
        interests: vec!["chapters/stockholm/interests/chess".into()],
        ..Default::default()
    };

    let status = coordinator(&app)
        .create_activity(CreateActivityRequest {
            parent: CHAPTER.into(),
            activity: Some(bad),
            request_id: "not-a-uuid".into(),
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    let mut fields = bad_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        [
            "activity.capacity",
            "activity.end_time",
            "activity.interests[0]",
            "activity.kind",
            "activity.language_codes[0]",
            "activity.location",
            "activity.max_guests_per_invitation",
            "activity.title",
            "request_id",
        ]
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM activities")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn a_district_outside_the_chapter_is_refused_and_another_chapters_activity_is_not_found() {
    let app = support::spawn_app_with_demo().await;
    let mut elsewhere = walk(time::OffsetDateTime::now_utc() + time::Duration::days(2), 5);
    elsewhere.district = "municipalities/stockholm/districts/rinkeby-kista".into();
    let status = coordinator(&app)
        .create_activity(CreateActivityRequest {
            parent: CHAPTER.into(),
            activity: Some(elsewhere),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&status), ["activity.district"]);

    let activity = plan_walk(&app, 5).await;
    let other_coordinator = activities(&app, &app.coordinator("stockholm"));
    let theirs = other_coordinator
        .clone()
        .get_activity(GetActivityRequest {
            name: activity.name.clone(),
        })
        .await
        .unwrap_err();
    let missing_name = format!("{CHAPTER}/activities/{}", uuid::Uuid::now_v7());
    let missing = coordinator(&app)
        .get_activity(GetActivityRequest { name: missing_name })
        .await
        .unwrap_err();
    assert_eq!((theirs.code(), missing.code()), (Code::NotFound, Code::NotFound));
}

#[tokio::test]
async fn updating_and_cancelling_tell_those_invited_and_close_the_answers() {
    let app = support::spawn_app_with_demo().await;
    let people = many_ready_newcomers(&app, 2).await;
    let activity = plan_walk(&app, 10).await;
    invite(&app, &activity.name, &people).await;
    let sent = invitations(&app, &activity.name, Rsvp::Unspecified).await;
    let token = app.participant(invitee(&sent[0]));

    let mut changed = activity.clone();
    changed.location = "Alby library".into();
    let updated = coordinator(&app)
        .update_activity(UpdateActivityRequest {
            activity: Some(changed),
            update_mask: mask(&["location"]),
        })
        .await
        .unwrap()
        .into_inner()
        .activity
        .unwrap();
    assert_eq!(updated.location, "Alby library");
    // The inbox lists in the order the workers delivered: two notifications written
    // moments apart can arrive in either order, so the kinds are compared as a set.
    let kinds = |inbox: Vec<Notification>| {
        let mut kinds: Vec<i32> = inbox.into_iter().map(|n| n.kind).collect();
        kinds.sort_unstable();
        kinds
    };
    assert_eq!(
        kinds(inbox_of(&app, &token, 2).await),
        [
            NotificationKind::InvitationReceived as i32,
            NotificationKind::ActivityUpdated as i32
        ]
    );

    let cancelled = coordinator(&app)
        .cancel_activity(CancelActivityRequest {
            name: activity.name.clone(),
            reason: "Storm warning".into(),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .activity
        .unwrap();
    assert_eq!(cancelled.state, ActivityState::Cancelled as i32);
    assert_eq!(cancelled.cancel_reason, "Storm warning");
    assert_eq!(
        kinds(inbox_of(&app, &token, 3).await),
        [
            NotificationKind::InvitationReceived as i32,
            NotificationKind::ActivityUpdated as i32,
            NotificationKind::ActivityCancelled as i32
        ]
    );

    let closed = answer(&app, invitee(&sent[0]), &sent[0].name, Rsvp::Yes, 0)
        .await
        .unwrap_err();
    assert_eq!(closed.code(), Code::FailedPrecondition);
    assert_eq!(reason(&closed), "ACTIVITY_CLOSED");
    let again = coordinator(&app)
        .cancel_activity(CancelActivityRequest {
            name: activity.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(
        event_states(&app, &activity.name).await,
        [
            step("", "planned"),
            step("planned", "planned"),
            step("planned", "cancelled")
        ]
    );
}

#[tokio::test]
async fn someone_elses_invitation_is_not_found_for_a_participant() {
    let app = support::spawn_app_with_demo().await;
    let people = many_ready_newcomers(&app, 2).await;
    let activity = plan_walk(&app, 10).await;
    invite(&app, &activity.name, &people[..1]).await;
    let sent = invitations(&app, &activity.name, Rsvp::Unspecified).await;

    let theirs = answer(&app, people[1], &sent[0].name, Rsvp::Yes, 0)
        .await
        .unwrap_err();
    let missing_name = format!("{}/invitations/{}", activity.name, uuid::Uuid::now_v7());
    let missing = answer(&app, people[1], &missing_name, Rsvp::Yes, 0)
        .await
        .unwrap_err();

    assert_eq!((theirs.code(), missing.code()), (Code::NotFound, Code::NotFound));
    assert_eq!(get_activity(&app, &activity.name).await.seats_taken, 0);
}

#[tokio::test]
async fn a_reminder_reaches_those_with_a_seat_a_day_before_and_attendance_is_recorded_after() {
    let start = time::macros::datetime!(2026-03-10 08:00 UTC);
    let app = support::spawn_app_with_clock(start).await;
    let people = many_ready_newcomers(&app, 2).await;
    let activity = plan(&app, walk(start + time::Duration::days(3), 10)).await;
    invite(&app, &activity.name, &people).await;
    let sent = invitations(&app, &activity.name, Rsvp::Unspecified).await;
    let (coming, declining) = (&sent[0], &sent[1]);
    answer(&app, invitee(coming), &coming.name, Rsvp::Yes, 0)
        .await
        .unwrap();
    answer(&app, invitee(declining), &declining.name, Rsvp::No, 0)
        .await
        .unwrap();

    // The chapter's schedule: 24 hours before.
    app.clock()
        .advance(time::Duration::days(2) + time::Duration::minutes(1));
    let inbox = inbox_of(&app, &app.participant(invitee(coming)), 2).await;
    let reminded = subjects_of_kind(&inbox, NotificationKind::ActivityReminder as i32);
    assert_eq!(reminded, [coming.name.as_str()], "reminded once");
    eventually("the activity is marked reminded", || async {
        let reminded: Option<time::OffsetDateTime> =
            sqlx::query_scalar("SELECT reminded_time FROM activities")
                .fetch_one(app.pool())
                .await
                .unwrap();
        reminded.map(|_| ())
    })
    .await;
    let reminders: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notifications WHERE kind = 'activity_reminder'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(reminders, 1, "only the one with a seat, once");

    let record = |attendance: Attendance| RecordAttendanceRequest {
        activity: activity.name.clone(),
        records: vec![AttendanceRecord {
            invitation: coming.name.clone(),
            attendance: attendance as i32,
        }],
        guest_count: 4,
        request_id: request_id(),
    };
    let early = coordinator(&app)
        .record_attendance(record(Attendance::Attended))
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition, "not before it starts");
    app.clock().advance(time::Duration::days(1));
    let done = coordinator(&app)
        .record_attendance(record(Attendance::Attended))
        .await
        .unwrap()
        .into_inner()
        .activity
        .unwrap();
    assert_eq!(
        (done.state, done.attended_count, done.guest_count),
        (ActivityState::Completed as i32, 1, 4)
    );
    let corrected = coordinator(&app)
        .record_attendance(record(Attendance::Absent))
        .await
        .unwrap()
        .into_inner()
        .activity
        .unwrap();
    assert_eq!(corrected.attended_count, 0);
    assert_eq!(
        event_states(&app, &activity.name).await,
        [
            step("", "planned"),
            step("planned", "completed"),
            step("completed", "completed")
        ]
    );
}

#[tokio::test]
async fn the_chapters_reminder_schedule_is_set_by_administrators_and_followed() {
    use kompis_proto::v1::admin_service_client::AdminServiceClient;
    let start = time::macros::datetime!(2026-03-10 08:00 UTC);
    let app = support::spawn_app_with_clock(start).await;
    let mut admin = AdminServiceClient::new(support::authed(app.channel(), &app.administrator()));
    let set = |hours: Option<i32>| UpdateChapterRequest {
        chapter: Some(Chapter {
            name: CHAPTER.into(),
            activity_reminder_hours: hours,
            ..Default::default()
        }),
        update_mask: mask(&["activityReminderHours"]),
    };
    for bad in [Some(400), Some(-1), None] {
        let refused = admin.update_chapter(set(bad)).await.unwrap_err();
        assert_eq!(
            bad_fields(&refused),
            ["chapter.activity_reminder_hours"],
            "{bad:?}"
        );
    }
    let updated = admin
        .update_chapter(set(Some(48)))
        .await
        .unwrap()
        .into_inner()
        .chapter
        .unwrap();
    assert_eq!(updated.activity_reminder_hours, Some(48));
    assert_eq!(
        updated.display_name, "Kompis Botkyrka",
        "only the named field changes"
    );

    let people = many_ready_newcomers(&app, 1).await;
    let activity = plan(&app, walk(start + time::Duration::days(3), 10)).await;
    invite(&app, &activity.name, &people).await;
    let sent = invitations(&app, &activity.name, Rsvp::Unspecified).await;
    answer(&app, invitee(&sent[0]), &sent[0].name, Rsvp::Yes, 0)
        .await
        .unwrap();
    // 48 hours before the start is a day and a minute from now; the default 24 hours
    // would still be a day away.
    app.clock()
        .advance(time::Duration::days(1) + time::Duration::minutes(1));
    // The invitation and the reminder, in whichever order the workers delivered them.
    let inbox = inbox_of(&app, &app.participant(invitee(&sent[0])), 2).await;
    let reminder = inbox
        .iter()
        .find(|n| n.kind == NotificationKind::ActivityReminder as i32)
        .expect("the reminder is in the inbox");
    assert_eq!(reminder.subject, sent[0].name);
}

/// What an invitation to `activity` writes: invitations, their events, invitation
/// notifications, and idempotency keys (only calls write those; the worker running
/// beside the test writes none of these).
async fn written_rows(app: &support::TestApp, activity: &str) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM invitations),
                (SELECT count(*) FROM events WHERE subject LIKE $1 || '/%'),
                (SELECT count(*) FROM notifications WHERE kind = 'invitation_received'),
                (SELECT count(*) FROM idempotency_keys)",
    )
    .bind(activity)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn validating_an_invitation_counts_the_audience_and_writes_nothing() {
    let app = support::spawn_app_with_demo().await;
    let ready = many_ready_newcomers(&app, 3).await;
    let (_applicant, _) = participant(&app, 1).await;
    let activity = plan_walk(&app, 10).await;
    let audience = InvitationAudience {
        states: vec![ParticipantState::Ready as i32],
        interests: vec!["chapters/botkyrka/interests/fika".into()],
        language_codes: vec!["ar".into()],
        ..Default::default()
    };
    let key = request_id();
    let request = |validate_only| InviteParticipantsRequest {
        activity: activity.name.clone(),
        audience: Some(audience.clone()),
        request_id: key.clone(),
        validate_only,
        ..Default::default()
    };
    let before = written_rows(&app, &activity.name).await;

    let counted = coordinator(&app)
        .invite_participants(request(true))
        .await
        .unwrap()
        .into_inner();

    assert_eq!((counted.created_count, counted.already_invited_count), (3, 0));
    assert_eq!(
        written_rows(&app, &activity.name).await,
        before,
        "nothing is written"
    );
    assert!(
        invitations(&app, &activity.name, Rsvp::Unspecified)
            .await
            .is_empty()
    );
    assert_eq!(get_activity(&app, &activity.name).await.invited_count, 0);
    // The same request id then sends for real: the count kept no record of it.
    let sent = coordinator(&app)
        .invite_participants(request(false))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((sent.created_count, sent.already_invited_count), (3, 0));
    let invited: HashSet<_> = invitations(&app, &activity.name, Rsvp::Unspecified)
        .await
        .iter()
        .map(invitee)
        .collect();
    assert_eq!(invited, ready.iter().copied().collect::<HashSet<_>>());
    // Counted again, everyone selected is already invited.
    let after = written_rows(&app, &activity.name).await;
    let again = coordinator(&app)
        .invite_participants(InviteParticipantsRequest {
            request_id: request_id(),
            ..request(true)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((again.created_count, again.already_invited_count), (0, 3));
    assert_eq!(written_rows(&app, &activity.name).await, after);
}

#[tokio::test]
async fn validating_an_invitation_to_a_cancelled_or_unknown_activity_is_refused_like_sending() {
    let app = support::spawn_app_with_demo().await;
    let audience = InvitationAudience {
        states: vec![ParticipantState::Ready as i32],
        ..Default::default()
    };
    let activity = plan_walk(&app, 10).await;
    coordinator(&app)
        .cancel_activity(CancelActivityRequest {
            name: activity.name.clone(),
            reason: "Storm warning".into(),
            request_id: request_id(),
        })
        .await
        .unwrap();
    let validate = |name: String| InviteParticipantsRequest {
        activity: name,
        audience: Some(audience.clone()),
        validate_only: true,
        ..Default::default()
    };

    let closed = coordinator(&app)
        .invite_participants(validate(activity.name.clone()))
        .await
        .unwrap_err();
    let missing = coordinator(&app)
        .invite_participants(validate(
            "chapters/botkyrka/activities/0190b1a2-0000-7000-8000-000000000000".into(),
        ))
        .await
        .unwrap_err();

    assert_eq!(closed.code(), Code::FailedPrecondition);
    assert_eq!(reason(&closed), "ACTIVITY_CLOSED");
    assert_eq!(missing.code(), Code::NotFound);
}
