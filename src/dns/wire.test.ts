import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, it } from "node:test";
import type { Message, ResourceRecord } from "./types.ts";
import {
  buildQuery,
  canonicalName,
  canonicalRdata,
  compareCanonicalNames,
  encodeMessage,
  InvalidNameError,
  isSubdomain,
  labelCount,
  MalformedMessageError,
  nameToWire,
  parentName,
  parseMessage,
  rdataFor,
  signedData,
  typeBitmapIncludes,
} from "./wire.ts";

const HEADER = 12;
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s/g, ""), "hex"));
const ascii = (text: string): number[] => [...Buffer.from(text, "latin1")];
/** Uncompressed wire name from plain labels. */
const wireName = (...labels: string[]): number[] => [...labels.flatMap((label) => [label.length, ...ascii(label)]), 0];
const u16 = (value: number): number[] => [value >> 8, value & 0xff];
const u32 = (value: number): number[] => [...u16(Math.floor(value / 0x10000)), ...u16(value % 0x10000)];
const header = (counts: { id?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number }): number[] => [
  ...u16(counts.id ?? 0x1234), ...u16(counts.flags ?? 0x8000), ...u16(counts.qd ?? 0), ...u16(counts.an ?? 0), ...u16(counts.ns ?? 0), ...u16(counts.ar ?? 0),
];
const record = (owner: number[], type: number, rdata: number[], klass = 1, ttl = 300): number[] => [...owner, ...u16(type), ...u16(klass), ...u32(ttl), ...u16(rdata.length), ...rdata];

function response(answers: ResourceRecord[], extra: Partial<Message> = {}): Message {
  return {
    id: 4242,
    flags: { qr: true, aa: true, tc: false, rd: false, ra: false, ad: false, cd: false },
    opcode: "QUERY",
    rcode: "NOERROR",
    questions: [{ name: "example.org.", type: "A", class: "IN" }],
    answers,
    authorities: [],
    additionals: [],
    ...extra,
  };
}

const rr = (type: string, data: unknown, name = "example.org."): ResourceRecord => ({ name, type, class: "IN", ttl: 3600, data });

