/**
 * Builds a TLS ClientHello record byte by byte.
 *
 * Hand-written because no JavaScript library builds arbitrary ClientHellos:
 * node:tls (OpenSSL) offers only what the linked OpenSSL was built to speak, so it
 * cannot offer SSLv3, EXPORT, NULL, RC4 or most CBC suites, and no npm package
 * exposes the handshake below that. A prober needs exactly those hellos, so the
 * structures of RFC 5246 §7.4.1.2 (ClientHello), RFC 8446 §4.1.2 (ClientHello),
 * §4.2 (extensions) and §5.1 (record layer) are encoded here. Only the hello is
 * built: the prober reads the server's first answer and hangs up, so no key
 * schedule or record protection is needed.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import { EMPTY_RENEGOTIATION_INFO_SCSV } from "./cipher-suites.ts";

/** SSL 2.0: its hello has another layout (sslv2.ts), so it is not among PROTOCOL_VERSIONS. */
export const SSL2 = 0x0002;
export const SSL3 = 0x0300;
export const TLS10 = 0x0301;
export const TLS11 = 0x0302;
export const TLS12 = 0x0303;
export const TLS13 = 0x0304;
/** Every protocol version the prober can offer, oldest first. */
export const PROTOCOL_VERSIONS: readonly number[] = [SSL3, TLS10, TLS11, TLS12, TLS13];

const VERSION_NAMES = new Map([
  [SSL2, "SSLv2"],
  [SSL3, "SSLv3"],
  [TLS10, "TLS 1.0"],
  [TLS11, "TLS 1.1"],
  [TLS12, "TLS 1.2"],
  [TLS13, "TLS 1.3"],
]);

export function versionName(version: number): string {
  return VERSION_NAMES.get(version) ?? `0x${version.toString(16).padStart(4, "0")}`;
}

/** Extension types (IANA "TLS ExtensionType Values"). */
export const EXT = {
  serverName: 0,
  supportedGroups: 10,
  ecPointFormats: 11,
  signatureAlgorithms: 13,
  extendedMasterSecret: 23,
  supportedVersions: 43,
  keyShare: 51,
  padding: 21,
  renegotiationInfo: 0xff01,
} as const;

/** Named groups (IANA "TLS Supported Groups"). */
export const GROUP = {
  sect163k1: 0x0001,
  sect163r2: 0x0003,
  sect233k1: 0x0006,
  sect233r1: 0x0007,
  sect283k1: 0x0009,
  sect283r1: 0x000a,
  sect409k1: 0x000b,
  sect409r1: 0x000c,
  sect571k1: 0x000d,
  sect571r1: 0x000e,
  secp160r1: 0x0010,
  secp192k1: 0x0012,
  secp192r1: 0x0013,
  secp224k1: 0x0014,
  secp224r1: 0x0015,
  secp256k1: 0x0016,
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  brainpoolP256r1: 0x001a,
  brainpoolP384r1: 0x001b,
  brainpoolP512r1: 0x001c,
  brainpoolP256r1tls13: 0x001f,
  brainpoolP384r1tls13: 0x0020,
  brainpoolP512r1tls13: 0x0021,
  ffdhe2048: 0x0100,
  ffdhe3072: 0x0101,
  ffdhe4096: 0x0102,
  ffdhe6144: 0x0103,
  ffdhe8192: 0x0104,
  x25519mlkem768: 0x11ec,
} as const;

/**
 * Offered unless the caller chooses: every curve and FFDHE group in use, the weak and
 * regional ones last, so the group never decides acceptance of a suite (a server with
 * only brainpool or P-224 curves would refuse every ECDHE suite otherwise).
 */
export const DEFAULT_GROUPS: readonly number[] = [
  GROUP.x25519,
  GROUP.secp256r1,
  GROUP.secp384r1,
  GROUP.secp521r1,
  GROUP.x448,
  GROUP.ffdhe2048,
  GROUP.ffdhe3072,
  GROUP.ffdhe4096,
  GROUP.ffdhe6144,
  GROUP.ffdhe8192,
  GROUP.brainpoolP256r1tls13,
  GROUP.brainpoolP384r1tls13,
  GROUP.brainpoolP512r1tls13,
  GROUP.brainpoolP256r1,
  GROUP.brainpoolP384r1,
  GROUP.brainpoolP512r1,
  GROUP.secp224r1,
  GROUP.secp256k1,
];

/** Signature schemes (RFC 8446 §4.2.3), SHA-1 ones last so old servers still find one they can use. */
export const DEFAULT_SIGNATURE_ALGORITHMS: readonly number[] = [
  0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601, 0x0402,
  0x0201, 0x0203, 0x0202,
];

