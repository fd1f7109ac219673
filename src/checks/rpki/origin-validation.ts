/**
 * Route origin validation (RFC 6811) of the addresses a domain uses: the
 * route that carries an address is the longest announced prefix covering
 * it (what forwarding uses), with its origin AS (several when the prefix
 * is announced by more than one AS); each route is then valid, invalid or
 * not-found against the VRPs:
 *   - not-found: no VRP covers the route's prefix;
 *   - valid: some covering VRP has the route's origin AS and a maxLength at
 *     least the route's length (a VRP for AS 0 never matches, RFC 6483 §4);
 *   - invalid: covered, but no VRP matches.
 * The tables are built once per RoutingData (a WeakMap), not once per domain.
 */
import type { BgpOrigin, RoutingData, Vrp } from "../routing-data.ts";
import { parseAddress, parsePrefix, type ParsedPrefix } from "./prefix.ts";
import { PrefixTable } from "./prefix-table.ts";

export type RovState = "valid" | "invalid" | "not-found";

export interface RouteValidation {
  /** The announced prefix and its origin AS. */
  prefix: string;
  asn: number;
  state: RovState;
  /** The VRPs covering the prefix (at most 10, for evidence). */
  vrps: Vrp[];
}

export interface AddressValidation {
  address: string;
  /** One per origin AS of the longest announced prefix covering the address; empty when nothing announced covers it. */
  routes: RouteValidation[];
  /** not-announced: no announced prefix covers the address, so there is no route to validate. */
  state: RovState | "not-announced";
}

interface Tables {
  vrps: PrefixTable<Vrp>;
  origins: PrefixTable<BgpOrigin>;
}

const MAX_EVIDENCE_VRPS = 10;
const tables = new WeakMap<RoutingData, Tables>();

/** Builds (once) the lookup tables of `data`; the first call on 500,000 VRPs takes a few hundred ms. */
export function routingTables(data: RoutingData): Tables {
  let built = tables.get(data);
  if (!built) {
    built = { vrps: new PrefixTable(), origins: new PrefixTable() };
    for (const vrp of data.vrps) built.vrps.add(mustParse(vrp.prefix), vrp);
    for (const origin of data.origins) built.origins.add(mustParse(origin.prefix), origin);
    tables.set(data, built);
  }
  return built;
}

export function validateAddress(data: RoutingData, address: string): AddressValidation {
  const parsed = parseAddress(address);
  if (!parsed) throw new TypeError(`"${address}" is not an IP address`);
  const { vrps, origins } = routingTables(data);
  const host: ParsedPrefix = parsed.family === 4 ? { ...parsed, length: 32 } : { ...parsed, length: 128 };
  const announced = origins.longest(host);
  if (!announced) return { address, routes: [], state: "not-announced" };
  // The route is the announced prefix; the VRPs that matter are those covering it (RFC 6811 §2).
  const route: ParsedPrefix = host.family === 4 ? { family: 4, value: host.value, length: announced.length } : { family: 6, bits: host.bits.slice(0, announced.length), length: announced.length };
  const covering = vrps.covering(route).flatMap((level) => level.values);
  const seen = new Set<number>();
  const routes: RouteValidation[] = [];
  for (const origin of announced.values) {
    if (seen.has(origin.asn)) continue;
    seen.add(origin.asn);
    routes.push({ prefix: origin.prefix, asn: origin.asn, state: routeState(origin.asn, announced.length, covering), vrps: covering.slice(0, MAX_EVIDENCE_VRPS) });
  }
  return { address, routes, state: addressState(routes) };
}

/** RFC 6811 §2 for one route. */
export function routeState(asn: number, length: number, covering: readonly Vrp[]): RovState {
  if (covering.length === 0) return "not-found";
  const matched = covering.some((vrp) => vrp.asn !== 0 && vrp.asn === asn && length <= vrp.maxLength);
  return matched ? "valid" : "invalid";
}

/** An address is invalid when any route to it is, valid when all are, otherwise not-found. */
function addressState(routes: readonly RouteValidation[]): RovState {
  if (routes.some((route) => route.state === "invalid")) return "invalid";
  if (routes.every((route) => route.state === "valid")) return "valid";
  return "not-found";
}

function mustParse(prefix: string): ParsedPrefix {
  const parsed = parsePrefix(prefix);
  // Loaders check every prefix; data built elsewhere with a bad one is a programming error.
  if (typeof parsed === "string") throw new TypeError(parsed);
  return parsed;
}
