# shellcheck shell=bash
# The lab's DNS hierarchy: every zone, which server serves it, how it is
# signed, and what is deliberately wrong with it. Sourced by start.sh after
# lib/common.sh.
#
# One line per zone: NAME SERVER SIGNER [OPTION...]
#   SERVER  an id from SERVERS in lib/common.sh, or "absent" (delegated to an
#           address where nothing listens)
#   SIGNER  knot:ALG  knotd signs it itself (dnssec-signing: on, keys made
#                     beforehand with keymgr so that the parent can carry DS)
#           ldns:ALG  ldns-keygen + ldns-signzone sign it before NSD loads it
#           unsigned  served as is
#   OPTION  nsec3     NSEC3 (iterations 0, no salt, RFC 9276) instead of NSEC
#           optout    NSEC3 opt-out (RFC 5155 §6): unsigned delegations get no NSEC3
#           csk       one combined signing key instead of a KSK/ZSK pair
#           ds=2|4|2,4  digest types of the DS in the parent (default 2)
#           fault=F   a defect that makes the zone bogus or insecure (see apply_fault)
#
# A zone and its parent never share a server: a server that holds both would
# answer for the child itself and hide the delegation from the resolver.
ZONES=(
  ". knot-root knot:8"
  "lab. knot-root knot:13 ds=2,4"
  "secure. knot-tld knot:13"
  "insecure. knot-tld knot:8"
  "bogus. nsd-tld ldns:13"

  # One zone per signing algorithm (RFC 8624), alternating the implementations.
  "rsasha256.secure. nsd-sld ldns:8"
  "rsasha512.secure. knot-sld knot:10"
  "ecdsap256.secure. nsd-sld ldns:13"
  "ecdsap384.secure. knot-sld knot:14 ds=4"
  "ed25519.secure. nsd-sld ldns:15"
  "ed448.secure. knot-sld knot:16 csk"
  "rsasha1.secure. nsd-sld ldns:5"
  "rsasha1-nsec3.secure. knot-sld knot:7 nsec3"

  # Authenticated denial, wildcards, aliases, mail records.
  "nsec.secure. nsd-sld ldns:13"
  "nsec3.secure. nsd-sld ldns:13 nsec3"
  "wild.secure. nsd-sld ldns:13"
  "wild-nsec3.secure. knot-sld knot:13 nsec3"
  "cname.secure. nsd-sld ldns:13"
  "dname.secure. nsd-sld ldns:15"
  "email.secure. knot-sld knot:13"
  "unreachable.secure. absent unsigned fault=ds-foreign-key"

  # Provably insecure.
  "unsigned.insecure. nsd-sld unsigned"
  "optout.insecure. knot-sld knot:13 nsec3 optout"
  "unsigned.optout.insecure. nsd-sld unsigned"
  "unknown-ds-algorithm.insecure. nsd-sld ldns:13 fault=ds-unknown-algorithm"
  "unknown-ds-digest.insecure. nsd-sld ldns:13 fault=ds-unknown-digest"
  "unreachable.insecure. absent unsigned"

  # Bogus: each zone breaks the chain of trust in one way.
  "bad-signature.bogus. nsd-bogus ldns:13 fault=tampered-rrsig"
  "expired.bogus. nsd-bogus ldns:13 fault=expired"
  "not-yet-valid.bogus. nsd-bogus ldns:13 fault=not-yet-valid"
  "ds-mismatch.bogus. nsd-bogus ldns:13 fault=ds-foreign-key"
  "unsigned.bogus. nsd-bogus unsigned fault=ds-foreign-key"
  "unsigned-dnskey.bogus. nsd-bogus unsigned fault=dnskey-unsigned"
  "missing-nsec.bogus. nsd-bogus ldns:13 fault=strip-denial"
  "missing-nsec3.bogus. nsd-bogus ldns:13 nsec3 fault=strip-denial"
  "wrong-nsec.bogus. nsd-bogus ldns:13 fault=wrong-nsec"

  # The web lab's zones (lab/net/): host names, TLSA, CAA and AAAA records
  # for its servers, from lab/net/lib/hosts.sh.
  "web.secure. nsd-web ldns:13"
  "web.insecure. nsd-web unsigned"
  "web.bogus. nsd-bogus ldns:13 fault=expired"
  "ns-no-aaaa.web.secure. nsd-sld ldns:13"
  "ns-v6-dead.web.secure. nsd-sld ldns:13"

  # The mail lab's zones (lab/mail/): MX hosts, SPF, DMARC, DKIM, MTA-STS,
  # TLS-RPT and TLSA records, from lab/mail/lib/hosts.sh.
  "mail.secure. nsd-web ldns:13"
  "mail.insecure. nsd-web unsigned"
  "mail.bogus. nsd-bogus ldns:13 fault=expired"
)
# shellcheck source=../../net/lib/hosts.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../net/lib/hosts.sh"
# shellcheck source=../../mail/lib/hosts.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../mail/lib/hosts.sh"

