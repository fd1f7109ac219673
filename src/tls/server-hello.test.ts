import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EXT, GROUP, TLS12, TLS13 } from "./client-hello.ts";
import { HELLO_RETRY_REQUEST_RANDOM, readServerAnswer, type ServerAnswer, type ServerHello, ServerHelloReader } from "./server-hello.ts";

function helloOf(answer: ServerAnswer, kind: "server-hello" | "hello-retry-request" = "server-hello"): ServerHello {
  if ((answer.kind === "server-hello" || answer.kind === "hello-retry-request") && answer.kind === kind) return answer.hello;
  assert.fail(`expected ${kind}, got ${JSON.stringify(answer)}`);
}

function reasonOf(answer: ServerAnswer): string {
  if (answer.kind === "not-tls") return answer.reason;
  assert.fail(`expected not-tls, got ${JSON.stringify(answer)}`);
}

function u16(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value);
  return out;
}

function ext(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(data.length), data]);
}

/** A ServerHello laid out by hand per RFC 5246 §7.4.1.3 / RFC 8446 §4.1.3, wrapped in a handshake header and one record. */
function serverHello(options: { version?: number; random?: Buffer; suite: number; extensions?: Buffer[]; sessionId?: Buffer }): Buffer {
  const extensions = options.extensions ? Buffer.concat(options.extensions) : null;
  const sessionId = options.sessionId ?? Buffer.alloc(0);
  const body = Buffer.concat([
    u16(options.version ?? TLS12),
    options.random ?? Buffer.alloc(32, 0xab),
    Buffer.from([sessionId.length]),
    sessionId,
    u16(options.suite),
    Buffer.from([0]),
    ...(extensions ? [u16(extensions.length), extensions] : []),
  ]);
  const handshake = Buffer.concat([Buffer.from([2, 0, body.length >> 8, body.length & 0xff]), body]);
  return record(22, handshake);
}

function record(type: number, fragment: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, 3, 3]), u16(fragment.length), fragment]);
}

