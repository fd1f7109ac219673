/**
 * Portfolios in the web app: the list, creating and editing one (schedule
 * and alert settings), importing its domains (pasted, uploaded, or typed
 * for an institution of the observatory) with a report of every line not
 * taken, starting a run, and the dashboard: what got worse since the run
 * before, the latest run's domains × categories in status colours with
 * symbols and words (never colour alone), adoption per standard in charts
 * drawn on the server with their figures in tables, the run history, a
 * drill-down to each domain's stored report, and CSV and XLSX exports.
 *
 * Staff pages: a signed-in viewer may look, editors and admins may change
 * (canEdit); anonymous visitors are sent to the login page. Everything
 * works without JavaScript; a run under way refreshes its page every few
 * seconds with a meta refresh until it has finished.
 */
import type { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { listAlerts } from "../../campaigns/alerts.ts";
import { adoptionKey, adoptionHistory, domainHistory, domainMatrix, latestRuns, matrixCategories, regressionsSinceLastRun, runHistory, type MatrixRow, type RunAdoption } from "../../campaigns/dashboard.ts";
import { barChart, figuresTable, lineChart } from "../../campaigns/charts.ts";
import { domainsForInstitution, ImportRefusedError, MAX_IMPORT_BYTES, readDomainList, type DomainList } from "../../campaigns/domain-import.ts";
import { portfolioCsv, portfolioXlsx } from "../../campaigns/portfolio-export.ts";
import {
  addPortfolioDomains,
  countPortfolioDomains,
  createPortfolio,
  deletePortfolio,
  getPortfolio,
  listPortfolioDomains,
  listPortfolios,
  MAX_PORTFOLIO_DOMAINS,
  updatePortfolio,
  type Portfolio,
  type PortfolioInput,
} from "../../campaigns/portfolios.ts";
import { compareRuns } from "../../campaigns/regressions.ts";
import { getResult, getRun, previousFinishedRun, type RunRecord } from "../../campaigns/runs.ts";
import { NAMED_SCHEDULES } from "../../campaigns/schedule.ts";
import { suitesOf } from "../../campaigns/targets.ts";
import { normalizeDomain } from "../../checks/context.ts";
import { domainSection, REPORT_CSS } from "../../checks/report/html.ts";
import { CATEGORY_NAMES, cleanText, effectiveStatus } from "../../checks/report/labels.ts";
import type { CheckStatus } from "../../checks/types.ts";
import { ConflictError, getInstitution, listInstitutionNames, NotFoundError, SUITE_CHOICES, ValidationError, type Issue, type SuiteChoice } from "../../store/index.ts";
import { canEdit, pageContext, wholeNumberQuery, type AppContext, type AppEnv } from "../context.ts";
import { formFields, textField, type FormFields } from "../form-fields.ts";
import { editorsOnly, requireSignedIn } from "../staff-pages.ts";
import { html, raw, utcMinute, type SafeHtml } from "../html.ts";
import type { MessageKey, Translate } from "../i18n.ts";
import { page } from "../layout.ts";
import { reportLabels } from "./check.ts";

/** Domains per page of the matrix: a screen or two, and 100 reports read per page at most. */
const MATRIX_PAGE = 100;
/** Runs the charts and their table show: a quarter of weekly runs, a year of monthly ones. */
const CHART_RUNS = 12;

const STATUS_SYMBOLS: Record<CheckStatus, string> = { passed: "✓", failed: "✗", warning: "!", info: "i", not_tested: "–", error: "?" };

const STYLE = `
.pf-summary{display:flex;flex-wrap:wrap;gap:.6rem;margin:.6rem 0;padding:0;list-style:none}
.pf-summary li{border:1px solid #c9d3dd;border-radius:4px;padding:.4rem .8rem;min-width:9rem}
.pf-summary strong{display:block;font-size:1.4rem}
.pf-actions{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;margin:.6rem 0}
.pf-actions form{margin:0}
table.pf-matrix{font-size:.9rem}
table.pf-matrix th,table.pf-matrix td{padding:.25rem .35rem}
table.pf-matrix thead th{vertical-align:bottom;font-size:.8rem;line-height:1.2}
table.pf-matrix tbody th{min-width:11rem}
table.pf-matrix td.pf-cell{text-align:center;white-space:nowrap;font-weight:600}
table.pf-matrix td.pf-none{color:#777;text-align:center}
.pf-cell .pf-sym{display:inline-block;min-width:1em}
.pf-legend{display:flex;flex-wrap:wrap;gap:.4rem .8rem;margin:.4rem 0;padding:0;list-style:none;font-size:.9rem}
.pf-legend li span{display:inline-block;min-width:1.6rem;text-align:center;font-weight:700;border-radius:3px;border:1px solid transparent}
.pf-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.pf-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.8rem 1rem;margin:.6rem 0}
.pf-grid figure{margin:0}
.pf-grid figcaption{font-weight:600;font-size:.95rem}
.pf-down{color:#a4000f}.pf-up{color:#1d5a17}
.pf-pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.5rem;align-items:start}
@media (max-width:50rem){.pf-pair{grid-template-columns:1fr}}
table.figures{font-size:.9rem}
table.figures caption{text-align:left;font-weight:600;padding:.2rem 0}
table.figures th[scope=row]{white-space:nowrap}
table.figures td.num,table.figures th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
.pf-scroll{overflow-x:auto}
.pf-progress{background:#e4f0fb;border:1px solid #9fc4e6;padding:.5rem .8rem}
.pf-problems td:first-child{text-align:right}
`;

type Form = FormFields;

export function registerPortfolioRoutes(app: Hono<AppEnv>): void {
  // Staff pages: anonymous visitors sign in first.
  app.use("/portfolios", requireUser);
  app.use("/portfolios/*", requireUser);

  app.get("/portfolios", async (c) => {
    const { store } = c.get("services");
    const t = c.get("t");
    const portfolios = await listPortfolios(store.db);
    const latest = await Promise.all(portfolios.map(async (portfolio) => (await latestRuns(store.db, portfolio.id)).latest));
    const rows = portfolios.map(
      (portfolio, index) => html`<tr>
        <th scope="row"><a href="/portfolios/${portfolio.id}">${portfolio.name}</a>${portfolio.description ? html`<br><span class="muted">${portfolio.description}</span>` : ""}</th>
        <td class="num">${portfolio.domains}</td>
        <td>${suiteLabel(t, portfolio.suites)}</td>
        <td>${scheduleLabel(t, portfolio.schedule)}</td>
        <td>${portfolio.nextRunAt ? when(portfolio.nextRunAt) : "–"}</td>
        <td>${latest[index] ? when(latest[index].finishedAt ?? latest[index].createdAt) : t("portfolios.never")}</td>
      </tr>`,
    );
    const body = html`<p>${t("portfolios.intro")}</p>
      ${canEdit(c.get("user")) ? html`<p><a href="/portfolios/new">${t("portfolios.new")}</a></p>` : ""}
      ${portfolios.length === 0
        ? html`<p>${t("portfolios.none")}</p>`
        : html`<table><thead><tr><th scope="col">${t("portfolios.col.name")}</th><th scope="col" class="num">${t("portfolios.col.domains")}</th><th scope="col">${t("portfolios.col.suites")}</th><th scope="col">${t("portfolios.col.schedule")}</th><th scope="col">${t("portfolios.col.nextRun")}</th><th scope="col">${t("portfolios.col.lastRun")}</th></tr></thead><tbody>${rows}</tbody></table>`}`;
    return c.html(page(pageContext(c), t("portfolios.title"), withStyle(body)));
  });

  app.get("/portfolios/new", (c) => (canEdit(c.get("user")) ? portfolioForm(c, undefined, {}) : forbidden(c)));
  app.post("/portfolios/new", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const form = await formOf(c);
    const input = portfolioInputOf(form);
    try {
      const portfolio = await createPortfolio(c.get("services").store.db, input, c.get("user")?.id ?? null);
      return c.redirect(`/portfolios/${portfolio.id}/import?created=1`, 303);
    } catch (error) {
      if (error instanceof ValidationError) return portfolioForm(c, undefined, form, error.issues);
      throw error;
    }
  });

  app.get("/portfolios/:id/edit", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const portfolio = await getPortfolio(c.get("services").store.db, c.req.param("id"));
    return portfolio ? portfolioForm(c, portfolio, formValues(portfolio)) : c.notFound();
  });
  app.post("/portfolios/:id/edit", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const { store } = c.get("services");
    const portfolio = await getPortfolio(store.db, c.req.param("id"));
    if (!portfolio) return c.notFound();
    const form = await formOf(c);
    const input = portfolioInputOf(form);
    // The secret is never shown back: an empty field keeps it, the box removes it.
    const secret = text(form, "webhookSecret");
    input.webhookSecret = text(form, "removeSecret") === "on" ? null : secret === "" ? undefined : secret;
    try {
      await updatePortfolio(store.db, portfolio.id, input, c.get("user")?.id ?? null);
      return c.redirect(`/portfolios/${portfolio.id}?saved=1`, 303);
    } catch (error) {
      if (error instanceof ValidationError) return portfolioForm(c, portfolio, form, error.issues);
      throw error;
    }
  });

  app.post("/portfolios/:id/delete", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const form = await formOf(c);
    const t = c.get("t");
    const { store } = c.get("services");
    const portfolio = await getPortfolio(store.db, c.req.param("id"));
    if (!portfolio) return c.notFound();
    if (text(form, "confirm") !== "on") throw new HTTPException(400, { message: t("portfolios.delete.confirmNeeded") });
    try {
      await deletePortfolio(store.db, portfolio.id, c.get("user")?.id ?? null);
    } catch (error) {
      if (error instanceof NotFoundError) return c.notFound();
      throw error;
    }
    return c.redirect("/portfolios", 303);
  });

  app.get("/portfolios/:id/import", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const portfolio = await getPortfolio(c.get("services").store.db, c.req.param("id"));
    if (!portfolio) return c.notFound();
    return importPage(c, portfolio, c.req.query("created") ? { notice: c.get("t")("portfolios.created") } : {});
  });
  app.post("/portfolios/:id/import", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const { store } = c.get("services");
    const t = c.get("t");
    const portfolio = await getPortfolio(store.db, c.req.param("id"));
    if (!portfolio) return c.notFound();
    const form = await formOf(c);
    const existing = await countPortfolioDomains(store.db, portfolio.id);
    let list: DomainList;
    let source: string;
    try {
      const institutionId = text(form, "institution");
      const file = form.file;
      if (institutionId !== "") {
        const institution = await getInstitution(store.db, institutionId);
        if (!institution) return await importPage(c, portfolio, { error: t("portfolios.import.noInstitution") }, 400);
        list = domainsForInstitution(institution, text(form, "institutionDomains"), { limit: MAX_PORTFOLIO_DOMAINS });
        source = `institution ${institution.name}`;
      } else if (file instanceof File && file.size > 0) {
        if (file.size > MAX_IMPORT_BYTES) return await importPage(c, portfolio, { error: t("portfolios.import.tooLarge", { name: file.name, max: MAX_IMPORT_BYTES / 1024 / 1024 }) }, 400);
        list = readDomainList(new Uint8Array(await file.arrayBuffer()));
        source = `file ${file.name}`;
      } else if (text(form, "list").trim() !== "") {
        list = readDomainList(text(form, "list"));
        source = "pasted list";
      } else {
        return await importPage(c, portfolio, { error: t("portfolios.import.nothing") }, 400);
      }
    } catch (error) {
      if (error instanceof ImportRefusedError) return importPage(c, portfolio, { error: t("portfolios.import.refused", { reason: error.message }) }, 400);
      throw error;
    }
    try {
      const added = await addPortfolioDomains(store.db, portfolio.id, list.entries, c.get("user")?.id ?? null, { source });
      return await importReport(c, portfolio, list, added, existing);
    } catch (error) {
      if (error instanceof ConflictError) return importPage(c, portfolio, { error: t("portfolios.import.refused", { reason: error.message }) }, 400);
      throw error;
    }
  });

  app.post("/portfolios/:id/run", async (c) => {
    if (!canEdit(c.get("user"))) return forbidden(c);
    const { store, campaigns } = c.get("services");
    const t = c.get("t");
    const portfolio = await getPortfolio(store.db, c.req.param("id"));
    if (!portfolio) return c.notFound();
    if (!campaigns) throw new HTTPException(503, { message: t("portfolios.run.unavailable") });
    if ((await countPortfolioDomains(store.db, portfolio.id)) === 0) throw new HTTPException(400, { message: t("portfolios.run.noDomains") });
    const { current } = await latestRuns(store.db, portfolio.id);
    // One run at a time: a second press while one is under way shows that one.
    if (!current) await campaigns.runNow("portfolio", portfolio.id);
    return c.redirect(`/portfolios/${portfolio.id}?started=1`, 303);
  });

  app.get("/portfolios/:id/export.csv", async (c) => {
    const { portfolio, run } = await exportSubject(c);
    const csv = await portfolioCsv(c.get("services").store.db, portfolio, run);
    c.header("Content-Type", "text/csv; charset=utf-8");
    c.header("Content-Disposition", `attachment; filename="${fileName(portfolio, run)}.csv"`);
    return c.body(csv);
  });
  app.get("/portfolios/:id/export.xlsx", async (c) => {
    const { portfolio, run } = await exportSubject(c);
    const bytes = await portfolioXlsx(c.get("services").store.db, portfolio, run);
    c.header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    c.header("Content-Disposition", `attachment; filename="${fileName(portfolio, run)}.xlsx"`);
    return c.body(new Uint8Array(bytes));
  });

  app.get("/portfolios/:id/domains/:domain", async (c) => {
    const { store, catalog } = c.get("services");
    const t = c.get("t");
    const portfolio = await getPortfolio(store.db, c.req.param("id"));
    if (!portfolio) return c.notFound();
    let domain: string;
    try {
      domain = normalizeDomain(c.req.param("domain"));
    } catch {
      return c.notFound();
    }
    const history = await domainHistory(store.db, portfolio.id, domain);
    const runId = c.req.query("run");
    const run = runId ? await getRun(store.db, runId) : (history.find((entry) => entry.run.status === "done") ?? history[0])?.run;
    if (!run || run.subjectKind !== "portfolio" || run.subjectId !== portfolio.id) return c.notFound();
    const labels = reportLabels(t);
    for (const id of Object.keys(CATEGORY_NAMES)) if (!(id in labels.categories)) labels.categories[id] = categoryLabel(t, id);
    const sections: SafeHtml[] = [];
    // What needs attention first (failed, warning, could not be tested), marked when it was fine in the run before.
    const previous = await previousFinishedRun(store.db, run);
    const worse = previous ? new Set((await compareRuns(store.db, previous.id, run.id)).regressions.filter((change) => change.domain === domain).map((change) => `${change.suite}:${change.testId}`)) : new Set<string>();
    const attention: SafeHtml[] = [];
    for (const suite of suitesOf(portfolio.suites)) {
      const result = await getResult(store.db, run.id, domain, suite);
      if (!result) continue;
      for (const test of result.report?.tests ?? []) {
        const status = effectiveStatus(test);
        if (status !== "failed" && status !== "warning" && status !== "error") continue;
        attention.push(
          html`<tr>${statusCell(t, status, null, test.title, true)}<td><strong>${cleanText(test.title)}</strong> <code class="muted">${test.id}</code>${worse.has(`${suite}:${test.id}`) ? html` <strong class="pf-down">(${t("portfolios.domain.newlyWorse")})</strong>` : ""}</td><td>${cleanText(test.summary)}</td></tr>`,
        );
      }
      sections.push(
        result.report
          ? html`<div class="bl-report">${raw(domainSection(result.report, { labels, standardHref: (standard) => (catalog.hasStandard(standard) ? `/standards/${encodeURIComponent(standard)}` : `/standards`), headingLevel: 2 }))}</div>`
          : html`<h2>${t(`check.suite.${suite}` as MessageKey)}</h2><p class="error">${t("portfolios.domain.notChecked", { error: result.error ?? "" })}</p>`,
      );
    }
    // One row per run, a column per suite: a score, or why it could not be checked.
    const suites = suitesOf(portfolio.suites);
    const runsShown = [...new Map(history.map((entry) => [entry.run.id, entry.run])).values()];
    const historyRows = runsShown.map((shown) => {
      const cells = suites.map((suite) => {
        const entry = history.find((item) => item.run.id === shown.id && item.suite === suite);
        if (!entry) return html`<td class="num">–</td>`;
        return entry.error !== null ? html`<td class="bl-error">? ${entry.error}</td>` : html`<td class="num">${entry.score ?? "–"}</td>`;
      });
      const current = shown.id === run.id;
      return html`<tr${current ? html` aria-current="true"` : ""}><td>${current ? html`<strong>${when(shown.finishedAt ?? shown.createdAt)} (${t("portfolios.domain.shown")})</strong>` : html`<a href="/portfolios/${portfolio.id}/domains/${domain}?run=${shown.id}">${when(shown.finishedAt ?? shown.createdAt)}</a>`}</td>${cells}</tr>`;
    });
    const attentionTable = attention.length
      ? html`<h2>${t("portfolios.domain.attention", { count: attention.length })}</h2><table><thead><tr><th scope="col">${t("portfolios.col.status")}</th><th scope="col">${t("portfolios.col.test")}</th><th scope="col">${t("portfolios.col.found")}</th></tr></thead><tbody>${attention}</tbody></table>`
      : sections.length
        ? html`<p class="notice">${t("portfolios.domain.allGood")}</p>`
        : "";
    const body = html`<p><a href="/portfolios/${portfolio.id}">← ${portfolio.name}</a> · ${t("portfolios.domain.run", { date: when(run.finishedAt ?? run.createdAt) })}</p>
      ${attentionTable}
      ${sections.length ? sections : html`<p>${t("portfolios.domain.noResult")}</p>`}
      <h2>${t("portfolios.domain.history")}</h2>
      <table><thead><tr><th scope="col">${t("portfolios.col.run")}</th>${suites.map((suite) => html`<th scope="col" class="num">${t("portfolios.col.suiteScore", { suite: t(`check.suite.${suite}` as MessageKey) })}</th>`)}</tr></thead><tbody>${historyRows}</tbody></table>
      <p class="muted">${t("check.cli")} <code>baseline check ${domain} --suite ${portfolio.suites}</code></p>`;
    return c.html(page(pageContext(c), t("portfolios.domain.title", { domain, name: portfolio.name }), withStyle(body)));
  });

  app.get("/portfolios/:id", async (c) => dashboard(c));
}

