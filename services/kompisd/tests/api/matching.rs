//! MatchingService and the buddy part of BuddyAppService: suggestions with the engine's
//! explanation, proposals and overrides, two-sided acceptance with contact details
//! released only then, declines and expired deadlines offering the next candidate, the
//! never-propose-again list, programme settings, and places that stay race-free under
//! concurrent proposals.

use std::time::Duration;

use kompis_proto::v1::*;
use tonic::Code;

use crate::fixtures::matching::{
    accept_by_phone, get_match, many_matchable_newcomers, matches_of, matching, propose, ready_newcomer,
    ready_resident, token_of,
};
use crate::fixtures::notifications::{id_of, inbox_of, next, open_stream};
use crate::fixtures::participants::{ALBY, CHAPTER, TUMBA, buddy_app, request_id};
use crate::support::{self, TestApp, bad_fields, eventually, reason};

async fn my_buddies(app: &TestApp, token: &str) -> Vec<MyBuddy> {
    buddy_app(app, token)
        .get_my_buddy(GetMyBuddyRequest {})
        .await
        .unwrap()
        .into_inner()
        .buddies
}

async fn answer(
    app: &TestApp,
    token: &str,
    m: &str,
    response: ProposalResponse,
    why: &str,
) -> Result<MyBuddy, tonic::Status> {
    buddy_app(app, token)
        .respond_to_proposal(RespondToProposalRequest {
            r#match: m.into(),
            response: response as i32,
            reason: why.into(),
            request_id: request_id(),
        })
        .await
        .map(|r| r.into_inner().buddy.unwrap())
}

async fn queue_position(app: &TestApp, token: &str) -> (i32, Option<prost_types::Timestamp>) {
    let a = buddy_app(app, token)
        .get_my_application(GetMyApplicationRequest {})
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();
    (a.queue_position, a.waiting_since)
}

