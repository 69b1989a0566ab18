//! Property tests of the round over every admissible pair, on pools whose admissible
//! degree exceeds the candidate limits (1 to 3 per side): the number matched equals
//! an independent maximum flow over all admissible pairs, and the total score equals
//! an independent minimum-cost flow's. Districts spread over about ±30 km and all
//! three meeting preferences, so that some pairs are admissible only through the
//! online waiver. Also: every unmatched newcomer has the reason its pairs give.

mod common;

use common::flow;
use common::*;
use kompis_matching::*;
use proptest::prelude::*;

/// A participant from seeded draws (roles and ids are set by the pool).
fn person(draw: &mut impl FnMut(u64) -> u64) -> Participant {
    let langs = ["ar", "ti", "so", "en"];
    let mut wishes = Wishes::default();
    let strength = |x: u64| if x == 0 { Strength::Hard } else { Strength::Soft };
    match draw(7) {
        0 => wishes.same_gender = Some(strength(draw(2))),
        1 => wishes.age_range = Some((AgeRange { min: 25, max: 45 }, strength(draw(2)))),
        2 => wishes.family_match = Some(strength(draw(2))),
        3 => wishes.buddy_has_children = Some(strength(draw(2))),
        _ => {}
    }
    Participant {
        id: ParticipantId(0),
        role: Role::Newcomer,
        eligible: draw(20) > 0,
        languages: vec![lang(langs[draw(4) as usize], Proficiency::Fluent)],
        swedish: [SwedishLevel::None, SwedishLevel::SfiA, SwedishLevel::SfiD][draw(3) as usize],
        gender: [Gender::Woman, Gender::Man, Gender::Unspecified][draw(3) as usize],
        age: 18 + draw(50) as u16,
        has_children: draw(2) == 0,
        wishes,
        // Some slots only, so that some pairs have no common time.
        availability: Availability(draw(1 << 21) as u32 & 0b1_1111_1100_0000_0011_1111),
        meeting: [
            MeetingPreference::InPerson,
            MeetingPreference::Online,
            MeetingPreference::Both,
        ][draw(3) as usize],
        // Within about ±30 km of Alby: some pairs beyond the 15 km limit.
        location: GeoPoint {
            lat: ALBY.lat + (draw(600) as f64 - 300.0) / 1000.0,
            lon: ALBY.lon + (draw(1000) as f64 - 500.0) / 1000.0,
        },
        interests: (0..draw(4)).map(|_| draw(6) as u32).collect(),
        capacity: 1 + draw(3) as u8,
        active_matches: u8::from(draw(4) == 0),
        waiting_days: draw(500) as u32,
    }
}

/// A seeded pool: newcomers, residents, exclusions, and a config whose candidate
/// limits are 1 to 3.
fn pool(seed: u64) -> (Vec<Participant>, Vec<Participant>, Exclusions, Config) {
    let mut state = seed;
    let mut draw = move |n: u64| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((u128::from(z ^ (z >> 31)) * u128::from(n)) >> 64) as u64
    };
    let n_newcomers = 4 + draw(12) as usize;
    let n_residents = 2 + draw(6) as usize;
    let newcomers: Vec<Participant> = (0..n_newcomers)
        .map(|k| Participant {
            id: ParticipantId(1_000 - k as u128 * 7),
            ..person(&mut draw)
        })
        .collect();
    let residents: Vec<Participant> = (0..n_residents)
        .map(|k| {
            let mut r = person(&mut draw);
            r.id = ParticipantId(5_000 + k as u128 * 13);
            r.role = Role::Resident;
            r.languages = vec![lang(
                ["ar", "ti", "so", "en"][draw(4) as usize],
                Proficiency::Fluent,
            )];
            r.swedish = [SwedishLevel::Native, SwedishLevel::C1, SwedishLevel::B2][draw(3) as usize];
            r
        })
        .collect();
    let exclusions: Exclusions = (0..draw(3))
        .map(|_| {
            (
                newcomers[draw(n_newcomers as u64) as usize].id,
                residents[draw(n_residents as u64) as usize].id,
            )
        })
        .collect();
    let mut config = Config::default();
    config.rules.candidates_per_newcomer = 1 + draw(3) as usize;
    config.rules.candidates_per_resident = 1 + draw(3) as usize;
    (newcomers, residents, exclusions, config)
}

/// Every admissible pair `(newcomer index, resident index, score)`, by `evaluate`.
fn admissible(
    ns: &[Participant],
    rs: &[Participant],
    config: &Config,
    ex: &Exclusions,
) -> Vec<(usize, usize, i64)> {
    let mut out = Vec::new();
    for (i, n) in ns.iter().enumerate() {
        for (j, r) in rs.iter().enumerate() {
            if let Ok(e) = evaluate(n, r, config, ex) {
                out.push((i, j, e.total));
            }
        }
    }
    out
}

