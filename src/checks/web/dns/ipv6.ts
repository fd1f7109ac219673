/**
 * The DNS side of the web suite's IPv6 category (internet.nl):
 *   - web.ipv6.ns-aaaa: at least two name servers of the domain's zone have
 *     an IPv6 address (one is not enough: it fails, as in internet.nl);
 *   - web.ipv6.ns-reachable: every IPv6 address of those name servers
 *     answers a DNS query (the zone's SOA) over UDP and over TCP on port 53
 *     (RFC 7766: TCP is required of every server);
 *   - web.ipv6.aaaa: the web host has an IPv6 address.
 * Addresses the policy refuses (a public name pointing at loopback or
 * private space) never count and are never queried; they are listed.
 */
import type { DomainContext } from "../../context.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { probeDns, type ProbeResult } from "./dns-probe.ts";
import { zoneNameServers, type NameServerInfo } from "./name-servers.ts";

const MAX_PROBED_ADDRESSES = 32;

function serverEvidence(server: NameServerInfo): Record<string, unknown> {
  return { name: server.name, ipv6: server.ipv6.slice(0, 8), ipv4: server.ipv4.slice(0, 8), refused: server.refused.slice(0, 8), ...(server.error ? { error: server.error } : {}) };
}

/** The suites share the name server checks; only the id and category differ. */
export type DnsSuite = "web" | "mail";

/** <suite>.ipv6.ns-aaaa. */
export function nsAaaaCheck(suite: DnsSuite): CheckDefinition {
  return {
    id: `${suite}.ipv6.ns-aaaa`,
    standard: "ipv6",
    category: `${suite}.ipv6`,
    weight: "required",
    title: "Name servers have IPv6 addresses",
    fix: "Give at least two of the domain's name servers an IPv6 address (AAAA record), or move to a DNS operator whose servers have them.",
    async run(ctx): Promise<CheckOutcome> {
      const { zone, nameServers } = await zoneNameServers(ctx);
      const withIpv6 = nameServers.filter((server) => server.ipv6.length > 0);
      const refusedOnly = nameServers.filter((server) => server.ipv6.length === 0 && server.refused.some((entry) => entry.address.includes(":")));
      const evidence = { zone, nameServers: nameServers.map(serverEvidence), withIpv6: withIpv6.map((server) => server.name) };
      const refusedNote = refusedOnly.length > 0 ? `; ${refusedOnly.map((server) => server.name).join(", ")} ha${refusedOnly.length === 1 ? "s" : "ve"} only refused IPv6 addresses` : "";
      if (withIpv6.length >= 2) {
        return { status: "passed", summary: `${withIpv6.length} of ${nameServers.length} name servers of ${zone} have an IPv6 address${refusedNote}`, evidence };
      }
      const unresolved = nameServers.filter((server) => server.error !== null && server.ipv6.length === 0);
      if (withIpv6.length + unresolved.length >= 2 && unresolved.length > 0) {
        return { status: "error", summary: `could not be tested: the addresses of ${unresolved.map((server) => server.name).join(", ")} could not be looked up (${unresolved[0]?.error ?? ""})`, evidence };
      }
      if (nameServers.length === 1) {
        const only = nameServers[0]?.name ?? "";
        return { status: "failed", summary: `the only name server of ${zone} (${only}) ${withIpv6.length === 1 ? "has an IPv6 address, but at least two are required" : "has no IPv6 address"}${refusedNote}`, evidence };
      }
      const found = withIpv6.length === 0 ? "none" : `only ${withIpv6.map((server) => server.name).join(", ")}`;
      return { status: "failed", summary: `${found} of the ${nameServers.length} name servers of ${zone} ha${withIpv6.length === 1 ? "s" : "ve"} an IPv6 address; at least two are required${refusedNote}`, evidence };
    },
  };
}

export const nsAaaa: CheckDefinition = nsAaaaCheck("web");

