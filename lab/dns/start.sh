#!/usr/bin/env bash
# Starts the DNS lab: a signed DNS hierarchy (root, TLDs, second-level zones)
# on Knot DNS and NSD, and a validating Unbound over it, all on 127.53.x.y
# port 53. Keys, signatures and zone files are made fresh on every start.
#
# Idempotent: when the lab already runs and answers, it says so and exits 0;
# a half-running lab or a run/ left by a crash is cleared first.
# Needs root (port 53; apt-get when a tool is missing). See lab/README.md.
set -euo pipefail
LIB=$(dirname "${BASH_SOURCE[0]}")/lib
# shellcheck source=lib/common.sh
source "$LIB/common.sh"
# shellcheck source=lib/zones.sh
source "$LIB/zones.sh"
# shellcheck source=lib/servers.sh
source "$LIB/servers.sh"

ensure_packages() {
  local missing=() tool
  for tool in knotd:knot keymgr:knot kdig:knot-dnsutils nsd:nsd unbound:unbound \
    ldns-signzone:ldnsutils ldns-keygen:ldnsutils dig:bind9-dnsutils flock:util-linux; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  [[ $(id -u) -eq 0 ]] || die "missing ${missing[*]}: install them (apt-get as root)"
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

build_lab() {
  local zone
  mkdir -p "$RUN_DIR/ds" "$RUN_DIR/keys"
  write_configs
  NOW=$(date -u +%s)
  while read -r zone; do build_zone "$zone"; done < <(zones_leaves_first)
  write_client_files
  check_configs
}

start_all() {
  local id
  for id in "${DAEMONS[@]}"; do start_daemon "$id"; done
}

ensure_packages
take_lock
load_zone_registry

if [[ -n $(our_pids) ]]; then
  if lab_is_healthy; then
    print_summary "already running"
    exit 0
  fi
  log "a previous lab is only partly up; stopping it"
  stop_lab >/dev/null
fi

# From here on a failure takes down whatever this run started.
stop_on_failure() {
  local status=$?
  [[ $status -eq 0 ]] && return
  log "start failed, stopping what was started"
  stop_lab >/dev/null
}
trap stop_on_failure EXIT
rm -rf "$RUN_DIR" # whatever a crashed run left behind
mkdir -p "$RUN_DIR"
build_lab
start_all
wait_for_pid_files 10
wait_until_answering 30 || die "the lab did not come up (logs in $RUN_DIR)"
print_summary "up in ${SECONDS}s"
