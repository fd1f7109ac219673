/**
 * Every check Baseline has, by suite, and the categories they belong to.
 * Each group of checks lives in its own module and exports its definitions;
 * this file only lists them, so adding a check is adding it to its group.
 */
import { MAIL_DOMAIN_CHECKS } from "./mail/domain/index.ts";
import { MAIL_TRANSPORT_CHECKS } from "./mail/transport/index.ts";
import { WEB_DNS_CHECKS } from "./web/dns/index.ts";
import { WEB_HTTP_CHECKS } from "./web/http/index.ts";
import { WEB_TLS_CHECKS } from "./web/tls/index.ts";
import type { CheckDefinition, Suite } from "./types.ts";

export const SUITE_CATEGORIES: Record<Suite, readonly string[]> = {
  web: ["web.ipv6", "web.dnssec", "web.https", "web.appsecpriv", "web.rpki"],
  mail: ["mail.ipv6", "mail.dnssec", "mail.auth", "mail.starttls", "mail.rpki"],
};

/**
 * Check ids the catalog may cite that are planned but not built yet (the mail
 * suite, issue 10): an id leaves this list when its check is registered.
 */
const PLANNED: readonly string[] = [
  "mail.ipv6.ns-aaaa", "mail.ipv6.ns-reachable", "mail.ipv6.mx-aaaa", "mail.ipv6.mx-reachable",
  "mail.dnssec.exists", "mail.dnssec.valid", "mail.dnssec.mx-exists", "mail.dnssec.mx-valid",
  "mail.dmarc.exists", "mail.dmarc.policy", "mail.dkim.exists", "mail.spf.exists", "mail.spf.policy",
  "mail.starttls.available", "mail.dane.exists", "mail.dane.valid", "mail.dane.rollover", "mail.mta-sts", "mail.tls-rpt",
  "mail.rpki.exists", "mail.rpki.valid",
  "mail.tls.versions", "mail.tls.ciphers", "mail.tls.cipher-order", "mail.tls.key-exchange", "mail.tls.kex-hash",
  "mail.tls.compression", "mail.tls.secure-renegotiation", "mail.tls.client-renegotiation", "mail.tls.zero-rtt",
  "mail.tls.ocsp-stapling", "mail.tls.ems", "mail.tls.pq-kex",
  "mail.cert.trust", "mail.cert.hostname", "mail.cert.pubkey", "mail.cert.signature",
];

const SUITES: Record<Suite, readonly CheckDefinition[]> = {
  web: [...WEB_DNS_CHECKS, ...WEB_HTTP_CHECKS, ...WEB_TLS_CHECKS],
  mail: [...MAIL_DOMAIN_CHECKS, ...MAIL_TRANSPORT_CHECKS],
};

export const PLANNED_CHECK_IDS: readonly string[] = PLANNED.filter((id) => !SUITES.mail.some((check) => check.id === id));

export function checksOf(suite: Suite): readonly CheckDefinition[] {
  return SUITES[suite];
}

export function allChecks(): readonly CheckDefinition[] {
  return [...SUITES.web, ...SUITES.mail];
}

export function checkById(id: string): CheckDefinition | undefined {
  return allChecks().find((check) => check.id === id);
}
