/**
 * DNSSEC validation of fetched responses (RFC 4035 §5): builds the chain of
 * trust from a trust anchor down to the zone that signed an answer, then
 * checks the answer's signatures or its proof of non-existence.
 *
 * A zone's status comes from its DS RRset in the parent (itself a
 * validated answer, so the chain is walked by recursion up to the anchor)
 * and its DNSKEY RRset. Results are cached per zone for the TTL of the keys.
 */
import { LRUCache } from "lru-cache";
import { keyTag } from "./dnssec/crypto.ts";
import { proveInsecureDelegation, proveNameError, proveNoData, proveWildcardAnswer, type DenialRecords } from "./dnssec/denial.ts";
import { verifyKeyset, verifyRrset } from "./dnssec/rrset.ts";
import type { Budget, FetchResult } from "./iterator.ts";
import type { Message, ResourceRecord, Security } from "./types.ts";
import { canonicalName, isSubdomain, rdataFor, type RrsigData } from "./wire.ts";

/** One link of the chain of trust, as `baseline dns` prints it. */
export interface ChainLink {
  zone: string;
  security: Security;
  /** Key tags of the DS records that authenticated the zone's keys (or the trust anchor's). */
  dsKeyTags: number[];
  dnskeyTags: number[];
  note: string | undefined;
}

export type ZoneVerdict =
  | { security: "secure"; keys: ResourceRecord[]; chain: ChainLink[] }
  | { security: "insecure" | "bogus" | "indeterminate"; reason: string; chain: ChainLink[] };

export interface ValidatedResponse {
  security: Security;
  reason: string | null;
  /** The zone whose keys signed the answer (or should have). */
  zone: string;
  chain: ChainLink[];
  /** Verified denial records, for callers that reason about DS absence. */
  denial: DenialRecords;
}

export interface ValidatorOptions {
  anchors: ResourceRecord[];
  fetch: (qname: string, qtype: string, budget: Budget) => Promise<FetchResult>;
  now?: () => number;
  maxZones?: number;
}

/** Seconds a verdict that is not secure is remembered (bogus data may be fixed soon). */
const NEGATIVE_VERDICT_TTL = 60;

export class Validator {
  readonly #options: ValidatorOptions;
  readonly #zones: LRUCache<string, Promise<ZoneVerdict>>;

  constructor(options: ValidatorOptions) {
    this.#options = options;
    this.#zones = new LRUCache({ max: options.maxZones ?? 10_000 });
  }

