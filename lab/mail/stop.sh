#!/usr/bin/env bash
# Stops the mail lab: TERM (then KILL) to the processes in run/*.pid and any
# process whose command line names run/, takes the MTA-STS hosts out of the
# web lab's nginx, and removes the fd00:5a5c:: addresses from lo. Leaves the
# DNS and web labs running (their stop.sh stop them) and run/ for inspection.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

mail_take_lock
mail_stop_lab | lab_stop_report mail-lab
