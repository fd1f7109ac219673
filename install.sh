#!/usr/bin/env bash
# First command of a newcomer: installs everything Baseline needs (Node 24 when
# the machine's Node is too old, the npm packages, LibreOffice for the tests)
# and runs the main job on its embedded default: the requirements annex for
# web hosting, written to out/ as Markdown, HTML and Word.
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
echo "Next: npx baseline --help"