const requireUser = requireSignedIn;
const forbidden = (c: AppContext): Response | Promise<Response> => editorsOnly(c, "portfolios.editorsOnly");

function withStyle(body: SafeHtml): SafeHtml {
  return html`<style>${raw(REPORT_CSS)}${raw(STYLE)}</style>${body}`;
}

const formOf = formFields;
const text = textField;

/** "2026-12-07 15:00 UTC": one fixed form in every language, as the runs are scheduled in UTC. */
const when = utcMinute;

function suiteLabel(t: Translate, suites: SuiteChoice): string {
  return t(`portfolios.suites.${suites}`);
}

function scheduleLabel(t: Translate, schedule: string): string {
  if (schedule === "manual" || schedule in NAMED_SCHEDULES) return t(`portfolios.schedule.${schedule as "manual" | "daily" | "weekly" | "monthly"}`);
  return t("portfolios.schedule.cronShown", { cron: schedule });
}

/** Short column heads for the matrix (the full name is in the title and the legend). */
function categoryLabel(t: Translate, id: string): string {
  return t(`portfolios.category.${id}` as MessageKey);
}

function runStatus(t: Translate, run: RunRecord): string {
  return t(`portfolios.run.status.${run.status}`);
}

function portfolioInputOf(form: Form): PortfolioInput {
  const choice = text(form, "scheduleChoice");
  const schedule = choice === "cron" ? text(form, "cron") : choice || text(form, "schedule");
  return {
    name: text(form, "name"),
    description: text(form, "description"),
    suites: text(form, "suites") as SuiteChoice,
    schedule,
    alertEmails: text(form, "alertEmails")
      .split(/[\s,;]+/)
      .map((item) => item.trim())
      .filter(Boolean),
    webhookUrl: text(form, "webhookUrl"),
    webhookSecret: text(form, "webhookSecret"),
  };
}

