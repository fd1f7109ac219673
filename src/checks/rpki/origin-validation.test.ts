import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { describe, it } from "node:test";
import type { RoutingData } from "../routing-data.ts";
import { validateAddress, routingTables } from "./origin-validation.ts";
import { formatPrefix, parseAddress, parsePrefix } from "./prefix.ts";

function data(vrps: RoutingData["vrps"], origins: RoutingData["origins"]): RoutingData {
  return { vrps, origins, sources: { vrps: "test", origins: "test" } };
}

describe("prefixes", () => {
  it("parses and formats IPv4 and IPv6 prefixes canonically", () => {
    assert.equal(formatPrefix(parsePrefix("192.0.2.0/24") as never), "192.0.2.0/24");
    assert.equal(formatPrefix(parsePrefix("2001:DB8:0:0::/32") as never), "2001:db8::/32");
    assert.equal(formatPrefix(parsePrefix("::/0") as never), "::/0");
    assert.equal(formatPrefix(parsePrefix("0.0.0.0/0") as never), "0.0.0.0/0");
    assert.equal(formatPrefix(parsePrefix("255.255.255.255/32") as never), "255.255.255.255/32");
    assert.equal(formatPrefix(parsePrefix("2001:db8:0:1:0:0:0:0/64") as never), "2001:db8:0:1::/64");
  });

  it("refuses host bits, bad lengths and non-addresses with a reason", () => {
    assert.match(parsePrefix("192.0.2.1/24") as string, /bits set after \/24/);
    assert.match(parsePrefix("192.0.2.0/33") as string, /prefix length "33"/);
    assert.match(parsePrefix("2001:db8::/129") as string, /0-128/);
    assert.match(parsePrefix("example.org/24") as string, /not an IP address/);
    assert.match(parsePrefix("192.0.2.0") as string, /ADDRESS\/LENGTH/);
    assert.match(parsePrefix("192.0.2.0/1e1") as string, /prefix length "1e1"/);
    assert.match(parsePrefix("128.0.0.0/0") as string, /bits set after \/0/);
  });

  it("expands embedded IPv4 and :: in IPv6 addresses", () => {
    const mapped = parseAddress("::ffff:192.0.2.1");
    assert.ok(mapped?.family === 6);
    assert.equal(mapped.bits.slice(80, 96), "1".repeat(16));
    assert.equal(mapped.bits.slice(96), (0xc0000201).toString(2));
    assert.deepEqual(parseAddress("192.0.2.1"), { family: 4, value: 0xc0000201 });
    assert.equal(parseAddress("fe80::1%eth0"), null);
    assert.equal(parseAddress("01.2.3.4"), null);
    assert.equal(parseAddress("1.2.3.256"), null);
    assert.equal(parseAddress("1.2.3"), null);
  });
});

