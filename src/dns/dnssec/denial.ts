/**
 * Authenticated denial of existence: proving from NSEC (RFC 4035 §5.4,
 * RFC 6840 §4) or NSEC3 (RFC 5155 §8) records that a name does not exist,
 * that it has no data of a type, that a wildcard answer was rightly
 * synthesised, or that a delegation has no DS (an insecure delegation).
 *
 * The records given here must already be verified (their RRSIGs checked);
 * these functions only reason about what the verified records say.
 */
import type { ResourceRecord } from "../types.ts";
import { canonicalName, compareCanonicalNames, isSubdomain, typeBitmapIncludes, type Nsec3Data, type NsecData } from "../wire.ts";
import { base32hexEncode, nsec3Hash } from "./crypto.ts";

/** Beyond this many extra NSEC3 iterations a proof is not trusted, as Unbound does by default (RFC 9276 §3.2). */
export const MAX_NSEC3_ITERATIONS = 150;
const NSEC3_OPT_OUT = 0x01;
const NSEC3_SHA1 = 1;

export type DenialVerdict =
  | { ok: true; insecure?: string }
  | { ok: false; reason: string };

export interface DenialRecords {
  nsec: ResourceRecord[];
  nsec3: ResourceRecord[];
}

/** Proof that `qname` does not exist (NXDOMAIN) in `zone`. */
export function proveNameError(qname: string, zone: string, records: DenialRecords): DenialVerdict {
  const name = canonicalName(qname);
  if (records.nsec.length > 0) {
    const cover = records.nsec.find((record) => nsecCovers(record, name));
    if (!cover) return { ok: false, reason: `no NSEC record proves that ${name} does not exist` };
    const encloser = nsecClosestEncloser(name, cover);
    const wildcard = `*.${encloser === "." ? "" : encloser}`;
    if (records.nsec.some((record) => sameName(record.name, wildcard))) return { ok: false, reason: `NXDOMAIN for ${name}, but the wildcard ${wildcard} exists` };
    if (!records.nsec.some((record) => nsecCovers(record, wildcard))) return { ok: false, reason: `no NSEC record proves that the wildcard ${wildcard} does not exist` };
    return { ok: true };
  }
  return withNsec3(records.nsec3, zone, name, (nsec3) => {
    const proof = closestEncloserProof(name, zone, nsec3);
    if (!proof.ok) return proof;
    if (proof.encloser === name) return { ok: false, reason: `NXDOMAIN for ${name}, but an NSEC3 record matches it` };
    const wildcard = `*.${proof.encloser === "." ? "" : proof.encloser}`;
    if (!nsec3.some((record) => nsec3Covers(record, wildcard, zone))) return { ok: false, reason: `no NSEC3 record proves that the wildcard ${wildcard} does not exist` };
    // Under opt-out the name may be an unsigned delegation: the denial cannot be secure (RFC 5155 §9.2).
    if (proof.optOut) return { ok: true, insecure: `NXDOMAIN for ${name} is covered by an opt-out NSEC3 record` };
    return { ok: true };
  });
}

/** Proof that `qname` exists but has no `qtype` records (NODATA), also through a wildcard. */
export function proveNoData(qname: string, qtype: string, zone: string, records: DenialRecords): DenialVerdict {
  const name = canonicalName(qname);
  if (records.nsec.length > 0) {
    const match = records.nsec.find((record) => sameName(record.name, name));
    if (match) return bitmapDenies(match, name, qtype, "NSEC");
    // An empty non-terminal: the next owner after qname lies below it (RFC 4035 §3.1.3.2).
    const emptyNonTerminal = records.nsec.find((record) => nsecCovers(record, name) && isSubdomain(canonicalName((record.data as NsecData).nextDomain), name));
    if (emptyNonTerminal) return { ok: true };
    const cover = records.nsec.find((record) => nsecCovers(record, name));
    if (!cover) return { ok: false, reason: `no NSEC record proves that ${name} has no ${qtype} records` };
    const encloser = nsecClosestEncloser(name, cover);
    const wildcard = `*.${encloser === "." ? "" : encloser}`;
    const wildcardMatch = records.nsec.find((record) => sameName(record.name, wildcard));
    if (!wildcardMatch) return { ok: false, reason: `no NSEC record matches ${name} or the wildcard ${wildcard}` };
    return bitmapDenies(wildcardMatch, wildcard, qtype, "NSEC");
  }
  return withNsec3(records.nsec3, zone, name, (nsec3) => {
    const match = nsec3.find((record) => nsec3Matches(record, name, zone));
    if (match) return bitmapDenies(match, name, qtype, "NSEC3");
    const proof = closestEncloserProof(name, zone, nsec3);
    if (!proof.ok) return { ok: false, reason: `no NSEC3 record matches ${name}, and ${proof.reason}` };
    if (qtype === "DS" && proof.optOut) return { ok: true, insecure: `${name} is an unsigned delegation under an opt-out NSEC3 record` };
    const wildcard = `*.${proof.encloser === "." ? "" : proof.encloser}`;
    const wildcardMatch = nsec3.find((record) => nsec3Matches(record, wildcard, zone));
    if (!wildcardMatch) return { ok: false, reason: `no NSEC3 record matches ${name} or the wildcard ${wildcard}` };
    return bitmapDenies(wildcardMatch, wildcard, qtype, "NSEC3");
  });
}

