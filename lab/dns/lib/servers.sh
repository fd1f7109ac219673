# shellcheck shell=bash
# Configs, start-up and health checks of the lab's daemons, and the files the
# lab leaves in run/ for its clients. Sourced by start.sh after lib/zones.sh.

knot_algorithm_name() {
  case $1 in
    5) echo rsasha1 ;; 7) echo rsasha1-nsec3-sha1 ;; 8) echo rsasha256 ;; 10) echo rsasha512 ;;
    13) echo ecdsap256sha256 ;; 14) echo ecdsap384sha384 ;; 15) echo ed25519 ;; 16) echo ed448 ;;
    *) die "no Knot name for algorithm $1" ;;
  esac
}
policy_id() { if [[ $1 == . ]]; then echo root; else echo "${1%.}" | tr '.' '_'; fi; }
on_off() { "$@" && echo on || echo off; }

# One knotd per server id, each with its own KASP database, journal and
# control socket under run/ID/, so that instances never share state.
write_knot_config() {
  local id=$1 dir=$RUN_DIR/$1 addrs=() zone alg
  read -ra addrs <<<"${SERVER_ADDRS[$id]}"
  mkdir -p "$dir/db" "$dir/zones"
  {
    printf 'server:\n    identity: "%s"\n    rundir: "%s"\n    pidfile: "%s"\n' "$id" "$dir" "$RUN_DIR/$id.pid"
    printf '    listen: [ %s ]\n' "$(printf '%s@53, ' "${addrs[@]}" | sed 's/, $//')"
    printf '    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n'
    printf 'database:\n    storage: "%s/db"\n' "$dir"
    printf '    journal-db-max-size: 64M\n    kasp-db-max-size: 16M\n    timer-db-max-size: 16M\n    catalog-db-max-size: 16M\n'
    printf 'control:\n    listen: "%s/knot.sock"\n' "$dir"
    printf 'log:\n  - target: "%s"\n    any: info\n' "$RUN_DIR/$id.log"
    printf 'policy:\n'
    while read -r zone; do
      [[ ${ZONE_SIGNER[$zone]} == knot:* ]] || continue
      alg=${ZONE_SIGNER[$zone]#knot:}
      # manual: keys come from keymgr before start (their DS is already in
      # the parent); knotd still signs, re-signs and builds NSEC/NSEC3 itself.
      printf '  - id: %s\n    algorithm: %s\n    manual: on\n' "$(policy_id "$zone")" "$(knot_algorithm_name "$alg")"
      printf '    single-type-signing: %s\n' "$(on_off has_option "$zone" csk)"
      printf '    rrsig-lifetime: 30d\n    rrsig-refresh: 7d\n    dnskey-ttl: 300\n'
      if has_option "$zone" nsec3; then
        printf '    nsec3: on\n    nsec3-iterations: 0\n    nsec3-salt-length: 0\n'
        printf '    nsec3-opt-out: %s\n' "$(on_off has_option "$zone" optout)"
      fi
    done < <(zones_of_server "$id")
    printf 'template:\n  - id: default\n    storage: "%s/zones"\n' "$dir"
    printf '    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n    semantic-checks: on\n'
    printf 'zone:\n'
    while read -r zone; do
      printf '  - domain: "%s"\n    file: "%s"\n' "$zone" "$(zone_file_name "$zone")"
      if [[ ${ZONE_SIGNER[$zone]} == knot:* ]]; then
        printf '    dnssec-signing: on\n    dnssec-policy: %s\n' "$(policy_id "$zone")"
      fi
    done < <(zones_of_server "$id")
  } >"$(knot_config_file "$id")"
}

write_nsd_config() {
  local id=$1 dir=$RUN_DIR/$1 addr zone
  mkdir -p "$dir/zones"
  {
    printf 'server:\n'
    for addr in ${SERVER_ADDRS[$id]}; do printf '    ip-address: %s\n' "$addr"; done
    for addr in ${SERVER_ADDRS6[$id]:-}; do printf '    ip-address: %s\n' "$addr"; done
    if [[ -n ${SERVER_ADDRS6[$id]:-} ]]; then
      printf '    port: 53\n    do-ip4: yes\n    do-ip6: yes\n    ip-freebind: yes\n    server-count: 1\n    reuseport: no\n'
    else
      printf '    port: 53\n    do-ip4: yes\n    do-ip6: no\n    server-count: 1\n    reuseport: no\n'
    fi
    printf '    username: ""\n    chroot: ""\n    database: ""\n    identity: "%s"\n    hide-version: yes\n' "$id"
    printf '    zonesdir: "%s/zones"\n    pidfile: "%s"\n    logfile: "%s"\n' "$dir" "$RUN_DIR/$id.pid" "$RUN_DIR/$id.log"
    printf '    zonelistfile: "%s/zone.list"\n    xfrdfile: "%s/xfrd.state"\n    xfrdir: "%s"\n    verbosity: 1\n' "$dir" "$dir" "$dir"
    # NSD's response rate limiting (200 answers/s per /24 by default) would drop
    # the benchmark's bursts of wildcard answers; a lab measures, it is not attacked.
    printf '    rrl-ratelimit: 0\n    rrl-whitelist-ratelimit: 0\n'
    printf 'remote-control:\n    control-enable: no\n'
    while read -r zone; do
      printf 'zone:\n    name: "%s"\n    zonefile: "%s"\n' "$zone" "$(zone_file_name "$zone")"
    done < <(zones_of_server "$id")
  } >"$dir/nsd.conf"
}

# The oracle: a validating Unbound that knows only the lab's root.
write_unbound_config() {
  local dir=$RUN_DIR/unbound
  mkdir -p "$dir"
  cat >"$dir/unbound.conf" <<EOF
server:
    interface: $UNBOUND_ADDR
    port: 53
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    access-control: 127.0.0.0/8 allow
    directory: "$dir"
    chroot: ""
    username: ""
    pidfile: "$RUN_DIR/unbound.pid"
    logfile: "$RUN_DIR/unbound.log"
    use-syslog: no
    log-time-ascii: yes
    verbosity: 1
    log-servfail: yes
    val-log-level: 2
    ede: yes
    num-threads: 1
    so-reuseport: no
    module-config: "validator iterator"
    root-hints: "$RUN_DIR/root.hints"
    trust-anchor-file: "$RUN_DIR/root-anchor.ds"
    qname-minimisation: yes
    # The lab's servers all live on loopback addresses, which Unbound
    # refuses to query by default.
    do-not-query-localhost: no
    # Queries leave only from this loopback address, and never towards
    # anything outside 127.0.0.0/8, whatever a zone might point at.
    outgoing-interface: $UNBOUND_ADDR
    do-not-query-address: 0.0.0.0/2
    do-not-query-address: 64.0.0.0/3
    do-not-query-address: 96.0.0.0/4
    do-not-query-address: 112.0.0.0/5
    do-not-query-address: 120.0.0.0/6
    do-not-query-address: 124.0.0.0/7
    do-not-query-address: 126.0.0.0/8
    do-not-query-address: 128.0.0.0/1
    do-not-query-address: ::/0
    # Fresh each start, and small: a lab, not a production resolver.
    msg-cache-size: 4m
    rrset-cache-size: 8m
    key-cache-size: 4m
    neg-cache-size: 1m
    # Timing only, not validation: a delegation to a dead address fails in
    # about 2 s instead of 30+ s (the retransmit backoff is capped at 1 s),
    # and that SERVFAIL is sent: Debian's 1.17.1 otherwise silently drops
    # a client's query still waiting after 1.9 s (discard-timeout).
    infra-cache-max-rtt: 1000
    discard-timeout: 0
remote-control:
    control-enable: no
EOF
}

write_configs() {
  local id
  for id in "${SERVERS[@]}"; do
    case ${SERVER_IMPL[$id]} in
      knot) write_knot_config "$id" ;;
      nsd) write_nsd_config "$id" ;;
    esac
  done
  write_unbound_config
}

