/**
 * Editing the observatory: institutions and policies, for editors and
 * admins only. Forms are plain HTML; the store validates (zod) and the form
 * comes back with each problem next to its field. Every change is audited
 * by the store, with the signed-in user as actor.
 */
import type { Hono } from "hono";
import {
  createInstitution,
  createPolicy,
  getInstitution,
  getPolicy,
  INSTITUTION_KINDS,
  knownIdsOf,
  listInstitutionNames,
  NotFoundError,
  POLICY_STATUSES,
  POLICY_TYPES,
  REVIEW_STATES,
  updateInstitution,
  updatePolicy,
  ValidationError,
  type Institution,
  type Issue,
  type Policy,
} from "../../store/index.ts";
import { canEdit, pageContext, type AppContext, type AppEnv } from "../context.ts";
import { html, type SafeHtml } from "../html.ts";
import type { Translate } from "../i18n.ts";
import { localizedIssue } from "../issue-messages.ts";
import { page } from "../layout.ts";

type Form = Record<string, string | string[]>;

export function registerEditRoutes(app: Hono<AppEnv>): void {
  app.use("/institutions/new", requireEditor);
  app.use("/institutions/:id/edit", requireEditor);
  app.use("/policies/new", requireEditor);
  app.use("/policies/:id/edit", requireEditor);

  app.get("/institutions/new", (c) => institutionForm(c, "/institutions/new", {}));
  app.get("/institutions/:id/edit", async (c) => {
    const institution = await getInstitution(c.get("services").store.db, c.req.param("id"));
    return institution ? institutionForm(c, `/institutions/${institution.id}/edit`, institutionValues(institution)) : c.notFound();
  });
  app.post("/institutions/new", (c) => saveInstitution(c, undefined));
  app.post("/institutions/:id/edit", (c) => saveInstitution(c, c.req.param("id")));

  // Pre-filled from the query: an institution, or the title and standards a document upload detected.
  app.get("/policies/new", async (c) => policyForm(c, "/policies/new", { institutionId: c.req.query("institution") ?? "", title: c.req.query("title") ?? "", standards: c.req.queries("standard") ?? [] }));
  app.get("/policies/:id/edit", async (c) => {
    const policy = await getPolicy(c.get("services").store.db, c.req.param("id"), { reviewStates: REVIEW_STATES });
    return policy ? policyForm(c, `/policies/${policy.id}/edit`, policyValues(policy)) : c.notFound();
  });
  app.post("/policies/new", (c) => savePolicy(c, undefined));
  app.post("/policies/:id/edit", (c) => savePolicy(c, c.req.param("id")));
}

async function requireEditor(c: AppContext, next: () => Promise<void>): Promise<Response | undefined> {
  const user = c.get("user");
  if (!user) return c.redirect(`/login`, 303);
  if (!canEdit(user)) {
    c.status(403);
    return c.html(page(pageContext(c), c.get("t")("error.forbidden"), html``));
  }
  await next();
  return undefined;
}

async function formBody(c: AppContext): Promise<Form> {
  const body = await c.req.parseBody({ all: true });
  const form: Form = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === "string") form[key] = value;
    else if (Array.isArray(value)) form[key] = value.filter((item): item is string => typeof item === "string");
  }
  return form;
}

const text = (form: Form, name: string): string => {
  const value = form[name];
  return typeof value === "string" ? value : "";
};
const list = (form: Form, name: string): string[] => {
  const value = form[name];
  return value === undefined ? [] : typeof value === "string" ? [value] : value;
};
const lines = (form: Form, name: string): string[] => text(form, name).split(/\r?\n|,/).map((item) => item.trim()).filter(Boolean);

async function saveInstitution(c: AppContext, id: string | undefined): Promise<Response> {
  const { store } = c.get("services");
  const user = c.get("user");
  const form = await formBody(c);
  const input = { name: text(form, "name"), kind: text(form, "kind") as Institution["kind"], country: text(form, "country"), region: text(form, "region"), globalSouth: text(form, "globalSouth") === "on", sector: text(form, "sector") };
  try {
    const saved = id ? await updateInstitution(store.db, id, input, user?.id ?? null) : await createInstitution(store.db, input, user?.id ?? null);
    return c.redirect(`/institutions/${saved.id}`, 303);
  } catch (error) {
    if (error instanceof ValidationError) return institutionForm(c, id ? `/institutions/${id}/edit` : "/institutions/new", form, error.issues);
    // Edited at an address whose institution does not exist (or was deleted meanwhile): the page is not there.
    if (error instanceof NotFoundError) return c.notFound();
    throw error;
  }
}

