#!/usr/bin/env bash
# Load tests end to end: build, start a kompisd, measure the machine's ceilings and
# the scenarios, and write the results (text, .hgrm, .png) under load-tests/results/.
#
#   load-tests/run.sh                         every scenario, find-max, twice
#   load-tests/run.sh intake                  one scenario
#   REPEAT=1 load-tests/run.sh fan-out        one activity's invitations to 10,000
#                                             (FAN_OUT), timed until all are delivered
#   REPEAT=1 STEP_SECONDS=5 load-tests/run.sh get-chapter
#   REPEAT=1 load-tests/run.sh app-reads my-buddy
#                                             the app's reads by people in accepted
#                                             matches (APP_PAIRS pairs set up first),
#                                             notification streams held open; beside
#                                             the ceilings, the gRPC floor
#   REPEAT=1 load-tests/run.sh my-buddy health
#                                             ... and the floor's own find-max: the
#                                             standard grpc.health.v1 Check, no token,
#                                             no database
#   REPEAT=1 ROUND_RATE=100 load-tests/run.sh round-under-load
#                                             a matching round (ROUND_POOL newcomers and
#                                             residents) while intake runs at ROUND_RATE
#   REPEAT=1 load-tests/run.sh report          the follow-up report over REPORT_EVENTS
#                                             (1,000,000) events of a year, beside the
#                                             plain SQL aggregate of the same events
#   REPEAT=1 load-tests/run.sh national-commit
#                                             one CommitMatchingRound of a stored dry
#                                             run of COMMIT_PAIRS (58000) proposals,
#                                             beside a plain SQL insert of as many rows
#   PROFILE_RATE=300 load-tests/run.sh --profile intake
#                                             where the time goes at a fixed rate:
#                                             CPU per component, PostgreSQL's work per
#                                             call, and a perf profile of kompisd
#   PRIVATE_PG=1 PROFILE_RATE=100 load-tests/run.sh --profile intake my-buddy suggestions
#                                             the same on a throwaway PostgreSQL of its
#                                             own with pg_stat_statements loaded: also
#                                             every statement the service ran, per call
#   RATE=500 REPEAT=3 load-tests/run.sh --fixed suggestions
#                                             latency at one fixed rate (RATE), each run
#                                             against a server started afresh on a fresh
#                                             database (the rate limit off), results as
#                                             <TAG><run>-<scenario>-<rate>rps.* (TAG:
#                                             fixed)
#
# PostgreSQL and Redis: DATABASE_URL / REDIS_URL when set and reachable, otherwise the
# project-local ones of scripts/dev-services.sh (started if needed, stopped again if
# this script started them). kompisd gets a fresh database and its own Redis prefix;
# pgbench gets a scratch database; both are dropped at the end, and so are the Redis
# keys under the prefix.
#
# Measurements run at raised priority (nice -15: run as root) so that compilers
# elsewhere on the machine disturb them less; the project-local PostgreSQL and Redis
# are raised too when they belong to this checkout. Each result states the load
# average it was measured under.
#
# Environment: REPEAT (2), FIRST_RUN (1, the number of the first run's files),
# SECONDS_PER_RUN (20), STEP_SECONDS (10), CONNECTIONS (4), CEILING_SECONDS (10),
# RESULTS (load-tests/results), FAN_OUT (10000), APP_PAIRS (100), ROUND_POOL (200),
# ROUND_RATE (100), ROUND_SECONDS (30), REPORT_EVENTS (1000000), REPORT_RUNS (7),
# COMMIT_PAIRS (58000), RATE (500, for --fixed), WARMUP_SECONDS (3, for --fixed),
# CEILINGS (1; 0 skips pgbench's ceilings before each --fixed run), PRIVATE_PG (0; 1 runs PostgreSQL in a temporary folder on a free
# port with pg_stat_statements, removed at the end), KOMPISD (target/release/kompisd: the
# server under test; name an older build to compare before and after a change),
# HEALTH_PROBE (target/release/grpc-health-probe), BUILD (1; 0 uses the release binaries
# as they are).
set -euo pipefail

KOMPIS_LOG_PREFIX="load-tests"
# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)/scripts/lib.sh"
cd "$KOMPIS_ROOT"

REPEAT="${REPEAT:-2}"
FIRST_RUN="${FIRST_RUN:-1}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-20}"
STEP_SECONDS="${STEP_SECONDS:-10}"
CONNECTIONS="${CONNECTIONS:-4}"
CEILING_SECONDS="${CEILING_SECONDS:-10}"
RESULTS="${RESULTS:-$KOMPIS_ROOT/load-tests/results}"
PROFILE=0
FIXED=0
case "${1:-}" in
    --profile) PROFILE=1; shift ;;
    --fixed) FIXED=1; shift ;;
