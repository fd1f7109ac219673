// The web lab (lab/net) and Baseline's web checks on it (slow: it starts the
// DNS lab and nginx, s_server and hostile servers on 127.54.0.N and
// fd00:5a5a::N; needs root). First it checks that the lab serves what its
// cases claim (names validate, TLSA matches the served key, IPv6 addresses are
// on lo, start.sh is idempotent); then, for every case of lab/net/cases.json,
// it runs the one check the case names and compares the status with the
// case's `expect`. A check that does not exist yet fails its cases with
// "not implemented". The web lab is stopped at the end (the DNS lab is left
// running: other tests may share it; lab/dns/stop.sh stops it).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { defaultSettings, type CheckSettings } from "../../src/checks/context.ts";
import { checksOf } from "../../src/checks/registry.ts";
import { loadBgpOrigins, loadVrps } from "../../src/checks/routing-data.ts";
import { checkAndScore } from "../../src/checks/run.ts";
import type { CheckResult, CheckStatus } from "../../src/checks/types.ts";
import { parseRecords } from "../../src/dns/presentation.ts";
import { createResolver } from "../../src/dns/resolver.ts";
import { acquireLab, releaseLab } from "./lab-lock.ts";

const netDir = fileURLToPath(new URL("../../lab/net/", import.meta.url));
const netRun = join(netDir, "run");
const dnsRun = fileURLToPath(new URL("../../lab/dns/run/", import.meta.url));
/** Cases run this many at a time (each is one check on one domain). */
const CONCURRENCY = 12;

interface WebCase {
  check: string;
  domain: string;
  expect: CheckStatus;
  why: string;
}

function missingTool(): string | null {
  if (process.getuid?.() !== 0) return "needs root (ports 53, 80, 443 on loopback, addresses on lo)";
  for (const tool of ["nginx", "openssl", "ip"]) {
    const found = spawnSync("bash", ["-c", `PATH=$PATH:/usr/sbin:/sbin command -v ${tool}`], { encoding: "utf8" });
    if (found.status !== 0) return `${tool} is missing (scripts/system-deps.sh installs it)`;
  }
  return null;
}
const skip = missingTool();

function runScript(script: string): string {
  const result = spawnSync("bash", [join(netDir, script)], { encoding: "utf8", timeout: 180_000 });
  assert.equal(result.status, 0, `${script} exited with ${String(result.status)}: ${result.stderr}${result.error?.message ?? ""}`);
  return result.stdout;
}

function dig(name: string, type: string): string {
  return spawnSync("dig", ["@127.53.0.53", name, type, "+dnssec", "+time=3", "+tries=1"], { encoding: "utf8" }).stdout;
}

function readCases(): WebCase[] {
  return JSON.parse(readFileSync(join(netDir, "cases.json"), "utf8")) as WebCase[];
}

/** Settings as `baseline check --allow-private --ca-file run/ca.pem --rpki-vrps ... --bgp-origins ...` would make them. */
function labSettings(): CheckSettings {
  const resolver = createResolver({
    rootHints: parseRecords(readFileSync(join(dnsRun, "root.hints"), "utf8"), "root.hints"),
    trustAnchors: parseRecords(readFileSync(join(dnsRun, "root-anchor.ds"), "utf8"), "root-anchor.ds"),
    allowPrivate: true,
    timeoutMs: 1500,
    retries: 1,
  });
  const vrpsFile = join(netDir, "rpki", "vrps.json");
  const originsFile = join(netDir, "rpki", "bgp-origins.txt");
  return defaultSettings(resolver, {
    allowPrivate: true,
    extraCa: [readFileSync(join(netRun, "ca.pem"), "utf8")],
    routing: { vrps: loadVrps(vrpsFile), origins: loadBgpOrigins(originsFile), sources: { vrps: vrpsFile, origins: originsFile } },
    timeoutMs: 3000,
    domainDeadlineMs: 25_000,
  });
}

