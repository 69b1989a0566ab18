//! The application clock: business times come from it, and the worker's timers go by
//! it, so tests move time instead of sleeping.

use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::*;
use time::macros::datetime;

use crate::fixtures::participants::{newcomer, participants, register, request_id};
use crate::support::{self, authed, eventually};

fn at(t: time::OffsetDateTime) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: t.unix_timestamp(),
        nanos: t.nanosecond() as i32,
    })
}

#[tokio::test]
async fn creation_and_state_times_are_the_clocks() {
    let start = datetime!(2026-03-02 09:00 UTC);
    let app = support::spawn_app_with_clock(start).await;
    // Consent was given before the clock's now, as the API requires.
    let mut person = newcomer(1);
    person.consent.as_mut().unwrap().give_time = at(start - time::Duration::days(1));
    let created = register(&app, person).await;
    assert_eq!(created.create_time, at(start));
    assert_eq!(created.state_time, at(start));

    app.clock().advance(time::Duration::days(3));
    let withdrawn = participants(&app, &app.coordinator("botkyrka"))
        .withdraw_participant(WithdrawParticipantRequest {
            name: created.name.clone(),
            reason: "moved away".into(),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert_eq!(withdrawn.state_time, at(start + time::Duration::days(3)));
    let event_times: Vec<time::OffsetDateTime> =
        sqlx::query_scalar("SELECT occur_time FROM events WHERE subject = $1 ORDER BY id")
            .bind(&created.name)
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(event_times, [start, start + time::Duration::days(3)]);
}

#[tokio::test]
async fn the_worker_forgets_answers_kept_for_retries_once_the_clock_passes_their_retention() {
    let app = support::spawn_app_with_clock(datetime!(2026-03-02 09:00 UTC)).await;
    let mut coordinator = AdminServiceClient::new(authed(app.channel(), &app.coordinator("botkyrka")));
    let request = CreateInterestRequest {
        parent: "chapters/botkyrka".into(),
        interest: Some(Interest {
            display_name: "Birdwatching".into(),
            category: "Outdoors".into(),
            ..Default::default()
        }),
        request_id: request_id(),
        ..Default::default()
    };
    let first = coordinator
        .create_interest(request.clone())
        .await
        .unwrap()
        .into_inner();
    let kept = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM idempotency_keys")
            .fetch_one(app.pool())
            .await
            .unwrap()
    };
    assert_eq!(kept().await, 1);

    app.clock().advance(time::Duration::hours(25));
    eventually("the expired answer to be forgotten", || async {
        (kept().await == 0).then_some(())
    })
    .await;

    // A retry now acts again instead of answering the first interest: the taxonomy
    // refuses a second Birdwatching in the same category.
    let again = coordinator.create_interest(request).await.unwrap_err();
    assert_eq!(again.code(), tonic::Code::AlreadyExists);
    assert!(first.interest.is_some());
}

#[tokio::test]
async fn reference_records_carry_the_clocks_times_when_created_and_changed() {
    let start = datetime!(2026-05-04 08:30 UTC);
    let later = start + time::Duration::days(2);
    let app = support::spawn_app_with_clock(start).await;
    let mut admin = AdminServiceClient::new(authed(app.channel(), &app.administrator()));
    let mask = |paths: &[&str]| {
        Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        })
    };

    let chapter = admin
        .create_chapter(CreateChapterRequest {
            chapter_id: "goteborg".into(),
            chapter: Some(Chapter {
                display_name: "Kompis Göteborg".into(),
                municipalities: vec!["municipalities/goteborg".into()],
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .chapter
        .unwrap();
    let district = admin
        .create_district(CreateDistrictRequest {
            parent: "municipalities/goteborg".into(),
            district_id: "lovgardet".into(),
            district: Some(District {
                display_name: "Lövgärdet".into(),
                latitude: 57.79,
                longitude: 12.05,
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .district
        .unwrap();
    let organization = admin
        .create_organization(CreateOrganizationRequest {
            organization_id: "sfi-lovgardet".into(),
            organization: Some(Organization {
                display_name: "SFI Angered".into(),
                kind: OrganizationKind::SfiSchool.into(),
                chapter: "chapters/goteborg".into(),
                municipality: "municipalities/goteborg".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    for (what, create, update) in [
        ("chapter", &chapter.create_time, &chapter.update_time),
        ("district", &district.create_time, &district.update_time),
        (
            "organization",
            &organization.create_time,
            &organization.update_time,
        ),
    ] {
        assert_eq!((create, update), (&at(start), &at(start)), "{what} as created");
    }

    app.clock().advance(later - start);
    let chapter = admin
        .update_chapter(UpdateChapterRequest {
            chapter: Some(Chapter {
                display_name: "Kompis Göteborg och Angered".into(),
                ..chapter
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .unwrap()
        .into_inner()
        .chapter
        .unwrap();
    let district = admin
        .update_district(UpdateDistrictRequest {
            district: Some(District {
                display_name: "Lövgärdet centrum".into(),
                ..district
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .unwrap()
        .into_inner()
        .district
        .unwrap();
    let organization = admin
        .update_organization(UpdateOrganizationRequest {
            organization: Some(Organization {
                display_name: "SFI Angered och Gårdsten".into(),
                ..organization
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    for (what, create, update) in [
        ("chapter", &chapter.create_time, &chapter.update_time),
        ("district", &district.create_time, &district.update_time),
        (
            "organization",
            &organization.create_time,
            &organization.update_time,
        ),
    ] {
        assert_eq!((create, update), (&at(start), &at(later)), "{what} as changed");
    }
}
