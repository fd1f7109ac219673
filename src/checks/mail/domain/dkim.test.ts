import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { dkimExists, judgeDkimKey } from "./dkim.ts";
import { runCheck, txt, type Zone } from "./test-support.ts";

function rsaKey(bits: number): string {
  return generateKeyPairSync("rsa", { modulusLength: bits }).publicKey.export({ type: "spki", format: "der" }).toString("base64");
}

function ed25519Key(): string {
  const spki = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "der" });
  return spki.subarray(spki.length - 32).toString("base64");
}

describe("DKIM key records", () => {
  it("judges key type and size", () => {
    assert.equal(judgeDkimKey("s", "n", `v=DKIM1; k=rsa; p=${rsaKey(2048)}`).status, "good");
    const weak = judgeDkimKey("s", "n", `v=DKIM1; p=${rsaKey(1024)}`);
    assert.equal(weak.status, "weak");
    assert.equal(weak.bits, 1024);
    assert.equal(judgeDkimKey("s", "n", `v=DKIM1; k=ed25519; p=${ed25519Key()}`).status, "good");
    assert.equal(judgeDkimKey("s", "n", "v=DKIM1; p=").status, "revoked");
    assert.equal(judgeDkimKey("s", "n", "v=DKIM1; k=dsa; p=AAAA").status, "invalid");
    assert.equal(judgeDkimKey("s", "n", "v=DKIM1; p=bm90IGEga2V5").status, "invalid");
  });
});

describe("mail.dkim.exists", () => {
  it("passes when _domainkey exists (NOERROR), fails on NXDOMAIN with the RFC 8020 caveat", async () => {
    const exists = await runCheck(dkimExists, {});
    assert.equal(exists.status, "passed");
    assert.match(exists.summary, /likely/);
    const missing = await runCheck(dkimExists, {}, { nxdomain: (name) => name === "_domainkey.example.org" });
    assert.equal(missing.status, "failed");
    assert.match(missing.summary, /NXDOMAIN.*RFC 8020/);
  });
  it("is not tested for a domain that sends no mail", async () => {
    const zone: Zone = {
      "example.org|MX": { answer: [["MX", "0 ."]] },
      "example.org|TXT": { answer: [["TXT", txt("v=spf1 -all")]] },
      "_dmarc.example.org|TXT": { answer: [["TXT", txt("v=DMARC1; p=reject")]] },
    };
    const outcome = await runCheck(dkimExists, zone, { nxdomain: (name) => name === "_domainkey.example.org" });
    assert.equal(outcome.status, "not_tested");
    assert.match(outcome.summary, /sends no mail/);
    // With p=quarantine the domain may still send: tested.
    const sends = await runCheck(dkimExists, { ...zone, "_dmarc.example.org|TXT": { answer: [["TXT", txt("v=DMARC1; p=quarantine")]] } }, { nxdomain: (name) => name === "_domainkey.example.org" });
    assert.equal(sends.status, "failed");
  });
  it("judges the given selectors", async () => {
    const zone: Zone = {
      "good._domainkey.example.org|TXT": { answer: [["TXT", txt(`v=DKIM1; k=rsa; p=${rsaKey(2048)}`)]] },
      "old._domainkey.example.org|TXT": { answer: [["TXT", txt(`v=DKIM1; k=rsa; p=${rsaKey(1024)}`)]] },
      "gone._domainkey.example.org|TXT": { answer: [["TXT", txt("v=DKIM1; p=")]] },
    };
    assert.equal((await runCheck(dkimExists, zone, { settings: { dkimSelectors: ["good"] } })).status, "passed");
    assert.equal((await runCheck(dkimExists, zone, { settings: { dkimSelectors: ["good", "old"] } })).status, "warning");
    const revoked = await runCheck(dkimExists, zone, { settings: { dkimSelectors: ["good", "gone"] } });
    assert.equal(revoked.status, "failed");
    assert.match(revoked.summary, /gone: p= is empty/);
    const absent = await runCheck(dkimExists, zone, { settings: { dkimSelectors: ["nosuch"] }, nxdomain: (name) => name.startsWith("nosuch.") });
    assert.equal(absent.status, "failed");
    assert.match(absent.summary, /NXDOMAIN/);
  });
});
