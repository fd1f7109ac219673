/**
 * Which key exchange groups a server accepts, in few handshakes: offer a list,
 * see which group the server picks, remove it, offer the rest, until it refuses.
 *
 * - TLS 1.3: the group is in the ServerHello's key_share, or in the
 *   HelloRetryRequest when no share was sent for it (only X25519 gets one).
 * - TLS 1.2 and older, ECDHE: the named curve is in the ServerKeyExchange.
 * - TLS 1.2 and older, DHE: the prime is in the ServerKeyExchange and is named
 *   when it is an RFC 7919 group; the server may ignore the offered FFDHE list
 *   (most do, RFC 7919 is rarely implemented), so a last hello offers none to
 *   see the server's own group.
 * - X25519MLKEM768: one TLS 1.3 hello with a share for it (1216 bytes) and one
 *   for X25519; the server's key_share says which it took.
 */
import { LEGACY_SUITES, suiteByCode, TLS13_SUITES } from "./cipher-suites.ts";
import { GROUP, TLS13 } from "./client-hello.ts";
import { bitLength, ffdheGroupOfPrime, FFDHE_GROUPS, groupName, LEGACY_CURVES, modpGroupOfPrime, TLS13_GROUPS } from "./named-groups.ts";
import { offer, type OfferResult, type ProbeOptions } from "./probe.ts";

/** A TLS 1.2-or-older DHE group: named when it is an RFC 7919 prime, else custom with its size. */
export interface DheGroup {
  /** The RFC 7919 group code, or null for a custom prime. */
  group: number | null;
  name: string;
  bits: number;
}

export interface GroupEnumeration {
  /** Group codes in the order the server chose them. */
  groups: number[];
  handshakes: number;
  /** Set when a probe failed, so the list may be incomplete. */
  error: string | null;
}

/** (EC)DHE suites with certificate authentication: their ServerKeyExchange is signed (features.ts reads the signature). */
export const ECDHE_SUITES: readonly number[] = LEGACY_SUITES.filter((suite) => suite.keyExchange === "ECDHE" && suite.authentication !== "PSK").map((s) => s.code);
export const DHE_SUITES: readonly number[] = LEGACY_SUITES.filter((suite) => suite.keyExchange === "DHE" && suite.authentication !== "PSK").map((s) => s.code);
/**
 * What a hello offers to make the server show its groups: the signed suites and the
 * anonymous ones, whose ephemeral parameters count as much (OpenSSL picks a smaller
 * DH group for a weaker anonymous suite, e.g. 1024 bits for ADH-AES128-SHA).
 */
const ECDH_OFFER: readonly number[] = [...ECDHE_SUITES, ...LEGACY_SUITES.filter((s) => s.anonymous && s.keyExchange === "ECDH").map((s) => s.code)];
const DH_OFFER: readonly number[] = [...DHE_SUITES, ...LEGACY_SUITES.filter((s) => s.anonymous && s.keyExchange === "DH").map((s) => s.code)];
const TLS13_SUITE_CODES = TLS13_SUITES.map((suite) => suite.code);

function failure(result: OfferResult): string | null {
  return "error" in result ? result.error : null;
}

/** Offers `candidates` until refused, each time removing the group the server took (read by `chosen`). */
async function enumerate(candidates: readonly number[], attempt: (remaining: number[]) => Promise<OfferResult>, chosen: (result: OfferResult) => number | string | null): Promise<GroupEnumeration> {
  const remaining = [...candidates];
  const groups: number[] = [];
  let handshakes = 0;
  while (remaining.length > 0) {
    handshakes++;
    const result = await attempt(remaining);
    const error = failure(result);
    if (error !== null) return { groups, handshakes, error };
    if (!("accepted" in result)) break;
    const group = chosen(result);
    if (typeof group === "string") return { groups, handshakes, error: group };
    if (group === null || !remaining.includes(group)) {
      return { groups, handshakes, error: `the server chose ${group === null ? "no group" : groupName(group)}, which was not offered` };
    }
    groups.push(group);
    remaining.splice(remaining.indexOf(group), 1);
  }
  return { groups, handshakes, error: null };
}