function formValues(portfolio: Portfolio): Form {
  const named = portfolio.schedule === "manual" || portfolio.schedule in NAMED_SCHEDULES;
  return {
    name: portfolio.name,
    description: portfolio.description ?? "",
    suites: portfolio.suites,
    scheduleChoice: named ? portfolio.schedule : "cron",
    cron: named ? "" : portfolio.schedule,
    alertEmails: portfolio.alertEmails.join("\n"),
    webhookUrl: portfolio.webhookUrl ?? "",
  };
}

function portfolioForm(c: AppContext, portfolio: Portfolio | undefined, values: Form, issues: readonly Issue[] = []): Response | Promise<Response> {
  const t = c.get("t");
  const issueOf = (field: string): SafeHtml => {
    const found = issues.filter((issue) => issue.path === field || issue.path.startsWith(`${field}.`));
    return found.length ? html`<p class="error" id="${field}-error">${found.map((issue) => issue.message).join("; ")}</p>` : html``;
  };
  const described = (field: string): SafeHtml => (issues.some((issue) => issue.path === field || issue.path.startsWith(`${field}.`)) ? html` aria-invalid="true" aria-describedby="${field}-error"` : html``);
  const choice = text(values, "scheduleChoice") || "manual";
  const action = portfolio ? `/portfolios/${portfolio.id}/edit` : "/portfolios/new";
  const body = html`<form method="post" action="${action}">
    <input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">
    <label for="name">${t("portfolios.field.name")}</label><input id="name" name="name" type="text" required value="${text(values, "name")}"${described("name")}>${issueOf("name")}
    <label for="description">${t("portfolios.field.description")}</label><textarea id="description" name="description" rows="2">${text(values, "description")}</textarea>${issueOf("description")}
    <label for="suites">${t("portfolios.field.suites")}</label><select id="suites" name="suites">${SUITE_CHOICES.map((suite) => html`<option value="${suite}"${suite === (text(values, "suites") || "all") ? " selected" : ""}>${suiteLabel(t, suite)}</option>`)}</select>${issueOf("suites")}
    <fieldset><legend>${t("portfolios.field.schedule")}</legend>
      ${(["manual", "daily", "weekly", "monthly", "cron"] as const).map(
        (option) => html`<label style="font-weight:normal"><input type="radio" name="scheduleChoice" value="${option}"${option === choice ? " checked" : ""}> ${t(`portfolios.schedule.${option}`)}</label>`,
      )}
      <label for="cron">${t("portfolios.field.cron")}</label><input id="cron" name="cron" type="text" value="${text(values, "cron")}" placeholder="30 6 * * 1-5" spellcheck="false"${described("schedule")}>
      ${issueOf("schedule")}
    </fieldset>
    <label for="alertEmails">${t("portfolios.field.alertEmails")}</label><textarea id="alertEmails" name="alertEmails" rows="3">${text(values, "alertEmails")}</textarea>${issueOf("alertEmails")}
    <label for="webhookUrl">${t("portfolios.field.webhookUrl")}</label><input id="webhookUrl" name="webhookUrl" type="url" value="${text(values, "webhookUrl")}"${described("webhookUrl")}>${issueOf("webhookUrl")}
    <label for="webhookSecret">${t(portfolio ? "portfolios.field.webhookSecretEdit" : "portfolios.field.webhookSecret")}</label><input id="webhookSecret" name="webhookSecret" type="password" autocomplete="new-password" value="">${issueOf("webhookSecret")}
    ${portfolio?.webhookSecret ? html`<label style="font-weight:normal"><input type="checkbox" name="removeSecret"> ${t("portfolios.field.removeSecret")}</label>` : ""}
    <p><button type="submit">${t(portfolio ? "action.save" : "portfolios.create")}</button></p>
  </form>
  ${portfolio
    ? html`<h2>${t("portfolios.delete")}</h2><form method="post" action="/portfolios/${portfolio.id}/delete"><input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}"><label style="font-weight:normal"><input type="checkbox" name="confirm" required> ${t("portfolios.delete.confirm", { name: portfolio.name })}</label><p><button type="submit" style="background:#a4000f">${t("portfolios.delete")}</button></p></form>`
    : ""}`;
  if (issues.length) c.status(400);
  return c.html(page(pageContext(c), portfolio ? t("portfolios.edit", { name: portfolio.name }) : t("portfolios.new"), body, issues.length ? { error: t("portfolios.form.invalid") } : undefined));
}

async function importPage(c: AppContext, portfolio: Portfolio, status: { notice?: string; error?: string }, code: 200 | 400 = 200): Promise<Response> {
  const t = c.get("t");
  const { store } = c.get("services");
  const [institutions, count] = await Promise.all([listInstitutionNames(store.db), countPortfolioDomains(store.db, portfolio.id)]);
  const csrf = html`<input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">`;
  const body = html`<p><a href="/portfolios/${portfolio.id}">← ${portfolio.name}</a> · ${t("portfolios.import.count", { count, max: MAX_PORTFOLIO_DOMAINS })}</p>
    <p>${t("portfolios.import.intro")}</p>
    <pre>domain,organisation,sector,region
minvws.example,Ministry of Health,health,155
rijksoverheid.example,Government,government,155</pre>
    <h2>${t("portfolios.import.paste")}</h2>
    <form method="post" action="/portfolios/${portfolio.id}/import">${csrf}
      <label for="list">${t("portfolios.import.listLabel")}</label><textarea id="list" name="list" rows="8" spellcheck="false"></textarea>
      <p><button type="submit">${t("portfolios.import.submit")}</button></p>
    </form>
    <h2>${t("portfolios.import.upload")}</h2>
    <form method="post" action="/portfolios/${portfolio.id}/import" enctype="multipart/form-data">${csrf}
      <label for="file">${t("portfolios.import.fileLabel", { max: MAX_IMPORT_BYTES / 1024 / 1024 })}</label><input id="file" name="file" type="file" accept=".csv,.txt,text/csv,text/plain">
      <p><button type="submit">${t("portfolios.import.submit")}</button></p>
    </form>
    <h2>${t("portfolios.import.institution")}</h2>
    <p>${t("portfolios.import.institutionIntro")}</p>
    <form method="post" action="/portfolios/${portfolio.id}/import">${csrf}
      <label for="institution">${t("portfolios.import.institutionLabel")}</label><select id="institution" name="institution" required><option value="">–</option>${institutions.map((institution) => html`<option value="${institution.id}">${institution.name}</option>`)}</select>
      <label for="institutionDomains">${t("portfolios.import.institutionDomains")}</label><textarea id="institutionDomains" name="institutionDomains" rows="3" spellcheck="false" required></textarea>
      <p><button type="submit">${t("portfolios.import.submit")}</button></p>
    </form>`;
  c.status(code);
  return c.html(page(pageContext(c), t("portfolios.import.title", { name: portfolio.name }), withStyle(body), status));
}

