"""Times the peer solvers on the instances written by `peers generate` and prints a
table beside this crate's own timings (read from a JSON-lines file).

Usage: see `main`; bench/run.sh drives it.

Every peer gets the instance already in the data structure it expects; only the solve
call is timed (best of REPEATS), as on the Rust side. The file format is documented in
benches/instances.rs.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import lap
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching
from ortools.graph.python import linear_sum_assignment as ort_lsa
from ortools.graph.python import min_cost_flow as ort_mcf

# Best of 5 runs on the assignment instances; 3 on the capacity instance, where the
# slowest peers take many seconds per run.
REPEATS = 5
REPEATS_SLOW = 3


def read(path):
    buf = path.read_bytes()
    assert buf[:8] == b"KMPI0001", path
    kind, n_rows, n_cols, m = np.frombuffer(buf, dtype="<u8", count=4, offset=8)
    n_rows, n_cols, m = int(n_rows), int(n_cols), int(m)
    off = 40
    rows = np.frombuffer(buf, dtype="<u4", count=m, offset=off).astype(np.int64)
    cols = np.frombuffer(buf, dtype="<u4", count=m, offset=off + 4 * m).astype(np.int64)
    w = np.frombuffer(buf, dtype="<i8", count=m, offset=off + 8 * m)
    cap = np.frombuffer(buf, dtype="<u4", count=n_cols, offset=off + 16 * m).astype(np.int64)
    return int(kind), n_rows, n_cols, rows, cols, w, cap


class Timing:
    """Best wall-clock and best CPU time (this thread's) over the runs."""

    def __init__(self):
        self.wall = float("inf")
        self.cpu = float("inf")

    def add(self, wall, cpu):
        self.wall = min(self.wall, wall)
        self.cpu = min(self.cpu, cpu)


def best_of(f, repeats=REPEATS):
    best, out = Timing(), None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.thread_time()
        out = f()
        best.add(time.perf_counter() - t, time.thread_time() - c)
    return best, out


def perfect(name, n, rows, cols, w, dense):
    """Min-cost perfect assignment: yields (solver, seconds, total cost)."""
    if dense:
        c = np.zeros((n, n), dtype=np.float64)
        c[rows, cols] = w
        secs, (r, k) = best_of(lambda: linear_sum_assignment(c))
        yield "scipy linear_sum_assignment", secs, int(c[r, k].sum())
        secs, (_, x, _) = best_of(lambda: lap.lapjv(c))
        yield "lap lapjv", secs, int(c[np.arange(n), x].sum())
    else:
        order = np.lexsort((cols, rows))
        r_s, c_s, w_s = rows[order], cols[order], w[order].astype(np.float64)
        ii = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(r_s, minlength=n), out=ii[1:])
        secs, (x, _) = best_of(lambda: lap.lapmod(n, w_s, ii, c_s, return_cost=False))
        # Sum the cost of each chosen edge.
        pos = {(int(a), int(b)): float(v) for a, b, v in zip(r_s, c_s, w_s)} if n * 50 <= 2_000_000 else None
        total = int(sum(pos[(i, int(x[i]))] for i in range(n))) if pos else None
        yield "lap lapmod", secs, total
    # scipy's sparse solver drops explicit zeros, so shift every cost by +1 (a perfect
    # assignment's total moves by exactly n).
    sp = csr_matrix((w.astype(np.float64) + 1.0, (rows, cols)), shape=(n, n))
    secs, (r, k) = best_of(lambda: min_weight_full_bipartite_matching(sp))
    yield "scipy min_weight_full_bipartite_matching", secs, int(np.asarray(sp[r, k]).sum()) - n

    lsa = ort_lsa.SimpleLinearSumAssignment()
    lsa.add_arcs_with_cost(rows, cols, w)
    secs, status = best_of(lsa.solve)
    assert status == lsa.OPTIMAL
    yield "ortools LinearSumAssignment", secs, int(lsa.optimal_cost())

    secs, total = timed_mcf(lambda: mcf_perfect(n, rows, cols, w))
    yield "ortools SimpleMinCostFlow", secs, total


def mcf_perfect(n, rows, cols, w):
    f = ort_mcf.SimpleMinCostFlow()
    f.add_arcs_with_capacity_and_unit_cost(rows, cols + n, np.ones_like(rows), w)
    f.set_nodes_supplies(np.arange(2 * n), np.concatenate([np.ones(n, np.int64), -np.ones(n, np.int64)]))
    return f


