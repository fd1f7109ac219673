#!/usr/bin/env bash
# Second command of a newcomer: runs every test (type check, lint, unit tests
# and the slower integration tests). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/node-env.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
scripts/system-deps.sh
npm test