check_configs() {
  local id
  for id in "${SERVERS[@]}"; do
    case ${SERVER_IMPL[$id]} in
      knot) knotc -c "$(knot_config_file "$id")" conf-check >/dev/null ;;
      nsd) nsd-checkconf "$RUN_DIR/$id/nsd.conf" ;;
    esac
  done
  unbound-checkconf "$RUN_DIR/unbound/unbound.conf" >/dev/null
}

# ------------------------------------------------------------- client files

write_client_files() {
  {
    printf '.            3600000  NS  a.root.lab.\n'
    printf '.            3600000  NS  b.root.lab.\n'
    printf 'a.root.lab.  3600000  A   127.53.0.1\n'
    printf 'b.root.lab.  3600000  A   127.53.0.2\n'
  } >"$RUN_DIR/root.hints"
  cp "$(ds_file .)" "$RUN_DIR/root-anchor.ds"
  printf '%s\n' "$UNBOUND_ADDR" >"$RUN_DIR/unbound.addr"
  cp "$LAB_DNS_DIR/cases.json" "$RUN_DIR/cases.json"
  write_servers_json >"$RUN_DIR/servers.json"
}

# run/servers.json: which daemon listens where and serves what (for tests).
write_servers_json() {
  local id first=1 addr zone sep
  printf '[\n'
  for id in "${SERVERS[@]}" unbound; do
    [[ $first -eq 1 ]] || printf ',\n'
    first=0
    if [[ $id == unbound ]]; then
      printf '  { "id": "unbound", "implementation": "unbound", "role": "resolver", "addresses": ["%s"], "pidFile": "unbound.pid", "zones": [] }' "$UNBOUND_ADDR"
      continue
    fi
    printf '  { "id": "%s", "implementation": "%s", "role": "authoritative", "addresses": [' "$id" "${SERVER_IMPL[$id]}"
    sep=""
    for addr in ${SERVER_ADDRS[$id]}; do printf '%s"%s"' "$sep" "$addr"; sep=", "; done
    printf '], "pidFile": "%s.pid", "zones": [' "$id"
    sep=""
    while read -r zone; do printf '%s"%s"' "$sep" "$zone"; sep=", "; done < <(zones_of_server "$id")
    printf '] }'
  done
  printf '\n]\n'
}

