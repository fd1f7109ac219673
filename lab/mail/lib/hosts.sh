# shellcheck shell=bash
# The mail lab's registry: every mail domain a case uses, the MX hosts that
# receive its mail (and the server answering on their port 25), and the DNS
# records both get. Sourced by the DNS lab's zones.sh (which writes the
# records into the mail zones) and by lab/mail/start.sh (which starts the
# servers), so both read one list.
#
# MX hosts, one line each: NAME SERVER [OPTION...]
#   SERVER  postfix:PROFILE  an smtpd listener of the lab's Postfix (lib/postfix.sh)
#           hostile:MODE     lab/mail/hostile-smtp.ts
#           none             nothing listens on port 25
#   OPTION  v6       AAAA fd00:5a5c::N, Postfix listens there too
#           v6dead   AAAA fd00:5a5c::N, on lo but nothing listens
#           tlsa     _25._tcp TLSA 3 1 1 of the host's key
#           tlsa2    the same plus 3 1 1 of the next key (a rollover in progress)
#           tlsabad  _25._tcp TLSA 3 1 1 of a key the server does not use
#           key=K    the host's key: ec (P-256, default), rsa2048, rsa1024
#           addr=A   IPv4 address instead of 127.55.0.N (the RPKI cases)
# Host N (1-based place in the list) listens on 127.55.0.N and fd00:5a5c::N.
MAIL_HOSTS=(
  "mx.good.mail.secure postfix:good v6 tlsa2"
  "mx.tls10.mail.secure postfix:tls10 v6 tlsa"
  "mx.no-starttls.mail.secure postfix:no-starttls v6"
  "mx.self-signed.mail.secure postfix:self-signed v6 tlsa"
  "mx.dane-bad.mail.secure postfix:good v6 tlsabad"
  "mx.dane-one.mail.secure postfix:good v6 tlsa"
  "mx.no-dane.mail.secure postfix:good v6"
  "mx.rsa-kx.mail.secure postfix:rsa-kx v6 tlsa key=rsa2048"
  "mx.client-order.mail.secure postfix:client-order v6 tlsa"
  "mx.dh1024.mail.secure postfix:dh1024 v6 tlsa key=rsa2048"
  "mx.v4only.mail.secure postfix:good tlsa"
  "mx.v6dead.mail.secure postfix:good v6dead tlsa"
  "mx.rpki-invalid.mail.secure postfix:good tlsa addr=127.55.200.1"
  "mx.rpki-notfound.mail.secure postfix:good tlsa addr=127.55.201.1"
  "mx.good.mail.insecure postfix:good v6"
  "mx.good.mail.bogus postfix:good v6"
  "mx.wrong-name.mail.secure postfix:wrong-name v6"
  "mx.rsa1024.mail.secure postfix:weak-key v6 key=rsa1024"
  "mx.sha1-cert.mail.secure postfix:sha1-cert v6"
  "mx.client-reneg.mail.secure postfix:client-reneg v6"
  "mx.no-ems.mail.secure postfix:no-ems v6"
  # Hostile SMTP servers (lab/mail/hostile-smtp.ts)
  "mx.slow-banner.mail.secure hostile:slow-banner"
  "mx.busy.mail.secure hostile:busy"
  "mx.starttls-refused.mail.secure hostile:starttls-refused"
  "mx.endless-reply.mail.secure hostile:endless-reply"
  "mx.reset.mail.secure hostile:reset"
  "mx.tls-compression.mail.secure hostile:compression"
  "mx.no-secure-reneg.mail.secure hostile:no-secure-reneg"
  "mx.pq.mail.secure hostile:pq"
)

