/**
 * The world map page (`/map`): per country, how many visible policies its
 * institutions issued and how many of those cite standards, drawn as a
 * server-side SVG choropleth (see ../world-map.ts) with the same numbers in
 * a table; bodies without a country (regional and international ones) are
 * listed per UN M49 area, since they have no shape on a map. Anonymous
 * visitors count published policies only; signed-in users count every
 * review state, as on the other reading pages.
 */
import type { Hono } from "hono";
import { coverageBy, type Coverage } from "../../store/index.ts";
import { pageContext, visibleStates, type AppEnv } from "../context.ts";
import { html, type SafeHtml } from "../html.ts";
import type { Translate, UiLanguage } from "../i18n.ts";
import { page } from "../layout.ts";
import { areaName } from "../place-names.ts";
import { MAP_MEASURES, renderWorldMap, type MapMeasure } from "../world-map.ts";

function regionalTable(rows: readonly Coverage[], t: Translate, language: UiLanguage): SafeHtml {
  const areas = rows.flatMap((row) => (row.key === null ? [] : [{ ...row, key: row.key }]));
  if (!areas.length) return html`<p>${t("map.noRegional")}</p>`;
  return html`<table><thead><tr><th scope="col">${t("map.region")}</th><th scope="col">${t("map.policies")}</th><th scope="col">${t("map.citing")}</th></tr></thead>
    <tbody>${areas
      .sort((a, b) => b.policies - a.policies || a.key.localeCompare(b.key))
      .map((row) => html`<tr><th scope="row">${areaName(row.key, language)} (${row.key})</th><td class="count">${row.policies}</td><td class="count">${row.citing}</td></tr>`)}</tbody></table>`;
}

export function registerMapRoutes(app: Hono<AppEnv>): void {
  app.get("/map", async (c) => {
    const { store } = c.get("services");
    const t = c.get("t");
    const language = c.get("language");
    const reviewStates = visibleStates(c);
    const measure: MapMeasure = MAP_MEASURES.find((value) => value === c.req.query("measure")) ?? "policies";
    const [byCountry, regional] = await Promise.all([
      coverageBy(store.db, "country", { reviewStates }),
      // Only bodies without a country: national institutions are on the map already.
      coverageBy(store.db, "region", { reviewStates, country: null }),
    ]);
    const counts = byCountry.flatMap((row) => (row.key === null ? [] : [{ country: row.key, policies: row.policies, citing: row.citing }]));
    const map = renderWorldMap(counts, { language, t, measure });
    const measureLinks = MAP_MEASURES.map((value, index) => {
      const label = t(value === "policies" ? "map.measure.policies" : "map.measure.citing");
      const link = value === measure ? html`<strong aria-current="true">${label}</strong>` : html`<a href="/map${value === "policies" ? "" : `?measure=${value}`}">${label}</a>`;
      return html`${index ? " · " : ""}${link}`;
    });
    const body = html`<p>${t("map.intro")} ${t(c.get("user") ? "map.scopeAll" : "map.scopePublished")}</p>
      <p>${t("map.colourBy")}: ${measureLinks}</p>
      <figure style="margin:0">${map.svg}<figcaption>${map.legend}</figcaption></figure>
      <h2>${t("map.countries")}</h2>
      ${map.table}
      <h2>${t("map.regional")}</h2>
      <p>${t("map.regionalIntro")}</p>
      ${regionalTable(regional, t, language)}`;
    return c.html(page(pageContext(c), t("map.title"), body));
  });
}
