#!/usr/bin/python3
"""An independent SPF evaluation (RFC 7208) for the mail lab's oracle test:
Debian's pyspf (package python3-spf), asking the lab's resolver only.

Usage: spf-oracle.py RESOLVER SENDER_IP DOMAIN...
Prints one JSON object a line: {"domain", "ip", "result", "explanation"}.
"""
import json
import sys

import spf  # python3-spf; it imports pydns (python3-dns) and reads /etc/resolv.conf

try:
    import DNS  # pydns: point it at the lab's resolver instead of the system's
    DNS.defaults["server"] = [sys.argv[1]]
    DNS.defaults["timeout"] = 5
except ImportError:  # pyspf prefers dnspython when it is installed
    import dns.resolver
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [sys.argv[1]]
    resolver.lifetime = 5
    dns.resolver.default_resolver = resolver

ip = sys.argv[2]
for domain in sys.argv[3:]:
    result, explanation = spf.check2(i=ip, s="postmaster@" + domain, h=domain, timeout=10)
    print(json.dumps({"domain": domain, "ip": ip, "result": result, "explanation": explanation}), flush=True)