# Mail domains, one line each: NAME [OPTION...]
#   mx=H[,H]   MX records (preference 10, 20, ...); default mx.NAME
#   nullmx     MX 0 . (RFC 7505) instead
#   nomx       no MX at all
#   spf=P      good ("v=spf1 mx -all", default), plusall, lookups (11 includes),
#              void (3 void lookups), softall (~all), none
#   dmarc=P    reject (default, rua to the domain itself), none (p=none), absent
#   dkim=no    no DKIM selector (default: lab._domainkey with a 2048-bit RSA key)
#   sts=P      enforce (default: mode enforce, the MX covered), none (mode none),
#              mismatch (enforce, but the policy names another MX), absent
#   tlsrpt=P   yes (default), bad (no rua), absent
# Domain N (1-based) gets its MTA-STS policy host mta-sts.NAME on 127.55.1.N
# (port 443 of the web lab's nginx, certificate from the web lab's CA).
MAIL_DOMAINS=(
  "good.mail.secure"
  "tls10.mail.secure"
  "no-starttls.mail.secure"
  "self-signed.mail.secure"
  "dane-bad.mail.secure"
  "dane-one.mail.secure"
  "no-dane.mail.secure"
  "rsa-kx.mail.secure"
  "client-order.mail.secure"
  "dh1024.mail.secure"
  "v4only.mail.secure"
  "v6dead.mail.secure"
  "rpki-invalid.mail.secure"
  "rpki-notfound.mail.secure"
  "wrong-name.mail.secure"
  "rsa1024.mail.secure"
  "sha1-cert.mail.secure"
  "client-reneg.mail.secure"
  "no-ems.mail.secure"
  "good.mail.insecure"
  "good.mail.bogus"
  "mx-insecure.mail.secure mx=mx.good.mail.insecure"
  "mx-bogus.mail.secure mx=mx.good.mail.bogus"
  "sts-none.mail.secure mx=mx.good.mail.secure sts=none"
  "sts-mismatch.mail.secure mx=mx.good.mail.secure sts=mismatch"
  "spf-plusall.mail.secure mx=mx.good.mail.secure spf=plusall"
  "spf-softall.mail.secure mx=mx.good.mail.secure spf=softall"
  "spf-lookups.mail.secure mx=mx.good.mail.secure spf=lookups"
  "spf-void.mail.secure mx=mx.good.mail.secure spf=void"
  "dmarc-none.mail.secure mx=mx.good.mail.secure dmarc=none"
  "no-auth.mail.secure mx=mx.good.mail.secure spf=none dmarc=absent dkim=no sts=absent tlsrpt=absent"
  "tlsrpt-bad.mail.secure mx=mx.good.mail.secure tlsrpt=bad"
  "null-mx.mail.secure nullmx dkim=no sts=absent tlsrpt=absent"
  "slow-banner.mail.secure"
  "busy.mail.secure"
  "starttls-refused.mail.secure"
  "endless-reply.mail.secure"
  "reset.mail.secure"
  "tls-compression.mail.secure"
  "no-secure-reneg.mail.secure"
  "pq.mail.secure"
)

MAIL_ZONES=(mail.secure. mail.insecure. mail.bogus.)
MAIL_V4_NET=127.55.0
MAIL_STS_NET=127.55.1
MAIL_V6_NET=fd00:5a5c:
MAIL_NS6=fd00:5a5a::53:1 # mail.secure's NS over IPv6: nsd-web's addresses (the web lab puts them on lo)
MAIL_NS6_2=fd00:5a5a::53:2
MAIL_DKIM_SELECTOR=lab
MAIL_STS_ID=20261207

mail_host_parse() { # LINE -> HOST_NAME HOST_SERVER HOST_OPTIONS (" a b ")
  local rest
  read -r HOST_NAME HOST_SERVER rest <<<"$1"
  HOST_OPTIONS=" ${rest:-} "
}
mail_host_has() { [[ $HOST_OPTIONS == *" $1 "* ]]; }
mail_host_value() { # KEY DEFAULT
  local word
  for word in $HOST_OPTIONS; do
    [[ $word == "$1="* ]] && { printf '%s\n' "${word#*=}"; return; }
  done
  printf '%s\n' "$2"
}
mail_host_v4() { # INDEX
  local addr
  addr=$(mail_host_value addr "")
  [[ -n $addr ]] && echo "$addr" || echo "$MAIL_V4_NET.$1"
}
mail_host_v6() { printf '%s:%x\n' "$MAIL_V6_NET" "$1"; }
mail_host_has_v6() { mail_host_has v6 || mail_host_has v6dead; }