/** TLS 1.3 groups (finite-field ones included), the server's choice first. */
export function tls13Groups(host: string, port: number, options: ProbeOptions = {}): Promise<GroupEnumeration> {
  return enumerate(
    TLS13_GROUPS,
    (remaining) =>
      offer(host, port, { ...options, version: TLS13, suites: TLS13_SUITE_CODES, groups: remaining, keyShares: remaining.includes(GROUP.x25519) ? [GROUP.x25519] : [] }),
    (result) => ("accepted" in result && result.accepted.version === TLS13 ? result.accepted.hello.keyShareGroup : "the server answered an older version to a TLS 1.3 hello"),
  );
}

/**
 * Elliptic curves of ECDHE at a TLS 1.2-or-older version, read from the ServerKeyExchange.
 *
 * Before TLS 1.3 the supported_groups list also limits the curve of an ECDSA
 * certificate (RFC 8422 §5.1), so once the certificate's curve was found and
 * removed, such a server refuses every later hello. So after a refusal the found
 * curves are offered again behind the remaining ones: a server that picks by the
 * client's order then takes a remaining curve if it has one; one that picks by its
 * own order may take a found curve again, which ends the enumeration: the list may
 * then miss curves such a server ranks below its certificate's (TLS 1.3, where the
 * certificate does not bind the groups, gives the complete list for such servers).
 */
export async function legacyCurves(host: string, port: number, version: number, options: ProbeOptions = {}): Promise<GroupEnumeration> {
  const remaining = [...LEGACY_CURVES];
  const groups: number[] = [];
  let handshakes = 0;
  let padded = false;
  while (remaining.length > 0) {
    handshakes++;
    const result = await offer(host, port, { ...options, version, suites: ECDH_OFFER, groups: padded ? [...remaining, ...groups] : remaining, readKeyExchange: true });
    if ("error" in result) return { groups, handshakes, error: result.error };
    if (!("accepted" in result)) {
      if (padded || groups.length === 0) break;
      padded = true;
      continue;
    }
    const kx = result.accepted.keyExchange;
    if (kx?.kind === "ecdhe-explicit") return { groups, handshakes, error: `the server sent explicit curve parameters (curve type ${kx.curveType}) instead of a named curve` };
    if (kx?.kind !== "ecdhe") return { groups, handshakes, error: `no curve in the ServerKeyExchange (${kx?.kind === "unread" ? kx.reason : (kx?.kind ?? "none read")})` };
    // A found curve again: none of the remaining ones is taken (or, for a server ranking the certificate's curve high, see above).
    if (groups.includes(kx.group)) break;
    if (!remaining.includes(kx.group)) return { groups, handshakes, error: `the server chose ${groupName(kx.group)}, which was not offered` };
    groups.push(kx.group);
    remaining.splice(remaining.indexOf(kx.group), 1);
  }
  return { groups, handshakes, error: null };
}

export interface DheEnumeration {
  groups: DheGroup[];
  handshakes: number;
  error: string | null;
}

/**
 * Suites to offer, in turn and with no FFDHE group listed, to see the server's own
 * DH groups: all of them, then those with 256-bit ciphers, then the rest, because a
 * server may size its group by the suite's strength (OpenSSL's automatic parameters
 * do: 1024 bits for an anonymous AES-128 suite, 3072 for AES-256).
 */
const OWN_GROUP_OFFERS: readonly (readonly number[])[] = [
  DH_OFFER,
  DH_OFFER.filter((code) => /256/.test(suiteByCode(code)?.encryption ?? "")),
  DH_OFFER.filter((code) => !/256/.test(suiteByCode(code)?.encryption ?? "")),
];

