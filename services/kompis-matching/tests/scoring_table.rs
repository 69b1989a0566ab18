//! Table tests of scoring and hard constraints. Each expected value is derived in the
//! comment beside it from the default weights and rules (see `Weights::default`).

mod common;

use common::*;
use kompis_matching::*;

fn points(e: &Explanation, c: Criterion) -> i64 {
    e.contributions.iter().find(|x| x.criterion == c).unwrap().points
}

#[test]
fn each_criterion_scores_as_documented() {
    let mut n = newcomer(1);
    let mut r = resident(2);
    n.interests = vec![7, 3, 9, 1];
    r.interests = vec![3, 4, 9];
    // 0.1 degree of latitude north of Alby: 6_371_008.8 m x 0.1 x pi/180 = 11_119 m.
    r.location = GeoPoint {
        lat: ALBY.lat + 0.1,
        lon: ALBY.lon,
    };
    n.age = 30;
    r.age = 45;
    n.wishes.same_gender = Some(Strength::Soft); // met: both women
    r.wishes.age_range = Some((AgeRange { min: 20, max: 25 }, Strength::Soft)); // not met: 30
    n.swedish = SwedishLevel::SfiB; // rank 2 (A2), and no other common language
    n.languages = vec![lang("ti", Proficiency::Native)];
    n.has_children = true;
    r.has_children = true;
    n.meeting = MeetingPreference::InPerson;
    r.meeting = MeetingPreference::Online;
    n.waiting_days = 730; // capped at 365
    r.waiting_days = 0;

    let e = evaluate(&n, &r, &Config::default(), &Exclusions::default()).unwrap();
    let table = [
        // 2 shared (3, 9) of the 3 that give full points: 100 x 2 / 3 = 66.
        (Criterion::SharedInterests, 66),
        // 11_119 m of at most 15_000 m: 100 x (15_000 - 11_119) / 15_000 = 25.
        (Criterion::Distance, 25),
        // 15 years apart of 30: 50 x (30 - 15) / 30 = 25.
        (Criterion::AgeCloseness, 25),
        // One of two soft wishes met: 80 x 1 / 2 = 40.
        (Criterion::SoftWishes, 40),
        // Swedish rank 2 of 3, no bridge language: 60 x 2 / 3 = 40.
        (Criterion::SwedishFit, 40),
        // Both have children: the full 40.
        (Criterion::Family, 40),
        // In person only against online only: 0.
        (Criterion::Meeting, 0),
        // (min(730, 365) + 0) of 2 x 365: 150 x 365 / 730 = 75.
        (Criterion::Waiting, 75),
    ];
    for (c, want) in table {
        assert_eq!(points(&e, c), want, "{c:?}\n{e}");
    }
    assert_eq!(e.total, 66 + 25 + 25 + 40 + 40 + 40 + 75);
    assert_eq!(e.common_languages, vec![LanguageCode::SWEDISH]);
    let text = e.to_string();
    assert!(
        text.contains("2 shared interests: interest #3, interest #9"),
        "{text}"
    );
    assert!(text.contains("11.1 km apart"), "{text}");
    assert!(text.contains("the newcomer waited 730 days"), "{text}");
}

#[test]
fn a_shared_language_other_than_swedish_gives_the_full_swedish_fit() {
    let mut n = newcomer(1);
    n.swedish = SwedishLevel::SfiA; // rank 1
    let mut r = resident(2);
    r.languages = vec![lang("ar", Proficiency::Fluent)];
    let config = Config {
        interest_names: [(1, "football".to_owned())].into_iter().collect(),
        ..Config::default()
    };
    n.interests = vec![1];
    r.interests = vec![1];
    let e = evaluate(&n, &r, &config, &Exclusions::default()).unwrap();
    // Arabic is a bridge language: the full 60, not 60 x 1 / 3 = 20.
    assert_eq!(points(&e, Criterion::SwedishFit), 60);
    assert_eq!(e.common_languages.len(), 2); // Arabic and Swedish
    assert!(e.to_string().contains("both speak Arabic and Swedish"), "{e}");
    assert!(e.to_string().contains("1 shared interest: football"), "{e}");
}

#[test]
fn a_perfect_pair_scores_the_sum_of_the_weights() {
    let mut n = newcomer(1);
    let mut r = resident(2);
    n.interests = vec![1, 2, 3];
    r.interests = vec![1, 2, 3];
    n.has_children = true;
    r.has_children = true;
    n.waiting_days = 365;
    r.waiting_days = 365;
    let e = evaluate(&n, &r, &Config::default(), &Exclusions::default()).unwrap();
    // Same place, same age, 3 shared interests, no soft wishes, compatible meeting,
    // both with children, both waited a year: every criterion is full (the weights sum
    // to 610) except Swedish fit: SFI C is rank 2 and the resident speaks no Arabic,
    // so 60 x 2 / 3 = 40 instead of 60; total 590.
    assert_eq!(e.total, 590, "{e}");
}

