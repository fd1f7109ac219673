/**
 * security.txt (RFC 9116) as internet.nl tests it: fetched over HTTPS from
 * /.well-known/security.txt, or else from the legacy /security.txt (an
 * error: RFC 9116 requires /.well-known/, as internet.nl does); redirects
 * followed (at most 10, HTTPS only) and recorded; status 200; Content-Type text/plain (a charset other than utf-8 fails, a
 * missing one warns, as in internet.nl's validator); at most the first
 * 100 KiB read (a larger file fails: reading stops at the cap, and the
 * complete lines read are parsed); then the fields (security-txt-parse.ts),
 * unless the answer is not text/plain (an HTML page would only flood the
 * report with line errors). Every address is asked, as internet.nl does.
 */
import type { DomainContext } from "../../context.ts";
import { headerValues, type HttpResponse } from "../../http/client.ts";
import { followRedirects, webPorts, type FollowResult } from "../../http/fetch.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { boundedText, combine, noAddressOutcome, reasonOf, webAddresses, type AddressVerdict } from "./common.ts";
import { parseSecurityTxt } from "./security-txt-parse.ts";

/** internet.nl reads the first 100 KB; RFC 9116 sets no size but a file this large is no contact file. */
export const SECURITY_TXT_LIMIT = 100 * 1024;
const PATHS = ["/.well-known/security.txt", "/security.txt"] as const;

type Attempt = { path: string; result: FollowResult; error: null } | { path: string; result: null; error: string };

async function attempt(ctx: DomainContext, address: string, path: string): Promise<Attempt> {
  try {
    const result = await followRedirects(ctx, { scheme: "https", host: ctx.domain, address, port: webPorts(ctx).https, path, bodyLimit: SECURITY_TXT_LIMIT }, { httpsOnly: true });
    return { path, result, error: null };
  } catch (error) {
    return { path, result: null, error: reasonOf(error) };
  }
}

/** Why a Content-Type is not RFC 9116's "text/plain; charset=utf-8", or null. */
export function contentTypeProblem(value: string | undefined): string | null {
  if (value === undefined) return "no Content-Type header (text/plain; charset=utf-8 is required)";
  const [type = "", ...parameters] = value.split(";").map((part) => part.trim());
  if (type.toLowerCase() !== "text/plain") return `Content-Type is ${boundedText(type, 60)}, not text/plain`;
  const charset = parameters.map((parameter) => /^charset\s*=\s*"?([^";]*)"?$/i.exec(parameter)?.[1]).find((found) => found !== undefined);
  if (charset === undefined) return "Content-Type has no charset=utf-8 parameter";
  if (charset.toLowerCase() !== "utf-8") return `Content-Type has charset=${boundedText(charset, 30)}, not utf-8`;
  return null;
}

export function judgeSecurityTxt(response: HttpResponse, legacy: boolean, now: number, firstUrl: string = response.url): Pick<CheckOutcome, "status" | "summary"> & { evidence: Record<string, unknown> } {
  const errors: string[] = [];
  const warnings: string[] = [];
  // RFC 9116 §3: the file MUST be under /.well-known/; the top-level path is only a legacy fallback.
  if (legacy) errors.push("found at /security.txt only; RFC 9116 requires /.well-known/security.txt");
  const typeProblem = contentTypeProblem(headerValues(response, "content-type")[0]);
  // sectxt (internet.nl) accepts text/plain without a charset; RFC 9116 asks for charset=utf-8, so that is a warning.
  if (typeProblem) (typeProblem.includes("no charset") ? warnings : errors).push(typeProblem);
  const contentType = headerValues(response, "content-type")[0] ?? null;
  // Not text/plain: most likely an HTML page (a soft 404); its lines would only flood the report, as internet.nl reasons.
  if (typeProblem && !typeProblem.includes("charset")) return finish(errors, warnings, { contentType, bytesRead: response.body.length, truncated: response.bodyTruncated });
  let body = response.body;
  if (response.bodyTruncated) {
    errors.push(`the file is larger than ${SECURITY_TXT_LIMIT / 1024} KiB; reading stopped there`);
    // Parse the complete lines read, so the evidence still shows the fields.
    body = body.subarray(0, body.lastIndexOf(0x0a) + 1);
  }
  const parsed = parseSecurityTxt(body, now, [firstUrl, response.url]);
  errors.push(...parsed.errors);
  warnings.push(...parsed.warnings);
  return finish(errors, warnings, {
    contentType,
    bytesRead: response.body.length,
    truncated: response.bodyTruncated,
    signed: parsed.signed,
    ...(parsed.signed ? { signatureVerified: false } : {}),
    expires: parsed.expires,
    fields: parsed.fields.slice(0, 32).map((field) => ({ name: field.name, value: boundedText(field.value, 200), line: field.line })),
  });
}

