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

/** The addresses and ranges of `--trust-proxy`. */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly size: number;

  /** `entries`: addresses ("10.0.0.1", "::1") and CIDR ranges ("10.0.0.0/8", "fd00::/8"); a bad one throws, naming it. */
  constructor(entries: readonly string[] = []) {
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