#[test]
fn each_hard_constraint_rules_a_pair_out() {
    let config = Config::default();
    let none = Exclusions::default();
    type Edit = fn(&mut Participant, &mut Participant);
    let cases: [(&str, Edit, Violation); 12] = [
        (
            "two newcomers",
            |_, r| r.role = Role::Newcomer,
            Violation::RolesNotOpposite,
        ),
        ("not eligible", |n, _| n.eligible = false, Violation::NotEligible),
        ("17 years old", |n, _| n.age = 17, Violation::TooYoung),
        (
            "resident at B2",
            |_, r| r.swedish = SwedishLevel::B2,
            Violation::ResidentNotFluentInSwedish,
        ),
        (
            "no Swedish and no shared language",
            |n, _| n.swedish = SwedishLevel::None,
            Violation::NoCommonLanguage,
        ),
        (
            "hard same-gender wish, different genders",
            |n, r| {
                n.wishes.same_gender = Some(Strength::Hard);
                r.gender = Gender::Man;
            },
            Violation::Wish {
                holder: Role::Newcomer,
                wish: WishKind::SameGender,
            },
        ),
        (
            "hard age range 50-70 for a 30-year-old",
            |_, r| r.wishes.age_range = Some((AgeRange { min: 50, max: 70 }, Strength::Hard)),
            Violation::Wish {
                holder: Role::Resident,
                wish: WishKind::AgeRange,
            },
        ),
        (
            "hard family wish, no children",
            |n, _| {
                n.has_children = true;
                n.wishes.family_match = Some(Strength::Hard);
            },
            Violation::Wish {
                holder: Role::Newcomer,
                wish: WishKind::FamilyMatch,
            },
        ),
        (
            "Monday evenings against Saturday mornings",
            |n, r| {
                n.availability = Availability::EMPTY.with(0, DayPart::Evening);
                r.availability = Availability::EMPTY.with(5, DayPart::Morning);
            },
            Violation::NoCommonTime,
        ),
        (
            "Alby to Uppsala, about 75 km",
            |_, r| {
                r.location = GeoPoint {
                    lat: 59.8586,
                    lon: 17.6389,
                }
            },
            Violation::TooFar,
        ),
        (
            "resident at full capacity",
            |_, r| r.active_matches = 1,
            Violation::NoCapacity,
        ),
        (
            "newcomer who already has a buddy",
            |n, _| n.active_matches = 1,
            Violation::NoCapacity,
        ),
    ];
    for (what, edit, want) in cases {
        let (mut n, mut r) = (newcomer(1), resident(2));
        edit(&mut n, &mut r);
        assert_eq!(evaluate(&n, &r, &config, &none), Err(want), "{what}");
    }
    let declined: Exclusions = [(ParticipantId(1), ParticipantId(2))].into_iter().collect();
    assert_eq!(
        evaluate(&newcomer(1), &resident(2), &config, &declined),
        Err(Violation::Excluded)
    );
}

#[test]
fn distances_are_great_circle_between_district_coordinates() {
    // Stockholm (59.3293 N, 18.0686 E) to Göteborg (57.7089 N, 11.9746 E): about 398 km
    // by great circle.
    let d = distance_km(
        GeoPoint {
            lat: 59.3293,
            lon: 18.0686,
        },
        GeoPoint {
            lat: 57.7089,
            lon: 11.9746,
        },
    );
    assert!((d - 398.0).abs() < 2.0, "{d}");
}

#[test]
fn suggestions_are_best_first_and_ties_go_to_the_lower_id() {
    let n = newcomer(1);
    let mut near = resident(5);
    let twin = resident(4); // same score as 5, lower id
    near.interests = vec![];
    let mut better = resident(9);
    better.waiting_days = 200; // more waiting points
    let top = suggestions(
        &n,
        &[near, better, twin],
        2,
        &Config::default(),
        &Exclusions::default(),
    )
    .unwrap();
    let ids: Vec<u128> = top.iter().map(|p| p.resident.0).collect();
    assert_eq!(ids, vec![9, 4]);
    assert!(top[0].score > top[1].score);
}

#[test]
fn a_resident_gets_suggestions_too() {
    let r = resident(1);
    let mut far = newcomer(2);
    far.location = GeoPoint {
        lat: 63.8258,
        lon: 20.2630,
    }; // Umeå
    let top = suggestions(
        &r,
        &[far, newcomer(3)],
        10,
        &Config::default(),
        &Exclusions::default(),
    )
    .unwrap();
    assert_eq!(top.len(), 1);
    assert_eq!((top[0].newcomer.0, top[0].resident.0), (3, 1));
}

