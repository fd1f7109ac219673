/**
 * Reading the observatory: home, lists with filters, one policy or
 * institution, the matrices (each cell links to its policies) and the gap
 * summary. Anonymous visitors see published policies only; signed-in users
 * also see drafts and reviewed entries.
 */
import type { Hono } from "hono";
import {
  coverageBy,
  getInstitution,
  getPolicy,
  INSTITUTION_KINDS,
  listInstitutions,
  listPolicies,
  matrixCounts,
  POLICY_STATUSES,
  POLICY_TYPES,
  tagCounts,
  cachedRead,
  type MatrixCell,
  type MatrixColumns,
  type MatrixRows,
  type PolicyFilter,
  type PolicySort,
} from "../../store/index.ts";
import { canEdit, pageContext, visibleStates, wholeNumberQuery, type AppContext, type AppEnv } from "../context.ts";
import { html, raw, type SafeHtml } from "../html.ts";
import { page } from "../layout.ts";
import { sendExport } from "./exchange.ts";

const PAGE_SIZE = 50;
/** The list's orders; each has its own natural direction (store: listPolicies). */
const POLICY_SORTS = ["title", "adoptedOn", "updatedAt", "institution"] as const satisfies readonly PolicySort[];

function option(value: string, label: string, selected: string | undefined): SafeHtml {
  return html`<option value="${value}"${value === selected ? html` selected` : ""}>${label}</option>`;
}

function policyFilterFrom(c: AppContext): PolicyFilter {
  const query = (name: string): string | undefined => c.req.query(name)?.trim() || undefined;
  const type = POLICY_TYPES.find((value) => value === query("type"));
  const status = POLICY_STATUSES.find((value) => value === query("status"));
  const kind = INSTITUTION_KINDS.find((value) => value === query("kind"));
  const offset = wholeNumberQuery(c, "offset", 0);
  const sort = POLICY_SORTS.find((value) => value === query("sort"));
  return {
    ...(sort ? { sort } : {}),
    ...(query("q") ? { search: query("q") } : {}),
    ...(query("standard") ? { standard: query("standard") } : {}),
    ...(query("category") ? { category: query("category") } : {}),
    ...(query("region") ? { region: query("region") } : {}),
    ...(query("country") ? { country: query("country") } : {}),
    ...(query("sector") ? { sector: query("sector") } : {}),
    ...(type ? { type } : {}),
    ...(status ? { status } : {}),
    ...(kind ? { kind } : {}),
    ...(query("institution") ? { institutionId: query("institution") } : {}),
    reviewStates: visibleStates(c),
    limit: PAGE_SIZE,
    offset,
  };
}

