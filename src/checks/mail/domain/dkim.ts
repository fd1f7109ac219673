/**
 * mail.dkim.exists (RFC 6376). DKIM keys live at <selector>._domainkey.
 * <domain>, and selectors cannot be listed, so without --dkim-selectors the
 * test is internet.nl's: does _domainkey.<domain> exist? NOERROR means the
 * name exists (an empty non-terminal above some selector, most likely);
 * NXDOMAIN means no name exists below it (RFC 8020), so no key can, unless
 * the domain's DNS servers answer NXDOMAIN for empty non-terminals, which
 * RFC 8020 forbids but some still do. The summary says what was read.
 *
 * With selectors: each <selector>._domainkey TXT must hold a key (p= not
 * empty; an empty p= is a revoked key), of type rsa (the default) or
 * ed25519, an RSA key of at least 2048 bits (1024 warns: RFC 8301 allows
 * it, but it is weak).
 *
 * A domain that sends no mail (null MX, SPF "v=spf1 -all" and DMARC
 * p=reject) has no DKIM keys to find: not tested, as in internet.nl.
 */
import { createPublicKey } from "node:crypto";
import type { DomainContext } from "../../context.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { mailServers } from "../mx.ts";
import { dmarcLookup } from "./dmarc.ts";
import { parseDmarc } from "./dmarc-parse.ts";
import { spfRecordOf } from "./spf.ts";
import { lookupProblem, quoteRecord, txtLookup } from "./txt.ts";

const MAX_SELECTORS = 10;

export interface DkimKeyVerdict {
  selector: string;
  name: string;
  status: "good" | "weak" | "revoked" | "missing" | "invalid" | "error";
  keyType: string | null;
  bits: number | null;
  detail: string;
}

/** Parses a DKIM key record's tags (RFC 6376 §3.6.1): "v=DKIM1; k=rsa; p=MIIB...". */
export function parseDkimTags(text: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of text.split(";")) {
    const equals = part.indexOf("=");
    if (equals < 1) continue;
    const tag = part.slice(0, equals).trim().toLowerCase();
    if (!tags.has(tag)) tags.set(tag, part.slice(equals + 1).replace(/\s+/g, ""));
  }
  return tags;
}

/** Judges one key record's text. */
export function judgeDkimKey(selector: string, name: string, text: string): DkimKeyVerdict {
  const tags = parseDkimTags(text);
  const base = { selector, name };
  const version = tags.get("v");
  if (version !== undefined && version !== "DKIM1") return { ...base, status: "invalid", keyType: null, bits: null, detail: `v=${version} is not DKIM1: ${quoteRecord(text, 80)}` };
  const keyType = (tags.get("k") ?? "rsa").toLowerCase();
  const p = tags.get("p");
  if (p === undefined) return { ...base, status: "invalid", keyType, bits: null, detail: `no p= tag: ${quoteRecord(text, 80)}` };
  if (p === "") return { ...base, status: "revoked", keyType, bits: null, detail: "p= is empty: the key is revoked" };
  if (!/^[A-Za-z0-9+/]+=*$/.test(p)) return { ...base, status: "invalid", keyType, bits: null, detail: "p= is not base64" };
  const der = Buffer.from(p, "base64");
  if (keyType === "ed25519") {
    // RFC 8463: the raw 32-byte public key.
    return der.length === 32 ? { ...base, status: "good", keyType, bits: 256, detail: "Ed25519 key" } : { ...base, status: "invalid", keyType, bits: null, detail: `an Ed25519 key is 32 bytes, this one ${der.length}` };
  }
  if (keyType !== "rsa") return { ...base, status: "invalid", keyType, bits: null, detail: `k=${keyType} is not rsa or ed25519` };
  let bits: number | null = null;
  for (const type of ["spki", "pkcs1"] as const) {
    try {
      bits = createPublicKey({ key: der, format: "der", type }).asymmetricKeyDetails?.modulusLength ?? null;
      break;
    } catch {
      // Try the other encoding: some publish the bare RSAPublicKey.
    }
  }
  if (bits === null) return { ...base, status: "invalid", keyType, bits: null, detail: "p= is not an RSA public key" };
  if (bits >= 2048) return { ...base, status: "good", keyType, bits, detail: `RSA ${bits} bits` };
  if (bits >= 1024) return { ...base, status: "weak", keyType, bits, detail: `RSA ${bits} bits; at least 2048 are recommended` };
  return { ...base, status: "invalid", keyType, bits, detail: `RSA ${bits} bits; receivers reject keys under 1024 bits (RFC 8301)` };
}

