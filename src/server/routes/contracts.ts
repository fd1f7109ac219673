/**
 * Contracts after award (signed-in staff; editors and admins change them):
 * - /contracts: the list, the JSON import, the feed's address;
 * - /contracts/new: the form, with "Preview standards" turning categories
 *   and CPV codes into the catalog's requirement set (works without
 *   JavaScript: a second submit button);
 * - /contracts/from-tender: a tender document, analysed by the tender
 *   monitor in its worker, becomes the same form filled in with the
 *   standards it requested, the buyer and what it bought;
 * - /contracts/ID: compliance per standard and asset, exemptions (comply or
 *   explain), runs ("Run now"), alerts; /contracts/ID/edit;
 *   /contracts/ID/letter.html|.docx|.md?lang=: the letter to the supplier;
 * - /suppliers/NAME: every contract of one supplier;
 * - /alerts.atom (contracts' and portfolios' alerts) and
 *   /contracts/ID/alerts.atom: Atom feeds, for a session or for a feed
 *   reader with ?user=ID&token=T (delivery.ts feedToken).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { REQUIRED_LANGUAGES, type Language } from "../../catalog/schema.ts";
import { listAlerts, type AlertRecord } from "../../campaigns/alerts.ts";
import { contractCompliance, supplierCompliance, type ComplianceCell, type ContractCompliance } from "../../campaigns/compliance.ts";
import { catalogStandards, contractFromTender, createContract, deleteContract, getContract, importContracts, listContracts, updateContract, type Contract, type ContractInput } from "../../campaigns/contracts.ts";
import { atomFeed, feedToken, verifyFeedToken } from "../../campaigns/delivery.ts";
import { addExemption, exemptionHolds, removeExemption } from "../../campaigns/exemptions.ts";
import { countResults, listRuns } from "../../campaigns/runs.ts";
import { renderSupplierLetter, supplierLetter, type LetterFormat } from "../../campaigns/supplier-letter.ts";
import { requirementsFor } from "../../requirements/select.ts";
import { NotFoundError, ValidationError } from "../../store/index.ts";
import { documentPool } from "../../tenders/worker/document-pool.ts";
import { canEdit, pageContext, type AppContext, type AppEnv } from "../context.ts";
import { html, utcMinute, type SafeHtml } from "../html.ts";
import type { MessageKey } from "../i18n.ts";
import { localizedTenderError } from "../issue-messages.ts";
import { page } from "../layout.ts";
import { MAX_UPLOAD_BYTES } from "./exchange.ts";

const TENDER_TYPES = [".pdf", ".docx", ".html", ".htm", ".txt", ".md", ".json", ".xml"];
/** Tender documents being read at once for this page (the pool has one worker and no bound of its own). */
const MAX_TENDERS_IN_FLIGHT = 3;
let tendersInFlight = 0;

const STYLE = html`<style>
  .state-compliant{background:#e7f4e4}.state-failing{background:#fde2e1;font-weight:600}.state-exempted{background:#eef0f3}.state-unchecked{color:#555}
  fieldset{border:1px solid #9aa5b1;margin:.8rem 0}fieldset label{display:inline-block;font-weight:400;margin:.1rem 1rem .1rem 0}
  .actions{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center}.actions form{margin:0}
  dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
</style>`;

/** What the form shows and sends back: text as typed, so that a refused form keeps it. */
interface FormState {
  title: string;
  buyer: string;
  supplier: string;
  language: Language;
  categories: string[];
  cpv: string;
  standards: string[];
  signedOn: string;
  deadlineOn: string;
  schedule: string;
  alertEmails: string;
  webhookUrl: string;
  webhookSecret: string;
  assets: string;
  source: string;
}

const EMPTY_FORM: FormState = { title: "", buyer: "", supplier: "", language: "en", categories: [], cpv: "", standards: [], signedOn: "", deadlineOn: "", schedule: "weekly", alertEmails: "", webhookUrl: "", webhookSecret: "", assets: "", source: "" };

type Body = Record<string, unknown>;

function strings(body: Body, name: string): string[] {
  const value = body[name];
  const values: unknown[] = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.filter((item): item is string => typeof item === "string");
}
const text = (body: Body, name: string): string => strings(body, name).at(-1) ?? "";

function formFromBody(body: Body): FormState {
  const language = text(body, "language");
  return {
    title: text(body, "title"),
    buyer: text(body, "buyer"),
    supplier: text(body, "supplier"),
    language: (REQUIRED_LANGUAGES as readonly string[]).includes(language) ? (language as Language) : "en",
    categories: strings(body, "categories"),
    cpv: text(body, "cpv"),
    standards: strings(body, "standards"),
    signedOn: text(body, "signedOn"),
    deadlineOn: text(body, "deadlineOn"),
    schedule: text(body, "schedule"),
    alertEmails: text(body, "alertEmails"),
    webhookUrl: text(body, "webhookUrl"),
    webhookSecret: text(body, "webhookSecret"),
    assets: text(body, "assets"),
    source: text(body, "source"),
  };
}

