import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EMPTY_RENEGOTIATION_INFO_SCSV } from "./cipher-suites.ts";
import { buildClientHello, EXT, GROUP, SSL3, TLS10, TLS12, TLS13 } from "./client-hello.ts";

interface ParsedHello {
  recordType: number;
  recordVersion: number;
  handshakeType: number;
  handshakeLength: number;
  clientVersion: number;
  random: Buffer;
  sessionId: Buffer;
  suites: number[];
  compression: number[];
  extensions: Map<number, Buffer> | null;
}

/** Walks the record as RFC 5246 §7.4.1.2 / RFC 8446 §4.1.2 lay it out, checking every length on the way. */
function parse(record: Buffer): ParsedHello {
  let at = 0;
  const u8 = () => record.readUInt8(at++);
  const u16 = () => {
    const value = record.readUInt16BE(at);
    at += 2;
    return value;
  };
  const take = (length: number) => {
    assert.ok(at + length <= record.length, "length runs past the record");
    const out = record.subarray(at, at + length);
    at += length;
    return out;
  };
  const recordType = u8();
  const recordVersion = u16();
  assert.equal(u16(), record.length - 5, "record length");
  const handshakeType = u8();
  const handshakeLength = record.length - 5;
  assert.equal(record.readUIntBE(at, 3), handshakeLength - 4, "handshake length");
  at += 3;
  const clientVersion = u16();
  const random = take(32);
  const sessionId = take(u8());
  const suiteBytes = take(u16());
  const suites: number[] = [];
  for (let i = 0; i < suiteBytes.length; i += 2) suites.push(suiteBytes.readUInt16BE(i));
  const compression = [...take(u8())];
  let extensions: Map<number, Buffer> | null = null;
  if (at < record.length) {
    extensions = new Map();
    const end = at + 2 + record.readUInt16BE(at);
    at += 2;
    assert.equal(end, record.length, "extensions length");
    while (at < end) {
      const type = u16();
      assert.ok(!extensions.has(type), `extension ${type} twice`);
      extensions.set(type, take(u16()));
    }
  }
  assert.equal(at, record.length);
  return { recordType, recordVersion, handshakeType, handshakeLength, clientVersion, random, sessionId, suites, compression, extensions };
}

describe("ClientHello", () => {
  it("lays out a TLS 1.2 hello per RFC 5246 §7.4.1.2 with the chosen suites, SNI and extensions", () => {
    const random = Buffer.alloc(32, 7);
    const hello = buildClientHello({ version: TLS12, suites: [0xc02b, 0xcca9], servername: "Lab.Test.", random });
    const parsed = parse(hello.record);
    assert.equal(parsed.recordType, 22);
    assert.equal(parsed.recordVersion, TLS10);
    assert.equal(parsed.handshakeType, 1);
    assert.equal(parsed.clientVersion, TLS12);
    assert.deepEqual(parsed.random, random);
    assert.equal(parsed.sessionId.length, 0);
    assert.deepEqual(parsed.suites, [0xc02b, 0xcca9]);
    assert.deepEqual(parsed.compression, [0]);
    const ext = parsed.extensions ?? assert.fail("no extensions");
    // server_name: list length, host_name(0), name length, name (RFC 6066 §3).
    const sni = ext.get(EXT.serverName) ?? assert.fail("no SNI");
    assert.deepEqual(sni, Buffer.concat([Buffer.from([0, 11, 0, 0, 8]), Buffer.from("lab.test")]));
    assert.deepEqual(ext.get(EXT.ecPointFormats), Buffer.from([1, 0]));
    const groups = ext.get(EXT.supportedGroups) ?? assert.fail("no supported_groups");
    assert.equal(groups.readUInt16BE(0), groups.length - 2);
    assert.equal(groups.readUInt16BE(2), GROUP.x25519);
    const sigalgs = ext.get(EXT.signatureAlgorithms) ?? assert.fail("no signature_algorithms");
    assert.equal(sigalgs.readUInt16BE(0), sigalgs.length - 2);
    assert.deepEqual(ext.get(EXT.extendedMasterSecret), Buffer.alloc(0));
    assert.deepEqual(ext.get(EXT.renegotiationInfo), Buffer.from([0]));
    assert.ok(!ext.has(EXT.supportedVersions) && !ext.has(EXT.keyShare), "no TLS 1.3 extensions in a TLS 1.2 hello");
    assert.equal(hello.x25519PrivateKey, null);
  });

  it("offers TLS 1.3 through supported_versions with an X25519 key_share (RFC 8446 §4.2.1, §4.2.8)", () => {
    const hello = buildClientHello({ version: TLS13, suites: [0x1301, 0x1302], servername: "lab.test" });
    const parsed = parse(hello.record);
    assert.equal(parsed.clientVersion, TLS12, "legacy_version stays TLS 1.2");
    assert.equal(parsed.sessionId.length, 32, "middlebox-compatibility session id");
    const ext = parsed.extensions ?? assert.fail("no extensions");
    assert.deepEqual(ext.get(EXT.supportedVersions), Buffer.from([2, 0x03, 0x04]));
    const share = ext.get(EXT.keyShare) ?? assert.fail("no key_share");
    assert.equal(share.readUInt16BE(0), 36);
    assert.equal(share.readUInt16BE(2), GROUP.x25519);
    assert.equal(share.readUInt16BE(4), 32);
    const key = hello.x25519PrivateKey ?? assert.fail("no private key kept");
    assert.equal(key.asymmetricKeyType, "x25519");
    // Fresh key per hello.
    const again = parse(buildClientHello({ version: TLS13, suites: [0x1301] }).record);
    assert.notDeepEqual(again.extensions?.get(EXT.keyShare), share);
  });

  it("sends an empty key_share when X25519 is not among the offered groups", () => {
    const parsed = parse(buildClientHello({ version: TLS13, suites: [0x1301], groups: [GROUP.secp384r1] }).record);
    assert.deepEqual(parsed.extensions?.get(EXT.keyShare), Buffer.from([0, 0]));
  });

  it("sends SSLv3 hellos without extensions, signalling secure renegotiation with the SCSV", () => {
    const parsed = parse(buildClientHello({ version: SSL3, suites: [0x000a] }).record);
    assert.equal(parsed.recordVersion, SSL3);
    assert.equal(parsed.clientVersion, SSL3);
    assert.equal(parsed.extensions, null);
    assert.deepEqual(parsed.suites, [0x000a, EMPTY_RENEGOTIATION_INFO_SCSV]);
  });

  it("leaves out signature_algorithms before TLS 1.2 and SNI for IP literals", () => {
    const parsed = parse(buildClientHello({ version: TLS10, suites: [0x002f], servername: "127.0.0.1" }).record);
    assert.ok(!parsed.extensions?.has(EXT.signatureAlgorithms));
    assert.ok(!parsed.extensions?.has(EXT.serverName));
  });

  it("refuses bad input with one clear line", () => {
    assert.throws(() => buildClientHello({ version: 0x0305, suites: [0x1301] }), /version 0x305 is not one of/);
    assert.throws(() => buildClientHello({ version: TLS12, suites: [] }), /no cipher suites/);
    assert.throws(() => buildClientHello({ version: TLS12, suites: [0x10000] }), /not a 16-bit code point/);
    assert.throws(() => buildClientHello({ version: TLS12, suites: [0x002f], servername: "bad name" }), /server name "bad name" is not/);
    assert.throws(() => buildClientHello({ version: TLS12, suites: [0x002f], random: Buffer.alloc(5) }), /random must be 32 bytes/);
  });
});

