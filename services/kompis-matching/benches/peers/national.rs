//! A synthetic national round: 100,000 newcomers and 50,000 established residents
//! spread over Swedish cities and towns as the population is (newcomers more
//! concentrated in the big cities than residents), candidates only within the
//! chapter's maximum distance; plus a constrained local pool with a shortage of
//! residents, to compare exact matching with "best pair first".

use std::time::Instant;

use kompis_matching::*;

use crate::instances::Rng;

/// (name, lat, lon, share of the population, radius km).
const CITIES: &[(&str, f64, f64, f64, f64)] = &[
    ("Stockholm", 59.3293, 18.0686, 0.230, 22.0),
    ("Göteborg", 57.7089, 11.9746, 0.100, 15.0),
    ("Malmö", 55.6050, 13.0038, 0.080, 12.0),
    ("Uppsala", 59.8586, 17.6389, 0.035, 8.0),
    ("Västerås", 59.6099, 16.5448, 0.025, 7.0),
    ("Örebro", 59.2753, 15.2134, 0.025, 7.0),
    ("Linköping", 58.4108, 15.6214, 0.025, 7.0),
    ("Helsingborg", 56.0465, 12.6945, 0.025, 7.0),
    ("Jönköping", 57.7826, 14.1618, 0.020, 7.0),
    ("Norrköping", 58.5877, 16.1924, 0.020, 7.0),
    ("Lund", 55.7047, 13.1910, 0.020, 5.0),
    ("Umeå", 63.8258, 20.2630, 0.020, 6.0),
    ("Gävle", 60.6749, 17.1413, 0.015, 6.0),
    ("Borås", 57.7210, 12.9401, 0.015, 6.0),
    ("Södertälje", 59.1955, 17.6253, 0.015, 6.0),
    ("Eskilstuna", 59.3666, 16.5077, 0.015, 6.0),
    ("Halmstad", 56.6745, 12.8578, 0.015, 6.0),
    ("Växjö", 56.8777, 14.8091, 0.015, 6.0),
    ("Karlstad", 59.4022, 13.5115, 0.015, 6.0),
    ("Sundsvall", 62.3908, 17.3069, 0.015, 6.0),
    ("Luleå", 65.5848, 22.1547, 0.010, 6.0),
    ("Östersund", 63.1792, 14.6357, 0.010, 5.0),
    ("Trollhättan", 58.2837, 12.2886, 0.010, 5.0),
    ("Kristianstad", 56.0294, 14.1567, 0.010, 5.0),
    ("Kalmar", 56.6634, 16.3568, 0.010, 5.0),
    ("Falun", 60.6065, 15.6355, 0.010, 5.0),
    ("Skövde", 58.3903, 13.8461, 0.008, 4.0),
    ("Visby", 57.6348, 18.2948, 0.005, 4.0),
    ("Kiruna", 67.8558, 20.2253, 0.003, 4.0),
];

/// Share of the population in 300 small towns, spread over the southern two thirds.
const TOWNS_SHARE: f64 = 0.19;
const N_TOWNS: usize = 300;

#[derive(Clone, Copy)]
struct Place {
    lat: f64,
    lon: f64,
    share: f64,
    radius_km: f64,
    districts: usize,
}

fn places(rng: &mut Rng) -> Vec<Place> {
    let mut v: Vec<Place> = CITIES
        .iter()
        .map(|&(_, lat, lon, share, radius_km)| Place {
            lat,
            lon,
            share,
            radius_km,
            districts: ((share * 600.0) as usize).max(4),
        })
        .collect();
    for _ in 0..N_TOWNS {
        v.push(Place {
            lat: 55.6 + rng.unit() * 8.0,
            lon: 12.5 + rng.unit() * (5.0 + 4.0 * rng.unit()),
            share: TOWNS_SHARE / N_TOWNS as f64,
            radius_km: 3.0,
            districts: 2,
        });
    }
    v
}

/// District coordinates of each place (fixed per place, shared by its participants).
fn districts(rng: &mut Rng, places: &[Place]) -> Vec<Vec<GeoPoint>> {
    places
        .iter()
        .map(|p| {
            (0..p.districts)
                .map(|_| {
                    let r = p.radius_km * rng.unit().sqrt();
                    let a = rng.unit() * std::f64::consts::TAU;
                    GeoPoint {
                        lat: p.lat + r * a.sin() / 111.2,
                        lon: p.lon + r * a.cos() / (111.2 * p.lat.to_radians().cos()),
                    }
                })
                .collect()
        })
        .collect()
}

