/**
 * Surveys for staff: the list, importing an XLSForm (or the starter
 * survey), a survey's settings (public link or invitations, opening and
 * closing, privacy notice, consent), invitations by e-mail, the results
 * (per question counts and percentages with a chart, numeric summaries,
 * free-text answers, a cross-tabulation by any select question, and region
 * and sector linked to the observatory), and the exports (CSV, XLSX, JSON,
 * SPSS syntax), streamed.
 *
 * Signed-in staff only. Viewers read the results and download the exports
 * (the answers are anonymous, and a viewer sees them on the page anyway);
 * editors and admins import, change settings, invite and delete.
 */
import { readFile } from "node:fs/promises";
import { PassThrough, Readable, type Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { formErrorLine, FormError, MAX_FORM_BYTES, readXlsForm } from "../../surveys/xlsform.ts";

/** Problems of an upload listed at most, then counted (as the CLI does). */
const MAX_ERROR_LINES = 20;
import { exportCsv } from "../../surveys/export-csv.ts";
import { exportJson } from "../../surveys/export-json.ts";
import { exportSpss } from "../../surveys/export-spss.ts";
import { exportXlsx } from "../../surveys/export-xlsx.ts";
import type { ExportResponse } from "../../surveys/export-columns.ts";
import type { Form } from "../../surveys/form.ts";
import {
  countResponses,
  createInvitations,
  createSurvey,
  deleteSurvey,
  getSurvey,
  iterateResponses,
  listInvitations,
  listSurveys,
  markInvitationSent,
  NotFoundError,
  SURVEY_MODES,
  updateSurveySettings,
  ValidationError,
  type Survey,
  type SurveyMode,
} from "../../store/index.ts";
import { canEdit, pageContext, type AppContext, type AppEnv } from "../context.ts";
import { formFields, textField } from "../form-fields.ts";
import { editorsOnly, requireSignedIn } from "../staff-pages.ts";
import { html, raw, utcMinute, type SafeHtml } from "../html.ts";
import { page } from "../layout.ts";
import { InvitationMailer } from "../survey-mail.ts";
import { resultsSection, RESULTS_STYLE, staffLanguage } from "../survey-results.ts";
import { surveyStatus, type SurveyOptions } from "./surveys.ts";

/** The starter survey (issue 12 §5), shipped with the project. */
export const STARTER_SURVEY = fileURLToPath(new URL("../../../data/surveys/procurement-policies.xlsx", import.meta.url));

/** Addresses one paste may invite: a mailing of a few hundred at a time. */
const MAX_INVITATIONS_AT_ONCE = 1000;
/** How long one paste may spend sending (each message has its own 10 s timeouts too). */
const INVITATION_SENDING_BUDGET_MS = 60_000;

const STYLE = `
.sa-actions{display:flex;flex-wrap:wrap;gap:.6rem 1.2rem;align-items:center;margin:.6rem 0}
.sa-actions form{margin:0}
.sa-link{overflow-wrap:anywhere}
.sa-summary{display:flex;flex-wrap:wrap;gap:.6rem;margin:.6rem 0;padding:0;list-style:none}
.sa-summary li{border:1px solid #c9d3dd;border-radius:4px;padding:.4rem .8rem;min-width:9rem}
.sa-summary strong{display:block;font-size:1.4rem}
.sa-cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.5rem;align-items:start}
@media (max-width:50rem){.sa-cols{grid-template-columns:1fr}}
fieldset.sa-radios label{font-weight:normal;margin:.2rem 0}
.sa-scroll{overflow-x:auto}
`;


/** The exports: each writes to a stream, reading the responses afresh from the function (SPSS reads them twice); labels in `language`. */
type Writer = (form: Form, responses: () => AsyncIterable<ExportResponse>, out: Writable, language: string) => Promise<void>;
const EXPORTS = {
  csv: { suffix: "csv", type: "text/csv; charset=utf-8", write: (form, responses, out) => exportCsv(form, responses, out) },
  "csv-labels": { suffix: "csv", type: "text/csv; charset=utf-8", write: (form, responses, out, language) => exportCsv(form, responses, out, { labels: true, language }) },
  xlsx: { suffix: "xlsx", type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", write: (form, responses, out, language) => exportXlsx(form, responses, out, { language }) },
  json: { suffix: "json", type: "application/json; charset=utf-8", write: (form, responses, out) => exportJson(form, responses, out) },
  sps: { suffix: "sps", type: "text/plain; charset=utf-8", write: (form, responses, out, language) => exportSpss(form, responses, out, { language }) },
} as const satisfies Record<string, { suffix: string; type: string; write: Writer }>;
type ExportFormat = keyof typeof EXPORTS;

export function registerSurveyAdminRoutes(app: Hono<AppEnv>, options: SurveyOptions = {}): void {
  const mailer = new InvitationMailer({ ...(options.smtpUrl ? { smtpUrl: options.smtpUrl } : {}), ...(options.mailFrom ? { mailFrom: options.mailFrom } : {}), ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) });

  app.use("/surveys/admin", requireUser);
  app.use("/surveys/admin/*", requireUser);

  app.get("/surveys/admin", (c) => listPage(c));

  app.post("/surveys/admin/upload", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const t = c.get("t");
    const form = await formOf(c);
    const file = form.file;
    if (!(file instanceof File) || file.size === 0) return listPage(c, { error: t("surveys.admin.noFile") }, 400);
    if (file.size > MAX_FORM_BYTES) return listPage(c, { error: `${file.name}: ${t("surveys.admin.tooLarge", { max: MAX_FORM_BYTES / 1024 / 1024 })}` }, 400);
    return importForm(c, new Uint8Array(await file.arrayBuffer()), file.name);
  });

  app.post("/surveys/admin/starter", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(STARTER_SURVEY));
    } catch {
      return listPage(c, { error: c.get("t")("surveys.admin.noStarter") }, 500);
    }
    return importForm(c, bytes, "procurement-policies.xlsx");
  });

  app.get("/surveys/admin/:id", async (c) => {
    const survey = await getSurvey(c.get("services").store.db, c.req.param("id"));
    if (!survey) return c.notFound();
    const t = c.get("t");
    const notice = c.req.query("created") ? t("surveys.admin.created") : c.req.query("saved") ? t("surveys.admin.saved") : undefined;
    return surveyPage(c, survey, mailer, notice ? { notice } : {});
  });

  app.post("/surveys/admin/:id/settings", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const { store } = c.get("services");
    const t = c.get("t");
    const survey = await getSurvey(store.db, c.req.param("id"));
    if (!survey) return c.notFound();
    const form = await formOf(c);
    const mode = SURVEY_MODES.find((value) => value === text(form, "mode")) ?? survey.mode;
    const opensAt = dateTimeOf(text(form, "opensAt"));
    const closesAt = dateTimeOf(text(form, "closesAt"));
    const values = { mode, opensAt, closesAt, privacyNotice: text(form, "privacyNotice").trim(), consentText: text(form, "consentText").trim() };
    if (opensAt === undefined || closesAt === undefined) return surveyPage(c, { ...survey, ...values, opensAt: survey.opensAt, closesAt: survey.closesAt }, mailer, { error: t("surveys.admin.badDate") }, 400);
    if (opensAt && closesAt && Date.parse(opensAt) >= Date.parse(closesAt)) return surveyPage(c, { ...survey, ...values, opensAt, closesAt }, mailer, { error: t("surveys.admin.datesOrder") }, 400);
    try {
      await updateSurveySettings(store.db, survey.id, { ...values, opensAt, closesAt }, c.get("user")?.id ?? null);
    } catch (error) {
      if (error instanceof ValidationError) return surveyPage(c, survey, mailer, { error: error.issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ") }, 400);
      throw error;
    }
    return c.redirect(`/surveys/admin/${survey.id}?saved=1`, 303);
  });

  app.post("/surveys/admin/:id/invitations", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const { store } = c.get("services");
    const t = c.get("t");
    const survey = await getSurvey(store.db, c.req.param("id"));
    if (!survey) return c.notFound();
    const form = await formOf(c);
    if (!mailer.configured) return surveyPage(c, survey, mailer, { error: t("surveys.invite.noSmtp") }, 503);
    const emails = [...new Set(text(form, "emails").split(/[\s,;]+/).map((email) => email.trim().toLowerCase()).filter(Boolean))];
    const bad = emails.filter((email) => !/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>".]+$/.test(email));
    if (emails.length === 0) return surveyPage(c, survey, mailer, { error: t("surveys.invite.none") }, 400);
    if (bad.length) return surveyPage(c, survey, mailer, { error: t("surveys.invite.bad", { addresses: bad.slice(0, 10).join(", ") }) }, 400);
    if (emails.length > MAX_INVITATIONS_AT_ONCE) return surveyPage(c, survey, mailer, { error: t("surveys.invite.tooMany", { max: MAX_INVITATIONS_AT_ONCE }) }, 400);
    const base = mailer.base(c.req.url);
    const made = await createInvitations(store.db, survey.id, emails, c.get("user")?.id ?? null);
    const failed: string[] = [];
    // A slow SMTP server must not hold the page for ever: what is left after the budget stays "not sent", to be invited again.
    const deadline = Date.now() + INVITATION_SENDING_BUDGET_MS;
    for (const invitation of made) {
      if (Date.now() > deadline) {
        failed.push(`${invitation.email} (${t("surveys.invite.outOfTime")})`);
        continue;
      }
      const link = `${base}/surveys/${survey.id}?invite=${encodeURIComponent(invitation.token)}`;
      try {
        await mailer.send({ to: invitation.email, subject: t("surveys.mail.subject", { title: survey.title }), text: t("surveys.mail.body", { title: survey.title, link }) });
        await markInvitationSent(store.db, invitation.id, new Date());
      } catch (error) {
        failed.push(`${invitation.email} (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`);
      }
    }
    const sent = made.length - failed.length;
    if (failed.length) return surveyPage(c, survey, mailer, { error: t("surveys.invite.failed", { sent, failed: failed.length, addresses: failed.slice(0, 10).join("; ") }) }, 502);
    return surveyPage(c, survey, mailer, { notice: t("surveys.invite.sent", { sent }) });
  });

  app.post("/surveys/admin/:id/delete", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const form = await formOf(c);
    const { store } = c.get("services");
    if (text(form, "confirm") !== "on") throw new HTTPException(400, { message: c.get("t")("surveys.admin.confirmNeeded") });
    try {
      await deleteSurvey(store.db, c.req.param("id"), c.get("user")?.id ?? null);
    } catch (error) {
      if (error instanceof NotFoundError) return c.notFound();
      throw error;
    }
    return c.redirect("/surveys/admin", 303);
  });

  app.get("/surveys/admin/:id/export/:format", async (c) => {
    const survey = await getSurvey(c.get("services").store.db, c.req.param("id"));
    const format = Object.keys(EXPORTS).find((key): key is ExportFormat => key === c.req.param("format"));
    if (!survey || !format) return c.notFound();
    const { suffix, type, write } = EXPORTS[format];
    const form = survey.form as Form;
    const out = new PassThrough();
    const db = c.get("services").store.db;
    // Streamed: the exporter writes as it reads the responses in batches, whatever their number.
    void write(form, () => iterateResponses(db, survey.id), out, staffLanguage(c, form)).then(
      () => {
        if (!out.writableEnded) out.end();
      },
      (error: unknown) => {
        console.error(error);
        out.destroy(error instanceof Error ? error : new Error(String(error)));
      },
    );
    const name = `${survey.formId.replace(/[^\w.-]+/g, "_") || "survey"}${format === "csv-labels" ? "-labels" : ""}-${new Date().toISOString().slice(0, 10)}.${suffix}`;
    return new Response(Readable.toWeb(out) as ReadableStream<Uint8Array>, {
      headers: { "Content-Type": type, "Content-Disposition": `attachment; filename="${name}"`, "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff" },
    });
  });
}

