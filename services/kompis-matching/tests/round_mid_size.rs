//! Seeded pools large enough for the round's two-thread paths. One, where scans run on
//! two threads and the candidate graph splits into components (three towns 60 km
//! apart, about a hundred districts): the round is deterministic, does not depend on
//! input order, and matches as many newcomers as an independent maximum flow over
//! every admissible pair, with the score of the assignment solver run on every
//! admissible pair. Another, of 22,000 people, prepared on two threads: the same
//! result in any input order, admissible pairs, capacities respected.

mod common;

use common::flow;
use common::*;
use kompis_matching::assignment::{BipartiteGraph, max_weight_matching};
use kompis_matching::*;

/// Three towns: Botkyrka, Uppsala, Västerås.
const TOWNS: [GeoPoint; 3] = [
    ALBY,
    GeoPoint {
        lat: 59.8586,
        lon: 17.6389,
    },
    GeoPoint {
        lat: 59.6099,
        lon: 16.5448,
    },
];

fn pool() -> (Vec<Participant>, Vec<Participant>) {
    let mut state = 2026u64;
    let mut draw = move |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let mut person = |id: u128, role: Role| {
        let town = TOWNS[draw(3) as usize];
        let district = draw(35) as f64;
        let mut p = if role == Role::Newcomer {
            newcomer(id)
        } else {
            resident(id)
        };
        p.location = GeoPoint {
            lat: town.lat + 0.004 * (district % 6.0),
            lon: town.lon + 0.008 * (district / 6.0).floor(),
        };
        p.availability = Availability(draw(1 << 21) as u32);
        p.age = 18 + draw(50) as u16;
        p.gender = [Gender::Woman, Gender::Man][draw(2) as usize];
        if draw(4) == 0 {
            p.wishes.same_gender = Some(Strength::Hard);
        }
        p.interests = (0..3).map(|_| draw(12) as u32).collect();
        p.waiting_days = draw(400) as u32;
        p.capacity = 1 + draw(2) as u8;
        p.meeting = [
            MeetingPreference::InPerson,
            MeetingPreference::Both,
            MeetingPreference::Online,
        ][(draw(20) / 9) as usize];
        p
    };
    let newcomers = (0..600u128).map(|k| person(k * 7 + 1, Role::Newcomer)).collect();
    let residents = (0..200u128)
        .map(|k| person(100_000 + k * 3, Role::Resident))
        .collect();
    (newcomers, residents)
}

#[test]
fn a_two_thread_round_is_deterministic_and_optimal_over_every_admissible_pair() {
    let (newcomers, residents) = pool();
    let mut config = Config::default();
    config.rules.max_distance_km = 4.0;
    config.rules.candidates_per_newcomer = 3;
    config.rules.candidates_per_resident = 3;
    let none = Exclusions::default();

    let round = matching_round(&newcomers, &residents, &config, &none);
    assert_eq!(matching_round(&newcomers, &residents, &config, &none), round);
    let (mut n2, mut r2) = (newcomers.clone(), residents.clone());
    n2.reverse();
    r2.rotate_left(17);
    assert_eq!(matching_round(&n2, &r2, &config, &none), round);

    // Every admissible pair, by `evaluate` (online pairs need no distance filter).
    let mut pairs = Vec::new();
    for (i, n) in newcomers.iter().enumerate() {
        for (j, r) in residents.iter().enumerate() {
            if let Ok(e) = evaluate(n, r, &config, &none) {
                pairs.push((i, j, e.total));
            }
        }
    }
    assert_eq!(round.stats.pairs_admissible, pairs.len() as u64);
    assert!(
        pairs.len() > 10 * (newcomers.len() + residents.len()),
        "{}",
        pairs.len()
    );
    let capacity: Vec<u32> = residents.iter().map(|r| u32::from(r.free_capacity())).collect();
    assert_eq!(
        round.stats.matched as i64,
        flow::max_matched(newcomers.len(), &capacity, &pairs)
    );
    let edges: Vec<(u32, u32, i64)> = pairs.iter().map(|&(i, j, w)| (i as u32, j as u32, w)).collect();
    let full = BipartiteGraph::from_edges(newcomers.len(), residents.len(), &edges).unwrap();
    let best = max_weight_matching(&full, &capacity).unwrap();
    assert_eq!(
        (round.stats.matched, round.stats.total_score),
        (best.cardinality(), best.total_weight)
    );
}

#[test]
fn a_pool_of_twenty_thousand_is_prepared_on_two_threads_with_the_same_result_in_any_order() {
    // 16,000 newcomers and 6,000 residents in 600 places a few km apart, so that
    // both sides are prepared on two threads while each has few pairs.
    let person = |id: u128, role: Role| {
        let place = (id / 3 * 7919 % 600) as f64;
        let mut p = if role == Role::Newcomer {
            newcomer(id)
        } else {
            resident(id)
        };
        p.location = GeoPoint {
            lat: 56.0 + 0.05 * (place % 40.0),
            lon: 13.0 + 0.09 * (place / 40.0).floor(),
        };
        p.waiting_days = (id * 37 % 500) as u32;
        p.age = 18 + (id * 13 % 50) as u16;
        p.capacity = 1 + (id % 2) as u8;
        p
    };
    let newcomers: Vec<Participant> = (0..16_000u128)
        .map(|k| person(k * 3 + 1, Role::Newcomer))
        .collect();
    let residents: Vec<Participant> = (0..6_000u128)
        .map(|k| person(k * 3 + 2, Role::Resident))
        .collect();
    let mut config = Config::default();
    config.rules.max_distance_km = 2.0;
    let none = Exclusions::default();

    let round = matching_round(&newcomers, &residents, &config, &none);
    let (mut n2, mut r2) = (newcomers.clone(), residents.clone());
    n2.reverse();
    r2.rotate_left(1_234);
    assert_eq!(matching_round(&n2, &r2, &config, &none), round);
    assert!(round.stats.matched > 5_000, "{:?}", round.stats);
    assert_eq!(round.stats.matched + round.waiting.len(), newcomers.len());
    let mut load = std::collections::HashMap::new();
    for p in round.proposals.iter().step_by(97) {
        let n = &newcomers[(p.newcomer.0 as usize - 1) / 3];
        let r = &residents[(p.resident.0 as usize - 2) / 3];
        assert_eq!(evaluate(n, r, &config, &none).map(|e| e.total), Ok(p.score));
    }
    for p in &round.proposals {
        *load.entry(p.resident).or_insert(0u8) += 1;
    }
    for r in &residents {
        assert!(load.get(&r.id).copied().unwrap_or(0) <= r.free_capacity());
    }
}
