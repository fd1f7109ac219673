/**
 * DANE for SMTP (RFC 7672): TLSA records at _25._tcp.<MX host> in a
 * DNSSEC-signed zone tell sending MTAs to insist on TLS and which
 * certificate or CA to accept. internet.nl requires DANE existence and
 * validity for mail (unlike the web). Only DANE-TA(2) and DANE-EE(3) count
 * for SMTP (RFC 7672 §3.1.3); PKIX-TA(0)/PKIX-EE(1) records are unusable.
 * The owner name uses port 25 even when a lab serves SMTP elsewhere.
 *
 * mail.dane.rollover (informational, as internet.nl): a key or certificate
 * change without an outage needs a second record published before the
 * change (RFC 7671 §8.1; e.g. "3 1 1 current" + "3 1 1 next", or
 * "3 1 1" + "2 1 1" for the issuing CA). Seen per MX host: two or more
 * usable records with different data pass, one is info.
 */
import type { DomainContext } from "../../context.ts";
import { formatTlsa, matchTlsa, unusableReason } from "../../../tls/dane.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { lookupTlsa, recordsEvidence, type TlsaLookup } from "../../web/tls/dane-checks.ts";
import { perServer, smtpChain, type ServerVerdict, smtpTargets } from "./targets.ts";

export const SMTP_DANE_USAGES: readonly number[] = [2, 3];

/** The TLSA records of one MX host (ctx.resolve shares the lookup between checks). */
export function smtpTlsa(ctx: DomainContext, host: string): Promise<TlsaLookup> {
  return lookupTlsa(ctx, `_25._tcp.${host}`);
}

function usableForSmtp(lookup: TlsaLookup): number {
  return lookup.records.filter((record) => unusableReason(record) === null && SMTP_DANE_USAGES.includes(record.usage)).length;
}

/** Runs `judge` once per MX host (not per address): TLSA records belong to the host. */
async function perHost(ctx: DomainContext, judge: (host: string, lookup: TlsaLookup) => ServerVerdict): Promise<CheckOutcome> {
  const found = await smtpTargets(ctx);
  if ("notTested" in found) return { status: "not_tested", summary: found.notTested, evidence: found.evidence };
  const hosts = [...new Set(found.targets.map((target) => target.host))];
  const verdicts = await Promise.all(hosts.map(async (host) => ({ host, ...judge(host, await smtpTlsa(ctx, host)) })));
  const order = ["failed", "error", "warning", "info", "passed", "not_tested"];
  const worst = verdicts.reduce((a, b) => (order.indexOf(b.status) < order.indexOf(a.status) ? b : a));
  const same = verdicts.every((verdict) => verdict.summary === worst.summary);
  return {
    status: worst.status,
    summary: verdicts.length === 1 || same ? worst.summary : `${worst.host}: ${worst.summary} (${verdicts.length - 1} other MX host${verdicts.length === 2 ? "" : "s"})`,
    evidence: { hosts: verdicts.map((verdict) => ({ host: verdict.host, status: verdict.status, summary: verdict.summary, ...verdict.evidence })) },
  };
}

export const mailDaneExistsCheck: CheckDefinition = {
  id: "mail.dane.exists",
  standard: "dane",
  category: "mail.starttls",
  weight: "required",
  title: "DANE TLSA records (mail)",
  fix: "Publish a TLSA record for each MX host, e.g. `_25._tcp.mx.example.org. TLSA 3 1 1 <SHA-256 of the key>`, in a DNSSEC-signed zone.",
  run: (ctx) =>
    perHost(ctx, (_host, lookup) => {
      const evidence = recordsEvidence(lookup);
      if (lookup.failure) return { status: "error", summary: `could not be tested: ${lookup.failure}`, evidence };
      const count = lookup.records.length + lookup.unreadable.length;
      if (count === 0) return { status: "failed", summary: `no TLSA records at ${lookup.name}`, evidence };
      if (lookup.resolution.security !== "secure") {
        return { status: "failed", summary: `${count} TLSA record${count === 1 ? "" : "s"} at ${lookup.name}, but not DNSSEC-secure (${lookup.resolution.security}), so DANE cannot apply`, evidence };
      }
      return { status: "passed", summary: `${count} TLSA record${count === 1 ? "" : "s"} at ${lookup.name}, DNSSEC-signed`, evidence };
    }),
};

