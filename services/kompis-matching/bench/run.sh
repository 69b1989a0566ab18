#!/usr/bin/env bash
# Reproduces the benchmark figures of the crate README, in one run:
#   services/kompis-matching/bench/run.sh
# Creates a project-local virtualenv (.venv-bench at the repository root) with the
# peers from PyPI, writes the seeded instances to bench/data, times this crate and the
# peers on the same files, checks that the optimal totals agree, and prints the tables.
# This crate is timed before and after the peers (best of both), so that a passing load
# on a shared machine does not favour either side.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="$root/.venv-bench"
data="$here/data"
cd "$root"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check \
    numpy==2.4.6 scipy==1.17.1 lap==0.5.13 ortools==9.15.6755
py() { "$venv/bin/python" "$here/peers.py" "$@"; }
bench() { cargo bench -q -p kompis-matching --bench peers -- "$@"; }

echo "== instances" >&2
bench generate "$data"
echo "== kompis-matching" >&2
bench solve "$data" > "$data/kompis-1.jsonl"
echo "== peers" >&2
py run "$data" "$data/peers.jsonl"
echo "== kompis-matching again" >&2
bench solve "$data" > "$data/kompis-2.jsonl"
py table "$data/peers.jsonl" "$data/kompis-1.jsonl" "$data/kompis-2.jsonl"
echo
echo "== national round" >&2
bench national > "$data/national.jsonl"
py national "$data/national.jsonl"
