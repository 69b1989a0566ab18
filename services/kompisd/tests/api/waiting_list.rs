//! The waiting list: ready participants longest waiting first, and the counts per
//! district and language that show where established residents are missing.

use crate::fixtures::participants::*;
use crate::support;
use kompis_proto::v1::*;

async fn waiting_list(app: &support::TestApp, request: GetWaitingListRequest) -> GetWaitingListResponse {
    participants(app, &app.coordinator("botkyrka"))
        .get_waiting_list(GetWaitingListRequest {
            chapter: CHAPTER.into(),
            ..request
        })
        .await
        .unwrap()
        .into_inner()
}

fn names(response: &GetWaitingListResponse) -> Vec<(String, i32)> {
    response
        .entries
        .iter()
        .map(|e| (e.participant.as_ref().unwrap().name.clone(), e.position))
        .collect()
}

fn district_count(response: &GetWaitingListResponse, district: &str) -> (i32, i32, i32) {
    let c = response
        .district_counts
        .iter()
        .find(|c| c.key == Some(shortage_count::Key::District(district.into())))
        .unwrap_or_else(|| panic!("a count for {district}"));
    (c.waiting_newcomers, c.free_resident_places, c.shortage)
}

fn language_count(response: &GetWaitingListResponse, code: &str) -> Option<(i32, i32, i32)> {
    response
        .language_counts
        .iter()
        .find(|c| c.key == Some(shortage_count::Key::LanguageCode(code.into())))
        .map(|c| (c.waiting_newcomers, c.free_resident_places, c.shortage))
}

