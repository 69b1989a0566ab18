#!/usr/bin/env bash
# PostgreSQL and Redis for development and tests, without Docker.
#
#   scripts/dev-services.sh [start]      ensure both run; print `export` lines
#   eval "$(scripts/dev-services.sh)"    ... and take them into this shell
#   source scripts/dev-services.sh       the same, from another bash script
#   scripts/dev-services.sh status       show what runs where
#   scripts/dev-services.sh stop [postgres] [redis]
#                                        stop the project-local servers
#
# If DATABASE_URL / REDIS_URL are set and reachable they are used as they are.
# Otherwise project-local servers are started from .data/ on free ports of
# 127.0.0.1 (installed from Debian packages when missing). The chosen ports are
# kept in .data/ports, so a restart reuses the same data and ports. Data
# persists until .data/ is deleted.
#
# After `start`, KOMPIS_DEV_STARTED lists the servers that this call started
# (empty when they were already running or were given), so that a caller can
# stop exactly those:  scripts/dev-services.sh stop $KOMPIS_DEV_STARTED

# --- sourced: run in a child process with strict options, take its exports ---
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    __kompis_dev_env="$(bash "${BASH_SOURCE[0]}" start)" || {
        unset __kompis_dev_env
        return 1
    }
    eval "$__kompis_dev_env"
    unset __kompis_dev_env
    return 0
fi

set -euo pipefail

KOMPIS_LOG_PREFIX="dev-services"
# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"

DATA_DIR="$KOMPIS_ROOT/.data"
PORTS_FILE="$DATA_DIR/ports"
PROJECT_HASH="$(printf '%s' "$KOMPIS_ROOT" | sha256sum | cut -c1-12)"
PG_DB="kompis"
PG_USER="postgres"
IS_ROOT=0
[[ "$(id -u)" -eq 0 ]] && IS_ROOT=1

# ---------------------------------------------------------------- utilities --

