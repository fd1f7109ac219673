/**
 * The DNS checks' verdicts on fixed resolver answers: a small resolver that
 * returns given Resolutions (acceptable here, where the question is how
 * each check reads an answer). lab.test.ts runs the same checks against
 * real authoritative servers and real DNSSEC, and ns-reachable.test.ts
 * against a real DNS server on ::1.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultSettings, DomainContext } from "../../context.ts";
import type { Resolution, Resolver } from "../../../dns/resolver.ts";
import type { Security } from "../../../dns/types.ts";
import type { RoutingData } from "../../routing-data.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { caaCheck } from "./caa.ts";
import { dnssecExists, dnssecValid } from "./dnssec.ts";
import { WEB_DNS_CHECKS } from "./index.ts";
import { nsAaaa, nsReachableCheck, webAaaa } from "./ipv6.ts";
import { rpkiExists, rpkiValid } from "./rpki.ts";

type Answer = [type: string, data: string, owner?: string];
interface Fixed {
  rcode?: string;
  security?: Security;
  reason?: string;
  answer?: Answer[];
  zone?: string;
  chain?: Resolution["chain"];
}

/** A resolver answering from `zone` ("name|TYPE" → answer); anything else is an empty NOERROR with `fallback` security. */
function fixedResolver(zone: Record<string, Fixed>, fallback: Security = "secure"): Resolver {
  const resolver = {
    resolve(name: string, type: string): Promise<Resolution> {
      const key = `${name.replace(/\.$/, "")}|${type}`;
      const fixed = zone[key] ?? {};
      const security = fixed.security ?? fallback;
      return Promise.resolve({
        name,
        type,
        rcode: fixed.rcode ?? "NOERROR",
        security,
        reason: fixed.reason ?? null,
        answer: (fixed.answer ?? []).map(([recordType, data, owner]) => ({ name: owner ?? name, type: recordType, ttl: 300, data })),
        chain: fixed.chain ?? [{ zone: fixed.zone ?? "example.org.", security, dsKeyTags: [], dnskeyTags: [], note: undefined }],
        referrals: [],
      });
    },
  };
  // Only resolve() is read by DomainContext; the real class has private state a test double cannot have.
  return resolver as unknown as Resolver;
}

async function run(check: CheckDefinition, zone: Record<string, Fixed>, options: { domain?: string; routing?: RoutingData; allowPrivate?: boolean; fallback?: Security } = {}): Promise<CheckOutcome> {
  const ctx = new DomainContext(options.domain ?? "example.org", defaultSettings(fixedResolver(zone, options.fallback), { allowPrivate: options.allowPrivate ?? false, routing: options.routing ?? null }));
  try {
    return await check.run(ctx);
  } finally {
    ctx.close();
  }
}

describe("WEB_DNS_CHECKS", () => {
  it("exports the DNS checks with their categories and weights", () => {
    const ids = WEB_DNS_CHECKS.map((check) => `${check.id} ${check.category} ${check.weight}`);
    assert.deepEqual(ids, [
      "web.ipv6.ns-aaaa web.ipv6 required",
      "web.ipv6.ns-reachable web.ipv6 required",
      "web.ipv6.aaaa web.ipv6 required",
      "web.dnssec.exists web.dnssec required",
      "web.dnssec.valid web.dnssec required",
      "web.caa web.https recommended",
      "web.rpki.exists web.rpki recommended",
      "web.rpki.valid web.rpki required",
    ]);
  });
});

