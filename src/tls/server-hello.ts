/**
 * Reads a server's first answer to a ClientHello from a byte stream: a
 * ServerHello (RFC 5246 §7.4.1.3, RFC 8446 §4.1.3), a HelloRetryRequest
 * (RFC 8446 §4.1.4), an alert (RFC 8446 §6), or something that is not TLS.
 * Hand-written for the same reason as client-hello.ts: node:tls hides these
 * messages, and the prober must see them for hellos OpenSSL would never send.
 *
 * Bounded for hostile servers: the reader gives up after a byte cap instead of
 * buffering whatever a server streams, and it never holds more than one record
 * plus the ServerHello message.
 */
import { suiteByCode } from "./cipher-suites.ts";
import { EXT, TLS12 } from "./client-hello.ts";

export interface ServerHello {
  /** legacy_version (the version field of the message). */
  legacyVersion: number;
  /** The negotiated version: supported_versions' selected_version when present, else legacy_version. */
  version: number;
  random: Buffer;
  sessionId: Buffer;
  cipherSuite: number;
  compression: number;
  /** Extension types present, in the order the server sent them. */
  extensions: number[];
  /** renegotiation_info present (RFC 5746 §3.6): the server supports secure renegotiation. */
  secureRenegotiation: boolean;
  /** extended_master_secret present (RFC 7627 §5.2). */
  extendedMasterSecret: boolean;
  /** The group of key_share: the one chosen (ServerHello) or requested (HelloRetryRequest), else null. */
  keyShareGroup: number | null;
  /** RFC 8446 §4.1.3 downgrade sentinel in the random: a TLS 1.3 server answering an older hello. */
  downgradeSentinel: "tls12" | "tls11-or-older" | null;
}

export interface Alert {
  level: number;
  description: number;
  /** The description's registered name, e.g. handshake_failure. */
  name: string;
}

/**
 * What a TLS 1.2-or-older server's key exchange said (RFC 5246 §7.4.3, RFC 8422 §5.4):
 * the named curve of ECDHE, the prime and generator of DHE, none at all (RSA key
 * transport: ServerHelloDone came first), or why it could not be read.
 */
export type ServerKeyExchange =
  | { kind: "ecdhe"; group: number; signatureAlgorithm: number | null }
  | { kind: "ecdhe-explicit"; curveType: number; signatureAlgorithm: number | null }
  | { kind: "dhe"; prime: Buffer; generator: Buffer; signatureAlgorithm: number | null }
  | { kind: "none" }
  | { kind: "unread"; reason: string };

export type ServerAnswer =
  | { kind: "incomplete" }
  | { kind: "server-hello"; hello: ServerHello; keyExchange?: ServerKeyExchange }
  | { kind: "hello-retry-request"; hello: ServerHello }
  | { kind: "alert"; alert: Alert }
  | { kind: "not-tls"; reason: string };

/** SHA-256 of "HelloRetryRequest": the random that marks a HelloRetryRequest (RFC 8446 §4.1.3). */
export const HELLO_RETRY_REQUEST_RANDOM = Buffer.from("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c", "hex");
const DOWNGRADE_TLS12 = Buffer.from("444f574e47524401", "hex");
const DOWNGRADE_TLS11 = Buffer.from("444f574e47524400", "hex");

/** Default cap on what one hello may take: far above any real ServerHello, far below harm. */
export const DEFAULT_MAX_BYTES = 64 * 1024;
/** Largest TLSCiphertext fragment a peer may send (RFC 8446 §5.2: 2^14 + 256; RFC 5246 allowed 2^14 + 2048). */
const MAX_RECORD = (1 << 14) + 2048;

const ALERT_NAMES = new Map<number, string>([
  [0, "close_notify"],
  [10, "unexpected_message"],
  [20, "bad_record_mac"],
  [21, "decryption_failed"],
  [22, "record_overflow"],
  [30, "decompression_failure"],
  [40, "handshake_failure"],
  [41, "no_certificate"],
  [42, "bad_certificate"],
  [43, "unsupported_certificate"],
  [44, "certificate_revoked"],
  [45, "certificate_expired"],
  [46, "certificate_unknown"],
  [47, "illegal_parameter"],
  [48, "unknown_ca"],
  [49, "access_denied"],
  [50, "decode_error"],
  [51, "decrypt_error"],
  [60, "export_restriction"],
  [70, "protocol_version"],
  [71, "insufficient_security"],
  [80, "internal_error"],
  [86, "inappropriate_fallback"],
  [90, "user_canceled"],
  [100, "no_renegotiation"],
  [109, "missing_extension"],
  [110, "unsupported_extension"],
  [111, "certificate_unobtainable"],
  [112, "unrecognized_name"],
  [113, "bad_certificate_status_response"],
  [114, "bad_certificate_hash_value"],
  [115, "unknown_psk_identity"],
  [116, "certificate_required"],
  [120, "no_application_protocol"],
]);

