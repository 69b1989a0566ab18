//! Erasure of a person (GDPR Art. 17): nothing of them is left in PostgreSQL or in
//! Redis, the event log still counts them, and what they held goes to others.

use std::collections::BTreeMap;

use kompis_proto::v1::*;
use uuid::Uuid;

use crate::fixtures::activities::{answer, invitations, invite, plan_walk};
use crate::fixtures::matching::{
    accept_by_phone, matchable_profile, matching, propose, ready_newcomer, ready_resident,
};
use crate::fixtures::notifications::{id_of, notify};
use crate::fixtures::participants::*;
use crate::fixtures::referrals::{SFI, SFI_ACCOUNT, create, learner, referrals};
use crate::support::{self, TestApp};

/// The marker placed in every field of the person that can carry it.
const MARKER: &str = "zqxcanary";

/// A referral whose names, display name, e-mail and note carry the marker.
fn marked_referral() -> Referral {
    let mut r = learner("+46701009977", &format!("{MARKER}@exempel.se"), SFI_ACCOUNT);
    r.learner_name = Some(PersonName {
        given_name: format!("A{MARKER}"),
        family_name: format!("B{MARKER}"),
        display_name: format!("C{MARKER}"),
    });
    r.note = format!("Ask for {MARKER} at reception.");
    r
}

/// How often the marker occurs in a plain dump of the whole test database.
fn marker_in_database(app: &TestApp) -> usize {
    let pg_dump = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed")
        .filter_map(|e| {
            let p = e.ok()?.path().join("bin/pg_dump");
            p.exists().then_some(p)
        })
        .max()
        .expect("pg_dump is installed");
    let out = std::process::Command::new(pg_dump)
        .arg("--data-only")
        .arg(app.database_url())
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = String::from_utf8_lossy(&out.stdout);
    assert!(
        dump.contains("COPY public.participants"),
        "the dump holds the data"
    );
    dump.matches(MARKER).count()
}

/// How often the marker occurs in the values of every key under the test's prefix.
async fn marker_in_redis(app: &TestApp) -> (usize, usize) {
    let client = redis::Client::open(support::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut keys: Vec<String> = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{}*", app.redis_prefix))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .unwrap();
        keys.extend(batch);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    let mut text = String::new();
    for key in &keys {
        let kind: String = redis::cmd("TYPE").arg(key).query_async(&mut conn).await.unwrap();
        let mut cmd = match kind.as_str() {
            "stream" => redis::cmd("XRANGE"),
            "string" => redis::cmd("GET"),
            "hash" => redis::cmd("HGETALL"),
            "list" => redis::cmd("LRANGE"),
            "set" => redis::cmd("SMEMBERS"),
            "zset" => redis::cmd("ZRANGE"),
            _ => continue,
        };
        cmd.arg(key);
        match kind.as_str() {
            "stream" => {
                cmd.arg("-").arg("+");
            }
            "list" | "zset" => {
                cmd.arg(0).arg(-1);
            }
            _ => {}
        }
        let value: redis::Value = cmd.query_async(&mut conn).await.unwrap();
        text.push_str(key);
        text.push_str(&format!("{value:?}"));
    }
    (keys.len(), text.matches(MARKER).count())
}

/// Events of the chapter that exist now, by kind, from-state, to-state and attributes:
/// the figures reports are built on.
async fn event_counts(app: &TestApp, ids: &[Uuid]) -> BTreeMap<String, i64> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT concat_ws('|', kind, from_state, to_state, participant_role, referral_source,
                          gender, birth_year::text, municipality_id, district_id, end_reason),
                count(*)
         FROM events WHERE chapter_id = 'botkyrka' AND id = ANY($1) GROUP BY 1",
    )
    .bind(ids)
    .fetch_all(app.pool())
    .await
    .unwrap();
    rows.into_iter().collect()
}