/** Alive and not a zombie (the lab's daemons are reparented to init, which may be slow to reap them). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Runs `work` over `items`, `limit` at a time. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

describe("web lab (slow)", { skip: skip ?? false, timeout: 900_000 }, () => {
  // Taken first, given back last: one lab test file at a time (lab-lock.ts).
  before(() => acquireLab());
  after(() => {
    spawnSync("bash", [join(netDir, "stop.sh")], { encoding: "utf8", timeout: 60_000 });
    releaseLab();
  });

  before(() => {
    assert.match(runScript("start.sh"), /^web-lab: (up in \d+s|already running)/m);
  });

  it("names every host in the DNS lab: signed, unsigned and bogus as the zones say", () => {
    assert.match(dig("good.web.secure.", "A"), /flags: qr rd ra ad;/);
    assert.match(dig("good.web.secure.", "AAAA"), /good\.web\.secure\.\s+\d+\s+IN\s+AAAA\s+fd00:5a5a::2/);
    assert.doesNotMatch(dig("good.web.insecure.", "A"), /flags:[a-z ]* ad;/);
    assert.match(dig("good.web.bogus.", "A"), /status: SERVFAIL/);
    assert.match(dig("web.secure.", "NS"), /ns2\.web\.secure\./);
    assert.doesNotMatch(dig("v4only.web.secure.", "AAAA"), /^v4only\.web\.secure\.\s+\d+\s+IN\s+AAAA/m);
  });

  it("serves the key its TLSA record names, and a different one for dane-bad", () => {
    const tlsa = (name: string): string => /TLSA\s+3 1 1 ([0-9A-F ]+)/.exec(dig(`_443._tcp.${name}.`, "TLSA"))?.[1]?.replace(/ /g, "").toLowerCase() ?? "";
    const served = (address: string, name: string): string => {
      const script = `openssl s_client -connect ${address}:443 -servername ${name} </dev/null 2>/dev/null | openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum`;
      return spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: 10_000 }).stdout.split(" ")[0] ?? "";
    };
    const address = (name: string): string => /\sIN\s+A\s+(127\.54\.\d+\.\d+)/.exec(dig(`${name}.`, "A"))?.[1] ?? "";
    assert.equal(tlsa("good.web.secure"), served(address("good.web.secure"), "good.web.secure"));
    const bad = tlsa("dane-bad.web.secure");
    assert.match(bad, /^[0-9a-f]{64}$/);
    assert.notEqual(bad, served(address("dane-bad.web.secure"), "dane-bad.web.secure"));
  });

  it("puts the IPv6 addresses on lo, and the name servers answer there", () => {
    const addresses = spawnSync("ip", ["-6", "-o", "addr", "show", "dev", "lo"], { encoding: "utf8" }).stdout;
    assert.match(addresses, /fd00:5a5a::2\/128/);
    assert.match(addresses, /fd00:5a5a::53:1\/128/);
    const answer = spawnSync("dig", ["@fd00:5a5a::53:2", "web.secure.", "SOA", "+norec", "+tcp", "+time=3"], { encoding: "utf8" }).stdout;
    assert.match(answer, /status: NOERROR/);
    assert.match(answer, /flags: qr aa/);
  });

  it("start.sh again finds the lab running", () => {
    const pid = readFileSync(join(netRun, "nginx.pid"), "utf8");
    assert.match(runScript("start.sh"), /already running/);
    assert.equal(readFileSync(join(netRun, "nginx.pid"), "utf8"), pid);
  });

  it("every web check has a passing and a failing case", () => {
    const cases = readCases();
    const ids = checksOf("web").map((check) => check.id);
    const spec = [
      "web.ipv6.ns-aaaa", "web.ipv6.ns-reachable", "web.ipv6.aaaa", "web.ipv6.reachable", "web.ipv6.same-content",
      "web.dnssec.exists", "web.dnssec.valid", "web.https.available", "web.https.redirect", "web.hsts", "web.http-compression",
      "web.cert.trust", "web.cert.hostname", "web.cert.pubkey", "web.cert.signature",
      "web.headers.x-frame-options", "web.headers.x-content-type-options", "web.headers.referrer-policy", "web.headers.csp",
      "web.tls.versions", "web.tls.ciphers", "web.tls.cipher-order", "web.tls.key-exchange", "web.tls.kex-hash", "web.tls.compression",
      "web.tls.secure-renegotiation", "web.tls.client-renegotiation", "web.tls.zero-rtt", "web.tls.ocsp-stapling", "web.tls.ems",
      "web.tls.pq-kex", "web.caa", "web.dane.exists", "web.dane.valid", "web.security-txt", "web.rpki.exists", "web.rpki.valid",
    ];
    for (const id of new Set([...spec, ...ids])) {
      assert.ok(cases.some((entry) => entry.check === id && entry.expect === "passed"), `${id} has a passing case`);
      assert.ok(cases.some((entry) => entry.check === id && entry.expect !== "passed"), `${id} has a failing case`);
    }
  });

  describe("Baseline's checks give each case its expected status", () => {
    const results = new Map<WebCase, CheckResult | string>();
    before(async () => {
      const settings = labSettings();
      const cases = readCases();
      await mapLimited(cases, CONCURRENCY, async (entry) => {
        try {
          const report = await checkAndScore(entry.domain, "web", settings, { only: [entry.check] });
          results.set(entry, report.tests.find((test) => test.id === entry.check) ?? "not implemented: no such check in the web suite yet");
        } catch (error) {
          results.set(entry, `checkAndScore threw: ${error instanceof Error ? error.message : String(error)}`);
        }
      });
    });

    const cases = skip === null ? JSON.parse(readFileSync(join(netDir, "cases.json"), "utf8")) as WebCase[] : [];
    for (const entry of cases) {
      it(`${entry.check} on ${entry.domain} is ${entry.expect} (${entry.why})`, () => {
        const found = [...results].find(([key]) => key.check === entry.check && key.domain === entry.domain && key.expect === entry.expect)?.[1];
        assert.ok(found !== undefined, "the case ran");
        if (typeof found === "string") assert.fail(`${entry.check} on ${entry.domain}: ${found}`);
        assert.equal(found.status, entry.expect, `${entry.check} on ${entry.domain}: got ${found.status} ("${found.summary}"), expected ${entry.expect} because ${entry.why}`);
      });
    }
  });

  it("stop.sh stops everything and removes the addresses; a second stop has nothing to do", () => {
    const pid = Number(readFileSync(join(netRun, "nginx.pid"), "utf8").trim());
    assert.match(runScript("stop.sh"), /stopped \d+ processes/);
    assert.ok(!isAlive(pid), "nginx is gone");
    assert.doesNotMatch(spawnSync("ip", ["-6", "addr", "show", "dev", "lo"], { encoding: "utf8" }).stdout, /fd00:5a5a::/);
    assert.match(runScript("stop.sh"), /not running/);
  });
});