export function registerObservatoryRoutes(app: Hono<AppEnv>): void {
  app.get("/", async (c) => {
    const { store } = c.get("services");
    const t = c.get("t");
    const reviewStates = visibleStates(c);
    const [{ items, total }, institutions, countries] = await Promise.all([
      listPolicies(store.db, { reviewStates, sort: "updatedAt", direction: "desc", limit: 10 }),
      listInstitutions(store.db, { limit: 1 }),
      coverageBy(store.db, "country", { reviewStates }),
    ]);
    const body = html`<p>${t("home.intro")}</p>
      <ul>
        <li><a href="/policies">${t(c.get("user") ? "home.allPolicies" : "home.published")}</a>: <strong>${total}</strong></li>
        <li><a href="/institutions">${t("home.institutions")}</a>: <strong>${institutions.total}</strong></li>
        <li>${t("home.countries")}: <strong>${countries.filter((row) => row.key !== null).length}</strong></li>
      </ul>
      <h2>${t("home.latest")}</h2>
      ${policyTable(c, items)}`;
    return c.html(page(pageContext(c), t("app.name"), body));
  });

  app.get("/policies", async (c) => {
    const { store, catalog } = c.get("services");
    const t = c.get("t");
    const filter = policyFilterFrom(c);
    const { items, total } = await listPolicies(store.db, filter);
    const form = html`<form class="inline" method="get" action="/policies" role="search">
      <div><label for="q">${t("field.search")}</label><input id="q" name="q" type="text" value="${filter.search ?? ""}"></div>
      <div><label for="standard">${t("field.standards")}</label><select id="standard" name="standard">${option("", t("any"), filter.standard)}${catalog.standards.map((standard) => option(standard.id, standard.name[langOf(c)], filter.standard))}</select></div>
      <div><label for="category">${t("field.categories")}</label><select id="category" name="category">${option("", t("any"), filter.category)}${catalog.categories.map((category) => option(category.id, category.name[langOf(c)], filter.category))}</select></div>
      <div><label for="type">${t("field.type")}</label><select id="type" name="type">${option("", t("any"), filter.type)}${POLICY_TYPES.map((type) => option(type, t(`type.${type}`), filter.type))}</select></div>
      <div><label for="region">${t("field.region")}</label><input id="region" name="region" type="text" size="4" value="${filter.region ?? ""}"></div>
      <div><label for="sort">${t("field.sort")}</label><select id="sort" name="sort">${POLICY_SORTS.map((sort) => option(sort, t(`sort.${sort}`), filter.sort ?? "title"))}</select></div>
      <div><button type="submit">${t("action.filter")}</button></div>
    </form>
    <p>${t("list.count", { count: total })} · <a href="/export.json">${t("action.export")} JSON</a> · <a href="/export/policies.csv">${t("action.export")} CSV</a>${canEdit(c.get("user")) ? html` · <a href="/policies/new">${t("action.new")}</a>` : ""}</p>
    ${policyTable(c, items)}
    ${pager(c, total, filter.offset ?? 0)}`;
    return c.html(page(pageContext(c), t("nav.policies"), form));
  });

  app.get("/policies/:id", async (c) => {
    const { store, catalog } = c.get("services");
    const t = c.get("t");
    const policy = await getPolicy(store.db, c.req.param("id"), { reviewStates: visibleStates(c) });
    if (!policy) return c.notFound();
    const institution = await getInstitution(store.db, policy.institutionId);
    const standardName = (id: string): string => (catalog.hasStandard(id) ? catalog.standard(id).name[langOf(c)] : id);
    const body = html`<dl>
      <dt>${t("field.institution")}</dt><dd>${institution ? html`<a href="/institutions/${institution.id}">${institution.name}</a>` : policy.institutionId}</dd>
      <dt>${t("field.type")}</dt><dd>${t(`type.${policy.type}`)}</dd>
      <dt>${t("field.status")}</dt><dd>${t(`status.${policy.status}`)}</dd>
      <dt>${t("field.adoptedOn")}</dt><dd>${policy.adoptedOn ?? "-"}</dd>
      <dt>${t("field.sourceUrl")}</dt><dd>${policy.sourceUrl ? html`<a href="${policy.sourceUrl}" rel="noopener">${policy.sourceUrl}</a>` : "-"}</dd>
      <dt>${t("field.coversInternet")}</dt><dd>${policy.coversInternet ? t("yes") : t("no")}</dd>
      <dt>${t("field.securityText")}</dt><dd>${policy.securityText ?? "-"}</dd>
      <dt>${t("field.standards")}</dt><dd>${policy.standards.length ? policy.standards.map((id, index) => html`${index ? ", " : ""}<a href="/standards/${id}">${standardName(id)}</a>`) : "-"}</dd>
      <dt>${t("field.otherStandards")}</dt><dd>${policy.otherStandards ?? "-"}</dd>
      <dt>${t("field.categories")}</dt><dd>${policy.categories.join(", ") || "-"}</dd>
      <dt>${t("field.reviewState")}</dt><dd>${t(`review.${policy.reviewState}`)}</dd>
    </dl>
    ${canEdit(c.get("user")) ? html`<p><a href="/policies/${policy.id}/edit">${t("action.edit")}</a></p>` : ""}`;
    return c.html(page(pageContext(c), policy.title, body));
  });

  app.get("/institutions", async (c) => {
    const { store } = c.get("services");
    const t = c.get("t");
    const search = c.req.query("q")?.trim() || undefined;
    const { items, total } = await listInstitutions(store.db, { ...(search ? { search } : {}), limit: 200 });
    const body = html`<form class="inline" method="get" action="/institutions" role="search">
      <div><label for="q">${t("field.search")}</label><input id="q" name="q" type="text" value="${search ?? ""}"></div>
      <div><button type="submit">${t("action.filter")}</button></div>
    </form>
    <p>${t("list.count", { count: total })} · <a href="/export/institutions.csv">${t("action.export")} CSV</a>${canEdit(c.get("user")) ? html` · <a href="/institutions/new">${t("action.new")}</a>` : ""}</p>
    <table><thead><tr><th scope="col">${t("field.name")}</th><th scope="col">${t("field.kind")}</th><th scope="col">${t("field.country")}</th><th scope="col">${t("field.region")}</th><th scope="col">${t("field.globalSouth")}</th><th scope="col">${t("field.sector")}</th></tr></thead>
    <tbody>${items.map((institution) => html`<tr><td><a href="/institutions/${institution.id}">${institution.name}</a></td><td>${t(`kind.${institution.kind}`)}</td><td>${institution.country ?? "-"}</td><td>${institution.region}</td><td>${institution.globalSouth ? t("yes") : t("no")}</td><td>${institution.sector ?? "-"}</td></tr>`)}</tbody></table>`;
    return c.html(page(pageContext(c), t("nav.institutions"), body));
  });

  app.get("/institutions/:id", async (c) => {
    const { store } = c.get("services");
    const t = c.get("t");
    const institution = await getInstitution(store.db, c.req.param("id"));
    if (!institution) return c.notFound();
    const { items } = await listPolicies(store.db, { institutionId: institution.id, reviewStates: visibleStates(c), limit: 200 });
    const body = html`<p>${t(`kind.${institution.kind}`)} · ${institution.country ?? "-"} · M49 ${institution.region} · ${institution.sector ?? ""}</p>
      <p><a href="/compare?subject=${institution.id}">${t("action.compare")}</a>${canEdit(c.get("user")) ? html` · <a href="/institutions/${institution.id}/edit">${t("action.edit")}</a>` : ""}</p>
      <h2>${t("nav.policies")}</h2>${policyTable(c, items)}`;
    return c.html(page(pageContext(c), institution.name, body));
  });

  app.get("/matrix", async (c) => {
    const { store } = c.get("services");
    const t = c.get("t");
    const rows: MatrixRows = (["region", "sector", "kind"] as const).find((value) => value === c.req.query("rows")) ?? "region";
    const columns: MatrixColumns = c.req.query("columns") === "category" ? "category" : rows === "kind" ? "category" : "standard";
    const query = { rows, columns, filter: { reviewStates: visibleStates(c) } };
    // The table is a pure function of the counts and the language, and the
    // region matrix has nearly a thousand linked cells (a millisecond of
    // rendering): it is kept under the same data revision as the counts.
    const table = await cachedRead(store.db, "aggregate", `matrix-html:${c.get("language")}:${JSON.stringify(query)}`, async () =>
      matrixTable(c, query, await matrixCounts(store.db, query)),
    );
    const views: [MatrixRows, MatrixColumns, string][] = [["region", "standard", t("matrix.regionStandard")], ["sector", "standard", t("matrix.sectorStandard")], ["kind", "category", t("matrix.kindCategory")]];
    // Signed-in users' counts include drafts (visibleStates): the sentence says so.
    const body = html`<p>${t(c.get("user") ? "matrix.explainAll" : "matrix.explain")}</p>
      <p>${views.map(([r, col, label], index) => html`${index ? " · " : ""}${r === rows ? html`<strong>${label}</strong>` : html`<a href="/matrix?rows=${r}&amp;columns=${col}">${label}</a>`}`)}</p>
      ${raw(table)}`;
    return c.html(page(pageContext(c), t("matrix.title"), body));
  });

  app.get("/export.json", (c) => sendExport(c, "json"));

  app.get("/gaps", async (c) => {
    const { store } = c.get("services");
    const t = c.get("t");
    const tags = await tagCounts(store.db, { reviewStates: visibleStates(c) });
    const list = (title: string, items: { tag: string; count: number }[]): SafeHtml => html`<h2>${title}</h2>${items.length ? html`<ol>${items.slice(0, 15).map((item) => html`<li>${item.tag} (${item.count})</li>`)}</ol>` : html`<p>${t("list.empty")}</p>`}`;
    const body = html`${list(t("gaps.bestPractice"), tags.bestPracticeTags)}${list(t("gaps.barriers"), tags.barrierTags)}${list(t("gaps.globalSouth"), tags.globalSouthTags)}${list(t("gaps.security"), tags.securityTags)}`;
    return c.html(page(pageContext(c), t("nav.gaps"), body));
  });
}