  #now(): number {
    return Math.floor((this.#options.now?.() ?? Date.now()) / 1000);
  }

  /** Validates `fetched`, the response for qname/qtype. */
  async validate(qname: string, qtype: string, fetched: FetchResult, budget: Budget): Promise<ValidatedResponse> {
    const message = fetched.message;
    const name = canonicalName(qname);
    const owned = message.answers.filter((record) => canonicalName(record.name) === name);
    const rrset = pickAnswerRrset(owned, qtype);
    const signer = rrset ? signerOf(owned, rrset[0]?.type ?? qtype) : undefined;
    const soa = message.authorities.find((record) => record.type === "SOA");
    const zone = canonicalName(signer ?? (rrset ? fetched.zone : soa?.name ?? fetched.zone));
    const emptyDenial: DenialRecords = { nsec: [], nsec3: [] };
    if (!isSubdomain(name, zone)) {
      return { security: "bogus", reason: `answer for ${name} claims to come from ${zone}, which does not contain it`, zone, chain: [], denial: emptyDenial };
    }

    let verdict = await this.zoneStatus(zone, budget);
    // An unsigned answer from a server that also serves a signed parent: look for the insecure cut in between.
    if (verdict.security === "secure" && rrset && !signer && canonicalName(zone) !== name) {
      const cut = await this.#findInsecureCut(zone, name, budget);
      if (cut) verdict = cut;
    }
    if (verdict.security !== "secure") {
      return { security: verdict.security, reason: verdict.security === "insecure" ? null : verdict.reason, zone, chain: verdict.chain, denial: emptyDenial };
    }
    const fail = (reason: string): ValidatedResponse => ({ security: "bogus", reason, zone, chain: verdict.chain, denial: emptyDenial });
    const now = this.#now();
    const sigs = message.answers.filter((record) => record.type === "RRSIG");

    if (rrset) {
      const checked = verifyRrset(rrset, sigs.filter((record) => canonicalName(record.name) === name), verdict.keys, zone, now);
      if (!checked.ok) return fail(checked.reason);
      if (checked.wildcard) {
        const denial = this.#verifiedDenial(message, zone, verdict.keys, now);
        if ("reason" in denial) return fail(denial.reason);
        const proof = proveWildcardAnswer(name, checked.wildcard, zone, denial);
        if (!proof.ok) return fail(proof.reason);
      }
      return { security: "secure", reason: null, zone, chain: verdict.chain, denial: emptyDenial };
    }

    const denial = this.#verifiedDenial(message, zone, verdict.keys, now);
    if ("reason" in denial) return fail(denial.reason);
    const proof = message.rcode === "NXDOMAIN" ? proveNameError(name, zone, denial) : proveNoData(name, qtype, zone, denial);
    if (!proof.ok) return fail(proof.reason);
    if (proof.insecure) return { security: "insecure", reason: null, zone, chain: verdict.chain, denial };
    return { security: "secure", reason: null, zone, chain: verdict.chain, denial };
  }

  /** The security status of `zone` and, when secure, its authenticated DNSKEYs. */
  zoneStatus(zone: string, budget: Budget): Promise<ZoneVerdict> {
    const name = canonicalName(zone);
    const cached = this.#zones.get(name);
    if (cached) return cached;
    const pending = this.#computeZoneStatus(name, budget);
    this.#zones.set(name, pending, { ttl: NEGATIVE_VERDICT_TTL * 1000 });
    void pending.then(
      (verdict) => {
        if (verdict.security === "secure") {
          const ttl = Math.min(...verdict.keys.map((key) => key.ttl), 86_400);
          this.#zones.set(name, pending, { ttl: Math.max(ttl, 1) * 1000 });
        }
      },
      () => this.#zones.delete(name),
    );
    return pending;
  }

  async #computeZoneStatus(zone: string, budget: Budget): Promise<ZoneVerdict> {
    const anchors = this.#options.anchors.filter((record) => canonicalName(record.name) === zone && (record.type === "DS" || record.type === "DNSKEY"));
    if (anchors.length > 0) return this.#fromAnchor(zone, anchors, budget);
    if (zone === "." || !this.#options.anchors.some((record) => isSubdomain(zone, canonicalName(record.name)))) {
      return { security: "insecure", reason: `no trust anchor covers ${zone}`, chain: [] };
    }

    let fetched: FetchResult;
    try {
      fetched = await this.#options.fetch(zone, "DS", budget);
    } catch (error) {
      return { security: "indeterminate", reason: `could not fetch the DS records of ${zone}: ${messageOf(error)}`, chain: [] };
    }
    const ds = await this.validate(zone, "DS", fetched, budget);
    const parent = ds.zone;
    if (ds.security === "insecure") return { security: "insecure", reason: `${zone} is below the insecure zone ${parent}`, chain: ds.chain };
    if (ds.security !== "secure") return { security: ds.security, reason: `DS of ${zone}: ${ds.reason ?? "not secure"}`, chain: ds.chain };
    if (parent === zone) return { security: "bogus", reason: `the DS records of ${zone} were answered from ${zone} itself, not from its parent`, chain: ds.chain };

    const dsSet = fetched.message.answers.filter((record) => record.type === "DS" && canonicalName(record.name) === zone);
    if (dsSet.length === 0) {
      if (fetched.message.rcode === "NXDOMAIN") return { security: "bogus", reason: `${zone} does not exist according to ${parent}`, chain: ds.chain };
      const delegation = proveInsecureDelegation(zone, parent, ds.denial);
      const link = (note: string): ChainLink => ({ zone, security: "insecure", dsKeyTags: [], dnskeyTags: [], note });
      if (delegation.ok) return { security: "insecure", reason: delegation.insecure ?? `${zone} is unsigned`, chain: [...ds.chain, link(`no DS in ${parent}: unsigned delegation`)] };
      return { security: "bogus", reason: `${zone} is not a proven zone cut: ${delegation.reason}`, chain: ds.chain };
    }
    return this.#keysFromDs(zone, dsSet, ds.chain, budget);
  }

  async #keysFromDs(zone: string, dsSet: ResourceRecord[], chain: ChainLink[], budget: Budget): Promise<ZoneVerdict> {
    let fetched: FetchResult;
    try {
      fetched = await this.#options.fetch(zone, "DNSKEY", budget);
    } catch (error) {
      return { security: "indeterminate", reason: `could not fetch the DNSKEY records of ${zone}: ${messageOf(error)}`, chain };
    }
    const dnskeys = fetched.message.answers.filter((record) => record.type === "DNSKEY" && canonicalName(record.name) === zone);
    const rrsigs = fetched.message.answers.filter((record) => record.type === "RRSIG" && canonicalName(record.name) === zone);
    const verdict = verifyKeyset(zone, dnskeys, rrsigs, dsSet, this.#now());
    const link: ChainLink = {
      zone,
      security: verdict.status,
      dsKeyTags: dsSet.map((record) => (record.data as { keyTag: number }).keyTag),
      dnskeyTags: dnskeys.map((record) => keyTagOf(record)),
      note: verdict.status === "secure" ? undefined : verdict.reason,
    };
    if (verdict.status === "secure") return { security: "secure", keys: verdict.keys, chain: [...chain, link] };
    return { security: verdict.status, reason: verdict.reason, chain: [...chain, link] };
  }

