#!/usr/bin/env bash
# Starts the mail lab: Debian's Postfix (one master of its own, one smtpd
# listener per MX host on 127.55.0.N:25 and [fd00:5a5c::N]:25), the hostile
# SMTP server, and the MTA-STS policy hosts on 127.55.1.N:443 (served by the
# web lab's nginx), for the names in the DNS lab's mail zones (mail.secure.,
# mail.insecure., mail.bogus.). Starts the DNS lab and the web lab first
# (both idempotent); restarts the DNS lab when it runs without the mail zones.
#
# Idempotent and locked like the other labs: a running, answering lab of the
# same DNS and web generation is left alone ("already running"). Needs root.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/pki.sh
source "$LAB_MAIL_DIR/lib/pki.sh"
# shellcheck source=lib/postfix.sh
source "$LAB_MAIL_DIR/lib/postfix.sh"
# shellcheck source=lib/servers.sh
source "$LAB_MAIL_DIR/lib/servers.sh"

ensure_packages() {
  local missing=() tool
  for tool in postfix:postfix openssl:openssl ip:iproute2 flock:util-linux setsid:util-linux dig:bind9-dnsutils; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  mail_log "installing ${missing[*]} with apt-get (no system Postfix is started)"
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # The package's postinst must not start a system Postfix on 0.0.0.0:25.
  local policy=/usr/sbin/policy-rc.d made=0
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made=1; fi
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  [[ $made -eq 1 ]] && rm -f "$policy"
  return 0
}

summary() {
  printf 'mail-lab: %s: postfix (%d listeners) + hostile SMTP server for %d MX hosts on %s.N:25 and %s:N, %d MTA-STS hosts on %s.N:443, CA in %s/ca.pem, cases in %s/cases.json\n' \
    "$1" "$(grep -c ' inet n - n - - smtpd' "$MAIL_RUN_DIR/postfix/master.cf")" "${#MAIL_HOSTS[@]}" "$MAIL_V4_NET" "$MAIL_V6_NET" \
    "$(find "$MAIL_RUN_DIR/nginx" -name 'mta-sts-*.conf' | wc -l)" "$MAIL_STS_NET" "$NET_RUN_DIR" "$MAIL_RUN_DIR"
}

# A system Postfix on every address would take port 25 from the lab.
system_postfix_check() {
  if ss -ltnH 'sport = :25' | awk '{print $4}' | grep -qE '^(0\.0\.0\.0|\*|\[::\]):25$'; then
    mail_die "something listens on every address's port 25 (a system Postfix? systemctl stop postfix)"
  fi
}

[[ $(id -u) -eq 0 ]] || mail_die "needs root (port 25, addresses on lo)"
ensure_packages
mail_take_lock

# The DNS lab must serve the mail zones: one started before they existed does not.
if [[ -s $DNS_RUN_DIR/unbound.addr ]] && [[ $(cat "$MAIL_KEYS_DIR/registry" 2>/dev/null) != "$(sha256sum <"$LAB_MAIL_DIR/lib/hosts.sh" | cut -d' ' -f1)" ]]; then
  mail_log "the DNS lab runs without the mail zones of this lib/hosts.sh; restarting it"
  bash "$LAB_DIR/net/stop.sh" >&2 7>&-
  bash "$LAB_DIR/dns/stop.sh" >&2 7>&-
fi
# The web lab (and the DNS lab under it): its CA issues our certificates, its
# nginx serves the MTA-STS policies.
bash "$LAB_DIR/net/start.sh" >&2 7>&-

if [[ -n $(mail_our_pids) ]]; then
  if mail_pids_alive && [[ $(cat "$MAIL_RUN_DIR/generation" 2>/dev/null) == "$(mail_generation)" ]] && mail_wait_listening 3 2>/dev/null; then
    summary "already running"
    exit 0
  fi
  mail_log "a previous mail lab is only partly up or belongs to another DNS or web lab start; stopping it"
  mail_stop_lab >/dev/null
fi
system_postfix_check

stop_on_failure() {
  local status=$?
  [[ $status -eq 0 ]] && return
  mail_log "start failed, stopping what was started"
  mail_stop_lab >/dev/null
}
trap stop_on_failure EXIT
rm -rf "$MAIL_RUN_DIR"
mkdir -p "$MAIL_RUN_DIR"
mail_add_ipv6
mail_pki_make
mail_write_openssl_conf
mail_postfix_write_config
mail_postfix_start
mail_start_hostile
mail_write_sts
mail_reload_web_nginx || mail_die "could not add the MTA-STS hosts to the web lab's nginx"
mail_wait_listening 20 || mail_die "the mail lab did not come up (logs in $MAIL_RUN_DIR)"
mail_generation >"$MAIL_RUN_DIR/generation"
cp "$LAB_MAIL_DIR/cases.json" "$MAIL_RUN_DIR/cases.json"
summary "up in ${SECONDS}s"
