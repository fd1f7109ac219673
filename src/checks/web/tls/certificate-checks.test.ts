/**
 * The certificate, DANE and handshake-feature checks against real TLS
 * servers on loopback (node:tls and openssl s_server). DNS comes from a small
 * in-memory resolver object (unit tests only: it hands the context
 * Resolutions directly, so TLSA security and SERVFAIL can be set per case;
 * the validating resolver has its own tests and the DNS lab).
 */
import { strict as assert } from "node:assert";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createServer, type Server, type TlsOptions } from "node:tls";
import type { Resolution, Resolver } from "../../../dns/resolver.ts";
import type { Security } from "../../../dns/types.ts";
import { defaultSettings, DomainContext } from "../../context.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { opensslMissing, startSServer, TestPki, type Issued } from "../../../tls/certificate-testpki.ts";
import { associationData } from "../../../tls/dane.ts";
import { CERTIFICATE_CHECKS } from "./certificate-checks.ts";

const DOMAIN = "example.test";
const TLSA_NAME = `_443._tcp.${DOMAIN}.`;

interface Zone {
  tlsa?: { records: string[]; security?: Security; rcode?: string };
  addresses?: string[];
}

function resolution(name: string, type: string, data: string[], rcode = "NOERROR", security: Security = "secure"): Resolution {
  return { name, type, rcode, security, reason: null, answer: data.map((value) => ({ name, type, ttl: 300, data: value })), chain: [], referrals: [] };
}

/** A resolver object answering from `zone` (it stands in for the Resolver class; only resolve() is read). */
function fakeResolver(zone: Zone): Resolver {
  const resolver = {
    resolve(name: string, type: string): Promise<Resolution> {
      if (name === `${DOMAIN}.` && type === "A") return Promise.resolve(resolution(name, type, zone.addresses ?? ["127.0.0.1"]));
      if (name === TLSA_NAME && type === "TLSA" && zone.tlsa) return Promise.resolve(resolution(name, type, zone.tlsa.records, zone.tlsa.rcode, zone.tlsa.security));
      return Promise.resolve(resolution(name, type, [], "NXDOMAIN"));
    },
  };
  return resolver as unknown as Resolver;
}

async function runChecks(port: number, zone: Zone, extraCa: string[]): Promise<Map<string, CheckOutcome>> {
  const settings = defaultSettings(fakeResolver(zone), { allowPrivate: true, extraCa, timeoutMs: 3000, webPorts: { http: 80, https: port } });
  const ctx = new DomainContext(DOMAIN, settings);
  try {
    const outcomes = await Promise.all(CERTIFICATE_CHECKS.map(async (check: CheckDefinition) => [check.id, await check.run(ctx)] as const));
    return new Map(outcomes);
  } finally {
    ctx.close();
  }
}

