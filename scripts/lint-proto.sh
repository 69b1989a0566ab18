#!/usr/bin/env bash
# Lints and format-checks the API contract in proto/ with buf, pinned in
# .tools/package.json. Installs buf first when it is missing. Works from any
# directory.
set -euo pipefail

cd "$(dirname "$0")/.."

buf=.tools/node_modules/.bin/buf
if [ ! -x "$buf" ]; then
  npm ci --prefix .tools --no-audit --no-fund
fi

"$buf" --version
"$buf" lint proto
"$buf" format --exit-code -d proto
echo "proto lint: ok"
