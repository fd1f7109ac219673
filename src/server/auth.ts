/**
 * Passwords, CSRF token comparison and the login defences (throttling,
 * trusted proxies, the hashing queue: see LoginLimiter).
 *
 * - Passwords are hashed with scrypt (memory-hard; RFC 7914), N=2^15,
 *   r=8, p=1 (32 MiB per hash), a random 16-byte salt, stored as
 *   "scrypt$N$r$p$salt$hash" so parameters can be raised later.
 * - Session and CSRF tokens are made and stored by the store (src/store/users.ts:
 *   the database keeps only a session token's SHA-256); this module only
 *   compares a submitted CSRF token with the session's.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { availableParallelism } from "node:os";
import { TrustedProxies } from "./client-address.ts";
import { WorkQueue, type WorkQueueOptions } from "./work-queue.ts";
import { LoginThrottle, type LoginThrottleOptions } from "./login-throttle.ts";

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 };
/** scrypt needs 128·N·r bytes; allow some headroom over that. */
const MAX_MEMORY = 64 * 1024 * 1024;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * The one password rule, for `baseline admin create` and the account forms:
 * length is what resists guessing (NIST SP 800-63B: no composition rules).
 * The upper bound only keeps a form from sending megabytes to hash.
 */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1000;

/** Why `password` is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string): "short" | "long" | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return "short";
  if (password.length > MAX_PASSWORD_LENGTH) return "long";
  return undefined;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: MAX_MEMORY });
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64"), key.toString("base64")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const key = await scryptAsync(password, Buffer.from(salt, "base64"), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAX_MEMORY });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Compares a submitted CSRF token with the session's in constant time. */
export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The same work for an e-mail address no account has: the password is
 * checked against this hash (of a random password, made once with the same
 * parameters), so that a wrong password and an unknown address take the
 * same time and the answer's timing does not tell which accounts exist.
 */
let dummy: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(32).toString("base64"));
  return dummy;
}

export interface LoginLimiterOptions {
  /** `--trust-proxy`: proxies whose X-Forwarded-For is believed (addresses and CIDR ranges). */
  trustProxy?: readonly string[];
  throttle?: Partial<LoginThrottleOptions>;
  hashing?: Partial<WorkQueueOptions>;
}

/**
 * What stands between a client and the password hashes: which proxies are
 * trusted to name the client (client-address.ts), the throttle whose counts
 * the database keeps (login-throttle.ts), and the bounded queue every
 * password check goes through (work-queue.ts, evicting: a flood cannot hold
 * it, and a login from a known device is never refused for an unknown one).
 * One per server.
 */
export class LoginLimiter {
  readonly proxies: TrustedProxies;
  readonly throttle: LoginThrottle;
  readonly hashing: WorkQueue;

  constructor(options: LoginLimiterOptions = {}) {
    this.proxies = new TrustedProxies(options.trustProxy);
    this.throttle = new LoginThrottle(options.throttle);
    // One running place is kept for known devices (work-queue.ts); at least one more for everyone else.
    this.hashing = new WorkQueue({ concurrency: Math.max(2, Math.min(availableParallelism(), 4)), whenFull: "evict", reservedForPriority: 1, ...options.hashing });
    // Made now, so that the first unknown address does not pay for it (and show it in its timing).
    void dummyPasswordHash();
  }
}
