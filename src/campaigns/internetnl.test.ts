// The mapping onto internet.nl's names, and the results and technical
// results built from reports: every Baseline check is either behind an
// internet.nl test or under custom; each object matches the schema of the
// served OpenAPI document (Ajv); the technical details are read from
// evidence shaped as the real checks write it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkById, checksOf, SUITE_CATEGORIES } from "../checks/registry.ts";
import { testResult } from "../checks/report/test-reports.ts";
import { scoreReport } from "../checks/run.ts";
import type { CheckResult, CheckStatus, DomainReport, Suite } from "../checks/types.ts";
import { BatchApiValidator } from "../server/routes/batch-api-validator.ts";
import { batchApiDocumentText } from "../server/routes/batch-api-openapi.ts";
import { apiCategory, apiCategoryStatus, apiTests, BATCH_API_VERSION, domainResult, domainTechnical, hasApiTest, REPORT_LAYOUT, reportMetadata } from "./internetnl.ts";

const validator = new BatchApiValidator(batchApiDocumentText("https://baseline.example"));

function report(domain: string, suite: Suite, statuses: Record<string, CheckStatus> = {}, evidence: Record<string, Record<string, unknown>> = {}): DomainReport {
  const tests: CheckResult[] = checksOf(suite).map((check) =>
    testResult(check.id, check.category, statuses[check.id] ?? "passed", { standard: check.standard, weight: check.weight, evidence: evidence[check.id] ?? {} }),
  );
  return scoreReport({ domain, suite, score: null, categories: [], tests, startedAt: "2026-12-07T10:00:00.000Z", durationMs: 10 });
}

const route = (prefix: string, asn: number, state: string): Record<string, unknown> => ({ state, routes: [{ prefix, asn, state, vrps: "…" }] });

describe("internet.nl names", () => {
  it("puts every Baseline check behind an internet.nl test or under custom, and names only real checks", () => {
    for (const suite of ["web", "mail"] as const) {
      const tests = apiTests(suite);
      assert.equal(new Set(tests.map((item) => item.name)).size, tests.length, `${suite}: test names are unique`);
      for (const item of tests) {
        assert.ok(checkById(item.baseline), `${item.name} carries ${item.baseline}, which is a check`);
        assert.match(item.name, new RegExp(`^${suite}_[a-z0-9_]+$`));
      }
      assert.deepEqual(REPORT_LAYOUT[suite].map((group) => group.name), SUITE_CATEGORIES[suite].map(apiCategory));
      const custom = checksOf(suite).filter((check) => !hasApiTest(check.id)).map((check) => check.id).sort();
      const expected = suite === "web" ? ["web.caa", "web.tls.ems", "web.tls.pq-kex"] : ["mail.mta-sts", "mail.tls-rpt", "mail.tls.ems", "mail.tls.ocsp-stapling", "mail.tls.pq-kex"];
      assert.deepEqual(custom, expected.sort(), `${suite}: the checks internet.nl has no test for`);
    }
    assert.equal(apiCategory("mail.starttls"), "mail_starttls");
  });

  it("describes every test once in /metadata/report, with its statuses' verdicts", () => {
    const metadata = reportMetadata();
    assert.deepEqual(validator.schemaErrors("MetadataReportResponse", { api_version: BATCH_API_VERSION, report: metadata }), []);
    for (const suite of ["web", "mail"] as const) {
      assert.deepEqual(metadata.hierarchy[suite].map((item) => item.name), SUITE_CATEGORIES[suite].map(apiCategory));
      for (const item of apiTests(suite)) {
        const data = metadata.data[item.name];
        assert.equal(data?.type, "test");
        assert.deepEqual(data.status_verdict_map?.not_tested, ["detail verdict not-tested"]);
      }
    }
    assert.equal(metadata.data.web_https?.translation_key, "sitetls");
  });
});