function formFromInput(input: ContractInput): FormState {
  return {
    ...EMPTY_FORM,
    title: input.title,
    buyer: input.buyer,
    supplier: input.supplier,
    language: input.language ?? "en",
    categories: [...(input.categories ?? [])],
    cpv: (input.cpvCodes ?? []).join(", "),
    standards: [...(input.standards ?? [])],
    source: input.source ?? "",
  };
}

function formFromContract(contract: Contract): FormState {
  return {
    title: contract.title,
    buyer: contract.buyer,
    supplier: contract.supplier,
    language: contract.language,
    categories: contract.categories,
    cpv: contract.cpvCodes.join(", "),
    standards: contract.standards,
    signedOn: contract.signedOn ?? "",
    deadlineOn: contract.deadlineOn ?? "",
    schedule: contract.schedule,
    alertEmails: contract.alertEmails.join("\n"),
    webhookUrl: contract.webhookUrl ?? "",
    webhookSecret: "",
    assets: contract.assets.map((asset) => `${asset.domain} ${asset.suite}`).join("\n"),
    source: contract.source ?? "",
  };
}

/** "example.org web", "example.org mail", "example.org" (web), "example.org web mail" (both). */
function parseAssets(c: AppContext, text: string): { domain: string; suite: "web" | "mail" }[] {
  const assets: { domain: string; suite: "web" | "mail" }[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const words = line.trim().split(/[\s,;]+/).filter(Boolean);
    if (words.length === 0) return;
    const [domain, ...suites] = words as [string, ...string[]];
    if (suites.some((suite) => suite !== "web" && suite !== "mail")) throw new FormError(c.get("t")("contracts.badAsset", { line: index + 1, text: line.trim().slice(0, 80) }));
    for (const suite of suites.length ? suites : ["web"]) assets.push({ domain, suite: suite as "web" | "mail" });
  });
  return assets;
}

class FormError extends Error {
  override name = "FormError";
}

function inputFromForm(c: AppContext, form: FormState, keepSecret: string | null = null): ContractInput {
  const list = (value: string): string[] => value.split(/[\s,;]+/).map((item) => item.trim()).filter(Boolean);
  return {
    title: form.title,
    buyer: form.buyer,
    supplier: form.supplier,
    language: form.language,
    categories: form.categories,
    cpvCodes: list(form.cpv),
    standards: form.standards,
    source: form.source || null,
    signedOn: form.signedOn || null,
    deadlineOn: form.deadlineOn || null,
    schedule: form.schedule || "manual",
    alertEmails: list(form.alertEmails),
    webhookUrl: form.webhookUrl.trim() || null,
    webhookSecret: form.webhookSecret || keepSecret,
    assets: parseAssets(c, form.assets),
  };
}

function forbidden(c: AppContext): Response | Promise<Response> {
  c.status(c.get("user") ? 403 : 401);
  return c.html(page(pageContext(c), c.get("t")("error.forbidden"), html``));
}

function notFound(c: AppContext): Response | Promise<Response> {
  c.status(404);
  return c.html(page(pageContext(c), c.get("t")("contracts.notFound"), html``));
}

const when = utcMinute;
const csrf = (c: AppContext): SafeHtml => html`<input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">`;

const NOTICES: Record<string, MessageKey> = {
  created: "contracts.created",
  saved: "contracts.saved",
  run: "contracts.run.started",
  "exemption-added": "contracts.exemption.added",
  "exemption-removed": "contracts.exemption.removed",
  deleted: "contracts.deleted",
};

function notice(c: AppContext): { notice: string } | undefined {
  const key = NOTICES[c.req.query("done") ?? ""];
  return key ? { notice: c.get("t")(key) } : undefined;
}