/** internet.nl's rule: null MX, "v=spf1 -all" and DMARC p=reject: the domain sends and receives no mail. */
async function sendsNoMail(ctx: DomainContext): Promise<boolean> {
  const servers = await mailServers(ctx);
  if (!servers.nullMx) return false;
  const spf = await spfRecordOf(ctx);
  if (spf.records.length !== 1 || !/^v=spf1\s+-all\s*$/i.test(spf.records[0] ?? "")) return false;
  const dmarc = await dmarcLookup(ctx);
  return dmarc.records.length === 1 && parseDmarc(dmarc.records[0] ?? "").p === "reject";
}

export const dkimExists: CheckDefinition = {
  id: "mail.dkim.exists",
  standard: "dkim",
  category: "mail.auth",
  weight: "required",
  title: "DKIM",
  fix: "Sign outgoing mail with DKIM and publish the public key at <selector>._domainkey.<domain> (RSA of 2048 bits or Ed25519).",
  async run(ctx): Promise<CheckOutcome> {
    if (await sendsNoMail(ctx)) {
      return { status: "not_tested", summary: `${ctx.domain} sends no mail (null MX, SPF "v=spf1 -all" and DMARC p=reject), so it needs no DKIM key`, evidence: { noMail: true } };
    }
    const selectors = [...new Set(ctx.settings.dkimSelectors.map((selector) => selector.trim().toLowerCase()).filter((selector) => selector !== ""))].slice(0, MAX_SELECTORS);
    if (selectors.length > 0) return judgeSelectors(ctx, selectors);
    const name = `_domainkey.${ctx.domain}`;
    const lookup = await ctx.resolve(name, "TXT");
    const evidence = { name, rcode: lookup.rcode, security: lookup.security };
    const problem = lookupProblem(lookup);
    if (problem) return { status: "error", summary: `could not be tested: ${problem}`, evidence };
    if (lookup.rcode === "NXDOMAIN") {
      return { status: "failed", summary: `${name} does not exist (NXDOMAIN), so no DKIM key can exist below it (unless the DNS servers wrongly answer NXDOMAIN for empty names, RFC 8020); give --dkim-selectors to test keys`, evidence };
    }
    return { status: "passed", summary: `${name} exists (NOERROR), so DKIM keys are likely published below it; selectors cannot be listed, give --dkim-selectors to test the keys`, evidence };
  },
};

async function judgeSelectors(ctx: DomainContext, selectors: string[]): Promise<CheckOutcome> {
  const verdicts = await Promise.all(selectors.map(async (selector): Promise<DkimKeyVerdict> => {
    const name = `${selector}._domainkey.${ctx.domain}`;
    const base = { selector, name, keyType: null, bits: null };
    let lookup;
    try {
      lookup = await txtLookup(ctx, name);
    } catch (error) {
      return { ...base, status: "error", detail: error instanceof Error ? error.message : String(error) };
    }
    const problem = lookupProblem(lookup.resolution);
    if (problem) return { ...base, status: "error", detail: problem };
    const keys = lookup.texts.filter((text) => /(^|;)\s*p\s*=/i.test(text) || /^\s*v\s*=\s*DKIM1/i.test(text));
    if (keys.length === 0) return { ...base, status: "missing", detail: lookup.resolution.rcode === "NXDOMAIN" ? "no such name (NXDOMAIN)" : "no DKIM key record" };
    if (keys.length > 1) return { ...base, status: "invalid", detail: `${keys.length} key records (one is expected)` };
    return judgeDkimKey(selector, name, keys[0] ?? "");
  }));
  const evidence = { selectors: verdicts };
  const describe = (list: DkimKeyVerdict[]): string => list.slice(0, 3).map((verdict) => `${verdict.selector}: ${verdict.detail}`).join("; ");
  const bad = verdicts.filter((verdict) => verdict.status === "missing" || verdict.status === "invalid" || verdict.status === "revoked");
  const errors = verdicts.filter((verdict) => verdict.status === "error");
  const weak = verdicts.filter((verdict) => verdict.status === "weak");
  if (bad.length > 0) return { status: "failed", summary: `${bad.length} of ${verdicts.length} DKIM selectors have no usable key: ${describe(bad)}`, evidence };
  if (errors.length > 0) return { status: "error", summary: `could not be tested: ${describe(errors)}`, evidence };
  if (weak.length > 0) return { status: "warning", summary: `DKIM keys found for all ${verdicts.length} selectors, but ${describe(weak)}`, evidence };
  return { status: "passed", summary: `DKIM keys found for all ${verdicts.length} selectors: ${describe(verdicts)}`, evidence };
}
