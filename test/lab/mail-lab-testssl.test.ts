// testssl.sh as the oracle for Baseline's mail TLS checks (slow lab test;
// needs root and Debian's testssl.sh). For the mail lab's TLS profiles it
// runs `testssl --starttls smtp` against the MX host (in parallel, each with
// only the sections its case needs), turns the findings into verdicts with
// the web lab's mapping (lab/net/testssl-verdicts.ts: web.tls.X becomes
// mail.tls.X), and asserts that Baseline's mail checks on the domain say the
// same. testssl's answers are cached in lab/mail/run/testssl/ for the lab
// start they belong to.
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

const mailDir = fileURLToPath(new URL("../../lab/mail/", import.meta.url));
const mailRun = join(mailDir, "run");
const netRun = fileURLToPath(new URL("../../lab/net/run/", import.meta.url));
const dnsRun = fileURLToPath(new URL("../../lab/dns/run/", import.meta.url));

/** Mail domains (their MX is mx.DOMAIN) and the testssl sections that decide what each was built for. */
const DOMAINS: Record<string, string[]> = {
  "good.mail.secure": ["-p", "-R", "-C"],
  "tls10.mail.secure": ["-p"],
  "rsa-kx.mail.secure": ["-P"],
  "client-order.mail.secure": ["-P"],
  "dh1024.mail.secure": ["-f"],
  "no-ems.mail.secure": ["-S"],
  "client-reneg.mail.secure": ["-R"],
};
const DOMAIN_NAMES = Object.keys(DOMAINS);

function missing(): string | null {
  if (process.getuid?.() !== 0) return "needs root (the mail lab)";
  for (const tool of ["testssl", "postfix", "nginx", "openssl"]) {
    if (spawnSync("bash", ["-c", `PATH=$PATH:/usr/sbin command -v ${tool}`]).status !== 0) return `${tool} is missing (scripts/system-deps.sh installs it)`;
  }
  return null;
}
const skip = missing();

function addressOf(host: string): string {
  const answer = spawnSync("dig", ["+short", "@127.53.0.53", host, "A"], { encoding: "utf8" }).stdout.trim().split("\n")[0] ?? "";
  assert.match(answer, /^127\.55\.\d+\.\d+$/, `${host} resolves in the lab`);
  return answer;
}

/** web.tls.X verdicts of testssl's findings, renamed mail.tls.X (the mail suite's ids for the same tests). */
function mailVerdicts(web: Verdicts): Verdicts {
  const out: Verdicts = {};
  for (const [id, status] of Object.entries(web)) if (id.startsWith("web.tls.")) out[`mail.${id.slice(4)}`] = status;
  return out;
}

function testssl(domain: string, cacheDir: string): Promise<string> {
  const host = `mx.${domain}`;
  const file = join(cacheDir, `${host}.json`);
  if (existsSync(file)) return Promise.resolve(readFileSync(file, "utf8"));
  const args = ["--jsonfile", `${file}.tmp`, "--quiet", "--warnings", "off", "--color", "0", "--nodns", "none", "--starttls", "smtp",
    "--connect-timeout", "5", "--openssl-timeout", "5", "--ip", addressOf(host), ...(DOMAINS[domain] ?? []), `${host}:25`];
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

describe("testssl.sh --starttls smtp oracle for mail.tls.* (slow)", { skip: skip ?? false, timeout: 900_000 }, () => {
  before(() => acquireLab());
  const oracle = new Map<string, Verdicts>();

  before(async () => {
    const started = spawnSync("bash", [join(mailDir, "start.sh")], { encoding: "utf8", timeout: 240_000 });
    assert.equal(started.status, 0, started.stderr);
    const generation = readFileSync(join(mailRun, "generation"), "utf8").trim().slice(0, 16);
    const cacheDir = join(mailRun, "testssl", generation);
    mkdirSync(cacheDir, { recursive: true });
    const answers = await Promise.all(DOMAIN_NAMES.map((domain) => testssl(domain, cacheDir)));
    DOMAIN_NAMES.forEach((domain, index) => oracle.set(domain, mailVerdicts(verdictsFromTestssl(parseTestsslJson(answers[index] ?? "[]")))));
  });

  after(() => {
    spawnSync("bash", [join(mailDir, "stop.sh")], { encoding: "utf8", timeout: 60_000 });
    releaseLab();
  });

  it("testssl gives each MX the verdict it was built for", () => {
    assert.equal(oracle.get("good.mail.secure")?.["mail.tls.versions"], "passed");
    assert.equal(oracle.get("tls10.mail.secure")?.["mail.tls.versions"], "failed");
    assert.equal(oracle.get("rsa-kx.mail.secure")?.["mail.tls.ciphers"], "failed");
    assert.equal(oracle.get("client-order.mail.secure")?.["mail.tls.cipher-order"], "failed");
    assert.equal(oracle.get("dh1024.mail.secure")?.["mail.tls.key-exchange"], "failed");
    assert.equal(oracle.get("no-ems.mail.secure")?.["mail.tls.ems"], "failed");
    assert.equal(oracle.get("client-reneg.mail.secure")?.["mail.tls.client-renegotiation"], "warning");
  });

  describe("Baseline agrees with testssl", () => {
    for (const domain of skip === null ? DOMAIN_NAMES : []) {
      it(domain, async () => {
        const verdicts = oracle.get(domain) ?? {};
        const ids = Object.keys(verdicts);
        assert.ok(ids.length > 0, `testssl gave verdicts for mx.${domain}`);
        const resolver = createResolver({
          rootHints: parseRecords(readFileSync(join(dnsRun, "root.hints"), "utf8"), "root.hints"),
          trustAnchors: parseRecords(readFileSync(join(dnsRun, "root-anchor.ds"), "utf8"), "root-anchor.ds"),
          allowPrivate: true,
        });
        const settings = defaultSettings(resolver, { allowPrivate: true, extraCa: [readFileSync(join(netRun, "ca.pem"), "utf8")], domainDeadlineMs: 30_000 });
        const report = await checkAndScore(domain, "mail", settings, { only: ids });
        const disagreements = ids.flatMap((id) => {
          const ours = report.tests.find((test) => test.id === id);
          if (!ours) return [`${id}: not implemented in Baseline (testssl: ${verdicts[id] ?? "?"})`];
          return ours.status === verdicts[id] ? [] : [`${id}: Baseline ${ours.status} ("${ours.summary}"), testssl ${verdicts[id] ?? "?"}`];
        });
        assert.deepEqual(disagreements, [], `${domain}:\n  ${disagreements.join("\n  ")}`);
      });
    }
  });
});
