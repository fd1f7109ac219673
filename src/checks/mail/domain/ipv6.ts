/**
 * mail.ipv6.mx-aaaa and mail.ipv6.mx-reachable (internet.nl): every MX host
 * (at most 10) has an IPv6 address, and every IPv6 address of them that the
 * policy allows accepts a TCP connection on the SMTP port and greets with
 * 220. The name server checks are the web suite's, under mail's ids.
 */
import type { DomainContext, HostAddresses } from "../../context.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { mailServers, type MailServers } from "../mx.ts";
import { readBanner, type BannerResult } from "./smtp-banner.ts";

const MAX_PROBED_ADDRESSES = 20;

/** The outcome for a domain whose MX set cannot be tested, or null when it has MX hosts. */
export function noMxOutcome(servers: MailServers, domain: string): CheckOutcome | null {
  if (servers.nullMx) return { status: "not_tested", summary: "not tested: the domain receives no mail (null MX, RFC 7505)", evidence: { nullMx: true } };
  if (servers.hosts.length === 0) {
    const rcode = servers.resolution.rcode;
    if (rcode !== "NOERROR" && rcode !== "NXDOMAIN") return { status: "error", summary: `could not be tested: the MX lookup of ${domain} failed (${rcode}${servers.resolution.reason ? `: ${servers.resolution.reason}` : ""})`, evidence: { rcode } };
    return { status: "not_tested", summary: `not tested: ${domain} has no MX records`, evidence: { rcode } };
  }
  return null;
}

interface HostInfo {
  name: string;
  addresses: HostAddresses | null;
  error: string | null;
}

async function mxAddresses(ctx: DomainContext, servers: MailServers): Promise<HostInfo[]> {
  return Promise.all(servers.hosts.map(async (host) => {
    try {
      const addresses = await ctx.addresses(host.name);
      const failed = addresses.resolutions.find((resolution) => resolution.rcode === "SERVFAIL" || resolution.security === "bogus");
      return { name: host.name, addresses, error: failed ? `${failed.type} lookup failed: ${failed.reason ?? failed.rcode}` : null };
    } catch (error) {
      return { name: host.name, addresses: null, error: error instanceof Error ? error.message : String(error) };
    }
  }));
}

function hostEvidence(info: HostInfo): Record<string, unknown> {
  return { name: info.name, ipv6: info.addresses?.ipv6.slice(0, 8) ?? [], ipv4: info.addresses?.ipv4.slice(0, 8) ?? [], refused: info.addresses?.refused.slice(0, 8) ?? [], ...(info.error ? { error: info.error } : {}) };
}

export const mxAaaa: CheckDefinition = {
  id: "mail.ipv6.mx-aaaa",
  standard: "ipv6",
  category: "mail.ipv6",
  weight: "required",
  title: "Mail servers have IPv6 addresses",
  fix: "Give every mail server (MX host) an IPv6 address (AAAA record).",
  async run(ctx): Promise<CheckOutcome> {
    const servers = await mailServers(ctx);
    const skip = noMxOutcome(servers, ctx.domain);
    if (skip) return skip;
    const hosts = await mxAddresses(ctx, servers);
    const evidence = { hosts: hosts.map(hostEvidence), omitted: servers.omitted };
    const without = hosts.filter((host) => (host.addresses?.ipv6.length ?? 0) === 0);
    const unresolved = without.filter((host) => host.error !== null);
    if (without.length === 0) return { status: "passed", summary: `all ${hosts.length} mail server${hosts.length === 1 ? " has" : "s have"} an IPv6 address`, evidence };
    if (unresolved.length === without.length) return { status: "error", summary: `could not be tested: ${unresolved[0]?.name ?? ""}: ${unresolved[0]?.error ?? ""}`, evidence };
    const refusedOnly = without.filter((host) => host.addresses?.refused.some((entry) => entry.address.includes(":")));
    const note = refusedOnly.length > 0 ? ` (${refusedOnly.map((host) => host.name).join(", ")} only refused ones)` : "";
    return { status: "failed", summary: `${without.length} of ${hosts.length} mail servers have no IPv6 address: ${without.slice(0, 4).map((host) => host.name).join(", ")}${note}`, evidence };
  },
};

export const mxReachable: CheckDefinition = {
  id: "mail.ipv6.mx-reachable",
  standard: "ipv6",
  category: "mail.ipv6",
  weight: "required",
  title: "Mail servers reachable over IPv6",
  fix: "Make every mail server accept SMTP on port 25 at its IPv6 address (check firewalls and that the server listens on IPv6).",
  async run(ctx): Promise<CheckOutcome> {
    const servers = await mailServers(ctx);
    const skip = noMxOutcome(servers, ctx.domain);
    if (skip) return skip;
    const hosts = await mxAddresses(ctx, servers);
    const port = ctx.settings.smtpPort;
    // Bounded: at most 10 hosts, and at most 20 addresses among them.
    const targets = hosts.flatMap((host) => (host.addresses?.ipv6 ?? []).map((address) => ({ host: host.name, address }))).slice(0, MAX_PROBED_ADDRESSES);
    if (targets.length === 0) return { status: "not_tested", summary: "no mail server has an IPv6 address that may be connected to (see mail.ipv6.mx-aaaa)", evidence: { hosts: hosts.map(hostEvidence) } };
    const results = await Promise.all(targets.map(async (target) => {
      ctx.assertTarget(target.address);
      const banner = await ctx.memo(`smtp-banner:${target.address}:${port}`, () => ctx.gated(target.address, () => readBanner(target.address, port, ctx.settings.timeoutMs, ctx.signal)));
      return { ...target, ...banner };
    }));
    ctx.throwIfExpired();
    const evidence = { port, results };
    const failing = results.filter((result: BannerResult & { host: string; address: string }) => result.code !== 220);
    if (failing.length === 0) return { status: "passed", summary: `all ${results.length} IPv6 addresses of the mail servers accept SMTP on port ${port} (220 greeting)`, evidence };
    const first = failing[0];
    const why = first ? (first.code !== null ? `greets with ${first.code}, not 220 (${JSON.stringify(first.greeting ?? "")})` : first.error ?? "no greeting") : "";
    return { status: "failed", summary: `${failing.length} of ${results.length} IPv6 mail server addresses do not accept SMTP on port ${port}: ${first?.host ?? ""} (${first?.address ?? ""}) ${why}`, evidence };
  },
};
