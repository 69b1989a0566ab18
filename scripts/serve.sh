#!/usr/bin/env bash
# Build and run kompisd locally, with demo data and the coordinator console, in the
# foreground.
#
#   scripts/serve.sh
#
# The console (services/kompis-console/, built with scripts/console.sh) is served on the gRPC port:
# open the address printed, and sign in with the development sign-in (KOMPIS_ENV is
# development unless set) or a token from `kompisd token`.
# Makes sure the build tools are there, starts PostgreSQL and Redis (see
# scripts/dev-services.sh; DATABASE_URL / REDIS_URL are used when set and
# reachable), builds kompisd in release mode, and runs `kompisd serve` with
# KOMPIS_DEMO_DATA=true on 127.0.0.1:50051 (or KOMPIS_GRPC_ADDR).
# Ctrl-C stops kompisd, then the project-local PostgreSQL and Redis that this
# script started. Data persists in .data/.
#
# Environment: every kompisd variable (KOMPIS_GRPC_ADDR, KOMPIS_METRICS_ADDR,
# RUST_LOG, ...) is passed through. KOMPIS_DEMO_DATA defaults to true here.
set -euo pipefail

KOMPIS_LOG_PREFIX="serve"
# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
cd "$KOMPIS_ROOT"

KOMPISD_PID=""
STARTED_SERVICES=()

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # Finish the clean-up even if the terminal or a pipe reading our output is gone.
    trap '' PIPE HUP
    set +e
    if [[ -n "$KOMPISD_PID" ]] && kill -0 "$KOMPISD_PID" 2>/dev/null; then
        kompis_log "stopping kompisd (pid $KOMPISD_PID)"
        kill -TERM "$KOMPISD_PID" 2>/dev/null || true
        local i
        for ((i = 0; i < 150; i++)); do
            kill -0 "$KOMPISD_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$KOMPISD_PID" 2>/dev/null; then
            kompis_warn "kompisd did not stop within 15 s; killing it"
            kill -KILL "$KOMPISD_PID" 2>/dev/null || true
        fi
        wait "$KOMPISD_PID" 2>/dev/null || true
    fi
    if ((${#STARTED_SERVICES[@]})); then
        "$KOMPIS_ROOT/scripts/dev-services.sh" stop "${STARTED_SERVICES[@]}" || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

kompis_ensure_build_deps
# The project's Python client, for calling the service as README "Trying it" shows.
kompis_ensure_venv "$KOMPIS_ROOT/tests/python/requirements.txt"

# shellcheck source=scripts/dev-services.sh
source "$KOMPIS_ROOT/scripts/dev-services.sh"
read -ra STARTED_SERVICES <<<"${KOMPIS_DEV_STARTED:-}"

"$KOMPIS_ROOT/scripts/console.sh" build
export KOMPIS_CONSOLE_DIR="${KOMPIS_CONSOLE_DIR:-$KOMPIS_ROOT/services/kompis-console/dist}"

kompis_log "building kompisd (release)"
cargo build --release --locked -p kompisd

target_dir="${CARGO_TARGET_DIR:-$KOMPIS_ROOT/target}"
[[ "$target_dir" = /* ]] || target_dir="$KOMPIS_ROOT/$target_dir"
KOMPISD="$target_dir/release/kompisd"
[[ -x "$KOMPISD" ]] || kompis_die "built binary not found at $KOMPISD"

export DATABASE_URL REDIS_URL
export KOMPIS_GRPC_ADDR="${KOMPIS_GRPC_ADDR:-127.0.0.1:50051}"
export KOMPIS_METRICS_ADDR="${KOMPIS_METRICS_ADDR:-127.0.0.1:9464}"
export KOMPIS_DEMO_DATA="${KOMPIS_DEMO_DATA:-true}"
export RUST_LOG="${RUST_LOG:-info}"

bin_rel="${KOMPISD#"$KOMPIS_ROOT"/}"
cat >&2 <<EOF

kompisd serve: gRPC on ${KOMPIS_GRPC_ADDR}, metrics on http://${KOMPIS_METRICS_ADDR}/metrics

  The coordinator console: http://${KOMPIS_GRPC_ADDR}/

  database: $(kompis_redact_url "$DATABASE_URL")
  redis:    $(kompis_redact_url "$REDIS_URL")
  demo data: ${KOMPIS_DEMO_DATA}

How to call it (from the repository root, in another terminal):
  # a development token (HS256, development key unless KOMPIS_JWT_SECRET is set); each
  # token is a new person (subject) unless --subject is given
  TOKEN=\$(${bin_rel} token --role coordinator --chapter botkyrka)

  # the project's Python client (in .venv, which this script created), using server
  # reflection
  .venv/bin/python tests/python/check_health_reflection.py --addr ${KOMPIS_GRPC_ADDR}
  .venv/bin/python tests/python/kompis_call.py --addr ${KOMPIS_GRPC_ADDR} list
  .venv/bin/python tests/python/kompis_call.py --addr ${KOMPIS_GRPC_ADDR} describe kompis.v1.ReportService
  .venv/bin/python tests/python/kompis_call.py --addr ${KOMPIS_GRPC_ADDR} --token "\$TOKEN" \\
      call kompis.v1.SERVICE/METHOD '{"json": "request"}'

Press Ctrl-C to stop kompisd (and the PostgreSQL/Redis this script started).

EOF

"$KOMPISD" serve &
KOMPISD_PID=$!
set +e
wait "$KOMPISD_PID"
rc=$?
set -e
KOMPISD_PID=""
if ((rc != 0)); then
    kompis_warn "kompisd exited with status $rc"
fi
exit "$rc"