def lexicographic(n_rows, n_cols, rows, cols, w, cap):
    """Max cardinality, then max weight, capacities on columns. Yields
    (solver, seconds, (cardinality, weight))."""
    k = min(n_rows, int(cap.sum()))
    wmax = int(np.abs(w).max()) if len(w) else 0
    big_m = (2 * k + 1) * wmax + 1
    c_off = big_m + wmax + 1  # every cost positive
    decode = lambda gain: (gain // big_m, gain % big_m)

    # scipy: rows are the units of capacity ("slots"), columns the newcomers plus one
    # private "stay empty" column per slot, so a full matching of the slots exists.
    slot_start = np.concatenate([[0], np.cumsum(cap)])
    n_slots = int(slot_start[-1])
    reps = cap[cols]
    e_rows = np.repeat(slot_start[cols], reps) + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
    e_cols = np.repeat(rows, reps)
    e_cost = np.repeat(c_off - (w + big_m), reps)
    sp = csr_matrix(
        (
            np.concatenate([e_cost, np.full(n_slots, c_off)]).astype(np.float64),
            (np.concatenate([e_rows, np.arange(n_slots)]), np.concatenate([e_cols, n_rows + np.arange(n_slots)])),
        ),
        shape=(n_slots, n_rows + n_slots),
    )
    secs, (r, kk) = best_of(lambda: min_weight_full_bipartite_matching(sp), REPEATS_SLOW)
    total = int(round(float(np.asarray(sp[r, kk]).sum())))
    yield "scipy min_weight_full_bipartite_matching", secs, decode(n_slots * c_off - total)

    def build():
        f = ort_mcf.SimpleMinCostFlow()
        sink = n_rows + n_cols
        f.add_arcs_with_capacity_and_unit_cost(rows, cols + n_rows, np.ones_like(rows), c_off - (w + big_m))
        f.add_arcs_with_capacity_and_unit_cost(
            np.arange(n_rows), np.full(n_rows, sink), np.ones(n_rows, np.int64), np.full(n_rows, c_off)
        )
        f.add_arcs_with_capacity_and_unit_cost(
            np.arange(n_cols) + n_rows, np.full(n_cols, sink), cap, np.zeros(n_cols, np.int64)
        )
        f.set_nodes_supplies(np.append(np.arange(n_rows), sink), np.append(np.ones(n_rows, np.int64), -n_rows))
        return f

    secs, total = timed_mcf(build, REPEATS_SLOW)
    yield "ortools SimpleMinCostFlow", secs, decode(n_rows * c_off - total)


def timed_mcf(build, repeats=REPEATS):
    """A solved network cannot be solved again from scratch, so each run builds a
    fresh one; only `solve` is timed."""
    best, total = Timing(), None
    for _ in range(repeats):
        f = build()
        t, c = time.perf_counter(), time.thread_time()
        status = f.solve()
        best.add(time.perf_counter() - t, time.thread_time() - c)
        assert status == f.OPTIMAL, status
        total = int(f.optimal_cost())
    return best, total


def national(path):
    rows = [json.loads(l) for l in Path(path).read_text().splitlines() if l.strip()]
    print("| national benchmark | time (s) | figures |")
    print("|---|---:|---|")
    for r in rows:
        label, secs = r.pop("national"), r.pop("seconds")
        figures = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in r.items())
        print(f"| {label} | {secs:.3f} | {figures} |")


def run_peers(data, out):
    results = []
    for path in sorted(Path(data).glob("*.kmpi")):
        kind, n_rows, n_cols, rows, cols, w, cap = read(path)
        name = path.stem
        print(f"# {name}: {n_rows} x {n_cols}, {len(w)} edges", file=sys.stderr, flush=True)
        if kind == 2:
            for solver, secs, (card, weight) in lexicographic(n_rows, n_cols, rows, cols, w, cap):
                results.append(dict(instance=name, solver=solver, seconds=secs.wall, cpu_seconds=secs.cpu, cardinality=card, total=weight))
                print(f"  {solver}: {secs.wall:.3f}s", file=sys.stderr, flush=True)
        else:
            for solver, secs, total in perfect(name, n_rows, rows, cols, w, dense=(kind == 0)):
                results.append(dict(instance=name, solver=solver, seconds=secs.wall, cpu_seconds=secs.cpu, cardinality=n_rows, total=total))
                print(f"  {solver}: {secs.wall:.3f}s", file=sys.stderr, flush=True)
    Path(out).write_text("".join(json.dumps(r) + "\n" for r in results))


def load(path):
    return [json.loads(l) for l in Path(path).read_text().splitlines() if l.strip()]


def main():
    """peers.py run DATA_DIR OUT.jsonl        time the peers
    peers.py table PEERS.jsonl KOMPIS.jsonl...  print the table (best kompis time of the runs)
    peers.py national NATIONAL.jsonl           print the national table"""
    cmd = sys.argv[1]
    if cmd == "run":
        run_peers(sys.argv[2], sys.argv[3])
    elif cmd == "table":
        peers = load(sys.argv[2])
        best = {}
        for f in sys.argv[3:]:
            for r in load(f):
                key = (r["instance"], r["solver"])
                if key not in best:
                    best[key] = r
                else:
                    for field in ("seconds", "cpu_seconds"):
                        best[key][field] = min(best[key][field], r[field])
        table(list(best.values()), peers)
    elif cmd == "national":
        national(sys.argv[2])
    else:
        sys.exit(main.__doc__)


def table(kompis, peers):
    print("| instance | solver | wall (s) | CPU (s) | peer / kompis, wall | peer / kompis, CPU | matched | optimal total | same optimum |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    ok = True
    for inst in sorted({r["instance"] for r in kompis}):
        mine = sorted((r for r in kompis if r["instance"] == inst), key=lambda r: "greedy" in r["solver"])
        exact = mine[0]
        for r in mine:
            print(f"| {inst} | {r['solver']} | {r['seconds']:.3f} | {r['cpu_seconds']:.3f} | | | {r['cardinality']} | {r['total']} | |")
        for r in [p for p in peers if p["instance"] == inst]:
            same = r["total"] is None or (r["total"] == exact["total"] and r["cardinality"] == exact["cardinality"])
            ok &= same
            wall = r["seconds"] / exact["seconds"]
            cpu = r["cpu_seconds"] / exact["cpu_seconds"]
            total = "n/a" if r["total"] is None else r["total"]
            print(
                f"| {inst} | {r['solver']} | {r['seconds']:.3f} | {r['cpu_seconds']:.3f} | {wall:.2f}x | {cpu:.2f}x "
                f"| {r['cardinality']} | {total} | {'yes' if same else 'NO'} |"
            )
    print()
    print("all exact peers agree on the optimum" if ok else "MISMATCH: a peer found a different optimum")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
