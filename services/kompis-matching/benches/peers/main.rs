//! Benchmark driver, run by `bench/run.sh` (see the crate README).
//!
//! ```text
//! cargo bench -p kompis-matching --bench peers -- generate DIR   # write the instances
//! cargo bench -p kompis-matching --bench peers -- solve DIR      # time this crate on them
//! cargo bench -p kompis-matching --bench peers -- national       # national round, greedy
//! cargo bench -p kompis-matching --bench peers -- phases [R [N]]  # R national rounds (3),
//!                                        # N newcomers (100,000) and N / 2 residents
//! ```
//!
//! `national` reads, for experiments: `KOMPIS_SKIP_NATIONAL` and `KOMPIS_SKIP_ONLINE`
//! (leave out the national rounds, or the one with online pairs beyond the limit),
//! `KOMPIS_CANDIDATES_PER_NEWCOMER` and `KOMPIS_CANDIDATES_PER_RESIDENT` (candidate
//! limits of the national rounds; the round stays exact).
//!
//! Results are printed as one JSON object per line.

mod instances;
mod national;

use std::path::{Path, PathBuf};
use std::time::Instant;

use kompis_matching::assignment::{BipartiteGraph, lap_dense, max_weight_matching, min_cost_assignment};

const REPEATS: usize = 5;

fn main() {
    // `cargo bench` appends `--bench`; ignore flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.first().map(String::as_str) {
        Some("generate") => generate(&dir_arg(&args)),
        Some("solve") => solve(&dir_arg(&args)),
        Some("national") => national::run(),
        Some("phases") => national::phases(
            args.get(1).and_then(|n| n.parse().ok()).unwrap_or(3),
            args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100_000),
        ),
        _ => eprintln!("usage: peers (generate DIR | solve DIR | national | phases [REPEATS [NEWCOMERS]])"),
    }
}

fn dir_arg(args: &[String]) -> PathBuf {
    PathBuf::from(args.get(1).map_or("bench-data", String::as_str))
}

fn generate(dir: &Path) {
    std::fs::create_dir_all(dir).expect("create the instance directory");
    let all = [
        ("dense_2000", instances::dense(2_000, 1)),
        ("sparse_20000", instances::sparse(20_000, 50, 2)),
        (
            "capacity_100000x50000",
            instances::capacity(100_000, 50_000, 30, 3),
        ),
    ];
    for (name, inst) in &all {
        let path = dir.join(format!("{name}.kmpi"));
        instances::write(inst, &path).expect("write an instance");
        eprintln!("wrote {} ({} edges)", path.display(), inst.rows.len());
    }
    // The constrained pools' full admissible graphs, so that the peers compute the
    // optimum over every admissible pair independently of the round.
    let (newcomers, residents) = national::constrained();
    for km in [4, 6] {
        let inst = national::full_graph(&newcomers, &residents, &national::within(f64::from(km)));
        let path = dir.join(format!("constrained_{km}km.kmpi"));
        instances::write(&inst, &path).expect("write an instance");
        eprintln!("wrote {} ({} edges)", path.display(), inst.rows.len());
    }
}

fn solve(dir: &Path) {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the instance directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "kmpi"))
        .collect();
    names.sort();
    for path in names {
        let inst = instances::read(&path).expect("read an instance");
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        match inst.kind {
            instances::DENSE => {
                // Integer weights that fit in 32 bits are stored as such.
                let n = inst.n_rows;
                let mut cost = vec![0i32; n * n];
                for k in 0..inst.rows.len() {
                    cost[inst.rows[k] as usize * n + inst.cols[k] as usize] =
                        i32::try_from(inst.weights[k]).expect("dense weights fit in i32");
                }
                let (secs, a) = best_of(|| lap_dense(n, &cost).expect("solvable"));
                report(&name, "kompis lap_dense", secs, n, a.total_cost);
            }
            instances::SPARSE => {
                let g = graph(&inst);
                let (secs, a) = best_of(|| min_cost_assignment(&g).expect("solvable"));
                report(
                    &name,
                    "kompis min_cost_assignment",
                    secs,
                    a.right_of_left.len(),
                    a.total_cost,
                );
            }
            _ => {
                let g = graph(&inst);
                let (secs, m) = best_of(|| max_weight_matching(&g, &inst.capacity).expect("solvable"));
                report(
                    &name,
                    "kompis max_weight_matching",
                    secs,
                    m.cardinality(),
                    m.total_weight,
                );
                let (secs, m) = best_of(|| {
                    kompis_matching::assignment::greedy_matching(&g, &inst.capacity).expect("solvable")
                });
                report(
                    &name,
                    "kompis greedy_matching (not exact)",
                    secs,
                    m.cardinality(),
                    m.total_weight,
                );
            }
        }
    }
}

fn graph(inst: &instances::Instance) -> BipartiteGraph {
    let edges: Vec<(u32, u32, i64)> = (0..inst.rows.len())
        .map(|k| (inst.rows[k], inst.cols[k], inst.weights[k]))
        .collect();
    BipartiteGraph::from_edges(inst.n_rows, inst.n_cols, &edges).expect("valid instance")
}

/// Best of [`REPEATS`] runs: wall-clock seconds and this thread's CPU seconds (the
/// latter is what a busy shared machine disturbs least).
fn best_of<T>(mut f: impl FnMut() -> T) -> (Timing, T) {
    let mut best = Timing {
        wall: f64::INFINITY,
        cpu: f64::INFINITY,
    };
    let mut out = None;
    for _ in 0..REPEATS {
        let (t, c) = (Instant::now(), thread_cpu());
        let r = f();
        best.cpu = best.cpu.min(thread_cpu() - c);
        best.wall = best.wall.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("REPEATS > 0"))
}

#[derive(Debug, Clone, Copy)]
struct Timing {
    wall: f64,
    cpu: f64,
}

/// CPU time of the calling thread in seconds, from `/proc/thread-self/schedstat`
/// (nanoseconds on CPU); NaN where that file does not exist.
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(f64::NAN, |ns| ns as f64 / 1e9)
}

/// CPU time of the whole process (every thread) in seconds, from `/proc/self/stat`
/// (user and system time in clock ticks of 1/100 s); NaN where that file does not
/// exist. On a machine shared with other work, wall-clock time of a two-thread phase
/// grows when the threads wait for a core; CPU time does not.
pub fn process_cpu() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may contain spaces) start at ')'.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / 100.0)
        })
        .unwrap_or(f64::NAN)
}

fn report(instance: &str, solver: &str, t: Timing, cardinality: usize, total: i64) {
    println!(
        "{{\"instance\":\"{instance}\",\"solver\":\"{solver}\",\"seconds\":{:.6},\"cpu_seconds\":{:.6},\"cardinality\":{cardinality},\"total\":{total}}}",
        t.wall, t.cpu
    );
}