#[tokio::test]
async fn ready_newcomers_wait_in_the_order_they_became_ready() {
    let app = support::spawn_app_with_demo().await;
    // Registered in one order, approved in another: the queue follows the approvals.
    let a = register(&app, newcomer(1)).await;
    let b = register(&app, newcomer(2)).await;
    let c = register(&app, newcomer(3)).await;
    let not_ready = register(&app, newcomer(4)).await;
    let resident = register(&app, resident(1)).await;
    for p in [&b, &c, &a] {
        approve(&app, p, ALBY, "ar").await;
    }
    approve(&app, &resident, ALBY, "ar").await;

    let first_page = waiting_list(
        &app,
        GetWaitingListRequest {
            page_size: 2,
            ..Default::default()
        },
    )
    .await;
    let second_page = waiting_list(
        &app,
        GetWaitingListRequest {
            page_size: 2,
            page_token: first_page.next_page_token.clone(),
            ..Default::default()
        },
    )
    .await;

    assert_eq!(names(&first_page), [(b.name.clone(), 1), (c.name.clone(), 2)]);
    assert_eq!(names(&second_page), [(a.name.clone(), 3)]);
    assert!(second_page.next_page_token.is_empty());
    assert_eq!(first_page.total_size, 3);
    assert!(names(&first_page).iter().all(|(n, _)| *n != not_ready.name));
    let durations: Vec<_> = first_page
        .entries
        .iter()
        .map(|e| e.waiting_duration.unwrap().seconds)
        .collect();
    assert!(durations.iter().all(|s| *s >= 0));
    // Established residents have their own queue.
    let residents = waiting_list(
        &app,
        GetWaitingListRequest {
            role: ParticipantRole::EstablishedResident as i32,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(names(&residents), [(resident.name, 1)]);
}

#[tokio::test]
async fn the_ready_list_of_participants_is_ordered_by_waiting_time() {
    let app = support::spawn_app_with_demo().await;
    let a = register(&app, newcomer(1)).await;
    let b = register(&app, newcomer(2)).await;
    approve(&app, &b, ALBY, "ar").await;
    approve(&app, &a, ALBY, "ar").await;

    let ready: Vec<String> = participants(&app, &app.coordinator("botkyrka"))
        .list_participants(ListParticipantsRequest {
            parent: CHAPTER.into(),
            states: vec![ParticipantState::Ready as i32],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participants
        .into_iter()
        .map(|p| p.name)
        .collect();

    assert_eq!(ready, [b.name, a.name]);
}

#[tokio::test]
async fn filters_narrow_the_list_but_places_stay_those_of_the_whole_queue() {
    let app = support::spawn_app_with_demo().await;
    let in_alby = register(&app, newcomer(1)).await;
    let in_tumba = register(&app, newcomer(2)).await;
    approve(&app, &in_alby, ALBY, "ar").await;
    approve(&app, &in_tumba, TUMBA, "ti").await;

    let tumba = waiting_list(
        &app,
        GetWaitingListRequest {
            district: TUMBA.into(),
            ..Default::default()
        },
    )
    .await;
    let tigrinya = waiting_list(
        &app,
        GetWaitingListRequest {
            language_code: "tir".into(),
            ..Default::default()
        },
    )
    .await;

    assert_eq!(names(&tumba), [(in_tumba.name.clone(), 2)]);
    assert_eq!(tumba.total_size, 1);
    assert_eq!(names(&tigrinya), [(in_tumba.name, 2)]);
}

#[tokio::test]
async fn shortage_counts_show_where_established_residents_are_missing() {
    let app = support::spawn_app_with_demo().await;
    // Alby: two Arabic-speaking newcomers wait and one resident speaking Arabic takes
    // two. Tumba: a Tigrinya-speaking newcomer waits and no resident lives there.
    for n in 1..=2 {
        let p = register(&app, newcomer(n)).await;
        approve(&app, &p, ALBY, "ar").await;
    }
    let p = register(&app, newcomer(3)).await;
    approve(&app, &p, TUMBA, "ti").await;
    let third_in_alby = register(&app, newcomer(4)).await;
    approve(&app, &third_in_alby, ALBY, "ar").await;
    let with_capacity_two = register(&app, resident(1)).await;
    approve(&app, &with_capacity_two, ALBY, "ar").await;
    // A resident who has not been interviewed offers no places yet.
    register(&app, resident(2)).await;

    let list = waiting_list(&app, GetWaitingListRequest::default()).await;

    assert_eq!(district_count(&list, ALBY), (3, 2, 1));
    assert_eq!(district_count(&list, TUMBA), (1, 0, 1));
    assert_eq!(
        district_count(&list, "municipalities/botkyrka/districts/fittja"),
        (0, 0, 0)
    );
    assert_eq!(language_count(&list, "ar"), Some((3, 2, 1)));
    assert_eq!(language_count(&list, "ti"), Some((1, 0, 1)));
    assert!(
        list.district_counts
            .windows(2)
            .all(|w| w[0].shortage >= w[1].shortage),
        "largest shortage first"
    );
    // The counts are the chapter's, the same whatever the list is filtered by.
    let filtered = waiting_list(
        &app,
        GetWaitingListRequest {
            district: TUMBA.into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(filtered.district_counts, list.district_counts);
    assert_eq!(filtered.language_counts, list.language_counts);
}

#[tokio::test]
async fn a_withdrawn_participant_leaves_the_queue_and_returns_to_the_same_place() {
    let app = support::spawn_app_with_demo().await;
    let first = register(&app, newcomer(1)).await;
    let second = register(&app, newcomer(2)).await;
    let first = approve(&app, &first, ALBY, "ar").await;
    approve(&app, &second, ALBY, "ar").await;
    let mut client = participants(&app, &app.coordinator("botkyrka"));

    client
        .withdraw_participant(WithdrawParticipantRequest {
            request_id: String::new(),
            name: first.name.clone(),
            reason: "Travelling for a month".into(),
        })
        .await
        .unwrap();
    let while_away = waiting_list(&app, GetWaitingListRequest::default()).await;
    let returned = client
        .return_participant(ReturnParticipantRequest {
            request_id: String::new(),
            name: first.name.clone(),
            reason: "Back home".into(),
            reset_waiting_since: false,
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    let after = waiting_list(&app, GetWaitingListRequest::default()).await;

    assert_eq!(names(&while_away), [(second.name.clone(), 1)]);
    assert_eq!(returned.state, ParticipantState::Ready as i32);
    assert_eq!(
        returned.waiting_since, first.waiting_since,
        "the original waiting time"
    );
    assert_eq!(names(&after), [(first.name.clone(), 1), (second.name.clone(), 2)]);
    assert_eq!(
        event_states(&app, &first.name).await[3..],
        [step("ready", "withdrawn"), step("withdrawn", "ready")]
    );
}

#[tokio::test]
async fn a_return_can_start_the_waiting_time_afresh() {
    let app = support::spawn_app_with_demo().await;
    let first = register(&app, newcomer(1)).await;
    let second = register(&app, newcomer(2)).await;
    approve(&app, &first, ALBY, "ar").await;
    approve(&app, &second, ALBY, "ar").await;
    let mut client = participants(&app, &app.coordinator("botkyrka"));
    client
        .withdraw_participant(WithdrawParticipantRequest {
            request_id: String::new(),
            name: first.name.clone(),
            reason: "Paused at their own request".into(),
        })
        .await
        .unwrap();

    client
        .return_participant(ReturnParticipantRequest {
            request_id: String::new(),
            name: first.name.clone(),
            reason: String::new(),
            reset_waiting_since: true,
        })
        .await
        .unwrap();

    let after = waiting_list(&app, GetWaitingListRequest::default()).await;
    assert_eq!(names(&after), [(second.name, 1), (first.name, 2)]);
}

#[tokio::test]
async fn participants_can_be_filtered_by_how_long_they_have_waited() {
    let app = support::spawn_app_with_demo().await;
    let waiting = register(&app, newcomer(1)).await;
    approve(&app, &waiting, ALBY, "ar").await;
    register(&app, newcomer(2)).await;
    let mut client = participants(&app, &app.coordinator("botkyrka"));
    let mut waiting_since_before = async |days: i64| -> Vec<String> {
        client
            .list_participants(ListParticipantsRequest {
                parent: CHAPTER.into(),
                waiting_since_before: in_days(days),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .participants
            .into_iter()
            .map(|p| p.name)
            .collect()
    };

    let since_before_tomorrow = waiting_since_before(1).await;
    let since_before_last_week = waiting_since_before(-7).await;

    assert_eq!(since_before_tomorrow, [waiting.name]);
    assert!(since_before_last_week.is_empty());
}
