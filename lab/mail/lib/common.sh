# shellcheck shell=bash disable=SC2034 # (the variables are used by the scripts that source this)
# Shared by lab/mail/start.sh and stop.sh: where the mail lab lives, its lock,
# and how to tell its own processes from anyone else's.
#
# Every process is started with a path under $MAIL_RUN_DIR on its command
# line (Postfix's master -c, the hostile server's config), so a process is
# "ours" only when its command line names that directory. Postfix's children
# (smtpd, qmgr, ...) do not name it; they exit with their master.
PATH=$PATH:/usr/sbin:/sbin # postfix and ip live in sbin
LAB_MAIL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_DIR=$(dirname "$LAB_MAIL_DIR")
MAIL_RUN_DIR=$LAB_MAIL_DIR/run
MAIL_LOCK_FILE=$LAB_MAIL_DIR/run.lock
DNS_RUN_DIR=$LAB_DIR/dns/run
NET_RUN_DIR=$LAB_DIR/net/run
MAIL_KEYS_DIR=$DNS_RUN_DIR/mail-keys # made by the DNS lab's start (its zones carry TLSA of them)
# shellcheck source=hosts.sh
source "$LAB_MAIL_DIR/lib/hosts.sh"

mail_log() { printf 'mail-lab: %s\n' "$*" >&2; }
mail_die() { mail_log "error: $*"; exit 1; }

mail_is_ours() {
  local pid=$1 cmdline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $cmdline == *"$MAIL_RUN_DIR/"* ]]
}

mail_recorded_pids() {
  local file pid
  for file in "$MAIL_RUN_DIR"/*.pid; do
    [[ -s $file ]] || continue
    read -r pid <"$file" || true
    mail_is_ours "$pid" && printf '%s\n' "$pid"
  done
  return 0
}

mail_our_pids() {
  local dir pid
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    mail_is_ours "$pid" && printf '%s\n' "$pid"
  done
  return 0
}

mail_terminate() {
  local pids=() timeout=$2 pid deadline alive
  read -ra pids <<<"$1"
  [[ ${#pids[@]} -gt 0 ]] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while :; do
    alive=()
    for pid in "${pids[@]}"; do
      [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) =~ ^[^Z]$ ]] && alive+=("$pid")
    done
    [[ ${#alive[@]} -eq 0 ]] && return 0
    [[ $SECONDS -ge $deadline ]] && break
    sleep 0.1
  done
  mail_log "still running after ${timeout}s, sending KILL to ${alive[*]}"
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

mail_add_ipv6() {
  local line index=0
  for line in "${MAIL_HOSTS[@]}"; do
    index=$((index + 1))
    mail_host_parse "$line"
    mail_host_has_v6 && ip -6 addr replace "$(mail_host_v6 "$index")/128" dev lo nodad
  done
  return 0
}

# Removes every fd00:5a5c:: address from lo (only the mail lab uses that prefix).
mail_remove_ipv6() {
  local addr count=0
  while read -r addr; do
    ip -6 addr del "$addr" dev lo 2>/dev/null && count=$((count + 1))
  done < <(ip -6 -o addr show dev lo | awk '{print $4}' | grep -i "^${MAIL_V6_NET}:" || true)
  echo "$count"
}

# Takes the MTA-STS server blocks out of the web lab's nginx (and reloads it).
mail_remove_sts() {
  [[ -d $MAIL_RUN_DIR/nginx ]] || return 0
  rm -f "$MAIL_RUN_DIR"/nginx/*.conf
  mail_reload_web_nginx || true
}

mail_reload_web_nginx() {
  local pid
  [[ -s $NET_RUN_DIR/nginx.pid ]] || return 1
  read -r pid <"$NET_RUN_DIR/nginx.pid"
  OPENSSL_CONF=$NET_RUN_DIR/openssl.cnf nginx -t -q -c "$NET_RUN_DIR/nginx/nginx.conf" -e "$MAIL_RUN_DIR/nginx-test.log" 8>&- 7>&- ||
    { mail_log "the web lab's nginx rejects the MTA-STS blocks (see run/nginx-test.log)"; return 1; }
  kill -HUP "$pid"
}

# Stops every process of ours, the MTA-STS blocks and the IPv6 addresses.
# Prints "PROCESSES STRAYS ADDRESSES".
mail_stop_lab() {
  local recorded=() stray=() removed
  mapfile -t recorded < <(mail_recorded_pids)
  mail_terminate "${recorded[*]}" 10
  mapfile -t stray < <(mail_our_pids)
  mail_terminate "${stray[*]}" 5
  rm -f "$MAIL_RUN_DIR"/*.pid
  mail_remove_sts >/dev/null 2>&1
  removed=$(mail_remove_ipv6)
  echo "${#recorded[@]} ${#stray[@]} $removed"
}

mail_take_lock() {
  exec 7>"$MAIL_LOCK_FILE"
  flock -w 120 7 || mail_die "another start.sh or stop.sh still holds $MAIL_LOCK_FILE"
}
