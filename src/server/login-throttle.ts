/**
 * Login throttling: how many password guesses an attacker gets, and how a
 * real user still gets in while someone else is guessing.
 *
 * Two keys count failures, both stored in the database
 * (src/store/login-throttle.ts), so that a restart or a flood of other keys
 * resets nothing:
 * - the address the attempt comes from (clientAddress: the TCP peer, or the
 *   client a trusted proxy names; IPv6 by its /64, what one host is given);
 * - the account (the e-mail address as typed, known or not, so that the
 *   answers do not tell which accounts exist).
 *
 * An attempt is counted as a failure BEFORE its password is checked, in one
 * transaction per attempt: 200 parallel guesses are counted one after the
 * other, and only the first few reach the hash. A correct password then
 * takes the attempt back (the account starts afresh; the address's count
 * goes back by one, so that logging into one's own account between guesses
 * does not clear an address).
 *
 * Backoff, not lockout: a key may fail `free` times; after that each attempt
 * must wait base × 2^(failures − free) since the last failure, up to `max`.
 * Attempts refused while waiting are not counted, so waiting always ends.
 * Failures are forgotten a day after the last one.
 * - per address (stricter, it is the attacker's own): 10 free, then 1 s,
 *   2 s, 4 s ... up to 15 minutes: about 100 guesses a day;
 * - per account (others can cause it): 5 free, then 1 s ... up to 5
 *   minutes: about 300 guesses a day, from however many addresses.
 *
 * The lane for addresses that have not been failing: when an account is
 * backing off, an attempt from an address with no failures on record (the
 * real user's, typically) is not refused for the account's sake; it takes
 * the account's next free slot in a lane of one attempt per second, waiting
 * for it up to 2 seconds (429 beyond). So an attacker cannot lock a real
 * user out, and one who rotates addresses gets one extra guess per second at
 * most, each address once a day (the attempt makes it a failing address).
 *
 * @example
 *   const throttle = new LoginThrottle();
 *   const verdict = await throttle.reserve(db, { address: "address:192.0.2.7", account: "account:ana@example.org" });
 *   if (!verdict.allowed) return tooMany(verdict.retryAfterMs);
 *   await sleep(verdict.waitMs);
 *   if (passwordIsRight) await throttle.succeeded(db, keys);
 */
import type { Kysely } from "kysely";
import { pruneLoginThrottle, updateLoginThrottle, type Schema, type ThrottleRecord } from "../store/index.ts";

export interface BackoffPolicy {
  /** Failures allowed before any wait. */
  free: number;
  /** The first wait, doubled with each further failure. */
  baseMs: number;
  maxMs: number;
}

export interface LoginThrottleOptions {
  address: BackoffPolicy;
  account: BackoffPolicy;
  /** A key's failures are forgotten this long after its last one. */
  forgetAfterMs: number;
  /** Spacing of the lane for addresses that have not been failing. */
  laneGapMs: number;
  /** How long an attempt may wait for a lane slot before it is refused instead. */
  maxLaneWaitMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  address: { free: 10, baseMs: 1000, maxMs: 15 * 60 * 1000 },
  account: { free: 5, baseMs: 1000, maxMs: 5 * 60 * 1000 },
  forgetAfterMs: 24 * 60 * 60 * 1000,
  laneGapMs: 1000,
  maxLaneWaitMs: 2000,
};

/** How long after its last failure a key with `failures` must wait. */
export function backoffMs(failures: number, policy: BackoffPolicy): number {
  if (failures < policy.free) return 0;
  // 2^30 already exceeds any sensible max; the cap keeps the power finite.
  return Math.min(policy.baseMs * 2 ** Math.min(failures - policy.free, 30), policy.maxMs);
}

/** The keys of one attempt: the address (absent for a password change, which has a session) and the account. */
export interface ThrottleKeys {
  address?: string;
  account: string;
}

export type Verdict =
  | { allowed: true; /** Wait this long (a lane slot) before checking the password. */ waitMs: number }
  | { allowed: false; retryAfterMs: number; by: "address" | "account" };

export class LoginThrottle {
  readonly options: LoginThrottleOptions;
  #reservations = 0;

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.options = { ...DEFAULT_LOGIN_THROTTLE, ...options };
  }

  /** Counts an attempt as failed unless it is refused; call before checking the password. */
  async reserve(db: Kysely<Schema>, keys: ThrottleKeys, now: number = Date.now()): Promise<Verdict> {
    const options = this.options;
    const verdict = await updateLoginThrottle<Verdict>(db, keysOf(keys), now, (stored) => {
      const current = (key: string | undefined): ThrottleRecord => {
        const record = key === undefined ? undefined : stored.get(key);
        return record && now - record.lastFailureAt < options.forgetAfterMs ? record : { failures: 0, lastFailureAt: 0, laneAt: null };
      };
      const address = current(keys.address);
      const account = current(keys.account);
      const refuse = (retryAfterMs: number, by: "address" | "account") => ({ result: { allowed: false, retryAfterMs, by } as Verdict, write: new Map<string, ThrottleRecord | null>() });

      if (keys.address !== undefined) {
        const wait = address.lastFailureAt + backoffMs(address.failures, options.address) - now;
        if (wait > 0) return refuse(wait, "address");
      }
      let waitMs = 0;
      let laneAt = account.laneAt;
      const accountWait = account.lastFailureAt + backoffMs(account.failures, options.account) - now;
      if (accountWait > 0) {
        const clean = keys.address !== undefined && address.failures === 0;
        if (!clean) return refuse(accountWait, "account");
        const slot = Math.max(now, account.laneAt ?? 0);
        if (slot - now > options.maxLaneWaitMs) return refuse(slot - now, "account");
        waitMs = slot - now;
        laneAt = slot + options.laneGapMs;
      }
      const write = new Map<string, ThrottleRecord | null>([[keys.account, { failures: account.failures + 1, lastFailureAt: now, laneAt }]]);
      if (keys.address !== undefined) write.set(keys.address, { failures: address.failures + 1, lastFailureAt: now, laneAt: null });
      return { result: { allowed: true, waitMs }, write };
    });
    // Forgotten rows are removed now and then, not on every attempt.
    if (++this.#reservations % 1000 === 1) await pruneLoginThrottle(db, now - options.forgetAfterMs);
    return verdict;
  }

  /** Takes back a reserved attempt whose password was right. */
  async succeeded(db: Kysely<Schema>, keys: ThrottleKeys, now: number = Date.now()): Promise<void> {
    await updateLoginThrottle(db, keysOf(keys), now, (stored) => {
      const write = new Map<string, ThrottleRecord | null>([[keys.account, null]]);
      const address = keys.address === undefined ? undefined : stored.get(keys.address);
      if (keys.address !== undefined && address) write.set(keys.address, address.failures <= 1 ? null : { ...address, failures: address.failures - 1 });
      return { result: undefined, write };
    });
  }
}

function keysOf(keys: ThrottleKeys): string[] {
  return keys.address === undefined ? [keys.account] : [keys.address, keys.account];
}
