# shellcheck shell=bash
# The web lab's nginx: one master (Debian's nginx, `daemon off`, its own
# config, pid and logs in run/nginx/) with a pair of server blocks per host
# (port 80 and 443) on the host's own addresses. Profiles (hosts.sh) differ
# in TLS settings, headers, redirects and content.

GOOD_CIPHERS="ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256"
SECURITY_HEADERS=(
  'Strict-Transport-Security "max-age=31536000"'
  'X-Frame-Options "DENY"'
  'X-Content-Type-Options "nosniff"'
  'Referrer-Policy "no-referrer"'
  "Content-Security-Policy \"default-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'\""
)

nginx_content() {
  local www=$NET_RUN_DIR/www expires past
  mkdir -p "$www/default/.well-known" "$www/v6/.well-known" "$www/expired-sectxt/.well-known" "$www/no-sectxt"
  expires=$(date -u -d '+180 days' +%Y-%m-%dT%H:%M:%SZ)
  past=$(date -u -d '-30 days' +%Y-%m-%dT%H:%M:%SZ)
  # Long enough that gzip is worth it (nginx compresses from gzip_min_length).
  {
    printf '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Baseline web lab</title></head><body>\n'
    for i in $(seq 40); do printf '<p>Baseline web lab, paragraph %d: the same content over IPv4 and IPv6.</p>\n' "$i"; done
    printf '</body></html>\n'
  } >"$www/default/index.html"
  cp "$www/default/index.html" "$www/no-sectxt/index.html"
  cp "$www/default/index.html" "$www/expired-sectxt/index.html"
  {
    printf '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Something else</title></head><body>\n'
    for i in $(seq 40); do printf '<div>An entirely different page %d, served only over IPv6 by v6-different.</div>\n' "$((i * 7))"; done
    printf '</body></html>\n'
  } >"$www/v6/index.html"
  printf 'Contact: mailto:security@web.secure\nExpires: %s\nEncryption: https://web.secure/pgp-key.txt\nPreferred-Languages: en\n' "$expires" >"$www/default/.well-known/security.txt"
  cp "$www/default/.well-known/security.txt" "$www/v6/.well-known/security.txt"
  printf 'Contact: mailto:security@web.secure\nExpires: %s\n' "$past" >"$www/expired-sectxt/.well-known/security.txt"
}

# The TLS part of a 443 server block for PROFILE.
nginx_tls_settings() {
  local profile=$1 name=$2 pki=$NET_RUN_DIR/pki
  printf '    ssl_certificate %s/%s.pem;\n    ssl_certificate_key %s/%s.key;\n' "$pki" "$name" "$pki" "$name"
  # Tickets only where 0-RTT needs them (they would only add noise elsewhere).
  [[ $profile == zero-rtt ]] && printf '    ssl_session_tickets on;\n' || printf '    ssl_session_tickets off;\n'
  printf '    ssl_ecdh_curve X25519:prime256v1:secp384r1;\n'
  # The client's order wins on client-order, which mixes good with phase-out (CBC) suites.
  [[ $profile == client-order ]] && printf '    ssl_prefer_server_ciphers off;\n' || printf '    ssl_prefer_server_ciphers on;\n'
  case $profile in
    tls10)
      # TLS 1.0 needs SHA-1 in its handshake signatures: security level 0.
      printf '    ssl_protocols TLSv1;\n    ssl_ciphers "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0";\n' ;;
    rsa-kx)
      printf '    ssl_protocols TLSv1.2;\n    ssl_ciphers "AES256-GCM-SHA384:AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=2";\n' ;;
    client-order)
      printf '    ssl_protocols TLSv1.2;\n'
      printf '    ssl_ciphers "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:@SECLEVEL=2";\n' ;;
    ffdhe2048)
      printf '    ssl_protocols TLSv1.2;\n    ssl_ciphers "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=2";\n'
      printf '    ssl_dhparam %s/ffdhe2048.pem;\n' "$pki" ;;
    sha1-sigalg)
      printf '    ssl_protocols TLSv1.2;\n    ssl_ciphers "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0";\n'
      printf '    ssl_conf_command SignatureAlgorithms "RSA+SHA256:RSA-PSS+SHA256:RSA+SHA1";\n' ;;
    no-ems)
      printf '    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers "%s:@SECLEVEL=2";\n' "$GOOD_CIPHERS"
      printf '    ssl_conf_command Options -ExtendedMasterSecret;\n' ;;
    weak-key | sha1-cert)
      printf '    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers "%s:@SECLEVEL=0";\n' "$GOOD_CIPHERS" ;;
    zero-rtt)
      printf '    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers "%s:@SECLEVEL=2";\n' "$GOOD_CIPHERS"
      printf '    ssl_early_data on;\n' ;;
    ocsp | ocsp-revoked)
      printf '    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers "%s:@SECLEVEL=2";\n' "$GOOD_CIPHERS"
      printf '    ssl_stapling on;\n    ssl_stapling_file %s/%s.ocsp.der;\n' "$pki" "$name" ;;
    *)
      printf '    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers "%s:@SECLEVEL=2";\n' "$GOOD_CIPHERS" ;;
  esac
}