esac
RATE="${RATE:-500}"
PROFILE_RATE="${PROFILE_RATE:-300}"
SCENARIOS=("$@")
((${#SCENARIOS[@]})) || SCENARIOS=(intake get-chapter list-districts)

# The first rate each scenario's find-max tries.
start_rate() {
    case "$1" in
        intake) echo 100 ;;
        health) echo 2000 ;;
        *) echo 400 ;;
    esac
}

# ---- prerequisites
kompis_ensure_build_deps
command -v pgbench >/dev/null 2>&1 || kompis_apt_install postgresql-contrib
command -v psql >/dev/null 2>&1 || kompis_apt_install postgresql-client
command -v redis-benchmark >/dev/null 2>&1 || kompis_apt_install redis-tools
PRIORITY=(nice -n -15)
if [[ "$(id -u)" -ne 0 ]]; then
    kompis_warn "not root: measuring at normal priority"
    PRIORITY=()
fi

if [[ "${BUILD:-1}" == 1 ]]; then
    kompis_log "building kompisd, grpc-health-probe and kompis-load (release)"
    nice -n 10 cargo build --release --locked -p kompisd -p grpc-health-probe -p kompis-load >&2
fi
bin="${CARGO_TARGET_DIR:-$KOMPIS_ROOT/target}/release"
# The server under test; KOMPISD names another build (an older one, to compare).
kompisd="${KOMPISD:-$bin/kompisd}"
health_probe="${HEALTH_PROBE:-$bin/grpc-health-probe}"
for needed in "$kompisd" "$health_probe" "$bin/kompis-load"; do
    [[ -x "$needed" ]] || kompis_die "no executable $needed: run with BUILD=1 (the default), or build it: cargo build --release -p kompisd -p grpc-health-probe -p kompis-load"
done

# A throwaway PostgreSQL with pg_stat_statements preloaded (a setting that needs a
# server of its own: the shared one is left as it is). Its data lives in a temporary
# folder, owned by the postgres user when run as root; cleanup stops it and removes it.
private_pg_dir=""
private_pg_bin=""
private_pg_run() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}
start_private_pg() {
    local d port
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" ]] && private_pg_bin="$d"
    done
    [[ -n "$private_pg_bin" ]] || kompis_die "PRIVATE_PG=1 needs PostgreSQL's server binaries (initdb)"
    private_pg_dir="$(mktemp -d /tmp/kompis-load-pg.XXXXXX)"
    chmod 755 "$private_pg_dir"
    [[ "$(id -u)" -eq 0 ]] && chown postgres: "$private_pg_dir"
    private_pg_run "$private_pg_bin/initdb" -D "$private_pg_dir/data" --auth=trust --username=postgres \
        --encoding=UTF8 --no-locale >"$private_pg_dir/initdb.log" 2>&1 ||
        { cat "$private_pg_dir/initdb.log" >&2; kompis_die "initdb failed"; }
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    private_pg_run "$private_pg_bin/pg_ctl" -D "$private_pg_dir/data" -l "$private_pg_dir/server.log" -w -t 60 \
        -o "-p $port -k $private_pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200 \
            -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all \
            -c pg_stat_statements.max=5000 ${PRIVATE_PG_OPTIONS:-}" start >/dev/null ||
        { tail -n 20 "$private_pg_dir/server.log" >&2; kompis_die "the private PostgreSQL did not start"; }
    DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
    export DATABASE_URL
    psql -X -q "$DATABASE_URL" -c "CREATE EXTENSION pg_stat_statements" >/dev/null
    kompis_log "private PostgreSQL with pg_stat_statements on 127.0.0.1:$port"
}
stop_private_pg() {
    [[ -n "$private_pg_dir" ]] || return 0
    private_pg_run "$private_pg_bin/pg_ctl" -D "$private_pg_dir/data" -m fast -w -t 60 stop >/dev/null 2>&1
    rm -rf "$private_pg_dir"
}
if [[ "${PRIVATE_PG:-0}" == 1 ]]; then
    trap stop_private_pg EXIT
    start_private_pg
fi

# shellcheck source=scripts/dev-services.sh
source "$KOMPIS_ROOT/scripts/dev-services.sh"
read -ra STARTED_SERVICES <<<"${KOMPIS_DEV_STARTED:-}"