export const mailDaneValidCheck: CheckDefinition = {
  id: "mail.dane.valid",
  standard: "dane",
  category: "mail.starttls",
  weight: "required",
  title: "DANE validity (mail)",
  fix: "Make a DANE-EE (3 1 1) or DANE-TA (2 1 1) TLSA record match the key or CA each MX presents; publish the next record before every key or certificate change.",
  run: (ctx) =>
    perServer(ctx, (target) => smtpChain(ctx, target), async (target, { handshake, assessment }): Promise<ServerVerdict> => {
      const lookup = await smtpTlsa(ctx, target.host);
      const evidence = recordsEvidence(lookup);
      if (lookup.failure) return { status: "error", summary: `could not be tested: ${lookup.failure}`, evidence };
      if (lookup.records.length + lookup.unreadable.length === 0) return { status: "not_tested", summary: `no TLSA records at ${lookup.name}`, evidence };
      if (lookup.resolution.security !== "secure") return { status: "failed", summary: `the TLSA records at ${lookup.name} are not DNSSEC-secure (${lookup.resolution.security})`, evidence };
      const verdict = matchTlsa(lookup.records, {
        chain: handshake.chain,
        pkixTrusted: assessment.trust.trusted,
        pkixPath: assessment.trust.pathDer,
        hostnameMatches: assessment.hostname.matches,
        usages: SMTP_DANE_USAGES,
      });
      const details = { ...evidence, matched: verdict.records.filter((record) => record.matched).map((record) => record.record), results: verdict.records.slice(0, 16) };
      return verdict.valid
        ? { status: "passed", summary: `the TLSA records authenticate the server: ${verdict.reason}`, evidence: details }
        : { status: "failed", summary: `no usable TLSA record authenticates the server: ${verdict.reason}`, evidence: details };
    }),
};

export const mailDaneRolloverCheck: CheckDefinition = {
  id: "mail.dane.rollover",
  standard: "dane",
  category: "mail.starttls",
  weight: "informational",
  title: "DANE rollover scheme (mail)",
  fix: "Keep two TLSA records per MX host: the current key's (3 1 1) and the next key's, or 3 1 1 together with 2 1 1 for the issuing CA, so a change does not break delivery.",
  run: (ctx) =>
    perHost(ctx, (_host, lookup) => {
      const evidence = recordsEvidence(lookup);
      if (lookup.failure) return { status: "error", summary: `could not be tested: ${lookup.failure}`, evidence };
      if (lookup.records.length === 0 || lookup.resolution.security !== "secure") return { status: "not_tested", summary: `no DNSSEC-secure TLSA records at ${lookup.name}`, evidence };
      const usable = lookup.records.filter((record) => unusableReason(record) === null && SMTP_DANE_USAGES.includes(record.usage));
      const distinct = new Set(usable.map((record) => formatTlsa(record, 1024)));
      const seen = usable.slice(0, 4).map((record) => formatTlsa(record, 16)).join(", ");
      if (distinct.size >= 2) {
        const kinds = [...new Set(usable.map((record) => `${record.usage} ${record.selector} ${record.matchingType}`))].join(" + ");
        return { status: "passed", summary: `${distinct.size} usable TLSA records (${kinds}): a rollover can publish before it switches (${seen})`, evidence };
      }
      return { status: "info", summary: `only ${usableForSmtp(lookup)} usable TLSA record${usableForSmtp(lookup) === 1 ? "" : "s"} for SMTP (${seen || "none"}); no second record for a rollover`, evidence };
    }),
};

export const MAIL_DANE_CHECKS: readonly CheckDefinition[] = [mailDaneExistsCheck, mailDaneValidCheck, mailDaneRolloverCheck];
