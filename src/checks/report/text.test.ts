import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scoreReport } from "../run.ts";
import { renderText, wrap } from "./text.ts";
import { sampleReport, testResult } from "./test-reports.ts";

const ESC = String.fromCharCode(27);
/** Columns of a line: code points (the report holds no wide characters). */
const columns = (line: string): number => Array.from(line).length;

describe("text report", () => {
  const report = sampleReport();
  const text = renderText(report, { version: "9.9.9" });
  const lines = text.trimEnd().split("\n");

  it("fits 80 columns, long summaries, fixes and unbroken words included", () => {
    const long = lines.filter((line) => columns(line) > 80);
    assert.deepEqual(long, []);
    // The 300-character evidence key is not shown; a 120-character word in a summary is cut to fit.
    const wordy = scoreReport({ ...report, tests: [testResult("web.hsts", "web.https", "failed", { summary: `header ${"x".repeat(120)} end` })] });
    assert.deepEqual(renderText(wordy).split("\n").filter((line) => columns(line) > 80), []);
  });

  it("shows the domain, overall score, categories with score and status, and each test with mark, title and summary", () => {
    assert.match(lines[0] ?? "", /^example\.org \(web suite\): score 50\/100$/);
    assert.match(text, /Baseline 9\.9\.9/);
    assert.match(text, /^HTTPS and TLS \(web\.https\): 50\/100, failed$/m);
    assert.match(text, /^IPv6 \(web\.ipv6\): 100\/100, passed$/m);
    assert.match(text, /^ {2}FAIL {2}HTTP Strict Transport Security \(web\.hsts\)$/m);
    assert.match(text, /^ {2}PASS {2}HTTPS available \(web\.https\.available\)$/m);
    assert.match(text, /^ {2}WARN {2}Content-Security-Policy \(web\.headers\.csp\) \[recommended, not scored\]$/m);
    assert.match(text, /^ {8}HSTS max-age is 300 s; at least 31536000 s is required/m);
  });

  it("tells how to fix failures and warnings and where the catalog explains the standard, not for passed tests", () => {
    const hsts = text.slice(text.indexOf("FAIL  HTTP Strict"), text.indexOf("PASS  HTTPS available"));
    assert.match(hsts, /Fix: Send Strict-Transport-Security/);
    assert.match(hsts, /More: baseline standards show hsts/);
    const passed = text.slice(text.indexOf("PASS  HTTPS available"), text.indexOf("INFO  OCSP"));
    assert.doesNotMatch(passed, /Fix:|More:/);
  });

  it("explains the points a category lost", () => {
    assert.match(text, /^ {2}Points lost: web\.hsts -50 \(failed\)$/m);
    assert.match(text, /^ {2}Points lost: web\.dnssec\.valid -100 \(could not be tested\)$/m);
  });

  it("strips control characters from what servers said, and colours only when asked", () => {
    assert.ok(!text.includes(ESC));
    assert.match(text, /\?\[31mred\?\[0m/);
    const coloured = renderText(report, { colour: true });
    assert.ok(coloured.includes(`${ESC}[31mFAIL${ESC}[0m`));
    assert.ok(coloured.includes(`${ESC}[32mPASS${ESC}[0m`));
    // The server's own escape sequence is still neutralised.
    assert.ok(!coloured.includes(`${ESC}[31mred`));
  });

  it("says when a suite has no checks", () => {
    const empty = scoreReport({ ...report, suite: "mail", tests: [] });
    assert.match(renderText(empty), /no score/);
    assert.match(renderText(empty), /The mail suite has no checks yet\./);
  });
});

describe("wrap", () => {
  it("breaks at spaces with a hanging indent", () => {
    assert.deepEqual(wrap("aaa bbb ccc ddd", 9, "", "  "), ["aaa bbb", "  ccc ddd"]);
  });
  it("cuts a word longer than a line", () => {
    assert.deepEqual(wrap("abcdefghij", 4, "", ""), ["abcd", "efgh", "ij"]);
  });
});