fn pick<T: Copy>(rng: &mut Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|x| x.1).sum();
    let mut x = rng.unit() * total;
    for &(t, w) in items {
        if x < w {
            return t;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

fn person(rng: &mut Rng, id: u128, role: Role, location: GeoPoint, hard_wish_rate: f64) -> Participant {
    use Proficiency::*;
    let newcomer = role == Role::Newcomer;
    let langs: &[(&str, f64)] = if newcomer {
        &[
            ("ar", 30.0),
            ("ti", 10.0),
            ("so", 8.0),
            ("prs", 8.0),
            ("fa", 7.0),
            ("uk", 10.0),
            ("ku", 5.0),
            ("ps", 3.0),
            ("am", 3.0),
            ("ru", 4.0),
            ("es", 4.0),
            ("tr", 4.0),
            ("fr", 4.0),
        ]
    } else {
        &[
            ("ar", 3.0),
            ("es", 4.0),
            ("fr", 4.0),
            ("de", 5.0),
            ("ru", 1.0),
            ("fa", 1.0),
            ("tr", 1.0),
            ("so", 0.5),
            ("ti", 0.3),
            ("uk", 0.5),
        ]
    };
    let mut languages = vec![Language {
        code: LanguageCode::new(pick(rng, langs)).expect("valid code"),
        level: if newcomer { Native } else { Conversational },
    }];
    // Most residents speak no language of the newcomers' besides English.
    if !newcomer && rng.unit() < 0.7 {
        languages.clear();
    }
    let english_rate = if newcomer { 0.35 } else { 0.85 };
    if rng.unit() < english_rate {
        languages.push(Language {
            code: LanguageCode::new("en").expect("valid code"),
            level: pick(rng, &[(Basic, 1.0), (Conversational, 3.0), (Fluent, 2.0)]),
        });
    }
    let swedish = if newcomer {
        pick(
            rng,
            &[
                (SwedishLevel::None, 15.0),
                (SwedishLevel::SfiA, 20.0),
                (SwedishLevel::SfiB, 25.0),
                (SwedishLevel::SfiC, 20.0),
                (SwedishLevel::SfiD, 15.0),
                (SwedishLevel::B1, 5.0),
            ],
        )
    } else {
        pick(
            rng,
            &[
                (SwedishLevel::Native, 85.0),
                (SwedishLevel::C1, 6.0),
                (SwedishLevel::C2, 5.0),
                (SwedishLevel::B2, 4.0),
            ],
        )
    };
    let gender = pick(
        rng,
        &[
            (Gender::Woman, if newcomer { 48.0 } else { 62.0 }),
            (Gender::Man, if newcomer { 50.0 } else { 36.0 }),
            (Gender::Unspecified, 2.0),
        ],
    );
    let age = 18 + rng.below(if newcomer { 45 } else { 55 }) as u16;
    let has_children = rng.unit() < if newcomer { 0.45 } else { 0.35 };
    let strength = |rng: &mut Rng| {
        if rng.unit() < hard_wish_rate {
            Strength::Hard
        } else {
            Strength::Soft
        }
    };
    let mut wishes = Wishes::default();
    if gender == Gender::Woman && rng.unit() < 0.4 {
        wishes.same_gender = Some(strength(rng));
    }
    if rng.unit() < 0.15 {
        let lo = age.saturating_sub(10).max(18);
        wishes.age_range = Some((
            AgeRange {
                min: lo,
                max: age + 12,
            },
            strength(rng),
        ));
    }
    if has_children && rng.unit() < 0.2 {
        wishes.family_match = Some(strength(rng));
    }
    // Evenings and weekends are popular; 4 to 9 free slots.
    let mut availability = Availability::EMPTY;
    for _ in 0..(4 + rng.below(6)) {
        let weekend = rng.unit() < 0.4;
        let day = if weekend { 5 + rng.below(2) } else { rng.below(5) } as u8;
        let part = pick(
            rng,
            &[
                (DayPart::Morning, 1.0),
                (DayPart::Afternoon, 2.0),
                (DayPart::Evening, if weekend { 2.0 } else { 4.0 }),
            ],
        );
        availability = availability.with(day, part);
    }
    let meeting = pick(
        rng,
        &[
            (MeetingPreference::InPerson, 50.0),
            (MeetingPreference::Both, 45.0),
            (MeetingPreference::Online, 5.0),
        ],
    );
    let n_interests = 2 + rng.below(4) as usize;
    let mut interests: Vec<InterestId> = (0..n_interests)
        .map(|_| {
            // Skewed: low ids (football, cooking, walks...) are common.
            let x = rng.unit();
            (x * x * 40.0) as InterestId
        })
        .collect();
    interests.sort_unstable();
    interests.dedup();
    let capacity = if newcomer { 1 } else { 1 + rng.below(2) as u8 };
    let active_matches = if !newcomer && capacity == 2 && rng.unit() < 0.2 {
        1
    } else {
        0
    };
    Participant {
        id: ParticipantId(id),
        role,
        eligible: rng.unit() < 0.97,
        languages,
        swedish,
        gender,
        age,
        has_children,
        wishes,
        availability,
        meeting,
        location,
        interests,
        capacity,
        active_matches,
        waiting_days: rng.below(if newcomer { 500 } else { 200 }) as u32,
    }
}

/// Newcomers are more concentrated in the big cities than residents (share^1.15 vs
/// share^0.9, renormalised), so some regions are short of residents and others not.
fn population(
    rng: &mut Rng,
    n: usize,
    role: Role,
    places: &[Place],
    dists: &[Vec<GeoPoint>],
    first_id: u128,
    hard_wish_rate: f64,
) -> Vec<Participant> {
    let exp = if role == Role::Newcomer { 1.15 } else { 0.9 };
    let weights: Vec<(usize, f64)> = places
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.share.powf(exp)))
        .collect();
    // Cumulative table for fast sampling.
    let total: f64 = weights.iter().map(|w| w.1).sum();
    let mut cum = Vec::with_capacity(weights.len());
    let mut acc = 0.0;
    for &(_, w) in &weights {
        acc += w / total;
        cum.push(acc);
    }
    (0..n)
        .map(|k| {
            let x = rng.unit();
            let place = cum.partition_point(|&c| c < x).min(places.len() - 1);
            let d = &dists[place];
            let loc = d[rng.below(d.len() as u64) as usize];
            // Ids are scrambled so that id order is not place order.
            let id = first_id + ((k as u128 * 0x9E37_79B9) % (1 << 40)) * 1_000_003 % (1 << 48);
            person(rng, id, role, loc, hard_wish_rate)
        })
        .collect()
}

