// `baseline check` as a user runs it against the DNS lab (lab/dns: real
// Knot, NSD and Unbound on 127.53.x.y with a signed root of its own): a
// signed, a bogus and an unsigned domain through --root-hints,
// --trust-anchor and --allow-private. The web.dnssec.* verdicts must match
// the lab's construction; JSON Lines come in input order; --fail-on exits 1;
// the text report of real checks fits 80 columns. Needs root (port 53);
// skips otherwise. It starts the lab when it is not running and stops it
// afterwards only in that case. Nothing leaves 127.0.0.0/8: the lab's zones
// only point there.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { JsonReport } from "../../src/checks/report/json.ts";
import { acquireLab, releaseLab } from "./lab-lock.ts";

const labDir = fileURLToPath(new URL("../../lab/dns/", import.meta.url));
const runDir = join(labDir, "run");
const bin = fileURLToPath(new URL("../../bin/baseline.js", import.meta.url));
const TOOLS = ["/usr/sbin/knotd", "/usr/sbin/nsd", "/usr/sbin/unbound", "/usr/bin/dig"];

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return "the DNS lab needs root (port 53 on 127.53.x.y)";
  const missing = TOOLS.filter((tool) => !existsSync(tool));
  if (missing.length > 0) return `the DNS lab's tools are missing: ${missing.join(", ")} (lab/dns/start.sh installs them)`;
  return false;
}

function baseline(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("baseline check in the DNS lab", { skip: skipReason(), timeout: 900_000 }, () => {
  // Taken first, given back last: one lab test file at a time (lab-lock.ts).
  before(() => acquireLab());
  let startedHere = false;
  const lab = (): string[] => ["--root-hints", join(runDir, "root.hints"), "--trust-anchor", join(runDir, "root-anchor.ds"), "--allow-private", "--timeout", "1000"];

  before(() => {
    const started = spawnSync("bash", [join(labDir, "start.sh")], { encoding: "utf8", timeout: 120_000 });
    assert.equal(started.status, 0, `lab/dns/start.sh failed: ${started.stdout}${started.stderr}`);
    startedHere = !started.stdout.includes("already running");
  });

  after(() => {
    if (startedHere) spawnSync("bash", [join(labDir, "stop.sh")], { encoding: "utf8", timeout: 60_000 });
    releaseLab();
  });

  it("judges DNSSEC of a signed, a bogus and an unsigned domain, in input order", async () => {
    const result = await baseline(["check", "ecdsap256.secure", "expired.bogus", "unsigned.insecure", "--json", ...lab()]);
    assert.equal(result.status, 0, result.stderr);
    const reports = result.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as JsonReport);
    assert.deepEqual(reports.map((report) => report.domain), ["ecdsap256.secure", "expired.bogus", "unsigned.insecure"]);
    const dnssec = reports.map((report) => Object.fromEntries(report.tests.filter((test) => test.id.startsWith("web.dnssec.")).map((test) => [test.id, test.status])));
    assert.deepEqual(dnssec[0], { "web.dnssec.exists": "passed", "web.dnssec.valid": "passed" });
    assert.equal(dnssec[1]?.["web.dnssec.valid"], "failed", "expired signatures are bogus");
    assert.equal(dnssec[2]?.["web.dnssec.exists"], "failed", "an unsigned zone has no DNSSEC");
    const category = (report: JsonReport | undefined): JsonReport["categories"][number] | undefined => report?.categories.find((entry) => entry.id === "web.dnssec");
    assert.equal(category(reports[0])?.score, 100);
    assert.equal(category(reports[1])?.status, "failed");
  });

  it("exits 1 with --fail-on failed for the bogus domain, and prints text within 80 columns", async () => {
    const result = await baseline(["check", "expired.bogus", "--fail-on", "failed", ...lab()]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /^expired\.bogus \(web suite\): score \d+\/100$/m);
    assert.match(result.stdout, /^DNSSEC \(web\.dnssec\): 50\/100, failed$/m);
    assert.match(result.stdout, /^ {2}FAIL {2}.* \(web\.dnssec\.valid\)$/m);
    assert.match(result.stdout, /More: baseline standards show dnssec/);
    assert.deepEqual(result.stdout.split("\n").filter((line) => Array.from(line).length > 80), []);
  });
});
