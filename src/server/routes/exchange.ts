/**
 * The exports (JSON and CSV, cached per data revision and built off the
 * event loop), importing observatory data (JSON or CSV, in a worker
 * thread), and pre-filling a policy's cited
 * standards from an uploaded document with the tender monitor's detector
 * (the researcher confirms in the form). Uploads are capped in size and
 * limited to known document types.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { knownIdsOf, type CsvTable, type ImportReport } from "../../store/index.ts";
import { documentPool } from "../../tenders/worker/document-pool.ts";
import { canEdit, pageContext, visibleStates, type AppContext, type AppEnv } from "../context.ts";
import { streamOf } from "../export-cache.ts";
import { html, type SafeHtml } from "../html.ts";
import { localizedMessage, localizedTenderError } from "../issue-messages.ts";
import { page } from "../layout.ts";
import { WorkBusyError, WorkLimitError } from "../workers/heavy-work.ts";
import type { ExportFormat } from "../workers/store-jobs.ts";

/** Upload limits: observatory files and policy documents. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const DOCUMENT_TYPES = [".pdf", ".docx", ".html", ".htm", ".txt", ".md"];
/**
 * Bad rows listed in an import report; the rest are counted. Enough to see
 * what is wrong with a file, while a 10 MiB file of bad rows (some hundred
 * thousand) would otherwise make a page of hundreds of MiB.
 */
export const MAX_REPORTED_ERRORS = 100;
/**
 * Pre-fills being read or waiting for the document pool's one worker
 * (tenders/worker/document-pool.ts, whose own queue has no bound). A hostile
 * document may take up to the pool's 120 s limit; past this many, an editor
 * gets a 503 at once rather than a request left open for minutes.
 */
export const MAX_PREFILLS_IN_FLIGHT = 3;
let prefillsInFlight = 0;

export function registerExchangeRoutes(app: Hono<AppEnv>): void {
  // What the visitor may see, like /export.json: published policies for anonymous visitors, all for signed-in users.
  for (const table of ["institutions", "policies"] as const) app.get(`/export/${table}.csv`, (c) => sendExport(c, `${table}.csv`));

  app.get("/import", (c) => importPage(c));
  app.post("/import", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const t = c.get("t");
    const body = await c.req.parseBody();
    const file = body.file;
    if (!(file instanceof File) || file.size === 0) return importPage(c, t("import.noFile"));
    if (file.size > MAX_UPLOAD_BYTES) return importPage(c, t("import.tooLarge", { name: file.name, size: MAX_UPLOAD_BYTES / 1024 / 1024 }));
    const { store, catalog, heavyWork } = c.get("services");
    const actorId = c.get("user")?.id ?? null;
    const table = CSV_TABLES.find((value) => value === body.table);
    // Read, checked and written in a worker thread (workers/heavy-work.ts): the server answers others meanwhile.
    const job = { kind: "import" as const, bytes: new Uint8Array(await file.arrayBuffer()), fileName: file.name, fileType: file.type, table, actorId, known: knownIdsOf(catalog) };
    const outcome = await heavyWorkOutcome(c, () => heavyWork.run(store.db, job, actorId ?? "anonymous"));
    if (outcome instanceof Response) return outcome;
    if ("notJson" in outcome) return importPage(c, t("import.notJson", { name: file.name, reason: outcome.notJson }));
    if ("invalid" in outcome) return importPage(c, `${file.name}: ${localizedMessage(outcome.invalid, t)}`);
    return reportPage(c, outcome.report, outcome.format);
  });

  app.get("/policies/prefill", (c) => (canEdit(c.get("user")) ? prefillPage(c) : forbidden(c)));
  app.post("/policies/prefill", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const body = await c.req.parseBody();
    const file = body.file;
    const t = c.get("t");
    if (!(file instanceof File) || file.size === 0) return prefillPage(c, t("prefill.choose"));
    const extension = file.name.toLowerCase().match(/\.[a-z]+$/)?.[0] ?? "";
    if (!DOCUMENT_TYPES.includes(extension)) return prefillPage(c, t("prefill.wrongType", { file: file.name, types: DOCUMENT_TYPES.join(", ") }));
    if (file.size > MAX_UPLOAD_BYTES) return prefillPage(c, t("import.tooLarge", { name: file.name, size: MAX_UPLOAD_BYTES / 1024 / 1024 }));
    if (prefillsInFlight >= MAX_PREFILLS_IN_FLIGHT) {
      c.header("Retry-After", "60");
      return prefillPage(c, t("prefill.busy", { max: MAX_PREFILLS_IN_FLIGHT }), 503);
    }
    const folder = mkdtempSync(join(tmpdir(), "baseline-upload-"));
    prefillsInFlight++;
    try {
      const path = join(folder, `document${extension}`);
      writeFileSync(path, new Uint8Array(await file.arrayBuffer()));
      // Read in the tender pool's worker, under its memory and time limits: a hostile document costs the
      // visitor an error, never the server its event loop (finding 13 of issue 15).
      for await (const item of documentPool().analyzeFile(path)) {
        if ("error" in item) return await prefillPage(c, `${file.name}: ${localizedTenderError(item.error, t)}`);
        const query = new URLSearchParams();
        for (const entry of item.requested) query.append("standard", entry.standard);
        if (item.title) query.set("title", item.title);
        return c.redirect(`/policies/new?${query.toString()}`, 303);
      }
      return await prefillPage(c, t("prefill.nothing", { file: file.name }));
    } finally {
      prefillsInFlight--;
      rmSync(folder, { recursive: true, force: true });
    }
  });
}

