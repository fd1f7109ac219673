import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { certificateParts } from "./certificate-der.ts";
import { opensslMissing, TestPki, type Issued } from "./certificate-testpki.ts";
import { associationData, matchTlsa, parseTlsa, TlsaParseError, unusableReason, type DaneContext, type TlsaRecord } from "./dane.ts";

describe("TLSA presentation form", () => {
  it("reads the resolver's form and RFC 3597's generic form", () => {
    const record = parseTlsa("3 1 1 0A1B2C3D0A1B2C3D0A1B2C3D0A1B2C3D0A1B2C3D0A1B2C3D0A1B2C3D0A1B2C3D");
    assert.deepEqual([record.usage, record.selector, record.matchingType, record.data.length], [3, 1, 1, 32]);
    const split = parseTlsa("2 0 1 0a1b2c3d0a1b2c3d 0a1b2c3d0a1b2c3d0a1b2c3d0a1b2c3d0a1b2c3d0a1b2c3d");
    assert.equal(split.data.length, 32);
    const generic = parseTlsa("\\# 5 030101abcd");
    assert.deepEqual([generic.usage, generic.selector, generic.matchingType, generic.data.toString("hex")], [3, 1, 1, "abcd"]);
  });

  it("refuses garbage", () => {
    assert.throws(() => parseTlsa("3 1 1 xyz"), TlsaParseError);
    assert.throws(() => parseTlsa("3 1 1 abc"), TlsaParseError);
    assert.throws(() => parseTlsa("3 1"), TlsaParseError);
    assert.throws(() => parseTlsa("\\# 9 030101"), TlsaParseError);
    assert.throws(() => parseTlsa("300 1 1 ab"), TlsaParseError);
  });

  it("marks unknown parameters and digests of the wrong length unusable", () => {
    const record = (usage: number, selector: number, matchingType: number, bytes: number): TlsaRecord => ({ usage, selector, matchingType, data: Buffer.alloc(bytes, 1) });
    assert.equal(unusableReason(record(3, 1, 1, 32)), null);
    assert.match(unusableReason(record(4, 1, 1, 32)) ?? "", /usage 4/);
    assert.match(unusableReason(record(3, 2, 1, 32)) ?? "", /selector 2/);
    assert.match(unusableReason(record(3, 1, 3, 32)) ?? "", /matching type 3/);
    assert.match(unusableReason(record(3, 1, 1, 31)) ?? "", /32 expected/);
    assert.match(unusableReason(record(3, 1, 2, 32)) ?? "", /64 expected/);
  });
});

