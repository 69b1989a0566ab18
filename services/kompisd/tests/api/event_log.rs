//! The event log: kinds, the attributes reports count on, and append-only for every
//! column, enforced against the service's own database role.

use kompis_proto::v1::*;
use sqlx::{Connection, Executor};

use crate::fixtures::referrals::{refer, reports};
use crate::support;

/// kind, participant_role, referral_source, organization_id, district_id, gender,
/// birth_year.
type AttributeRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i32>,
);

async fn an_event(app: &support::TestApp) -> uuid::Uuid {
    refer(app, "+46701112233", "amina@exempel.se").await;
    sqlx::query_scalar("SELECT id FROM events LIMIT 1")
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_event_carries_its_kind_and_the_attributes_reports_count_on() {
    let app = support::spawn_app_with_demo().await;
    let referral = refer(&app, "+46701112233", "amina@exempel.se").await;
    let row: AttributeRow = sqlx::query_as(
        "SELECT kind, participant_role, referral_source, organization_id, district_id, gender, birth_year
             FROM events WHERE subject = $1",
    )
    .bind(&referral.name)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "referral".into(),
            Some("newcomer".into()),
            Some("referral".into()),
            Some("sfi-botkyrka".into()),
            Some("alby".into()),
            Some("female".into()),
            Some(1990)
        )
    );
    let listed = reports(&app, &app.coordinator("botkyrka"))
        .list_events(ListEventsRequest {
            parent: "chapters/botkyrka".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.events[0].kind, EventKind::Referral as i32);
}

#[tokio::test]
async fn the_service_role_may_blank_a_reason_and_nothing_else() {
    let app = support::spawn_app_with_demo().await;
    let id = an_event(&app).await;
    let mut service = app.service_role_connection().await;

    let blanked = sqlx::query("UPDATE events SET reason = '' WHERE id = $1")
        .bind(id)
        .execute(&mut service)
        .await;
    assert!(blanked.is_ok(), "{blanked:?}");

    for refused in [
        "UPDATE events SET actor = 'someone else' WHERE id = $1",
        "UPDATE events SET occur_time = occur_time - interval '1 day' WHERE id = $1",
        "UPDATE events SET reason = 'rewritten' WHERE id = $1",
        "DELETE FROM events WHERE id = $1",
    ] {
        let result = sqlx::query(refused).bind(id).execute(&mut service).await;
        assert!(result.is_err(), "the service role could run {refused}");
    }
    assert!(service.execute("TRUNCATE events").await.is_err());
    assert!(
        service
            .execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
            .await
            .is_err(),
        "the service role could disable the append-only trigger"
    );
    assert!(
        service
            .execute("SET session_replication_role = replica")
            .await
            .is_err(),
        "the service role could switch triggers off for its session"
    );
    let still_there: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE id = $1")
        .bind(id)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(still_there, 1);
}

#[tokio::test]
async fn a_column_added_later_is_append_only_too() {
    let app = support::spawn_app_with_demo().await;
    let id = an_event(&app).await;
    // As the owner, as a later migration would.
    let mut owner = sqlx::PgConnection::connect(&app_database_url(&app).await)
        .await
        .unwrap();
    owner
        .execute("ALTER TABLE events ADD COLUMN later_attribute text")
        .await
        .unwrap();
    let changed = sqlx::query("UPDATE events SET later_attribute = 'x' WHERE id = $1")
        .bind(id)
        .execute(&mut owner)
        .await;
    assert!(changed.is_err(), "a later column could be changed");
    let deleted = sqlx::query("DELETE FROM events WHERE id = $1")
        .bind(id)
        .execute(&mut owner)
        .await;
    assert!(
        deleted.is_err(),
        "even the owner deletes no event while the trigger stands"
    );
}

async fn app_database_url(app: &support::TestApp) -> String {
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(app.pool())
        .await
        .unwrap();
    support::with_database(&support::admin_database_url(), &name)
}
