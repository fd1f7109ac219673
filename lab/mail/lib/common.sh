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

# shellcheck source=../../lib/lab-common.sh
source "$LAB_DIR/lib/lab-common.sh"

mail_log() { lab_log mail-lab "$@"; }
mail_die() { lab_die mail-lab "$@"; }
mail_is_ours() { lab_is_ours "$MAIL_RUN_DIR" "$1"; }
# Every process whose command line names run/ (what a crash left behind).
mail_our_pids() { lab_our_pids "$MAIL_RUN_DIR"; }

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
mail_remove_ipv6() { lab_remove_ipv6 "$MAIL_V6_NET"; }

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
  local counts
  counts=$(lab_stop_processes mail-lab "$MAIL_RUN_DIR")
  mail_remove_sts >/dev/null 2>&1
  echo "$counts $(mail_remove_ipv6)"
}

mail_take_lock() { lab_take_lock mail-lab 7 "$MAIL_LOCK_FILE"; }
