/**
 * mail.dmarc.exists and mail.dmarc.policy (RFC 7489, DMARCbis). The record
 * is the one at _dmarc.<domain>, or else the organisational domain's
 * (its registrable domain under the Public Suffix List, via tldts); more
 * than one record means none applies (§6.6.3). The policy passes with
 * p=quarantine or p=reject (for a subdomain covered by its organisational
 * domain's record, sp= when given); p=none fails, as in internet.nl.
 * Report destinations outside the domain must authorise it with a
 * "<domain>._report._dmarc.<destination>" TXT record "v=DMARC1" (§7.1);
 * an unauthorised one is a warning (the reports are simply not sent).
 */
import { getDomain } from "tldts";
import { DnsInputError } from "../../../dns/resolver.ts";
import type { DomainContext } from "../../context.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { isDmarcRecord, parseDmarc, type DmarcPolicy, type ParsedDmarc } from "./dmarc-parse.ts";
import { lookupEvidence, lookupProblem, quoteRecord, txtLookup, type TxtLookup } from "./txt.ts";

/** Report destinations checked for authorisation at most (each is a DNS lookup). */
const MAX_DESTINATIONS = 8;

export interface DmarcLookup {
  /** The lookups made: the domain's, then the organisational domain's when needed. */
  lookups: TxtLookup[];
  /** The domain whose record applies (ctx.domain or its organisational domain), or null. */
  policyDomain: string | null;
  records: string[];
  /** Why the lookup cannot be read (failed, bogus), or null. */
  problem: string | null;
}

/** The organisational domain of `domain` (registrable domain under the PSL), or the domain itself. */
export function organisationalDomain(domain: string): string {
  return getDomain(domain, { allowPrivateDomains: false }) ?? domain;
}

export function dmarcLookup(ctx: DomainContext): Promise<DmarcLookup> {
  return ctx.memo("dmarc:lookup", async () => {
    const lookups: TxtLookup[] = [];
    const candidates = [ctx.domain];
    const organisational = organisationalDomain(ctx.domain);
    if (organisational !== ctx.domain) candidates.push(organisational);
    for (const domain of candidates) {
      const lookup = await txtLookup(ctx, `_dmarc.${domain}`);
      lookups.push(lookup);
      const problem = lookupProblem(lookup.resolution);
      if (problem) return { lookups, policyDomain: null, records: [], problem };
      const records = lookup.texts.filter(isDmarcRecord);
      if (records.length > 0) return { lookups, policyDomain: domain, records, problem: null };
    }
    return { lookups, policyDomain: null, records: [], problem: null };
  });
}

function evidenceOf(found: DmarcLookup): Record<string, unknown> {
  return { lookups: found.lookups.map(lookupEvidence), policyDomain: found.policyDomain, records: found.records.slice(0, 4) };
}

export const dmarcExists: CheckDefinition = {
  id: "mail.dmarc.exists",
  standard: "dmarc",
  category: "mail.auth",
  weight: "required",
  title: "DMARC record",
  fix: "Publish one TXT record at _dmarc.<domain>, e.g. \"v=DMARC1; p=reject; rua=mailto:dmarc@<domain>\".",
  async run(ctx): Promise<CheckOutcome> {
    const found = await dmarcLookup(ctx);
    const evidence = evidenceOf(found);
    if (found.problem) return { status: "error", summary: `could not be tested: ${found.problem}`, evidence };
    if (found.records.length === 0) {
      const where = found.lookups.map((lookup) => lookup.name).join(" or ");
      return { status: "failed", summary: `no DMARC record (TXT "v=DMARC1; ...") at ${where}`, evidence };
    }
    if (found.records.length > 1) {
      return { status: "failed", summary: `_dmarc.${found.policyDomain ?? ""} has ${found.records.length} DMARC records, so none applies (RFC 7489 §6.6.3): ${found.records.slice(0, 2).map((record) => quoteRecord(record, 100)).join(", ")}`, evidence };
    }
    const inherited = found.policyDomain !== ctx.domain ? ` (the organisational domain's record covers ${ctx.domain})` : "";
    return { status: "passed", summary: `_dmarc.${found.policyDomain ?? ""} has a DMARC record${inherited}: ${quoteRecord(found.records[0] ?? "")}`, evidence };
  },
};

