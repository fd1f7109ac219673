// Which address a login counts against (finding 1): X-Forwarded-For only
// from proxies named with --trust-proxy, read from the nearest hop.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientAddress, throttleAddress, TrustedProxies } from "./client-address.ts";

describe("client address", () => {
  it("is the peer when no proxy is trusted, whatever X-Forwarded-For says (finding 1)", () => {
    const none = new TrustedProxies();
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
});
