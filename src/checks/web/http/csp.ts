/**
 * Content-Security-Policy: a parser following CSP Level 3 §2.2 ("parse a
 * serialized CSP list": policies split on ",", directives on ";", the name
 * is the first whitespace-delimited token in lower case, a repeated
 * directive is ignored, values are whitespace-separated source
 * expressions) and internet.nl's judgement of a policy: default-src and
 * base-uri 'none', or 'self' with hosts of the domain only; no
 * 'unsafe-inline', 'unsafe-eval', 'unsafe-hashes', wildcard, bare https: or
 * http: source in any directive, no data: for scripts and objects;
 * frame-src (or default-src), frame-ancestors 'self'/'none' and form-action
 * set. Unlike internet.nl, a scheme-less host counts as https on an HTTPS
 * page (CSP3 matches it so), and 'unsafe-inline' beside a nonce or hash is
 * ignored as browsers ignore it. A report-only policy enforces nothing.
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

/** Fetch directives fall back to default-src (CSP3 §6.8.3, simplified: script-src-elem/attr and frame-src's child-src step included). */
const FALLBACKS: Record<string, readonly string[]> = {
  "script-src-elem": ["script-src"], "script-src-attr": ["script-src"], "style-src-elem": ["style-src"], "style-src-attr": ["style-src"],
  "frame-src": ["child-src"], "worker-src": ["child-src", "script-src"],
};
const FETCH_DIRECTIVES = new Set(["child-src", "connect-src", "font-src", "frame-src", "img-src", "manifest-src", "media-src", "object-src", "prefetch-src",
  "script-src", "script-src-elem", "script-src-attr", "style-src", "style-src-elem", "style-src-attr", "worker-src"]);
/** Where data: runs code (internet.nl: object-src and script-src, and default-src behind them). */
const CODE_DIRECTIVES = new Set(["default-src", "script-src", "script-src-elem", "script-src-attr", "object-src"]);

/** The source list that governs `directive` in `policy`, or null when nothing restricts it. */
function effective(policy: CspPolicy, directive: string): string[] | null {
  const own = policy.directives.get(directive);
  if (own) return own;
  if (!FETCH_DIRECTIVES.has(directive)) return null;
  for (const fallback of FALLBACKS[directive] ?? []) {
    const list = policy.directives.get(fallback);
    if (list) return list;
  }
  return policy.directives.get("default-src") ?? null;
}

const lower = (sources: readonly string[]): string[] => sources.map((source) => source.toLowerCase());

/**
 * The sources in a list that open it up: the unsafe keywords, a wildcard, a
 * bare https: scheme, http: in any form, and data: where it runs code (as
 * internet.nl counts them). CSP3 ignores 'unsafe-inline' next to a nonce or
 * hash, and with 'strict-dynamic' also host and scheme sources, so those do
 * not count then (the usual fallback for old browsers).
 */
