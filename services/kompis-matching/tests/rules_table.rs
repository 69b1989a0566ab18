//! Table tests of the rules shared with the contract: online pairs beyond the
//! distance limit, the family situation, wishes about the buddy's children, refusal
//! reasons, wait reasons, residents with a live match, progress and cancellation,
//! validated settings, and suggestions. Expected values are derived in comments from
//! the default weights and rules (`Weights::default`, `Rules::default`).

mod common;

use common::*;
use kompis_matching::*;

/// Uppsala, about 70 km north of Alby: beyond the 15 km limit.
const UPPSALA: GeoPoint = GeoPoint {
    lat: 59.8586,
    lon: 17.6389,
};

fn points(e: &Explanation, c: Criterion) -> i64 {
    e.contributions.iter().find(|x| x.criterion == c).unwrap().points
}

#[test]
fn the_distance_limit_is_waived_only_when_one_wants_online_only_and_the_other_accepts_online() {
    use MeetingPreference::{Both, InPerson, Online};
    let config = Config::default();
    let none = Exclusions::default();
    let cases = [
        (Online, Online, true),
        (Online, Both, true),
        (Both, Online, true),
        (Both, Both, false),
        (InPerson, Online, false),
        (Online, InPerson, false),
        (InPerson, InPerson, false),
    ];
    for (nm, rm, waived) in cases {
        let mut n = newcomer(1);
        let mut r = resident(2);
        n.meeting = nm;
        r.meeting = rm;
        r.location = UPPSALA;
        let got = evaluate(&n, &r, &config, &none);
        if waived {
            let e = got.unwrap_or_else(|v| panic!("{nm:?}/{rm:?}: {v}"));
            // Beyond the limit the distance criterion gives nothing, and says why.
            assert_eq!(points(&e, Criterion::Distance), 0);
            assert!(
                e.to_string().contains("beyond the limit: they meet online"),
                "{e}"
            );
        } else {
            assert_eq!(got, Err(Violation::TooFar), "{nm:?}/{rm:?}");
        }
    }
    // A chapter can keep its limit for online pairs too.
    let mut local = Config::default();
    local.rules.online_beyond_distance = false;
    let (mut n, mut r) = (newcomer(1), resident(2));
    n.meeting = Online;
    r.location = UPPSALA;
    assert_eq!(evaluate(&n, &r, &local, &none), Err(Violation::TooFar));
    // Within the limit, online pairs score closeness as any pair.
    r.location = ALBY;
    assert_eq!(
        points(&evaluate(&n, &r, &config, &none).unwrap(), Criterion::Distance),
        100
    );
}

#[test]
fn a_round_finds_online_pairs_across_the_country() {
    let mut n = newcomer(1);
    n.meeting = MeetingPreference::Online;
    let mut near = resident(2); // accepts only meeting in person, next door
    near.meeting = MeetingPreference::InPerson;
    near.waiting_days = 365;
    let mut far = resident(3);
    far.location = GeoPoint {
        lat: 63.8258,
        lon: 20.2630,
    }; // Umeå, about 500 km away
    let round = matching_round(&[n], &[near, far], &Config::default(), &Exclusions::default());
    // The resident next door wants to meet in person: still admissible (within the
    // limit, meeting preference only scores), but the online one in Umeå is found
    // too, and the two compete on score.
    assert_eq!(round.stats.pairs_admissible, 2);
    assert_eq!(round.stats.matched, 1);
}

#[test]
fn the_family_situation_scores_the_same_situation_on_both_sides() {
    let config = Config::default();
    let none = Exclusions::default();
    for (n_children, r_children, want) in [
        (true, true, 40),   // both with children: the full weight
        (false, false, 40), // both without: the same situation, the full weight
        (true, false, 0),
        (false, true, 0),
    ] {
        let (mut n, mut r) = (newcomer(1), resident(2));
        n.has_children = n_children;
        r.has_children = r_children;
        let e = evaluate(&n, &r, &config, &none).unwrap();
        assert_eq!(points(&e, Criterion::Family), want, "{n_children}/{r_children}");
    }
}