describe("wire: round trip of every record type the engine knows", () => {
  const records: ResourceRecord[] = [
    rr("A", "192.0.2.1"),
    rr("AAAA", "2001:db8::53"),
    rr("NS", "ns1.example.org."),
    rr("CNAME", "target.example.net."),
    rr("DNAME", "example.net."),
    rr("SOA", { mname: "ns1.example.org.", rname: "hostmaster.example.org.", serial: 2024010101, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 }),
    rr("MX", { preference: 10, exchange: "mail.example.org." }),
    rr("TXT", [Uint8Array.from(Buffer.from("v=spf1 -all")), bytes(0, 255), new Uint8Array(0)]),
    rr("CAA", { flags: 128, tag: "issue", value: "letsencrypt.org", issuerCritical: true }),
    rr("TLSA", { usage: 3, selector: 1, matchingType: 1, certificate: fromHex("0102030405060708090a0b0c0d0e0f10") }, "_25._tcp.mail.example.org."),
    rr("PTR", "host.example.org.", "1.2.0.192.in-addr.arpa."),
    rr("SRV", { priority: 1, weight: 5, port: 5269, target: "xmpp.example.org." }, "_xmpp-server._tcp.example.org."),
    rr("DNSKEY", { flags: 257, protocol: 3, algorithm: 13, key: fromHex("aa".repeat(64)) }),
    rr("RRSIG", {
      typeCovered: "DNSKEY", algorithm: 13, labels: 2, originalTTL: 3600, expiration: 1893456000, inception: 1700000000, keyTag: 12345,
      signersName: "example.org.", signature: fromHex("bb".repeat(64)),
    }),
    rr("DS", { keyTag: 12345, algorithm: 13, digestType: 2, digest: fromHex("cc".repeat(32)) }),
    rr("NSEC", { nextDomain: "\\000.example.org.", rrtypes: ["A", "NS", "SOA", "MX", "TXT", "AAAA", "RRSIG", "NSEC", "DNSKEY", "CAA", "TYPE65534"] }),
    rr("NSEC3", { algorithm: 1, flags: 1, iterations: 0, salt: new Uint8Array(0), nextDomain: fromHex("dd".repeat(20)), rrtypes: ["A", "RRSIG"] }, "2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.org."),
    rr("NSEC3", { algorithm: 1, flags: 0, iterations: 10, salt: fromHex("aabbccdd"), nextDomain: fromHex("ee".repeat(20)), rrtypes: [] }, "q04jkcevqvmu85r014c7dkba38o0ji5r.example.org."),
    rr("NSEC3PARAM", { algorithm: 1, flags: 0, iterations: 0, salt: new Uint8Array(0) }),
    rr("NSEC3PARAM", { algorithm: 1, flags: 0, iterations: 5, salt: fromHex("0102") }),
    rr("TYPE65534", fromHex("0102030405")),
    rr("RP", Uint8Array.from(wireName("admin", "example", "org").concat(wireName("info", "example", "org")))),
  ];

  for (const original of records) {
    it(`${original.type} ${original.name}`, () => {
      const parsed = parseMessage(encodeMessage(response([original])));
      assert.deepEqual(parsed.answers, [original]);
      assert.deepEqual(rdataFor(parsed.answers[0] as ResourceRecord), rdataFor(original));
    });
  }

  it("OPT: EDNS payload size, DO bit, version and options, and an extended RCODE", () => {
    const edns = { udpPayloadSize: 1232, dnssecOk: true, version: 0, options: [{ code: 15, data: bytes(0, 9) }, { code: 10, data: fromHex("0102030405060708") }] };
    const message = response([], { rcode: "BADVERS", edns });
    const parsed = parseMessage(encodeMessage(message));
    assert.deepEqual(parsed.edns, edns);
    assert.equal(parsed.rcode, "BADVERS");
    assert.deepEqual(parsed.additionals, []);
  });

  it("keeps the header: id, flags, opcode, rcode, question class", () => {
    const message = response([], {
      id: 0xbeef,
      flags: { qr: true, aa: false, tc: true, rd: true, ra: true, ad: true, cd: true },
      opcode: "NOTIFY",
      rcode: "NXDOMAIN",
      questions: [{ name: "version.bind.", type: "TXT", class: "CH" }],
    });
    const parsed = parseMessage(encodeMessage(message));
    assert.deepEqual(parsed, message);
  });

  it("keeps the case of names and escapes odd octets in presentation form", () => {
    const original = rr("MX", { preference: 0, exchange: "Mail\\.Relay.\\200\\032.EXAMPLE.org." }, "ExAmple.ORG.");
    const [parsed] = parseMessage(encodeMessage(response([original]))).answers;
    assert.deepEqual(parsed, original);
    assert.deepEqual(nameToWire("Mail\\.Relay.\\200\\032.EXAMPLE.org.", false), Uint8Array.from([10, ...ascii("Mail.Relay"), 2, 200, 32, ...wireName("EXAMPLE", "org")]));
  });

  it("reads compressed names (RFC 1035 §4.1.4) and decompresses RDATA of types kept as octets (RFC 3597 §4)", () => {
    // www.example.org. A at offset 12; the answers point back into it.
    const packet = bytes(
      ...header({ qd: 1, an: 3 }),
      ...wireName("www", "example", "org"), ...u16(1), ...u16(1),
      ...record([0xc0, 12], 5, [4, ...ascii("mail"), 0xc0, 16]),
      ...record([0xc0, 16], 15, [...u16(10), 0xc0, 12]),
      ...record([0xc0, 16], 17, [0xc0, 12, 4, ...ascii("info"), 0xc0, 16]),
    );
    const message = parseMessage(packet);
    assert.deepEqual(message.questions, [{ name: "www.example.org.", type: "A", class: "IN" }]);
    assert.deepEqual(message.answers.map((answer) => [answer.name, answer.type, answer.data]), [
      ["www.example.org.", "CNAME", "mail.example.org."],
      ["example.org.", "MX", { preference: 10, exchange: "www.example.org." }],
      ["example.org.", "RP", Uint8Array.from([...wireName("www", "example", "org"), ...wireName("info", "example", "org")])],
    ]);
  });

  it("ignores octets after the last record", () => {
    const packet = encodeMessage(response([rr("A", "192.0.2.7")]));
    const message = parseMessage(Uint8Array.from([...packet, 1, 2, 3, 4, 5]));
    assert.equal(message.answers[0]?.data, "192.0.2.7");
  });

  it("keeps a DNSKEY whose protocol is not 3, with its protocol (RFC 4034 §2.1.2)", () => {
    const packet = bytes(...header({ an: 1 }), ...record([0], 48, [...u16(256), 2, 13, 1, 2, 3]));
    assert.deepEqual(parseMessage(packet).answers[0]?.data, { flags: 256, protocol: 2, algorithm: 13, key: bytes(1, 2, 3) });
  });

  it("keeps CAA RDATA as octets when its value is not UTF-8 (the decoded shape could not restore it)", () => {
    const rdata = [0, 5, ...ascii("issue"), 0xff, 0xfe];
    const packet = bytes(...header({ an: 1 }), ...record([0], 257, rdata));
    assert.deepEqual(parseMessage(packet).answers[0]?.data, Uint8Array.from(rdata));
  });

  it("takes a TTL with the top bit set as zero (RFC 2181 §8)", () => {
    const packet = bytes(...header({ an: 1 }), ...record([0], 1, [192, 0, 2, 1], 1, 0x80000001));
    assert.equal(parseMessage(packet).answers[0]?.ttl, 0);
  });
});

