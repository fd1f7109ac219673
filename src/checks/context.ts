/**
 * The per-domain context every check reads the network through. It shares
 * work between checks: a DNS answer, a TLS assessment or an HTTP response is
 * fetched once per domain, however many checks read it (`memo`). It also
 * holds the rules every network step obeys: the address policy (no private
 * targets unless allowed, also when DNS points a public name there), the
 * per-step timeout and the per-domain deadline.
 */
import { domainToASCII } from "node:url";
import { isIP } from "node:net";
import { isSpecialPurpose } from "../dns/address-policy.ts";
import type { Resolution, Resolver } from "../dns/resolver.ts";
import type { Gate } from "../tls/connection.ts";
import type { RoutingData } from "./routing-data.ts";
import { CheckInputError } from "./errors.ts";

export interface CheckSettings {
  /** Baseline's validating resolver (or one with an upstream). */
  resolver: Resolver;
  /** Allow targets on loopback, private and other special-purpose addresses (labs). */
  allowPrivate: boolean;
  /** Each network step (connect, handshake, one HTTP exchange) finishes within this. */
  timeoutMs: number;
  /** The whole domain finishes within this; checks still running then end in `error`. */
  domainDeadlineMs: number;
  /** Extra trusted certificate authorities (PEM), added to Node's Mozilla roots. */
  extraCa: string[];
  /** Validated ROA payloads and BGP origins for route origin validation; null: RPKI not tested. */
  routing: RoutingData | null;
  /** Connections to one host in flight at once, per domain (TLS probes included). */
  connectionsPerHost: number;
  /**
   * Connections to one address at once across every domain being checked (by
   * this process, or by the whole fleet of workers: jobs/address-limit.ts).
   * Absent (`baseline check`): only the per-domain bound above applies.
   */
  addressLimit?: AddressLimit;
  /** The ports that stand in for 80 and 443 (tests on unprivileged ports; also in redirects without a port). */
  webPorts: { http: number; https: number };
  /** The port that stands in for SMTP's 25 (tests on unprivileged ports). */
  smtpPort: number;
  /** DKIM selectors to test (`--dkim-selectors`); empty: only the _domainkey existence test. */
  dkimSelectors: string[];
  /** Clock (tests). */
  now: () => number;
}

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_DOMAIN_DEADLINE_MS = 60_000;

export function defaultSettings(resolver: Resolver, overrides: Partial<CheckSettings> = {}): CheckSettings {
  return {
    resolver,
    allowPrivate: false,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    domainDeadlineMs: DEFAULT_DOMAIN_DEADLINE_MS,
    extraCa: [],
    routing: null,
    connectionsPerHost: 8,
    webPorts: { http: 80, https: 443 },
    smtpPort: 25,
    dkimSelectors: [],
    now: Date.now,
    ...overrides,
  };
}

/**
 * Runs one connection's work while holding a slot of its target address
 * (jobs/address-limit.ts implements it); waits for the slot first, until
 * `signal` aborts.
 */
