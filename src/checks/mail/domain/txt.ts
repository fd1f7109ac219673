/**
 * TXT lookups for the mail policy records (SPF, DMARC, MTA-STS, TLS-RPT,
 * DKIM keys): the resolver gives TXT data in presentation form, one quoted
 * character-string after another ("\"v=spf1 \" \"-all\""); a record's text
 * is their concatenation (RFC 7208 §3.3, RFC 7489 §6.1). A lookup that
 * failed or did not validate is not "no record": callers report it as an
 * error with `lookupProblem`.
 */
import type { Resolution } from "../../../dns/resolver.ts";
import type { DomainContext } from "../../context.ts";

/** Joins the character-strings of one TXT record's presentation form, undoing \" \\ and \DDD escapes. */
export function txtText(data: string): string {
  const bytes: number[] = [];
  let index = 0;
  let quoted = false;
  while (index < data.length) {
    const char = data[index] ?? "";
    if (char === '"') {
      quoted = !quoted;
      index++;
      continue;
    }
    if (!quoted && /\s/.test(char)) {
      index++;
      continue;
    }
    if (char === "\\") {
      const digits = /^\d{3}/.exec(data.slice(index + 1));
      if (digits) {
        bytes.push(Number(digits[0]) & 0xff);
        index += 4;
      } else {
        bytes.push(data.charCodeAt(index + 1) & 0xff);
        index += 2;
      }
      continue;
    }
    bytes.push(data.charCodeAt(index) & 0xff);
    index++;
  }
  return Buffer.from(bytes).toString("utf8");
}

export interface TxtLookup {
  name: string;
  resolution: Resolution;
  /** The text of each TXT record in the answer (after a CNAME too). */
  texts: string[];
}

export async function txtLookup(ctx: DomainContext, name: string): Promise<TxtLookup> {
  const resolution = await ctx.resolve(name, "TXT");
  const texts = resolution.answer.filter((record) => record.type === "TXT").map((record) => txtText(record.data));
  return { name, resolution, texts };
}

/** Why the lookup cannot be read as an answer (failed, or bogus), or null when its answer (maybe empty) stands. */
export function lookupProblem(resolution: Resolution): string | null {
  if (resolution.security === "bogus") return `the ${resolution.type} lookup of ${resolution.name.replace(/\.$/, "")} did not validate (DNSSEC bogus: ${resolution.reason ?? "no reason given"})`;
  if (resolution.rcode !== "NOERROR" && resolution.rcode !== "NXDOMAIN") return `the ${resolution.type} lookup of ${resolution.name.replace(/\.$/, "")} failed (${resolution.rcode}${resolution.reason ? `: ${resolution.reason}` : ""})`;
  return null;
}

/** A record for evidence and summaries: bounded, quoted. */
export function quoteRecord(text: string, max = 200): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** Brief evidence of a lookup. */
export function lookupEvidence(lookup: TxtLookup): Record<string, unknown> {
  return { name: lookup.name, rcode: lookup.resolution.rcode, security: lookup.resolution.security, records: lookup.texts.slice(0, 8).map((text) => text.slice(0, 512)) };
}

/** "v=spf1 ...": the record starts with `prefix` followed by a separator or the end (case-insensitive). */
export function startsWithVersion(text: string, version: string, separator: RegExp): boolean {
  const head = text.slice(0, version.length);
  if (head.toLowerCase() !== version.toLowerCase()) return false;
  const rest = text.slice(version.length);
  return rest === "" || separator.test(rest[0] ?? "");
}