describe("wire: encodeMessage refuses what it cannot write", () => {
  it("an OPT record in additionals (EDNS goes in message.edns), an extended RCODE without EDNS", () => {
    assert.throws(() => encodeMessage(response([], { additionals: [{ name: ".", type: "OPT", class: "CLASS1232", ttl: 0, data: [] }] })), TypeError);
    assert.throws(() => encodeMessage(response([], { rcode: "BADCOOKIE" })), TypeError);
  });

  it("RDATA of the wrong shape, with the field named", () => {
    assert.throws(() => encodeMessage(response([rr("MX", { preference: 10 })])), /"exchange" must be a string/);
    assert.throws(() => encodeMessage(response([rr("A", "2001:db8::1")])), /IPv4/);
    assert.throws(() => encodeMessage(response([rr("TXT", ["x".repeat(256)])])), /255 octets/);
    assert.throws(() => encodeMessage(response([rr("DS", { keyTag: 1, algorithm: 8, digestType: 2, digest: "00" })])), /"digest" must be a Uint8Array/);
    assert.throws(() => encodeMessage(response([rr("TYPE65280", "text")])), /must be a Uint8Array/);
    assert.throws(() => encodeMessage(response([rr("MX", { preference: 70000, exchange: "mx." })])), RangeError);
  });

  it("rdataFor gives the DNSKEY RDATA that key tags and DS digests are computed over (RFC 4034 §2.1, App. B)", () => {
    assert.deepEqual(rdataFor(rr("DNSKEY", { flags: 257, protocol: 3, algorithm: 8, key: bytes(1, 2, 3) })), bytes(1, 1, 3, 8, 1, 2, 3));
    // A shape without `protocol` (dns-packet's) is written with protocol 3.
    assert.deepEqual(rdataFor(rr("DNSKEY", { flags: 256, algorithm: 13, key: bytes(9) })), bytes(1, 0, 3, 13, 9));
  });
});

describe("wire: buildQuery", () => {
  it("asks one question with EDNS0, DO set, a 1232-octet payload and RD off by default", () => {
    const { id, bytes: query } = buildQuery({ name: "example.org.", type: "DNSKEY" });
    const message = parseMessage(query);
    assert.equal(message.id, id);
    assert.deepEqual(message.questions, [{ name: "example.org.", type: "DNSKEY", class: "IN" }]);
    assert.deepEqual(message.flags, { qr: false, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false });
    assert.deepEqual(message.edns, { udpPayloadSize: 1232, dnssecOk: true, version: 0, options: [] });
  });

  it("honours the id, RD, CD, DO and payload options", () => {
    const { id, bytes: query } = buildQuery({ name: "example.org.", type: "A" }, { id: 7, recursionDesired: true, checkingDisabled: true, dnssecOk: false, udpPayloadSize: 4096 });
    const message = parseMessage(query);
    assert.equal(id, 7);
    assert.equal(message.id, 7);
    assert.ok(message.flags.rd && message.flags.cd);
    assert.deepEqual(message.edns, { udpPayloadSize: 4096, dnssecOk: false, version: 0, options: [] });
  });

  it("draws random ids", () => {
    const ids = new Set(Array.from({ length: 32 }, () => buildQuery({ name: "example.org.", type: "A" }).id));
    assert.ok(ids.size > 16, `only ${ids.size} distinct ids in 32 queries`);
    for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id <= 0xffff);
  });
});