describe("ClientHello size and compression", () => {
  it("pads hellos of 256 to 511 bytes to 512 with the padding extension (RFC 7685), and leaves others alone", () => {
    const sizes: number[] = [];
    for (let count = 1; count <= 200; count++) {
      const suites = Array.from({ length: count }, (_, index) => 0xc000 + index);
      const parsed = parse(buildClientHello({ version: TLS12, suites, servername: "lab.test" }).record);
      const handshakeLength = parsed.handshakeLength;
      sizes.push(handshakeLength);
      assert.ok(handshakeLength < 256 || handshakeLength >= 512, `${count} suites give a ${handshakeLength}-byte hello`);
      const padding = parsed.extensions?.get(EXT.padding);
      if (padding) assert.ok(padding.every((byte) => byte === 0), "padding is zeros");
    }
    assert.ok(sizes.some((size) => size < 256) && sizes.includes(512), "the range was crossed");
  });

  it("offers the compression methods asked for", () => {
    assert.deepEqual(parse(buildClientHello({ version: TLS12, suites: [0x002f], compressionMethods: [1, 0] }).record).compression, [1, 0]);
    assert.throws(() => buildClientHello({ version: TLS12, suites: [0x002f], compressionMethods: [] }), /compression methods \[\] must be/);
  });
});

describe("ClientHello key shares (X25519MLKEM768)", () => {
  it("sends a 1216-byte X25519MLKEM768 share whose ML-KEM coefficients all pass the FIPS 203 modulus check", () => {
    const hello = parse(buildClientHello({ version: TLS13, suites: [0x1301], groups: [GROUP.x25519mlkem768, GROUP.x25519], keyShares: [GROUP.x25519mlkem768, GROUP.x25519] }).record);
    const shares = hello.extensions?.get(EXT.keyShare);
    assert.ok(shares);
    assert.equal(shares.readUInt16BE(0), shares.length - 2);
    assert.equal(shares.readUInt16BE(2), GROUP.x25519mlkem768);
    assert.equal(shares.readUInt16BE(4), 1216);
    const after = 6 + 1216;
    assert.equal(shares.readUInt16BE(after), GROUP.x25519);
    assert.equal(shares.readUInt16BE(after + 2), 32);
    // ByteDecode12 of the first 1152 bytes: 768 coefficients, each below q = 3329.
    const ek = shares.subarray(6, 6 + 1152);
    for (let i = 0; i < ek.length; i += 3) {
      const a = (ek[i] ?? 0) | (((ek[i + 1] ?? 0) & 0x0f) << 8);
      const b = ((ek[i + 1] ?? 0) >> 4) | ((ek[i + 2] ?? 0) << 4);
      assert.ok(a < 3329 && b < 3329, `coefficient at byte ${i}`);
    }
  });

  it("sends no share for a group it cannot make one for (the server answers with a HelloRetryRequest) and refuses a share for a group not offered", () => {
    const hello = parse(buildClientHello({ version: TLS13, suites: [0x1301], groups: [GROUP.secp384r1], keyShares: [GROUP.secp384r1] }).record);
    assert.deepEqual(hello.extensions?.get(EXT.keyShare), Buffer.from([0, 0]));
    assert.throws(() => buildClientHello({ version: TLS13, suites: [0x1301], groups: [GROUP.x25519], keyShares: [GROUP.x25519mlkem768] }), /key share for group 0x11ec, which is not offered/);
  });
});
