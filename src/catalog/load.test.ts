import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CatalogError, DEFAULT_CATALOG_DIR, loadCatalog, validateCatalog } from "./load.ts";
import { REQUIRED_LANGUAGES } from "./schema.ts";

/** The ids interfaces.md §1 promises. */
const REQUIRED_STANDARDS = [
  "dnssec", "rpki", "ipv6", "tls", "https", "hsts", "http-security-headers", "caa", "security-txt", "spf", "dkim",
  "dmarc", "starttls", "dane", "mta-sts", "tls-rpt", "pq-tls", "bcp38", "iso-27001", "sbom", "vulnerability-disclosure",
  "csaf", "etsi-en-303-645", "iec-62443", "ssdf", "owasp-asvs", "webauthn",
];
const REQUIRED_CATEGORIES = [
  "web-hosting", "email-service", "dns-hosting", "dns-resolver", "network-connectivity", "cloud-hosting", "saas",
  "software-development", "iot-devices", "network-equipment", "ot-systems",
];

/** Check ids of interfaces.md §4; mail.* repeats the web TLS and certificate tests. */
const WEB_TLS_TESTS = [
  "tls.versions", "tls.ciphers", "tls.cipher-order", "tls.key-exchange", "tls.kex-hash", "tls.compression",
  "tls.secure-renegotiation", "tls.client-renegotiation", "tls.zero-rtt", "tls.ocsp-stapling", "tls.ems", "tls.pq-kex",
  "cert.trust", "cert.hostname", "cert.pubkey", "cert.signature",
];
const KNOWN_CHECKS = new Set([
  ...["ipv6.ns-aaaa", "ipv6.ns-reachable", "ipv6.aaaa", "ipv6.reachable", "ipv6.same-content", "dnssec.exists", "dnssec.valid",
    "https.available", "https.redirect", "hsts", "http-compression", "headers.x-frame-options", "headers.x-content-type-options",
    "headers.referrer-policy", "headers.csp", "caa", "dane.exists", "dane.valid", "security-txt", "rpki.exists", "rpki.valid",
    ...WEB_TLS_TESTS].map((id) => `web.${id}`),
  ...["ipv6.ns-aaaa", "ipv6.ns-reachable", "ipv6.mx-aaaa", "ipv6.mx-reachable", "dnssec.exists", "dnssec.valid",
    "dnssec.mx-exists", "dnssec.mx-valid", "dmarc.exists", "dmarc.policy", "dkim.exists", "spf.exists", "spf.policy",
    "starttls.available", "dane.exists", "dane.valid", "dane.rollover", "mta-sts", "tls-rpt", "rpki.exists", "rpki.valid",
    ...WEB_TLS_TESTS].map((id) => `mail.${id}`),
]);

describe("catalog", () => {
  const catalog = loadCatalog();

  it("loads every file without a problem", () => {
    assert.deepEqual(validateCatalog().problems, []);
  });

  it("has every standard and category id of interfaces.md", () => {
    for (const id of REQUIRED_STANDARDS) assert.ok(catalog.hasStandard(id), `standard ${id} is missing`);
    for (const id of REQUIRED_CATEGORIES) assert.doesNotThrow(() => catalog.category(id), `category ${id} is missing`);
  });

  it("names only check ids that interfaces.md defines", () => {
    for (const standard of catalog.standards) {
      for (const check of standard.verification.checks) assert.ok(KNOWN_CHECKS.has(check), `${standard.id}: unknown check ${check}`);
    }
  });

  it("gives each category at least one mandatory standard, and each standard at least one category", () => {
    for (const category of catalog.categories) {
      assert.ok(category.standards.some((entry) => entry.level === "mandatory"), `${category.id} has no mandatory standard`);
    }
    const used = new Set(catalog.categories.flatMap((category) => category.standards.map((entry) => entry.id)));
    for (const standard of catalog.standards) assert.ok(used.has(standard.id), `no category lists ${standard.id}`);
  });

  it("keeps appliesTo and the categories' lists consistent", () => {
    for (const category of catalog.categories) {
      for (const entry of category.standards) {
        const standard = catalog.standard(entry.id);
        assert.ok(standard.appliesTo.categories.includes(category.id), `${entry.id}.appliesTo lacks ${category.id}, which lists it`);
      }
    }
  });

  it("writes clause texts in every required language, each different from English", () => {
    for (const standard of catalog.standards) {
      for (const language of REQUIRED_LANGUAGES.filter((code) => code !== "en")) {
        assert.notEqual(standard.clause.mandatory[language], standard.clause.mandatory.en, `${standard.id} clause.mandatory.${language}`);
        assert.notEqual(standard.orEquivalent[language], standard.orEquivalent.en, `${standard.id} orEquivalent.${language}`);
      }
    }
  });

  it("gives the tender monitor something to detect for every standard", () => {
    for (const standard of catalog.standards) {
      const phrases = Object.values(standard.lexicon.phrases).flat();
      assert.ok(standard.lexicon.tokens.length + phrases.length > 0, `${standard.id} has an empty lexicon`);
    }
  });
});

describe("catalog errors", () => {
  function brokenCatalog(file: string, edit: (text: string) => string): string {
    const dir = mkdtempSync(join(tmpdir(), "baseline-catalog-"));
    cpSync(DEFAULT_CATALOG_DIR, dir, { recursive: true });
    const path = join(dir, file);
    writeFileSync(path, edit(readFileSync(path, "utf8")));
    return dir;
  }

  const cases: [string, string, (text: string) => string, RegExp][] = [
    ["a missing translation", "standards/dnssec.yaml", (text) => text.replace(/^ {4}nl: >-\n(?: {6}.*\n)+/m, ""), /dnssec\.yaml: field \w+(\.\w+)*\.nl: /],
    ["an unknown field", "standards/dnssec.yaml", (text) => `${text}colour: blue\n`, /dnssec\.yaml: field \(top level\): Unrecognized key: "colour"/],
    ["an unknown standard in a category", "categories/web-hosting.yaml", (text) => text.replace(/- id: https\b/, "- id: htps"), /web-hosting\.yaml: field standards\.\d+\.id: unknown standard "htps"/],
    ["a CPV code with a wrong check digit", "categories/web-hosting.yaml", (text) => text.replace("72415000-2", "72415000-9"), /web-hosting\.yaml: field cpv\.\d+: CPV code 72415000-9 has a wrong check digit/],
    ["a file named after another id", "standards/dnssec.yaml", (text) => text.replace("id: dnssec", "id: dnssec2"), /dnssec\.yaml: field id: is "dnssec2"/],
    ["broken YAML", "standards/dnssec.yaml", (text) => `${text}\n  bad: [unclosed\n`, /dnssec\.yaml: invalid YAML/],
  ];
  for (const [name, file, edit, expected] of cases) {
    it(`names the file and field for ${name}`, () => {
      const dir = brokenCatalog(file, edit);
      try {
        assert.throws(() => loadCatalog({ dir }), (error: unknown) => {
          assert.ok(error instanceof CatalogError);
          assert.match(error.message, expected);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
