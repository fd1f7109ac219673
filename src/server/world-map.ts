/**
 * The world map of observatory coverage: a choropleth drawn as inline SVG
 * on the server, so that it works without JavaScript and under the app's
 * CSP (no scripts, no external resources). Counts per country go in; the
 * SVG, its legend and an accessible table of the same numbers come out.
 *
 * Geometry is Natural Earth's 1:110m countries from `world-atlas`, turned
 * into GeoJSON by `topojson-client` and projected with d3-geo's Equal Earth
 * (areas stay comparable, which a choropleth needs). Countries are matched
 * by ISO 3166-1 numeric id, the one world-atlas uses; institutions store
 * alpha-2, which `i18n-iso-countries` maps; names come from
 * place-names.ts. The projected outlines never change, so
 * they are built once per process on first use; a request only picks
 * colours.
 *
 * @example
 *   const map = renderWorldMap([{ country: "NL", policies: 2, citing: 1 }], { language: "en", t: translator("en") });
 *   html`<figure>${map.svg}${map.legend}</figure>${map.table}`;
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { geoEqualEarth, geoPath, type GeoContext } from "d3-geo";
import countries from "i18n-iso-countries/index.js";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import { html, raw, type SafeHtml } from "./html.ts";
import type { MessageKey, Translate, UiLanguage } from "./i18n.ts";
import { countryName } from "./place-names.ts";

/** Which count colours the map. */
export const MAP_MEASURES = ["policies", "citing"] as const;
export type MapMeasure = (typeof MAP_MEASURES)[number];

export interface WorldMapOptions {
  language: UiLanguage;
  t: Translate;
  /** "policies" (the default) or "citing": policies that cite standards. */
  measure?: MapMeasure;
}

export interface CountryCount {
  /** ISO 3166-1 alpha-2, as institutions store it. */
  country: string;
  policies: number;
  /** Of those, the ones that cite standards. */
  citing: number;
}

/** One colour class of the legend: values from `min` to `max` inclusive. */
export interface ColourStep {
  className: string;
  colour: string;
  min: number;
  max: number;
}

export interface WorldMap {
  svg: SafeHtml;
  legend: SafeHtml;
  /** Every country with policies and its counts: the map's text equivalent. */
  table: SafeHtml;
  /** Countries with policies that the 1:110m map has no shape for (small states, unknown codes). */
  notDrawn: string[];
}

/** Drawing units across; the viewBox scales to the page, the precision is half a pixel at 960 px. */
const WIDTH = 1920;

/**
 * Sequential blues, light to dark. The lightest is 3.3:1 against the gap
 * grey, so "has policies" versus "has none" (the point of the map) meets
 * WCAG's 3:1 for graphics; neighbouring steps differ less, which the legend,
 * the tooltips and the table make up for.
 */
const STEP_COLOURS = ["#3d85c2", "#22669f", "#114a7e", "#062a52"] as const;
const GAP_COLOUR = "#ebebeb";

/** Focused or hovered countries turn the site's focus orange, visible on any step. */
const STYLE = `.world-map{width:100%;height:auto;display:block}
.world-map path{fill:${GAP_COLOUR};stroke:#8c8c8c;stroke-width:.6;vector-effect:non-scaling-stroke}
${STEP_COLOURS.map((colour, index) => `.world-map .s${index + 1}{fill:${colour}}`).join("\n")}
.world-map a:focus path,.world-map a:hover path{fill:#e08b00;stroke:#1a1a1a;stroke-width:2}
.world-map a:focus{outline:none}`;

interface CountryShape {
  /** ISO 3166-1 alpha-2; null for the few shapes without one (Northern Cyprus, Somaliland). */
  code: string | null;
  /** SVG path data in viewBox units. */
  d: string;
}

interface Shapes {
  width: number;
  height: number;
  shapes: CountryShape[];
  drawn: Set<string>;
}

let cachedShapes: Shapes | undefined;

