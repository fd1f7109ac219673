/**
 * web.rpki.exists and web.rpki.valid: route origin validation (RFC 6811)
 * of every address of the web host and of the zone's name servers, from
 * the VRPs and BGP origins given with --rpki-vrps and --bgp-origins
 * (no network traffic: refused private addresses are validated too, they
 * simply have no route). internet.nl: a missing ROA is a NOTICE (so
 * exists is recommended here), an invalid route fails.
 */
import type { DomainContext } from "../../context.ts";
import type { RoutingData } from "../../routing-data.ts";
import { validateAddress, type AddressValidation } from "../../rpki/origin-validation.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { zoneNameServers } from "./name-servers.ts";

export const NO_ROUTING_DATA = "--rpki-vrps and --bgp-origins not given";
const MAX_EVIDENCE_ADDRESSES = 64;

interface Validated extends AddressValidation {
  /** The hosts that use the address ("web" host or a name server). */
  hosts: string[];
}

interface RpkiReport {
  results: Validated[];
  /** Name server lookups that failed (their addresses are missing). */
  problems: string[];
}

/**
 * What a suite validates besides the zone's name servers: the web host, or
 * the mail servers. `hosts` returns the host names and a label for each.
 */
export interface RpkiScope {
  suite: "web" | "mail";
  /** How the hosts are called in summaries ("web server", "mail servers"). */
  noun: string;
  hosts(ctx: DomainContext): Promise<{ name: string; label: string }[]>;
}

const WEB_SCOPE: RpkiScope = { suite: "web", noun: "web server", hosts: (ctx) => Promise.resolve([{ name: ctx.domain, label: ctx.domain }]) };

