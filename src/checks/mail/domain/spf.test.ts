import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSpf } from "./spf-parse.ts";
import { spfExists, spfPolicy } from "./spf.ts";
import { runCheck, txt, type Zone } from "./test-support.ts";

const spf = (domain: string, record: string, extra: string[] = []): Zone => ({ [`${domain}|TXT`]: { answer: [["TXT", txt(record)], ...extra.map((text): [string, string] => ["TXT", txt(text)])] } });

describe("SPF syntax", () => {
  it("reads mechanisms, qualifiers and modifiers", () => {
    const parsed = parseSpf("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.org/24//64 include:_spf.example.net ~all exp=explain.example.org");
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.terms.map((term) => (term.kind === "mechanism" ? `${term.qualifier}${term.name}:${term.target ?? ""}` : `${term.name}=${term.value}`)), ["+ip4:192.0.2.0", "+ip6:2001:db8::", "+a:", "+mx:mail.example.org", "+include:_spf.example.net", "~all:", "exp=explain.example.org"]);
  });
  it("names each syntax error with the term", () => {
    const parsed = parseSpf("v=spf1 ip4:192.0.2.300 ip6:2001:db8::/129 include: foo:bar a/33 redirect=a.example redirect=b.example -all");
    assert.ok(parsed.errors.some((error) => error.includes("192.0.2.300")));
    assert.ok(parsed.errors.some((error) => error.includes("/129")));
    assert.ok(parsed.errors.some((error) => error.includes("include:")));
    assert.ok(parsed.errors.some((error) => error.includes("foo:bar")));
    assert.ok(parsed.errors.some((error) => error.includes("a/33")));
    assert.ok(parsed.errors.some((error) => error.includes("redirect")));
  });
});

describe("mail.spf.exists", () => {
  it("passes with one record, fails with none or two, errors on SERVFAIL", async () => {
    assert.equal((await runCheck(spfExists, spf("example.org", "v=spf1 -all", ["google-site-verification=x"]))).status, "passed");
    assert.equal((await runCheck(spfExists, { "example.org|TXT": { answer: [["TXT", txt("v=spf10 -all")]] } })).status, "failed");
    const two = await runCheck(spfExists, spf("example.org", "v=spf1 -all", ["v=spf1 ~all"]));
    assert.equal(two.status, "failed");
    assert.match(two.summary, /2 SPF records/);
    assert.equal((await runCheck(spfExists, { "example.org|TXT": { rcode: "SERVFAIL" } })).status, "error");
  });
});

describe("mail.spf.policy", () => {
  it("passes -all and ~all, fails +all, ?all and no all", async () => {
    assert.equal((await runCheck(spfPolicy, spf("example.org", "v=spf1 ip4:192.0.2.1 -all"))).status, "passed");
    assert.equal((await runCheck(spfPolicy, spf("example.org", "v=spf1 ip4:192.0.2.1 ~all"))).status, "passed");
    for (const record of ["v=spf1 +all", "v=spf1 ip4:192.0.2.1 ?all", "v=spf1 ip4:192.0.2.1"]) {
      const outcome = await runCheck(spfPolicy, spf("example.org", record));
      assert.equal(outcome.status, "failed", record);
    }
  });
  it("follows redirect= to the all that ends the policy", async () => {
    const zone = { ...spf("example.org", "v=spf1 redirect=_spf.example.net"), ...spf("_spf.example.net", "v=spf1 ip4:192.0.2.0/24 ?all") };
    const outcome = await runCheck(spfPolicy, zone);
    assert.equal(outcome.status, "failed");
    assert.match(outcome.summary, /through redirect to _spf\.example\.net/);
    const good = await runCheck(spfPolicy, { ...zone, ...spf("_spf.example.net", "v=spf1 ip4:192.0.2.0/24 -all") });
    assert.equal(good.status, "passed");
    assert.equal(good.evidence.lookups, 1);
  });
  it("counts lookups through includes and fails past 10", async () => {
    const zone: Zone = { ...spf("example.org", `v=spf1 ${Array.from({ length: 6 }, (_, index) => `include:i${index}.example.net`).join(" ")} -all`) };
    for (let index = 0; index < 6; index++) zone[`i${index}.example.net|TXT`] = { answer: [["TXT", txt("v=spf1 ip4:192.0.2.1 ~all")]] };
    const six = await runCheck(spfPolicy, zone);
    assert.equal(six.status, "passed", six.summary);
    assert.equal(six.evidence.lookups, 6);
    // Each include now holds another, and one more: 6 + 5 = 11 lookups.
    for (let index = 0; index < 5; index++) {
      zone[`i${index}.example.net|TXT`] = { answer: [["TXT", txt(`v=spf1 include:j${index}.example.net ~all`)]] };
      zone[`j${index}.example.net|TXT`] = { answer: [["TXT", txt("v=spf1 ip4:192.0.2.2 -all")]] };
    }
    const eleven = await runCheck(spfPolicy, zone);
    assert.equal(eleven.status, "failed");
    assert.match(eleven.summary, /more than 10 DNS-querying terms/);
  });
  it("fails past two void lookups, and on an include without a record", async () => {
    const voids = await runCheck(spfPolicy, spf("example.org", "v=spf1 a:gone1.example.org a:gone2.example.org exists:gone3.example.org -all"), { nxdomain: (name) => name.startsWith("gone") });
    assert.equal(voids.status, "failed");
    assert.match(voids.summary, /more than 2 lookups return no answer/);
    const missing = await runCheck(spfPolicy, spf("example.org", "v=spf1 include:nothing.example.net -all"));
    assert.equal(missing.status, "failed");
    assert.match(missing.summary, /nothing\.example\.net, which has no SPF record/);
  });
  it("fails, without crashing, on a term naming a domain the resolver refuses", async () => {
    const long = `${Array.from({ length: 5 }, () => "a".repeat(60)).join(".")}.example`;
    const outcome = await runCheck(spfPolicy, spf("example.org", `v=spf1 include:${long} -all`));
    assert.equal(outcome.status, "failed");
    assert.match(outcome.summary, /not a valid domain name \(name too long/);
  });
  it("quotes a record with a syntax error", async () => {
    const outcome = await runCheck(spfPolicy, spf("example.org", "v=spf1 ip4:300.1.1.1 -all"));
    assert.equal(outcome.status, "failed");
    assert.match(outcome.summary, /syntax error.*"v=spf1 ip4:300\.1\.1\.1 -all"/);
  });
  it("stops at all: later terms and redirect are not counted", async () => {
    const outcome = await runCheck(spfPolicy, spf("example.org", "v=spf1 -all include:x.example.net redirect=y.example.net"));
    assert.equal(outcome.status, "passed");
    assert.equal(outcome.evidence.lookups, 0);
  });
  it("reads a record split over several strings", async () => {
    const long = `v=spf1 ${Array.from({ length: 30 }, (_, index) => `ip4:192.0.2.${index}`).join(" ")} -all`;
    const outcome = await runCheck(spfPolicy, spf("example.org", long));
    assert.equal(outcome.status, "passed", outcome.summary);
  });
});
