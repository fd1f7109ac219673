# shellcheck shell=bash
# The web lab's host registry: every host name a web case uses, the server
# that answers for it, and the DNS records it gets. Sourced by the DNS lab's
# zones.sh (which writes the records into the signed web zones) and by
# lab/net/start.sh (which starts the servers), so both read one list.
#
# One line per host: NAME SERVER [OPTION...]
#   NAME    the host name without the trailing dot; it lives in the web zone
#           that is its longest suffix (web.secure, web.insecure, web.bogus,
#           or one of the small zones below web.secure for the NS cases)
#   SERVER  nginx:PROFILE   a server block of the lab's nginx (lib/nginx.sh)
#           sserver:PROFILE an `openssl s_server` of its own (lib/servers.sh)
#           hostile:MODE    lab/net/hostile-server.ts (HTTP/TLS misbehaviour)
#           script:MODE     lab/net/hostile-server.ts, scripted TLS answers
#                           that Debian's OpenSSL cannot make (compression,
#                           no renegotiation_info, a post-quantum key share)
#           none            nothing listens (zones only)
#   OPTION  v6        AAAA fd00:5a5a::N, served like the IPv4 address
#           v6dead    AAAA fd00:5a5a::N, on lo but nothing listens there
#           v6diff    AAAA fd00:5a5a::N, served with different content
#           caa       CAA 0 issue "ca.lab" at the name
#           caabad    a CAA set with an unknown critical property (RFC 8659 §4.1)
#           tlsa      _443._tcp TLSA 3 1 1 of the leaf's key (DANE-EE, SPKI, SHA-256)
#           tlsabad   _443._tcp TLSA 3 1 1 of a key the server does not use
#           key=K     the leaf's key: ec (P-256, default), rsa2048, rsa1024
#           addr=A    IPv4 address instead of 127.54.0.N (the RPKI cases)
#
# N is the line's place in the list (1-based): host N listens on 127.54.0.N
# (and fd00:5a5a::N in hex when it has an AAAA).
WEB_HOSTS=(
  # The apex of the signed web zone: two name servers with AAAA, reachable over IPv6.
  # No CAA here: a CAA set at the apex would apply to every name below (RFC 8659 §3).
  "web.secure nginx:good v6 tlsa"
  # Everything right.
  "good.web.secure nginx:good v6 caa tlsa"
  # IPv6
  "v4only.web.secure nginx:good caa"
  "v6-unreachable.web.secure nginx:good v6dead"
  "v6-different.web.secure nginx:good v6diff"
  # HTTPS, redirects, HSTS, HTTP compression
  "no-https.web.secure nginx:http-only v6"
  "no-redirect.web.secure nginx:no-redirect v6"
  "redirect-elsewhere.web.secure nginx:redirect-elsewhere v6"
  "hsts-short.web.secure nginx:hsts-short v6"
  "no-hsts.web.secure nginx:no-hsts v6"
  "gzip.web.secure nginx:gzip v6"
  # Certificates
  "self-signed.web.secure nginx:self-signed"
  "expired-cert.web.secure nginx:expired-cert"
  "wrong-host.web.secure nginx:wrong-host"
  "incomplete-chain.web.secure nginx:incomplete-chain"
  "rsa1024.web.secure nginx:weak-key key=rsa1024"
  "sha1-cert.web.secure nginx:sha1-cert"
  # TLS
  "tls10.web.secure nginx:tls10"
  "rsa-kx.web.secure nginx:rsa-kx key=rsa2048"
  "client-order.web.secure nginx:client-order"
  "ffdhe2048.web.secure nginx:ffdhe2048 key=rsa2048"
  "sha1-sigalg.web.secure nginx:sha1-sigalg key=rsa2048"
  "no-ems.web.secure nginx:no-ems"
  "client-reneg.web.secure sserver:client-reneg"
  "zero-rtt.web.secure nginx:zero-rtt"
  "ocsp.web.secure nginx:ocsp"
  "ocsp-revoked.web.secure nginx:ocsp-revoked"
  "compression.web.secure script:compression"
  "no-secure-reneg.web.secure script:no-secure-reneg"
  "pq.web.secure script:pq"
  # Security headers and security.txt
  "no-headers.web.secure nginx:no-headers"
  "bad-headers.web.secure nginx:bad-headers"
  "no-security-txt.web.secure nginx:no-security-txt"
  "security-txt-expired.web.secure nginx:security-txt-expired"
  # CAA and DANE
  "no-caa.web.secure nginx:good"
  "caa-bad.web.secure nginx:good caabad"
  "dane-bad.web.secure nginx:good tlsabad"
  "no-dane.web.secure nginx:good caa"
  # RPKI (lab/net/rpki/): valid is every other host; these two are not
  "rpki-invalid.web.secure nginx:good addr=127.54.200.1"
  "rpki-notfound.web.secure nginx:good addr=127.54.201.1"
  # DNSSEC: the same good server, named in an unsigned and in a bogus zone
  "good.web.insecure nginx:good"
  "good.web.bogus nginx:good"
  # Name servers: zones whose NS have no AAAA, or an AAAA where nothing answers
  "ns-no-aaaa.web.secure nginx:good"
  "ns-v6-dead.web.secure nginx:good"
  # Hostile servers (hostile-server.ts): each misbehaves on 80 and 443
  "silent.web.secure hostile:silent"
  "slow-headers.web.secure hostile:slow-headers"
  "redirect-loop.web.secure hostile:redirect-loop"
  "huge-header.web.secure hostile:huge-header"
  "garbage-tls.web.secure hostile:garbage-tls"
  "alert-tls.web.secure hostile:alert-tls"
  "huge-chain.web.secure nginx:huge-chain"
  "huge-security-txt.web.secure hostile:huge-security-txt"
  "bad-utf8.web.secure hostile:bad-utf8"
)