async function savePolicy(c: AppContext, id: string | undefined): Promise<Response> {
  const { store, catalog } = c.get("services");
  const user = c.get("user");
  const form = await formBody(c);
  const input = {
    institutionId: text(form, "institutionId"),
    title: text(form, "title"),
    type: text(form, "type") as Policy["type"],
    status: text(form, "status") as Policy["status"],
    adoptedOn: text(form, "adoptedOn"),
    sourceUrl: text(form, "sourceUrl"),
    language: text(form, "language"),
    coversInternet: text(form, "coversInternet") === "on",
    securityText: text(form, "securityText"),
    securityTags: lines(form, "securityTags"),
    citesStandards: list(form, "standards").length > 0 || text(form, "otherStandards").trim() !== "",
    otherStandards: text(form, "otherStandards"),
    evidence: text(form, "evidence").split(/\r?\n/).map((item) => item.trim()).filter(Boolean),
    bestPracticeTags: lines(form, "bestPracticeTags"),
    barrierTags: lines(form, "barrierTags"),
    globalSouthTags: lines(form, "globalSouthTags"),
    reviewState: text(form, "reviewState") as Policy["reviewState"],
    categories: list(form, "categories"),
    standards: list(form, "standards"),
  };
  try {
    const options = { known: knownIdsOf(catalog) };
    const saved = id ? await updatePolicy(store.db, id, input, user?.id ?? null, options) : await createPolicy(store.db, input, user?.id ?? null, options);
    return c.redirect(`/policies/${saved.id}`, 303);
  } catch (error) {
    if (error instanceof ValidationError) return policyForm(c, id ? `/policies/${id}/edit` : "/policies/new", form, error.issues);
    if (error instanceof NotFoundError) return c.notFound();
    throw error;
  }
}

function institutionValues(institution: Institution): Form {
  return { name: institution.name, kind: institution.kind, country: institution.country ?? "", region: institution.region, globalSouth: institution.globalSouth ? "on" : "", sector: institution.sector ?? "" };
}

function policyValues(policy: Policy): Form {
  return {
    institutionId: policy.institutionId,
    title: policy.title,
    type: policy.type,
    status: policy.status,
    adoptedOn: policy.adoptedOn ?? "",
    sourceUrl: policy.sourceUrl ?? "",
    language: policy.language ?? "",
    coversInternet: policy.coversInternet ? "on" : "",
    securityText: policy.securityText ?? "",
    securityTags: policy.securityTags.join(", "),
    otherStandards: policy.otherStandards ?? "",
    evidence: policy.evidence.join("\n"),
    bestPracticeTags: policy.bestPracticeTags.join(", "),
    barrierTags: policy.barrierTags.join(", "),
    globalSouthTags: policy.globalSouthTags.join(", "),
    reviewState: policy.reviewState,
    categories: policy.categories,
    standards: policy.standards,
  };
}

/** The store's messages in the visitor's language (issue-messages.ts). */
function localizedIssues(issues: readonly Issue[], t: Translate): Issue[] {
  return issues.map((issue) => ({ ...issue, message: localizedIssue(issue.message, t) }));
}

function errorFor(issues: readonly Issue[], field: string): SafeHtml {
  const issue = issues.find((candidate) => candidate.path === field || candidate.path.startsWith(`${field}.`));
  return issue ? html`<span class="error" id="${field}-error">${issue.message}</span>` : html``;
}

function input(issues: readonly Issue[], form: Form, name: string, label: string, type = "text"): SafeHtml {
  return html`<label for="${name}">${label}</label>${errorFor(issues, name)}<input id="${name}" name="${name}" type="${type}" value="${text(form, name)}"${issues.some((issue) => issue.path === name) ? html` aria-invalid="true" aria-describedby="${name}-error"` : ""}>`;
}

/** Options carry the stored value; `labelOf` shows it in the reader's language. */
function select<V extends string>(issues: readonly Issue[], form: Form, name: string, label: string, values: readonly V[], labelOf: (value: V) => string): SafeHtml {
  return html`<label for="${name}">${label}</label>${errorFor(issues, name)}<select id="${name}" name="${name}">${values.map((value) => html`<option value="${value}"${text(form, name) === value ? html` selected` : ""}>${labelOf(value)}</option>`)}</select>`;
}