describe("domainResult", () => {
  it("gives internet.nl's categories, tests, score and the report link; Baseline-only tests under custom", () => {
    const result = domainResult(report("example.nl", "web", { "web.hsts": "failed", "web.caa": "warning", "web.dnssec.valid": "error" }), "https://baseline.example/r");
    assert.deepEqual(validator.schemaErrors("Domain", result), []);
    assert.equal(result.status, "ok");
    assert.equal(result.report?.url, "https://baseline.example/r");
    const results = result.results;
    assert.ok(results);
    assert.deepEqual(results.tests.web_https_http_hsts, { status: "failed", verdict: "bad" });
    assert.deepEqual(results.tests.web_dnssec_valid, { status: "error", verdict: "detail verdict could-not-test" });
    assert.equal(results.categories.web_https?.status, "failed");
    assert.equal(results.custom.baseline_tests["web.caa"]?.status, "warning");
    assert.equal(results.tests.web_caa, undefined, "no test names of Baseline's own among internet.nl's");
    assert.ok(typeof result.scoring?.percentage === "number" && result.scoring.percentage < 100);
  });

  it("answers not_tested for a test the report lacks, and only the status for a domain that could not be checked", () => {
    const partial = { ...report("example.nl", "mail"), tests: [] };
    const result = domainResult(partial, "https://baseline.example/r");
    assert.deepEqual(result.results?.tests.mail_auth_spf_policy, { status: "not_tested", verdict: "detail verdict not-tested" });
    assert.deepEqual(domainResult(null, "https://baseline.example/r"), { status: "error" });
  });

  it("maps a category without a score to error when a test of it erred, else info", () => {
    const tests = [testResult("web.rpki.valid", "web.rpki", "error")];
    assert.equal(apiCategoryStatus({ id: "web.rpki", status: "not_tested", score: null, deductions: [] }, tests), "error");
    assert.equal(apiCategoryStatus({ id: "web.rpki", status: "not_tested", score: null, deductions: [] }, []), "info");
    assert.equal(apiCategoryStatus({ id: "web.rpki", status: "warning", score: 100, deductions: [] }, []), "warning");
  });
});

