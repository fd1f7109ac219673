// Which address a login counts against (finding 1): X-Forwarded-For only
// from proxies named with --trust-proxy, read from the nearest hop.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addressGroup, clientAddress, requestedHost, throttleAddress, TrustedProxies } from "./client-address.ts";

describe("client address", () => {
  it("is the peer when no proxy is trusted, whatever X-Forwarded-For says (finding 1)", () => {
    const none = new TrustedProxies([], () => undefined);
    assert.equal(clientAddress("127.0.0.1", "203.0.113.1", none), "127.0.0.1");
    assert.equal(clientAddress("::ffff:192.0.2.7", undefined, none), "192.0.2.7", "an IPv4 client of a dual-stack socket");
    assert.equal(clientAddress(undefined, "203.0.113.1", none), "unknown");
  });

  it("is the nearest untrusted hop behind trusted proxies", () => {
    const proxies = new TrustedProxies(["10.0.0.0/8", "::1"]);
    assert.equal(clientAddress("10.0.0.5", "203.0.113.9", proxies), "203.0.113.9");
    assert.equal(clientAddress("10.0.0.5", "1.1.1.1, 203.0.113.9, 10.0.0.7", proxies), "203.0.113.9", "a client's own entries on the left are not believed");
    assert.equal(clientAddress("::1", "2001:db8::5", proxies), "2001:db8::5");
    assert.equal(clientAddress("198.51.100.4", "203.0.113.9", proxies), "198.51.100.4", "not sent by a trusted proxy");
    assert.equal(clientAddress("10.0.0.5", "junk, 203.0.113.9", proxies), "203.0.113.9");
    assert.equal(clientAddress("10.0.0.5", "10.0.0.6, 10.0.0.7", proxies), "10.0.0.6", "every hop trusted: the farthest");
    assert.equal(clientAddress("10.0.0.5", "not-an-address", proxies), "10.0.0.5", "an unreadable header: the proxy itself");
  });

  it("refuses a --trust-proxy entry that is not an address or a range, naming it", () => {
    for (const entry of ["proxy.local", "10.0.0.0/33", "10.0.0.0/8/8", "::1/129", "10.0.0.0/x"]) {
      assert.throws(() => new TrustedProxies([entry]), new RegExp(`"${entry.replaceAll(".", "\\.").replaceAll("/", "\\/")}" is not an IP address or a CIDR range`), entry);
    }
  });

  it("counts an IPv6 host by its /64", () => {
    assert.equal(throttleAddress("2001:db8:0:1:aaaa::1"), "2001:db8:0:1::/64");
    assert.equal(throttleAddress("2001:db8:0:1:bbbb:cccc:dddd:eeee"), "2001:db8:0:1::/64");
    assert.equal(throttleAddress("2001:db8::1"), "2001:db8:0:0::/64");
    assert.equal(throttleAddress("192.0.2.1"), "192.0.2.1");
  });

  it("groups addresses by network for the hashing queue's fairness: IPv4 /24, IPv6 /48 (review H3)", () => {
    assert.equal(addressGroup("192.0.2.77"), "192.0.2.0/24");
    assert.equal(addressGroup("2001:db8:5:1:aaaa::1"), "2001:db8:5::/48");
    assert.equal(addressGroup("2001:db8::1"), "2001:db8:0::/48");
    assert.equal(addressGroup("unknown"), "unknown");
  });

  it("review L10: warns once when X-Forwarded-For comes from a local peer and no proxy is trusted", () => {
    const warnings: string[] = [];
    const none = new TrustedProxies([], (message) => warnings.push(message));
    clientAddress("203.0.113.4", "198.51.100.1", none);
    clientAddress("127.0.0.1", undefined, none);
    assert.deepEqual(warnings, [], "a public peer (a client writing the header) or no header: nothing to say");
    clientAddress("::ffff:10.1.2.3", "198.51.100.1", none);
    clientAddress("127.0.0.1", "198.51.100.2", none);
    assert.equal(warnings.length, 1, "once per server");
    assert.match(warnings.join("\n"), /^baseline: warning: a request from 10\.1\.2\.3 carries X-Forwarded-For, but no proxy is trusted: .*--trust-proxy 10\.1\.2\.3$/);
    const trusted: string[] = [];
    clientAddress("10.1.2.3", "198.51.100.1", new TrustedProxies(["10.0.0.0/8"], (message) => trusted.push(message)));
    assert.deepEqual(trusted, [], "a proxy is trusted");
  });

  it("review L9: the host a login's Origin must match is X-Forwarded-Host only from a trusted proxy", () => {
    const proxies = new TrustedProxies(["10.0.0.0/8"]);
    assert.equal(requestedHost("10.0.0.5", "backend:8080", "observatory.example, proxy2", proxies), "observatory.example");
    assert.equal(requestedHost("198.51.100.4", "observatory.example", "attacker.example", proxies), "observatory.example", "not from a trusted proxy");
    assert.equal(requestedHost("10.0.0.5", "observatory.example", undefined, proxies), "observatory.example");
  });
});
