/**
 * mail.tls-rpt (RFC 8460): "v=TLSRPTv1; rua=..." at _smtp._tls.<domain>,
 * exactly one record, with one or more report destinations, each a mailto:
 * or https: URI. Recommended (internet.nl has no such test).
 */
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { lookupEvidence, lookupProblem, quoteRecord, txtLookup } from "./txt.ts";

export function isTlsRptRecord(text: string): boolean {
  return /^v=TLSRPTv1\s*(;|$)/.test(text);
}

/** The rua destinations and what is wrong with the record. */
export function parseTlsRpt(text: string): { rua: string[]; errors: string[] } {
  const errors: string[] = [];
  let rua: string[] | null = null;
  for (const field of text.split(";").map((part) => part.trim()).filter((part) => part !== "").slice(1)) {
    const match = /^([A-Za-z0-9_.-]+)=(.*)$/.exec(field);
    if (!match) {
      errors.push(`"${field}" is not a field=value pair`);
      continue;
    }
    if (match[1] !== "rua") continue;
    if (rua !== null) errors.push("rua appears more than once");
    rua = (match[2] ?? "").split(",").map((uri) => uri.trim());
  }
  if (rua === null) errors.push("no rua= field");
  for (const uri of rua ?? []) {
    let valid = false;
    try {
      const url = new URL(uri);
      valid = (url.protocol === "mailto:" && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(decodeURIComponent(url.pathname))) || (url.protocol === "https:" && url.hostname !== "");
    } catch {
      valid = false;
    }
    if (!valid) errors.push(`"${uri}" is not a mailto: or https: URI`);
  }
  return { rua: rua ?? [], errors };
}

export const tlsRpt: CheckDefinition = {
  id: "mail.tls-rpt",
  standard: "tls-rpt",
  category: "mail.starttls",
  weight: "recommended",
  title: "SMTP TLS reporting",
  fix: "Publish \"v=TLSRPTv1; rua=mailto:tlsrpt@<domain>\" at _smtp._tls.<domain> to receive reports of failed TLS connections to your mail servers.",
  async run(ctx): Promise<CheckOutcome> {
    const lookup = await txtLookup(ctx, `_smtp._tls.${ctx.domain}`);
    const evidence: Record<string, unknown> = { lookup: lookupEvidence(lookup) };
    const problem = lookupProblem(lookup.resolution);
    if (problem) return { status: "error", summary: `could not be tested: ${problem}`, evidence };
    const records = lookup.texts.filter(isTlsRptRecord);
    if (records.length === 0) return { status: "failed", summary: `${ctx.domain} publishes no TLS-RPT record (TXT "v=TLSRPTv1; rua=..." at _smtp._tls.${ctx.domain})`, evidence };
    if (records.length > 1) return { status: "failed", summary: `_smtp._tls.${ctx.domain} has ${records.length} TLS-RPT records; exactly one is allowed`, evidence };
    const record = records[0] ?? "";
    const parsed = parseTlsRpt(record);
    evidence.rua = parsed.rua.slice(0, 10);
    if (parsed.errors.length > 0) return { status: "failed", summary: `the TLS-RPT record is invalid (${parsed.errors.slice(0, 2).join("; ")}): ${quoteRecord(record)}`, evidence };
    return { status: "passed", summary: `TLS reports for ${ctx.domain} go to ${parsed.rua.slice(0, 3).join(", ")}`, evidence };
  },
};