/** Shapes that world-atlas leaves without a numeric id because ISO 3166-1 has none. */
const CODES_BY_NAME: Record<string, string> = { Kosovo: "XK" };
/** Antarctica: no institution there, and without it the inhabited world gets the map's height. */
const ANTARCTICA = "010";

function loadShapes(): Shapes {
  if (cachedShapes) return cachedShapes;
  const require = createRequire(import.meta.url);
  const topology = JSON.parse(readFileSync(require.resolve("world-atlas/countries-110m.json"), "utf8")) as Topology<{
    countries: GeometryCollection<{ name: string }>;
  }>;
  const all = feature(topology, topology.objects.countries);
  const collection = { ...all, features: all.features.filter((country) => country.id !== ANTARCTICA) };
  const projection = geoEqualEarth().fitWidth(WIDTH, collection);
  const height = Math.ceil(geoPath(projection).bounds(collection)[1][1]);
  const shapes = collection.features.map((country) => {
    const context = new RelativePath();
    geoPath(projection, context)(country);
    const id = country.id === undefined ? undefined : String(country.id);
    const code = (id === undefined ? undefined : countries.numericToAlpha2(id)) ?? CODES_BY_NAME[country.properties.name] ?? null;
    return { code, d: context.toString() };
  });
  cachedShapes = { width: WIDTH, height, shapes, drawn: new Set(shapes.flatMap((shape) => (shape.code ? [shape.code] : []))) };
  return cachedShapes;
}

/**
 * A d3-geo path context writing whole-unit relative commands ("l3-2") and
 * skipping points that round onto the previous one: 40 % of the bytes of
 * absolute coordinates with one decimal (about 44 KB instead of 111 KB for
 * all countries), at no visible loss since 1:110m data is coarser than a
 * pixel anyway. Rounding the absolute position before taking differences
 * keeps errors from adding up along a ring.
 */
class RelativePath implements GeoContext {
  #out = "";
  #x = 0;
  #y = 0;
  #startX = 0;
  #startY = 0;

  beginPath(): void {
    // One string per country: subpaths simply follow each other.
  }

