// The DNS lab and the DNS engine on it (slow: it starts real Knot DNS, NSD
// and Unbound on 127.53.x.y, needs root). It checks that every authoritative
// server answers for every zone it holds, that Unbound, the oracle, judges
// every case in cases.json as expected, that a few cases are built the way
// their description says, that Baseline's resolver agrees with Unbound on
// every case (directly and through --resolver), and that start.sh and
// stop.sh are idempotent and can be repeated. Whatever fails, the lab is
// stopped at the end. One file, because its steps share one lab.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseRecords } from "../../src/dns/presentation.ts";
import { createResolver, type ResolverOptions } from "../../src/dns/resolver.ts";
import type { Security } from "../../src/dns/types.ts";
import { acquireLab, releaseLab } from "./lab-lock.ts";

const labDir = fileURLToPath(new URL("../../lab/dns/", import.meta.url));
const bin = fileURLToPath(new URL("../../bin/baseline.js", import.meta.url));
const runDir = join(labDir, "run");


interface LabCase {
  id: string;
  name: string;
  type: string;
  description: string;
  expect: { rcode: string; security: Security };
}

interface LabServer {
  id: string;
  implementation: "knot" | "nsd" | "unbound";
  role: "authoritative" | "resolver";
  addresses: string[];
  pidFile: string;
  zones: string[];
}

interface DigReply {
  status: string;
  flags: string[];
  /** Records of the answer, authority and additional sections, one per line. */
  records: string[][];
}

function runScript(script: string): string {
  const result = spawnSync("bash", [join(labDir, script)], { encoding: "utf8", timeout: 120_000 });
  assert.equal(result.status, 0, `${script} exited with ${String(result.status)}: ${result.stderr}${result.error?.message ?? ""}`);
  return result.stdout;
}

function dig(server: string, name: string, type: string, options: string[] = []): DigReply {
  const result = spawnSync("dig", [`@${server}`, name, type, "+time=5", "+tries=1", "+dnssec", ...options], {
    encoding: "utf8",
    timeout: 20_000,
  });
  const status = /status: ([A-Z]+)/.exec(result.stdout)?.[1];
  const flags = /;; flags: ([a-z ]*);/.exec(result.stdout)?.[1];
  if (status === undefined || flags === undefined) {
    throw new Error(`no reply from ${server} for ${name} ${type}: ${result.stdout}${result.stderr}`);
  }
  const records = result.stdout
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith(";"))
    .map((line) => line.split(/\s+/));
  return { status, flags: flags.trim().split(/\s+/), records };
}

/**
 * Unbound's verdict, read the way the lab's README defines it: AD set means
 * secure; a SERVFAIL that checking disabled (CD) turns into data is a
 * validation failure, so bogus; a SERVFAIL even with CD means nothing could
 * be decided; any other answer without AD is insecure.
 */
function unboundSecurity(resolver: string, name: string, type: string): { rcode: string; security: Security } {
  const plain = dig(resolver, name, type);
  if (plain.flags.includes("ad")) return { rcode: plain.status, security: "secure" };
  if (plain.status !== "SERVFAIL") return { rcode: plain.status, security: "insecure" };
  const unchecked = dig(resolver, name, type, ["+cd"]);
  return { rcode: plain.status, security: unchecked.status === "SERVFAIL" ? "indeterminate" : "bogus" };
}

function readServers(): LabServer[] {
  return JSON.parse(readFileSync(join(runDir, "servers.json"), "utf8")) as LabServer[];
}

function readCases(): LabCase[] {
  return JSON.parse(readFileSync(join(runDir, "cases.json"), "utf8")) as LabCase[];
}

function recordedPids(): number[] {
  return readServers().map((server) => {
    const file = join(runDir, server.pidFile);
    assert.ok(existsSync(file), `${server.pidFile} exists`);
    return Number(readFileSync(file, "utf8").trim());
  });
}