export function registerContractRoutes(app: Hono<AppEnv>): void {
  app.get("/contracts", async (c) => {
    if (!c.get("user")) return forbidden(c);
    return listPage(c);
  });

  app.get("/contracts/new", (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const form = { ...EMPTY_FORM, categories: c.req.queries("category") ?? [], cpv: (c.req.queries("cpv") ?? []).join(", ") };
    return formPage(c, "/contracts/new", form);
  });

  app.post("/contracts/new", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const body = await c.req.parseBody({ all: true });
    const form = formFromBody(body);
    if (text(body, "action") === "preview") return previewPage(c, "/contracts/new", form);
    const { store, catalog } = c.get("services");
    try {
      const contract = await createContract(store.db, catalog, inputFromForm(c, form), c.get("user")?.id ?? null);
      return c.redirect(`/contracts/${contract.id}?done=created`, 303);
    } catch (error) {
      if (error instanceof ValidationError || error instanceof FormError) return formPage(c, "/contracts/new", form, { error: error.message });
      throw error;
    }
  });

  app.get("/contracts/from-tender", (c) => (canEdit(c.get("user")) ? tenderPage(c) : forbidden(c)));
  app.post("/contracts/from-tender", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const t = c.get("t");
    const body = await c.req.parseBody();
    const file = body.file;
    if (!(file instanceof File) || file.size === 0) return tenderPage(c, t("contracts.noFile"));
    const extension = file.name.toLowerCase().match(/\.[a-z]+$/)?.[0] ?? "";
    if (!TENDER_TYPES.includes(extension)) return tenderPage(c, t("contracts.tender.wrongType", { file: file.name, types: TENDER_TYPES.join(", ") }));
    if (file.size > MAX_UPLOAD_BYTES) return tenderPage(c, t("import.tooLarge", { name: file.name, size: MAX_UPLOAD_BYTES / 1024 / 1024 }));
    if (tendersInFlight >= MAX_TENDERS_IN_FLIGHT) {
      c.header("Retry-After", "60");
      return tenderPage(c, t("contracts.tender.busy", { max: MAX_TENDERS_IN_FLIGHT }), 503);
    }
    const folder = mkdtempSync(join(tmpdir(), "baseline-tender-"));
    tendersInFlight++;
    try {
      const path = join(folder, file.name.replace(/[^\w.-]+/g, "_").slice(-80) || "tender");
      writeFileSync(path, new Uint8Array(await file.arrayBuffer()));
      // Read in the tender pool's worker, under its memory and time limits: a hostile document costs an error, not the event loop.
      for await (const item of documentPool().analyzeFile(path)) {
        if ("error" in item) return await tenderPage(c, `${file.name}: ${localizedTenderError(item.error, t)}`);
        const input = contractFromTender({ ...item, source: file.name });
        const form = formFromInput(input);
        return await formPage(c, "/contracts/new", form, { notice: t("contracts.tender.read.done", { file: file.name, count: input.standards?.length ?? 0 }) }, 200);
      }
      return await tenderPage(c, t("contracts.tender.nothing", { file: file.name }));
    } finally {
      tendersInFlight--;
      rmSync(folder, { recursive: true, force: true });
    }
  });

  app.post("/contracts/import", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const t = c.get("t");
    const body = await c.req.parseBody();
    const file = body.file;
    if (!(file instanceof File) || file.size === 0) return listPage(c, { error: t("contracts.noFile") }, 400);
    if (file.size > MAX_UPLOAD_BYTES) return listPage(c, { error: t("import.tooLarge", { name: file.name, size: MAX_UPLOAD_BYTES / 1024 / 1024 }) }, 400);
    const { store, catalog } = c.get("services");
    try {
      const created = await importContracts(store.db, catalog, await file.text(), c.get("user")?.id ?? null);
      return await listPage(c, { notice: t("contracts.imported", { count: created.length }) });
    } catch (error) {
      if (error instanceof ValidationError) return listPage(c, { error: `${file.name}: ${error.message}` }, 400);
      throw error;
    }
  });

  app.get("/alerts.atom", (c) => feed(c, null));
  app.get("/contracts/:id/alerts.atom", (c) => feed(c, c.req.param("id")));

  app.get("/suppliers/:name", async (c) => {
    if (!c.get("user")) return forbidden(c);
    const t = c.get("t");
    const view = await supplierCompliance(c.get("services").store.db, c.req.param("name"));
    const body = html`${STYLE}<p>${t("contracts.counts", view.counts)}</p>
      ${view.contracts.length === 0 ? html`<p>${t("contracts.supplier.none")}</p>` : view.contracts.map((contract) => html`<h2><a href="/contracts/${contract.contract.id}">${contract.contract.title}</a></h2>
        <p>${t("contracts.col.buyer")}: ${contract.contract.buyer}${contract.contract.deadlineOn ? html` · ${t("contracts.col.deadline")}: ${contract.contract.deadlineOn}${contract.deadlinePassed ? html` (${t("contracts.deadlinePassed")})` : ""}` : ""}</p>
        ${complianceTable(c, contract)}`)}`;
    return c.html(page(pageContext(c), t("contracts.supplier", { name: view.supplier }), body));
  });

  app.get("/contracts/:id/edit", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const contract = await getContract(c.get("services").store.db, c.req.param("id"));
    if (!contract) return notFound(c);
    return formPage(c, `/contracts/${contract.id}/edit`, formFromContract(contract));
  });

  app.post("/contracts/:id/edit", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const { store, catalog } = c.get("services");
    const contract = await getContract(store.db, c.req.param("id"));
    if (!contract) return notFound(c);
    const body = await c.req.parseBody({ all: true });
    const form = formFromBody(body);
    const action = `/contracts/${contract.id}/edit`;
    if (text(body, "action") === "preview") return previewPage(c, action, form);
    try {
      await updateContract(store.db, catalog, contract.id, inputFromForm(c, form, contract.webhookSecret), c.get("user")?.id ?? null);
      return c.redirect(`/contracts/${contract.id}?done=saved`, 303);
    } catch (error) {
      if (error instanceof ValidationError || error instanceof FormError) return formPage(c, action, form, { error: error.message });
      throw error;
    }
  });

  app.post("/contracts/:id/delete", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    try {
      await deleteContract(c.get("services").store.db, c.req.param("id"), c.get("user")?.id ?? null);
    } catch (error) {
      if (error instanceof NotFoundError) return notFound(c);
      throw error;
    }
    return c.redirect("/contracts?done=deleted", 303);
  });

  app.post("/contracts/:id/run", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const { store, campaigns } = c.get("services");
    const contract = await getContract(store.db, c.req.param("id"));
    if (!contract) return notFound(c);
    if (!campaigns) return detailPage(c, contract, { error: c.get("t")("contracts.run.unavailable") }, 503);
    await campaigns.runNow("contract", contract.id);
    return c.redirect(`/contracts/${contract.id}?done=run`, 303);
  });

  app.post("/contracts/:id/exemptions", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const { store } = c.get("services");
    const contract = await getContract(store.db, c.req.param("id"));
    if (!contract) return notFound(c);
    const body = await c.req.parseBody({ all: true });
    try {
      await addExemption(store.db, contract.id, { standard: text(body, "standard"), reason: text(body, "reason"), decidedBy: text(body, "decidedBy"), expiresOn: text(body, "expiresOn") || null }, c.get("user")?.id ?? null);
    } catch (error) {
      if (error instanceof ValidationError) return detailPage(c, contract, { error: error.message }, 400);
      throw error;
    }
    return c.redirect(`/contracts/${contract.id}?done=exemption-added#exemptions`, 303);
  });

  app.post("/contracts/:id/exemptions/:exemption/delete", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    try {
      await removeExemption(c.get("services").store.db, c.req.param("id"), c.req.param("exemption"), c.get("user")?.id ?? null);
    } catch (error) {
      if (error instanceof NotFoundError) return notFound(c);
      throw error;
    }
    return c.redirect(`/contracts/${c.req.param("id")}?done=exemption-removed#exemptions`, 303);
  });

  app.get("/contracts/:id/:file{letter\\.(?:html|docx|md)}", async (c) => {
    if (!c.get("user")) return forbidden(c);
    const { store, catalog } = c.get("services");
    const contract = await getContract(store.db, c.req.param("id"));
    if (!contract) return notFound(c);
    const format = c.req.param("file").split(".")[1] as LetterFormat;
    const asked = c.req.query("lang");
    const language = (REQUIRED_LANGUAGES as readonly string[]).includes(asked ?? "") ? (asked as Language) : contract.language;
    const view = await contractCompliance(store.db, contract);
    const letter = await renderSupplierLetter(supplierLetter(view, catalog, { date: new Date().toISOString().slice(0, 10), language }), format);
    const name = `letter-${contract.supplier.replace(/[^\w.-]+/g, "-").slice(0, 60) || "supplier"}-${language}.${format}`;
    const types: Record<LetterFormat, string> = {
      html: "text/html; charset=utf-8",
      md: "text/markdown; charset=utf-8",
      docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    };
    c.header("Content-Type", types[format]);
    if (format !== "html") c.header("Content-Disposition", `attachment; filename="${name}"`);
    return c.body(typeof letter === "string" ? letter : new Uint8Array(letter));
  });

  app.get("/contracts/:id", async (c) => {
    if (!c.get("user")) return forbidden(c);
    const contract = await getContract(c.get("services").store.db, c.req.param("id"));
    if (!contract) return notFound(c);
    return detailPage(c, contract, notice(c));
  });
}