describe("TLSA matching against a presented chain", { skip: opensslMissing() }, () => {
  let pki: TestPki;
  let root: Issued;
  let intermediate: Issued;
  let leaf: Issued;
  let other: Issued;

  before(() => {
    pki = new TestPki();
    root = pki.issue("DANE Root", { ca: true });
    intermediate = pki.issue("DANE Intermediate", { ca: true, issuer: root });
    leaf = pki.issue("www.example.test", { issuer: intermediate, dns: ["www.example.test"], freshKey: true });
    other = pki.issue("other.example.test", { issuer: intermediate, dns: ["other.example.test"], freshKey: true });
  });
  after(() => pki.cleanup());

  const tlsa = (usage: number, selector: number, matchingType: number, cert: Issued): TlsaRecord => ({ usage, selector, matchingType, data: associationData(cert.der, selector, matchingType) });
  const context = (overrides: Partial<DaneContext> = {}): DaneContext => ({
    chain: [leaf.der, intermediate.der],
    pkixTrusted: true,
    pkixPath: [leaf.der, intermediate.der, root.der],
    hostnameMatches: true,
    ...overrides,
  });

  it("selector 1 is the certificate's SubjectPublicKeyInfo as encoded", () => {
    const spki = certificateParts(leaf.der).spki;
    assert.equal(associationData(leaf.der, 1, 1).toString("hex"), createHash("sha256").update(spki).digest("hex"));
    // The usual recipe for a "3 1 1" record: openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256.
    const pem = execFileSync("openssl", ["x509", "-in", leaf.certPath, "-noout", "-pubkey"]);
    const der = execFileSync("openssl", ["pkey", "-pubin", "-outform", "DER"], { input: pem });
    assert.equal(associationData(leaf.der, 1, 1).toString("hex"), createHash("sha256").update(der).digest("hex"));
    assert.equal(associationData(leaf.der, 0, 0).length, leaf.der.length);
    assert.equal(associationData(leaf.der, 1, 2).length, 64);
  });

  it("DANE-EE matches the leaf by key or certificate, exact or hashed, without PKIX or a name", () => {
    for (const [selector, matchingType] of [[1, 1], [0, 1], [1, 2], [0, 0], [1, 0]] as const) {
      const verdict = matchTlsa([tlsa(3, selector, matchingType, leaf)], context({ pkixTrusted: false, hostnameMatches: false }));
      assert.equal(verdict.valid, true, `3 ${selector} ${matchingType}`);
      assert.equal(verdict.records[0]?.matchedDepth, 0);
    }
  });

  it("DANE-EE of another key does not match; one good record among bad ones suffices", () => {
    const miss = matchTlsa([tlsa(3, 1, 1, other)], context());
    assert.equal(miss.valid, false);
    assert.match(miss.reason, /does not match the leaf/);
    const mixed = matchTlsa([tlsa(3, 1, 1, other), { usage: 9, selector: 1, matchingType: 1, data: Buffer.alloc(32) }, tlsa(3, 1, 1, leaf)], context());
    assert.equal(mixed.valid, true);
    assert.equal(mixed.usableRecords, 2);
    assert.deepEqual(mixed.records.map((record) => record.matched), [false, false, true]);
  });

  it("DANE-EE on the intermediate's key does not authenticate the leaf", () => {
    assert.equal(matchTlsa([tlsa(3, 1, 1, intermediate)], context()).valid, false);
  });

  it("DANE-TA matches a presented CA, needs a verifying chain below it and the host name", () => {
    const verdict = matchTlsa([tlsa(2, 0, 1, intermediate)], context({ pkixTrusted: false }));
    assert.equal(verdict.valid, true);
    assert.equal(verdict.records[0]?.matchedDepth, 1);
    assert.equal(matchTlsa([tlsa(2, 1, 1, intermediate)], context({ pkixTrusted: false })).valid, true);
    assert.equal(matchTlsa([tlsa(2, 0, 1, intermediate)], context({ hostnameMatches: false })).valid, false);
    // The root was not presented: DANE-TA matches presented certificates only.
    assert.equal(matchTlsa([tlsa(2, 0, 1, root)], context()).valid, false);
    // A chain whose leaf the matched CA did not sign.
    const stranger = pki.issue("stranger.example.test", { ca: true });
    const forged = matchTlsa([tlsa(2, 0, 1, stranger)], context({ chain: [leaf.der, stranger.der] }));
    assert.equal(forged.valid, false);
    assert.match(forged.reason, /does not verify/);
  });

  it("PKIX-EE and PKIX-TA also need PKIX validation", () => {
    assert.equal(matchTlsa([tlsa(1, 1, 1, leaf)], context()).valid, true);
    assert.equal(matchTlsa([tlsa(1, 1, 1, leaf)], context({ pkixTrusted: false })).valid, false);
    // PKIX-TA may name the root from the store, which the server did not send.
    assert.equal(matchTlsa([tlsa(0, 0, 1, root)], context()).valid, true);
    assert.equal(matchTlsa([tlsa(0, 0, 1, root)], context({ pkixTrusted: false })).valid, false);
    // PKIX-TA names a CA, never the leaf.
    assert.equal(matchTlsa([tlsa(0, 0, 1, leaf)], context()).valid, false);
  });

  it("no records, and only unusable ones, are not valid", () => {
    assert.equal(matchTlsa([], context()).valid, false);
    const unusable = matchTlsa([{ usage: 3, selector: 1, matchingType: 1, data: Buffer.alloc(20) }], context());
    assert.equal(unusable.valid, false);
    assert.match(unusable.reason, /no usable TLSA record/);
  });
});
