// The testssl.sh-to-verdict mapping (lab/net/testssl-verdicts.ts) on answers
// testssl 3.0.8 gave for web lab hosts (recorded in
// lab/net/testssl-recorded/, sections -p -P -S -R -C -f; good.json also -E).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { acceptedCiphers, parseTestsslJson, rateCipher, verdictsFromTestssl } from "../../lab/net/testssl-verdicts.ts";

function recorded(name: string): ReturnType<typeof parseTestsslJson> {
  return parseTestsslJson(readFileSync(new URL(`../../lab/net/testssl-recorded/${name}.json`, import.meta.url), "utf8"));
}

describe("testssl verdicts", () => {
  it("rates cipher suites as the NCSC-NL guidelines do", () => {
    assert.equal(rateCipher("TLS_AES_256_GCM_SHA384"), "good");
    assert.equal(rateCipher("TLS_AES_128_GCM_SHA256"), "sufficient");
    assert.equal(rateCipher("ECDHE-ECDSA-CHACHA20-POLY1305"), "good");
    assert.equal(rateCipher("ECDHE-RSA-AES128-GCM-SHA256"), "sufficient");
    assert.equal(rateCipher("ECDHE-ECDSA-AES256-SHA384"), "phase-out");
    assert.equal(rateCipher("DHE-RSA-AES256-GCM-SHA384"), "phase-out");
    assert.equal(rateCipher("ECDHE-ECDSA-AES128-SHA"), "insufficient");
    assert.equal(rateCipher("AES128-GCM-SHA256"), "insufficient");
    assert.equal(rateCipher("DES-CBC3-SHA"), "insufficient");
    assert.equal(rateCipher("TLS_AES_128_CCM_8_SHA256"), "insufficient");
  });

  it("a good nginx: every verdict passed", () => {
    const findings = recorded("good");
    assert.deepEqual(acceptedCiphers(findings).sort(), [
      "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
      "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    ]);
    assert.deepEqual(verdictsFromTestssl(findings), {
      "web.tls.versions": "passed", "web.tls.ciphers": "passed", "web.tls.cipher-order": "passed", "web.tls.key-exchange": "passed",
      "web.tls.compression": "passed", "web.tls.secure-renegotiation": "passed", "web.tls.client-renegotiation": "passed", "web.tls.ems": "passed",
    });
  });

  it("TLS 1.0 only: versions failed; a failed renegotiation probe gives no verdict", () => {
    const verdicts = verdictsFromTestssl(recorded("tls10"));
    assert.equal(verdicts["web.tls.versions"], "failed");
    assert.equal(verdicts["web.tls.secure-renegotiation"], undefined);
    assert.equal(verdicts["web.tls.ems"], undefined, "no TLS 1.2, so EMS does not apply");
  });

  it("ffdhe2048: key exchange failed", () => {
    assert.equal(verdictsFromTestssl(recorded("ffdhe2048"))["web.tls.key-exchange"], "failed");
  });

  it("the client's order with phase-out suites: cipher order failed", () => {
    assert.equal(verdictsFromTestssl(recorded("client-order"))["web.tls.cipher-order"], "failed");
  });

  it("client-initiated renegotiation allowed: a warning (a DoS risk, not scored)", () => {
    assert.equal(verdictsFromTestssl(recorded("client-reneg"))["web.tls.client-renegotiation"], "warning");
  });

  it("no extended master secret in TLS 1.2: failed", () => {
    const verdicts = verdictsFromTestssl(recorded("no-ems"));
    assert.equal(verdicts["web.tls.ems"], "failed");
    assert.equal(verdicts["web.tls.versions"], "passed");
  });

  it("refuses a document that is not testssl's flat JSON", () => {
    assert.throws(() => parseTestsslJson('{"scanResult": []}'), /expected an array/);
    assert.deepEqual(parseTestsslJson('[{"id": "x"}, 3, {"id": "TLS1", "finding": "offered"}]'), [{ id: "TLS1", severity: "", finding: "offered" }]);
  });
});
