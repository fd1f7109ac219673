/**
 * DANE TLSA matching (RFC 6698, RFC 7671, mnemonics of RFC 7218): does a
 * TLSA record set authenticate the chain a server presented?
 *
 * - DANE-EE (3): the leaf's certificate or key matches; no PKIX, no name or
 *   expiry checks (RFC 7671 §5.1).
 * - DANE-TA (2): a certificate of the presented chain matches and the chain
 *   from the leaf up to it verifies; the host name must match (§5.2).
 * - PKIX-TA (0) / PKIX-EE (1): as 2 / 3, and the chain must also validate
 *   to a trusted root (the PKIX path may include a root the server did not send).
 *
 * Selectors: 0 the whole certificate, 1 its SubjectPublicKeyInfo. Matching
 * types: 0 exact, 1 SHA-256, 2 SHA-512. Records with other values are
 * unusable and ignored (RFC 7671 §4.1), as are digests of the wrong length.
 */
import { createHash, X509Certificate } from "node:crypto";
import { certificateParts } from "./certificate-der.ts";

export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  /** Certificate association data. */
  data: Buffer;
}

export const USAGE_NAMES: Record<number, string> = { 0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE" };

export class TlsaParseError extends Error {
  override name = "TlsaParseError";
}

/**
 * Parses a TLSA record's presentation form: "3 1 1 ABCDEF..." (the hex may
 * be split by spaces), or RFC 3597's generic "\# 35 030101ABCD...".
 */
export function parseTlsa(text: string): TlsaRecord {
  const trimmed = text.trim();
  if (trimmed.startsWith("\\#")) {
    const [, lengthText, ...hexParts] = trimmed.split(/\s+/);
    const bytes = Buffer.from(hexParts.join(""), "hex");
    if (!/^\d+$/.test(lengthText ?? "") || bytes.length !== Number(lengthText) || bytes.length < 3) throw new TlsaParseError(`unreadable generic TLSA data "${short(text)}"`);
    return { usage: bytes[0] as number, selector: bytes[1] as number, matchingType: bytes[2] as number, data: Buffer.from(bytes.subarray(3)) };
  }
  const match = /^(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})\s+([0-9a-fA-F\s]*)$/.exec(trimmed);
  if (!match) throw new TlsaParseError(`unreadable TLSA record "${short(text)}"`);
  const hex = (match[4] ?? "").replace(/\s+/g, "");
  if (hex.length % 2 !== 0) throw new TlsaParseError(`odd number of hex digits in TLSA record "${short(text)}"`);
  const [usage, selector, matchingType] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  if (usage > 255 || selector > 255 || matchingType > 255) throw new TlsaParseError(`TLSA field over 255 in "${short(text)}"`);
  return { usage, selector, matchingType, data: Buffer.from(hex, "hex") };
}

/** Presentation form, lower-case hex, digest shortened for evidence. */
export function formatTlsa(record: TlsaRecord, maxHex = 128): string {
  const hex = record.data.toString("hex");
  return `${record.usage} ${record.selector} ${record.matchingType} ${hex.length > maxHex ? `${hex.slice(0, maxHex)}...` : hex}`;
}

/** Why a record cannot be used, or null when it can. */
export function unusableReason(record: TlsaRecord): string | null {
  if (!(record.usage in USAGE_NAMES)) return `unknown certificate usage ${record.usage}`;
  if (record.selector !== 0 && record.selector !== 1) return `unknown selector ${record.selector}`;
  if (record.matchingType === 1 && record.data.length !== 32) return `SHA-256 data of ${record.data.length} bytes (32 expected)`;
  if (record.matchingType === 2 && record.data.length !== 64) return `SHA-512 data of ${record.data.length} bytes (64 expected)`;
  if (record.matchingType > 2) return `unknown matching type ${record.matchingType}`;
  if (record.data.length === 0) return "empty certificate association data";
  return null;
}

/** The bytes a record's selector and matching type compare with the record's data. */
export function associationData(certDer: Buffer, selector: number, matchingType: number): Buffer {
  const selected = selector === 0 ? certDer : certificateParts(certDer).spki;
  if (matchingType === 1) return createHash("sha256").update(selected).digest();
  if (matchingType === 2) return createHash("sha512").update(selected).digest();
  return selected;
}

export interface DaneContext {
  /** The chain as presented, leaf first (DER). */
  chain: readonly Buffer[];
  /** The PKIX validation result (certificate.ts judgeTrust) and its path, leaf first, anchor last. */
  pkixTrusted: boolean;
  pkixPath: readonly Buffer[];
  /** The leaf matches the host name (needed for usages 0, 1, 2). */
  hostnameMatches: boolean;
  /**
   * The certificate usages that count; others are unusable. SMTP (RFC 7672
   * §3.1.3) counts only DANE-TA(2) and DANE-EE(3): an MTA has no agreed set
   * of trusted roots, so PKIX-TA(0) and PKIX-EE(1) records are unusable there.
   * Default: all four.
   */
  usages?: readonly number[];
}