describe("domainTechnical", () => {
  it("reads a web report's evidence into the web technical shape", () => {
    const rpki = {
      addresses: [
        { address: "192.0.2.10", hosts: ["example.nl"], ...route("192.0.2.0/24", 64500, "valid") },
        { address: "2001:db8::10", hosts: ["example.nl"], ...route("2001:db8::/32", 64500, "invalid") },
      ],
    };
    const technical = domainTechnical(
      report(
        "example.nl",
        "web",
        { "web.hsts": "failed", "web.tls.versions": "failed", "web.dnssec.valid": "failed" },
        {
          "web.ipv6.ns-aaaa": { nameServers: [{ name: "ns1.example.nl", ipv4: ["192.0.2.53"], ipv6: ["2001:db8::53"] }] },
          "web.ipv6.ns-reachable": { results: [{ address: "2001:db8::53", udp: { answered: true }, tcp: { answered: false } }] },
          "web.ipv6.aaaa": { ipv4: ["192.0.2.10"], ipv6: ["2001:db8::10"] },
          "web.https.available": { addresses: [{ address: "192.0.2.10", status: "passed" }, { address: "2001:db8::10", status: "failed" }] },
          "web.ipv6.reachable": { addresses: [{ address: "2001:db8::10", http: { reachable: true }, https: { reachable: false } }] },
          "web.hsts": { addresses: [{ address: "192.0.2.10", status: "failed", header: "max-age=300" }] },
          "web.tls.versions": { addresses: [{ address: "192.0.2.10", status: "failed", versions: [{ version: "TLS 1.0", accepted: true, level: "insufficient" }, { version: "TLS 1.1", accepted: true, level: "phase-out" }, { version: "SSLv3", accepted: false, level: "insufficient" }] }] },
          "web.rpki.valid": rpki,
          "web.caa": { foundAt: "example.nl", records: [{ flags: 0, tag: "issue", value: "letsencrypt.org" }] },
        },
      ),
    );
    assert.deepEqual(validator.schemaErrors("DomainWebTechnical", technical), []);
    const web = technical as {
      domain: { dnssec: { status: string } };
      nameservers: Record<string, { ipv4: { addresses: { reachable: boolean; routing: { rov_state: string } }[] }; ipv6: { addresses: { reachable: boolean }[] } }>;
      webservers: { ipv4: { tested_address: string; https_enabled: boolean; addresses: { routing: { origin: string; route: string } }[]; details: Record<string, unknown> }; ipv6: { https_enabled: boolean; server_reachable: boolean; details: Record<string, unknown> } };
    };
    assert.equal(web.domain.dnssec.status, "bogus");
    const ns = web.nameservers["ns1.example.nl"];
    assert.ok(ns);
    assert.equal(ns.ipv6.addresses[0]?.reachable, false, "IPv6 name servers must answer over UDP and TCP");
    assert.equal(ns.ipv4.addresses[0]?.routing.rov_state, "not-found", "no route known");
    assert.equal(web.webservers.ipv4.tested_address, "192.0.2.10");
    assert.deepEqual(web.webservers.ipv4.addresses[0]?.routing, { origin: "AS64500", route: "192.0.2.0/24", rov_state: "valid" });
    assert.equal(web.webservers.ipv4.details.hsts, "max_age");
    assert.deepEqual(web.webservers.ipv4.details.hsts_policies, ["max-age=300"]);
    assert.deepEqual(web.webservers.ipv4.details.protocols_bad, ["TLS 1.0"]);
    assert.deepEqual(web.webservers.ipv4.details.protocols_phase_out, ["TLS 1.1"]);
    assert.deepEqual(web.webservers.ipv4.details.caa_records, ['0 issue "letsencrypt.org"']);
    assert.equal(web.webservers.ipv6.server_reachable, true);
    assert.equal(web.webservers.ipv6.https_enabled, false);
    assert.deepEqual(web.webservers.ipv6.details, {}, "no details without HTTPS, as the document says");
  });

  it("reads a mail report's evidence into the mail technical shape", () => {
    const technical = domainTechnical(
      report(
        "example.nl",
        "mail",
        { "mail.spf.policy": "failed", "mail.dane.rollover": "info" },
        {
          "mail.dmarc.exists": { records: ["v=DMARC1; p=reject"], policyDomain: "example.nl" },
          "mail.spf.exists": { spfRecords: ["v=spf1 include:a include:b ?all"] },
          "mail.spf.policy": { lookups: 12 },
          "mail.ipv6.mx-aaaa": { hosts: [{ name: "mx.example.nl", ipv4: ["192.0.2.25"], ipv6: ["2001:db8::25"] }] },
          "mail.dnssec.mx-valid": { hosts: [{ host: "mx.example.nl", status: "passed" }] },
          "mail.starttls.available": { servers: [{ host: "mx.example.nl", address: "2001:db8::25", status: "passed" }, { host: "mx.example.nl", address: "192.0.2.25", status: "error" }] },
          "mail.dane.exists": { hosts: [{ host: "mx.example.nl", records: ["3 1 1 abcd"] }] },
        },
      ),
    );
    assert.deepEqual(validator.schemaErrors("DomainMailTechnical", technical), []);
    const mail = technical as { domain: { spf: { policy_status: string; records: string[] }; dmarc: { policy_status: string }; dkim: { discovered: boolean } }; receiving_mailservers: Record<string, { dnssec: { status: string }; starttls_enabled: boolean; addresses: { ipv4: { reachable: boolean }[] }; details: Record<string, unknown> }> };
    assert.equal(mail.domain.spf.policy_status, "max_dns_lookups");
    assert.equal(mail.domain.dmarc.policy_status, "valid");
    assert.equal(mail.domain.dkim.discovered, true);
    const mx = mail.receiving_mailservers["mx.example.nl"];
    assert.equal(mx?.dnssec.status, "secure");
    assert.equal(mx.starttls_enabled, true);
    assert.equal(mx.addresses.ipv4[0]?.reachable, false);
    assert.deepEqual(mx.details.dane_records, ["3 1 1 abcd"]);
    assert.equal(mx.details.dane_rollover, false);
  });

  it("gives only the status for a domain that could not be checked", () => {
    assert.deepEqual(domainTechnical(null), { status: "error" });
  });
});
