#!/usr/bin/env bash
# Stops the DNS lab: the daemons named by run/*.pid get TERM, then KILL if
# they are still there after a timeout. Exits 0 when nothing was running.
# Leaves run/ (logs, zones, keys) for inspection; start.sh replaces it.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

take_lock
read -r daemons strays < <(stop_lab)
if [[ $daemons -eq 0 && $strays -eq 0 ]]; then
  echo "dns-lab: not running"
elif [[ $strays -eq 0 ]]; then
  echo "dns-lab: stopped $daemons daemons"
else
  echo "dns-lab: stopped $daemons daemons and $strays processes without a pid file"
fi
