/**
 * Who is asking: the address a login is counted against. That is the TCP
 * peer, unless the peer is a reverse proxy named with `baseline serve
 * --trust-proxy`; then it is the client that proxy saw, read from
 * X-Forwarded-For. Any client can write X-Forwarded-For, so it is believed
 * only as far as the hops that added to it are trusted: the list is read
 * from the right (the hop nearest to us), trusted proxies are skipped, and
 * the first address that is not a trusted proxy is the client.
 * (RFC 7239 section 5.2 describes the same walk for the Forwarded header.)
 *
 * Behind a proxy that is not named, every client has the proxy's address,
 * and one guesser's failures hold back everyone's logins. So the first
 * request that carries X-Forwarded-For from a loopback or private peer,
 * with no proxy trusted, logs a warning (once per server) naming the option.
 *
 * @example
 *   const proxies = new TrustedProxies(["10.0.0.0/8", "::1"]);
 *   clientAddress("10.0.0.5", "203.0.113.9, 10.0.0.7", proxies); // "203.0.113.9"
 *   clientAddress("198.51.100.4", "203.0.113.9", proxies);        // "198.51.100.4": not sent by a trusted proxy
 */
import { BlockList, isIP } from "node:net";

/** IPv4 clients of a dual-stack socket appear as ::ffff:a.b.c.d; they are the IPv4 address. */
function normalise(address: string): string {
  const plain = address.trim().replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  return mapped?.[1] ?? plain;
}

/** Loopback, private (RFC 1918, RFC 4193), link-local and shared (RFC 6598) ranges: where a reverse proxy on the same host or network connects from. */
const LOCAL = new BlockList();
for (const [address, bits] of [["127.0.0.0", 8], ["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["100.64.0.0", 10], ["169.254.0.0", 16]] as const) LOCAL.addSubnet(address, bits, "ipv4");
for (const [address, bits] of [["::1", 128], ["fc00::", 7], ["fe80::", 10]] as const) LOCAL.addSubnet(address, bits, "ipv6");

function isLocal(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LOCAL.check(address, family === 6 ? "ipv6" : "ipv4");
}

/** The addresses and ranges of `--trust-proxy`. */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly size: number;
  readonly #warn: (message: string) => void;
  #warned = false;

  /**
   * `entries`: addresses ("10.0.0.1", "::1") and CIDR ranges ("10.0.0.0/8", "fd00::/8"); a bad one throws, naming it.
   * `warn`: where the one warning about an unnamed proxy goes (standard error).
   */
  constructor(entries: readonly string[] = [], warn: (message: string) => void = (message) => console.error(message)) {
    this.#warn = warn;
    for (const entry of entries) {
      const [address = "", prefix, extra] = entry.trim().split("/");
      const family = isIP(address);
      const bits = prefix === undefined ? undefined : Number(prefix);
      const maxBits = family === 6 ? 128 : 32;
      if (family === 0 || extra !== undefined || (bits !== undefined && !(Number.isInteger(bits) && bits >= 0 && bits <= maxBits && /^\d+$/.test(prefix ?? "")))) {
        throw new Error(`"${entry}" is not an IP address or a CIDR range (such as 10.0.0.1 or 10.0.0.0/8)`);
      }
      const type = family === 6 ? "ipv6" : "ipv4";
      if (bits === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, bits, type);
    }
    this.size = entries.length;
  }

  /** Once per server: X-Forwarded-For came from `peer`, a local address, and no proxy is trusted (see the module comment). */
  noticeForwarded(peer: string): void {
    if (this.#warned || this.size > 0 || !isLocal(peer)) return;
    this.#warned = true;
    this.#warn(
      `baseline: warning: a request from ${peer} carries X-Forwarded-For, but no proxy is trusted: every client behind that proxy counts as ${peer}, and one person's failed logins hold back everyone's; name the proxy with --trust-proxy ${peer}`,
    );
  }

  has(address: string): boolean {
    const plain = normalise(address);
    const family = isIP(plain);
    if (family === 0) return false;
    return this.#list.check(plain, family === 6 ? "ipv6" : "ipv4");
  }
}

/**
 * The client's address: `peer` (the socket's remote address), or what the
 * trusted proxies in front of us say in `forwardedFor`. "unknown" when there
 * is no peer (a request handled in-process, as tests do).
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, proxies: TrustedProxies): string {
  if (peer === undefined || peer === "") return "unknown";
  let client = normalise(peer);
  if (forwardedFor) proxies.noticeForwarded(client);
  if (!forwardedFor || !proxies.has(client)) return client;
  const hops = forwardedFor.split(",").map(normalise).reverse();
  for (const hop of hops) {
    // Past something that is not an address the header cannot be read any further: the last good hop is the client.
    if (isIP(hop) === 0) break;
    client = hop;
    if (!proxies.has(hop)) break;
  }
  return client;
}

/**
 * The throttling key of an address: an IPv6 host is given a whole /64 and
 * can pick any address in it, so the /64 is what identifies it.
 */
export function throttleAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  // Expand "::" to the eight groups, then keep the first four.
  const [head = "", tail] = address.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  if (right.some((group) => group.includes("."))) return address; // an IPv4 tail (::1.2.3.4): rare, kept whole
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return `${groups.slice(0, 4).map((group) => group.toLowerCase().replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/**
 * The network an address belongs to, for fairness in the hashing queue
 * (work-queue.ts): an IPv4 /24, an IPv6 /48 (what one site is given).
 * Coarser than the throttle's key, so that a flood rotating addresses
 * within one network is one group.
 */
export function addressGroup(address: string): string {
  const family = isIP(address);
  if (family === 4) return `${address.split(".").slice(0, 3).join(".")}.0/24`;
  if (family !== 6) return address;
  const slash64 = throttleAddress(address);
  return slash64.endsWith("::/64") ? `${slash64.split(":").slice(0, 3).join(":")}::/48` : address;
}

/**
 * The host the browser asked for, to compare with a login's Origin: the
 * Host header, or, when the peer is a trusted proxy, the first
 * X-Forwarded-Host (the name the client used; the proxy may have rewritten
 * Host). Anyone else's X-Forwarded-Host is ignored.
 */
export function requestedHost(peer: string | undefined, host: string | undefined, forwardedHost: string | undefined, proxies: TrustedProxies): string | undefined {
  const forwarded = forwardedHost?.split(",")[0]?.trim();
  return peer !== undefined && forwarded && proxies.has(peer) ? forwarded : host;
}
