/**
 * The HTML report of `baseline check --html FILE`: one standalone file (CSS
 * inline, no scripts, no external resource) that a buyer can forward to a
 * supplier: per domain its score, categories, tests with how to fix them
 * and their evidence (collapsed), when it was made and by which Baseline;
 * several domains get a summary table first. The web app's /check page
 * shows the same pieces (`domainSection`, `REPORT_CSS`) in its own layout.
 *
 * Everything shown is escaped: evidence and summaries come from servers
 * that may be hostile.
 */
import { escapeHtml } from "../../requirements/render/html.ts";
import type { CategoryResult, CheckResult, CheckStatus, DomainReport } from "../types.ts";
import { CATEGORY_NAMES, cleanText, STATUS_WORDS } from "./labels.ts";
import { SCORING_NOTE } from "./text.ts";

/** The words of the report, so that the web app can give them in the visitor's language. */
export interface HtmlLabels {
  title: string;
  score: string;
  notScored: string;
  domain: string;
  suite: string;
  evidence: string;
  fix: string;
  about: string;
  pointsLost: string;
  generated: string;
  noChecks: string;
  scoringNote: string;
  weight: { recommended: string; informational: string };
  statuses: Record<CheckStatus, string>;
  categories: Record<string, string>;
}

export const ENGLISH_LABELS: HtmlLabels = {
  title: "Baseline check report",
  score: "Score",
  notScored: "not scored",
  domain: "Domain",
  suite: "Suite",
  evidence: "Evidence",
  fix: "How to fix",
  about: "About the standard",
  pointsLost: "Points lost",
  generated: "Generated {time} by Baseline {version}.",
  noChecks: "This suite has no checks yet.",
  scoringNote: SCORING_NOTE,
  weight: { recommended: "recommended, not scored", informational: "informational, not scored" },
  statuses: STATUS_WORDS,
  categories: CATEGORY_NAMES,
};

export interface SectionOptions {
  labels?: HtmlLabels;
  /** Where a standard's catalog page is (the web app's /standards/ID); without it the CLI command is shown. */
  standardHref?: (standard: string) => string;
  /** Level of the domain's heading (2 in the standalone file). */
  headingLevel?: 1 | 2 | 3;
  /** The section's id attribute, for links from the summary table. */
  id?: string;
}

/** Evidence is shown up to this many characters (a page should not carry megabytes of headers). */
const MAX_EVIDENCE_CHARACTERS = 20_000;

/** Class names start with "bl-", so that the pieces do not clash with a page's own styles. */
export const REPORT_CSS = `
.bl-report{font:15px/1.45 system-ui,"Segoe UI","Liberation Sans",sans-serif;color:#1a1a1a}
.bl-report h2,.bl-report h3{margin:1.2rem 0 .4rem}
.bl-score{font-size:1.1rem;font-weight:700}
.bl-badge{display:inline-block;min-width:5.5rem;text-align:center;padding:.05rem .4rem;border-radius:3px;font-size:.85rem;font-weight:700;border:1px solid transparent}
.bl-passed{background:#e3f4e1;color:#1d5a17;border-color:#9cc996}
.bl-failed{background:#fde4e4;color:#8a0f0f;border-color:#e7a0a0}
.bl-warning{background:#fff1d6;color:#6b4800;border-color:#e6c37a}
.bl-info{background:#e4f0fb;color:#0b4a7d;border-color:#9fc4e6}
.bl-not_tested{background:#f0f0f0;color:#444;border-color:#c8c8c8}
.bl-error{background:#f6e6f6;color:#6d116d;border-color:#d2a0d2}
.bl-category{border-top:2px solid #c9d3dd;margin-top:1rem}
.bl-category h3{display:flex;flex-wrap:wrap;gap:.5rem;align-items:baseline}
.bl-tests{list-style:none;margin:0;padding:0}
.bl-test{padding:.45rem 0;border-bottom:1px solid #e3e7eb}
.bl-test-head{display:flex;flex-wrap:wrap;gap:.5rem;align-items:baseline}
.bl-test-title{font-weight:600}
.bl-id{color:#555;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.85rem}
.bl-summary{margin:.2rem 0 0}
.bl-fix{margin:.3rem 0 0;padding:.3rem .5rem;background:#fff8e8;border-left:3px solid #e0a020}
.bl-report details{margin:.3rem 0 0}
.bl-report summary{cursor:pointer;color:#0b4f8a}
.bl-report pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f5f7f9;border:1px solid #dde3e8;padding:.5rem;font-size:.8rem;max-height:30rem;overflow:auto}
.bl-lost{color:#555;font-size:.9rem;margin:.3rem 0 0}
.bl-summary-table{border-collapse:collapse;width:100%}
.bl-summary-table th,.bl-summary-table td{border:1px solid #9aa5b1;padding:.25rem .5rem;text-align:left}
.bl-summary-table th{background:#e8eef5}
.bl-summary-table td.bl-num{text-align:right}
.bl-note{color:#555;font-size:.9rem}
`;

