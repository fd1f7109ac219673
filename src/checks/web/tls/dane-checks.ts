/**
 * web.dane.exists and web.dane.valid: TLSA records at _443._tcp.<domain>
 * (RFC 6698 §3; RFC 7671) and whether they authenticate the chain each web
 * address presents. internet.nl treats DANE for web sites as optional:
 * existence is informational, validity recommended. A failed lookup
 * (SERVFAIL, bogus) is an error, never "no TLSA" (internet.nl issue #681),
 * and records that are not DNSSEC-secure cannot make DANE valid (RFC 6698 §4.1).
 */
import type { DomainContext } from "../../context.ts";
import type { Resolution } from "../../../dns/resolver.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { formatTlsa, matchTlsa, parseTlsa, type TlsaRecord } from "../../../tls/dane.ts";
import { assessmentOf, EVIDENCE_CAP, perAddress } from "./cert-probe.ts";

export interface TlsaLookup {
  name: string;
  resolution: Resolution;
  /** Readable TLSA records of the answer. */
  records: TlsaRecord[];
  /** Answer records that could not be read, with why. */
  unreadable: string[];
  /** The lookup failed: SERVFAIL, bogus or indeterminate. */
  failure: string | null;
}

/** The TLSA records at `name`; the web's owner name is the service's port (443) even when a lab serves HTTPS elsewhere. */
export async function lookupTlsa(ctx: DomainContext, name = `_443._tcp.${ctx.domain}`): Promise<TlsaLookup> {
  const resolution = await ctx.resolve(name, "TLSA");
  const records: TlsaRecord[] = [];
  const unreadable: string[] = [];
  for (const answer of resolution.answer) {
    if (answer.type !== "TLSA") continue;
    try {
      records.push(parseTlsa(answer.data));
    } catch (error) {
      unreadable.push(error instanceof Error ? error.message : String(error));
    }
  }
  let failure: string | null = null;
  if (resolution.rcode === "SERVFAIL" || resolution.security === "bogus" || resolution.security === "indeterminate") {
    failure = `the TLSA lookup of ${name} failed (${resolution.rcode}, DNSSEC ${resolution.security})${resolution.reason ? `: ${resolution.reason}` : ""}`;
  } else if (resolution.rcode !== "NOERROR" && resolution.rcode !== "NXDOMAIN") {
    failure = `the TLSA lookup of ${name} answered ${resolution.rcode}`;
  }
  return { name, resolution, records, unreadable, failure };
}

export function recordsEvidence(lookup: TlsaLookup): Record<string, unknown> {
  return {
    name: lookup.name,
    rcode: lookup.resolution.rcode,
    security: lookup.resolution.security,
    records: lookup.records.slice(0, EVIDENCE_CAP).map((record) => formatTlsa(record)),
    ...(lookup.unreadable.length > 0 ? { unreadable: lookup.unreadable.slice(0, EVIDENCE_CAP) } : {}),
  };
}

export const daneExistsCheck: CheckDefinition = {
  id: "web.dane.exists",
  standard: "dane",
  category: "web.https",
  weight: "informational",
  title: "DANE TLSA records",
  fix: "Publish a TLSA record for the web server, e.g. `_443._tcp.example.org. TLSA 3 1 1 <SHA-256 of the key>`, in a DNSSEC-signed zone.",
  async run(ctx): Promise<CheckOutcome> {
    const lookup = await lookupTlsa(ctx);
    const evidence = recordsEvidence(lookup);
    if (lookup.failure) return { status: "error", summary: `could not be tested: ${lookup.failure}`, evidence };
    const count = lookup.records.length + lookup.unreadable.length;
    if (count === 0) return { status: "info", summary: `no TLSA records at ${lookup.name}`, evidence };
    const signed = lookup.resolution.security === "secure" ? "DNSSEC-signed" : `not DNSSEC-secure (${lookup.resolution.security}), so DANE cannot apply`;
    return { status: "passed", summary: `${count} TLSA record${count === 1 ? "" : "s"} at ${lookup.name}, ${signed}`, evidence };
  },
};

export const daneValidCheck: CheckDefinition = {
  id: "web.dane.valid",
  standard: "dane",
  category: "web.https",
  weight: "recommended",
  title: "DANE validity",
  fix: "Make the TLSA records match the certificate (or CA) the server presents on every address, and publish the new record before each key rollover.",
  async run(ctx): Promise<CheckOutcome> {
    const lookup = await lookupTlsa(ctx);
    const evidence = recordsEvidence(lookup);
    if (lookup.failure) return { status: "error", summary: `could not be tested: ${lookup.failure}`, evidence };
    if (lookup.records.length + lookup.unreadable.length === 0) return { status: "not_tested", summary: `no TLSA records at ${lookup.name}`, evidence };
    if (lookup.resolution.security !== "secure") {
      return { status: "failed", summary: `the TLSA records at ${lookup.name} are not DNSSEC-secure (${lookup.resolution.security}); DANE needs a signed zone`, evidence };
    }
    const outcome = await perAddress(ctx, (address) => assessmentOf(ctx, address), (_address, { handshake, assessment }) => {
      const verdict = matchTlsa(lookup.records, {
        chain: handshake.chain,
        pkixTrusted: assessment.trust.trusted,
        pkixPath: assessment.trust.pathDer,
        hostnameMatches: assessment.hostname.matches,
      });
      const matched = verdict.records.filter((record) => record.matched).map((record) => record.record);
      const details = { matched, results: verdict.records.slice(0, EVIDENCE_CAP) };
      return verdict.valid
        ? { status: "passed", summary: `the TLSA records authenticate the certificate: ${verdict.reason}`, evidence: details }
        : { status: "failed", summary: `no TLSA record authenticates the certificate: ${verdict.reason}`, evidence: details };
    });
    return { ...outcome, evidence: { ...evidence, ...outcome.evidence } };
  },
};

export const DANE_CHECKS: readonly CheckDefinition[] = [daneExistsCheck, daneValidCheck];