fn json_round(label: &str, round: &Round, secs: f64) {
    let s = round.stats;
    println!(
        "{{\"national\":\"{label}\",\"seconds\":{secs:.6},\"newcomers_ready\":{},\"residents_ready\":{},\"resident_capacity\":{},\"pairs_checked\":{},\"pairs_admissible\":{},\"candidate_edges\":{},\"full_graph_checks\":{},\"pairs_added\":{},\"matched\":{},\"total_score\":{}}}",
        s.newcomers_ready,
        s.residents_ready,
        s.resident_capacity,
        s.pairs_checked,
        s.pairs_admissible,
        s.candidate_edges,
        s.full_graph_checks,
        s.pairs_added,
        s.matched,
        s.total_score
    );
}

/// One national round: candidates and scores, the exact round (with its checks
/// against every admissible pair), the candidate graph alone, and greedy.
fn national_round(
    label: &str,
    newcomers: &[Participant],
    residents: &[Participant],
    config: &Config,
    ex: &Exclusions,
) {
    // Candidate limits can be changed for experiments (the round stays exact).
    let mut config = config.clone();
    for (var, field) in [
        (
            "KOMPIS_CANDIDATES_PER_NEWCOMER",
            &mut config.rules.candidates_per_newcomer,
        ),
        (
            "KOMPIS_CANDIDATES_PER_RESIDENT",
            &mut config.rules.candidates_per_resident,
        ),
    ] {
        if let Some(k) = std::env::var(var).ok().and_then(|v| v.parse().ok()) {
            *field = k;
        }
    }
    let config = &config;
    let (t, c) = (Instant::now(), crate::process_cpu());
    let graph = CandidateGraph::build(newcomers, residents, config, ex);
    let (build, build_cpu) = (t.elapsed().as_secs_f64(), crate::process_cpu() - c);
    let (t, c) = (Instant::now(), crate::process_cpu());
    let exact = graph.exact();
    let (solve, solve_cpu) = (t.elapsed().as_secs_f64(), crate::process_cpu() - c);
    let t = Instant::now();
    let alone = graph.exact_on_candidates();
    let alone_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let greedy = graph.greedy();
    let greedy_secs = t.elapsed().as_secs_f64();
    let s = graph.stats();
    println!(
        "{{\"national\":\"{label}: candidates and scoring (2 threads)\",\"seconds\":{build:.6},\"cpu_seconds\":{build_cpu:.2},\"pairs_checked\":{},\"pairs_admissible\":{},\"candidate_edges\":{},\"pairs_per_second\":{:.0}}}",
        s.pairs_checked,
        s.pairs_admissible,
        s.candidate_edges,
        s.pairs_checked as f64 / build
    );
    json_round(
        &format!(
            "{label}: exact assignment, checks against every admissible pair, explanations (CPU {solve_cpu:.2} s)"
        ),
        &exact,
        solve,
    );
    json_round(
        &format!("{label}: end to end (exact; CPU {:.2} s)", build_cpu + solve_cpu),
        &exact,
        build + solve,
    );
    json_round(
        &format!("{label}: exact on the candidate graph alone (the engine before)"),
        &alone,
        alone_secs,
    );
    json_round(
        &format!("{label}: greedy best pair first, same candidates"),
        &greedy,
        greedy_secs,
    );
}