/** Validates the domain's addresses once, for both checks. */
function validateDomain(ctx: DomainContext, routing: RoutingData, scope: RpkiScope): Promise<RpkiReport> {
  return ctx.memo(`rpki:${scope.suite}`, async () => {
    const hosts = new Map<string, Set<string>>();
    const problems: string[] = [];
    const add = (address: string, host: string): void => {
      const set = hosts.get(address) ?? new Set<string>();
      set.add(host);
      hosts.set(address, set);
    };
    try {
      for (const host of await scope.hosts(ctx)) {
        const addresses = await ctx.addresses(host.name);
        for (const address of [...addresses.ipv4, ...addresses.ipv6, ...addresses.refused.map((entry) => entry.address)]) add(address, host.label);
      }
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
    try {
      const { nameServers } = await zoneNameServers(ctx);
      for (const server of nameServers) {
        if (server.error) problems.push(`${server.name}: ${server.error}`);
        for (const address of [...server.ipv4, ...server.ipv6, ...server.refused.map((entry) => entry.address)]) add(address, `${server.name} (NS)`);
      }
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
    const results = [...hosts].map(([address, users]) => ({ ...validateAddress(routing, address), hosts: [...users].sort() }));
    return { results, problems };
  });
}

function evidenceOf(routing: RoutingData, report: RpkiReport): Record<string, unknown> {
  return {
    sources: routing.sources,
    addresses: report.results.slice(0, MAX_EVIDENCE_ADDRESSES).map((result) => ({
      address: result.address,
      hosts: result.hosts,
      state: result.state,
      routes: result.routes.map((route) => ({ prefix: route.prefix, asn: route.asn, state: route.state, vrps: route.vrps.map((vrp) => ({ prefix: vrp.prefix, maxLength: vrp.maxLength, asn: vrp.asn, ...(vrp.ta ? { ta: vrp.ta } : {}) })) })),
    })),
    problems: report.problems,
  };
}

function label(result: Validated): string {
  return `${result.address} (${result.hosts.join(", ")})`;
}

function list(results: readonly Validated[]): string {
  const shown = results.slice(0, 3).map(label).join(", ");
  return results.length > 3 ? `${shown} and ${results.length - 3} more` : shown;
}

async function prepare(ctx: DomainContext, scope: RpkiScope): Promise<{ routing: RoutingData; report: RpkiReport } | CheckOutcome> {
  const routing = ctx.settings.routing;
  if (!routing) return { status: "not_tested", summary: `not tested: ${NO_ROUTING_DATA}`, evidence: { reason: NO_ROUTING_DATA } };
  const report = await validateDomain(ctx, routing, scope);
  if (report.results.length === 0) {
    return { status: "not_tested", summary: `the ${scope.noun} and name servers of ${ctx.domain} have no addresses to validate${report.problems.length > 0 ? ` (${report.problems[0] ?? ""})` : ""}`, evidence: evidenceOf(routing, report) };
  }
  return { routing, report };
}

/** <suite>.rpki.exists over the scope's hosts and the zone's name servers. */
export function rpkiExistsCheck(scope: RpkiScope): CheckDefinition {
  return {
  id: `${scope.suite}.rpki.exists`,
  standard: "rpki",
  category: `${scope.suite}.rpki`,
  weight: "recommended",
  title: "Route origin authorisation exists",
  fix: "Ask the holder of the IP prefixes (your hosting or DNS provider) to publish ROAs for them in the RPKI.",
  async run(ctx): Promise<CheckOutcome> {
    const prepared = await prepare(ctx, scope);
    if ("status" in prepared) return prepared;
    const { routing, report } = prepared;
    const evidence = evidenceOf(routing, report);
    const unannounced = report.results.filter((result) => result.state === "not-announced");
    const uncovered = report.results.filter((result) => result.state === "not-found");
    if (unannounced.length === 0 && uncovered.length === 0) {
      return { status: "passed", summary: `all ${report.results.length} addresses of the ${scope.noun} and name servers are covered by a ROA`, evidence };
    }
    const parts: string[] = [];
    if (uncovered.length > 0) parts.push(`no ROA covers the route of ${list(uncovered)}`);
    if (unannounced.length > 0) parts.push(`no announced prefix covers ${list(unannounced)} (not in --bgp-origins)`);
    return { status: "failed", summary: parts.join("; "), evidence };
  },
  };
}

/** <suite>.rpki.valid over the scope's hosts and the zone's name servers. */
export function rpkiValidCheck(scope: RpkiScope): CheckDefinition {
  return {
  id: `${scope.suite}.rpki.valid`,
  standard: "rpki",
  category: `${scope.suite}.rpki`,
  weight: "required",
  title: "Route origin validation",
  fix: "Fix the ROAs (origin AS and maxLength) or the BGP announcements so that the announced routes match them; invalid routes are dropped by networks that validate.",
  async run(ctx): Promise<CheckOutcome> {
    const prepared = await prepare(ctx, scope);
    if ("status" in prepared) return prepared;
    const { routing, report } = prepared;
    const evidence = evidenceOf(routing, report);
    const invalid = report.results.filter((result) => result.state === "invalid");
    if (invalid.length > 0) {
      const first = invalid[0]?.routes.find((route) => route.state === "invalid");
      const why = first ? ` (route ${first.prefix} from AS${first.asn} matches no ROA)` : "";
      return { status: "failed", summary: `RPKI-invalid route for ${list(invalid)}${why}`, evidence };
    }
    const valid = report.results.filter((result) => result.state === "valid").length;
    const other = report.results.length - valid;
    if (valid === 0) {
      return { status: "not_tested", summary: `no address has a route covered by a ROA, so none could be validated (${other} not-found or not announced)`, evidence };
    }
    return { status: "passed", summary: `${valid} of ${report.results.length} addresses have RPKI-valid routes and none is invalid${other > 0 ? ` (${other} without a ROA or a route)` : ""}`, evidence };
  },
  };
}

export const rpkiExists: CheckDefinition = rpkiExistsCheck(WEB_SCOPE);
export const rpkiValid: CheckDefinition = rpkiValidCheck(WEB_SCOPE);
