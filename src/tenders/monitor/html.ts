/**
 * Renders a monitor report as one standalone HTML page: key figures, three
 * charts drawn as inline SVG, and the tables behind them. It loads nothing
 * (no scripts, fonts, style sheets or images), so it can be mailed, archived
 * and printed as is. Each chart is an image with a title and description for
 * screen readers, and its numbers are also in a table, which is what
 * assistive technology reads.
 *
 * @example
 *   const html = renderMonitorHtml(aggregate(analyses), {
 *     language: "nl",
 *     generatedAt: "2026-02-01",
 *     standardNames: standardNames(loadCatalog(), "nl"),
 *   });
 */
import type { Catalog } from "../../catalog/catalog.ts";
import type { Language } from "../../catalog/schema.ts";
import { escapeHtml } from "../../requirements/render/html.ts";
import type { MonitorReport, PeriodRow, TenderRow } from "./aggregate.ts";
import { MONITOR_LABELS, type MonitorLabels } from "./labels.ts";

export interface MonitorHtmlOptions {
  /** Language of the page's wording; English by default. */
  language?: Language;
  /** When the report was made, printed as given (e.g. "2026-02-01"). */
  generatedAt: string;
  /** Display names by standard id, e.g. from `standardNames(catalog, language)`; ids are shown otherwise. */
  standardNames?: Readonly<Record<string, string>>;
}

/** The catalog's short names of all standards in one language, for `MonitorHtmlOptions.standardNames`. */
export function standardNames(catalog: Catalog, language: Language): Record<string, string> {
  return Object.fromEntries(catalog.standards.map((standard) => [standard.id, standard.name[language]]));
}

/** Dark enough on white for text and graphics (WCAG contrast above 7:1). */
const COLORS = { text: "#1a1a1a", bar: "#1f4e79", missing: "#8f2a0e", grid: "#767676" };

const STYLE = `
  :root { color-scheme: light; }
  body { font: 11pt/1.45 "Segoe UI", "Liberation Sans", Arial, sans-serif; color: ${COLORS.text}; background: #fff; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.6rem; border-bottom: 2px solid ${COLORS.bar}; padding-bottom: .3rem; }
  h2 { font-size: 1.3rem; color: ${COLORS.bar}; margin-top: 2.2rem; }
  h3 { font-size: 1.05rem; margin-top: 1.5rem; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .8rem 0; }
  caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
  th, td { border: 1px solid #8a8a8a; padding: .3rem .45rem; text-align: left; vertical-align: top; }
  thead th { background: #dde6f0; }
  tbody th { font-weight: 600; }
  td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .headline { font-size: 1.25rem; }
  .headline td.number { font-size: 1.6rem; font-weight: 700; color: ${COLORS.bar}; }
  .source { display: block; font-weight: normal; font-size: .8rem; color: #404040; overflow-wrap: anywhere; }
  figure { margin: 1rem 0; }
  figcaption { font-size: .9rem; color: #404040; }
  svg { max-width: 100%; height: auto; font-family: inherit; }
  a { color: ${COLORS.bar}; overflow-wrap: anywhere; }
  footer { margin-top: 2.5rem; font-size: .85rem; color: #404040; }
  @page { size: A4; margin: 1.6cm; }
  @media print {
    body { margin: 0; max-width: none; font-size: 9.5pt; }
    h2, h3 { break-after: avoid; }
    figure, tr { break-inside: avoid; }
    thead { display: table-header-group; }
  }
`;

/** Renders the whole report page. */
export function renderMonitorHtml(report: MonitorReport, options: MonitorHtmlOptions): string {
  const language = options.language ?? "en";
  const labels = MONITOR_LABELS[language];
  const format = formatters(language, options.standardNames ?? {});
  const sections = [
    keyFigures(report, labels, format),
    standardsSection(report, labels, format),
    trendSection(report, labels, format),
    mostMissingSection(report, labels, format),
    authoritiesSection(report, labels, format),
    tendersSection(report, labels, format),
  ];
  return `<!doctype html>
<html lang="${escapeHtml(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Baseline">
<title>${escapeHtml(labels.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(labels.title)}</h1>
<p>${escapeHtml(labels.intro)}</p>
${sections.join("\n")}
</main>
<footer>
<p>${escapeHtml(labels.method)}</p>
<p>${escapeHtml(labels.generated(options.generatedAt))}</p>
</footer>
</body>
</html>
`;
}

interface Formatters {
  percent: (share: number | null) => string;
  count: (value: number) => string;
  standard: (id: string) => string;
}

