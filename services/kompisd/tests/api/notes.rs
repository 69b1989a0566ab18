//! A participant's note history as coordinators keep it: appended in order with author
//! and time, erasable, and never shown to referrers or to the participant.

use crate::fixtures::participants::{CHAPTER, mask, newcomer, participants, register, request_id};
use crate::fixtures::referrals::{SFI, learner, referrals};
use crate::support::{self, TestApp, bad_fields, reason};
use kompis_proto::v1::*;
use tonic::Code;
use uuid::Uuid;

async fn write_as(
    app: &TestApp,
    token: &str,
    participant: &str,
    text: &str,
) -> Result<ParticipantNote, tonic::Status> {
    participants(app, token)
        .create_participant_note(CreateParticipantNoteRequest {
            parent: participant.into(),
            text: text.into(),
            request_id: request_id(),
        })
        .await
        .map(|r| r.into_inner().note.unwrap())
}

async fn write(app: &TestApp, participant: &str, text: &str) -> ParticipantNote {
    write_as(app, &app.coordinator("botkyrka"), participant, text)
        .await
        .expect("the note is written")
}

async fn list_as(
    app: &TestApp,
    token: &str,
    participant: &str,
) -> Result<Vec<ParticipantNote>, tonic::Status> {
    participants(app, token)
        .list_participant_notes(ListParticipantNotesRequest {
            parent: participant.into(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().notes)
}

async fn erase(app: &TestApp, note: &str) -> Result<ParticipantNote, tonic::Status> {
    participants(app, &app.coordinator("botkyrka"))
        .erase_participant_note(EraseParticipantNoteRequest { name: note.into() })
        .await
        .map(|r| r.into_inner().note.unwrap())
}

fn seconds(t: &Option<prost_types::Timestamp>) -> i64 {
    t.as_ref().expect("a time is set").seconds
}

#[tokio::test]
async fn notes_are_appended_in_order_with_their_author_and_time() {
    let app = support::spawn_app_with_demo().await;
    let participant = register(&app, newcomer(1)).await;

    let first = write(&app, &participant.name, "Called; prefers Tuesday evenings.").await;
    app.clock().advance(time::Duration::hours(2));
    let second = write_as(
        &app,
        &app.administrator(),
        &participant.name,
        "Met at the library.",
    )
    .await
    .unwrap();
    let notes = list_as(&app, &app.coordinator("botkyrka"), &participant.name)
        .await
        .unwrap();

    let written: Vec<_> = notes
        .iter()
        .map(|n| (n.text.as_str(), n.author.as_str()))
        .collect();
    assert_eq!(
        written,
        [
            ("Called; prefers Tuesday evenings.", "coordinator-botkyrka"),
            ("Met at the library.", "admin-1"),
        ]
    );
    assert_eq!(notes, [first.clone(), second.clone()]);
    assert!(first.name.starts_with(&format!("{}/notes/", participant.name)));
    let apart = seconds(&second.create_time) - seconds(&first.create_time);
    assert!(
        (7200..7260).contains(&apart),
        "two hours apart by the app's clock: {apart}s"
    );
    assert!(first.erase_time.is_none() && first.eraser.is_empty());
}

#[tokio::test]
async fn an_erased_note_keeps_only_that_it_was_there() {
    let app = support::spawn_app_with_demo().await;
    let participant = register(&app, newcomer(1)).await;
    let kept = write(&app, &participant.name, "Wants a buddy who plays chess.").await;
    let sensitive = write(&app, &participant.name, "Mentioned a health matter.").await;

    let erased = erase(&app, &sensitive.name).await.unwrap();
    app.clock().advance(time::Duration::hours(1));
    let again = erase(&app, &sensitive.name).await.unwrap();
    let notes = list_as(&app, &app.coordinator("botkyrka"), &participant.name)
        .await
        .unwrap();

    assert_eq!(erased.text, "");
    assert_eq!(erased.eraser, "coordinator-botkyrka");
    assert!(erased.erase_time.is_some());
    assert_eq!(erased.author, sensitive.author);
    assert_eq!(again, erased, "a second erasure changes nothing");
    assert_eq!(notes, [kept, erased]);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM participant_notes WHERE text LIKE '%health%'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0, "the text is gone from the database");
}

#[tokio::test]
async fn referrers_and_participants_never_see_notes() {
    let app = support::spawn_app_with_demo().await;
    let referral = referrals(&app, &app.referrer(SFI))
        .create_referral(CreateReferralRequest {
            parent: CHAPTER.into(),
            referral: Some(learner("+46701110001", "", "")),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();
    let participant = referrals(&app, &app.coordinator("botkyrka"))
        .convert_referral(ConvertReferralRequest {
            name: referral.name.clone(),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    write(&app, &participant.name, "Coordinators only: asked about housing.").await;
    let id = Uuid::parse_str(participant.name.rsplit('/').next().unwrap()).unwrap();

    let school = list_as(&app, &app.referrer(SFI), &participant.name)
        .await
        .unwrap_err();
    let school_writes = write_as(&app, &app.referrer(SFI), &participant.name, "x")
        .await
        .unwrap_err();
    let learner = list_as(&app, &app.participant(id), &participant.name)
        .await
        .unwrap_err();
    let school_view = referrals(&app, &app.referrer(SFI))
        .get_referral(GetReferralRequest {
            name: referral.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .referral
        .unwrap();

    for refused in [&school, &school_writes, &learner] {
        assert_eq!(refused.code(), Code::PermissionDenied);
        assert_eq!(reason(refused), "ROLE_NOT_ALLOWED");
    }
    // The school sees its own note on its referral, and nothing the coordinators wrote.
    assert_eq!(school_view.note, referral.note);
    assert!(!format!("{school_view:?}").contains("housing"));
}

#[tokio::test]
async fn a_bad_note_request_names_every_bad_field() {
    let app = support::spawn_app_with_demo().await;
    let participant = register(&app, newcomer(1)).await;

    let empty = write_as(&app, &app.coordinator("botkyrka"), "participants/1", " ")
        .await
        .unwrap_err();
    let long = write_as(
        &app,
        &app.coordinator("botkyrka"),
        &participant.name,
        &"x".repeat(2001),
    )
    .await
    .unwrap_err();
    let bad_name = erase(&app, &participant.name).await.unwrap_err();
    let unknown = erase(&app, &format!("{}/notes/{}", participant.name, Uuid::now_v7()))
        .await
        .unwrap_err();
    let old_field = participants(&app, &app.coordinator("botkyrka"))
        .update_participant(UpdateParticipantRequest {
            participant: Some(Participant {
                name: participant.name.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["note"]),
        })
        .await
        .unwrap_err();

    assert_eq!(empty.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&empty), ["parent", "text"]);
    assert_eq!(bad_fields(&long), ["text"]);
    assert_eq!(bad_fields(&bad_name), ["name"]);
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(bad_fields(&old_field), ["update_mask"]);
}

#[tokio::test]
async fn another_chapters_coordinator_neither_reads_nor_writes_the_notes() {
    let app = support::spawn_app_with_demo().await;
    let participant = register(&app, newcomer(1)).await;
    let note = write(&app, &participant.name, "Prefers to be called after five.").await;
    let elsewhere = app.coordinator("uppsala");

    let read = list_as(&app, &elsewhere, &participant.name).await.unwrap_err();
    let written = write_as(&app, &elsewhere, &participant.name, "x")
        .await
        .unwrap_err();
    let erased = participants(&app, &elsewhere)
        .erase_participant_note(EraseParticipantNoteRequest {
            name: note.name.clone(),
        })
        .await
        .unwrap_err();

    assert_eq!(read.code(), Code::NotFound);
    assert_eq!(written.code(), Code::NotFound);
    assert_eq!(erased.code(), Code::NotFound);
    let notes = list_as(&app, &app.coordinator("botkyrka"), &participant.name)
        .await
        .unwrap();
    assert_eq!(notes, [note]);
}
