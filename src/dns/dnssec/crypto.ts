/**
 * DNSSEC's cryptographic primitives: key tags, DS digests, RRSIG signature
 * verification and NSEC3 hashing, on the raw RDATA fields as they come off
 * the wire. Everything runs on node:crypto (OpenSSL); no other crypto library.
 *
 * This module knows bytes, not records: the validator builds the signed data
 * (RFC 4034 §3.1.8.1) and hands it here with the DNSKEY's public key field.
 * Bad keys and bad signatures are everyday input from the network, so
 * verification never throws: it answers true or false.
 *
 * Algorithm support follows RFC 8624 §3.1 (validation column): RSAMD5 (1),
 * DSA (3) and DSA-NSEC3-SHA1 (6) are MUST NOT and ECC-GOST (12) is MAY (MUST
 * NOT since RFC 9904) and absent from OpenSSL, so all four are unsupported;
 * a validator treats RRsets signed only with those as insecure (RFC 4035
 * §5.2), not bogus. RSASHA1 (5, 7) is still validated: RFC 9904 lowers it to
 * SHOULD NOT, but many signed zones still use it.
 */
import { createPublicKey, hash, verify, type JsonWebKey, type KeyObject } from "node:crypto";
import { LRUCache } from "lru-cache";

/** DNS Security Algorithm Numbers (IANA registry). */
export const Algorithm = {
  RSAMD5: 1,
  DSA: 3,
  RSASHA1: 5,
  DSA_NSEC3_SHA1: 6,
  RSASHA1_NSEC3_SHA1: 7,
  RSASHA256: 8,
  RSASHA512: 10,
  ECC_GOST: 12,
  ECDSAP256SHA256: 13,
  ECDSAP384SHA384: 14,
  ED25519: 15,
  ED448: 16,
} as const;

/** DS digest types (IANA registry). */
export const DigestType = {
  SHA1: 1,
  SHA256: 2,
  GOST: 3,
  SHA384: 4,
} as const;

/** How one DNSSEC algorithm maps onto node:crypto. */
type Scheme =
  | { kind: "rsa"; digest: "sha1" | "sha256" | "sha512" }
  | { kind: "ecdsa"; digest: "sha256" | "sha384"; curve: "P-256" | "P-384"; integerLength: number }
  | { kind: "eddsa"; curve: "Ed25519" | "Ed448"; keyLength: number; signatureLength: number };

const SCHEMES: ReadonlyMap<number, Scheme> = new Map<number, Scheme>([
  // RFC 3110 (RSA/SHA-1), RFC 5155 §2 (the NSEC3 alias of it), RFC 5702 (SHA-2).
  [Algorithm.RSASHA1, { kind: "rsa", digest: "sha1" }],
  [Algorithm.RSASHA1_NSEC3_SHA1, { kind: "rsa", digest: "sha1" }],
  [Algorithm.RSASHA256, { kind: "rsa", digest: "sha256" }],
  [Algorithm.RSASHA512, { kind: "rsa", digest: "sha512" }],
  // RFC 6605 §4: the key is x || y and the signature r || s, each integer
  // left-padded to the curve's size.
  [Algorithm.ECDSAP256SHA256, { kind: "ecdsa", digest: "sha256", curve: "P-256", integerLength: 32 }],
  [Algorithm.ECDSAP384SHA384, { kind: "ecdsa", digest: "sha384", curve: "P-384", integerLength: 48 }],
  // RFC 8080 §3-4: raw RFC 8032 public keys and signatures.
  [Algorithm.ED25519, { kind: "eddsa", curve: "Ed25519", keyLength: 32, signatureLength: 64 }],
  [Algorithm.ED448, { kind: "eddsa", curve: "Ed448", keyLength: 57, signatureLength: 114 }],
]);

/** RFC 4034 §5.1.4 and RFC 8624 §3.3: SHA-1, SHA-256 and SHA-384; GOST (3) is absent from OpenSSL. */
const DIGESTS: ReadonlyMap<number, string> = new Map([
  [DigestType.SHA1, "sha1"],
  [DigestType.SHA256, "sha256"],
  [DigestType.SHA384, "sha384"],
]);

/** RFC 3110 §2: "the exponent and modulus are each limited to 4096 bits". */
const MAX_RSA_BITS = 4096;

/** Whether `verifySignature` can judge signatures of this DNSKEY algorithm. */
export function isSupportedAlgorithm(algorithm: number): boolean {
  return SCHEMES.has(algorithm);
}

/** Whether `dsDigest` can compute this DS digest type. */
export function isSupportedDigest(digestType: number): boolean {
  return DIGESTS.has(digestType);
}

