import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Resolution, Resolver } from "../../../dns/resolver.ts";
import { opensslMissing, TestPki, type Issued } from "../../../tls/certificate-testpki.ts";
import { startSmtpServer, type RunningSmtpServer, type SmtpMode } from "../../../tls/fixtures/smtp-server.ts";
import { defaultSettings, DomainContext } from "../../context.ts";
import type { CheckOutcome } from "../../types.ts";
import { MAIL_TRANSPORT_CHECKS } from "./index.ts";

type Zone = Record<string, { type: string; data: string[]; security?: Resolution["security"] }[]>;

/** A fixed resolver: answers from `zone` (name → records); anything else is NXDOMAIN. The checks only call resolve(). */
function zoneResolver(zone: Zone): Resolver {
  const resolve = (name: string, type: string): Promise<Resolution> => {
    const key = name.toLowerCase().replace(/\.$/, "");
    const entry = zone[key]?.find((record) => record.type === type);
    return Promise.resolve({
      name,
      type,
      rcode: zone[key] ? "NOERROR" : "NXDOMAIN",
      security: entry?.security ?? "insecure",
      reason: null,
      answer: (entry?.data ?? []).map((data) => ({ name, type, ttl: 60, data })),
      chain: [],
      referrals: [],
    });
  };
  return { resolve } as unknown as Resolver;
}

async function run(zone: Zone, port: number, ids: readonly string[]): Promise<Map<string, CheckOutcome>> {
  const ctx = new DomainContext("lab.test", defaultSettings(zoneResolver(zone), { allowPrivate: true, timeoutMs: 3000, smtpPort: port }));
  try {
    const checks = MAIL_TRANSPORT_CHECKS.filter((check) => ids.includes(check.id));
    assert.equal(checks.length, ids.length, "unknown check id");
    return new Map(await Promise.all(checks.map(async (check) => [check.id, await check.run(ctx)] as const)));
  } finally {
    ctx.close();
  }
}

function get(results: Map<string, CheckOutcome>, id: string): CheckOutcome {
  const found = results.get(id);
  assert.ok(found, `no outcome for ${id}`);
  return found;
}

function spkiSha256(cert: Issued): string {
  return createHash("sha256").update(new X509Certificate(cert.certPem).publicKey.export({ type: "spki", format: "der" })).digest("hex");
}

const ALL = MAIL_TRANSPORT_CHECKS.map((check) => check.id);

describe("mail transport checks: definitions and domains without mail servers", () => {
  it("has the planned ids in mail.starttls with the standards of the catalog", () => {
    for (const id of ["mail.starttls.available", "mail.tls.versions", "mail.tls.pq-kex", "mail.tls.zero-rtt", "mail.cert.trust", "mail.cert.hostname", "mail.dane.exists", "mail.dane.valid", "mail.dane.rollover"]) {
      assert.ok(ALL.includes(id), id);
    }
    for (const check of MAIL_TRANSPORT_CHECKS) {
      assert.equal(check.category, "mail.starttls");
      const expected = check.id === "mail.starttls.available" ? "starttls" : check.id.startsWith("mail.dane.") ? "dane" : check.id === "mail.tls.pq-kex" ? "pq-tls" : "tls";
      assert.equal(check.standard, expected, check.id);
    }
  });

  it("a null MX leaves every transport check not_tested with RFC 7505 as the reason", async () => {
    const results = await run({ "lab.test": [{ type: "MX", data: ["0 ."] }] }, 1, ALL);
    for (const [id, outcome] of results) {
      assert.equal(outcome.status, "not_tested", id);
      assert.match(outcome.summary, /null MX, RFC 7505/, id);
    }
  });

  it("no MX, or an MX without an address, is not_tested", async () => {
    const none = await run({ "lab.test": [{ type: "A", data: ["127.0.0.1"] }] }, 1, ["mail.starttls.available", "mail.dane.exists"]);
    for (const outcome of none.values()) assert.match(outcome.summary, /has no MX records/);
    const bare = await run({ "lab.test": [{ type: "MX", data: ["10 mx.lab.test."] }], "mx.lab.test": [{ type: "TXT", data: [] }] }, 1, ["mail.tls.versions"]);
    assert.equal(get(bare, "mail.tls.versions").status, "not_tested");
    assert.match(get(bare, "mail.tls.versions").summary, /mx\.lab\.test: no A or AAAA record/);
  });
});