/**
 * Proof that a delegation to `child` has no DS: the zone below is unsigned
 * (an insecure delegation, RFC 4035 §5.2), by a parent-side NSEC/NSEC3
 * with NS and without DS, or an opt-out NSEC3 covering the name.
 */
export function proveInsecureDelegation(child: string, zone: string, records: DenialRecords): DenialVerdict {
  const name = canonicalName(child);
  const verdict = proveNoData(name, "DS", zone, records);
  if (!verdict.ok) return verdict;
  if (verdict.insecure) return verdict;
  const match = [...records.nsec, ...records.nsec3].find((record) =>
    record.type === "NSEC" ? sameName(record.name, name) : nsec3Matches(record, name, zone),
  );
  const types = match ? (match.data as NsecData | Nsec3Data).rrtypes : [];
  if (!types.includes("NS")) return { ok: false, reason: `the denial of DS for ${name} does not show a delegation (no NS bit)` };
  return { ok: true, insecure: `${name} is an unsigned delegation: its parent ${canonicalName(zone)} proves there is no DS` };
}

/**
 * A wildcard-expanded answer is only valid when `qname` itself does not
 * exist (RFC 4035 §5.3.4, RFC 5155 §8.8): the next closer name must be
 * covered.
 */
export function proveWildcardAnswer(qname: string, wildcard: string, zone: string, records: DenialRecords): DenialVerdict {
  const name = canonicalName(qname);
  const encloser = canonicalName(wildcard).slice(2) || ".";
  if (records.nsec.length > 0) {
    const cover = records.nsec.find((record) => nsecCovers(record, name));
    if (!cover) return { ok: false, reason: `wildcard answer for ${name} from ${wildcard} lacks the NSEC proof that ${name} does not exist` };
    // The wildcard may only answer when its parent is the closest encloser (RFC 4592 §4): no closer name exists.
    if (nsecClosestEncloser(name, cover) !== encloser) return { ok: false, reason: `wildcard answer for ${name} from ${wildcard}, but a closer name than ${encloser} exists` };
    return { ok: true };
  }
  return withNsec3(records.nsec3, zone, name, (nsec3) => {
    const nextCloser = childTowards(name, encloser);
    const cover = nsec3.find((record) => nsec3Covers(record, nextCloser, zone));
    if (!cover) return { ok: false, reason: `wildcard answer for ${name} from ${wildcard} lacks the NSEC3 proof that ${nextCloser} does not exist` };
    return { ok: true };
  });
}

function withNsec3(nsec3: ResourceRecord[], zone: string, name: string, prove: (usable: ResourceRecord[]) => DenialVerdict): DenialVerdict {
  if (nsec3.length === 0) return { ok: false, reason: `the answer for ${name} from ${canonicalName(zone)} carries no NSEC or NSEC3 records to prove it` };
  const usable = nsec3.filter((record) => (record.data as Nsec3Data).algorithm === NSEC3_SHA1);
  if (usable.length === 0) return { ok: true, insecure: `NSEC3 records of ${canonicalName(zone)} use an unknown hash algorithm` };
  const iterations = Math.max(...usable.map((record) => (record.data as Nsec3Data).iterations));
  if (iterations > MAX_NSEC3_ITERATIONS) return { ok: true, insecure: `NSEC3 records of ${canonicalName(zone)} use ${iterations} iterations (more than ${MAX_NSEC3_ITERATIONS})` };
  return prove(usable);
}

function bitmapDenies(record: ResourceRecord, name: string, qtype: string, kind: string): DenialVerdict {
  const types = (record.data as NsecData | Nsec3Data).rrtypes;
  if (typeBitmapIncludes(types, qtype)) return { ok: false, reason: `${kind} record for ${name} says ${qtype} exists` };
  if (types.includes("CNAME")) return { ok: false, reason: `${kind} record for ${name} says it is a CNAME` };
  // A parent-side record at a delegation only speaks for DS (RFC 6840 §4.4).
  if (qtype !== "DS" && types.includes("NS") && !types.includes("SOA")) {
    return { ok: false, reason: `${kind} record for ${name} is from the parent side of a delegation and cannot deny ${qtype}` };
  }
  if (qtype === "DS" && types.includes("SOA") && name !== ".") {
    return { ok: false, reason: `${kind} record for ${name} is from the child zone and cannot deny DS` };
  }
  return { ok: true };
}

function sameName(a: string, b: string): boolean {
  return canonicalName(a) === canonicalName(b);
}