run_id="$$"
service_db="kompis_load_$run_id"
bench_db="kompis_load_bench_$run_id"
prefix="kompis-load-$run_id"
base_url="${DATABASE_URL%/*}"
server_pid=""
server_log="$(mktemp)"

# Stops the server and drops its database and Redis keys (nothing when none runs).
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill -TERM "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=""
    fi
    psql -X -q "$base_url/postgres" -c "DROP DATABASE IF EXISTS $service_db WITH (FORCE)" >/dev/null 2>&1
    redis-cli -u "$REDIS_URL" --scan --pattern "$prefix:*" 2>/dev/null |
        xargs -r -n 100 redis-cli -u "$REDIS_URL" DEL >/dev/null 2>&1
    return 0
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    stop_server
    psql -X -q "$base_url/postgres" -c "DROP DATABASE IF EXISTS $bench_db WITH (FORCE)" >/dev/null 2>&1
    rm -f "$server_log"
    if ((${#STARTED_SERVICES[@]})); then
        "$KOMPIS_ROOT/scripts/dev-services.sh" stop "${STARTED_SERVICES[@]}"
    fi
    stop_private_pg
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Raise PostgreSQL (the postmaster and its children, so that new backends inherit it)
# and Redis, but only servers whose data lives in this checkout.
raise_own_servers() {
    ((${#PRIORITY[@]})) || return 0
    local dir pid
    dir="$(psql -X -tA "$DATABASE_URL" -c 'SHOW data_directory' 2>/dev/null || true)"
    if [[ "$dir" == "$KOMPIS_ROOT"/* && -r "$dir/postmaster.pid" ]]; then
        pid="$(head -n 1 "$dir/postmaster.pid")"
        renice -n -15 -p "$pid" $(pgrep -P "$pid") >/dev/null && kompis_log "raised the project-local PostgreSQL"
    fi
    dir="$(redis-cli -u "$REDIS_URL" CONFIG GET dir 2>/dev/null | sed -n 2p)"
    if [[ "$dir" == "$KOMPIS_ROOT"/* ]]; then
        pid="$(redis-cli -u "$REDIS_URL" INFO server | sed -n 's/^process_id:\([0-9]*\).*/\1/p')"
        [[ -n "$pid" ]] && renice -n -15 -p "$pid" >/dev/null && kompis_log "raised the project-local Redis"
    fi
}
raise_own_servers

# PostgreSQL's own count of what the service database did: transactions, rows and WAL
# flushes (pg_stat_wal.wal_sync counts the fsyncs that commits wait for).
pg_counters() {
    psql -X -tA -F ' ' "$base_url/postgres" -c "SELECT d.xact_commit, d.tup_inserted, d.tup_updated,
        d.tup_returned + d.tup_fetched, w.wal_records, w.wal_sync
        FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = '$service_db'"
}

# Per table of the service database (catalogues included): sequential scans, rows they
# read, index scans, rows index scans fetched; then per index of the service's own
# tables (`index:<name>`): scans and entries read, which tells which index walks.
table_counters() {
    psql -X -tA -F ' ' "$base_url/$service_db" -c "SELECT relname, seq_scan, seq_tup_read,
        coalesce(idx_scan, 0), coalesce(idx_tup_fetch, 0) FROM pg_stat_all_tables
        UNION ALL SELECT 'index:' || indexrelname, 0, 0, idx_scan, idx_tup_read
        FROM pg_stat_user_indexes ORDER BY 1"
}

# Whether the server keeps pg_stat_statements (PRIVATE_PG=1, or a server set up so).
has_statements() {
    psql -X -tA "$base_url/postgres" -c "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'" \
        2>/dev/null | grep -q 1
}

# Every statement the service database ran since the last reset, per answered call
# ($1 calls): those the service sent (BEGIN and COMMIT included: each is a round trip)
# and those run inside them (foreign-key checks, functions), then each statement by
# calls, with the rows and buffers each touched.
statements_per_call() {
    psql -X -q -P pager=off "$base_url/postgres" -v calls="$1" <<SQL
SELECT CASE WHEN s.toplevel THEN 'sent by the service' ELSE 'run inside them' END AS "statements",
       round(sum(s.calls) / :calls::numeric, 2) AS "per call",
       round(sum(s.shared_blks_hit + s.shared_blks_read) / :calls::numeric, 1) AS "buffers per call",
       round(sum(s.total_exec_time)::numeric / :calls, 3) AS "ms executing per call"
  FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$service_db'
 GROUP BY s.toplevel ORDER BY s.toplevel DESC;
SELECT CASE WHEN s.toplevel THEN '' ELSE 'inside' END AS " ",
       round(s.calls / :calls::numeric, 3) AS "per call", round(s.rows::numeric / greatest(s.calls, 1), 1) AS "rows each",
       round((s.shared_blks_hit + s.shared_blks_read)::numeric / greatest(s.calls, 1), 1) AS "buffers each",
       round(s.mean_exec_time::numeric, 3) AS "ms each",
       left(regexp_replace(s.query, '\s+', ' ', 'g'), 110) AS statement
  FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
 WHERE d.datname = '$service_db' AND s.calls >= :calls / 100
 ORDER BY s.calls DESC, s.shared_blks_hit DESC LIMIT 40;
SQL
}

# One fixed-rate run of $1 with the CPU of every component and a perf profile of kompisd.
profile() {
    local scenario="$1" out="$RESULTS/profile-$1-${PROFILE_RATE}rps" postmaster="" redis_pid="" dir
    dir="$(psql -X -tA "$DATABASE_URL" -c 'SHOW data_directory' 2>/dev/null || true)"
    [[ -r "$dir/postmaster.pid" ]] && postmaster="$(head -n 1 "$dir/postmaster.pid")"
    redis_pid="$(redis-cli -u "$REDIS_URL" INFO server | sed -n 's/^process_id:\([0-9]*\).*/\1/p')"
    local perf_pid=""
    if command -v perf >/dev/null 2>&1; then
        perf record -q -F 499 -g -p "$server_pid" -o "$out.perf.data" -- sleep "$((SECONDS_PER_RUN + 1))" \
            >/dev/null 2>&1 &
        perf_pid=$!
    else
        kompis_warn "perf not found (Debian: linux-perf): no profile of kompisd"
    fi
    local before after tables_before tables_after
    before="$(pg_counters)"
    tables_before="$(table_counters)"
    local statements=0
    if has_statements; then
        statements=1
        psql -X -q "$base_url/postgres" -c "SELECT pg_stat_statements_reset()" >/dev/null
    fi
    "${PRIORITY[@]}" python3 "$KOMPIS_ROOT/load-tests/cpu_split.py" --kompisd "$server_pid" \
        ${postmaster:+--postgres "$postmaster"} ${redis_pid:+--redis "$redis_pid"} -- \
        "$bin/kompis-load" --addr "http://127.0.0.1:$port" --scenario "$scenario" \
        --rate "$PROFILE_RATE" --seconds "$SECONDS_PER_RUN" --warmup-seconds 0 \
        --connections "$CONNECTIONS" --app-pairs "${APP_PAIRS:-100}" --kompisd "$kompisd" \
        --database-url "$base_url/$service_db" \
        --tag profile --out "$RESULTS" --allow-errors >"$out.txt"
    after="$(pg_counters)"
    tables_after="$(table_counters)"
    python3 - "$before" "$after" "$out.txt" "$tables_before" "$tables_after" >>"$out.txt" <<'PY'
import sys
names = ["commits", "rows inserted", "rows updated", "rows read", "WAL records", "WAL flushes"]
before, after = ([int(x) for x in s.split()] for s in sys.argv[1:3])
calls = next(int(l.split("answered ")[1].split(",")[0]) for l in open(sys.argv[3]) if l.startswith("calls: scheduled"))
print(f"PostgreSQL, service database, per answered call ({calls} calls):")
for n, b, a in zip(names, before, after):
    print(f"  {n:<14} {(a - b) / calls:8.2f}")
tables = lambda text: {l.split()[0]: [int(x) for x in l.split()[1:]] for l in text.splitlines() if l.strip()}
tb, ta = tables(sys.argv[4]), tables(sys.argv[5])
rows = [(t, [(a - b) / calls for a, b in zip(ta[t], tb.get(t, [0, 0, 0, 0]))]) for t in ta]
rows = [r for r in rows if any(v >= 0.01 for v in r[1])]
rows.sort(key=lambda r: -(r[1][1] + r[1][3]))
print("  per table (index: entries read), per call:  seq scans  rows seq-read  index scans  rows idx-fetched")
for t, (seq, read, idx, fetched) in rows:
    print(f"    {t:<24} {seq:9.2f} {read:14.1f} {idx:12.2f} {fetched:17.1f}")
PY
    if ((statements)); then
        local answered
        answered="$(sed -n 's/^calls: scheduled [0-9]*, answered \([0-9]*\),.*/\1/p' "$out.txt")"
        echo "Statements of the service database (pg_stat_statements), per answered call:" >>"$out.txt"
        statements_per_call "$answered" >>"$out.txt"
    fi
    if [[ -n "$perf_pid" ]]; then
        wait "$perf_pid" || true
        # User-space symbols only: without a hardware PMU (virtual machines) the kernel's
        # samples land where interrupts are re-enabled, not where the time went.
        perf report -q --stdio --no-children --sort dso,symbol --percent-limit 0.7 -i "$out.perf.data" \
            2>/dev/null | grep -E '^ +[0-9]' | grep -v 'kernel.kallsyms' | sed -E 's/[[:space:]-]+$//' |
            head -n 25 >"$out.perf.txt" || true
        rm -f "$out.perf.data" "$out.perf.data.old"
    fi
    cat "$out.txt"
    [[ -s "$out.perf.txt" ]] && { echo "kompisd's hottest user-space symbols (perf, self time, share of all samples):"; cat "$out.perf.txt"; }
}

# ---- the server under test: release build, demo data, its own database and prefix.
# The per-identity rate limit is off (KOMPIS_RATE_LIMIT=0, or RATE_LIMIT=N to measure
# with one): each scenario sends thousands of calls a second under a handful of tokens,
# and what is measured is the service, not how fast it refuses.
start_server() {
    psql -X -q "$base_url/postgres" -c "CREATE DATABASE $service_db" >/dev/null
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    kompis_log "starting kompisd on 127.0.0.1:$port (database $service_db)"
    env DATABASE_URL="$base_url/$service_db" REDIS_URL="$REDIS_URL" KOMPIS_REDIS_PREFIX="$prefix" \
        KOMPIS_GRPC_ADDR="127.0.0.1:$port" KOMPIS_METRICS_ADDR=off KOMPIS_DEMO_DATA=true \
        KOMPIS_MIGRATE=true KOMPIS_RATE_LIMIT="${RATE_LIMIT:-0}" RUST_LOG="${RUST_LOG:-info}" \
        "${PRIORITY[@]}" "$kompisd" serve >"$server_log" 2>&1 &
    server_pid=$!
    local ready=0
    for _ in $(seq 1 120); do
        if "$health_probe" --addr "127.0.0.1:$port" --timeout-ms 500 >/dev/null 2>&1; then
            ready=1
            break
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.5
    done
    if ((!ready)); then
        tail -n 30 "$server_log" >&2
        kompis_die "kompisd did not become SERVING"
    fi
    # Statistics for the planner, as a live database has them (autovacuum analyses a
    # table only after enough changes and at most once a minute): on a fresh database
    # without them, the first plans of the participant and referral reads walked the
    # chapter's name index instead of probing the phone and e-mail indexes.
    psql -X -q "$base_url/$service_db" -c "ANALYZE" >/dev/null
}

psql -X -q "$base_url/postgres" -c "CREATE DATABASE $bench_db" >/dev/null
start_server

KOMPIS_ADMIN_TOKEN="$("$kompisd" token --role administrator --subject load-admin)"
KOMPIS_REFERRER_TOKEN="$("$kompisd" token --role referrer --organization sfi-botkyrka --subject load-referrer)"
KOMPIS_COORDINATOR_TOKEN="$("$kompisd" token --role coordinator --chapter botkyrka --subject load-coordinator)"
export KOMPIS_ADMIN_TOKEN KOMPIS_REFERRER_TOKEN KOMPIS_COORDINATOR_TOKEN

mkdir -p "$RESULTS"
if ((PROFILE)); then
    for scenario in "${SCENARIOS[@]}"; do
        profile "$scenario"
    done
    exit 0
fi
if ((FIXED)); then
    # Latency at one rate, open loop, each run on a server started afresh on a fresh
    # database (a scenario that seeds its pool, as suggestions does, would otherwise
    # rank the previous runs' pools too). The scenario's setup gets the server's
    # database; the ceilings are measured before each run unless CEILINGS=0. A run
    # with failed calls is reported (errors by code) and the next one still runs.
    first=1
    for ((round = FIRST_RUN; round < FIRST_RUN + REPEAT; round++)); do
        for scenario in "${SCENARIOS[@]}"; do
            if ((!first)); then
                stop_server
                start_server
            fi
            first=0
            kompis_log "run $round: $scenario at $RATE/s (uptime:$(uptime | sed 's/.*load average//'))"
            ceilings=()
            [[ "${CEILINGS:-1}" == 1 ]] && ceilings=(--pgbench-url "$base_url/$bench_db")
            "${PRIORITY[@]}" "$bin/kompis-load" \
                --addr "http://127.0.0.1:$port" --scenario "$scenario" --rate "$RATE" \
                --seconds "$SECONDS_PER_RUN" --warmup-seconds "${WARMUP_SECONDS:-3}" \
                --connections "$CONNECTIONS" --ceiling-seconds "$CEILING_SECONDS" \
                --app-pairs "${APP_PAIRS:-100}" --kompisd "$kompisd" \
                --database-url "$base_url/$service_db" "${ceilings[@]}" \
                --tag "${TAG:-fixed}$round" --out "$RESULTS" --allow-errors
        done
    done
    kompis_log "results in ${RESULTS#"$KOMPIS_ROOT"/}"
    exit 0
fi
for ((round = FIRST_RUN; round < FIRST_RUN + REPEAT; round++)); do
    for scenario in "${SCENARIOS[@]}"; do
        kompis_log "run $round: $scenario (uptime:$(uptime | sed 's/.*load average//'))"
        if [[ "$scenario" == round-under-load ]]; then
            # A fixed rate, not find-max: the round is the operation measured, the
            # intake load beside it is held constant.
            "${PRIORITY[@]}" "$bin/kompis-load" \
                --addr "http://127.0.0.1:$port" --scenario round-under-load \
                --rate "${ROUND_RATE:-100}" --seconds "${ROUND_SECONDS:-30}" \
                --round-pool "${ROUND_POOL:-200}" --connections "$CONNECTIONS" \
                --pgbench-url "$base_url/$bench_db" --redis-url "$REDIS_URL" \
                --ceiling-seconds "$CEILING_SECONDS" --kompisd "$kompisd" \
                --tag "run$round" --out "$RESULTS"
            continue
        fi
        if [[ "$scenario" == report ]]; then
            # Timed operations, not a rate: the setup writes REPORT_EVENTS events into
            # the server's database (made for this run), then the follow-up report is
            # timed beside the plain SQL aggregate of the same events.
            "${PRIORITY[@]}" "$bin/kompis-load" \
                --addr "http://127.0.0.1:$port" --scenario report \
                --report-events "${REPORT_EVENTS:-1000000}" --report-runs "${REPORT_RUNS:-7}" \
                --database-url "$base_url/$service_db" --call-timeout-ms 60000 \
                --tag "run$round" --out "$RESULTS"
            continue
        fi
        if [[ "$scenario" == national-commit ]]; then
            # One timed operation, not a rate: its setup writes a stored dry run of
            # COMMIT_PAIRS proposals into the server's database, and its peer (a plain
            # INSERT ... SELECT of as many rows) runs there too.
            "${PRIORITY[@]}" "$bin/kompis-load" \
                --addr "http://127.0.0.1:$port" --scenario national-commit \
                --commit-pairs "${COMMIT_PAIRS:-58000}" --database-url "$base_url/$service_db" \
                --tag "run$round" --out "$RESULTS"
            continue
        fi
        if [[ "$scenario" == fan-out ]]; then
            # One timed operation, not a rate: it reads the server's database to see
            # when every invitation is in an inbox.
            "${PRIORITY[@]}" "$bin/kompis-load" \
                --addr "http://127.0.0.1:$port" --scenario fan-out --fan-out "${FAN_OUT:-10000}" \
                --connections "$CONNECTIONS" --database-url "$base_url/$service_db" \
                --redis-url "$REDIS_URL" --ceiling-seconds "$CEILING_SECONDS" \
                --tag "run$round" --out "$RESULTS"
            continue
        fi
        "${PRIORITY[@]}" "$bin/kompis-load" \
            --addr "http://127.0.0.1:$port" --scenario "$scenario" --find-max \
            --start-rate "$(start_rate "$scenario")" --step-seconds "$STEP_SECONDS" \
            --seconds "$SECONDS_PER_RUN" --connections "$CONNECTIONS" \
            --pgbench-url "$base_url/$bench_db" --redis-url "$REDIS_URL" \
            --ceiling-seconds "$CEILING_SECONDS" \
            --app-pairs "${APP_PAIRS:-100}" --kompisd "$kompisd" \
            --tag "run$round" --out "$RESULTS"
    done
done
kompis_log "results in ${RESULTS#"$KOMPIS_ROOT"/}"
