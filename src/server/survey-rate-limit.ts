/**
 * The rate limit of the public survey pages: at most `max` POSTs per
 * client address in a window of `windowMs` (by default 60 a minute: a
 * person answering sends one per page, a script flooding a survey with
 * made-up responses sends thousands). Counted in memory only, and only
 * for the current and the previous window: nothing of the address is
 * ever written anywhere, so the anonymity the survey promises holds.
 *
 * The address is the client's as the login throttle sees it
 * (client-address.ts: the TCP peer, or what a trusted proxy says), keyed
 * by /64 for IPv6 (one host owns a whole /64).
 *
 * @example
 *   const limit = new SurveyRateLimit({ max: 60, windowMs: 60_000 });
 *   if (!limit.take("203.0.113.9")) return tooMany();
 */
import { getConnInfo } from "@hono/node-server/conninfo";
import { clientAddress, throttleAddress } from "./client-address.ts";
import type { AppContext } from "./context.ts";

export interface SurveyRateLimitOptions {
  /** POSTs one address may send per window (default 60). */
  max?: number;
  /** The window's length in milliseconds (default one minute). */
  windowMs?: number;
  /** For tests: the clock. */
  now?: () => number;
}

/** Addresses counted at most per window: past this the first-counted is forgotten, so memory stays bounded under a flood of addresses. */
const MAX_ADDRESSES = 100_000;

export class SurveyRateLimit {
  readonly max: number;
  readonly windowMs: number;
  readonly #now: () => number;
  #window = -1;
  #current = new Map<string, number>();
  #previous = new Map<string, number>();

  constructor(options: SurveyRateLimitOptions = {}) {
    this.max = options.max ?? 60;
    this.windowMs = options.windowMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Counts one request of `address`; false when it is over the limit. The
   * count is a sliding estimate: this window's requests plus the previous
   * window's weighted by how much of it still overlaps the last `windowMs`.
   */
  take(address: string): boolean {
    const now = this.#now();
    const window = Math.floor(now / this.windowMs);
    if (window !== this.#window) {
      this.#previous = window === this.#window + 1 ? this.#current : new Map<string, number>();
      this.#current = new Map();
      this.#window = window;
    }
    const key = throttleAddress(address);
    const overlap = 1 - (now - window * this.windowMs) / this.windowMs;
    const count = (this.#current.get(key) ?? 0) + 1;
    if (count + Math.floor((this.#previous.get(key) ?? 0) * overlap) > this.max) return false;
    if (this.#current.size >= MAX_ADDRESSES && !this.#current.has(key)) {
      // The longest-counted address goes first (a Map keeps insertion order).
      const oldest = this.#current.keys().next().value;
      if (oldest !== undefined) this.#current.delete(oldest);
    }
    this.#current.set(key, count);
    return true;
  }
}

/** The client's address as the login throttle sees it ("unknown" for a request handled in-process, as tests do). */
export function surveyClient(c: AppContext): string {
  let peer: string | undefined;
  try {
    peer = getConnInfo(c).remote.address;
  } catch {
    peer = undefined;
  }
  return clientAddress(peer, c.req.header("x-forwarded-for"), c.get("services").limiter.proxies);
}