async function listPage(c: AppContext, status?: { notice?: string; error?: string }, code: 200 | 400 = 200): Promise<Response> {
  const t = c.get("t");
  const { store } = c.get("services");
  const contracts = await listContracts(store.db);
  const views: ContractCompliance[] = [];
  for (const contract of contracts) views.push(await contractCompliance(store.db, contract));
  const user = c.get("user");
  const token = user ? await feedToken(store.db, user.id) : null;
  const feedUrl = user && token ? `${new URL(c.req.url).origin}/alerts.atom?user=${encodeURIComponent(user.id)}&token=${token}` : null;
  const editor = canEdit(user);
  const body = html`${STYLE}<p>${t("contracts.intro")}</p>
    ${editor ? html`<p class="actions"><a href="/contracts/new">${t("contracts.new")}</a> · <a href="/contracts/from-tender">${t("contracts.fromTender")}</a></p>` : ""}
    ${views.length === 0
      ? html`<p>${t("contracts.none")}</p>`
      : html`<table><thead><tr><th scope="col">${t("contracts.col.title")}</th><th scope="col">${t("contracts.col.supplier")}</th><th scope="col">${t("contracts.col.buyer")}</th><th scope="col">${t("contracts.col.standards")}</th><th scope="col">${t("contracts.col.assets")}</th><th scope="col">${t("contracts.col.deadline")}</th><th scope="col">${t("contracts.col.status")}</th></tr></thead><tbody>
        ${views.map((view) => html`<tr><td><a href="/contracts/${view.contract.id}">${view.contract.title}</a></td><td><a href="/suppliers/${encodeURIComponent(view.contract.supplier)}">${view.contract.supplier}</a></td><td>${view.contract.buyer}</td>
          <td class="count">${view.contract.standards.length}</td><td class="count">${view.contract.assets.length}</td><td>${view.contract.deadlineOn ?? ""}${view.deadlinePassed ? html` <span class="muted">(${t("contracts.deadlinePassed")})</span>` : ""}</td>
          <td>${t("contracts.counts", view.counts as unknown as Record<string, number>)}</td></tr>`)}
      </tbody></table>`}
    ${feedUrl ? html`<h2>${t("contracts.feed")}</h2><p><a href="${feedUrl}" rel="alternate" type="application/atom+xml">${t("contracts.feed")}</a></p><p class="muted">${t("contracts.feedHint")}</p>` : ""}
    ${editor ? html`<h2>${t("contracts.import")}</h2><p>${t("contracts.importIntro")}</p>
      <form method="post" action="/contracts/import" enctype="multipart/form-data">${csrf(c)}
        <label for="import-file">${t("contracts.file")}</label><input id="import-file" name="file" type="file" accept="application/json,.json" required>
        <p><button type="submit">${t("contracts.import")}</button></p></form>` : ""}`;
  c.status(code);
  return c.html(page(pageContext(c), t("contracts.title"), body, status ?? notice(c)));
}

