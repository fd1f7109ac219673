/**
 * The mail suite's checks of the domain's DNS: IPv6 (name servers as the
 * web suite, MX hosts), DNSSEC (the domain as the web suite, MX hosts),
 * SPF, DMARC, DKIM, MTA-STS, TLS-RPT and RPKI (MX and name servers).
 */
import type { CheckDefinition } from "../../types.ts";
import { dnssecExistsCheck, dnssecValidCheck } from "../../web/dns/dnssec.ts";
import { nsAaaaCheck, nsReachableCheck } from "../../web/dns/ipv6.ts";
import { rpkiExistsCheck, rpkiValidCheck, type RpkiScope } from "../../web/dns/rpki.ts";
import { mailServers } from "../mx.ts";
import { dkimExists } from "./dkim.ts";
import { dmarcExists, dmarcPolicy } from "./dmarc.ts";
import { mxDnssecExists, mxDnssecValid } from "./dnssec.ts";
import { mxAaaa, mxReachable } from "./ipv6.ts";
import { mtaSts } from "./mta-sts.ts";
import { spfExists, spfPolicy } from "./spf.ts";
import { tlsRpt } from "./tls-rpt.ts";

/** RPKI for mail: the MX hosts' addresses and the zone's name servers'. */
export const MAIL_RPKI_SCOPE: RpkiScope = {
  suite: "mail",
  noun: "mail servers",
  async hosts(ctx) {
    const servers = await mailServers(ctx);
    return servers.hosts.map((host) => ({ name: host.name, label: `${host.name} (MX)` }));
  },
};

export const MAIL_DOMAIN_CHECKS: readonly CheckDefinition[] = [
  nsAaaaCheck("mail"),
  nsReachableCheck(53, "mail"),
  mxAaaa,
  mxReachable,
  dnssecExistsCheck("mail"),
  dnssecValidCheck("mail", ["MX"]),
  mxDnssecExists,
  mxDnssecValid,
  dmarcExists,
  dmarcPolicy,
  dkimExists,
  spfExists,
  spfPolicy,
  mtaSts,
  tlsRpt,
  rpkiExistsCheck(MAIL_RPKI_SCOPE),
  rpkiValidCheck(MAIL_RPKI_SCOPE),
];
