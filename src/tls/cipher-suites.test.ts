import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { type CipherSuite, CIPHER_SUITES, LEGACY_SUITES, suiteByCode, suiteByName, suiteName, TLS13_SUITES } from "./cipher-suites.ts";

function must(code: number): CipherSuite {
  return suiteByCode(code) ?? assert.fail(`${suiteName(code)} missing`);
}

function openSslCiphers(): string | null {
  try {
    return execFileSync("openssl", ["ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"], { encoding: "utf8" });
  } catch {
    return null;
  }
}

describe("cipher suite registry", () => {
  it("holds each code point and each name once", () => {
    assert.equal(new Set(CIPHER_SUITES.map((suite) => suite.code)).size, CIPHER_SUITES.length);
    assert.equal(new Set(CIPHER_SUITES.map((suite) => suite.name)).size, CIPHER_SUITES.length);
    assert.ok(CIPHER_SUITES.length >= 200, `only ${CIPHER_SUITES.length} suites`);
  });

  it("has TLS 1.3's five suites, and only those as TLS 1.3 suites", () => {
    assert.deepEqual(
      TLS13_SUITES.map((suite) => suite.code),
      [0x1301, 0x1302, 0x1303, 0x1304, 0x1305],
    );
    assert.equal(LEGACY_SUITES.length + TLS13_SUITES.length, CIPHER_SUITES.length);
  });

  it("reads key exchange, authentication, cipher and MAC from the IANA name", () => {
    assert.deepEqual(
      (({ keyExchange, authentication, encryption, mac, prfHash }) => ({ keyExchange, authentication, encryption, mac, prfHash }))(
        suiteByCode(0xc02f) ?? assert.fail("0xC02F missing"),
      ),
      { keyExchange: "ECDHE", authentication: "RSA", encryption: "AES_128_GCM", mac: "AEAD", prfHash: "SHA256" },
    );
    const dss = must(0x0013);
    assert.equal(dss.keyExchange, "DHE");
    assert.equal(dss.authentication, "DSS");
    assert.equal(dss.mac, "SHA");
    const psk = must(0xc0aa);
    assert.equal(psk.keyExchange, "DHE");
    assert.equal(psk.authentication, "PSK");
    const srp = must(0xc01e);
    assert.equal(srp.keyExchange, "SRP");
    assert.equal(srp.authentication, "RSA");
  });

  it("flags the weak families", () => {
    const flagged = (predicate: (suite: (typeof CIPHER_SUITES)[number]) => boolean) =>
      new Set(CIPHER_SUITES.filter(predicate).map((suite) => suite.code));
    const exports = flagged((suite) => suite.export);
    for (const code of [0x0003, 0x0006, 0x0008, 0x0014, 0x0017, 0x0019, 0x0026, 0x002b]) assert.ok(exports.has(code), suiteName(code));
    assert.ok(!exports.has(0x0009), "single DES is weak but not export");
    const nulls = flagged((suite) => suite.null);
    for (const code of [0x0000, 0x0001, 0x0002, 0x003b, 0xc006, 0xc010, 0xc015]) assert.ok(nulls.has(code), suiteName(code));
    const anon = flagged((suite) => suite.anonymous);
    for (const code of [0x0018, 0x0034, 0x00a6, 0xc018]) assert.ok(anon.has(code), suiteName(code));
    assert.ok(!anon.has(0xc02f));
    const rc4 = flagged((suite) => suite.rc4);
    for (const code of [0x0004, 0x0005, 0xc011, 0xc007]) assert.ok(rc4.has(code), suiteName(code));
    const tripleDes = flagged((suite) => suite.tripleDes);
    for (const code of [0x000a, 0x0016, 0xc012, 0xc008]) assert.ok(tripleDes.has(code), suiteName(code));
    const cbc = flagged((suite) => suite.cbc);
    for (const code of [0x002f, 0xc013, 0xc027, 0x000a]) assert.ok(cbc.has(code), suiteName(code));
    assert.ok(!cbc.has(0xc02f) && !cbc.has(0xcca8) && !cbc.has(0x0005));
    assert.deepEqual(
      [...flagged((suite) => suite.ccm8)].sort((a, b) => a - b),
      [0x1305, 0xc0a0, 0xc0a1, 0xc0a2, 0xc0a3, 0xc0a8, 0xc0a9, 0xc0aa, 0xc0ab, 0xc0ae, 0xc0af],
    );
    const chacha = must(0xcca9);
    assert.equal(chacha.mac, "AEAD");
  });

  it("finds suites by IANA and OpenSSL name, and names unknown code points in hex", () => {
    assert.equal(suiteByName("ECDHE-ECDSA-AES128-GCM-SHA256")?.code, 0xc02b);
    assert.equal(suiteByName("TLS_RSA_WITH_3DES_EDE_CBC_SHA")?.openssl, "DES-CBC3-SHA");
    assert.equal(suiteName(0x0a0a), "0x0A0A");
  });

  it("agrees with the local OpenSSL on every suite it knows (code point and name)", (t) => {
    const listing = openSslCiphers();
    if (listing === null) {
      t.skip("openssl is not installed (scripts/system-deps.sh installs it)");
      return;
    }
    let compared = 0;
    for (const line of listing.trim().split("\n")) {
      const match = /0x([0-9A-F]{2}),0x([0-9A-F]{2})\s+-\s+(\S+)/.exec(line);
      if (!match?.[1] || !match[2] || !match[3]) continue;
      const code = Number.parseInt(match[1] + match[2], 16);
      const suite = suiteByCode(code);
      assert.ok(suite, `OpenSSL's ${match[3]} (0x${match[1]}${match[2]}) is missing from the table`);
      assert.equal(suite.openssl, match[3], `OpenSSL name of ${suite.name}`);
      compared++;
    }
    assert.ok(compared > 100, `compared only ${compared} suites`);
  });
});