/// A constrained pool: 6,000 newcomers and 2,000 residents
/// (capacity 1-2) in one municipality-sized area, same-gender and age wishes hard,
/// availability over 21 slots.
/// The area's radius, and the shares with a hard same-gender and a hard age wish
/// (within 8 years), each free at 3 slots.
const RADIUS_KM: f64 = 3.5;
const SAME_GENDER: f64 = 0.9;
const AGE: f64 = 0.9;

pub fn constrained() -> (Vec<Participant>, Vec<Participant>) {
    constrained_with(&Constraints {
        radius_km: RADIUS_KM,
        same_gender: SAME_GENDER,
        age: AGE,
        age_span: 8,
        slots: 3,
    })
}

/// How strict a constrained pool is.
pub struct Constraints {
    /// The area's radius.
    pub radius_km: f64,
    /// The shares with a hard same-gender wish and with a hard age wish.
    pub same_gender: f64,
    pub age: f64,
    /// The age wish: within this many years of one's own age.
    pub age_span: u16,
    /// Free slots of the 21 each person has.
    pub slots: u32,
}

/// A denser constrained pool: 6,000 newcomers and 2,000 residents (capacity 1-2)
/// with hard same-gender and age wishes, about 1.3 million admissible pairs at 4 km.
pub const DENSE: Constraints = Constraints {
    radius_km: 3.5,
    same_gender: 0.9,
    age: 0.9,
    age_span: 12,
    slots: 6,
};

pub fn constrained_with(c: &Constraints) -> (Vec<Participant>, Vec<Participant>) {
    let mut rng = Rng::new(8);
    let area = [Place {
        lat: 59.2000,
        lon: 17.8300,
        share: 1.0,
        radius_km: c.radius_km,
        districts: 40,
    }];
    let d = districts(&mut rng, &area);
    let mut n = population(&mut rng, 6_000, Role::Newcomer, &area, &d, 1, 1.0);
    let mut r = population(&mut rng, 2_000, Role::Resident, &area, &d, 1 << 60, 1.0);
    // Stricter than the national pool: most want a buddy of their own gender and one
    // close to their age, both as hard wishes, and each is free at a few of the 21
    // slots.
    for p in n.iter_mut().chain(r.iter_mut()) {
        p.wishes = Wishes::default();
        if p.gender != Gender::Unspecified && rng.unit() < c.same_gender {
            p.wishes.same_gender = Some(Strength::Hard);
        }
        if rng.unit() < c.age {
            let range = AgeRange {
                min: p.age.saturating_sub(c.age_span),
                max: p.age + c.age_span,
            };
            p.wishes.age_range = Some((range, Strength::Hard));
        }
        // Waits spread over two years on both sides: the waiting criterion, the
        // heaviest, then ranks everyone alike, and the same few top every list.
        p.waiting_days = rng.below(730) as u32;
        p.availability = Availability::EMPTY;
        while p.availability.count() < c.slots {
            let (day, part) = (rng.below(7) as u8, rng.below(3));
            let part = [DayPart::Morning, DayPart::Afternoon, DayPart::Evening][part as usize];
            p.availability = p.availability.with(day, part);
        }
    }
    (n, r)
}

