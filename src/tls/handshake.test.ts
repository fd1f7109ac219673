import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { createServer, type Server as TlsServer, type TlsOptions } from "node:tls";
import { join } from "node:path";
import { opensslMissing, startSServer, TestPki, type Issued } from "./certificate-testpki.ts";
import { handshake, HandshakeError, probeClientRenegotiation, type HandshakeOptions } from "./handshake.ts";

const skip = opensslMissing();
const NAME = "www.example.test";
const base: HandshakeOptions = { servername: NAME, timeoutMs: 3000, ticketWaitMs: 500 };

async function listen<T extends TlsServer | NetServer>(server: T): Promise<{ server: T; port: number }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function close(server: TlsServer | NetServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A raw server: `onSocket` scripts what it sends. */
async function rawServer(onSocket: (socket: Socket) => void): Promise<{ server: NetServer; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    onSocket(socket);
  });
  const { port } = await listen(server);
  return { server, port, sockets };
}

async function stopRaw(raw: { server: NetServer; sockets: Set<Socket> }): Promise<void> {
  for (const socket of raw.sockets) socket.destroy();
  await close(raw.server);
}

describe("handshake through node:tls", { skip }, () => {
  let pki: TestPki;
  let root: Issued;
  let intermediate: Issued;
  let leaf: Issued;

  before(() => {
    pki = new TestPki();
    root = pki.issue("HS Root", { ca: true });
    intermediate = pki.issue("HS Intermediate", { ca: true, issuer: root });
    leaf = pki.issue(NAME, { issuer: intermediate, dns: [NAME], freshKey: true });
  });
  after(() => pki.cleanup());

  const tlsServer = (extra: TlsOptions = {}, staple?: Buffer) => {
    const server = createServer({ key: leaf.keyPem, cert: leaf.certPem + intermediate.certPem, ALPNProtocols: ["h2", "http/1.1"], ...extra });
    if (staple) server.on("OCSPRequest", (_cert: Buffer, _issuer: Buffer, callback: (error: Error | null, response: Buffer) => void) => callback(null, staple));
    return listen(server);
  };

  it("gives the presented chain, protocol, ALPN, a good stapled OCSP response for the leaf and the session ticket", async () => {
    const { server, port } = await tlsServer({}, pki.ocspResponse(leaf, intermediate, "good"));
    try {
      const result = await handshake("127.0.0.1", port, base);
      assert.deepEqual(result.chain.map((der) => der.toString("hex")), [leaf.der, intermediate.der].map((der) => der.toString("hex")));
      assert.equal(result.protocol, "TLSv1.3");
      assert.equal(result.alpn, "h2");
      assert.equal(result.ocsp?.responseStatus, "successful");
      assert.equal(result.ocsp.leafStatus, "good");
      assert.equal(result.ocsp.fresh, true);
      assert.equal(result.ocsp.responses[0]?.forLeaf, true);
      assert.equal(result.session.received, true);
      assert.equal(result.session.ticket, true);
      assert.equal(result.session.maxEarlyData, 0);
      assert.equal(result.session.parseError, null);
      assert.ok(result.bytesRead > leaf.der.length + intermediate.der.length);
    } finally {
      await close(server);
    }
  });

  it("reads a revoked staple, and one about another certificate as not for the leaf; no staple is null", async () => {
    const other = pki.issue("other.example.test", { issuer: intermediate, dns: ["other.example.test"] });
    for (const [staple, expected] of [[pki.ocspResponse(leaf, intermediate, "revoked"), "revoked"], [pki.ocspResponse(other, intermediate, "good"), null]] as const) {
      const { server, port } = await tlsServer({}, staple);
      try {
        const result = await handshake("127.0.0.1", port, base);
        assert.equal(result.ocsp?.leafStatus, expected);
      } finally {
        await close(server);
      }
    }
    const { server, port } = await tlsServer();
    try {
      assert.equal((await handshake("127.0.0.1", port, base)).ocsp, null);
    } finally {
      await close(server);
    }
  });

  it("reads max_early_data from the tickets of openssl s_server -early_data, and zero without", async () => {
    for (const [args, early] of [[["-early_data"], true], [[], false]] as const) {
      const server = await startSServer(["-cert", leaf.certPath, "-key", leaf.keyPath, "-cert_chain", intermediate.certPath, ...args]);
      try {
        const result = await handshake("127.0.0.1", server.port, base);
        assert.equal(result.protocol, "TLSv1.3");
        assert.equal(result.session.ticket, true);
        assert.equal(result.session.maxEarlyData > 0, early, `maxEarlyData ${result.session.maxEarlyData} with ${args.join(" ")}`);
      } finally {
        await server.stop();
      }
    }
  });

  it("staples through openssl s_server -status_file too", async () => {
    const file = join(pki.dir, "staple.der");
    writeFileSync(file, pki.ocspResponse(leaf, intermediate, "good"));
    const server = await startSServer(["-cert", leaf.certPath, "-key", leaf.keyPath, "-cert_chain", intermediate.certPath, "-status_file", file]);
    try {
      assert.equal((await handshake("127.0.0.1", server.port, base)).ocsp?.leafStatus, "good");
    } finally {
      await server.stop();
    }
  });

  it("client-initiated renegotiation: Node's server allows it, OpenSSL 3 refuses it by default, TLS 1.3-only cannot", async () => {
    const { server, port } = await tlsServer();
    try {
      const allowed = await probeClientRenegotiation("127.0.0.1", port, base);
      assert.deepEqual([allowed.tested, allowed.accepted, allowed.protocol], [true, true, "TLSv1.2"]);
    } finally {
      await close(server);
    }
    const refusing = await startSServer(["-cert", leaf.certPath, "-key", leaf.keyPath]);
    try {
      const refused = await probeClientRenegotiation("127.0.0.1", refusing.port, base);
      assert.deepEqual([refused.tested, refused.accepted], [true, false]);
      assert.match(refused.detail, /renegotiation/);
    } finally {
      await refusing.stop();
    }
    const allowing = await startSServer(["-cert", leaf.certPath, "-key", leaf.keyPath, "-client_renegotiation"]);
    try {
      assert.equal((await probeClientRenegotiation("127.0.0.1", allowing.port, base)).accepted, true);
    } finally {
      await allowing.stop();
    }
    const tls13 = await startSServer(["-cert", leaf.certPath, "-key", leaf.keyPath, "-tls1_3"]);
    try {
      const only13 = await probeClientRenegotiation("127.0.0.1", tls13.port, base);
      assert.deepEqual([only13.tested, only13.accepted], [false, false]);
    } finally {
      await tls13.stop();
    }
  });

  it("caps the bytes read from the server", async () => {
    const { server, port } = await tlsServer();
    try {
      await assert.rejects(handshake("127.0.0.1", port, { ...base, maxChainBytes: 500 }), /more than 500 bytes/);
    } finally {
      await close(server);
    }
  });

  it("stops at the caller's abort signal", async () => {
    const raw = await rawServer(() => undefined);
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error("deadline")), 100);
      const started = Date.now();
      await assert.rejects(handshake("127.0.0.1", raw.port, { ...base, signal: controller.signal }), /aborted \(deadline\)/);
      assert.ok(Date.now() - started < 2000);
    } finally {
      await stopRaw(raw);
    }
  });
});

