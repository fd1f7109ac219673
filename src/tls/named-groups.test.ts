import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { GROUP } from "./client-hello.ts";
import { hasOpenSsl } from "./fixtures/openssl-server.ts";
import { bitLength, ffdheGroupOfPrime, ffdhePrimeHex, FFDHE_GROUPS, groupName, modpGroupOfPrime } from "./named-groups.ts";
import { getDiffieHellman } from "node:crypto";

describe("named groups", () => {
  it("names groups by IANA code point", () => {
    assert.equal(groupName(GROUP.x25519), "x25519");
    assert.equal(groupName(GROUP.x25519mlkem768), "X25519MLKEM768");
    assert.equal(groupName(GROUP.brainpoolP256r1tls13), "brainpoolP256r1tls13");
    assert.equal(groupName(0x7777), "group_0x7777");
  });

  it("computes the RFC 7919 primes: all-ones ends, the published start of ffdhe2048, sizes", () => {
    const hex = ffdhePrimeHex(GROUP.ffdhe2048);
    assert.ok(hex);
    assert.ok(hex.startsWith("ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1"), hex.slice(0, 48));
    for (const group of FFDHE_GROUPS) {
      const prime = ffdhePrimeHex(group) ?? "";
      assert.ok(prime.endsWith("ffffffffffffffff"));
      assert.equal(bitLength(Buffer.from(prime, "hex")), [2048, 3072, 4096, 6144, 8192][FFDHE_GROUPS.indexOf(group)]);
      assert.equal(ffdheGroupOfPrime(Buffer.from(`00${prime}`, "hex")), group, "a leading zero byte does not matter");
    }
    const modp14 = Buffer.from(getDiffieHellman("modp14").getPrime());
    assert.equal(ffdheGroupOfPrime(modp14), null);
    assert.equal(modpGroupOfPrime(modp14), "RFC 3526 group 14");
  });

  it("matches OpenSSL's FFDHE primes", { skip: hasOpenSsl() ? false : "openssl is not installed" }, () => {
    for (const [group, bits] of [[GROUP.ffdhe2048, 2048], [GROUP.ffdhe3072, 3072], [GROUP.ffdhe8192, 8192]] as const) {
      const pem = execFileSync("openssl", ["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", `group:ffdhe${bits}`], { encoding: "utf8" });
      const parsed = execFileSync("openssl", ["asn1parse"], { input: pem, encoding: "utf8" });
      const prime = /INTEGER\s+:([0-9A-F]+)/.exec(parsed)?.[1];
      assert.ok(prime, parsed);
      assert.equal(ffdheGroupOfPrime(Buffer.from(prime, "hex")), group, `ffdhe${bits}`);
    }
  });
});