async function importForm(c: AppContext, bytes: Uint8Array, fileName: string): Promise<Response> {
  const { store } = c.get("services");
  let form: Form;
  try {
    form = await readXlsForm(bytes, fileName);
  } catch (error) {
    // Every problem, one line each, as `baseline survey validate` prints them (and as many at most).
    if (error instanceof FormError) {
      const all = [error, ...error.others];
      const lines = all.slice(0, MAX_ERROR_LINES).map((each) => formErrorLine(fileName, each));
      if (all.length > MAX_ERROR_LINES) lines.push(`${fileName}: ... and ${all.length - MAX_ERROR_LINES} more errors`);
      return listPage(c, { error: lines.join("\n") }, 400);
    }
    throw error;
  }
  try {
    const survey = await createSurvey(store.db, { form, formId: form.id, title: form.title, version: form.version, fileName }, c.get("user")?.id ?? null);
    return c.redirect(`/surveys/admin/${survey.id}?created=1`, 303);
  } catch (error) {
    if (error instanceof ValidationError) return listPage(c, { error: `${fileName}: ${error.issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}` }, 400);
    throw error;
  }
}

async function listPage(c: AppContext, status: { notice?: string; error?: string } = {}, code: 200 | 400 | 500 = 200): Promise<Response> {
  const t = c.get("t");
  const surveys = await listSurveys(c.get("services").store.db);
  const now = new Date();
  const csrf = html`<input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">`;
  const rows = surveys.map(
    (survey) => html`<tr>
      <th scope="row"><a href="/surveys/admin/${survey.id}">${survey.title}</a><br><span class="muted">${survey.fileName}${survey.version ? ` · ${survey.version}` : ""}</span></th>
      <td>${t(`surveys.mode.${survey.mode}`)}</td>
      <td>${t(`surveys.status.${surveyStatus(survey, now)}`)}</td>
      <td class="num">${survey.responses}</td>
      <td>${survey.mode === "public" ? html`<a href="/surveys/${survey.id}">${t("surveys.admin.publicLink")}</a>` : "–"}</td>
    </tr>`,
  );
  const upload = canEdit(c.get("user"))
    ? html`<h2>${t("surveys.admin.import")}</h2>
      <p>${t("surveys.admin.importIntro", { max: MAX_FORM_BYTES / 1024 / 1024 })}</p>
      <form method="post" action="/surveys/admin/upload" enctype="multipart/form-data">${csrf}
        <label for="file">${t("surveys.admin.file")}</label><input id="file" name="file" type="file" accept=".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required>
        <p><button type="submit">${t("surveys.admin.upload")}</button></p>
      </form>
      <form method="post" action="/surveys/admin/starter">${csrf}<p>${t("surveys.admin.starterIntro")}</p><p><button type="submit">${t("surveys.admin.starter")}</button></p></form>`
    : html`<p class="muted">${t("surveys.admin.editorsOnly")}</p>`;
  const body = html`<p>${t("surveys.admin.intro")}</p>
    ${surveys.length === 0
      ? html`<p>${t("surveys.admin.none")}</p>`
      : html`<table><thead><tr><th scope="col">${t("surveys.col.title")}</th><th scope="col">${t("surveys.col.mode")}</th><th scope="col">${t("surveys.col.status")}</th><th scope="col" class="num">${t("surveys.col.responses")}</th><th scope="col">${t("surveys.col.link")}</th></tr></thead><tbody>${rows}</tbody></table>`}
    ${upload}`;
  c.status(code);
  return c.html(page(pageContext(c), t("surveys.admin.title"), withStyle(body), status));
}