/// The (from, to, reason) of the events of `subject`, oldest first.
async fn events_of(app: &TestApp, subject: &str) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT from_state, to_state, reason FROM events WHERE subject = $1 ORDER BY occur_time, id",
    )
    .bind(subject)
    .fetch_all(app.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_coordinator_gets_the_top_candidates_with_the_engines_explanation_and_proposes_one() {
    let app = support::spawn_app_with_demo().await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    let near = ready_resident(&app, 1, ALBY, 1).await;
    let farther = ready_resident(&app, 2, TUMBA, 1).await;

    let candidates = matching(&app, &app.coordinator("botkyrka"))
        .suggest_candidates(SuggestCandidatesRequest {
            participant: n.name.clone(),
            max_candidates: 5,
        })
        .await
        .unwrap()
        .into_inner()
        .candidates;

    let residents: Vec<&str> = candidates
        .iter()
        .map(|c| c.established_resident.as_str())
        .collect();
    assert_eq!(
        residents,
        [near.name.as_str(), farther.name.as_str()],
        "the closer resident first"
    );
    let score = candidates[0].score.as_ref().unwrap();
    assert!(score.total > candidates[1].score.as_ref().unwrap().total);
    let interests = score
        .criteria
        .iter()
        .find(|c| c.criterion == MatchCriterion::SharedInterests as i32)
        .expect("shared interests are explained");
    assert!(
        interests.explanation.contains("fika"),
        "{}",
        interests.explanation
    );
    assert!(interests.score > 0.0 && interests.weight > 0);

    let m = propose(&app, &n.name, &near.name, "").await.unwrap();
    assert_eq!(m.state, MatchState::Proposed as i32);
    assert!(m.score.is_some() && m.r#override.is_none());
    let deadline = m.deadline_time.unwrap().seconds - m.create_time.unwrap().seconds;
    assert_eq!(deadline, 7 * 86_400, "the default answer deadline is 7 days");
    assert_eq!(events_of(&app, &m.name).await[0].1, "proposed");
    // The proposed pair holds both places: the newcomer is no longer a candidate.
    let again = propose(&app, &n.name, &farther.name, "").await.unwrap_err();
    assert_eq!(
        (again.code(), reason(&again)),
        (Code::FailedPrecondition, "ALREADY_MATCHED".into())
    );
}

#[tokio::test]
async fn a_proposal_reaches_both_peoples_notification_streams() {
    let app = support::spawn_app_with_demo().await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    let r = ready_resident(&app, 1, ALBY, 1).await;
    let (tn, tr) = (token_of(&app, &n.name), token_of(&app, &r.name));
    let mut streams = [open_stream(&app, &tn, "").await, open_stream(&app, &tr, "").await];

    let m = propose(&app, &n.name, &r.name, "").await.unwrap();

    for stream in &mut streams {
        let got = next(stream).await;
        assert_eq!(got.kind, NotificationKind::BuddyProposed as i32);
        assert_eq!(got.subject, m.name);
    }
}

#[tokio::test]
async fn contact_details_are_visible_to_neither_side_before_both_have_accepted() {
    let app = support::spawn_app_with_demo().await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    let r = ready_resident(&app, 1, ALBY, 1).await;
    let (tn, tr) = (token_of(&app, &n.name), token_of(&app, &r.name));
    let secrets_of = |p: &Participant| {
        let c = p.contact.clone().unwrap();
        let name = p.person_name.clone().unwrap();
        [c.phone, c.email, name.family_name]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
    };
    let (n_secrets, r_secrets) = (secrets_of(&n), secrets_of(&r));
    let m = propose(&app, &n.name, &r.name, "").await.unwrap();

    // Everything each side can read in the app, after each step before both accepted.
    let everything = async |token: &str| {
        let mut app_client = buddy_app(&app, token);
        let mut seen = String::new();
        seen += &format!(
            "{:?}",
            app_client.get_my_buddy(GetMyBuddyRequest {}).await.unwrap()
        );
        seen += &format!(
            "{:?}",
            app_client
                .get_my_application(GetMyApplicationRequest {})
                .await
                .unwrap()
        );
        let inbox = app_client
            .list_my_notifications(ListMyNotificationsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .notifications;
        for item in &inbox {
            seen += &format!(
                "{:?}",
                app_client
                    .get_notification(GetNotificationRequest {
                        name: item.name.clone()
                    })
                    .await
                    .unwrap()
            );
        }
        seen
    };
    let check = |seen: &str, secrets: &[String], when: &str| {
        for s in secrets {
            assert!(!seen.contains(s.as_str()), "{s} was visible {when}");
        }
    };
    inbox_of(&app, &tn, 1).await;
    inbox_of(&app, &tr, 1).await;
    check(
        &everything(&tn).await,
        &r_secrets,
        "to the newcomer once proposed",
    );
    check(
        &everything(&tr).await,
        &n_secrets,
        "to the resident once proposed",
    );
    for b in my_buddies(&app, &tn)
        .await
        .into_iter()
        .chain(my_buddies(&app, &tr).await)
    {
        assert!(b.buddy.unwrap().contact.is_none());
    }

    let after_one = answer(&app, &tn, &m.name, ProposalResponse::Accepted, "")
        .await
        .unwrap();
    assert!(after_one.buddy.as_ref().unwrap().contact.is_none());
    check(
        &format!("{after_one:?}"),
        &r_secrets,
        "in the newcomer's own acceptance",
    );
    check(
        &everything(&tn).await,
        &r_secrets,
        "to the newcomer after accepting alone",
    );
    check(
        &everything(&tr).await,
        &n_secrets,
        "to the resident after the newcomer accepted",
    );

    let both = answer(&app, &tr, &m.name, ProposalResponse::Accepted, "")
        .await
        .unwrap();
    assert_eq!(both.state, MatchState::Accepted as i32);
    assert_eq!(
        both.buddy.unwrap().contact.unwrap().phone,
        n.contact.clone().unwrap().phone
    );
    let newcomer_view = my_buddies(&app, &tn).await;
    assert_eq!(
        newcomer_view[0]
            .buddy
            .as_ref()
            .unwrap()
            .contact
            .as_ref()
            .unwrap()
            .phone,
        r.contact.unwrap().phone
    );
    let agreed = get_match(&app, &m.name).await;
    assert_eq!(
        agreed.newcomer_agreement.unwrap().channel,
        AgreementChannel::App as i32,
        "an acceptance in the app is recorded as such"
    );
}

#[tokio::test]
async fn a_proposed_buddy_is_shown_by_first_name_district_and_only_what_the_two_share() {
    let app = support::spawn_app_with_demo().await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    let r = ready_resident(&app, 1, TUMBA, 1).await;
    propose(&app, &n.name, &r.name, "").await.unwrap();

    let seen = my_buddies(&app, &token_of(&app, &n.name)).await;

    assert_eq!(seen.len(), 1);
    let buddy = seen[0].buddy.clone().unwrap();
    assert_eq!(buddy.display_name, "Erik 1");
    assert_eq!(buddy.district_display_name, "Tumba");
    assert_eq!(buddy.shared_languages, ["ar"]);
    let mut interests = buddy.shared_interests.clone();
    interests.sort();
    assert_eq!(interests.len(), 2, "fika and football: {interests:?}");
    assert!(buddy.contact.is_none());
    assert!(seen[0].deadline_time.is_some());
    assert_eq!(seen[0].my_response, ProposalResponse::Pending as i32);
}

#[tokio::test]
async fn my_buddy_shows_each_side_the_view_its_answer_to_the_proposal_gave() {
    let app = support::spawn_app_with_demo().await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    let r = ready_resident(&app, 1, TUMBA, 1).await;
    let m = propose(&app, &n.name, &r.name, "").await.unwrap();
    let (tn, tr) = (token_of(&app, &n.name), token_of(&app, &r.name));
    answer(&app, &tn, &m.name, ProposalResponse::Accepted, "")
        .await
        .unwrap();

    let resident_answer = answer(&app, &tr, &m.name, ProposalResponse::Accepted, "")
        .await
        .unwrap();
    let resident_view = my_buddies(&app, &tr).await;
    let newcomer_view = my_buddies(&app, &tn).await;

    assert_eq!(resident_view, [resident_answer], "the same view by both paths");
    assert_eq!(newcomer_view.len(), 1);
    assert_eq!(newcomer_view[0].r#match, m.name);
    assert_eq!(newcomer_view[0].state, MatchState::Accepted as i32);
    assert_eq!(newcomer_view[0].my_response, ProposalResponse::Accepted as i32);
    assert!(
        newcomer_view[0].deadline_time.is_none(),
        "no deadline once accepted"
    );
    let (seen_by_newcomer, seen_by_resident) = (
        newcomer_view[0].buddy.clone().unwrap(),
        resident_view[0].buddy.clone().unwrap(),
    );
    assert_eq!(
        (
            seen_by_newcomer.display_name.as_str(),
            seen_by_newcomer.district_display_name.as_str()
        ),
        ("Erik 1", "Tumba")
    );
    assert_eq!(
        (
            seen_by_resident.display_name.as_str(),
            seen_by_resident.district_display_name.as_str()
        ),
        ("Amina 1", "Alby")
    );
    assert_eq!(seen_by_newcomer.role, ParticipantRole::EstablishedResident as i32);
    assert_eq!(
        seen_by_newcomer.meeting_preference,
        MeetingPreference::Both as i32
    );
    assert_eq!(seen_by_newcomer.shared_languages, ["ar"]);
    assert_eq!(seen_by_newcomer.shared_interests.len(), 2, "fika and football");
    assert_eq!(
        seen_by_newcomer.contact.unwrap().phone,
        r.contact.unwrap().phone,
        "contact details once both accepted"
    );
}

#[tokio::test]
async fn a_decline_returns_the_newcomer_to_their_place_and_offers_the_next_candidate() {
    let app = support::spawn_app_with_demo().await;
    let earlier = ready_newcomer(&app, 1, ALBY).await;
    let n = ready_newcomer(&app, 2, ALBY).await;
    let first = ready_resident(&app, 1, ALBY, 1).await;
    let next_best = ready_resident(&app, 2, TUMBA, 1).await;
    let tn = token_of(&app, &n.name);
    let before = queue_position(&app, &tn).await;
    assert_eq!(before.0, 2, "behind the newcomer approved first");
    let m = propose(&app, &n.name, &first.name, "").await.unwrap();

    let declined = answer(
        &app,
        &token_of(&app, &first.name),
        &m.name,
        ProposalResponse::Declined,
        "no evenings free after all",
    )
    .await
    .unwrap();

    assert_eq!(declined.state, MatchState::Declined as i32);
    let stored = get_match(&app, &m.name).await;
    assert_eq!(stored.decline_cause, DeclineCause::EstablishedResident as i32);
    assert_eq!(stored.decline_reason, "no evenings free after all");
    assert_eq!(
        queue_position(&app, &tn).await,
        before,
        "the same place and waiting time"
    );
    let offered = matches_of(&app, &n.name, &[MatchState::Proposed]).await;
    assert_eq!(offered.len(), 1, "the next candidate is proposed");
    assert_eq!(offered[0].established_resident, next_best.name);
    assert_eq!(offered[0].proposer, "system");
    assert!(matches_of(&app, &earlier.name, &[]).await.is_empty());
    // Both hear of the decline, and the newcomer of the new proposal. The decline and
    // the next proposal are written together and the inbox lists in the order the
    // workers delivered them, so the kinds are compared as a set.
    let mut kinds: Vec<i32> = inbox_of(&app, &tn, 3).await.iter().map(|x| x.kind).collect();
    kinds.sort_unstable();
    let mut expected = [
        NotificationKind::BuddyProposed as i32,
        NotificationKind::MatchEnded as i32,
        NotificationKind::BuddyProposed as i32,
    ];
    expected.sort_unstable();
    assert_eq!(kinds, expected);
}

#[tokio::test]
async fn an_expired_deadline_declines_the_proposal_once_and_the_worker_offers_the_next_candidate() {
    let app = support::spawn_app_with_clock(time::OffsetDateTime::now_utc()).await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    let first = ready_resident(&app, 1, ALBY, 1).await;
    let next_best = ready_resident(&app, 2, TUMBA, 1).await;
    let tn = token_of(&app, &n.name);
    let before = queue_position(&app, &tn).await;
    let m = propose(&app, &n.name, &first.name, "").await.unwrap();

    app.clock()
        .advance(time::Duration::days(7) + time::Duration::minutes(1));

    let offered = eventually("the next candidate is offered", || async {
        let found = matches_of(&app, &n.name, &[MatchState::Proposed]).await;
        (found.len() == 1 && found[0].name != m.name).then(|| found[0].clone())
    })
    .await;
    assert_eq!(offered.established_resident, next_best.name);
    let expired = get_match(&app, &m.name).await;
    assert_eq!(expired.state, MatchState::Declined as i32);
    assert_eq!(expired.decline_cause, DeclineCause::DeadlinePassed as i32);
    let declines = events_of(&app, &m.name)
        .await
        .into_iter()
        .filter(|e| e.1 == "declined")
        .count();
    assert_eq!(declines, 1, "the timer fires once");
    assert_eq!(queue_position(&app, &tn).await, before);
    // The expired proposal can no longer be answered.
    let status = answer(
        &app,
        &token_of(&app, &first.name),
        &m.name,
        ProposalResponse::Accepted,
        "",
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn an_answer_after_the_deadline_is_refused() {
    let app = support::spawn_app_with_clock(time::OffsetDateTime::now_utc()).await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    let r = ready_resident(&app, 1, ALBY, 1).await;
    let m = propose(&app, &n.name, &r.name, "").await.unwrap();
    let accepted = answer(
        &app,
        &token_of(&app, &n.name),
        &m.name,
        ProposalResponse::Accepted,
        "",
    )
    .await;
    assert!(accepted.is_ok());
    app.clock().advance(time::Duration::days(8));
    // Refused whether the worker has declined it yet or not: the deadline is the clock's.
    let late = answer(
        &app,
        &token_of(&app, &r.name),
        &m.name,
        ProposalResponse::Accepted,
        "",
    )
    .await
    .unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    assert_ne!(get_match(&app, &m.name).await.state, MatchState::Accepted as i32);
}

#[tokio::test]
async fn the_never_propose_again_list_holds_and_an_override_is_recorded_with_its_reason() {
    let app = support::spawn_app_with_demo().await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    let r = ready_resident(&app, 1, ALBY, 1).await;
    let m = propose(&app, &n.name, &r.name, "").await.unwrap();
    answer(
        &app,
        &token_of(&app, &n.name),
        &m.name,
        ProposalResponse::Declined,
        "",
    )
    .await
    .unwrap();

    let refused = propose(&app, &n.name, &r.name, "").await.unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused)),
        (Code::FailedPrecondition, "PAIR_EXCLUDED".into())
    );
    let suggested = matching(&app, &app.coordinator("botkyrka"))
        .suggest_candidates(SuggestCandidatesRequest {
            participant: n.name.clone(),
            max_candidates: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .candidates;
    assert!(suggested.is_empty(), "the pair is never suggested again");

    let overridden = propose(
        &app,
        &n.name,
        &r.name,
        "Both asked for each other after meeting at fika",
    )
    .await
    .unwrap();

    assert_eq!(overridden.state, MatchState::Proposed as i32);
    let o = overridden.r#override.unwrap();
    assert_eq!(o.reason, "Both asked for each other after meeting at fika");
    assert!(o.rule.contains("declined"), "{}", o.rule);
    assert!(overridden.score.is_none());
    let event = &events_of(&app, &overridden.name).await[0];
    assert!(event.2.contains("Both asked for each other"), "{event:?}");
}

#[tokio::test]
async fn a_hard_rule_is_refused_with_its_reason_unless_overridden() {
    let app = support::spawn_app_with_demo().await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    let mut profile =
        crate::fixtures::matching::matchable_profile(ParticipantRole::EstablishedResident, ALBY, 1);
    profile.availability = vec![AvailabilitySlot {
        weekday: Weekday::Monday as i32,
        day_part: DayPart::Morning as i32,
    }];
    let busy =
        crate::fixtures::matching::approved(&app, crate::fixtures::participants::resident(1), profile).await;

    let refused = propose(&app, &n.name, &busy.name, "").await.unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused)),
        (Code::FailedPrecondition, "NO_COMMON_TIME".into())
    );
    let too_long = propose(&app, &n.name, &busy.name, &"x".repeat(501))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&too_long), ["override_reason"]);

    let m = propose(&app, &n.name, &busy.name, "they will meet on Sunday afternoons")
        .await
        .unwrap();
    assert_eq!(m.r#override.unwrap().rule, "no common free time");
}

#[tokio::test]
async fn a_coordinator_records_an_acceptance_only_with_how_the_person_agreed() {
    let app = support::spawn_app_with_demo().await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    let r = ready_resident(&app, 1, ALBY, 1).await;
    let m = propose(&app, &n.name, &r.name, "").await.unwrap();

    let status = matching(&app, &app.coordinator("botkyrka"))
        .accept_match(AcceptMatchRequest {
            name: m.name.clone(),
            side: 0,
            request_id: "nope".into(),
            how_agreed: AgreementChannel::App as i32,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["how_agreed", "request_id", "side"]);

    let one = accept_by_phone(&app, &m.name, ParticipantRole::Newcomer)
        .await
        .unwrap();
    let agreement = one.newcomer_agreement.unwrap();
    assert_eq!(agreement.channel, AgreementChannel::Phone as i32);
    assert_eq!(agreement.recorded_by, "coordinator-botkyrka");
    assert_eq!(one.state, MatchState::Proposed as i32);
    let twice = accept_by_phone(&app, &m.name, ParticipantRole::Newcomer)
        .await
        .unwrap_err();
    assert_eq!(reason(&twice), "ALREADY_ANSWERED");
    let both = accept_by_phone(&app, &m.name, ParticipantRole::EstablishedResident)
        .await
        .unwrap();
    assert_eq!(both.state, MatchState::Accepted as i32);
    let newcomer = crate::fixtures::participants::get(&app, &n.name).await;
    assert_eq!(newcomer.state, ParticipantState::Matched as i32);
}

#[tokio::test]
async fn administrators_set_the_programme_and_a_chapter_may_turn_off_the_automatic_offer() {
    let app = support::spawn_app_with_demo().await;
    let name = "chapters/botkyrka/matchingProgramme".to_owned();
    let defaults = matching(&app, &app.coordinator("botkyrka"))
        .get_matching_programme(GetMatchingProgrammeRequest { name: name.clone() })
        .await
        .unwrap()
        .into_inner()
        .matching_programme
        .unwrap();
    assert_eq!(
        (
            defaults.proposal_deadline_days,
            defaults.auto_offer_next,
            defaults.check_in_days.clone(),
            defaults.period_months
        ),
        (7, true, vec![21, 35, 91, 182], 6)
    );
    let update = |p: MatchingProgramme| UpdateMatchingProgrammeRequest {
        matching_programme: Some(p),
    };
    let denied = matching(&app, &app.coordinator("botkyrka"))
        .update_matching_programme(update(defaults.clone()))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let bad = matching(&app, &app.administrator())
        .update_matching_programme(update(MatchingProgramme {
            name: name.clone(),
            proposal_deadline_days: 0,
            auto_offer_next: false,
            check_in_days: vec![35, 21],
            period_months: 30,
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&bad),
        [
            "matching_programme.check_in_days",
            "matching_programme.period_months",
            "matching_programme.proposal_deadline_days"
        ]
    );
    matching(&app, &app.administrator())
        .update_matching_programme(update(MatchingProgramme {
            proposal_deadline_days: 3,
            auto_offer_next: false,
            ..defaults
        }))
        .await
        .unwrap();

    let n = ready_newcomer(&app, 1, ALBY).await;
    let r1 = ready_resident(&app, 1, ALBY, 1).await;
    ready_resident(&app, 2, ALBY, 1).await;
    let m = propose(&app, &n.name, &r1.name, "").await.unwrap();
    assert_eq!(
        m.deadline_time.unwrap().seconds - m.create_time.unwrap().seconds,
        3 * 86_400
    );
    answer(
        &app,
        &token_of(&app, &r1.name),
        &m.name,
        ProposalResponse::Declined,
        "",
    )
    .await
    .unwrap();
    assert!(
        matches_of(&app, &n.name, &[MatchState::Proposed])
            .await
            .is_empty(),
        "nothing offered"
    );
}

#[tokio::test]
async fn a_hundred_concurrent_proposals_for_one_newcomer_leave_exactly_one_live_match() {
    let app = support::spawn_app_with_demo().await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    let mut residents = Vec::new();
    for i in 0..4 {
        residents.push(ready_resident(&app, i, ALBY, 2).await.name);
    }

    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (app_channel, token) = (app.channel(), app.coordinator("botkyrka"));
            let (n, r) = (n.name.clone(), residents[i % residents.len()].clone());
            tokio::spawn(async move {
                kompis_proto::v1::matching_service_client::MatchingServiceClient::new(crate::support::authed(
                    app_channel,
                    &token,
                ))
                .create_match(CreateMatchRequest {
                    parent: CHAPTER.into(),
                    r#match: Some(Match {
                        newcomer: n,
                        established_resident: r,
                        ..Default::default()
                    }),
                    request_id: request_id(),
                    override_reason: String::new(),
                })
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(s) => assert_eq!(
                (s.code(), reason(&s)),
                (Code::FailedPrecondition, "ALREADY_MATCHED".into())
            ),
        }
    }

    assert_eq!(ok, 1);
    assert_eq!(matches_of(&app, &n.name, &[MatchState::Proposed]).await.len(), 1);
    let count: i32 = sqlx::query_scalar("SELECT active_match_count FROM participants WHERE id = $1")
        .bind(id_of(&n.name))
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_hundred_concurrent_confirmations_for_a_resident_of_capacity_three_end_with_exactly_three_live_matches()
 {
    let app = support::spawn_app_with_demo().await;
    let r = ready_resident(&app, 1, ALBY, 3).await;
    let newcomers = many_matchable_newcomers(&app, 100).await;

    let tasks: Vec<_> = newcomers
        .iter()
        .map(|n| {
            let (channel, token) = (app.channel(), app.coordinator("botkyrka"));
            let (n, r) = (n.clone(), r.name.clone());
            tokio::spawn(async move {
                let client = kompis_proto::v1::matching_service_client::MatchingServiceClient::new(
                    crate::support::authed(channel, &token),
                );
                let create = CreateMatchRequest {
                    parent: CHAPTER.into(),
                    r#match: Some(Match {
                        newcomer: n,
                        established_resident: r,
                        ..Default::default()
                    }),
                    request_id: request_id(),
                    override_reason: String::new(),
                };
                let m = crate::support::resent(|| {
                    let (mut client, create) = (client.clone(), create.clone());
                    async move { client.create_match(create).await }
                })
                .await?
                .into_inner()
                .r#match
                .unwrap();
                for side in [ParticipantRole::Newcomer, ParticipantRole::EstablishedResident] {
                    let accept = AcceptMatchRequest {
                        name: m.name.clone(),
                        side: side as i32,
                        request_id: request_id(),
                        how_agreed: AgreementChannel::Phone as i32,
                    };
                    crate::support::resent(|| {
                        let (mut client, accept) = (client.clone(), accept.clone());
                        async move { client.accept_match(accept).await }
                    })
                    .await?;
                }
                Ok::<_, tonic::Status>(())
            })
        })
        .collect();
    let mut confirmed = 0;
    for t in tasks {
        match tokio::time::timeout(Duration::from_secs(120), t)
            .await
            .unwrap()
            .unwrap()
        {
            Ok(()) => confirmed += 1,
            Err(s) => assert_eq!(
                (s.code(), reason(&s)),
                (Code::FailedPrecondition, "CAPACITY_EXCEEDED".into())
            ),
        }
    }

    assert_eq!(confirmed, 3);
    let live = matches_of(
        &app,
        &r.name,
        &[MatchState::Proposed, MatchState::Accepted, MatchState::Active],
    )
    .await;
    assert_eq!(live.len(), 3);
    assert!(live.iter().all(|m| m.state == MatchState::Accepted as i32));
    let resident = crate::fixtures::participants::get(&app, &r.name).await;
    assert_eq!(resident.state, ParticipantState::Matched as i32);
}