/**
 * The key tag of a DNSKEY RDATA (flags, protocol, algorithm, public key),
 * RFC 4034 Appendix B: a ones'-complement-style checksum over the RDATA.
 * For RSAMD5 (algorithm 1), Appendix B.1: the key tag is the third- and
 * second-last octets of the modulus, which ends the RDATA.
 */
export function keyTag(dnskeyRdata: Uint8Array): number {
  if (dnskeyRdata[3] === Algorithm.RSAMD5 && dnskeyRdata.length >= 7) {
    const end = dnskeyRdata.length;
    return (octet(dnskeyRdata, end - 3) << 8) | octet(dnskeyRdata, end - 2);
  }
  let sum = 0;
  for (let index = 0; index < dnskeyRdata.length; index++) {
    sum += index % 2 === 0 ? octet(dnskeyRdata, index) * 256 : octet(dnskeyRdata, index);
  }
  // Even a 65535-octet RDATA of 0xff sums to under 2^31, so 32-bit shifts are exact.
  sum += (sum >> 16) & 0xffff;
  return sum & 0xffff;
}

/**
 * The DS digest of a DNSKEY, RFC 4034 §5.1.4: digest(canonical owner name |
 * DNSKEY RDATA). `ownerName` is the DNSKEY's owner in presentation form
 * ("example.net."; RFC 1035 escapes such as `\.` and `\065` are understood).
 * Returns undefined for digest types this module does not support.
 * Throws a RangeError for a name that cannot be a domain name (empty label,
 * label over 63 octets, name over 255 octets).
 */
export function dsDigest(ownerName: string, dnskeyRdata: Uint8Array, digestType: number): Uint8Array | undefined {
  const algorithm = DIGESTS.get(digestType);
  if (algorithm === undefined) return undefined;
  return asUint8Array(hash(algorithm, Buffer.concat([canonicalNameWire(ownerName), dnskeyRdata]), "buffer"));
}

/**
 * Verifies a DNSSEC signature. `publicKey` is the DNSKEY's public key field,
 * `signedData` the RRSIG RDATA without its signature followed by the RRset
 * in canonical form (RFC 4034 §3.1.8.1), `signature` the RRSIG's signature
 * field. Returns false, never throws, for unsupported algorithms, malformed
 * keys and signatures that do not verify.
 *
 * Key policy (e.g. refusing RSA keys under 1024 bits) is the caller's: see
 * `rsaModulusBits`. RSA keys over 4096 bits are refused here (RFC 3110 §2),
 * which also bounds the work a hostile key can cause.
 */
export function verifySignature(algorithm: number, publicKey: Uint8Array, signedData: Uint8Array, signature: Uint8Array): boolean {
  const scheme = SCHEMES.get(algorithm);
  if (!scheme) return false;
  const key = cachedKey(algorithm, scheme, publicKey);
  if (!key) return false;
  try {
    switch (scheme.kind) {
      case "rsa":
        return verify(scheme.digest, signedData, key.keyObject, padRsaSignature(signature, key.modulusLength));
      case "ecdsa":
        // RFC 6605 §4: r || s, the "ieee-p1363" layout, not DER.
        if (signature.length !== 2 * scheme.integerLength) return false;
        return verify(scheme.digest, signedData, { key: key.keyObject, dsaEncoding: "ieee-p1363" }, signature);
      case "eddsa":
        if (signature.length !== scheme.signatureLength) return false;
        return verify(null, signedData, key.keyObject, signature);
    }
  } catch {
    return false;
  }
}

/**
 * The size in bits of an RSA DNSKEY's modulus (RFC 3110 §2 key layout), or
 * undefined when the key field is malformed. For policies such as RFC 8624's
 * key size advice or a validator's minimum.
 */
export function rsaModulusBits(publicKey: Uint8Array): number | undefined {
  const parts = parseRsaKey(publicKey);
  return parts ? bitLength(parts.modulus) : undefined;
}

/**
 * The NSEC3 hash of a name, RFC 5155 §5: SHA-1 over the canonical wire form
 * of the name and the salt, then `iterations` more times over the previous
 * digest and the salt. Returned in base32hex without padding, LOWER-case, as
 * NSEC3 owner labels are usually written (compare case-insensitively anyway:
 * it is a DNS label). SHA-1 is the only NSEC3 hash algorithm defined (1).
 *
 * Work grows with `iterations`; RFC 9276 §3.2 lets validators treat high
 * counts as insecure, and that check belongs before calling this. Throws a
 * RangeError for an iteration count outside 0-65535 or a name `dsDigest`
 * would refuse.
 */