async function surveyPage(c: AppContext, survey: Survey, mailer: InvitationMailer, status: { notice?: string; error?: string }, code: 200 | 400 | 502 | 503 = 200): Promise<Response> {
  const t = c.get("t");
  const { store } = c.get("services");
  const editor = canEdit(c.get("user"));
  const now = new Date();
  const csrf = html`<input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">`;
  const responses = await countResponses(store.db, survey.id);
  const publicUrl = `${mailer.base(c.req.url)}/surveys/${survey.id}`;
  const summary = html`<ul class="sa-summary">
      <li>${t("surveys.col.mode")}<strong>${t(`surveys.mode.${survey.mode}`)}</strong></li>
      <li>${t("surveys.col.status")}<strong>${t(`surveys.status.${surveyStatus(survey, now)}`)}</strong></li>
      <li>${t("surveys.col.responses")}<strong>${responses}</strong></li>
    </ul>
    <p class="sa-link">${survey.mode === "public" ? html`${t("surveys.admin.publicLink")}: <a href="/surveys/${survey.id}">${publicUrl}</a>` : t("surveys.admin.invitationOnly")}</p>
    <p class="muted">${survey.fileName}${survey.version ? ` · ${t("surveys.admin.version", { version: survey.version })}` : ""} · ${t("surveys.admin.imported", { date: utcMinute(survey.createdAt) })}</p>`;
  const exports = html`<h2 id="exports">${t("surveys.admin.exports")}</h2><p>${t("surveys.admin.exportsIntro")}</p>
    <ul>${(Object.keys(EXPORTS) as ExportFormat[]).map((format) => html`<li><a href="/surveys/admin/${survey.id}/export/${format}" download>${t(`surveys.export.${format}`)}</a></li>`)}</ul>`;
  const settings = editor ? settingsForm(c, survey, csrf) : html``;
  const invitations = editor ? await invitationSection(c, survey, mailer, csrf) : html``;
  const results = await resultsSection(c, survey);
  const remove = editor
    ? html`<h2>${t("surveys.admin.delete")}</h2><form method="post" action="/surveys/admin/${survey.id}/delete">${csrf}<label style="font-weight:normal"><input type="checkbox" name="confirm" required> ${t("surveys.admin.deleteConfirm", { title: survey.title, responses })}</label><p><button type="submit" style="background:#a4000f">${t("surveys.admin.delete")}</button></p></form>`
    : html``;
  const body = html`<p><a href="/surveys/admin">← ${t("surveys.admin.title")}</a></p>
    ${summary}
    <nav aria-label="${t("surveys.admin.sections")}"><p class="sa-actions"><a href="#results">${t("surveys.results.title")}</a><a href="#exports">${t("surveys.admin.exports")}</a>${editor ? html`<a href="#settings">${t("surveys.admin.settings")}</a><a href="#invitations">${t("surveys.admin.invitations")}</a>` : ""}</p></nav>
    ${results}
    ${exports}
    ${settings}
    ${invitations}
    ${remove}`;
  c.status(code);
  return c.html(page(pageContext(c), survey.title, withStyle(body), status));
}

