// The server-side charts: well-formed SVG (parsed as XML), named and
// described for screen readers, figures where the scale puts them, a gap
// where a figure is missing, series told apart by more than colour, and
// hostile names escaped in the chart and its table.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { XMLParser } from "fast-xml-parser";

/** Parses strictly: throws on XML that is not well formed. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- its successor (fast-xml-validator) is not a dependency; this validation is the one we have
const wellFormed = (svg: string): void => void new XMLParser().parse(svg, true);
import { barChart, figuresTable, lineChart, seriesStyle } from "./charts.ts";

const HOSTILE = `<script>alert(1)</script>"&'`;

describe("lineChart", () => {
  const svg = lineChart({
    id: "adoption",
    title: "Adoption per standard",
    description: "HSTS rose from 50% to 100%.",
    xLabels: ["2026-12-01", "2026-12-08", "2026-12-15"],
    series: [
      { name: "HSTS", values: [50, 100, 0] },
      { name: HOSTILE, values: [25, null, 75] },
    ],
    width: 600,
    height: 200,
  });

  it("is well-formed SVG named by its title and described by its desc", () => {
    wellFormed(svg);
    const parsed = new XMLParser({ ignoreAttributes: false }).parse(svg) as { svg: Record<string, unknown> };
    assert.equal(parsed.svg["@_role"], "img");
    assert.equal(parsed.svg["@_aria-labelledby"], "adoption-title adoption-desc");
    assert.deepEqual(parsed.svg.title, { "#text": "Adoption per standard", "@_id": "adoption-title" });
    assert.deepEqual(parsed.svg.desc, { "#text": "HSTS rose from 50% to 100%.", "@_id": "adoption-desc" });
    assert.doesNotMatch(svg, /<script/);
    assert.match(svg, /&#60;script&#62;alert\(1\)&#60;\/script&#62;&#34;&#38;&#39;/);
  });

  it("puts 100 at the top of the plot, 0 at its bottom, and the x labels evenly", () => {
    // Plot: top 12, height 200, left 44, width 600 - 44 - 16 = 540.
    const hsts = svg.match(/<g data-series="HSTS"><path d="([^"]+)"/)?.[1];
    assert.equal(hsts, "M44 112L314 12L584 212");
    for (const label of ["2026-12-01", "2026-12-08", "2026-12-15"]) assert.match(svg, new RegExp(`>${label}</text>`));
    assert.match(svg, />100%<\/text>/);
    assert.match(svg, />0%<\/text>/);
  });

  it("breaks the line at a missing figure", () => {
    const other = svg.match(/<g data-series="&#60;script[^"]*"><path d="([^"]+)"/)?.[1];
    assert.equal(other, "M44 162M584 62", "two pieces, no segment through the gap");
  });

  it("tells series apart by dash and marker too, and draws a legend for several", () => {
    assert.notEqual(seriesStyle(0).dash, seriesStyle(1).dash);
    assert.notEqual(seriesStyle(0).marker, seriesStyle(1).marker);
    assert.match(svg, /<rect x="[\d.]+" y="[\d.]+" width="7" height="7"\/>/, "the second series has square markers");
    assert.match(svg, /stroke-dasharray="6 3"/);
    assert.match(svg, />HSTS<\/text>/, "legend entry");
    const single = lineChart({ id: "one", title: "t", description: "d", xLabels: ["only"], series: [{ name: "Solo", values: [40] }] });
    assert.doesNotMatch(single, />Solo<\/text>/, "one series: no legend");
    assert.match(single, /<circle cx="334" /, "a single run sits in the middle");
  });
});

describe("barChart", () => {
  it("draws bars proportional to the figures, writes them out, and says when there is none", () => {
    const svg = barChart({ id: "latest", title: "Latest run", description: "d", bars: [{ label: "HSTS", value: 50, note: "1 of 2" }, { label: "DNSSEC", value: 100 }, { label: HOSTILE, value: null }], width: 640, noValue: "not measured" });
    wellFormed(svg);
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((match) => Number(match[1]));
    assert.equal(widths.length, 2);
    assert.equal(widths[1], 2 * (widths[0] ?? 0));
    assert.match(svg, />50% \(1 of 2\)<\/text>/);
    assert.match(svg, />not measured<\/text>/);
    assert.doesNotMatch(svg, /<script/);
  });
});

describe("figuresTable", () => {
  it("gives the same figures as a table, escaped", () => {
    const table = figuresTable({ caption: "Adoption", columns: ["Standard", "2026-12-01"], rows: [{ label: HOSTILE, href: "/standards/x?a=1&b=2", values: ["50%"] }] });
    assert.match(table, /^<table class="figures"><caption>Adoption<\/caption>/);
    assert.match(table, /<th scope="row"><a href="\/standards\/x\?a=1&#38;b=2">&#60;script&#62;/);
    assert.match(table, /<td class="num">50%<\/td>/);
    assert.doesNotMatch(table, /<script/);
  });
});
