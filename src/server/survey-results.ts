/**
 * The results section of a survey's staff page: per question the counts
 * and percentages with a chart (SVG drawn on the server, the same figures
 * in a table), numeric summaries, the free-text answers, and, with ?by=NAME,
 * a cross-tabulation of every choice question by that select question.
 * Answers to a question named `region` or `sector` (or whose choices are
 * all UN M49 codes) link to the observatory's policies of that region or
 * sector, the list its matrix's cells lead to.
 *
 * The figures come from src/surveys/results.ts (one pass over the
 * responses, bounded memory); this module only lays them out.
 */
import { crossTabChart, choiceChart } from "../surveys/result-charts.ts";
import { tallySurvey, type ChoiceTally, type CrossTab, type QuestionResult } from "../surveys/results.ts";
import { languageCode, textIn, type Form, type Question, type Translated } from "../surveys/form.ts";
import { iterateResponses, type Survey } from "../store/index.ts";
import type { AppContext } from "./context.ts";
import { html, raw, type SafeHtml } from "./html.ts";
import type { Translate } from "./i18n.ts";

/** Free-text answers listed per question on the page (the exports have all of them). */
const TEXTS_SHOWN = 50;

export const RESULTS_STYLE = `
.sr-question{border-top:1px solid #c9d3dd;margin:1.2rem 0;padding-top:.4rem}
.sr-question h3{margin:.4rem 0 .2rem}
.sr-pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.2rem;align-items:start}
@media (max-width:56rem){.sr-pair{grid-template-columns:1fr}}
.sr-pair table{margin-top:0}
table.sr-table td.num,table.sr-table th.num{text-align:right;font-variant-numeric:tabular-nums}
table.sr-table caption{text-align:left;font-weight:600;padding:.2rem 0}
table.sr-table caption.sr-caption{font-weight:normal;color:#555;font-size:.9rem}
.sr-texts{max-height:24rem;overflow-y:auto;border:1px solid #c9d3dd;padding:.3rem 1.4rem;margin:.3rem 0}
.sr-texts li{margin:.2rem 0;white-space:pre-wrap}
.sr-scroll{overflow-x:auto}
`;

const percentText = (value: number): string => `${Math.round(value * 10) / 10}%`;

/** Which observatory filter a question's answers correspond to, if any. */
function observatoryFilter(question: Question | undefined): "region" | "sector" | null {
  if (!question) return null;
  if (question.name === "region" || (question.choices?.length && question.choices.every((choice) => choice.name === "other" || /^\d{3}$/.test(choice.name)))) return "region";
  if (question.name === "sector") return "sector";
  return null;
}

/** The form's language shown to staff (labels, exports): the one of ?lang= or their UI language when the form has it, else the form's default. */
export function staffLanguage(c: AppContext, form: Form): string {
  const wanted = c.req.query("lang") ?? c.get("language");
  return form.languages.find((language) => languageCode(language) === wanted) ?? form.defaultLanguage;
}

export async function resultsSection(c: AppContext, survey: Survey): Promise<SafeHtml> {
  const t = c.get("t");
  const form = survey.form as Form;
  const language = staffLanguage(c, form);
  const label = (text: Translated, name: string): string => textIn(text, language, form).trim() || name;
  const selects = form.questions.filter((question) => question.type === "select_one" || question.type === "select_multiple");
  const by = selects.find((question) => question.name === c.req.query("by"));
  const results = await tallySurvey(form, iterateResponses(c.get("services").store.db, survey.id), by ? { by: by.name } : {});
  const questions = new Map(form.questions.map((question) => [question.name, question]));
  const byLabel = by ? label(by.label, by.name) : "";

  const chooser = html`<form class="inline" method="get" action="/surveys/admin/${survey.id}#results">
    <div><label for="by">${t("surveys.results.by")}</label><select id="by" name="by"><option value="">${t("surveys.results.byNone")}</option>${selects.map(
      (question) => html`<option value="${question.name}"${question.name === by?.name ? " selected" : ""}>${label(question.label, question.name)}</option>`,
    )}</select></div>
    <div><button type="submit">${t("surveys.results.show")}</button></div>
  </form>`;

  if (results.responses === 0) return html`<h2 id="results">${t("surveys.results.title")}</h2><p>${t("surveys.results.none")}</p>`;

  const crossTabs = new Map(results.crossTabs.map((table) => [table.question, table]));
  const sections = results.questions.map((result, index) => {
    const question = questions.get(result.name);
    const title = label(result.label, result.name);
    const heading = html`<h3 id="result-${result.name}">${title} <code class="muted">${result.name}</code></h3>
      <p class="muted">${t("surveys.results.answered", { answered: result.answered, total: results.responses })}</p>`;
    const cross = crossTabs.get(result.name);
    return html`<section class="sr-question">${heading}${body(c, form, result, question, index, language, label, results.responses)}${cross ? crossSection(t, form, cross, byLabel, index, language, label) : ""}</section>`;
  });
  return html`<h2 id="results">${t("surveys.results.title")}</h2>
    <p>${t("surveys.results.count", { count: results.responses })}</p>
    ${chooser}
    ${sections}`;
}

