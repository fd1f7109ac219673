/**
 * mail.mta-sts against a real HTTPS server on 127.0.0.1 with a certificate
 * made by openssl at test time (skipped without openssl), trusted through
 * settings.extraCa as --extra-ca would.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { mtaSts } from "./mta-sts.ts";
import { mxMatches, parseStsPolicy } from "./mta-sts-parse.ts";
import { runCheck, txt, type Zone } from "./test-support.ts";

function certificate(name: string): { key: string; cert: string } | null {
  const dir = mkdtempSync(join(tmpdir(), "baseline-mta-sts-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`, "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("MTA-STS policy parsing", () => {
  it("reads the fields and matches mx patterns on the leftmost label only", () => {
    const policy = parseStsPolicy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.example.net\r\nmax_age: 604800\r\n");
    assert.deepEqual(policy.errors, []);
    assert.deepEqual(policy.mx, ["mail.example.org", "*.example.net"]);
    assert.ok(mxMatches("*.example.net", "mx1.example.net"));
    assert.ok(!mxMatches("*.example.net", "a.mx1.example.net"));
    assert.ok(!mxMatches("*.example.net", "example.net"));
    assert.ok(mxMatches("mail.example.org", "MAIL.example.org"));
    assert.ok(parseStsPolicy("version: STSv2\nmode: strict\nmax_age: 99999999999\n").errors.length >= 3);
  });
});

const cert = certificate("mta-sts.example.org");
const wrongName = certificate("other.example.org");

describe("mail.mta-sts against an HTTPS server on 127.0.0.1", { skip: cert && wrongName ? false : "openssl is not available" }, () => {
  let policy = "version: STSv1\nmode: enforce\nmx: *.example.org\nmax_age: 604800\n";
  let contentType = "text/plain; charset=utf-8";
  let status = 200;
  const servers: https.Server[] = [];
  const ports: number[] = [];
  before(async () => {
    for (const pair of [cert, wrongName]) {
      if (!pair) continue;
      const server = https.createServer({ key: pair.key, cert: pair.cert }, (req, res) => {
        if (req.url !== "/.well-known/mta-sts.txt") {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(status, { "content-type": contentType, ...(status === 301 ? { location: "https://elsewhere.example.org/" } : {}) });
        res.end(policy);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      servers.push(server);
      ports.push((server.address() as AddressInfo).port);
    }
  });
  after(() => {
    for (const server of servers) server.close();
  });

  const zone: Zone = {
    "example.org|MX": { answer: [["MX", "10 mx1.example.org."], ["MX", "20 mx2.example.org."]] },
    "_mta-sts.example.org|TXT": { answer: [["TXT", txt("v=STSv1; id=20260101T000000")]] },
    "mta-sts.example.org|A": { answer: [["A", "127.0.0.1"]] },
  };
  const run = (overrides: Zone = {}, port = ports[0] ?? 0, extraCa = [cert?.cert ?? "", wrongName?.cert ?? ""]) => runCheck(mtaSts, { ...zone, ...overrides }, { settings: { allowPrivate: true, timeoutMs: 2000, webPorts: { http: 80, https: port }, extraCa } });

  it("passes an enforce policy that covers every MX", async () => {
    const outcome = await run();
    assert.equal(outcome.status, "passed", outcome.summary);
    assert.match(outcome.summary, /mode enforce/);
  });
  it("fails when the certificate is not trusted or not for mta-sts.<domain>", async () => {
    const untrusted = await run({}, ports[0], []);
    assert.equal(untrusted.status, "failed");
    assert.match(untrusted.summary, /certificate/);
    const mismatch = await run({}, ports[1]);
    assert.equal(mismatch.status, "failed");
    assert.match(mismatch.summary, /certificate.*not valid/);
  });
  it("fails when an MX is not covered, warns in testing or none mode or with a short max_age", async () => {
    policy = "version: STSv1\nmode: enforce\nmx: mx1.example.org\nmax_age: 604800\n";
    const uncovered = await run();
    assert.equal(uncovered.status, "failed");
    assert.match(uncovered.summary, /do not cover mx2\.example\.org/);
    policy = "version: STSv1\nmode: testing\nmx: *.example.org\nmax_age: 3600\n";
    const testing = await run();
    assert.equal(testing.status, "warning");
    assert.match(testing.summary, /mode is testing.*max_age is 3600/);
    policy = "version: STSv1\nmode: none\nmax_age: 86400\n";
    const none = await run();
    assert.equal(none.status, "warning");
    assert.match(none.summary, /mode none/);
  });
  it("fails on a wrong Content-Type, a redirect, and a policy over 64 KiB", async () => {
    policy = "version: STSv1\nmode: enforce\nmx: *.example.org\nmax_age: 604800\n";
    contentType = "text/html";
    assert.match((await run()).summary, /Content-Type is "text\/html"/);
    contentType = "text/plain";
    status = 301;
    assert.match((await run()).summary, /HTTP 301/);
    status = 200;
    policy = `version: STSv1\nmode: enforce\nmx: *.example.org\nmax_age: 604800\n${"# padding\n".repeat(7000)}`;
    const big = await run();
    assert.equal(big.status, "failed");
    assert.match(big.summary, /larger than 64 KiB/);
  });
  it("fails without the TXT record and with an invalid one, without fetching", async () => {
    assert.match((await run({ "_mta-sts.example.org|TXT": {} })).summary, /no MTA-STS record/);
    const invalid = await run({ "_mta-sts.example.org|TXT": { answer: [["TXT", txt("v=STSv1; id=not valid!")]] } });
    assert.equal(invalid.status, "failed");
    assert.match(invalid.summary, /"v=STSv1; id=not valid!"/);
  });
  it("is not tested for a null MX domain", async () => {
    assert.equal((await run({ "example.org|MX": { answer: [["MX", "0 ."]] } })).status, "not_tested");
  });
});
