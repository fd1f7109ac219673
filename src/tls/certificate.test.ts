import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { judgeChain, judgePublicKey, judgeSignature, judgeTrust } from "./certificate.ts";
import { certificateParts, DerError, readNode } from "./certificate-der.ts";
import { opensslMissing, TestPki, type Issued } from "./certificate-testpki.ts";

const skip = opensslMissing();

describe("certificate judging", { skip }, () => {
  let pki: TestPki;
  let root: Issued;
  let intermediate: Issued;
  let leaf: Issued;
  // A minute on: certificates made in this second are valid from its start.
  const now = Date.now() + 60_000;

  before(() => {
    pki = new TestPki();
    root = pki.issue("Lab Root", { ca: true });
    intermediate = pki.issue("Lab Intermediate", { ca: true, issuer: root });
    leaf = pki.issue("www.example.test", { issuer: intermediate, dns: ["www.example.test", "*.cdn.example.test"] });
  });
  after(() => pki.cleanup());

  it("trusts a chain that leads to an extra CA, through the presented intermediate", () => {
    const result = judgeChain([leaf.der, intermediate.der], { hostname: "www.example.test", extraCa: [root.certPem], now });
    assert.equal(result.trust.trusted, true, result.trust.reason ?? "");
    assert.deepEqual(result.trust.path, ["www.example.test", "Lab Intermediate", "Lab Root"]);
    assert.equal(result.trust.anchorSource, "extra");
    assert.equal(result.certificates[0]?.subjectAltNames[0], "DNS:www.example.test");
  });

  it("finds the path when the server sends the chain out of order with an unrelated extra", () => {
    const stray = pki.issue("Stray CA", { ca: true });
    const result = judgeTrust([leaf.der, stray.der, intermediate.der].map((der) => new X509Certificate(der)), { extraCa: [root.certPem], now });
    assert.equal(result.trusted, true, result.reason ?? "");
  });

  it("does not trust the chain without the lab root (Mozilla roots only)", () => {
    const result = judgeChain([leaf.der, intermediate.der], { hostname: "www.example.test", now });
    assert.equal(result.trust.trusted, false);
    assert.match(result.trust.reason ?? "", /Lab Root.*neither presented nor a trusted root/);
  });

  it("names a missing intermediate", () => {
    const result = judgeChain([leaf.der], { hostname: "www.example.test", extraCa: [root.certPem], now });
    assert.equal(result.trust.trusted, false);
    assert.match(result.trust.reason ?? "", /Lab Intermediate.*missing intermediate/);
  });

  it("fails an expired chain and one not yet valid, at the check's clock", () => {
    const later = now + 60 * 86_400_000;
    const expired = judgeChain([leaf.der, intermediate.der], { hostname: "www.example.test", extraCa: [root.certPem], now: later });
    assert.equal(expired.trust.trusted, false);
    assert.match(expired.trust.reason ?? "", /expired on/);
    const early = judgeChain([leaf.der, intermediate.der], { hostname: "www.example.test", extraCa: [root.certPem], now: now - 86_400_000 });
    assert.match(early.trust.reason ?? "", /not valid before/);
  });

  it("fails a signature that does not verify (same issuer name, other key)", () => {
    const impostor = pki.issue("Lab Intermediate", { ca: true, issuer: root });
    const result = judgeChain([leaf.der, impostor.der], { hostname: "www.example.test", extraCa: [root.certPem], now });
    assert.equal(result.trust.trusted, false);
    assert.match(result.trust.reason ?? "", /does not verify/);
  });

  it("fails a leaf issued by a non-CA certificate and a leaf without serverAuth", () => {
    const notCa = pki.issue("Not A CA", { issuer: root, dns: ["x.example.test"], freshKey: true });
    const below = pki.issue("below.example.test", { issuer: notCa, dns: ["below.example.test"] });
    assert.match(judgeChain([below.der, notCa.der], { hostname: "below.example.test", extraCa: [root.certPem], now }).trust.reason ?? "", /not a CA/);
    const client = pki.issue("client.example.test", { issuer: intermediate, dns: ["client.example.test"], eku: "clientAuth" });
    assert.match(judgeChain([client.der, intermediate.der], { hostname: "client.example.test", extraCa: [root.certPem], now }).trust.reason ?? "", /serverAuth/);
  });

  it("trusts a self-signed leaf only when it is itself an extra CA", () => {
    const self = pki.issue("self.example.test", { ca: true });
    assert.equal(judgeChain([self.der], { hostname: "self.example.test", now }).trust.trusted, false);
    assert.match(judgeChain([self.der], { hostname: "self.example.test", now }).trust.reason ?? "", /self-signed/);
    assert.equal(judgeChain([self.der], { hostname: "self.example.test", extraCa: [self.certPem], now }).trust.trusted, true);
  });

  it("matches host names against the subjectAltName, wildcards one label deep", () => {
    const chain = [leaf.der, intermediate.der];
    assert.equal(judgeChain(chain, { hostname: "www.example.test", now }).hostname.matches, true);
    assert.equal(judgeChain(chain, { hostname: "img.cdn.example.test", now }).hostname.matches, true);
    assert.equal(judgeChain(chain, { hostname: "a.b.cdn.example.test", now }).hostname.matches, false);
    const other = judgeChain(chain, { hostname: "example.test", now }).hostname;
    assert.equal(other.matches, false);
    assert.deepEqual(other.names, ["www.example.test", "*.cdn.example.test"]);
  });

  it("does not accept a name found only in the subject CN", () => {
    const cnOnly = pki.issue("cn.example.test", { issuer: intermediate });
    const verdict = judgeChain([cnOnly.der], { hostname: "cn.example.test", now }).hostname;
    assert.equal(verdict.matches, false);
    assert.equal(verdict.commonNameOnly, true);
  });

  it("rates public keys as NCSC-NL does", () => {
    const rate = (key: Parameters<TestPki["issue"]>[1]) => judgePublicKey(new X509Certificate(pki.issue("k.example.test", { issuer: intermediate, dns: ["k.example.test"], ...key }).certPem));
    assert.equal(rate({ key: "rsa:3072" }).rating, "good");
    assert.equal(rate({ key: "rsa:2048" }).rating, "phase-out");
    const weak = rate({ key: "rsa:1024" });
    assert.equal(weak.rating, "insufficient");
    assert.equal(weak.keyBits, 1024);
    assert.equal(rate({ key: "ec:P-256" }).rating, "good");
    assert.equal(rate({ key: "ec:P-384" }).curve, "secp384r1");
    assert.equal(rate({ key: "ec:secp256k1" }).rating, "insufficient");
    assert.equal(rate({ key: "ed25519" }).rating, "good");
  });

  it("rates signature hashes: SHA-2 good, SHA-1 insufficient; a self-signed root's signature is not judged", () => {
    const sha1 = pki.issue("sha1.example.test", { issuer: intermediate, dns: ["sha1.example.test"], digest: "sha1" });
    const verdict = judgeSignature(new X509Certificate(sha1.certPem));
    assert.equal(verdict.rating, "insufficient");
    assert.equal(verdict.hash, "sha1");
    assert.equal(judgeSignature(new X509Certificate(leaf.certPem)).rating, "good");
    const sha1Root = pki.issue("SHA1 Root", { ca: true, digest: "sha1" });
    const below = pki.issue("r.example.test", { issuer: sha1Root, dns: ["r.example.test"] });
    const result = judgeChain([below.der, sha1Root.der], { hostname: "r.example.test", now });
    assert.deepEqual(result.signatures.map((signature) => signature.rating), ["good"]);
  });

});

describe("DER reader", () => {
  it("refuses truncated and over-long elements instead of reading past the buffer", () => {
    assert.throws(() => readNode(Buffer.from([0x30, 0x05, 0x01])), DerError);
    assert.throws(() => readNode(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])), DerError);
    assert.throws(() => readNode(Buffer.from([0x30, 0x80, 0x00, 0x00])), DerError);
    assert.throws(() => certificateParts(Buffer.from([0x30, 0x00])), DerError);
  });
});