mail_domain_parse() { # LINE -> DOMAIN_NAME DOMAIN_OPTIONS
  local rest
  read -r DOMAIN_NAME rest <<<"$1"
  DOMAIN_OPTIONS=" ${rest:-} "
}
mail_domain_value() { # KEY DEFAULT
  local word
  for word in $DOMAIN_OPTIONS; do
    [[ $word == "$1="* ]] && { printf '%s\n' "${word#*=}"; return; }
  done
  printf '%s\n' "$2"
}
mail_domain_has() { [[ $DOMAIN_OPTIONS == *" $1 "* ]]; }
mail_domain_mx() { # the domain's MX host names, one a line (none for nullmx/nomx)
  mail_domain_has nullmx && return 0
  mail_domain_has nomx && return 0
  mail_domain_value mx "mx.$DOMAIN_NAME" | tr ',' '\n'
}

mail_zone_of() { # NAME -> the mail zone that holds it
  local zone best=""
  for zone in "${MAIL_ZONES[@]}"; do
    if [[ "$1." == "$zone" || "$1." == *".$zone" ]] && [[ ${#zone} -gt ${#best} ]]; then best=$zone; fi
  done
  echo "$best"
}

# Keys, made once per DNS lab start in the DNS lab's run/mail-keys/ (TLSA and
# DKIM records name them); lab/mail/start.sh issues certificates for them.
mail_keys_dir() { echo "${MAIL_KEYS_DIR:-$RUN_DIR/mail-keys}"; }
mail_keys_ensure() {
  local dir name
  dir=$(mail_keys_dir)
  mkdir -p "$dir"
  for name in ec next unused; do
    [[ -s $dir/$name.key ]] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key" 2>/dev/null
  done
  for name in rsa2048:2048 dkim:2048 rsa1024:1024; do
    [[ -s $dir/${name%:*}.key ]] || openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${name#*:}" -out "$dir/${name%:*}.key" 2>/dev/null
  done
  return 0
}
mail_spki_sha256() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }

# A TXT record's data split into quoted strings of at most 255 octets.
mail_txt() {
  local text=$1 out=""
  while [[ ${#text} -gt 250 ]]; do
    out+="\"${text:0:250}\" "
    text=${text:250}
  done
  printf '%s"%s"\n' "$out" "$text"
}

mail_spf_text() { # PRESET DOMAIN
  local i includes=""
  case $1 in
    good) echo "v=spf1 mx -all" ;;
    plusall) echo "v=spf1 +all" ;;
    softall) echo "v=spf1 mx ~all" ;;
    lookups)
      for i in $(seq 1 11); do includes+="include:i$i._spf.mail.secure "; done
      echo "v=spf1 ${includes}-all"
      ;;
    void) echo "v=spf1 a:void1.mail.secure a:void2.mail.secure a:void3.mail.secure mx -all" ;;
    none) ;;
    *) echo "unknown SPF preset $1" >&2; return 1 ;;
  esac
}

