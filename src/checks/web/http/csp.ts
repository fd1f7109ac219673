/**
 * Content-Security-Policy: a parser following CSP Level 3 §2.2 ("parse a
 * serialized CSP list": policies split on ",", directives on ";", the name
 * is the first whitespace-delimited token in lower case, a repeated
 * directive is ignored, values are whitespace-separated source
 * expressions) and internet.nl's judgement of a policy: default-src 'self'
 * or 'none'; scripts and objects without 'unsafe-inline', 'unsafe-eval',
 * data: or a bare wildcard; no http: sources; frame-ancestors, base-uri and
 * form-action set. Several enforced policies all apply, so a rule fails only
 * when no policy enforces it. A report-only policy enforces nothing.
 */
import { headerValues } from "../../http/client.ts";
import type { CheckDefinition } from "../../types.ts";
import { boundedText, judgeFirstHttpsHeaders, type AddressVerdict } from "./common.ts";

export interface CspPolicy {
  directives: Map<string, string[]>;
  /** Directive names that appeared again (the repeats are ignored, CSP3 §2.2.1 step 2.4). */
  duplicates: string[];
}

const ASCII_WHITESPACE = /[\t\n\f\r ]+/;

export function parseCspList(values: readonly string[]): CspPolicy[] {
  const policies: CspPolicy[] = [];
  for (const value of values) {
    for (const serialized of value.split(",")) {
      const policy = parseCsp(serialized);
      if (policy.directives.size > 0) policies.push(policy);
    }
  }
  return policies;
}

export function parseCsp(serialized: string): CspPolicy {
  const directives = new Map<string, string[]>();
  const duplicates: string[] = [];
  for (const token of serialized.split(";")) {
    const trimmed = token.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "");
    // CSP3: a token with non-ASCII code points is skipped.
    if (trimmed === "" || /[^\x20-\x7e\t\n\f\r]/.test(trimmed)) continue;
    const [rawName = "", ...value] = trimmed.split(ASCII_WHITESPACE);
    const name = rawName.toLowerCase();
    if (directives.has(name)) {
      duplicates.push(name);
      continue;
    }
    directives.set(name, value);
  }
  return { directives, duplicates };
}

/** The source list that governs `directive`, falling back to default-src as CSP3 does for fetch directives. */
function effective(policy: CspPolicy, directive: string): string[] | null {
  return policy.directives.get(directive) ?? policy.directives.get("default-src") ?? null;
}

const lower = (sources: readonly string[]): string[] => sources.map((source) => source.toLowerCase());

/**
 * Sources that let any script run: unsafe keywords, data:, a bare * or a
 * scheme-only source. CSP3 ignores 'unsafe-inline' next to a nonce or hash,
 * and with 'strict-dynamic' also every host and scheme source, so those do
 * not count then (the usual fallback for old browsers).
 */
