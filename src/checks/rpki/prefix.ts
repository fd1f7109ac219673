/**
 * IP prefixes as bit strings ("192.0.2.0/24" → family 4, the first 24 bits
 * as "1100000000000000000000100"), the form the prefix tables index by.
 * Strings of '0' and '1' make "the first n bits" a slice and a Map key,
 * which is all route origin validation needs and stays exact for IPv6
 * without BigInt arithmetic.
 */
import { isIP } from "node:net";

export type Family = 4 | 6;

export interface ParsedPrefix {
  family: Family;
  /** The network bits, exactly `length` characters of '0'/'1'. */
  bits: string;
  length: number;
}

/** The 32 or 128 bits of an address, or null when `address` is not an IP address (zone ids are refused). */
export function addressBits(address: string): { family: Family; bits: string } | null {
  const family = isIP(address);
  if (family === 4) return { family: 4, bits: ipv4Bits(address) };
  if (family === 6) {
    const bits = ipv6Bits(address);
    return bits === null ? null : { family: 6, bits };
  }
  return null;
}

/**
 * Parses "ADDRESS/LENGTH". Returns a reason (string) when it is not a
 * prefix: not an address, a length out of range, or host bits set (a
 * prefix with host bits is a typo or a different route; never guess).
 */
export function parsePrefix(text: string): ParsedPrefix | string {
  const slash = text.indexOf("/");
  if (slash < 0) return `"${clip(text)}" is not a prefix (ADDRESS/LENGTH)`;
  const parsed = addressBits(text.slice(0, slash));
  if (!parsed) return `"${clip(text)}" is not a prefix: "${clip(text.slice(0, slash))}" is not an IP address`;
  const lengthText = text.slice(slash + 1);
  const max = parsed.family === 4 ? 32 : 128;
  const length = Number(lengthText);
  if (!/^\d{1,3}$/.test(lengthText) || length > max) return `"${clip(text)}" has prefix length "${clip(lengthText)}" (0-${max} for IPv${parsed.family})`;
  if (parsed.bits.indexOf("1", length) !== -1) return `"${clip(text)}" has bits set after /${length}`;
  return { family: parsed.family, bits: parsed.bits.slice(0, length), length };
}

/** "192.0.2.0/24" from bits (for evidence): the canonical text of a parsed prefix. */
export function formatPrefix(prefix: ParsedPrefix): string {
  const full = prefix.bits.padEnd(prefix.family === 4 ? 32 : 128, "0");
  if (prefix.family === 4) {
    const octets = [0, 8, 16, 24].map((start) => parseInt(full.slice(start, start + 8), 2));
    return `${octets.join(".")}/${prefix.length}`;
  }
  const groups = Array.from({ length: 8 }, (_, index) => parseInt(full.slice(index * 16, index * 16 + 16), 2).toString(16));
  return `${compressIpv6(groups)}/${prefix.length}`;
}

function ipv4Bits(address: string): string {
  const [a = 0, b = 0, c = 0, d = 0] = address.split(".").map(Number);
  return ((((a * 256 + b) * 256 + c) * 256 + d) >>> 0).toString(2).padStart(32, "0");
}

function ipv6Bits(address: string): string | null {
  if (address.includes("%")) return null;
  let text = address;
  // An embedded IPv4 tail ("::ffff:192.0.2.1") becomes two hex groups.
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = ipv4Bits(tail);
    text = `${text.slice(0, lastColon + 1)}${parseInt(v4.slice(0, 16), 2).toString(16)}:${parseInt(v4.slice(16), 2).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill("0"), ...restGroups];
  if (groups.length !== 8) return null;
  return groups.map((group) => parseInt(group, 16).toString(2).padStart(16, "0")).join("");
}

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
