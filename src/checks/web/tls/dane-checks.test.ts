/**
 * web.dane.* with Baseline's validating resolver: a signed test root zone
 * (served by the DNS engine's fake authoritative servers on loopback) holds
 * the domain's address and its TLSA record, so DNSSEC security comes from
 * real validation; a tampered signature makes the lookup bogus (SERVFAIL).
 */
import { strict as assert } from "node:assert";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createServer, type Server } from "node:tls";
import { dsRecord, generateKey, rr } from "../../../dns/dnssec/fixtures/signer.ts";
import { FakeZone, startFakeNetwork, type FakeNetwork } from "../../../dns/fixtures/fake-servers.ts";
import { createResolver } from "../../../dns/resolver.ts";
import type { ResourceRecord } from "../../../dns/types.ts";
import { defaultSettings, DomainContext } from "../../context.ts";
import type { CheckOutcome } from "../../types.ts";
import { opensslMissing, TestPki, type Issued } from "../../../tls/certificate-testpki.ts";
import { associationData } from "../../../tls/dane.ts";
import { daneExistsCheck, daneValidCheck } from "./dane-checks.ts";

const ROOT_SERVER = "127.56.0.1";
const NOW = Math.floor(Date.now() / 1000);
const validity = { inception: NOW - 86_400, expiration: NOW + 86_400 };
const rootKey = generateKey(".", { seed: "dane-checks-test root" });

describe("DANE checks with the validating resolver", { skip: opensslMissing() }, () => {
  let pki: TestPki;
  let leaf: Issued;
  let other: Issued;
  let network: FakeNetwork;
  let server: Server;
  let port: number;

  before(async () => {
    pki = new TestPki();
    const ca = pki.issue("DANE Lab CA", { ca: true });
    leaf = pki.issue("example.test", { issuer: ca, dns: ["example.test", "bogus.test", "other.test"], freshKey: true });
    other = pki.issue("unrelated.test", { issuer: ca, dns: ["unrelated.test"], freshKey: true });
    server = createServer({ key: leaf.keyPem, cert: leaf.certPem });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    network = await startFakeNetwork(1, "127.56.0.");
    const tlsa = (owner: string, cert: Issued): ResourceRecord => rr(owner, "TLSA", { usage: 3, selector: 1, matchingType: 1, certificate: associationData(cert.der, 1, 1) });
    const zone = new FakeZone({
      name: ".",
      nameServers: ["a.root.test."],
      key: rootKey,
      validity,
      glue: [rr("a.root.test.", "A", ROOT_SERVER)],
      records: [
        rr("a.root.test.", "A", ROOT_SERVER),
        ...["example.test.", "bogus.test.", "other.test."].map((name) => rr(name, "A", "127.0.0.1")),
        tlsa("_443._tcp.example.test.", leaf),
        tlsa("_443._tcp.bogus.test.", leaf),
        tlsa("_443._tcp.other.test.", other),
      ],
    });
    zone.tamper("_443._tcp.bogus.test.", "TLSA");
    network.at(ROOT_SERVER).zones.push(zone);
  });

  after(async () => {
    await network.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    pki.cleanup();
  });

  async function run(domain: string): Promise<{ exists: CheckOutcome; valid: CheckOutcome }> {
    const resolver = createResolver({
      rootHints: [rr(".", "NS", "a.root.test.", 518_400), rr("a.root.test.", "A", ROOT_SERVER, 518_400)],
      trustAnchors: [dsRecord(rootKey)],
      allowPrivate: true,
      port: network.port,
      timeoutMs: 500,
      retries: 1,
    });
    const settings = defaultSettings(resolver, { allowPrivate: true, timeoutMs: 3000, webPorts: { http: 80, https: port } });
    const ctx = new DomainContext(domain, settings);
    try {
      const [exists, valid] = await Promise.all([daneExistsCheck.run(ctx), daneValidCheck.run(ctx)]);
      return { exists, valid };
    } finally {
      ctx.close();
    }
  }

  it("a DNSSEC-secure TLSA record matching the server's key: exists and valid", async () => {
    const { exists, valid } = await run("example.test");
    assert.equal(exists.status, "passed", exists.summary);
    assert.match(exists.summary, /DNSSEC-signed/);
    assert.equal(valid.status, "passed", valid.summary);
    assert.equal(valid.evidence.security, "secure");
  });

  it("a secure TLSA record for another key: exists, not valid", async () => {
    const { exists, valid } = await run("other.test");
    assert.equal(exists.status, "passed");
    assert.equal(valid.status, "failed", valid.summary);
    assert.match(valid.summary, /does not match the leaf/);
  });

  it("a TLSA record whose signature does not verify: an error, not absence", async () => {
    const { exists, valid } = await run("bogus.test");
    assert.equal(exists.status, "error", exists.summary);
    assert.match(exists.summary, /SERVFAIL/);
    assert.equal(valid.status, "error");
  });
});
