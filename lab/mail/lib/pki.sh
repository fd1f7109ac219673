# shellcheck shell=bash
# Certificates of the mail lab, made on every start in run/pki/ by the web
# lab's intermediate CA (lab/net/run/pki/), so one root (lab/net/run/ca.pem)
# is trusted for both labs: the MX hosts' leaves for their keys in the DNS
# lab's mail-keys/ (the TLSA records match), a self-signed one, one for the
# wrong name, and the MTA-STS policy hosts' leaves.

mail_pki_leaf() { # NAME KEY SAN OUT [extra x509 options...] (the subject CN is the SAN's first name)
  local name=$1 key=$2 san=$3 out=$4 dir=$MAIL_RUN_DIR/pki ca=$NET_RUN_DIR/pki cn
  shift 4
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" >"$dir/$name.ext"
  cn=${san%%,*}
  openssl req -new -key "$key" -subj "/CN=${cn#DNS:}" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$ca/intermediate.pem" -CAkey "$ca/intermediate.key" \
    -CAcreateserial -CAserial "$dir/serial" -days 60 -extfile "$dir/$name.ext" -out "$out.leaf" "$@" 2>/dev/null
  cat "$out.leaf" "$ca/intermediate.pem" >"$out"
  rm -f "$dir/$name.ext" "$dir/$name.csr" "$out.leaf"
}

mail_pki_make() {
  local dir=$MAIL_RUN_DIR/pki line index=0 key
  mkdir -p "$dir"
  [[ -s $NET_RUN_DIR/pki/intermediate.key ]] || mail_die "no web lab CA in $NET_RUN_DIR/pki (lab/net/start.sh)"
  for line in "${MAIL_HOSTS[@]}"; do
    index=$((index + 1))
    mail_host_parse "$line"
    [[ $HOST_SERVER == postfix:* ]] || continue
    key=$MAIL_KEYS_DIR/$(mail_host_value key ec).key
    cp "$key" "$dir/$HOST_NAME.key"
    case ${HOST_SERVER#*:} in
      self-signed)
        openssl req -x509 -new -key "$key" -subj "/CN=$HOST_NAME" -days 60 \
          -addext "subjectAltName=DNS:$HOST_NAME" -out "$dir/$HOST_NAME.pem" 2>/dev/null
        ;;
      sha1-cert) mail_pki_leaf "$HOST_NAME" "$key" "DNS:$HOST_NAME" "$dir/$HOST_NAME.pem" -sha1 ;;
      wrong-name) mail_pki_leaf "$HOST_NAME" "$key" "DNS:mx.elsewhere.mail.secure" "$dir/$HOST_NAME.pem" ;;
      *) mail_pki_leaf "$HOST_NAME" "$key" "DNS:$HOST_NAME" "$dir/$HOST_NAME.pem" ;;
    esac
  done
  # One certificate names every MTA-STS policy host (they share nginx's key).
  local sans=() sts
  for line in "${MAIL_DOMAINS[@]}"; do
    mail_domain_parse "$line"
    [[ $(mail_domain_value sts enforce) != absent ]] && sans+=("DNS:mta-sts.$DOMAIN_NAME")
  done
  sts=$(IFS=,; echo "${sans[*]}")
  cp "$MAIL_KEYS_DIR/ec.key" "$dir/mta-sts.key"
  mail_pki_leaf mta-sts "$dir/mta-sts.key" "$sts" "$dir/mta-sts.pem"
  openssl dhparam -out "$dir/dh1024.pem" 1024 2>/dev/null
  chmod 0644 "$dir"/*.pem
  chmod 0640 "$dir"/*.key
}
