/**
 * Baseline's validating resolver: `resolve(name, type)` returns the answer
 * with its DNSSEC security (secure, insecure, bogus, indeterminate), the
 * reason when it is not trustworthy, and the chain of trust it walked.
 *
 * It iterates from the root itself (iterator.ts) or asks an upstream
 * resolver (`upstream`), and in both cases validates locally from a trust
 * anchor (validator.ts); it follows CNAME and DNAME chains, and caches
 * results for their TTL in a bounded cache. Concurrent identical questions
 * share one resolution.
 *
 * @example
 *   const resolver = createResolver({ rootHints, trustAnchors, allowPrivate: true });
 *   const { rcode, security, answer } = await resolver.resolve("www.example.org", "A");
 */
import { readFileSync } from "node:fs";
import { LRUCache } from "lru-cache";
import { AddressRefusedError } from "./address-policy.ts";
import { formatData } from "./format.ts";
import { Iterator, ResolutionError, type Budget, type FetchResult, type Referral } from "./iterator.ts";
import { parseRecords } from "./presentation.ts";
import { DnsTransport } from "./transport.ts";
import type { ResourceRecord, Security } from "./types.ts";
import { Validator, type ChainLink } from "./validator.ts";
import { canonicalName, InvalidNameError, isSubdomain, type SoaData } from "./wire.ts";

export interface ResolverOptions {
  /** Root server names and addresses; default: the IANA root hints. */
  rootHints?: ResourceRecord[];
  /** DS or DNSKEY records; default: the IANA root KSKs. */
  trustAnchors?: ResourceRecord[];
  /** Use this recursive resolver instead of iterating; answers are still validated here. */
  upstream?: { address: string; port: number };
  /** Allow loopback and private server addresses (labs). */
  allowPrivate?: boolean;
  timeoutMs?: number;
  retries?: number;
  /** Queries in flight at once, overall. */
  concurrency?: number;
  /** Results kept in the cache at most. */
  cacheSize?: number;
  /** Port of authoritative servers (53). */
  port?: number;
  /** Clock in milliseconds, for signature validity (tests). */
  now?: () => number;
}

export interface AnswerRecord {
  name: string;
  type: string;
  ttl: number;
  data: string;
}

export interface Resolution {
  name: string;
  type: string;
  rcode: string;
  security: Security;
  reason: string | null;
  answer: AnswerRecord[];
  /** The chain of trust, from the trust anchor down to the zone of the answer. */
  chain: ChainLink[];
  /** Referrals followed for the first name (empty with an upstream resolver). */
  referrals: Referral[];
}

export class DnsInputError extends Error {
  override name = "DnsInputError";
}

const MAX_CHAIN = 10;
const MAX_QUERIES_PER_RESOLUTION = 400;
const MAX_CACHE_TTL = 86_400;
/** Seconds a bogus or failed result is kept (Unbound's val-bogus-ttl default). */
const FAILURE_TTL = 60;
const SECURITY_ORDER: Security[] = ["secure", "insecure", "indeterminate", "bogus"];

const ROOT_DATA = new URL("./root-data/", import.meta.url);

export function defaultRootHints(): ResourceRecord[] {
  return parseRecords(readFileSync(new URL("root.hints", ROOT_DATA), "utf8"), "root.hints");
}

export function defaultTrustAnchors(): ResourceRecord[] {
  return parseRecords(readFileSync(new URL("root.ds", ROOT_DATA), "utf8"), "root.ds");
}

export class Resolver {
  readonly #iterator: Iterator;
  readonly #validator: Validator;
  readonly #cache: LRUCache<string, Resolution>;
  readonly #inFlight = new Map<string, Promise<Resolution>>();
  readonly #now: () => number;

