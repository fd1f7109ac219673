# shellcheck shell=bash
# Starting the web lab's processes: nginx, openssl s_server, and the hostile
# server (hostile-server.ts). Each records its PID in run/NAME.pid.

# OpenSSL defaults for the lab's servers: security level 0, so that nginx can
# load the weak certificates (a 1024-bit key, a SHA-1 signature) at all; every
# good server block sets @SECLEVEL=2 again in its ssl_ciphers.
write_openssl_conf() {
  cat >"$NET_RUN_DIR/openssl.cnf" <<'CNF'
openssl_conf = lab_init
[lab_init]
ssl_conf = lab_ssl
[lab_ssl]
system_default = lab_default
[lab_default]
CipherString = DEFAULT:@SECLEVEL=0
CNF
}

# Runs a command in its own session, in the background, without our lock's fd.
spawn() { # LOG COMMAND...
  local log=$1
  shift
  setsid "$@" </dev/null >>"$log" 2>&1 8>&- &
  echo $!
}

start_nginx() {
  OPENSSL_CONF=$NET_RUN_DIR/openssl.cnf nginx -t -q -c "$NET_RUN_DIR/nginx/nginx.conf" -e "$NET_RUN_DIR/nginx.log" 8>&- ||
    net_die "nginx rejects run/nginx/nginx.conf (see run/nginx.log)"
  # nginx writes run/nginx.pid itself (the master; `daemon off` keeps it in the foreground).
  OPENSSL_CONF=$NET_RUN_DIR/openssl.cnf spawn "$NET_RUN_DIR/nginx.log" nginx -c "$NET_RUN_DIR/nginx/nginx.conf" -e "$NET_RUN_DIR/nginx.log" >/dev/null
}

# One s_server per host whose profile nginx cannot serve.
start_sservers() {
  local line index=0 pki=$NET_RUN_DIR/pki options=()
  for line in "${WEB_HOSTS[@]}"; do
    index=$((index + 1))
    web_host_parse "$line"
    [[ $HOST_SERVER == sserver:* ]] || continue
    case ${HOST_SERVER#*:} in
      # nginx refuses every renegotiation; s_server allows a client's when asked to.
      client-reneg) options=(-tls1_2 -client_renegotiation) ;;
      *) net_die "unknown s_server profile ${HOST_SERVER#*:}" ;;
    esac
    spawn "$NET_RUN_DIR/sserver-$HOST_NAME.log" openssl s_server -quiet -www \
      -accept "$(web_host_v4 "$index"):443" -cert "$pki/$HOST_NAME.leaf.pem" -cert_chain "$pki/intermediate.pem" \
      -key "$pki/$HOST_NAME.key" "${options[@]}" >"$NET_RUN_DIR/sserver-$HOST_NAME.pid"
  done
}

# A Node that runs TypeScript directly (22.18 or newer): the repository's own
# (.tools/node, from scripts/node-env.sh) or the one on PATH.
find_node() { lab_find_node web-lab; }

start_hostile() {
  local line index=0 first=1 pki=$NET_RUN_DIR/pki kind
  {
    printf '{ "pidFile": "%s/hostile.pid", "hosts": [\n' "$NET_RUN_DIR"
    for line in "${WEB_HOSTS[@]}"; do
      index=$((index + 1))
      web_host_parse "$line"
      kind=${HOST_SERVER%%:*}
      [[ $kind == hostile || $kind == script ]] || continue
      [[ $first -eq 1 ]] || printf ',\n'
      first=0
      printf '  { "name": "%s", "kind": "%s", "mode": "%s", "address": "%s", "cert": "%s/%s.pem", "key": "%s/%s.key" }' \
        "$HOST_NAME" "$kind" "${HOST_SERVER#*:}" "$(web_host_v4 "$index")" "$pki" "$HOST_NAME" "$pki" "$HOST_NAME"
    done
    printf '\n] }\n'
  } >"$NET_RUN_DIR/hostile.json"
  spawn "$NET_RUN_DIR/hostile.log" "$(find_node)" "$LAB_NET_DIR/hostile-server.ts" "$NET_RUN_DIR/hostile.json" >/dev/null
}

# Every address:port that must accept a connection.
net_listeners() {
  local line index=0 v4
  for line in "${WEB_HOSTS[@]}"; do
    index=$((index + 1))
    web_host_parse "$line"
    v4=$(web_host_v4 "$index")
    case $HOST_SERVER in
      none) ;;
      nginx:http-only) echo "$v4 80" ;;
      *) echo "$v4 80"; echo "$v4 443" ;;
    esac
    web_host_has v6 && [[ $HOST_SERVER == nginx:* ]] && echo "$(web_host_v6 "$index") 80"
  done
  printf '%s 53\n' "${WEB_NS6[@]}"
}

net_wait_listening() { lab_wait_listening web-lab net_listeners "$1"; } # TIMEOUT

net_pids_alive() {
  local file pid
  for file in nginx hostile; do
    [[ -s $NET_RUN_DIR/$file.pid ]] || return 1
    read -r pid <"$NET_RUN_DIR/$file.pid"
    net_is_ours "$pid" || return 1
  done
  for file in "$NET_RUN_DIR"/sserver-*.pid; do
    [[ -e $file ]] || continue
    read -r pid <"$file"
    net_is_ours "$pid" || return 1
  done
}

# What makes one lab start: the DNS lab's keys (TLSA) and trust anchor.
net_generation() { cat "$DNS_RUN_DIR/root-anchor.ds" "$WEB_KEYS_DIR/ec.key" 2>/dev/null | sha256sum | cut -d' ' -f1; }