/**
 * An export (/export.json, /export/*.csv) of what the visitor may see, from
 * the export cache (export-cache.ts): built once per data revision in a
 * worker, then the same bytes for every reader, streamed chunk by chunk.
 */
export async function sendExport(c: AppContext, format: ExportFormat): Promise<Response> {
  const { store, heavyWork, exportCache } = c.get("services");
  const reviewStates = visibleStates(c);
  const key = `${format}:${reviewStates.join(",")}`;
  const bytes = await heavyWorkOutcome(c, () => exportCache.get(store.db, key, () => heavyWork.run(store.db, { kind: "export", format, reviewStates }, key)));
  if (bytes instanceof Response) return bytes;
  c.header("Content-Type", format === "json" ? "application/json; charset=utf-8" : "text/csv; charset=utf-8");
  c.header("Content-Disposition", `attachment; filename="${format === "json" ? "observatory.json" : format}"`);
  c.header("Content-Length", String(bytes.byteLength));
  return c.body(streamOf(bytes));
}

/** The job's result, or the page saying the server is busy (503) or stopped the job at its limits. */
async function heavyWorkOutcome<T>(c: AppContext, run: () => Promise<T>): Promise<T | Response> {
  const t = c.get("t");
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof WorkBusyError || error instanceof WorkLimitError)) throw error;
    c.status(503);
    if (error instanceof WorkBusyError) c.header("Retry-After", "60");
    return c.html(page(pageContext(c), t("error.title"), html``, { error: error instanceof WorkBusyError ? t("work.busy") : t("work.limit", { reason: error.message }) }));
  }
}

function forbidden(c: AppContext): Response | Promise<Response> {
  c.status(c.get("user") ? 403 : 401);
  return c.html(page(pageContext(c), c.get("t")("error.forbidden"), html``));
}

const CSV_TABLES: readonly CsvTable[] = ["institutions", "policies"];

function exportLinks(c: AppContext): SafeHtml {
  const t = c.get("t");
  return html`<p>${t("action.export")}: <a href="/export.json">JSON</a> · <a href="/export/institutions.csv">${t("nav.institutions")} (CSV)</a> · <a href="/export/policies.csv">${t("nav.policies")} (CSV)</a></p>`;
}

function importPage(c: AppContext, error?: string): Response | Promise<Response> {
  if (error) c.status(400);
  const t = c.get("t");
  const body = html`<p>${t("import.intro")}</p>
    <p>${t("import.csvFormat")}</p>
    ${exportLinks(c)}
    ${canEdit(c.get("user")) ? html`<form method="post" action="/import" enctype="multipart/form-data">
      <input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">
      <label for="file">${t("import.file")}</label><input id="file" name="file" type="file" accept="application/json,.json,text/csv,.csv" required>
      <label for="table">${t("import.table")}</label><select id="table" name="table">
        <option value="">${t("import.tableFromHeader")}</option>
        <option value="institutions">${t("nav.institutions")}</option>
        <option value="policies">${t("nav.policies")}</option>
      </select>
      <p><button type="submit">${t("import.submit")}</button></p></form>` : html`<p>${t("error.forbidden")}</p>`}`;
  return c.html(page(pageContext(c), t("import.title"), body, error ? { error } : undefined));
}

/** The outcome of an import: the counts, and the first bad rows (MAX_REPORTED_ERRORS) with where each is (its line, for CSV) and why. */
function reportPage(c: AppContext, report: ImportReport, format: "csv" | "json"): Response | Promise<Response> {
  const t = c.get("t");
  const tableName = (table: ImportReport["errors"][number]["table"]): string => t(table === "institutions" ? "nav.institutions" : "nav.policies");
  const shown = report.errors.slice(0, MAX_REPORTED_ERRORS);
  const unlisted = report.errors.length - shown.length;
  const body = html`<p class="notice" role="status">${t("import.done", { imported: report.imported, institutions: report.institutions, policies: report.policies })}</p>
    ${shown.length ? html`<table><thead><tr><th scope="col">${t("import.where")}</th><th scope="col">${t(format === "csv" ? "import.line" : "import.row")}</th><th scope="col">${t("import.problem")}</th></tr></thead>
      <tbody>${shown.map((error) => html`<tr><td>${tableName(error.table)}</td><td>${error.row}</td><td>${localizedMessage(error.message, t)}</td></tr>`)}</tbody></table>` : ""}
    ${unlisted > 0 ? html`<p>${t("import.moreProblems", { count: unlisted, shown: shown.length })}</p>` : ""}
    <p><a href="/import">${t("import.again")}</a></p>`;
  if (report.errors.length) c.status(400);
  return c.html(page(pageContext(c), t("import.title"), body));
}

function prefillPage(c: AppContext, error?: string, status: 400 | 503 = 400): Response | Promise<Response> {
  if (error) c.status(status);
  const t = c.get("t");
  const body = html`<p>${t("prefill.intro", { types: DOCUMENT_TYPES.join(", "), size: MAX_UPLOAD_BYTES / 1024 / 1024 })}</p>
    <form method="post" action="/policies/prefill" enctype="multipart/form-data">
      <input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">
      <label for="file">${t("prefill.document")}</label><input id="file" name="file" type="file" required>
      <p><button type="submit">${t("prefill.read")}</button></p></form>`;
  return c.html(page(pageContext(c), t("prefill.title"), body, error ? { error } : undefined));
}