/// The most newcomers any set of admissible pairs can match, by Hopcroft-Karp over
/// every admissible pair (found by `evaluate`, pair by pair), with one right vertex
/// per unit of a resident's free capacity: independent of the round's code.
pub fn max_matched(newcomers: &[Participant], residents: &[Participant], config: &Config) -> usize {
    let none = Exclusions::default();
    // Units of capacity, and each newcomer's admissible units.
    let mut unit_of: Vec<Vec<usize>> = Vec::new();
    let mut n_units = 0;
    for r in residents {
        let k = usize::from(r.free_capacity());
        unit_of.push((n_units..n_units + k).collect());
        n_units += k;
    }
    let adj: Vec<Vec<usize>> = newcomers
        .iter()
        .map(|n| {
            residents
                .iter()
                .enumerate()
                .filter(|(_, r)| evaluate(n, r, config, &none).is_ok())
                .flat_map(|(j, _)| unit_of[j].iter().copied())
                .collect()
        })
        .collect();
    hopcroft_karp(&adj, n_units)
}

/// Maximum bipartite matching (Hopcroft and Karp, 1973): BFS layers from the free
/// left vertices, then vertex-disjoint shortest augmenting paths by DFS, until none.
fn hopcroft_karp(adj: &[Vec<usize>], n_right: usize) -> usize {
    const FREE: usize = usize::MAX;
    let n_left = adj.len();
    let (mut left_of, mut right_of) = (vec![FREE; n_right], vec![FREE; n_left]);
    let mut matched = 0;
    loop {
        // Layers: dist of left vertices from the free ones.
        let mut dist = vec![usize::MAX; n_left];
        let mut queue: std::collections::VecDeque<usize> =
            (0..n_left).filter(|&i| right_of[i] == FREE).collect();
        for &i in &queue {
            dist[i] = 0;
        }
        let mut found = false;
        while let Some(i) = queue.pop_front() {
            for &j in &adj[i] {
                match left_of[j] {
                    FREE => found = true,
                    k if dist[k] == usize::MAX => {
                        dist[k] = dist[i] + 1;
                        queue.push_back(k);
                    }
                    _ => {}
                }
            }
        }
        if !found {
            return matched;
        }
        // Augment along layered paths (iterative DFS with a cursor per vertex).
        let mut cursor = vec![0usize; n_left];
        for start in 0..n_left {
            if right_of[start] != FREE {
                continue;
            }
            let mut path = vec![start];
            while let Some(&i) = path.last() {
                if cursor[i] == adj[i].len() {
                    dist[i] = usize::MAX; // a dead end for this phase
                    path.pop();
                    continue;
                }
                let j = adj[i][cursor[i]];
                cursor[i] += 1;
                let k = left_of[j];
                if k == FREE {
                    // Flip the path: each left vertex on it takes the next right one.
                    let mut j = j;
                    while let Some(i) = path.pop() {
                        let previous = right_of[i];
                        right_of[i] = j;
                        left_of[j] = i;
                        j = previous;
                    }
                    matched += 1;
                } else if dist[k] == dist[i] + 1 {
                    path.push(k);
                }
            }
        }
    }
}

/// A config with the given distance limit.
pub fn within(km: f64) -> Config {
    let mut config = Config::default();
    config.rules.max_distance_km = km;
    config
}

/// Every admissible pair of a pool by `evaluate` (brute force, independent of the
/// round's candidate generation), as a capacity instance for the peers.
pub fn full_graph(
    newcomers: &[Participant],
    residents: &[Participant],
    config: &Config,
) -> crate::instances::Instance {
    let none = Exclusions::default();
    let mut inst = crate::instances::Instance {
        kind: crate::instances::CAPACITY,
        n_rows: newcomers.len(),
        n_cols: residents.len(),
        rows: Vec::new(),
        cols: Vec::new(),
        weights: Vec::new(),
        capacity: residents.iter().map(|r| u32::from(r.free_capacity())).collect(),
    };
    for (i, n) in newcomers.iter().enumerate() {
        for (j, r) in residents.iter().enumerate() {
            if let Ok(e) = evaluate(n, r, config, &none) {
                inst.rows.push(i as u32);
                inst.cols.push(j as u32);
                inst.weights.push(e.total);
            }
        }
    }
    inst
}