function importReport(c: AppContext, portfolio: Portfolio, list: DomainList, added: { added: number; updated: number }, before: number): Response | Promise<Response> {
  const t = c.get("t");
  const summary = t("portfolios.import.done", { added: added.added, updated: added.updated, problems: list.problemCount, total: before + added.added });
  const problems = list.problems.map((problem) => html`<tr><td class="num">${problem.line}</td><td><code>${problem.value}</code></td><td>${problem.reason}</td></tr>`);
  const body = html`<p>${summary}</p>
    ${list.problemCount > 0
      ? html`<h2>${t("portfolios.import.problems", { count: list.problemCount })}</h2>
        <p>${t("portfolios.import.problemsIntro")}</p>
        <table class="pf-problems"><thead><tr><th scope="col" class="num">${t("portfolios.col.line")}</th><th scope="col">${t("portfolios.col.value")}</th><th scope="col">${t("portfolios.col.reason")}</th></tr></thead><tbody>${problems}</tbody></table>
        ${list.problemCount > list.problems.length ? html`<p>${t("portfolios.import.more", { count: list.problemCount - list.problems.length })}</p>` : ""}`
      : html`<p>${t("portfolios.import.clean")}</p>`}
    <p class="pf-actions"><a href="/portfolios/${portfolio.id}">${t("portfolios.import.toDashboard")}</a> · <a href="/portfolios/${portfolio.id}/import">${t("portfolios.import.again")}</a></p>`;
  return c.html(page(pageContext(c), t("portfolios.import.reportTitle", { name: portfolio.name }), withStyle(body), list.problemCount ? { error: t("portfolios.import.someRefused", { count: list.problemCount }) } : { notice: t("portfolios.import.allTaken") }));
}