function looseSources(directive: string, sources: readonly string[]): string[] {
  const list = lower(sources);
  const nonceOrHash = list.some((source) => /^'(nonce|sha256|sha384|sha512)-/.test(source));
  const strictDynamic = nonceOrHash && list.includes("'strict-dynamic'");
  return list.filter((source) => {
    if (source === "'unsafe-eval'" || source === "'unsafe-hashes'") return true;
    if (source === "'unsafe-inline'") return !nonceOrHash;
    if (strictDynamic) return false;
    if (source === "*" || source === "https:" || source === "http:" || source.startsWith("http://") || /^(https?:\/\/)?\*(:|\/|$)/.test(source)) return true;
    return source === "data:" && CODE_DIRECTIVES.has(directive);
  });
}

/** Host part of a host-source ("https://*.example.org:443/path" → "*.example.org"), or null. */
function hostOf(source: string): string | null {
  return /^(?:https:\/\/)?((?:\*\.)?[a-z0-9.-]+)(?::\d+)?(?:\/.*)?$/.exec(source)?.[1] ?? null;
}

/**
 * internet.nl's rule for default-src and base-uri: 'none' alone, or 'self'
 * with at most hosts of the domain itself (its subdomains or parents) and 'report-sample'.
 */
function selfOrNone(sources: readonly string[], domain: string): boolean {
  const list = lower(sources);
  if (list.length === 1 && list[0] === "'none'") return true;
  if (!list.includes("'self'")) return false;
  return list.every((source) => {
    if (source === "'self'" || source === "'report-sample'") return true;
    const host = hostOf(source)?.replace(/^\*\./, "");
    return host !== undefined && host !== "" && (host === domain || host.endsWith(`.${domain}`) || domain.endsWith(`.${host}`));
  });
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

/**
 * Several enforced policies all apply: a source is allowed only when every
 * policy that restricts the directive allows it, and a required directive
 * is there when any policy sets it.
 */
export function judgeCspPolicies(policies: readonly CspPolicy[], domain: string): CspJudgement {
  const issues: string[] = [];
  const some = (test: (policy: CspPolicy) => boolean): boolean => policies.some(test);

  const names = new Set(["script-src", "object-src", ...policies.flatMap((policy) => [...policy.directives.keys()])]);
  for (const directive of names) {
    if (directive === "report-uri" || directive === "report-to" || directive === "sandbox" || directive === "plugin-types" || directive === "trusted-types") continue;
    const lists = policies.map((policy) => effective(policy, directive)).filter((list): list is string[] => list !== null);
    if (lists.length === 0) {
      if (directive === "script-src" || directive === "object-src") issues.push(`${directive} is not restricted (neither it nor default-src is set)`);
      continue;
    }
    // Allowed by all restricting policies: the first policy's loose sources that every other one allows too.
    const [first = [], ...rest] = lists.map((list) => looseSources(directive, list));
    const open = first.filter((source) => rest.every((other) => other.includes(source)));
    // A directive that only falls back to default-src is reported as default-src.
    if (open.length > 0 && policies.some((policy) => policy.directives.has(directive))) {
      issues.push(`${directive} allows ${[...new Set(open)].join(" ")}`);
    }
  }
  if (!some((policy) => selfOrNone(policy.directives.get("default-src") ?? [], domain))) issues.push("default-src is not 'none', or 'self' with at most hosts of the domain");
  if (!some((policy) => policy.directives.has("default-src") || policy.directives.has("frame-src"))) issues.push("neither default-src nor frame-src limits frames");
  if (!some((policy) => { const list = lower(policy.directives.get("frame-ancestors") ?? []); return (list.includes("'self'") || list.includes("'none'")) && restrictive(list); })) {
    issues.push("frame-ancestors is missing or not 'self' or 'none'");
  }
  if (!some((policy) => selfOrNone(policy.directives.get("base-uri") ?? [], domain))) issues.push("base-uri is missing or not 'none', or 'self' with at most hosts of the domain");
  if (!some((policy) => restrictive(policy.directives.get("form-action") ?? []))) issues.push("form-action is missing or not limited to 'self', 'none' or named https hosts");
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

export function judgeCsp(values: readonly string[], reportOnly: readonly string[], domain: string): Omit<AddressVerdict, "address"> {
  const policies = parseCspList(values);
  if (policies.length === 0) {
    const evidence = { reportOnly: reportOnly.slice(0, 4).map((value) => boundedText(value)) };
    const summary = reportOnly.length > 0
      ? "only a Content-Security-Policy-Report-Only header, which enforces nothing"
      : "no Content-Security-Policy header on the first HTTPS answer";
    return { status: "failed", summary, evidence };
  }
  const judgement = judgeCspPolicies(policies, domain);
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
  run: (ctx) => judgeFirstHttpsHeaders(ctx, (response) => judgeCsp(headerValues(response, "content-security-policy"), headerValues(response, "content-security-policy-report-only"), ctx.domain)),
};
