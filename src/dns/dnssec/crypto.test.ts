import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { describe, it } from "node:test";
import type { ResourceRecord } from "../types.ts";
import {
  Algorithm,
  DigestType,
  base32hexDecode,
  base32hexEncode,
  dsDigest,
  isSupportedAlgorithm,
  isSupportedDigest,
  keyTag,
  nsec3Hash,
  rsaModulusBits,
  verifySignature,
} from "./crypto.ts";
import { KEY_VECTORS, RFC5155_NSEC3, RFC5702_RSASHA256, RFC5702_RSASHA512, RFC6605_P256, SIGNATURE_VECTORS, type KeyVector, type SignatureVector } from "./fixtures/rfc-vectors.ts";

// ── Wire helpers, just enough for the vectors (ASCII names, A and MX) ───────

function nameWire(name: string): Buffer {
  const labels = name.toLowerCase().split(".").filter((label) => label.length > 0);
  return Buffer.concat([...labels.map((label) => Buffer.concat([Buffer.of(label.length), Buffer.from(label, "ascii")])), Buffer.of(0)]);
}

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

const TYPE_CODES: Record<string, number> = { A: 1, MX: 15 };

function typeCode(type: string): number {
  const code = TYPE_CODES[type];
  if (code === undefined) throw new Error(`test helper knows no type ${type}`);
  return code;
}

function rdataOf(record: ResourceRecord): Buffer {
  if (record.type === "A" && typeof record.data === "string") return Buffer.from(record.data.split(".").map(Number));
  if (record.type === "MX") {
    const { preference, exchange } = record.data as { preference: number; exchange: string };
    return Buffer.concat([u16(preference), nameWire(exchange)]);
  }
  throw new Error(`test helper cannot encode ${record.type}`);
}

function dnskeyRdata(key: KeyVector): Buffer {
  return Buffer.concat([u16(key.flags), Buffer.of(key.protocol, key.algorithm), Buffer.from(key.publicKey, "base64")]);
}

/** RFC 4034 §3.1.8.1: RRSIG RDATA minus the signature, then the RRset in canonical order. */
function signedData({ rrsig, rrset }: SignatureVector): Buffer {
  const prefix = Buffer.concat([
    u16(typeCode(rrsig.typeCovered)),
    Buffer.of(rrsig.algorithm, rrsig.labels),
    u32(rrsig.originalTTL),
    u32(rrsig.expiration),
    u32(rrsig.inception),
    u16(rrsig.keyTag),
    nameWire(rrsig.signersName),
  ]);
  const records = rrset
    .map((record) => ({ record, rdata: rdataOf(record) }))
    .sort((a, b) => Buffer.compare(a.rdata, b.rdata))
    .map(({ record, rdata }) =>
      Buffer.concat([nameWire(record.name), u16(typeCode(record.type)), u16(1), u32(rrsig.originalTTL), u16(rdata.length), rdata]),
    );
  return Buffer.concat([prefix, ...records]);
}

function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ (1 << bit);
  return copy;
}

const hex = (bytes: Uint8Array | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString("hex") : undefined);

// ── Keys generated here, in DNSSEC's own formats ────────────────────────────

interface Signer {
  name: string;
  algorithm: number;
  /** The DNSKEY public key field. */
  publicKey: Uint8Array;
  sign(data: Uint8Array): Uint8Array;
}

function jwkField(key: KeyObject, field: "n" | "e" | "x" | "y"): Buffer {
  const value = key.export({ format: "jwk" })[field];
  if (typeof value !== "string") throw new Error(`key has no JWK field ${field}`);
  return Buffer.from(value, "base64url");
}

/** RFC 3110 §2: exponent length, exponent, modulus. */
function rsaPublicKey(key: KeyObject): Buffer {
  const exponent = jwkField(key, "e");
  return Buffer.concat([Buffer.of(exponent.length), exponent, jwkField(key, "n")]);
}

const rsa2048 = generateKeyPairSync("rsa", { modulusLength: 2048 });
const rsa1024 = generateKeyPairSync("rsa", { modulusLength: 1024 });

function rsaSigner(name: string, algorithm: number, digest: string, pair: { publicKey: KeyObject; privateKey: KeyObject }): Signer {
  return { name, algorithm, publicKey: rsaPublicKey(pair.publicKey), sign: (data) => sign(digest, data, pair.privateKey) };
}

