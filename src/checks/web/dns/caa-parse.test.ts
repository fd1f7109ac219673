import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkIodef, parseCaaRecord, parseIssueValue } from "./caa-parse.ts";

describe("CAA presentation form", () => {
  it("reads flags, tag and the quoted value with escapes", () => {
    assert.deepEqual(parseCaaRecord('0 issue "letsencrypt.org"'), { flags: 0, critical: false, tag: "issue", value: "letsencrypt.org" });
    assert.deepEqual(parseCaaRecord('128 tbs "a\\"b\\\\c\\059d"'), { flags: 128, critical: true, tag: "tbs", value: 'a"b\\c;d' });
    assert.deepEqual(parseCaaRecord('0 issue ""'), { flags: 0, critical: false, tag: "issue", value: "" });
  });

  it("reads RFC 3597 generic data", () => {
    const rdata = Buffer.concat([Buffer.from([128, 5]), Buffer.from("issueca.example")]);
    assert.deepEqual(parseCaaRecord(`\\# ${rdata.length} ${rdata.toString("hex")}`), { flags: 128, critical: true, tag: "issue", value: "ca.example" });
  });

  it("gives a reason for records it cannot read", () => {
    assert.match(parseCaaRecord("0 issue") as string, /FLAGS TAG VALUE/);
    assert.match(parseCaaRecord('300 issue "x"') as string, /flags 300/);
    assert.match(parseCaaRecord('0 is-sue "x"') as string, /tag "is-sue"/);
    assert.match(parseCaaRecord('0 issue "unterminated') as string, /character-string/);
  });
});

describe("RFC 8659 issue values", () => {
  it("reads the issuer domain and parameters", () => {
    assert.deepEqual(parseIssueValue("ca.example.net"), { issuer: "ca.example.net", parameters: [] });
    assert.deepEqual(parseIssueValue(" CA.Example.net ; account=230123 ;policy=ev"), {
      issuer: "ca.example.net",
      parameters: [{ tag: "account", value: "230123" }, { tag: "policy", value: "ev" }],
    });
    assert.deepEqual(parseIssueValue(";"), { issuer: null, parameters: [] });
    assert.deepEqual(parseIssueValue(""), { issuer: null, parameters: [] });
    assert.deepEqual(parseIssueValue("ca.example; validationmethods=dns-01"), { issuer: "ca.example", parameters: [{ tag: "validationmethods", value: "dns-01" }] });
  });

  it("refuses what the grammar does not allow", () => {
    assert.match(parseIssueValue("ca_example.net") as string, /not a domain name/);
    assert.match(parseIssueValue("-ca.example") as string, /not a domain name/);
    assert.match(parseIssueValue("ca.example; account") as string, /not tag=value/);
    assert.match(parseIssueValue("ca.example; a=b;") as string, /parameter "" is not tag=value/);
    assert.match(parseIssueValue("ca.example; a=b c") as string, /not tag=value/);
  });

  it("accepts iodef mailto:, http: and https: URLs only", () => {
    assert.equal(checkIodef("mailto:security@example.org"), null);
    assert.equal(checkIodef("https://iodef.example.org/report"), null);
    assert.match(checkIodef("ftp://example.org/") ?? "", /scheme ftp:/);
    assert.match(checkIodef("security@example.org") ?? "", /not a URL/);
  });
});
