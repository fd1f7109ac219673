/**
 * Side by side: up to three institutions or countries, with how many of
 * their (visible) policies cite each catalog standard; an empty cell is a
 * standard the other columns have and this one lacks.
 *
 * A subject is typed, not picked from a list: with thousands of
 * institutions a menu would weigh more than the page. "NL" is a country
 * (ISO 3166 code); anything else is an institution's id or a part of its
 * name; a part that fits several institutions is answered with the
 * candidates as links. `?institution=ID` (the older form) still works.
 */
import type { Hono } from "hono";
import {
  findInstitutionsByName,
  getInstitution,
  listInstitutions,
  coverageBy,
  matrixCounts,
  type Institution,
  type MatrixFilter,
} from "../../store/index.ts";
import { pageContext, visibleStates, type AppContext, type AppEnv } from "../context.ts";
import { html, type SafeHtml } from "../html.ts";
import { page } from "../layout.ts";
import { countryName } from "../place-names.ts";

const MAX_SUBJECTS = 3;
/** Candidates shown when a name fits several institutions. */
const MAX_CANDIDATES = 10;

type Resolved =
  | { kind: "institution"; institution: Institution }
  | { kind: "country"; code: string }
  | { kind: "ambiguous"; query: string; candidates: Institution[] }
  | { kind: "unknown"; query: string };

interface Column {
  label: SafeHtml;
  policies: number;
  citing: Map<string, number>;
}

export function registerCompareRoutes(app: Hono<AppEnv>): void {
  app.get("/compare", async (c) => {
    const t = c.get("t");
    const typed = [...(c.req.queries("subject") ?? []), ...(c.req.queries("institution") ?? [])]
      .map((value) => value.trim())
      .filter((value) => value !== "")
      .slice(0, MAX_SUBJECTS);
    const resolved = await Promise.all(typed.map((query) => resolve(c, query)));
    const columns = (await Promise.all(resolved.map((subject) => columnOf(c, subject)))).filter((column) => column !== undefined);
    const problems = resolved.filter((subject) => subject.kind === "ambiguous" || subject.kind === "unknown");
    const { catalog } = c.get("services");
    const body = html`<form method="get" action="/compare" class="inline">
        ${Array.from({ length: MAX_SUBJECTS }, (_, index) => html`<div><label for="s${index}">${t("compare.subject", { n: index + 1 })}</label><input id="s${index}" name="subject" type="text" value="${typed[index] ?? ""}" aria-describedby="compare-hint"></div>`)}
        <div><button type="submit">${t("action.compare")}</button></div>
      </form>
      <p id="compare-hint" class="muted">${t("compare.hint")}</p>
      ${problems.map((problem) =>
        problem.kind === "unknown"
          ? html`<p class="error" role="alert">${t("compare.unknown", { query: problem.query })}</p>`
          : html`<p>${t("compare.ambiguous", { query: problem.query })}</p><ul>${problem.candidates.map((institution) => html`<li><a href="${replaceSubject(c, typed, problem.query, institution.id)}">${institution.name}</a> (${institution.country ?? institution.region})</li>`)}</ul>`,
      )}
      ${columns.length === 0
        ? html`<p>${t("list.empty")}</p>`
        : html`<table>
        <thead><tr><th scope="col">${t("field.standards")}</th>${columns.map((column) => html`<th scope="col">${column.label}</th>`)}</tr></thead>
        <tbody>
          <tr><th scope="row">${t("compare.policies")}</th>${columns.map((column) => html`<td class="count">${column.policies}</td>`)}</tr>
          ${catalog.standards.map((standard) => html`<tr><th scope="row">${standard.id}</th>${columns.map((column) => {
            const count = column.citing.get(standard.id) ?? 0;
            return count === 0 ? html`<td class="count gap">0</td>` : html`<td class="count">${count}</td>`;
          })}</tr>`)}
        </tbody>
      </table>`}`;
    return c.html(page(pageContext(c), t("nav.compare"), body));
  });
}

async function resolve(c: AppContext, query: string): Promise<Resolved> {
  const { db } = c.get("services").store;
  // An id first: ids may be two letters too ("eu"), country codes never are ids.
  const byId = await getInstitution(db, query);
  if (byId) return { kind: "institution", institution: byId };
  if (/^[A-Za-z]{2}$/.test(query)) return { kind: "country", code: query.toUpperCase() };
  // The whole name first, by its own query: among the substring matches it
  // may sort after the first MAX_CANDIDATES ("Data Agency" after a dozen
  // "A... Data Agency ..."), and would never be found there.
  const exact = await findInstitutionsByName(db, query, { limit: MAX_CANDIDATES });
  const [first] = exact;
  if (first && exact.length === 1) return { kind: "institution", institution: first };
  if (exact.length > 1) return { kind: "ambiguous", query, candidates: exact };
  const { items } = await listInstitutions(db, { search: query, limit: MAX_CANDIDATES });
  const [only] = items;
  if (only && items.length === 1) return { kind: "institution", institution: only };
  return items.length === 0 ? { kind: "unknown", query } : { kind: "ambiguous", query, candidates: items };
}

async function columnOf(c: AppContext, subject: Resolved): Promise<Column | undefined> {
  if (subject.kind !== "institution" && subject.kind !== "country") return undefined;
  const { db } = c.get("services").store;
  const reviewStates = visibleStates(c);
  const filter: MatrixFilter = subject.kind === "institution" ? { institutionId: subject.institution.id, reviewStates } : { country: subject.code, reviewStates };
  // Both cached under the data revision; the coverage rows (one per region) hold the policy count.
  const [coverage, cells] = await Promise.all([coverageBy(db, "region", filter), matrixCounts(db, { rows: "region", columns: "standard", filter })]);
  const total = coverage.reduce((sum, row) => sum + row.policies, 0);
  const citing = new Map<string, number>();
  for (const cell of cells) citing.set(cell.column, (citing.get(cell.column) ?? 0) + cell.count);
  const label =
    subject.kind === "institution"
      ? html`<a href="/institutions/${subject.institution.id}">${subject.institution.name}</a>`
      : html`<a href="/policies?country=${subject.code}">${countryName(subject.code, c.get("language"))}</a>`;
  return { label, policies: total, citing };
}

/** The compare address with one typed subject replaced by an institution's id (the link for a candidate). */
function replaceSubject(c: AppContext, typed: readonly string[], query: string, id: string): string {
  const url = new URL(c.req.url);
  url.searchParams.delete("subject");
  url.searchParams.delete("institution");
  for (const value of typed) url.searchParams.append("subject", value === query ? id : value);
  return `${url.pathname}${url.search}`;
}
