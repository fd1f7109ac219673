import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Resolution, Resolver } from "../dns/resolver.ts";
import { defaultSettings, DomainContext, normalizeDomain } from "./context.ts";
import { checkAndScore } from "./run.ts";
import type { CheckDefinition } from "./types.ts";
import { CheckInputError } from "./errors.ts";

/**
 * A resolver with fixed answers, so that the address policy can be tested
 * without a network; the lab tests use Baseline's real resolver.
 */
function fixedResolver(records: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolver = {
    asked,
    resolve(name: string, type = "A"): Promise<Resolution> {
      asked.push(`${name} ${type}`);
      const data = records[`${name} ${type}`] ?? [];
      return Promise.resolve({ name, type, rcode: "NOERROR", security: "insecure", reason: null, chain: [], referrals: [], answer: data.map((value) => ({ name, type, ttl: 60, data: value })) });
    },
  };
  return resolver as unknown as Resolver & { asked: string[] };
}

describe("normalizeDomain", () => {
  it("lowers case, drops the trailing dot and encodes IDNs", () => {
    assert.equal(normalizeDomain(" Example.ORG. "), "example.org");
    assert.equal(normalizeDomain("bücher.example"), "xn--bcher-kva.example");
  });

  for (const [input, message] of [
    ["", /empty/], ["192.0.2.1", /IP address/], ["[2001:db8::1]", /IP address/], ["https://example.org/", /not a domain name/],
    ["exa mple.org", /not a domain name/], ["-bad.example", /invalid label/], ["a..b", /invalid label ""/],
    [`${"a".repeat(64)}.example`, /invalid label/], ["localhost", /fully qualified/], [`${"a.".repeat(127)}org`, /longer than 253/],
  ] as const) {
    it(`refuses ${JSON.stringify(input).slice(0, 30)} in one line naming it`, () => {
      assert.throws(() => normalizeDomain(input), (error: Error) => error instanceof CheckInputError && message.test(error.message) && !error.message.includes("\n"));
    });
  }
});

describe("DomainContext", () => {
  it("refuses private addresses a public name points to, unless private targets are allowed", async () => {
    const resolver = fixedResolver({ "www.example.org. A": ["127.0.0.1", "192.0.2.10", "203.0.113.5", "8.8.8.8"], "www.example.org. AAAA": ["::1", "fd00::1", "2a00:1450::1"] });
    const strict = new DomainContext("example.org", defaultSettings(resolver));
    const addresses = await strict.addresses("www.example.org");
    assert.deepEqual(addresses.ipv4, ["8.8.8.8"]);
    assert.deepEqual(addresses.ipv6, ["2a00:1450::1"]);
    assert.deepEqual(addresses.refused.map((entry) => entry.address), ["127.0.0.1", "192.0.2.10", "203.0.113.5", "::1", "fd00::1"]);
    assert.match(addresses.refused.at(0)?.reason ?? "", /--allow-private/);
    assert.throws(() => strict.assertTarget("10.1.2.3"), /private/);
    strict.close();

    const lab = new DomainContext("example.org", defaultSettings(resolver, { allowPrivate: true }));
    assert.deepEqual((await lab.addresses("www.example.org")).ipv4, ["127.0.0.1", "192.0.2.10", "203.0.113.5", "8.8.8.8"]);
    lab.close();
  });

  it("asks DNS once however many checks want the same answer", async () => {
    const resolver = fixedResolver({ "example.org. A": ["8.8.8.8"] });
    const context = new DomainContext("example.org", defaultSettings(resolver));
    await Promise.all([context.addresses("example.org"), context.addresses("EXAMPLE.org"), context.resolve("example.org.", "A")]);
    assert.deepEqual(resolver.asked.sort(), ["example.org. A", "example.org. AAAA"]);
    context.close();
  });
});

describe("checkAndScore", () => {
  const check = (id: string, run: CheckDefinition["run"]): CheckDefinition => ({ id, standard: "https", category: "web.https", weight: "required", title: id, fix: "Serve the site over HTTPS on every address.", run });

  it("turns a thrown error into that test's error while the others still run", async () => {
    const report = await checkAndScore("example.org", "web", defaultSettings(fixedResolver({})), {
      checks: [
        check("web.a", () => Promise.resolve({ status: "passed", summary: "fine", evidence: {} })),
        check("web.b", () => Promise.reject(new Error("connection reset\nby peer"))),
      ],
    });
    assert.deepEqual(report.tests.map((test) => [test.id, test.status]), [["web.a", "passed"], ["web.b", "error"]]);
    const [passed, failed] = report.tests;
    assert.ok(passed && failed);
    assert.equal(failed.summary, "could not be tested: connection reset by peer");
    assert.equal(failed.fix, "Serve the site over HTTPS on every address.");
    assert.equal(passed.fix, null);
    assert.equal(report.categories.find((category) => category.id === "web.https")?.score, 50);
  });

  it("ends a check that outlives the domain's deadline in error, without waiting for it", async () => {
    const started = Date.now();
    const report = await checkAndScore("example.org", "web", defaultSettings(fixedResolver({}), { domainDeadlineMs: 200 }), {
      checks: [check("web.slow", () => new Promise(() => undefined)), check("web.quick", () => Promise.resolve({ status: "passed", summary: "ok", evidence: {} }))],
    });
    assert.ok(Date.now() - started < 2000);
    const [slow, quick] = report.tests;
    assert.ok(slow && quick);
    assert.equal(slow.status, "error");
    assert.match(slow.summary, /deadline of 200 ms/);
    assert.equal(quick.status, "passed");
  });
});
