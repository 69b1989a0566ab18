#!/usr/bin/env bash
# Run the whole test suite: formatting, lints, proto and deploy lint, tests.
#
#   scripts/test.sh
#
# Installs what is missing (build tools, Node.js/npm for the proto linter,
# Python venv support, Chromium and ImageMagick for the report and console tests), starts PostgreSQL and Redis (scripts/dev-services.sh;
# DATABASE_URL / REDIS_URL are used when set and reachable), creates the Python
# virtual environment .venv with tests/python/requirements.txt, then runs in
# order, stopping at the first failure:
#
#   cargo fmt --all --check
#   cargo clippy --workspace --all-targets --locked -- -D warnings
#   scripts/lint-proto.sh
#   scripts/lint-deploy.sh
#   cargo test --workspace --locked
#   scripts/console.sh test   (the console: build, Vitest, end-to-end in headless Chromium)
#
# The project-local PostgreSQL and Redis that it started are stopped at the end.
# Extra arguments are passed to `cargo test` (e.g. a test name filter).
set -euo pipefail

KOMPIS_LOG_PREFIX="test"
# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
cd "$KOMPIS_ROOT"

STARTED_SERVICES=()
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # Finish the clean-up even if the terminal or a pipe reading our output is gone.
    trap '' PIPE HUP
    set +e
    if ((${#STARTED_SERVICES[@]})); then
        # Quietly, so that the test summary stays the last thing printed.
        KOMPIS_QUIET=1 "$KOMPIS_ROOT/scripts/dev-services.sh" stop "${STARTED_SERVICES[@]}" || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() {
    kompis_log "==> $*"
    "$@" || {
        local rc=$?
        kompis_log "FAILED (exit $rc): $*"
        exit "$rc"
    }
}

# ---- prerequisites
kompis_ensure_build_deps
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    kompis_apt_install nodejs npm
fi
kompis_ensure_venv "$KOMPIS_ROOT/tests/python/requirements.txt"
# The report tests render the one-page report in headless Chromium and count its
# colours with ImageMagick; the console's browser tests use the same Chromium.
kompis_apt_install chromium imagemagick
export KOMPIS_TEST_PYTHON="$KOMPIS_ROOT/.venv/bin/python"

# shellcheck source=scripts/dev-services.sh
source "$KOMPIS_ROOT/scripts/dev-services.sh"
read -ra STARTED_SERVICES <<<"${KOMPIS_DEV_STARTED:-}"
export DATABASE_URL REDIS_URL

# A CI build starts from nothing and is thrown away: incremental compilation
# only costs disk there.
if [[ "${CI:-}" == "true" ]]; then
    export CARGO_INCREMENTAL=0
fi

# ---- checks, cheapest first
step cargo fmt --all --check
step cargo clippy --workspace --all-targets --locked -- -D warnings
[[ -x scripts/lint-proto.sh ]] || kompis_die "scripts/lint-proto.sh is missing or not executable"
step scripts/lint-proto.sh
step scripts/lint-deploy.sh
kompis_log "==> cargo test --workspace --locked $*"
# cargo prints one summary per test binary, the last of them usually a crate without
# doctests ("0 passed"); add up every summary into one closing line for the whole run.
test_log="$(mktemp)"
set +e
cargo test --workspace --locked "$@" 2>&1 | tee "$test_log"
test_rc=${PIPESTATUS[0]}
set -e
read -r passed failed < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$test_log")
rm -f "$test_log"
if ((test_rc == 0)); then
    # `cargo test` built target/debug/kompisd for the API tests; the console's end-to-end
    # tests run it. (KOMPIS_CONSOLE_E2E=false skips the console.)
    if [[ "${KOMPIS_CONSOLE_E2E:-true}" != "false" ]]; then
        target_dir="${CARGO_TARGET_DIR:-$KOMPIS_ROOT/target}"
        [[ "$target_dir" = /* ]] || target_dir="$KOMPIS_ROOT/$target_dir"
        export KOMPISD="$target_dir/debug/kompisd"
        step scripts/console.sh test
    fi
fi
echo
echo "${passed} passed, ${failed} failed"
exit "$test_rc"
