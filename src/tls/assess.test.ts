import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { assessTls } from "./assess.ts";
import { GROUP, TLS12, TLS13 } from "./client-hello.ts";
import { alertRecord, hasOpenSsl, onClientHello, OpenSslLab, parseClientHello, scriptedServer, serverHelloRecord, u16 } from "./fixtures/openssl-server.ts";
import { gradeCiphers, gradeVersions } from "./grade.ts";
import { HELLO_RETRY_REQUEST_RANDOM } from "./server-hello.ts";
import { groupName } from "./named-groups.ts";

const names = (codes: readonly number[]) => codes.map(groupName);

describe("assessTls against openssl s_server (lab)", { skip: hasOpenSsl() ? false : "openssl is not installed", timeout: 30_000 }, () => {
  let lab: OpenSslLab;
  before(() => {
    lab = new OpenSslLab();
  });
  after(() => lab.close());

  it("assesses a permissive server fully and JSON-serialisably in one pass", async () => {
    const { port } = await lab.start(["-min_protocol", "TLSv1", "-cipher", "ALL:@SECLEVEL=0"]);
    const result = await assessTls("127.0.0.1", port, { servername: "lab.test", timeoutMs: 3000 });
    assert.deepEqual(JSON.parse(JSON.stringify(result)), result);
    assert.deepEqual(result.acceptedVersions, ["TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"]);
    assert.deepEqual(result.errors, []);
    const ssl2 = result.versions[0];
    assert.equal(ssl2?.version, "SSLv2");
    assert.equal(ssl2.accepted, false);
    assert.deepEqual(result.suites.map((list) => list.version), result.acceptedVersions);
    assert.ok(result.suites.every((list) => list.suites.length >= 3 && list.serverPreference === false));
    // OpenSSL 3.0's default groups: five curves (TLS 1.2 and 1.3) and the five FFDHE groups (TLS 1.3 only).
    assert.deepEqual(new Set(result.groups.tls13.map((g) => g.name)), new Set([...names([GROUP.x25519, GROUP.secp256r1, GROUP.x448, GROUP.secp521r1, GROUP.secp384r1]), "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192"]));
    assert.deepEqual(new Set(result.groups.ecdhe.map((g) => g.name)), new Set(names([GROUP.x25519, GROUP.secp256r1, GROUP.x448, GROUP.secp521r1, GROUP.secp384r1])));
    assert.equal(result.groups.legacyVersion, "TLS 1.2");
    assert.equal(result.sha1KeyExchange?.outcome, "accepted");
    assert.equal(result.compression?.method, 0);
    assert.deepEqual(result.hybridKeyExchange, { supported: false, chosen: "x25519", error: null });
    assert.ok(result.versions.filter((v) => v.accepted && v.code !== 0x0304).every((v) => v.secureRenegotiation && v.extendedMasterSecret));
    assert.ok(result.handshakes < 120, `${result.handshakes} hellos`);
  });

  it("learns TLS 1.3 groups the server asks for by HelloRetryRequest, in its order", async () => {
    const { port } = await lab.start(["-tls1_3", "-groups", "P-384:P-521"]);
    const result = await assessTls("127.0.0.1", port, { timeoutMs: 3000 });
    assert.deepEqual(result.groups.tls13.map((g) => g.name), ["secp384r1", "secp521r1"]);
    assert.equal(result.hybridKeyExchange?.supported, false);
  });

  it("finds the suites and curve of a TLS 1.2 server with only a brainpool curve (every hello offers it)", async () => {
    const { port } = await lab.start(["-tls1_2", "-groups", "brainpoolP384r1"]);
    const result = await assessTls("127.0.0.1", port, { timeoutMs: 3000 });
    assert.deepEqual(result.acceptedVersions, ["TLS 1.2"]);
    assert.ok((result.suites[0]?.suites.length ?? 0) >= 5, JSON.stringify(result.suites));
    assert.deepEqual(result.groups.ecdhe.map((g) => g.name), ["brainpoolP384r1"]);
  });

  it("names an RFC 7919 DHE group from the ServerKeyExchange prime, and refuses SHA-1 at the default security level", async () => {
    const { port } = await lab.start(["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256", "-dhparam", lab.path("ffdhe2048.pem")], { key: "rsa" });
    const result = await assessTls("127.0.0.1", port, { timeoutMs: 3000 });
    assert.deepEqual(result.groups.dhe, [{ group: GROUP.ffdhe2048, name: "ffdhe2048", bits: 2048 }]);
    assert.deepEqual(result.groups.ecdhe, []);
    assert.equal(result.sha1KeyExchange?.outcome, "refused");
  });
});