export function nsec3Hash(name: string, salt: Uint8Array, iterations: number): string {
  if (!Number.isInteger(iterations) || iterations < 0 || iterations > 0xffff) {
    throw new RangeError(`NSEC3 iterations must be an integer from 0 to 65535, got ${iterations}`);
  }
  let digest = hash("sha1", Buffer.concat([canonicalNameWire(name), salt]), "buffer");
  // One buffer reused for every round: digest in front, salt behind it.
  const round = Buffer.alloc(digest.length + salt.length);
  round.set(salt, digest.length);
  for (let count = 0; count < iterations; count++) {
    round.set(digest, 0);
    digest = hash("sha1", round, "buffer");
  }
  return base32hexEncode(digest);
}

const BASE32HEX = "0123456789abcdefghijklmnopqrstuv";

/** Base32 with the extended hex alphabet, RFC 4648 §7: lower-case, no padding (RFC 5155 §3.3). */
export function base32hexEncode(bytes: Uint8Array): string {
  let text = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += BASE32HEX.charAt((buffer >> bits) & 31);
    }
  }
  if (bits > 0) text += BASE32HEX.charAt((buffer << (5 - bits)) & 31);
  return text;
}

/**
 * Decodes base32hex (RFC 4648 §7) in either case, with or without padding.
 * Returns undefined for text that is not the canonical encoding of some
 * bytes: foreign characters, an impossible length, wrong padding, or
 * non-zero leftover bits (RFC 4648 §3.5), so each byte string has exactly
 * one accepted spelling per case.
 */