function status(outcomes: Map<string, CheckOutcome>, id: string): string {
  const outcome = outcomes.get(id);
  assert.ok(outcome, `no outcome for ${id}`);
  return `${outcome.status}: ${outcome.summary}`;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe("certificate, DANE and handshake-feature checks", { skip: opensslMissing() }, () => {
  let pki: TestPki;
  let root: Issued;
  let intermediate: Issued;
  let good: Issued;
  let weak: Issued;
  let goodTlsa: string;

  before(() => {
    pki = new TestPki();
    root = pki.issue("Check Root", { ca: true });
    intermediate = pki.issue("Check Intermediate", { ca: true, issuer: root });
    good = pki.issue(DOMAIN, { issuer: intermediate, dns: [DOMAIN, `www.${DOMAIN}`], freshKey: true });
    // RSA 1024, SHA-1, for another name, from a CA the checks do not trust.
    const stranger = pki.issue("Stranger Root", { ca: true, digest: "sha1" });
    weak = pki.issue("other.test", { issuer: stranger, dns: ["other.test"], key: "rsa:1024", digest: "sha1" });
    goodTlsa = `3 1 1 ${associationData(good.der, 1, 1).toString("hex").toUpperCase()}`;
  });
  after(() => pki.cleanup());

  const serve = (options: TlsOptions, staple?: Buffer): Promise<{ server: Server; port: number }> => {
    const server = createServer(options);
    if (staple) server.on("OCSPRequest", (_cert: Buffer, _issuer: Buffer, callback: (error: Error | null, response: Buffer) => void) => callback(null, staple));
    return listen(server).then((port) => ({ server, port }));
  };

  it("a well-configured server passes; Node's server allows client renegotiation (warning)", async () => {
    const { server, port } = await serve({ key: good.keyPem, cert: good.certPem + intermediate.certPem }, pki.ocspResponse(good, intermediate, "good"));
    try {
      const outcomes = await runChecks(port, { tlsa: { records: [goodTlsa] } }, [root.certPem]);
      for (const id of ["web.cert.trust", "web.cert.hostname", "web.cert.pubkey", "web.cert.signature", "web.dane.exists", "web.dane.valid", "web.tls.ocsp-stapling", "web.tls.zero-rtt"]) {
        assert.match(status(outcomes, id), /^passed/, id);
      }
      assert.match(status(outcomes, "web.tls.client-renegotiation"), /^warning: the server allows client-initiated renegotiation/);
      const trust = outcomes.get("web.cert.trust")?.evidence as { addresses: { leaf: { subject: string; subjectAltNames: string[] }; path: string[] }[] };
      const first = trust.addresses[0];
      assert.ok(first);
      assert.equal(first.leaf.subject, `CN=${DOMAIN}`);
      assert.deepEqual(first.path, [DOMAIN, "Check Intermediate", "Check Root"]);
      const dane = outcomes.get("web.dane.valid")?.evidence as { records: string[]; addresses: { matched: string[] }[] };
      assert.equal(dane.records.length, 1);
      assert.equal(dane.addresses[0]?.matched.length, 1);
    } finally {
      await close(server);
    }
  });

  it("an untrusted, misnamed, weak, SHA-1 certificate fails each certificate check; a wrong TLSA fails DANE; no staple is info", async () => {
    const { server, port } = await serve({ key: weak.keyPem, cert: weak.certPem, ciphers: "DEFAULT:@SECLEVEL=0" });
    try {
      const outcomes = await runChecks(port, { tlsa: { records: [goodTlsa] } }, [root.certPem]);
      assert.match(status(outcomes, "web.cert.trust"), /^failed: the certificate is not trusted: .*Stranger Root/);
      assert.match(status(outcomes, "web.cert.hostname"), /^failed: the certificate is for other\.test, not for example\.test/);
      assert.match(status(outcomes, "web.cert.pubkey"), /^failed: .*RSA 1024 bits/);
      assert.match(status(outcomes, "web.cert.signature"), /^failed: CN=other\.test: ecdsa-with-SHA1: SHA-1 signatures can be forged/);
      assert.match(status(outcomes, "web.dane.valid"), /^failed: no TLSA record authenticates/);
      assert.match(status(outcomes, "web.tls.ocsp-stapling"), /^info: the server does not staple/);
    } finally {
      await close(server);
    }
  });

  it("a revoked staple fails OCSP stapling; RSA 2048 warns (phase out)", async () => {
    const rsa = pki.issue(DOMAIN, { issuer: intermediate, dns: [DOMAIN], key: "rsa:2048" });
    const { server, port } = await serve({ key: rsa.keyPem, cert: rsa.certPem + intermediate.certPem }, pki.ocspResponse(rsa, intermediate, "revoked"));
    try {
      const outcomes = await runChecks(port, {}, [root.certPem]);
      assert.match(status(outcomes, "web.tls.ocsp-stapling"), /^failed: .*revoked/);
      assert.match(status(outcomes, "web.cert.pubkey"), /^warning: .*RSA 2048 bits: phase out/);
      assert.match(status(outcomes, "web.cert.trust"), /^passed/);
    } finally {
      await close(server);
    }
  });

  it("openssl s_server with early data fails 0-RTT and refuses client renegotiation", async () => {
    const server = await startSServer(["-cert", good.certPath, "-key", good.keyPath, "-cert_chain", intermediate.certPath, "-early_data"]);
    try {
      const outcomes = await runChecks(server.port, {}, [root.certPem]);
      assert.match(status(outcomes, "web.tls.zero-rtt"), /^failed: the server's session tickets allow \d+ bytes of 0-RTT/);
      assert.match(status(outcomes, "web.tls.client-renegotiation"), /^passed: the server refuses/);
    } finally {
      await server.stop();
    }
  });

  it("DANE: no TLSA is info and not tested; SERVFAIL is an error, not absence; insecure TLSA is not valid", async () => {
    const { server, port } = await serve({ key: good.keyPem, cert: good.certPem + intermediate.certPem });
    try {
      const none = await runChecks(port, {}, [root.certPem]);
      assert.match(status(none, "web.dane.exists"), /^info: no TLSA records at _443\._tcp\.example\.test/);
      assert.match(status(none, "web.dane.valid"), /^not_tested/);
      const servfail = await runChecks(port, { tlsa: { records: [], rcode: "SERVFAIL", security: "indeterminate" } }, [root.certPem]);
      assert.match(status(servfail, "web.dane.exists"), /^error: could not be tested: the TLSA lookup .* failed \(SERVFAIL/);
      assert.match(status(servfail, "web.dane.valid"), /^error/);
      const insecure = await runChecks(port, { tlsa: { records: [goodTlsa], security: "insecure" } }, [root.certPem]);
      assert.match(status(insecure, "web.dane.exists"), /^passed: 1 TLSA record .*not DNSSEC-secure/);
      assert.match(status(insecure, "web.dane.valid"), /^failed: .*not DNSSEC-secure/);
    } finally {
      await close(server);
    }
  });

  it("no HTTPS server on any address: not tested; none on one of two addresses: error", async () => {
    const { server, port } = await serve({ key: good.keyPem, cert: good.certPem + intermediate.certPem });
    await close(server);
    const outcomes = await runChecks(port, {}, [root.certPem]);
    assert.match(status(outcomes, "web.cert.trust"), /^not_tested: no TLS handshake on port \d+/);
    const again = await serve({ key: good.keyPem, cert: good.certPem + intermediate.certPem });
    try {
      // 127.0.0.2 is loopback too, but nothing listens there on this port.
      const mixed = await runChecks(again.port, { addresses: ["127.0.0.1", "127.0.0.2"] }, [root.certPem]);
      assert.match(status(mixed, "web.cert.trust"), /^error: 127\.0\.0\.2: no TLS handshake/);
    } finally {
      await close(again.server);
    }
  });
});
