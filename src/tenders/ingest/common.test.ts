import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeControl, normalizeText } from "./common.ts";

describe("escapeControl", () => {
  it("review M4: escapes C0 and C1 controls, ESC sequences and bidi overrides, and doubles the backslash", () => {
    assert.equal(escapeControl("Hosting \u001b[2J\u001b]0;pwned\u0007 \u009b31m"), "Hosting \\x1b[2J\\x1b]0;pwned\\x07 \\x9b31m");
    assert.equal(escapeControl("invoice\u202Efdp.exe \u2066x\u2069 \u202A\u202B\u202C\u202D"), "invoice\\u202efdp.exe \\u2066x\\u2069 \\u202a\\u202b\\u202c\\u202d");
    // A name with a backslash and an "n" is not the same line as a name with a newline.
    assert.equal(escapeControl("a\\nb"), "a\\\\nb");
    assert.equal(escapeControl("a\nb"), "a\\nb");
    assert.notEqual(escapeControl("a\\nb"), escapeControl("a\nb"));
    assert.equal(escapeControl("Gemeente Zoë, § 3.2 – “DNSSEC”"), "Gemeente Zoë, § 3.2 – “DNSSEC”");
  });
});

describe("normalizeText", () => {
  it("review L7: drops default ignorable code points (variation selectors, CGJ) as well as format characters", () => {
    assert.equal(normalizeText("H\uFE00STS D\u034FANE IPv\uFF16 DNS\u00ADSEC DM\u200BARC \u3164x"), "HSTS DANE IPv6 DNSSEC DMARC x");
    assert.equal(normalizeText("D\u{E0100}ANE"), "DANE");
    // Cyrillic look-alikes stay Cyrillic, so "ЅРF" never reads as SPF.
    assert.equal(normalizeText("\u0405\u0420F"), "\u0405\u0420F");
    // Letters with combining marks are composed, not stripped.
    assert.equal(normalizeText("Zoe\u0308"), "Zoë");
  });
});
