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

# shellcheck source=../../lib/lab-common.sh
source "$LAB_DIR/lib/lab-common.sh"

net_log() { lab_log web-lab "$@"; }
net_die() { lab_die web-lab "$@"; }
net_is_ours() { lab_is_ours "$NET_RUN_DIR" "$1"; }
# Every process whose command line names run/ (what a crash left behind).
net_our_pids() { lab_our_pids "$NET_RUN_DIR"; }

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
net_remove_ipv6() { lab_remove_ipv6 "$WEB_V6_NET"; }

# Stops every process of ours and removes the IPv6 addresses. Prints
# "PROCESSES STRAYS ADDRESSES".
net_stop_lab() {
  local counts
  counts=$(lab_stop_processes web-lab "$NET_RUN_DIR")
  echo "$counts $(net_remove_ipv6)"
}

net_take_lock() { lab_take_lock web-lab 8 "$NET_LOCK_FILE"; }