export function alertName(description: number): string {
  return ALERT_NAMES.get(description) ?? `alert_${description}`;
}

class Malformed extends Error {}

/** A cursor over a message body that throws Malformed instead of reading past the end. */
class Cursor {
  private offset = 0;
  private readonly bytes: Buffer;
  private readonly what: string;
  constructor(bytes: Buffer, what: string) {
    this.bytes = bytes;
    this.what = what;
  }
  get remaining(): number {
    return this.bytes.length - this.offset;
  }
  take(length: number): Buffer {
    if (length > this.remaining) throw new Malformed(`${this.what}: needs ${length} bytes, ${this.remaining} left`);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
  u8(): number {
    return this.take(1).readUInt8(0);
  }
  u16(): number {
    return this.take(2).readUInt16BE(0);
  }
}

/** Parses a ServerHello body (after the 4-byte handshake header). Throws on a malformed one. */
export function parseServerHelloBody(body: Buffer): { hello: ServerHello; retry: boolean } {
  const cursor = new Cursor(body, "ServerHello");
  const legacyVersion = cursor.u16();
  const random = Buffer.from(cursor.take(32));
  const sessionIdLength = cursor.u8();
  if (sessionIdLength > 32) throw new Malformed(`ServerHello: session id of ${sessionIdLength} bytes (at most 32)`);
  const sessionId = Buffer.from(cursor.take(sessionIdLength));
  const cipherSuite = cursor.u16();
  const compression = cursor.u8();
  const retry = random.equals(HELLO_RETRY_REQUEST_RANDOM);
  const extensions: number[] = [];
  let version = legacyVersion;
  let secureRenegotiation = false;
  let extendedMasterSecret = false;
  let keyShareGroup: number | null = null;
  if (cursor.remaining > 0) {
    const block = new Cursor(cursor.take(cursor.u16()), "ServerHello extensions");
    if (cursor.remaining !== 0) throw new Malformed(`ServerHello: ${cursor.remaining} bytes after the extensions`);
    while (block.remaining > 0) {
      const type = block.u16();
      const data = new Cursor(block.take(block.u16()), `extension ${type}`);
      if (extensions.includes(type)) throw new Malformed(`ServerHello: extension ${type} appears twice`);
      extensions.push(type);
      if (type === EXT.supportedVersions) {
        version = data.u16();
      } else if (type === EXT.renegotiationInfo) {
        data.take(data.u8());
        secureRenegotiation = true;
      } else if (type === EXT.extendedMasterSecret) {
        extendedMasterSecret = true;
      } else if (type === EXT.keyShare) {
        keyShareGroup = data.u16();
      }
    }
  }
  const tail = random.subarray(24);
  const downgradeSentinel = tail.equals(DOWNGRADE_TLS12) ? "tls12" : tail.equals(DOWNGRADE_TLS11) ? "tls11-or-older" : null;
  return {
    hello: { legacyVersion, version, random, sessionId, cipherSuite, compression, extensions, secureRenegotiation, extendedMasterSecret, keyShareGroup, downgradeSentinel },
    retry,
  };
}

/**
 * Reads the parameters at the start of a ServerKeyExchange. Which layout applies
 * depends on the suite's key exchange, which the caller chose by what it offered;
 * the message tells them apart well enough: an ECDHE one starts with curve_type 3
 * (named_curve) and a two-byte group, a DHE one with the prime's length. The
 * signature algorithm follows the parameters in TLS 1.2 (RFC 5246 §7.4.3).
 */
export function parseServerKeyExchange(body: Buffer, hello: ServerHello): ServerKeyExchange {
  const cursor = new Cursor(body, "ServerKeyExchange");
  const signatureAlgorithm = (): number | null => (hello.version === TLS12 && cursor.remaining >= 2 ? cursor.u16() : null);
  const kx = keyExchangeOf(hello.cipherSuite);
  if (kx === "ECDHE") {
    const curveType = cursor.u8();
    if (curveType !== 3) return { kind: "ecdhe-explicit", curveType, signatureAlgorithm: null };
    const group = cursor.u16();
    cursor.take(cursor.u8()); // the server's public point
    return { kind: "ecdhe", group, signatureAlgorithm: signatureAlgorithm() };
  }
  if (kx === "DHE") {
    const prime = Buffer.from(cursor.take(cursor.u16()));
    const generator = Buffer.from(cursor.take(cursor.u16()));
    cursor.take(cursor.u16()); // the server's public value
    return { kind: "dhe", prime, generator, signatureAlgorithm: signatureAlgorithm() };
  }
  return { kind: "unread", reason: `ServerKeyExchange for a ${kx} suite is not read` };
}

/** The ServerKeyExchange layout of a suite: anonymous (EC)DH sends ephemeral parameters just as (EC)DHE does. */
function keyExchangeOf(code: number): string {
  const suite = suiteByCode(code);
  if (!suite) return "unknown";
  if (suite.anonymous && suite.keyExchange === "DH") return "DHE";
  if (suite.anonymous && suite.keyExchange === "ECDH") return "ECDHE";
  return suite.keyExchange;
}

/**
 * Feed it the server's bytes as they arrive; each push answers "incomplete" until
 * the first handshake message or an alert is complete, or the bytes cannot be TLS.
 */
export class ServerHelloReader {
  private pending: Buffer = Buffer.alloc(0);
  private handshake: Buffer = Buffer.alloc(0);
  private total = 0;
  private done: ServerAnswer | null = null;
  private readonly maxBytes: number;
  private readonly readKeyExchange: boolean;
  /** A TLS 1.2-or-older ServerHello read while the reader goes on to the ServerKeyExchange. */
  private held: ServerHello | null = null;

