//! The audit log: who read or changed a person's record, when and why, refusals
//! included; ids only; append-only for the service's database role; read by
//! administrators through ParticipantService.ListAccessRecords.

use kompis_proto::v1::*;
use sqlx::Executor;
use tonic::Code;

use crate::buddy_app::signed_up;
use crate::fixtures::participants::*;
use crate::support;

/// (method, actor role, action, purpose, allowed) of a record.
fn summary(r: &AccessRecord) -> (&str, &str, &str, &str, bool) {
    (&r.method, &r.actor_role, &r.action, &r.purpose, r.allowed)
}

#[tokio::test]
async fn every_read_and_change_of_a_record_is_logged_with_who_why_and_refusals() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, participant) = signed_up(&app, 1).await;

    buddy_app(&app, &token)
        .get_my_profile(GetMyProfileRequest {})
        .await
        .unwrap();
    participants(&app, &app.coordinator("botkyrka"))
        .get_participant(GetParticipantRequest {
            name: participant.name.clone(),
        })
        .await
        .unwrap();
    let refused = participants(&app, &app.coordinator("goteborg"))
        .get_participant(GetParticipantRequest {
            name: participant.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::NotFound);
    participants(&app, &app.coordinator("botkyrka"))
        .update_participant(UpdateParticipantRequest {
            participant: Some(Participant {
                name: participant.name.clone(),
                birth_year: 1996,
                ..Default::default()
            }),
            update_mask: mask(&["birth_year"]),
        })
        .await
        .unwrap();

    let records = access_records(&app, &participant.name).await;

    let summaries: Vec<_> = records.iter().map(summary).collect();
    assert_eq!(
        summaries,
        [
            (
                "UpdateParticipant",
                "coordinator",
                "change",
                "programme_administration",
                true
            ),
            (
                "GetParticipant",
                "coordinator",
                "read",
                "programme_administration",
                false
            ),
            (
                "GetParticipant",
                "coordinator",
                "read",
                "programme_administration",
                true
            ),
            ("GetMyProfile", "participant", "read", "self_service", true),
            ("SignUp", "participant", "change", "self_service", true),
        ]
    );
    assert_eq!(records[1].actor, "coordinator-goteborg");
    assert!(
        records
            .iter()
            .all(|r| r.object == participant.name && r.occur_time.is_some())
    );
    // Ids only: nothing of the person's name or contact details.
    let everything = format!("{records:?}");
    assert!(
        !everything.contains("Farid") && !everything.contains("+4670300"),
        "{everything}"
    );

    // Reading the log is recorded too.
    let again = access_records(&app, &participant.name).await;
    assert_eq!(
        summary(&again[0]),
        ("ListAccessRecords", "administrator", "read", "audit", true)
    );
}

