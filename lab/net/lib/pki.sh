# shellcheck shell=bash
# The web lab's private PKI, made anew on every start in run/pki/: a root CA
# (what clients trust: run/ca.pem), an intermediate that issues the leaves,
# one leaf certificate per host for the host's key from the DNS lab's
# web-keys/ (so that the zones' TLSA records match), the broken certificates
# of the certificate cases, and the OCSP responses nginx staples.

PKI_DIR() { echo "$NET_RUN_DIR/pki"; }

pki_ext() { # SAN -> an extensions file for a TLS server leaf
  local file
  file=$(mktemp -p "$(PKI_DIR)" ext.XXXXXX)
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' >"$file"
  printf 'extendedKeyUsage=serverAuth\nsubjectAltName=%s\nauthorityInfoAccess=OCSP;URI:http://ocsp.web.secure/\n' "$1" >>"$file"
  echo "$file"
}

# leaf NAME KEY SAN OUT [extra x509 options...]: a leaf issued by the intermediate.
pki_leaf() {
  local name=$1 key=$2 san=$3 out=$4 dir ext
  shift 4
  dir=$(PKI_DIR)
  ext=$(pki_ext "$san")
  openssl req -new -key "$key" -subj "/CN=$name" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/intermediate.pem" -CAkey "$dir/intermediate.key" \
    -CAcreateserial -days 60 -extfile "$ext" -out "$out" "$@" 2>/dev/null
  rm -f "$ext" "$dir/$name.csr"
}

pki_make_ca() {
  local dir
  dir=$(PKI_DIR)
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/root.key" \
    -subj "/O=Baseline web lab/CN=Baseline web lab root $(date -u +%Y%m%dT%H%M%S)" -days 60 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/root.pem" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/intermediate.key" \
    -subj "/O=Baseline web lab/CN=Baseline web lab intermediate" -out "$dir/intermediate.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n' >"$dir/intermediate.ext"
  openssl x509 -req -in "$dir/intermediate.csr" -CA "$dir/root.pem" -CAkey "$dir/root.key" -CAcreateserial \
    -days 60 -extfile "$dir/intermediate.ext" -out "$dir/intermediate.pem" 2>/dev/null
  cp "$dir/root.pem" "$NET_RUN_DIR/ca.pem"
}

# An expired leaf: `openssl x509` cannot back-date, `openssl ca` can.
pki_expired_leaf() {
  local name=$1 key=$2 out=$3 dir ca ext
  dir=$(PKI_DIR)
  ca=$dir/expired-ca
  mkdir -p "$ca"
  : >"$ca/index.txt"
  printf '1000\n' >"$ca/serial"
  ext=$(pki_ext "DNS:$name")
  cat >"$ca/ca.cnf" <<CNF
[ca]
default_ca = lab
[lab]
dir = $ca
database = $ca/index.txt
serial = $ca/serial
new_certs_dir = $ca
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
CNF
  openssl req -new -key "$key" -subj "/CN=$name" -out "$ca/leaf.csr" 2>/dev/null
  openssl ca -batch -config "$ca/ca.cnf" -cert "$dir/intermediate.pem" -keyfile "$dir/intermediate.key" \
    -startdate "$(date -u -d '-60 days' +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d '-30 days' +%Y%m%d%H%M%SZ)" \
    -extfile "$ext" -in "$ca/leaf.csr" -out "$out" -notext 2>/dev/null
  rm -f "$ext"
}

# OCSP response (DER) for CERT with STATUS good|revoked, signed by the intermediate.
pki_ocsp() {
  local cert=$1 status=$2 out=$3 dir work serial subject expiry line
  dir=$(PKI_DIR)
  work=$dir/ocsp-$status
  mkdir -p "$work"
  serial=$(openssl x509 -in "$cert" -noout -serial | cut -d= -f2)
  subject=$(openssl x509 -in "$cert" -noout -subject -nameopt compat | sed 's/^subject=//')
  expiry=$(date -u -d '+60 days' +%y%m%d%H%M%SZ)
  if [[ $status == revoked ]]; then
    line=$(printf 'R\t%s\t%s,keyCompromise\t%s\tunknown\t%s' "$expiry" "$(date -u -d '-1 day' +%y%m%d%H%M%SZ)" "$serial" "$subject")
  else
    line=$(printf 'V\t%s\t\t%s\tunknown\t%s' "$expiry" "$serial" "$subject")
  fi
  printf '%s\n' "$line" >"$work/index.txt"
  openssl ocsp -issuer "$dir/intermediate.pem" -cert "$cert" -no_nonce -reqout "$work/req.der" >/dev/null 2>&1
  openssl ocsp -index "$work/index.txt" -rsigner "$dir/intermediate.pem" -rkey "$dir/intermediate.key" \
    -CA "$dir/intermediate.pem" -reqin "$work/req.der" -respout "$out" -ndays 7 >/dev/null 2>&1
  [[ -s $out ]] || net_die "no OCSP response for $cert"
}

# Certificates for every host: run/pki/NAME.pem (leaf + intermediate, what
# the server sends) and NAME.key (a link to its key). Profiles that need a
# broken certificate get it here.
pki_make_host_certs() {
  local line index=0 name profile key dir leaf
  dir=$(PKI_DIR)
  for line in "${WEB_HOSTS[@]}"; do
    index=$((index + 1))
    web_host_parse "$line"
    name=$HOST_NAME
    profile=${HOST_SERVER#*:}
    key=$WEB_KEYS_DIR/$(web_host_value key ec).key
    [[ -s $key ]] || net_die "no key $key: the DNS lab's start makes it (lab/dns/start.sh)"
    ln -sf "$key" "$dir/$name.key"
    leaf=$dir/$name.leaf.pem
    case $profile in
      self-signed)
        openssl req -x509 -key "$key" -subj "/CN=$name" -days 60 -addext "subjectAltName=DNS:$name" \
          -addext "extendedKeyUsage=serverAuth" -out "$leaf" 2>/dev/null
        cp "$leaf" "$dir/$name.pem"
        continue
        ;;
      expired-cert) pki_expired_leaf "$name" "$key" "$leaf" ;;
      wrong-host) pki_leaf "$name" "$key" "DNS:other.web.secure" "$leaf" ;;
      sha1-cert) pki_leaf "$name" "$key" "DNS:$name" "$leaf" -sha1 ;;
      *) pki_leaf "$name" "$key" "DNS:$name" "$leaf" ;;
    esac
    case $profile in
      incomplete-chain) cp "$leaf" "$dir/$name.pem" ;; # the intermediate is left out
      huge-chain)
        # Leaf, intermediate, then the intermediate 1,500 times more (~900 KB):
        # far beyond the 100 KB certificate list OpenSSL clients accept.
        local intermediate
        intermediate=$(<"$dir/intermediate.pem")
        { cat "$leaf"; for _ in $(seq 1501); do printf '%s\n' "$intermediate"; done; } >"$dir/$name.pem"
        ;;
      *) cat "$leaf" "$dir/intermediate.pem" >"$dir/$name.pem" ;;
    esac
    case $profile in
      ocsp) pki_ocsp "$leaf" good "$dir/$name.ocsp.der" ;;
      ocsp-revoked) pki_ocsp "$leaf" revoked "$dir/$name.ocsp.der" ;;
    esac
  done
  # DHE with the RFC 7919 2048-bit group (named, so clients can recognise it).
  openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$dir/ffdhe2048.pem" 2>/dev/null
}
