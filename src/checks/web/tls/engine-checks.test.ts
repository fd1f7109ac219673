import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Resolution, Resolver } from "../../../dns/resolver.ts";
import { GROUP, TLS12, TLS13 } from "../../../tls/client-hello.ts";
import {
  alertRecord,
  freePort,
  hasOpenSsl,
  onClientHello,
  OpenSslLab,
  parseClientHello,
  scriptedServer,
  serverHelloRecord,
  u16,
} from "../../../tls/fixtures/openssl-server.ts";
import { defaultSettings, DomainContext } from "../../context.ts";
import type { CheckOutcome } from "../../types.ts";
import { ENGINE_CHECKS } from "./engine-checks.ts";

/**
 * A resolver that answers lab.test with the given addresses. The checks only
 * call resolve(name, type); the real Resolver has private fields, hence the cast.
 */
function labResolver(addresses: { a?: string[]; aaaa?: string[] }): Resolver {
  const resolve = (name: string, type: string): Promise<Resolution> => {
    const data = (type === "A" ? addresses.a : type === "AAAA" ? addresses.aaaa : undefined) ?? [];
    return Promise.resolve({
      name,
      type,
      rcode: "NOERROR",
      security: "insecure",
      reason: null,
      answer: data.map((address) => ({ name, type, ttl: 60, data: address })),
      chain: [],
      referrals: [],
    });
  };
  return { resolve } as unknown as Resolver;
}

async function runChecks(port: number, ids: readonly string[], options: { allowPrivate?: boolean; addresses?: string[]; ipv6?: string[] } = {}): Promise<Map<string, CheckOutcome>> {
  const settings = defaultSettings(labResolver({ a: options.addresses ?? (options.ipv6 ? [] : ["127.0.0.1"]), aaaa: options.ipv6 ?? [] }), {
    allowPrivate: options.allowPrivate ?? true,
    timeoutMs: 3000,
    webPorts: { http: 80, https: port },
  });
  const ctx = new DomainContext("lab.test", settings);
  try {
    const checks = ENGINE_CHECKS.filter((check) => ids.includes(check.id));
    const outcomes = await Promise.all(checks.map(async (check) => [check.id, await check.run(ctx)] as const));
    return new Map(outcomes);
  } finally {
    ctx.close();
  }
}

function outcome(results: Map<string, CheckOutcome>, id: string): CheckOutcome {
  const found = results.get(id);
  assert.ok(found, `no outcome for ${id}`);
  return found;
}

const ALL_IDS = ENGINE_CHECKS.map((check) => check.id);

describe("web.tls engine checks: definitions", () => {
  it("has the nine protocol checks in web.https, pq-kex recommended under pq-tls", () => {
    assert.deepEqual(ALL_IDS, [
      "web.tls.versions", "web.tls.ciphers", "web.tls.cipher-order", "web.tls.key-exchange", "web.tls.kex-hash",
      "web.tls.compression", "web.tls.secure-renegotiation", "web.tls.ems", "web.tls.pq-kex",
    ]);
    for (const check of ENGINE_CHECKS) {
      assert.equal(check.category, "web.https");
      assert.equal(check.standard, check.id === "web.tls.pq-kex" ? "pq-tls" : "tls");
      assert.equal(check.weight, check.id === "web.tls.pq-kex" ? "recommended" : "required");
    }
  });

  it("is not_tested when nothing listens on the HTTPS port, or every address is refused", async () => {
    const closed = await runChecks(await freePort(), ["web.tls.versions"]);
    assert.equal(outcome(closed, "web.tls.versions").status, "not_tested");
    assert.match(outcome(closed, "web.tls.versions").summary, /no address of lab\.test accepts connections on port \d+/);
    const refused = await runChecks(await freePort(), ["web.tls.versions"], { allowPrivate: false });
    assert.equal(outcome(refused, "web.tls.versions").status, "not_tested");
    assert.match(outcome(refused, "web.tls.versions").summary, /every address of lab\.test is refused/);
  });
});

