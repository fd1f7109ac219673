# shellcheck shell=bash
# The mail lab's other processes: the hostile SMTP server and the MTA-STS
# policy hosts (server blocks that the web lab's nginx includes from
# run/nginx/), and the health checks.

mail_find_node() { lab_find_node mail-lab; }

mail_start_hostile() {
  local line index=0 first=1
  {
    printf '{ "pidFile": "%s/hostile.pid", "hosts": [\n' "$MAIL_RUN_DIR"
    for line in "${MAIL_HOSTS[@]}"; do
      index=$((index + 1))
      mail_host_parse "$line"
      [[ $HOST_SERVER == hostile:* ]] || continue
      [[ $first -eq 1 ]] || printf ',\n'
      first=0
      printf '  { "name": "%s", "mode": "%s", "address": "%s" }' "$HOST_NAME" "${HOST_SERVER#*:}" "$(mail_host_v4 "$index")"
    done
    printf '\n] }\n'
  } >"$MAIL_RUN_DIR/hostile.json"
  setsid "$(mail_find_node)" "$LAB_MAIL_DIR/hostile-smtp.ts" "$MAIL_RUN_DIR/hostile.json" \
    </dev/null >>"$MAIL_RUN_DIR/hostile.log" 2>&1 7>&- 8>&- 9>&- &
}

# One server block per MTA-STS policy host, on 127.55.1.N:443, serving
# /.well-known/mta-sts.txt (RFC 8461 §3.3: text/plain).
mail_write_sts() {
  local dir=$MAIL_RUN_DIR/nginx line index=0 pki=$MAIL_RUN_DIR/pki
  mkdir -p "$dir/sts"
  for line in "${MAIL_DOMAINS[@]}"; do
    index=$((index + 1))
    mail_domain_parse "$line"
    [[ $(mail_domain_value sts enforce) != absent ]] || continue
    mail_sts_policy >"$dir/sts/$DOMAIN_NAME.txt"
    cat >"$dir/mta-sts-$DOMAIN_NAME.conf" <<CONF
server {
    listen $MAIL_STS_NET.$index:443 ssl;
    server_name mta-sts.$DOMAIN_NAME;
    ssl_certificate $pki/mta-sts.pem;
    ssl_certificate_key $pki/mta-sts.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20:@SECLEVEL=2;
    location = /.well-known/mta-sts.txt {
        default_type text/plain;
        alias $dir/sts/$DOMAIN_NAME.txt;
    }
    location / { return 404; }
}
CONF
  done
  chmod -R a+rX "$dir"
}

# Every address:port that must accept a connection.
mail_listeners() {
  local line index=0
  for line in "${MAIL_HOSTS[@]}"; do
    index=$((index + 1))
    mail_host_parse "$line"
    case $HOST_SERVER in
      none) ;;
      postfix:*)
        echo "$(mail_host_v4 "$index") 25"
        mail_host_has v6 && echo "$(mail_host_v6 "$index") 25"
        ;;
      *) echo "$(mail_host_v4 "$index") 25" ;;
    esac
  done
  index=0
  for line in "${MAIL_DOMAINS[@]}"; do
    index=$((index + 1))
    mail_domain_parse "$line"
    [[ $(mail_domain_value sts enforce) != absent ]] && echo "$MAIL_STS_NET.$index 443"
  done
  return 0
}

mail_wait_listening() { lab_wait_listening mail-lab mail_listeners "$1"; } # TIMEOUT

mail_pids_alive() {
  local file pid
  for file in postfix hostile; do
    [[ -s $MAIL_RUN_DIR/$file.pid ]] || return 1
    read -r pid <"$MAIL_RUN_DIR/$file.pid"
    mail_is_ours "$pid" || return 1
  done
}

# What makes one mail lab start: the DNS lab's keys and the web lab's CA.
mail_generation() { cat "$DNS_RUN_DIR/root-anchor.ds" "$MAIL_KEYS_DIR/ec.key" "$NET_RUN_DIR/ca.pem" 2>/dev/null | sha256sum | cut -d' ' -f1; }