#[test]
fn a_round_matches_more_people_than_best_pair_first() {
    // Resident 10 is the best buddy for both newcomers, but only newcomer 1 can also
    // go to resident 11 (newcomer 2 wants a woman; 11 is a man).
    let mut n1 = newcomer(1);
    n1.waiting_days = 300;
    let mut n2 = newcomer(2);
    n2.wishes.same_gender = Some(Strength::Hard);
    let mut r10 = resident(10);
    r10.interests = vec![1, 2, 3];
    n1.interests = vec![1, 2, 3];
    let mut r11 = resident(11);
    r11.gender = Gender::Man;
    let (ns, rs) = ([n1, n2], [r10, r11]);
    let exact = matching_round(&ns, &rs, &Config::default(), &Exclusions::default());
    let greedy = greedy_round(&ns, &rs, &Config::default(), &Exclusions::default());
    assert_eq!(exact.stats.matched, 2);
    assert_eq!(greedy.stats.matched, 1); // takes (1, 10) first, strands newcomer 2
    assert_eq!(greedy.unmatched_newcomers, vec![ParticipantId(2)]);
}

#[test]
fn empty_and_degenerate_pools_give_empty_rounds() {
    let config = Config::default();
    let none = Exclusions::default();
    let empty = matching_round(&[], &[], &config, &none);
    assert!(empty.proposals.is_empty() && empty.unmatched_newcomers.is_empty());

    // Nobody to match with: the newcomer is unmatched and has no candidate at all.
    let alone = matching_round(&[newcomer(1)], &[], &config, &none);
    assert_eq!(alone.unmatched_newcomers, vec![ParticipantId(1)]);
    assert_eq!(alone.newcomers_without_candidates, vec![ParticipantId(1)]);

    // A district without valid coordinates is never matched.
    let mut lost = resident(2);
    lost.location.lat = f64::NAN;
    assert_eq!(
        evaluate(&newcomer(1), &lost, &config, &none),
        Err(Violation::NotEligible)
    );
    assert!(
        matching_round(&[newcomer(1)], &[lost], &config, &none)
            .proposals
            .is_empty()
    );

    // The same person twice in the input counts once.
    let twice = matching_round(&[newcomer(1), newcomer(1)], &[resident(2)], &config, &none);
    assert_eq!(twice.stats.newcomers_ready, 1);
    assert_eq!(twice.proposals.len(), 1);
}

/// The soft-wishes criterion recomputed from the documented definitions: the share of
/// both people's soft wishes that hold (full points when neither has one), rounded
/// down. A same-gender wish holds when both stated the same gender, a family match
/// when both have children, a wish for a buddy with children when the buddy has
/// them, an age wish when the buddy's age lies in the range.
fn soft_points_by_definition(n: &Participant, r: &Participant, weight: i64) -> i64 {
    let (mut total, mut met) = (0i64, 0i64);
    for (me, buddy) in [(n, r), (r, n)] {
        let w = &me.wishes;
        let soft = |s: Option<Strength>| s == Some(Strength::Soft);
        let checks = [
            (
                soft(w.same_gender),
                me.gender == buddy.gender && me.gender != Gender::Unspecified,
            ),
            (soft(w.family_match), me.has_children && buddy.has_children),
            (soft(w.buddy_has_children), buddy.has_children),
            (
                w.age_range.is_some_and(|(_, s)| s == Strength::Soft),
                w.age_range
                    .is_some_and(|(a, _)| a.min <= buddy.age && buddy.age <= a.max),
            ),
        ];
        for (has, holds) in checks {
            total += i64::from(has);
            met += i64::from(has && holds);
        }
    }
    if total == 0 { weight } else { weight * met / total }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

    #[test]
    fn soft_wishes_score_their_documented_share(
        genders in proptest::array::uniform2(0usize..4),
        children in proptest::array::uniform2(proptest::bool::ANY),
        ages in proptest::array::uniform2(18u16..80),
        wishes in proptest::array::uniform8(0usize..3),
        ranges in proptest::array::uniform2((18u16..80, 0u16..20)),
    ) {
        let gender = [Gender::Woman, Gender::Man, Gender::NonBinary, Gender::Unspecified];
        // 0: no wish, 1: soft, 2: hard (a hard wish may rule the pair out).
        let strength = |x: usize| [None, Some(Strength::Soft), Some(Strength::Hard)][x];
        let mut people = [newcomer(1), resident(2)];
        for (k, p) in people.iter_mut().enumerate() {
            p.gender = gender[genders[k]];
            p.has_children = children[k];
            p.age = ages[k];
            p.wishes = Wishes {
                same_gender: strength(wishes[4 * k]),
                family_match: strength(wishes[4 * k + 1]),
                buddy_has_children: strength(wishes[4 * k + 2]),
                age_range: strength(wishes[4 * k + 3]).map(|s| {
                    let (min, span) = ranges[k];
                    (AgeRange { min, max: min + span }, s)
                }),
            };
        }
        let [n, r] = &people;
        let config = Config::default();
        if let Ok(e) = evaluate(n, r, &config, &Exclusions::default()) {
            let weight = i64::from(config.weights.soft_wishes);
            proptest::prop_assert_eq!(points(&e, Criterion::SoftWishes), soft_points_by_definition(n, r, weight));
        }
    }
}
