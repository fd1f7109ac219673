import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { GROUP, TLS12 } from "./client-hello.ts";
import { compression, sha1KeyExchange } from "./features.ts";
import { onClientHello, parseClientHello, record, scriptedServer, serverHelloRecord, u16 } from "./fixtures/openssl-server.ts";

/** A handshake message: type, 24-bit length, body. */
function message(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
}

/** A TLS 1.2 server that takes ECDHE-ECDSA-AES128-GCM and signs its key exchange with `signatureAlgorithm`, whatever was offered. */
async function signingServer(signatureAlgorithm: number): Promise<number> {
  const { server, port } = await scriptedServer((socket) =>
    onClientHello(socket, (hello) => {
      const { suites, compression: methods } = parseClientHello(hello);
      const suite = suites.includes(0xc02b) ? 0xc02b : suites[0] ?? 0;
      const ske = message(12, Buffer.concat([Buffer.from([3]), u16(GROUP.secp256r1), Buffer.from([1, 4]), u16(signatureAlgorithm), u16(1), Buffer.from([0])]));
      const flight = Buffer.concat([message(11, Buffer.from([0, 0, 0])), ske, message(14, Buffer.alloc(0))]);
      socket.end(Buffer.concat([serverHelloRecord(TLS12, suite, methods.includes(1) ? 1 : 0), record(22, TLS12, flight)]));
    }),
  );
  servers.push(() => server.close());
  return port;
}

const servers: (() => void)[] = [];
after(() => {
  for (const close of servers) close();
});

describe("single-feature probes against scripted servers", () => {
  it("SHA-1 key exchange: a key exchange signed with ecdsa_sha1 is accepted, one signed with a SHA-2 scheme it was not offered is not", async () => {
    const sha1 = await sha1KeyExchange("127.0.0.1", await signingServer(0x0203), { timeoutMs: 1000 });
    assert.deepEqual(sha1, { outcome: "accepted", signatureAlgorithm: 0x0203, detail: "signed its key exchange with signature algorithm 0x0203" });
    const sha256 = await sha1KeyExchange("127.0.0.1", await signingServer(0x0403), { timeoutMs: 1000 });
    assert.equal(sha256.outcome, "refused");
    assert.match(sha256.detail, /with 0x0403, which was not offered/);
  });

  it("compression: names DEFLATE when the server takes it", async () => {
    const result = await compression("127.0.0.1", await signingServer(0x0403), TLS12, [0xc02b], { timeoutMs: 1000 });
    assert.deepEqual(result, { method: 1, detail: "chose compression method 1 (DEFLATE)", error: null });
  });
});
