#!/usr/bin/env python3
"""Where the CPU goes during one load run: kompisd, PostgreSQL, Redis, the generator.

Runs COMMAND (a kompis-load run) and reads the CPU time (user + system) of each
process tree from /proc before and after, so that a result can say how many
milliseconds of CPU one call costs in each component, and which of them fills the
machine's cores. PostgreSQL's tree is the postmaster and its children (backends,
WAL writer, checkpointer); kompisd's includes its threads.

Usage: cpu_split.py --kompisd PID --postgres PID --redis PID [--calls-from FILE] -- COMMAND...
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """pid and its descendants (children of children too)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children", encoding="ascii") as fh:
                todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return found


def cpu_seconds(pid: int | None) -> tuple[float, float]:
    """User and system CPU seconds of the tree under pid."""
    if pid is None:
        return 0.0, 0.0
    user = system = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            # utime and stime are fields 14 and 15 of stat(5); after the ")" they are 11 and 12.
            user += int(fields[11])
            system += int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return user / TICK, system / TICK


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kompisd", type=int, required=True)
    parser.add_argument("--postgres", type=int)
    parser.add_argument("--redis", type=int)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    parts = {"kompisd": args.kompisd, "postgres": args.postgres, "redis": args.redis}
    before = {k: cpu_seconds(v) for k, v in parts.items()}
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.monotonic() - start
    after = {k: cpu_seconds(v) for k, v in parts.items()}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = {k: (after[k][0] - before[k][0], after[k][1] - before[k][1]) for k in parts}
    used["kompis-load"] = (usage.ru_utime, usage.ru_stime)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    calls = 0
    for line in result.stdout.splitlines():
        if line.startswith("calls: scheduled"):
            calls = int(line.split("answered ")[1].split(",")[0])
    total = sum(u + s for u, s in used.values())
    print(f"CPU over {wall:.1f} s of wall time ({os.cpu_count()} cores, {total / wall:.2f} cores busy):")
    for k, (u, s) in used.items():
        v = u + s
        per_call = f", {1000 * v / calls:.3f} ms per call" if calls else ""
        kernel = f", {100 * s / v:.0f}% of it in the kernel" if v else ""
        print(f"  {k:<12} {v:7.2f} s  {100 * v / total if total else 0:5.1f}%{per_call}{kernel}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
