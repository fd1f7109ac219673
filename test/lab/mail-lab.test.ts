// The mail lab (lab/mail) and Baseline's mail checks on it (slow: it starts
// the DNS lab, the web lab and Postfix, the hostile SMTP server and the
// MTA-STS policy hosts on 127.55.x.y and fd00:5a5c::N; needs root). First it
// checks that the lab serves what its cases claim (records validate, TLSA
// matches the served key, STARTTLS and TLS versions as the profiles say, the
// hostile servers misbehave, the MTA-STS policies are served, start.sh is
// idempotent); then, for every case of lab/mail/cases.json, it runs the one
// check the case names and compares the status with the case's `expect`. A
// check that does not exist yet fails its cases with "not implemented". The
// mail lab is stopped at the end (the DNS and web labs are left as the lab
// lock found them).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { connect } from "node:net";
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

const mailDir = fileURLToPath(new URL("../../lab/mail/", import.meta.url));
const mailRun = join(mailDir, "run");
const netDir = fileURLToPath(new URL("../../lab/net/", import.meta.url));
const netRun = join(netDir, "run");
const dnsRun = fileURLToPath(new URL("../../lab/dns/run/", import.meta.url));
/** Cases run this many at a time (each is one check on one domain). */
const CONCURRENCY = 12;

interface MailCase {
  check: string;
  domain: string;
  expect: CheckStatus;
  why: string;
}

function missingTool(): string | null {
  if (process.getuid?.() !== 0) return "needs root (ports 25, 53, 443 on loopback, addresses on lo)";
  for (const tool of ["nginx", "openssl", "ip", "postfix", "dig"]) {
    const found = spawnSync("bash", ["-c", `PATH=$PATH:/usr/sbin:/sbin command -v ${tool}`], { encoding: "utf8" });
    if (found.status !== 0) return `${tool} is missing (scripts/system-deps.sh installs it)`;
  }
  return null;
}
const skip = missingTool();

function runScript(script: string): string {
  const result = spawnSync("bash", [join(mailDir, script)], { encoding: "utf8", timeout: 240_000 });
  assert.equal(result.status, 0, `${script} exited with ${String(result.status)}: ${result.stderr}${result.error?.message ?? ""}`);
  return result.stdout;
}

function dig(name: string, type: string): string {
  return spawnSync("dig", ["@127.53.0.53", name, type, "+dnssec", "+time=3", "+tries=1"], { encoding: "utf8" }).stdout;
}

function address(name: string): string {
  return /\sIN\s+A\s+(127\.55\.\d+\.\d+)/.exec(dig(`${name}.`, "A"))?.[1] ?? "";
}

function readCases(): MailCase[] {
  return JSON.parse(readFileSync(join(mailDir, "cases.json"), "utf8")) as MailCase[];
}

/** Settings as `baseline check --suite mail --allow-private --ca-file ... --dkim-selectors lab --rpki-vrps ... --bgp-origins ...` would make them. */
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
    dkimSelectors: ["lab"],
  });
}

/** `openssl s_client -starttls smtp` against ADDRESS:25: its stdout. */
function sClient(host: string, extra: string[] = []): string {
  return spawnSync("openssl", ["s_client", "-starttls", "smtp", "-connect", `${host}:25`, "-CAfile", join(netRun, "ca.pem"), "-showcerts", ...extra], {
    encoding: "utf8",
    input: "",
    timeout: 10_000,
  }).stdout;
}

