/**
 * One-hello probes of single protocol features, each answering what the
 * server did with a hello built to test it: whether it signs its key exchange
 * with SHA-1 when offered nothing better, and whether it takes TLS compression.
 * Secure renegotiation and extended master secret need no probe of their own:
 * they are read from the ServerHellos of the version probes.
 */
import { TLS12 } from "./client-hello.ts";
import { DHE_SUITES, ECDHE_SUITES } from "./key-exchange.ts";
import { offer, type ProbeOptions } from "./probe.ts";

/** rsa_pkcs1_sha1, ecdsa_sha1 (RFC 8446 §4.2.3) and dsa_sha1 (RFC 5246 §7.4.1.4.1). */
export const SHA1_SIGNATURE_ALGORITHMS: readonly number[] = [0x0201, 0x0203, 0x0202];

export interface Sha1Result {
  /** accepted: the server completed its key exchange under SHA-1 only; refused: it would not; not-applicable: no (EC)DHE suite at TLS 1.2. */
  outcome: "accepted" | "refused" | "not-applicable" | "error";
  /** The signature algorithm of the ServerKeyExchange, when one came. */
  signatureAlgorithm: number | null;
  detail: string;
}

/**
 * A TLS 1.2 hello offering only SHA-1 signature algorithms and the (EC)DHE
 * suites, whose ServerKeyExchange is signed with one of them. A server that
 * answers with a signed ServerKeyExchange uses SHA-1 for its key exchange
 * (internet.nl's "hash function for key exchange": success is a failure).
 * A ServerHello followed by an alert instead of a key exchange is a refusal.
 */
export async function sha1KeyExchange(host: string, port: number, options: ProbeOptions = {}): Promise<Sha1Result> {
  const result = await offer(host, port, {
    ...options,
    version: TLS12,
    suites: [...ECDHE_SUITES, ...DHE_SUITES],
    signatureAlgorithms: SHA1_SIGNATURE_ALGORITHMS,
    readKeyExchange: true,
  });
  if ("error" in result) return { outcome: "error", signatureAlgorithm: null, detail: result.error };
  if ("refused" in result) return { outcome: "refused", signatureAlgorithm: null, detail: `refused: ${result.refused.reason}` };
  const kx = result.accepted.keyExchange;
  if (result.accepted.version !== TLS12) return { outcome: "not-applicable", signatureAlgorithm: null, detail: "the server does not speak TLS 1.2" };
  if (kx === undefined || kx.kind === "unread") {
    return { outcome: "refused", signatureAlgorithm: null, detail: `ServerHello, then no key exchange (${kx?.reason ?? "not read"})` };
  }
  if (kx.kind === "none") return { outcome: "not-applicable", signatureAlgorithm: null, detail: "the server chose a suite without a signed key exchange" };
  const signatureAlgorithm = kx.signatureAlgorithm;
  const hex = signatureAlgorithm === null ? "none" : `0x${signatureAlgorithm.toString(16).padStart(4, "0")}`;
  // A server that signs with an algorithm it was not offered breaks RFC 5246 §7.4.1.4.1; the client aborts, so no SHA-1 handshake happens.
  if (signatureAlgorithm === null || !SHA1_SIGNATURE_ALGORITHMS.includes(signatureAlgorithm)) {
    return { outcome: "refused", signatureAlgorithm, detail: `signed its key exchange with ${hex}, which was not offered, so the handshake cannot complete` };
  }
  return { outcome: "accepted", signatureAlgorithm, detail: `signed its key exchange with signature algorithm ${hex}` };
}

export interface CompressionResult {
  /** The compression method the server chose (0 null, 1 DEFLATE), or null when it refused or the probe failed. */
  method: number | null;
  detail: string;
  error: string | null;
}

/** A hello offering DEFLATE (RFC 3749) before null, with suites the server is known to take at this version. */
export async function compression(host: string, port: number, version: number, suites: readonly number[], options: ProbeOptions = {}): Promise<CompressionResult> {
  const result = await offer(host, port, { ...options, version, suites, compressionMethods: [1, 0] });
  if ("error" in result) return { method: null, detail: result.error, error: result.error };
  if ("refused" in result) return { method: null, detail: `refused: ${result.refused.reason}`, error: null };
  const method = result.accepted.hello.compression;
  return { method, detail: method === 0 ? "chose no compression" : `chose compression method ${method}${method === 1 ? " (DEFLATE)" : ""}`, error: null };
}