  /**
   * With readKeyExchange, a ServerHello of TLS 1.2 or older is not the end: the
   * reader goes on through Certificate (and CertificateStatus, CertificateRequest)
   * to the ServerKeyExchange or ServerHelloDone, all within the same byte cap.
   */
  constructor(maxBytes = DEFAULT_MAX_BYTES, options: { readKeyExchange?: boolean } = {}) {
    this.maxBytes = maxBytes;
    this.readKeyExchange = options.readKeyExchange ?? false;
  }

  push(chunk: Uint8Array): ServerAnswer {
    if (this.done) return this.done;
    this.total += chunk.length;
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    let answer = this.drain();
    if (answer.kind === "incomplete" && this.total > this.maxBytes) {
      answer = { kind: "not-tls", reason: this.held ? `no ServerKeyExchange within ${this.maxBytes} bytes` : `no complete ServerHello within ${this.maxBytes} bytes` };
    }
    if (answer.kind === "incomplete") return answer;
    // Whatever ends the flight after a ServerHello (an alert, a cap, odd bytes) leaves the hello valid.
    if (this.held && answer.kind !== "server-hello") answer = this.heldAnswer(answer.kind === "alert" ? `alert ${answer.alert.name}` : answer.kind === "not-tls" ? answer.reason : answer.kind);
    return this.finish(answer);
  }

  /**
   * When the connection ends or times out: the ServerHello already read with the
   * key exchange unread (why), or null when no ServerHello came.
   */
  interrupted(reason: string): ServerAnswer | null {
    if (this.done) return this.done;
    return this.held ? this.finish(this.heldAnswer(reason)) : null;
  }

  private heldAnswer(reason: string): ServerAnswer {
    if (!this.held) throw new Error("no ServerHello held");
    return { kind: "server-hello", hello: this.held, keyExchange: { kind: "unread", reason } };
  }

  private finish(answer: ServerAnswer): ServerAnswer {
    this.done = answer;
    this.pending = Buffer.alloc(0);
    this.handshake = Buffer.alloc(0);
    return answer;
  }

