import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assessTls } from "./assess.ts";
import { opensslMissing, TestPki, type Issued } from "./certificate-testpki.ts";
import { TLS12, TLS13 } from "./client-hello.ts";
import { startSmtpServer, type RunningSmtpServer, type SmtpMode } from "./fixtures/smtp-server.ts";
import { handshake, HandshakeError, probeClientRenegotiation } from "./handshake.ts";
import { offer, suitesFor } from "./probe.ts";
import { SmtpError, smtpConnector, smtpStartTls } from "./smtp.ts";

const skip = opensslMissing();

async function expectSmtpError(mode: SmtpMode, kind: SmtpError["kind"], pattern: RegExp, maxMs = 2000): Promise<void> {
  const server = await startSmtpServer({ mode });
  const started = Date.now();
  try {
    await assert.rejects(smtpStartTls("127.0.0.1", server.port, { stepTimeoutMs: 400, maxReplyBytes: 16 * 1024 }), (error: unknown) => {
      assert.ok(error instanceof SmtpError, String(error));
      assert.equal(error.kind, kind, error.message);
      assert.match(error.message, pattern);
      return true;
    });
    assert.ok(Date.now() - started < maxMs, `took ${Date.now() - started} ms`);
  } finally {
    await server.close();
  }
}

describe("SMTP STARTTLS client: hostile servers end in bounded errors", () => {
  it("a server that never greets times out at the step limit", () => expectSmtpError("silent", "timeout", /no 220 greeting within 400 ms/));
  it("421 at once is a refused greeting", () => expectSmtpError("busy", "reply", /greeted with 421 4\.3\.2 busy/));
  it("STARTTLS advertised then refused with 454", () => expectSmtpError("refuse-starttls", "reply", /refused STARTTLS: 454/));
  it("no STARTTLS among the EHLO extensions", () => expectSmtpError("no-starttls", "no-starttls", /does not offer STARTTLS \(EHLO extensions: PIPELINING, 8BITMIME\)/));
  it("an endless multi-line EHLO reply hits the reply cap", () => expectSmtpError("endless", "limit", /longer than 16384 bytes/));
  it("a greeting line over 4 KiB hits the line cap", () => expectSmtpError("long-line", "limit", /a reply line is longer than 4096 bytes/));
  it("a multi-line greeting is read whole, and the EHLO extensions are listed", async () => {
    const server = await startSmtpServer();
    try {
      const session = await smtpStartTls("127.0.0.1", server.port, { stepTimeoutMs: 1000 });
      session.socket.destroy();
      assert.deepEqual(session.banner, { code: 220, lines: ["mx.lab.test ESMTP test", "no UCE"] });
      assert.deepEqual(session.extensions, ["PIPELINING", "STARTTLS", "8BITMIME"]);
      assert.equal(session.starttls.code, 220);
    } finally {
      await server.close();
    }
  });
  it("replies nobody asked for are capped", () => expectSmtpError("chatty", "limit", /more than 4 replies nobody asked for/));
  it("plaintext after the STARTTLS 220 is refused (injection)", () => expectSmtpError("inject", "protocol", /plaintext after its STARTTLS reply/));
  it("a closed port is a connect error", async () => {
    const server = await startSmtpServer();
    const port = server.port;
    await server.close();
    await assert.rejects(smtpStartTls("127.0.0.1", port, { stepTimeoutMs: 400 }), (error: unknown) => error instanceof SmtpError && error.kind === "connect" && /connection refused/.test(error.message));
  });
  it("the caller's signal ends a silent server's wait at once", async () => {
    const server = await startSmtpServer({ mode: "silent" });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      await assert.rejects(smtpStartTls("127.0.0.1", server.port, { stepTimeoutMs: 10_000, signal: controller.signal }), (error: unknown) => error instanceof SmtpError && error.kind === "aborted");
      assert.ok(Date.now() - started < 1000);
    } finally {
      await server.close();
    }
  });
});

