//! AdminService: reference data, validated at the edge, idempotent, scoped by role.

use crate::support;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::*;
use prost_types::FieldMask;
use tonic::Code;

type Client = AdminServiceClient<support::Authed>;

fn client(app: &support::TestApp, token: &str) -> Client {
    AdminServiceClient::new(support::authed(app.channel(), token))
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[tokio::test]
async fn the_places_seed_has_botkyrkas_districts_with_real_coordinates() {
    let app = support::spawn_app().await;
    let mut admin = client(&app, &app.administrator());

    let districts = admin
        .list_districts(ListDistrictsRequest {
            parent: "municipalities/botkyrka".into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .districts;

    let names: Vec<&str> = districts.iter().map(|d| d.display_name.as_str()).collect();
    for expected in [
        "Alby",
        "Eriksberg",
        "Fittja",
        "Grödinge",
        "Hallunda",
        "Norsborg",
        "Storvreten",
        "Tullinge",
        "Tumba",
        "Vårsta",
    ] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    // Every Botkyrka district lies within the municipality's bounding box (about
    // 59.13-59.27 N, 17.70-17.95 E), so coordinates are real geography, not placeholders.
    for d in &districts {
        assert!((59.13..59.27).contains(&d.latitude), "{}: {}", d.name, d.latitude);
        assert!(
            (17.70..17.95).contains(&d.longitude),
            "{}: {}",
            d.name,
            d.longitude
        );
    }
    let municipalities = admin
        .list_municipalities(ListMunicipalitiesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .municipalities;
    assert!(municipalities.len() >= 3);
    let botkyrka = municipalities
        .iter()
        .find(|m| m.name == "municipalities/botkyrka")
        .unwrap();
    assert_eq!(botkyrka.code, "0127");
}

#[tokio::test]
async fn lists_page_through_every_district_exactly_once_with_opaque_tokens() {
    let app = support::spawn_app().await;
    let mut admin = client(&app, &app.administrator());
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = admin
            .list_districts(ListDistrictsRequest {
                parent: "municipalities/-".into(),
                page_size: 7,
                page_token: token.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.districts.len() <= 7);
        seen.extend(page.districts.into_iter().map(|d| d.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM districts")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no district twice");
    assert_eq!(seen.len() as i64, total, "every district once");

    // A token is bound to the request it came from.
    let first = admin
        .list_districts(ListDistrictsRequest {
            parent: "municipalities/-".into(),
            page_size: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let err = admin
        .list_districts(ListDistrictsRequest {
            parent: "municipalities/botkyrka".into(),
            page_size: 2,
            page_token: first.next_page_token,
        })
        .await
        .unwrap_err();
    assert_eq!(support::bad_fields(&err), ["page_token"]);
}

#[tokio::test]
async fn an_administrator_creates_a_chapter_with_its_default_weights() {
    let app = support::spawn_app().await;
    let mut admin = client(&app, &app.administrator());

    let chapter = admin
        .create_chapter(CreateChapterRequest {
            chapter_id: "goteborg".into(),
            chapter: Some(Chapter {
                display_name: "Kompis Göteborg".into(),
                municipalities: vec!["municipalities/goteborg".into()],
                contact_email: "goteborg@kompis.example".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .chapter
        .unwrap();

    assert_eq!(chapter.name, "chapters/goteborg");
    assert_eq!(chapter.municipalities, ["municipalities/goteborg"]);
    assert_eq!(
        chapter.activity_reminder_hours,
        Some(24),
        "a day before, unless set"
    );
    let weights = admin
        .get_matching_weights(GetMatchingWeightsRequest {
            name: "chapters/goteborg/matchingWeights".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .matching_weights
        .unwrap();
    assert_eq!((weights.min_age, weights.top_k), (18, 5));
    let fetched = admin
        .get_chapter(GetChapterRequest {
            name: "chapters/goteborg".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .chapter
        .unwrap();
    assert_eq!(fetched, chapter);
}

#[tokio::test]
async fn a_bad_create_names_every_bad_field_and_writes_nothing() {
    let app = support::spawn_app().await;
    let mut admin = client(&app, &app.administrator());

    let err = admin
        .create_chapter(CreateChapterRequest {
            chapter_id: "Not A Slug".into(),
            chapter: Some(Chapter {
                display_name: String::new(),
                municipalities: vec!["botkyrka".into()],
                contact_email: "not-an-email".into(),
                ..Default::default()
            }),
            request_id: "not-a-uuid".into(),
        })
        .await
        .unwrap_err();

    assert_eq!(
        support::bad_fields(&err),
        [
            "chapter.contact_email",
            "chapter.display_name",
            "chapter.municipalities[0]",
            "chapter_id",
            "request_id"
        ]
    );
    let chapters: i64 = sqlx::query_scalar("SELECT count(*) FROM chapters")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(chapters, 0);
}

#[tokio::test]
async fn a_district_outside_the_globe_is_refused_per_coordinate() {
    let app = support::spawn_app().await;
    let mut admin = client(&app, &app.administrator());
    let err = admin
        .create_district(CreateDistrictRequest {
            parent: "municipalities/botkyrka".into(),
            district_id: "atlantis".into(),
            district: Some(District {
                display_name: "Atlantis".into(),
                latitude: 123.0,
                longitude: -200.0,
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        support::bad_fields(&err),
        ["district.latitude", "district.longitude"]
    );
}

#[tokio::test]
async fn a_retried_create_returns_the_first_result_and_a_reused_request_id_is_refused() {
    let app = support::spawn_app().await;
    let mut admin = client(&app, &app.administrator());
    let request = CreateDistrictRequest {
        parent: "municipalities/botkyrka".into(),
        district_id: "slagsta".into(),
        district: Some(District {
            display_name: "Slagsta".into(),
            latitude: 59.2420,
            longitude: 17.8770,
            ..Default::default()
        }),
        request_id: request_id(),
    };

    let first = admin.create_district(request.clone()).await.unwrap().into_inner();
    let retry = admin.create_district(request.clone()).await.unwrap().into_inner();
    assert_eq!(first, retry);

    let mut different = request.clone();
    different.district.as_mut().unwrap().display_name = "Something else".into();
    let err = admin.create_district(different).await.unwrap_err();
    assert_eq!(support::bad_fields(&err), ["request_id"]);

    let mut new_id = request;
    new_id.request_id = request_id();
    let err = admin.create_district(new_id).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn updates_change_only_the_masked_fields() {
    let app = support::spawn_app().await;
    let mut admin = client(&app, &app.administrator());
    let before = admin
        .get_district(GetDistrictRequest {
            name: "municipalities/botkyrka/districts/alby".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .district
        .unwrap();

    let after = admin
        .update_district(UpdateDistrictRequest {
            district: Some(District {
                name: before.name.clone(),
                display_name: "Alby centrum".into(),
                latitude: 1.0, // not in the mask: ignored
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .unwrap()
        .into_inner()
        .district
        .unwrap();

    assert_eq!(after.display_name, "Alby centrum");
    assert_eq!(after.latitude, before.latitude);
    let err = admin
        .update_district(UpdateDistrictRequest {
            district: Some(before.clone()),
            update_mask: mask(&["create_time"]),
        })
        .await
        .unwrap_err();
    assert_eq!(support::bad_fields(&err), ["update_mask"]);
}

#[tokio::test]
async fn matching_weights_are_validated_and_changed_only_by_administrators() {
    let app = support::spawn_app_with_demo().await;
    let name = "chapters/botkyrka/matchingWeights".to_string();
    let mut coordinator = client(&app, &app.coordinator("botkyrka"));
    let current = coordinator
        .get_matching_weights(GetMatchingWeightsRequest { name: name.clone() })
        .await
        .unwrap()
        .into_inner()
        .matching_weights
        .unwrap();

    let err = coordinator
        .update_matching_weights(UpdateMatchingWeightsRequest {
            matching_weights: Some(MatchingWeights {
                distance: 50,
                ..current.clone()
            }),
            update_mask: mask(&["distance"]),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    let mut admin = client(&app, &app.administrator());
    let err = admin
        .update_matching_weights(UpdateMatchingWeightsRequest {
            matching_weights: Some(MatchingWeights {
                distance: 500,
                max_distance_km: -1.0,
                ..current.clone()
            }),
            update_mask: mask(&["distance", "max_distance_km"]),
        })
        .await
        .unwrap_err();
    assert_eq!(
        support::bad_fields(&err),
        ["matching_weights.distance", "matching_weights.max_distance_km"]
    );

    let updated = admin
        .update_matching_weights(UpdateMatchingWeightsRequest {
            matching_weights: Some(MatchingWeights {
                distance: 50,
                ..current.clone()
            }),
            update_mask: mask(&["distance"]),
        })
        .await
        .unwrap()
        .into_inner()
        .matching_weights
        .unwrap();
    assert_eq!(updated.distance, 50);
    assert_eq!(updated.shared_interests, current.shared_interests);

    // A coordinator of another chapter may not even learn that they exist.
    let err = client(&app, &app.coordinator("stockholm"))
        .get_matching_weights(GetMatchingWeightsRequest { name })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn organisations_must_sit_in_a_municipality_their_chapter_covers() {
    let app = support::spawn_app_with_demo().await;
    let mut admin = client(&app, &app.administrator());
    let org = |municipality: &str| Organization {
        display_name: "SFI Fittja".into(),
        kind: OrganizationKind::SfiSchool as i32,
        chapter: "chapters/botkyrka".into(),
        municipality: municipality.into(),
        ..Default::default()
    };

    let err = admin
        .create_organization(CreateOrganizationRequest {
            organization_id: "sfi-fittja".into(),
            organization: Some(org("municipalities/malmo")),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(support::bad_fields(&err), ["organization.municipality"]);

    let created = admin
        .create_organization(CreateOrganizationRequest {
            organization_id: "sfi-fittja".into(),
            organization: Some(org("municipalities/botkyrka")),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    assert_eq!(created.name, "organizations/sfi-fittja");
    assert_eq!(created.kind, OrganizationKind::SfiSchool as i32);
}

#[tokio::test]
async fn a_referrer_sees_only_their_own_organisation() {
    let app = support::spawn_app_with_demo().await;
    let mut referrer = client(&app, &app.referrer("sfi-botkyrka"));

    let listed = referrer
        .list_organizations(ListOrganizationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .organizations;
    assert_eq!(
        listed.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
        ["organizations/sfi-botkyrka"]
    );
    let err = referrer
        .get_organization(GetOrganizationRequest {
            name: "organizations/folkhogskola-tumba".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    // Writes are for administrators only.
    let err = referrer
        .create_municipality(CreateMunicipalityRequest {
            municipality_id: "huddinge".into(),
            municipality: Some(Municipality {
                display_name: "Huddinge".into(),
                code: "0126".into(),
                region: "Stockholms län".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn coordinators_manage_their_chapters_interest_taxonomy() {
    let app = support::spawn_app_with_demo().await;
    let mut coordinator = client(&app, &app.coordinator("botkyrka"));
    let created = coordinator
        .create_interest(CreateInterestRequest {
            parent: "chapters/botkyrka".into(),
            interest_id: "chess".into(),
            interest: Some(Interest {
                display_name: "Chess".into(),
                category: "games".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .interest
        .unwrap();
    assert_eq!(created.name, "chapters/botkyrka/interests/chess");

    let listed = coordinator
        .list_interests(ListInterestsRequest {
            parent: "chapters/botkyrka".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .interests;
    assert!(listed.iter().any(|i| i.name == created.name));
    let categories: Vec<&str> = listed.iter().map(|i| i.category.as_str()).collect();
    let mut sorted = categories.clone();
    sorted.sort();
    assert_eq!(categories, sorted, "ordered by category");

    coordinator
        .delete_interest(DeleteInterestRequest {
            name: created.name.clone(),
        })
        .await
        .unwrap();
    let err = coordinator
        .delete_interest(DeleteInterestRequest { name: created.name })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    let err = client(&app, &app.coordinator("stockholm"))
        .create_interest(CreateInterestRequest {
            parent: "chapters/botkyrka".into(),
            interest_id: "darts".into(),
            interest: Some(Interest {
                display_name: "Darts".into(),
                category: "games".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    // Another chapter's taxonomy does not exist for this coordinator.
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn a_municipality_can_belong_to_only_one_chapter() {
    let app = support::spawn_app_with_demo().await;
    let mut admin = client(&app, &app.administrator());
    let err = admin
        .create_chapter(CreateChapterRequest {
            chapter_id: "sodertorn".into(),
            chapter: Some(Chapter {
                display_name: "Kompis Södertörn".into(),
                municipalities: vec!["municipalities/botkyrka".into()],
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(support::reason(&err), "MUNICIPALITY_TAKEN");
    let exists: bool = sqlx::query_scalar("SELECT exists(SELECT 1 FROM chapters WHERE id = 'sodertorn')")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert!(!exists, "no half-written chapter");
}