/** <suite>.ipv6.ns-reachable, querying `port` (53; tests use their own server's port). */
export function nsReachableCheck(port = 53, suite: DnsSuite = "web"): CheckDefinition {
  return {
    id: `${suite}.ipv6.ns-reachable`,
    standard: "ipv6",
    category: `${suite}.ipv6`,
    weight: "required",
    title: "Name servers reachable over IPv6",
    fix: "Make every name server answer DNS over IPv6 on port 53, both UDP and TCP (check firewalls and that the server listens on its IPv6 address).",
    async run(ctx): Promise<CheckOutcome> {
      const { zone, nameServers } = await zoneNameServers(ctx);
      const refused = nameServers.flatMap((server) => server.refused.filter((entry) => entry.address.includes(":")).map((entry) => ({ server: server.name, ...entry })));
      // Bounded: a hostile NS set cannot make one domain open hundreds of sockets.
      const targets = nameServers.flatMap((server) => server.ipv6.map((address) => ({ server: server.name, address }))).slice(0, MAX_PROBED_ADDRESSES);
      if (targets.length === 0) {
        return { status: "not_tested", summary: `no name server of ${zone} has an IPv6 address that may be queried (see ${suite}.ipv6.ns-aaaa)${refused.length > 0 ? `; ${refused.length} refused` : ""}`, evidence: { zone, refused } };
      }
      const results = await Promise.all(targets.map(async (target) => {
        const [udp, tcp] = await Promise.all((["udp", "tcp"] as const).map((transport) => probe(ctx, target.address, port, zone, transport)));
        return { ...target, udp: udp as ProbeResult, tcp: tcp as ProbeResult };
      }));
      const unreachable = results.filter((result) => !result.udp.answered || !result.tcp.answered);
      const evidence = { zone, port, results: results.slice(0, 40), refused };
      if (unreachable.length === 0) {
        return { status: "passed", summary: `all ${results.length} IPv6 addresses of the name servers of ${zone} answer over UDP and TCP${refused.length > 0 ? `; ${refused.length} refused address(es) not queried` : ""}`, evidence };
      }
      const first = unreachable[0];
      const detail = first ? `${first.server} (${first.address}) ${describeFailure(first.udp, first.tcp)}` : "";
      return { status: "failed", summary: `${unreachable.length} of ${results.length} IPv6 name server addresses of ${zone} do not answer: ${detail}`, evidence };
    },
  };
}

function probe(ctx: DomainContext, address: string, port: number, zone: string, transport: "udp" | "tcp"): Promise<ProbeResult> {
  ctx.assertTarget(address);
  return ctx.memo(`dns-probe:${transport}:${address}:${port}:${zone}`, () => probeDns(address, port, { name: `${zone}.`, type: "SOA" }, transport, ctx.settings.timeoutMs, ctx.signal));
}

function describeFailure(udp: ProbeResult, tcp: ProbeResult): string {
  if (!udp.answered && !tcp.answered) return `answers neither over UDP (${udp.error ?? ""}) nor over TCP (${tcp.error ?? ""})`;
  return !udp.answered ? `answers over TCP but not over UDP (${udp.error ?? ""})` : `answers over UDP but not over TCP (${tcp.error ?? ""})`;
}

export const webAaaa: CheckDefinition = {
  id: "web.ipv6.aaaa",
  standard: "ipv6",
  category: "web.ipv6",
  weight: "required",
  title: "Web server has an IPv6 address",
  fix: "Publish an AAAA record for the web server's IPv6 address.",
  async run(ctx): Promise<CheckOutcome> {
    const addresses = await ctx.addresses(ctx.domain);
    const aaaa = addresses.resolutions.find((resolution) => resolution.type === "AAAA");
    const refused = addresses.refused.filter((entry) => entry.address.includes(":"));
    const evidence = { host: ctx.domain, ipv6: addresses.ipv6.slice(0, 16), ipv4: addresses.ipv4.slice(0, 16), refused, aaaaLookup: aaaa ? { rcode: aaaa.rcode, security: aaaa.security, reason: aaaa.reason } : null };
    if (addresses.ipv6.length > 0) {
      return { status: "passed", summary: `${ctx.domain} has IPv6 address${addresses.ipv6.length === 1 ? "" : "es"} ${addresses.ipv6.slice(0, 4).join(", ")}`, evidence };
    }
    if (aaaa && aaaa.rcode === "SERVFAIL") {
      return { status: "error", summary: `could not be tested: the AAAA lookup of ${ctx.domain} failed: ${aaaa.reason ?? aaaa.rcode}`, evidence };
    }
    if (refused.length > 0) {
      return { status: "failed", summary: `${ctx.domain} has only refused IPv6 addresses: ${refused.slice(0, 4).map((entry) => entry.reason).join("; ")}`, evidence };
    }
    return { status: "failed", summary: `${ctx.domain} has no AAAA record (no IPv6 address)`, evidence };
  },
};