#[tokio::test]
async fn an_ended_match_returns_both_to_their_place_in_the_queue_and_the_pair_is_not_proposed_again() {
    let app = support::spawn_app_with_demo().await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    let r = ready_resident(&app, 1, ALBY, 1).await;
    let waited_since = crate::fixtures::participants::get(&app, &n.name)
        .await
        .waiting_since;
    let m = propose(&app, &n.name, &r.name, "").await.unwrap();
    accept_by_phone(&app, &m.name, ParticipantRole::Newcomer)
        .await
        .unwrap();
    accept_by_phone(&app, &m.name, ParticipantRole::EstablishedResident)
        .await
        .unwrap();
    let mut coordinator = matching(&app, &app.coordinator("botkyrka"));
    let started = coordinator
        .start_match(StartMatchRequest {
            name: m.name.clone(),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .r#match
        .unwrap();
    assert_eq!(started.state, MatchState::Active as i32);
    let missing_note = coordinator
        .end_match(EndMatchRequest {
            name: m.name.clone(),
            reason: MatchEndReason::Other as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&missing_note), ["note"]);

    let ended = coordinator
        .end_match(EndMatchRequest {
            name: m.name.clone(),
            reason: MatchEndReason::NotWorking as i32,
            note: "they never found a time".into(),
            return_to_waiting_list: true,
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .r#match
        .unwrap();

    assert_eq!(ended.state, MatchState::Ended as i32);
    assert_eq!(ended.end_reason, MatchEndReason::NotWorking as i32);
    let newcomer = crate::fixtures::participants::get(&app, &n.name).await;
    assert_eq!(newcomer.state, ParticipantState::Ready as i32);
    assert_eq!(
        newcomer.waiting_since, waited_since,
        "the original place in the queue"
    );
    let end_reason: Option<String> =
        sqlx::query_scalar("SELECT end_reason FROM events WHERE subject = $1 AND to_state = 'ended'")
            .bind(&m.name)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(end_reason.as_deref(), Some("not_working"));
    let again = propose(&app, &n.name, &r.name, "").await.unwrap_err();
    assert_eq!(reason(&again), "PAIR_EXCLUDED");
}

/// The residents suggested to `newcomer` through `server`, best first.
async fn suggested(server: &TestApp, token: &str, newcomer: &str) -> Vec<String> {
    matching(server, token)
        .suggest_candidates(SuggestCandidatesRequest {
            participant: newcomer.into(),
            max_candidates: 5,
        })
        .await
        .unwrap()
        .into_inner()
        .candidates
        .into_iter()
        .map(|c| c.established_resident)
        .collect()
}

#[tokio::test]
async fn a_change_to_a_resident_made_through_another_server_shows_in_the_very_next_suggestions() {
    let app = support::spawn_app_with_demo().await;
    let mut settings = support::test_settings(
        app.database_url(),
        &format!("test-{}", uuid::Uuid::new_v4().simple()),
    );
    settings.run_worker = false;
    let replica = support::start(settings).await;
    let token = app.coordinator("botkyrka");
    let n1 = ready_newcomer(&app, 1, ALBY).await;
    let n2 = ready_newcomer(&app, 2, ALBY).await;
    let near = ready_resident(&app, 1, ALBY, 1).await;
    let farther = ready_resident(&app, 2, TUMBA, 1).await;
    let both = [near.name.clone(), farther.name.clone()];

    // The replica has read the pool (and keeps it).
    assert_eq!(suggested(&replica, &token, &n1.name).await, both);
    assert_eq!(suggested(&replica, &token, &n1.name).await, both);

    // A proposal through the first server fills the near resident's only place.
    let m = propose(&app, &n2.name, &near.name, "").await.unwrap();
    assert_eq!(
        suggested(&replica, &token, &n1.name).await,
        [farther.name.as_str()],
        "a resident with no place left is no longer suggested"
    );

    // Withdrawn, the proposal gives the place back.
    matching(&app, &token)
        .decline_match(DeclineMatchRequest {
            name: m.name.clone(),
            side: 0,
            reason: String::new(),
            request_id: request_id(),
        })
        .await
        .unwrap();
    assert_eq!(suggested(&replica, &token, &n1.name).await, both);
    replica.shutdown().await;
}

#[tokio::test]
async fn suggestions_explain_the_days_waited_as_of_the_moment_asked_even_when_nothing_else_changed() {
    let app = support::spawn_app_with_clock(time::OffsetDateTime::now_utc()).await;
    let token = app.coordinator("botkyrka");
    let n = ready_newcomer(&app, 1, ALBY).await;
    ready_resident(&app, 1, ALBY, 1).await;
    let waiting = || async {
        matching(&app, &token)
            .suggest_candidates(SuggestCandidatesRequest {
                participant: n.name.clone(),
                max_candidates: 1,
            })
            .await
            .unwrap()
            .into_inner()
            .candidates[0]
            .score
            .as_ref()
            .unwrap()
            .criteria
            .iter()
            .find(|c| c.criterion == MatchCriterion::WaitingTime as i32)
            .expect("waiting time is explained")
            .explanation
            .clone()
    };
    assert_eq!(waiting().await, "the newcomer waited 0 days, the resident 0 days");
    app.clock().advance(time::Duration::hours(25));
    assert_eq!(waiting().await, "the newcomer waited 1 days, the resident 1 days");
}

/// The rows the scans of `matches` in an `EXPLAIN (ANALYZE, FORMAT JSON)` plan produced.
fn rows_read_from_matches(node: &serde_json::Value) -> f64 {
    let own = if node["Relation Name"] == "matches" {
        node["Actual Rows"].as_f64().unwrap_or(0.0) * node["Actual Loops"].as_f64().unwrap_or(1.0)
    } else {
        0.0
    };
    own + node["Plans"]
        .as_array()
        .map_or(0.0, |plans| plans.iter().map(rows_read_from_matches).sum())
}

#[tokio::test]
async fn the_buddy_read_reads_only_the_callers_matches_even_when_the_table_looked_empty() {
    let app = support::spawn_app_with_demo().await;
    // Statistics taken before the first match, as on a new database: the planner then
    // believes `matches` holds almost nothing, and reading all of it looks as cheap as
    // probing an index.
    sqlx::query("ANALYZE matches").execute(app.pool()).await.unwrap();
    let mut pairs = Vec::new();
    for i in 1..=4 {
        let n = ready_newcomer(&app, i, ALBY).await;
        let r = ready_resident(&app, i, ALBY, 1).await;
        let m = propose(&app, &n.name, &r.name, "").await.unwrap();
        pairs.push((n, r, m));
    }

    for (n, r, m) in &pairs {
        for person in [n, r] {
            let buddies = my_buddies(&app, &token_of(&app, &person.name)).await;
            assert_eq!(
                buddies.iter().map(|b| b.r#match.as_str()).collect::<Vec<_>>(),
                [m.name.as_str()]
            );
            let plan: serde_json::Value = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "EXPLAIN (ANALYZE, FORMAT JSON) {}",
                kompis_store::matches::BUDDIES_OF_ACCOUNT
            )))
            .bind(id_of(&person.name))
            .bind("an-account-that-signed-up-nowhere")
            .fetch_one(app.pool())
            .await
            .unwrap();
            assert_eq!(
                rows_read_from_matches(&plan[0]["Plan"]),
                1.0,
                "the plan reads other people's matches:\n{plan:#}"
            );
        }
    }
}

#[tokio::test]
async fn suggestions_follow_a_change_of_the_chapters_weights_in_the_very_next_call() {
    let app = support::spawn_app_with_demo().await;
    let token = app.coordinator("botkyrka");
    let n = ready_newcomer(&app, 1, ALBY).await;
    let near = ready_resident(&app, 1, ALBY, 1).await;
    let farther = ready_resident(&app, 2, TUMBA, 1).await;
    let by_default = || async {
        matching(&app, &token)
            .suggest_candidates(SuggestCandidatesRequest {
                participant: n.name.clone(),
                max_candidates: 0,
            })
            .await
            .unwrap()
            .into_inner()
            .candidates
            .into_iter()
            .map(|c| c.established_resident)
            .collect::<Vec<_>>()
    };
    // The pool is read and kept.
    assert_eq!(by_default().await, [near.name.clone(), farther.name.clone()]);

    // Only the resident in the newcomer's own district is within 1 km; one candidate
    // by default.
    let name = "chapters/botkyrka/matchingWeights".to_owned();
    let mut admin = kompis_proto::v1::admin_service_client::AdminServiceClient::new(support::authed(
        app.channel(),
        &app.administrator(),
    ));
    let current = admin
        .get_matching_weights(GetMatchingWeightsRequest { name: name.clone() })
        .await
        .unwrap()
        .into_inner()
        .matching_weights
        .unwrap();
    let ask = |max_distance_km: f64, top_k: i32| UpdateMatchingWeightsRequest {
        matching_weights: Some(MatchingWeights {
            max_distance_km,
            top_k,
            ..current.clone()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["max_distance_km".into(), "top_k".into()],
        }),
    };
    admin.update_matching_weights(ask(1.0, 5)).await.unwrap();
    assert_eq!(
        by_default().await,
        [near.name.as_str()],
        "the farther one is too far"
    );
    admin.update_matching_weights(ask(50.0, 1)).await.unwrap();
    assert_eq!(
        by_default().await,
        [near.name.as_str()],
        "one candidate by default"
    );
    admin.update_matching_weights(ask(50.0, 5)).await.unwrap();
    assert_eq!(by_default().await, [near.name.clone(), farther.name.clone()]);
}

#[tokio::test]
async fn a_participant_named_under_another_chapter_is_not_found_for_suggestions() {
    let app = support::spawn_app_with_demo().await;
    let n = ready_newcomer(&app, 1, ALBY).await;
    ready_resident(&app, 1, ALBY, 1).await;
    let elsewhere = n.name.replace("chapters/botkyrka/", "chapters/stockholm/");
    assert_ne!(elsewhere, n.name);

    let refused = matching(&app, &app.administrator())
        .suggest_candidates(SuggestCandidatesRequest {
            participant: elsewhere,
            max_candidates: 0,
        })
        .await
        .unwrap_err();

    assert_eq!(refused.code(), Code::NotFound);
    let suggested = matching(&app, &app.administrator())
        .suggest_candidates(SuggestCandidatesRequest {
            participant: n.name.clone(),
            max_candidates: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .candidates;
    assert_eq!(suggested.len(), 1, "under its own chapter it is found");
}
