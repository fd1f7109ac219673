// `baseline check`: in-process with a stand-in for the checks (order of
// JSON Lines, --fail-on, the text at 80 columns, --html, progress), and as
// a real process (exit codes and one-line errors, and a real run through
// Baseline's resolver against a DNS server on loopback that refuses every
// query, so that nothing leaves the machine).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { defaultSettings, type CheckSettings } from "../../checks/context.ts";
import type { JsonReport } from "../../checks/report/json.ts";
import { sampleReport, testResult } from "../../checks/report/test-reports.ts";
import { scoreReport } from "../../checks/run.ts";
import { type CheckStatus, type DomainReport, type Suite } from "../../checks/types.ts";
import { CheckInputError } from "../../checks/errors.ts";
import { createResolver } from "../../dns/resolver.ts";
import { encodeMessage, parseMessage } from "../../dns/wire.ts";
import { UsageError } from "../output.ts";
import { parseDomainList, runCheckCommand, type CheckIo, type Output } from "./check.ts";

const bin = fileURLToPath(new URL("../../../bin/baseline.js", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "baseline-check-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** A stream that keeps what is written. */
function sink(isTTY = false): Output & { text: string } {
  const output = {
    text: "",
    isTTY,
    write(chunk: string): boolean {
      output.text += chunk;
      return true;
    },
  };
  return output;
}

/** Settings that are never used to reach the network (the stand-in checks ignore them; port 9 is discard). */
const offline: CheckSettings = defaultSettings(createResolver({ upstream: { address: "127.0.0.1", port: 9 }, allowPrivate: true }));

/** A report for `domain` whose only test has `status`; the domain's delay makes them finish out of order. */
function standIn(statuses: Record<string, CheckStatus>, delays: Record<string, number> = {}): (domain: string, suite: Suite) => Promise<DomainReport> {
  return async (domain, suite) => {
    await sleep(delays[domain] ?? 0);
    const status = statuses[domain] ?? "passed";
    return scoreReport({ domain, suite, score: null, categories: [], tests: [testResult("web.hsts", "web.https", status)], startedAt: new Date(0).toISOString(), durationMs: 5 });
  };
}

function io(check: CheckIo["check"], stdout = sink(), stderr = sink(), stdin = ""): CheckIo & { stdout: ReturnType<typeof sink>; stderr: ReturnType<typeof sink> } {
  return { version: "0.0.0-test", stdout, stderr, readStdin: () => stdin, check, settings: offline, colour: false };
}

const flags = (extra: Record<string, unknown> = {}): Parameters<typeof runCheckCommand>[1] => ({ suite: "web", timeout: "5000", concurrency: "4", ...extra });

describe("baseline check (in process)", () => {
  it("prints JSON Lines in input order, however the domains finish", async () => {
    const streams = io(standIn({}, { "a.example": 80, "b.example": 5, "c.example": 40, "d.example": 0 }));
    const code = await runCheckCommand(["a.example", "B.Example.", "c.example", "d.example"], flags({ json: true }), streams);
    assert.equal(code, 0);
    const lines = streams.stdout.text.trimEnd().split("\n");
    assert.deepEqual(lines.map((line) => (JSON.parse(line) as JsonReport).domain), ["a.example", "b.example", "c.example", "d.example"]);
    const first = JSON.parse(lines[0] ?? "{}") as JsonReport;
    assert.deepEqual(Object.keys(first).slice(0, 5), ["domain", "suite", "score", "categories", "tests"]);
    assert.deepEqual(Object.keys(first.categories[0] ?? {}).slice(0, 3), ["id", "status", "score"]);
    assert.deepEqual(Object.keys(first.tests[0] ?? {}).slice(0, 5), ["id", "standard", "status", "summary", "evidence"]);
  });

  it("exits 1 with --fail-on when a test has that status or worse, else 0", async () => {
    const statuses: Record<string, CheckStatus> = { "ok.example": "passed", "warn.example": "warning", "bad.example": "failed", "broken.example": "error" };
    const run = async (domains: string[], failOn?: "failed" | "warning"): Promise<number> => runCheckCommand(domains, flags({ json: true, failOn }), io(standIn(statuses)));
    assert.equal(await run(["ok.example", "warn.example", "bad.example"]), 0, "no --fail-on: the run itself succeeded");
    assert.equal(await run(["ok.example", "warn.example"], "failed"), 0);
    assert.equal(await run(["ok.example", "bad.example"], "failed"), 1);
    assert.equal(await run(["broken.example"], "failed"), 1, "could not be tested is worse than failed");
    assert.equal(await run(["ok.example", "warn.example"], "warning"), 1);
    assert.equal(await run(["ok.example"], "warning"), 0);
  });

  it("counts a recommended test's failure as a warning and an informational test not at all", async () => {
    const report = (weight: "recommended" | "informational"): (() => Promise<DomainReport>) => () =>
      Promise.resolve(scoreReport({ domain: "x.example", suite: "web", score: null, categories: [], tests: [testResult("web.security-txt", "web.appsecpriv", "failed", { weight })], startedAt: new Date(0).toISOString(), durationMs: 1 }));
    assert.equal(await runCheckCommand(["x.example"], flags({ failOn: "failed" }), io(report("recommended"))), 0);
    assert.equal(await runCheckCommand(["x.example"], flags({ failOn: "warning" }), io(report("recommended"))), 1);
    assert.equal(await runCheckCommand(["x.example"], flags({ failOn: "warning" }), io(report("informational"))), 0);
  });

  it("prints the text report within 80 columns, with the scoring explained once at the end", async () => {
    const streams = io(() => Promise.resolve(sampleReport("example.org")));
    await runCheckCommand(["example.org", "example.net"], flags(), streams);
    const lines = streams.stdout.text.split("\n");
    assert.deepEqual(lines.filter((line) => Array.from(line).length > 80), []);
    assert.equal(streams.stdout.text.match(/^Scores: /gm)?.length, 1);
    assert.equal(streams.stdout.text.match(/^example\.org \(web suite\): score 50\/100$/gm)?.length, 2);
    assert.equal(streams.stderr.text, "", "no progress when stderr is not a terminal");
  });

  it("shows progress on a terminal's stderr for several domains, and clears it", async () => {
    const streams = io(standIn({}, { "a.example": 20 }), sink(), sink(true));
    await runCheckCommand(["a.example", "b.example", "c.example"], flags({ json: true, concurrency: "2" }), streams);
    assert.match(streams.stderr.text, /\d\/3 domains, \d running/);
    assert.ok(streams.stderr.text.endsWith("\r\u001b[K"), "the last progress line is erased");
    const single = io(standIn({}), sink(), sink(true));
    await runCheckCommand(["a.example"], flags({ json: true }), single);
    assert.equal(single.stderr.text, "", "one domain: no progress");
  });

  it("writes a standalone HTML report of every domain with --html", async () => {
    const file = join(work, "report.html");
    await runCheckCommand(["a.example", "b.example"], flags({ json: true, html: file }), io(standIn({ "b.example": "failed" })));
    const document = readFileSync(file, "utf8");
    assert.match(document, /^<!doctype html>/);
    assert.match(document, /<a href="#domain-1">a\.example<\/a>/);
    assert.match(document, /<a href="#domain-2">b\.example<\/a>/);
    assert.match(document, /Baseline 0\.0\.0-test/);
  });

  it("reads --input from stdin with - and validates every line before checking any domain", async () => {
    let checked = 0;
    const counting: CheckIo["check"] = (domain, suite) => {
      checked++;
      return standIn({})(domain, suite);
    };
    const good = io(counting, sink(), sink(), "# suppliers\n\nA.example\nb.example   # the second\n");
    await runCheckCommand(["first.example"], flags({ json: true, input: "-" }), good);
    assert.deepEqual(good.stdout.text.trimEnd().split("\n").map((line) => (JSON.parse(line) as JsonReport).domain), ["first.example", "a.example", "b.example"]);
    checked = 0;
    await assert.rejects(runCheckCommand([], flags({ json: true, input: "-" }), io(counting, sink(), sink(), "a.example\nnot a domain\n")), (error: Error) => error instanceof CheckInputError && /^stdin:2: /.test(error.message));
    assert.equal(checked, 0, "nothing was checked");
  });

  it("runs --suite all as web then mail, one JSON line per suite", async () => {
    const suites: string[] = [];
    const streams = io((domain, suite) => {
      suites.push(suite);
      return standIn({})(domain, suite);
    });
    assert.equal(await runCheckCommand(["a.example"], flags({ suite: "all", json: true }), streams), 0);
    assert.deepEqual(suites, ["web", "mail"]);
    assert.deepEqual(streams.stdout.text.trimEnd().split("\n").map((line) => (JSON.parse(line) as JsonReport).suite), ["web", "mail"]);
    assert.equal(streams.stderr.text, "");
  });

  it("colours a terminal's report unless NO_COLOR is set, and never a pipe's", async () => {
    const run = async (tty: boolean): Promise<string> => {
      const streams = { ...io(standIn({ "a.example": "failed" }), sink(tty)), colour: undefined };
      await runCheckCommand(["a.example"], flags(), streams);
      return streams.stdout.text;
    };
    const saved = process.env.NO_COLOR;
    try {
      delete process.env.NO_COLOR;
      assert.ok((await run(true)).includes("\u001b[31mFAIL"));
      assert.ok(!(await run(false)).includes("\u001b["));
      process.env.NO_COLOR = "1";
      assert.ok(!(await run(true)).includes("\u001b["));
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });

  it("runs --suite mail alone", async () => {
    const suites: string[] = [];
    await runCheckCommand(["a.example"], flags({ suite: "mail", json: true }), io((domain, suite) => {
      suites.push(suite);
      return standIn({})(domain, suite);
    }));
    assert.deepEqual(suites, ["mail"]);
  });
});

describe("parseDomainList", () => {
  it("skips blank lines and comments, names FILE:LINE of a bad line", () => {
    assert.deepEqual(parseDomainList("a.example\r\n\n  # x\nB.EXAMPLE # y\n", "list.txt"), ["a.example", "b.example"]);
    assert.throws(() => parseDomainList("a.example\n\nhttps://b.example/\n", "list.txt"), /^CheckInputError: list\.txt:3: "https:\/\/b\.example\/" is not a domain name/);
  });
});

function baseline(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: work, input, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Exit 2, nothing on stdout, one line on stderr matching `pattern`. */
function assertInputError(result: ReturnType<typeof baseline>, pattern: RegExp): void {
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
  assert.match(result.stderr.trimEnd(), pattern);
}

describe("baseline check (process): input errors", () => {
  it("exits 2 naming a malformed domain", () => {
    assertInputError(baseline(["check", "example.org", "exa mple.org"]), /^baseline: "exa mple\.org" is not a domain name/);
  });

  it("exits 2 naming FILE:LINE of a bad --input line, and a missing file", () => {
    writeFileSync(join(work, "domains.txt"), "# list\nexample.org\n\nbad..example\n");
    assertInputError(baseline(["check", "--input", "domains.txt"]), /^baseline: domains\.txt:4: "bad\.\.example" has an invalid label/);
    assertInputError(baseline(["check", "--input", "missing.txt"]), /^baseline: --input missing\.txt: cannot read it \(ENOENT\)$/);
  });

  it("exits 2 for no domain and a bad option value", () => {
    assertInputError(baseline(["check"]), /give at least one domain/);
    assertInputError(baseline(["check", "example.org", "--suite", "ftp"]), /--suite/);
    assertInputError(baseline(["check", "example.org", "--rpki-vrps", "vrps.json"]), /^baseline: --rpki-vrps needs --bgp-origins too/);
  });

  it("baseline serve names a bad check option before it opens anything", () => {
    assertInputError(baseline(["serve", "--port", "0", "--ca-file", "missing.pem"]), /^baseline: --ca-file missing\.pem: cannot read it \(ENOENT\)$/);
  });
});

describe("baseline check: option errors name the option", () => {
  const refuses = async (extra: Record<string, unknown>, pattern: RegExp): Promise<void> => {
    await assert.rejects(runCheckCommand(["example.org"], { ...flags(), ...extra, suite: "web" }, { ...io(standIn({})), settings: undefined }), (error: Error) => error instanceof UsageError && pattern.test(error.message));
  };
  it("refuses bad numbers, files and lists", async () => {
    await refuses({ concurrency: "0" }, /^--concurrency 0: expected a positive whole number$/);
    await refuses({ timeout: "1e3" }, /^--timeout 1e3: expected a positive whole number$/);
    await refuses({ caFile: join(work, "missing.pem") }, /^--ca-file .*missing\.pem: cannot read it \(ENOENT\)$/);
    writeFileSync(join(work, "not-a-ca.pem"), "hello\n");
    await refuses({ caFile: join(work, "not-a-ca.pem") }, /holds no PEM certificate/);
    await refuses({ bgpOrigins: join(work, "origins.txt") }, /^--bgp-origins needs --rpki-vrps too/);
    await refuses({ dkimSelectors: "a b" }, /^--dkim-selectors a b: expected DNS labels/);
    await refuses({ resolver: "nowhere" }, /^--resolver nowhere: expected an IP address/);
    await refuses({ html: join(work, "no-such-folder", "report.html") }, /^--html .*report\.html: cannot write there \(ENOENT\)$/);
  });
});

describe("baseline check (process): a real run on loopback", () => {
  let server: Socket;
  let port = 0;
  let queries = 0;

  before(async () => {
    // Refuses every query: the domains have no address, so no check connects anywhere.
    server = createSocket("udp4");
    server.on("message", (packet, remote) => {
      queries++;
      const query = parseMessage(packet);
      const answer = encodeMessage({ ...query, flags: { ...query.flags, qr: true, ra: true, aa: false, ad: false, tc: false }, rcode: "REFUSED", answers: [], authorities: [], additionals: [], edns: undefined });
      server.send(answer, remote.port, remote.address);
    });
    await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve));
    port = server.address().port;
  });
  after(() => server.close());

  /** Runs the CLI without blocking this process's event loop (the DNS server above must answer). */
  function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { cwd: work });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
  }

  it("prints one JSON object per domain, in input order, with every web check", async () => {
    const result = await run(["check", "first.example", "second.example", "third.example", "--json", "--resolver", `127.0.0.1:${port}`, "--allow-private", "--timeout", "1000"]);
    assert.equal(result.status, 0, result.stderr);
    const reports = result.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as JsonReport);
    assert.deepEqual(reports.map((report) => report.domain), ["first.example", "second.example", "third.example"]);
    for (const report of reports) {
      assert.equal(report.suite, "web");
      assert.deepEqual(report.categories.map((category) => category.id), ["web.ipv6", "web.dnssec", "web.https", "web.appsecpriv", "web.rpki"]);
      for (const test of report.tests) assert.ok(["passed", "failed", "warning", "info", "not_tested", "error"].includes(test.status), `${test.id}: ${test.status}`);
    }
    assert.ok(queries > 0, "the checks asked the loopback DNS server");
  });
});
