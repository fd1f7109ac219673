/**
 * Reads the few presentation-format (zone file) records a resolver is
 * configured with: root hints (NS, A, AAAA) and trust anchors (DS, DNSKEY).
 *
 * Hand-written because the npm zone-file parsers do not read DS and DNSKEY;
 * this one takes one record per line (parentheses joined), an optional TTL
 * and class, and refuses anything else with the file and line in the error.
 */
import { isIP } from "node:net";
import type { ResourceRecord } from "./types.ts";

export class PresentationError extends Error {
  override name = "PresentationError";
}

const SUPPORTED = new Set(["NS", "A", "AAAA", "DS", "DNSKEY"]);

/** Parses `text` (the content of `source`, named in errors) into records. */
export function parseRecords(text: string, source: string): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  const lines = joinParentheses(text);
  for (const { line, number } of lines) {
    const tokens = line.split(/\s+/).filter(Boolean);
    if (tokens.length === 0) continue;
    const where = `${source}:${number}`;
    const owner = absolute(tokens.shift() as string);
    let ttl = 3600;
    let token = tokens.shift();
    if (token !== undefined && /^\d+$/.test(token)) {
      ttl = Number(token);
      token = tokens.shift();
    }
    if (token?.toUpperCase() === "IN") token = tokens.shift();
    const type = token?.toUpperCase();
    if (!type || !SUPPORTED.has(type)) throw new PresentationError(`${where}: unsupported record type ${token ?? "(missing)"}; expected one of ${[...SUPPORTED].join(", ")}`);
    records.push({ name: owner, type, class: "IN", ttl, data: parseData(type, tokens, where) });
  }
  return records;
}

function parseData(type: string, tokens: string[], where: string): unknown {
  const need = (count: number): void => {
    if (tokens.length < count) throw new PresentationError(`${where}: ${type} record needs ${count} fields, got ${tokens.length}`);
  };
  const integer = (value: string | undefined, field: string, max: number): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value ?? "") || parsed > max) throw new PresentationError(`${where}: ${type} ${field} "${value ?? ""}" is not a number from 0 to ${max}`);
    return parsed;
  };
  switch (type) {
    case "NS":
      need(1);
      return absolute(tokens[0] as string);
    case "A":
    case "AAAA": {
      need(1);
      const address = tokens[0] as string;
      if (isIP(address) !== (type === "A" ? 4 : 6)) throw new PresentationError(`${where}: "${address}" is not an IPv${type === "A" ? 4 : 6} address`);
      return address;
    }
    case "DS": {
      need(4);
      const digest = tokens.slice(3).join("");
      if (!/^([0-9a-fA-F]{2})+$/.test(digest)) throw new PresentationError(`${where}: DS digest is not hexadecimal`);
      return {
        keyTag: integer(tokens[0], "key tag", 65535),
        algorithm: integer(tokens[1], "algorithm", 255),
        digestType: integer(tokens[2], "digest type", 255),
        digest: Buffer.from(digest, "hex"),
      };
    }
    case "DNSKEY": {
      need(4);
      const key = tokens.slice(3).join("");
      if (!/^[A-Za-z0-9+/]+=*$/.test(key)) throw new PresentationError(`${where}: DNSKEY public key is not base64`);
      if (integer(tokens[1], "protocol", 255) !== 3) throw new PresentationError(`${where}: DNSKEY protocol must be 3`);
      return { flags: integer(tokens[0], "flags", 65535), algorithm: integer(tokens[2], "algorithm", 255), key: Buffer.from(key, "base64") };
    }
  }
  throw new PresentationError(`${where}: unsupported record type ${type}`);
}

function absolute(name: string): string {
  return name.endsWith(".") ? name : `${name}.`;
}

/** Strips comments and joins records spread over lines with ( ... ). */
function joinParentheses(text: string): { line: string; number: number }[] {
  const result: { line: string; number: number }[] = [];
  let pending: { line: string; number: number } | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/;.*$/, "");
    if (pending) {
      pending.line += ` ${line}`;
    } else {
      pending = { line, number: index + 1 };
    }
    const open = (pending.line.match(/\(/g) ?? []).length;
    const close = (pending.line.match(/\)/g) ?? []).length;
    if (open === close) {
      result.push({ line: pending.line.replace(/[()]/g, " "), number: pending.number });
      pending = undefined;
    }
  });
  if (pending) throw new PresentationError(`line ${pending.number}: unbalanced parentheses`);
  return result;
}
