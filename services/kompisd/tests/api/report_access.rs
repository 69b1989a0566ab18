//! What partner viewers may ask of the follow-up report: their scope taken from their
//! token, the fixed set of tables that keeps two of their reports from being subtracted
//! to recover one person, and the supply and demand at the end of a past period.

use std::collections::BTreeMap;

use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::*;
use prost_types::FieldMask;
use time::Duration;
use time::macros::datetime;
use tonic::Code;

use crate::fixtures::matching::{accept_by_phone, approved, matchable_profile, propose};
use crate::fixtures::participants::{ALBY, newcomer, register, request_id, resident, speaks};
use crate::fixtures::referrals::reports;
use crate::reports::{YEAR_END, YEAR_START, by_key, follow_up, nonzero, ts, year_request};
use crate::support::{self, TestApp, bad_fields};

const FITTJA: &str = "municipalities/botkyrka/districts/fittja";

fn admin(app: &TestApp) -> AdminServiceClient<support::Authed> {
    AdminServiceClient::new(support::authed(app.channel(), &app.administrator()))
}

/// The Botkyrka chapter covers Stockholm too, and a second chapter covers Uppsala.
async fn two_municipalities_and_another_chapter(app: &TestApp) {
    admin(app)
        .update_chapter(UpdateChapterRequest {
            chapter: Some(Chapter {
                name: "chapters/botkyrka".into(),
                municipalities: vec![
                    "municipalities/botkyrka".into(),
                    "municipalities/stockholm".into(),
                ],
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["municipalities".into()],
            }),
        })
        .await
        .expect("the chapter covers Stockholm too");
    admin(app)
        .create_chapter(CreateChapterRequest {
            chapter_id: "uppsala".into(),
            chapter: Some(Chapter {
                display_name: "Kompis Uppsala".into(),
                municipalities: vec!["municipalities/uppsala".into()],
                contact_email: "uppsala@kompis.example".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("the Uppsala chapter is created");
}

/// The year 2025 with neither chapter nor municipality named: the token's scope.
fn unnamed_year() -> GetFollowUpReportRequest {
    GetFollowUpReportRequest {
        chapter: String::new(),
        ..year_request()
    }
}

/// Asserts that `status` (for `name`) is the NOT_FOUND that `missing` (for `absent`, a
/// name that exists nowhere) is: the same code and the same message.
fn same_as_missing(status: &tonic::Status, name: &str, missing: &tonic::Status, absent: &str) {
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    assert_eq!(
        status.message().replace(name, "{name}"),
        missing.message().replace(absent, "{name}"),
    );
}

#[tokio::test]
async fn a_partner_viewer_reads_their_municipality_from_the_token_and_nothing_else() {
    let app = support::spawn_app_with_clock(datetime!(2026-03-02 08:00 UTC)).await;
    two_municipalities_and_another_chapter(&app).await;
    let botkyrka = app.partner_viewer_of("botkyrka", "botkyrka");
    let stockholm = app.partner_viewer_of("botkyrka", "stockholm");
    let whole_chapter = app.partner_viewer("botkyrka");

    let own = follow_up(&app, &botkyrka, unnamed_year()).await;
    let named = follow_up(
        &app,
        &botkyrka,
        GetFollowUpReportRequest {
            municipality: "municipalities/botkyrka".into(),
            ..year_request()
        },
    )
    .await;
    let other_municipality = |municipality: &str| {
        let token = botkyrka.clone();
        let request = GetFollowUpReportRequest {
            municipality: municipality.into(),
            ..unnamed_year()
        };
        let app = &app;
        async move { follow_up(app, &token, request).await.unwrap_err() }
    };
    let stockholm_asked = other_municipality("municipalities/stockholm").await;
    let nowhere_asked = other_municipality("municipalities/nowhere").await;
    let other_chapter = |chapter: &str| {
        let token = botkyrka.clone();
        let request = GetFollowUpReportRequest {
            chapter: chapter.into(),
            ..year_request()
        };
        let app = &app;
        async move { follow_up(app, &token, request).await.unwrap_err() }
    };
    let uppsala_asked = other_chapter("chapters/uppsala").await;
    let no_chapter_asked = other_chapter("chapters/nowhere").await;
    let stockholms_own = follow_up(&app, &stockholm, unnamed_year()).await;
    let unscoped = follow_up(&app, &whole_chapter, unnamed_year()).await.unwrap_err();
    let outside = follow_up(
        &app,
        &app.partner_viewer_of("botkyrka", "uppsala"),
        unnamed_year(),
    )
    .await
    .unwrap_err();
    let goals = reports(&app, &botkyrka)
        .list_report_goals(ListReportGoalsRequest::default())
        .await;

    let own = own.expect("the token's chapter and municipality are used");
    assert!(own.suppressed);
    assert_eq!(own.figures, named.unwrap().figures);
    same_as_missing(
        &stockholm_asked,
        "municipalities/stockholm",
        &nowhere_asked,
        "municipalities/nowhere",
    );
    same_as_missing(
        &uppsala_asked,
        "chapters/uppsala",
        &no_chapter_asked,
        "chapters/nowhere",
    );
    assert!(stockholms_own.is_ok(), "{stockholms_own:?}");
    assert_eq!(
        bad_fields(&unscoped),
        ["municipality"],
        "without a municipality in the token, a chapter of two needs one named"
    );
    assert_eq!(
        outside.code(),
        Code::NotFound,
        "a municipality outside the chapter sees nothing"
    );
    assert!(goals.is_ok(), "{goals:?}");
}

/// A resident of Alby registered by the coordinator now, a woman or a man.
async fn registered(app: &TestApp, n: u32, gender: Gender) {
    let mut person = resident(n);
    person.gender = gender as i32;
    if let Some(consent) = person.consent.as_mut() {
        consent.give_time = ts(app.clock().now() - Duration::days(1));
    }
    register(app, person).await;
}

#[tokio::test]
async fn two_partner_viewer_reports_cannot_be_subtracted_to_recover_one_person() {
    // Seven people recruited in March 2025: six women and one man.
    let app = support::spawn_app_with_clock(datetime!(2025-03-03 09:00 UTC)).await;
    for n in 0..6 {
        registered(&app, n, Gender::Female).await;
    }
    registered(&app, 6, Gender::Male).await;
    let viewer = app.partner_viewer("botkyrka");
    let coordinator = app.coordinator("botkyrka");
    let women = |mut request: GetFollowUpReportRequest| {
        request.target_group = Some(TargetGroup {
            genders: vec![Gender::Female as i32],
            ..Default::default()
        });
        request
    };

    // While 2025 runs, its figures change from day to day: not for partner viewers.
    let running = follow_up(&app, &viewer, year_request()).await.unwrap_err();
    app.clock().set(datetime!(2026-02-02 08:00 UTC));
    let plus_a_day = GetFollowUpReportRequest {
        end_time: ts(YEAR_END + Duration::days(1)),
        ..year_request()
    };
    let longer = follow_up(&app, &viewer, plus_a_day.clone()).await.unwrap_err();
    let later_start = follow_up(
        &app,
        &viewer,
        GetFollowUpReportRequest {
            start_time: ts(YEAR_START + Duration::days(1)),
            ..year_request()
        },
    )
    .await
    .unwrap_err();
    let exact = follow_up(&app, &coordinator, plus_a_day).await.unwrap();
    let everyone = follow_up(&app, &coordinator, year_request()).await.unwrap();
    let only_women = follow_up(&app, &coordinator, women(year_request()))
        .await
        .unwrap();
    let all = by_key(&follow_up(&app, &viewer, year_request()).await.unwrap());
    let of_women = by_key(&follow_up(&app, &viewer, women(year_request())).await.unwrap());

    assert_eq!(bad_fields(&running), ["end_time"]);
    assert_eq!(bad_fields(&longer), ["end_time"]);
    assert_eq!(bad_fields(&later_start), ["start_time"]);
    // Coordinators get exact figures for any period and group: the man is 7 - 6.
    assert_eq!(nonzero(&exact)["recruited//"], 7);
    assert_eq!(nonzero(&everyone)["recruited//"], 7);
    assert_eq!(nonzero(&only_women)["recruited//"], 6);
    // The partner viewer sees how many were recruited, but not the women apart.
    assert_eq!(all["recruited//"], Some(7));
    assert_eq!(of_women["recruited//"], None, "7 - 6 would give the one man away");
    // And no figure shown in both leaves fewer than 5 people outside the women.
    for (k, shown) in &of_women {
        if let (Some(everyone), Some(those)) = (all[k], *shown)
            && !k.starts_with("activities_held/")
        {
            assert!(everyone - those >= 5, "{k}: {everyone} - {those} is under 5");
        }
    }
}

#[tokio::test]
async fn partner_viewers_use_one_band_of_one_criterion_at_a_time() {
    let app = support::spawn_app_with_clock(datetime!(2026-02-02 08:00 UTC)).await;
    let viewer = app.partner_viewer("botkyrka");
    let asking = |group: TargetGroup| GetFollowUpReportRequest {
        target_group: Some(group),
        ..year_request()
    };

    let two_criteria = follow_up(
        &app,
        &viewer,
        asking(TargetGroup {
            roles: vec![ParticipantRole::Newcomer as i32],
            genders: vec![Gender::Female as i32],
            ..Default::default()
        }),
    )
    .await
    .unwrap_err();
    let two_genders = follow_up(
        &app,
        &viewer,
        asking(TargetGroup {
            genders: vec![Gender::Female as i32, Gender::Male as i32],
            ..Default::default()
        }),
    )
    .await
    .unwrap_err();
    let narrow_ages = follow_up(
        &app,
        &viewer,
        asking(TargetGroup {
            age_range: Some(AgeRange {
                min_age: 25,
                max_age: 34,
            }),
            ..Default::default()
        }),
    )
    .await
    .unwrap_err();
    let a_band = follow_up(
        &app,
        &viewer,
        asking(TargetGroup {
            age_range: Some(AgeRange {
                min_age: 25,
                max_age: 64,
            }),
            ..Default::default()
        }),
    )
    .await;
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

    assert_eq!(bad_fields(&two_criteria), ["target_group"]);
    assert_eq!(bad_fields(&two_genders), ["target_group.genders"]);
    assert_eq!(bad_fields(&narrow_ages), ["target_group.age_range"]);
    assert!(a_band.is_ok(), "{a_band:?}");
    assert_eq!(bad_fields(&district), ["district"]);
}

/// An approved participant of `role` in `district` speaking `languages`.
async fn ready(
    app: &TestApp,
    person: Participant,
    role: ParticipantRole,
    district: &str,
    languages: &[&str],
) -> String {
    let mut person = person;
    person.district = district.into();
    if let Some(consent) = person.consent.as_mut() {
        consent.give_time = ts(app.clock().now() - Duration::days(1));
    }
    let mut profile = matchable_profile(role, district, 1);
    profile.languages = languages
        .iter()
        .map(|code| speaks(code, LanguageLevel::Native))
        .collect();
    approved(app, person, profile).await.name
}

/// The figures of `metric` that are not 0, by `dimension/key`.
fn of_metric(report: &FollowUpReport, metric: &str) -> BTreeMap<String, i64> {
    nonzero(report)
        .into_iter()
        .filter_map(|(k, n)| {
            k.strip_prefix(&format!("{metric}/"))
                .map(|rest| (rest.to_owned(), n))
        })
        .collect()
}

fn expected(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

#[tokio::test]
async fn supply_and_demand_at_the_end_of_a_past_period_by_district_and_language() {
    // March 2025: two newcomers and two residents approved, one of each in Alby and in
    // Fittja; in April the Alby pair is matched; in February 2026 one more newcomer.
    let app = support::spawn_app_with_clock(datetime!(2025-03-03 09:00 UTC)).await;
    let alby_newcomer = ready(&app, newcomer(1), ParticipantRole::Newcomer, ALBY, &["ar", "ti"]).await;
    ready(&app, newcomer(2), ParticipantRole::Newcomer, FITTJA, &["so"]).await;
    let alby_resident = ready(
        &app,
        resident(1),
        ParticipantRole::EstablishedResident,
        ALBY,
        &["ar", "en"],
    )
    .await;
    ready(
        &app,
        resident(2),
        ParticipantRole::EstablishedResident,
        FITTJA,
        &["fa"],
    )
    .await;
    app.clock().set(datetime!(2025-04-07 09:00 UTC));
    let m = propose(&app, &alby_newcomer, &alby_resident, "").await.unwrap();
    accept_by_phone(&app, &m.name, ParticipantRole::Newcomer)
        .await
        .unwrap();
    accept_by_phone(&app, &m.name, ParticipantRole::EstablishedResident)
        .await
        .unwrap();
    app.clock().set(datetime!(2026-02-02 09:00 UTC));
    ready(&app, newcomer(3), ParticipantRole::Newcomer, ALBY, &["uk"]).await;
    let coordinator = app.coordinator("botkyrka");
    let first_quarter = GetFollowUpReportRequest {
        end_time: ts(datetime!(2025-04-01 00:00 +2)),
        ..year_request()
    };

    let march = follow_up(&app, &coordinator, first_quarter).await.unwrap();
    let year = follow_up(&app, &coordinator, year_request()).await.unwrap();
    let partner = follow_up(&app, &app.partner_viewer("botkyrka"), year_request())
        .await
        .unwrap();

    assert_eq!(
        of_metric(&march, "newcomers_waiting_at_end"),
        expected(&[
            ("/", 2),
            ("district/municipalities/botkyrka/districts/alby", 1),
            ("district/municipalities/botkyrka/districts/fittja", 1),
            ("language/ar", 1),
            ("language/so", 1),
            ("language/ti", 1),
        ])
    );
    assert_eq!(
        of_metric(&march, "residents_ready_at_end"),
        expected(&[
            ("/", 2),
            ("district/municipalities/botkyrka/districts/alby", 1),
            ("district/municipalities/botkyrka/districts/fittja", 1),
            ("language/ar", 1),
            ("language/en", 1),
            ("language/fa", 1),
        ])
    );
    // At the end of 2025 the Alby pair is matched; the 2026 newcomer does not count.
    assert_eq!(
        of_metric(&year, "newcomers_waiting_at_end"),
        expected(&[
            ("/", 1),
            ("district/municipalities/botkyrka/districts/fittja", 1),
            ("language/so", 1),
        ])
    );
    assert_eq!(
        of_metric(&year, "residents_ready_at_end"),
        expected(&[
            ("/", 1),
            ("district/municipalities/botkyrka/districts/fittja", 1),
            ("language/fa", 1),
        ])
    );
    // Every language of the chapter's participants ready before the end is listed, 0 included; the
    // one first spoken in 2026 is not.
    let cells = by_key(&year);
    assert_eq!(cells["residents_ready_at_end/language/ti"], Some(0));
    assert!(!cells.contains_key("newcomers_waiting_at_end/language/uk"));
    // Partner viewers get the same cells, suppressed, and no figures of now.
    let partner = by_key(&partner);
    assert_eq!(partner["residents_ready_at_end//"], None);
    assert_eq!(partner["newcomers_waiting_at_end/language/so"], None);
    assert!(
        partner
            .keys()
            .all(|k| !k.ends_with("_now//") && !k.contains("_now/"))
    );
    assert!(
        cells.contains_key("waiting_now//"),
        "coordinators see now beside the period"
    );
}