function settingsForm(c: AppContext, survey: Survey, csrf: SafeHtml): SafeHtml {
  const t = c.get("t");
  const local = (iso: string | null): string => (iso ? iso.slice(0, 16) : "");
  return html`<h2 id="settings">${t("surveys.admin.settings")}</h2>
    <form method="post" action="/surveys/admin/${survey.id}/settings">${csrf}
      <fieldset class="sa-radios"><legend>${t("surveys.field.mode")}</legend>
        ${SURVEY_MODES.map((mode: SurveyMode) => html`<label><input type="radio" name="mode" value="${mode}"${mode === survey.mode ? " checked" : ""}> ${t(`surveys.mode.${mode}`)}: ${t(`surveys.modeHelp.${mode}`)}</label>`)}
      </fieldset>
      <div class="sa-cols">
        <div><label for="opensAt">${t("surveys.field.opensAt")}</label><input id="opensAt" name="opensAt" type="datetime-local" value="${local(survey.opensAt)}"></div>
        <div><label for="closesAt">${t("surveys.field.closesAt")}</label><input id="closesAt" name="closesAt" type="datetime-local" value="${local(survey.closesAt)}"></div>
      </div>
      <label for="privacyNotice">${t("surveys.field.privacyNotice")}</label>
      <p class="muted" id="privacyNotice-hint">${t("surveys.field.privacyNoticeHint")}</p>
      <textarea id="privacyNotice" name="privacyNotice" rows="5" aria-describedby="privacyNotice-hint" placeholder="${t("surveys.privacy.default")}">${survey.privacyNotice}</textarea>
      <label for="consentText">${t("surveys.field.consentText")}</label>
      <textarea id="consentText" name="consentText" rows="2" placeholder="${t("surveys.consent.default")}">${survey.consentText}</textarea>
      <p><button type="submit">${t("surveys.admin.saveSettings")}</button></p>
    </form>`;
}

