/**
 * web.dnssec.exists and web.dnssec.valid: is the domain's zone signed, and
 * do its answers validate from the root's trust anchor? Both read the
 * validating resolver's verdict on the domain's SOA (an answer at a zone
 * apex, a signed NODATA proof below one), as internet.nl does; valid also
 * reads the A and AAAA answers the web checks use.
 *
 * internet.nl: secure passes; insecure fails both; bogus: signed (exists
 * passes) but not valid; SERVFAIL without a validation failure cannot be
 * judged (error here, with the resolver's reason).
 */
import type { DomainContext } from "../../context.ts";
import type { Resolution } from "../../../dns/resolver.ts";
import type { ChainLink } from "../../../dns/validator.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";

/** The zone the answer came from: the deepest link of the chain of trust. */
function answerZone(resolution: Resolution, fallback: string): string {
  return resolution.chain.at(-1)?.zone ?? `${fallback}.`;
}

/**
 * The link where the chain became insecure although the parent has a DS:
 * every DS names an algorithm or digest the validator does not support
 * (RFC 4035 §5.2: treated as insecure). internet.nl: signed, and a NOTICE
 * for validity rather than a failure.
 */
function unsupportedDs(resolution: Resolution): ChainLink | undefined {
  return resolution.chain.find((link) => link.security === "insecure" && link.dsKeyTags.length > 0);
}

function parentOf(zone: string): string {
  const dot = zone.indexOf(".");
  return dot < 0 || dot === zone.length - 1 ? "." : zone.slice(dot + 1);
}

function resolutionEvidence(resolution: Resolution): Record<string, unknown> {
  return {
    name: resolution.name,
    type: resolution.type,
    rcode: resolution.rcode,
    security: resolution.security,
    reason: resolution.reason,
    chain: resolution.chain.slice(0, 10).map((link) => ({ zone: link.zone, security: link.security, dsKeyTags: link.dsKeyTags.slice(0, 8), dnskeyTags: link.dnskeyTags.slice(0, 8), ...(link.note ? { note: link.note } : {}) })),
  };
}

/** A name that does not exist has no answers to sign or validate: nothing to judge. */
function nonexistent(name: string, soa: Resolution, evidence: Record<string, unknown>): CheckOutcome | null {
  if (soa.rcode !== "NXDOMAIN") return null;
  return { status: "error", summary: `could not be tested: ${name} does not exist (NXDOMAIN, ${soa.security})`, evidence };
}

/**
 * Is the zone of `name` signed, judged on the validator's verdict of its
 * SOA lookup (shared by the web and mail suites, and by mail's MX hosts).
 */
export async function judgeSigned(ctx: DomainContext, name: string): Promise<CheckOutcome> {
  const soa = await ctx.resolve(name, "SOA");
  const zone = answerZone(soa, name);
  const evidence: Record<string, unknown> = { zone, soa: resolutionEvidence(soa) };
  const missing = nonexistent(name, soa, evidence);
  if (missing) return missing;
  switch (soa.security) {
    case "secure":
      return { status: "passed", summary: `${name} is signed with DNSSEC (zone ${zone}, chain of trust from the root)`, evidence };
    case "bogus":
      return { status: "passed", summary: `${name} is signed with DNSSEC (zone ${zone} has a DS in its parent), but its answers do not validate: ${soa.reason ?? "bogus"}`, evidence };
    case "indeterminate":
      return { status: "error", summary: `could not be tested: the SOA lookup of ${name} failed (${soa.rcode}): ${soa.reason ?? "no reason given"}`, evidence };
    case "insecure": {
      const unsupported = unsupportedDs(soa);
      if (unsupported) {
        return { status: "passed", summary: `${name} is signed (zone ${unsupported.zone} has a DS in its parent), but with algorithms this validator does not support: ${unsupported.note ?? "unsupported DS"}`, evidence };
      }
      // A zone can be signed yet unlinked (no DS in the parent): say so, it is the likelier fix.
      const keys = await ctx.resolve(zone, "DNSKEY").catch(() => null);
      const hasKeys = keys?.answer.some((record) => record.type === "DNSKEY") ?? false;
      evidence.dnskeyAtApex = hasKeys;
      const summary = hasKeys
        ? `zone ${zone} publishes DNSKEY records but its parent ${parentOf(zone)} has no DS for it, so its signatures cannot be validated`
        : `${name} is not signed: zone ${zone} has no DNSSEC (no DS in its parent)`;
      return { status: "failed", summary, evidence };
    }
  }
}