#[tokio::test]
async fn the_audit_log_is_read_in_pages_newest_first() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, participant) = signed_up(&app, 1).await;
    for _ in 0..3 {
        buddy_app(&app, &token)
            .get_my_profile(GetMyProfileRequest {})
            .await
            .unwrap();
    }
    let mut client = participants(&app, &app.administrator());

    let first = client
        .list_access_records(ListAccessRecordsRequest {
            parent: participant.name.clone(),
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let second = client
        .list_access_records(ListAccessRecordsRequest {
            parent: participant.name.clone(),
            page_size: 2,
            page_token: first.next_page_token.clone(),
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(first.records.len(), 2);
    assert!(!first.next_page_token.is_empty());
    let reads = first
        .records
        .iter()
        .chain(&second.records)
        .filter(|r| r.method == "GetMyProfile")
        .count();
    assert_eq!(reads, 3, "every read is on one of the pages, none twice");
}

#[tokio::test]
async fn only_administrators_read_the_audit_log() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, participant) = signed_up(&app, 1).await;
    let request = || ListAccessRecordsRequest {
        parent: participant.name.clone(),
        ..Default::default()
    };

    let coordinator = participants(&app, &app.coordinator("botkyrka"))
        .list_access_records(request())
        .await
        .unwrap_err();
    let themself = participants(&app, &token)
        .list_access_records(request())
        .await
        .unwrap_err();

    assert_eq!(coordinator.code(), Code::PermissionDenied);
    assert_eq!(themself.code(), Code::PermissionDenied);
    // The policy table refuses both roles before the request is read: no record was
    // reached, so the person's log holds neither attempt (nor any read by them).
    let by_them: Vec<_> = access_records(&app, &participant.name)
        .await
        .into_iter()
        .filter(|r| r.method.ends_with("ListAccessRecords") && r.actor_role != "administrator")
        .map(|r| r.actor_role)
        .collect();
    assert_eq!(by_them, Vec::<String>::new());
}

#[tokio::test]
async fn the_service_role_may_append_to_the_audit_log_but_never_change_or_delete_it() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, _) = signed_up(&app, 1).await;
    buddy_app(&app, &token)
        .get_my_profile(GetMyProfileRequest {})
        .await
        .unwrap();
    let mut service = app.service_role_connection().await;

    let appended = service
        .execute(
            "INSERT INTO audit_log (id, occur_time, actor_subject, actor_role, participant_id,
                                    object, action, method, purpose, allowed)
             VALUES (gen_random_uuid(), now(), 'a', 'administrator', gen_random_uuid(),
                     'chapters/x/participants/y', 'read', 'GetParticipant', 'audit', true)",
        )
        .await;
    assert!(appended.is_ok(), "{appended:?}");
    for refused in [
        "UPDATE audit_log SET allowed = NOT allowed",
        "UPDATE audit_log SET actor_subject = 'someone else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let result = service.execute(refused).await;
        assert!(result.is_err(), "the service role could run {refused}");
    }
}

/// The export document of a response.
fn document(export: Option<PersonalDataExport>) -> serde_json::Value {
    let export = export.expect("an export");
    assert!(export.export_time.is_some());
    serde_json::from_str(&export.json).expect("the export is JSON")
}

