import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { DerError } from "./certificate-der.ts";
import { parseOcspStaple } from "./handshake-ocsp.ts";
import { readSession } from "./handshake-session.ts";

describe("stapled OCSP response reader", () => {
  it("reports an unsuccessful response status by name", () => {
    // OCSPResponse { responseStatus tryLater(3) } without responseBytes.
    const staple = parseOcspStaple(Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x03]), null, null, Date.now());
    assert.equal(staple.responseStatus, "tryLater");
    assert.equal(staple.leafStatus, null);
    assert.equal(staple.parseError, null);
  });

  it("turns garbage and truncation into a parse error, never an exception", () => {
    for (const bytes of [Buffer.from("not der at all"), Buffer.from([0x30, 0x82, 0xff, 0xff, 0x0a]), Buffer.from([0x30, 0x05, 0x0a, 0x01, 0x00, 0xa0, 0x00])]) {
      const staple = parseOcspStaple(bytes, null, null, Date.now());
      assert.notEqual(staple.parseError, null, bytes.toString("hex"));
      assert.equal(staple.leafStatus, null);
    }
  });
});

describe("session reader", () => {
  it("finds max_early_data ([15]) and the lifetime hint ([9]) after Node's header", () => {
    const explicit = (tag: number, value: number): Buffer => Buffer.from([0xa0 | tag, 0x04, 0x02, 0x02, value >> 8, value & 0xff]);
    const fields = Buffer.concat([
      Buffer.from([0x02, 0x01, 0x01]), // session format version
      Buffer.from([0x02, 0x02, 0x03, 0x04]), // TLS 1.3
      Buffer.from([0x04, 0x02, 0x13, 0x02]), // cipher
      Buffer.from([0x04, 0x00, 0x04, 0x00]), // session id, master key
      explicit(9, 7200),
      Buffer.from([0xaa, 0x04, 0x04, 0x02, 0xab, 0xcd]), // [10] ticket
      explicit(15, 16384),
    ]);
    const der = Buffer.concat([Buffer.from([0x30, fields.length]), fields]);
    const header = Buffer.concat([Buffer.from("\0nodejs:tls:session:1\0", "latin1"), Buffer.from([0x00, 0x04]), Buffer.from("a.0x")]);
    const facts = readSession(Buffer.concat([header, der]));
    assert.deepEqual(facts, { version: 0x0304, hasTicket: true, lifetimeHintSeconds: 7200, maxEarlyData: 16384 });
    assert.throws(() => readSession(Buffer.from("no session here")), DerError);
  });
});
