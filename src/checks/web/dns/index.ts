/**
 * The web suite's DNS-based checks: DNSSEC, CAA, the IPv6 checks that read
 * DNS (name servers and the web host's AAAA) and RPKI route origin
 * validation of the web and name server addresses.
 */
import type { CheckDefinition } from "../../types.ts";
import { caaCheck } from "./caa.ts";
import { dnssecExists, dnssecValid } from "./dnssec.ts";
import { nsAaaa, nsReachableCheck, webAaaa } from "./ipv6.ts";
import { rpkiExists, rpkiValid } from "./rpki.ts";

export const WEB_DNS_CHECKS: readonly CheckDefinition[] = [
  nsAaaa,
  nsReachableCheck(53),
  webAaaa,
  dnssecExists,
  dnssecValid,
  caaCheck,
  rpkiExists,
  rpkiValid,
];
