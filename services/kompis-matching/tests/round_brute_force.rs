//! Property tests of the matching round against brute force on small pools: optimal
//! (most pairs, then most points), no hard constraint violated, capacities respected,
//! each newcomer at most once, deterministic, independent of input order.

mod common;

use std::collections::HashMap;

use common::*;
use kompis_matching::*;
use proptest::prelude::*;

fn person() -> impl Strategy<Value = Participant> {
    (
        (any::<bool>(), 0u8..4, 0usize..5, 0u8..3, 17u16..70, any::<bool>()),
        (0u8..10, 0u32..(1 << 21), 0u8..3, -0.08f64..0.08, -0.14f64..0.14),
        (
            proptest::collection::vec(0u32..5, 0..4),
            1u8..4,
            0u8..8,
            0u32..500,
            0u8..20,
        ),
    )
        .prop_map(
            |(
                (is_newcomer, language, swedish, gender, age, children),
                (wish, avail, meeting, dlat, dlon),
                (interests, capacity, active, waiting, eligible),
            )| {
                let langs = ["ar", "ti", "so", "en"];
                let levels = [
                    SwedishLevel::None,
                    SwedishLevel::SfiA,
                    SwedishLevel::SfiD,
                    SwedishLevel::C1,
                    SwedishLevel::Native,
                ];
                let strength = if wish % 2 == 0 {
                    Strength::Soft
                } else {
                    Strength::Hard
                };
                let mut wishes = Wishes::default();
                match wish / 2 {
                    0 => wishes.same_gender = Some(strength),
                    1 => wishes.age_range = Some((AgeRange { min: 25, max: 45 }, strength)),
                    2 => wishes.family_match = Some(strength),
                    _ => {}
                }
                Participant {
                    id: ParticipantId(0),
                    role: if is_newcomer {
                        Role::Newcomer
                    } else {
                        Role::Resident
                    },
                    eligible: eligible > 0,
                    languages: vec![lang(langs[language as usize], Proficiency::Fluent)],
                    swedish: if is_newcomer {
                        levels[swedish % 3]
                    } else {
                        // One in five residents is below C1 and cannot be matched.
                        [
                            SwedishLevel::C1,
                            SwedishLevel::Native,
                            SwedishLevel::Native,
                            SwedishLevel::C2,
                            SwedishLevel::B2,
                        ][swedish]
                    },
                    gender: [Gender::Woman, Gender::Man, Gender::Unspecified][gender as usize],
                    age,
                    has_children: children,
                    wishes,
                    // Some slots only, so that some pairs have no common time.
                    availability: Availability(avail & 0b1_1111_1100_0000_0011_1111),
                    meeting: [
                        MeetingPreference::InPerson,
                        MeetingPreference::Online,
                        MeetingPreference::Both,
                    ][meeting as usize],
                    // Within about ±9 km north-south and ±8 km east-west of Alby.
                    location: GeoPoint {
                        lat: ALBY.lat + dlat,
                        lon: ALBY.lon + dlon,
                    },
                    interests,
                    capacity,
                    active_matches: u8::from(active == 3),
                    waiting_days: waiting,
                }
            },
        )
}

fn pool() -> impl Strategy<Value = (Vec<Participant>, Vec<Participant>, Vec<(usize, usize)>)> {
    (
        proptest::collection::vec(person(), 1..7),
        proptest::collection::vec(person(), 1..5),
        proptest::collection::vec((0usize..7, 0usize..5), 0..3),
    )
        .prop_map(|(mut ns, mut rs, ex)| {
            for (k, n) in ns.iter_mut().enumerate() {
                n.role = Role::Newcomer;
                n.id = ParticipantId(100 + k as u128 * 7 % 11);
            }
            // Distinct ids, deliberately not in input order.
            ns.sort_by_key(|n| n.id);
            ns.dedup_by_key(|n| n.id);
            for (k, r) in rs.iter_mut().enumerate() {
                r.role = Role::Resident;
                r.id = ParticipantId(900 - k as u128);
            }
            (ns, rs, ex)
        })
}

/// The best (pairs, score) by exhaustive search over every admissible pair.
fn brute(
    ns: &[Participant],
    rs: &[Participant],
    admissible: &HashMap<(usize, usize), i64>,
    cap: &mut Vec<u8>,
    i: usize,
) -> (usize, i64) {
    if i == ns.len() {
        return (0, 0);
    }
    let mut best = brute(ns, rs, admissible, cap, i + 1);
    for j in 0..rs.len() {
        if let Some(&s) = admissible.get(&(i, j))
            && cap[j] > 0
        {
            cap[j] -= 1;
            let (c, t) = brute(ns, rs, admissible, cap, i + 1);
            cap[j] += 1;
            best = best.max((c + 1, t + s));
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn a_round_is_optimal_feasible_deterministic_and_order_independent(
        (ns, rs, ex) in pool(),
        seed in any::<u64>(),
    ) {
        let config = Config::default();
        let exclusions: Exclusions = ex
            .iter()
            .filter(|&&(i, j)| i < ns.len() && j < rs.len())
            .map(|&(i, j)| (ns[i].id, rs[j].id))
            .collect();
        let round = matching_round(&ns, &rs, &config, &exclusions);

        // Optimal against brute force over all admissible pairs.
        let mut admissible = HashMap::new();
        for (i, n) in ns.iter().enumerate() {
            for (j, r) in rs.iter().enumerate() {
                if let Ok(e) = evaluate(n, r, &config, &exclusions) {
                    admissible.insert((i, j), e.total);
                }
            }
        }
        let mut cap: Vec<u8> = rs.iter().map(|r| r.capacity.saturating_sub(r.active_matches)).collect();
        let best = brute(&ns, &rs, &admissible, &mut cap, 0);
        prop_assert_eq!((round.stats.matched, round.stats.total_score), best);

        // Feasible: every proposal admissible and scored as `evaluate` does, each
        // newcomer at most once, capacities respected.
        let mut load: HashMap<ParticipantId, u8> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        for p in &round.proposals {
            let n = ns.iter().find(|n| n.id == p.newcomer).unwrap();
            let r = rs.iter().find(|r| r.id == p.resident).unwrap();
            let e = evaluate(n, r, &config, &exclusions);
            prop_assert!(e.is_ok(), "{:?}", e);
            prop_assert_eq!(e.unwrap().total, p.score);
            prop_assert!(seen.insert(p.newcomer));
            *load.entry(p.resident).or_default() += 1;
        }
        for r in &rs {
            prop_assert!(load.get(&r.id).copied().unwrap_or(0) <= r.free_capacity());
        }
        let total: i64 = round.proposals.iter().map(|p| p.score).sum();
        prop_assert_eq!(total, round.stats.total_score);

        // Deterministic, and independent of input order.
        prop_assert_eq!(&matching_round(&ns, &rs, &config, &exclusions), &round);
        let (mut ns2, mut rs2) = (ns.clone(), rs.clone());
        let rot_n = (seed % ns2.len() as u64) as usize;
        let rot_r = (seed / 7 % rs2.len() as u64) as usize;
        ns2.rotate_left(rot_n);
        ns2.reverse();
        rs2.rotate_left(rot_r);
        prop_assert_eq!(&matching_round(&ns2, &rs2, &config, &exclusions), &round);

        // The greedy baseline is feasible and never better.
        let greedy = greedy_round(&ns, &rs, &config, &exclusions);
        prop_assert!((greedy.stats.matched, greedy.stats.total_score) <= best);
    }
}