/** Numbers and percentages as the page's language writes them ("45%", "45 %"). */
function formatters(language: Language, names: Readonly<Record<string, string>>): Formatters {
  const percent = new Intl.NumberFormat(language, { style: "percent", maximumFractionDigits: 0 });
  const count = new Intl.NumberFormat(language);
  return {
    percent: (share) => (share === null ? "–" : percent.format(share)),
    count: (value) => count.format(value),
    standard: (id) => names[id] ?? id,
  };
}

function keyFigures(report: MonitorReport, labels: MonitorLabels, format: Formatters): string {
  const { totals } = report;
  const figures = labels.figures;
  const period = totals.firstPublished && totals.lastPublished ? `${totals.firstPublished} – ${totals.lastPublished}` : "–";
  const rows: [string, string][] = [
    [figures.tenders, format.count(totals.tenders)],
    [figures.ictTenders, format.count(totals.ictTenders)],
    [figures.relevantPairs, format.count(totals.relevantPairs)],
    [figures.requestedPairs, format.count(totals.requestedPairs)],
    [figures.allRequested, `${format.count(totals.allRequested)} (${format.percent(totals.allRequestedShare)})`],
    [figures.genericDemand, format.count(totals.genericDemand)],
    [figures.undated, format.count(totals.undated)],
    [figures.period, period],
  ];
  return `<section aria-labelledby="key-figures">
<h2 id="key-figures">${escapeHtml(labels.keyFigures)}</h2>
<table>
<tbody>
<tr class="headline"><th scope="row">${escapeHtml(figures.shareRequested)}</th><td class="number">${escapeHtml(format.percent(totals.shareRequested))}</td></tr>
${rows.map(([label, value]) => `<tr><th scope="row">${escapeHtml(label)}</th><td class="number">${escapeHtml(value)}</td></tr>`).join("\n")}
</tbody>
</table>
</section>`;
}

function standardsSection(report: MonitorReport, labels: MonitorLabels, format: Formatters): string {
  const chart = barChart({
    id: "chart-standards",
    ...labels.charts.shareByStandard,
    color: COLORS.bar,
    bars: report.standards.map((row) => ({ label: format.standard(row.standard), fraction: row.shareRequested, text: format.percent(row.shareRequested) })),
  });
  const columns = labels.columns;
  const table = dataTable(
    labels.headings.standards,
    [columns.standard, columns.relevantIn, columns.requestedIn, columns.share, columns.required, columns.desired],
    report.standards.map((row) => [
      format.standard(row.standard),
      format.count(row.relevantIn),
      format.count(row.requestedIn),
      format.percent(row.shareRequested),
      format.count(row.required),
      format.count(row.desired),
    ]),
  );
  return section("per-standard", labels.headings.standards, [chart ?? noData(labels), table]);
}

function trendSection(report: MonitorReport, labels: MonitorLabels, format: Formatters): string {
  const years = report.trend.byYear;
  const chart = columnChart({
    id: "chart-trend",
    ...labels.charts.trend,
    color: COLORS.bar,
    columns: years.map((row) => ({ label: row.period, fraction: row.shareRequested, text: format.percent(row.shareRequested) })),
    tick: format.percent,
  });
  const columns = labels.columns;
  const periodTable = (caption: string, rows: readonly PeriodRow[]): string =>
    dataTable(
      caption,
      [columns.period, columns.tenders, columns.ictTenders, columns.relevantPairs, columns.requestedPairs, columns.share, columns.allRequested],
      rows.map((row) => [
        row.period,
        format.count(row.tenders),
        format.count(row.ictTenders),
        format.count(row.relevantPairs),
        format.count(row.requestedPairs),
        format.percent(row.shareRequested),
        format.count(row.allRequested),
      ]),
    );
  const tables = [periodTable(labels.headings.byYear, years)];
  if (report.trend.byQuarter.length > 0) tables.push(periodTable(labels.headings.byQuarter, report.trend.byQuarter));
  return section("trend", labels.headings.trend, [chart ?? noData(labels), ...(years.length > 0 ? tables : [])]);
}

function mostMissingSection(report: MonitorReport, labels: MonitorLabels, format: Formatters): string {
  const highest = Math.max(1, ...report.mostMissing.map((row) => row.missingIn));
  const chart = barChart({
    id: "chart-missing",
    ...labels.charts.mostMissing,
    color: COLORS.missing,
    bars: report.mostMissing.map((row) => ({ label: format.standard(row.standard), fraction: row.missingIn / highest, text: format.count(row.missingIn) })),
  });
  const columns = labels.columns;
  const table = dataTable(
    labels.headings.mostMissing,
    [columns.standard, columns.missingIn, columns.relevantIn],
    report.mostMissing.map((row) => {
      const relevantIn = report.standards.find((standard) => standard.standard === row.standard)?.relevantIn ?? row.missingIn;
      return [format.standard(row.standard), format.count(row.missingIn), format.count(relevantIn)];
    }),
  );
  return section("most-missing", labels.headings.mostMissing, chart ? [chart, table] : [noData(labels)]);
}