describe("route origin validation (RFC 6811)", () => {
  const routing = data(
    [
      { prefix: "192.0.2.0/24", maxLength: 24, asn: 64496 },
      { prefix: "198.51.100.0/22", maxLength: 24, asn: 64497 },
      { prefix: "2001:db8::/32", maxLength: 48, asn: 64498 },
      { prefix: "203.0.113.0/24", maxLength: 24, asn: 0 },
    ],
    [
      { prefix: "192.0.2.0/24", asn: 64496 },
      { prefix: "198.51.100.0/22", asn: 64497 },
      { prefix: "198.51.100.0/25", asn: 64497 },
      { prefix: "2001:db8:1::/48", asn: 64499 },
      { prefix: "2001:db8::/32", asn: 64498 },
      { prefix: "203.0.113.0/24", asn: 64500 },
      { prefix: "100.64.0.0/10", asn: 64501 },
      { prefix: "10.0.0.0/8", asn: 64502 },
      { prefix: "10.0.0.0/8", asn: 64496 },
    ],
  );

  it("is valid when a covering VRP has the origin AS and a long enough maxLength", () => {
    const result = validateAddress(routing, "192.0.2.10");
    assert.equal(result.state, "valid");
    assert.deepEqual(result.routes.map((route) => [route.prefix, route.asn, route.state]), [["192.0.2.0/24", 64496, "valid"]]);
  });

  it("uses the longest announced prefix: a /25 beyond maxLength 24 is invalid", () => {
    assert.equal(validateAddress(routing, "198.51.100.5").state, "invalid");
    assert.equal(validateAddress(routing, "198.51.100.200").routes[0]?.prefix, "198.51.100.0/22");
    assert.equal(validateAddress(routing, "198.51.100.200").state, "valid");
  });

  it("is invalid when the covering VRP names another AS (IPv6)", () => {
    const result = validateAddress(routing, "2001:db8:1::80");
    assert.equal(result.state, "invalid");
    const [route] = result.routes;
    assert.ok(route);
    assert.equal(route.asn, 64499);
    assert.deepEqual(route.vrps.map((vrp) => vrp.asn), [64498]);
    assert.equal(validateAddress(routing, "2001:db8:2::1").state, "valid");
  });

  it("never matches a VRP for AS 0", () => {
    assert.equal(validateAddress(routing, "203.0.113.7").state, "invalid");
  });

  it("is not-found without a covering VRP, and not-announced without a route", () => {
    assert.equal(validateAddress(routing, "100.64.1.1").state, "not-found");
    assert.equal(validateAddress(routing, "192.0.3.1").state, "not-announced");
    assert.deepEqual(validateAddress(routing, "2001:db9::1").routes, []);
  });

  it("validates every origin of a prefix announced by two ASes", () => {
    const result = validateAddress(routing, "10.1.2.3");
    assert.deepEqual(result.routes.map((route) => route.asn).sort(), [64496, 64502]);
    assert.equal(result.state, "not-found");
  });

  it("looks up 10,000 addresses among 500,000 VRPs well under a second", () => {
    // Deterministic pseudo-random data shaped like a real table: mostly /24 IPv4 and /32-/48 IPv6.
    let seed = 12345;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const vrps: RoutingData["vrps"] = [];
    const origins: RoutingData["origins"] = [];
    for (let index = 0; index < 500_000; index++) {
      const value = next();
      if (index % 5 === 4) {
        const length = 32 + (value % 17);
        const prefix = formatPrefix({ family: 6, bits: `001${value.toString(2).padStart(32, "0")}${next().toString(2).padStart(32, "0")}`.slice(0, length), length });
        vrps.push({ prefix, maxLength: 48, asn: value % 65000 });
        if (index % 2 === 0) origins.push({ prefix, asn: value % 65000 });
      } else {
        const length = 16 + (value % 9);
        const prefix = formatPrefix({ family: 4, value: value - (value % 2 ** (32 - length)), length });
        vrps.push({ prefix, maxLength: 24, asn: value % 65000 });
        if (index % 2 === 0) origins.push({ prefix, asn: (value + (index % 7 === 0 ? 1 : 0)) % 65000 });
      }
    }
    const big = data(vrps, origins);
    const buildStart = performance.now();
    routingTables(big);
    const buildMs = performance.now() - buildStart;
    const addresses: string[] = [];
    for (let index = 0; index < 10_000; index++) {
      const value = next();
      addresses.push(index % 2 === 0 ? [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".") : `2${(value & 0xfff).toString(16)}:${(value >>> 16).toString(16)}::1`);
    }
    const start = performance.now();
    const counts = { valid: 0, invalid: 0, "not-found": 0, "not-announced": 0 };
    for (const address of addresses) counts[validateAddress(big, address).state]++;
    const lookupMs = performance.now() - start;
    console.log(`# 500,000 VRPs + ${origins.length} routes: tables built in ${buildMs.toFixed(0)} ms; 10,000 lookups in ${lookupMs.toFixed(1)} ms; ${JSON.stringify(counts)}`);
    assert.ok(counts.valid > 0 && counts.invalid > 0, "the data exercises valid and invalid routes");
    assert.ok(lookupMs < 1000, `10,000 lookups took ${lookupMs} ms`);
  });
});
