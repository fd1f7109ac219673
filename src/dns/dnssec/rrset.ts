/**
 * Verifying one RRset against its RRSIGs and a zone's DNSKEYs (RFC 4035
 * §5.3), and a zone's DNSKEY RRset against the DS records its parent
 * publishes (RFC 4035 §5.2). Each failure carries a reason a person can act
 * on: which record, which zone, what failed.
 */
import { LRUCache } from "lru-cache";
import type { ResourceRecord } from "../types.ts";
import { canonicalName, isSubdomain, labelCount, rdataFor, signedData, type DnskeyData, type DsData, type RrsigData } from "../wire.ts";
import { dsDigest, isSupportedAlgorithm, isSupportedDigest, keyTag, verifySignature } from "./crypto.ts";

/** DNSKEY flag bit 7, the Zone Key flag (RFC 4034 §2.1.1). */
const ZONE_KEY_FLAG = 0x0100;
/** DNSKEY flag bit 8, REVOKE (RFC 5011 §2.1): a revoked key signs nothing. */
const REVOKE_FLAG = 0x0080;

export type RrsetVerdict =
  | { ok: true; signer: string; keyTag: number; algorithm: number; wildcard: string | undefined }
  | { ok: false; reason: string };

/**
 * Is `rrset` (all one owner, type and class) validly signed by one of
 * `keys`, the DNSKEYs of `zone`? One good signature suffices (RFC 4035
 * §5.3.3). `now` is in seconds since the epoch.
 */
export function verifyRrset(rrset: readonly ResourceRecord[], rrsigs: readonly ResourceRecord[], keys: readonly ResourceRecord[], zone: string, now: number): RrsetVerdict {
  const first = rrset[0];
  if (!first) return { ok: false, reason: "empty RRset" };
  const owner = canonicalName(first.name);
  const what = `${owner} ${first.type}`;
  const covering = rrsigs.map((record) => ({ record, sig: record.data as RrsigData })).filter(({ sig }) => sig.typeCovered === first.type);
  if (covering.length === 0) return { ok: false, reason: `no RRSIG for ${what} (zone ${canonicalName(zone)} is signed)` };

  const failures: string[] = [];
  for (const { record, sig } of covering) {
    const signer = canonicalName(sig.signersName);
    if (signer !== canonicalName(zone)) {
      failures.push(`RRSIG for ${what} is signed by ${signer}, not by its zone ${canonicalName(zone)}`);
      continue;
    }
    if (!isSubdomain(owner, signer)) {
      failures.push(`RRSIG for ${what} is signed by ${signer}, which does not contain ${owner}`);
      continue;
    }
    if (!isSupportedAlgorithm(sig.algorithm)) {
      failures.push(`RRSIG for ${what} uses unsupported algorithm ${sig.algorithm}`);
      continue;
    }
    const ownerLabels = labelCount(owner);
    if (sig.labels > ownerLabels) {
      failures.push(`RRSIG for ${what} claims ${sig.labels} labels, more than the owner has`);
      continue;
    }
    if (serialLessThan(now, sig.inception)) {
      failures.push(`RRSIG for ${what} is not valid before ${isoTime(sig.inception)}`);
      continue;
    }
    if (serialLessThan(sig.expiration, now)) {
      failures.push(`RRSIG for ${what} expired at ${isoTime(sig.expiration)}`);
      continue;
    }
    const candidates = keys.filter((key) => {
      const data = key.data as DnskeyData;
      // RFC 4034 §2.1.2: a key whose protocol is not 3 is invalid for DNSSEC.
      return data.protocol === 3 && data.algorithm === sig.algorithm && (data.flags & ZONE_KEY_FLAG) !== 0 && (data.flags & REVOKE_FLAG) === 0 && keyTag(rdataFor(key)) === sig.keyTag;
    });
    if (candidates.length === 0) {
      failures.push(`RRSIG for ${what} names key tag ${sig.keyTag} (algorithm ${sig.algorithm}), which is not a usable zone key in the DNSKEY set of ${signer}`);
      continue;
    }
    const data = signedData(record, [...rrset]);
    for (const key of candidates) {
      if (verifiedBefore(sig, key, data) || verifySignatureRemembered(sig, key, data)) {
        const wildcard = sig.labels < ownerLabels ? wildcardName(owner, sig.labels) : undefined;
        return { ok: true, signer, keyTag: sig.keyTag, algorithm: sig.algorithm, wildcard };
      }
    }
    failures.push(`RRSIG for ${what} by key tag ${sig.keyTag} does not verify (signature or data altered)`);
  }
  return { ok: false, reason: failures[0] ?? `no usable RRSIG for ${what}` };
}