describe("web.dnssec.exists and web.dnssec.valid", () => {
  it("pass when the SOA answer is secure", async () => {
    const zone = { "example.org|SOA": { security: "secure" as const, answer: [["SOA", "ns. host. 1 2 3 4 5"]] as Answer[] } };
    assert.equal((await run(dnssecExists, zone)).status, "passed");
    const valid = await run(dnssecValid, zone);
    assert.equal(valid.status, "passed");
    assert.match(valid.summary, /validate as secure/);
  });

  it("fail when insecure, and say when the zone has keys but no DS", async () => {
    const unsigned = await run(dnssecExists, {}, { fallback: "insecure" });
    assert.equal(unsigned.status, "failed");
    assert.match(unsigned.summary, /is not signed/);
    const island = await run(dnssecExists, { "example.org|DNSKEY": { security: "insecure", answer: [["DNSKEY", "257 3 13 AAAA"]] } }, { fallback: "insecure" });
    assert.equal(island.status, "failed");
    assert.match(island.summary, /DNSKEY records but its parent org\. has no DS/);
    assert.equal((await run(dnssecValid, {}, { fallback: "insecure" })).status, "failed");
  });

  it("a DS with an unsupported algorithm: signed, and valid warns (internet.nl: notice)", async () => {
    const zone = {
      "example.org|SOA": {
        security: "insecure" as const,
        chain: [
          { zone: "org.", security: "secure" as const, dsKeyTags: [1], dnskeyTags: [1, 2], note: undefined },
          { zone: "example.org.", security: "insecure" as const, dsKeyTags: [3], dnskeyTags: [4], note: "every DS uses an unsupported algorithm (253/2)" },
        ],
      },
    };
    const exists = await run(dnssecExists, zone);
    assert.equal(exists.status, "passed");
    assert.match(exists.summary, /algorithms this validator does not support: every DS/);
    const valid = await run(dnssecValid, zone);
    assert.equal(valid.status, "warning");
    assert.match(valid.summary, /\(253\/2\)/);
  });

  it("bogus: signed (exists passes) but not valid, with the reason", async () => {
    const zone = { "example.org|SOA": { rcode: "SERVFAIL", security: "bogus" as const, reason: "RRSIG expired" } };
    assert.equal((await run(dnssecExists, zone)).status, "passed");
    const valid = await run(dnssecValid, zone);
    assert.equal(valid.status, "failed");
    assert.match(valid.summary, /RRSIG expired/);
  });

  it("a bogus A answer fails valid even when the SOA is secure", async () => {
    const valid = await run(dnssecValid, { "example.org|A": { rcode: "SERVFAIL", security: "bogus", reason: "bad signature on A" } });
    assert.equal(valid.status, "failed");
    assert.match(valid.summary, /the A answer .* bad signature on A/);
  });

  it("a name that does not exist cannot be judged", async () => {
    const zone = { "example.org|SOA": { rcode: "NXDOMAIN", security: "secure" as const } };
    for (const check of [dnssecExists, dnssecValid]) {
      const outcome = await run(check, zone);
      assert.equal(outcome.status, "error");
      assert.match(outcome.summary, /example\.org does not exist \(NXDOMAIN, secure\)/);
    }
  });

  it("SERVFAIL without a validation verdict is an error with the reason", async () => {
    const zone = { "example.org|SOA": { rcode: "SERVFAIL", security: "indeterminate" as const, reason: "no server answered" } };
    for (const check of [dnssecExists, dnssecValid]) {
      const outcome = await run(check, zone);
      assert.equal(outcome.status, "error");
      assert.match(outcome.summary, /no server answered/);
    }
  });
});

