# shellcheck shell=bash
# The mail lab's Postfix (Debian's): one master of its own (config, queue and
# data directories under run/postfix/), with one smtpd listener per MX host
# on HOST_ADDRESS:25 (and [fd00:5a5c::N]:25), each with its own -o overrides:
# the host name it greets with, its certificate and key, and its TLS profile.
# The lab never delivers mail: every recipient is rejected after RCPT TO.

# OpenSSL defaults for this Postfix: security level 0 and no minimum version,
# so the TLS 1.0 and 1024-bit DH profiles can be served at all; every other
# profile sets @SECLEVEL=2 again in its cipher list. (Postfix 3.7 reads
# OPENSSL_CONF from the environment it is told to import.)
mail_write_openssl_conf() {
  cat >"$MAIL_RUN_DIR/openssl.cnf" <<'CNF'
openssl_conf = lab_init
[lab_init]
ssl_conf = lab_ssl
[lab_ssl]
system_default = lab_default
[lab_default]
CipherString = DEFAULT:@SECLEVEL=0
MinProtocol = TLSv1
CNF
}

# The -o options of one profile.
mail_postfix_profile() { # PROFILE HOST
  local pki=$MAIL_RUN_DIR/pki host=$2
  local good_ciphers="ECDHE+AESGCM:ECDHE+CHACHA20:@SECLEVEL=2"
  printf ' -o myhostname=%s -o smtpd_tls_chain_files=%s/%s.key,%s/%s.pem' "$host" "$pki" "$host" "$pki" "$host"
  case $1 in
    no-starttls) printf ' -o smtpd_tls_security_level=none' ;;
    good | self-signed | wrong-name)
      printf ' -o smtpd_tls_protocols=>=TLSv1.2 -o smtpd_tls_ciphers=high -o tls_high_cipherlist=%s' "$good_ciphers" ;;
    tls10) printf ' -o smtpd_tls_protocols=TLSv1 -o smtpd_tls_ciphers=medium -o tls_medium_cipherlist=DEFAULT:@SECLEVEL=0' ;;
    rsa-kx)
      printf ' -o smtpd_tls_protocols=TLSv1.2 -o smtpd_tls_ciphers=high -o tls_high_cipherlist=AES128-GCM-SHA256:AES256-GCM-SHA384:@SECLEVEL=2' ;;
    client-order)
      printf ' -o smtpd_tls_protocols=TLSv1.2 -o smtpd_tls_ciphers=high -o tls_preempt_cipherlist=no'
      printf ' -o tls_high_cipherlist=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=2' ;;
    dh1024)
      printf ' -o smtpd_tls_protocols=TLSv1.2 -o smtpd_tls_ciphers=high -o tls_high_cipherlist=DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0'
      printf ' -o smtpd_tls_dh1024_param_file=%s/dh1024.pem' "$pki" ;;
    weak-key | sha1-cert)
      # The 1024-bit key and the SHA-1 signed certificate load only at security level 0.
      printf ' -o smtpd_tls_protocols=>=TLSv1.2 -o smtpd_tls_ciphers=high -o tls_high_cipherlist=ECDHE+AESGCM:@SECLEVEL=0' ;;
    client-reneg)
      # SSL_OP_ALLOW_CLIENT_RENEGOTIATION (0x100): OpenSSL 3 refuses a client's renegotiation unless told.
      printf ' -o smtpd_tls_protocols=TLSv1.2 -o smtpd_tls_ciphers=high -o tls_high_cipherlist=%s -o tls_ssl_options=0x100' "$good_ciphers" ;;
    no-ems)
      # SSL_OP_NO_EXTENDED_MASTER_SECRET (0x1).
      printf ' -o smtpd_tls_protocols=>=TLSv1.2 -o smtpd_tls_ciphers=high -o tls_high_cipherlist=%s -o tls_ssl_options=0x1,NO_RENEGOTIATION' "$good_ciphers" ;;
    *) mail_die "unknown Postfix profile $1" ;;
  esac
}

mail_postfix_write_config() {
  local dir=$MAIL_RUN_DIR/postfix line index=0 profile v4
  mkdir -p "$dir/queue" "$dir/data"
  cat >"$dir/main.cf" <<CF
# The mail lab's Postfix (written by lab/mail/lib/postfix.sh on every start).
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mail-lab.mail.secure
mydomain = mail.secure
myorigin = \$myhostname
mydestination =
relay_domains =
local_recipient_maps =
inet_interfaces = loopback-only
inet_protocols = all
smtpd_banner = \$myhostname ESMTP Baseline mail lab
smtpd_recipient_restrictions = reject
smtpd_relay_restrictions = reject
smtpd_tls_security_level = may
smtpd_tls_loglevel = 0
smtpd_tls_session_cache_database =
tls_preempt_cipherlist = yes
tls_ssl_options = NO_RENEGOTIATION
smtpd_tls_received_header = no
maillog_file = $MAIL_RUN_DIR/postfix.log
maillog_file_prefixes = $MAIL_RUN_DIR
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG OPENSSL_CONF
smtpd_client_connection_rate_limit = 0
smtpd_client_connection_count_limit = 0
default_process_limit = 400
smtpd_peername_lookup = no
disable_vrfy_command = yes
CF
  # Debian's services, none chrooted (the lab has no chroot to populate),
  # without the default smtp listener on every address.
  grep -v '^#' /usr/share/postfix/master.cf.dist | grep -v '^ ' | grep -v '^$' |
    awk '$1 == "smtp" && $2 == "inet" { next } $1 == "pickup" { next }
         NF >= 8 && $5 == "y" { $5 = "n" } { print }' >"$dir/master.cf"
  # postlog: maillog_file is written by postlogd.
  for line in "${MAIL_HOSTS[@]}"; do
    index=$((index + 1))
    mail_host_parse "$line"
    [[ $HOST_SERVER == postfix:* ]] || continue
    profile=$(mail_postfix_profile "${HOST_SERVER#*:}" "$HOST_NAME")
    v4=$(mail_host_v4 "$index")
    printf '%s:25 inet n - n - - smtpd%s\n' "$v4" "$profile" >>"$dir/master.cf"
    mail_host_has v6 && printf '[%s]:25 inet n - n - - smtpd%s\n' "$(mail_host_v6 "$index")" "$profile" >>"$dir/master.cf"
  done
  return 0
}

mail_postfix_start() {
  local dir=$MAIL_RUN_DIR/postfix
  # The queue directories that `postfix check` would make (it refuses to run
  # without /etc/postfix/main.cf, which Debian's "No configuration" leaves out).
  local sub
  for sub in active bounce corrupt defer deferred flush hold incoming private saved trace pid; do
    install -d -o postfix -g root -m 0700 "$dir/queue/$sub"
  done
  install -d -o root -g root -m 0755 "$dir/queue/pid"
  install -d -o postfix -g postdrop -m 0730 "$dir/queue/maildrop"
  install -d -o postfix -g postdrop -m 0710 "$dir/queue/public"
  install -d -o postfix -g postfix -m 0700 "$dir/data"
  chown root:root "$dir/queue"
  chmod 0755 "$dir/queue"
  # The master in the foreground (-d) of its own session: its command line
  # names run/, and stop.sh's TERM takes its children with it.
  OPENSSL_CONF=$MAIL_RUN_DIR/openssl.cnf setsid /usr/lib/postfix/sbin/master -c "$dir" -d \
    </dev/null >>"$MAIL_RUN_DIR/postfix.log" 2>&1 7>&- 8>&- 9>&- &
  echo $! >"$MAIL_RUN_DIR/postfix.pid"
}
