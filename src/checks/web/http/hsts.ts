/**
 * HSTS (RFC 6797) from the first HTTPS answer of each address, no redirects
 * followed (internet.nl's rule: a redirect answer must carry the header
 * too). The parser follows RFC 6797 §6.1: directives separated by ";",
 * names case-insensitive, values a token or a quoted-string, a directive
 * appearing twice makes the header invalid, max-age is required and is
 * digits only. A user agent reads only the first header field (§8.1).
 */
import { headerValues } from "../../http/client.ts";
import type { CheckDefinition } from "../../types.ts";
import { boundedText, judgeFirstHttpsHeaders, type AddressVerdict } from "./common.ts";

/** One year: internet.nl's and the NCSC-NL guideline's minimum. */
export const HSTS_MIN_MAX_AGE = 31_536_000;

export type HstsParse =
  | { valid: true; maxAge: number; includeSubDomains: boolean; preload: boolean; directives: string[] }
  | { valid: false; reason: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function parseHsts(value: string): HstsParse {
  const seen = new Map<string, string | null>();
  const directives = splitDirectives(value);
  if (directives === null) return { valid: false, reason: "an unterminated quoted-string" };
  // A proxy that joins two header fields makes "max-age=1, max-age=1": not valid syntax, and browsers ignore it.
  if (directives.some((directive) => !directive.includes('"') && directive.includes(","))) {
    return { valid: false, reason: "several values joined by a comma (the header was sent more than once)" };
  }
  for (const raw of directives) {
    const directive = raw.trim();
    if (directive === "") continue;
    const equals = directive.indexOf("=");
    const name = (equals === -1 ? directive : directive.slice(0, equals)).trim().toLowerCase();
    if (!TOKEN.test(name)) return { valid: false, reason: `"${boundedText(directive, 60)}" is not a directive` };
    let directiveValue: string | null = null;
    if (equals !== -1) {
      const rawValue = directive.slice(equals + 1).trim();
      if (rawValue.startsWith('"')) {
        if (rawValue.length < 2 || !rawValue.endsWith('"')) return { valid: false, reason: `the value of ${name} is a broken quoted-string` };
        directiveValue = rawValue.slice(1, -1).replace(/\\(.)/g, "$1");
      } else if (TOKEN.test(rawValue)) {
        directiveValue = rawValue;
      } else {
        return { valid: false, reason: `the value of ${name} is neither a token nor a quoted-string` };
      }
    }
    if (seen.has(name)) return { valid: false, reason: `the directive ${name} appears more than once` };
    seen.set(name, directiveValue);
  }
  if (!seen.has("max-age")) return { valid: false, reason: "the max-age directive is missing" };
  const maxAge = seen.get("max-age");
  if (maxAge === null || maxAge === undefined || !/^\d+$/.test(maxAge)) return { valid: false, reason: `max-age "${boundedText(maxAge ?? "", 40)}" is not a number of seconds` };
  return {
    valid: true,
    maxAge: Number(maxAge.length > 15 ? "999999999999999" : maxAge),
    includeSubDomains: seen.has("includesubdomains"),
    preload: seen.has("preload"),
    directives: [...seen.keys()],
  };
}

/** Splits on ";" outside quoted-strings; null when a quote is left open. */
function splitDirectives(value: string): string[] | null {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i] ?? "";
    if (quoted && char === "\\") {
      current += char + (value[i + 1] ?? "");
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === ";" && !quoted) {
      parts.push(current);
      current = "";
      continue;
    }
    current += char;
  }
  if (quoted) return null;
  parts.push(current);
  return parts;
}

export function judgeHsts(values: readonly string[]): Omit<AddressVerdict, "address"> {
  const first = values[0];
  const evidence: Record<string, unknown> = { header: first === undefined ? null : boundedText(first), headerFields: values.length };
  if (first === undefined) return { status: "failed", summary: "no Strict-Transport-Security header on the first HTTPS answer", evidence };
  const parsed = parseHsts(first);
  if (!parsed.valid) return { status: "failed", summary: `the Strict-Transport-Security header is invalid: ${parsed.reason}`, evidence };
  Object.assign(evidence, { maxAge: parsed.maxAge, includeSubDomains: parsed.includeSubDomains, preload: parsed.preload });
  if (values.length > 1) evidence.note = "more than one Strict-Transport-Security header; browsers read only the first";
  if (parsed.maxAge < HSTS_MIN_MAX_AGE) {
    return { status: "failed", summary: `HSTS max-age is ${parsed.maxAge} s; at least ${HSTS_MIN_MAX_AGE} s (one year) is required`, evidence };
  }
  return { status: "passed", summary: `HSTS max-age is ${parsed.maxAge} s${parsed.includeSubDomains ? " with includeSubDomains" : ""}`, evidence };
}

export const hsts: CheckDefinition = {
  id: "web.hsts",
  standard: "hsts",
  category: "web.https",
  weight: "required",
  title: "HSTS",
  fix: "Send \"Strict-Transport-Security: max-age=31536000\" (or longer) on every HTTPS answer, redirects included.",
  run: (ctx) => judgeFirstHttpsHeaders(ctx, (response) => judgeHsts(headerValues(response, "strict-transport-security"))),
};