export function base32hexDecode(text: string): Uint8Array | undefined {
  const unpadded = text.replace(/=+$/, "");
  if (unpadded.length !== text.length && text.length !== Math.ceil(unpadded.length / 8) * 8) return undefined;
  if (![0, 2, 4, 5, 7].includes(unpadded.length % 8)) return undefined;
  const bytes = new Uint8Array(Math.floor((unpadded.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let written = 0;
  for (let index = 0; index < unpadded.length; index++) {
    const value = base32hexValue(unpadded.charCodeAt(index));
    if (value < 0) return undefined;
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[written++] = (buffer >> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return bytes;
}

function base32hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x76 ? lower - 0x61 + 10 : -1;
}

// ── Public keys ─────────────────────────────────────────────────────────────

interface CachedKey {
  keyObject: KeyObject;
  /** RSA only: the modulus size in octets, to left-pad short signatures. */
  modulusLength: number;
}

/**
 * Parsed keys by algorithm and key bytes. Validation checks many RRsets
 * against the same few zone keys, and importing a key costs more than an
 * ECDSA verification; malformed keys are remembered too (as false) so a
 * hostile zone cannot make us parse its key again per signature. Bounded in
 * entries and in key bytes held.
 */
const keyCache = new LRUCache<string, CachedKey | false>({
  max: 1024,
  maxSize: 1 << 20,
  sizeCalculation: (_value, cacheKey) => cacheKey.length,
});

function cachedKey(algorithm: number, scheme: Scheme, publicKey: Uint8Array): CachedKey | undefined {
  // latin1 maps each octet to one UTF-16 unit: a cheap, exact string key.
  const cacheKey = `${algorithm}:${Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("latin1")}`;
  let entry = keyCache.get(cacheKey);
  if (entry === undefined) {
    entry = importKey(scheme, publicKey) ?? false;
    keyCache.set(cacheKey, entry);
  }
  return entry || undefined;
}

function importKey(scheme: Scheme, publicKey: Uint8Array): CachedKey | undefined {
  const jwk = toJwk(scheme, publicKey);
  if (!jwk) return undefined;
  try {
    const keyObject = createPublicKey({ key: jwk, format: "jwk" });
    const modulusBits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
    return { keyObject, modulusLength: Math.ceil(modulusBits / 8) };
  } catch {
    // Off-curve points, zero moduli and the like.
    return undefined;
  }
}

function toJwk(scheme: Scheme, publicKey: Uint8Array): JsonWebKey | undefined {
  switch (scheme.kind) {
    case "rsa": {
      const parts = parseRsaKey(publicKey);
      if (!parts || bitLength(parts.modulus) > MAX_RSA_BITS || bitLength(parts.exponent) > MAX_RSA_BITS) return undefined;
      return { kty: "RSA", n: base64url(parts.modulus), e: base64url(parts.exponent) };
    }
    case "ecdsa": {
      const size = scheme.integerLength;
      if (publicKey.length !== 2 * size) return undefined;
      return { kty: "EC", crv: scheme.curve, x: base64url(publicKey.subarray(0, size)), y: base64url(publicKey.subarray(size)) };
    }
    case "eddsa":
      if (publicKey.length !== scheme.keyLength) return undefined;
      return { kty: "OKP", crv: scheme.curve, x: base64url(publicKey) };
  }
}

/**
 * RFC 3110 §2: an exponent length of one octet, or a zero octet and then
 * two octets; the exponent; the modulus in the remaining octets. Leading
 * zero octets are prohibited there, but harmless, so they are dropped
 * rather than refused.
 */
function parseRsaKey(publicKey: Uint8Array): { exponent: Uint8Array; modulus: Uint8Array } | undefined {
  if (publicKey.length < 1) return undefined;
  let exponentLength = octet(publicKey, 0);
  let offset = 1;
  if (exponentLength === 0) {
    if (publicKey.length < 3) return undefined;
    exponentLength = (octet(publicKey, 1) << 8) | octet(publicKey, 2);
    offset = 3;
  }
  if (exponentLength === 0 || publicKey.length <= offset + exponentLength) return undefined;
  const exponent = withoutLeadingZeros(publicKey.subarray(offset, offset + exponentLength));
  const modulus = withoutLeadingZeros(publicKey.subarray(offset + exponentLength));
  if (exponent.length === 0 || modulus.length === 0) return undefined;
  return { exponent, modulus };
}

/**
 * OpenSSL wants an RSA signature exactly as long as the modulus; a signer
 * that dropped the signature's leading zero octets still made a valid one.
 */
function padRsaSignature(signature: Uint8Array, modulusLength: number): Uint8Array {
  if (signature.length >= modulusLength) return signature;
  const padded = new Uint8Array(modulusLength);
  padded.set(signature, modulusLength - signature.length);
  return padded;
}

/** The octet at `index`, 0 past the end (callers check lengths first). */
function octet(bytes: Uint8Array, index: number): number {
  return bytes[index] ?? 0;
}

function withoutLeadingZeros(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

function bitLength(unsignedBigEndian: Uint8Array): number {
  const trimmed = withoutLeadingZeros(unsignedBigEndian);
  if (trimmed.length === 0) return 0;
  return (trimmed.length - 1) * 8 + (32 - Math.clz32(octet(trimmed, 0)));
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

// ── Names ───────────────────────────────────────────────────────────────────
// A private encoder, kept here so this module stands alone: DS digests and
// NSEC3 hashes need only the canonical form, never compression.

const textEncoder = new TextEncoder();

/**
 * The canonical wire form of a presentation-form name, RFC 4034 §6.2:
 * uncompressed, ASCII upper-case letters lowered. Understands the RFC 1035
 * §5.1 escapes `\X` and `\DDD`; other non-ASCII text is taken as UTF-8, as
 * dns-packet decodes labels. The trailing dot is optional; "." is the root.
 */
function canonicalNameWire(name: string): Uint8Array {
  const labels: number[][] = [];
  let label: number[] = [];
  const endLabel = (): void => {
    if (label.length === 0) throw new RangeError(`empty label in domain name "${name}"`);
    if (label.length > 63) throw new RangeError(`label longer than 63 octets in domain name "${name}"`);
    labels.push(label);
    label = [];
  };
  const text = name === "." ? "" : name;
  let index = 0;
  while (index < text.length) {
    const char = text.charAt(index);
    if (char === ".") {
      endLabel();
      index++;
      continue;
    }
    if (char === "\\") {
      const digits = /^\d{3}/.exec(text.slice(index + 1, index + 4))?.[0];
      if (digits !== undefined) {
        const value = Number(digits);
        if (value > 255) throw new RangeError(`escape \\${digits} is not an octet in domain name "${name}"`);
        label.push(value);
        index += 4;
        continue;
      }
      index++; // `\X` stands for X itself, dots included.
      if (index === text.length) throw new RangeError(`domain name ends in a lone backslash: "${name}"`);
    }
    const codePoint = text.codePointAt(index) ?? 0;
    label.push(...textEncoder.encode(String.fromCodePoint(codePoint)));
    index += codePoint > 0xffff ? 2 : 1;
  }
  if (label.length > 0) endLabel();
  const wire = new Uint8Array(labels.reduce((total, each) => total + 1 + each.length, 1));
  if (wire.length > 255) throw new RangeError(`domain name longer than 255 octets: "${name}"`);
  let offset = 0;
  for (const each of labels) {
    wire[offset++] = each.length;
    for (const value of each) wire[offset++] = value >= 0x41 && value <= 0x5a ? value | 0x20 : value;
  }
  return wire;
}