function langOf(c: AppContext): "en" | "fr" | "es" {
  return c.get("language");
}

function policyTable(c: AppContext, items: Awaited<ReturnType<typeof listPolicies>>["items"]): SafeHtml {
  const t = c.get("t");
  if (items.length === 0) return html`<p>${t("list.empty")}</p>`;
  return html`<table><thead><tr><th scope="col">${t("field.title")}</th><th scope="col">${t("field.institution")}</th><th scope="col">${t("field.type")}</th><th scope="col">${t("field.adoptedOn")}</th><th scope="col">${t("field.standards")}</th>${c.get("user") ? html`<th scope="col">${t("field.reviewState")}</th>` : ""}</tr></thead>
    <tbody>${items.map((policy) => html`<tr><td><a href="/policies/${policy.id}">${policy.title}</a></td><td>${policy.institution.name}</td><td>${t(`type.${policy.type}`)}</td><td>${policy.adoptedOn ?? "-"}</td><td>${policy.standards.join(", ")}</td>${c.get("user") ? html`<td>${t(`review.${policy.reviewState}`)}</td>` : ""}</tr>`)}</tbody></table>`;
}

function pager(c: AppContext, total: number, offset: number): SafeHtml {
  if (total <= PAGE_SIZE) return html``;
  const url = new URL(c.req.url);
  const link = (to: number, label: string): SafeHtml => {
    url.searchParams.set("offset", String(to));
    return html`<a href="${url.pathname}${url.search}">${label}</a>`;
  };
  return html`<p>${offset > 0 ? link(Math.max(0, offset - PAGE_SIZE), "←") : ""} ${offset + 1}-${Math.min(total, offset + PAGE_SIZE)} / ${total} ${offset + PAGE_SIZE < total ? link(offset + PAGE_SIZE, "→") : ""}</p>`;
}

