//! Scoring throughput (criterion): candidate generation, hard constraints and scores
//! for a municipality-sized pool, reported per candidate pair within reach; and
//! suggestions for one participant against 20,000 residents, with the index built
//! once (as a service keeps it) and without.
//!
//! `cargo bench -p kompis-matching --bench scoring`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kompis_matching::*;

/// A seeded pool of `n` newcomers and `n / 2` residents in ten districts of Botkyrka.
fn pool(n: usize) -> (Vec<Participant>, Vec<Participant>) {
    let mut state = 7u64;
    let mut next = move |m: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % m
    };
    let mut person = |id: u128, role: Role| {
        let district = next(10) as f64;
        let langs = ["ar", "ti", "so", "uk", "en"];
        Participant {
            id: ParticipantId(id),
            role,
            eligible: true,
            languages: vec![Language {
                code: LanguageCode::new(langs[next(5) as usize]).unwrap(),
                level: Proficiency::Fluent,
            }],
            swedish: if role == Role::Resident {
                SwedishLevel::Native
            } else {
                SwedishLevel::SfiB
            },
            gender: if next(2) == 0 { Gender::Woman } else { Gender::Man },
            age: 18 + next(50) as u16,
            has_children: next(2) == 0,
            wishes: Wishes::default(),
            availability: Availability(next(1 << 21) as u32),
            meeting: MeetingPreference::Both,
            location: GeoPoint {
                lat: 59.15 + 0.01 * district,
                lon: 17.80 + 0.005 * district,
            },
            interests: (0..3).map(|_| next(30) as u32).collect(),
            capacity: 1 + next(2) as u8,
            active_matches: 0,
            waiting_days: next(400) as u32,
        }
    };
    let newcomers = (0..n as u128).map(|i| person(i, Role::Newcomer)).collect();
    let residents = (0..n as u128 / 2)
        .map(|i| person(1_000_000 + i, Role::Resident))
        .collect();
    (newcomers, residents)
}

fn scoring(c: &mut Criterion) {
    let (newcomers, residents) = pool(2_000);
    let config = Config::default();
    let none = Exclusions::default();
    let pairs = CandidateGraph::build(&newcomers, &residents, &config, &none)
        .stats()
        .pairs_checked;
    let mut group = c.benchmark_group("scoring");
    group
        .sample_size(10)
        .measurement_time(std::time::Duration::from_secs(8));
    group.throughput(Throughput::Elements(pairs));
    group.bench_function("candidate graph, 2000 x 1000", |b| {
        b.iter(|| CandidateGraph::build(&newcomers, &residents, &config, &none).n_edges())
    });
    group.finish();
}

/// 20,000 residents spread over Stockholm (about 25 km across), and newcomers to ask
/// for, from the same seeded generator.
fn stockholm(n: usize) -> Vec<Participant> {
    let (mut people, _) = pool(n);
    for (k, p) in people.iter_mut().enumerate() {
        p.location = GeoPoint {
            lat: 59.20 + 0.02 * (k % 13) as f64,
            lon: 17.85 + 0.04 * (k % 11) as f64,
        };
        p.meeting = [
            MeetingPreference::InPerson,
            MeetingPreference::Both,
            MeetingPreference::Online,
        ][k % 3];
    }
    people
}

fn suggestions_bench(c: &mut Criterion) {
    let config = Config::default();
    let none = Exclusions::default();
    let mut residents = stockholm(20_000);
    for r in &mut residents {
        r.role = Role::Resident;
        r.swedish = SwedishLevel::Native;
    }
    let askers: Vec<Participant> = stockholm(64)
        .into_iter()
        .map(|mut p| {
            p.id = ParticipantId(p.id.0 + 10_000_000);
            p
        })
        .collect();
    let index = SuggestionIndex::new(&residents, &config);
    let mut group = c.benchmark_group("suggestions");
    group.sample_size(50);
    let mut k = 0;
    group.bench_function("top 10 of 20000 residents, index built once", |b| {
        b.iter(|| {
            k = (k + 1) % askers.len();
            index.suggestions(&askers[k], 10, &none).unwrap().len()
        })
    });
    group.sample_size(10);
    group.bench_function("top 10 of 20000 residents, without an index", |b| {
        b.iter(|| {
            k = (k + 1) % askers.len();
            suggestions(&askers[k], &residents, 10, &config, &none)
                .unwrap()
                .len()
        })
    });
    group.bench_function("building the index of 20000 residents", |b| {
        b.iter(|| SuggestionIndex::new(&residents, &config).len())
    });
    group.finish();
}

criterion_group!(benches, scoring, suggestions_bench);
criterion_main!(benches);