  private drain(): ServerAnswer {
    for (;;) {
      if (this.pending.length < 5) return this.earlyCheck();
      const type = this.pending.readUInt8(0);
      const major = this.pending.readUInt8(1);
      const length = this.pending.readUInt16BE(3);
      const header = this.recordHeaderProblem(type, major, length);
      if (header) return { kind: "not-tls", reason: header };
      if (this.pending.length < 5 + length) return { kind: "incomplete" };
      const fragment = this.pending.subarray(5, 5 + length);
      this.pending = this.pending.subarray(5 + length);
      if (type === 21) {
        if (length !== 2) return { kind: "not-tls", reason: `alert record of ${length} bytes (an alert is 2)` };
        const description = fragment.readUInt8(1);
        return { kind: "alert", alert: { level: fragment.readUInt8(0), description, name: alertName(description) } };
      }
      this.handshake = Buffer.concat([this.handshake, fragment]);
      if (this.held) {
        const after = this.afterHello();
        if (after.kind === "incomplete") continue;
        return after;
      }
      if (this.handshake.length < 4) continue;
      const messageType = this.handshake.readUInt8(0);
      if (messageType !== 2) return { kind: "not-tls", reason: `first handshake message has type ${messageType}, not ServerHello (2)` };
      const messageLength = this.handshake.readUIntBE(1, 3);
      if (messageLength > this.maxBytes) return { kind: "not-tls", reason: `ServerHello claims ${messageLength} bytes (cap ${this.maxBytes})` };
      if (this.handshake.length < 4 + messageLength) continue;
      try {
        const { hello, retry } = parseServerHelloBody(this.handshake.subarray(4, 4 + messageLength));
        if (this.readKeyExchange && !retry && hello.version <= TLS12) {
          this.held = hello;
          this.handshake = this.handshake.subarray(4 + messageLength);
          const after = this.afterHello();
          if (after.kind === "incomplete") continue;
          return after;
        }
        return retry ? { kind: "hello-retry-request", hello } : { kind: "server-hello", hello };
      } catch (error) {
        if (error instanceof Malformed) return { kind: "not-tls", reason: `malformed ${error.message}` };
        throw error;
      }
    }
  }

  /** Reads the handshake messages after the ServerHello up to ServerKeyExchange or ServerHelloDone. */
  private afterHello(): ServerAnswer {
    const hello = this.held;
    if (!hello) return { kind: "incomplete" };
    while (this.handshake.length >= 4) {
      const type = this.handshake.readUInt8(0);
      const length = this.handshake.readUIntBE(1, 3);
      if (length > this.maxBytes) return this.heldAnswer(`handshake message ${type} claims ${length} bytes (cap ${this.maxBytes})`);
      if (this.handshake.length < 4 + length) return { kind: "incomplete" };
      const body = this.handshake.subarray(4, 4 + length);
      this.handshake = this.handshake.subarray(4 + length);
      // Certificate (11), CertificateStatus (22), CertificateRequest (13) come before or around it; skipped.
      if (type === 11 || type === 22 || type === 13) continue;
      if (type === 14) return { kind: "server-hello", hello, keyExchange: { kind: "none" } };
      if (type !== 12) return this.heldAnswer(`handshake message ${type} where ServerKeyExchange was expected`);
      try {
        return { kind: "server-hello", hello, keyExchange: parseServerKeyExchange(body, hello) };
      } catch (error) {
        if (error instanceof Malformed) return this.heldAnswer(`malformed ${error.message}`);
        throw error;
      }
    }
    return { kind: "incomplete" };
  }

  /** Rejects garbage from its first byte, so an HTTP or SSH banner is named at once rather than after a timeout. */
  private earlyCheck(): ServerAnswer {
    if (this.pending.length === 0) return { kind: "incomplete" };
    const type = this.pending.readUInt8(0);
    const major = this.pending.length >= 2 ? this.pending.readUInt8(1) : 3;
    const problem = this.recordHeaderProblem(type, major, 0);
    return problem ? { kind: "not-tls", reason: problem } : { kind: "incomplete" };
  }

  private recordHeaderProblem(type: number, major: number, length: number): string | null {
    if (type !== 21 && type !== 22) {
      const preview = this.pending.subarray(0, 8).toString("latin1").replace(/[^\x20-\x7e]/g, ".");
      return `record type ${type} where a handshake or alert record was expected (starts "${preview}")`;
    }
    if (major !== 3) return `record version major ${major}, not 3`;
    if (length > MAX_RECORD) return `record of ${length} bytes exceeds the ${MAX_RECORD}-byte limit`;
    return null;
  }
}

/** Reads a complete byte string at once (for recorded answers and tests). */
export function readServerAnswer(bytes: Uint8Array, maxBytes = DEFAULT_MAX_BYTES, options: { readKeyExchange?: boolean } = {}): ServerAnswer {
  return new ServerHelloReader(maxBytes, options).push(bytes);
}