/** Does the NSEC at `record` prove that `name` does not exist? */
function nsecCovers(record: ResourceRecord, name: string): boolean {
  const owner = canonicalName(record.name);
  const data = record.data as NsecData;
  const next = canonicalName(data.nextDomain);
  // RFC 6840 §4.1: an NSEC from above a delegation or a DNAME cannot deny names below it.
  if (isSubdomain(name, owner) && owner !== name) {
    if ((data.rrtypes.includes("NS") && !data.rrtypes.includes("SOA")) || data.rrtypes.includes("DNAME")) return false;
  }
  if (compareCanonicalNames(owner, name) >= 0) return false;
  // The last NSEC of a zone points back to the apex.
  return compareCanonicalNames(name, next) < 0 || compareCanonicalNames(next, owner) <= 0;
}

/** The closest encloser is the longest ancestor of qname shared with the covering NSEC's owner or next name. */
function nsecClosestEncloser(name: string, cover: ResourceRecord): string {
  const a = commonAncestor(name, canonicalName(cover.name));
  const b = commonAncestor(name, canonicalName((cover.data as NsecData).nextDomain));
  return a.length >= b.length ? a : b;
}

function commonAncestor(a: string, b: string): string {
  const left = labels(a).reverse();
  const right = labels(b).reverse();
  const shared: string[] = [];
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    if (left[index] !== right[index]) break;
    shared.push(left[index] as string);
  }
  return shared.length === 0 ? "." : `${shared.reverse().join(".")}.`;
}

function labels(name: string): string[] {
  return canonicalName(name).split(".").filter(Boolean);
}

/** The ancestor of `name` one label longer than `ancestor`. */
function childTowards(name: string, ancestor: string): string {
  const nameLabels = labels(name);
  const keep = labels(ancestor).length + 1;
  return `${nameLabels.slice(nameLabels.length - keep).join(".")}.`;
}

function nsec3OwnerHash(record: ResourceRecord, zone: string): string | undefined {
  const owner = canonicalName(record.name);
  const dot = owner.indexOf(".");
  if (owner.slice(dot + 1) !== (canonicalName(zone) === "." ? "" : canonicalName(zone))) return undefined;
  return owner.slice(0, dot);
}

function hashOf(record: ResourceRecord, name: string): string | undefined {
  const data = record.data as Nsec3Data;
  try {
    return nsec3Hash(name, data.salt, data.iterations);
  } catch {
    // A name the hash cannot encode (see crypto.ts) matches and covers nothing.
    return undefined;
  }
}

function nsec3Matches(record: ResourceRecord, name: string, zone: string): boolean {
  const owner = nsec3OwnerHash(record, zone);
  const hash = hashOf(record, name);
  return owner !== undefined && hash !== undefined && owner === hash;
}

function nsec3Covers(record: ResourceRecord, name: string, zone: string): boolean {
  const owner = nsec3OwnerHash(record, zone);
  if (owner === undefined) return false;
  const next = base32hexEncode((record.data as Nsec3Data).nextDomain);
  const hash = hashOf(record, name);
  if (hash === undefined) return false;
  if (owner < next) return owner < hash && hash < next;
  return hash > owner || hash < next;
}

type EncloserProof = { ok: true; encloser: string; optOut: boolean } | { ok: false; reason: string };

/** RFC 5155 §8.3: the closest provable encloser of qname and an NSEC3 covering the next closer name. */
function closestEncloserProof(name: string, zone: string, nsec3: ResourceRecord[]): EncloserProof {
  const zoneName = canonicalName(zone);
  let candidate = name;
  for (;;) {
    const match = nsec3.find((record) => nsec3Matches(record, candidate, zoneName));
    if (match) {
      if (candidate === name) return { ok: true, encloser: name, optOut: false };
      // A delegation point or DNAME cannot be the closest encloser of names below it (RFC 5155 §8.3, RFC 6840 §4.1).
      const types = (match.data as Nsec3Data).rrtypes;
      if ((types.includes("NS") && !types.includes("SOA")) || types.includes("DNAME")) {
        return { ok: false, reason: `the NSEC3 record for ${candidate} is a delegation or DNAME and cannot deny ${name}` };
      }
      const nextCloser = childTowards(name, candidate);
      const cover = nsec3.find((record) => nsec3Covers(record, nextCloser, zoneName));
      if (!cover) return { ok: false, reason: `no NSEC3 record covers the next closer name ${nextCloser}` };
      return { ok: true, encloser: candidate, optOut: ((cover.data as Nsec3Data).flags & NSEC3_OPT_OUT) !== 0 };
    }
    if (candidate === zoneName || candidate === ".") return { ok: false, reason: `no NSEC3 record proves a closest encloser of ${name}` };
    candidate = parentOf(candidate);
  }
}

function parentOf(name: string): string {
  const rest = labels(name).slice(1);
  return rest.length === 0 ? "." : `${rest.join(".")}.`;
}
