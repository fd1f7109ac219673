#!/usr/bin/env bash
# First command of a newcomer: installs everything Baseline needs (Node 24 when
# the machine's Node is too old, the npm packages, LibreOffice and Chromium for
# the tests), writes the requirements annex for web hosting to out/ (Markdown,
# HTML, Word), and starts the observatory web app on its embedded default (a
# SQLite file under data/local/, seeded with the starter dataset), printing its
# address. --no-run stops after installing; --no-serve skips the web app.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/node-env.sh
npm ci --no-audit --no-fund
scripts/system-deps.sh
[ "${1:-}" = "--no-run" ] && exit 0

mkdir -p out
for format in md html docx; do
  node bin/baseline.js requirements --category web-hosting --format "$format" -o "out/requirements-web-hosting.$format"
done
echo
echo "Requirements annex for web hosting (Markdown, HTML, Word) is in out/. Its requirements:"
grep '^### R' out/requirements-web-hosting.md | sed 's/^### /  /'
echo
[ "${1:-}" = "--no-serve" ] && { echo "Next: npx baseline --help"; exit 0; }
echo "Starting the observatory (Ctrl-C stops it; npx baseline --help lists every command):"
exec node bin/baseline.js serve