async function exportSubject(c: AppContext): Promise<{ portfolio: Portfolio; run: RunRecord }> {
  const { store } = c.get("services");
  const portfolio = await getPortfolio(store.db, c.req.param("id") ?? "");
  if (!portfolio) throw new HTTPException(404, { message: c.get("t")("error.notFound") });
  const runId = c.req.query("run");
  const run = runId ? await getRun(store.db, runId) : (await latestRuns(store.db, portfolio.id)).latest;
  if (!run || run.subjectKind !== "portfolio" || run.subjectId !== portfolio.id) throw new HTTPException(404, { message: c.get("t")("portfolios.export.noRun") });
  return { portfolio, run };
}

/** The export's file name: the portfolio's name in safe characters and the run's day. */
function fileName(portfolio: Portfolio, run: RunRecord): string {
  const name = portfolio.name.normalize("NFKD").replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || "portfolio";
  return `${name}-${(run.finishedAt ?? run.createdAt).slice(0, 10)}`;
}

/** A status cell: colour, symbol and (for screen readers, or shown when `showWord`) the status word, so that colour is never the only cue. */
function statusCell(t: Translate, status: CheckStatus | undefined, score: number | null | undefined, title: string, showWord = false): SafeHtml {
  if (!status) return html`<td class="pf-none" title="${title}">–<span class="pf-sr">${t("portfolios.matrix.notInRun")}</span></td>`;
  const word = t(`check.status.${status}` as MessageKey);
  if (showWord) return html`<td class="pf-cell bl-${status}"><span class="pf-sym" aria-hidden="true">${STATUS_SYMBOLS[status]}</span> ${word}</td>`;
  return html`<td class="pf-cell bl-${status}" title="${title}: ${word}"><span class="pf-sym" aria-hidden="true">${STATUS_SYMBOLS[status]}</span> ${score ?? ""}<span class="pf-sr"> ${word}</span></td>`;
}