describe("wire: names", () => {
  it("canonicalName lower-cases ASCII only and adds the trailing dot", () => {
    assert.equal(canonicalName("WWW.Example.ORG"), "www.example.org.");
    assert.equal(canonicalName("."), ".");
    assert.equal(canonicalName("\\065.\\200\\.x."), "a.\\200\\.x.");
  });

  it("sorts names in RFC 4034 §6.1 canonical order (the RFC's own example)", () => {
    const expected = ["example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.", "\\200.z.example."];
    const shuffled = [expected[5], expected[8], expected[0], expected[3], expected[7], expected[1], expected[6], expected[4], expected[2]] as string[];
    assert.deepEqual([...shuffled].sort(compareCanonicalNames), expected);
    for (let index = 0; index + 1 < expected.length; index++) {
      assert.ok(compareCanonicalNames(expected[index] as string, expected[index + 1] as string) < 0, `${expected[index]} < ${expected[index + 1]}`);
      assert.ok(compareCanonicalNames(expected[index + 1] as string, expected[index] as string) > 0);
    }
    assert.equal(compareCanonicalNames("Z.A.Example", "z.a.example."), 0);
  });

  it("counts labels as an RRSIG does: no root, no leading wildcard (RFC 4034 §3.1.3)", () => {
    assert.equal(labelCount("."), 0);
    assert.equal(labelCount("www.example.org."), 3);
    assert.equal(labelCount("*.example.org."), 2);
    assert.equal(labelCount("a.*.example.org."), 4);
  });

  it("isSubdomain and parentName", () => {
    assert.ok(isSubdomain("www.Example.org.", "example.ORG"));
    assert.ok(isSubdomain("example.org.", "example.org."));
    assert.ok(isSubdomain("example.org.", "."));
    assert.ok(!isSubdomain("example.org.", "www.example.org."));
    assert.ok(!isSubdomain("badexample.org.", "example.org."));
    assert.equal(parentName("www.Example.org."), "Example.org.");
    assert.equal(parentName("org."), ".");
    assert.throws(() => parentName("."), RangeError);
  });

  it("refuses names that cannot exist", () => {
    for (const bad of ["a..example.", `${"a".repeat(64)}.example.`, `${"a".repeat(63)}.`.repeat(4), "example\\", "\\256.example.", "\\12.example."]) {
      assert.throws(() => canonicalName(bad), InvalidNameError, bad);
    }
    assert.equal(labelCount(`${"a".repeat(63)}.`.repeat(3) + "a".repeat(61) + "."), 4); // 255 octets: the longest name
  });

  it("typeBitmapIncludes matches mnemonics in any spelling", () => {
    assert.ok(typeBitmapIncludes(["A", "RRSIG", "TYPE65534"], "a"));
    assert.ok(typeBitmapIncludes(["A", "RRSIG", "TYPE65534"], "TYPE46"));
    assert.ok(typeBitmapIncludes(["A", "RRSIG", "TYPE65534"], "TYPE65534"));
    assert.ok(!typeBitmapIncludes(["A", "RRSIG"], "DS"));
  });
});