export interface ClientHelloOptions {
  /** The one protocol version offered: SSL3 .. TLS12 as legacy_version, or TLS13 through supported_versions. */
  version: number;
  /** Cipher suite code points, in preference order. */
  suites: readonly number[];
  /** Host name for SNI; omitted for IP literals (RFC 6066 §3) and when null or absent. */
  servername?: string | null;
  groups?: readonly number[];
  signatureAlgorithms?: readonly number[];
  /**
   * Groups to send a key_share for in a TLS 1.3 hello; default X25519 when offered.
   * X25519 and X25519MLKEM768 get real-sized shares (see keyShareFor); for any other
   * group none is sent, so a server choosing it answers with a HelloRetryRequest.
   */
  keyShares?: readonly number[];
  /** Compression methods offered; default null only. [1, 0] asks for DEFLATE (RFC 3749), to test for CRIME exposure. */
  compressionMethods?: readonly number[];
  /** Fixed random (32 bytes), for tests; fresh from node:crypto otherwise. */
  random?: Uint8Array;
}

export interface ClientHello {
  /** The complete TLS record (header and handshake message), ready to write to a socket. */
  record: Buffer;
  random: Buffer;
  /** The X25519 private key whose public half is in key_share, when TLS 1.3 is offered with X25519. */
  x25519PrivateKey: KeyObject | null;
}

/** Maximum plaintext fragment (RFC 8446 §5.1); a hello that does not fit one record would need fragmenting, which some servers mishandle. */
const MAX_FRAGMENT = 1 << 14;

function u16(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value);
  return out;
}

function u24(value: number): Buffer {
  return Buffer.from([(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff]);
}

/** A vector with an 8- or 16-bit length prefix (RFC 8446 §3.4). */
function vector(lengthBytes: 1 | 2, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const limit = lengthBytes === 1 ? 0xff : 0xffff;
  if (body.length > limit) throw new Error(`ClientHello: a vector of ${body.length} bytes exceeds its ${lengthBytes}-byte length`);
  return Buffer.concat([lengthBytes === 1 ? Buffer.from([body.length]) : u16(body.length), body]);
}

function uint16List(values: readonly number[]): Buffer {
  return Buffer.concat(values.map(u16));
}

function extension(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), vector(2, data)]);
}

/** The SNI host name, or null when none may be sent; throws on a name that is not a DNS host name. */
function sniName(servername: string | null | undefined): string | null {
  if (!servername) return null;
  if (isIP(servername) !== 0) return null;
  const name = servername.endsWith(".") ? servername.slice(0, -1) : servername;
  if (name.length === 0 || name.length > 253 || !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new Error(`ClientHello: server name ${JSON.stringify(servername)} is not an ASCII DNS host name`);
  }
  return name.toLowerCase();
}

function x25519KeyPair(): { privateKey: KeyObject; publicRaw: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  // SubjectPublicKeyInfo for X25519 is a fixed 12-byte prefix followed by the 32-byte key (RFC 8410 §4).
  const spki = publicKey.export({ format: "der", type: "spki" });
  return { privateKey, publicRaw: spki.subarray(spki.length - 32) };
}

/** Bytes of an ML-KEM-768 encapsulation key (FIPS 203 §8: 384·k + 32, k = 3). */
export const MLKEM768_EK_BYTES = 1184;

/**
 * A key share for X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem §4.1: the ML-KEM-768
 * encapsulation key, 1184 bytes, then an X25519 public key, 32 bytes; 1216 in all).
 * The prober never finishes the handshake, so no decapsulation key is needed; but the
 * encapsulation key must pass the server's FIPS 203 §7.2 modulus check (every 12-bit
 * coefficient below q = 3329), else a correct server refuses it with illegal_parameter.
 * So the 3·256 coefficients are random values below q packed as ByteEncode12 does, and
 * the 32-byte seed rho and the X25519 half are random bytes.
 */
export function x25519Mlkem768Share(): Buffer {
  const q = 3329;
  const coefficients = 3 * 256;
  const packed = Buffer.alloc((coefficients * 12) / 8);
  const random = randomBytes(coefficients * 2);
  for (let i = 0; i < coefficients; i += 2) {
    // Two 12-bit coefficients fill three bytes, little-endian (FIPS 203 Algorithm 5).
    const a = random.readUInt16LE(i * 2) % q;
    const b = random.readUInt16LE(i * 2 + 2) % q;
    const at = (i / 2) * 3;
    packed[at] = a & 0xff;
    packed[at + 1] = (a >> 8) | ((b & 0x0f) << 4);
    packed[at + 2] = b >> 4;
  }
  return Buffer.concat([packed, randomBytes(32), randomBytes(32)]);
}

