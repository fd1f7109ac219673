/**
 * Test helpers: a resolver answering from a fixed table (only resolve() is
 * read by DomainContext), and a context over it. Answers are presentation
 * form, as the real resolver gives them (TXT as quoted strings: `txt()`).
 */
import { DnsInputError, type Resolution, type Resolver } from "../../../dns/resolver.ts";
import type { Security } from "../../../dns/types.ts";
import { defaultSettings, DomainContext, type CheckSettings } from "../../context.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";

export type Answer = [type: string, data: string];
export interface Fixed {
  rcode?: string;
  security?: Security;
  reason?: string;
  answer?: Answer[];
  zone?: string;
}
export type Zone = Record<string, Fixed>;

/** A TXT record's presentation form, split into 255-octet strings as a server would. */
export function txt(text: string): string {
  const parts: string[] = [];
  for (let index = 0; index < text.length || index === 0; index += 255) parts.push(`"${text.slice(index, index + 255).replace(/["\\]/g, (char) => `\\${char}`)}"`);
  return parts.join(" ");
}

/** Names not in the table: NXDOMAIN when `nxdomain` says so, else empty NOERROR. */
export function fixedResolver(zone: Zone, options: { fallback?: Security; nxdomain?: (name: string) => boolean } = {}): Resolver & { queries: string[] } {
  const queries: string[] = [];
  const resolver = {
    queries,
    resolve(name: string, type: string): Promise<Resolution> {
      const bare = name.replace(/\.$/, "");
      // As the real resolver: a name over 253 characters is refused before any query.
      if (bare.length > 253) return Promise.reject(new DnsInputError(`name too long: ${bare.length} characters`));
      queries.push(`${bare}|${type}`);
      const fixed = zone[`${bare}|${type}`] ?? {};
      const security = fixed.security ?? options.fallback ?? "insecure";
      const rcode = fixed.rcode ?? (zone[`${bare}|${type}`] === undefined && options.nxdomain?.(bare) ? "NXDOMAIN" : "NOERROR");
      return Promise.resolve({
        name,
        type,
        rcode,
        security,
        reason: fixed.reason ?? null,
        answer: (fixed.answer ?? []).map(([recordType, data]) => ({ name, type: recordType, ttl: 300, data })),
        chain: [{ zone: fixed.zone ?? "example.org.", security, dsKeyTags: [], dnskeyTags: [], note: undefined }],
        referrals: [],
      });
    },
  };
  // Only resolve() is read by DomainContext; the real class has private state a test double cannot have.
  return resolver as unknown as Resolver & { queries: string[] };
}

export async function runCheck(check: CheckDefinition, zone: Zone, options: { domain?: string; settings?: Partial<CheckSettings>; fallback?: Security; nxdomain?: (name: string) => boolean } = {}): Promise<CheckOutcome> {
  const resolverOptions = { ...(options.fallback ? { fallback: options.fallback } : {}), ...(options.nxdomain ? { nxdomain: options.nxdomain } : {}) };
  const ctx = new DomainContext(options.domain ?? "example.org", defaultSettings(fixedResolver(zone, resolverOptions), options.settings ?? {}));
  try {
    return await check.run(ctx);
  } finally {
    ctx.close();
  }
}
