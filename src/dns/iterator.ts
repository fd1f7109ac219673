/**
 * Iterative resolution (RFC 1034 §5.3.3): from the root servers down the
 * referrals to a server that answers with authority. It fetches responses;
 * it does not judge them (validator.ts does).
 *
 * - Glue is only taken from the zone that gave the referral (in-bailiwick):
 *   a server cannot plant addresses for names outside its own zone.
 * - Name server addresses without glue are looked up with the same
 *   iterator, within the caller's query budget.
 * - Servers are tried fastest first (smoothed round-trip times), unknown
 *   ones before slow ones; a server that fails is penalised.
 * - Every resolution carries a budget of queries and depth, so referral
 *   loops and deep chains end with an error instead of running on.
 */
import { LRUCache } from "lru-cache";
import { checkTarget } from "./address-policy.ts";
import type { DnsTransport } from "./transport.ts";
import type { Message, ResourceRecord } from "./types.ts";
import { canonicalName, isSubdomain, parentName } from "./wire.ts";

export interface NameServer {
  name: string;
  addresses: string[];
}

export interface Delegation {
  zone: string;
  servers: NameServer[];
}

/** One step down the tree, kept for the `chain` a person reads. */
export interface Referral {
  from: string;
  to: string;
  servers: string[];
}

export interface FetchResult {
  message: Message;
  /** The zone whose server gave the final answer (the deepest delegation followed). */
  zone: string;
  /** Address of the server that answered. */
  server: string;
  referrals: Referral[];
}

/** Limits shared by every query made for one resolution. */
export interface Budget {
  queries: number;
  depth: number;
}

export class ResolutionError extends Error {
  override name = "ResolutionError";
}

export interface IteratorOptions {
  transport: DnsTransport;
  rootHints: ResourceRecord[];
  allowPrivate: boolean;
  /** Port of every authoritative server (53; labs may differ). */
  port?: number;
  /** Send every query to this recursive resolver instead of iterating (with RD and CD set). */
  upstream?: { address: string; port: number };
  maxDelegations?: number;
}

const MAX_REFERRALS = 30;
const MAX_DEPTH = 6;
const MAX_SERVERS_TRIED = 6;
/** The shortest first-attempt timeout, however fast a server answered before. */
const MIN_ADAPTIVE_TIMEOUT_MS = 150;
/** Seconds a delegation is kept at most, whatever its NS TTL says. */
const MAX_DELEGATION_TTL = 86_400;

export class Iterator {
  readonly #options: IteratorOptions;
  readonly #delegations: LRUCache<string, Delegation>;
  /** Smoothed round-trip time per server address, in milliseconds. */
  readonly #rtt = new Map<string, number>();
  readonly #root: Delegation;

  constructor(options: IteratorOptions) {
    this.#options = options;
    this.#delegations = new LRUCache({ max: options.maxDelegations ?? 10_000, ttlAutopurge: false });
    this.#root = delegationFromRecords(".", options.rootHints, options.rootHints, ".");
    if (this.#root.servers.every((server) => server.addresses.length === 0)) {
      throw new ResolutionError("the root hints name no server addresses");
    }
  }

  /** Fetches the authoritative response for qname/qtype. */
  async fetch(qname: string, qtype: string, budget: Budget): Promise<FetchResult> {
    const name = canonicalName(qname);
    if (this.#options.upstream) return this.#fetchUpstream(name, qtype, budget);
    // DS lives on the parent side of a zone cut (RFC 4035 §3.1.4.1): ask the parent's servers.
    let delegation = this.#closestDelegation(qtype === "DS" && name !== "." ? parentName(name) : name);
    const referrals: Referral[] = [];
    for (let step = 0; step < MAX_REFERRALS; step++) {
      const { message, server } = await this.#queryDelegation(delegation, name, qtype, budget);
      const next = referralIn(message, delegation.zone, name);
      if (!next || (qtype === "DS" && canonicalName(next.zone) === name)) {
        return { message, zone: delegation.zone, server, referrals };
      }
      const child = delegationFromRecords(next.zone, message.authorities, message.additionals, delegation.zone);
      referrals.push({ from: delegation.zone, to: child.zone, servers: child.servers.map((server) => server.name) });
      // TTL 0 means "this transaction only" (RFC 1035 §3.2.1); lru-cache would read 0 as "forever".
      if (next.ttl > 0) this.#delegations.set(child.zone, child, { ttl: Math.min(next.ttl, MAX_DELEGATION_TTL) * 1000 });
      delegation = child;
    }
    throw new ResolutionError(`more than ${MAX_REFERRALS} referrals resolving ${name} ${qtype}`);
  }

  async #fetchUpstream(name: string, qtype: string, budget: Budget): Promise<FetchResult> {
    const upstream = this.#options.upstream;
    if (!upstream) throw new ResolutionError("no upstream resolver");
    checkTarget(upstream.address, this.#options.allowPrivate);
    spend(budget, name, qtype);
    const { message } = await this.#options.transport.query(upstream, { name, type: qtype }, { recursionDesired: true, checkingDisabled: true, dnssecOk: true });
    return { message, zone: ".", server: upstream.address, referrals: [] };
  }

  #closestDelegation(name: string): Delegation {
    for (let zone = name; ; zone = parentName(zone)) {
      const known = this.#delegations.get(zone);
      if (known) return known;
      if (zone === ".") return this.#root;
    }
  }

