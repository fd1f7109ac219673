/**
 * web.caa: the domain's relevant CAA record set (RFC 8659 §3): the CAA
 * records at the domain, or else at its parent, and so on up to (not
 * including) the root, the first non-empty set winning. Each lookup follows
 * CNAMEs as any DNS lookup does (RFC 8659 dropped RFC 6844's separate climb
 * at the alias target). Passes when that set has a readable issue property;
 * warns when some record cannot be read; fails when a property marked
 * critical is unknown (every CA must then refuse to issue, §4.1). internet.nl: NOTICE, so
 * recommended here.
 */
import type { DomainContext } from "../../context.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { checkIodef, KNOWN_TAGS, parseCaaRecord, parseIssueValue, type CaaRecord, type IssueValue } from "./caa-parse.ts";

const MAX_EVIDENCE_RECORDS = 32;

interface RelevantSet {
  /** The name whose CAA set is relevant, or null when no name up to the TLD has one. */
  name: string | null;
  records: { data: string; owner: string }[];
  /** Names looked up, in order. */
  searched: string[];
  aliases: string[];
}

async function relevantSet(ctx: DomainContext): Promise<RelevantSet | { error: string; searched: string[] }> {
  const labels = ctx.domain.split(".");
  const searched: string[] = [];
  for (let index = 0; index < labels.length; index++) {
    const name = labels.slice(index).join(".");
    searched.push(name);
    const resolution = await ctx.resolve(name, "CAA");
    if (resolution.rcode === "SERVFAIL" || resolution.security === "bogus" || resolution.security === "indeterminate") {
      return { error: `the CAA lookup of ${name} failed (${resolution.rcode}, ${resolution.security}): ${resolution.reason ?? "no reason given"}`, searched };
    }
    const records = resolution.answer.filter((record) => record.type === "CAA");
    if (records.length > 0) {
      const aliases = resolution.answer.filter((record) => record.type === "CNAME" || record.type === "DNAME").map((record) => `${record.name} ${record.type} ${record.data}`);
      return { name, records: records.map((record) => ({ data: record.data, owner: record.name })), searched, aliases };
    }
  }
  return { name: null, records: [], searched, aliases: [] };
}

export const caaCheck: CheckDefinition = {
  id: "web.caa",
  standard: "caa",
  category: "web.https",
  weight: "recommended",
  title: "CAA records",
  fix: 'Publish CAA records naming the certificate authorities you use, e.g. `example.org. CAA 0 issue "letsencrypt.org"`, and an iodef contact.',
  async run(ctx): Promise<CheckOutcome> {
    const found = await relevantSet(ctx);
    if ("error" in found) return { status: "error", summary: `could not be tested: ${found.error}`, evidence: { searched: found.searched } };
    if (found.name === null) {
      return { status: "failed", summary: `no CAA records at ${ctx.domain} or any parent domain: any certificate authority may issue for it`, evidence: { searched: found.searched, records: [] } };
    }
    const records: Record<string, unknown>[] = [];
    const errors: string[] = [];
    const notes: string[] = [];
    const issuers: (string | null)[] = [];
    const wildIssuers: (string | null)[] = [];
    let issueCount = 0;
    for (const { data } of found.records) {
      const parsed = parseCaaRecord(data);
      if (typeof parsed === "string") {
        errors.push(`${clip(data)}: ${parsed}`);
        records.push({ data: clip(data), error: parsed });
        continue;
      }
      const entry = describeRecord(parsed);
      records.push(entry.evidence);
      if (entry.error) errors.push(`${clip(data)}: ${entry.error}`);
      if (entry.note) notes.push(entry.note);
      if (entry.issue) {
        if (parsed.tag.toLowerCase() === "issue") {
          issueCount++;
          issuers.push(entry.issue.issuer);
        } else {
          wildIssuers.push(entry.issue.issuer);
        }
      }
    }
    const evidence = { foundAt: found.name, searched: found.searched, aliases: found.aliases, records: records.slice(0, MAX_EVIDENCE_RECORDS), parseErrors: errors.slice(0, MAX_EVIDENCE_RECORDS), notes, issuers, wildcardIssuers: wildIssuers };
    const where = found.name === ctx.domain ? ctx.domain : `${found.name} (parent of ${ctx.domain})`;
    if (issueCount === 0) {
      return { status: "failed", summary: `CAA records at ${where} have no readable issue property${errors.length > 0 ? ` (${errors.length} unreadable)` : ""}`, evidence };
    }
    const allowed = issuers.every((issuer) => issuer === null) ? "no certificate authority may issue" : `issue allowed for ${[...new Set(issuers.filter((issuer): issuer is string => issuer !== null))].join(", ")}`;
    if (notes.length > 0) {
      // RFC 8659 §4.1: a CA that does not understand a critical property must not issue at all, whatever the issue properties say.
      return { status: "failed", summary: `CAA at ${where}: ${notes.join("; ")}, so none may issue despite "${allowed}"`, evidence };
    }
    if (errors.length > 0) {
      const problems = [...(errors.length > 0 ? [`${errors.length} record${errors.length === 1 ? "" : "s"} with errors`] : []), ...notes];
      return { status: "warning", summary: `CAA at ${where}: ${allowed}; ${problems.join("; ")}`, evidence };
    }
    return { status: "passed", summary: `CAA at ${where}: ${allowed}`, evidence };
  },
};

function describeRecord(record: CaaRecord): { evidence: Record<string, unknown>; error?: string; note?: string; issue?: IssueValue } {
  const tag = record.tag.toLowerCase();
  const evidence: Record<string, unknown> = { flags: record.flags, critical: record.critical, tag: record.tag, value: clip(record.value) };
  if (tag === "issue" || tag === "issuewild") {
    const issue = parseIssueValue(record.value);
    if (typeof issue === "string") return { evidence: { ...evidence, error: issue }, error: issue };
    return { evidence: { ...evidence, issuer: issue.issuer, parameters: issue.parameters.slice(0, 16) }, issue };
  }
  if (tag === "iodef") {
    const problem = checkIodef(record.value);
    return problem ? { evidence: { ...evidence, error: problem }, error: problem } : { evidence };
  }
  if (!KNOWN_TAGS.has(tag) && record.critical) {
    const note = `unknown property "${record.tag}" is marked critical: certificate authorities must refuse to issue`;
    return { evidence: { ...evidence, note }, note };
  }
  return { evidence };
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