describe("ServerHello reader", () => {
  it("reads a TLS 1.2 ServerHello: version, suite, compression, secure renegotiation, extended master secret", () => {
    const bytes = serverHello({
      suite: 0xc02b,
      sessionId: Buffer.alloc(32, 1),
      extensions: [ext(EXT.renegotiationInfo, Buffer.from([0])), ext(EXT.extendedMasterSecret, Buffer.alloc(0)), ext(EXT.ecPointFormats, Buffer.from([1, 0]))],
    });
    const answer = { hello: helloOf(readServerAnswer(bytes)) };
    assert.equal(answer.hello.version, TLS12);
    assert.equal(answer.hello.cipherSuite, 0xc02b);
    assert.equal(answer.hello.compression, 0);
    assert.equal(answer.hello.sessionId.length, 32);
    assert.ok(answer.hello.secureRenegotiation);
    assert.ok(answer.hello.extendedMasterSecret);
    assert.deepEqual(answer.hello.extensions, [EXT.renegotiationInfo, EXT.extendedMasterSecret, EXT.ecPointFormats]);
    assert.equal(answer.hello.downgradeSentinel, null);
  });

  it("takes the TLS 1.3 version from supported_versions and the group from key_share", () => {
    const bytes = serverHello({
      suite: 0x1302,
      extensions: [ext(EXT.supportedVersions, u16(TLS13)), ext(EXT.keyShare, Buffer.concat([u16(GROUP.x25519), u16(32), Buffer.alloc(32, 9)]))],
    });
    const answer = { hello: helloOf(readServerAnswer(bytes)) };
    assert.equal(answer.hello.legacyVersion, TLS12);
    assert.equal(answer.hello.version, TLS13);
    assert.equal(answer.hello.keyShareGroup, GROUP.x25519);
    assert.ok(!answer.hello.secureRenegotiation);
  });

  it("recognises a HelloRetryRequest by its special random", () => {
    const bytes = serverHello({
      suite: 0x1301,
      random: HELLO_RETRY_REQUEST_RANDOM,
      extensions: [ext(EXT.supportedVersions, u16(TLS13)), ext(EXT.keyShare, u16(GROUP.secp384r1))],
    });
    const answer = { hello: helloOf(readServerAnswer(bytes), "hello-retry-request") };
    assert.equal(answer.hello.keyShareGroup, GROUP.secp384r1);
    assert.equal(answer.hello.cipherSuite, 0x1301);
  });

  it("sees the downgrade sentinel of a TLS 1.3 server answering a TLS 1.2 hello", () => {
    const random = Buffer.concat([Buffer.alloc(24, 3), Buffer.from("DOWNGRD\x01", "latin1")]);
    const answer = readServerAnswer(serverHello({ suite: 0xc02f, random }));
    assert.equal(answer.kind === "server-hello" && answer.hello.downgradeSentinel, "tls12");
  });

  it("reads an alert with its level and name", () => {
    assert.deepEqual(readServerAnswer(record(21, Buffer.from([2, 40]))), {
      kind: "alert",
      alert: { level: 2, description: 40, name: "handshake_failure" },
    });
    const protocol = readServerAnswer(record(21, Buffer.from([2, 70])));
    assert.equal(protocol.kind === "alert" && protocol.alert.name, "protocol_version");
  });

  it("waits for more bytes, byte by byte, and for a hello split across records", () => {
    const bytes = serverHello({ suite: 0x009c, extensions: [ext(EXT.renegotiationInfo, Buffer.from([0]))] });
    const reader = new ServerHelloReader();
    for (let i = 0; i < bytes.length - 1; i++) assert.equal(reader.push(bytes.subarray(i, i + 1)).kind, "incomplete", `byte ${i}`);
    assert.equal(reader.push(bytes.subarray(bytes.length - 1)).kind, "server-hello");
    // The same handshake message fragmented over two records (RFC 5246 §6.2.1 allows it).
    const handshake = bytes.subarray(5);
    const split = Buffer.concat([record(22, handshake.subarray(0, 10)), record(22, handshake.subarray(10))]);
    const answer = readServerAnswer(split);
    assert.equal(answer.kind === "server-hello" && answer.hello.cipherSuite, 0x009c);
  });

  it("calls HTTP, other handshake messages, bad lengths and truncated bodies not TLS, with the reason", () => {
    const http = readServerAnswer(Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"));
    assert.equal(http.kind, "not-tls");
    assert.match(reasonOf(http), /record type 72 .*starts "HTTP\/1.1"/);
    const certificateFirst = readServerAnswer(record(22, Buffer.from([11, 0, 0, 0])));
    assert.match(reasonOf(certificateFirst), /type 11, not ServerHello/);
    const hugeRecord = readServerAnswer(Buffer.from([22, 3, 3, 0xff, 0xff]));
    assert.match(reasonOf(hugeRecord), /exceeds/);
    const longAlert = readServerAnswer(record(21, Buffer.from([2, 40, 0])));
    assert.match(reasonOf(longAlert), /alert record of 3 bytes/);
    // A ServerHello whose extensions block claims more than the message holds.
    const good = serverHello({ suite: 0xc02f, extensions: [ext(EXT.extendedMasterSecret, Buffer.alloc(0))] });
    const broken = Buffer.from(good);
    broken.writeUInt16BE(0x00ff, broken.length - 6);
    const truncated = readServerAnswer(broken);
    assert.match(reasonOf(truncated), /malformed ServerHello: needs 255 bytes, 4 left/);
  });

  it("stops at the byte cap when a server streams empty handshake records instead of a hello", () => {
    const reader = new ServerHelloReader(1024);
    const empty = Buffer.from([22, 3, 3, 0, 0]);
    let answer = reader.push(empty);
    let pushed = empty.length;
    while (answer.kind === "incomplete" && pushed < 10_000) {
      answer = reader.push(empty);
      pushed += empty.length;
    }
    assert.match(reasonOf(answer), /no complete ServerHello within 1024 bytes/);
    assert.ok(pushed <= 1024 + empty.length);
    assert.ok(readServerAnswer(Buffer.concat([Buffer.from([22, 3, 3, 0, 4]), Buffer.from([2, 0xff, 0xff, 0xff])]), 1024).kind === "not-tls");
  });
});

/** A handshake message: type, 24-bit length, body. */
function message(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
}

/** The handshake messages of a ServerHello record without its record header. */
function helloMessage(suite: number): Buffer {
  return serverHello({ suite }).subarray(5);
}

describe("ServerHello reader with readKeyExchange (TLS 1.2 and older)", () => {
  const certificate = message(11, Buffer.concat([Buffer.from([0, 0, 7, 0, 0, 4]), Buffer.alloc(4, 0x30)]));

  it("reads the named curve and signature algorithm of an ECDHE ServerKeyExchange after the Certificate, across records", () => {
    const ske = message(12, Buffer.concat([Buffer.from([3]), u16(GROUP.secp384r1), Buffer.from([4, 1, 2, 3, 4]), u16(0x0201), u16(2), Buffer.from([0, 0])]));
    const flight = Buffer.concat([helloMessage(0xc02f), certificate, ske]);
    // Split the handshake bytes over three records, mid-message.
    const bytes = Buffer.concat([record(22, flight.subarray(0, 50)), record(22, flight.subarray(50, 90)), record(22, flight.subarray(90))]);
    const answer = readServerAnswer(bytes, 4096, { readKeyExchange: true });
    assert.ok(answer.kind === "server-hello", JSON.stringify(answer));
    assert.deepEqual(answer.keyExchange, { kind: "ecdhe", group: GROUP.secp384r1, signatureAlgorithm: 0x0201 });
  });

  it("reads the prime and generator of a DHE ServerKeyExchange", () => {
    const prime = Buffer.alloc(256, 0xff);
    const ske = message(12, Buffer.concat([u16(prime.length), prime, u16(1), Buffer.from([2]), u16(3), Buffer.from([1, 2, 3]), u16(0x0804)]));
    const answer = readServerAnswer(record(22, Buffer.concat([helloMessage(0x009f), certificate, ske])), 4096, { readKeyExchange: true });
    assert.ok(answer.kind === "server-hello" && answer.keyExchange?.kind === "dhe", JSON.stringify(answer));
    assert.equal(answer.keyExchange.prime.length, 256);
    assert.deepEqual(answer.keyExchange.generator, Buffer.from([2]));
    assert.equal(answer.keyExchange.signatureAlgorithm, 0x0804);
  });

  it("answers none for RSA key transport (ServerHelloDone first), and keeps the hello when an alert or the cap cuts the flight", () => {
    const done = readServerAnswer(record(22, Buffer.concat([helloMessage(0x009c), certificate, message(14, Buffer.alloc(0))])), 4096, { readKeyExchange: true });
    assert.ok(done.kind === "server-hello");
    assert.deepEqual(done.keyExchange, { kind: "none" });
    const cut = readServerAnswer(Buffer.concat([record(22, helloMessage(0xc02f)), record(21, Buffer.from([2, 40]))]), 4096, { readKeyExchange: true });
    assert.ok(cut.kind === "server-hello");
    assert.deepEqual(cut.keyExchange, { kind: "unread", reason: "alert handshake_failure" });
    const big = message(11, Buffer.alloc(3000));
    const capped = readServerAnswer(record(22, Buffer.concat([helloMessage(0xc02f), big])), 1024, { readKeyExchange: true });
    assert.ok(capped.kind === "server-hello" && capped.keyExchange?.kind === "unread", JSON.stringify(capped));
    assert.match(capped.keyExchange.reason, /claims 3000 bytes \(cap 1024\)|within 1024 bytes/);
  });

  it("stops at the hello for TLS 1.3 and without readKeyExchange", () => {
    const tls13 = serverHello({ suite: 0x1301, extensions: [ext(EXT.supportedVersions, u16(TLS13)), ext(EXT.keyShare, Buffer.concat([u16(GROUP.x25519), u16(32), Buffer.alloc(32)]))] });
    const answer = readServerAnswer(tls13, 4096, { readKeyExchange: true });
    assert.ok(answer.kind === "server-hello" && answer.keyExchange === undefined);
    const reader = new ServerHelloReader(4096, { readKeyExchange: true });
    assert.equal(reader.push(record(22, helloMessage(0xc02f))).kind, "incomplete");
    const interrupted = reader.interrupted("connection closed before ServerKeyExchange");
    assert.ok(interrupted?.kind === "server-hello");
    assert.deepEqual(interrupted.keyExchange, { kind: "unread", reason: "connection closed before ServerKeyExchange" });
  });
});