declare -A ZONE_SERVER ZONE_SIGNER ZONE_OPTIONS ZONE_INDEX
ZONE_NAMES=()
load_zone_registry() {
  local line name server signer options index=0
  for line in "${ZONES[@]}"; do
    read -r name server signer options <<<"$line"
    ZONE_NAMES+=("$name")
    ZONE_SERVER[$name]=$server
    ZONE_SIGNER[$name]=$signer
    ZONE_OPTIONS[$name]=" ${options:-} "
    ZONE_INDEX[$name]=$((++index))
  done
}

has_option() { [[ ${ZONE_OPTIONS[$1]} == *" $2 "* ]]; }
option_value() { # option_value ZONE KEY DEFAULT
  local word
  for word in ${ZONE_OPTIONS[$1]}; do
    [[ $word == "$2="* ]] && { printf '%s\n' "${word#*=}"; return; }
  done
  printf '%s\n' "$3"
}
parent_of() { [[ $1 == *.*. ]] && printf '%s\n' "${1#*.}" || printf '.\n'; }
label_count() {
  local dots=${1//[^.]/}
  if [[ $1 == . ]]; then echo 0; else echo ${#dots}; fi
}
zones_of_server() {
  local z
  for z in "${ZONE_NAMES[@]}"; do [[ ${ZONE_SERVER[$z]} == "$1" ]] && printf '%s\n' "$z"; done
  return 0
}
# Deepest zones first: a parent's zone file needs its children's DS records.
zones_leaves_first() {
  local z
  for z in "${ZONE_NAMES[@]}"; do printf '%s %s\n' "$(label_count "$z")" "$z"; done | sort -rn -s -k1,1 | cut -d' ' -f2
}
# The DS records the parent of $1 publishes.
ds_file() { [[ $1 == . ]] && echo "$RUN_DIR/ds/root.ds" || echo "$RUN_DIR/ds/${1}ds"; }
zone_file_name() { [[ $1 == . ]] && echo root.zone || echo "${1%.}.zone"; }
zone_dir() { echo "$RUN_DIR/${ZONE_SERVER[$1]}/zones"; }
zone_address() {
  local server=${ZONE_SERVER[$1]}
  [[ $server == absent ]] && { echo "$UNREACHABLE_ADDR"; return; }
  local addrs=()
  read -ra addrs <<<"${SERVER_ADDRS[$server]}"
  echo "${addrs[0]}"
}
data_address() { echo "$DATA_NET.${ZONE_INDEX[$1]}"; }

describe_signing() {
  local zone=$1 signer=${ZONE_SIGNER[$1]}
  case $signer in
    knot:*) printf 'signed by knotd, algorithm %s, %s' "${signer#knot:}" "$(denial_of "$zone")" ;;
    ldns:*) printf 'signed by ldns-signzone, algorithm %s, %s' "${signer#ldns:}" "$(denial_of "$zone")" ;;
    *) printf 'unsigned' ;;
  esac
}
denial_of() {
  if has_option "$1" optout; then echo "NSEC3 opt-out"
  elif has_option "$1" nsec3; then echo NSEC3
  else echo NSEC; fi
}

