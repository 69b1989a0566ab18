#!/usr/bin/env bash
# Build and test the coordinator console (services/kompis-console/).
#
#   scripts/console.sh build   # npm ci (when the lockfile changed), generate the clients, build dist/
#   scripts/console.sh test    # build, unit tests (Vitest), then the end-to-end tests in
#                              # headless Chromium against a kompisd with the demo data
#
# The end-to-end tests need DATABASE_URL (its server: each run creates and drops a
# database of its own), REDIS_URL (a prefix of its own) and a built kompisd
# (KOMPISD, default target/debug/kompisd). Debian's chromium is installed with apt-get
# when missing; no browser is downloaded. Screenshots and accessibility results go to
# services/kompis-console/test-results/.
set -euo pipefail

KOMPIS_LOG_PREFIX="console"
# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
cd "$KOMPIS_ROOT/services/kompis-console"

ensure_node_modules() {
    if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
        kompis_apt_install nodejs npm
    fi
    local stamp=node_modules/.kompis-lock want
    want="$(sha256sum package-lock.json | cut -d' ' -f1)"
    if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
        kompis_log "installing the console's npm packages"
        npm ci --no-audit --no-fund >&2
        printf '%s\n' "$want" >"$stamp"
    fi
}

build() {
    ensure_node_modules
    kompis_log "building the console"
    npm run --silent build >&2
}

case "${1:-build}" in
build)
    build
    ;;
test)
    build
    kompis_log "==> console unit tests"
    npx vitest run
    [[ -x /usr/bin/chromium ]] || kompis_apt_install chromium
    kompis_log "==> console end-to-end tests (headless Chromium)"
    node e2e/run.mjs
    ;;
*)
    kompis_die "usage: scripts/console.sh build|test"
    ;;
esac
