import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { domainSection, renderHtmlReport } from "./html.ts";
import { sampleReport } from "./test-reports.ts";

const ESC = String.fromCharCode(27);

describe("HTML report", () => {
  const hostileDomain = sampleReport("example.org");
  // A domain name cannot hold markup, but titles and summaries may quote it from anywhere: escape all.
  const [firstTest] = hostileDomain.tests;
  if (firstTest) hostileDomain.tests[0] = { ...firstTest, title: `<b onmouseover=alert(2)>title</b>` };
  const document = renderHtmlReport([hostileDomain, sampleReport("second.example")], { version: "0.1.0", generatedAt: new Date("2026-12-07T05:00:00Z") });

  it("escapes everything that came from servers", () => {
    assert.doesNotMatch(document, /<script/i);
    assert.doesNotMatch(document, /<img/i);
    assert.doesNotMatch(document, /<b onmouseover/);
    assert.match(document, /&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;/);
    // No attribute can be broken out of: every quote from the server is a character reference.
    assert.doesNotMatch(document, /onerror=alert\(1\)>"/);
    assert.ok(!document.includes(ESC));
  });

  it("is standalone: inline styles, no scripts, no external resources", () => {
    assert.match(document, /^<!doctype html>/);
    assert.match(document, /<style>/);
    assert.ok(!/<(link|script|iframe|img|object|embed|base)\b/i.test(document), "no element that loads anything");
    assert.ok(!/\bsrc="|url\(|@import/i.test(document), "no resource address");
    assert.ok(!/href="(?!#)/.test(document), "links only within the document");
    assert.match(document, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/);
  });

  it("holds a summary table, each domain's categories and tests, evidence in <details>, fixes, time and version", () => {
    assert.match(document, /<table class="bl-summary-table">/);
    assert.match(document, /<a href="#domain-1">example\.org<\/a>/);
    assert.match(document, /<a href="#domain-2">second\.example<\/a>/);
    assert.match(document, /<section class="bl-domain" id="domain-2" data-domain="second\.example">/);
    assert.match(document, /<details><summary>Evidence<\/summary><pre>/);
    assert.match(document, /How to fix:<\/strong> Send Strict-Transport-Security/);
    assert.match(document, /<code>baseline standards show hsts<\/code>/);
    assert.match(document, /Generated 2026-12-07T05:00:00\.000Z by Baseline 0\.1\.0\./);
    assert.match(document, /Points lost: web\.hsts −50/);
  });

  it("leaves the summary table out for one domain, and links standards where the page says", () => {
    const single = renderHtmlReport([sampleReport()], { version: "0.1.0", generatedAt: new Date() });
    assert.ok(!single.includes(`<table class="bl-summary-table">`));
    const section = domainSection(sampleReport(), { standardHref: (standard) => `/standards/${standard}` });
    assert.match(section, /<a href="\/standards\/hsts">About the standard: hsts<\/a>/);
  });
});