# ---------------------------------------------------------------- zone text

# The records every zone has: SOA, NS with its address, and a www name.
apex_records() {
  local zone=$1
  case $zone in
    . | lab.)
      printf '@ 86400 SOA a.root.lab. hostmaster.root.lab. 1 1800 900 604800 300\n'
      printf '@ 86400 NS a.root.lab.\n@ 86400 NS b.root.lab.\n'
      ;;
    *)
      printf '@ SOA ns hostmaster 1 3600 900 604800 300\n'
      printf '@ NS ns\nns A %s\n' "$(zone_address "$zone")"
      printf 'www A %s\n' "$(data_address "$zone")"
      printf 'www TXT "%s served by %s, %s"\n' "$zone" "${ZONE_SERVER[$zone]}" "$(describe_signing "$zone")"
      ;;
  esac
}

# What each zone holds beyond the apex records, for its test cases.
zone_specific_records() {
  case $1 in
    lab.)
      printf 'a.root A 127.53.0.1\nb.root A 127.53.0.2\nunbound A %s\n' "$UNBOUND_ADDR"
      ;;
    nsec.secure. | nsec3.secure.)
      # "ent" is an empty non-terminal: it exists only because a.ent does.
      printf 'a.ent A %s\n' "$(data_address "$1")"
      ;;
    wild.secure. | wild-nsec3.secure.)
      printf '* A %s\n* TXT "synthesised from *.%s"\n' "$(data_address "$1")" "$1"
      ;;
    cname.secure.)
      printf 'to-insecure CNAME www.unsigned.insecure.\n'
      printf 'chain CNAME hop\nhop CNAME www.rsasha512.secure.\n'
      ;;
    dname.secure.)
      printf 'alias DNAME ecdsap384.secure.\n'
      ;;
    email.secure.)
      printf '@ MX 10 mail\nmail A %s\n' "$(data_address "$1")"
      printf '@ TXT "v=spf1 -all"\n'
      printf '_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@email.secure"\n'
      printf '_25._tcp.mail TLSA 3 1 1 %s\n' "$(printf 'mail.email.secure' | sha256sum | cut -d' ' -f1)"
      printf '@ CAA 0 issue "ca.lab"\n@ CAA 0 iodef "mailto:security@email.secure"\n'
      printf '_mta-sts TXT "v=STSv1; id=20260101"\n'
      printf '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@email.secure"\n'
      ;;
    web.secure. | web.insecure. | web.bogus. | ns-no-aaaa.web.secure. | ns-v6-dead.web.secure.)
      web_zone_records "$1"
      ;;
    mail.secure. | mail.insecure. | mail.bogus.)
      mail_zone_records "$1"
      ;;
    wrong-nsec.bogus.)
      # Signed with this name, which is then removed (see apply_fault).
      printf 'gone A %s\n' "$(data_address "$1")"
      ;;
  esac
}

# NS, glue and DS for every registered child of $1.
delegation_records() {
  local parent=$1 child
  for child in "${ZONE_NAMES[@]}"; do
    [[ $child != . && $(parent_of "$child") == "$parent" ]] || continue
    if [[ $child == lab. ]]; then
      printf 'lab. 86400 NS a.root.lab.\nlab. 86400 NS b.root.lab.\n'
      printf 'a.root.lab. 86400 A 127.53.0.1\nb.root.lab. 86400 A 127.53.0.2\n'
    else
      printf '%s NS ns.%s\nns.%s A %s\n' "$child" "$child" "$child" "$(zone_address "$child")"
    fi
    [[ -s $(ds_file "$child") ]] && cat "$(ds_file "$child")"
  done
  return 0
}

write_zone_text() {
  local zone=$1 file=$2
  {
    # shellcheck disable=SC2016 # $ORIGIN and $TTL are zone-file directives
    printf '$ORIGIN %s\n$TTL 300\n' "$zone"
    apex_records "$zone"
    zone_specific_records "$zone"
    delegation_records "$zone"
  } >"$file"
}

