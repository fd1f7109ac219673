import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkTarget, isSpecialPurpose } from "./address-policy.ts";

describe("address policy", () => {
  it("lets public addresses through, IPv4 and IPv6", () => {
    // 8.8.8.8 was once refused: a shared BlockList matched it against ::ffff:0:0/96.
    for (const address of ["8.8.8.8", "1.1.1.1", "193.0.14.129", "2001:500:2f::f", "2a00:1450:4001::1"]) {
      assert.equal(isSpecialPurpose(address), false, address);
      assert.doesNotThrow(() => checkTarget(address, false));
    }
  });

  it("refuses loopback, private, documentation, link-local, multicast and mapped addresses", () => {
    for (const address of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.1.1", "192.0.2.1", "224.0.0.1", "255.255.255.255", "0.0.0.0",
      "::1", "::", "fd00::1", "fe80::1", "ff02::1", "2001:db8::1", "::ffff:127.0.0.1", "::ffff:8.8.8.8"]) {
      assert.equal(isSpecialPurpose(address), true, address);
      assert.throws(() => checkTarget(address, false), /--allow-private/);
      assert.doesNotThrow(() => checkTarget(address, true));
    }
  });
});