# host and port of a URL: prints "HOST PORT" (port defaults to $2).
url_host_port() {
    local rest="${1#*://}" default_port="$2" hostport host port
    rest="${rest%%[/?#]*}"
    hostport="${rest##*@}"
    if [[ "$hostport" == \[* ]]; then
        host="${hostport%%]*}"
        host="${host#[}"
        port="${hostport##*]:}"
        [[ "$port" == "$hostport" || "$port" == \[* ]] && port="$default_port"
    else
        host="${hostport%%:*}"
        port="${hostport##*:}"
        [[ "$port" == "$hostport" ]] && port="$default_port"
    fi
    [[ -z "$host" ]] && host="localhost"
    printf '%s %s\n' "$host" "$port"
}

tcp_open() { # host port
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

port_free() { # port (on 127.0.0.1)
    local port="$1"
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$port" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# As servers do: a port held only by closed connections (TIME_WAIT) is free.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
    else
        if tcp_open 127.0.0.1 "$port"; then return 1; fi
        return 0
    fi
}

# A free port, trying the one remembered first, then BASE, BASE+1, ...
pick_port() { # remembered base
    local remembered="$1" base="$2" p
    if [[ -n "$remembered" ]] && port_free "$remembered"; then
        printf '%s\n' "$remembered"
        return 0
    fi
    for ((p = base; p < base + 200; p++)); do
        if port_free "$p"; then
            printf '%s\n' "$p"
            return 0
        fi
    done
    kompis_die "no free port found in $base-$((base + 199))"
}

ports_get() { # key
    [[ -f "$PORTS_FILE" ]] || return 0
    sed -n "s/^$1=\([0-9][0-9]*\)\$/\1/p" "$PORTS_FILE" | tail -n1
}

ports_set() { # key value
    mkdir -p "$DATA_DIR"
    local tmp="$PORTS_FILE.tmp.$$"
    { grep -v "^$1=" "$PORTS_FILE" 2>/dev/null || true; printf '%s=%s\n' "$1" "$2"; } >"$tmp"
    mv "$tmp" "$PORTS_FILE"
}

# ------------------------------------------------------------- PostgreSQL --

pg_bindir() {
    local d best="" ver bestver=0
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] || continue
        ver="$(basename "$(dirname "$d")")"
        ver="${ver%%.*}"
        [[ "$ver" =~ ^[0-9]+$ ]] || continue
        if ((ver > bestver)); then
            bestver="$ver"
            best="$d"
        fi
    done
    if [[ -z "$best" ]] && command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
        best="$(dirname "$(command -v pg_ctl)")"
    fi
    printf '%s\n' "$best"
}

ensure_pg_installed() {
    PG_BIN="$(pg_bindir)"
    if [[ -z "$PG_BIN" ]] || ! command -v psql >/dev/null 2>&1; then
        kompis_apt_install postgresql postgresql-client
        PG_BIN="$(pg_bindir)"
        [[ -n "$PG_BIN" ]] || kompis_die "PostgreSQL server binaries not found after installing postgresql"
    fi
}

# Run a PostgreSQL server program as the owner of the cluster.
# (From /, so that an unreadable current folder does not bother it.)
pg_run() {
    if ((IS_ROOT)); then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

# Where the cluster lives: .data/postgres, or (root only) a folder under
# /var/lib/kompis when the postgres user cannot reach the project folder.
pg_choose_base() {
    PG_BASE="$DATA_DIR/postgres"
    if ((IS_ROOT)); then
        id postgres >/dev/null 2>&1 || kompis_die "user 'postgres' missing (is the postgresql package installed?)"
        mkdir -p "$DATA_DIR"
        if ! runuser -u postgres -- test -x "$DATA_DIR"; then
            PG_BASE="/var/lib/kompis/$PROJECT_HASH/postgres"
            kompis_log "user postgres cannot reach $DATA_DIR; keeping the PostgreSQL data in $PG_BASE instead"
            mkdir -p "$PG_BASE"
            chmod 755 /var/lib/kompis "/var/lib/kompis/$PROJECT_HASH"
        fi
        mkdir -p "$PG_BASE"
        chown postgres: "$PG_BASE"
        chmod 700 "$PG_BASE"
    else
        mkdir -p "$PG_BASE"
        chmod 700 "$PG_BASE"
    fi
    PG_DATA="$PG_BASE/data"
    PG_LOG="$PG_BASE/server.log"
    PG_SOCKDIR="$PG_BASE/run"
    # Unix socket paths are limited to about 107 bytes.
    if ((${#PG_SOCKDIR} + 20 > 100)); then
        PG_SOCKDIR="${TMPDIR:-/tmp}/kompis-pg-$PROJECT_HASH"
    fi
    pg_run mkdir -p "$PG_SOCKDIR"
}

pg_running() {
    [[ -f "$PG_DATA/postmaster.pid" ]] && pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

# The port of the running project-local server (from postmaster.pid).
pg_running_port() {
    sed -n '4p' "$PG_DATA/postmaster.pid" 2>/dev/null | tr -d '[:space:]'
}

pg_start_local() {
    ensure_pg_installed
    pg_choose_base
    local port
    if pg_running; then
        port="$(pg_running_port)"
        kompis_log "project-local PostgreSQL already running on 127.0.0.1:$port"
    else
        if [[ ! -s "$PG_DATA/PG_VERSION" ]]; then
            kompis_log "initialising a PostgreSQL cluster in ${PG_DATA#"$KOMPIS_ROOT"/}"
            pg_run "$PG_BIN/initdb" -D "$PG_DATA" --auth=trust --username="$PG_USER" \
                --encoding=UTF8 --locale=C.UTF-8 >"$DATA_DIR/initdb.log" 2>&1 ||
                pg_run "$PG_BIN/initdb" -D "$PG_DATA" --auth=trust --username="$PG_USER" \
                    --encoding=UTF8 --no-locale >"$DATA_DIR/initdb.log" 2>&1 ||
                { cat "$DATA_DIR/initdb.log" >&2; kompis_die "initdb failed"; }
        fi
        port="$(pick_port "$(ports_get postgres)" 25432)"
        kompis_log "starting project-local PostgreSQL on 127.0.0.1:$port"
        if ! pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
            -o "-p $port -k $PG_SOCKDIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null; then
            tail -n 20 "$PG_LOG" >&2 2>/dev/null || true
            kompis_die "PostgreSQL did not start (log: $PG_LOG)"
        fi
        STARTED+=(postgres)
    fi
    ports_set postgres "$port"
    local psql=("$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U "$PG_USER")
    [[ -x "$PG_BIN/psql" ]] || psql=(psql -X -q -h 127.0.0.1 -p "$port" -U "$PG_USER")
    if [[ "$("${psql[@]}" -d postgres -tAc "select 1 from pg_database where datname = '$PG_DB'")" != 1 ]]; then
        "${psql[@]}" -d postgres -c "create database $PG_DB" >/dev/null ||
            kompis_die "could not create database $PG_DB"
        kompis_log "created database $PG_DB"
    fi
    DATABASE_URL="postgres://$PG_USER@127.0.0.1:$port/$PG_DB"
}

pg_stop_local() {
    PG_BIN="$(pg_bindir)"
    [[ -n "$PG_BIN" ]] || return 0
    local base
    for base in "$DATA_DIR/postgres" "/var/lib/kompis/$PROJECT_HASH/postgres"; do
        PG_DATA="$base/data"
        [[ -f "$PG_DATA/postmaster.pid" ]] || continue
        if pg_running; then
            kompis_log "stopping project-local PostgreSQL (port $(pg_running_port))"
            pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null ||
                kompis_warn "pg_ctl stop failed for $PG_DATA"
        fi
    done
}

pg_url_reachable() {
    local url="$1" host port
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -t 5 -d "$url" >/dev/null 2>&1
    else
        read -r host port < <(url_host_port "$url" 5432)
        tcp_open "$host" "$port"
    fi
}

# ------------------------------------------------------------------ Redis --

REDIS_DIR="$DATA_DIR/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"

redis_pid_alive() {
    local pid
    pid="$(cat "$REDIS_PIDFILE" 2>/dev/null || true)"
    if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null; then
        return 1
    fi
    # After a reboot the pid may belong to another program: not ours then.
    if [[ -r "/proc/$pid/comm" ]]; then
        grep -q '^redis' "/proc/$pid/comm"
    fi
}

# True when the server on PORT is the one whose pid is in our pid file.
redis_is_ours() { # port
    local pid server_pid
    pid="$(cat "$REDIS_PIDFILE" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    server_pid="$(redis-cli -h 127.0.0.1 -p "$1" info server 2>/dev/null | tr -d '\r' |
        sed -n 's/^process_id:\([0-9]*\)$/\1/p')"
    [[ "$server_pid" == "$pid" ]]
}

redis_start_local() {
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        kompis_apt_install redis-server redis-tools
    fi
    mkdir -p "$REDIS_DIR/data"
    local port remembered
    remembered="$(ports_get redis)"
    if redis_pid_alive && [[ -n "$remembered" ]] && redis_is_ours "$remembered"; then
        port="$remembered"
        kompis_log "project-local Redis already running on 127.0.0.1:$port"
    else
        if redis_pid_alive; then
            kompis_die "a process from $REDIS_PIDFILE runs but does not answer as our Redis; stop it first"
        fi
        rm -f "$REDIS_PIDFILE"
        port="$(pick_port "$remembered" 26379)"
        kompis_log "starting project-local Redis on 127.0.0.1:$port"
        redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes \
            --dir "$REDIS_DIR/data" --appendonly yes \
            --daemonize yes --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG" >/dev/null ||
            kompis_die "redis-server failed to start (log: $REDIS_LOG)"
        local i
        for ((i = 0; i < 100; i++)); do
            [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]] && break
            sleep 0.1
        done
        [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]] || {
            tail -n 20 "$REDIS_LOG" >&2 2>/dev/null || true
            kompis_die "Redis did not answer on port $port (log: $REDIS_LOG)"
        }
        STARTED+=(redis)
    fi
    ports_set redis "$port"
    REDIS_URL="redis://127.0.0.1:$port/0"
}

redis_stop_local() {
    local port pid i
    port="$(ports_get redis)"
    redis_pid_alive || { rm -f "$REDIS_PIDFILE"; return 0; }
    pid="$(cat "$REDIS_PIDFILE")"
    if [[ -n "$port" ]] && command -v redis-cli >/dev/null 2>&1 && redis_is_ours "$port"; then
        kompis_log "stopping project-local Redis (port $port)"
        redis-cli -h 127.0.0.1 -p "$port" shutdown >/dev/null 2>&1 || true
    else
        kompis_log "stopping project-local Redis (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
    fi
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kompis_warn "Redis (pid $pid) is still running"
    return 0
}

redis_url_reachable() {
    local url="$1" host port
    if command -v redis-cli >/dev/null 2>&1; then
        [[ "$(timeout 5 redis-cli --no-auth-warning -u "$url" ping 2>/dev/null | tr -d '\r')" == PONG ]]
    else
        read -r host port < <(url_host_port "$url" 6379)
        tcp_open "$host" "$port"
    fi
}

# ---------------------------------------------------------------- actions --

do_start() {
    STARTED=()
    if [[ -n "${DATABASE_URL:-}" ]] && pg_url_reachable "$DATABASE_URL"; then
        kompis_log "using the given DATABASE_URL ($(kompis_redact_url "$DATABASE_URL"))"
    else
        if [[ -n "${DATABASE_URL:-}" ]]; then
            kompis_warn "DATABASE_URL ($(kompis_redact_url "$DATABASE_URL")) is not reachable; using a project-local PostgreSQL"
        fi
        pg_start_local
    fi
    if [[ -n "${REDIS_URL:-}" ]] && redis_url_reachable "$REDIS_URL"; then
        kompis_log "using the given REDIS_URL ($(kompis_redact_url "$REDIS_URL"))"
    else
        if [[ -n "${REDIS_URL:-}" ]]; then
            kompis_warn "REDIS_URL ($(kompis_redact_url "$REDIS_URL")) is not reachable; using a project-local Redis"
        fi
        redis_start_local
    fi
    printf 'export DATABASE_URL=%q\n' "$DATABASE_URL"
    printf 'export REDIS_URL=%q\n' "$REDIS_URL"
    printf 'export KOMPIS_DEV_STARTED=%q\n' "${STARTED[*]:-}"
}

do_stop() {
    local what=("$@") w
    ((${#what[@]})) || what=(postgres redis)
    for w in "${what[@]}"; do
        case "$w" in
            postgres) pg_stop_local ;;
            redis) redis_stop_local ;;
            *) kompis_die "unknown service '$w' (expected postgres or redis)" ;;
        esac
    done
}

do_status() {
    local port
    PG_BIN="$(pg_bindir)"
    local base found=0
    if [[ -n "$PG_BIN" ]]; then
        for base in "$DATA_DIR/postgres" "/var/lib/kompis/$PROJECT_HASH/postgres"; do
            PG_DATA="$base/data"
            if [[ -f "$PG_DATA/postmaster.pid" ]] && pg_running; then
                echo "postgres: running on 127.0.0.1:$(pg_running_port) (data: $PG_DATA)"
                found=1
            fi
        done
    fi
    ((found)) || echo "postgres: not running (remembered port: $(ports_get postgres))"
    port="$(ports_get redis)"
    if redis_pid_alive; then
        echo "redis: running on 127.0.0.1:$port (pid $(cat "$REDIS_PIDFILE"), data: $REDIS_DIR/data)"
    else
        echo "redis: not running (remembered port: $port)"
    fi
}

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

main() {
    local action="${1:-start}"
    [[ $# -gt 0 ]] && shift
    case "$action" in
        start | env) do_start ;;
        stop) do_stop "$@" ;;
        status) do_status ;;
        -h | --help | help) usage ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
}

main "$@"