# ----------------------------------------------------------------- signing

ldns_algorithm_name() {
  case $1 in
    5) echo RSASHA1 ;; 7) echo RSASHA1-NSEC3-SHA1 ;; 8) echo RSASHA256 ;; 10) echo RSASHA512 ;;
    13) echo ECDSAP256SHA256 ;; 14) echo ECDSAP384SHA384 ;; 15) echo ED25519 ;; 16) echo ED448 ;;
    *) die "no ldns name for algorithm $1" ;;
  esac
}
is_rsa() { [[ $1 == 5 || $1 == 7 || $1 == 8 || $1 == 10 ]]; }

# Presentation-format DS lines with an explicit TTL and class.
normalise_ds() { awk -v ttl=3600 '$0 ~ /[ \t]DS[ \t]/ { n = split($0, f, /[ \t]+/); for (i = 1; i <= n; i++) if (f[i] == "DS") break; printf "%s %s IN DS %s %s %s %s\n", f[1], ttl, f[i+1], f[i+2], f[i+3], toupper(f[i+4]) }'; }

# Makes a KSK that no zone publishes, for DS records that match nothing.
foreign_key() { # foreign_key ZONE ALG -> key base path
  local dir=$RUN_DIR/keys/${1%.}-foreign base
  mkdir -p "$dir"
  base=$(cd "$dir" && ldns-keygen -k -a "$(ldns_algorithm_name "$2")" "$1")
  echo "$dir/$base"
}

knot_config_file() { echo "$RUN_DIR/$1/knot.conf"; }

sign_with_knot() {
  local zone=$1 alg=${ZONE_SIGNER[$1]#knot:} conf size=()
  conf=$(knot_config_file "${ZONE_SERVER[$zone]}")
  is_rsa "$alg" && size=(size=2048)
  if has_option "$zone" csk; then
    keymgr -c "$conf" "$zone" generate algorithm="$alg" ksk=yes zsk=yes "${size[@]}" >/dev/null
  else
    keymgr -c "$conf" "$zone" generate algorithm="$alg" ksk=yes zsk=no "${size[@]}" >/dev/null
    keymgr -c "$conf" "$zone" generate algorithm="$alg" ksk=no zsk=yes "${size[@]}" >/dev/null
  fi
  # keymgr prints SHA-256 and SHA-384 digests; keep those the zone asks for.
  local digests
  digests=",$(option_value "$zone" ds 2),"
  keymgr -c "$conf" "$zone" ds | normalise_ds | awk -v keep="$digests" 'index(keep, "," $7 ",")' >"$(ds_file "$zone")"
}

sign_with_ldns() {
  local zone=$1 alg=${ZONE_SIGNER[$1]#ldns:} dir name zsk ksk bits=() nsec3=() file signed
  local inception=$((NOW - 3600)) expiration=$((NOW + 30 * 86400))
  case $(option_value "$zone" fault none) in
    expired) inception=$((NOW - 60 * 86400)) expiration=$((NOW - 30 * 86400)) ;;
    not-yet-valid) inception=$((NOW + 30 * 86400)) expiration=$((NOW + 60 * 86400)) ;;
  esac
  dir=$RUN_DIR/keys/${zone%.}
  mkdir -p "$dir"
  name=$(ldns_algorithm_name "$alg")
  is_rsa "$alg" && bits=(-b 2048)
  zsk=$(cd "$dir" && ldns-keygen -a "$name" "${bits[@]}" "$zone")
  ksk=$(cd "$dir" && ldns-keygen -k -a "$name" "${bits[@]}" "$zone")
  has_option "$zone" nsec3 && nsec3=(-n -t 0)
  file=$(zone_dir "$zone")/$(zone_file_name "$zone")
  signed=$file.signed
  ldns-signzone "${nsec3[@]}" -i "$(utc "$inception")" -e "$(utc "$expiration")" \
    -f "$signed" "$file" "$dir/$zsk" "$dir/$ksk"
  mv "$signed" "$file"
  local digest
  for digest in $(option_value "$zone" ds 2 | tr ',' ' '); do
    ldns-key2ds -n "-$digest" "$dir/$ksk.key"
  done | normalise_ds >"$(ds_file "$zone")"
}
utc() { date -u -d "@$1" +%Y%m%d%H%M%S; }