export type KeysetVerdict =
  | { status: "secure"; keys: ResourceRecord[] }
  | { status: "insecure"; reason: string }
  | { status: "bogus"; reason: string };

/**
 * Authenticates a zone's DNSKEY RRset from the DS RRset its parent
 * published (already validated): some DS must match a DNSKEY that signs
 * the whole DNSKEY RRset. When no DS uses a supported digest and algorithm,
 * the zone is treated as unsigned (RFC 4035 §5.2, RFC 6840 §5.2).
 */
export function verifyKeyset(zone: string, dnskeys: readonly ResourceRecord[], rrsigs: readonly ResourceRecord[], dsSet: readonly ResourceRecord[], now: number): KeysetVerdict {
  const name = canonicalName(zone);
  const usable = dsSet.map((record) => record.data as DsData).filter((ds) => isSupportedDigest(ds.digestType) && isSupportedAlgorithm(ds.algorithm));
  if (usable.length === 0) {
    const algorithms = [...new Set(dsSet.map((record) => `${(record.data as DsData).algorithm}/${(record.data as DsData).digestType}`))].join(", ");
    return { status: "insecure", reason: `every DS for ${name} uses an unsupported algorithm or digest (${algorithms})` };
  }
  if (dnskeys.length === 0) return { status: "bogus", reason: `${name} has DS records in its parent but no DNSKEY records` };

  const failures: string[] = [];
  for (const ds of usable) {
    const matching = dnskeys.filter((key) => {
      const data = key.data as DnskeyData;
      if (data.algorithm !== ds.algorithm || keyTag(rdataFor(key)) !== ds.keyTag) return false;
      const digest = dsDigest(name, rdataFor(key), ds.digestType);
      return digest !== undefined && Buffer.from(digest).equals(Buffer.from(ds.digest));
    });
    if (matching.length === 0) {
      failures.push(`DS ${ds.keyTag}/${ds.algorithm}/${ds.digestType} for ${name} matches no DNSKEY of ${name}`);
      continue;
    }
    const verdict = verifyRrset(dnskeys, rrsigs, matching, name, now);
    if (verdict.ok) return { status: "secure", keys: [...dnskeys] };
    failures.push(`DNSKEY set of ${name} is not signed by the key of DS ${ds.keyTag}: ${verdict.reason}`);
  }
  return { status: "bogus", reason: failures[0] ?? `no DS for ${name} authenticates its DNSKEY set` };
}

/**
 * Signatures already verified, by signature bytes: the same RRSIG over the
 * same octets with the same key verifies the same way every time, and a
 * resolver meets the same NSEC proofs and wildcard RRsets again and again.
 * The cache keeps the signed octets and the key and compares them whole, so
 * a hit is exactly a repeat. Validity times are still checked on every use.
 */
const verified = new LRUCache<string, { data: Buffer; key: Buffer }>({ max: 20_000 });

function signatureKey(sig: RrsigData): string {
  return Buffer.from(sig.signature).toString("base64");
}

function verifiedBefore(sig: RrsigData, key: ResourceRecord, data: Uint8Array): boolean {
  const entry = verified.get(signatureKey(sig));
  return entry !== undefined && entry.data.equals(data) && entry.key.equals((key.data as DnskeyData).key);
}

function verifySignatureRemembered(sig: RrsigData, key: ResourceRecord, data: Uint8Array): boolean {
  const publicKey = (key.data as DnskeyData).key;
  if (!verifySignature(sig.algorithm, publicKey, data, sig.signature)) return false;
  verified.set(signatureKey(sig), { data: Buffer.from(data), key: Buffer.from(publicKey) });
  return true;
}

/**
 * RFC 1982 serial number comparison, as RFC 4034 §3.1.5 requires for
 * signature times (they wrap in 2106).
 */
export function serialLessThan(a: number, b: number): boolean {
  const difference = (b - a) >>> 0;
  return difference !== 0 && difference < 0x80000000;
}

function isoTime(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 16)}Z`;
}

/** "*.example." for owner "a.b.example." signed with labels=1. */
function wildcardName(owner: string, labels: number): string {
  const parts = owner.split(".").filter(Boolean);
  return `*.${parts.slice(parts.length - labels).join(".")}.`;
}