function finish(errors: string[], warnings: string[], evidence: Record<string, unknown>): Pick<CheckOutcome, "status" | "summary"> & { evidence: Record<string, unknown> } {
  const all = { ...evidence, errors: errors.slice(0, 20), warnings: warnings.slice(0, 20) };
  if (errors.length > 0) return { status: "failed", summary: `security.txt has ${errors.length === 1 ? "an error" : `${errors.length} errors`}: ${boundedText(errors[0] ?? "", 200)}`, evidence: all };
  if (warnings.length > 0) return { status: "warning", summary: `security.txt is valid with a warning: ${boundedText(warnings[0] ?? "", 200)}`, evidence: all };
  return { status: "passed", summary: "security.txt is valid", evidence: all };
}

export const securityTxt: CheckDefinition = {
  id: "web.security-txt",
  standard: "security-txt",
  category: "web.appsecpriv",
  weight: "required",
  title: "security.txt",
  fix: "Publish https://<domain>/.well-known/security.txt as text/plain; charset=utf-8 with at least one Contact and one Expires less than a year ahead (RFC 9116).",
  async run(ctx) {
    const addresses = await webAddresses(ctx);
    const none = noAddressOutcome(ctx, addresses);
    if (none) return none;
    const verdicts = await Promise.all(addresses.all.map((address) => securityTxtAt(ctx, address)));
    return combine(verdicts);
  },
};

/** security.txt as one address serves it (internet.nl asks every address, as the other web checks do). */
async function securityTxtAt(ctx: DomainContext, address: string): Promise<AddressVerdict> {
  const attempts: Attempt[] = [];
  for (const path of PATHS) {
    const tried = await attempt(ctx, address, path);
    attempts.push(tried);
    if (tried.result?.response.status === 200) break;
  }
  const tried = attempts.map((entry) => ({
    path: entry.path,
    ...(entry.result
      ? { status: entry.result.response.status, redirects: entry.result.hops.slice(0, -1).map((hop) => ({ url: hop.url, status: hop.status, location: hop.location === null ? null : boundedText(hop.location, 200) })) }
      : { error: entry.error }),
  }));
  const found = attempts.find((entry) => entry.result?.response.status === 200);
  if (!found?.result) {
    if (attempts.every((entry) => entry.result === null)) {
      return { address, status: "error", summary: `security.txt could not be fetched: ${attempts[0]?.error ?? "no answer"}`, evidence: { attempts: tried } };
    }
    return { address, status: "failed", summary: `no security.txt: ${tried.map((entry) => `${entry.path} ${"status" in entry ? `answers ${entry.status}` : "failed"}`).join(", ")}`, evidence: { attempts: tried } };
  }
  const judged = judgeSecurityTxt(found.result.response, found.path !== PATHS[0], ctx.settings.now(), found.result.hops[0]?.url);
  return { address, ...judged, evidence: { url: found.result.response.url, attempts: tried, ...judged.evidence } };
}
