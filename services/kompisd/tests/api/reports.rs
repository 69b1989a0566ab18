//! The partnership's follow-up: a known year of history built through the API (two
//! schools' referrals, self sign-ups, interviews, matches accepted and declined,
//! check-ins, ended matches, an activity with a waitlist, an erasure), every figure
//! checked exactly, as coordinators see it and suppressed as partner viewers see it,
//! goals with progress, the CSV and the one-page report rendered to an image.

use std::collections::BTreeMap;

use kompis_proto::v1::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use tonic::Code;
use uuid::Uuid;

use crate::fixtures::activities::{self, invitations};
use crate::fixtures::matching::{accept_by_phone, matchable_profile, matching, propose};
use crate::fixtures::notifications::id_of;
use crate::fixtures::participants::{
    ALBY, CHAPTER, book, buddy_app, consent, get, record, register, request_id, resident, speaks,
};
use crate::fixtures::referrals::{FOLK_HIGH_SCHOOL, SFI, create, learner, referrals, reports};
use crate::pairs::{matched_pairs, plan_pair_walk, sign_up_pair};
use crate::support::{self, TestApp, bad_fields};

const FITTJA: &str = "municipalities/botkyrka/districts/fittja";
/// Calendar year 2025 in Europe/Stockholm.
pub(crate) const YEAR_START: OffsetDateTime = datetime!(2025-01-01 00:00 +1);
pub(crate) const YEAR_END: OffsetDateTime = datetime!(2026-01-01 00:00 +1);

pub(crate) fn ts(t: OffsetDateTime) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: t.unix_timestamp(),
        nanos: 0,
    })
}

fn time_of(t: &Option<prost_types::Timestamp>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.as_ref().expect("a time").seconds).unwrap()
}

pub(crate) fn year_request() -> GetFollowUpReportRequest {
    GetFollowUpReportRequest {
        chapter: CHAPTER.into(),
        start_time: ts(YEAR_START),
        end_time: ts(YEAR_END),
        ..Default::default()
    }
}

pub(crate) async fn follow_up(
    app: &TestApp,
    token: &str,
    request: GetFollowUpReportRequest,
) -> Result<FollowUpReport, tonic::Status> {
    reports(app, token)
        .get_follow_up_report(request)
        .await
        .map(|r| r.into_inner().report.unwrap())
}

/// A cell as the test reads it: the count, or `None` when suppressed.
pub(crate) fn value(cell: &Option<Cell>) -> Option<i64> {
    match cell.as_ref().and_then(|c| c.cell.as_ref()) {
        Some(cell::Cell::Value(n)) => Some(*n),
        Some(cell::Cell::Suppressed(true)) => None,
        other => panic!("a cell is a value or suppressed, not {other:?}"),
    }
}

/// Every figure by `metric/dimension/key`.
pub(crate) fn by_key(report: &FollowUpReport) -> BTreeMap<String, Option<i64>> {
    report
        .figures
        .iter()
        .map(|f| (format!("{}/{}/{}", f.metric, f.dimension, f.key), value(&f.cell)))
        .collect()
}

/// The figures that are not 0, as `metric/dimension/key` = count.
pub(crate) fn nonzero(report: &FollowUpReport) -> BTreeMap<String, i64> {
    by_key(report)
        .into_iter()
        .filter_map(
            |(k, v)| match v.expect("a coordinator's figures are never suppressed") {
                0 => None,
                n => Some((k, n)),
            },
        )
        .collect()
}

pub(crate) fn stat(s: &Option<Statistic>) -> Option<f64> {
    match s.as_ref().and_then(|s| s.statistic.as_ref()) {
        Some(statistic::Statistic::Value(v)) => Some(*v),
        _ => None,
    }
}

/// Continuous percentile as PostgreSQL's percentile_cont computes it.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

/// Books and records an interview of the participant named `name` at `outcome`.
async fn interview(
    app: &TestApp,
    name: &str,
    role: ParticipantRole,
    district: &str,
    capacity: i32,
    outcome: InterviewOutcome,
) {
    let booked = book(app, name).await;
    record(
        app,
        &booked.name,
        outcome,
        matchable_profile(role, district, capacity),
    )
    .await;
}