const e = (text: string): string => escapeHtml(text);

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

function badge(status: CheckStatus, labels: HtmlLabels): string {
  return `<span class="bl-badge bl-${status}">${e(labels.statuses[status])}</span>`;
}

function scoreText(score: number | null, labels: HtmlLabels): string {
  return score === null ? e(labels.notScored) : `${score}/100`;
}

/** Evidence as indented JSON, capped. */
function evidenceText(evidence: Record<string, unknown>): string {
  let text: string;
  try {
    text = JSON.stringify(evidence, null, 2);
  } catch {
    text = "(evidence that cannot be shown as JSON)";
  }
  return text.length > MAX_EVIDENCE_CHARACTERS ? `${text.slice(0, MAX_EVIDENCE_CHARACTERS)}\n… (${text.length - MAX_EVIDENCE_CHARACTERS} more characters)` : text;
}

function testItem(test: CheckResult, options: SectionOptions, labels: HtmlLabels): string {
  const weight = test.weight === "required" ? "" : ` <span class="bl-id">(${e(labels.weight[test.weight])})</span>`;
  const about = options.standardHref
    ? `<a href="${e(options.standardHref(test.standard))}">${e(labels.about)}: ${e(test.standard)}</a>`
    : `${e(labels.about)}: <code>baseline standards show ${e(test.standard)}</code>`;
  const fix = test.fix !== null && test.status !== "passed" ? `<p class="bl-fix"><strong>${e(labels.fix)}:</strong> ${e(cleanText(test.fix))}<br>${about}</p>` : "";
  const hasEvidence = Object.keys(test.evidence).length > 0;
  return `<li class="bl-test bl-test-${test.status}" data-test="${e(test.id)}">
<div class="bl-test-head">${badge(test.status, labels)} <span class="bl-test-title">${e(cleanText(test.title))}</span> <span class="bl-id">${e(test.id)}</span>${weight}</div>
<p class="bl-summary">${e(cleanText(test.summary))}</p>
${fix}${hasEvidence ? `<details><summary>${e(labels.evidence)}</summary><pre>${e(evidenceText(test.evidence))}</pre></details>` : ""}
</li>`;
}

function categoryBlock(category: CategoryResult, tests: readonly CheckResult[], options: SectionOptions, labels: HtmlLabels, level: number): string {
  const lost = category.deductions.filter((deduction) => deduction.points > 0);
  const lostText = lost.length === 0 ? "" : `<p class="bl-lost">${e(labels.pointsLost)}: ${lost.map((deduction) => `${e(deduction.test)} −${deduction.points}`).join(", ")}</p>`;
  return `<section class="bl-category" data-category="${e(category.id)}">
<h${level}>${e(labels.categories[category.id] ?? category.id)} <span class="bl-id">${e(category.id)}</span> <span class="bl-score">${scoreText(category.score, labels)}</span> ${badge(category.status, labels)}</h${level}>
<ul class="bl-tests">
${tests.map((test) => testItem(test, options, labels)).join("\n")}
</ul>
${lostText}
</section>`;
}

