/**
 * The DNS checks against the DNS lab (lab/dns: real Knot, NSD and Unbound on
 * 127.53.x.y with a signed root of its own), through Baseline's validating
 * resolver started from the lab's root hints and trust anchor: real
 * delegations, real signatures, real failures. Needs root (port 53) and the
 * lab's daemons; skips otherwise. It starts the lab when it is not running
 * and stops it afterwards only in that case.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { defaultSettings, DomainContext } from "../../src/checks/context.ts";
import { parseRecords } from "../../src/dns/presentation.ts";
import { createResolver } from "../../src/dns/resolver.ts";
import type { RoutingData } from "../../src/checks/routing-data.ts";
import type { CheckDefinition, CheckOutcome } from "../../src/checks/types.ts";
import { caaCheck } from "../../src/checks/web/dns/caa.ts";
import { dnssecExists, dnssecValid } from "../../src/checks/web/dns/dnssec.ts";
import { nsAaaa, nsReachableCheck, webAaaa } from "../../src/checks/web/dns/ipv6.ts";
import { rpkiExists, rpkiValid } from "../../src/checks/web/dns/rpki.ts";
import { acquireLab, releaseLab } from "./lab-lock.ts";

const labDir = fileURLToPath(new URL("../../lab/dns/", import.meta.url));
const runDir = join(labDir, "run");
const TOOLS = ["/usr/sbin/knotd", "/usr/sbin/nsd", "/usr/sbin/unbound", "/usr/bin/dig"];

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return "the DNS lab needs root (port 53 on 127.53.x.y)";
  const missing = TOOLS.filter((tool) => !existsSync(tool));
  if (missing.length > 0) return `the DNS lab's tools are missing: ${missing.join(", ")} (lab/dns/start.sh installs them)`;
  return false;
}

const skip = skipReason();

describe("web DNS checks in the DNS lab", { skip, timeout: 900_000 }, () => {
  // Taken first, given back last: one lab test file at a time (lab-lock.ts).
  before(() => acquireLab());
  let startedHere = false;
  let resolver: ReturnType<typeof createResolver>;

  before(() => {
    const started = spawnSync("bash", [join(labDir, "start.sh")], { encoding: "utf8", timeout: 120_000 });
    assert.equal(started.status, 0, `lab/dns/start.sh failed: ${started.stdout}${started.stderr}`);
    startedHere = !started.stdout.includes("already running");
    resolver = createResolver({
      rootHints: parseRecords(readFileSync(join(runDir, "root.hints"), "utf8"), "root.hints"),
      trustAnchors: parseRecords(readFileSync(join(runDir, "root-anchor.ds"), "utf8"), "root-anchor.ds"),
      allowPrivate: true,
      // Short: the unreachable case waits for every attempt.
      timeoutMs: 700,
      retries: 1,
    });
  });

  after(() => {
    if (startedHere) spawnSync("bash", [join(labDir, "stop.sh")], { encoding: "utf8", timeout: 60_000 });
    releaseLab();
  });

  async function run(check: CheckDefinition, domain: string, routing: RoutingData | null = null): Promise<CheckOutcome> {
    const ctx = new DomainContext(domain, defaultSettings(resolver, { allowPrivate: true, timeoutMs: 1000, routing }));
    try {
      return await check.run(ctx);
    } finally {
      ctx.close();
    }
  }

  it("DNSSEC: a signed zone passes both checks", async () => {
    assert.equal((await run(dnssecExists, "ecdsap256.secure")).status, "passed");
    const valid = await run(dnssecValid, "www.ed25519.secure");
    assert.equal(valid.status, "passed", valid.summary);
    assert.equal(valid.evidence.zone, "ed25519.secure.");
  });

  it("DNSSEC: an unsigned zone fails both", async () => {
    const exists = await run(dnssecExists, "unsigned.insecure");
    assert.equal(exists.status, "failed");
    assert.match(exists.summary, /not signed/);
    assert.equal((await run(dnssecValid, "www.unsigned.insecure")).status, "failed");
  });

  it("DNSSEC: expired signatures are signed but bogus; a tampered A signature fails valid", async () => {
    assert.equal((await run(dnssecExists, "expired.bogus")).status, "passed");
    const expired = await run(dnssecValid, "expired.bogus");
    assert.equal(expired.status, "failed");
    assert.match(expired.summary, /bogus/);
    const tampered = await run(dnssecValid, "www.bad-signature.bogus");
    assert.equal(tampered.status, "failed");
    assert.match(tampered.summary, /the A answer for www\.bad-signature\.bogus does not validate/);
  });

  it("DNSSEC: a DS with an unsupported algorithm is signed, and valid only warns", async () => {
    assert.equal((await run(dnssecExists, "unknown-ds-algorithm.insecure")).status, "passed");
    const valid = await run(dnssecValid, "unknown-ds-algorithm.insecure");
    assert.equal(valid.status, "warning");
    assert.match(valid.summary, /unsupported algorithm/);
  });

  it("DNSSEC: a name that does not exist is an error, not a verdict", async () => {
    const outcome = await run(dnssecExists, "nonexistent.nsec.secure");
    assert.equal(outcome.status, "error");
    assert.match(outcome.summary, /does not exist \(NXDOMAIN, secure\)/);
  });

  it("DNSSEC: unreachable servers are an error, not a verdict", async () => {
    const outcome = await run(dnssecValid, "www.unreachable.secure");
    assert.equal(outcome.status, "error");
    assert.match(outcome.summary, /127\.53\.9\.9/);
  });

  it("CAA: found at the zone apex, also from a name below it; absent elsewhere", async () => {
    const apex = await run(caaCheck, "email.secure");
    assert.equal(apex.status, "passed", apex.summary);
    assert.match(apex.summary, /issue allowed for ca\.lab/);
    const below = await run(caaCheck, "www.email.secure");
    assert.equal(below.status, "passed");
    assert.equal(below.evidence.foundAt, "email.secure");
    const none = await run(caaCheck, "ecdsap256.secure");
    assert.equal(none.status, "failed");
    assert.deepEqual(none.evidence.searched, ["ecdsap256.secure", "secure"]);
  });

  it("IPv6: the lab's servers have IPv4 only", async () => {
    const ns = await run(nsAaaa, "www.ecdsap256.secure");
    assert.equal(ns.status, "failed");
    assert.equal(ns.evidence.zone, "ecdsap256.secure");
    assert.match(ns.summary, /the only name server of ecdsap256\.secure \(ns\.ecdsap256\.secure\) has no IPv6 address/);
    assert.equal((await run(nsReachableCheck(53), "ecdsap256.secure")).status, "not_tested");
    assert.equal((await run(webAaaa, "www.ecdsap256.secure")).status, "failed");
  });

  it("RPKI: validates the web and name server addresses the lab's DNS gives", async () => {
    const routing: RoutingData = {
      vrps: [{ prefix: "127.53.0.0/16", maxLength: 24, asn: 64496 }],
      origins: [{ prefix: "127.53.100.0/24", asn: 64496 }, { prefix: "127.53.4.0/24", asn: 64497 }],
      sources: { vrps: "test", origins: "test" },
    };
    const exists = await run(rpkiExists, "www.ecdsap256.secure", routing);
    assert.equal(exists.status, "passed", exists.summary);
    const valid = await run(rpkiValid, "www.ecdsap256.secure", routing);
    assert.equal(valid.status, "failed");
    assert.match(valid.summary, /127\.53\.4\.1 \(ns\.ecdsap256\.secure \(NS\)\) \(route 127\.53\.4\.0\/24 from AS64497/);
  });
});
