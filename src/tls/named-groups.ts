/**
 * Key exchange groups by name: the IANA "TLS Supported Groups" code points the
 * prober offers, and the RFC 7919 FFDHE primes, so that a TLS 1.2 DHE server's
 * prime (read from its ServerKeyExchange) can be named ffdhe2048 .. ffdhe8192
 * or called a custom group.
 */
import { getDiffieHellman } from "node:crypto";
import { GROUP } from "./client-hello.ts";

const NAMES = new Map<number, string>(Object.entries(GROUP).map(([name, code]) => [code, name === "x25519mlkem768" ? "X25519MLKEM768" : name]));

export function groupName(code: number): string {
  return NAMES.get(code) ?? `group_0x${code.toString(16).padStart(4, "0")}`;
}

/** Elliptic curves a TLS 1.2-or-older ECDHE hello can offer, secure and weak, so the server's whole list is seen. */
export const LEGACY_CURVES: readonly number[] = [
  GROUP.x25519, GROUP.secp256r1, GROUP.secp384r1, GROUP.secp521r1, GROUP.x448,
  GROUP.brainpoolP256r1, GROUP.brainpoolP384r1, GROUP.brainpoolP512r1,
  GROUP.secp224r1, GROUP.secp224k1, GROUP.secp256k1, GROUP.secp192r1, GROUP.secp192k1, GROUP.secp160r1,
  GROUP.sect163k1, GROUP.sect163r2, GROUP.sect233k1, GROUP.sect233r1, GROUP.sect283k1, GROUP.sect283r1,
  GROUP.sect409k1, GROUP.sect409r1, GROUP.sect571k1, GROUP.sect571r1,
];

export const FFDHE_GROUPS: readonly number[] = [GROUP.ffdhe2048, GROUP.ffdhe3072, GROUP.ffdhe4096, GROUP.ffdhe6144, GROUP.ffdhe8192];

/** Groups TLS 1.3 defines (RFC 8446 §4.2.7, RFC 8734 for the brainpool ones), without the hybrid one, which is probed apart. */
export const TLS13_GROUPS: readonly number[] = [
  GROUP.x25519, GROUP.secp256r1, GROUP.secp384r1, GROUP.secp521r1, GROUP.x448,
  GROUP.brainpoolP256r1tls13, GROUP.brainpoolP384r1tls13, GROUP.brainpoolP512r1tls13,
  ...FFDHE_GROUPS,
];

/**
 * RFC 7919 Appendix A: p = 2^b - 2^(b-64) + {[2^(b-130) e] + X} * 2^64 - 1,
 * with the X the RFC gives for each size. Computing the primes from e keeps
 * 2.5 KB of hex out of the source; a test checks them against OpenSSL's.
 */
const FFDHE_X: readonly (readonly [group: number, bits: number, x: bigint])[] = [
  [GROUP.ffdhe2048, 2048, 560316n],
  [GROUP.ffdhe3072, 3072, 2625351n],
  [GROUP.ffdhe4096, 4096, 5736041n],
  [GROUP.ffdhe6144, 6144, 15705020n],
  [GROUP.ffdhe8192, 8192, 10965728n],
];

/** floor(e * 2^bits), from the series e = sum 1/k!, with guard bits so the floor is exact. */
function eFixedPoint(bits: number): bigint {
  const guard = 64n;
  const one = 1n << (BigInt(bits) + guard);
  let term = one;
  let sum = 0n;
  for (let k = 1n; term > 0n; k++) {
    sum += term;
    term /= k;
  }
  return sum >> guard;
}

let primes: Map<string, number> | null = null;

function ffdhePrimes(): Map<string, number> {
  if (primes) return primes;
  const e = eFixedPoint(8192 - 130);
  primes = new Map();
  for (const [group, bits, x] of FFDHE_X) {
    const b = BigInt(bits);
    const scaled = e >> BigInt(8192 - bits); // floor(2^(b-130) e)
    const p = (1n << b) - (1n << (b - 64n)) + (scaled + x) * (1n << 64n) - 1n;
    primes.set(p.toString(16), group);
  }
  return primes;
}

/** The RFC 7919 prime as hex (for tests and evidence). */
export function ffdhePrimeHex(group: number): string | null {
  for (const [hex, code] of ffdhePrimes()) if (code === group) return hex;
  return null;
}

/** The FFDHE group whose prime this is, or null for any other (a "custom" group). */
export function ffdheGroupOfPrime(prime: Uint8Array): number | null {
  const hex = BigInt(`0x${Buffer.from(prime).toString("hex") || "0"}`).toString(16);
  return ffdhePrimes().get(hex) ?? null;
}

/** Bits of a big-endian unsigned integer (leading zero bytes do not count). */
export function bitLength(value: Uint8Array): number {
  const hex = Buffer.from(value).toString("hex").replace(/^0+/, "");
  return hex === "" ? 0 : BigInt(`0x${hex}`).toString(2).length;
}

let modp: Map<string, string> | null = null;

/**
 * The RFC 2409 / RFC 3526 MODP group a prime is, e.g. "RFC 3526 group 14", or null.
 * These are not FFDHE groups (the guidelines call them custom), but naming them
 * tells an administrator where the parameters came from (OpenSSL's automatic ones).
 */
export function modpGroupOfPrime(prime: Uint8Array): string | null {
  if (!modp) {
    modp = new Map();
    for (const [name, label] of [["modp1", "RFC 2409 group 1"], ["modp2", "RFC 2409 group 2"], ["modp5", "RFC 3526 group 5"], ["modp14", "RFC 3526 group 14"],
      ["modp15", "RFC 3526 group 15"], ["modp16", "RFC 3526 group 16"], ["modp17", "RFC 3526 group 17"], ["modp18", "RFC 3526 group 18"]] as const) {
      modp.set(getDiffieHellman(name).getPrime("hex").replace(/^0+/, ""), label);
    }
  }
  return modp.get(Buffer.from(prime).toString("hex").replace(/^0+/, "")) ?? null;
}