/** One domain's report: heading with the overall score, then each category with its tests. */
export function domainSection(report: DomainReport, options: SectionOptions = {}): string {
  const labels = options.labels ?? ENGLISH_LABELS;
  const level = options.headingLevel ?? 2;
  const categories = report.categories
    .map((category) => ({ category, tests: report.tests.filter((test) => test.category === category.id) }))
    .filter(({ tests }) => tests.length > 0)
    .map(({ category, tests }) => categoryBlock(category, tests, options, labels, Math.min(level + 1, 6)))
    .join("\n");
  return `<section class="bl-domain"${options.id ? ` id="${e(options.id)}"` : ""} data-domain="${e(report.domain)}">
<h${level}>${e(report.domain)} <span class="bl-id">${e(labels.suite)}: ${e(report.suite)}</span> <span class="bl-score">${e(labels.score)}: ${scoreText(report.score, labels)}</span></h${level}>
<p class="bl-note">${e(report.startedAt.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC"))} · ${(report.durationMs / 1000).toFixed(1)} s</p>
${report.tests.length === 0 ? `<p>${e(labels.noChecks)}</p>` : categories}
</section>`;
}

/** The summary table of several domains: score and each category's score, linking to the sections. */
export function summaryTable(reports: readonly DomainReport[], labels: HtmlLabels = ENGLISH_LABELS, anchor: (index: number) => string = (index) => `domain-${index + 1}`): string {
  const categoryIds = [...new Set(reports.flatMap((report) => report.categories.map((category) => category.id)))];
  const head = `<tr><th scope="col">${e(labels.domain)}</th><th scope="col">${e(labels.suite)}</th><th scope="col">${e(labels.score)}</th>${categoryIds.map((id) => `<th scope="col">${e(labels.categories[id] ?? id)}</th>`).join("")}</tr>`;
  const rows = reports.map((report, index) => {
    const cells = categoryIds.map((id) => {
      const category = report.categories.find((candidate) => candidate.id === id);
      return category ? `<td class="bl-num">${scoreText(category.score, labels)} ${badge(category.status, labels)}</td>` : "<td></td>";
    });
    return `<tr><th scope="row"><a href="#${e(anchor(index))}">${e(report.domain)}</a></th><td>${e(report.suite)}</td><td class="bl-num">${scoreText(report.score, labels)}</td>${cells.join("")}</tr>`;
  });
  return `<table class="bl-summary-table"><thead>${head}</thead><tbody>${rows.join("\n")}</tbody></table>`;
}

export interface DocumentOptions {
  version: string;
  generatedAt: Date;
  labels?: HtmlLabels;
}

/** The standalone file: every report, a summary table first when there are several. */
export function renderHtmlReport(reports: readonly DomainReport[], options: DocumentOptions): string {
  const labels = options.labels ?? ENGLISH_LABELS;
  const domains = [...new Set(reports.map((report) => report.domain))];
  const title = `${labels.title}: ${domains.length <= 3 ? domains.join(", ") : `${domains.length} domains`}`;
  const sections = reports.map((report, index) => domainSection(report, { labels, headingLevel: 2, id: `domain-${index + 1}` })).join("\n");
  const generated = fill(e(labels.generated), { time: e(options.generatedAt.toISOString()), version: e(options.version) });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>${e(title)}</title>
<style>
body{margin:0;background:#fff}
main{max-width:72rem;margin:0 auto;padding:1rem}
${REPORT_CSS}
</style>
</head>
<body>
<main class="bl-report">
<h1>${e(title)}</h1>
<p class="bl-note">${generated}</p>
${reports.length > 1 ? summaryTable(reports, labels) : ""}
${sections}
<p class="bl-note">${e(labels.scoringNote)}</p>
</main>
</body>
</html>
`;
}