describe("assessTls against hostile servers: bounded errors, never a hang", () => {
  const closers: (() => void)[] = [];
  after(() => {
    for (const close of closers) close();
  });
  async function serve(onConnection: (socket: Socket) => void): Promise<number> {
    const { server, port } = await scriptedServer(onConnection);
    closers.push(() => server.close());
    return port;
  }

  it("a silent server: every version times out, nothing more is tried", async () => {
    const sockets: Socket[] = [];
    const port = await serve((socket) => sockets.push(socket));
    const started = Date.now();
    const result = await assessTls("127.0.0.1", port, { timeoutMs: 300 });
    for (const socket of sockets) socket.destroy();
    assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
    assert.deepEqual(result.acceptedVersions, []);
    assert.equal(result.handshakes, 6, "SSLv2 and SSLv3 .. TLS 1.3, one hello each");
    assert.equal(result.errors.length, 5);
    assert.ok(result.errors.every((error) => /no answer from 127\.0\.0\.1:\d+ within 300 ms/.test(error)), JSON.stringify(result.errors));
    assert.equal(result.versions[0]?.detail, "no answer to an SSLv2 hello within 300 ms", "silence is no SSLv2, not an unknown");
  });

  it("garbage and resets: errors and refusals, no acceptance", async () => {
    const garbage = await serve((socket) => socket.end("SSH-2.0-OpenSSH_9.6\r\n"));
    const junk = await assessTls("127.0.0.1", garbage, { timeoutMs: 1000 });
    assert.deepEqual(junk.acceptedVersions, []);
    assert.match(junk.errors[0] ?? "", /did not answer TLS: record type 83/);
    const reset = await serve((socket) => socket.once("data", () => socket.resetAndDestroy()));
    const refused = await assessTls("127.0.0.1", reset, { timeoutMs: 1000 });
    assert.deepEqual(refused.acceptedVersions, []);
    assert.deepEqual(refused.errors, []);
    assert.ok(refused.versions.every((v) => v.detail === (v.version === "SSLv2" ? "connection reset without a SERVER-HELLO" : "connection reset without a ServerHello")), JSON.stringify(refused.versions));
  });

  it("a ServerHello then an alert (mid-handshake) or a trickle: the hello counts, the key exchange is reported unreadable", async () => {
    const port = await serve((socket) =>
      onClientHello(socket, (record) => {
        const hello = parseClientHello(record);
        if (hello.version !== TLS12 || record.includes(Buffer.from([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]))) {
          socket.end(alertRecord(70));
          return;
        }
        const suite = hello.suites.find((code) => code === 0xc02f || code === 0x009e);
        if (suite === undefined) {
          socket.end(alertRecord(40));
          return;
        }
        socket.write(serverHelloRecord(TLS12, suite, 0, [[0xff01, Buffer.from([0])], [23, Buffer.alloc(0)]]));
        if (suite === 0xc02f) {
          socket.end(alertRecord(80));
          return;
        }
        // DHE: a Certificate record header, then one byte every 50 ms, forever.
        socket.write(Buffer.from([22, 3, 3, 0x40, 0x00, 11]));
        const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(Buffer.from([0]))), 50);
        socket.on("close", () => clearInterval(timer));
      }),
    );
    const started = Date.now();
    const result = await assessTls("127.0.0.1", port, { timeoutMs: 500 });
    assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
    assert.deepEqual(result.acceptedVersions, ["TLS 1.2"]);
    assert.deepEqual(result.suites[0]?.suites.map((s) => s.code).sort((a, b) => a - b), [0x009e, 0xc02f]);
    assert.match(result.groups.errors.join("\n"), /ECDHE curves: no curve in the ServerKeyExchange \(alert internal_error\)/);
    assert.match(result.groups.errors.join("\n"), /DHE groups: no DH parameters in the ServerKeyExchange \(no ServerKeyExchange within 500 ms\)/);
    assert.equal(result.sha1KeyExchange?.outcome, "refused", "a hello followed by an alert is no signed key exchange");
  });

  it("keeps at most maxConnections hellos in flight", async () => {
    let open = 0;
    let most = 0;
    const port = await serve((socket) => {
      open++;
      most = Math.max(most, open);
      // The fixture closes SSLv2 hellos itself (the client may reconnect before the close is seen here): done at once.
      socket.once("data", (chunk: Buffer) => {
        if ((chunk[0] ?? 0) & 0x80) open--;
      });
      // Counted until the answer is sent: the client cannot free its slot before it has the answer
      // (the server's close event may come after the client's next connection).
      onClientHello(socket, (record) => {
        const hello = parseClientHello(record);
        const tls12 = hello.version === TLS12 && !record.includes(Buffer.from([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]));
        // Answers after 20 ms, so hellos overlap: TLS 1.2 with one suite, everything else refused.
        setTimeout(() => {
          open--;
          socket.end(tls12 && hello.suites.includes(0xc02f) ? serverHelloRecord(TLS12, 0xc02f, 0, [[0xff01, Buffer.from([0])]]) : alertRecord(40));
        }, 20);
      });
    });
    const limited = await assessTls("127.0.0.1", port, { timeoutMs: 2000, maxConnections: 2 });
    assert.ok(most <= 2, `${most} connections at once`);
    most = 0;
    const free = await assessTls("127.0.0.1", port, { timeoutMs: 2000 });
    assert.ok(most > 2 && most <= 8, `${most} connections at once by default`);
    assert.deepEqual(limited.suites, free.suites);
    assert.deepEqual(limited.acceptedVersions, ["TLS 1.2"]);
  });

  it("finds X25519MLKEM768 by a HelloRetryRequest when the server resets the large hello with the hybrid share", async () => {
    const port = await serve((socket) =>
      onClientHello(socket, (record) => {
        const hello = parseClientHello(record);
        const tls13 = record.includes(Buffer.from([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]));
        if (!tls13 || !hello.suites.includes(0x1301)) {
          socket.end(alertRecord(70));
          return;
        }
        if (record.length > 1500) {
          socket.resetAndDestroy(); // a middlebox that cannot take a 1.7 KB hello
          return;
        }
        const hybrid = record.includes(u16(GROUP.x25519mlkem768));
        const extensions: [number, Buffer][] = [[43, u16(TLS13)], [51, hybrid ? u16(GROUP.x25519mlkem768) : Buffer.concat([u16(GROUP.x25519), u16(32), Buffer.alloc(32, 1)])]];
        socket.end(serverHelloRecord(TLS12, 0x1301, 0, extensions, hybrid ? HELLO_RETRY_REQUEST_RANDOM : undefined));
      }),
    );
    const result = await assessTls("127.0.0.1", port, { timeoutMs: 1000 });
    assert.deepEqual(result.acceptedVersions, ["TLS 1.3"]);
    assert.deepEqual(result.hybridKeyExchange, { supported: true, chosen: "X25519MLKEM768", error: null });
  });

  it("finds SSLv2 and its cipher kinds on a scripted SSLv2-only server", async () => {
    const port = await serve((socket) => {
      socket.once("data", (hello: Buffer) => {
        if ((hello[0] ?? 0) & 0x80) {
          // SERVER-HELLO: no session hit, X.509 certificate type, version 2, a 4-byte certificate, two cipher kinds, 16-byte connection id.
          const certificate = Buffer.alloc(4, 0x30);
          const kinds = Buffer.from([0x01, 0x00, 0x80, 0x07, 0x00, 0xc0]);
          const head = Buffer.from([4, 0, 1, 0, 2, 0, certificate.length, 0, kinds.length, 0, 16]);
          const message = Buffer.concat([head, certificate, kinds, Buffer.alloc(16, 3)]);
          socket.end(Buffer.concat([Buffer.from([0x80 | (message.length >> 8), message.length & 0xff]), message]));
        } else {
          socket.end(alertRecord(70));
        }
      });
    });
    const result = await assessTls("127.0.0.1", port, { timeoutMs: 1000 });
    assert.deepEqual(result.acceptedVersions, ["SSLv2"]);
    assert.deepEqual(result.suites, [{
      version: "SSLv2", code: 2, serverPreference: null, handshakes: 0, error: null,
      suites: [{ code: 0x010080, name: "SSL_CK_RC4_128_WITH_MD5" }, { code: 0x0700c0, name: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5" }],
    }]);
    assert.equal(gradeVersions(result).summary, "accepts SSLv2 (insufficient)");
    assert.equal(gradeCiphers(result).status, "failed");
  });

  it("a server that aborts every handshake after its ServerHello: versions cannot be graded", async () => {
    const port = await serve((socket) =>
      onClientHello(socket, (record) => {
        const hello = parseClientHello(record);
        if (hello.version !== TLS12 || record.includes(Buffer.from([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]))) {
          socket.end(alertRecord(70));
          return;
        }
        socket.end(Buffer.concat([serverHelloRecord(TLS12, hello.suites[0] ?? 0), alertRecord(80)]));
      }),
    );
    const result = await assessTls("127.0.0.1", port, { timeoutMs: 1000 });
    assert.deepEqual(result.acceptedVersions, ["TLS 1.2"]);
    assert.equal(result.versions.find((v) => v.version === "TLS 1.2")?.aborted, "alert internal_error");
    assert.equal(gradeVersions(result).status, "error");
  });

  it("stops everything when the signal is aborted", async () => {
    const sockets: Socket[] = [];
    const port = await serve((socket) => sockets.push(socket));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("the domain's deadline passed")), 100);
    const started = Date.now();
    const result = await assessTls("127.0.0.1", port, { timeoutMs: 10_000, signal: controller.signal });
    for (const socket of sockets) socket.destroy();
    assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
    assert.ok(result.errors.length === 6 && result.errors.every((error) => /aborted: the domain's deadline passed/.test(error)), JSON.stringify(result.errors));
  });
});
