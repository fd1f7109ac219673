import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadCatalog } from "../catalog/load.ts";
import { allChecks, checksOf, PLANNED_CHECK_IDS, SUITE_CATEGORIES } from "./registry.ts";

/** The web suite's ids, interfaces.md §4: the minimum set. */
const WEB_IDS = [
  "web.ipv6.ns-aaaa", "web.ipv6.ns-reachable", "web.ipv6.aaaa", "web.ipv6.reachable", "web.ipv6.same-content",
  "web.dnssec.exists", "web.dnssec.valid", "web.https.available", "web.https.redirect", "web.hsts", "web.http-compression",
  "web.cert.trust", "web.cert.hostname", "web.cert.pubkey", "web.cert.signature",
  "web.headers.x-frame-options", "web.headers.x-content-type-options", "web.headers.referrer-policy", "web.headers.csp",
  "web.tls.versions", "web.tls.ciphers", "web.tls.cipher-order", "web.tls.key-exchange", "web.tls.kex-hash",
  "web.tls.compression", "web.tls.secure-renegotiation", "web.tls.client-renegotiation", "web.tls.zero-rtt",
  "web.tls.ocsp-stapling", "web.tls.ems", "web.tls.pq-kex", "web.caa", "web.dane.exists", "web.dane.valid",
  "web.security-txt", "web.rpki.exists", "web.rpki.valid",
];

/** The mail suite's ids, interfaces.md §4: its own tests plus the TLS and certificate tests with the prefix mail. */
const MAIL_IDS = [
  "mail.ipv6.ns-aaaa", "mail.ipv6.ns-reachable", "mail.ipv6.mx-aaaa", "mail.ipv6.mx-reachable",
  "mail.dnssec.exists", "mail.dnssec.valid", "mail.dnssec.mx-exists", "mail.dnssec.mx-valid",
  "mail.dmarc.exists", "mail.dmarc.policy", "mail.dkim.exists", "mail.spf.exists", "mail.spf.policy",
  "mail.starttls.available", "mail.dane.exists", "mail.dane.valid", "mail.dane.rollover", "mail.mta-sts", "mail.tls-rpt",
  "mail.rpki.exists", "mail.rpki.valid",
  ...WEB_IDS.filter((id) => id.startsWith("web.tls.") || id.startsWith("web.cert.")).map((id) => id.replace(/^web\./, "mail.")),
];

describe("check registry", () => {
  const catalog = loadCatalog();
  const implemented = new Set(allChecks().map((check) => check.id));

  it("has every web id of interfaces.md §4, each once", () => {
    const ids = checksOf("web").map((check) => check.id);
    assert.deepEqual([...ids].sort(), [...WEB_IDS].sort());
  });

  it("has every mail id of interfaces.md §4, each once, and plans nothing more", () => {
    const ids = checksOf("mail").map((check) => check.id);
    assert.deepEqual([...ids].sort(), [...MAIL_IDS].sort());
    assert.deepEqual(PLANNED_CHECK_IDS, []);
  });

  it("implements or plans every check id the catalog cites", () => {
    const cited = catalog.standards.flatMap((standard) => standard.verification.checks.map((id) => ({ id, standard: standard.id })));
    assert.ok(cited.length > 50, "the catalog cites checks");
    const unknown = cited.filter(({ id }) => !implemented.has(id) && !PLANNED_CHECK_IDS.includes(id));
    assert.deepEqual(unknown, [], "cited check ids that do not exist");
  });

  it("cites each check under its own standard or a related one (security.txt also verifies vulnerability disclosure)", () => {
    for (const standard of catalog.standards) {
      for (const id of standard.verification.checks) {
        const check = allChecks().find((candidate) => candidate.id === id);
        if (!check) continue;
        const fits = check.standard === standard.id || standard.related.includes(check.standard);
        assert.ok(fits, `${id} is cited by ${standard.id} but belongs to ${check.standard}, which ${standard.id} does not list as related`);
      }
    }
  });

  it("gives every check a known standard, a category of its suite, a title and a fix", () => {
    const standards = new Set(catalog.standards.map((standard) => standard.id));
    for (const suite of ["web", "mail"] as const) {
      for (const check of checksOf(suite)) {
        assert.ok(standards.has(check.standard), `${check.id}: unknown standard ${check.standard}`);
        assert.ok(SUITE_CATEGORIES[suite].includes(check.category), `${check.id}: category ${check.category} is not one of ${suite}'s`);
        assert.ok(check.title.length > 0 && check.fix.length > 20, `${check.id}: title and fix`);
      }
    }
  });

  it("plans no id that is already implemented", () => {
    assert.deepEqual(PLANNED_CHECK_IDS.filter((id) => implemented.has(id)), []);
  });
});