  moveTo(x: number, y: number): void {
    const [nx, ny] = [Math.round(x), Math.round(y)];
    // The first command of a path is absolute; later subpaths move relative to the last point.
    this.#out += this.#out ? `m${pair(nx - this.#x, ny - this.#y)}` : `M${pair(nx, ny)}`;
    [this.#x, this.#y, this.#startX, this.#startY] = [nx, ny, nx, ny];
  }

  lineTo(x: number, y: number): void {
    const [nx, ny] = [Math.round(x), Math.round(y)];
    if (nx === this.#x && ny === this.#y) return;
    this.#out += `l${pair(nx - this.#x, ny - this.#y)}`;
    [this.#x, this.#y] = [nx, ny];
  }

  closePath(): void {
    this.#out += "z";
    // After "z" SVG's current point is the subpath's start.
    [this.#x, this.#y] = [this.#startX, this.#startY];
  }

  arc(): void {
    // Only point features draw arcs; countries are polygons.
  }

  toString(): string {
    return this.#out;
  }
}

/** "3 -2" written as "3-2": a minus sign separates numbers by itself. */
function pair(x: number, y: number): string {
  return y < 0 ? `${x}${y}` : `${x} ${y}`;
}

/**
 * The legend's classes for counts from 1 to `max`: one class per value while
 * there are few, otherwise geometric bounds (1–2, 3–7, 8–23, 24–70 for 70),
 * since a handful of countries with hundreds of policies would otherwise put
 * every other country in the first class.
 */
export function colourSteps(max: number): ColourStep[] {
  if (max < 1) return [];
  const lows: number[] = [];
  for (let index = 0; index < Math.min(STEP_COLOURS.length, max); index++) {
    // Each class starts at least one above the last, so small maxima still use every colour (1, 2, 3, 4–6 for 6).
    lows.push(Math.max((lows.at(-1) ?? 0) + 1, Math.round(max ** (index / STEP_COLOURS.length))));
  }
  return lows.map((min, index) => ({
    className: `s${index + 1}`,
    colour: STEP_COLOURS[index] ?? GAP_COLOUR,
    min,
    max: (lows[index + 1] ?? max + 1) - 1,
  }));
}

function stepOf(steps: readonly ColourStep[], value: number): ColourStep | undefined {
  return steps.find((step) => value >= step.min && value <= step.max);
}

function range(step: ColourStep): string {
  return step.min === step.max ? String(step.min) : `${step.min}–${step.max}`;
}

const MEASURE_LABEL: Record<MapMeasure, MessageKey> = { policies: "map.measure.policies", citing: "map.measure.citing" };

/** The map, its legend and its table for the given counts (countries with no policies may be left out). */
export function renderWorldMap(counts: readonly CountryCount[], options: WorldMapOptions): WorldMap {
  const { language, t } = options;
  const measure = options.measure ?? "policies";
  const href = (country: string): string => `/policies?country=${encodeURIComponent(country)}`;
  const { width, height, shapes, drawn } = loadShapes();
  const byCountry = new Map(counts.filter((row) => row.policies > 0).map((row) => [row.country, row]));
  const steps = colourSteps(Math.max(0, ...[...byCountry.values()].map((row) => row[measure])));
  const name = (code: string): string => countryName(code, language);

  const paths = shapes.map((shape) => {
    const row = shape.code ? byCountry.get(shape.code) : undefined;
    if (!shape.code || !row) {
      return shape.code ? html`<path class="gap" d="${shape.d}"><title>${t("map.gapTitle", { name: name(shape.code) })}</title></path>` : html`<path class="gap" d="${shape.d}"/>`;
    }
    const step = stepOf(steps, row[measure]);
    const title = t("map.countryTitle", { name: name(shape.code), policies: row.policies, citing: row.citing });
    return html`<a href="${href(shape.code)}"><title>${title}</title><path class="${step?.className ?? "gap"}" d="${shape.d}"/></a>`;
  });
  const svg = html`<svg class="world-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${t("map.ariaLabel", { measure: t(MEASURE_LABEL[measure]), count: byCountry.size })}"><style>${raw(STYLE)}</style>${paths}</svg>`;

  const swatch = (colour: string): SafeHtml =>
    html`<span aria-hidden="true" style="display:inline-block;width:1.2em;height:.9em;vertical-align:middle;border:1px solid #8c8c8c;background:${colour}"></span>`;
  const legend = html`<p class="map-legend"><strong>${t("map.legend", { measure: t(MEASURE_LABEL[measure]) })}</strong>
    ${steps.map((step) => html`<span style="white-space:nowrap;margin-right:1em">${swatch(step.colour)} ${range(step)}</span>`)}
    <span style="white-space:nowrap">${swatch(GAP_COLOUR)} ${t(measure === "policies" ? "map.legendGap" : "map.legendGapCiting")}</span></p>`;

  const rows = [...byCountry.values()].sort((a, b) => b[measure] - a[measure] || b.policies - a.policies || name(a.country).localeCompare(name(b.country), language));
  const notDrawn = rows.filter((row) => !drawn.has(row.country)).map((row) => row.country);
  const table = rows.length
    ? html`<table class="map-table"><thead><tr><th scope="col">${t("map.country")}</th><th scope="col">${t("map.policies")}</th><th scope="col">${t("map.citing")}</th><th scope="col">${t("map.link")}</th></tr></thead>
    <tbody>${rows.map(
      (row) => html`<tr><th scope="row">${name(row.country)}${drawn.has(row.country) ? "" : html` <span class="muted">(${t("map.notDrawn")})</span>`}</th><td class="count">${row.policies}</td><td class="count">${row.citing}</td><td><a href="${href(row.country)}">${t("map.viewPolicies")}</a></td></tr>`,
    )}</tbody></table>`
    : html`<p>${t("map.noCountries")}</p>`;
  return { svg, legend, table, notDrawn };
}
