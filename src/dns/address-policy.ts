/**
 * Which server addresses the resolver may send queries to. Loopback,
 * private, link-local and other special-purpose ranges are refused unless
 * explicitly allowed, so that a hostile delegation cannot turn Baseline
 * into a scanner of the network it runs in (RFC 6890 special-purpose
 * registries).
 */
import { BlockList, isIP } from "node:net";

// One list per family: Node's BlockList also matches an IPv4 address against
// IPv6 rules through its IPv4-mapped form, so ::ffff:0:0/96 in a shared list
// would make every IPv4 address special.
const specialV4 = new BlockList();
const specialV6 = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["198.51.100.0", 24],
  ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) specialV4.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  ["::", 127], ["::ffff:0:0", 96], ["64:ff9b:1::", 48], ["100::", 64], ["2001:db8::", 32], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8],
] as const) specialV6.addSubnet(network, prefix, "ipv6");

export class AddressRefusedError extends Error {
  override name = "AddressRefusedError";
}

/** Throws when `address` is special-purpose and private targets are not allowed. */
export function checkTarget(address: string, allowPrivate: boolean): void {
  const family = isIP(address);
  if (family === 0) throw new AddressRefusedError(`"${address}" is not an IP address`);
  if (allowPrivate) return;
  if (inSpecialRange(address, family)) {
    throw new AddressRefusedError(`refusing to query ${address}: loopback, private or special-purpose address (use --allow-private for a lab)`);
  }
}

export function isSpecialPurpose(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && inSpecialRange(address, family);
}

function inSpecialRange(address: string, family: number): boolean {
  return family === 4 ? specialV4.check(address, "ipv4") : specialV6.check(address, "ipv6");
}