# The records of one mail zone (called from zones.sh zone_specific_records).
mail_zone_records() {
  local zone=$1 line index=0 owner key dir i mx pref policy_mx
  mail_keys_ensure
  dir=$(mail_keys_dir)
  # Which registry these zones were made from: lab/mail/start.sh restarts a DNS lab made from another.
  sha256sum <"${BASH_SOURCE[0]}" | cut -d' ' -f1 >"$dir/registry"
  case $zone in
    mail.secure.)
      # Two name servers with AAAA, as web.secure has (nsd-web listens on both).
      printf 'ns AAAA %s\n@ NS ns2\nns2 A 127.53.6.2\nns2 AAAA %s\n' "$MAIL_NS6" "$MAIL_NS6_2"
      # Targets of spf-lookups' includes: each a policy of its own (one lookup each).
      for i in $(seq 1 11); do printf 'i%s._spf TXT "v=spf1 -all"\n' "$i"; done
      # The mail throughput bench's zone, delegated (unsigned) into its network
      # namespace (bench/mail-throughput.ts); nothing answers unless it runs.
      printf 'bench NS ns.bench\nns.bench A 10.254.0.2\n'
      ;;
  esac
  for line in "${MAIL_HOSTS[@]}"; do
    index=$((index + 1))
    mail_host_parse "$line"
    [[ $(mail_zone_of "$HOST_NAME") == "$zone" ]] || continue
    owner="$HOST_NAME."
    printf '%s A %s\n' "$owner" "$(mail_host_v4 "$index")"
    mail_host_has_v6 && printf '%s AAAA %s\n' "$owner" "$(mail_host_v6 "$index")"
    key=$dir/$(mail_host_value key ec).key
    if mail_host_has tlsa || mail_host_has tlsa2; then
      printf '_25._tcp.%s TLSA 3 1 1 %s\n' "$owner" "$(mail_spki_sha256 "$key")"
    fi
    mail_host_has tlsa2 && printf '_25._tcp.%s TLSA 3 1 1 %s\n' "$owner" "$(mail_spki_sha256 "$dir/next.key")"
    mail_host_has tlsabad && printf '_25._tcp.%s TLSA 3 1 1 %s\n' "$owner" "$(mail_spki_sha256 "$dir/unused.key")"
  done
  index=0
  for line in "${MAIL_DOMAINS[@]}"; do
    index=$((index + 1))
    mail_domain_parse "$line"
    [[ $(mail_zone_of "$DOMAIN_NAME") == "$zone" ]] || continue
    owner="$DOMAIN_NAME."
    if mail_domain_has nullmx; then
      printf '%s MX 0 .\n' "$owner"
    else
      pref=10
      while read -r mx; do
        [[ -n $mx ]] || continue
        printf '%s MX %s %s.\n' "$owner" "$pref" "$mx"
        pref=$((pref + 10))
      done < <(mail_domain_mx)
    fi
    local spf
    if mail_domain_has nullmx; then spf="v=spf1 -all"; else spf=$(mail_spf_text "$(mail_domain_value spf good)" "$DOMAIN_NAME"); fi
    [[ -n $spf ]] && printf '%s TXT %s\n' "$owner" "$(mail_txt "$spf")"
    case $(mail_domain_value dmarc reject) in
      reject) printf '_dmarc.%s TXT "v=DMARC1; p=reject; rua=mailto:dmarc@%s"\n' "$owner" "$DOMAIN_NAME" ;;
      none) printf '_dmarc.%s TXT "v=DMARC1; p=none; rua=mailto:dmarc@%s"\n' "$owner" "$DOMAIN_NAME" ;;
    esac
    if [[ $(mail_domain_value dkim yes) == yes ]]; then
      printf '%s._domainkey.%s TXT %s\n' "$MAIL_DKIM_SELECTOR" "$owner" \
        "$(mail_txt "v=DKIM1; k=rsa; p=$(openssl pkey -in "$dir/dkim.key" -pubout -outform DER 2>/dev/null | base64 -w0)")"
    fi
    policy_mx=$(mail_domain_value sts enforce)
    if [[ $policy_mx != absent ]]; then
      printf '_mta-sts.%s TXT "v=STSv1; id=%s"\n' "$owner" "$MAIL_STS_ID"
      printf 'mta-sts.%s A %s.%s\n' "$owner" "$MAIL_STS_NET" "$index"
    fi
    case $(mail_domain_value tlsrpt yes) in
      yes) printf '_smtp._tls.%s TXT "v=TLSRPTv1; rua=mailto:tlsrpt@%s"\n' "$owner" "$DOMAIN_NAME" ;;
      bad) printf '_smtp._tls.%s TXT "v=TLSRPTv1;"\n' "$owner" ;;
    esac
  done
  return 0
}

# The MTA-STS policy text (RFC 8461 §3.2) of the parsed domain.
mail_sts_policy() {
  local mode=enforce mx
  case $(mail_domain_value sts enforce) in
    none) mode=none ;;
    mismatch) printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.elsewhere.mail.secure\r\nmax_age: 604800\r\n'; return ;;
  esac
  printf 'version: STSv1\r\nmode: %s\r\n' "$mode"
  while read -r mx; do [[ -n $mx ]] && printf 'mx: %s\r\n' "$mx"; done < <(mail_domain_mx)
  printf 'max_age: 604800\r\n'
}
