/**
 * Login throttling: how many password guesses an attacker gets, and how a
 * real user still gets in while someone else is guessing.
 *
 * Failures are counted per key, in the database (src/store/login-throttle.ts),
 * so that a restart or a flood of other keys resets nothing:
 * - the address the attempt comes from (clientAddress: the TCP peer, or the
 *   client a trusted proxy names; IPv6 by its /64, what one host is given);
 * - the account (the e-mail address as typed, known or not, so that the
 *   answers do not tell which accounts exist);
 * - the known device, when the attempt carries one: a browser that signed
 *   into this account before (src/store/devices.ts, a random token in a
 *   cookie set at a successful login).
 *
 * An attempt is counted as a failure BEFORE its password is checked, in one
 * transaction per attempt: 200 parallel guesses are counted one after the
 * other, and only the first few reach the hash. A correct password then
 * takes the attempt back: the address's and the account's counts go back by
 * one (so that a guesser gains nothing from the real user's logins), and a
 * known device starts afresh.
 *
 * Backoff, not lockout: a key may fail `free` times; after that each attempt
 * must wait base × 2^(failures − free) since the last failure, up to `max`.
 * Attempts refused while waiting are not counted, so waiting always ends.
 * Failures are forgotten a day after the last one.
 * - per address (stricter, it is the attacker's own): 10 free, then 1 s,
 *   2 s, 4 s ... up to 15 minutes: about 100 guesses a day;
 * - per known device (the same, should its cookie be stolen);
 * - per account (others can cause it): 5 free, then 1 s ... up to 5
 *   minutes: about 300 guesses a day, from however many addresses.
 *
 * Known devices pass the account's backoff: while an account backs off, an
 * attempt with a valid device cookie for it is not held back for the
 * account's sake, nor counted in the account's failures (its address and
 * device limits apply instead), so the account's count is that of attempts
 * from unknown devices alone. Anything an attempt merely says about itself
 * (a fresh address, an address without failures) can be had by an attacker
 * rotating addresses, so it earns nothing; the device token cannot be
 * guessed. So: on a device they signed in from before, a user is never held
 * back by someone else's guessing (unless they share the guesser's address:
 * the same NAT, or a proxy not named with --trust-proxy); on a new device,
 * they can be held back up to 5 minutes at a time for as long as someone
 * keeps guessing at their account.
 *
 * @example
 *   const throttle = new LoginThrottle();
 *   const keys = { address: "address:192.0.2.7", account: "account:ana@example.org", device: knownToken && `device:${knownToken}` };
 *   const verdict = await throttle.reserve(db, keys);
 *   if (!verdict.allowed) return tooMany(verdict.retryAfterMs);
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
  device: BackoffPolicy;
  /** A key's failures are forgotten this long after its last one. */
  forgetAfterMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  address: { free: 10, baseMs: 1000, maxMs: 15 * 60 * 1000 },
  account: { free: 5, baseMs: 1000, maxMs: 5 * 60 * 1000 },
  device: { free: 10, baseMs: 1000, maxMs: 15 * 60 * 1000 },
  forgetAfterMs: 24 * 60 * 60 * 1000,
};

/** How long after its last failure a key with `failures` must wait. */
export function backoffMs(failures: number, policy: BackoffPolicy): number {
  if (failures < policy.free) return 0;
  // 2^30 already exceeds any sensible max; the cap keeps the power finite.
  return Math.min(policy.baseMs * 2 ** Math.min(failures - policy.free, 30), policy.maxMs);
}

/**
 * The keys of one attempt: the address (absent for a password change, which
 * has a session), the account, and the known device of that account the
 * attempt carries, if any (only a device the store found for the account).
 */
export interface ThrottleKeys {
  address?: string;
  account: string;
  device?: string;
}

export type Verdict = { allowed: true } | { allowed: false; retryAfterMs: number; by: "address" | "account" | "device" };

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
      const write = new Map<string, ThrottleRecord | null>();
      const checks: [key: string | undefined, policy: BackoffPolicy, by: "address" | "account" | "device"][] = [
        [keys.address, options.address, "address"],
        [keys.device, options.device, "device"],
        // A known device is neither held back by the account's backoff nor counted in it: see the scheme.
        [keys.device === undefined ? keys.account : undefined, options.account, "account"],
      ];
      for (const [key, policy, by] of checks) {
        if (key === undefined) continue;
        const record = stored.get(key);
        const current = record && now - record.lastFailureAt < options.forgetAfterMs ? record : { failures: 0, lastFailureAt: 0 };
        const wait = current.lastFailureAt + backoffMs(current.failures, policy) - now;
        if (wait > 0) return { result: { allowed: false, retryAfterMs: wait, by }, write: new Map() };
        write.set(key, { failures: current.failures + 1, lastFailureAt: now });
      }
      return { result: { allowed: true }, write };
    });
    // Forgotten rows are removed now and then, not on every attempt.
    if (++this.#reservations % 1000 === 1) await pruneLoginThrottle(db, now - options.forgetAfterMs);
    return verdict;
  }

  /** Takes back a reserved attempt whose password was right. */
  async succeeded(db: Kysely<Schema>, keys: ThrottleKeys, now: number = Date.now()): Promise<void> {
    await updateLoginThrottle(db, keysOf(keys), now, (stored) => {
      const write = new Map<string, ThrottleRecord | null>();
      if (keys.device !== undefined) write.set(keys.device, null);
      for (const key of [keys.address, keys.device === undefined ? keys.account : undefined]) {
        const record = key === undefined ? undefined : stored.get(key);
        if (key !== undefined && record) write.set(key, record.failures <= 1 ? null : { ...record, failures: record.failures - 1 });
      }
      return { result: undefined, write };
    });
  }
}

function keysOf(keys: ThrottleKeys): string[] {
  return [keys.address, keys.device, keys.account].filter((key) => key !== undefined);
}