/** Destinations outside the policy domain's organisation that did not authorise it. */
async function unauthorisedDestinations(ctx: DomainContext, policyDomain: string, parsed: ParsedDmarc): Promise<{ checked: { uri: string; destination: string; authorised: boolean | null; note?: string }[] }> {
  const organisation = organisationalDomain(policyDomain);
  const seen = new Set<string>();
  const targets: { uri: string; destination: string }[] = [];
  for (const uri of [...parsed.rua, ...parsed.ruf]) {
    const match = /^mailto:[^@]+@([^!?]+)/i.exec(uri);
    const destination = match?.[1]?.toLowerCase().replace(/\.$/, "");
    if (!destination || organisationalDomain(destination) === organisation || seen.has(destination)) continue;
    seen.add(destination);
    targets.push({ uri, destination });
  }
  const checked = await Promise.all(targets.slice(0, MAX_DESTINATIONS).map(async (target) => {
    let lookup;
    try {
      lookup = await txtLookup(ctx, `${policyDomain}._report._dmarc.${target.destination}`);
    } catch (error) {
      // A destination whose name cannot be asked for (too long, bad characters) cannot be checked.
      if (!(error instanceof DnsInputError)) throw error;
      return { ...target, authorised: null, note: error.message };
    }
    const problem = lookupProblem(lookup.resolution);
    if (problem) return { ...target, authorised: null, note: problem };
    return { ...target, authorised: lookup.texts.some(isDmarcRecord) };
  }));
  return { checked };
}

function effectivePolicy(ctx: DomainContext, policyDomain: string, parsed: ParsedDmarc): { policy: DmarcPolicy | null; tag: string } {
  if (policyDomain !== ctx.domain && parsed.sp !== null) return { policy: parsed.sp, tag: "sp" };
  return { policy: parsed.p, tag: "p" };
}

export const dmarcPolicy: CheckDefinition = {
  id: "mail.dmarc.policy",
  standard: "dmarc",
  category: "mail.auth",
  weight: "required",
  title: "DMARC policy",
  fix: "Set p=quarantine or p=reject in the DMARC record (after watching the aggregate reports under p=none), and have external report destinations authorise the domain.",
  async run(ctx): Promise<CheckOutcome> {
    const found = await dmarcLookup(ctx);
    const evidence = evidenceOf(found);
    if (found.problem) return { status: "error", summary: `could not be tested: ${found.problem}`, evidence };
    if (found.records.length === 0 || !found.policyDomain) return { status: "not_tested", summary: `${ctx.domain} has no DMARC record (see mail.dmarc.exists)`, evidence };
    if (found.records.length > 1) return { status: "failed", summary: `more than one DMARC record at _dmarc.${found.policyDomain}, so no policy applies`, evidence };
    const record = found.records[0] ?? "";
    const parsed = parseDmarc(record);
    const { policy, tag } = effectivePolicy(ctx, found.policyDomain, parsed);
    evidence.policy = policy;
    evidence.policyTag = tag;
    evidence.sp = parsed.sp;
    evidence.pct = parsed.pct;
    evidence.syntaxErrors = parsed.errors.slice(0, 10);
    const blocking = parsed.errors.filter((error) => !error.startsWith("unknown tag"));
    if (blocking.length > 0) {
      return { status: "failed", summary: `the DMARC record of ${found.policyDomain} is malformed (${blocking.slice(0, 2).join("; ")}): ${quoteRecord(record)}`, evidence };
    }
    if (policy === null || policy === "none") {
      return { status: "failed", summary: `the DMARC policy for ${ctx.domain} is ${tag}=none: receivers deliver mail that fails DMARC; use quarantine or reject (${quoteRecord(record, 120)})`, evidence };
    }
    const warnings: string[] = [];
    if (found.policyDomain === ctx.domain && parsed.sp === "none") warnings.push("sp=none leaves subdomains unprotected");
    if (parsed.pct !== null && parsed.pct < 100) warnings.push(`pct=${parsed.pct}: the policy applies to only ${parsed.pct}% of failing mail`);
    if (parsed.errors.length > 0) warnings.push(parsed.errors.slice(0, 2).join("; "));
    const { checked } = await unauthorisedDestinations(ctx, found.policyDomain, parsed);
    evidence.externalDestinations = checked;
    const unauthorised = checked.filter((entry) => entry.authorised === false);
    if (unauthorised.length > 0) {
      warnings.push(`${unauthorised.map((entry) => entry.destination).join(", ")} do${unauthorised.length === 1 ? "es" : ""} not authorise reports for ${found.policyDomain} (no "v=DMARC1" TXT at ${found.policyDomain}._report._dmarc.${unauthorised[0]?.destination ?? ""})`);
    }
    const base = `the DMARC policy for ${ctx.domain} is ${tag}=${policy}${found.policyDomain !== ctx.domain ? ` (from ${found.policyDomain})` : ""}`;
    if (warnings.length > 0) return { status: "warning", summary: `${base}, but ${warnings.join("; ")}`, evidence };
    return { status: "passed", summary: base, evidence };
  },
};
