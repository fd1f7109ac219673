/**
 * Comparing institutions side by side, importing observatory data, and
 * pre-filling a policy's cited standards from an uploaded document with
 * the tender monitor's detector (the researcher confirms in the form).
 * Uploads are capped in size and limited to known document types.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { getInstitution, importObservatory, knownIdsOf, listPolicies, REVIEW_STATES, PUBLIC_REVIEW_STATES } from "../../store/index.ts";
import { detectRequests } from "../../tenders/detect.ts";
import { ingestPaths } from "../../tenders/ingest/index.ts";
import { canEdit, pageContext, type AppContext, type AppEnv } from "../context.ts";
import { html } from "../html.ts";
import { page } from "../layout.ts";

/** Upload limits: observatory files and policy documents. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const DOCUMENT_TYPES = [".pdf", ".docx", ".html", ".htm", ".txt", ".md"];

export function registerExchangeRoutes(app: Hono<AppEnv>): void {
  app.get("/compare", async (c) => {
    const { store, catalog } = c.get("services");
    const t = c.get("t");
    const ids = (c.req.queries("institution") ?? []).slice(0, 3);
    const reviewStates = c.get("user") ? REVIEW_STATES : PUBLIC_REVIEW_STATES;
    const columns = await Promise.all(
      ids.map(async (id) => {
        const institution = await getInstitution(store.db, id);
        const { items } = await listPolicies(store.db, { institutionId: id, reviewStates, limit: 500 });
        return institution ? { institution, standards: new Set(items.flatMap((policy) => policy.standards)), policies: items.length } : undefined;
      }),
    );
    const present = columns.filter((column) => column !== undefined);
    const body = html`<form method="get" action="/compare" class="inline">
        ${[0, 1, 2].map((index) => html`<div><label for="i${index}">${t("field.institution")} ${index + 1}</label><input id="i${index}" name="institution" type="text" value="${ids[index] ?? ""}" placeholder="id"></div>`)}
        <div><button type="submit">${t("action.filter")}</button></div>
      </form>
      ${present.length === 0 ? html`<p>${t("list.empty")}</p>` : html`<table>
        <thead><tr><th scope="col">${t("field.standards")}</th>${present.map((column) => html`<th scope="col"><a href="/institutions/${column.institution.id}">${column.institution.name}</a> (${column.policies})</th>`)}</tr></thead>
        <tbody>${catalog.standards.map((standard) => html`<tr><th scope="row">${standard.id}</th>${present.map((column) => (column.standards.has(standard.id) ? html`<td>✓</td>` : html`<td class="gap"></td>`))}</tr>`)}</tbody>
      </table>`}`;
    return c.html(page(pageContext(c), "Compare", body));
  });

  app.get("/import", (c) => importPage(c));
  app.post("/import", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const body = await c.req.parseBody();
    const file = body.file;
    if (!(file instanceof File) || file.size === 0) return importPage(c, "choose a JSON file exported from an observatory");
    if (file.size > MAX_UPLOAD_BYTES) return importPage(c, `${file.name}: larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB`);
    let data: unknown;
    try {
      data = JSON.parse(await file.text());
    } catch (error) {
      return importPage(c, `${file.name}: not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    const { store, catalog } = c.get("services");
    const report = await importObservatory(store.db, data, c.get("user")?.id ?? null, { known: knownIdsOf(catalog) });
    const rows = html`<p class="notice" role="status">${report.imported} imported (${report.institutions} institutions, ${report.policies} policies).</p>
      ${report.errors.length ? html`<table><thead><tr><th scope="col">table</th><th scope="col">row</th><th scope="col">problem</th></tr></thead><tbody>${report.errors.map((error) => html`<tr><td>${error.table}</td><td>${error.row}</td><td>${error.message}</td></tr>`)}</tbody></table>` : ""}`;
    if (report.errors.length) c.status(400);
    return c.html(page(pageContext(c), "Import", rows));
  });

  app.get("/policies/prefill", (c) => (canEdit(c.get("user")) ? prefillPage(c) : forbidden(c)));
  app.post("/policies/prefill", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const body = await c.req.parseBody();
    const file = body.file;
    if (!(file instanceof File) || file.size === 0) return prefillPage(c, "choose a document");
    const extension = file.name.toLowerCase().match(/\.[a-z]+$/)?.[0] ?? "";
    if (!DOCUMENT_TYPES.includes(extension)) return prefillPage(c, `${file.name}: only ${DOCUMENT_TYPES.join(", ")} documents are read`);
    if (file.size > MAX_UPLOAD_BYTES) return prefillPage(c, `${file.name}: larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB`);
    const folder = mkdtempSync(join(tmpdir(), "baseline-upload-"));
    try {
      const path = join(folder, `document${extension}`);
      writeFileSync(path, new Uint8Array(await file.arrayBuffer()));
      for await (const item of ingestPaths([path])) {
        if ("error" in item) return await prefillPage(c, `${file.name}: ${item.error}`);
        const detection = detectRequests(item, c.get("services").catalog);
        const query = new URLSearchParams();
        for (const entry of detection.requested) query.append("standard", entry.standard);
        if (item.title) query.set("title", item.title);
        return c.redirect(`/policies/new?${query.toString()}`, 303);
      }
      return await prefillPage(c, `${file.name}: nothing could be read`);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
}

function forbidden(c: AppContext): Response | Promise<Response> {
  c.status(c.get("user") ? 403 : 401);
  return c.html(page(pageContext(c), c.get("t")("error.forbidden"), html``));
}

function importPage(c: AppContext, error?: string): Response | Promise<Response> {
  if (error) c.status(400);
  const body = html`<p>JSON as exported from <a href="/export.json">/export.json</a>. Each bad row is reported; good rows are imported.</p>
    ${canEdit(c.get("user")) ? html`<form method="post" action="/import" enctype="multipart/form-data">
      <input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">
      <label for="file">File</label><input id="file" name="file" type="file" accept="application/json,.json" required>
      <p><button type="submit">Import</button></p></form>` : html`<p>${c.get("t")("error.forbidden")}</p>`}`;
  return c.html(page(pageContext(c), "Import", body, error ? { error } : undefined));
}

function prefillPage(c: AppContext, error?: string): Response | Promise<Response> {
  if (error) c.status(400);
  const body = html`<p>Upload the policy document (${DOCUMENT_TYPES.join(", ")}, at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB): the standards it cites are pre-filled in a new policy form for you to confirm.</p>
    <form method="post" action="/policies/prefill" enctype="multipart/form-data">
      <input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">
      <label for="file">Document</label><input id="file" name="file" type="file" required>
      <p><button type="submit">Read</button></p></form>`;
  return c.html(page(pageContext(c), "Pre-fill from a document", body, error ? { error } : undefined));
}