#[test]
fn wishes_about_children_are_met_as_documented() {
    let config = Config::default();
    let none = Exclusions::default();
    let wish = |holder: Role, wish: WishKind| Err(Violation::Wish { holder, wish });

    // "The buddy has children", hard: whatever the wisher's own situation.
    let (mut n, mut r) = (newcomer(1), resident(2));
    n.wishes.buddy_has_children = Some(Strength::Hard);
    assert_eq!(
        evaluate(&n, &r, &config, &none).map(|e| e.total),
        wish(Role::Newcomer, WishKind::BuddyHasChildren)
    );
    r.has_children = true;
    assert!(evaluate(&n, &r, &config, &none).is_ok());

    // A family match, hard: both must have children, so it fails for a wisher
    // without children even with a parent as buddy.
    let (mut n, mut r) = (newcomer(1), resident(2));
    r.wishes.family_match = Some(Strength::Hard);
    n.has_children = true;
    assert_eq!(
        evaluate(&n, &r, &config, &none).map(|e| e.total),
        wish(Role::Resident, WishKind::FamilyMatch)
    );
    r.has_children = true;
    assert!(evaluate(&n, &r, &config, &none).is_ok());

    // Soft: one of two soft wishes met gives 80 x 1 / 2 = 40 points.
    let (mut n, mut r) = (newcomer(1), resident(2));
    n.wishes.buddy_has_children = Some(Strength::Soft); // not met
    r.wishes.same_gender = Some(Strength::Soft); // met: both women
    let e = evaluate(&n, &r, &config, &none).unwrap();
    assert_eq!(points(&e, Criterion::SoftWishes), 40);
    assert!(
        e.to_string()
            .contains("newcomer's wish for a buddy with children"),
        "{e}"
    );
}

#[test]
fn a_refusal_names_the_rule_and_whose_wish() {
    let config = Config::default();
    let none = Exclusions::default();
    let (mut n, mut r) = (newcomer(1), resident(2));
    r.wishes.same_gender = Some(Strength::Hard);
    n.gender = Gender::Man;
    let v = evaluate(&n, &r, &config, &none).unwrap_err();
    assert_eq!(
        v,
        Violation::Wish {
            holder: Role::Resident,
            wish: WishKind::SameGender
        }
    );
    assert_eq!(
        v.to_string(),
        "the resident's wish for a buddy of the same gender is not met"
    );
    // The newcomer's wishes are checked before the resident's.
    n.wishes.age_range = Some((AgeRange { min: 60, max: 70 }, Strength::Hard));
    assert_eq!(
        evaluate(&n, &r, &config, &none),
        Err(Violation::Wish {
            holder: Role::Newcomer,
            wish: WishKind::AgeRange
        })
    );
}

#[test]
fn a_resident_with_a_live_match_and_room_for_more_stays_matchable() {
    let mut r = resident(10);
    r.capacity = 2;
    r.active_matches = 1; // one buddy already: room for one more
    let round = matching_round(
        &[newcomer(1), newcomer(2)],
        &[r.clone()],
        &Config::default(),
        &Exclusions::default(),
    );
    assert_eq!(round.stats.resident_capacity, 1);
    assert_eq!(round.proposals.len(), 1);
    assert_eq!(round.proposals[0].resident, ParticipantId(10));
    let top = suggestions(&r, &[newcomer(1)], 5, &Config::default(), &Exclusions::default()).unwrap();
    assert_eq!(top.len(), 1);
}