function body(c: AppContext, form: Form, result: QuestionResult, question: Question | undefined, index: number, language: string, label: (text: Translated, name: string) => string, total: number): SafeHtml {
  const t = c.get("t");
  switch (result.kind) {
    case "choices": {
      const filter = observatoryFilter(question);
      const chart = choiceChart(form, result, language, { id: `chart-${index}`, answeredText: (answered) => t("surveys.results.answered", { answered, total }), width: 560 });
      const row = (choice: ChoiceTally): SafeHtml =>
        html`<tr><th scope="row">${label(choice.label, choice.name)}</th><td class="num">${choice.count}</td><td class="num">${percentText(choice.percent)}</td>${filter ? html`<td>${choice.name === "other" ? "" : html`<a href="/policies?${filter}=${encodeURIComponent(choice.name)}">${t(filter === "region" ? "surveys.results.regionLink" : "surveys.results.sectorLink")}</a>`}</td>` : ""}</tr>`;
      const table = html`<table class="sr-table"><caption class="sr-caption">${t("surveys.results.tableCaption", { question: label(result.label, result.name) })}</caption><thead><tr><th scope="col">${t("surveys.results.col.answer")}</th><th scope="col" class="num">${t("surveys.results.col.count")}</th><th scope="col" class="num">${t("surveys.results.col.percent")}</th>${filter ? html`<th scope="col">${t("surveys.results.observatory")}</th>` : ""}</tr></thead><tbody>${result.choices.map(row)}</tbody></table>`;
      return html`${result.firstOnly ? html`<p class="muted">${t("surveys.results.rankNote")}</p>` : ""}<div class="sr-pair"><div>${chart ? raw(chart) : ""}</div><div>${table}</div></div>`;
    }
    case "number": {
      const summary = result.summary;
      if (!summary) return html``;
      const number = (value: number): string => String(Math.round(value * 100) / 100);
      const rows: [string, string][] = [
        [t("surveys.results.mean"), number(summary.mean)],
        [t("surveys.results.median"), `${summary.approximate ? "≈ " : ""}${number(summary.median)}`],
        [t("surveys.results.min"), number(summary.min)],
        [t("surveys.results.max"), number(summary.max)],
      ];
      return html`<table class="sr-table" style="max-width:24rem"><thead><tr><th scope="col">${t("surveys.results.col.statistic")}</th><th scope="col" class="num">${t("surveys.results.col.value")}</th></tr></thead><tbody>${rows.map(([name, value]) => html`<tr><th scope="row">${name}</th><td class="num">${value}</td></tr>`)}</tbody></table>`;
    }
    case "text": {
      const shown = result.texts.values.slice(0, TEXTS_SHOWN);
      if (shown.length === 0) return html``;
      return html`<p>${t("surveys.results.texts")}</p><ul class="sr-texts">${shown.map((text) => html`<li>${text}</li>`)}</ul>${result.texts.total > shown.length ? html`<p class="muted">${t("surveys.results.more", { count: result.texts.total - shown.length })}</p>` : ""}`;
    }
  }
}

/** The question's answers per answer of the question cross-tabulated by: a table of counts and row percentages, and its chart. */
function crossSection(t: Translate, form: Form, table: CrossTab, byLabel: string, index: number, language: string, label: (text: Translated, name: string) => string): SafeHtml {
  const caption = t("surveys.results.cross", { question: label(table.label, table.question), by: byLabel });
  const head = html`<tr><th scope="col">${byLabel}</th>${table.columns.map((column) => html`<th scope="col" class="num">${label(column.label, column.name)}</th>`)}<th scope="col" class="num">${t("surveys.results.col.total")}</th></tr>`;
  const rows = table.rows.map(
    (row) => html`<tr><th scope="row">${label(row.label, row.name)}</th>${row.cells.map((cell) => html`<td class="num">${cell.count} <span class="muted">(${percentText(cell.percent)})</span></td>`)}<td class="num">${row.total}</td></tr>`,
  );
  const chart = crossTabChart(form, table, byLabel, language, { id: `cross-${index}`, width: 560 });
  return html`<div class="sr-scroll"><table class="sr-table"><caption>${caption}</caption><thead>${head}</thead><tbody>${rows}</tbody></table></div>
    <p class="muted">${t("surveys.results.crossNote")}</p>
    <details><summary>${caption}</summary>${raw(chart)}</details>`;
}
