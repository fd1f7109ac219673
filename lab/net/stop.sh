#!/usr/bin/env bash
# Stops the web lab: TERM (then KILL) to the processes in run/*.pid and any
# process whose command line names run/, and removes the fd00:5a5a:: addresses
# from lo. Leaves the DNS lab running (lab/dns/stop.sh stops it) and run/ for
# inspection. Exits 0 when nothing was running.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

net_take_lock
net_stop_lab | lab_stop_report web-lab