/** The DHE groups of a TLS 1.2-or-older server: those it takes from the RFC 7919 list, then its own. */
export async function dheGroups(host: string, port: number, version: number, options: ProbeOptions = {}): Promise<DheEnumeration> {
  const found: DheGroup[] = [];
  let handshakes = 0;
  /** Offers `suites` with `groups`; answers the FFDHE group taken, "refused", "other" (a group not from the list), or an error. */
  const attempt = async (suites: readonly number[], groups: readonly number[]): Promise<{ group: number | null } | "refused" | { error: string }> => {
    handshakes++;
    const result = await offer(host, port, { ...options, version, suites, groups, readKeyExchange: true });
    if ("error" in result) return { error: result.error };
    if (!("accepted" in result)) return "refused";
    const kx = result.accepted.keyExchange;
    if (kx?.kind !== "dhe") return { error: `no DH parameters in the ServerKeyExchange (${kx?.kind === "unread" ? kx.reason : (kx?.kind ?? "none read")})` };
    const group = ffdheGroupOfPrime(kx.prime);
    const bits = bitLength(kx.prime);
    const modp = group === null ? modpGroupOfPrime(kx.prime) : null;
    const entry: DheGroup = { group, name: group === null ? `custom ${bits}-bit${modp ? ` (${modp})` : ""}` : groupName(group), bits };
    if (!found.some((other) => other.name === entry.name)) found.push(entry);
    return { group };
  };

  // RFC 7919 negotiation: remove each group the server takes from the list, until it takes none of them.
  const remaining = [...FFDHE_GROUPS];
  while (remaining.length > 0) {
    const answer = await attempt(DH_OFFER, remaining);
    if (answer === "refused") break;
    if ("error" in answer) return { groups: found, handshakes, error: answer.error };
    if (answer.group === null || !remaining.includes(answer.group)) break; // the server ignores the list
    remaining.splice(remaining.indexOf(answer.group), 1);
  }
  // The server's own groups, which a client without RFC 7919 gets.
  for (const suites of OWN_GROUP_OFFERS) {
    if (suites.length === 0) continue;
    const answer = await attempt(suites, []);
    if (answer !== "refused" && "error" in answer) return { groups: found, handshakes, error: answer.error };
  }
  return { groups: found, handshakes, error: null };
}

export interface HybridSupport {
  /** true: the server took X25519MLKEM768; false: it took another group; null: unknown (see error). */
  supported: boolean | null;
  /** The group the server chose instead, by name. */
  chosen: string | null;
  error: string | null;
}

/**
 * Whether the server takes X25519MLKEM768 in TLS 1.3. The hello carries a real-sized
 * share for it (see x25519Mlkem768Share) as well as one for X25519, so the server can
 * pick either without a HelloRetryRequest; a server preferring the hybrid group but
 * taking the X25519 share it was given would be missed by offering the group alone,
 * which is why the share is sent rather than left to a HelloRetryRequest.
 *
 * Some servers and middleboxes choke on a hello that large (the 1216-byte share makes
 * it about 1.7 KB). When that hello fails, a second one lists the group in
 * supported_groups with only an X25519 share: a HelloRetryRequest selecting
 * X25519MLKEM768 then also counts as support.
 */
export async function hybridKeyExchange(host: string, port: number, options: ProbeOptions = {}): Promise<HybridSupport> {
  const groups = [GROUP.x25519mlkem768, GROUP.x25519, GROUP.secp256r1, GROUP.secp384r1];
  const full = await offer(host, port, { ...options, version: TLS13, suites: TLS13_SUITE_CODES, groups, keyShares: [GROUP.x25519mlkem768, GROUP.x25519] });
  if ("accepted" in full) return answerOf(full.accepted.hello.keyShareGroup);
  const small = await offer(host, port, { ...options, version: TLS13, suites: TLS13_SUITE_CODES, groups, keyShares: [GROUP.x25519] });
  if ("accepted" in small) return answerOf(small.accepted.hello.keyShareGroup);
  if ("error" in small) return { supported: null, chosen: null, error: small.error };
  return "error" in full ? { supported: null, chosen: null, error: full.error } : { supported: false, chosen: null, error: null };
}

function answerOf(group: number | null): HybridSupport {
  return { supported: group === GROUP.x25519mlkem768, chosen: group === null ? null : groupName(group), error: null };
}
