// testssl.sh as the oracle for Baseline's TLS checks (slow lab test: about
// two minutes; needs root and Debian's testssl.sh). For a handful of the web
// lab's TLS hosts it runs testssl (in parallel, each with only the sections its case needs), turns its
// findings into web.tls.* verdicts (lab/net/testssl-verdicts.ts), and asserts
// that Baseline's checks on the same host say the same. testssl's answers
// are kept in lab/net/run/testssl/ for the lab start they belong to, so a
// second run against the same lab skips testssl.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseTestsslJson, verdictsFromTestssl, type Verdicts } from "../../lab/net/testssl-verdicts.ts";
import { defaultSettings } from "../../src/checks/context.ts";
import { checkAndScore } from "../../src/checks/run.ts";
import { parseRecords } from "../../src/dns/presentation.ts";
import { createResolver } from "../../src/dns/resolver.ts";
import { acquireLab, releaseLab } from "./lab-lock.ts";

const netDir = fileURLToPath(new URL("../../lab/net/", import.meta.url));
const netRun = join(netDir, "run");
const dnsRun = fileURLToPath(new URL("../../lab/dns/run/", import.meta.url));

/**
 * The hosts testssl looks at, each with only the sections that decide what
 * it was built for: testssl starts slowly (tens of seconds a host on two
 * cores), so all of them run at once and none runs more than it needs.
 */
const HOSTS: Record<string, string[]> = {
  "good.web.secure": ["-p", "-R", "-C"],
  "tls10.web.secure": ["-p"],
  "rsa-kx.web.secure": ["-P"],
  "client-order.web.secure": ["-P"],
  "ffdhe2048.web.secure": ["-f"],
  "no-ems.web.secure": ["-S"],
  "client-reneg.web.secure": ["-R"],
};
const HOST_NAMES = Object.keys(HOSTS);

function missing(): string | null {
  if (process.getuid?.() !== 0) return "needs root (the web lab)";
  for (const tool of ["testssl", "nginx", "openssl"]) {
    if (spawnSync("bash", ["-c", `PATH=$PATH:/usr/sbin command -v ${tool}`]).status !== 0) return `${tool} is missing (scripts/system-deps.sh installs it)`;
  }
  return null;
}
const skip = missing();

function addressOf(host: string): string {
  const answer = spawnSync("dig", ["+short", "@127.53.0.53", host, "A"], { encoding: "utf8" }).stdout.trim().split("\n")[0] ?? "";
  assert.match(answer, /^127\.54\.\d+\.\d+$/, `${host} resolves in the lab`);
  return answer;
}

/** testssl's findings for one host: from the cache of this lab start, or a fresh run. */
function testssl(host: string, cacheDir: string): Promise<string> {
  const file = join(cacheDir, `${host}.json`);
  if (existsSync(file)) return Promise.resolve(readFileSync(file, "utf8"));
  const args = ["--jsonfile", `${file}.tmp`, "--quiet", "--warnings", "off", "--color", "0", "--nodns", "none",
    "--connect-timeout", "5", "--openssl-timeout", "5", "--ip", addressOf(host), ...(HOSTS[host] ?? []), `${host}:443`];
  return new Promise((resolve, reject) => {
    rmSync(`${file}.tmp`, { force: true });
    const child = spawn("testssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 160_000);
    child.on("close", () => {
      clearTimeout(timer);
      if (!existsSync(`${file}.tmp`)) {
        reject(new Error(`testssl wrote nothing for ${host}: ${stderr.slice(0, 500)}`));
        return;
      }
      spawnSync("mv", [`${file}.tmp`, file]);
      resolve(readFileSync(file, "utf8"));
    });
  });
}

describe("testssl.sh oracle for web.tls.* (slow)", { skip: skip ?? false, timeout: 900_000 }, () => {
  // Taken first, given back last: one lab test file at a time (lab-lock.ts).
  before(() => acquireLab());
  const oracle = new Map<string, Verdicts>();

  before(async () => {
    const started = spawnSync("bash", [join(netDir, "start.sh")], { encoding: "utf8", timeout: 180_000 });
    assert.equal(started.status, 0, started.stderr);
    // One cache per lab start: the generation file changes with every start.
    const generation = readFileSync(join(netRun, "generation"), "utf8").trim().slice(0, 16);
    const cacheDir = join(netRun, "testssl", generation);
    mkdirSync(cacheDir, { recursive: true });
    const answers = await Promise.all(HOST_NAMES.map((host) => testssl(host, cacheDir)));
    HOST_NAMES.forEach((host, index) => oracle.set(host, verdictsFromTestssl(parseTestsslJson(answers[index] ?? "[]"))));
  });

  after(() => {
    spawnSync("bash", [join(netDir, "stop.sh")], { encoding: "utf8", timeout: 60_000 });
    releaseLab();
  });

  it("testssl gives each host the verdict it was built for", () => {
    assert.equal(oracle.get("good.web.secure")?.["web.tls.versions"], "passed");
    assert.equal(oracle.get("tls10.web.secure")?.["web.tls.versions"], "failed");
    assert.equal(oracle.get("rsa-kx.web.secure")?.["web.tls.ciphers"], "failed");
    assert.equal(oracle.get("client-order.web.secure")?.["web.tls.cipher-order"], "failed");
    assert.equal(oracle.get("ffdhe2048.web.secure")?.["web.tls.key-exchange"], "failed");
    assert.equal(oracle.get("no-ems.web.secure")?.["web.tls.ems"], "failed");
    assert.equal(oracle.get("client-reneg.web.secure")?.["web.tls.client-renegotiation"], "warning");
  });

  describe("Baseline agrees with testssl", () => {
    for (const host of skip === null ? HOST_NAMES : []) {
      it(host, async () => {
        const verdicts = oracle.get(host) ?? {};
        const ids = Object.keys(verdicts);
        assert.ok(ids.length > 0, `testssl gave verdicts for ${host}`);
        const resolver = createResolver({
          rootHints: parseRecords(readFileSync(join(dnsRun, "root.hints"), "utf8"), "root.hints"),
          trustAnchors: parseRecords(readFileSync(join(dnsRun, "root-anchor.ds"), "utf8"), "root-anchor.ds"),
          allowPrivate: true,
        });
        const settings = defaultSettings(resolver, { allowPrivate: true, extraCa: [readFileSync(join(netRun, "ca.pem"), "utf8")], domainDeadlineMs: 30_000 });
        const report = await checkAndScore(host, "web", settings, { only: ids });
        const disagreements = ids.flatMap((id) => {
          const ours = report.tests.find((test) => test.id === id);
          if (!ours) return [`${id}: not implemented in Baseline (testssl: ${verdicts[id] ?? "?"})`];
          return ours.status === verdicts[id] ? [] : [`${id}: Baseline ${ours.status} ("${ours.summary}"), testssl ${verdicts[id] ?? "?"}`];
        });
        assert.deepEqual(disagreements, [], `${host}:\n  ${disagreements.join("\n  ")}`);
      });
    }
  });
});
