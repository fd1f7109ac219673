/**
 * X-Frame-Options, X-Content-Type-Options and Referrer-Policy on the first
 * HTTPS answer of each address (no redirects followed), judged as
 * internet.nl does.
 */
import { headerValues, type HttpResponse } from "../../http/client.ts";
import type { CheckDefinition } from "../../types.ts";
import { boundedText, judgeFirstHttpsHeaders, type AddressVerdict } from "./common.ts";
import { cspLimitsFraming } from "./csp.ts";

/** Header field values joined as one list (RFC 9110 §5.3), split on commas, trimmed, empty ones dropped. */
function listOf(values: readonly string[]): string[] {
  return values.flatMap((value) => value.split(",")).map((value) => value.trim()).filter((value) => value !== "");
}

/**
 * HTML's rule: the values (all fields, comma-split) must agree, else the
 * header is ignored; DENY and SAMEORIGIN protect, ALLOW-FROM is obsolete and
 * ignored by browsers. A CSP frame-ancestors that limits framing counts too.
 */
export function judgeFrameOptions(response: HttpResponse): Omit<AddressVerdict, "address"> {
  const values = listOf(headerValues(response, "x-frame-options"));
  const csp = headerValues(response, "content-security-policy");
  const framing = cspLimitsFraming(csp);
  const evidence = { xFrameOptions: values.slice(0, 8).map((value) => boundedText(value, 100)), cspFrameAncestors: framing };
  const distinct = new Set(values.map((value) => value.toLowerCase()));
  const only = distinct.size === 1 ? [...distinct][0] : undefined;
  if (only === "deny" || only === "sameorigin") return { status: "passed", summary: `X-Frame-Options is ${only.toUpperCase()}`, evidence };
  if (framing) return { status: "passed", summary: "framing is limited by the Content-Security-Policy's frame-ancestors", evidence };
  if (values.length === 0) return { status: "failed", summary: "no X-Frame-Options header and no CSP frame-ancestors", evidence };
  if (distinct.size > 1) return { status: "failed", summary: "X-Frame-Options has conflicting values, which browsers ignore", evidence };
  return { status: "failed", summary: `X-Frame-Options "${boundedText(values[0] ?? "", 60)}" is not DENY or SAMEORIGIN`, evidence };
}

/** Fetch's rule: the first value of the (combined) header must be "nosniff". */
export function judgeContentTypeOptions(response: HttpResponse): Omit<AddressVerdict, "address"> {
  const values = listOf(headerValues(response, "x-content-type-options"));
  const evidence = { xContentTypeOptions: values.slice(0, 8).map((value) => boundedText(value, 100)) };
  if (values.length === 0) return { status: "failed", summary: "no X-Content-Type-Options header", evidence };
  if ((values[0] ?? "").toLowerCase() !== "nosniff") return { status: "failed", summary: `X-Content-Type-Options is "${boundedText(values[0] ?? "", 60)}", not nosniff`, evidence };
  return { status: "passed", summary: "X-Content-Type-Options is nosniff", evidence };
}

const GOOD_REFERRER = new Set(["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"]);
const WARN_REFERRER = new Set(["origin", "origin-when-cross-origin"]);
const BAD_REFERRER = new Set(["unsafe-url", "no-referrer-when-downgrade"]);

/**
 * Referrer Policy spec §8.1: the header is a comma list; unknown tokens are
 * ignored and the last known one applies (so new policies degrade well).
 */
export function judgeReferrerPolicy(response: HttpResponse): Omit<AddressVerdict, "address"> {
  const tokens = listOf(headerValues(response, "referrer-policy")).map((token) => token.toLowerCase());
  const known = tokens.filter((token) => GOOD_REFERRER.has(token) || WARN_REFERRER.has(token) || BAD_REFERRER.has(token));
  const policy = known.at(-1);
  const evidence = { referrerPolicy: tokens.slice(0, 8).map((token) => boundedText(token, 100)), effective: policy ?? null };
  // Without the header browsers use strict-origin-when-cross-origin; internet.nl only recommends setting it.
  if (tokens.length === 0) return { status: "warning", summary: "no Referrer-Policy header (browsers then use strict-origin-when-cross-origin)", evidence };
  if (policy === undefined) return { status: "failed", summary: "the Referrer-Policy header has no valid policy", evidence };
  if (GOOD_REFERRER.has(policy)) return { status: "passed", summary: `Referrer-Policy is ${policy}`, evidence };
  if (WARN_REFERRER.has(policy)) return { status: "warning", summary: `Referrer-Policy is ${policy}, which sends the origin to other sites`, evidence };
  return { status: "failed", summary: `Referrer-Policy is ${policy}, which sends full URLs to other sites`, evidence };
}

export const frameOptions: CheckDefinition = {
  id: "web.headers.x-frame-options",
  standard: "http-security-headers",
  category: "web.appsecpriv",
  weight: "recommended",
  title: "X-Frame-Options",
  fix: "Send \"X-Frame-Options: DENY\" (or SAMEORIGIN), or a Content-Security-Policy with frame-ancestors 'none' or 'self'.",
  run: (ctx) => judgeFirstHttpsHeaders(ctx, judgeFrameOptions),
};

export const contentTypeOptions: CheckDefinition = {
  id: "web.headers.x-content-type-options",
  standard: "http-security-headers",
  category: "web.appsecpriv",
  weight: "recommended",
  title: "X-Content-Type-Options",
  fix: "Send \"X-Content-Type-Options: nosniff\" on every answer.",
  run: (ctx) => judgeFirstHttpsHeaders(ctx, judgeContentTypeOptions),
};

export const referrerPolicy: CheckDefinition = {
  id: "web.headers.referrer-policy",
  standard: "http-security-headers",
  category: "web.appsecpriv",
  weight: "recommended",
  title: "Referrer-Policy",
  fix: "Send \"Referrer-Policy: no-referrer\", same-origin, strict-origin or strict-origin-when-cross-origin.",
  run: (ctx) => judgeFirstHttpsHeaders(ctx, judgeReferrerPolicy),
};