/**
 * Do the answers for `name` validate: its SOA lookup, and the lookups of
 * `types` the suite relies on (A and AAAA for a web host, MX for a mail
 * domain), none of which may be bogus.
 */
export async function judgeValid(ctx: DomainContext, name: string, types: readonly string[]): Promise<CheckOutcome> {
  const soa = await ctx.resolve(name, "SOA");
  const zone = answerZone(soa, name);
  const others = await Promise.all(types.map((type) => ctx.resolve(name, type)));
  const evidence: Record<string, unknown> = { zone, soa: resolutionEvidence(soa), lookups: others.map((resolution) => ({ type: resolution.type, rcode: resolution.rcode, security: resolution.security, reason: resolution.reason })) };
  const missing = nonexistent(name, soa, evidence);
  if (missing) return missing;
  switch (soa.security) {
    case "insecure": {
      const unsupported = unsupportedDs(soa);
      if (unsupported) {
        return { status: "warning", summary: `answers for ${name} cannot be validated: ${unsupported.note ?? `the DS of ${unsupported.zone} uses an unsupported algorithm`}`, evidence };
      }
      return { status: "failed", summary: `${name} is not signed (zone ${zone} is insecure), so its answers cannot be validated`, evidence };
    }
    case "bogus":
      return { status: "failed", summary: `answers for ${name} do not validate (bogus): ${soa.reason ?? "no reason given"}`, evidence };
    case "indeterminate":
      return { status: "error", summary: `could not be tested: the SOA lookup of ${name} failed (${soa.rcode}): ${soa.reason ?? "no reason given"}`, evidence };
    case "secure": {
      const bogus = others.find((resolution) => resolution.security === "bogus");
      if (bogus) return { status: "failed", summary: `the ${bogus.type} answer for ${name} does not validate (bogus): ${bogus.reason ?? "no reason given"}`, evidence };
      return { status: "passed", summary: `answers for ${name} validate as secure (zone ${zone})`, evidence };
    }
  }
}

/** <suite>.dnssec.exists for the domain itself. */
export function dnssecExistsCheck(suite: "web" | "mail"): CheckDefinition {
  return {
    id: `${suite}.dnssec.exists`,
    standard: "dnssec",
    category: `${suite}.dnssec`,
    weight: "required",
    title: "DNSSEC signed",
    fix: "Sign the zone with DNSSEC at your DNS operator and have the registrar publish its DS record in the parent zone.",
    run: (ctx) => judgeSigned(ctx, ctx.domain),
  };
}

/** <suite>.dnssec.valid for the domain itself; `types` are the lookups the suite relies on besides the SOA. */
export function dnssecValidCheck(suite: "web" | "mail", types: readonly string[]): CheckDefinition {
  return {
    id: `${suite}.dnssec.valid`,
    standard: "dnssec",
    category: `${suite}.dnssec`,
    weight: "required",
    title: "DNSSEC valid",
    fix: "Make the signatures validate: re-sign the zone (expired or broken signatures) or make the parent's DS match the zone's key signing key.",
    run: (ctx) => judgeValid(ctx, ctx.domain, types),
  };
}

export const dnssecExists: CheckDefinition = dnssecExistsCheck("web");
export const dnssecValid: CheckDefinition = dnssecValidCheck("web", ["A", "AAAA"]);