/** Alive and not a zombie (a container's init may be slow to reap). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function resolverAddress(): string {
  return readFileSync(join(runDir, "unbound.addr"), "utf8").trim();
}

function recordsOfType(reply: DigReply, type: string): string[][] {
  return reply.records.filter((fields) => fields[3] === type);
}

// Port 53 on loopback addresses needs root; elsewhere the lab cannot start.
const notRoot = process.getuid?.() !== 0 ? "needs root (servers on port 53 of 127.53.x.y)" : false;

describe("lab (slow)", { timeout: 900_000, skip: notRoot }, () => {
  // Taken first, given back last: one lab test file at a time (lab-lock.ts).
  before(() => acquireLab());
  after(() => {
    spawnSync("bash", [join(labDir, "stop.sh")], { encoding: "utf8", timeout: 60_000 });
    releaseLab();
  });

  it("starts, and every server answers for every zone it serves", () => {
    // A lab someone left running counts too: start.sh then only checks it.
    assert.match(runScript("start.sh"), /^dns-lab: (up in \d+s|already running)/m);
    const servers = readServers();
    assert.ok(servers.filter((server) => server.implementation === "knot").length >= 2);
    assert.ok(servers.filter((server) => server.implementation === "nsd").length >= 2);
    for (const server of servers.filter((entry) => entry.role === "authoritative")) {
      for (const address of server.addresses) {
        for (const zone of server.zones) {
          const reply = dig(address, zone, "SOA", ["+norec"]);
          assert.equal(reply.status, "NOERROR", `${server.id} at ${address} for ${zone}`);
          assert.ok(reply.flags.includes("aa"), `${server.id} at ${address} is authoritative for ${zone}`);
        }
      }
    }
    const root = dig(resolverAddress(), ".", "SOA");
    assert.equal(root.status, "NOERROR");
    assert.ok(root.flags.includes("ad"), "Unbound validates the lab's root from run/root-anchor.ds");
  });

  it("leaves root hints, the root trust anchor and the resolver's address in run/", () => {
    const hints = readFileSync(join(runDir, "root.hints"), "utf8");
    assert.match(hints, /^\.\s+3600000\s+NS\s+a\.root\.lab\.$/m);
    assert.match(hints, /^a\.root\.lab\.\s+3600000\s+A\s+127\.53\.0\.1$/m);
    const anchor = readFileSync(join(runDir, "root-anchor.ds"), "utf8");
    assert.match(anchor, /^\. \d+ IN DS \d+ 8 2 [0-9A-F]{64}$/m);
    assert.match(resolverAddress(), /^127\.53\.\d+\.\d+$/);
  });

  it("Unbound judges every case as cases.json expects", async (t) => {
    const cases = readCases();
    assert.ok(cases.length >= 40, "the case list is complete");
    const resolver = resolverAddress();
    for (const labCase of cases) {
      await t.test(`${labCase.id}: ${labCase.name} ${labCase.type}`, () => {
        assert.deepEqual(unboundSecurity(resolver, labCase.name, labCase.type), labCase.expect, labCase.description);
      });
    }
  });

  it("builds the cases the way their descriptions say", () => {
    const resolver = resolverAddress();
    const algorithms: [string, string][] = [
      ["rsasha256.secure.", "8"], ["rsasha512.secure.", "10"], ["ecdsap256.secure.", "13"], ["ecdsap384.secure.", "14"],
      ["ed25519.secure.", "15"], ["ed448.secure.", "16"], ["rsasha1.secure.", "5"], ["rsasha1-nsec3.secure.", "7"],
    ];
    for (const [zone, algorithm] of algorithms) {
      const keys = recordsOfType(dig(resolver, zone, "DNSKEY", ["+cd"]), "DNSKEY");
      assert.ok(keys.length > 0 && keys.every((fields) => fields[6] === algorithm), `${zone} has only algorithm ${algorithm} keys`);
    }
    // A wildcard answer's RRSIG has fewer labels than the name it covers (RFC 4035 §5.3.4).
    const wildcard = recordsOfType(dig(resolver, "anything.wild.secure.", "A"), "RRSIG");
    assert.equal(wildcard[0]?.[6], "2");
    const dname = dig(resolver, "www.alias.dname.secure.", "A");
    assert.equal(recordsOfType(dname, "DNAME")[0]?.[4], "ecdsap384.secure.");
    const toInsecure = dig(resolver, "to-insecure.cname.secure.", "A");
    assert.equal(recordsOfType(toInsecure, "CNAME")[0]?.[4], "www.unsigned.insecure.");
    // Opt-out: the parent has no NSEC3 for the unsigned child, only opt-out ones around it.
    const optOut = dig("127.53.3.1", "unsigned.optout.insecure.", "DS", ["+norec"]);
    const nsec3 = recordsOfType(optOut, "NSEC3");
    assert.ok(nsec3.length > 0 && nsec3.every((fields) => fields[5] === "1"), "every NSEC3 has the opt-out flag");
    // The NXDOMAIN for "gone" carries a signed NSEC whose next name is "gone" itself.
    const wrong = dig("127.53.5.1", "gone.wrong-nsec.bogus.", "A", ["+norec"]);
    assert.equal(wrong.status, "NXDOMAIN");
    assert.ok(recordsOfType(wrong, "NSEC").some((fields) => fields[4] === "gone.wrong-nsec.bogus."));
    const stripped = dig("127.53.5.1", "nonexistent.missing-nsec.bogus.", "A", ["+norec"]);
    assert.equal(stripped.status, "NXDOMAIN");
    assert.equal(recordsOfType(stripped, "NSEC").length, 0);
  });

  /** Baseline's resolver set up for the lab, with --root-hints, --trust-anchor and --allow-private. */
  function labResolver(extra: ResolverOptions = {}): ReturnType<typeof createResolver> {
    return createResolver({
      rootHints: parseRecords(readFileSync(join(runDir, "root.hints"), "utf8"), "root.hints"),
      trustAnchors: parseRecords(readFileSync(join(runDir, "root-anchor.ds"), "utf8"), "root-anchor.ds"),
      allowPrivate: true,
      timeoutMs: 1000,
      retries: 1,
      ...extra,
    });
  }

  it("Baseline's resolver agrees with Unbound on every case", async (t) => {
    const resolver = labResolver();
    const unbound = resolverAddress();
    for (const labCase of readCases()) {
      await t.test(`${labCase.id}: ${labCase.name} ${labCase.type}`, async () => {
        const ours = await resolver.resolve(labCase.name, labCase.type);
        const oracle = unboundSecurity(unbound, labCase.name, labCase.type);
        assert.deepEqual({ rcode: ours.rcode, security: ours.security }, oracle, `${labCase.description}; baseline's reason: ${ours.reason ?? "none"}`);
        if (ours.security === "bogus" || ours.security === "indeterminate") {
          // A reason a person can act on names the record or zone that failed.
          assert.match(ours.reason ?? "", /[a-z0-9-]+\.[a-z0-9.-]*\./, `${labCase.id}: ${ours.reason ?? "no reason"}`);
        } else {
          assert.equal(ours.reason, null);
        }
      });
    }
  });

  it("validates locally what an upstream resolver returns (--resolver)", async (t) => {
    const [address = "127.53.0.53", port = "53"] = resolverAddress().split(":");
    const resolver = labResolver({ upstream: { address, port: Number(port) } });
    for (const labCase of readCases().filter((entry) => entry.expect.security !== "indeterminate")) {
      await t.test(`${labCase.id} via --resolver`, async () => {
        const ours = await resolver.resolve(labCase.name, labCase.type);
        assert.deepEqual({ rcode: ours.rcode, security: ours.security }, labCase.expect, `${labCase.description}; baseline's reason: ${ours.reason ?? "none"}`);
      });
    }
  });

  it("answers `baseline dns` on the command line as interfaces.md shows", () => {
    const secure = readCases().find((entry) => entry.expect.security === "secure" && entry.type === "A");
    assert.ok(secure);
    const lab = ["--root-hints", join(runDir, "root.hints"), "--trust-anchor", join(runDir, "root-anchor.ds")];
    const json = spawnSync(process.execPath, [bin, "dns", secure.name, "A", "--json", ...lab, "--allow-private"], { encoding: "utf8" });
    assert.equal(json.status, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { name: string; rcode: string; security: string; reason: null; answer: { name: string; type: string; ttl: number; data: string }[] };
    assert.equal(parsed.name, secure.name.endsWith(".") ? secure.name : `${secure.name}.`);
    assert.equal(parsed.rcode, "NOERROR");
    assert.equal(parsed.security, "secure");
    assert.equal(parsed.reason, null);
    assert.ok(parsed.answer.some((record) => record.type === "A" && /^\d+\.\d+\.\d+\.\d+$/.test(record.data) && record.ttl > 0));

    const text = spawnSync(process.execPath, [bin, "dns", secure.name, ...lab, "--allow-private"], { encoding: "utf8" });
    assert.match(text.stdout, /;; chain of trust:\n;; {3}\. +secure/);
    assert.match(text.stdout, /^; fully validated$/m);

    const bogus = readCases().find((entry) => entry.expect.security === "bogus");
    assert.ok(bogus);
    const failed = spawnSync(process.execPath, [bin, "dns", bogus.name, bogus.type, ...lab, "--allow-private"], { encoding: "utf8" });
    assert.equal(failed.status, 0);
    assert.match(failed.stdout, /^; bogus: .+\n; status: SERVFAIL$/m);

    const refused = spawnSync(process.execPath, [bin, "dns", secure.name, ...lab], { encoding: "utf8" });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^baseline: refusing to query 127\.53\.\d+\.\d+: loopback, private or special-purpose address \(use --allow-private for a lab\)\n$/);
  });

  it("start.sh again finds the lab running and keeps the same daemons", () => {
    const before = recordedPids();
    assert.match(runScript("start.sh"), /already running/);
    assert.deepEqual(recordedPids(), before);
    assert.ok(before.every(isAlive));
  });

  it("stop.sh stops every daemon, and a second stop.sh has nothing to do", () => {
    const pids = recordedPids();
    assert.match(runScript("stop.sh"), /stopped \d+ daemons/);
    assert.deepEqual(pids.filter(isAlive), [], "no daemon survives stop.sh");
    for (const server of readServers()) {
      assert.ok(!existsSync(join(runDir, server.pidFile)), `${server.pidFile} is removed`);
    }
    assert.match(runScript("stop.sh"), /not running/);
  });

  it("starts and stops cleanly twice in a row", () => {
    for (let round = 1; round <= 2; round++) {
      assert.match(runScript("start.sh"), /up in/, `start ${round}`);
      const pids = recordedPids();
      assert.ok(pids.every(isAlive), `every daemon runs after start ${round}`);
      assert.ok(dig(resolverAddress(), "www.ed448.secure.", "A").flags.includes("ad"));
      runScript("stop.sh");
      assert.deepEqual(pids.filter(isAlive), [], `no daemon survives stop ${round}`);
    }
  });
});