#[tokio::test]
async fn a_participant_exports_everything_held_about_them_including_staff_notes() {
    let app = support::spawn_app_with_demo().await;
    let (_, token, participant) = signed_up(&app, 1).await;
    participants(&app, &app.coordinator("botkyrka"))
        .create_participant_note(CreateParticipantNoteRequest {
            parent: participant.name.clone(),
            text: "Ringde, vill träffas på kvällar.".into(),
            request_id: request_id(),
        })
        .await
        .unwrap();

    let mine = document(
        buddy_app(&app, &token)
            .export_my_data(ExportMyDataRequest {})
            .await
            .unwrap()
            .into_inner()
            .export,
    );
    let theirs = document(
        participants(&app, &app.coordinator("botkyrka"))
            .export_participant(ExportParticipantRequest {
                name: participant.name.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .export,
    );

    assert_eq!(mine["format"], "kompis.export.v1");
    assert_eq!(mine["participant"]["given_name"], "Farid 1");
    assert_eq!(mine["participant"]["phone"], "+46703000001");
    assert_eq!(mine["notes"][0]["text"], "Ringde, vill träffas på kvällar.");
    for part in [
        "interviews",
        "referrals",
        "matches",
        "check_ins",
        "invitations",
        "notifications",
    ] {
        assert!(mine[part].is_array(), "{part} is a list");
    }
    assert_eq!(
        mine, theirs,
        "the same document for the person and their coordinator"
    );
    let exports: Vec<_> = access_records(&app, &participant.name)
        .await
        .into_iter()
        .filter(|r| r.action == "export")
        .map(|r| r.method)
        .collect();
    assert_eq!(exports, ["ExportParticipant", "ExportMyData"]);
}

#[tokio::test]
async fn a_coordinator_of_another_chapter_cannot_export_a_participant() {
    let app = support::spawn_app_with_demo().await;
    let (_, _, participant) = signed_up(&app, 1).await;

    let status = participants(&app, &app.coordinator("goteborg"))
        .export_participant(ExportParticipantRequest {
            name: participant.name.clone(),
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::NotFound);
    let refused = &access_records(&app, &participant.name).await[0];
    assert_eq!(
        summary(refused),
        (
            "ExportParticipant",
            "coordinator",
            "export",
            "programme_administration",
            false
        )
    );
}

#[tokio::test]
async fn writing_reading_and_erasing_notes_about_a_person_is_in_their_audit_log() {
    let app = support::spawn_app_with_demo().await;
    let (_, _, participant) = signed_up(&app, 1).await;
    let mut coordinator = participants(&app, &app.coordinator("botkyrka"));
    let note = coordinator
        .create_participant_note(CreateParticipantNoteRequest {
            parent: participant.name.clone(),
            text: "Vill ha en kompis med barn.".into(),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .note
        .unwrap();
    coordinator
        .list_participant_notes(ListParticipantNotesRequest {
            parent: participant.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    coordinator
        .erase_participant_note(EraseParticipantNoteRequest {
            name: note.name.clone(),
        })
        .await
        .unwrap();

    let records = access_records(&app, &participant.name).await;

    let seen: Vec<_> = records
        .iter()
        .map(|r| (r.method.as_str(), r.action.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("EraseParticipantNote", "erase"),
            ("ListParticipantNotes", "read"),
            ("CreateParticipantNote", "change"),
            ("SignUp", "change"),
        ]
    );
    assert_eq!(records[0].object, note.name);
    assert!(
        !format!("{records:?}").contains("barn"),
        "no note text in the audit log"
    );
}

/// The methods in `participant`'s audit log: (allowed, refused).
async fn logged(
    app: &support::TestApp,
    participant: &str,
) -> (
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<String>,
) {
    let records = access_records(app, participant).await;
    let of = |allowed: bool| {
        records
            .iter()
            .filter(|r| r.allowed == allowed)
            .map(|r| r.method.clone())
            .collect()
    };
    (of(true), of(false))
}

/// Asserts that a call answered NOT_FOUND.
fn not_found<T: std::fmt::Debug>(answer: Result<T, tonic::Status>) {
    let status = answer.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}

/// Asserts that each of `methods` is in `set`, naming those that are not.
fn all_in(set: &std::collections::BTreeSet<String>, methods: &[&str], what: &str) {
    let missing: Vec<&&str> = methods.iter().filter(|m| !set.contains(**m)).collect();
    assert!(missing.is_empty(), "{what}: not recorded: {missing:?}");
}

#[tokio::test]
async fn every_rpc_on_a_persons_interviews_matches_and_invitations_is_in_their_audit_log_refusals_included() {
    use crate::fixtures::activities::{activities, invitations, invite, plan_walk};
    use crate::fixtures::matching::{
        accept_by_phone, get_match, matches_of, matching, propose, ready_newcomer, ready_resident,
    };
    use crate::fixtures::notifications::id_of;

    let app = support::spawn_app_with_demo().await;
    let coordinator = app.coordinator("botkyrka");
    // Another chapter's coordinator: every attempt answers NOT_FOUND, and is recorded.
    let outsider = app.coordinator("goteborg");

    // An applicant's intake interview: booked, read, listed, moved, cancelled.
    let applicant = register(&app, newcomer(301)).await;
    let interview = book(&app, &applicant.name).await;
    let get_interview = GetInterviewRequest {
        name: interview.name.clone(),
    };
    interviews(&app, &coordinator)
        .get_interview(get_interview.clone())
        .await
        .unwrap();
    not_found(interviews(&app, &outsider).get_interview(get_interview).await);
    let list = ListInterviewsRequest {
        parent: applicant.name.clone(),
        ..Default::default()
    };
    interviews(&app, &coordinator)
        .list_interviews(list.clone())
        .await
        .unwrap();
    not_found(interviews(&app, &outsider).list_interviews(list).await);
    interviews(&app, &coordinator)
        .list_interviews(ListInterviewsRequest {
            parent: format!("{CHAPTER}/participants/-"),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    interviews(&app, &coordinator)
        .update_interview(UpdateInterviewRequest {
            interview: Some(Interview {
                name: interview.name.clone(),
                location: "Tumba library".into(),
                ..Default::default()
            }),
            update_mask: mask(&["location"]),
        })
        .await
        .unwrap();
    let cancel = CancelInterviewRequest {
        name: interview.name.clone(),
        reason: String::new(),
        request_id: request_id(),
    };
    not_found(interviews(&app, &outsider).cancel_interview(cancel.clone()).await);
    interviews(&app, &coordinator)
        .cancel_interview(cancel)
        .await
        .unwrap();

    // A match: proposed, read, accepted by both, followed up.
    let newcomer = ready_newcomer(&app, 302, ALBY).await;
    let resident = ready_resident(&app, 302, ALBY, 1).await;
    // Suggestions for the newcomer read their record and that of every candidate shown.
    let suggested = matching(&app, &coordinator)
        .suggest_candidates(SuggestCandidatesRequest {
            participant: newcomer.name.clone(),
            max_candidates: 50,
        })
        .await
        .unwrap()
        .into_inner()
        .candidates;
    let shown: Vec<String> = suggested.iter().map(|c| c.established_resident.clone()).collect();
    assert!(shown.contains(&resident.name), "{shown:?}");
    not_found(
        matching(&app, &outsider)
            .suggest_candidates(SuggestCandidatesRequest {
                participant: newcomer.name.clone(),
                max_candidates: 0,
            })
            .await,
    );
    let m = propose(&app, &newcomer.name, &resident.name, "").await.unwrap();
    get_match(&app, &m.name).await;
    not_found(
        matching(&app, &outsider)
            .get_match(GetMatchRequest { name: m.name.clone() })
            .await,
    );
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
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap();
    let check_ins = ListCheckInsRequest {
        parent: m.name.clone(),
        ..Default::default()
    };
    matching(&app, &coordinator)
        .list_check_ins(check_ins.clone())
        .await
        .unwrap();
    not_found(matching(&app, &outsider).list_check_ins(check_ins).await);

    // An invitation to a walk.
    let walk = plan_walk(&app, 5).await;
    invite(&app, &walk.name, &[id_of(&newcomer.name)]).await;
    let invitation = invitations(&app, &walk.name, Rsvp::Unspecified).await[0]
        .name
        .clone();
    let get_invitation = GetInvitationRequest { name: invitation };
    activities(&app, &coordinator)
        .get_invitation(get_invitation.clone())
        .await
        .unwrap();
    not_found(
        activities(&app, &outsider)
            .get_invitation(get_invitation.clone())
            .await,
    );
    let attendance = RecordAttendanceRequest {
        activity: walk.name.clone(),
        records: vec![AttendanceRecord {
            invitation: get_invitation.name.clone(),
            attendance: Attendance::Attended as i32,
        }],
        guest_count: 0,
        request_id: request_id(),
    };
    not_found(
        activities(&app, &outsider)
            .record_attendance(attendance.clone())
            .await,
    );
    app.clock().advance(time::Duration::days(8));
    activities(&app, &coordinator)
        .record_attendance(attendance)
        .await
        .unwrap();

    // Lists over many people: a read of every person on the page.
    matches_of(&app, &newcomer.name, &[]).await;
    let listed = participants(&app, &coordinator)
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participants;
    assert!(listed.iter().any(|p| p.name == applicant.name));
    let found = participants(&app, &coordinator)
        .search_people(SearchPeopleRequest {
            parent: CHAPTER.into(),
            query: "+46701000301".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .people;
    assert!(found.iter().any(|p| p.name == applicant.name), "{found:?}");

    // The app: a participant reading their own application and settings.
    let (_, token, own) = signed_up(&app, 303).await;
    buddy_app(&app, &token)
        .get_my_application(GetMyApplicationRequest {})
        .await
        .unwrap();
    buddy_app(&app, &token)
        .get_my_notification_settings(GetMyNotificationSettingsRequest {})
        .await
        .unwrap();
    buddy_app(&app, &token)
        .list_my_notifications(ListMyNotificationsRequest::default())
        .await
        .unwrap();

    let (allowed, refused) = logged(&app, &applicant.name).await;
    all_in(
        &allowed,
        &[
            "CreateParticipant",
            "ListParticipants",
            "SearchPeople",
            "BookInterview",
            "GetInterview",
            "ListInterviews",
            "UpdateInterview",
            "CancelInterview",
        ],
        "the applicant's interview",
    );
    all_in(
        &refused,
        &["GetInterview", "ListInterviews", "CancelInterview"],
        "refused attempts on the applicant's interview",
    );
    let chapter_wide = access_records(&app, &applicant.name)
        .await
        .into_iter()
        .any(|r| r.method == "ListInterviews" && r.object == interview.name);
    assert!(
        chapter_wide,
        "the chapter-wide list shows the applicant's interview"
    );
    let (allowed, refused) = logged(&app, &newcomer.name).await;
    all_in(
        &allowed,
        &[
            "CreateMatch",
            "GetMatch",
            "AcceptMatch",
            "RecordCheckIn",
            "ListCheckIns",
            "GetInvitation",
            "SuggestCandidates",
            "ListMatches",
            "ListInvitations",
            "RecordAttendance",
        ],
        "the newcomer's match and invitation",
    );
    all_in(
        &refused,
        &[
            "GetMatch",
            "ListCheckIns",
            "GetInvitation",
            "SuggestCandidates",
            "RecordAttendance",
        ],
        "refused attempts on the newcomer's match and invitation",
    );
    let (allowed, refused) = logged(&app, &resident.name).await;
    all_in(
        &allowed,
        &[
            "CreateMatch",
            "GetMatch",
            "AcceptMatch",
            "RecordCheckIn",
            "ListCheckIns",
            "SuggestCandidates",
            "ListMatches",
        ],
        "the resident's match",
    );
    all_in(
        &refused,
        &["GetMatch", "ListCheckIns"],
        "refused attempts on the resident's match",
    );
    // Purposes: matching for suggestions, list for a page of people.
    let records = access_records(&app, &resident.name).await;
    let purpose_of = |method: &str| {
        records
            .iter()
            .find(|r| r.method == method)
            .map(|r| r.purpose.clone())
    };
    assert_eq!(purpose_of("SuggestCandidates").as_deref(), Some("matching"));
    assert_eq!(purpose_of("ListMatches").as_deref(), Some("list"));
    let (allowed, _) = logged(&app, &own.name).await;
    all_in(
        &allowed,
        &[
            "SignUp",
            "GetMyApplication",
            "GetMyNotificationSettings",
            "ListMyNotifications",
        ],
        "the participant's own calls",
    );
}

#[tokio::test]
async fn every_access_to_a_referral_is_in_the_persons_audit_log_before_and_after_conversion_and_erasure() {
    use crate::fixtures::referrals::{CHAPTER, FOLK_HIGH_SCHOOL, SFI, refer, referrals};
    let app = support::spawn_app_with_demo().await;
    let coordinator = app.coordinator("botkyrka");

    // Before conversion: the school refers and reads, another school and another
    // chapter try, the coordinator lists and marks it contacted.
    let referral = refer(&app, "+46701112233", "amina.audit@exempel.se").await;
    referrals(&app, &app.referrer(SFI))
        .get_referral(GetReferralRequest {
            name: referral.name.clone(),
        })
        .await
        .expect("the school reads its referral");
    for token in [app.referrer(FOLK_HIGH_SCHOOL), app.coordinator("goteborg")] {
        not_found(
            referrals(&app, &token)
                .get_referral(GetReferralRequest {
                    name: referral.name.clone(),
                })
                .await,
        );
    }
    let listed = referrals(&app, &coordinator)
        .list_referrals(ListReferralsRequest {
            parent: CHAPTER.into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("the coordinator lists the chapter's referrals")
        .into_inner()
        .referrals;
    assert!(listed.iter().any(|r| r.name == referral.name));
    let found = participants(&app, &coordinator)
        .search_people(SearchPeopleRequest {
            parent: CHAPTER.into(),
            query: "+46701112233".into(),
        })
        .await
        .expect("the coordinator searches the chapter")
        .into_inner()
        .people;
    assert_eq!(
        found.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        [referral.name.as_str()]
    );
    referrals(&app, &coordinator)
        .mark_referral_contacted(MarkReferralContactedRequest {
            name: referral.name.clone(),
            reason: String::new(),
            request_id: request_id(),
        })
        .await
        .expect("the coordinator marks it contacted");
    // Someone registered with the same phone is flagged; the coordinator dismisses it.
    let mut twin = newcomer(72);
    twin.contact = Some(Contact {
        phone: "+46701112233".into(),
        email: String::new(),
    });
    let twin = register(&app, twin).await;
    participants(&app, &coordinator)
        .resolve_duplicate(ResolveDuplicateRequest {
            name: twin.name.clone(),
            duplicate: referral.name.clone(),
            resolution: DuplicateResolution::Dismiss as i32,
            request_id: request_id(),
        })
        .await
        .expect("the flag is dismissed");

    let records = access_records(&app, &referral.name).await;
    assert_eq!(
        records.iter().map(summary).collect::<Vec<_>>(),
        [
            (
                "ResolveDuplicate",
                "coordinator",
                "change",
                "programme_administration",
                true
            ),
            ("MarkReferralContacted", "coordinator", "change", "referral", true),
            ("SearchPeople", "coordinator", "read", "list", true),
            ("ListReferrals", "coordinator", "read", "list", true),
            ("GetReferral", "coordinator", "read", "referral", false),
            ("GetReferral", "referrer", "read", "referral", false),
            ("GetReferral", "referrer", "read", "referral", true),
            ("CreateReferral", "referrer", "change", "referral", true),
        ],
        "a referral's log before it is converted"
    );
    assert_eq!(records[5].actor, "referrer-folkhogskola-tumba");
    assert!(records[1..].iter().all(|r| r.object == referral.name));
    assert_eq!(
        records[0].object,
        format!("{} {}", twin.name, referral.name),
        "a dismissal names both records"
    );
    let everything = format!("{records:?}");
    assert!(
        !everything.contains("Amina") && !everything.contains("+46701112233"),
        "ids only: {everything}"
    );

    // Converted: the participant's log holds the referral's accesses too, and the
    // referral's name reads the same person's log.
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
    get(&app, &person.name).await;
    let methods = |records: &[AccessRecord]| records.iter().map(|r| r.method.clone()).collect::<Vec<_>>();
    let of_person = access_records(&app, &person.name).await;
    assert_eq!(
        methods(&of_person),
        [
            "GetParticipant",
            "ConvertReferral",
            "ListAccessRecords",
            "ResolveDuplicate",
            "MarkReferralContacted",
            "SearchPeople",
            "ListReferrals",
            "GetReferral",
            "GetReferral",
            "GetReferral",
            "CreateReferral",
        ],
        "the participant's log, newest first, with the referral's"
    );
    assert_eq!(of_person[0].object, person.name);
    assert_eq!(of_person[1].object, referral.name);

    // Erased: both rows are tombstones and the log is whole.
    participants(&app, &coordinator)
        .erase_participant(EraseParticipantRequest {
            name: person.name.clone(),
            reason: ErasureReason::PersonRequested as i32,
            request_id: request_id(),
        })
        .await
        .expect("the person is erased");
    let after = access_records(&app, &person.name).await;
    assert_eq!(after[0].method, "EraseParticipant");
    assert_eq!(
        methods(&after[2..]),
        methods(&of_person),
        "nothing of the log went with the person"
    );
    let by_referral = access_records(&app, &referral.name).await;
    assert_eq!(
        methods(&by_referral[1..]),
        methods(&after),
        "the referral's name reads the same person's log"
    );
}

/// How many `method` records the audit log holds of each participant in `ids`.
async fn records_of(app: &support::TestApp, method: &str, ids: &[uuid::Uuid]) -> Vec<i64> {
    let mut counts = Vec::new();
    for id in ids {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE method = $1 AND participant_id = $2")
                .bind(method)
                .bind(id)
                .fetch_one(app.pool())
                .await
                .unwrap();
        counts.push(n);
    }
    counts
}

#[tokio::test]
async fn many_audited_calls_at_once_each_leave_exactly_their_record() {
    let app = support::spawn_app_with_demo().await;
    let mut people = Vec::new();
    for n in 1..=5 {
        let (id, token, _) = signed_up(&app, n).await;
        people.push((id, token));
    }

    // 200 reads at once, 40 of each person: they reach the audit writer together and
    // are written in shared commits.
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..200 {
        let mut client = buddy_app(&app, &people[i % people.len()].1);
        calls.spawn(async move { client.get_my_profile(GetMyProfileRequest {}).await });
    }
    while let Some(call) = calls.join_next().await {
        call.unwrap().expect("every read is answered once recorded");
    }

    let ids: Vec<_> = people.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        records_of(&app, "GetMyProfile", &ids).await,
        [40; 5],
        "one record per call, none lost, none twice"
    );
    let (rows, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT id) FROM audit_log WHERE method = 'GetMyProfile'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!((rows, distinct), (200, 200));
}

#[tokio::test]
async fn a_record_that_cannot_be_written_answers_every_waiting_call_unavailable_and_the_writer_goes_on() {
    let app = support::spawn_app_with_demo().await;
    let mut people = Vec::new();
    for n in 1..=3 {
        let (id, token, _) = signed_up(&app, n).await;
        people.push((id, token));
    }
    // The service's role may no longer append to the log (in this test's database).
    app.pool()
        .execute("REVOKE INSERT ON audit_log FROM kompis_app")
        .await
        .unwrap();

    let mut calls = tokio::task::JoinSet::new();
    for i in 0..30 {
        let mut client = buddy_app(&app, &people[i % people.len()].1);
        calls.spawn(async move { client.get_my_profile(GetMyProfileRequest {}).await });
    }
    while let Some(call) = calls.join_next().await {
        let status = call
            .unwrap()
            .expect_err("an access that cannot be recorded is not given");
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    }
    let ids: Vec<_> = people.iter().map(|(id, _)| *id).collect();
    assert_eq!(records_of(&app, "GetMyProfile", &ids).await, [0; 3]);

    // Once the log can be written again, the same server records and answers.
    app.pool()
        .execute("GRANT INSERT ON audit_log TO kompis_app")
        .await
        .unwrap();
    for (_, token) in &people {
        buddy_app(&app, token)
            .get_my_profile(GetMyProfileRequest {})
            .await
            .expect("recorded and answered");
    }
    assert_eq!(records_of(&app, "GetMyProfile", &ids).await, [1; 3]);
}

#[tokio::test]
async fn a_registration_whose_access_cannot_be_recorded_is_not_made_and_its_retry_is_recorded_once() {
    use crate::fixtures::referrals::{SFI, SFI_ACCOUNT, learner, referrals};
    let app = support::spawn_app_with_demo().await;
    let count = async |table: &str| -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(app.pool())
            .await
            .unwrap()
    };
    let (referrals_before, participants_before) = (count("referrals").await, count("participants").await);
    let refer = CreateReferralRequest {
        parent: CHAPTER.into(),
        referral: Some(learner("+46701234501", "", SFI_ACCOUNT)),
        request_id: request_id(),
    };
    let register = CreateParticipantRequest {
        parent: CHAPTER.into(),
        participant: Some(newcomer(401)),
        request_id: request_id(),
    };
    app.pool()
        .execute("REVOKE INSERT ON audit_log FROM kompis_app")
        .await
        .unwrap();

    let status = referrals(&app, &app.referrer(SFI))
        .create_referral(refer.clone())
        .await
        .expect_err("a referral whose access cannot be recorded is not made");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    let status = participants(&app, &app.coordinator("botkyrka"))
        .create_participant(register.clone())
        .await
        .expect_err("a participant whose access cannot be recorded is not made");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(
        (count("referrals").await, count("participants").await),
        (referrals_before, participants_before),
        "nothing was registered"
    );

    // The same calls retried once the log can be written: made once, each recorded
    // once; a replay of the answer is recorded again, as every call is.
    app.pool()
        .execute("GRANT INSERT ON audit_log TO kompis_app")
        .await
        .unwrap();
    let referral = referrals(&app, &app.referrer(SFI))
        .create_referral(refer.clone())
        .await
        .expect("the retry is made")
        .into_inner()
        .referral
        .unwrap();
    let participant = participants(&app, &app.coordinator("botkyrka"))
        .create_participant(register.clone())
        .await
        .expect("the retry is made")
        .into_inner()
        .participant
        .unwrap();
    let methods = |records: &[AccessRecord]| {
        records
            .iter()
            .map(summary)
            .map(|s| s.0.to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        methods(&access_records(&app, &referral.name).await),
        ["CreateReferral"]
    );
    assert_eq!(
        methods(&access_records(&app, &participant.name).await),
        ["CreateParticipant"]
    );
    let replayed = referrals(&app, &app.referrer(SFI))
        .create_referral(refer)
        .await
        .expect("the replay answers")
        .into_inner()
        .referral
        .unwrap();
    assert_eq!(replayed, referral);
    participants(&app, &app.coordinator("botkyrka"))
        .create_participant(register)
        .await
        .expect("the replay answers");
    assert_eq!(
        methods(&access_records(&app, &referral.name).await),
        ["CreateReferral", "ListAccessRecords", "CreateReferral"],
        "newest first: the replay, the administrator's read, the first answer"
    );
    assert_eq!(
        (count("referrals").await, count("participants").await),
        (referrals_before + 1, participants_before + 1),
        "each was made once"
    );
}

#[tokio::test]
async fn the_apps_own_calls_are_recorded_under_the_callers_record_allowed_or_refused() {
    let app = support::spawn_app_with_demo().await;
    let (id, token, participant) = signed_up(&app, 1).await;
    let mut own = buddy_app(&app, &token);
    own.get_my_buddy(GetMyBuddyRequest {}).await.unwrap();
    own.get_my_application(GetMyApplicationRequest {}).await.unwrap();
    own.list_my_invitations(ListMyInvitationsRequest::default())
        .await
        .unwrap();
    own.list_my_notifications(ListMyNotificationsRequest::default())
        .await
        .unwrap();
    own.get_my_notification_settings(GetMyNotificationSettingsRequest {})
        .await
        .unwrap();
    // The same participant under another account: refused, and recorded in the
    // participant's log all the same.
    let stranger = kompis_grpc::Principal {
        subject: "another-account".into(),
        role: kompis_domain::Role::Participant,
        chapter: None,
        organization: None,
        participant: Some(id),
        municipality: None,
    };
    let refused = buddy_app(&app, &app.token(&stranger))
        .get_my_buddy(GetMyBuddyRequest {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);

    let records = access_records(&app, &participant.name).await;

    let calls: Vec<_> = records
        .iter()
        .filter(|r| r.method != "SignUp")
        .map(|r| (r.method.as_str(), r.allowed, r.object.as_str()))
        .collect();
    let name = participant.name.as_str();
    assert_eq!(
        calls,
        [
            ("GetMyBuddy", false, name),
            ("GetMyNotificationSettings", true, name),
            ("ListMyNotifications", true, name),
            ("ListMyInvitations", true, name),
            ("GetMyApplication", true, name),
            ("GetMyBuddy", true, name),
        ]
    );
}
