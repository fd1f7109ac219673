#!/usr/bin/env bash
# Second command of a newcomer: runs every test (type check, lint, unit tests
# and the slower integration tests). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/node-env.sh
# Install when nothing is installed yet, or when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
scripts/system-deps.sh
# Every test file is a process of its own that would strip and compile the
# same TypeScript modules again: Node's compile cache shares that work.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$PWD/.cache/node-compile}"
npm test
