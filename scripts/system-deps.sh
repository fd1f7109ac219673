#!/usr/bin/env bash
# Installs the Debian packages Baseline's tests use, once: LibreOffice Writer
# (headless) opens generated Word files in the slow test group, LibreOffice
# Calc the survey exports (XLSX) and GNU PSPP their SPSS syntax, and Chromium
# runs the observatory's end-to-end tests (playwright-core drives it); openssl
# s_server is the TLS prober's lab server; nginx, testssl.sh and iproute2 (ip,
# tc) run the web lab (lab/net), its testssl.sh oracle and the throughput bench;
# Postfix runs the mail lab (lab/mail) and pyspf (python3-spf) is its SPF oracle.
# Idempotent: does nothing when the tools are already there.
set -euo pipefail
missing=()
# soffice alone says neither whether Writer nor whether Calc is there (either brings it): their libraries do.
[ -e /usr/lib/libreoffice/program/libswlo.so ] || missing+=(libreoffice-writer-nogui)
[ -e /usr/lib/libreoffice/program/libsclo.so ] || missing+=(libreoffice-calc-nogui)
command -v pspp >/dev/null 2>&1 || missing+=(pspp)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
PATH=$PATH:/usr/sbin:/sbin command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v testssl >/dev/null 2>&1 || missing+=(testssl.sh)
PATH=$PATH:/usr/sbin:/sbin command -v ip >/dev/null 2>&1 || missing+=(iproute2)
PATH=$PATH:/usr/sbin:/sbin command -v postfix >/dev/null 2>&1 || missing+=(postfix)
/usr/bin/python3 -c 'import spf' >/dev/null 2>&1 || missing+=(python3-spf)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: please install ${missing[*]} (needs apt-get as root); the tests that need them fail or skip without them" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix: no configuration, and its package must not start a system Postfix
# on 0.0.0.0:25 (the mail lab runs its own on 127.55.x.y): policy-rc.d says no.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
policy_made=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_made=1
fi
apt-get update -qq >&2 || true
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
[ "$policy_made" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
exit 0