describe("mail transport checks against SMTP servers on loopback", { skip: opensslMissing() }, () => {
  let pki: TestPki;
  let leaf: Issued;
  let next: Issued;
  const servers: RunningSmtpServer[] = [];

  const start = async (mode: SmtpMode, tls: "modern" | "tls10" = "modern", host = "127.0.0.1", port = 0): Promise<RunningSmtpServer> => {
    const options = tls === "modern" ? { minVersion: "TLSv1.2" as const } : { minVersion: "TLSv1" as const, maxVersion: "TLSv1" as const, ciphers: "DEFAULT:@SECLEVEL=0" };
    const server = await startSmtpServer({ mode, tls: { key: leaf.keyPem, cert: leaf.certPem, ...options } }, host, port);
    servers.push(server);
    return server;
  };

  before(() => {
    pki = new TestPki();
    const root = pki.issue("Mail Lab Root", { ca: true });
    leaf = pki.issue("mx.lab.test", { issuer: root, dns: ["mx.lab.test"], freshKey: true });
    next = pki.issue("mx.lab.test", { issuer: root, dns: ["mx.lab.test"], freshKey: true });
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
    pki.cleanup();
  });

  const zoneFor = (tlsa: string[], security: Resolution["security"] = "secure"): Zone => ({
    "lab.test": [{ type: "MX", data: ["10 mx.lab.test."] }],
    "mx.lab.test": [{ type: "A", data: ["127.0.0.1"] }],
    "_25._tcp.mx.lab.test": [{ type: "TLSA", data: tlsa, security }],
  });

  it("a modern server with DANE-EE current + next: STARTTLS, TLS, DANE pass; untrusted chain is info because DANE validates it", async () => {
    const server = await start("ok");
    const results = await run(zoneFor([`3 1 1 ${spkiSha256(leaf)}`, `3 1 1 ${spkiSha256(next)}`]), server.port, ALL);
    assert.equal(get(results, "mail.starttls.available").status, "passed", get(results, "mail.starttls.available").summary);
    assert.equal(get(results, "mail.tls.versions").status, "passed", get(results, "mail.tls.versions").summary);
    assert.equal(get(results, "mail.cert.hostname").status, "passed");
    assert.equal(get(results, "mail.cert.trust").status, "info");
    assert.match(get(results, "mail.cert.trust").summary, /DANE authenticates this server/);
    assert.equal(get(results, "mail.dane.exists").status, "passed");
    assert.equal(get(results, "mail.dane.valid").status, "passed", get(results, "mail.dane.valid").summary);
    assert.equal(get(results, "mail.dane.rollover").status, "passed");
    // Assessment, handshake and renegotiation probe share one gate per address: four connections at most
    // from the client's side. The server may see a closed connection's end after the next one's
    // accept, so its count can be one over.
    assert.ok(server.peak() <= 5 && server.peak() >= 2, `peak ${server.peak()} connections`);
    const evidence = get(results, "mail.tls.versions").evidence as { servers: { host: string; address: string }[] };
    assert.deepEqual(evidence.servers.map((s) => `${s.host} ${s.address}`), ["mx.lab.test 127.0.0.1"]);
  });

  it("PKIX-EE (usage 1) does not count for SMTP; a wrong 3 1 1 fails; one record is no rollover; unsigned TLSA fails exists", async () => {
    const server = await start("ok");
    const pkix = await run(zoneFor([`1 1 1 ${spkiSha256(leaf)}`]), server.port, ["mail.dane.valid", "mail.cert.trust", "mail.dane.rollover"]);
    assert.equal(get(pkix, "mail.dane.valid").status, "failed");
    assert.match(get(pkix, "mail.dane.valid").summary, /no usable TLSA record/);
    assert.equal(get(pkix, "mail.cert.trust").status, "failed");
    assert.equal(get(pkix, "mail.dane.rollover").status, "info");
    const wrong = await run(zoneFor([`3 1 1 ${spkiSha256(next)}`]), server.port, ["mail.dane.valid"]);
    assert.equal(get(wrong, "mail.dane.valid").status, "failed");
    const unsigned = await run(zoneFor([`3 1 1 ${spkiSha256(leaf)}`], "insecure"), server.port, ["mail.dane.exists", "mail.dane.valid"]);
    assert.equal(get(unsigned, "mail.dane.exists").status, "failed");
    assert.match(get(unsigned, "mail.dane.exists").summary, /not DNSSEC-secure/);
    const none = await run(zoneFor([]), server.port, ["mail.dane.exists"]);
    assert.equal(get(none, "mail.dane.exists").status, "failed");
  });

  it("a TLS 1.0-only mail server fails mail.tls.versions", async () => {
    const server = await start("ok", "tls10");
    const results = await run(zoneFor([]), server.port, ["mail.tls.versions", "mail.starttls.available"]);
    assert.equal(get(results, "mail.tls.versions").status, "failed", get(results, "mail.tls.versions").summary);
    assert.equal(get(results, "mail.starttls.available").status, "passed");
  });

  it("two MX hosts on one port: the one without STARTTLS fails availability and is named; TLS checks grade the other", async () => {
    const good = await start("ok", "modern", "127.0.0.1");
    await start("no-starttls", "modern", "127.0.0.2", good.port);
    const zone: Zone = {
      "lab.test": [{ type: "MX", data: ["10 mx.lab.test.", "20 mx2.lab.test."] }],
      "mx.lab.test": [{ type: "A", data: ["127.0.0.1"] }],
      "mx2.lab.test": [{ type: "A", data: ["127.0.0.2"] }],
    };
    const results = await run(zone, good.port, ["mail.starttls.available", "mail.tls.versions", "mail.cert.hostname"]);
    const available = get(results, "mail.starttls.available");
    assert.equal(available.status, "failed");
    assert.match(available.summary, /^mx2\.lab\.test \(127\.0\.0\.2\): no STARTTLS offered/);
    assert.equal(get(results, "mail.tls.versions").status, "passed", get(results, "mail.tls.versions").summary);
    // mx2's certificate cannot be judged without STARTTLS: left out of the verdict, named in the evidence.
    const hostname = get(results, "mail.cert.hostname");
    assert.equal(hostname.status, "passed", hostname.summary);
    assert.match(hostname.summary, /1 server without STARTTLS not judged/);
    const listed = (hostname.evidence as { servers: { host: string; status: string }[] }).servers;
    assert.deepEqual(listed.map((s) => `${s.host} ${s.status}`), ["mx.lab.test passed", "mx2.lab.test not_tested"]);
  });
});