/// A newcomer signing up in the app; returns their resource name.
async fn self_sign_up(app: &TestApp, n: u32) -> String {
    let id = Uuid::now_v7();
    buddy_app(app, &app.participant(id))
        .sign_up(SignUpRequest {
            role: ParticipantRole::Newcomer as i32,
            person_name: Some(PersonName {
                given_name: format!("Farid {n}"),
                family_name: "Ahmadi".into(),
                display_name: "Farid".into(),
            }),
            contact: Some(Contact {
                phone: format!("+4670300{n:04}"),
                email: String::new(),
            }),
            birth_year: 1995,
            gender: Gender::Male as i32,
            district: FITTJA.into(),
            languages: vec![speaks("prs", LanguageLevel::Native)],
            swedish_level: Some(SwedishLevel {
                level: Some(swedish_level::Level::Cefr(LanguageLevel::A2 as i32)),
            }),
            consent: Some(Consent {
                give_time: ts(app.clock().now() - Duration::days(1)),
                ..consent(&format!("participant-{id}"))
            }),
            request_id: request_id(),
        })
        .await
        .expect("the sign-up is accepted")
        .into_inner()
        .participant
        .unwrap()
        .name
}

/// A referral from `organization`, converted to a participant by the coordinator.
async fn referred(app: &TestApp, organization: &str, n: u32) -> String {
    let mut learner = learner(
        &format!("+4670400{n:04}"),
        &format!("learner{n}@exempel.se"),
        &format!("referrer-{organization}"),
    );
    // Consent given the day before, by the app's clock.
    if let Some(consent) = learner.consent.as_mut() {
        consent.give_time = ts(app.clock().now() - Duration::days(1));
    }
    let referral = referrals(app, &app.referrer(organization))
        .create_referral(create(learner))
        .await
        .expect("the referral is accepted")
        .into_inner()
        .referral
        .unwrap();
    referrals(app, &app.coordinator("botkyrka"))
        .convert_referral(ConvertReferralRequest {
            name: referral.name,
            request_id: request_id(),
        })
        .await
        .expect("the referral is converted")
        .into_inner()
        .participant
        .unwrap()
        .name
}

async fn end_match(app: &TestApp, name: &str, reason: MatchEndReason, back_to_waiting_list: bool) {
    matching(app, &app.coordinator("botkyrka"))
        .end_match(EndMatchRequest {
            name: name.into(),
            reason: reason as i32,
            note: "Talked it through with both.".into(),
            return_to_waiting_list: back_to_waiting_list,
            request_id: request_id(),
        })
        .await
        .expect("the match ends");
}