function authoritiesSection(report: MonitorReport, labels: MonitorLabels, format: Formatters): string {
  const columns = labels.columns;
  const table = dataTable(
    labels.headings.authorities,
    [columns.authority, columns.tenders, columns.ictTenders, columns.relevantPairs, columns.requestedPairs, columns.share, columns.allRequested],
    report.authorities.map((row) => [
      row.authority ?? labels.unknownAuthority,
      format.count(row.tenders),
      format.count(row.ictTenders),
      format.count(row.relevantPairs),
      format.count(row.requestedPairs),
      format.percent(row.shareRequested),
      format.count(row.allRequested),
    ]),
  );
  return section("per-authority", labels.headings.authorities, [report.authorities.length > 0 ? table : noData(labels)]);
}

function tendersSection(report: MonitorReport, labels: MonitorLabels, format: Formatters): string {
  const columns = labels.columns;
  const showAlso = report.tenders.some((row) => row.alsoRequested.length > 0);
  const header = [columns.tender, columns.authority, columns.date, columns.language, columns.coverage, columns.requested, columns.missing];
  if (showAlso) header.push(columns.alsoRequested);
  const names = (ids: readonly string[]): string => escapeHtml(ids.length > 0 ? ids.map(format.standard).join(", ") : labels.none);
  const rows = report.tenders.map((row) => {
    const requested = row.requested.map(({ standard, level }) =>
      level === "desired" ? `${format.standard(standard)} (${labels.desiredMark})` : format.standard(standard),
    );
    const cells = [
      `<th scope="row">${tenderTitle(row, labels)}</th>`,
      `<td>${escapeHtml(row.authority ?? labels.unknownAuthority)}</td>`,
      `<td>${escapeHtml(row.publishedAt?.slice(0, 10) ?? "–")}</td>`,
      `<td>${escapeHtml(row.language)}</td>`,
      `<td class="number">${escapeHtml(format.percent(row.coverage))}</td>`,
      `<td>${escapeHtml(requested.length > 0 ? requested.join(", ") : labels.none)}</td>`,
      `<td>${names(row.missing)}</td>`,
    ];
    if (showAlso) cells.push(`<td>${names(row.alsoRequested)}</td>`);
    return `<tr>${cells.join("")}</tr>`;
  });
  const table = `<table>
<caption>${escapeHtml(labels.headings.tenders)}</caption>
<thead><tr>${header.map((cell) => `<th scope="col">${escapeHtml(cell)}</th>`).join("")}</tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`;
  return section("per-tender", labels.headings.tenders, [report.tenders.length > 0 ? table : noData(labels)]);
}

/** The title, linked when the source is a web address, with the source beneath it. */
function tenderTitle(row: TenderRow, labels: MonitorLabels): string {
  const title = escapeHtml(row.title ?? labels.untitled);
  const source = escapeHtml(row.source);
  // Only http(s) becomes a link, so a "javascript:" source stays inert text.
  const linked = /^https?:\/\//i.test(row.source) ? `<a href="${source}">${title}</a>` : title;
  return `${linked}<span class="source">${source}</span>`;
}

function section(id: string, heading: string, parts: readonly string[]): string {
  return `<section aria-labelledby="${id}">
<h2 id="${id}">${escapeHtml(heading)}</h2>
${parts.join("\n")}
</section>`;
}

/** A table whose first column names the row; every cell is escaped here. */
function dataTable(caption: string, header: readonly string[], rows: readonly (readonly string[])[]): string {
  const body = rows.map(([first = "", ...rest]) => {
    const cells = rest.map((cell) => `<td class="number">${escapeHtml(cell)}</td>`).join("");
    return `<tr><th scope="row">${escapeHtml(first)}</th>${cells}</tr>`;
  });
  return `<table>
<caption>${escapeHtml(caption)}</caption>
<thead><tr>${header.map((cell) => `<th scope="col">${escapeHtml(cell)}</th>`).join("")}</tr></thead>
<tbody>
${body.join("\n")}
</tbody>
</table>`;
}