describe("wire: canonical forms (RFC 4034 §6)", () => {
  it("lower-cases the MX exchange, the RRSIG signer, SOA and SRV names, but not NSEC's next name (RFC 6840 §5.1)", () => {
    assert.deepEqual(canonicalRdata(rr("MX", { preference: 10, exchange: "Mail.EXAMPLE.org." })), bytes(...u16(10), ...wireName("mail", "example", "org")));
    assert.deepEqual(rdataFor(rr("MX", { preference: 10, exchange: "Mail.EXAMPLE.org." })), bytes(...u16(10), ...wireName("Mail", "EXAMPLE", "org")));
    assert.deepEqual(canonicalRdata(rr("NSEC", { nextDomain: "Next.EXAMPLE.org.", rrtypes: ["A"] })), bytes(...wireName("Next", "EXAMPLE", "org"), 0, 1, 0x40));
    assert.deepEqual(canonicalRdata(rr("SRV", { priority: 0, weight: 0, port: 443, target: "WWW.example." })), bytes(0, 0, 0, 0, ...u16(443), ...wireName("www", "example")));
    const soa = canonicalRdata(rr("SOA", { mname: "NS.Example.", rname: "Host.Example.", serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 }));
    assert.deepEqual(soa, bytes(...wireName("ns", "example"), ...wireName("host", "example"), ...u32(1), ...u32(2), ...u32(3), ...u32(4), ...u32(5)));
    const rrsig = canonicalRdata(rr("RRSIG", { typeCovered: "A", algorithm: 8, labels: 2, originalTTL: 60, expiration: 2, inception: 1, keyTag: 9, signersName: "EXAMPLE.org.", signature: bytes(7) }));
    assert.deepEqual(rrsig, bytes(0, 1, 8, 2, ...u32(60), ...u32(2), ...u32(1), ...u16(9), ...wireName("example", "org"), 7));
  });

  it("lower-cases names inside types kept as octets (RP) and leaves other octets alone", () => {
    const rp = rr("RP", Uint8Array.from([...wireName("Admin", "EXAMPLE"), ...wireName("TXT", "Example")]));
    assert.deepEqual(canonicalRdata(rp), Uint8Array.from([...wireName("admin", "example"), ...wireName("txt", "example")]));
    const unknown = rr("TYPE65280", Uint8Array.from(ascii("ABC")));
    assert.deepEqual(canonicalRdata(unknown), Uint8Array.from(ascii("ABC")));
  });

  it("signedData of a wildcard-expanded RRset: '*.' owner, Original TTL, sorted, without duplicates (RFC 4034 §3.1.8.1, §6.3; RFC 4035 §5.3.2)", () => {
    const rrsig = rr("RRSIG", {
      typeCovered: "A", algorithm: 13, labels: 2, originalTTL: 3600, expiration: 1893456000, inception: 1700000000, keyTag: 4711,
      signersName: "Example.COM.", signature: bytes(1, 2, 3),
    }, "a.b.example.com.");
    const expanded = [
      { name: "A.b.Example.com.", type: "A", class: "IN", ttl: 17, data: "192.0.2.2" },
      { name: "a.B.example.com.", type: "A", class: "IN", ttl: 17, data: "192.0.2.1" },
      { name: "a.b.example.com.", type: "A", class: "IN", ttl: 17, data: "192.0.2.2" },
    ];
    const owner = [1, ...ascii("*"), ...wireName("example", "com")];
    const expected = bytes(
      ...u16(1), 13, 2, ...u32(3600), ...u32(1893456000), ...u32(1700000000), ...u16(4711), ...wireName("example", "com"),
      ...owner, ...u16(1), ...u16(1), ...u32(3600), ...u16(4), 192, 0, 2, 1,
      ...owner, ...u16(1), ...u16(1), ...u32(3600), ...u16(4), 192, 0, 2, 2,
    );
    assert.deepEqual(signedData(rrsig, expanded), expected);
    // What the signer signed for the wildcard owner itself is the same octets.
    const atWildcard = expanded.map((record) => ({ ...record, name: "*.example.com." }));
    assert.deepEqual(signedData(rrsig, atWildcard), expected);
  });

  it("signedData verifies against the RFC 8080 §6.1 Ed25519 example (erratum 4935), whatever the case and TTL of the records", () => {
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from("l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", "base64").toString("base64url") }, format: "jwk" });
    const signature = Buffer.from("oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==", "base64");
    const rrsig = rr("RRSIG", {
      typeCovered: "MX", algorithm: 15, labels: 2, originalTTL: 3600, expiration: 1440021600, inception: 1438207200, keyTag: 3613,
      signersName: "EXAMPLE.com.", signature,
    }, "example.com.");
    const mx = { name: "Example.COM.", type: "MX", class: "IN", ttl: 12, data: { preference: 10, exchange: "MAIL.example.com." } };
    assert.ok(verify(null, signedData(rrsig, [mx]), key, signature));
    assert.ok(!verify(null, signedData(rrsig, [{ ...mx, data: { preference: 20, exchange: "mail.example.com." } }]), key, signature));
  });

  it("signedData verifies against the RFC 6605 §6.1 ECDSA P-256 example", () => {
    const publicKey = Buffer.from("GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==", "base64");
    const key = createPublicKey({
      key: { kty: "EC", crv: "P-256", x: publicKey.subarray(0, 32).toString("base64url"), y: publicKey.subarray(32).toString("base64url") },
      format: "jwk",
    });
    const signature = Buffer.from("qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==", "base64");
    const rrsig = rr("RRSIG", {
      typeCovered: "A", algorithm: 13, labels: 3, originalTTL: 3600,
      expiration: Date.UTC(2010, 8, 9, 10, 4, 39) / 1000, inception: Date.UTC(2010, 7, 12, 10, 4, 39) / 1000, keyTag: 55648,
      signersName: "example.net.", signature,
    }, "www.example.net.");
    const a = { name: "www.example.net.", type: "A", class: "IN", ttl: 3600, data: "192.0.2.1" };
    assert.ok(verify("sha256", signedData(rrsig, [a]), { key, dsaEncoding: "ieee-p1363" }, signature));
  });

  it("a signature over one set does not verify for a set with a record added", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const rrsig = rr("RRSIG", { typeCovered: "TXT", algorithm: 15, labels: 2, originalTTL: 300, expiration: 2, inception: 1, keyTag: 1, signersName: "example.org.", signature: bytes() });
    const set = [rr("TXT", [Uint8Array.from(ascii("one"))])];
    const signature = sign(null, signedData(rrsig, set), privateKey);
    assert.ok(verify(null, signedData(rrsig, set), publicKey, signature));
    assert.ok(!verify(null, signedData(rrsig, [...set, rr("TXT", [Uint8Array.from(ascii("two"))])]), publicKey, signature));
  });
});