# The web zones, and the address plan of their name servers.
WEB_ZONES=(web.secure. web.insecure. web.bogus. ns-no-aaaa.web.secure. ns-v6-dead.web.secure.)
WEB_V4_NET=127.54.0
WEB_V6_NET=fd00:5a5a:
WEB_NS6=(fd00:5a5a::53:1 fd00:5a5a::53:2) # web.secure's ns and ns2 (nsd-web, IP_FREEBIND)
WEB_NS6_DEAD=fd00:5a5a::53:99               # ns-v6-dead.web.secure's NS: on lo, nothing listens

# web_host_field LINE -> sets HOST_NAME HOST_SERVER HOST_OPTIONS (" a b ")
web_host_parse() {
  local rest
  read -r HOST_NAME HOST_SERVER rest <<<"$1"
  HOST_OPTIONS=" ${rest:-} "
}
web_host_has() { [[ $HOST_OPTIONS == *" $1 "* ]]; }
web_host_value() { # KEY DEFAULT
  local word
  for word in $HOST_OPTIONS; do
    [[ $word == "$1="* ]] && { printf '%s\n' "${word#*=}"; return; }
  done
  printf '%s\n' "$2"
}
web_host_v4() { # INDEX
  local addr
  addr=$(web_host_value addr "")
  [[ -n $addr ]] && echo "$addr" || echo "$WEB_V4_NET.$1"
}
web_host_v6() { printf '%s:%x\n' "$WEB_V6_NET" "$1"; }
web_host_has_v6() { web_host_has v6 || web_host_has v6dead || web_host_has v6diff; }
web_host_zone() { # NAME -> the web zone that holds it
  local zone best=""
  for zone in "${WEB_ZONES[@]}"; do
    if [[ "$1." == "$zone" || "$1." == *".$zone" ]] && [[ ${#zone} -gt ${#best} ]]; then best=$zone; fi
  done
  echo "$best"
}

# Leaf keys, made once per DNS lab start in the DNS lab's run/ (its zones
# carry TLSA records of them); lab/net/start.sh issues its certificates for
# these keys, so one DNS start and any number of web starts agree.
web_keys_dir() { echo "${WEB_KEYS_DIR:-$RUN_DIR/web-keys}"; }
web_keys_ensure() {
  local dir
  dir=$(web_keys_dir)
  [[ -s $dir/rsa1024.key ]] && return 0
  mkdir -p "$dir"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ec.key" 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/unused.key" 2>/dev/null
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/rsa2048.key" 2>/dev/null
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$dir/rsa1024.key" 2>/dev/null
}
# SHA-256 of a key's SubjectPublicKeyInfo: TLSA selector 1, matching type 1.
web_spki_sha256() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }

# The records of one web zone (called from zones.sh zone_specific_records).
web_zone_records() {
  local zone=$1 line index=0 name owner key
  web_keys_ensure
  case $zone in
    web.secure.)
      # Two name servers with AAAA (nsd-web listens there with IP_FREEBIND;
      # lab/net/start.sh puts the addresses on lo). The benchmark's zone is
      # delegated, unsigned, into its network namespace (bench/web-throughput.ts).
      printf 'ns AAAA %s\n@ NS ns2\nns2 A 127.53.6.2\nns2 AAAA %s\n' "${WEB_NS6[0]}" "${WEB_NS6[1]}"
      printf 'bench NS ns.bench\nns.bench A 10.254.0.2\n'
      ;;
    ns-v6-dead.web.secure.) printf 'ns AAAA %s\n' "$WEB_NS6_DEAD" ;;
  esac
  for line in "${WEB_HOSTS[@]}"; do
    index=$((index + 1))
    web_host_parse "$line"
    name=$HOST_NAME
    [[ $(web_host_zone "$name") == "$zone" ]] || continue
    owner="$name."
    printf '%s A %s\n' "$owner" "$(web_host_v4 "$index")"
    web_host_has_v6 && printf '%s AAAA %s\n' "$owner" "$(web_host_v6 "$index")"
    web_host_has caa && printf '%s CAA 0 issue "ca.lab"\n%s CAA 0 iodef "mailto:security@web.secure"\n' "$owner" "$owner"
    web_host_has caabad && printf '%s CAA 0 issue "ca.lab"\n%s CAA 128 tbs "unknown critical property"\n' "$owner" "$owner"
    key=$(web_keys_dir)/$(web_host_value key ec).key
    web_host_has tlsa && printf '_443._tcp.%s TLSA 3 1 1 %s\n' "$owner" "$(web_spki_sha256 "$key")"
    web_host_has tlsabad && printf '_443._tcp.%s TLSA 3 1 1 %s\n' "$owner" "$(web_spki_sha256 "$(web_keys_dir)/unused.key")"
  done
  return 0
}