async fn met(app: &TestApp, m: &str) {
    matching(app, &app.coordinator("botkyrka"))
        .record_check_in(RecordCheckInRequest {
            parent: m.into(),
            check_in: Some(CheckIn {
                answer: CheckInAnswer::Met as i32,
                health: MatchHealth::Good as i32,
                note: "Called them both; all well.".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("the check-in is recorded");
}

/// Erases `participant` as their coordinator does (GDPR Art. 17): personal data goes,
/// the event log's structured attributes stay. It is answered once, even while the
/// worker delivers to the person: erasure and deliveries lock in one order.
async fn erase(app: &TestApp, participant: &str) {
    crate::fixtures::participants::participants(app, &app.coordinator("botkyrka"))
        .erase_participant(EraseParticipantRequest {
            name: participant.into(),
            reason: ErasureReason::PersonRequested as i32,
            request_id: request_id(),
        })
        .await
        .expect("the coordinator erases the person");
}

/// The year 2025 of the demo chapter, built through the API.
struct Year {
    app: TestApp,
    /// Days each matched newcomer waited, sorted.
    waits: Vec<f64>,
    /// The newcomer whose match ran its course; erased at the end of the year.
    completed_newcomer: String,
}

async fn a_known_year() -> Year {
    let app = support::spawn_app_with_clock(datetime!(2025-01-13 08:00 UTC)).await;
    // Matches run a year, so that none ends by itself within 2025.
    matching(&app, &app.administrator())
        .update_matching_programme(UpdateMatchingProgrammeRequest {
            matching_programme: Some(MatchingProgramme {
                name: "chapters/botkyrka/matchingProgramme".into(),
                proposal_deadline_days: 7,
                auto_offer_next: false,
                check_in_days: vec![],
                period_months: 12,
                ..Default::default()
            }),
        })
        .await
        .expect("the programme is set");
    // Recruitment: three learners from the SFI school, two from the folk high school,
    // two self sign-ups in Fittja, three residents registered by the coordinator.
    let mut newcomers = Vec::new();
    for n in 0..3 {
        newcomers.push(referred(&app, SFI, n).await);
    }
    for n in 3..5 {
        newcomers.push(referred(&app, FOLK_HIGH_SCHOOL, n).await);
    }
    let signed_up = [self_sign_up(&app, 1).await, self_sign_up(&app, 2).await];
    let mut residents = Vec::new();
    for n in 0..3 {
        let mut person = resident(n);
        if let Some(consent) = person.consent.as_mut() {
            consent.give_time = ts(app.clock().now() - Duration::days(1));
        }
        residents.push(register(&app, person).await.name);
    }
    // Interviews: every one, all approved but the second self sign-up.
    for name in &newcomers {
        interview(
            &app,
            name,
            ParticipantRole::Newcomer,
            ALBY,
            0,
            InterviewOutcome::Approved,
        )
        .await;
    }
    interview(
        &app,
        &signed_up[0],
        ParticipantRole::Newcomer,
        FITTJA,
        0,
        InterviewOutcome::Approved,
    )
    .await;
    interview(
        &app,
        &signed_up[1],
        ParticipantRole::Newcomer,
        FITTJA,
        0,
        InterviewOutcome::NeedsFollowUp,
    )
    .await;
    for name in &residents {
        interview(
            &app,
            name,
            ParticipantRole::EstablishedResident,
            ALBY,
            2,
            InterviewOutcome::Approved,
        )
        .await;
    }
    // Matching in March: five newcomers with three residents of capacity 2, a day apart.
    let mut waits = Vec::new();
    let mut matches = Vec::new();
    for (i, newcomer) in newcomers.iter().enumerate() {
        app.clock()
            .set(datetime!(2025-03-03 10:00 UTC) + Duration::days(i as i64));
        let since = time_of(&get(&app, newcomer).await.waiting_since);
        let m = propose(&app, newcomer, &residents[i / 2], "").await.unwrap();
        accept_by_phone(&app, &m.name, ParticipantRole::Newcomer)
            .await
            .unwrap();
        accept_by_phone(&app, &m.name, ParticipantRole::EstablishedResident)
            .await
            .unwrap();
        waits.push((app.clock().now() - since).as_seconds_f64() / 86400.0);
        matches.push(m.name);
    }
    waits.sort_by(f64::total_cmp);
    // The Fittja newcomer is proposed to the third resident, who declines.
    let declined = propose(&app, &signed_up[0], &residents[2], "").await.unwrap();
    matching(&app, &app.coordinator("botkyrka"))
        .decline_match(DeclineMatchRequest {
            name: declined.name,
            side: ParticipantRole::EstablishedResident as i32,
            reason: "too far".into(),
            request_id: request_id(),
        })
        .await
        .unwrap();
    // Check-ins: three pairs met within 35 days, one later, one never said.
    app.clock().set(datetime!(2025-03-25 10:00 UTC));
    for m in &matches[..3] {
        met(&app, m).await;
    }
    app.clock().set(datetime!(2025-05-02 10:00 UTC));
    met(&app, &matches[3]).await;
    // In June one match runs its course and one ends early, the newcomer back in line.
    app.clock().set(datetime!(2025-06-02 10:00 UTC));
    end_match(&app, &matches[0], MatchEndReason::Completed, false).await;
    end_match(&app, &matches[1], MatchEndReason::NotWorking, true).await;
    // A free walk in September for two, three matched newcomers invited: one waitlisted.
    app.clock().set(datetime!(2025-09-01 10:00 UTC));
    let start = datetime!(2025-09-06 10:00 UTC);
    let walk = activities::plan(&app, activities::walk(start, 2)).await;
    let invited: Vec<Uuid> = newcomers[2..5].iter().map(|n| id_of(n)).collect();
    activities::invite(&app, &walk.name, &invited).await;
    for invitation in invitations(&app, &walk.name, Rsvp::Unspecified).await {
        activities::answer(
            &app,
            activities::invitee(&invitation),
            &invitation.name,
            Rsvp::Yes,
            0,
        )
        .await
        .unwrap();
    }
    app.clock().set(start + Duration::hours(3));
    let coming = invitations(&app, &walk.name, Rsvp::Yes).await;
    activities::coordinator(&app)
        .record_attendance(RecordAttendanceRequest {
            activity: walk.name.clone(),
            records: coming
                .iter()
                .map(|i| AttendanceRecord {
                    invitation: i.name.clone(),
                    attendance: Attendance::Attended as i32,
                })
                .collect(),
            guest_count: 0,
            request_id: request_id(),
        })
        .await
        .expect("the attendance is recorded");
    app.clock().set(datetime!(2025-11-03 10:00 UTC));
    Year {
        app,
        waits,
        completed_newcomer: newcomers[0].clone(),
    }
}

/// Every figure of the year that is not 0, as counted by hand from [`a_known_year`].
fn expected_year() -> BTreeMap<String, i64> {
    [
        ("referrals_received//", 5),
        ("referrals_received/source/organizations/sfi-botkyrka", 3),
        ("referrals_received/source/organizations/folkhogskola-tumba", 2),
        ("recruited//", 10),
        ("recruited/role/newcomer", 7),
        ("recruited/role/established_resident", 3),
        ("recruited/source/organizations/sfi-botkyrka", 3),
        ("recruited/source/organizations/folkhogskola-tumba", 2),
        ("recruited/source/self_sign_up", 2),
        ("recruited/source/coordinator", 3),
        ("interviewed//", 10),
        ("interviewed/role/newcomer", 7),
        ("interviewed/role/established_resident", 3),
        ("approved//", 9),
        ("approved/role/newcomer", 6),
        ("approved/role/established_resident", 3),
        ("matched//", 8),
        ("matched/role/newcomer", 5),
        ("matched/role/established_resident", 3),
        ("matched/district/municipalities/botkyrka/districts/alby", 8),
        ("newcomers_matched//", 5),
        ("newcomers_matched/month/2025-03", 5),
        ("newcomers_wait//", 5),
        ("newcomers_wait/days/31-90", 5),
        ("matches_made//", 5),
        ("matches_made/met_within_35_days/yes", 3),
        ("matches_made/met_within_35_days/no", 2),
        ("matches_ended//", 2),
        ("matches_ended/end_reason/completed", 1),
        ("matches_ended/end_reason/not_working", 1),
        ("matches_live_at_end//", 3),
        ("check_ins//", 4),
        ("check_ins/answer/met", 4),
        ("activities_held//", 1),
        ("activities_held/kind/group_activity", 1),
        ("activities_held/free/free", 1),
        ("invitations_sent//", 3),
        ("invitations_accepted//", 2),
        ("invitations_waitlisted//", 1),
        ("attended//", 2),
        ("became_ready_newcomer//", 6),
        (
            "became_ready_newcomer/district/municipalities/botkyrka/districts/alby",
            5,
        ),
        (
            "became_ready_newcomer/district/municipalities/botkyrka/districts/fittja",
            1,
        ),
        ("became_ready_established_resident//", 3),
        (
            "became_ready_established_resident/district/municipalities/botkyrka/districts/alby",
            3,
        ),
        ("newcomers_waiting_at_end//", 2),
        (
            "newcomers_waiting_at_end/district/municipalities/botkyrka/districts/alby",
            1,
        ),
        (
            "newcomers_waiting_at_end/district/municipalities/botkyrka/districts/fittja",
            1,
        ),
        // Both speak Arabic, as their interviews recorded.
        ("newcomers_waiting_at_end/language/ar", 2),
        // The first resident, whose two matches ended in June, is ready again.
        ("residents_ready_at_end//", 1),
        (
            "residents_ready_at_end/district/municipalities/botkyrka/districts/alby",
            1,
        ),
        ("residents_ready_at_end/language/ar", 1),
        // Now (November): the newcomer back in line and the Fittja one wait; the
        // residents have 6 places, 3 live matches.
        ("waiting_now//", 2),
        ("waiting_now/district/municipalities/botkyrka/districts/alby", 1),
        ("waiting_now/district/municipalities/botkyrka/districts/fittja", 1),
        ("free_places_now//", 3),
        (
            "free_places_now/district/municipalities/botkyrka/districts/alby",
            3,
        ),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_owned(), n))
    .collect()
}

#[tokio::test]
async fn a_known_year_gives_every_figure_exactly_and_survives_an_erasure() {
    let year = a_known_year().await;
    let app = &year.app;
    let coordinator = app.coordinator("botkyrka");
    let municipality = GetFollowUpReportRequest {
        municipality: "municipalities/botkyrka".into(),
        ..year_request()
    };

    let report = follow_up(app, &coordinator, municipality.clone()).await.unwrap();

    let (got, expected) = (nonzero(&report), expected_year());
    let differences: Vec<_> = got
        .keys()
        .chain(expected.keys())
        .filter(|k| got.get(*k) != expected.get(*k))
        .map(|k| (k, got.get(k), expected.get(k)))
        .collect();
    assert!(
        differences.is_empty(),
        "(figure, counted, expected): {differences:?}"
    );
    assert!(!report.suppressed);
    assert_eq!(
        stat(&report.median_days_waited),
        Some(percentile(&year.waits, 0.5))
    );
    let p90 = stat(&report.p90_days_waited).unwrap();
    assert!((p90 - percentile(&year.waits, 0.9)).abs() < 1e-9, "{p90}");
    assert_eq!(stat(&report.share_met_within_35_days), Some(0.6));

    erase(app, &year.completed_newcomer).await;
    let after = follow_up(app, &coordinator, municipality).await.unwrap();
    assert_eq!(
        after.figures, report.figures,
        "the figures of the year are counted from the event log, not from the erased rows"
    );
    assert_eq!(after.median_days_waited, report.median_days_waited);
}

#[tokio::test]
async fn target_groups_and_periods_narrow_the_figures() {
    let year = a_known_year().await;
    let app = &year.app;
    let coordinator = app.coordinator("botkyrka");

    let men = follow_up(
        app,
        &coordinator,
        GetFollowUpReportRequest {
            target_group: Some(TargetGroup {
                genders: vec![Gender::Male as i32],
                ..Default::default()
            }),
            ..year_request()
        },
    )
    .await
    .unwrap();
    let men = nonzero(&men);
    // The self sign-ups and the three residents are men; the learners are women.
    assert_eq!(men["recruited//"], 5);
    assert_eq!(men["matched//"], 3);
    assert_eq!(men.get("referrals_received//"), None);
    assert_eq!(
        men["activities_held//"], 1,
        "activities are not filtered by the target group"
    );

    // Age 25 to 34 in 2025: born 1991 to 2000, the self sign-ups (1995) only.
    let young = follow_up(
        app,
        &coordinator,
        GetFollowUpReportRequest {
            target_group: Some(TargetGroup {
                age_range: Some(AgeRange {
                    min_age: 25,
                    max_age: 34,
                }),
                sources: vec![ParticipantSource::SelfSignUp as i32],
                ..Default::default()
            }),
            ..year_request()
        },
    )
    .await
    .unwrap();
    assert_eq!(nonzero(&young)["recruited//"], 2);

    let spring = follow_up(
        app,
        &coordinator,
        GetFollowUpReportRequest {
            start_time: ts(datetime!(2025-04-01 00:00 +2)),
            end_time: ts(datetime!(2025-07-01 00:00 +2)),
            ..year_request()
        },
    )
    .await
    .unwrap();
    let spring = nonzero(&spring);
    assert_eq!(spring.get("matched//"), None);
    assert_eq!(spring["matches_ended//"], 2);
    assert_eq!(spring["check_ins//"], 1);
    assert_eq!(spring["matches_live_at_end//"], 3);

    let bad = follow_up(
        app,
        &coordinator,
        GetFollowUpReportRequest {
            end_time: ts(YEAR_START - Duration::days(1)),
            district: "districts/alby".into(),
            target_group: Some(TargetGroup {
                roles: vec![0],
                ..Default::default()
            }),
            ..year_request()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(
        bad_fields(&bad),
        ["district", "end_time", "target_group.roles[0]"]
    );
}

#[tokio::test]
async fn partner_viewers_get_suppressed_aggregates_that_survive_differencing() {
    let year = a_known_year().await;
    let app = &year.app;
    let viewer = app.partner_viewer("botkyrka");
    // Partner viewers get years that have ended.
    app.clock().set(datetime!(2026-01-12 08:00 UTC));

    let report = follow_up(app, &viewer, year_request()).await.unwrap();
    let cells = by_key(&report);

    assert!(report.suppressed);
    for (k, v) in &cells {
        if let Some(n) = v {
            assert!(
                *n >= 5 || k.starts_with("activities_held/"),
                "{k} = {n} is under 5 and shown"
            );
        }
    }
    assert_eq!(cells["referrals_received//"], Some(5));
    assert_eq!(
        cells["referrals_received/source/organizations/sfi-botkyrka"],
        None
    );
    // The differencing case: 8 matched, 3 of them residents. Showing the 5 newcomers
    // would give the residents away as 8 - 5: they are suppressed too, and so is every
    // figure that counts the same 5 newcomers.
    assert_eq!(cells["matched//"], Some(8));
    assert_eq!(cells["matched/role/established_resident"], None);
    assert_eq!(cells["matched/role/newcomer"], None);
    assert_eq!(cells["newcomers_matched//"], None);
    assert_eq!(cells["matches_made//"], None);
    // No breakdown of a shown total has exactly one suppressed cell.
    for f in report
        .figures
        .iter()
        .filter(|f| f.dimension.is_empty() && value(&f.cell).is_some())
    {
        let mut dimensions: BTreeMap<&str, usize> = BTreeMap::new();
        for part in report
            .figures
            .iter()
            .filter(|p| p.metric == f.metric && !p.dimension.is_empty())
        {
            *dimensions.entry(&part.dimension).or_default() += usize::from(value(&part.cell).is_none());
        }
        for (dimension, hidden) in dimensions {
            assert_ne!(
                hidden, 1,
                "{} by {dimension} gives its one suppressed cell away",
                f.metric
            );
        }
    }
    assert!(
        stat(&report.median_days_waited).is_some(),
        "a median over 5 newcomers gives no one away"
    );
}

#[tokio::test]
async fn partner_viewers_see_their_own_municipality_only() {
    let app = support::spawn_app_with_demo().await;
    let viewer = app.partner_viewer("botkyrka");

    let other_municipality = follow_up(
        &app,
        &viewer,
        GetFollowUpReportRequest {
            municipality: "municipalities/stockholm".into(),
            ..year_request()
        },
    )
    .await
    .unwrap_err();
    let other_chapter = follow_up(
        &app,
        &viewer,
        GetFollowUpReportRequest {
            chapter: "chapters/stockholm".into(),
            ..year_request()
        },
    )
    .await
    .unwrap_err();
    let district = follow_up(
        &app,
        &viewer,
        GetFollowUpReportRequest {
            district: ALBY.into(),
            ..year_request()
        },
    )
    .await
    .unwrap_err();
    let goal = reports(&app, &viewer)
        .set_report_goal(SetReportGoalRequest::default())
        .await
        .unwrap_err();

    assert_eq!(other_municipality.code(), Code::NotFound);
    assert_eq!(other_chapter.code(), Code::NotFound);
    assert_eq!(district.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&district), ["district"]);
    assert_eq!(goal.code(), Code::PermissionDenied);
    let referrer = follow_up(&app, &app.referrer(SFI), year_request())
        .await
        .unwrap_err();
    assert_eq!(referrer.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn goals_are_stored_with_progress_and_rendered_as_csv_and_a_page_with_charts() {
    let year = a_known_year().await;
    let app = &year.app;
    let coordinator = app.coordinator("botkyrka");
    let goal = ReportGoal {
        chapter: CHAPTER.into(),
        municipality: "municipalities/botkyrka".into(),
        start_time: ts(YEAR_START),
        end_time: ts(YEAR_END),
        metric: "newcomers_matched".into(),
        target: 105,
        ..Default::default()
    };
    reports(app, &coordinator)
        .set_report_goal(SetReportGoalRequest {
            goal: Some(ReportGoal {
                target: 100,
                ..goal.clone()
            }),
        })
        .await
        .unwrap();
    reports(app, &coordinator)
        .set_report_goal(SetReportGoalRequest {
            goal: Some(goal.clone()),
        })
        .await
        .unwrap();
    reports(app, &coordinator)
        .set_report_goal(SetReportGoalRequest {
            goal: Some(ReportGoal {
                metric: "activities_held".into(),
                target: 85,
                ..goal.clone()
            }),
        })
        .await
        .unwrap();

    let listed = reports(app, &app.partner_viewer("botkyrka"))
        .list_report_goals(ListReportGoalsRequest {
            chapter: CHAPTER.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .goals;
    let report = follow_up(
        app,
        &coordinator,
        GetFollowUpReportRequest {
            municipality: "municipalities/botkyrka".into(),
            ..year_request()
        },
    )
    .await
    .unwrap();

    let targets: Vec<(&str, i32)> = listed.iter().map(|g| (g.metric.as_str(), g.target)).collect();
    assert_eq!(targets, [("activities_held", 85), ("newcomers_matched", 105)]);
    let progress: Vec<(String, Option<i64>)> = report
        .goals
        .iter()
        .map(|g| (g.goal.as_ref().unwrap().metric.clone(), value(&g.reached)))
        .collect();
    assert_eq!(
        progress,
        [
            ("activities_held".into(), Some(1)),
            ("newcomers_matched".into(), Some(5))
        ]
    );

    let export = |format: ReportFormat, language: &str| {
        let mut client = reports(app, &coordinator);
        let request = ExportFollowUpReportRequest {
            query: Some(GetFollowUpReportRequest {
                municipality: "municipalities/botkyrka".into(),
                ..year_request()
            }),
            format: format as i32,
            language_code: language.into(),
        };
        async move {
            client
                .export_follow_up_report(request)
                .await
                .unwrap()
                .into_inner()
        }
    };
    let csv = export(ReportFormat::Csv, "").await;
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    let csv = String::from_utf8(csv.content).unwrap();
    assert!(csv.starts_with("metric,dimension,key,label,value\n"));
    assert!(csv.contains("\nnewcomers_matched,,,,5\n"), "{csv}");
    assert!(
        csv.contains("\nreferrals_received,source,organizations/sfi-botkyrka,"),
        "{csv}"
    );
    assert!(csv.contains("\ngoal:newcomers_matched,target,105,,5\n"), "{csv}");

    for (language, heading, matched) in [
        (
            "sv",
            "Uppföljning av partnerskapet",
            "Matchade nyanlända</td><td class=\"n\">5<",
        ),
        (
            "en",
            "Follow-up of the partnership",
            "Newcomers matched</td><td class=\"n\">5<",
        ),
    ] {
        let page = export(ReportFormat::Html, language).await;
        assert_eq!(page.content_type, "text/html; charset=utf-8");
        let html = String::from_utf8(page.content).unwrap();
        assert!(html.contains(heading) && html.contains(matched), "{html}");
        assert_eq!(html.matches("<svg").count(), 3, "three charts");
        assert!(html.contains("105"), "the target is drawn");
        let png = render_to_png(&html, language);
        let colours = distinct_colours(&png);
        assert!(colours > 8, "the rendered page is not blank: {colours} colours");
    }
}

/// Renders `html` with headless Chromium to a PNG under the target directory (kept to
/// be looked at); returns its path.
fn render_to_png(html: &str, name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("reports");
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join(format!("follow-up-{name}.html"));
    let png = dir.join(format!("follow-up-{name}.png"));
    std::fs::write(&page, html).unwrap();
    let _ = std::fs::remove_file(&png);
    let status = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=800,1500",
        ])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("chromium runs");
    assert!(status.success() && png.exists(), "chromium rendered the page");
    png
}

/// How many distinct colours the image has: decoded to a binary PPM by `convert`.
fn distinct_colours(png: &std::path::Path) -> usize {
    let out = std::process::Command::new("convert")
        .arg(png)
        .arg("ppm:-")
        .output()
        .expect("convert runs");
    assert!(out.status.success(), "convert decodes the PNG");
    // P6 header: magic, width, height, maximum value, each after whitespace.
    let mut fields = 0;
    let mut at = 0;
    while fields < 4 {
        while out.stdout[at].is_ascii_whitespace() {
            at += 1;
        }
        while !out.stdout[at].is_ascii_whitespace() {
            at += 1;
        }
        fields += 1;
    }
    let pixels = &out.stdout[at + 1..];
    let colours: std::collections::HashSet<&[u8]> = pixels.chunks_exact(3).collect();
    colours.len()
}

#[tokio::test]
async fn the_shortage_report_shows_waiting_newcomers_against_free_places_by_district() {
    let year = a_known_year().await;
    let app = &year.app;

    let shortage = reports(app, &app.coordinator("botkyrka"))
        .get_shortage_report(GetShortageReportRequest {
            chapter: CHAPTER.into(),
            municipality: "municipalities/botkyrka".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let viewer = reports(app, &app.partner_viewer("botkyrka"))
        .get_shortage_report(GetShortageReportRequest {
            chapter: CHAPTER.into(),
            municipality: String::new(),
        })
        .await
        .unwrap_err();

    assert_eq!(
        (shortage.waiting_newcomers, shortage.free_resident_places),
        (2, 3)
    );
    let alby = shortage
        .districts
        .iter()
        .find(|d| d.key == Some(shortage_count::Key::District(ALBY.into())))
        .unwrap();
    assert_eq!((alby.waiting_newcomers, alby.free_resident_places), (1, 3));
    assert_eq!(
        viewer.code(),
        Code::PermissionDenied,
        "partner viewers read it suppressed in the follow-up"
    );
}

/// Records who came to the activity, as the coordinator does after it.
async fn record_attendance(app: &TestApp, activity: &str, records: &[(&Invitation, Attendance)]) {
    activities::coordinator(app)
        .record_attendance(RecordAttendanceRequest {
            activity: activity.into(),
            records: records
                .iter()
                .map(|(i, a)| AttendanceRecord {
                    invitation: i.name.clone(),
                    attendance: *a as i32,
                })
                .collect(),
            guest_count: 0,
            request_id: request_id(),
        })
        .await
        .expect("the attendance is recorded");
}

#[tokio::test]
async fn attendance_and_pairs_attending_together_are_counted_from_the_event_log() {
    let now = OffsetDateTime::now_utc();
    let app = support::spawn_app_with_clock(now).await;
    // Six buddy pairs sign up together for a walk.
    let pairs = matched_pairs(&app, 6, "accepted").await;
    let walk = plan_pair_walk(&app, 20).await;
    let people: Vec<Uuid> = pairs.iter().flat_map(|(n, r)| [*n, *r]).collect();
    activities::invite(&app, &walk.name, &people).await;
    let sent = invitations(&app, &walk.name, Rsvp::Unspecified).await;
    let of = |p: Uuid| sent.iter().find(|i| activities::invitee(i) == p).unwrap();
    for (newcomer, _) in &pairs {
        sign_up_pair(&app, *newcomer, &of(*newcomer).name).await.unwrap();
    }
    app.clock().advance(Duration::days(8));
    // Pairs 1-4 come together; pair 5's newcomer comes alone; pair 6 stays away.
    let mut records = Vec::new();
    for (i, (newcomer, resident)) in pairs.iter().enumerate() {
        let (n, r) = match i {
            0..4 => (Attendance::Attended, Attendance::Attended),
            4 => (Attendance::Attended, Attendance::Absent),
            _ => (Attendance::Absent, Attendance::Absent),
        };
        records.push((of(*newcomer), n));
        records.push((of(*resident), r));
    }
    record_attendance(&app, &walk.name, &records).await;
    let request = GetFollowUpReportRequest {
        chapter: CHAPTER.into(),
        start_time: ts(now - Duration::days(1)),
        end_time: ts(now + Duration::days(30)),
        ..Default::default()
    };
    let first = nonzero(
        &follow_up(&app, &app.coordinator("botkyrka"), request.clone())
            .await
            .unwrap(),
    );

    // A correction: pair 4's resident did not come after all.
    record_attendance(&app, &walk.name, &[(of(pairs[3].1), Attendance::Absent)]).await;
    let corrected = follow_up(&app, &app.coordinator("botkyrka"), request.clone())
        .await
        .unwrap();
    // Partner viewers read ended calendar years: the year of the walk, once it is over.
    let year = app.clock().now().year();
    let new_year = |y: i32| {
        time::Date::from_calendar_date(y, time::Month::January, 1)
            .unwrap()
            .with_hms(0, 0, 0)
            .unwrap()
            .assume_offset(time::macros::offset!(+1))
    };
    app.clock().set(new_year(year + 1) + Duration::days(3));
    let of_year = GetFollowUpReportRequest {
        chapter: CHAPTER.into(),
        start_time: ts(new_year(year)),
        end_time: ts(new_year(year + 1)),
        ..Default::default()
    };
    let viewed = by_key(
        &follow_up(&app, &app.partner_viewer("botkyrka"), of_year)
            .await
            .unwrap(),
    );

    assert_eq!((first["attended//"], first["pairs_attended_together//"]), (9, 4));
    let corrected = nonzero(&corrected);
    assert_eq!(
        (corrected["attended//"], corrected["pairs_attended_together//"]),
        (8, 3)
    );
    assert_eq!(viewed["attended//"], Some(8));
    assert_eq!(
        viewed["pairs_attended_together//"], None,
        "3 pairs are under 5: suppressed for partner viewers"
    );
}