function legend(t: Translate): SafeHtml {
  const statuses: CheckStatus[] = ["passed", "warning", "failed", "error", "not_tested"];
  return html`<ul class="pf-legend" aria-label="${t("portfolios.matrix.legend")}">${statuses.map((status) => html`<li><span class="bl-${status}" aria-hidden="true">${STATUS_SYMBOLS[status]}</span> ${t(`check.status.${status}` as MessageKey)}</li>`)}<li>${t("portfolios.matrix.scoreNote")}</li></ul>`;
}

function matrixTable(c: AppContext, portfolio: Portfolio, run: RunRecord, rows: readonly MatrixRow[]): SafeHtml {
  const t = c.get("t");
  const categories = matrixCategories(portfolio.suites);
  const suites = suitesOf(portfolio.suites);
  const head = html`<tr><th scope="col">${t("portfolios.col.domain")}</th><th scope="col">${t("portfolios.col.organisation")}</th>${suites.map((suite) => html`<th scope="col" class="num">${t("portfolios.col.suiteScore", { suite: t(`check.suite.${suite}` as MessageKey) })}</th>`)}${categories.map((id) => html`<th scope="col" title="${CATEGORY_NAMES[id] ?? id}">${categoryLabel(t, id)}</th>`)}</tr>`;
  const body = rows.map((row) => {
    const score = (suite: string): SafeHtml => {
      const entry = row.suites.find((item) => item.suite === suite);
      if (!entry) return html`<td class="pf-none">–</td>`;
      return entry.error !== null ? html`<td class="pf-cell bl-error" title="${entry.error}">?<span class="pf-sr"> ${t("check.status.error")}: ${entry.error}</span></td>` : html`<td class="num"><strong>${entry.score ?? "–"}</strong></td>`;
    };
    return html`<tr><th scope="row"><a href="/portfolios/${portfolio.id}/domains/${row.domain}?run=${run.id}">${breakable(row.domain)}</a></th><td>${row.organisation ?? ""}</td>${suites.map(score)}${categories.map((id) => statusCell(t, row.categories[id]?.status, row.categories[id]?.score, categoryLabel(t, id)))}</tr>`;
  });
  return html`<div class="pf-scroll"><table class="pf-matrix"><caption class="pf-sr">${t("portfolios.matrix.caption", { date: when(run.finishedAt ?? run.createdAt) })}</caption><thead>${head}</thead><tbody>${body}</tbody></table></div>`;
}

/** A domain that may break after its dots (a long name would otherwise break at hyphens only, or widen the table). */
function breakable(domain: string): SafeHtml {
  return html`${domain.split(".").map((label, index) => html`${index ? html`.<wbr>` : ""}${label}`)}`;
}

function standardName(c: AppContext, key: string): string {
  const { catalog } = c.get("services");
  const t = c.get("t");
  const [suite = "", standard = ""] = key.split(":");
  const name = catalog.hasStandard(standard) ? catalog.standard(standard).name[c.get("language")] : standard;
  return `${t(`check.suite.${suite}` as MessageKey)} · ${name}`;
}

/** The standards' keys as the page lists them: websites first, then mail, each by the standard's name. */
function orderedKeys(c: AppContext, history: readonly RunAdoption[]): string[] {
  const suiteRank = (key: string): number => (key.startsWith("web:") ? 0 : 1);
  return [...new Set(history.flatMap((entry) => entry.standards.map(adoptionKey)))].sort((a, b) => suiteRank(a) - suiteRank(b) || standardName(c, a).localeCompare(standardName(c, b)));
}