/** The form with the catalog's set for the chosen categories and CPV codes ticked. */
function previewPage(c: AppContext, action: string, form: FormState): Response | Promise<Response> {
  const t = c.get("t");
  const { catalog } = c.get("services");
  const cpv = form.cpv.split(/[\s,;]+/).filter(Boolean);
  try {
    const standards = catalogStandards(catalog, { categories: form.categories, cpv });
    const scope = [...form.categories.map((id) => (catalog.categories.some((category) => category.id === id) ? catalog.category(id).name[c.get("language")] : id)), ...cpv].join(", ");
    return formPage(c, action, { ...form, standards }, { notice: t("contracts.previewed", { scope, count: standards.length }) }, 200);
  } catch (error) {
    return formPage(c, action, form, { error: error instanceof Error ? error.message : String(error) });
  }
}

function formPage(c: AppContext, action: string, form: FormState, status?: { notice?: string; error?: string }, code?: 200 | 400): Response | Promise<Response> {
  const t = c.get("t");
  const { catalog } = c.get("services");
  const language = c.get("language");
  c.status(code ?? (status?.error ? 400 : 200));
  // The level each standard has for what is bought, when the scope gives one.
  const levels = new Map<string, string>();
  try {
    const cpv = form.cpv.split(/[\s,;]+/).filter(Boolean);
    if (form.categories.length || cpv.length) for (const requirement of requirementsFor(catalog, { categories: form.categories, cpv, level: "all" }).requirements) levels.set(requirement.standard, requirement.level);
  } catch {
    // An unknown category or code: the save names it.
  }
  const field = (name: keyof FormState, label: MessageKey, type = "text", required = false): SafeHtml =>
    html`<label for="f-${name}">${t(label)}</label><input id="f-${name}" name="${name}" type="${type}" value="${String(form[name])}"${required ? html` required` : ""}>`;
  const editing = action.endsWith("/edit");
  const body = html`${STYLE}<form method="post" action="${action}">${csrf(c)}
    ${field("title", "contracts.field.title", "text", true)}
    ${field("buyer", "contracts.field.buyer", "text", true)}
    ${field("supplier", "contracts.field.supplier", "text", true)}
    <label for="f-language">${t("contracts.field.language")}</label><select id="f-language" name="language">${REQUIRED_LANGUAGES.map((code) => html`<option value="${code}"${form.language === code ? html` selected` : ""}>${code}</option>`)}</select>
    <fieldset><legend>${t("contracts.field.categories")}</legend>
      ${catalog.categories.map((category) => html`<label><input type="checkbox" name="categories" value="${category.id}"${form.categories.includes(category.id) ? html` checked` : ""}> ${category.name[language]}</label>`)}
    </fieldset>
    ${field("cpv", "contracts.field.cpv")}
    <p><button type="submit" name="action" value="preview">${t("contracts.preview")}</button></p>
    <fieldset><legend>${t("contracts.field.standards")}</legend><p class="muted">${t("contracts.field.standardsHint")}</p>
      ${catalog.standards.map((standard) => {
        const level = levels.get(standard.id);
        return html`<label><input type="checkbox" name="standards" value="${standard.id}"${form.standards.includes(standard.id) ? html` checked` : ""}> ${standard.name[language]}${level ? html` <span class="muted">(${t(level === "mandatory" ? "contracts.level.mandatory" : "contracts.level.recommended")})</span>` : ""}</label>`;
      })}
    </fieldset>
    ${field("signedOn", "contracts.field.signedOn", "date")}
    ${field("deadlineOn", "contracts.field.deadlineOn", "date")}
    ${field("schedule", "contracts.field.schedule")}
    <label for="f-assets">${t("contracts.field.assets")}</label><textarea id="f-assets" name="assets" rows="4">${form.assets}</textarea>
    <label for="f-alertEmails">${t("contracts.field.alertEmails")}</label><textarea id="f-alertEmails" name="alertEmails" rows="2">${form.alertEmails}</textarea>
    ${field("webhookUrl", "contracts.field.webhookUrl", "url")}
    ${field("webhookSecret", "contracts.field.webhookSecret", "password")}
    <input type="hidden" name="source" value="${form.source}">
    ${form.source ? html`<p class="muted">${t("contracts.field.source")}: ${form.source}</p>` : ""}
    <p><button type="submit" name="action" value="save">${editing ? t("action.save") : t("contracts.create")}</button></p>
  </form>`;
  return c.html(page(pageContext(c), t(editing ? "contracts.edit" : "contracts.new"), body, status));
}

