//! Following matches: check-ins on the chapter's schedule fired once by the worker,
//! answered in the app and by coordinators, each match's follow-up status and its
//! filter, concerns seen by coordinators only, a participant ending their own match,
//! rematching at the original place in the queue, the end of the period with its
//! closing question, and the engine rules administrators set.

use std::time::Duration;

use kompis_proto::v1::report_service_client::ReportServiceClient;
use kompis_proto::v1::*;
use tonic::Code;

use crate::fixtures::matching::{
    accept_by_phone, accepted, get_match, matching, propose, ready_newcomer, ready_resident, token_of,
};
use crate::fixtures::notifications::id_of;
use crate::fixtures::participants::{ALBY, CHAPTER, TUMBA, buddy_app, participants, request_id};
use crate::support::{self, TestApp, authed, bad_fields, eventually, reason};

const PROGRAMME: &str = "chapters/botkyrka/matchingProgramme";

fn time_of(t: &Option<prost_types::Timestamp>) -> time::OffsetDateTime {
    let t = t.as_ref().expect("a time");
    time::OffsetDateTime::from_unix_timestamp(t.seconds).unwrap()
        + time::Duration::nanoseconds(t.nanos.into())
}

fn ts(t: time::OffsetDateTime) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: t.unix_timestamp(),
        nanos: t.nanosecond() as i32,
    })
}

