/**
 * mail.dnssec.mx-exists and mail.dnssec.mx-valid: the zone of every MX host
 * (at most 10) is signed, and its answers (SOA, A, AAAA) validate, judged as
 * the domain's own (web/dns/dnssec.ts, judgeSigned and judgeValid). A host
 * that fails fails the test, naming it; a host whose lookup failed makes it
 * an error when no other host failed.
 */
import type { DomainContext } from "../../context.ts";
import type { CheckDefinition, CheckOutcome, CheckStatus } from "../../types.ts";
import { judgeSigned, judgeValid } from "../../web/dns/dnssec.ts";
import { mailServers } from "../mx.ts";
import { noMxOutcome } from "./ipv6.ts";

const ORDER: CheckStatus[] = ["passed", "info", "not_tested", "warning", "error", "failed"];

async function perHost(ctx: DomainContext, judge: (host: string) => Promise<CheckOutcome>, what: string): Promise<CheckOutcome> {
  const servers = await mailServers(ctx);
  const skip = noMxOutcome(servers, ctx.domain);
  if (skip) return skip;
  const outcomes = await Promise.all(servers.hosts.map(async (host) => ({ host: host.name, outcome: await judge(host.name) })));
  const worst = outcomes.reduce<CheckStatus>((acc, entry) => (ORDER.indexOf(entry.outcome.status) > ORDER.indexOf(acc) ? entry.outcome.status : acc), "passed");
  const evidence = { hosts: outcomes.map((entry) => ({ host: entry.host, status: entry.outcome.status, summary: entry.outcome.summary, evidence: entry.outcome.evidence })) };
  if (worst === "passed") return { status: "passed", summary: `the zones of all ${outcomes.length} mail server${outcomes.length === 1 ? "" : "s"} are ${what}`, evidence };
  const bad = outcomes.filter((entry) => entry.outcome.status === worst);
  const first = bad[0]?.outcome.summary ?? "";
  return { status: worst, summary: `${bad.length} of ${outcomes.length} mail servers: ${first}${bad.length > 1 ? ` (and ${bad.slice(1, 4).map((entry) => entry.host).join(", ")})` : ""}`, evidence };
}

export const mxDnssecExists: CheckDefinition = {
  id: "mail.dnssec.mx-exists",
  standard: "dnssec",
  category: "mail.dnssec",
  weight: "required",
  title: "Mail server domains DNSSEC signed",
  fix: "Sign the zones of the mail server names (MX hosts) with DNSSEC, or ask the mail provider to.",
  run: (ctx) => perHost(ctx, (host) => judgeSigned(ctx, host), "signed with DNSSEC"),
};

export const mxDnssecValid: CheckDefinition = {
  id: "mail.dnssec.mx-valid",
  standard: "dnssec",
  category: "mail.dnssec",
  weight: "required",
  title: "Mail server domains DNSSEC valid",
  fix: "Make the mail server names' DNSSEC validate: re-sign their zones or fix the DS in the parent.",
  run: (ctx) => perHost(ctx, (host) => judgeValid(ctx, host, ["A", "AAAA"]), "signed and validate as secure"),
};