export interface RecordMatch {
  record: string;
  usage: string;
  usable: boolean;
  /** The record authenticates the server. */
  matched: boolean;
  /** Index in the chain (or PKIX path for PKIX-TA) of the certificate it matched, or null. */
  matchedDepth: number | null;
  /** Why it did or did not authenticate, one line. */
  note: string;
}

export interface DaneVerdict {
  /** At least one usable record authenticates the server. */
  valid: boolean;
  usableRecords: number;
  records: RecordMatch[];
  /** One line for a report. */
  reason: string;
}

/** Matches every record against the chain; valid when one usable record authenticates it. */
export function matchTlsa(records: readonly TlsaRecord[], context: DaneContext): DaneVerdict {
  const results = records.slice(0, 50).map((record) => matchOne(record, context));
  const usable = results.filter((result) => result.usable).length;
  const winner = results.find((result) => result.matched);
  let reason: string;
  if (records.length === 0) reason = "no TLSA records";
  else if (usable === 0) reason = "no usable TLSA record (unknown usage, selector or matching type, or a digest of the wrong length)";
  else if (winner) reason = `${winner.record} (${winner.usage}) matches the ${winner.matchedDepth === 0 ? "leaf certificate" : `certificate at depth ${winner.matchedDepth}`}`;
  else reason = results.find((result) => result.usable)?.note ?? "no TLSA record matches";
  return { valid: winner !== undefined, usableRecords: usable, records: results, reason };
}

function matchOne(record: TlsaRecord, context: DaneContext): RecordMatch {
  const base = { record: formatTlsa(record, 64), usage: USAGE_NAMES[record.usage] ?? `usage ${record.usage}` };
  const unusable = unusableReason(record) ?? (context.usages && !context.usages.includes(record.usage) ? `usage ${base.usage} does not count for this service (RFC 7672 §3.1.3: SMTP uses DANE-TA and DANE-EE only)` : null);
  if (unusable) return { ...base, usable: false, matched: false, matchedDepth: null, note: unusable };
  const leaf = context.chain[0];
  if (!leaf) return { ...base, usable: true, matched: false, matchedDepth: null, note: "the server presented no certificate" };
  const matches = (der: Buffer): boolean => {
    try {
      return associationData(der, record.selector, record.matchingType).equals(record.data);
    } catch {
      return false;
    }
  };
  switch (record.usage) {
    case 3:
      return matches(leaf)
        ? { ...base, usable: true, matched: true, matchedDepth: 0, note: "matches the leaf" }
        : { ...base, usable: true, matched: false, matchedDepth: null, note: `${base.record} does not match the leaf certificate` };
    case 1: {
      if (!matches(leaf)) return { ...base, usable: true, matched: false, matchedDepth: null, note: `${base.record} does not match the leaf certificate` };
      if (!context.pkixTrusted) return { ...base, usable: true, matched: false, matchedDepth: 0, note: "matches the leaf, but PKIX-EE also needs a chain to a trusted root, which fails" };
      if (!context.hostnameMatches) return { ...base, usable: true, matched: false, matchedDepth: 0, note: "matches the leaf, but the certificate is not for this host name" };
      return { ...base, usable: true, matched: true, matchedDepth: 0, note: "matches the leaf, PKIX valid" };
    }
    case 2: {
      const depth = context.chain.findIndex((der) => matches(der));
      if (depth < 0) return { ...base, usable: true, matched: false, matchedDepth: null, note: `${base.record} matches no certificate the server presented` };
      if (!chainVerifiesUpTo(context.chain, depth)) return { ...base, usable: true, matched: false, matchedDepth: depth, note: `matches the certificate at depth ${depth}, but the chain below it does not verify` };
      if (!context.hostnameMatches) return { ...base, usable: true, matched: false, matchedDepth: depth, note: `matches the certificate at depth ${depth}, but the leaf is not for this host name` };
      return { ...base, usable: true, matched: true, matchedDepth: depth, note: `matches the certificate at depth ${depth}` };
    }
    default: {
      // PKIX-TA: a CA certificate of the validated path (not the leaf).
      const depth = context.pkixPath.findIndex((der, index) => index > 0 && matches(der));
      if (depth < 0) return { ...base, usable: true, matched: false, matchedDepth: null, note: `${base.record} matches no CA certificate of the PKIX path` };
      if (!context.pkixTrusted) return { ...base, usable: true, matched: false, matchedDepth: depth, note: "matches a CA of the path, but PKIX validation fails" };
      if (!context.hostnameMatches) return { ...base, usable: true, matched: false, matchedDepth: depth, note: "matches a CA of the path, but the leaf is not for this host name" };
      return { ...base, usable: true, matched: true, matchedDepth: depth, note: `matches the PKIX path at depth ${depth}` };
    }
  }
}

/** chain[i] is issued and signed by chain[i+1] for every i below `depth`. */
function chainVerifiesUpTo(chain: readonly Buffer[], depth: number): boolean {
  try {
    const certs = chain.slice(0, depth + 1).map((der) => new X509Certificate(der));
    for (let i = 0; i < depth; i++) {
      const cert = certs[i] as X509Certificate;
      const issuer = certs[i + 1] as X509Certificate;
      if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function short(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
