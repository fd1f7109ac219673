// Reading domain lists: plain lines and CSV, each bad line reported with its
// number, value and reason while the good ones are kept; duplicates after
// normalisation; line numbers past quoted line breaks; whole-input refusals
// (limit named, not UTF-8, unknown column, broken quote); institutions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { domainsForInstitution, ImportRefusedError, MAX_REPORTED_PROBLEMS, readDomainList } from "./domain-import.ts";

describe("readDomainList: one domain per line", () => {
  it("keeps the good lines, normalised, and reports each bad one with line, value and reason", () => {
    const read = readDomainList("# ministries\nExample.NL.\n\n  bücher.example  \nhttps://www.example.org/\n192.0.2.1\nlocalhost\nexample.nl\n");
    assert.equal(read.format, "lines");
    assert.deepEqual(read.entries.map((entry) => [entry.line, entry.domain]), [[2, "example.nl"], [4, "xn--bcher-kva.example"]]);
    assert.deepEqual(read.problems, [
      { line: 5, value: "https://www.example.org/", reason: '"https://www.example.org/" is not a domain name (give the host only, e.g. example.org)' },
      { line: 6, value: "192.0.2.1", reason: '"192.0.2.1" is an IP address; give a domain name' },
      { line: 7, value: "localhost", reason: '"localhost" is not a fully qualified domain name' },
      { line: 8, value: "example.nl", reason: "example.nl is already on line 2; the first is kept" },
    ]);
    assert.equal(read.problemCount, 4);
  });

  it("says how to keep organisations when a line has separators but there is no header", () => {
    const read = readDomainList("a.example,Ministry A\nb.example\r\nc.example\rd.example");
    assert.deepEqual(read.entries.map((entry) => [entry.line, entry.domain]), [[2, "b.example"], [3, "c.example"], [4, "d.example"]]);
    const [first] = read.problems;
    assert.ok(first);
    assert.equal(first.line, 1);
    assert.match(first.reason, /needs the header domain,organisation,sector,region on its first line/);
  });

  it("refuses a list over the limit, naming the limit, and one over the byte limit", () => {
    const list = Array.from({ length: 6 }, (_, index) => `d${index}.example`).join("\n");
    assert.throws(() => readDomainList(list, { limit: 5 }), { name: "ImportRefusedError", message: "the list has 6 domains; the limit is 5 domains per portfolio" });
    assert.equal(readDomainList(list, { limit: 6 }).entries.length, 6);
    assert.throws(() => readDomainList(list, { maxBytes: 10 }), /the list is \d+ bytes; the limit is 10 bytes/);
    assert.throws(() => readDomainList(new Uint8Array([0x61, 0xff, 0x0a])), /not UTF-8 text/);
  });

  it("counts problems past those it keeps", () => {
    const read = readDomainList(Array.from({ length: MAX_REPORTED_PROBLEMS + 20 }, () => "not a domain").join("\n"));
    assert.equal(read.problems.length, MAX_REPORTED_PROBLEMS);
    assert.equal(read.problemCount, MAX_REPORTED_PROBLEMS + 20);
    assert.equal(read.entries.length, 0);
  });
});

describe("readDomainList: CSV", () => {
  it("reads the columns in any order, with semicolons, and keeps good rows around bad ones", () => {
    const csv = "\uFEFFRegion;Domain;Organization\r\n155;a.example;Ministry A\r\n155;not a domain;Ministry B\r\n;b.example;\r\n;;Nobody\r\n";
    const read = readDomainList(new TextEncoder().encode(csv));
    assert.equal(read.format, "csv");
    assert.deepEqual(read.entries, [
      { line: 2, domain: "a.example", organisation: "Ministry A", sector: null, region: "155", institutionId: null },
      { line: 4, domain: "b.example", organisation: null, sector: null, region: null, institutionId: null },
    ]);
    assert.deepEqual(
      read.problems.map((problem) => [problem.line, problem.value]),
      [
        [3, "not a domain"],
        [5, ";;Nobody"],
      ],
    );
    assert.equal(read.problems[1]?.reason, "has no domain");
  });

  it("counts lines past quoted line breaks and blank lines, and unguards cells", () => {
    const csv = 'domain,organisation,sector\n\na.example,"Ministry\nof Many Lines",health\nb .example,x,y\nc.example,"\'=cmd",z\n';
    const read = readDomainList(csv);
    assert.deepEqual(read.entries.map((entry) => [entry.line, entry.domain, entry.organisation]), [[3, "a.example", "Ministry\nof Many Lines"], [6, "c.example", "=cmd"]]);
    assert.deepEqual(read.problems.map((problem) => problem.line), [5]);
  });

  it("reports a row with too many cells and a cell too long", () => {
    const read = readDomainList(`domain,sector\na.example,x,extra\nb.example,${"s".repeat(201)}\nc.example,ok\n`);
    assert.deepEqual(read.entries.map((entry) => entry.domain), ["c.example"]);
    assert.deepEqual(read.problems.map((problem) => problem.reason), ["has 3 cells; the header has 2", "sector is longer than 200 characters"]);
  });

  it("refuses an unknown column and a broken quote, naming them", () => {
    assert.throws(() => readDomainList("domain,owner\na.example,x\n"), { message: 'line 1: unknown column "owner"; the columns are domain, organisation, sector, region' });
    assert.throws(() => readDomainList('domain,organisation\na.example,"unclosed\n'), (error: unknown) => error instanceof ImportRefusedError && /^the CSV cannot be read: /.test(error.message));
  });
});

describe("domainsForInstitution", () => {
  it("gives typed domains the institution's name, sector and region", () => {
    const read = domainsForInstitution({ id: "inst-1", name: "Ministry of Health", sector: "health", region: "155" }, "health.example, www.health.example\nnot_a domain!");
    assert.deepEqual(read.entries.map((entry) => [entry.domain, entry.organisation, entry.sector, entry.region, entry.institutionId]), [
      ["health.example", "Ministry of Health", "health", "155", "inst-1"],
      ["www.health.example", "Ministry of Health", "health", "155", "inst-1"],
    ]);
    assert.equal(read.problems.length, 2, "'not_a' and 'domain!' are two bad names");
    assert.equal(read.problems[0]?.line, 2);
  });
});