#[test]
fn no_resident_is_left_out_of_a_round_without_a_named_reason() {
    let config = Config::default();
    // The service passes Native for a resident whose level was never recorded: they
    // are proposed like anyone fluent.
    let unrecorded = Participant {
        swedish: SwedishLevel::Native,
        ..resident(10)
    };
    assert_eq!(matchable(&unrecorded, &config), Ok(()));
    // Recorded below C1: never proposed, and `matchable` says why.
    let b2 = Participant {
        swedish: SwedishLevel::B2,
        ..resident(11)
    };
    assert_eq!(
        matchable(&b2, &config),
        Err(Violation::ResidentNotFluentInSwedish)
    );
    let round = matching_round(
        &[newcomer(1), newcomer(2)],
        &[unrecorded, b2.clone()],
        &config,
        &Exclusions::default(),
    );
    assert_eq!(round.stats.residents_ready, 1);
    assert_eq!(round.proposals.len(), 1);
    assert_eq!(round.proposals[0].resident, ParticipantId(10));
    assert_eq!(
        suggestions(&b2, &[newcomer(1)], 5, &config, &Exclusions::default()),
        Err(Violation::ResidentNotFluentInSwedish)
    );
    // Each other reason a person is left out of every round, in order.
    let mut young = resident(12);
    young.age = 17;
    assert_eq!(matchable(&young, &config), Err(Violation::TooYoung));
    let mut full = resident(13);
    full.capacity = 2;
    full.active_matches = 2;
    assert_eq!(matchable(&full, &config), Err(Violation::NoCapacity));
    let mut paused = resident(14);
    paused.eligible = false;
    assert_eq!(matchable(&paused, &config), Err(Violation::NotEligible));
    let mut matched_newcomer = newcomer(3);
    matched_newcomer.active_matches = 1;
    assert_eq!(matchable(&matched_newcomer, &config), Err(Violation::NoCapacity));
    assert_eq!(matchable(&newcomer(4), &config), Ok(()));
}

#[test]
fn every_newcomer_left_waiting_has_a_reason() {
    let config = Config::default();
    // One resident in Alby with room for one, Arabic speaker, Monday evenings only,
    // a man, without children.
    let mut r = resident(100);
    r.languages = vec![lang("ar", Proficiency::Fluent)];
    r.availability = Availability::EMPTY.with(0, DayPart::Evening);
    r.gender = Gender::Man;

    let matched = newcomer(1); // Monday evenings are within "always"
    let mut taken = newcomer(2); // admissible, but the room goes to newcomer 1
    taken.waiting_days = 0;
    let mut far = newcomer(3);
    far.location = UPPSALA;
    let mut no_language = newcomer(4);
    no_language.swedish = SwedishLevel::None;
    no_language.languages = vec![lang("ti", Proficiency::Native)];
    let mut no_time = newcomer(5);
    no_time.availability = Availability::EMPTY.with(5, DayPart::Morning);
    let mut wish = newcomer(6);
    wish.wishes.same_gender = Some(Strength::Hard);
    let declined = newcomer(7);
    let exclusions: Exclusions = [(ParticipantId(7), ParticipantId(100))].into_iter().collect();
    let mut first = matched.clone();
    first.waiting_days = 300; // so that newcomer 1, not 2, gets the room

    let round = matching_round(
        &[first, taken, far, no_language, no_time, wish, declined],
        &[r],
        &config,
        &exclusions,
    );
    let reasons: Vec<(u128, WaitReason)> = round.waiting.iter().map(|w| (w.newcomer.0, w.reason)).collect();
    assert_eq!(
        reasons,
        vec![
            (2, WaitReason::CandidatesTakenByOthers),
            (3, WaitReason::NoResidentWithinReach),
            (4, WaitReason::NoSharedLanguage),
            (5, WaitReason::NoCommonTime),
            (6, WaitReason::HardWish),
            (7, WaitReason::OnlyExcludedPairs),
        ]
    );
    assert_eq!(round.proposals[0].newcomer, ParticipantId(1));
}

#[test]
fn a_round_reports_progress_and_can_be_cancelled() {
    let newcomers: Vec<Participant> = (0..200).map(newcomer).collect();
    let residents: Vec<Participant> = (1_000..1_100).map(resident).collect();
    let config = Config::default();
    let none = Exclusions::default();
    let progress = Progress::new();
    let round = matching_round_observed(&newcomers, &residents, &config, &none, &progress).unwrap();
    assert_eq!(progress.permille(), 1000);
    assert_eq!(round, matching_round(&newcomers, &residents, &config, &none));

    let cancelled = Progress::new();
    cancelled.cancel();
    assert_eq!(
        matching_round_observed(&newcomers, &residents, &config, &none, &cancelled),
        Err(Cancelled)
    );
}

