// Unit tests of the world map renderer: colours, links, gaps, escaping, the
// table's agreement with the map, and the weight of the SVG.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeHtml } from "./html.ts";
import { translator, type Translate } from "./i18n.ts";
import { countryName } from "./place-names.ts";
import { colourSteps, renderWorldMap, type CountryCount } from "./world-map.ts";

const COUNTS: CountryCount[] = [
  { country: "NL", policies: 2, citing: 1 },
  { country: "US", policies: 6, citing: 6 },
  { country: "AU", policies: 1, citing: 0 },
  // Singapore has no shape at 1:110m.
  { country: "SG", policies: 3, citing: 2 },
];

/** The `<a>` element of one country on the map, or undefined when it has none. */
function countryLink(svg: string, code: string): string | undefined {
  return svg.match(new RegExp(`<a href="/policies\\?country=${code}">.*?</a>`, "s"))?.[0];
}

describe("world map", () => {
  it("links a country with policies, with its counts in the title and the class of its step", () => {
    const { svg } = renderWorldMap(COUNTS, { language: "en", t: translator("en") });
    const steps = colourSteps(6);
    assert.deepEqual(steps.map((step) => [step.className, step.min, step.max]), [["s1", 1, 1], ["s2", 2, 2], ["s3", 3, 3], ["s4", 4, 6]]);
    const netherlands = countryLink(svg.value, "NL");
    assert.ok(netherlands, "the Netherlands link to their policies");
    assert.match(netherlands, /<title>Netherlands · policies: 2 · citing standards: 1<\/title><path class="s2" d="M[\d-]/);
    assert.match(countryLink(svg.value, "US") ?? "", /<path class="s4" /);
    assert.match(countryLink(svg.value, "AU") ?? "", /<path class="s1" /);
  });

  it("draws countries without policies in the gap style, without a link", () => {
    const { svg } = renderWorldMap(COUNTS, { language: "en", t: translator("en") });
    assert.equal(countryLink(svg.value, "FR"), undefined);
    assert.match(svg.value, /<path class="gap" d="[^"]+"><title>France: no policies<\/title><\/path>/);
    // Every shape is either a linked step or a gap: 3 drawn countries with policies, the rest grey.
    assert.equal(svg.value.match(/<a href=/g)?.length, 3);
    assert.ok((svg.value.match(/class="gap"/g)?.length ?? 0) > 150);
  });

  it("colours by policies citing standards when asked, keeping the link of a country with none", () => {
    const { svg, legend } = renderWorldMap(COUNTS, { language: "en", t: translator("en"), measure: "citing" });
    assert.match(countryLink(svg.value, "AU") ?? "", /<title>Australia · policies: 1 · citing standards: 0<\/title><path class="gap" /);
    // Maximum 6 citing: NL's one is the first step now.
    assert.match(countryLink(svg.value, "NL") ?? "", /<path class="s1" /);
    assert.match(legend.value, /none citing standards \(gap\)/);
  });

  it("lists the same counts in the table, countries the map cannot draw included", () => {
    const { table, notDrawn } = renderWorldMap(COUNTS, { language: "en", t: translator("en") });
    const rows = [...table.value.matchAll(/<tr><th scope="row">([^<]+)(?: <span class="muted">\(([^)]+)\)<\/span>)?<\/th><td class="count">(\d+)<\/td><td class="count">(\d+)<\/td><td><a href="\/policies\?country=(\w+)">/g)].map(
      ([, name, note, policies, citing, code]) => ({ name, note, policies: Number(policies), citing: Number(citing), code }),
    );
    assert.deepEqual(rows, [
      { name: "United States", note: undefined, policies: 6, citing: 6, code: "US" },
      { name: "Singapore", note: "too small for this map", policies: 3, citing: 2, code: "SG" },
      { name: "Netherlands", note: undefined, policies: 2, citing: 1, code: "NL" },
      { name: "Australia", note: undefined, policies: 1, citing: 0, code: "AU" },
    ]);
    assert.deepEqual(notDrawn, ["SG"]);
  });

  it("escapes what it is given", () => {
    const english = translator("en");
    const hostile: Translate = (key, values) => (key === "map.ariaLabel" ? `"><script>alert(1)</script>` : english(key, values));
    const { svg, table } = renderWorldMap([{ country: `<img src=x onerror="alert(1)">`, policies: 1, citing: 1 }], { language: "en", t: hostile });
    assert.doesNotMatch(svg.value, /<script>/);
    assert.ok(svg.value.includes(`aria-label="${escapeHtml(`"><script>alert(1)</script>`)}"`));
    assert.doesNotMatch(table.value, /<img/);
    assert.ok(table.value.includes(escapeHtml(`<img src=x onerror="alert(1)">`)));
    // The link's query is URL-encoded as well as escaped.
    assert.ok(table.value.includes(`href="/policies?country=%3Cimg%20src%3Dx%20onerror%3D%22alert(1)%22%3E"`));
  });

  it("names countries in the UI language", () => {
    assert.equal(countryName("NL", "fr"), "Pays-Bas");
    assert.equal(countryName("DE", "es"), "Alemania");
    assert.equal(countryName("XK", "en"), "Kosovo");
    assert.equal(countryName("??", "en"), "??");
    const { svg, table } = renderWorldMap(COUNTS, { language: "fr", t: translator("fr") });
    assert.match(svg.value, /<title>Pays-Bas · politiques : 2 · citant des normes : 1<\/title>/);
    assert.match(svg.value, /<title>France : aucune politique<\/title>/);
    assert.match(table.value, /<th scope="col">Pays<\/th>/);
  });

  it("is accessible and light", () => {
    const { svg } = renderWorldMap(COUNTS, { language: "en", t: translator("en") });
    assert.match(svg.value, /^<svg class="world-map" xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 1920 \d+" role="img" aria-label="World map of policies per country: 4 countries /);
    assert.doesNotMatch(svg.value, /<script|\son\w+=/i);
    const bytes = Buffer.byteLength(svg.value);
    assert.ok(bytes < 100_000, `the map weighs ${bytes} bytes`);
    // A map without counts has the same outlines (and says there is no data).
    const again = renderWorldMap([], { language: "en", t: translator("en") });
    assert.deepEqual(again.svg.value.match(/ d="[^"]+"/g), svg.value.match(/ d="[^"]+"/g));
    assert.match(again.table.value, /No country has visible policies yet/);
  });

  it("picks classes that rise with the count and cover every value", () => {
    assert.deepEqual(colourSteps(0), []);
    assert.deepEqual(colourSteps(1).map((step) => [step.min, step.max]), [[1, 1]]);
    for (const max of [2, 5, 7, 70, 1000, 123_456]) {
      const steps = colourSteps(max);
      assert.ok(steps.length <= 4 && steps.length >= Math.min(max, 4), `${max}: ${steps.length} steps`);
      assert.equal(steps[0]?.min, 1);
      assert.equal(steps.at(-1)?.max, max);
      steps.slice(1).forEach((step, index) => assert.equal(step.min, (steps[index]?.max ?? 0) + 1, `${max}: contiguous`));
      assert.equal(new Set(steps.map((step) => step.colour)).size, steps.length);
    }
  });
});