function tenderPage(c: AppContext, error?: string, code: 400 | 503 = 400): Response | Promise<Response> {
  const t = c.get("t");
  if (error) c.status(code);
  const body = html`<p>${t("contracts.tender.intro", { types: TENDER_TYPES.join(", "), size: MAX_UPLOAD_BYTES / 1024 / 1024 })}</p>
    <form method="post" action="/contracts/from-tender" enctype="multipart/form-data">${csrf(c)}
      <label for="tender-file">${t("contracts.tender.document")}</label><input id="tender-file" name="file" type="file" required>
      <p><button type="submit">${t("contracts.tender.read")}</button></p></form>`;
  return c.html(page(pageContext(c), t("contracts.fromTender"), body, error ? { error } : undefined));
}

function stateLabel(c: AppContext, cell: ComplianceCell): string {
  return c.get("t")(`contracts.state.${cell.state}` as MessageKey);
}

function complianceTable(c: AppContext, view: ContractCompliance): SafeHtml {
  const t = c.get("t");
  const { catalog } = c.get("services");
  const language = c.get("language");
  const name = (id: string): string => (catalog.hasStandard(id) ? catalog.standard(id).name[language] : id);
  if (view.cells.length === 0) return html`<p>${t("contracts.compliance.none")}</p>`;
  return html`<table class="compliance"><thead><tr><th scope="col">${t("contracts.col.standard")}</th><th scope="col">${t("contracts.col.asset")}</th><th scope="col">${t("contracts.col.state")}</th><th scope="col">${t("contracts.col.since")}</th><th scope="col">${t("contracts.col.evidence")}</th></tr></thead><tbody>
    ${view.cells.map((cell) => {
      const since =
        cell.state === "failing" && cell.failingSince
          ? t("contracts.failingSince", { date: when(cell.failingSince) })
          : cell.state === "exempted"
            ? cell.exemption?.expiresOn
              ? t("contracts.exemptUntil", { date: cell.exemption.expiresOn })
              : t("contracts.exemptNoEnd")
            : "";
      const evidence = cell.state === "exempted" ? (cell.exemption?.reason ?? "") : cell.tests.filter((test) => cell.state !== "failing" || test.status === "failed").slice(0, 3).map((test) => `${test.title}: ${test.summary}`).join(" · ");
      return html`<tr><td>${name(cell.standard)}</td><td>${cell.domain} (${cell.suite})</td><td class="state-${cell.state}">${stateLabel(c, cell)}</td><td>${since}</td><td>${evidence}</td></tr>`;
    })}
  </tbody></table>`;
}