describe("handshake with hostile servers", () => {
  it("a silent server: no handshake within the timeout", async () => {
    const raw = await rawServer(() => undefined);
    try {
      const started = Date.now();
      await assert.rejects(handshake("127.0.0.1", raw.port, { ...base, timeoutMs: 300 }), (error: Error) => error instanceof HandshakeError && /within 300 ms/.test(error.message));
      assert.ok(Date.now() - started < 2000);
    } finally {
      await stopRaw(raw);
    }
  });

  it("garbage instead of TLS, and a close before any answer", async () => {
    const garbage = await rawServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    try {
      await assert.rejects(handshake("127.0.0.1", garbage.port, base), HandshakeError);
    } finally {
      await stopRaw(garbage);
    }
    const closing = await rawServer((socket) => socket.destroy());
    try {
      await assert.rejects(handshake("127.0.0.1", closing.port, base), HandshakeError);
    } finally {
      await stopRaw(closing);
    }
  });

  it("an alert in the middle of the handshake is named", async () => {
    // Fatal handshake_failure (40) once the ClientHello arrived.
    const raw = await rawServer((socket) => socket.once("data", () => socket.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]))));
    try {
      await assert.rejects(handshake("127.0.0.1", raw.port, base), /alert handshake failure/);
    } finally {
      await stopRaw(raw);
    }
  });

  it("a 10 MB certificate message ends in a bounded error, not a 10 MB read", async () => {
    let sent = 0;
    const raw = await rawServer((socket) => {
      socket.once("data", () => {
        socket.write(tls12ServerHello());
        // Certificate message header announcing 10 MB, then records of filler until the client hangs up.
        const total = 10 * 1024 * 1024;
        const header = Buffer.from([0x0b, (total >> 16) & 0xff, (total >> 8) & 0xff, total & 0xff]);
        const pump = (): void => {
          while (sent < total && !socket.destroyed) {
            const body = sent === 0 ? Buffer.concat([header, Buffer.alloc(16_380)]) : Buffer.alloc(16_384);
            sent += body.length;
            if (!socket.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x03, body.length >> 8, body.length & 0xff]), body]))) {
              socket.once("drain", pump);
              return;
            }
          }
        };
        pump();
      });
    });
    try {
      await assert.rejects(handshake("127.0.0.1", raw.port, base), (error: Error) => error instanceof HandshakeError && /excessive message size|more than \d+ bytes/.test(error.message));
      assert.ok(sent < 10 * 1024 * 1024, `the server could send ${sent} bytes`);
    } finally {
      await stopRaw(raw);
    }
  });
});

/** A TLS 1.2 ServerHello (ECDHE-RSA-AES128-GCM-SHA256) with renegotiation_info, as one record. */
function tls12ServerHello(): Buffer {
  const extensions = Buffer.from([0xff, 0x01, 0x00, 0x01, 0x00]);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    randomBytes(32),
    Buffer.from([0x00, 0xc0, 0x2f, 0x00]),
    Buffer.from([0x00, extensions.length]),
    extensions,
  ]);
  const message = Buffer.concat([Buffer.from([0x02, 0x00, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x03, message.length >> 8, message.length & 0xff]), message]);
}