function ecdsaSigner(name: string, algorithm: number, namedCurve: string, digest: string): Signer {
  const pair = generateKeyPairSync("ec", { namedCurve });
  return {
    name,
    algorithm,
    // RFC 6605 §4: x || y, each padded to the curve size (JWK coordinates already are).
    publicKey: Buffer.concat([jwkField(pair.publicKey, "x"), jwkField(pair.publicKey, "y")]),
    sign: (data) => sign(digest, data, { key: pair.privateKey, dsaEncoding: "ieee-p1363" }),
  };
}

function eddsaSigner(name: string, algorithm: number, type: "ed25519" | "ed448"): Signer {
  const pair = type === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ed448");
  return { name, algorithm, publicKey: jwkField(pair.publicKey, "x"), sign: (data) => sign(null, data, pair.privateKey) };
}

const SIGNERS: Signer[] = [
  rsaSigner("RSASHA1", Algorithm.RSASHA1, "sha1", rsa2048),
  rsaSigner("RSASHA1-NSEC3-SHA1", Algorithm.RSASHA1_NSEC3_SHA1, "sha1", rsa2048),
  rsaSigner("RSASHA256", Algorithm.RSASHA256, "sha256", rsa2048),
  rsaSigner("RSASHA512", Algorithm.RSASHA512, "sha512", rsa2048),
  ecdsaSigner("ECDSAP256SHA256", Algorithm.ECDSAP256SHA256, "P-256", "sha256"),
  ecdsaSigner("ECDSAP384SHA384", Algorithm.ECDSAP384SHA384, "P-384", "sha384"),
  eddsaSigner("ED25519", Algorithm.ED25519, "ed25519"),
  eddsaSigner("ED448", Algorithm.ED448, "ed448"),
];

const message = Buffer.from("www.example.test. 300 IN A 192.0.2.1, or something like its wire form");

// ── Tests ───────────────────────────────────────────────────────────────────

describe("keyTag", () => {
  for (const vector of KEY_VECTORS) {
    it(`computes ${vector.keyTag} for the ${vector.source} key (algorithm ${vector.algorithm})`, () => {
      assert.equal(keyTag(dnskeyRdata(vector)), vector.keyTag);
    });
  }

  it("takes the modulus octets as the tag of an RSAMD5 key (RFC 4034 B.1)", () => {
    const rdata = Buffer.concat([u16(256), Buffer.of(3, Algorithm.RSAMD5), Buffer.of(1, 3, 0x11, 0x22, 0xab, 0xcd, 0xef)]);
    assert.equal(keyTag(rdata), 0xabcd);
  });

  it("matches the Appendix B checksum on odd, large and random RDATA", () => {
    const reference = (rdata: Uint8Array): number => {
      let sum = 0n;
      rdata.forEach((value, index) => (sum += BigInt(value) << (index % 2 === 0 ? 8n : 0n)));
      return Number((sum + ((sum >> 16n) & 0xffffn)) & 0xffffn);
    };
    const maximal = Buffer.alloc(65535, 0xff);
    maximal[3] = Algorithm.ED25519;
    assert.equal(keyTag(maximal), reference(maximal));
    for (let length = 4; length < 300; length += 7) {
      const rdata = randomBytes(length);
      rdata[3] = Algorithm.RSASHA256;
      assert.equal(keyTag(rdata), reference(rdata));
    }
  });
});