describe("wire: malformed messages are refused with MalformedMessageError", () => {
  const question = [...wireName("example", "org"), ...u16(1), ...u16(1)];
  const cases: [string, number[]][] = [
    ["shorter than a header", header({}).slice(0, 11)],
    ["question cut off", [...header({ qd: 1 }), ...wireName("example", "org").slice(0, 6)]],
    ["question without type and class", [...header({ qd: 1 }), ...wireName("example", "org")]],
    ["counts beyond the data", [...header({ qd: 1, an: 5000 }), ...question]],
    ["record cut off in its fixed fields", [...header({ an: 1 }), 0, ...u16(1), ...u16(1)]],
    ["RDLENGTH past the end", [...header({ an: 1 }), 0, ...u16(1), ...u16(1), ...u32(60), ...u16(40), 192, 0, 2, 1]],
    ["label length 64 (label type 0x40)", [...header({ qd: 1 }), 64, ...new Array<number>(64).fill(0x61), 0, ...u16(1), ...u16(1)]],
    ["label type 0x80", [...header({ qd: 1 }), 0x80, 0, ...u16(1), ...u16(1)]],
    ["name over 255 octets", [...header({ qd: 1 }), ...wireName(...new Array<string>(4).fill("a".repeat(63))), ...u16(1), ...u16(1)]],
    ["pointer to itself", [...header({ qd: 1 }), 0xc0, 12, ...u16(1), ...u16(1)]],
    ["two pointers to each other", [...header({ qd: 2 }), 0xc0, 18, ...u16(1), ...u16(1), 0xc0, 12, ...u16(1), ...u16(1)]],
    ["pointer after labels back to their own start", [...header({ qd: 1 }), 1, 0x61, 0xc0, 12, ...u16(1), ...u16(1)]],
    ["forward pointer", [...header({ qd: 1 }), 0xc0, 20, ...u16(1), ...u16(1), ...wireName("example")]],
    ["pointer into the header", [...header({ qd: 1 }), 0xc0, 2, ...u16(1), ...u16(1)]],
    ["pointer cut off", [...header({ qd: 1 }), 0xc0]],
    ["A with 3 octets of RDATA", [...header({ an: 1 }), ...record([0], 1, [192, 0, 2])]],
    ["AAAA with 4 octets of RDATA", [...header({ an: 1 }), ...record([0], 28, [192, 0, 2, 1])]],
    ["MX with octets after its name", [...header({ an: 1 }), ...record([0], 15, [...u16(10), ...wireName("mx"), 9])]],
    ["MX whose name runs past RDLENGTH", [...header({ an: 2 }), ...record([0], 15, [...u16(10), 2, 0x6d, 0x78]), ...record([0], 1, [192, 0, 2, 1])]],
    ["TXT string longer than its RDATA", [...header({ an: 1 }), ...record([0], 16, [10, 0x61])]],
    ["DS shorter than its fixed fields", [...header({ an: 1 }), ...record([0], 43, [1, 2])]],
    ["RRSIG cut off before the signer", [...header({ an: 1 }), ...record([0], 46, [0, 1, 8, 2, ...u32(60)])]],
    ["NSEC bitmap windows out of order", [...header({ an: 1 }), ...record([0], 47, [0, 1, 1, 0x40, 0, 1, 0x40])]],
    ["NSEC bitmap window of length 0", [...header({ an: 1 }), ...record([0], 47, [0, 0, 0])]],
    ["NSEC bitmap window of length 33", [...header({ an: 1 }), ...record([0], 47, [0, 0, 33, ...new Array<number>(33).fill(1)])]],
    ["NSEC bitmap ending in a zero octet", [...header({ an: 1 }), ...record([0], 47, [0, 0, 2, 0x40, 0])]],
    ["NSEC3 salt longer than the RDATA", [...header({ an: 1 }), ...record([0], 50, [1, 0, 0, 0, 20, 1, 2])]],
    ["NSEC3 without a next hashed owner", [...header({ an: 1 }), ...record([0], 50, [1, 0, 0, 0, 0, 0])]],
    ["NSEC3PARAM with trailing octets", [...header({ an: 1 }), ...record([0], 51, [1, 0, 0, 0, 0, 9])]],
    ["two OPT records", [...header({ ar: 2 }), ...record([0], 41, [], 1232, 0), ...record([0], 41, [], 1232, 0)]],
    ["OPT in the answer section", [...header({ an: 1 }), ...record([0], 41, [], 1232, 0)]],
    ["OPT with an owner other than the root", [...header({ ar: 1 }), ...record(wireName("x"), 41, [], 1232, 0)]],
    ["EDNS option longer than the RDATA", [...header({ ar: 1 }), ...record([0], 41, [...u16(10), ...u16(8), 1, 2], 1232, 0)]],
    ["A6 prefix length over 128", [...header({ an: 1 }), ...record([0], 38, [129])]],
  ];

  for (const [label, packet] of cases) {
    it(label, () => {
      assert.throws(() => parseMessage(Uint8Array.from(packet)), MalformedMessageError);
    });
  }

  it("a chain of more than 127 pointers to pointers", () => {
    // An unknown record's RDATA holds "a." then pointers, each to the one before; the next owner points at the last.
    const chain = (pointers: number): Uint8Array => {
      const base = HEADER + 1 + 10; // after the first record's root owner and fixed fields
      const rdata = [1, 0x61, 0];
      for (let index = 0; index < pointers; index++) rdata.push(...u16(0xc000 | (index === 0 ? base : base + 3 + (index - 1) * 2)));
      const last = base + 3 + (pointers - 1) * 2;
      return Uint8Array.from([...header({ an: 2 }), ...record([0], 65280, rdata), ...record(u16(0xc000 | last), 1, [192, 0, 2, 1])]);
    };
    assert.equal(parseMessage(chain(100)).answers[1]?.name, "a.");
    assert.throws(() => parseMessage(chain(200)), /more than 127 compression pointers/);
  });
});

