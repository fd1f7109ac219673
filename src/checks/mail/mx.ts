/**
 * The mail servers of a domain, as every mail check sees them: its MX set
 * (at most 10, lowest preference first, as internet.nl caps it), whether it
 * publishes a null MX (RFC 7505: one MX of preference 0 and exchange ".",
 * "this domain accepts no mail"), and whether there is no MX at all (then
 * RFC 5321 §5.1 would fall back to the domain's own address; the checks
 * report that instead of testing it). Shared per domain through the context.
 */
import type { Resolution } from "../../dns/resolver.ts";
import type { DomainContext } from "../context.ts";

export const MAX_MX = 10;

export interface MxHost {
  /** Host name without the trailing dot, lower case. */
  name: string;
  preference: number;
}

export interface MailServers {
  /** The MX hosts to test, lowest preference first, at most MAX_MX. */
  hosts: MxHost[];
  /** MX hosts left out beyond MAX_MX. */
  omitted: number;
  /** RFC 7505 null MX: the domain receives no mail. */
  nullMx: boolean;
  /** The MX lookup itself, for evidence and for DNSSEC of the MX set. */
  resolution: Resolution;
}

/** Parses "10 mx.example.org." (the resolver's presentation form of MX data). */
export function parseMx(data: string): MxHost | null {
  const match = /^(\d+)\s+(\S+)$/.exec(data.trim());
  if (!match?.[1] || !match[2]) return null;
  const name = match[2].toLowerCase().replace(/\.$/, "");
  return { name: name === "" ? "." : name, preference: Number(match[1]) };
}

export function mailServers(ctx: DomainContext): Promise<MailServers> {
  return ctx.memo("mail-servers", async () => {
    const resolution = await ctx.resolve(ctx.domain, "MX");
    const all = resolution.answer
      .filter((record) => record.type === "MX")
      .map((record) => parseMx(record.data))
      .filter((host): host is MxHost => host !== null)
      .sort((a, b) => a.preference - b.preference || a.name.localeCompare(b.name));
    const nullMx = all.length === 1 && all[0]?.name === ".";
    const hosts = nullMx ? [] : all.filter((host) => host.name !== ".");
    return { hosts: hosts.slice(0, MAX_MX), omitted: Math.max(0, hosts.length - MAX_MX), nullMx, resolution };
  });
}
