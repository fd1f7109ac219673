/**
 * IP addresses and prefixes in the forms the prefix table indexes by:
 * IPv4 as an unsigned 32-bit number (the first n bits are `value >>> (32 - n)`),
 * IPv6 as a string of 128 '0'/'1' characters (the first n bits are a slice),
 * which stays exact without BigInt arithmetic. VRP and route tables are
 * mostly IPv4, so that path avoids strings and regular expressions: a
 * load of 500,000 entries is dominated by parsing otherwise.
 */
import { isIP } from "node:net";

export type Family = 4 | 6;

const DIGITS = /^\d{1,3}$/;

export type ParsedAddress = { family: 4; value: number } | { family: 6; bits: string };

export type ParsedPrefix = { family: 4; value: number; length: number } | { family: 6; bits: string; length: number };

/** The address in indexable form, or null when `address` is not an IP address (zone ids are refused). */
export function parseAddress(address: string): ParsedAddress | null {
  const v4 = parseIpv4(address);
  if (v4 >= 0) return { family: 4, value: v4 };
  if (isIP(address) !== 6) return null;
  const bits = ipv6Bits(address);
  return bits === null ? null : { family: 6, bits };
}

/**
 * Parses "ADDRESS/LENGTH". Returns a reason (string) when it is not a
 * prefix: not an address, a length out of range, or host bits set (a
 * prefix with host bits is a typo or a different route; never guess).
 */
export function parsePrefix(text: string): ParsedPrefix | string {
  const slash = text.indexOf("/");
  if (slash < 0) return `"${clip(text)}" is not a prefix (ADDRESS/LENGTH)`;
  const address = parseAddress(text.slice(0, slash));
  if (!address) return `"${clip(text)}" is not a prefix: "${clip(text.slice(0, slash))}" is not an IP address`;
  const lengthText = text.slice(slash + 1);
  const max = address.family === 4 ? 32 : 128;
  const length = Number(lengthText);
  if (!DIGITS.test(lengthText) || length > max) {
    return `"${clip(text)}" has prefix length "${clip(lengthText)}" (0-${max} for IPv${address.family})`;
  }
  if (address.family === 4) {
    if (length < 32 && address.value % 2 ** (32 - length) !== 0) return `"${clip(text)}" has bits set after /${length}`;
    return { family: 4, value: address.value, length };
  }
  if (address.bits.indexOf("1", length) !== -1) return `"${clip(text)}" has bits set after /${length}`;
  return { family: 6, bits: address.bits.slice(0, length), length };
}

/** The first `length` bits of an IPv4 value, as a per-length key. */
export function ipv4Key(value: number, length: number): number {
  return length === 0 ? 0 : value >>> (32 - length);
}

/**
 * The canonical text of a prefix as given: IPv4 text that parsed is already
 * canonical (no leading zeros), IPv6 is rewritten per RFC 5952.
 */
export function canonicalPrefixText(text: string, prefix: ParsedPrefix): string {
  return prefix.family === 4 ? text : formatPrefix(prefix);
}

/** "192.0.2.0/24", "2001:db8::/32": the canonical text of a parsed prefix. */
export function formatPrefix(prefix: ParsedPrefix): string {
  if (prefix.family === 4) {
    const value = prefix.value;
    return `${Math.floor(value / 16777216)}.${Math.floor(value / 65536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}/${prefix.length}`;
  }
  const full = prefix.bits.padEnd(128, "0");
  const groups = Array.from({ length: 8 }, (_, index) => parseInt(full.slice(index * 16, index * 16 + 16), 2).toString(16));
  return `${compressIpv6(groups)}/${prefix.length}`;
}

/**
 * A dotted-quad IPv4 address as an unsigned 32-bit number, or -1. Strict
 * like node:net's isIP: four decimal octets 0-255 without leading zeros.
 */
function parseIpv4(text: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 48 && code <= 57) {
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (code - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else if (code === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** The 128 bits of a valid IPv6 address (isIP checked it), or null with a zone id. */
function ipv6Bits(address: string): string | null {
  if (address.includes("%")) return null;
  let text = address;
  // An embedded IPv4 tail ("::ffff:192.0.2.1") becomes two hex groups.
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIpv4(tail);
    if (v4 < 0) return null;
    text = `${text.slice(0, lastColon + 1)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - restGroups.length).fill("0"), ...restGroups];
  if (groups.length !== 8) return null;
  let bits = "";
  for (const group of groups) {
    const padded = group.padStart(4, "0");
    for (let index = 0; index < 4; index++) bits += NIBBLES[parseInt(padded[index] ?? "0", 16)] ?? "";
  }
  return bits;
}

/** The four bits of each hex digit. */
const NIBBLES: readonly string[] = Array.from({ length: 16 }, (_, value) => value.toString(2).padStart(4, "0"));

/** RFC 5952 §4.2: the longest run of two or more zero groups becomes "::". */
function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== "0") {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === "0") end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  if (bestStart < 0) return groups.join(":");
  return `${groups.slice(0, bestStart).join(":")}::${groups.slice(bestStart + bestLength).join(":")}`;
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}