function adoptionSection(c: AppContext, history: readonly RunAdoption[]): SafeHtml {
  const t = c.get("t");
  const last = history.at(-1);
  if (!last) return html``;
  const keys = orderedKeys(c, history);
  // A run's day, or its day and time when one day had several runs (a column per run must say which).
  const days = history.map((entry) => (entry.run.finishedAt ?? entry.run.createdAt).slice(0, 10));
  const unique = new Set(days).size === days.length;
  const date = (entry: RunAdoption): string => {
    const at = entry.run.finishedAt ?? entry.run.createdAt;
    return unique ? at.slice(0, 10) : `${at.slice(5, 10)} ${at.slice(11, 16)}`;
  };
  const shareOf = (entry: RunAdoption, key: string) => entry.standards.find((item) => adoptionKey(item) === key);
  const percent = (value: number | null | undefined): string => (value === null || value === undefined ? "–" : `${value}%`);
  const latestBars = keys.map((key) => {
    const entry = shareOf(last, key);
    return { label: standardName(c, key), value: entry?.share ?? null, note: entry ? t("portfolios.adoption.of", { adopted: entry.adopted, measured: entry.adopted + entry.notAdopted }) : "" };
  });
  const bar = barChart({
    id: "adoption-latest",
    title: t("portfolios.adoption.latestTitle", { date: date(last) }),
    description: t("portfolios.adoption.latestDesc"),
    bars: latestBars,
    width: 560,
    noValue: t("portfolios.adoption.notMeasured"),
  });
  const latestTable = figuresTable({
    caption: t("portfolios.adoption.latestTable", { date: date(last) }),
    columns: [t("portfolios.col.standard"), t("portfolios.col.share"), t("portfolios.col.adopted"), t("portfolios.col.notAdopted"), t("portfolios.col.notMeasured")],
    rows: keys.map((key) => {
      const entry = shareOf(last, key);
      return { label: standardName(c, key), values: [percent(entry?.share), String(entry?.adopted ?? 0), String(entry?.notAdopted ?? 0), String(entry?.notMeasured ?? 0)] };
    }),
  });
  const xLabels = history.map(date);
  const lines =
    history.length < 2
      ? html`<p>${t("portfolios.adoption.oneRun")}</p>`
      : html`<div class="pf-grid">${keys.map((key, index) => {
          const values = history.map((entry) => shareOf(entry, key)?.share ?? null);
          const first = values.find((value) => value !== null);
          const latest = values.at(-1);
          const before = values.at(-2);
          const name = standardName(c, key);
          const change = latest !== null && latest !== undefined && before !== null && before !== undefined ? Math.round((latest - before) * 10) / 10 : 0;
          const svg = lineChart({
            id: `adoption-${index}`,
            title: t("portfolios.adoption.lineTitle", { name }),
            description: t("portfolios.adoption.lineDesc", { name, runs: history.length, first: percent(first), last: percent(latest) }),
            xLabels,
            series: [{ name, values }],
            width: 320,
            height: 120,
          });
                    const signed = `${change > 0 ? "+" : "−"}${Math.abs(change)}`;
          // Short on screen (the section says what it means), in words for screen readers.
          return html`<figure><figcaption>${name}: ${percent(latest)}${change ? html` <span class="${change < 0 ? "pf-down" : "pf-up"}"><span aria-hidden="true">(${signed})</span><span class="pf-sr">${t("portfolios.adoption.change", { change: signed })}</span></span>` : ""}</figcaption>${raw(svg)}</figure>`;
        })}</div>
        <div class="pf-scroll">${raw(
          figuresTable({
            caption: t("portfolios.adoption.historyTable"),
            columns: [t("portfolios.col.standard"), ...xLabels],
            rows: [
              ...keys.map((key) => ({ label: standardName(c, key), values: history.map((entry) => percent(shareOf(entry, key)?.share)) })),
              { label: t("portfolios.col.meanScore"), values: history.map((entry) => (entry.meanScore === null ? "–" : String(entry.meanScore))) },
            ],
          }),
        )}</div>`;
  return html`<h2 id="adoption">${t("portfolios.adoption.title")}</h2>
    <p>${t("portfolios.adoption.intro")}</p>
    <div class="pf-pair"><div>${raw(bar)}</div><div>${raw(latestTable)}</div></div>
    <h3>${t("portfolios.adoption.overTime")}</h3>
    ${lines}`;
}

