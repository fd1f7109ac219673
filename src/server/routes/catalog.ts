/**
 * The catalog in the browser: standards and categories, and the
 * requirements annex built from chosen categories or CPV codes, downloaded
 * in any format the generator has (the same code as `baseline requirements`).
 */
import type { Hono } from "hono";
import { UnknownIdError } from "../../catalog/catalog.ts";
import { CpvError } from "../../catalog/cpv.ts";
import { FORMATS, renderRequirements, type Format } from "../../requirements/render/index.ts";
import { EmptySelectionError, requirementsFor } from "../../requirements/select.ts";
import { pageContext, type AppEnv } from "../context.ts";
import { html } from "../html.ts";
import { page } from "../layout.ts";

const CONTENT_TYPES: Record<Format, string> = {
  md: "text/markdown; charset=utf-8",
  html: "text/html; charset=utf-8",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  json: "application/json; charset=utf-8",
  ocds: "application/json; charset=utf-8",
};

export function registerCatalogRoutes(app: Hono<AppEnv>, version = "0.1.0"): void {
  app.get("/standards", (c) => {
    const { catalog } = c.get("services");
    const language = c.get("language");
    const body = html`<table><thead><tr><th scope="col">${c.get("t")("field.id")}</th><th scope="col">${c.get("t")("field.name")}</th></tr></thead>
      <tbody>${catalog.standards.map((standard) => html`<tr><td><a href="/standards/${standard.id}">${standard.id}</a></td><td>${standard.name[language]}: ${standard.fullName[language]}</td></tr>`)}</tbody></table>`;
    return c.html(page(pageContext(c), c.get("t")("nav.catalog"), body));
  });

  app.get("/standards/:id", (c) => {
    const { catalog } = c.get("services");
    if (!catalog.hasStandard(c.req.param("id"))) return c.notFound();
    const standard = catalog.standard(c.req.param("id"));
    const language = c.get("language");
    const body = html`<p>${standard.summary[language]}</p>
      <p>${standard.protectsAgainst[language]}</p>
      <h2>${c.get("t")("field.standards")}</h2>
      <ul>${standard.specifications.map((spec) => html`<li><a href="${spec.url}" rel="noopener">${spec.ref}</a>: ${spec.title}</li>`)}</ul>
      <h2>${c.get("t")("nav.requirements")}</h2>
      <blockquote>${standard.clause.mandatory[language]}</blockquote>
      <p><a href="/policies?standard=${standard.id}">${c.get("t")("nav.policies")}</a></p>`;
    return c.html(page(pageContext(c), `${standard.name[language]}: ${standard.fullName[language]}`, body));
  });

  app.get("/requirements", (c) => {
    const { catalog } = c.get("services");
    const t = c.get("t");
    const language = c.get("language");
    const body = html`<p>${t("requirements.intro")}</p>
      <form method="get" action="/requirements/download">
        <fieldset><legend>${t("field.categories")}</legend>
          ${catalog.categories.map((category) => html`<label style="font-weight:400"><input type="checkbox" name="category" value="${category.id}"> ${category.name[language]}</label>`)}
        </fieldset>
        <label for="cpv">${t("field.cpv")}</label><input id="cpv" name="cpv" type="text" placeholder="72415000-2, 64200000-8">
        <label for="level">${t("field.level")}</label><select id="level" name="level"><option value="all">${t("level.all")}</option><option value="mandatory">${t("level.mandatory")}</option></select>
        <label for="doclang">${t("field.language")}</label><select id="doclang" name="lang">${(["en", "fr", "es", "nl"] as const).map((code) => html`<option value="${code}"${code === language ? html` selected` : ""}>${code}</option>`)}</select>
        <label for="format">${t("field.format")}</label><select id="format" name="format">${FORMATS.map((format) => html`<option value="${format}">${format}</option>`)}</select>
        <p><button type="submit">${t("action.download")}</button></p>
      </form>`;
    return c.html(page(pageContext(c), t("nav.requirements"), body));
  });

  app.get("/requirements/download", async (c) => {
    const { catalog } = c.get("services");
    const format = FORMATS.find((value) => value === c.req.query("format")) ?? "md";
    const language = (["en", "fr", "es", "nl"] as const).find((value) => value === c.req.query("lang")) ?? "en";
    const categories = c.req.queries("category") ?? [];
    const cpv = (c.req.query("cpv") ?? "").split(/[\s,;]+/).filter(Boolean);
    try {
      const set = requirementsFor(catalog, { categories, cpv, level: c.req.query("level") === "mandatory" ? "mandatory" : "all", language: language });
      const content = await renderRequirements(set, format, { version, date: new Date().toISOString().slice(0, 10) });
      const extension = format === "ocds" ? "json" : format;
      return c.body(typeof content === "string" ? content : new Uint8Array(content), 200, {
        "Content-Type": CONTENT_TYPES[format],
        "Content-Disposition": `attachment; filename="requirements.${format === "ocds" ? "ocds." : ""}${extension}"`,
      });
    } catch (error) {
      if (error instanceof UnknownIdError || error instanceof CpvError || error instanceof EmptySelectionError) {
        c.status(400);
        return c.html(page(pageContext(c), c.get("t")("nav.requirements"), html`<p><a href="/requirements">←</a></p>`, { error: error.message }));
      }
      throw error;
    }
  });
}