/// Times the candidate graph of the national pool (distance limit for every pair)
/// and the exact round on it, `repeats` times each, for experiments.
pub fn phases(repeats: usize, n_newcomers: usize) {
    let mut rng = Rng::new(2026);
    let places = places(&mut rng);
    let dists = districts(&mut rng, &places);
    let newcomers = population(&mut rng, n_newcomers, Role::Newcomer, &places, &dists, 1, 0.3);
    let residents = population(
        &mut rng,
        n_newcomers / 2,
        Role::Resident,
        &places,
        &dists,
        1 << 60,
        0.3,
    );
    let exclusions: Exclusions = (0..n_newcomers / 50)
        .map(|k| (newcomers[k * 37].id, residents[k * 23].id))
        .collect();
    let mut config = Config::default();
    config.rules.online_beyond_distance = false;
    for _ in 0..repeats {
        let (t, c) = (Instant::now(), crate::process_cpu());
        let graph = CandidateGraph::build(&newcomers, &residents, &config, &exclusions);
        let (build, build_cpu) = (t.elapsed().as_secs_f64(), crate::process_cpu() - c);
        let (t, c) = (Instant::now(), crate::process_cpu());
        let exact = graph.exact();
        let (solve, solve_cpu) = (t.elapsed().as_secs_f64(), crate::process_cpu() - c);
        println!(
            "{{\"phases\":\"national, distance limit for every pair\",\"build_seconds\":{build:.3},\"build_cpu\":{build_cpu:.2},\"exact_seconds\":{solve:.3},\"exact_cpu\":{solve_cpu:.2},\"matched\":{},\"total_score\":{},\"checks\":{},\"added\":{}}}",
            exact.stats.matched,
            exact.stats.total_score,
            exact.stats.full_graph_checks,
            exact.stats.pairs_added
        );
    }
}

pub fn run() {
    let mut rng = Rng::new(2026);
    let places = places(&mut rng);
    let dists = districts(&mut rng, &places);
    let newcomers = population(&mut rng, 100_000, Role::Newcomer, &places, &dists, 1, 0.3);
    let residents = population(&mut rng, 50_000, Role::Resident, &places, &dists, 1 << 60, 0.3);
    let exclusions: Exclusions = (0..2_000)
        .map(|k| (newcomers[k * 37].id, residents[k * 23].id))
        .collect();
    let skip_national = std::env::var_os("KOMPIS_SKIP_NATIONAL").is_some();
    let mut in_person = Config::default();
    in_person.rules.online_beyond_distance = false;
    if !skip_national {
        national_round(
            "national, distance limit for every pair",
            &newcomers,
            &residents,
            &in_person,
            &exclusions,
        );
    }
    if !skip_national && std::env::var_os("KOMPIS_SKIP_ONLINE").is_none() {
        national_round(
            "national, online pairs beyond the limit",
            &newcomers,
            &residents,
            &Config::default(),
            &exclusions,
        );
    }

    // The constrained pool at 4 and 6 km: the round beside the candidate
    // graph alone (the independent optimum over every admissible pair is in the
    // peers' table, instances constrained_4km and constrained_6km).
    let (dn, dr) = constrained_with(&DENSE);
    for km in [4.0, 6.0] {
        let config = within(km);
        let none = Exclusions::default();
        let t = Instant::now();
        let graph = CandidateGraph::build(&dn, &dr, &config, &none);
        let exact = graph.exact();
        let secs = t.elapsed().as_secs_f64();
        let alone = graph.exact_on_candidates();
        let most = max_matched(&dn, &dr, &config);
        println!(
            "{{\"dense constrained pool\":\"{km} km\",\"pairs_admissible\":{},\"round_matched\":{},\"round_score\":{},\"seconds\":{secs:.3},\"full_graph_checks\":{},\"pairs_added\":{},\"independent_max_matched\":{most},\"candidate_graph_alone_matched\":{},\"candidate_graph_alone_score\":{}}}",
            exact.stats.pairs_admissible,
            exact.stats.matched,
            exact.stats.total_score,
            exact.stats.full_graph_checks,
            exact.stats.pairs_added,
            alone.stats.matched,
            alone.stats.total_score
        );
    }
    let (cn, cr) = constrained();
    for km in [4.0, 6.0] {
        let config = within(km);
        let none = Exclusions::default();
        let t = Instant::now();
        let graph = CandidateGraph::build(&cn, &cr, &config, &none);
        let exact = graph.exact();
        let secs = t.elapsed().as_secs_f64();
        json_round(&format!("constrained pool, {km} km: round (exact)"), &exact, secs);
        json_round(
            &format!("constrained pool, {km} km: exact on the candidate graph alone (the engine before)"),
            &graph.exact_on_candidates(),
            0.0,
        );
    }
}
