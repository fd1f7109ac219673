/**
 * The name servers of the zone a domain lives in: the closest enclosing
 * zone apex that has an NS set (the domain itself, or a parent when the
 * domain is a name inside a zone), and each server's addresses under the
 * address policy. Shared by the IPv6 and RPKI checks through ctx.memo.
 */
import type { DomainContext, HostAddresses } from "../../context.ts";
import { canonicalName } from "../../../dns/wire.ts";

export interface NameServerInfo {
  name: string;
  /** Allowed addresses, per family. */
  ipv4: string[];
  ipv6: string[];
  /** Addresses the policy refuses (never connected to). */
  refused: { address: string; reason: string }[];
  /** Why its addresses could not be looked up, or null. */
  error: string | null;
}

export interface ZoneNameServers {
  zone: string;
  nameServers: NameServerInfo[];
}

/** A zone never needs more; a hostile NS set cannot make us resolve hundreds of names. */
export const MAX_NAME_SERVERS = 20;

/** Finds the zone and its servers once per domain. Throws when an NS lookup fails (SERVFAIL, bogus). */
export function zoneNameServers(ctx: DomainContext): Promise<ZoneNameServers> {
  return ctx.memo("web-dns:zone-ns", async () => {
    const labels = ctx.domain.split(".");
    for (let index = 0; index < labels.length; index++) {
      const name = labels.slice(index).join(".");
      const resolution = await ctx.resolve(name, "NS");
      if (resolution.rcode === "SERVFAIL" || resolution.security === "bogus" || resolution.security === "indeterminate") {
        throw new Error(`the NS lookup of ${name} failed (${resolution.rcode}, ${resolution.security}${resolution.reason ? `: ${resolution.reason}` : ""})`);
      }
      // Only NS owned by the name itself: after a CNAME the answer's NS belong to another zone.
      const owner = canonicalName(`${name}.`);
      const hosts = [...new Set(resolution.answer.filter((record) => record.type === "NS" && canonicalName(record.name) === owner).map((record) => canonicalName(record.data).replace(/\.$/, "")))].sort();
      if (hosts.length === 0) continue;
      const nameServers = await Promise.all(hosts.slice(0, MAX_NAME_SERVERS).map((host) => describe(ctx, host)));
      return { zone: name, nameServers };
    }
    throw new Error(`no NS records found for ${ctx.domain} or any parent`);
  });
}

async function describe(ctx: DomainContext, host: string): Promise<NameServerInfo> {
  let addresses: HostAddresses;
  try {
    addresses = await ctx.addresses(host);
  } catch (error) {
    return { name: host, ipv4: [], ipv6: [], refused: [], error: error instanceof Error ? error.message : String(error) };
  }
  const failed = addresses.resolutions.find((resolution) => resolution.rcode === "SERVFAIL");
  return {
    name: host,
    ipv4: addresses.ipv4,
    ipv6: addresses.ipv6,
    refused: addresses.refused,
    error: failed ? `${failed.type} lookup failed: ${failed.reason ?? failed.rcode}` : null,
  };
}