#[test]
fn settings_out_of_range_are_all_named() {
    let mut config = Config::default();
    config.weights.waiting = 1_001;
    config.rules.max_distance_km = 0.0;
    config.rules.interests_for_full_score = 0;
    config.rules.age_gap_for_zero = 101;
    let fields: Vec<&str> = config.validate().unwrap_err().iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            "weights.waiting",
            "rules.max_distance_km",
            "rules.interests_for_full_score",
            "rules.age_gap_for_zero"
        ]
    );
    let zero = Config {
        weights: Weights {
            shared_interests: 0,
            distance: 0,
            age_closeness: 0,
            soft_wishes: 0,
            swedish_fit: 0,
            family: 0,
            meeting: 0,
            waiting: 0,
        },
        ..Config::default()
    };
    assert_eq!(zero.validate().unwrap_err()[0].field, "weights");
}

#[test]
fn an_index_gives_the_same_suggestions_as_a_single_call() {
    let config = Config::default();
    let none = Exclusions::default();
    let residents: Vec<Participant> = (0..50u128)
        .map(|k| {
            let mut r = resident(1_000 + k);
            r.waiting_days = (k as u32 * 37) % 400;
            r.interests = vec![(k % 5) as u32, 7];
            r.location.lat += (k % 9) as f64 * 0.01;
            r
        })
        .collect();
    let index = SuggestionIndex::new(&residents, &config);
    assert_eq!(index.len(), 50);
    for k in 0..10u128 {
        let mut n = newcomer(k);
        n.interests = vec![(k % 5) as u32];
        n.waiting_days = k as u32 * 40;
        let once = suggestions(&n, &residents, 7, &config, &none).unwrap();
        assert_eq!(index.suggestions(&n, 7, &none).unwrap(), once);
        assert_eq!(once.len(), 7);
        assert!(once.windows(2).all(|w| w[0].score >= w[1].score));
    }
}

#[test]
fn an_index_asked_at_a_moment_counts_waiting_days_as_a_fresh_index_would() {
    const DAY: i64 = 86_400_000_000_000;
    let config = Config {
        rules: kompis_matching::Rules {
            waiting_days_for_full: 30,
            ..Config::default().rules
        },
        ..Config::default()
    };
    let none = Exclusions::default();
    // Waiting starts spread over days and times of day; one never started.
    let since: Vec<Option<i64>> = (0..60i64)
        .map(|k| (k != 13).then_some(k * DAY / 3 + k * 7_919_000_000))
        .collect();
    let residents: Vec<Participant> = (0..60u128)
        .map(|k| {
            let mut r = resident(2_000 + k);
            // Ignored by an index built with waiting starts.
            r.waiting_days = 999;
            r.interests = vec![(k % 4) as u32];
            r
        })
        .collect();
    let index = SuggestionIndex::with_waiting_since(&residents, &config, &since);
    for now in [
        0,
        DAY / 2,
        7 * DAY + 1,
        20 * DAY - 1,
        20 * DAY,
        45 * DAY + DAY / 3,
    ] {
        // What a fresh index over the residents as they stand at `now` answers.
        let at_now: Vec<Participant> = residents
            .iter()
            .zip(&since)
            .map(|(r, s)| Participant {
                waiting_days: s.map_or(0, |s| ((now - s).div_euclid(DAY)).max(0) as u32),
                ..r.clone()
            })
            .collect();
        let fresh = SuggestionIndex::new(&at_now, &config);
        for k in 0..4u128 {
            let mut n = newcomer(k);
            n.interests = vec![(k % 4) as u32];
            n.waiting_days = k as u32 * 5;
            assert_eq!(
                index.suggestions_at(&n, 10, &none, now).unwrap(),
                fresh.suggestions(&n, 10, &none).unwrap(),
                "at {now}"
            );
        }
    }
}
