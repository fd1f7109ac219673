import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dmarcExists, dmarcPolicy, organisationalDomain } from "./dmarc.ts";
import { parseDmarc } from "./dmarc-parse.ts";
import { runCheck, txt, type Zone } from "./test-support.ts";

const dmarc = (name: string, ...records: string[]): Zone => ({ [`${name}|TXT`]: { answer: records.map((record): [string, string] => ["TXT", txt(record)]) } });

describe("DMARC parsing and the organisational domain", () => {
  it("reads the tags and never throws on garbage", () => {
    const parsed = parseDmarc("v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:a@example.org,mailto:b@example.net!10m");
    assert.equal(parsed.p, "reject");
    assert.equal(parsed.sp, "quarantine");
    assert.equal(parsed.pct, 50);
    assert.deepEqual(parsed.rua, ["mailto:a@example.org", "mailto:b@example.net!10m"]);
    assert.deepEqual(parsed.errors, []);
    for (const garbage of ["v=DMARC1; p=block", "v=DMARC1;;;=;p", "v=DMARC1; p=none; p=reject", "\u0000;;=="]) assert.ok(parseDmarc(garbage).errors.length > 0, garbage);
  });
  it("finds the registrable domain with the Public Suffix List", () => {
    assert.equal(organisationalDomain("mail.example.co.uk"), "example.co.uk");
    assert.equal(organisationalDomain("a.b.example.org"), "example.org");
    assert.equal(organisationalDomain("example.org"), "example.org");
  });
});

describe("mail.dmarc.exists", () => {
  it("passes with the domain's record, fails without, fails with two", async () => {
    assert.equal((await runCheck(dmarcExists, dmarc("_dmarc.example.org", "v=DMARC1; p=reject"))).status, "passed");
    const none = await runCheck(dmarcExists, {});
    assert.equal(none.status, "failed");
    assert.match(none.summary, /_dmarc\.example\.org/);
    assert.equal((await runCheck(dmarcExists, dmarc("_dmarc.example.org", "v=DMARC1; p=reject", "v=DMARC1; p=none"))).status, "failed");
    assert.equal((await runCheck(dmarcExists, { "_dmarc.example.org|TXT": { rcode: "SERVFAIL" } })).status, "error");
  });
  it("falls back to the organisational domain's record for a subdomain", async () => {
    const outcome = await runCheck(dmarcExists, dmarc("_dmarc.example.co.uk", "v=DMARC1; p=reject"), { domain: "mail.example.co.uk" });
    assert.equal(outcome.status, "passed");
    assert.match(outcome.summary, /organisational domain/);
  });
});

describe("mail.dmarc.policy", () => {
  it("passes quarantine and reject, fails none", async () => {
    assert.equal((await runCheck(dmarcPolicy, dmarc("_dmarc.example.org", "v=DMARC1; p=reject"))).status, "passed");
    assert.equal((await runCheck(dmarcPolicy, dmarc("_dmarc.example.org", "v=DMARC1; p=quarantine"))).status, "passed");
    const none = await runCheck(dmarcPolicy, dmarc("_dmarc.example.org", "v=DMARC1; p=none; rua=mailto:d@example.org"));
    assert.equal(none.status, "failed");
    assert.match(none.summary, /p=none/);
  });
  it("applies sp= of the organisational domain's record to a subdomain", async () => {
    const outcome = await runCheck(dmarcPolicy, dmarc("_dmarc.example.org", "v=DMARC1; p=reject; sp=none"), { domain: "shop.example.org" });
    assert.equal(outcome.status, "failed");
    assert.match(outcome.summary, /sp=none/);
  });
  it("quotes a malformed record", async () => {
    const outcome = await runCheck(dmarcPolicy, dmarc("_dmarc.example.org", "v=DMARC1; p=block"));
    assert.equal(outcome.status, "failed");
    assert.match(outcome.summary, /malformed.*"v=DMARC1; p=block"/);
  });
  it("warns when an external report destination does not authorise the domain", async () => {
    const record = "v=DMARC1; p=reject; rua=mailto:reports@dmarc.example.net,mailto:me@example.org";
    const unauthorised = await runCheck(dmarcPolicy, dmarc("_dmarc.example.org", record));
    assert.equal(unauthorised.status, "warning");
    assert.match(unauthorised.summary, /example\.org\._report\._dmarc\.dmarc\.example\.net/);
    const authorised = await runCheck(dmarcPolicy, { ...dmarc("_dmarc.example.org", record), ...dmarc("example.org._report._dmarc.dmarc.example.net", "v=DMARC1") });
    assert.equal(authorised.status, "passed", authorised.summary);
  });
  it("warns on pct below 100", async () => {
    assert.equal((await runCheck(dmarcPolicy, dmarc("_dmarc.example.org", "v=DMARC1; p=reject; pct=20"))).status, "warning");
  });
});