/** What an SMTP server says within `waitMs` after we send `lines` (one at a time, after its banner). */
function converse(host: string, lines: string[], waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const socket = connect(25, host);
    const done = (): void => {
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, waitMs);
    let sent = 0;
    socket.on("data", (data) => {
      text += data.toString("latin1");
      if (text.length > 200_000) {
        clearTimeout(timer);
        done();
        return;
      }
      if (sent < lines.length && /^\d{3} /m.test(text.split("\r\n").slice(-2).join("\n"))) socket.write(`${lines[sent++] ?? ""}\r\n`);
    });
    socket.on("error", (error) => {
      text += `[${(error as NodeJS.ErrnoException).code ?? error.message}]`;
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

function fetchPolicy(domain: string, index: number): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: `127.55.1.${String(index)}`, servername: `mta-sts.${domain}`, port: 443, path: "/.well-known/mta-sts.txt", headers: { host: `mta-sts.${domain}` }, ca: readFileSync(join(netRun, "ca.pem")) },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

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

describe("mail lab (slow)", { skip: skip ?? false, timeout: 900_000 }, () => {
  // Taken first, given back last: one lab test file at a time (lab-lock.ts).
  before(() => acquireLab());
  after(() => {
    spawnSync("bash", [join(mailDir, "stop.sh")], { encoding: "utf8", timeout: 60_000 });
    releaseLab();
  });

  before(() => {
    assert.match(runScript("start.sh"), /^mail-lab: (up in \d+s|already running)/m);
  });

  it("names every domain in the DNS lab: MX, SPF, DMARC, DKIM, MTA-STS, TLS-RPT, signed as the zones say", () => {
    assert.match(dig("good.mail.secure.", "MX"), /flags: qr rd ra ad;[\s\S]*MX\s+10 mx\.good\.mail\.secure\./);
    assert.match(dig("good.mail.secure.", "TXT"), /"v=spf1 mx -all"/);
    assert.match(dig("_dmarc.good.mail.secure.", "TXT"), /"v=DMARC1; p=reject; rua=mailto:dmarc@good\.mail\.secure"/);
    const dkim = /IN\s+TXT\s+(".*")/.exec(dig("lab._domainkey.good.mail.secure.", "TXT"))?.[1] ?? "";
    const key = /p=([A-Za-z0-9+/=]+)/.exec(dkim.replace(/" "/g, ""))?.[1] ?? "";
    assert.ok(key.length > 300, `a 2048-bit DKIM key (${dkim.slice(0, 60)})`);
    assert.match(dig("_mta-sts.good.mail.secure.", "TXT"), /"v=STSv1; id=\d+"/);
    assert.match(dig("_smtp._tls.good.mail.secure.", "TXT"), /"v=TLSRPTv1; rua=mailto:tlsrpt@good\.mail\.secure"/);
    assert.match(dig("null-mx.mail.secure.", "MX"), /MX\s+0 \.\s/);
    assert.match(dig("spf-plusall.mail.secure.", "TXT"), /"v=spf1 \+all"/);
    assert.doesNotMatch(dig("good.mail.insecure.", "MX"), /flags:[a-z ]* ad;/);
    assert.match(dig("good.mail.bogus.", "MX"), /status: SERVFAIL/);
    assert.match(dig("mx.good.mail.secure.", "AAAA"), /IN\s+AAAA\s+fd00:5a5c::1/);
  });

  it("serves STARTTLS with the key its TLSA record names, trusted by the web lab's CA; dane-bad's TLSA names another key", () => {
    const tlsa = (name: string): string[] =>
      [...dig(`_25._tcp.${name}.`, "TLSA").matchAll(/TLSA\s+3 1 1 ([0-9A-F ]+)/g)].map((match) => (match[1] ?? "").replace(/ /g, "").toLowerCase());
    const served = (host: string): string => {
      const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(sClient(host))?.[0] ?? "";
      assert.ok(pem, `a certificate from ${host}`);
      const spki = new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" });
      return createHash("sha256").update(spki).digest("hex");
    };
    const good = sClient(address("mx.good.mail.secure"));
    assert.match(good, /Verify return code: 0 \(ok\)/);
    assert.match(good, /New, TLSv1\.3, Cipher is TLS_/);
    const goodTlsa = tlsa("mx.good.mail.secure");
    assert.equal(goodTlsa.length, 2, "the current key and the next one");
    assert.ok(goodTlsa.includes(served(address("mx.good.mail.secure"))));
    const bad = tlsa("mx.dane-bad.mail.secure");
    assert.equal(bad.length, 1);
    assert.notEqual(bad[0], served(address("mx.dane-bad.mail.secure")));
    assert.match(sClient(address("mx.self-signed.mail.secure")), /Verify return code: 18 \(self-signed certificate\)/);
  });

  it("serves each TLS profile: TLS 1.0 only, RSA key exchange, 1024-bit DH, client renegotiation allowed", () => {
    assert.match(sClient(address("mx.tls10.mail.secure"), ["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]), /Protocol\s*: TLSv1\n/);
    assert.match(sClient(address("mx.tls10.mail.secure"), ["-tls1_2"]), /Cipher is \(NONE\)/);
    assert.match(sClient(address("mx.rsa-kx.mail.secure")), /Cipher is AES(128|256)-GCM-SHA(256|384)/);
    assert.match(sClient(address("mx.dh1024.mail.secure"), ["-cipher", "DHE:@SECLEVEL=0"]), /Server Temp Key: DH, 1024 bits/);
    assert.match(sClient(address("mx.no-ems.mail.secure"), ["-tls1_2"]), /Extended master secret: no/);
    assert.match(sClient(address("mx.good.mail.secure"), ["-tls1_2"]), /Extended master secret: yes/);
  });

  it("listens over IPv6, and says no STARTTLS where it must not", async () => {
    assert.match(spawnSync("ip", ["-6", "-o", "addr", "show", "dev", "lo"], { encoding: "utf8" }).stdout, /fd00:5a5c::1\/128/);
    assert.match(await converse("fd00:5a5c::1", ["EHLO lab.test"], 3000), /250-STARTTLS/);
    const plain = await converse(address("mx.no-starttls.mail.secure"), ["EHLO lab.test"], 3000);
    assert.match(plain, /^220 mx\.no-starttls\.mail\.secure /);
    assert.match(plain, /250[ -]/);
    assert.doesNotMatch(plain, /STARTTLS/);
  });

  it("the hostile SMTP servers misbehave as their names say", async () => {
    assert.equal(await converse(address("mx.slow-banner.mail.secure"), [], 1500), "");
    assert.match(await converse(address("mx.busy.mail.secure"), [], 2000), /^421 /);
    const refused = await converse(address("mx.starttls-refused.mail.secure"), ["EHLO lab.test", "STARTTLS"], 2000);
    assert.match(refused, /250-STARTTLS/);
    assert.match(refused, /^454 /m);
    const endless = await converse(address("mx.endless-reply.mail.secure"), ["EHLO lab.test"], 1500);
    assert.ok(endless.split("\r\n").filter((line) => line.startsWith("250-")).length > 100, "hundreds of continuation lines");
    assert.doesNotMatch(endless, /^250 /m);
    const reset = sClient(address("mx.reset.mail.secure"));
    assert.doesNotMatch(reset, /Cipher is TLS/);
  });

  it("serves the MTA-STS policies from the web lab's nginx", async () => {
    const good = await fetchPolicy("good.mail.secure", 1);
    assert.equal(good.status, 200);
    assert.match(good.type, /^text\/plain/);
    assert.match(good.body, /^version: STSv1\r\nmode: enforce\r\nmx: mx\.good\.mail\.secure\r\nmax_age: \d+\r\n$/);
    const domains = readFileSync(join(mailDir, "lib", "hosts.sh"), "utf8");
    const index = (name: string): number => {
      const list = /MAIL_DOMAINS=\(([\s\S]*?)\n\)/.exec(domains)?.[1] ?? "";
      return list.split("\n").filter((line) => /^\s+"/.test(line)).findIndex((line) => line.trim().startsWith(`"${name}`)) + 1;
    };
    assert.match(address(`mta-sts.sts-none.mail.secure`), /^127\.55\.1\.\d+$/);
    assert.match((await fetchPolicy("sts-none.mail.secure", index("sts-none.mail.secure"))).body, /mode: none/);
    assert.match((await fetchPolicy("sts-mismatch.mail.secure", index("sts-mismatch.mail.secure"))).body, /mx: mx\.elsewhere\.mail\.secure/);
  });

  it("start.sh again finds the lab running", () => {
    const pid = readFileSync(join(mailRun, "postfix.pid"), "utf8");
    assert.match(runScript("start.sh"), /already running/);
    assert.equal(readFileSync(join(mailRun, "postfix.pid"), "utf8"), pid);
  });

  it("every mail check has a passing and a failing case", () => {
    const cases = readCases();
    const tls = ["versions", "ciphers", "cipher-order", "key-exchange", "kex-hash", "compression", "secure-renegotiation", "client-renegotiation", "zero-rtt", "ocsp-stapling", "ems", "pq-kex"];
    const spec = [
      "mail.ipv6.ns-aaaa", "mail.ipv6.ns-reachable", "mail.ipv6.mx-aaaa", "mail.ipv6.mx-reachable",
      "mail.dnssec.exists", "mail.dnssec.valid", "mail.dnssec.mx-exists", "mail.dnssec.mx-valid",
      "mail.dmarc.exists", "mail.dmarc.policy", "mail.dkim.exists", "mail.spf.exists", "mail.spf.policy", "mail.starttls.available",
      ...tls.map((id) => `mail.tls.${id}`), "mail.cert.trust", "mail.cert.hostname", "mail.cert.pubkey", "mail.cert.signature",
      "mail.dane.exists", "mail.dane.valid", "mail.dane.rollover", "mail.mta-sts", "mail.tls-rpt", "mail.rpki.exists", "mail.rpki.valid",
    ];
    // What Postfix cannot be made to do: no early data, no stapling, no SHA-1 signature algorithms per listener.
    const noFailingCase = new Set(["mail.tls.zero-rtt", "mail.tls.kex-hash"]);
    const noPassingCase = new Set(["mail.tls.ocsp-stapling"]);
    const missing: string[] = [];
    for (const id of new Set([...spec, ...checksOf("mail").map((check) => check.id)])) {
      if (!noPassingCase.has(id) && !cases.some((entry) => entry.check === id && entry.expect === "passed")) missing.push(`${id} has no passing case`);
      if (!noFailingCase.has(id) && !cases.some((entry) => entry.check === id && entry.expect !== "passed")) missing.push(`${id} has no failing case`);
    }
    assert.deepEqual(missing, []);
  });

  describe("Baseline's checks give each case its expected status", () => {
    const results = new Map<MailCase, CheckResult | string>();
    before(async () => {
      const settings = labSettings();
      await mapLimited(readCases(), CONCURRENCY, async (entry) => {
        try {
          const report = await checkAndScore(entry.domain, "mail", settings, { only: [entry.check] });
          results.set(entry, report.tests.find((test) => test.id === entry.check) ?? "not implemented: no such check in the mail suite yet");
        } catch (error) {
          results.set(entry, `checkAndScore threw: ${error instanceof Error ? error.message : String(error)}`);
        }
      });
    });

    const cases = skip === null ? readCases() : [];
    for (const entry of cases) {
      it(`${entry.check} on ${entry.domain} is ${entry.expect} (${entry.why})`, () => {
        const found = [...results].find(([key]) => key.check === entry.check && key.domain === entry.domain && key.expect === entry.expect)?.[1];
        assert.ok(found !== undefined, "the case ran");
        if (typeof found === "string") assert.fail(`${entry.check} on ${entry.domain}: ${found}`);
        assert.equal(found.status, entry.expect, `${entry.check} on ${entry.domain}: got ${found.status} ("${found.summary}"), expected ${entry.expect} because ${entry.why}`);
      });
    }
  });

  it("stop.sh stops everything, takes the MTA-STS hosts out of nginx and removes the addresses; a second stop has nothing to do", async () => {
    const pid = Number(readFileSync(join(mailRun, "postfix.pid"), "utf8").trim());
    assert.match(runScript("stop.sh"), /stopped \d+ processes/);
    assert.ok(!isAlive(pid), "Postfix's master is gone");
    assert.doesNotMatch(spawnSync("ip", ["-6", "addr", "show", "dev", "lo"], { encoding: "utf8" }).stdout, /fd00:5a5c::/);
    // nginx closes the policy hosts' sockets once its new workers run.
    const listening = (): boolean => /127\.55\.\d+\.\d+:(25|443)\s/.test(spawnSync("ss", ["-ltnH"], { encoding: "utf8" }).stdout);
    for (let tries = 0; tries < 30 && listening(); tries++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(!listening(), "nothing listens on 127.55.x.y any more");
    assert.match(runScript("stop.sh"), /not running/);
  });
});