function institutionForm(c: AppContext, action: string, form: Form, found: readonly Issue[] = []): Response | Promise<Response> {
  const t = c.get("t");
  const issues = localizedIssues(found, t);
  if (issues.length) c.status(400);
  const body = html`<form method="post" action="${action}">
    <input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">
    ${input(issues, form, "name", t("field.name"))}
    ${select(issues, form, "kind", t("field.kind"), INSTITUTION_KINDS, (kind) => t(`kind.${kind}`))}
    ${input(issues, form, "country", t("field.country"))}
    ${input(issues, form, "region", t("field.region"))}
    <label><input type="checkbox" name="globalSouth"${text(form, "globalSouth") === "on" ? html` checked` : ""}> ${t("field.globalSouth")}</label>
    ${input(issues, form, "sector", t("field.sector"))}
    <p><button type="submit">${t("action.save")}</button></p>
  </form>`;
  return c.html(page(pageContext(c), t("nav.institutions"), body, issues.length ? { error: t("error.invalid") } : undefined));
}

async function policyForm(c: AppContext, action: string, form: Form, found: readonly Issue[] = []): Promise<Response> {
  const { store, catalog } = c.get("services");
  const t = c.get("t");
  const issues = localizedIssues(found, t);
  const language = c.get("language");
  const institutions = await listInstitutionNames(store.db);
  const current = text(form, "institutionId");
  // An id that is in no option (an institution deleted meanwhile, a stale
  // ?institution= link) still gets one, selected: otherwise the browser
  // selects the first institution and saving moves the policy there without
  // a word. The store then says what is wrong with the id.
  if (current !== "" && !institutions.some((institution) => institution.id === current)) institutions.unshift({ id: current, name: current });
  if (issues.length) c.status(400);
  const checked = (name: string, value: string): SafeHtml => (list(form, name).includes(value) ? html` checked` : html``);
  const body = html`<form method="post" action="${action}">
    <input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">
    ${input(issues, form, "title", t("field.title"))}
    <label for="institutionId">${t("field.institution")}</label>${errorFor(issues, "institutionId")}
    <select id="institutionId" name="institutionId">${institutions.map((institution) => html`<option value="${institution.id}"${current === institution.id ? html` selected` : ""}>${institution.name}</option>`)}</select>
    ${select(issues, form, "type", t("field.type"), POLICY_TYPES, (type) => t(`type.${type}`))}
    ${select(issues, form, "status", t("field.status"), POLICY_STATUSES, (status) => t(`status.${status}`))}
    ${input(issues, form, "adoptedOn", t("field.adoptedOn"))}
    ${input(issues, form, "sourceUrl", t("field.sourceUrl"), "url")}
    ${input(issues, form, "language", t("field.language"))}
    <label><input type="checkbox" name="coversInternet"${text(form, "coversInternet") === "on" ? html` checked` : ""}> ${t("field.coversInternet")}</label>
    <label for="securityText">${t("field.securityText")}</label><textarea id="securityText" name="securityText" rows="4">${text(form, "securityText")}</textarea>
    <fieldset><legend>${t("field.standards")}</legend>${errorFor(issues, "standards")}
      ${catalog.standards.map((standard) => html`<label style="font-weight:400;display:inline-block;margin-right:1rem"><input type="checkbox" name="standards" value="${standard.id}"${checked("standards", standard.id)}> ${standard.name[language]}</label>`)}
    </fieldset>
    ${input(issues, form, "otherStandards", t("field.otherStandards"))}
    <fieldset><legend>${t("field.categories")}</legend>${errorFor(issues, "categories")}
      ${catalog.categories.map((category) => html`<label style="font-weight:400;display:inline-block;margin-right:1rem"><input type="checkbox" name="categories" value="${category.id}"${checked("categories", category.id)}> ${category.name[language]}</label>`)}
    </fieldset>
    <label for="evidence">${t("field.evidence")}</label><textarea id="evidence" name="evidence" rows="3">${text(form, "evidence")}</textarea>
    ${input(issues, form, "securityTags", t("field.securityTags"))}
    ${input(issues, form, "bestPracticeTags", t("field.bestPracticeTags"))}
    ${input(issues, form, "barrierTags", t("field.barrierTags"))}
    ${input(issues, form, "globalSouthTags", t("field.globalSouthTags"))}
    ${select(issues, form, "reviewState", t("field.reviewState"), REVIEW_STATES, (state) => t(`review.${state}`))}
    <p><button type="submit">${t("action.save")}</button></p>
  </form>`;
  return c.html(page(pageContext(c), t("nav.policies"), body, issues.length ? { error: t("error.invalid") } : undefined));
}
