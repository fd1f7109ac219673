/**
 * Passwords, CSRF token comparison and login rate limiting.
 *
 * - Passwords are hashed with scrypt (memory-hard; RFC 7914), N=2^15,
 *   r=8, p=1 (32 MiB per hash), a random 16-byte salt, stored as
 *   "scrypt$N$r$p$salt$hash" so parameters can be raised later.
 * - Session and CSRF tokens are made and stored by the store (src/store/users.ts:
 *   the database keeps only a session token's SHA-256); this module only
 *   compares a submitted CSRF token with the session's.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

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
 * Failed logins per key (address and e-mail) in a sliding window: after
 * `limit` failures the key is refused until the window has passed. Memory
 * is bounded: the oldest keys are dropped first.
 */
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;

  constructor(options: { limit?: number; windowMs?: number; maxKeys?: number } = {}) {
    this.#limit = options.limit ?? 5;
    this.#windowMs = options.windowMs ?? 15 * 60 * 1000;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** Milliseconds until `key` may try again; 0 when it may now. */
  retryAfter(key: string, now = Date.now()): number {
    const recent = (this.#failures.get(key) ?? []).filter((at) => now - at < this.#windowMs);
    if (recent.length < this.#limit) return 0;
    return this.#windowMs - (now - (recent[0] ?? now));
  }

  fail(key: string, now = Date.now()): void {
    const recent = (this.#failures.get(key) ?? []).filter((at) => now - at < this.#windowMs);
    this.#failures.delete(key);
    this.#failures.set(key, [...recent, now]);
    if (this.#failures.size > this.#maxKeys) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }

  succeed(key: string): void {
    this.#failures.delete(key);
  }
}