# ------------------------------------------------------------------- faults

# Edits a signed zone file, or the DS its parent will carry, so that the
# zone fails validation in exactly one way.
apply_fault() {
  local zone=$1 fault file ds
  ds=$(ds_file "$1")
  fault=$(option_value "$zone" fault none)
  file=$(zone_dir "$zone")/$(zone_file_name "$zone")
  case $fault in
    none | expired | not-yet-valid) ;; # the latter two are signing times, see sign_with_ldns
    tampered-rrsig)
      # Change one base64 character in the middle of www's A signature: the
      # record still parses, the signature no longer verifies.
      awk -v owner="www.$zone" '
        $1 == owner && $4 == "RRSIG" && $5 == "A" {
          sig = $NF; pos = int(length(sig) / 2); c = substr(sig, pos, 1)
          $NF = substr(sig, 1, pos - 1) (c == "A" ? "B" : "A") substr(sig, pos + 1)
        } { print }' "$file" >"$file.tmp" && mv "$file.tmp" "$file"
      ;;
    ds-foreign-key)
      # The parent's DS names a key that the child never publishes.
      ldns-key2ds -n -2 "$(foreign_key "$zone" 13).key" | normalise_ds >"$ds"
      ;;
    dnskey-unsigned)
      # A DNSKEY that the DS matches, but no signature anywhere in the zone.
      local key
      key=$(foreign_key "$zone" 13)
      grep -v '^;' "$key.key" >>"$file"
      ldns-key2ds -n -2 "$key.key" | normalise_ds >"$ds"
      ;;
    strip-denial)
      # Signed normally, then every NSEC/NSEC3 and its signature removed:
      # NXDOMAIN and NODATA answers come without proof (NSEC3PARAM stays).
      awk '!($4 == "NSEC" || $4 == "NSEC3" || ($4 == "RRSIG" && ($5 == "NSEC" || $5 == "NSEC3")))' \
        "$file" >"$file.tmp" && mv "$file.tmp" "$file"
      ;;
    wrong-nsec)
      # Remove the signed name "gone" with its own NSEC: its predecessor's
      # NSEC still names it as next, so the NXDOMAIN proof for "gone" is an
      # NSEC that does not cover it (RFC 4035 §5.4).
      awk -v owner="gone.$zone" '$1 != owner' "$file" >"$file.tmp" && mv "$file.tmp" "$file"
      ;;
    ds-unknown-algorithm)
      # RFC 4035 §5.2: a DS set with no supported algorithm makes the child insecure.
      awk '{ $6 = 253; print }' "$ds" >"$ds.tmp" && mv "$ds.tmp" "$ds"
      ;;
    ds-unknown-digest)
      # RFC 6840 §5.2: DS records of unknown digest types are ignored, so the child is insecure.
      awk '{ $7 = 200; print }' "$ds" >"$ds.tmp" && mv "$ds.tmp" "$ds"
      ;;
    *) die "unknown fault $fault for $zone" ;;
  esac
}

# Writes the zone file, signs it, applies its fault, and leaves the DS its
# parent must carry in run/ds/ZONE.ds (root.ds for the root).
build_zone() {
  local zone=$1 server=${ZONE_SERVER[$1]} signer=${ZONE_SIGNER[$1]}
  if [[ $server != absent ]]; then
    write_zone_text "$zone" "$(zone_dir "$zone")/$(zone_file_name "$zone")"
  fi
  case $signer in
    knot:*) sign_with_knot "$zone" ;;
    ldns:*) sign_with_ldns "$zone" ;;
    unsigned) ;;
    *) die "unknown signer $signer for $zone" ;;
  esac
  apply_fault "$zone"
}
