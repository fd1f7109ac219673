#!/usr/bin/env bash
# Starts the web lab: nginx, openssl s_server and hostile servers on
# 127.54.0.N (ports 80 and 443) and fd00:5a5a::N (added to lo), with a
# private CA made anew in run/, for host names in the DNS lab's web zones
# (web.secure., web.insecure., web.bogus.). Starts the DNS lab first (or
# restarts it when it runs without the web zones): the zones' TLSA records are
# made from keys that the DNS lab's start generates, so the certificates here
# are issued for those keys.
#
# Idempotent and locked like the DNS lab: a running, answering lab of the same
# DNS generation is left alone ("already running"). Needs root.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/pki.sh
source "$LAB_NET_DIR/lib/pki.sh"
# shellcheck source=lib/nginx.sh
source "$LAB_NET_DIR/lib/nginx.sh"
# shellcheck source=lib/servers.sh
source "$LAB_NET_DIR/lib/servers.sh"

ensure_packages() {
  local missing=() tool
  for tool in nginx:nginx openssl:openssl ip:iproute2 flock:util-linux setsid:util-linux; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  [[ $(id -u) -eq 0 ]] || net_die "missing ${missing[*]}: install them (apt-get as root)"
  net_log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

summary() {
  local hosts=${#WEB_HOSTS[@]} sservers
  sservers=$(find "$NET_RUN_DIR" -maxdepth 1 -name 'sserver-*.pid' | wc -l)
  printf 'web-lab: %s: nginx + %d s_server + hostile server for %d hosts on %s.N and %s:N, CA in %s/ca.pem, cases in %s/cases.json\n' \
    "$1" "$sservers" "$hosts" "$WEB_V4_NET" "$WEB_V6_NET" "$NET_RUN_DIR" "$NET_RUN_DIR"
}

[[ $(id -u) -eq 0 ]] || net_die "needs root (ports 80 and 443, addresses on lo)"
ensure_packages
net_take_lock

# The DNS lab: start.sh is itself idempotent, and restarts a lab that lacks
# servers of the current registry (nsd-web).
bash "$LAB_DIR/dns/start.sh" >&2 8>&-

if [[ -n $(net_our_pids) ]]; then
  if net_pids_alive && [[ $(cat "$NET_RUN_DIR/generation" 2>/dev/null) == "$(net_generation)" ]] && net_wait_listening 3 2>/dev/null; then
    summary "already running"
    exit 0
  fi
  net_log "a previous web lab is only partly up or belongs to another DNS lab start; stopping it"
  net_stop_lab >/dev/null
fi

stop_on_failure() {
  local status=$?
  [[ $status -eq 0 ]] && return
  net_log "start failed, stopping what was started"
  net_stop_lab >/dev/null
}
trap stop_on_failure EXIT
rm -rf "$NET_RUN_DIR"
mkdir -p "$NET_RUN_DIR"
net_add_ipv6
pki_make_ca
pki_make_host_certs
write_openssl_conf
nginx_write_config
start_nginx
start_sservers
start_hostile
net_wait_listening 20 || net_die "the web lab did not come up (logs in $NET_RUN_DIR)"
net_generation >"$NET_RUN_DIR/generation"
cp "$LAB_NET_DIR/cases.json" "$NET_RUN_DIR/cases.json"
summary "up in ${SECONDS}s"