/// The reason a newcomer without admissible residents waits, derived from
/// `evaluate`'s first broken rule for each resident (see `WaitReason`).
fn expected_reason(n: &Participant, rs: &[Participant], config: &Config, ex: &Exclusions) -> WaitReason {
    let none = Exclusions::default();
    let mut stage = 0;
    for r in rs
        .iter()
        .filter(|r| r.free_capacity() > 0 && r.eligible && r.swedish.is_fluent())
    {
        let s = match evaluate(n, r, config, &none) {
            Err(Violation::TooFar) | Err(Violation::TooYoung) | Err(Violation::NotEligible) => 0,
            Err(Violation::NoCommonLanguage) => 1,
            Err(Violation::NoCommonTime) => 2,
            Err(Violation::Wish { .. }) => 3,
            Err(other) => panic!("unexpected {other:?}"),
            Ok(_) if ex.contains(n.id, r.id) => 4,
            Ok(_) => 5,
        };
        stage = stage.max(s);
    }
    match stage {
        0 => WaitReason::NoResidentWithinReach,
        1 => WaitReason::NoSharedLanguage,
        2 => WaitReason::NoCommonTime,
        3 => WaitReason::HardWish,
        4 => WaitReason::OnlyExcludedPairs,
        _ => WaitReason::CandidatesTakenByOthers,
    }
}

fn check(seed: u64) -> Result<(Round, Round), TestCaseError> {
    check_with(seed, |_| {}, false)
}

/// [`check`] with the pool's config adjusted and, if `wide`, 70 more interests
/// shared by everyone (bit sets of interests wider than one word).
fn check_with(seed: u64, adjust: impl Fn(&mut Config), wide: bool) -> Result<(Round, Round), TestCaseError> {
    let (mut ns, mut rs, ex, mut config) = pool(seed);
    adjust(&mut config);
    if wide {
        for p in ns.iter_mut().chain(rs.iter_mut()) {
            p.interests.extend(100..170);
        }
    }
    let round = matching_round(&ns, &rs, &config, &ex);
    let pairs = admissible(&ns, &rs, &config, &ex);
    let capacity: Vec<u32> = rs.iter().map(|r| u32::from(r.free_capacity())).collect();

    prop_assert_eq!(
        round.stats.matched as i64,
        flow::max_matched(ns.len(), &capacity, &pairs)
    );
    prop_assert_eq!(
        (round.stats.matched as i64, round.stats.total_score),
        flow::best_matching(ns.len(), &capacity, &pairs)
    );
    prop_assert_eq!(round.stats.pairs_admissible, pairs.len() as u64);

    // Every proposal admissible and scored as `evaluate` does.
    for p in &round.proposals {
        let n = ns.iter().find(|n| n.id == p.newcomer).unwrap();
        let r = rs.iter().find(|r| r.id == p.resident).unwrap();
        prop_assert_eq!(evaluate(n, r, &config, &ex).map(|e| e.total), Ok(p.score));
    }

    // Every unmatched newcomer has the reason its pairs give.
    prop_assert_eq!(round.waiting.len(), round.unmatched_newcomers.len());
    for w in &round.waiting {
        let n = ns.iter().find(|n| n.id == w.newcomer).unwrap();
        prop_assert_eq!(w.reason, expected_reason(n, &rs, &config, &ex), "{:?}", n.id);
    }
    let on_candidates = CandidateGraph::build(&ns, &rs, &config, &ex).exact_on_candidates();
    Ok((round, on_candidates))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn a_round_matches_as_many_and_scores_as_much_as_flows_over_every_admissible_pair(seed in any::<u64>()) {
        check(seed)?;
    }

    /// The scan reads the pair rules from bit sets over the residents when at most
    /// one common slot is required, and tests every pair in the kernel otherwise:
    /// both ways give the pairs `evaluate` admits.
    #[test]
    fn a_round_is_as_good_as_the_flows_whatever_the_common_slots_required(seed in any::<u64>(), slots in 0u32..4) {
        check_with(seed, |c| c.rules.min_common_slots = slots, false)?;
    }

    /// The same where languages and interests take more than one word (the kernel
    /// tests every pair).
    #[test]
    fn a_round_is_as_good_as_the_flows_with_interests_wider_than_a_word(seed in any::<u64>()) {
        check_with(seed, |_| {}, true)?;
    }
}

#[test]
fn the_candidate_graph_alone_falls_short_on_some_of_these_pools() {
    // The property above could not fail if the candidate limits never mattered: on
    // the same kind of pools, solving the candidate graph alone (the engine before
    // the checks against every admissible pair) matches fewer people or scores less
    // at least once in 3,000 seeds.
    let mut fewer = 0;
    let mut less = 0;
    for seed in 0..3000 {
        let (round, on_candidates) = check(seed).expect("the property holds");
        if on_candidates.stats.matched < round.stats.matched {
            fewer += 1;
        } else if on_candidates.stats.total_score < round.stats.total_score {
            less += 1;
        }
    }
    assert!(fewer > 0 && less > 0, "fewer {fewer}, less {less}");
}