async fn erase(app: &TestApp, name: &str) -> Result<EraseParticipantResponse, tonic::Status> {
    participants(app, &app.coordinator("botkyrka"))
        .erase_participant(EraseParticipantRequest {
            name: name.into(),
            reason: ErasureReason::PersonRequested as i32,
            request_id: request_id(),
        })
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn an_erased_person_leaves_no_trace_in_postgres_or_redis_and_is_still_counted() {
    let app = support::spawn_app_with_demo().await;
    let coordinator = app.coordinator("botkyrka");

    // The person, with the marker in every field the API lets it into.
    let referral = referrals(&app, &app.referrer(SFI))
        .create_referral(create(marked_referral()))
        .await
        .expect("the referral is accepted")
        .into_inner()
        .referral
        .unwrap();
    let person = referrals(&app, &coordinator)
        .convert_referral(ConvertReferralRequest {
            name: referral.name.clone(),
            request_id: request_id(),
        })
        .await
        .expect("the referral is converted")
        .into_inner()
        .participant
        .unwrap();
    participants(&app, &coordinator)
        .create_participant_note(CreateParticipantNoteRequest {
            parent: person.name.clone(),
            text: format!("Prefers mornings, says {MARKER}."),
            request_id: request_id(),
        })
        .await
        .unwrap();
    let interview = interviews(&app, &coordinator)
        .book_interview(BookInterviewRequest {
            parent: person.name.clone(),
            interview: Some(Interview {
                schedule_time: in_an_hour(&app),
                mode: InterviewMode::InPerson as i32,
                location: format!("Library, ask for {MARKER}"),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .interview
        .unwrap();
    hold(&app, &interview.name).await;
    interviews(&app, &coordinator)
        .record_interview(RecordInterviewRequest {
            request_id: String::new(),
            name: interview.name.clone(),
            profile: Some(matchable_profile(ParticipantRole::Newcomer, ALBY, 0)),
            eligibility: Some(eligible()),
            notes: format!("Met {MARKER} at the library."),
            outcome: InterviewOutcome::Approved as i32,
            outcome_reason: String::new(),
        })
        .await
        .unwrap();

    // A proposal they declined with the marker, then a match with a check-in.
    let first = ready_resident(&app, 1, ALBY, 1).await;
    let declined = propose(&app, &person.name, &first.name, "").await.unwrap();
    matching(&app, &coordinator)
        .decline_match(DeclineMatchRequest {
            name: declined.name.clone(),
            side: ParticipantRole::Newcomer as i32,
            reason: format!("{MARKER} would rather wait"),
            request_id: request_id(),
        })
        .await
        .unwrap();
    let buddy = ready_resident(&app, 2, ALBY, 1).await;
    let m = propose(&app, &person.name, &buddy.name, "").await.unwrap();
    accept_by_phone(&app, &m.name, ParticipantRole::Newcomer)
        .await
        .unwrap();
    accept_by_phone(&app, &m.name, ParticipantRole::EstablishedResident)
        .await
        .unwrap();
    matching(&app, &coordinator)
        .record_check_in(RecordCheckInRequest {
            parent: m.name.clone(),
            check_in: Some(CheckIn {
                answer: CheckInAnswer::Met as i32,
                health: MatchHealth::Good as i32,
                note: format!("Spoke with {MARKER}."),
                concern: format!("{MARKER} seemed tired."),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap();

    // The one seat of a walk is theirs; another newcomer waits for it.
    let waiting = ready_newcomer(&app, 5, ALBY).await;
    let walk = plan_walk(&app, 1).await;
    invite(&app, &walk.name, &[id_of(&person.name), id_of(&waiting.name)]).await;
    let all = invitations(&app, &walk.name, Rsvp::Unspecified).await;
    let of = |id: Uuid| {
        all.iter()
            .find(|i| id_of(&i.participant) == id)
            .unwrap()
            .name
            .clone()
    };
    answer(&app, id_of(&person.name), &of(id_of(&person.name)), Rsvp::Yes, 0)
        .await
        .unwrap();
    let queued = answer(
        &app,
        id_of(&waiting.name),
        &of(id_of(&waiting.name)),
        Rsvp::Yes,
        0,
    )
    .await
    .unwrap();
    assert_eq!(queued.rsvp, Rsvp::Waitlisted as i32);

    assert!(marker_in_database(&app) > 5, "the marker is in the person's data");
    let events_before: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM events")
        .fetch_all(app.pool())
        .await
        .unwrap();
    let counts_before = event_counts(&app, &events_before).await;

    erase(&app, &person.name).await.expect("the person is erased");

    assert_eq!(
        marker_in_database(&app),
        0,
        "nothing of the person is left in PostgreSQL"
    );
    let (keys, in_redis) = marker_in_redis(&app).await;
    assert!(keys > 0, "the service's Redis keys are there to look at");
    assert_eq!(in_redis, 0, "nothing of the person is left in Redis");
    assert_eq!(
        event_counts(&app, &events_before).await,
        counts_before,
        "every event is still counted as it was"
    );
    let seated = invitations(&app, &walk.name, Rsvp::Yes).await;
    assert_eq!(
        seated.iter().map(|i| id_of(&i.participant)).collect::<Vec<_>>(),
        vec![id_of(&waiting.name)],
        "the freed seat went to the next on the waitlist"
    );
    let ended = crate::fixtures::matching::get_match(&app, &m.name).await;
    assert_eq!(ended.state, MatchState::Ended as i32, "the live match ended");
    assert_eq!(
        get(&app, &buddy.name).await.state,
        ParticipantState::Ready as i32,
        "the buddy waits for a new match"
    );
}

#[tokio::test]
async fn an_erased_participant_is_not_found_and_their_app_token_is_not_signed_up() {
    let app = support::spawn_app_with_demo().await;
    let person = register(&app, newcomer(1)).await;
    register(&app, newcomer(2)).await;
    let token = app.participant(id_of(&person.name));
    buddy_app(&app, &token)
        .get_my_profile(GetMyProfileRequest {})
        .await
        .expect("the person sees their profile before");

    // Without a reason the erasure is refused, naming the field.
    let refused = participants(&app, &app.coordinator("botkyrka"))
        .erase_participant(EraseParticipantRequest {
            name: person.name.clone(),
            reason: ErasureReason::Unspecified as i32,
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert_eq!(support::bad_fields(&refused), vec!["reason"]);

    erase(&app, &person.name).await.unwrap();
    // Again: nothing left to erase, and no error.
    erase(&app, &person.name).await.expect("erasing again succeeds");

    let status = participants(&app, &app.coordinator("botkyrka"))
        .get_participant(GetParticipantRequest {
            name: person.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    let listed = participants(&app, &app.coordinator("botkyrka"))
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("the list is read")
        .into_inner()
        .participants;
    assert!(
        listed.iter().all(|p| p.name != person.name),
        "the list leaves the tombstone out"
    );
    assert!(!listed.is_empty(), "the others are listed");
    let status = buddy_app(&app, &token)
        .get_my_profile(GetMyProfileRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    assert_eq!(support::reason(&status), "INVALID_TOKEN");

    let actions: Vec<(String, bool)> = sqlx::query_as(
        "SELECT action, allowed FROM audit_log WHERE participant_id = $1 AND method = 'EraseParticipant'",
    )
    .bind(id_of(&person.name))
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(actions.len(), 2, "each erasure is in the audit log");
    assert!(actions.iter().all(|(a, ok)| a == "erase" && *ok));
}

#[tokio::test]
async fn a_participant_erases_their_own_data_in_the_app() {
    let app = support::spawn_app_with_demo().await;
    let person = register(&app, newcomer(3)).await;
    let token = app.participant(id_of(&person.name));
    buddy_app(&app, &token)
        .erase_my_data(EraseMyDataRequest {
            consent_withdrawn: true,
            request_id: request_id(),
        })
        .await
        .expect("the person erases their data");
    let status = buddy_app(&app, &token)
        .get_my_application(GetMyApplicationRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let row: (Option<String>, String, String) = sqlx::query_as(
        "SELECT email, given_name, (SELECT reason FROM events WHERE subject = $2
                                    ORDER BY occur_time DESC, id DESC LIMIT 1)
         FROM participants WHERE id = $1",
    )
    .bind(id_of(&person.name))
    .bind(&person.name)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(row, (None, String::new(), "erased: consent_withdrawn".to_owned()));
}

#[tokio::test]
async fn an_inactive_applicant_is_warned_then_erased_once_with_two_workers() {
    let retention = |s: &mut kompisd::settings::Settings| {
        s.retention_warn_after_days = 30;
        s.retention_erase_after_days = 14;
    };
    let app = support::spawn_app_configured(retention).await;
    // A second process on the same database and clock sweeps at the same time.
    let mut second = support::test_settings(app.database_url(), &app.redis_prefix);
    retention(&mut second);
    second.clock = kompis_domain::Clock::from(app.clock().clone());
    second.timer_interval = std::time::Duration::from_millis(20);
    let other = support::start(second).await;

    let idle = register(&app, newcomer(1)).await;
    let active = register(&app, newcomer(2)).await;
    let id = id_of(&idle.name);
    let warnings = |who: Uuid| {
        let pool = app.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM notifications
                 WHERE participant_id = $1 AND template = 'retention-warning'",
            )
            .bind(who)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };

    app.clock().set(app.clock().now() + time::Duration::days(29));
    // The other applicant changes their record: active again.
    participants(&app, &app.coordinator("botkyrka"))
        .update_participant(UpdateParticipantRequest {
            participant: Some(Participant {
                name: active.name.clone(),
                birth_year: 1991,
                ..Default::default()
            }),
            update_mask: mask(&["birth_year"]),
        })
        .await
        .expect("the other applicant's record changes");
    app.clock().set(app.clock().now() + time::Duration::days(2));
    support::eventually("the idle applicant is warned", || async {
        (warnings(id).await > 0).then_some(())
    })
    .await;
    assert_eq!(warnings(id).await, 1, "warned once");
    assert_eq!(
        warnings(id_of(&active.name)).await,
        0,
        "an active applicant is not warned"
    );

    app.clock().set(app.clock().now() + time::Duration::days(15));
    support::eventually("the idle applicant is erased", || async {
        let erased: Option<time::OffsetDateTime> =
            sqlx::query_scalar("SELECT erase_time FROM participants WHERE id = $1")
                .bind(id)
                .fetch_one(app.pool())
                .await
                .unwrap();
        erased.map(|_| ())
    })
    .await;
    let erasures: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE subject = $1 AND to_state = 'ended'")
            .bind(&idle.name)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(erasures, 1, "erased once by two workers");
    let status = buddy_app(&app, &app.participant(id))
        .get_my_profile(GetMyProfileRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    get(&app, &active.name).await;
    other.shutdown().await;
}

/// Rows of `table` that belong to `participant`.
async fn rows_of(app: &TestApp, table: &str, participant: Uuid) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {table} WHERE participant_id = $1"
    )))
    .bind(participant)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn an_erasure_among_the_workers_deliveries_to_the_person_never_collides_and_nothing_comes_back() {
    let app = support::spawn_app_with_demo_configured(|s| s.delivery_workers = 4).await;
    // Someone else whose notifications travel in the same batches.
    let bystander = id_of(&ready_newcomer(&app, 90, ALBY).await.name);
    let mut for_bystander = 0;
    let mut erased = Vec::new();
    for round in 0..6 {
        // A person with a live match, so that the erasure also ends it and notifies the
        // buddy.
        let person = ready_newcomer(&app, 100 + round, ALBY).await;
        let buddy = ready_resident(&app, 100 + round, ALBY, 1).await;
        let m = propose(&app, &person.name, &buddy.name, "").await.unwrap();
        accept_by_phone(&app, &m.name, ParticipantRole::Newcomer)
            .await
            .unwrap();
        accept_by_phone(&app, &m.name, ParticipantRole::EstablishedResident)
            .await
            .unwrap();
        let id = id_of(&person.name);
        // Hundreds of deliveries to the person, interleaved with the bystander's.
        for _ in 0..6 {
            let mut batch = vec![id; 60];
            batch.extend([bystander; 20]);
            notify(&app, &batch, &m.name).await;
            for_bystander += 20;
        }
        // Erase once the worker is delivering to them.
        support::eventually("the first deliveries to the person", || async {
            (rows_of(&app, "inbox", id).await > 0).then_some(())
        })
        .await;
        let answer = erase(&app, &person.name).await;
        assert!(
            answer.is_ok(),
            "round {round}: the erasure is not refused while deliveries run: {answer:?}"
        );
        erased.push(id);
    }

    // Every delivery is done with: the bystander's all arrived, every outbox row of the
    // app's deliveries is settled, none became a dead letter.
    support::eventually("every delivery to the bystander", || async {
        (rows_of(&app, "inbox", bystander).await == for_bystander).then_some(())
    })
    .await;
    support::eventually("every outbox row settled", || async {
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE topic = 'notifications' AND settle_time IS NULL",
        )
        .fetch_one(app.pool())
        .await
        .unwrap();
        (open == 0).then_some(())
    })
    .await;
    let dead: i64 = sqlx::query_scalar("SELECT count(*) FROM dead_letters")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(dead, 0, "no delivery failed");
    for id in erased {
        for table in [
            "notifications",
            "inbox",
            "inbox_counters",
            "notification_settings",
        ] {
            assert_eq!(
                rows_of(&app, table, id).await,
                0,
                "no delivery brought back an erased person's {table}"
            );
        }
    }
}

/// Retention notifications sent to `who`.
async fn retention_warnings(app: &TestApp, who: Uuid) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM notifications
         WHERE participant_id = $1 AND template = 'retention-warning'",
    )
    .bind(who)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

/// When `who` was erased, if they were.
async fn erase_time(app: &TestApp, who: Uuid) -> Option<time::OffsetDateTime> {
    sqlx::query_scalar("SELECT erase_time FROM participants WHERE id = $1")
        .bind(who)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_inactive_former_participant_is_warned_then_erased_and_nobody_with_a_live_match_is() {
    let app = support::spawn_app_with_demo_configured(|s| {
        s.retention_former_warn_after_days = 60;
        s.retention_former_erase_after_days = 14;
    })
    .await;
    let coordinator = app.coordinator("botkyrka");
    // A newcomer who withdrew, one who withdrew and came back after the warning, a
    // matched pair and an applicant, none of whom changes for the next 60 days.
    let withdraw = |name: String| {
        let mut client = participants(&app, &coordinator);
        async move {
            client
                .withdraw_participant(WithdrawParticipantRequest {
                    name,
                    reason: "moved away".into(),
                    request_id: request_id(),
                })
                .await
                .expect("the participant withdraws");
        }
    };
    let former = ready_newcomer(&app, 201, ALBY).await;
    withdraw(former.name.clone()).await;
    let returning = ready_newcomer(&app, 202, ALBY).await;
    withdraw(returning.name.clone()).await;
    let matched = ready_newcomer(&app, 203, ALBY).await;
    let resident = ready_resident(&app, 203, ALBY, 1).await;
    let m = propose(&app, &matched.name, &resident.name, "").await.unwrap();
    accept_by_phone(&app, &m.name, ParticipantRole::Newcomer)
        .await
        .unwrap();
    accept_by_phone(&app, &m.name, ParticipantRole::EstablishedResident)
        .await
        .unwrap();
    let applicant = register(&app, newcomer(204)).await;
    let kept = [&matched, &resident, &applicant].map(|p| id_of(&p.name));

    app.clock().set(app.clock().now() + time::Duration::days(61));
    support::eventually("the former participants are warned", || async {
        (retention_warnings(&app, id_of(&former.name)).await == 1
            && retention_warnings(&app, id_of(&returning.name)).await == 1)
            .then_some(())
    })
    .await;
    for who in kept {
        assert_eq!(
            retention_warnings(&app, who).await,
            0,
            "only former participants are warned by their rule"
        );
    }
    // One comes back: active again.
    participants(&app, &coordinator)
        .return_participant(ReturnParticipantRequest {
            name: returning.name.clone(),
            reason: "back in Botkyrka".into(),
            reset_waiting_since: false,
            request_id: request_id(),
        })
        .await
        .expect("the participant returns");

    app.clock().set(app.clock().now() + time::Duration::days(15));
    support::eventually("the inactive former participant is erased", || async {
        erase_time(&app, id_of(&former.name)).await.map(|_| ())
    })
    .await;
    assert_eq!(
        retention_warnings(&app, id_of(&former.name)).await,
        0,
        "their notifications went with them"
    );
    assert!(
        erase_time(&app, id_of(&returning.name)).await.is_none(),
        "someone who came back after the warning is kept"
    );
    for who in kept {
        assert!(
            erase_time(&app, who).await.is_none(),
            "a matched person or an applicant is not erased by the former participants' rule"
        );
    }
    assert_eq!(
        crate::fixtures::matching::get_match(&app, &m.name).await.state,
        MatchState::Accepted as i32,
        "the live match is untouched"
    );
}

/// The deliveries named by the entries of the app's delivery stream in Redis.
async fn deliveries_in_redis(app: &TestApp) -> Vec<Uuid> {
    let client = redis::Client::open(support::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(format!("{}:stream:notifications", app.redis_prefix))
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .unwrap();
    reply
        .ids
        .iter()
        .filter_map(|entry| entry.get::<String>("payload"))
        .filter_map(|payload| {
            let value: serde_json::Value = serde_json::from_str(&payload).ok()?;
            Uuid::parse_str(value.get("delivery")?.as_str()?).ok()
        })
        .collect()
}

#[tokio::test]
async fn nothing_is_written_or_sent_for_an_erased_person_when_a_change_would_notify_them() {
    // No inbox consumers: every entry the relay publishes stays in the stream, to be read.
    let app = support::spawn_app_with_demo_configured(|s| s.delivery_workers = 0).await;
    let person = ready_newcomer(&app, 301, ALBY).await;
    let other = ready_newcomer(&app, 302, ALBY).await;
    let walk = plan_walk(&app, 5).await;
    // Neither answers: an unanswered invitation stays with the tombstone, and the
    // cancellation below notifies every invitation still pending.
    invite(&app, &walk.name, &[id_of(&person.name), id_of(&other.name)]).await;
    erase(&app, &person.name).await.expect("the person is erased");

    crate::fixtures::activities::coordinator(&app)
        .cancel_activity(CancelActivityRequest {
            name: walk.name.clone(),
            reason: "Storm warning".into(),
            request_id: request_id(),
        })
        .await
        .expect("the cancellation is no error for the erased invitee");

    // The other invitee is told, and everything written is published.
    let told: Vec<Uuid> = support::eventually("the cancellation is published", || async {
        let told: Vec<Uuid> = sqlx::query_scalar(
            "SELECT d.id FROM notification_deliveries d
             JOIN notifications n ON n.id = d.notification_id
             WHERE n.template = 'activity-cancelled'",
        )
        .fetch_all(app.pool())
        .await
        .unwrap();
        let unpublished: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE publish_time IS NULL")
            .fetch_one(app.pool())
            .await
            .unwrap();
        (!told.is_empty() && unpublished == 0).then_some(told)
    })
    .await;
    let owners: Vec<Uuid> = sqlx::query_scalar(
        "SELECT n.participant_id FROM notification_deliveries d
         JOIN notifications n ON n.id = d.notification_id WHERE d.id = ANY($1)",
    )
    .bind(&told)
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(owners, vec![id_of(&other.name)], "only the other invitee is told");

    let erased = id_of(&person.name);
    for table in [
        "notifications",
        "inbox",
        "inbox_counters",
        "notification_settings",
    ] {
        assert_eq!(
            rows_of(&app, table, erased).await,
            0,
            "nothing in {table} for the erased person"
        );
    }
    let in_redis = deliveries_in_redis(&app).await;
    assert!(
        told.iter().all(|d| in_redis.contains(d)),
        "the other invitee's cancellation is in the stream"
    );
    let theirs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notification_deliveries d
         JOIN notifications n ON n.id = d.notification_id
         WHERE d.id = ANY($1) AND n.participant_id = $2",
    )
    .bind(&in_redis)
    .bind(erased)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        theirs, 0,
        "no stream entry carries a delivery to the erased person"
    );
}

#[tokio::test]
async fn a_notification_written_while_the_erasure_commits_waits_for_it_and_is_skipped_without_an_error() {
    use kompis_store::erasure::{ErasureReason as Reason, erase_participant};
    use kompis_store::notifications::{NewNotification, enqueue};
    let app = support::spawn_app_with_demo().await;
    let person = register(&app, newcomer(321)).await;
    let id = id_of(&person.name);

    // The erasure, as EraseParticipant runs it, in a transaction held open here. Each
    // side has a connection of its own (the test's pool is small).
    let connect = || async {
        use sqlx::Connection;
        sqlx::PgConnection::connect(app.database_url()).await.unwrap()
    };
    let mut erasing_conn = connect().await;
    let mut erasing = sqlx::Connection::begin(&mut erasing_conn).await.unwrap();
    let erasing_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *erasing)
        .await
        .unwrap();
    erase_participant(
        &mut erasing,
        id,
        Reason::PersonRequested,
        "coordinator-botkyrka",
        app.clock().now(),
    )
    .await
    .unwrap();

    // A change notifies them meanwhile, in its own transaction.
    let mut notifying_conn = connect().await;
    let subject = person.name.clone();
    let at = app.clock().now();
    let notifying = tokio::spawn(async move {
        let mut tx = sqlx::Connection::begin(&mut notifying_conn).await?;
        let params = kompis_messages::Params::new();
        enqueue(
            &mut tx,
            &NewNotification {
                participant: id,
                chapter: "botkyrka",
                kind: kompis_domain::NotificationKind::ApplicationUpdated,
                subject: &subject,
                template: kompis_messages::Template::RetentionWarning,
                params: &params,
                at,
            },
        )
        .await
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        tx.commit().await
    });
    // It waits for the erasure's lock on the person (observed, not timed).
    support::eventually("the notification waits for the erasure", || async {
        let waiting: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))")
                .bind(erasing_pid)
                .fetch_one(app.pool())
                .await
                .unwrap();
        (waiting > 0).then_some(())
    })
    .await;
    erasing.commit().await.unwrap();

    notifying
        .await
        .unwrap()
        .expect("the change that notified them commits without an error");
    for table in ["notifications", "inbox", "inbox_counters"] {
        assert_eq!(
            rows_of(&app, table, id).await,
            0,
            "nothing in {table} for the person erased meanwhile"
        );
    }
    let deliveries: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE topic = 'notifications'
           AND NOT EXISTS (SELECT FROM notification_deliveries d
                           WHERE d.id::text = outbox.payload ->> 'delivery')",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(deliveries, 0, "no outbox row without its delivery");
}

/// Ends the match `name` without returning anyone to the waiting list.
async fn end_for_good(app: &TestApp, name: &str) {
    matching(app, &app.coordinator("botkyrka"))
        .end_match(EndMatchRequest {
            name: name.into(),
            reason: MatchEndReason::Completed as i32,
            return_to_waiting_list: false,
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .expect("the match ends");
}

/// Which former participants could hold something live: a withdrawal is refused while
/// a proposal or match is live and cancels a booked interview, and nothing can be
/// proposed or booked for a withdrawn or ended person. The one case left was an
/// established resident with room for two buddies whose one accepted match ends for
/// good while a second proposal waits: the ending withdraws that proposal with it, so
/// the resident holds nothing live and is swept like any former participant, while the
/// newcomer of the proposal keeps waiting.
#[tokio::test]
async fn an_ended_resident_leaves_their_open_proposal_and_is_swept_like_any_former_participant() {
    // Former participants are warned after 3 days, shorter than a proposal's 7-day
    // deadline, and erased 2 days after that.
    let app = support::spawn_app_with_demo_configured(|s| {
        s.retention_former_warn_after_days = 3;
        s.retention_former_erase_after_days = 2;
    })
    .await;
    let days = |n: i64| time::Duration::days(n);
    let resident = ready_resident(&app, 211, ALBY, 2).await;
    let first = ready_newcomer(&app, 211, ALBY).await;
    let second = ready_newcomer(&app, 212, ALBY).await;
    let m = crate::fixtures::matching::accepted(&app, &first.name, &resident.name).await;
    let waiting = propose(&app, &second.name, &resident.name, "").await.unwrap();
    end_for_good(&app, &m.name).await;
    assert_eq!(
        get(&app, &resident.name).await.state,
        ParticipantState::Ended as i32,
        "the resident's programme ended with their only accepted match"
    );
    assert_eq!(
        crate::fixtures::matching::get_match(&app, &waiting.name)
            .await
            .state,
        MatchState::Declined as i32,
        "the open proposal ended with it"
    );
    for side in [ParticipantRole::Newcomer, ParticipantRole::EstablishedResident] {
        let refused = accept_by_phone(&app, &waiting.name, side).await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::FailedPrecondition, "{refused:?}");
    }
    assert_eq!(
        get(&app, &second.name).await.state,
        ParticipantState::Ready as i32
    );
    let (resident_id, first_id, second_id) = (id_of(&resident.name), id_of(&first.name), id_of(&second.name));

    // Both former participants are warned in the same sweep; the newcomer still
    // waiting is not.
    app.clock().set(app.clock().now() + days(4));
    support::eventually("both former participants are warned", || async {
        (retention_warnings(&app, first_id).await == 1 && retention_warnings(&app, resident_id).await == 1)
            .then_some(())
    })
    .await;
    assert_eq!(retention_warnings(&app, second_id).await, 0);
    app.clock().set(app.clock().now() + days(3));
    support::eventually("the resident is erased", || async {
        erase_time(&app, resident_id).await.map(|_| ())
    })
    .await;
    assert!(erase_time(&app, second_id).await.is_none());
}

#[tokio::test]
async fn people_never_admitted_are_swept_like_applicants_but_not_before_an_interview_still_to_come() {
    let app = support::spawn_app_configured(|s| {
        s.retention_warn_after_days = 30;
        s.retention_erase_after_days = 14;
    })
    .await;
    let refused = register(&app, newcomer(1)).await;
    let held = book(&app, &refused.name).await;
    record(
        &app,
        &held.name,
        InterviewOutcome::NotSuitable,
        interview_profile(ParticipantRole::Newcomer, ALBY, "ar"),
    )
    .await;
    // Booked in an hour and never held, recorded or cancelled.
    let no_show = register(&app, newcomer(2)).await;
    let missed = book(&app, &no_show.name).await;
    // Booked for a day two months ahead.
    let later = register(&app, newcomer(3)).await;
    let ahead = app.clock().now() + time::Duration::days(60);
    interviews(&app, &app.coordinator("botkyrka"))
        .book_interview(BookInterviewRequest {
            parent: later.name.clone(),
            interview: Some(Interview {
                schedule_time: Some(prost_types::Timestamp {
                    seconds: ahead.unix_timestamp(),
                    nanos: 0,
                }),
                mode: InterviewMode::Phone as i32,
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("an interview two months ahead is booked");
    let (refused, no_show, later) = (id_of(&refused.name), id_of(&no_show.name), id_of(&later.name));

    app.clock().set(app.clock().now() + time::Duration::days(31));
    support::eventually("the refused and the no-show are warned", || async {
        (retention_warnings(&app, refused).await == 1 && retention_warnings(&app, no_show).await == 1)
            .then_some(())
    })
    .await;
    assert_eq!(
        retention_warnings(&app, later).await,
        0,
        "someone whose interview is still to come is not inactive"
    );

    app.clock().set(app.clock().now() + time::Duration::days(15));
    support::eventually("the refused and the no-show are erased", || async {
        (erase_time(&app, refused).await.is_some() && erase_time(&app, no_show).await.is_some()).then_some(())
    })
    .await;
    let missed_state: String = sqlx::query_scalar("SELECT state FROM interviews WHERE id = $1")
        .bind(id_of(&missed.name))
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(
        missed_state, "cancelled",
        "the erasure cancels the missed booking"
    );
    assert_eq!(erase_time(&app, later).await, None);
    assert_eq!(retention_warnings(&app, later).await, 0);
}