export interface AddressLimit {
  run<T>(address: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** A target address the policy refuses; checks report it as `error` with this reason. */
export class TargetRefusedError extends Error {
  override name = "TargetRefusedError";
}

/** The domain's deadline passed. */
export class DeadlineError extends Error {
  override name = "DeadlineError";
}

const MAX_NAME_LENGTH = 253;
const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/**
 * The domain as checks use it: lower case, ASCII (IDNs become punycode), no
 * trailing dot. Throws CheckInputError naming the input when it is not a
 * host name (an IP address, a URL, an empty label, a label over 63 bytes).
 */
export function normalizeDomain(input: string): string {
  const trimmed = input.trim();
  if (trimmed === "") throw new CheckInputError("empty domain name");
  if (isIP(trimmed) !== 0 || isIP(trimmed.replace(/^\[|\]$/g, "")) !== 0) {
    throw new CheckInputError(`"${input}" is an IP address; give a domain name`);
  }
  if (/[/:@?#\s]/.test(trimmed)) throw new CheckInputError(`"${input}" is not a domain name (give the host only, e.g. example.org)`);
  const ascii = domainToASCII(trimmed.replace(/\.$/, "").toLowerCase());
  if (ascii === "") throw new CheckInputError(`"${input}" is not a valid domain name`);
  if (ascii.length > MAX_NAME_LENGTH) throw new CheckInputError(`"${input}" is longer than ${MAX_NAME_LENGTH} characters`);
  const labels = ascii.split(".");
  for (const label of labels) {
    if (!LABEL.test(label)) throw new CheckInputError(`"${input}" has an invalid label "${label}" (letters, digits and inner hyphens, 1-63 characters)`);
  }
  if (labels.length < 2) throw new CheckInputError(`"${input}" is not a fully qualified domain name`);
  return ascii;
}

export interface HostAddresses {
  ipv4: string[];
  ipv6: string[];
  /** Addresses DNS gave that the policy refuses (private, loopback, ...), with why. */
  refused: { address: string; reason: string }[];
  /** The A and AAAA resolutions, for evidence. */
  resolutions: Resolution[];
}

export class DomainContext {
  readonly domain: string;
  readonly settings: CheckSettings;
  /** Aborted at the domain's deadline: long probes listen to it. */
  readonly signal: AbortSignal;
  readonly #memo = new Map<string, Promise<unknown>>();
  readonly #deadline: AbortController;
  readonly #timer: NodeJS.Timeout;

  constructor(domain: string, settings: CheckSettings) {
    this.domain = normalizeDomain(domain);
    this.settings = settings;
    this.#deadline = new AbortController();
    this.signal = this.#deadline.signal;
    this.#timer = setTimeout(() => this.#deadline.abort(new DeadlineError(`the domain's deadline of ${settings.domainDeadlineMs} ms passed`)), settings.domainDeadlineMs);
    this.#timer.unref();
  }

  /**
   * Computes `key` once per domain; later callers share the first one's
   * promise (also its failure). Keys name the work, e.g. "tls:443:192.0.2.1".
   */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let pending = this.#memo.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = compute();
      // A failure is the callers' to handle; do not let an unread one crash the process.
      pending.catch(() => undefined);
      this.#memo.set(key, pending);
    }
    return pending;
  }

  /** A validated DNS lookup, shared by every check of this domain. */
  resolve(name: string, type: string): Promise<Resolution> {
    const absolute = name.endsWith(".") ? name.toLowerCase() : `${name.toLowerCase()}.`;
    return this.memo(`dns:${absolute}:${type}`, () => this.settings.resolver.resolve(absolute, type));
  }

  /**
   * The IPv4 and IPv6 addresses of `host` that checks may connect to. An
   * address the policy refuses is listed in `refused` and never connected
   * to: a public name that DNS points at 127.0.0.1 or 10.x is refused too
   * (DNS rebinding), unless the settings allow private targets.
   */
  addresses(host: string): Promise<HostAddresses> {
    return this.memo(`addresses:${host.toLowerCase()}`, async () => {
      const [a, aaaa] = await Promise.all([this.resolve(host, "A"), this.resolve(host, "AAAA")]);
      const result: HostAddresses = { ipv4: [], ipv6: [], refused: [], resolutions: [a, aaaa] };
      for (const resolution of [a, aaaa]) {
        for (const record of resolution.answer) {
          if (record.type !== "A" && record.type !== "AAAA") continue;
          const reason = this.refusal(record.data);
          if (reason) result.refused.push({ address: record.data, reason });
          else (record.type === "A" ? result.ipv4 : result.ipv6).push(record.data);
        }
      }
      return result;
    });
  }

  /** Why the policy refuses to connect to `address`, or null when it may. */
  refusal(address: string): string | null {
    if (isIP(address) === 0) return `"${address}" is not an IP address`;
    if (!this.settings.allowPrivate && isSpecialPurpose(address)) {
      return `${address} is a loopback, private or special-purpose address (refused unless --allow-private)`;
    }
    return null;
  }

  /** Throws TargetRefusedError unless checks may connect to `address`. */
  assertTarget(address: string): void {
    const reason = this.refusal(address);
    if (reason) throw new TargetRefusedError(reason);
  }

  /**
   * Runs `task`, which holds one connection to `address` while it runs,
   * within settings.addressLimit (waiting for a slot at most until the
   * domain's deadline); at once when there is no such limit. Every
   * connection to a target goes through here or through addressGate: HTTP
   * (http/fetch.ts), TLS probes and handshakes (web/tls/engine-checks.ts,
   * cert-probe.ts), SMTP (mail/transport/targets.ts, mail/domain/ipv6.ts).
   * DNS queries do not: they go to name servers, through the resolver.
   */
  gated<T>(address: string, task: () => Promise<T>): Promise<T> {
    const limit = this.settings.addressLimit;
    return limit ? limit.run(address, task, this.signal) : task();
  }

  /** gated() as a Gate for one address, for probes that take one; undefined when there is no limit. */
  addressGate(address: string): Gate | undefined {
    const limit = this.settings.addressLimit;
    return limit ? (task) => limit.run(address, task, this.signal) : undefined;
  }

  /** Throws the deadline's error once the domain's deadline passed. */
  throwIfExpired(): void {
    if (this.signal.aborted) throw this.signal.reason instanceof Error ? this.signal.reason : new DeadlineError("deadline passed");
  }

  /** Stops the deadline timer; the report is complete. */
  close(): void {
    clearTimeout(this.#timer);
  }
}