  async #queryDelegation(delegation: Delegation, name: string, qtype: string, budget: Budget): Promise<{ message: Message; server: string }> {
    const failures: string[] = [];
    const addresses = await this.#addressesOf(delegation, budget);
    if (addresses.length === 0) throw new ResolutionError(`no address found for any name server of ${delegation.zone}`);
    for (const address of this.#byLatency(addresses).slice(0, MAX_SERVERS_TRIED)) {
      checkTarget(address, this.#options.allowPrivate);
      spend(budget, name, qtype);
      try {
        const { message, rttMs } = await this.#options.transport.query(
          { address, port: this.#options.port ?? 53 },
          { name, type: qtype },
          { recursionDesired: false, dnssecOk: true, ...this.#timeoutFor(address) },
        );
        this.#observe(address, rttMs);
        if (message.rcode === "NOERROR" || message.rcode === "NXDOMAIN") {
          if (isUpwardReferral(message, delegation.zone, name)) {
            failures.push(`${address} gave a lame or upward referral`);
            continue;
          }
          return { message, server: address };
        }
        failures.push(`${address} answered ${message.rcode}`);
      } catch (error) {
        this.#observe(address, 5_000);
        if (error instanceof ResolutionError) throw error;
        failures.push(`${address}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new ResolutionError(`no server of ${delegation.zone} answered ${name} ${qtype} (${failures.join("; ")})`);
  }

  async #addressesOf(delegation: Delegation, budget: Budget): Promise<string[]> {
    const known = delegation.servers.flatMap((server) => server.addresses);
    if (known.length > 0) return known;
    if (budget.depth >= MAX_DEPTH) throw new ResolutionError(`name server lookups nested deeper than ${MAX_DEPTH} for ${delegation.zone}`);
    for (const server of delegation.servers) {
      // A server named inside the zone it serves needs glue; without it the lookup would loop.
      if (isSubdomain(server.name, delegation.zone)) continue;
      // The nested lookup spends from the same query budget, one level deeper.
      const nested: Budget = { queries: budget.queries, depth: budget.depth + 1 };
      try {
        const result = await this.fetch(server.name, "A", nested);
        server.addresses = result.message.answers.filter((record) => record.type === "A" && canonicalName(record.name) === canonicalName(server.name)).map((record) => record.data as string);
      } catch {
        continue;
      } finally {
        budget.queries = nested.queries;
      }
      if (server.addresses.length > 0) return server.addresses;
    }
    return [];
  }

  #byLatency(addresses: string[]): string[] {
    return [...new Set(addresses)].sort((a, b) => (this.#rtt.get(a) ?? 0) - (this.#rtt.get(b) ?? 0));
  }

  /**
   * A first-attempt timeout from the server's smoothed round trip, so that a
   * lost packet to a fast server is retried in milliseconds, not seconds
   * (the transport doubles it per retry up to its own timeout). Unknown
   * servers get the transport's full timeout.
   */
  #timeoutFor(address: string): { timeoutMs?: number } {
    const rtt = this.#rtt.get(address);
    return rtt === undefined ? {} : { timeoutMs: Math.max(MIN_ADAPTIVE_TIMEOUT_MS, Math.ceil(rtt * 4)) };
  }

  #observe(address: string, rttMs: number): void {
    const previous = this.#rtt.get(address);
    this.#rtt.set(address, previous === undefined ? rttMs : previous * 0.7 + rttMs * 0.3);
  }
}

function spend(budget: Budget, name: string, qtype: string): void {
  if (budget.queries <= 0) throw new ResolutionError(`query budget exhausted resolving ${name} ${qtype}`);
  budget.queries--;
}

/** A referral to a zone strictly between `zone` and `name` (inclusive of name), or undefined. */
function referralIn(message: Message, zone: string, name: string): { zone: string; ttl: number } | undefined {
  if (message.rcode !== "NOERROR" || message.answers.some((record) => canonicalName(record.name) === name)) return undefined;
  if (message.flags.aa && message.authorities.some((record) => record.type === "SOA")) return undefined;
  const ns = message.authorities.find((record) => record.type === "NS");
  if (!ns) return undefined;
  const child = canonicalName(ns.name);
  if (child === canonicalName(zone) || !isSubdomain(child, zone) || !isSubdomain(name, child)) return undefined;
  const ttl = Math.min(...message.authorities.filter((record) => record.type === "NS").map((record) => record.ttl));
  return { zone: child, ttl };
}

/** A referral to the same zone or above it: the server is lame for this zone. */
function isUpwardReferral(message: Message, zone: string, name: string): boolean {
  if (message.rcode !== "NOERROR" || message.answers.length > 0 || message.flags.aa) return false;
  const ns = message.authorities.find((record) => record.type === "NS");
  if (!ns) return false;
  const child = canonicalName(ns.name);
  return !(isSubdomain(child, zone) && child !== canonicalName(zone) && isSubdomain(name, child));
}

/** NS names of `zone` from `nsRecords`, with glue from `glue` accepted only inside `bailiwick`. */
function delegationFromRecords(zone: string, nsRecords: ResourceRecord[], glue: ResourceRecord[], bailiwick: string): Delegation {
  const zoneName = canonicalName(zone);
  const names = [...new Set(nsRecords.filter((record) => record.type === "NS" && canonicalName(record.name) === zoneName).map((record) => canonicalName(record.data as string)))];
  const servers = names.map((name) => ({
    name,
    addresses: isSubdomain(name, bailiwick)
      ? glue
          .filter((record) => (record.type === "A" || record.type === "AAAA") && canonicalName(record.name) === name)
          .sort((a, b) => (a.type === b.type ? 0 : a.type === "A" ? -1 : 1))
          .map((record) => record.data as string)
      : [],
  }));
  return { zone: zoneName, servers };
}
