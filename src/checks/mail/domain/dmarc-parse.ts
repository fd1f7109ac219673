/**
 * DMARC record syntax (RFC 7489 §6.3, with DMARCbis's np=): "v=DMARC1"
 * first, then tag=value pairs separated by ";". Returns the tags and what
 * is wrong, never throws: a malformed record becomes a finding that quotes
 * it.
 */

export type DmarcPolicy = "none" | "quarantine" | "reject";

export interface ParsedDmarc {
  tags: Map<string, string>;
  errors: string[];
  p: DmarcPolicy | null;
  sp: DmarcPolicy | null;
  np: DmarcPolicy | null;
  pct: number | null;
  rua: string[];
  ruf: string[];
}

const POLICIES = new Set(["none", "quarantine", "reject"]);
const KNOWN = new Set(["v", "p", "sp", "np", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri", "pct", "psd", "t"]);

export function isDmarcRecord(text: string): boolean {
  return /^v\s*=\s*DMARC1\s*(;|$)/i.test(text);
}

function policy(value: string | undefined, tag: string, errors: string[]): DmarcPolicy | null {
  if (value === undefined) return null;
  const lower = value.toLowerCase();
  if (POLICIES.has(lower)) return lower as DmarcPolicy;
  errors.push(`${tag}=${value} is not none, quarantine or reject`);
  return null;
}

function uris(value: string | undefined, tag: string, errors: string[]): string[] {
  if (value === undefined) return [];
  const list = value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  for (const uri of list) {
    // A size limit may follow the URI ("mailto:a@b!10m", RFC 7489 §6.2).
    const bare = uri.replace(/!\d+[kmgt]?$/i, "");
    if (!/^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$/i.test(bare) && !/^https?:\/\/\S+$/i.test(bare)) errors.push(`${tag}: "${uri}" is not a mailto: (or http:) URI`);
  }
  return list;
}

export function parseDmarc(record: string): ParsedDmarc {
  const errors: string[] = [];
  const tags = new Map<string, string>();
  const parts = record.split(";").map((part) => part.trim()).filter((part) => part !== "");
  for (const [index, part] of parts.entries()) {
    const equals = part.indexOf("=");
    if (equals < 1) {
      errors.push(`"${part}" is not a tag=value pair`);
      continue;
    }
    const tag = part.slice(0, equals).trim().toLowerCase();
    const value = part.slice(equals + 1).trim();
    if (index === 0 && (tag !== "v" || value !== "DMARC1")) errors.push(`the record must start with "v=DMARC1"`);
    if (tags.has(tag)) errors.push(`tag ${tag} appears more than once`);
    else tags.set(tag, value);
    if (!KNOWN.has(tag)) errors.push(`unknown tag "${tag}"`);
  }
  const p = policy(tags.get("p"), "p", errors);
  if (!tags.has("p")) errors.push("no p= tag (required by RFC 7489; receivers then apply none)");
  const sp = policy(tags.get("sp"), "sp", errors);
  const np = policy(tags.get("np"), "np", errors);
  let pct: number | null = null;
  const pctText = tags.get("pct");
  if (pctText !== undefined) {
    if (/^\d{1,3}$/.test(pctText) && Number(pctText) <= 100) pct = Number(pctText);
    else errors.push(`pct=${pctText} is not a number from 0 to 100`);
  }
  for (const tag of ["adkim", "aspf"]) {
    const value = tags.get(tag);
    if (value !== undefined && !/^[rs]$/i.test(value)) errors.push(`${tag}=${value} is not r or s`);
  }
  return { tags, errors, p, sp, np, pct, rua: uris(tags.get("rua"), "rua", errors), ruf: uris(tags.get("ruf"), "ruf", errors) };
}