# ---------------------------------------------------------- start and check

# The daemons must not inherit the lock's file descriptor (9): they would
# hold the lock for as long as they run.
start_daemon() {
  local id=$1
  case $id in
    unbound) unbound -c "$RUN_DIR/unbound/unbound.conf" 9>&- ;;
    *)
      case ${SERVER_IMPL[$id]} in
        knot) knotd -d -c "$(knot_config_file "$id")" 9>&- ;;
        nsd) nsd -c "$RUN_DIR/$id/nsd.conf" 9>&- ;;
      esac
      ;;
  esac
}

# Waits for each daemon's pid file (the daemons write it themselves).
wait_for_pid_files() {
  local deadline=$((SECONDS + $1)) id missing
  while :; do
    missing=()
    for id in "${DAEMONS[@]}"; do recorded_pid "$id" >/dev/null || missing+=("$id"); done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ $SECONDS -ge $deadline ]]; then
      log "no running process recorded for: ${missing[*]} (see run/${missing[0]}.log)"
      return 1
    fi
    sleep 0.1
  done
}

# Every (address, zone) pair a server should answer for.
soa_checks() {
  local id addr zone
  for id in "${SERVERS[@]}"; do
    for addr in ${SERVER_ADDRS[$id]}; do
      while read -r zone; do printf '%s %s\n' "$addr" "$zone"; done < <(zones_of_server "$id")
    done
  done
}

resolver_validates_root() {
  local out
  out=$(dig +time=1 +tries=1 +dnssec @"$UNBOUND_ADDR" . SOA 2>/dev/null) || return 1
  [[ $out == *"status: NOERROR"* && $out =~ flags:[a-z\ ]*\ ad ]]
}

# Polls until every server answers for every zone it holds, and Unbound
# validates the root, or $1 seconds pass.
wait_until_answering() {
  local deadline=$((SECONDS + $1)) pending=() still addr zone check
  mapfile -t pending < <(soa_checks)
  while :; do
    still=()
    for check in "${pending[@]}"; do
      read -r addr zone <<<"$check"
      answers_soa "$addr" "$zone" || still+=("$check")
    done
    pending=("${still[@]}")
    if [[ ${#pending[@]} -eq 0 ]] && resolver_validates_root; then return 0; fi
    if [[ $SECONDS -ge $deadline ]]; then
      [[ ${#pending[@]} -gt 0 ]] && log "no authoritative SOA answer for: ${pending[*]}"
      [[ ${#pending[@]} -eq 0 ]] && log "Unbound at $UNBOUND_ADDR does not validate the root (see run/unbound.log)"
      return 1
    fi
    sleep 0.2
  done
}

# True when every daemon runs and answers: what a second start.sh checks.
lab_is_healthy() {
  local id
  for id in "${DAEMONS[@]}"; do recorded_pid "$id" >/dev/null || return 1; done
  wait_until_answering 3 2>/dev/null
}

print_summary() {
  local state=$1 zones=0 z knots=0 nsds=0 id cases
  for z in "${ZONE_NAMES[@]}"; do [[ ${ZONE_SERVER[$z]} != absent ]] && zones=$((zones + 1)); done
  for id in "${SERVERS[@]}"; do [[ ${SERVER_IMPL[$id]} == knot ]] && knots=$((knots + 1)) || nsds=$((nsds + 1)); done
  cases=$(grep -c '"id":' "$RUN_DIR/cases.json" || true)
  printf 'dns-lab: %s: %d knotd + %d nsd serving %d zones on 127.53.0.1-127.53.5.1, validating Unbound on %s, %d cases in %s/cases.json\n' \
    "$state" "$knots" "$nsds" "$zones" "$UNBOUND_ADDR" "$cases" "$RUN_DIR"
}