  async #fromAnchor(zone: string, anchors: ResourceRecord[], budget: Budget): Promise<ZoneVerdict> {
    const ds = anchors.filter((record) => record.type === "DS");
    if (ds.length > 0) return this.#keysFromDs(zone, ds, [], budget);
    // DNSKEY anchors: the DNSKEY RRset must be signed by one of them.
    let fetched: FetchResult;
    try {
      fetched = await this.#options.fetch(zone, "DNSKEY", budget);
    } catch (error) {
      return { security: "indeterminate", reason: `could not fetch the DNSKEY records of ${zone}: ${messageOf(error)}`, chain: [] };
    }
    const dnskeys = fetched.message.answers.filter((record) => record.type === "DNSKEY" && canonicalName(record.name) === zone);
    const rrsigs = fetched.message.answers.filter((record) => record.type === "RRSIG" && canonicalName(record.name) === zone);
    const verdict = verifyRrset(dnskeys, rrsigs, anchors, zone, this.#now());
    const link: ChainLink = { zone, security: verdict.ok ? "secure" : "bogus", dsKeyTags: [], dnskeyTags: dnskeys.map(keyTagOf), note: verdict.ok ? "trust anchor (DNSKEY)" : verdict.reason };
    return verdict.ok ? { security: "secure", keys: dnskeys, chain: [link] } : { security: "bogus", reason: verdict.reason, chain: [link] };
  }

  /** Walks down from the signed `zone` towards `name`, looking for the delegation that made the answer unsigned. */
  async #findInsecureCut(zone: string, name: string, budget: Budget): Promise<ZoneVerdict | undefined> {
    const below = canonicalName(name).split(".").filter(Boolean);
    const depth = canonicalName(zone).split(".").filter(Boolean).length;
    for (let take = depth + 1; take <= below.length; take++) {
      const candidate = `${below.slice(below.length - take).join(".")}.`;
      const verdict = await this.zoneStatus(candidate, budget);
      if (verdict.security === "insecure") return verdict;
      if (verdict.security === "secure") continue;
      // "not a proven zone cut" just means this label is no delegation; keep walking.
      if (verdict.reason.includes("is not a proven zone cut")) continue;
      return verdict;
    }
    return undefined;
  }

  /** NSEC and NSEC3 RRsets from the authority section, each verified with the zone's keys. */
  #verifiedDenial(message: Message, zone: string, keys: ResourceRecord[], now: number): DenialRecords | { reason: string } {
    const sigs = message.authorities.filter((record) => record.type === "RRSIG");
    const records: DenialRecords = { nsec: [], nsec3: [] };
    for (const type of ["NSEC", "NSEC3"] as const) {
      const byOwner = new Map<string, ResourceRecord[]>();
      for (const record of message.authorities.filter((candidate) => candidate.type === type)) {
        const owner = canonicalName(record.name);
        byOwner.set(owner, [...(byOwner.get(owner) ?? []), record]);
      }
      for (const [owner, rrset] of byOwner) {
        const checked = verifyRrset(rrset, sigs.filter((record) => canonicalName(record.name) === owner), keys, zone, now);
        if (!checked.ok) return { reason: checked.reason };
        (type === "NSEC" ? records.nsec : records.nsec3).push(...rrset);
      }
    }
    return records;
  }
}

/** The RRset that answers qtype at the name, or the CNAME/DNAME that redirects it. */
function pickAnswerRrset(owned: ResourceRecord[], qtype: string): ResourceRecord[] | undefined {
  for (const type of [qtype, "CNAME"]) {
    const rrset = owned.filter((record) => record.type === type);
    if (rrset.length > 0) return rrset;
  }
  return undefined;
}

function signerOf(owned: ResourceRecord[], type: string): string | undefined {
  const sig = owned.find((record) => record.type === "RRSIG" && (record.data as RrsigData).typeCovered === type);
  return sig ? canonicalName((sig.data as RrsigData).signersName) : undefined;
}

function keyTagOf(record: ResourceRecord): number {
  return keyTag(rdataFor(record));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