  constructor(options: ResolverOptions = {}) {
    const transport = new DnsTransport({
      timeoutMs: options.timeoutMs ?? 2000,
      retries: options.retries ?? 2,
      maxInFlight: options.concurrency ?? 256,
    });
    this.#now = options.now ?? Date.now;
    this.#iterator = new Iterator({
      transport,
      rootHints: options.rootHints ?? defaultRootHints(),
      allowPrivate: options.allowPrivate ?? false,
      ...(options.upstream ? { upstream: options.upstream } : {}),
      ...(options.port ? { port: options.port } : {}),
    });
    this.#validator = new Validator({
      anchors: options.trustAnchors ?? defaultTrustAnchors(),
      fetch: (qname, qtype, budget) => this.#iterator.fetch(qname, qtype, budget),
      now: this.#now,
    });
    this.#cache = new LRUCache({ max: options.cacheSize ?? 10_000 });
  }

  /** Resolves and validates `name` `type`. Bad names or types throw DnsInputError. */
  resolve(name: string, type = "A"): Promise<Resolution> {
    const qname = checkName(name);
    const qtype = checkType(type);
    const key = `${qname}|${qtype}`;
    const cached = this.#cache.get(key);
    if (cached) return Promise.resolve(cached);
    const running = this.#inFlight.get(key);
    if (running) return running;
    const pending = this.#resolveUncached(qname, qtype).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, pending);
    return pending;
  }

  async #resolveUncached(qname: string, qtype: string): Promise<Resolution> {
    const budget: Budget = { queries: MAX_QUERIES_PER_RESOLUTION, depth: 0 };
    const answer: ResourceRecord[] = [];
    let chain: ChainLink[] = [];
    let referrals: Referral[] = [];
    let security: Security = "secure";
    let reason: string | null = null;
    let rcode = "NOERROR";
    let current = qname;
    let negativeTtl = FAILURE_TTL;
    const seen = new Set<string>();

    for (let hop = 0; ; hop++) {
      if (hop >= MAX_CHAIN || seen.has(current)) {
        return this.#store({ name: qname, type: qtype, rcode: "SERVFAIL", security: "indeterminate", reason: `CNAME/DNAME chain from ${qname} is longer than ${MAX_CHAIN} or loops`, answer: [], chain, referrals }, FAILURE_TTL);
      }
      seen.add(current);
      let fetched: FetchResult;
      try {
        fetched = await this.#iterator.fetch(current, qtype, budget);
      } catch (error) {
        if (error instanceof AddressRefusedError) throw error;
        if (!(error instanceof ResolutionError) && !isNetworkError(error)) throw error;
        return this.#store({ name: qname, type: qtype, rcode: "SERVFAIL", security: "indeterminate", reason: error instanceof Error ? error.message : String(error), answer: [...answer].map(present), chain, referrals }, FAILURE_TTL);
      }
      if (hop === 0) referrals = fetched.referrals;
      const message = fetched.message;
      rcode = message.rcode;
      negativeTtl = negativeCacheTtl(message.authorities);
      const dname = hop < MAX_CHAIN ? findDname(message.answers, current) : undefined;
      const verdictName = dname ? canonicalName(dname.name) : current;
      const verdictType = dname ? "DNAME" : qtype;
      const verdict = await this.#validator.validate(verdictName, verdictType, fetched, budget);
      chain = verdict.chain;
      if (SECURITY_ORDER.indexOf(verdict.security) > SECURITY_ORDER.indexOf(security)) {
        security = verdict.security;
        reason = verdict.reason;
      }
      if (security === "bogus") {
        return this.#store({ name: qname, type: qtype, rcode: "SERVFAIL", security, reason, answer: [], chain, referrals }, FAILURE_TTL);
      }

      if (dname) {
        answer.push(dname);
        const target = canonicalName(dname.data as string);
        const owner = canonicalName(dname.name);
        current = canonicalName(`${current.slice(0, current.length - owner.length)}${target}`);
        if (current.length > 255) return this.#store({ name: qname, type: qtype, rcode: "YXDOMAIN", security, reason, answer: answer.map(present), chain, referrals }, FAILURE_TTL);
        continue;
      }
      const owned = message.answers.filter((record) => canonicalName(record.name) === current && record.type !== "RRSIG");
      const direct = owned.filter((record) => record.type === qtype);
      const cname = owned.find((record) => record.type === "CNAME");
      if (direct.length > 0 || !cname || qtype === "CNAME") {
        answer.push(...direct);
        break;
      }
      answer.push(cname);
      current = canonicalName(cname.data as string);
    }

    const resolution: Resolution = { name: qname, type: qtype, rcode, security, reason: security === "secure" || security === "insecure" ? null : reason, answer: answer.map(present), chain, referrals };
    const ttl = answer.length > 0 ? Math.min(...answer.map((record) => record.ttl)) : negativeTtl;
    return this.#store(resolution, ttl);
  }

  #store(resolution: Resolution, ttlSeconds: number): Resolution {
    const ttl = Math.max(0, Math.min(ttlSeconds, MAX_CACHE_TTL));
    if (ttl > 0) this.#cache.set(`${resolution.name}|${resolution.type}`, resolution, { ttl: ttl * 1000 });
    return resolution;
  }
}

export function createResolver(options: ResolverOptions = {}): Resolver {
  return new Resolver(options);
}

/** RFC 2308 §5: a negative answer lives for the lesser of the SOA's TTL and its MINIMUM field. */
function negativeCacheTtl(authorities: ResourceRecord[]): number {
  const soa = authorities.find((record) => record.type === "SOA");
  if (!soa) return FAILURE_TTL;
  return Math.min(soa.ttl, (soa.data as SoaData).minimum);
}

/** A DNAME in the answer whose owner is a proper ancestor of `name` (RFC 6672). */
function findDname(answers: ResourceRecord[], name: string): ResourceRecord | undefined {
  return answers.find((record) => record.type === "DNAME" && canonicalName(record.name) !== name && isSubdomain(name, canonicalName(record.name)));
}

function present(record: ResourceRecord): AnswerRecord {
  return { name: canonicalName(record.name), type: record.type, ttl: record.ttl, data: formatData(record) };
}

function isNetworkError(error: unknown): boolean {
  return error instanceof Error && (error.name === "DnsTimeoutError" || "code" in error);
}

const TYPES = new Set(["A", "AAAA", "NS", "CNAME", "DNAME", "SOA", "MX", "TXT", "CAA", "TLSA", "PTR", "SRV", "DNSKEY", "RRSIG", "DS", "NSEC", "NSEC3", "NSEC3PARAM", "ANY"]);

function checkType(type: string): string {
  const upper = type.toUpperCase();
  if (TYPES.has(upper)) return upper;
  throw new DnsInputError(`unknown record type "${type}" (supported: ${[...TYPES].join(", ")})`);
}

/** RFC 1035 §2.3.4 limits (checked by the wire codec); host-name letters are not required (e.g. _dmarc, _25._tcp). */
function checkName(name: string): string {
  let absolute: string;
  try {
    absolute = canonicalName(name.trim());
  } catch (error) {
    if (error instanceof InvalidNameError) throw new DnsInputError(error.message);
    throw error;
  }
  if (absolute !== "." && !/^[a-z0-9_*-]+(\.[a-z0-9_*-]+)*\.$/.test(absolute)) {
    throw new DnsInputError(`invalid domain name "${name}": only letters, digits, hyphens and underscores are allowed`);
  }
  return absolute;
}
