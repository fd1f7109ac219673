/**
 * mail.mta-sts (RFC 8461): the domain announces a policy with a TXT record
 * "v=STSv1; id=..." at _mta-sts.<domain>, and serves it at
 * https://mta-sts.<domain>/.well-known/mta-sts.txt behind a certificate
 * valid for that name, as text/plain, with version STSv1, a mode, a max_age
 * and mx patterns that cover every MX host. enforce passes; testing warns
 * (senders report but still deliver without TLS), and so does none (a
 * published opt-out: RFC 8461 §5 has senders treat it as no policy).
 * internet.nl has no such test, so the weight is recommended.
 */
import type { DomainContext } from "../../context.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { mailServers } from "../mx.ts";
import { fetchPolicy, PolicyFetchError, type PolicyResponse } from "./mta-sts-fetch.ts";
import { isStsRecord, MIN_RECOMMENDED_MAX_AGE, mxMatches, parseStsPolicy, parseStsRecord } from "./mta-sts-parse.ts";
import { lookupEvidence, lookupProblem, quoteRecord, txtLookup } from "./txt.ts";

const NO_MAIL = "the domain receives no mail (null MX, RFC 7505)";

async function fetchFromAny(ctx: DomainContext, host: string): Promise<{ response: PolicyResponse; address: string } | { failure: string }> {
  const addresses = await ctx.addresses(host);
  const candidates = [...addresses.ipv4, ...addresses.ipv6].slice(0, 4);
  if (candidates.length === 0) {
    const refused = addresses.refused[0];
    return { failure: refused ? `${host} has only refused addresses (${refused.reason})` : `${host} has no address (A or AAAA)` };
  }
  let last = "";
  for (const address of candidates) {
    ctx.throwIfExpired();
    try {
      const response = await ctx.memo(`mta-sts:policy:${address}`, () => fetchPolicy({ host, address, port: ctx.settings.webPorts.https, extraCa: ctx.settings.extraCa, timeoutMs: ctx.settings.timeoutMs, signal: ctx.signal }));
      return { response, address };
    } catch (error) {
      if (!(error instanceof PolicyFetchError)) throw error;
      // The domain's deadline is not this address's fault: stop, and let the check end in error.
      ctx.throwIfExpired();
      last = error.message;
    }
  }
  return { failure: last };
}

export const mtaSts: CheckDefinition = {
  id: "mail.mta-sts",
  standard: "mta-sts",
  category: "mail.starttls",
  weight: "recommended",
  title: "MTA-STS",
  fix: "Publish \"v=STSv1; id=<version>\" at _mta-sts.<domain> and serve a policy (version: STSv1, mode: enforce, mx: <each MX>, max_age: 604800) at https://mta-sts.<domain>/.well-known/mta-sts.txt with a valid certificate.",
  async run(ctx): Promise<CheckOutcome> {
    const servers = await mailServers(ctx);
    if (servers.nullMx) return { status: "not_tested", summary: `not tested: ${NO_MAIL}`, evidence: { nullMx: true } };
    const lookup = await txtLookup(ctx, `_mta-sts.${ctx.domain}`);
    const evidence: Record<string, unknown> = { lookup: lookupEvidence(lookup) };
    const problem = lookupProblem(lookup.resolution);
    if (problem) return { status: "error", summary: `could not be tested: ${problem}`, evidence };
    const records = lookup.texts.filter(isStsRecord);
    if (records.length === 0) return { status: "failed", summary: `${ctx.domain} publishes no MTA-STS record (TXT "v=STSv1; id=..." at _mta-sts.${ctx.domain})`, evidence };
    if (records.length > 1) return { status: "failed", summary: `_mta-sts.${ctx.domain} has ${records.length} MTA-STS records; senders ignore the policy unless there is exactly one`, evidence };
    const record = parseStsRecord(records[0] ?? "");
    evidence.id = record.id;
    if (record.errors.length > 0) return { status: "failed", summary: `the MTA-STS record is invalid (${record.errors.join("; ")}): ${quoteRecord(records[0] ?? "")}`, evidence };
    const host = `mta-sts.${ctx.domain}`;
    const fetched = await fetchFromAny(ctx, host);
    if ("failure" in fetched) return { status: "failed", summary: `the MTA-STS policy could not be fetched: ${fetched.failure}`, evidence };
    const { response, address } = fetched;
    evidence.policyFetch = { url: `https://${host}/.well-known/mta-sts.txt`, address, port: ctx.settings.webPorts.https, status: response.status, contentType: response.contentType, truncated: response.truncated, body: response.body.slice(0, 2048) };
    if (response.status !== 200) return { status: "failed", summary: `https://${host}/.well-known/mta-sts.txt answered HTTP ${response.status}, not 200 (redirects are not followed, RFC 8461 §3.3)`, evidence };
    if (response.truncated) return { status: "failed", summary: `the MTA-STS policy is larger than 64 KiB`, evidence };
    const mediaType = (response.contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    const problems: string[] = [];
    if (mediaType !== "text/plain") problems.push(`Content-Type is ${response.contentType ? `"${response.contentType}"` : "missing"}, not text/plain`);
    const policy = parseStsPolicy(response.body);
    evidence.policy = { version: policy.version, mode: policy.mode, maxAge: policy.maxAge, mx: policy.mx.slice(0, 20), errors: policy.errors.slice(0, 10) };
    problems.push(...policy.errors);
    const uncovered = policy.mode === "none" ? [] : servers.hosts.filter((server) => !policy.mx.some((pattern) => mxMatches(pattern, server.name)));
    if (uncovered.length > 0) problems.push(`the mx patterns (${policy.mx.slice(0, 4).join(", ") || "none"}) do not cover ${uncovered.map((server) => server.name).slice(0, 4).join(", ")}`);
    if (problems.length > 0) return { status: "failed", summary: `the MTA-STS policy of ${ctx.domain} is invalid: ${problems.slice(0, 3).join("; ")}`, evidence };
    const warnings: string[] = [];
    if (policy.mode === "testing") warnings.push("mode is testing, so senders report failures but do not enforce TLS");
    if (policy.mode === "none") warnings.push("mode is none, a published opt-out: senders treat the domain as having no policy (RFC 8461 §5)");
    if ((policy.maxAge ?? 0) < MIN_RECOMMENDED_MAX_AGE) warnings.push(`max_age is ${policy.maxAge ?? 0} s; at least ${MIN_RECOMMENDED_MAX_AGE} s (a day) is recommended`);
    if (servers.hosts.length === 0) warnings.push("the domain has no MX records for the policy to cover");
    const base = `MTA-STS policy (id ${record.id ?? ""}) mode ${policy.mode ?? ""}, max_age ${policy.maxAge ?? 0} s, covering ${servers.hosts.length} MX host${servers.hosts.length === 1 ? "" : "s"}`;
    if (warnings.length > 0) return { status: "warning", summary: `${base}; ${warnings.join("; ")}`, evidence };
    return { status: "passed", summary: base, evidence };
  },
};