function noData(labels: MonitorLabels): string {
  return `<p>${escapeHtml(labels.noData)}</p>`;
}

interface ChartFrame {
  id: string;
  title: string;
  description: string;
  color: string;
}

interface ChartValue {
  label: string;
  /** Length of the bar from 0 to 1; null draws no bar (no data for that item). */
  fraction: number | null;
  /** The value as printed next to the bar. */
  text: string;
}

/**
 * The <svg> element that makes a chart an image for assistive technology:
 * role and name on the element, title and description inside it. No xmlns
 * is needed for SVG inside HTML.
 */
function svgOpen(frame: ChartFrame, width: number, height: number): string {
  return `<svg role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-label="${escapeHtml(frame.title)}" aria-describedby="${frame.id}-desc">
<title>${escapeHtml(frame.title)}</title>
<desc id="${frame.id}-desc">${escapeHtml(frame.description)}</desc>`;
}

function figure(frame: ChartFrame, svg: string): string {
  return `<figure id="${frame.id}">
${svg}
<figcaption>${escapeHtml(frame.description)}</figcaption>
</figure>`;
}

/** Horizontal bars, one row per item, labels on the left and values on the right. Null without items. */
function barChart(frame: ChartFrame & { bars: readonly ChartValue[] }): string | null {
  if (frame.bars.length === 0) return null;
  const labelWidth = 200;
  const barArea = 360;
  const rowHeight = 26;
  const top = 8;
  const width = labelWidth + barArea + 70;
  const height = top * 2 + rowHeight * frame.bars.length;
  const rows = frame.bars.map((bar, index) => {
    const y = top + index * rowHeight;
    const length = Math.max(0, Math.min(1, bar.fraction ?? 0)) * barArea;
    return [
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end" font-size="13" fill="${COLORS.text}">${escapeHtml(shorten(bar.label, 28))}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${round(length)}" height="${rowHeight - 8}" fill="${frame.color}"/>`,
      `<text x="${round(labelWidth + length + 6)}" y="${y + 17}" font-size="13" fill="${COLORS.text}">${escapeHtml(bar.text)}</text>`,
    ].join("");
  });
  const axis = `<line x1="${labelWidth}" y1="${top}" x2="${labelWidth}" y2="${height - top}" stroke="${COLORS.grid}"/>`;
  return figure(frame, `${svgOpen(frame, width, height)}\n${axis}\n${rows.join("\n")}\n</svg>`);
}

/** Vertical columns on a 0-100 % scale, one per period, oldest left. Null without periods. */
function columnChart(frame: ChartFrame & { columns: readonly ChartValue[]; tick: (fraction: number) => string }): string | null {
  if (frame.columns.length === 0) return null;
  const left = 44;
  const top = 22;
  const plotHeight = 200;
  const slot = 64;
  const width = Math.max(280, left + slot * frame.columns.length + 12);
  const height = top + plotHeight + 32;
  const baseline = top + plotHeight;
  const grid = [0, 0.25, 0.5, 0.75, 1].map((step) => {
    const y = round(baseline - step * plotHeight);
    return `<line x1="${left}" y1="${y}" x2="${width - 8}" y2="${y}" stroke="${COLORS.grid}" stroke-width="${step === 0 ? 1.5 : 0.5}"/><text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="${COLORS.text}">${escapeHtml(frame.tick(step))}</text>`;
  });
  const columns = frame.columns.map((column, index) => {
    const x = left + index * slot + 12;
    const barWidth = slot - 24;
    const centre = x + barWidth / 2;
    const barHeight = Math.max(0, Math.min(1, column.fraction ?? 0)) * plotHeight;
    const bar = column.fraction === null ? "" : `<rect x="${x}" y="${round(baseline - barHeight)}" width="${barWidth}" height="${round(barHeight)}" fill="${frame.color}"/>`;
    return [
      bar,
      `<text x="${centre}" y="${round(baseline - barHeight - 5)}" text-anchor="middle" font-size="12" fill="${COLORS.text}">${escapeHtml(column.text)}</text>`,
      `<text x="${centre}" y="${baseline + 18}" text-anchor="middle" font-size="12" fill="${COLORS.text}">${escapeHtml(column.label)}</text>`,
    ].join("");
  });
  return figure(frame, `${svgOpen(frame, width, height)}\n${grid.join("\n")}\n${columns.join("\n")}\n</svg>`);
}

/** Keeps a label inside the chart's label column; the tables beside the chart carry the full name. */
function shorten(label: string, maxLength: number): string {
  return label.length > maxLength ? `${label.slice(0, maxLength - 1)}…` : label;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