/** The matrix as an HTML table (a string, to be cached): a count per cell, linked to the policies behind it; zeros are the gaps. */
function matrixTable(c: AppContext, query: { rows: MatrixRows; columns: MatrixColumns }, cells: readonly MatrixCell[]): string {
  const { catalog } = c.get("services");
  const t = c.get("t");
  const { rows, columns } = query;
  const rowValues = [...new Set(cells.map((cell) => cell.row))];
  const columnValues = columns === "standard" ? catalog.standards.map((standard) => standard.id) : catalog.categories.map((category) => category.id);
  // A map, not a search per cell: the sector matrix has thousands of cells.
  const counts = new Map(cells.map((cell) => [`${cell.row ?? ""}\u0000${cell.column}`, cell.count]));
  const count = (row: string | null, column: string): number => counts.get(`${row ?? ""}\u0000${column}`) ?? 0;
  // Built by hand rather than with URLSearchParams and escaping: one link
  // per cell, hundreds per page. encodeURIComponent leaves no character
  // that is special in a double-quoted attribute but the apostrophe, which
  // is harmless there, so the link is safe HTML as it is.
  const linkFor = (row: string | null, column: string): SafeHtml =>
    raw(`/policies?${columns}=${encodeURIComponent(column)}${row === null ? "" : `&amp;${rows}=${encodeURIComponent(row)}`}`);
  // Kind rows hold the stored kind ids; regions (M49 codes) and sectors (free text) are shown as they are.
  const rowLabel = (row: string | null): string => {
    const kind = rows === "kind" ? INSTITUTION_KINDS.find((value) => value === row) : undefined;
    return kind ? t(`kind.${kind}`) : (row ?? "-");
  };
  return html`<div style="overflow-x:auto"><table class="matrix">
    <thead><tr><th scope="col">${t(rows === "region" ? "field.region" : rows === "sector" ? "field.sector" : "field.kind")}</th>${columnValues.map((column) => html`<th scope="col">${column}</th>`)}</tr></thead>
    <tbody>${rowValues.map((row) => html`<tr><th scope="row">${rowLabel(row)}</th>${columnValues.map((column) => {
      const value = count(row, column);
      return value === 0 ? html`<td class="gap">0</td>` : html`<td><a href="${linkFor(row, column)}">${value}</a></td>`;
    })}</tr>`)}</tbody>
  </table></div>`.value;
}