describe("web.caa", () => {
  it("climbs to the parent and passes on an issue property", async () => {
    const outcome = await run(caaCheck, { "org|CAA": { answer: [["CAA", '0 issue "ca.example.net; account=1"'], ["CAA", '0 iodef "mailto:sec@example.org"']] } }, { domain: "www.example.org" });
    assert.equal(outcome.status, "passed");
    assert.match(outcome.summary, /CAA at org \(parent of www\.example\.org\): issue allowed for ca\.example\.net/);
    assert.deepEqual(outcome.evidence.searched, ["www.example.org", "example.org", "org"]);
  });

  it("stops at the first non-empty set", async () => {
    const outcome = await run(caaCheck, {
      "example.org|CAA": { answer: [["CAA", '0 issuewild "ca.example.net"']] },
      "org|CAA": { answer: [["CAA", '0 issue "other.example"']] },
    }, { domain: "www.example.org" });
    assert.equal(outcome.status, "failed");
    assert.match(outcome.summary, /at example\.org .* no readable issue property/);
  });

  it("follows what the resolver gives for a CNAME", async () => {
    const outcome = await run(caaCheck, { "example.org|CAA": { answer: [["CNAME", "cdn.example.net."], ["CAA", '0 issue "ca.example"', "cdn.example.net."]] } });
    assert.equal(outcome.status, "passed");
    assert.deepEqual(outcome.evidence.aliases, ["example.org. CNAME cdn.example.net."]);
  });

  it("warns on parse errors; fails on an unknown critical property", async () => {
    const outcome = await run(caaCheck, { "example.org|CAA": { answer: [["CAA", '0 issue "ca.example"'], ["CAA", '0 iodef "ftp://x.example/"'], ["CAA", '0 tbs "x"']] } });
    assert.equal(outcome.status, "warning");
    assert.match(outcome.summary, /issue allowed for ca\.example; 1 record with errors/);
    assert.equal((outcome.evidence.parseErrors as string[]).length, 1);
    const critical = await run(caaCheck, { "example.org|CAA": { answer: [["CAA", '0 issue "ca.example"'], ["CAA", '128 tbs "x"']] } });
    assert.equal(critical.status, "failed");
    assert.match(critical.summary, /unknown property "tbs" is marked critical: certificate authorities must refuse to issue/);
  });

  it("says when no CA may issue, fails without CAA, errors on SERVFAIL", async () => {
    assert.match((await run(caaCheck, { "example.org|CAA": { answer: [["CAA", '0 issue ";"']] } })).summary, /no certificate authority may issue/);
    const none = await run(caaCheck, {});
    assert.equal(none.status, "failed");
    assert.match(none.summary, /no CAA records/);
    const broken = await run(caaCheck, { "org|CAA": { rcode: "SERVFAIL", security: "indeterminate", reason: "timeout" } });
    assert.equal(broken.status, "error");
  });
});

const twoNs: Record<string, Fixed> = {
  "example.org|NS": { answer: [["NS", "ns1.example.net."], ["NS", "ns2.example.net."], ["NS", "ns3.example.net."]] },
  "ns1.example.net|AAAA": { answer: [["AAAA", "2001:db8::53"]] },
  "ns1.example.net|A": { answer: [["A", "192.0.2.53"]] },
  "ns2.example.net|AAAA": { answer: [["AAAA", "2001:db8:1::53"]] },
  "ns3.example.net|A": { answer: [["A", "198.51.100.53"]] },
};

describe("web.ipv6.ns-aaaa and web.ipv6.aaaa", () => {
  it("finds the zone by climbing and passes with two IPv6 name servers", async () => {
    const outcome = await run(nsAaaa, twoNs, { domain: "www.example.org", allowPrivate: true });
    assert.equal(outcome.status, "passed");
    assert.match(outcome.summary, /2 of 3 name servers of example\.org have an IPv6 address/);
  });

  it("names the only name server when there is one", async () => {
    const outcome = await run(nsAaaa, { "example.org|NS": { answer: [["NS", "ns1.example.net."]] }, "ns1.example.net|AAAA": { answer: [["AAAA", "2a01:4f8::53"]] } });
    assert.equal(outcome.status, "failed");
    assert.match(outcome.summary, /the only name server of example\.org \(ns1\.example\.net\) has an IPv6 address, but at least two are required/);
  });

  it("fails with one, and refused addresses do not count", async () => {
    const outcome = await run(nsAaaa, { ...twoNs, "ns1.example.net|AAAA": { answer: [["AAAA", "2a01:4f8::53"]] }, "ns2.example.net|AAAA": { answer: [["AAAA", "::1"]] } });
    assert.equal(outcome.status, "failed");
    assert.match(outcome.summary, /only ns1\.example\.net .* at least two are required; ns2\.example\.net has only refused IPv6 addresses/);
  });

  it("web AAAA: passes with an address, fails without, lists refused ones", async () => {
    assert.equal((await run(webAaaa, { "example.org|AAAA": { answer: [["AAAA", "2001:db8::80"]] } }, { allowPrivate: true })).status, "passed");
    const none = await run(webAaaa, { "example.org|A": { answer: [["A", "192.0.2.80"]] } });
    assert.equal(none.status, "failed");
    assert.match(none.summary, /no AAAA record/);
    const refused = await run(webAaaa, { "example.org|AAAA": { answer: [["AAAA", "::1"]] } });
    assert.equal(refused.status, "failed");
    assert.match(refused.summary, /only refused IPv6 addresses: ::1 is a loopback/);
    assert.equal((await run(webAaaa, { "example.org|AAAA": { rcode: "SERVFAIL", security: "indeterminate", reason: "timeout" } })).status, "error");
  });

  it("ns-reachable is not_tested without IPv6 name servers and never queries refused ones", async () => {
    const outcome = await run(nsReachableCheck(53), { ...twoNs, "ns1.example.net|AAAA": { answer: [["AAAA", "::1"]] }, "ns2.example.net|AAAA": {} });
    assert.equal(outcome.status, "not_tested");
    assert.match(outcome.summary, /1 refused/);
  });
});

