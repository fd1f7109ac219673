/**
 * The rest of the mail suite's DNS checks on fixed answers: the list and
 * weights, TLS-RPT, DNSSEC of the domain and of the MX hosts, RPKI of the
 * MX hosts, and the web name server checks under mail's ids.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RoutingData } from "../../routing-data.ts";
import type { CheckDefinition } from "../../types.ts";
import { mxDnssecExists, mxDnssecValid } from "./dnssec.ts";
import { MAIL_DOMAIN_CHECKS } from "./index.ts";
import { runCheck, txt, type Zone } from "./test-support.ts";
import { parseTlsRpt, tlsRpt } from "./tls-rpt.ts";

function check(id: string): CheckDefinition {
  const found = MAIL_DOMAIN_CHECKS.find((entry) => entry.id === id);
  assert.ok(found, id);
  return found;
}

describe("MAIL_DOMAIN_CHECKS", () => {
  it("lists the DNS-side mail checks with internet.nl's weights", () => {
    assert.deepEqual(MAIL_DOMAIN_CHECKS.map((entry) => `${entry.id} ${entry.standard} ${entry.category} ${entry.weight}`), [
      "mail.ipv6.ns-aaaa ipv6 mail.ipv6 required",
      "mail.ipv6.ns-reachable ipv6 mail.ipv6 required",
      "mail.ipv6.mx-aaaa ipv6 mail.ipv6 required",
      "mail.ipv6.mx-reachable ipv6 mail.ipv6 required",
      "mail.dnssec.exists dnssec mail.dnssec required",
      "mail.dnssec.valid dnssec mail.dnssec required",
      "mail.dnssec.mx-exists dnssec mail.dnssec required",
      "mail.dnssec.mx-valid dnssec mail.dnssec required",
      "mail.dmarc.exists dmarc mail.auth required",
      "mail.dmarc.policy dmarc mail.auth required",
      "mail.dkim.exists dkim mail.auth required",
      "mail.spf.exists spf mail.auth required",
      "mail.spf.policy spf mail.auth required",
      "mail.mta-sts mta-sts mail.starttls recommended",
      "mail.tls-rpt tls-rpt mail.starttls recommended",
      "mail.rpki.exists rpki mail.rpki recommended",
      "mail.rpki.valid rpki mail.rpki required",
    ]);
  });
});

describe("mail.tls-rpt", () => {
  it("passes a record with mailto: and https: destinations", async () => {
    const outcome = await runCheck(tlsRpt, { "_smtp._tls.example.org|TXT": { answer: [["TXT", txt("v=TLSRPTv1; rua=mailto:tls@example.org,https://reports.example.org/tlsrpt")]] } });
    assert.equal(outcome.status, "passed", outcome.summary);
  });
  it("fails without a record, with two, and with bad destinations (quoting the record)", async () => {
    assert.equal((await runCheck(tlsRpt, {})).status, "failed");
    assert.equal((await runCheck(tlsRpt, { "_smtp._tls.example.org|TXT": { answer: [["TXT", txt("v=TLSRPTv1; rua=mailto:a@example.org")], ["TXT", txt("v=TLSRPTv1; rua=mailto:b@example.org")]] } })).status, "failed");
    const bad = await runCheck(tlsRpt, { "_smtp._tls.example.org|TXT": { answer: [["TXT", txt("v=TLSRPTv1; rua=http://insecure.example.org/")]] } });
    assert.equal(bad.status, "failed");
    assert.match(bad.summary, /"http:\/\/insecure\.example\.org\/" is not a mailto: or https: URI.*"v=TLSRPTv1; rua=http/);
    assert.deepEqual(parseTlsRpt("v=TLSRPTv1").errors, ["no rua= field"]);
  });
});

describe("mail DNSSEC", () => {
  const mx: Zone = { "example.org|MX": { answer: [["MX", "10 mx.example.net."]] } };
  it("mail.dnssec.valid reads the MX answer as well as the SOA", async () => {
    assert.equal((await runCheck(check("mail.dnssec.valid"), mx, { fallback: "secure" })).status, "passed");
    const bogus = await runCheck(check("mail.dnssec.valid"), { "example.org|MX": { security: "bogus", reason: "signature expired" } }, { fallback: "secure" });
    assert.equal(bogus.status, "failed");
    assert.match(bogus.summary, /MX answer.*signature expired/);
  });
  it("judges the zone of every MX host, naming the failing one", async () => {
    const zone: Zone = { "example.org|MX": { answer: [["MX", "10 mx1.example.net."], ["MX", "20 mx2.example.com."]] }, "mx2.example.com|SOA": { security: "insecure", zone: "example.com." } };
    const exists = await runCheck(mxDnssecExists, zone, { fallback: "secure" });
    assert.equal(exists.status, "failed");
    assert.match(exists.summary, /1 of 2 mail servers: mx2\.example\.com is not signed/);
    assert.equal((await runCheck(mxDnssecExists, { "example.org|MX": zone["example.org|MX"] ?? {} }, { fallback: "secure" })).status, "passed");
    const valid = await runCheck(mxDnssecValid, { ...zone, "mx2.example.com|SOA": {}, "mx2.example.com|AAAA": { security: "bogus", reason: "no valid RRSIG" } }, { fallback: "secure" });
    assert.equal(valid.status, "failed");
    assert.match(valid.summary, /AAAA answer for mx2\.example\.com does not validate/);
    assert.equal((await runCheck(mxDnssecValid, { "example.org|MX": { answer: [["MX", "0 ."]] } })).status, "not_tested");
  });
});

describe("mail IPv6 and RPKI of the name servers and MX hosts", () => {
  const zone: Zone = {
    "example.org|NS": { answer: [["NS", "ns1.example.net."], ["NS", "ns2.example.net."]] },
    "ns1.example.net|A": { answer: [["A", "192.0.2.53"]] },
    "ns2.example.net|A": { answer: [["A", "192.0.2.54"]] },
    "ns1.example.net|AAAA": { answer: [["AAAA", "2a01:4f8::53"]] },
    "example.org|MX": { answer: [["MX", "10 mx.example.net."]] },
    "mx.example.net|A": { answer: [["A", "198.51.100.25"]] },
  };
  it("mail.ipv6.ns-aaaa is the web check under mail's id", async () => {
    const outcome = await runCheck(check("mail.ipv6.ns-aaaa"), zone);
    assert.equal(outcome.status, "failed");
    assert.match(outcome.summary, /only ns1\.example\.net of the 2 name servers/);
  });
  it("mail.rpki validates the MX and name server addresses, not the domain's web address", async () => {
    const routing: RoutingData = {
      vrps: [{ prefix: "192.0.2.0/24", maxLength: 24, asn: 64496 }, { prefix: "198.51.100.0/24", maxLength: 24, asn: 64498 }, { prefix: "2a01:4f8::/32", maxLength: 32, asn: 64497 }],
      origins: [{ prefix: "192.0.2.0/24", asn: 64496 }, { prefix: "198.51.100.0/24", asn: 64666 }, { prefix: "2a01:4f8::/32", asn: 64497 }],
      sources: { vrps: "vrps.json", origins: "origins.txt" },
    };
    const web = { ...zone, "example.org|A": { answer: [["A", "203.0.113.80"]] } } satisfies Zone;
    const valid = await runCheck(check("mail.rpki.valid"), web, { settings: { routing } });
    assert.equal(valid.status, "failed");
    assert.match(valid.summary, /198\.51\.100\.25 \(mx\.example\.net \(MX\)\)/);
    const exists = await runCheck(check("mail.rpki.exists"), web, { settings: { routing } });
    assert.equal(exists.status, "passed", exists.summary);
    assert.match(exists.summary, /all 4 addresses of the mail servers and name servers/);
  });
});