async function detailPage(c: AppContext, contract: Contract, status?: { notice?: string; error?: string }, code: 200 | 400 | 503 = 200): Promise<Response> {
  const t = c.get("t");
  const { store, catalog } = c.get("services");
  const language = c.get("language");
  const view = await contractCompliance(store.db, contract);
  const runs = await listRuns(store.db, "contract", contract.id, 10);
  const progress = await countResults(store.db, runs.map((run) => run.id));
  const alerts = await listAlerts(store.db, { subjectKind: "contract", subjectId: contract.id, limit: 20 });
  const editor = canEdit(c.get("user"));
  const name = (id: string): string => (catalog.hasStandard(id) ? catalog.standard(id).name[language] : id);
  const today = new Date().toISOString().slice(0, 10);
  const user = c.get("user");
  const token = user ? await feedToken(store.db, user.id) : null;
  const feedUrl = user && token ? `/contracts/${contract.id}/alerts.atom?user=${encodeURIComponent(user.id)}&token=${token}` : null;
  const body = html`${STYLE}
    <dl class="facts">
      <dt>${t("contracts.col.buyer")}</dt><dd>${contract.buyer}</dd>
      <dt>${t("contracts.col.supplier")}</dt><dd><a href="/suppliers/${encodeURIComponent(contract.supplier)}">${contract.supplier}</a></dd>
      <dt>${t("contracts.signed")}</dt><dd>${contract.signedOn ?? ""}</dd>
      <dt>${t("contracts.col.deadline")}</dt><dd>${contract.deadlineOn ?? ""}${view.deadlinePassed ? html` (${t("contracts.deadlinePassed")})` : ""}</dd>
      <dt>${t("contracts.col.standards")}</dt><dd>${contract.standards.map(name).join(", ")}</dd>
      <dt>${t("contracts.col.assets")}</dt><dd>${contract.assets.map((asset) => `${asset.domain} (${asset.suite})`).join(", ")}</dd>
      <dt>${t("contracts.schedule")}</dt><dd>${contract.schedule}${contract.nextRunAt ? ` · ${t("contracts.nextRun")}: ${when(contract.nextRunAt)}` : ""}</dd>
      <dt>${t("contracts.lastRun")}</dt><dd>${view.lastRunAt ? when(view.lastRunAt) : t("contracts.never")}</dd>
      ${contract.source ? html`<dt>${t("contracts.field.source")}</dt><dd>${contract.source}</dd>` : ""}
    </dl>
    <div class="actions">
      ${editor ? html`<form method="post" action="/contracts/${contract.id}/run">${csrf(c)}<button type="submit">${t("contracts.runNow")}</button></form><a href="/contracts/${contract.id}/edit">${t("contracts.edit")}</a>` : ""}
    </div>
    <h2 id="compliance">${t("contracts.compliance")}</h2>
    <p class="muted">${t("contracts.compliance.intro")}</p>
    <p><strong>${t("contracts.counts", view.counts)}</strong></p>
    ${complianceTable(c, view)}
    ${view.manualStandards.length ? html`<p class="muted">${t("contracts.manual", { list: view.manualStandards.map(name).join(", ") })}</p>` : ""}
    <h2 id="letter">${t("contracts.letter")}</h2>
    <form method="get" action="/contracts/${contract.id}/letter.docx" class="inline">
      <label for="letter-lang">${t("contracts.letter.language")}</label><select id="letter-lang" name="lang">${REQUIRED_LANGUAGES.map((code) => html`<option value="${code}"${contract.language === code ? html` selected` : ""}>${code}</option>`)}</select>
      <button type="submit">${t("contracts.letter.get")} (DOCX)</button>
    </form>
    <p><a href="/contracts/${contract.id}/letter.html">HTML</a> · <a href="/contracts/${contract.id}/letter.md">Markdown</a> · <a href="/contracts/${contract.id}/letter.docx">DOCX</a></p>
    <h2 id="exemptions">${t("contracts.exemptions")}</h2>
    ${view.exemptions.length === 0
      ? html`<p>${t("contracts.exemptions.none")}</p>`
      : html`<table><thead><tr><th scope="col">${t("contracts.col.standard")}</th><th scope="col">${t("contracts.col.reason")}</th><th scope="col">${t("contracts.col.decidedBy")}</th><th scope="col">${t("contracts.col.expires")}</th><th scope="col">${t("contracts.col.active")}</th>${editor ? html`<th scope="col"></th>` : ""}</tr></thead><tbody>
        ${view.exemptions.map((exemption) => html`<tr><td>${name(exemption.standard)}</td><td>${exemption.reason}</td><td>${exemption.decidedBy}</td><td>${exemption.expiresOn ?? t("contracts.exemptNoEnd")}</td><td>${exemptionHolds(exemption, today) ? t("contracts.yes") : t("contracts.no")}</td>
          ${editor ? html`<td><form method="post" action="/contracts/${contract.id}/exemptions/${exemption.id}/delete">${csrf(c)}<button type="submit">${t("contracts.exemption.remove")}</button></form></td>` : ""}</tr>`)}
      </tbody></table>`}
    ${editor ? html`<h3>${t("contracts.exemption.add")}</h3><form method="post" action="/contracts/${contract.id}/exemptions">${csrf(c)}
      <label for="x-standard">${t("contracts.col.standard")}</label><select id="x-standard" name="standard">${contract.standards.map((id) => html`<option value="${id}">${name(id)}</option>`)}</select>
      <label for="x-reason">${t("contracts.col.reason")}</label><input id="x-reason" name="reason" type="text" required>
      <label for="x-decidedBy">${t("contracts.col.decidedBy")}</label><input id="x-decidedBy" name="decidedBy" type="text" required>
      <label for="x-expiresOn">${t("contracts.col.expires")}</label><input id="x-expiresOn" name="expiresOn" type="date">
      <p><button type="submit">${t("contracts.exemption.add")}</button></p></form>` : ""}
    <h2 id="runs">${t("contracts.runs")}</h2>
    ${runs.length === 0
      ? html`<p>${t("contracts.runs.none")}</p>`
      : html`<table><thead><tr><th scope="col">${t("contracts.col.created")}</th><th scope="col">${t("contracts.col.status")}</th><th scope="col">${t("contracts.col.progress")}</th></tr></thead><tbody>
        ${runs.map((run) => html`<tr><td>${when(run.createdAt)}</td><td>${run.status}</td><td>${progress.get(run.id) ?? 0} / ${run.total}</td></tr>`)}</tbody></table>`}
    <h2 id="alerts">${t("contracts.alerts")}</h2>
    ${alerts.length === 0 ? html`<p>${t("contracts.alerts.none")}</p>` : alertsTable(c, alerts)}
    ${feedUrl ? html`<p><a href="${feedUrl}" type="application/atom+xml">${t("contracts.feed")}</a> <span class="muted">${t("contracts.feedHint")}</span></p>` : ""}
    ${editor ? html`<h2>${t("contracts.delete")}</h2><form method="post" action="/contracts/${contract.id}/delete">${csrf(c)}<button type="submit">${t("contracts.delete")}</button></form>` : ""}`;
  c.status(code);
  return c.html(page(pageContext(c), contract.title, body, status));
}