describe("TLS over SMTP STARTTLS", { skip }, () => {
  let pki: TestPki;
  let leaf: Issued;
  let modern: RunningSmtpServer;
  let legacy: RunningSmtpServer;
  let reset: RunningSmtpServer;

  before(async () => {
    pki = new TestPki();
    const root = pki.issue("SMTP Root", { ca: true });
    leaf = pki.issue("mx.lab.test", { issuer: root, dns: ["mx.lab.test"] });
    modern = await startSmtpServer({ tls: { key: leaf.keyPem, cert: leaf.certPem, minVersion: "TLSv1.2" } });
    legacy = await startSmtpServer({ tls: { key: leaf.keyPem, cert: leaf.certPem, minVersion: "TLSv1", maxVersion: "TLSv1", ciphers: "DEFAULT:@SECLEVEL=0" } });
    reset = await startSmtpServer({ mode: "reset-in-handshake" });
  });
  after(async () => {
    await Promise.all([modern.close(), legacy.close(), reset.close()]);
    pki.cleanup();
  });

  it("smtpStartTls hands over a socket that a node:tls handshake completes on, with the chain", async () => {
    const result = await handshake("127.0.0.1", modern.port, { servername: "mx.lab.test", timeoutMs: 3000, connect: smtpConnector() });
    assert.equal(result.protocol, "TLSv1.3");
    assert.deepEqual(result.chain[0], leaf.der);
  });

  it("a raw hello after STARTTLS is answered: TLS 1.3 accepted, TLS 1.0 refused", async () => {
    const connect = smtpConnector();
    const tls13 = await offer("127.0.0.1", modern.port, { version: TLS13, suites: suitesFor(TLS13), connect, timeoutMs: 2000 });
    assert.ok("accepted" in tls13, JSON.stringify(tls13));
    const tls10 = await offer("127.0.0.1", modern.port, { version: 0x0301, suites: suitesFor(0x0301), connect, timeoutMs: 2000 });
    assert.ok("refused" in tls10, JSON.stringify(tls10));
  });

  it("a failed preamble is the hello's error, with the SMTP reason", async () => {
    const server = await startSmtpServer({ mode: "refuse-starttls" });
    try {
      const result = await offer("127.0.0.1", server.port, { version: TLS12, suites: suitesFor(TLS12), connect: smtpConnector(), timeoutMs: 2000 });
      assert.ok("error" in result && /refused STARTTLS: 454/.test(result.error), JSON.stringify(result));
      await assert.rejects(handshake("127.0.0.1", server.port, { servername: "mx.lab.test", timeoutMs: 2000, connect: smtpConnector() }), (error: unknown) => error instanceof HandshakeError && /454/.test(error.message));
    } finally {
      await server.close();
    }
  });

  it("a reset during the TLS handshake is a refusal for a raw hello and an error for node:tls", async () => {
    const result = await offer("127.0.0.1", reset.port, { version: TLS12, suites: suitesFor(TLS12), connect: smtpConnector(), timeoutMs: 2000 });
    assert.ok("refused" in result && /reset/.test(result.refused.reason), JSON.stringify(result));
    await assert.rejects(handshake("127.0.0.1", reset.port, { servername: "mx.lab.test", timeoutMs: 2000, connect: smtpConnector() }), HandshakeError);
  });

  it("assessTls over STARTTLS finds a TLS 1.0-only server, at most four connections at once", async () => {
    const assessment = await assessTls("127.0.0.1", legacy.port, { servername: "mx.lab.test", timeoutMs: 3000, maxConnections: 4, connect: smtpConnector() });
    assert.deepEqual(assessment.acceptedVersions, ["TLS 1.0"]);
    assert.ok((assessment.suites.find((list) => list.version === "TLS 1.0")?.suites.length ?? 0) > 0);
    assert.ok(legacy.peak() <= 4, `peak ${legacy.peak()}`);
    assert.ok(legacy.connections() >= assessment.handshakes - 1);
  });

  it("assessTls over STARTTLS on a TLS 1.2/1.3 server, and renegotiation over STARTTLS", async () => {
    const assessment = await assessTls("127.0.0.1", modern.port, { servername: "mx.lab.test", timeoutMs: 3000, maxConnections: 4, connect: smtpConnector() });
    assert.deepEqual(assessment.acceptedVersions, ["TLS 1.2", "TLS 1.3"]);
    assert.deepEqual(assessment.errors, []);
    const renegotiation = await probeClientRenegotiation("127.0.0.1", modern.port, { servername: "mx.lab.test", timeoutMs: 2000, connect: smtpConnector() });
    assert.equal(renegotiation.tested, true);
  });
});