async function invitationSection(c: AppContext, survey: Survey, mailer: InvitationMailer, csrf: SafeHtml): Promise<SafeHtml> {
  const t = c.get("t");
  const invitations = await listInvitations(c.get("services").store.db, survey.id);
  const used = invitations.filter((invitation) => invitation.used).length;
  const table = invitations.length
    ? html`<p>${t("surveys.invite.count", { count: invitations.length, used })}</p><div class="sa-scroll"><table><thead><tr><th scope="col">${t("surveys.col.email")}</th><th scope="col">${t("surveys.col.sent")}</th><th scope="col">${t("surveys.col.used")}</th></tr></thead><tbody>${invitations.slice(0, 500).map(
        (invitation) => html`<tr><td>${invitation.email}</td><td>${invitation.sentAt ? utcMinute(invitation.sentAt) : t("surveys.invite.notSent")}</td><td>${invitation.used ? t("surveys.invite.isUsed") : t("surveys.invite.isUnused")}</td></tr>`,
      )}</tbody></table></div>`
    : html``;
  return html`<h2 id="invitations">${t("surveys.admin.invitations")}</h2>
    <p>${t("surveys.invite.intro")}</p>
    ${mailer.configured ? "" : html`<p class="error">${t("surveys.invite.noSmtp")}</p>`}
    ${survey.mode === "public" ? html`<p class="muted">${t("surveys.invite.publicNote")}</p>` : ""}
    <form method="post" action="/surveys/admin/${survey.id}/invitations">${csrf}
      <label for="emails">${t("surveys.field.emails")}</label><textarea id="emails" name="emails" rows="5" spellcheck="false"></textarea>
      <p><button type="submit"${mailer.configured ? "" : " disabled"}>${t("surveys.invite.send")}</button></p>
    </form>
    ${table}`;
}

/** A datetime-local value (taken as UTC) as an ISO timestamp; null when empty; undefined when not a date and time. */
function dateTimeOf(value: string): string | null | undefined {
  const trimmed = value.trim();
  if (trimmed === "") return null;
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2}))?)?$/.exec(trimmed);
  if (!match) return undefined;
  const iso = `${match[1]}T${match[2] ?? "00:00"}:${match[3] ?? "00"}.000Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : new Date(iso).toISOString();
}

const requireUser = requireSignedIn;
const forbidden = (c: AppContext): Response | Promise<Response> => editorsOnly(c, "surveys.admin.editorsOnly");

const formOf = formFields;
const text = textField;

function withStyle(body: SafeHtml): SafeHtml {
  return html`<style>${raw(STYLE)}${raw(RESULTS_STYLE)}</style>${body}`;
}
