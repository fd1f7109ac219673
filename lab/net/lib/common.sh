# shellcheck shell=bash disable=SC2034 # (the variables are used by the scripts that source this)
# Shared by lab/net/start.sh and stop.sh: where the web lab lives, its lock,
# and how to tell its own processes from anyone else's.
#
# Every process is started with a path under $NET_RUN_DIR on its command line
# (nginx -c, s_server -cert, the hostile server's config), so a process is
# "ours" only when its command line names that directory.
PATH=$PATH:/usr/sbin:/sbin # nginx and ip live in sbin
LAB_NET_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_DIR=$(dirname "$LAB_NET_DIR")
NET_RUN_DIR=$LAB_NET_DIR/run
NET_LOCK_FILE=$LAB_NET_DIR/run.lock
DNS_RUN_DIR=$LAB_DIR/dns/run
WEB_KEYS_DIR=$DNS_RUN_DIR/web-keys # made by the DNS lab's start (its zones carry TLSA of them)
# shellcheck source=hosts.sh
source "$LAB_NET_DIR/lib/hosts.sh"

net_log() { printf 'web-lab: %s\n' "$*" >&2; }
net_die() { net_log "error: $*"; exit 1; }

net_is_ours() {
  local pid=$1 cmdline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $cmdline == *"$NET_RUN_DIR/"* ]]
}

# PIDs recorded in run/*.pid that are still ours.
net_recorded_pids() {
  local file pid
  for file in "$NET_RUN_DIR"/*.pid; do
    [[ -s $file ]] || continue
    read -r pid <"$file" || true
    net_is_ours "$pid" && printf '%s\n' "$pid"
  done
  return 0
}

# Every process whose command line names run/ (what a crash left behind).
net_our_pids() {
  local dir pid
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    net_is_ours "$pid" && printf '%s\n' "$pid"
  done
  return 0
}

net_terminate() {
  local pids=() timeout=$2 pid deadline alive
  read -ra pids <<<"$1"
  [[ ${#pids[@]} -gt 0 ]] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while :; do
    alive=()
    for pid in "${pids[@]}"; do
      # A zombie is gone for our purposes (its parent reaps it later).
      [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) =~ ^[^Z]$ ]] && alive+=("$pid")
    done
    [[ ${#alive[@]} -eq 0 ]] && return 0
    [[ $SECONDS -ge $deadline ]] && break
    sleep 0.1
  done
  net_log "still running after ${timeout}s, sending KILL to ${alive[*]}"
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

# Every IPv6 address the lab puts on lo: the hosts' and the name servers'.
net_ipv6_addresses() {
  local line index=0
  for line in "${WEB_HOSTS[@]}"; do
    index=$((index + 1))
    web_host_parse "$line"
    web_host_has_v6 && web_host_v6 "$index"
  done
  printf '%s\n' "${WEB_NS6[@]}" "$WEB_NS6_DEAD"
}

net_add_ipv6() {
  local addr
  while read -r addr; do ip -6 addr replace "$addr/128" dev lo nodad; done < <(net_ipv6_addresses)
}

# Removes every fd00:5a5a:: address from lo (only the lab uses that prefix).
net_remove_ipv6() {
  local addr count=0
  while read -r addr; do
    ip -6 addr del "$addr" dev lo 2>/dev/null && count=$((count + 1))
  done < <(ip -6 -o addr show dev lo | awk '{print $4}' | grep -i "^${WEB_V6_NET}:" || true)
  echo "$count"
}

# Stops every process of ours and removes the IPv6 addresses. Prints
# "PROCESSES STRAYS ADDRESSES".
net_stop_lab() {
  local recorded=() stray=() removed
  mapfile -t recorded < <(net_recorded_pids)
  net_terminate "${recorded[*]}" 10
  mapfile -t stray < <(net_our_pids)
  net_terminate "${stray[*]}" 5
  rm -f "$NET_RUN_DIR"/*.pid
  removed=$(net_remove_ipv6)
  echo "${#recorded[@]} ${#stray[@]} $removed"
}

net_take_lock() {
  exec 8>"$NET_LOCK_FILE"
  flock -w 120 8 || net_die "another start.sh or stop.sh still holds $NET_LOCK_FILE"
}