export function buildClientHello(options: ClientHelloOptions): ClientHello {
  const { version, suites } = options;
  if (!PROTOCOL_VERSIONS.includes(version)) throw new Error(`ClientHello: version 0x${version.toString(16)} is not one of SSLv3 .. TLS 1.3`);
  if (suites.length === 0) throw new Error("ClientHello: no cipher suites to offer");
  for (const suite of suites) {
    if (!Number.isInteger(suite) || suite < 0 || suite > 0xffff) throw new Error(`ClientHello: cipher suite ${suite} is not a 16-bit code point`);
  }
  const groups = options.groups ?? DEFAULT_GROUPS;
  const random = options.random ? Buffer.from(options.random) : randomBytes(32);
  if (random.length !== 32) throw new Error(`ClientHello: random must be 32 bytes, got ${random.length}`);
  const isTls13 = version === TLS13;
  const legacyVersion = isTls13 ? TLS12 : version;

  const offered = [...suites];
  const extensions: Buffer[] = [];
  let x25519PrivateKey: KeyObject | null = null;
  if (version === SSL3) {
    // SSLv3 (RFC 6101) has no extensions; the SCSV signals secure renegotiation instead (RFC 5746 §3.3).
    if (!offered.includes(EMPTY_RENEGOTIATION_INFO_SCSV)) offered.push(EMPTY_RENEGOTIATION_INFO_SCSV);
  } else {
    const name = sniName(options.servername);
    if (name !== null) {
      // ServerNameList of one HostName entry (RFC 6066 §3).
      extensions.push(extension(EXT.serverName, vector(2, Buffer.from([0]), vector(2, Buffer.from(name, "ascii")))));
    }
    extensions.push(extension(EXT.ecPointFormats, vector(1, Buffer.from([0])))); // uncompressed only (RFC 8422 §5.1.2)
    if (groups.length > 0) extensions.push(extension(EXT.supportedGroups, vector(2, uint16List(groups))));
    // RFC 5246 §7.4.1.4.1: signature_algorithms is not sent to servers older than TLS 1.2.
    if (version >= TLS12) {
      extensions.push(extension(EXT.signatureAlgorithms, vector(2, uint16List(options.signatureAlgorithms ?? DEFAULT_SIGNATURE_ALGORITHMS))));
    }
    extensions.push(extension(EXT.extendedMasterSecret, Buffer.alloc(0))); // RFC 7627 §5.1
    extensions.push(extension(EXT.renegotiationInfo, vector(1))); // empty renegotiated_connection (RFC 5746 §3.4)
    if (isTls13) {
      extensions.push(extension(EXT.supportedVersions, vector(1, u16(TLS13)))); // RFC 8446 §4.2.1
      // RFC 8446 §4.2.8: shares only for offered groups; with no share the server answers a HelloRetryRequest.
      const shares: Buffer[] = [];
      for (const group of options.keyShares ?? (groups.includes(GROUP.x25519) ? [GROUP.x25519] : [])) {
        if (!groups.includes(group)) throw new Error(`ClientHello: a key share for group 0x${group.toString(16)}, which is not offered`);
        if (group === GROUP.x25519) {
          const pair = x25519KeyPair();
          x25519PrivateKey = pair.privateKey;
          shares.push(u16(GROUP.x25519), vector(2, pair.publicRaw));
        } else if (group === GROUP.x25519mlkem768) {
          shares.push(u16(group), vector(2, x25519Mlkem768Share()));
        }
      }
      extensions.push(extension(EXT.keyShare, vector(2, ...shares)));
    }
  }

  const compression = options.compressionMethods ?? [0];
  if (compression.length === 0 || compression.some((method) => !Number.isInteger(method) || method < 0 || method > 0xff)) {
    throw new Error(`ClientHello: compression methods ${JSON.stringify(compression)} must be one or more bytes`);
  }
  const sessionId = isTls13 ? vector(1, randomBytes(32)) : vector(1);
  const assemble = (extensionList: Buffer[]): Buffer => {
    const body = Buffer.concat([
      u16(legacyVersion),
      random,
      // A 32-byte session id for TLS 1.3 is the middlebox-compatibility mode (RFC 8446 §D.4); older versions start with none.
      sessionId,
      vector(2, uint16List(offered)),
      vector(1, Buffer.from(compression)),
      ...(extensionList.length > 0 ? [vector(2, ...extensionList)] : []),
    ]);
    return Buffer.concat([Buffer.from([1]), u24(body.length), body]); // msg_type client_hello(1)
  };
  let handshake = assemble(extensions);
  // Some server load balancers hang on hellos of 256 to 511 bytes; the padding extension (RFC 7685 §4)
  // lifts those to 512. Enumeration shrinks the suite list through that range, so it matters here.
  if (extensions.length > 0 && handshake.length >= 256 && handshake.length < 512) {
    extensions.push(extension(EXT.padding, Buffer.alloc(Math.max(1, 512 - handshake.length - 4))));
    handshake = assemble(extensions);
  }
  if (handshake.length > MAX_FRAGMENT) throw new Error(`ClientHello: ${handshake.length} bytes do not fit one record; offer fewer suites`);
  // legacy_record_version 0x0301 for every TLS hello (RFC 8446 §5.1), 0x0300 for SSLv3.
  const record = Buffer.concat([Buffer.from([22]), u16(version === SSL3 ? SSL3 : TLS10), u16(handshake.length), handshake]);
  return { record, random, x25519PrivateKey };
}