async function dashboard(c: AppContext): Promise<Response> {
  const { store, campaigns } = c.get("services");
  const t = c.get("t");
  const portfolio = await getPortfolio(store.db, c.req.param("id") ?? "");
  if (!portfolio) return c.notFound();
  const editor = canEdit(c.get("user"));
  const offset = wholeNumberQuery(c, "offset", 0);
  const search = c.req.query("q")?.trim() ?? "";
  const [domainCount, runs, history, changes, recent, alerts] = await Promise.all([
    countPortfolioDomains(store.db, portfolio.id),
    latestRuns(store.db, portfolio.id),
    adoptionHistory(store.db, portfolio.id, { limit: CHART_RUNS }),
    regressionsSinceLastRun(store.db, portfolio.id),
    runHistory(store.db, portfolio.id, 10),
    listAlerts(store.db, { subjectKind: "portfolio", subjectId: portfolio.id, limit: 10 }),
  ]);
  const { latest, current } = runs;
  const csrf = html`<input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">`;
  const progress = current ? recent.find((entry) => entry.run.id === current.id) : undefined;

  const actions = html`<div class="pf-actions">
    ${editor
      ? html`<a href="/portfolios/${portfolio.id}/edit">${t("portfolios.editLink")}</a> · <a href="/portfolios/${portfolio.id}/import">${t("portfolios.importLink")}</a>
        ${campaigns && !current && domainCount > 0 ? html`<form method="post" action="/portfolios/${portfolio.id}/run">${csrf}<button type="submit">${t("portfolios.runNow")}</button></form>` : ""}`
      : ""}
    ${latest ? html`<span>${t("portfolios.export")}: <a href="/portfolios/${portfolio.id}/export.csv" download>CSV</a> · <a href="/portfolios/${portfolio.id}/export.xlsx" download>XLSX</a></span>` : ""}
  </div>`;

  const summary = html`<ul class="pf-summary">
    <li>${t("portfolios.col.domains")}<strong>${domainCount}</strong></li>
    <li>${t("portfolios.col.schedule")}<strong>${scheduleLabel(t, portfolio.schedule)}</strong>${portfolio.nextRunAt ? html`<span class="muted">${t("portfolios.next", { date: when(portfolio.nextRunAt) })}</span>` : ""}</li>
    <li>${t("portfolios.col.lastRun")}<strong>${latest ? when(latest.finishedAt ?? latest.createdAt) : t("portfolios.never")}</strong></li>
    <li>${t("portfolios.col.meanScore")}<strong>${history.at(-1)?.meanScore ?? "–"}</strong></li>
    <li>${t("portfolios.summary.regressions")}<strong>${changes ? changes.regressions.length : "–"}</strong></li>
  </ul>`;

  // A run under way: its progress, and the page reloads itself (no script) until it has finished; without
  // the query, so that "run started" is not said again once it has.
  const running = current
    ? html`<meta http-equiv="refresh" content="5; url=/portfolios/${portfolio.id}"><p class="pf-progress" role="status">${t("portfolios.run.progress", { status: runStatus(t, current), done: progress?.done ?? 0, total: current.total })}</p>`
    : "";

  let matrix: SafeHtml = html``;
  if (latest) {
    const pageOfMatrix = await domainMatrix(store.db, portfolio.id, latest.id, { limit: MATRIX_PAGE, offset, search });
    const link = (to: number, label: string): SafeHtml => html`<a href="/portfolios/${portfolio.id}?offset=${to}${search ? html`&amp;q=${encodeURIComponent(search)}` : ""}#matrix">${label}</a>`;
    const pager =
      pageOfMatrix.total > MATRIX_PAGE
        ? html`<p>${offset > 0 ? link(Math.max(0, offset - MATRIX_PAGE), "←") : ""} ${Math.min(offset + 1, pageOfMatrix.total)}–${Math.min(pageOfMatrix.total, offset + MATRIX_PAGE)} / ${pageOfMatrix.total} ${offset + MATRIX_PAGE < pageOfMatrix.total ? link(offset + MATRIX_PAGE, "→") : ""}</p>`
        : html``;
    matrix = html`<h2 id="matrix">${t("portfolios.matrix.title")}</h2>
      <p>${t("portfolios.matrix.intro", { date: when(latest.finishedAt ?? latest.createdAt) })}</p>
      <form class="inline" method="get" action="/portfolios/${portfolio.id}#matrix" role="search"><div><label for="q">${t("portfolios.matrix.search")}</label><input id="q" name="q" type="text" value="${search}"></div><div><button type="submit">${t("action.filter")}</button></div></form>
      ${legend(t)}
      ${pageOfMatrix.rows.length ? matrixTable(c, portfolio, latest, pageOfMatrix.rows) : html`<p>${t("list.empty")}</p>`}
      ${pager}`;
  }

  const regressions = changes
    ? html`<h2 id="regressions">${t("portfolios.regressions.title")}</h2>
      <p>${t("portfolios.regressions.intro", { before: when(changes.previous.finishedAt ?? changes.previous.createdAt), after: when(changes.latest.finishedAt ?? changes.latest.createdAt), recoveries: changes.recoveries.length })}</p>
      ${changes.regressions.length === 0
        ? html`<p class="notice">${t("portfolios.regressions.none")}</p>`
        : html`<table><thead><tr><th scope="col">${t("portfolios.col.domain")}</th><th scope="col">${t("portfolios.col.test")}</th><th scope="col">${t("portfolios.col.standard")}</th><th scope="col">${t("portfolios.col.before")}</th><th scope="col">${t("portfolios.col.after")}</th></tr></thead><tbody>${changes.regressions.slice(0, 200).map(
            (change) => html`<tr><th scope="row"><a href="/portfolios/${portfolio.id}/domains/${change.domain}?run=${changes.latest.id}">${change.domain}</a></th><td><code>${change.testId}</code></td><td>${standardName(c, `${change.suite}:${change.standard}`)}</td>${statusCell(t, change.before as CheckStatus, null, t("portfolios.col.before"), true)}${statusCell(t, change.after as CheckStatus, null, t("portfolios.col.after"), true)}</tr>`,
          )}</tbody></table>
          ${changes.regressions.length > 200 ? html`<p>${t("portfolios.regressions.more", { count: changes.regressions.length - 200 })}</p>` : ""}`}`
    : "";

  const runsTable = recent.length
    ? html`<h2 id="runs">${t("portfolios.runs.title")}</h2><table><thead><tr><th scope="col">${t("portfolios.col.run")}</th><th scope="col">${t("portfolios.col.status")}</th><th scope="col" class="num">${t("portfolios.col.progress")}</th><th scope="col" class="num">${t("portfolios.col.errors")}</th><th scope="col" class="num">${t("portfolios.col.meanScore")}</th></tr></thead><tbody>${recent.map(
        (entry) => html`<tr><td>${when(entry.run.createdAt)}${entry.run.slot.startsWith("manual:") ? html` <span class="muted">(${t("portfolios.run.manual")})</span>` : ""}</td><td>${runStatus(t, entry.run)}</td><td class="num">${entry.done} / ${entry.run.total}</td><td class="num">${entry.errors}</td><td class="num">${entry.meanScore ?? "–"}</td></tr>`,
      )}</tbody></table>`
    : "";

  // The alerts the runs raised, and whether their e-mail and webhook went out (delivery.ts records it).
  const alertsTable = alerts.length
    ? html`<h2 id="alerts">${t("portfolios.alerts.title")}</h2><table><thead><tr><th scope="col">${t("portfolios.col.when")}</th><th scope="col">${t("portfolios.col.kind")}</th><th scope="col">${t("portfolios.col.alert")}</th><th scope="col">${t("portfolios.col.email")}</th><th scope="col">${t("portfolios.col.webhook")}</th></tr></thead><tbody>${alerts.map(
        (alert) => html`<tr><td>${when(alert.createdAt)}</td><td>${t(`portfolios.alert.${alert.kind}`)}</td><td>${alert.title}</td><td>${alert.emailState}</td><td>${alert.webhookState}</td></tr>`,
      )}</tbody></table>`
    : "";

  let domains: SafeHtml = html``;
  if (!latest) {
    const list = await listPortfolioDomains(store.db, portfolio.id, { limit: MATRIX_PAGE });
    domains = html`<h2>${t("portfolios.domains.title")}</h2>
      ${list.length === 0
        ? html`<p>${t("portfolios.domains.none")}${editor ? html` <a href="/portfolios/${portfolio.id}/import">${t("portfolios.importLink")}</a>` : ""}</p>`
        : html`<p>${t(campaigns ? "portfolios.domains.notRunYet" : "portfolios.run.unavailable")}</p><table><thead><tr><th scope="col">${t("portfolios.col.domain")}</th><th scope="col">${t("portfolios.col.organisation")}</th><th scope="col">${t("portfolios.col.sector")}</th><th scope="col">${t("portfolios.col.region")}</th></tr></thead><tbody>${list.map((entry) => html`<tr><td>${entry.domain}</td><td>${entry.organisation ?? ""}</td><td>${entry.sector ?? ""}</td><td>${entry.region ?? ""}</td></tr>`)}</tbody></table>${domainCount > list.length ? html`<p>${t("portfolios.domains.more", { count: domainCount - list.length })}</p>` : ""}`}`;
  }

  const notice = c.req.query("started") ? t("portfolios.run.started") : c.req.query("saved") ? t("portfolios.saved") : undefined;
  const body = html`${running}
    ${portfolio.description ? html`<p>${portfolio.description}</p>` : ""}
    <p class="muted">${suiteLabel(t, portfolio.suites)}</p>
    ${summary}
    ${actions}
    ${regressions}
    ${matrix}
    ${adoptionSection(c, history)}
    ${domains}
    ${alertsTable}
    ${runsTable}`;
  return c.html(page(pageContext(c), portfolio.name, withStyle(body), notice ? { notice } : undefined));
}
