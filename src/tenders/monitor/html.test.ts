import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { aggregate } from "./aggregate.ts";
import { renderMonitorHtml, standardNames } from "./html.ts";
import { analysis, corpus } from "./test-fixtures.ts";

const catalog = loadCatalog();
const hostile = analysis({
  source: "javascript:alert(1)",
  title: `<script>alert("x")</script>`,
  authority: `<img src=x onerror=alert(1)>`,
  relevant: ["dnssec"],
});
const report = aggregate([...corpus, hostile]);
const html = renderMonitorHtml(report, { generatedAt: "2026-02-01", standardNames: standardNames(catalog, "en") });

function svgs(page: string): string[] {
  return page.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
}

describe("renderMonitorHtml", () => {
  it("is one standalone page that loads nothing", () => {
    assert.match(html, /^<!doctype html>\n<html lang="en">/);
    assert.match(html, /<meta charset="utf-8">/);
    assert.match(html, /<style>[\s\S]*@media print[\s\S]*<\/style>/);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<link/i);
    assert.doesNotMatch(html, /<(img|iframe|object|embed)\b/i);
    assert.doesNotMatch(html, /url\(|@import/i);
    // Plain links are allowed; no other tag may point anywhere. Text is escaped, so every "<" opens a real tag.
    const tags = html.match(/<[a-z][^>]*>/gi) ?? [];
    for (const tag of tags) {
      if (/^<a href="https:\/\/[^"]*">$/.test(tag)) continue;
      assert.doesNotMatch(tag, /\s(src|href|xlink:href|srcset|action|data|poster|background)=|https?:/i, tag);
    }
  });

  it("links a tender whose source is a web address, and only then", () => {
    assert.match(html, /<a href="https:\/\/www\.tenderned\.nl\/aankondigingen\/overzicht\/301234">E-maildienstverlening<\/a>/);
    assert.doesNotMatch(html, /href="javascript:/);
  });

  it("shows the key figures", () => {
    assert.match(html, /Share of relevant standards requested<\/th><td class="number">60%<\/td>/, "9 of 15 pairs");
    assert.match(html, /Relevant standard-tender pairs<\/th><td class="number">15<\/td>/);
    assert.match(html, /Pairs requested<\/th><td class="number">9<\/td>/);
    assert.match(html, /Tenders that asked for all relevant standards<\/th><td class="number">1 \(25%\)<\/td>/);
    assert.match(html, /Publication period<\/th><td class="number">2022-03-10 – 2024-07-01<\/td>/);
  });

  it("has tables per standard, authority, period and tender with header scopes", () => {
    assert.match(html, /<tr><th scope="row">DNSSEC<\/th><td class="number">3<\/td><td class="number">1<\/td><td class="number">33%<\/td>/);
    assert.match(html, /<tr><th scope="row">Gemeente Utrecht<\/th><td class="number">2<\/td><td class="number">2<\/td><td class="number">10<\/td><td class="number">8<\/td><td class="number">80%<\/td>/);
    assert.match(html, /<tr><th scope="row">2023-Q4<\/th>/);
    assert.match(html, /HTTPS, TLS \(wish\)/, "a wish is marked as such");
    const headers = html.match(/<th\b[^>]*>/g) ?? [];
    assert.ok(headers.length > 20);
    for (const header of headers) assert.match(header, /scope="(col|row)"/);
  });

  it("escapes every value taken from the documents", () => {
    assert.match(html, /&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;/);
    assert.match(html, /&#60;img src=x onerror=alert\(1\)&#62;/);
    assert.match(html, /<span class="source">javascript:alert\(1\)<\/span>/);
  });

  it("draws three charts, each an image with a title and a description", () => {
    const charts = svgs(html);
    assert.equal(charts.length, 3);
    for (const chart of charts) {
      assert.match(chart, /^<svg role="img" [^>]*aria-label="[^"]+"/);
      assert.match(chart, /<title>[^<]+<\/title>/);
      assert.match(chart, /<desc id="[^"]+">[^<]+<\/desc>/);
    }
    const [standards, trend, missing] = charts;
    assert.match(standards ?? "", /<title>Share requested per standard<\/title>/);
    assert.equal((standards?.match(/<rect /g) ?? []).length, report.standards.length);
    // One column per year with pairs; 2024 has only a tender without relevant standards.
    assert.match(trend ?? "", /<title>Share requested per year<\/title>/);
    assert.equal((trend?.match(/<rect /g) ?? []).length, 2);
    assert.match(missing ?? "", /<title>Most often missing standards<\/title>/);
    assert.match(missing ?? "", />HSTS<\/text>/);
  });

  it("speaks the requested language", () => {
    const dutch = renderMonitorHtml(report, { language: "nl", generatedAt: "2026-02-01" });
    assert.match(dutch, /^<!doctype html>\n<html lang="nl">/);
    assert.match(dutch, /<h1>Aanbestedingsmonitor/);
    assert.match(dutch, /<th scope="col">Aanbestedende dienst<\/th>/);
    assert.match(dutch, /Gemaakt door Baseline op 2026-02-01\./);
    assert.match(dutch, /<th scope="row">dnssec<\/th>/, "ids stand in for names when none are given");
    const french = renderMonitorHtml(report, { language: "fr", generatedAt: "2026-02-01" });
    assert.match(french, /<title>Observatoire des marchés/);
    assert.match(french, /60\s%/u);
  });

  it("says there is no data instead of drawing empty charts", () => {
    const empty = renderMonitorHtml(aggregate([]), { generatedAt: "2026-02-01" });
    assert.equal(svgs(empty).length, 0);
    assert.match(empty, /<p>No data\.<\/p>/);
  });
});