describe("web.rpki.exists and web.rpki.valid", () => {
  const zone: Record<string, Fixed> = {
    ...twoNs,
    "example.org|A": { answer: [["A", "192.0.2.80"]] },
    "example.org|AAAA": { answer: [["AAAA", "2001:db8::80"]] },
  };
  const routing: RoutingData = {
    vrps: [
      { prefix: "192.0.2.0/24", maxLength: 24, asn: 64496 },
      { prefix: "2001:db8::/32", maxLength: 48, asn: 64497 },
      { prefix: "198.51.100.0/24", maxLength: 24, asn: 64498 },
    ],
    origins: [
      { prefix: "192.0.2.0/24", asn: 64496 },
      { prefix: "2001:db8::/32", asn: 64497 },
      { prefix: "198.51.100.0/24", asn: 64498 },
    ],
    sources: { vrps: "vrps.json", origins: "origins.txt" },
  };

  it("are not_tested without routing data, with the reason", async () => {
    for (const check of [rpkiExists, rpkiValid]) {
      const outcome = await run(check, zone);
      assert.equal(outcome.status, "not_tested");
      assert.match(outcome.summary, /--rpki-vrps and --bgp-origins not given/);
    }
  });

  it("pass when every web and name server address has a valid route", async () => {
    const exists = await run(rpkiExists, zone, { routing });
    assert.equal(exists.status, "passed");
    assert.match(exists.summary, /all 6 addresses/);
    assert.equal((await run(rpkiValid, zone, { routing })).status, "passed");
  });

  it("valid fails on an invalid origin; exists names addresses without ROA or route", async () => {
    const hijacked: RoutingData = { ...routing, origins: [...routing.origins.filter((origin) => origin.prefix !== "198.51.100.0/24"), { prefix: "198.51.100.0/24", asn: 64666 }] };
    const valid = await run(rpkiValid, zone, { routing: hijacked });
    assert.equal(valid.status, "failed");
    assert.match(valid.summary, /198\.51\.100\.53 \(ns3\.example\.net \(NS\)\) \(route 198\.51\.100\.0\/24 from AS64666 matches no ROA\)/);
    const partial: RoutingData = { ...routing, vrps: routing.vrps.slice(0, 2), origins: routing.origins.slice(0, 2) };
    const exists = await run(rpkiExists, zone, { routing: partial });
    assert.equal(exists.status, "failed");
    assert.match(exists.summary, /no announced prefix covers 198\.51\.100\.53/);
    const uncovered: RoutingData = { ...routing, vrps: routing.vrps.slice(0, 2) };
    assert.match((await run(rpkiExists, zone, { routing: uncovered })).summary, /no ROA covers the route of 198\.51\.100\.53/);
    assert.equal((await run(rpkiValid, zone, { routing: uncovered })).status, "passed");
  });
});
