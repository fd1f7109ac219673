import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildSsl2ClientHello, readSsl2Answer, SSL2_CIPHERS } from "./sslv2.ts";

function serverHello(kinds: number[], version = 2): Buffer {
  const specs = Buffer.concat(kinds.map((kind) => Buffer.from([kind >> 16, (kind >> 8) & 0xff, kind & 0xff])));
  const head = Buffer.from([4, 0, 1, version >> 8, version & 0xff, 0, 3, specs.length >> 8, specs.length & 0xff, 0, 16]);
  const message = Buffer.concat([head, Buffer.alloc(3, 0x30), specs, Buffer.alloc(16)]);
  return Buffer.concat([Buffer.from([0x80 | (message.length >> 8), message.length & 0xff]), message]);
}

describe("SSLv2", () => {
  it("lays out a CLIENT-HELLO: 2-byte header, type 1, version 2, every cipher kind, a 16-byte challenge", () => {
    const hello = buildSsl2ClientHello(Buffer.alloc(16, 0xaa));
    assert.equal(hello[0], 0x80);
    assert.equal(hello[1], hello.length - 2);
    assert.deepEqual([...hello.subarray(2, 11)], [1, 0, 2, 0, SSL2_CIPHERS.size * 3, 0, 0, 0, 16]);
    assert.deepEqual(hello.subarray(hello.length - 16), Buffer.alloc(16, 0xaa));
  });

  it("reads a SERVER-HELLO's cipher kinds, byte by byte too, and calls ERROR, alerts and other bytes refusals", () => {
    const bytes = serverHello([0x010080, 0x0700c0]);
    assert.deepEqual(readSsl2Answer(bytes), { kind: "server-hello", ciphers: [0x010080, 0x0700c0] });
    assert.deepEqual(readSsl2Answer(bytes.subarray(0, 10)), { kind: "incomplete" });
    assert.deepEqual(readSsl2Answer(Buffer.from([0x80, 3, 0, 0, 1])), { kind: "refused", reason: "SSLv2 ERROR 1" });
    assert.equal(readSsl2Answer(Buffer.from([21, 3, 1, 0, 2, 2, 40])).kind, "refused");
    assert.equal(readSsl2Answer(Buffer.from("HTTP/1.1 400")).kind, "not-ssl2");
    assert.equal(readSsl2Answer(serverHello([0x010080], 0x0300)).kind, "not-ssl2");
    const truncated = serverHello([0x010080]);
    truncated.writeUInt16BE(0x7000, 2 + 7); // cipher specs length far past the message
    assert.equal(readSsl2Answer(truncated).kind, "not-ssl2");
  });
});