function alertsTable(c: AppContext, alerts: readonly AlertRecord[]): SafeHtml {
  const t = c.get("t");
  return html`<table><thead><tr><th scope="col">${t("contracts.col.created")}</th><th scope="col">${t("contracts.col.kind")}</th><th scope="col">${t("contracts.col.alert")}</th><th scope="col">${t("contracts.col.email")}</th><th scope="col">${t("contracts.col.webhook")}</th></tr></thead><tbody>
    ${alerts.map((alert) => html`<tr><td>${when(alert.createdAt)}</td><td>${t(`contracts.alert.${alert.kind}` as MessageKey)}</td><td>${alert.title}</td><td>${alert.emailState}</td><td>${alert.webhookState}</td></tr>`)}
  </tbody></table>`;
}

/** An Atom feed of contract alerts: for a session, or for ?user=&token= (delivery.ts feedToken). */
async function feed(c: AppContext, contractId: string | null): Promise<Response> {
  const { store } = c.get("services");
  let allowed = c.get("user") !== null;
  if (!allowed) allowed = await verifyFeedToken(store.db, c.req.query("user") ?? "", c.req.query("token") ?? "");
  if (!allowed) {
    c.status(401);
    return c.text(c.get("t")("contracts.feed.refused"));
  }
  let title = "Baseline: alerts of contracts and portfolios";
  if (contractId !== null) {
    const contract = await getContract(store.db, contractId);
    if (!contract) return c.text("not found", 404);
    title = `Baseline: ${contract.title}`;
  }
  // The installation's feed has the portfolios' alerts too (batch requests raise none).
  const alerts = contractId ? await listAlerts(store.db, { subjectKind: "contract", subjectId: contractId, limit: 100 }) : (await listAlerts(store.db, { limit: 200 })).filter((alert) => alert.subjectKind !== "batch").slice(0, 100);
  const url = new URL(c.req.url);
  c.header("Content-Type", "application/atom+xml; charset=utf-8");
  return c.body(atomFeed(alerts, { id: `${url.origin}${url.pathname}`, title, baseUrl: url.origin, selfUrl: url.toString() }));
}