describe("web.tls engine checks against openssl s_server (lab)", { skip: hasOpenSsl() ? false : "openssl is not installed", timeout: 60_000 }, () => {
  let lab: OpenSslLab;
  before(() => {
    lab = new OpenSslLab();
  });
  after(() => lab.close());

  it("passes a TLS 1.2/1.3 server with ECDHE AEAD suites in its own order and good curves (pq-kex warns on OpenSSL 3.0)", async () => {
    const { port } = await lab.start(["-serverpref", "-groups", "X25519:P-256:P-384", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256"]);
    const results = await runChecks(port, ALL_IDS);
    for (const id of ALL_IDS.filter((id) => id !== "web.tls.pq-kex")) {
      assert.equal(outcome(results, id).status, "passed", `${id}: ${JSON.stringify(outcome(results, id))}`);
    }
    assert.equal(outcome(results, "web.tls.versions").summary, "accepts TLS 1.3 (good) and TLS 1.2 (sufficient) only");
    assert.equal(outcome(results, "web.tls.pq-kex").status, "warning");
    assert.match(outcome(results, "web.tls.pq-kex").summary, /does not accept X25519MLKEM768 \(chose x25519 instead\)/);
    const evidence = outcome(results, "web.tls.ciphers").evidence as { addresses: { versions: { version: string; suites: { name: string; level: string }[] }[] }[] };
    const tls12 = evidence.addresses[0]?.versions.find((v) => v.version === "TLS 1.2");
    assert.deepEqual(tls12?.suites, [
      { name: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", level: "sufficient" },
      { name: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", level: "sufficient" },
      { name: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", level: "sufficient" },
    ]);
  });

  it("fails versions, ciphers, cipher order, key exchange and kex hash on a permissive legacy server", async () => {
    // SECLEVEL=0 also lets SHA-1 sign the key exchange and the DHE suites use OpenSSL's built-in custom primes.
    const { port } = await lab.start(["-min_protocol", "TLSv1", "-cipher", "ALL:@SECLEVEL=0"]);
    const results = await runChecks(port, ALL_IDS);
    const versions = outcome(results, "web.tls.versions");
    assert.equal(versions.status, "failed");
    assert.equal(versions.summary, "accepts TLS 1.0 and TLS 1.1 (insufficient)");
    assert.equal(outcome(results, "web.tls.ciphers").status, "failed");
    assert.match(outcome(results, "web.tls.ciphers").summary, /^accepts insufficient cipher suites: TLS_/);
    assert.equal(outcome(results, "web.tls.cipher-order").status, "failed");
    assert.match(outcome(results, "web.tls.cipher-order").summary, /^does not enforce its own order at TLS 1\.2 while it accepts sufficient, phase out and insufficient suites$/);
    assert.equal(outcome(results, "web.tls.key-exchange").status, "failed");
    assert.match(outcome(results, "web.tls.key-exchange").summary, /DHE custom 1024-bit/);
    assert.equal(outcome(results, "web.tls.kex-hash").status, "failed");
    assert.match(outcome(results, "web.tls.kex-hash").summary, /only SHA-1 signature algorithms succeeds \(signed its key exchange with signature algorithm 0x0203\)/);
    // What OpenSSL gets right even so.
    assert.equal(outcome(results, "web.tls.compression").status, "passed");
    assert.equal(outcome(results, "web.tls.secure-renegotiation").status, "passed");
    assert.equal(outcome(results, "web.tls.ems").status, "passed");
  });

  it("fails cipher order when the server's own order puts a phase-out suite first", async () => {
    const { port } = await lab.start(["-tls1_2", "-serverpref", "-cipher", "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"]);
    const results = await runChecks(port, ["web.tls.cipher-order", "web.tls.ciphers"]);
    assert.equal(outcome(results, "web.tls.cipher-order").status, "failed");
    assert.equal(
      outcome(results, "web.tls.cipher-order").summary,
      "prefers TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (phase out) over TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (sufficient) at TLS 1.2",
    );
    assert.equal(outcome(results, "web.tls.ciphers").status, "warning");
  });

  it("grades DHE: ffdhe2048 fails key exchange, and the suite is phase-out", async () => {
    const { port } = await lab.start(["-tls1_2", "-cipher", "DHE-RSA-AES256-GCM-SHA384", "-dhparam", lab.path("ffdhe2048.pem")], { key: "rsa" });
    const results = await runChecks(port, ["web.tls.key-exchange", "web.tls.ciphers"]);
    assert.equal(outcome(results, "web.tls.key-exchange").status, "failed");
    assert.equal(outcome(results, "web.tls.key-exchange").summary, "accepts insufficient key exchange groups: DHE ffdhe2048");
    assert.equal(outcome(results, "web.tls.ciphers").status, "warning");
    assert.match(outcome(results, "web.tls.ciphers").summary, /phase out: TLS_DHE_RSA_WITH_AES_256_GCM_SHA384/);
  });

  it("fails EMS on a TLS 1.2 server with extended master secret turned off", async () => {
    const { port } = await lab.start(["-tls1_2"], { noEms: true });
    const results = await runChecks(port, ["web.tls.ems"]);
    assert.equal(outcome(results, "web.tls.ems").status, "failed");
    assert.equal(outcome(results, "web.tls.ems").summary, "TLS 1.2 without extended master secret (RFC 7627)");
  });

  it("assesses an IPv6-only name over IPv6", async () => {
    const { port } = await lab.start(["-tls1_3"], { host: "::1" });
    const results = await runChecks(port, ["web.tls.versions"], { ipv6: ["::1"] });
    const versions = outcome(results, "web.tls.versions");
    assert.equal(versions.status, "passed", JSON.stringify(versions));
    assert.deepEqual((versions.evidence as { addresses: { address: string }[] }).addresses.map((a) => a.address), ["::1"]);
  });

  it("assesses every address (up to four) and reports the worst", async () => {
    // The same port on two loopback addresses: a good server and a TLS 1.0 one; three more addresses have nothing.
    const good = await lab.start(["-tls1_3"]);
    await lab.start(["-min_protocol", "TLSv1", "-max_protocol", "TLSv1", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"], { host: "127.0.0.2", port: good.port });
    const results = await runChecks(good.port, ["web.tls.versions"], { addresses: ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"] });
    const versions = outcome(results, "web.tls.versions");
    assert.equal(versions.status, "failed");
    assert.equal(versions.summary, "127.0.0.2: accepts TLS 1.0 (insufficient) (1 other address assessed)");
    const evidence = versions.evidence as { addresses: { address: string; status: string }[]; unreachable?: { address: string }[] };
    assert.deepEqual(evidence.addresses.map((a) => [a.address, a.status]), [["127.0.0.1", "passed"], ["127.0.0.2", "failed"]]);
    assert.deepEqual(evidence.unreachable?.map((a) => a.address), ["127.0.0.3", "127.0.0.4"], "four addresses at most");
  });
});

/**
 * A scripted TLS 1.2 server for what OpenSSL will not do: no renegotiation_info,
 * DEFLATE compression. It answers every TLS 1.2 hello with ECDHE-RSA-AES128-GCM
 * when offered, and refuses everything else.
 */
function legacyScript(options: { renegotiationInfo: boolean; compression: boolean }) {
  return (socket: Socket) =>
    onClientHello(socket, (record) => {
      const hello = parseClientHello(record);
      if (hello.version !== TLS12 || record.includes(Buffer.from([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]))) {
        socket.end(alertRecord(70));
        return;
      }
      if (!hello.suites.includes(0xc02f)) {
        socket.end(alertRecord(40));
        return;
      }
      const extensions: [number, Buffer][] = [[23, Buffer.alloc(0)]];
      if (options.renegotiationInfo) extensions.push([0xff01, Buffer.from([0])]);
      const method = options.compression && hello.compression.includes(1) ? 1 : 0;
      socket.end(serverHelloRecord(TLS12, 0xc02f, method, extensions));
    });
}

/** A scripted TLS 1.3 server that takes an X25519MLKEM768 key share when one is sent (as OpenSSL 3.5 does). */
function hybridScript(socket: Socket): void {
  onClientHello(socket, (record) => {
    const hello = parseClientHello(record);
    const tls13 = record.includes(Buffer.from([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]));
    const suite = [0x1302, 0x1301].find((code) => hello.suites.includes(code));
    if (!tls13 || suite === undefined) {
      socket.end(alertRecord(tls13 ? 40 : 70));
      return;
    }
    // A key_share entry: group, then the length of its key_exchange (1216 for the hybrid, 32 for X25519).
    const group = record.includes(Buffer.concat([u16(GROUP.x25519mlkem768), u16(1216)])) ? GROUP.x25519mlkem768 : record.includes(Buffer.concat([u16(GROUP.x25519), u16(32)])) ? GROUP.x25519 : null;
    if (group === null) {
      socket.end(alertRecord(40));
      return;
    }
    const share = Buffer.concat([u16(group), u16(group === GROUP.x25519 ? 32 : 1120), Buffer.alloc(group === GROUP.x25519 ? 32 : 1120, 9)]);
    socket.end(serverHelloRecord(TLS12, suite, 0, [[43, u16(TLS13)], [51, share]]));
  });
}

describe("web.tls engine checks against scripted servers (what OpenSSL 3.0 cannot serve)", () => {
  const closers: (() => void)[] = [];
  after(() => {
    for (const close of closers) close();
  });

  it("fails compression and secure renegotiation on a server that compresses and lacks renegotiation_info", async () => {
    const { server, port } = await scriptedServer(legacyScript({ renegotiationInfo: false, compression: true }));
    closers.push(() => server.close());
    const results = await runChecks(port, ["web.tls.compression", "web.tls.secure-renegotiation", "web.tls.versions"]);
    assert.equal(outcome(results, "web.tls.versions").summary, "accepts TLS 1.2 only (sufficient); TLS 1.3 is better");
    assert.equal(outcome(results, "web.tls.compression").status, "failed");
    assert.match(outcome(results, "web.tls.compression").summary, /chose compression method 1 \(DEFLATE\)/);
    assert.equal(outcome(results, "web.tls.secure-renegotiation").status, "failed");
    assert.equal(outcome(results, "web.tls.secure-renegotiation").summary, "does not support secure renegotiation (no renegotiation_info, RFC 5746) at TLS 1.2");
  });

  it("passes the same checks when the scripted server behaves", async () => {
    const { server, port } = await scriptedServer(legacyScript({ renegotiationInfo: true, compression: false }));
    closers.push(() => server.close());
    const results = await runChecks(port, ["web.tls.compression", "web.tls.secure-renegotiation"]);
    assert.equal(outcome(results, "web.tls.compression").status, "passed");
    assert.equal(outcome(results, "web.tls.secure-renegotiation").status, "passed");
  });

  it("passes pq-kex on a server that takes the X25519MLKEM768 share", async () => {
    const { server, port } = await scriptedServer(hybridScript);
    closers.push(() => server.close());
    const results = await runChecks(port, ["web.tls.pq-kex", "web.tls.versions"]);
    assert.equal(outcome(results, "web.tls.versions").summary, "accepts TLS 1.3 only (good)");
    assert.equal(outcome(results, "web.tls.pq-kex").status, "passed", JSON.stringify(outcome(results, "web.tls.pq-kex")));
  });
});