# The HTTP part (headers and content) of a 443 server block for PROFILE.
nginx_http_settings() {
  local profile=$1 root=$2 header
  printf '    root %s;\n' "$root"
  printf '    location = /.well-known/security.txt { types { } default_type "text/plain; charset=utf-8"; }\n'
  case $profile in
    no-security-txt) printf '    location = /security.txt { return 404; }\n' ;;
    gzip) printf '    gzip on;\n    gzip_min_length 20;\n    gzip_types text/plain;\n' ;;
  esac
  case $profile in
    no-headers) printf '    add_header Strict-Transport-Security "max-age=31536000" always;\n'; return ;;
    bad-headers)
      printf '    add_header Strict-Transport-Security "max-age=31536000" always;\n'
      printf '    add_header X-Frame-Options "ALLOWALL" always;\n    add_header X-Content-Type-Options "sniff" always;\n'
      printf '    add_header Referrer-Policy "unsafe-url" always;\n'
      printf "    add_header Content-Security-Policy \"default-src * 'unsafe-inline' 'unsafe-eval'\" always;\n"
      return ;;
  esac
  for header in "${SECURITY_HEADERS[@]}"; do
    case $profile:$header in
      hsts-short:Strict-Transport-Security*) printf '    add_header Strict-Transport-Security "max-age=300" always;\n' ;;
      no-hsts:Strict-Transport-Security*) ;;
      *) printf '    add_header %s always;\n' "$header" ;;
    esac
  done
}

nginx_listen() { # PORT SSL ADDRESS...
  local port=$1 ssl=$2 addr
  shift 2
  for addr in "$@"; do
    [[ $addr == *:* ]] && addr="[$addr]"
    printf '    listen %s:%s%s;\n' "$addr" "$port" "$ssl"
  done
}

nginx_host_blocks() { # INDEX
  local index=$1 name=$HOST_NAME profile=${HOST_SERVER#*:} v4 v6="" addrs root=$NET_RUN_DIR/www/default
  v4=$(web_host_v4 "$index")
  web_host_has v6 && v6=$(web_host_v6 "$index")
  addrs=("$v4")
  [[ -n $v6 ]] && addrs+=("$v6")
  case $profile in
    no-security-txt) root=$NET_RUN_DIR/www/no-sectxt ;;
    security-txt-expired) root=$NET_RUN_DIR/www/expired-sectxt ;;
  esac
  # Port 80.
  printf 'server {\n'
  nginx_listen 80 "" "${addrs[@]}"
  web_host_has v6diff && nginx_listen 80 "" "$(web_host_v6 "$index")"
  printf '    server_name %s;\n' "$name"
  case $profile in
    http-only | no-redirect) printf '    root %s;\n' "$root" ;;
    redirect-elsewhere) printf '    location / { return 301 https://good.web.secure$request_uri; }\n' ;;
    *) printf '    location / { return 301 https://%s$request_uri; }\n' "$name" ;;
  esac
  printf '}\n'
  [[ $profile == http-only ]] && return 0
  # Port 443.
  printf 'server {\n'
  nginx_listen 443 " ssl" "${addrs[@]}"
  printf '    server_name %s;\n' "$name"
  nginx_tls_settings "$profile" "$name"
  nginx_http_settings "$profile" "$root"
  printf '}\n'
  if web_host_has v6diff; then
    # The same name over IPv6, with other content.
    printf 'server {\n'
    nginx_listen 443 " ssl" "$(web_host_v6 "$index")"
    printf '    server_name %s;\n' "$name"
    nginx_tls_settings "$profile" "$name"
    nginx_http_settings "$profile" "$NET_RUN_DIR/www/v6"
    printf '}\n'
  fi
}

nginx_write_config() {
  local dir=$NET_RUN_DIR/nginx line index=0
  mkdir -p "$dir/tmp"
  nginx_content
  {
    printf 'daemon off;\nmaster_process on;\nworker_processes 2;\npid %s/nginx.pid;\n' "$NET_RUN_DIR"
    printf 'error_log %s/nginx.log warn;\nevents { worker_connections 4096; }\n' "$NET_RUN_DIR"
    printf 'http {\n    access_log off;\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n'
    printf '    server_tokens off;\n    keepalive_timeout 10s;\n    server_names_hash_bucket_size 128;\n'
    printf '    client_body_temp_path %s/tmp/body;\n    proxy_temp_path %s/tmp/proxy;\n' "$dir" "$dir"
    printf '    fastcgi_temp_path %s/tmp/fastcgi;\n    uwsgi_temp_path %s/tmp/uwsgi;\n    scgi_temp_path %s/tmp/scgi;\n' "$dir" "$dir" "$dir"
    for line in "${WEB_HOSTS[@]}"; do
      index=$((index + 1))
      web_host_parse "$line"
      [[ $HOST_SERVER == nginx:* ]] && nginx_host_blocks "$index"
      # Hosts served by s_server or the scripted servers still get port 80 from nginx.
      if [[ $HOST_SERVER == sserver:* || $HOST_SERVER == script:* ]]; then
        printf 'server {\n'
        nginx_listen 80 "" "$(web_host_v4 "$index")"
        printf '    server_name %s;\n    location / { return 301 https://%s$request_uri; }\n}\n' "$HOST_NAME" "$HOST_NAME"
      fi
    done
    # The mail lab's MTA-STS policy hosts (lab/mail/start.sh writes them and reloads nginx).
    printf '    include %s/mail/run/nginx/*.conf;\n' "$LAB_DIR"
    printf '}\n'
  } >"$dir/nginx.conf"
}