function unsafeScriptSources(sources: readonly string[]): string[] {
  const list = lower(sources);
  const nonceOrHash = list.some((source) => /^'(nonce|sha256|sha384|sha512)-/.test(source));
  const strictDynamic = nonceOrHash && list.includes("'strict-dynamic'");
  const bad = new Set(["'unsafe-eval'", "'unsafe-hashes'"]);
  if (!nonceOrHash) bad.add("'unsafe-inline'");
  if (!strictDynamic) for (const source of ["data:", "*", "https:", "http:", "blob:", "filesystem:"]) bad.add(source);
  return list.filter((source) => bad.has(source));
}

function httpSources(sources: readonly string[]): string[] {
  return lower(sources).filter((source) => source === "http:" || source.startsWith("http://"));
}

/** Only 'self', 'none' or named https hosts (a subdomain wildcard allowed); no bare wildcard, no other scheme. */
function restrictive(sources: readonly string[]): boolean {
  const list = lower(sources);
  if (list.length === 0) return false;
  return list.every((source) => source === "'self'" || source === "'none'" || /^https:\/\/(\*\.)?[a-z0-9]/.test(source) || /^(\*\.)?[a-z0-9.-]+\.[a-z]{2,}(:\d+)?(\/.*)?$/.test(source));
}

export interface CspJudgement {
  issues: string[];
  policies: { directives: Record<string, string[]>; duplicates: string[] }[];
}

export function judgeCspPolicies(policies: readonly CspPolicy[]): CspJudgement {
  const issues: string[] = [];
  // A rule holds when at least one enforced policy imposes it.
  const some = (test: (policy: CspPolicy) => boolean): boolean => policies.some(test);

  if (!some((policy) => { const d = policy.directives.get("default-src"); return d !== undefined && (lower(d).includes("'none'") || lower(d).includes("'self'")) && restrictive(d); })) {
    issues.push("default-src is not 'self' or 'none'");
  }
  for (const directive of ["script-src", "object-src"]) {
    const lists = policies.map((policy) => effective(policy, directive));
    if (lists.every((list) => list === null)) {
      issues.push(`${directive} is not restricted (neither it nor default-src is set)`);
      continue;
    }
    const safe = lists.some((list) => list !== null && unsafeScriptSources(list).length === 0);
    if (!safe) {
      const found = [...new Set(lists.flatMap((list) => (list ? unsafeScriptSources(list) : [])))];
      issues.push(`${directive} allows ${found.join(" ")}`);
    }
  }
  const insecure = [...new Set(policies.flatMap((policy) => [...policy.directives.entries()].filter(([, sources]) => httpSources(sources).length > 0).map(([name]) => name)))];
  if (insecure.length > 0) issues.push(`http: sources in ${insecure.join(", ")}`);
  for (const directive of ["frame-ancestors", "base-uri", "form-action"]) {
    if (!some((policy) => policy.directives.has(directive))) issues.push(`${directive} is missing`);
    else if (!some((policy) => restrictive(policy.directives.get(directive) ?? []))) issues.push(`${directive} is not limited to 'self', 'none' or named https hosts`);
  }
  return {
    issues,
    policies: policies.slice(0, 4).map((policy) => ({
      directives: Object.fromEntries([...policy.directives.entries()].slice(0, 32).map(([name, sources]) => [name, sources.slice(0, 16).map((source) => boundedText(source, 100))])),
      duplicates: policy.duplicates.slice(0, 16),
    })),
  };
}

/** Whether the enforced CSP limits framing (frame-ancestors restrictive): the alternative to X-Frame-Options. */
export function cspLimitsFraming(values: readonly string[]): boolean {
  return parseCspList(values).some((policy) => restrictive(policy.directives.get("frame-ancestors") ?? []));
}

export function judgeCsp(values: readonly string[], reportOnly: readonly string[]): Omit<AddressVerdict, "address"> {
  const policies = parseCspList(values);
  if (policies.length === 0) {
    const evidence = { reportOnly: reportOnly.slice(0, 4).map((value) => boundedText(value)) };
    const summary = reportOnly.length > 0
      ? "only a Content-Security-Policy-Report-Only header, which enforces nothing"
      : "no Content-Security-Policy header on the first HTTPS answer";
    return { status: "failed", summary, evidence };
  }
  const judgement = judgeCspPolicies(policies);
  const evidence = { policies: judgement.policies, issues: judgement.issues };
  if (judgement.issues.length === 0) return { status: "passed", summary: "the Content-Security-Policy restricts scripts, framing, base-uri and form-action", evidence };
  return { status: "failed", summary: `the Content-Security-Policy is weak: ${boundedText(judgement.issues.join("; "), 300)}`, evidence };
}

export const contentSecurityPolicy: CheckDefinition = {
  id: "web.headers.csp",
  standard: "http-security-headers",
  category: "web.appsecpriv",
  weight: "recommended",
  title: "Content-Security-Policy",
  fix: "Send a Content-Security-Policy with at least default-src 'self', frame-ancestors 'self', base-uri 'self' and form-action 'self', without 'unsafe-inline', 'unsafe-eval', data: or http: sources for scripts.",
  run: (ctx) => judgeFirstHttpsHeaders(ctx, (response) => judgeCsp(headerValues(response, "content-security-policy"), headerValues(response, "content-security-policy-report-only"))),
};