describe("dsDigest", () => {
  for (const vector of KEY_VECTORS) {
    for (const ds of vector.ds) {
      it(`matches the ${vector.source} DS (key ${vector.keyTag}, digest type ${ds.digestType})`, () => {
        assert.equal(hex(dsDigest(vector.owner, dnskeyRdata(vector), ds.digestType)), ds.digest.toLowerCase());
      });
    }
  }

  const key = RFC6605_P256.key;
  const expected = key.ds[0]?.digest;

  it("uses the canonical owner name: case, trailing dot and escapes do not matter", () => {
    for (const owner of ["EXAMPLE.NET.", "Example.Net", "\\069xample.net.", "e\\xample.net."]) {
      assert.equal(hex(dsDigest(owner, dnskeyRdata(key), DigestType.SHA256)), expected, owner);
    }
    assert.notEqual(hex(dsDigest("example.org.", dnskeyRdata(key), DigestType.SHA256)), expected);
  });

  it("returns a plain Uint8Array of the digest's length", () => {
    const digests = [DigestType.SHA1, DigestType.SHA256, DigestType.SHA384].map((type) => dsDigest(key.owner, dnskeyRdata(key), type));
    assert.deepEqual(
      digests.map((digest) => digest?.length),
      [20, 32, 48],
    );
    assert.ok(digests.every((digest) => digest?.constructor === Uint8Array));
  });

  it("returns undefined for unsupported digest types", () => {
    for (const type of [0, DigestType.GOST, 5, 255]) {
      assert.equal(dsDigest(key.owner, dnskeyRdata(key), type), undefined, `type ${type}`);
      assert.equal(isSupportedDigest(type), false);
    }
    for (const type of [DigestType.SHA1, DigestType.SHA256, DigestType.SHA384]) assert.equal(isSupportedDigest(type), true);
  });

  it("hashes the root as a single zero octet", () => {
    const rdata = dnskeyRdata(key);
    assert.equal(hex(dsDigest(".", rdata, DigestType.SHA256)), hex(dsDigest("", rdata, DigestType.SHA256)));
    assert.notEqual(hex(dsDigest(".", rdata, DigestType.SHA256)), expected);
  });

  it("refuses names that cannot be domain names", () => {
    const rdata = dnskeyRdata(key);
    for (const bad of ["a..b.", ".example.", `${"a".repeat(64)}.example.`, "abcdefghi.".repeat(26), "bad\\256.", "trailing\\"]) {
      assert.throws(() => dsDigest(bad, rdata, DigestType.SHA256), RangeError, bad);
    }
    // 63-octet labels and a 255-octet name are fine.
    assert.ok(dsDigest(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}.`, rdata, DigestType.SHA256));
  });
});

describe("verifySignature against the RFC examples", () => {
  for (const vector of SIGNATURE_VECTORS) {
    it(`verifies the ${vector.source} RRSIG (algorithm ${vector.rrsig.algorithm})`, () => {
      const publicKey = Buffer.from(vector.key.publicKey, "base64");
      const signature = Buffer.from(vector.rrsig.signature, "base64");
      const data = signedData(vector);
      assert.equal(verifySignature(vector.rrsig.algorithm, publicKey, data, signature), true);
      assert.equal(verifySignature(vector.rrsig.algorithm, publicKey, flipBit(data, data.length - 1), signature), false);
      assert.equal(verifySignature(vector.rrsig.algorithm, publicKey, data, flipBit(signature, 7)), false);
    });
  }

  it("reports the RFC 5702 key sizes", () => {
    assert.equal(rsaModulusBits(Buffer.from(RFC5702_RSASHA256.key.publicKey, "base64")), 512);
    assert.equal(rsaModulusBits(Buffer.from(RFC5702_RSASHA512.key.publicKey, "base64")), 1024);
  });
});

describe("verifySignature round trips with keys made by node:crypto", () => {
  for (const signer of SIGNERS) {
    describe(signer.name, () => {
      const signature = signer.sign(message);

      it("accepts its own signature", () => {
        assert.equal(verifySignature(signer.algorithm, signer.publicKey, message, signature), true);
      });

      it("rejects a flipped bit in the data, the signature or the key", () => {
        assert.equal(verifySignature(signer.algorithm, signer.publicKey, flipBit(message, 3), signature), false);
        assert.equal(verifySignature(signer.algorithm, signer.publicKey, message, flipBit(signature, signature.length >> 1)), false);
        assert.equal(verifySignature(signer.algorithm, flipBit(signer.publicKey, signer.publicKey.length - 2), message, signature), false);
      });

      it("rejects truncated, extended and empty keys and signatures without throwing", () => {
        const { algorithm, publicKey } = signer;
        for (const key of [publicKey.subarray(0, -1), Buffer.concat([publicKey, Buffer.of(0)]), new Uint8Array(0), publicKey.subarray(0, 1)]) {
          assert.equal(verifySignature(algorithm, key, message, signature), false);
        }
        for (const bad of [signature.subarray(0, -1), Buffer.concat([signature, Buffer.of(0)]), new Uint8Array(0)]) {
          assert.equal(verifySignature(algorithm, publicKey, message, bad), false);
        }
      });

      it("rejects the signature under another algorithm number", () => {
        for (const other of SIGNERS.filter((each) => each.algorithm !== signer.algorithm && each.publicKey.length !== signer.publicKey.length)) {
          assert.equal(verifySignature(other.algorithm, signer.publicKey, message, signature), false, other.name);
        }
      });
    });
  }

  it("tells the RSA algorithms apart by their hash, with one key cached for all", () => {
    const pair = rsa2048;
    const publicKey = rsaPublicKey(pair.publicKey);
    const sha256Signature = sign("sha256", message, pair.privateKey);
    assert.equal(verifySignature(Algorithm.RSASHA256, publicKey, message, sha256Signature), true);
    assert.equal(verifySignature(Algorithm.RSASHA512, publicKey, message, sha256Signature), false);
    assert.equal(verifySignature(Algorithm.RSASHA1, publicKey, message, sha256Signature), false);
  });

  it("reads the three-octet exponent length form (RFC 3110 §2)", () => {
    const exponent = jwkField(rsa1024.publicKey, "e");
    const longForm = Buffer.concat([Buffer.of(0), u16(exponent.length), exponent, jwkField(rsa1024.publicKey, "n")]);
    const signature = sign("sha256", message, rsa1024.privateKey);
    assert.equal(verifySignature(Algorithm.RSASHA256, longForm, message, signature), true);
    assert.equal(rsaModulusBits(longForm), 1024);
  });

  it("accepts an RSA signature whose leading zero octet was dropped", () => {
    let data = message;
    let signature = sign("sha256", data, rsa1024.privateKey);
    for (let attempt = 0; signature[0] !== 0 && attempt < 20_000; attempt++) {
      data = Buffer.concat([message, u32(attempt)]);
      signature = sign("sha256", data, rsa1024.privateKey);
    }
    assert.equal(signature[0], 0, "found no signature with a leading zero octet");
    const publicKey = rsaPublicKey(rsa1024.publicKey);
    assert.equal(verifySignature(Algorithm.RSASHA256, publicKey, data, signature), true);
    assert.equal(verifySignature(Algorithm.RSASHA256, publicKey, data, signature.subarray(1)), true);
  });
});

describe("verifySignature on hostile input", () => {
  it("answers false, never throws, for random keys and signatures", () => {
    const lengths = [0, 1, 2, 3, 4, 31, 32, 33, 56, 57, 58, 63, 64, 65, 95, 96, 97, 113, 114, 115, 131, 260, 515];
    for (const algorithm of [...SIGNERS.map((signer) => signer.algorithm), 0, 1, 3, 6, 12, 200]) {
      for (const keyLength of lengths) {
        const publicKey = randomBytes(keyLength);
        for (const signatureLength of [0, 64, 96, 114, 128, 256]) {
          assert.equal(verifySignature(algorithm, publicKey, message, randomBytes(signatureLength)), false);
        }
      }
    }
  });

  it("refuses a point that is not on the curve", () => {
    const p256 = Buffer.from(RFC6605_P256.key.publicKey, "base64");
    const offCurve = flipBit(p256, 63);
    const signature = Buffer.from(RFC6605_P256.rrsig.signature, "base64");
    assert.equal(verifySignature(Algorithm.ECDSAP256SHA256, offCurve, signedData(RFC6605_P256), signature), false);
  });

  it("refuses RSA keys without a modulus or with a zero exponent length", () => {
    for (const key of [Buffer.of(3, 1, 0, 1), Buffer.of(0, 0, 0, 1, 2, 3), Buffer.of(0, 0), Buffer.of(3, 0, 0, 0, 0, 0, 0)]) {
      assert.equal(verifySignature(Algorithm.RSASHA256, key, message, randomBytes(64)), false);
      assert.equal(rsaModulusBits(key), undefined);
    }
  });
});

describe("algorithm support", () => {
  it("supports what RFC 8624 asks validators to, and node:crypto can do", () => {
    const supported = [5, 7, 8, 10, 13, 14, 15, 16];
    for (let algorithm = 0; algorithm < 256; algorithm++) {
      assert.equal(isSupportedAlgorithm(algorithm), supported.includes(algorithm), `algorithm ${algorithm}`);
    }
  });

  it("refuses the MUST NOT algorithms even with a key and signature that would pass under another", () => {
    const signer = SIGNERS.find((each) => each.algorithm === Algorithm.RSASHA1);
    assert.ok(signer);
    const signature = signer.sign(message);
    for (const algorithm of [Algorithm.RSAMD5, Algorithm.DSA, Algorithm.DSA_NSEC3_SHA1, Algorithm.ECC_GOST]) {
      assert.equal(verifySignature(algorithm, signer.publicKey, message, signature), false);
    }
  });
});

describe("verification speed", () => {
  it("verifies 10,000 ECDSA P-256 signatures quickly, one cached key", (t) => {
    const signer = SIGNERS.find((each) => each.algorithm === Algorithm.ECDSAP256SHA256);
    assert.ok(signer);
    const signature = signer.sign(message);
    const count = 10_000;
    const started = process.hrtime.bigint();
    let verified = 0;
    for (let index = 0; index < count; index++) {
      // A fresh copy of the key bytes each time, as a decoded message would bring.
      if (verifySignature(signer.algorithm, Uint8Array.from(signer.publicKey), message, signature)) verified++;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rate = Math.round(count / seconds);
    t.diagnostic(`${count} ECDSA P-256 verifications in ${seconds.toFixed(2)} s: ${rate}/s`);
    assert.equal(verified, count);
    assert.ok(rate > 2000, `only ${rate} verifications per second`);
  });
});

describe("nsec3Hash", () => {
  const salt = Buffer.from(RFC5155_NSEC3.saltHex, "hex");

  for (const [name, expected] of RFC5155_NSEC3.hashes) {
    it(`hashes ${name} as in RFC 5155 Appendix A`, () => {
      assert.equal(nsec3Hash(name, salt, RFC5155_NSEC3.iterations), expected);
    });
  }

  it("hashes the canonical name: case and the trailing dot do not matter", () => {
    assert.equal(nsec3Hash("EXAMPLE", salt, 12), "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
    assert.equal(nsec3Hash("A.Example.", salt, 12), "35mthgpgcu1qg68fab165klnsnk3dpvl");
  });

  it("depends on salt and iterations", () => {
    const reference = nsec3Hash("example.", salt, 12);
    assert.notEqual(nsec3Hash("example.", salt, 11), reference);
    assert.notEqual(nsec3Hash("example.", salt, 0), reference);
    assert.notEqual(nsec3Hash("example.", new Uint8Array(0), 12), reference);
    assert.match(nsec3Hash("example.", new Uint8Array(0), 0), /^[0-9a-v]{32}$/);
  });

  it("refuses iteration counts outside the 16-bit field", () => {
    for (const iterations of [-1, 65536, 1.5, Number.NaN]) {
      assert.throws(() => nsec3Hash("example.", salt, iterations), RangeError);
    }
  });
});

describe("base32hex", () => {
  // RFC 4648 §10, in the lower case and unpadded form NSEC3 uses.
  const vectors: [string, string][] = [
    ["", ""],
    ["f", "co"],
    ["fo", "cpng"],
    ["foo", "cpnmu"],
    ["foob", "cpnmuog"],
    ["fooba", "cpnmuoj1"],
    ["foobar", "cpnmuoj1e8"],
  ];

  for (const [plain, encoded] of vectors) {
    it(`encodes and decodes "${plain}"`, () => {
      assert.equal(base32hexEncode(Buffer.from(plain)), encoded);
      assert.equal(Buffer.from(base32hexDecode(encoded) ?? []).toString(), plain);
      assert.equal(Buffer.from(base32hexDecode(encoded.toUpperCase()) ?? []).toString(), plain);
    });
  }

  it("accepts RFC 4648's padded upper-case spelling", () => {
    assert.equal(Buffer.from(base32hexDecode("CPNMUOJ1E8======") ?? []).toString(), "foobar");
    assert.equal(Buffer.from(base32hexDecode("CO======") ?? []).toString(), "f");
  });

  it("round-trips every length of random bytes", () => {
    for (let length = 0; length < 70; length++) {
      const bytes = Uint8Array.from(randomBytes(length));
      assert.deepEqual(base32hexDecode(base32hexEncode(bytes)), bytes);
    }
  });

  it("refuses what is not a canonical encoding", () => {
    for (const bad of ["c", "cpn", "cpnmuo", "w0", "c!", "co=", "co==", "cp", "cpnh", "c o", "çp"]) {
      assert.equal(base32hexDecode(bad), undefined, bad);
    }
  });
});