/// Sets the demo chapter's programme: `check_in_days`, `period_months`, defaults
/// otherwise.
async fn set_programme(app: &TestApp, check_in_days: &[i32], period_months: i32) -> MatchingProgramme {
    matching(app, &app.administrator())
        .update_matching_programme(UpdateMatchingProgrammeRequest {
            matching_programme: Some(MatchingProgramme {
                name: PROGRAMME.into(),
                proposal_deadline_days: 7,
                auto_offer_next: false,
                check_in_days: check_in_days.to_vec(),
                period_months,
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .matching_programme
        .unwrap()
}

/// A newcomer and a resident (capacity 1) of Alby matched and accepted by both;
/// returns (newcomer, resident, match).
async fn accepted_pair(app: &TestApp, n: u32) -> (Participant, Participant, Match) {
    let newcomer = ready_newcomer(app, n, ALBY).await;
    let resident = ready_resident(app, n, ALBY, 1).await;
    let m = accepted(app, &newcomer.name, &resident.name).await;
    assert_eq!(m.state, MatchState::Accepted as i32);
    (newcomer, resident, m)
}

/// The match once the worker has scheduled its check-ins (its period end is known).
async fn scheduled(app: &TestApp, name: &str) -> Match {
    eventually("the match's check-ins to be scheduled", || async {
        let m = get_match(app, name).await;
        m.follow_up
            .as_ref()
            .is_some_and(|f| f.period_end_time.is_some())
            .then_some(m)
    })
    .await
}

fn follow_up(m: &Match) -> MatchFollowUp {
    m.follow_up.expect("a follow-up")
}

/// Notifications stored for `subject` with `template`.
async fn notifications_with(app: &TestApp, subject: &str, template: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM notifications WHERE subject = $1 AND template = $2")
        .bind(subject)
        .bind(template)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

async fn check_in(
    app: &TestApp,
    token: &str,
    m: &str,
    answer: CheckInAnswer,
    concern: &str,
) -> Result<CheckIn, tonic::Status> {
    buddy_app(app, token)
        .check_in(CheckInRequest {
            r#match: m.into(),
            answer: answer as i32,
            concern: concern.into(),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().check_in.unwrap())
}

async fn record_check_in(app: &TestApp, m: &str, answer: CheckInAnswer) -> Result<CheckIn, tonic::Status> {
    matching(app, &app.coordinator("botkyrka"))
        .record_check_in(RecordCheckInRequest {
            parent: m.into(),
            check_in: Some(CheckIn {
                answer: answer as i32,
                health: MatchHealth::Good as i32,
                note: "Called them both; all well.".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .map(|r| r.into_inner().check_in.unwrap())
}

async fn check_ins_of(app: &TestApp, parent: &str) -> Vec<CheckIn> {
    matching(app, &app.coordinator("botkyrka"))
        .list_check_ins(ListCheckInsRequest {
            parent: parent.into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .check_ins
}

/// The names of the chapter's matches with one of `statuses`.
async fn matches_with(app: &TestApp, statuses: &[FollowUpStatus]) -> Vec<String> {
    matching(app, &app.coordinator("botkyrka"))
        .list_matches(ListMatchesRequest {
            parent: CHAPTER.into(),
            follow_up_statuses: statuses.iter().map(|s| *s as i32).collect(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .matches
        .into_iter()
        .map(|m| m.name)
        .collect()
}

/// The participant's notifications about `subject`, newest first.
async fn inbox_about(app: &TestApp, token: &str, subject: &str) -> Vec<Notification> {
    buddy_app(app, token)
        .list_my_notifications(ListMyNotificationsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .notifications
        .into_iter()
        .filter(|n| n.subject == subject)
        .collect()
}

/// Waits until the participant has `n` notifications of `kind` about `subject`.
async fn delivered(
    app: &TestApp,
    token: &str,
    subject: &str,
    kind: NotificationKind,
    n: usize,
) -> Vec<Notification> {
    eventually(&format!("{n} notifications of {kind:?}"), || async {
        let found = inbox_about(app, token, subject).await;
        let count = found.iter().filter(|x| x.kind == kind as i32).count();
        (count >= n).then_some(found)
    })
    .await
}

async fn my_buddies(app: &TestApp, token: &str) -> Vec<MyBuddy> {
    buddy_app(app, token)
        .get_my_buddy(GetMyBuddyRequest {})
        .await
        .unwrap()
        .into_inner()
        .buddies
}

/// (name, position) of the chapter's waiting newcomers, first in the queue first.
async fn waiting_newcomers(app: &TestApp) -> Vec<(String, i32)> {
    participants(app, &app.coordinator("botkyrka"))
        .get_waiting_list(GetWaitingListRequest {
            chapter: CHAPTER.into(),
            role: ParticipantRole::Newcomer as i32,
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries
        .into_iter()
        .map(|e| (e.participant.unwrap().name, e.position))
        .collect()
}

#[tokio::test]
async fn check_ins_are_asked_on_the_chapters_schedule_once_each_with_two_workers() {
    let app = support::spawn_app_with_clock(time::OffsetDateTime::now_utc()).await;
    set_programme(&app, &[21, 35], 2).await;
    let (newcomer, resident, m) = accepted_pair(&app, 1).await;
    let accepted = time_of(&m.accept_time);
    // A second worker firing the same timers against the same database and clock.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let second = tokio::spawn(kompisd::worker::timers::run(
        kompis_store::Store::from_pool(app.pool().clone()),
        kompis_domain::Clock::from(app.clock().clone()),
        Duration::from_millis(20),
        async move {
            let _ = stop_rx.await;
        },
    ));
    let m = scheduled(&app, &m.name).await;
    assert_eq!(
        time_of(&follow_up(&m).next_check_in_time),
        accepted + time::Duration::days(21)
    );
    let period_end = time_of(&follow_up(&m).period_end_time);
    assert!(
        (59..=62).contains(&(period_end - accepted).whole_days()),
        "two months after acceptance"
    );
    let asked = || notifications_with(&app, &m.name, "check-in-requested");
    assert_eq!(asked().await, 0, "nothing is asked before day 21");

    app.clock()
        .set(accepted + time::Duration::days(21) + time::Duration::minutes(1));
    eventually("the day-21 check-in is asked of both", || async {
        (asked().await >= 2).then_some(())
    })
    .await;
    app.clock()
        .set(accepted + time::Duration::days(35) + time::Duration::minutes(1));
    eventually("the day-35 check-in is asked of both", || async {
        (asked().await >= 4).then_some(())
    })
    .await;
    // The period's end comes after many more ticks of both workers.
    app.clock().set(period_end + time::Duration::minutes(1));
    eventually("the match concludes", || async {
        (get_match(&app, &m.name).await.state == MatchState::Ended as i32).then_some(())
    })
    .await;
    let _ = stop_tx.send(());
    second.await.unwrap();

    assert_eq!(asked().await, 4, "each check-in asked once of each person");
    assert_eq!(notifications_with(&app, &m.name, "match-concluded").await, 2);
    for person in [&newcomer, &resident] {
        let token = token_of(&app, &person.name);
        delivered(&app, &token, &m.name, NotificationKind::MatchEnded, 1).await;
        let inbox = delivered(&app, &token, &m.name, NotificationKind::CheckInRequested, 3).await;
        let asked = inbox
            .iter()
            .filter(|n| n.kind == NotificationKind::CheckInRequested as i32)
            .count();
        assert_eq!(asked, 3, "two check-ins and the closing question");
    }
    let fired: Vec<(String, i32)> = sqlx::query_as(
        "SELECT kind, seq FROM follow_up_timers WHERE fire_time IS NOT NULL ORDER BY kind, seq",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(
        fired,
        [
            ("check_in".to_owned(), 1),
            ("check_in".to_owned(), 2),
            ("period_end".to_owned(), 0)
        ]
    );
}

#[tokio::test]
async fn check_ins_answered_in_the_app_and_by_a_coordinator_set_the_follow_up_status() {
    let app = support::spawn_app_with_clock(time::OffsetDateTime::now_utc()).await;
    set_programme(&app, &[21, 35], 6).await;
    let (newcomer, resident, m) = accepted_pair(&app, 1).await;
    let accepted = time_of(&m.accept_time);
    let m = scheduled(&app, &m.name).await;
    assert_eq!(follow_up(&m).status, FollowUpStatus::NotMetYet as i32);
    assert!(!follow_up(&m).met && !follow_up(&m).check_in_overdue && !follow_up(&m).concern_raised);
    assert_eq!(m.last_check_in_time, None);

    // Asked on day 21; nobody answers for more than 7 days.
    app.clock()
        .set(accepted + time::Duration::days(21) + time::Duration::minutes(1));
    eventually("the check-in is asked", || async {
        (notifications_with(&app, &m.name, "check-in-requested").await == 2).then_some(())
    })
    .await;
    assert_eq!(
        follow_up(&get_match(&app, &m.name).await).status,
        FollowUpStatus::NotMetYet as i32,
        "not overdue within 7 days"
    );
    app.clock().advance(time::Duration::days(8));
    let overdue = get_match(&app, &m.name).await;
    assert_eq!(follow_up(&overdue).status, FollowUpStatus::CheckInOverdue as i32);
    assert_eq!(
        time_of(&follow_up(&overdue).next_check_in_time),
        accepted + time::Duration::days(35)
    );
    assert_eq!(
        matches_with(&app, &[FollowUpStatus::CheckInOverdue]).await,
        std::slice::from_ref(&m.name)
    );
    assert!(matches_with(&app, &[FollowUpStatus::Met]).await.is_empty());

    // The newcomer answers in the app: not yet.
    let tn = token_of(&app, &newcomer.name);
    let mine = check_in(&app, &tn, &m.name, CheckInAnswer::NotYet, "")
        .await
        .unwrap();
    assert_eq!(mine.author, CheckInAuthor::Newcomer as i32);
    assert_eq!(mine.answer, CheckInAnswer::NotYet as i32);
    assert_eq!(mine.kind, CheckInKind::FollowUp as i32);
    assert!(mine.name.starts_with(&format!("{}/checkIns/", m.name)));
    let after_answer = get_match(&app, &m.name).await;
    assert_eq!(follow_up(&after_answer).status, FollowUpStatus::NotMetYet as i32);
    assert_eq!(after_answer.last_check_in_time, mine.create_time);
    assert_eq!(
        matches_with(&app, &[FollowUpStatus::NotMetYet]).await,
        std::slice::from_ref(&m.name)
    );

    // A day later the coordinator records that they met.
    app.clock().advance(time::Duration::days(1));
    let recorded = record_check_in(&app, &m.name, CheckInAnswer::Met).await.unwrap();
    assert_eq!(recorded.author, CheckInAuthor::Coordinator as i32);
    assert_eq!(recorded.author_account, "coordinator-botkyrka");
    let met = get_match(&app, &m.name).await;
    assert_eq!(follow_up(&met).status, FollowUpStatus::Met as i32);
    assert!(follow_up(&met).met);
    assert_eq!(met.last_check_in_time, recorded.create_time);
    assert_eq!(
        matches_with(&app, &[FollowUpStatus::Met]).await,
        std::slice::from_ref(&m.name)
    );
    assert!(
        matches_with(&app, &[FollowUpStatus::NotMetYet, FollowUpStatus::CheckInOverdue])
            .await
            .is_empty()
    );
    let since_recorded = matching(&app, &app.coordinator("botkyrka"))
        .list_matches(ListMatchesRequest {
            parent: CHAPTER.into(),
            no_check_in_since: recorded.create_time,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .matches;
    assert!(since_recorded.is_empty(), "checked in at that time");

    // Both check-ins, newest first, for the match and for the chapter.
    let listed = check_ins_of(&app, &m.name).await;
    assert_eq!(
        listed.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
        [recorded.name.clone(), mine.name.clone()]
    );
    assert_eq!(check_ins_of(&app, "chapters/botkyrka/matches/-").await, listed);

    // The match's history: its transitions and its check-ins.
    let history = ReportServiceClient::new(authed(app.channel(), &app.coordinator("botkyrka")))
        .list_events(ListEventsRequest {
            parent: CHAPTER.into(),
            subject: m.name.clone(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let kinds: Vec<i32> = history.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Match as i32,
            EventKind::Match as i32,
            EventKind::Match as i32,
            EventKind::CheckIn as i32,
            EventKind::CheckIn as i32
        ]
    );
    assert_eq!(history[3].subject, mine.name);

    // Bad check-ins, every field named; someone else's match is not found.
    let bad = buddy_app(&app, &tn)
        .check_in(CheckInRequest {
            r#match: m.name.clone(),
            meetings_since_last: 101,
            note: "x".repeat(501),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&bad), ["answer", "meetings_since_last", "note"]);
    let stranger = ready_newcomer(&app, 2, TUMBA).await;
    let status = check_in(
        &app,
        &token_of(&app, &stranger.name),
        &m.name,
        CheckInAnswer::Met,
        "",
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let _ = resident;
}

#[tokio::test]
async fn a_concern_is_seen_by_coordinators_and_never_by_the_buddy() {
    let app = support::spawn_app_with_demo().await;
    let (newcomer, resident, m) = accepted_pair(&app, 1).await;
    let (tn, tr) = (token_of(&app, &newcomer.name), token_of(&app, &resident.name));
    let concern = "He keeps asking about my residence permit";
    let raised = check_in(&app, &tn, &m.name, CheckInAnswer::Met, concern)
        .await
        .unwrap();
    assert_eq!(raised.concern, concern, "the author sees their own concern");

    let seen = get_match(&app, &m.name).await;
    assert_eq!(follow_up(&seen).status, FollowUpStatus::ConcernRaised as i32);
    assert!(follow_up(&seen).concern_raised && follow_up(&seen).met);
    assert_eq!(
        matches_with(&app, &[FollowUpStatus::ConcernRaised]).await,
        std::slice::from_ref(&m.name)
    );
    assert_eq!(check_ins_of(&app, &m.name).await[0].concern, concern);
    let reasons: Vec<String> = sqlx::query_scalar("SELECT reason FROM events WHERE subject = $1")
        .bind(&raised.name)
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert_eq!(reasons, ["concern raised"], "the event flags it, never copies it");

    // Nothing of it reaches the buddy: not their buddy view, not their inbox, and
    // MatchingService is closed to participants.
    let buddy_view = format!("{:?}", my_buddies(&app, &tr).await);
    assert!(!buddy_view.contains("residence"));
    let inbox = buddy_app(&app, &tr)
        .list_my_notifications(ListMyNotificationsRequest {
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!format!("{inbox:?}").contains("residence"));
    for token in [&tr, &tn] {
        let denied = matching(&app, token)
            .list_check_ins(ListCheckInsRequest {
                parent: m.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
    }

    // A coordinator's follow-up closes it.
    record_check_in(&app, &m.name, CheckInAnswer::Met).await.unwrap();
    let followed = get_match(&app, &m.name).await;
    assert_eq!(follow_up(&followed).status, FollowUpStatus::Met as i32);
    assert!(!follow_up(&followed).concern_raised);
}

#[tokio::test]
async fn a_participant_ends_their_own_match_and_the_buddy_goes_back_to_the_queue() {
    let app = support::spawn_app_with_demo().await;
    let (newcomer, resident, m) = accepted_pair(&app, 1).await;
    let waited_since = crate::fixtures::participants::get(&app, &newcomer.name)
        .await
        .waiting_since;
    let (tn, tr) = (token_of(&app, &newcomer.name), token_of(&app, &resident.name));
    let bad = buddy_app(&app, &tn)
        .end_my_match(EndMyMatchRequest {
            r#match: m.name.clone(),
            reason: MatchEndReason::Rematch as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&bad), ["reason"]);
    let bad = buddy_app(&app, &tn)
        .end_my_match(EndMyMatchRequest {
            r#match: m.name.clone(),
            reason: MatchEndReason::Other as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&bad), ["note"]);

    let ended = buddy_app(&app, &tn)
        .end_my_match(EndMyMatchRequest {
            r#match: m.name.clone(),
            reason: MatchEndReason::NotWorking as i32,
            note: "We never clicked".into(),
            ask_for_new_buddy: true,
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ended.state, ParticipantState::Ready as i32);
    assert_eq!(ended.waiting_since, waited_since, "the original place");
    assert_eq!(ended.queue_position, 1);

    // The coordinator sees who ended it and why.
    let seen = get_match(&app, &m.name).await;
    assert_eq!(seen.state, MatchState::Ended as i32);
    assert_eq!(seen.end_reason, MatchEndReason::NotWorking as i32);
    assert_eq!(seen.end_note, "We never clicked");
    assert_eq!(follow_up(&seen).ended_by, ParticipantRole::Newcomer as i32);
    let actor: String =
        sqlx::query_scalar("SELECT actor FROM events WHERE subject = $1 AND to_state = 'ended'")
            .bind(&m.name)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_ne!(actor, "coordinator-botkyrka");
    assert_ne!(actor, "system");

    // The buddy is told it ended, without the reason, has no buddy, and waits again.
    assert!(my_buddies(&app, &tr).await.is_empty());
    let inbox = delivered(&app, &tr, &m.name, NotificationKind::MatchEnded, 1).await;
    assert!(!format!("{inbox:?}").contains("clicked"));
    let r = crate::fixtures::participants::get(&app, &resident.name).await;
    assert_eq!(r.state, ParticipantState::Ready as i32);

    // The pair is never proposed again, unless overridden.
    let again = propose(&app, &newcomer.name, &resident.name, "")
        .await
        .unwrap_err();
    assert_eq!(reason(&again), "PAIR_EXCLUDED");
    let suggested = matching(&app, &app.coordinator("botkyrka"))
        .suggest_candidates(SuggestCandidatesRequest {
            participant: newcomer.name.clone(),
            max_candidates: 10,
        })
        .await
        .unwrap()
        .into_inner()
        .candidates;
    assert!(suggested.iter().all(|c| c.established_resident != resident.name));
    let overridden = propose(&app, &newcomer.name, &resident.name, "they asked to try again")
        .await
        .unwrap();
    assert_eq!(overridden.r#override.unwrap().reason, "they asked to try again");
}

#[tokio::test]
async fn a_participant_who_ends_their_match_without_asking_for_a_new_buddy_leaves() {
    let app = support::spawn_app_with_demo().await;
    let (newcomer, resident, m) = accepted_pair(&app, 1).await;
    let ended = buddy_app(&app, &token_of(&app, &resident.name))
        .end_my_match(EndMyMatchRequest {
            r#match: m.name.clone(),
            reason: MatchEndReason::MovedAway as i32,
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ended.state, ParticipantState::Ended as i32);
    assert_eq!((ended.queue_position, ended.waiting_since), (0, None));
    assert_eq!(
        follow_up(&get_match(&app, &m.name).await).ended_by,
        ParticipantRole::EstablishedResident as i32
    );
    let n = crate::fixtures::participants::get(&app, &newcomer.name).await;
    assert_eq!(n.state, ParticipantState::Ready as i32);
    assert!(my_buddies(&app, &token_of(&app, &newcomer.name)).await.is_empty());
}

#[tokio::test]
async fn a_resident_who_leaves_with_a_proposal_open_leaves_it_too() {
    let app = support::spawn_app_with_demo().await;
    // A resident with room for two: one accepted match and one proposal still open,
    // which the resident has already accepted.
    let first = ready_newcomer(&app, 1, ALBY).await;
    let second = ready_newcomer(&app, 2, ALBY).await;
    let resident = ready_resident(&app, 1, ALBY, 2).await;
    let m = accepted(&app, &first.name, &resident.name).await;
    let open = propose(&app, &second.name, &resident.name, "").await.unwrap();
    accept_by_phone(&app, &open.name, ParticipantRole::EstablishedResident)
        .await
        .unwrap();
    let waited_since = crate::fixtures::participants::get(&app, &second.name)
        .await
        .waiting_since;

    let ended = buddy_app(&app, &token_of(&app, &resident.name))
        .end_my_match(EndMyMatchRequest {
            r#match: m.name.clone(),
            reason: MatchEndReason::MovedAway as i32,
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ended.state, ParticipantState::Ended as i32);

    // The open proposal is withdrawn with the match's ending, not left to be accepted.
    let withdrawn = get_match(&app, &open.name).await;
    assert_eq!(withdrawn.state, MatchState::Declined as i32);
    assert_eq!(withdrawn.decline_cause, DeclineCause::Coordinator as i32);
    let refused = accept_by_phone(&app, &open.name, ParticipantRole::Newcomer)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    let tn = token_of(&app, &second.name);
    assert!(my_buddies(&app, &tn).await.is_empty());
    delivered(&app, &tn, &open.name, NotificationKind::MatchEnded, 1).await;
    // The newcomer keeps their place in the queue, and neither place stays taken.
    let n = crate::fixtures::participants::get(&app, &second.name).await;
    assert_eq!(n.state, ParticipantState::Ready as i32);
    assert_eq!(n.waiting_since, waited_since);
    let counts: Vec<i32> =
        sqlx::query_scalar("SELECT active_match_count FROM participants WHERE id = ANY($1) ORDER BY id")
            .bind([id_of(&second.name), id_of(&resident.name)].as_slice())
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(counts, [0, 0]);
    // Proposing the newcomer to someone else works at once.
    let other = ready_resident(&app, 2, ALBY, 1).await;
    propose(&app, &second.name, &other.name, "").await.unwrap();
}

#[tokio::test]
async fn a_rematch_puts_the_participant_back_at_their_original_place_in_the_queue() {
    let app = support::spawn_app_with_clock(time::OffsetDateTime::now_utc()).await;
    let (first, resident, m) = accepted_pair(&app, 1).await;
    let second = ready_newcomer(&app, 2, TUMBA).await;
    let third = ready_newcomer(&app, 3, TUMBA).await;
    let other_resident = ready_resident(&app, 4, ALBY, 1).await;
    assert_eq!(
        waiting_newcomers(&app).await,
        [(second.name.clone(), 1), (third.name.clone(), 2)]
    );
    app.clock().advance(time::Duration::days(30));

    let rematched = matching(&app, &app.coordinator("botkyrka"))
        .rematch_participant(RematchParticipantRequest {
            participant: first.name.clone(),
            reason: "They never managed to meet".into(),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    let p = rematched.participant.unwrap();
    assert_eq!(p.state, ParticipantState::Ready as i32);
    assert_eq!(p.waiting_since, first.waiting_since, "waiting since first ready");
    assert_eq!(
        waiting_newcomers(&app).await,
        [
            (first.name.clone(), 1),
            (second.name.clone(), 2),
            (third.name.clone(), 3)
        ]
    );
    let ended = rematched.ended_match.unwrap();
    assert_eq!(ended.name, m.name);
    assert_eq!(ended.end_reason, MatchEndReason::Rematch as i32);
    let candidates: Vec<String> = rematched
        .candidates
        .iter()
        .map(|c| c.established_resident.clone())
        .collect();
    assert_eq!(
        candidates,
        std::slice::from_ref(&other_resident.name),
        "never the same buddy again"
    );
    let r = crate::fixtures::participants::get(&app, &resident.name).await;
    assert_eq!(r.state, ParticipantState::Ready as i32);

    // Nothing left to end.
    let status = matching(&app, &app.coordinator("botkyrka"))
        .rematch_participant(RematchParticipantRequest {
            participant: first.name.clone(),
            reason: "again".into(),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "NO_LIVE_MATCH");
    let missing = matching(&app, &app.coordinator("botkyrka"))
        .rematch_participant(RematchParticipantRequest {
            participant: "chapters/botkyrka/people/x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&missing), ["participant", "reason"]);
}

#[tokio::test]
async fn a_rematch_may_start_the_wait_afresh() {
    let app = support::spawn_app_with_clock(time::OffsetDateTime::now_utc()).await;
    let (first, _, _) = accepted_pair(&app, 1).await;
    let second = ready_newcomer(&app, 2, TUMBA).await;
    app.clock().advance(time::Duration::days(30));
    let now = app.clock().now();
    let rematched = matching(&app, &app.coordinator("botkyrka"))
        .rematch_participant(RematchParticipantRequest {
            participant: first.name.clone(),
            reason: "Starts again after a long break".into(),
            reset_waiting_since: true,
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(time_of(&rematched.participant.unwrap().waiting_since), now);
    assert_eq!(
        waiting_newcomers(&app).await,
        [(second.name.clone(), 1), (first.name.clone(), 2)]
    );
}

#[tokio::test]
async fn the_end_of_the_period_concludes_the_match_with_a_closing_question() {
    let app = support::spawn_app_with_clock(time::OffsetDateTime::now_utc()).await;
    set_programme(&app, &[], 1).await;
    let (newcomer, resident, m) = accepted_pair(&app, 1).await;
    let accepted = time_of(&m.accept_time);
    let tn = token_of(&app, &newcomer.name);
    let early = buddy_app(&app, &tn)
        .check_in(CheckInRequest {
            r#match: m.name.clone(),
            answer: CheckInAnswer::Met as i32,
            kind: CheckInKind::Closing as i32,
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&early), "NO_LIVE_MATCH");
    let m = scheduled(&app, &m.name).await;
    let period_end = time_of(&follow_up(&m).period_end_time);
    assert!(
        (28..=31).contains(&(period_end - accepted).whole_days()),
        "one month"
    );
    assert_eq!(follow_up(&m).next_check_in_time, None, "no check-ins scheduled");

    app.clock().set(period_end + time::Duration::minutes(1));
    let concluded = eventually("the match concludes", || async {
        let m = get_match(&app, &m.name).await;
        (m.state == MatchState::Ended as i32).then_some(m)
    })
    .await;
    assert_eq!(concluded.end_reason, MatchEndReason::Completed as i32);
    assert_eq!(
        time_of(&concluded.end_time),
        period_end + time::Duration::minutes(1)
    );
    for person in [&newcomer, &resident] {
        let p = crate::fixtures::participants::get(&app, &person.name).await;
        assert_eq!(p.state, ParticipantState::Ended as i32);
        let token = token_of(&app, &person.name);
        delivered(&app, &token, &m.name, NotificationKind::MatchEnded, 1).await;
        let inbox = delivered(&app, &token, &m.name, NotificationKind::CheckInRequested, 1).await;
        let closing = inbox
            .iter()
            .find(|n| n.kind == NotificationKind::CheckInRequested as i32)
            .unwrap();
        assert_eq!(closing.title, "Er kompisperiod är slut");
    }

    let closing = buddy_app(&app, &tn)
        .check_in(CheckInRequest {
            r#match: m.name.clone(),
            answer: CheckInAnswer::Met as i32,
            health: MatchHealth::Good as i32,
            kind: CheckInKind::Closing as i32,
            meetings_since_last: 5,
            last_meeting_time: ts(period_end - time::Duration::days(3)),
            note: "We will keep meeting".into(),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .check_in
        .unwrap();
    assert_eq!(closing.kind, CheckInKind::Closing as i32);
    assert_eq!(closing.meetings_since_last, 5);
    let twice = check_in(&app, &tn, &m.name, CheckInAnswer::Met, "")
        .await
        .unwrap_err();
    assert_eq!(
        twice.code(),
        Code::FailedPrecondition,
        "a follow-up on an ended match"
    );
    let again = buddy_app(&app, &tn)
        .check_in(CheckInRequest {
            r#match: m.name.clone(),
            answer: CheckInAnswer::Met as i32,
            kind: CheckInKind::Closing as i32,
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&again), "ALREADY_ANSWERED");
    let listed = check_ins_of(&app, &m.name).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        follow_up(&get_match(&app, &m.name).await).status,
        FollowUpStatus::Met as i32
    );
}

#[tokio::test]
async fn administrators_set_the_engine_rules_and_the_next_suggestions_follow_them() {
    let app = support::spawn_app_with_demo().await;
    let newcomer = ready_newcomer(&app, 1, ALBY).await;
    let resident = ready_resident(&app, 1, ALBY, 1).await;
    let suggest = || async {
        matching(&app, &app.coordinator("botkyrka"))
            .suggest_candidates(SuggestCandidatesRequest {
                participant: newcomer.name.clone(),
                max_candidates: 5,
            })
            .await
            .unwrap()
            .into_inner()
            .candidates
    };
    let interests = |c: &Candidate| {
        c.score
            .as_ref()
            .unwrap()
            .criteria
            .iter()
            .find(|s| s.criterion == MatchCriterion::SharedInterests as i32)
            .unwrap()
            .score
    };
    let before = suggest().await;
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].established_resident, resident.name);
    // 2 of the 3 shared interests that give full points (in whole points of the weight).
    let share = interests(&before[0]);
    assert!((share - 2.0 / 3.0).abs() < 0.02, "2 of 3 shared: {share}");

    let defaults = matching(&app, &app.coordinator("botkyrka"))
        .get_matching_programme(GetMatchingProgrammeRequest {
            name: PROGRAMME.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .matching_programme
        .unwrap();
    assert_eq!(
        (
            defaults.min_common_slots,
            defaults.interests_for_full_score,
            defaults.age_gap_years,
            defaults.waiting_days_for_full_score
        ),
        (Some(1), Some(3), Some(30), Some(365))
    );

    let mut admin = matching(&app, &app.administrator());
    let update = |p: MatchingProgramme| UpdateMatchingProgrammeRequest {
        matching_programme: Some(MatchingProgramme {
            name: PROGRAMME.into(),
            proposal_deadline_days: 7,
            auto_offer_next: true,
            check_in_days: vec![21, 35, 91, 182],
            period_months: 6,
            ..p
        }),
    };
    let refused = admin
        .update_matching_programme(update(MatchingProgramme {
            min_common_slots: Some(22),
            interests_for_full_score: Some(0),
            age_gap_years: Some(101),
            waiting_days_for_full_score: Some(3651),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&refused),
        [
            "matching_programme.age_gap_years",
            "matching_programme.interests_for_full_score",
            "matching_programme.min_common_slots",
            "matching_programme.waiting_days_for_full_score"
        ]
    );

    let set = admin
        .update_matching_programme(update(MatchingProgramme {
            interests_for_full_score: Some(2),
            age_gap_years: Some(40),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .matching_programme
        .unwrap();
    assert_eq!(
        (
            set.min_common_slots,
            set.interests_for_full_score,
            set.age_gap_years
        ),
        (Some(1), Some(2), Some(40))
    );
    let after = suggest().await;
    assert_eq!(
        interests(&after[0]),
        1.0,
        "2 shared interests now give full points"
    );

    // Both share two free slots: asking for three leaves no candidate.
    admin
        .update_matching_programme(update(MatchingProgramme {
            min_common_slots: Some(3),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert!(suggest().await.is_empty());
    let refused = propose(&app, &newcomer.name, &resident.name, "")
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "NO_COMMON_TIME");
}

#[tokio::test]
async fn the_follow_up_methods_reveal_no_contact_details_and_check_callers() {
    let app = support::spawn_app_with_demo().await;
    let newcomer = ready_newcomer(&app, 1, ALBY).await;
    let resident = ready_resident(&app, 1, ALBY, 1).await;
    let (tn, tr) = (token_of(&app, &newcomer.name), token_of(&app, &resident.name));
    let their_phone = "+46702000001";
    let my_phone = "+46701000001";
    // A proposal nobody has accepted takes no check-in and cannot be ended in the app.
    let proposed = propose(&app, &newcomer.name, &resident.name, "").await.unwrap();
    let status = check_in(&app, &tn, &proposed.name, CheckInAnswer::Met, "")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(!status.message().contains(their_phone));
    let status = buddy_app(&app, &tn)
        .end_my_match(EndMyMatchRequest {
            r#match: proposed.name.clone(),
            reason: MatchEndReason::NotWorking as i32,
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);

    accept_by_phone(&app, &proposed.name, ParticipantRole::Newcomer)
        .await
        .unwrap();
    accept_by_phone(&app, &proposed.name, ParticipantRole::EstablishedResident)
        .await
        .unwrap();
    let answered = check_in(&app, &tn, &proposed.name, CheckInAnswer::Met, "")
        .await
        .unwrap();
    let shown = format!("{answered:?}");
    assert!(!shown.contains(their_phone) && !shown.contains(my_phone));

    // Participants cannot use the coordinators' methods.
    for token in [&tn, &tr] {
        let mut m = matching(&app, token);
        let denied = m
            .record_check_in(RecordCheckInRequest {
                parent: proposed.name.clone(),
                check_in: Some(CheckIn {
                    answer: CheckInAnswer::Met as i32,
                    ..Default::default()
                }),
                request_id: request_id(),
            })
            .await
            .unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
        let denied = m
            .rematch_participant(RematchParticipantRequest {
                participant: newcomer.name.clone(),
                reason: "mine".into(),
                request_id: request_id(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
    // Another chapter's coordinator finds nothing.
    let elsewhere = app.coordinator("stockholm");
    let hidden = matching(&app, &elsewhere)
        .list_check_ins(ListCheckInsRequest {
            parent: proposed.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    let hidden = matching(&app, &elsewhere)
        .rematch_participant(RematchParticipantRequest {
            participant: newcomer.name.clone(),
            reason: "not mine".into(),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);

    let ended = buddy_app(&app, &tr)
        .end_my_match(EndMyMatchRequest {
            r#match: proposed.name.clone(),
            reason: MatchEndReason::Concern as i32,
            note: "I did not feel safe".into(),
            ask_for_new_buddy: true,
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner();
    let shown = format!("{ended:?}");
    assert!(!shown.contains(their_phone) && !shown.contains(my_phone));
    let newcomer_inbox = format!(
        "{:?}",
        delivered(&app, &tn, &proposed.name, NotificationKind::MatchEnded, 1).await
    );
    assert!(
        !newcomer_inbox.contains("safe"),
        "the note stays with the coordinator"
    );
}
