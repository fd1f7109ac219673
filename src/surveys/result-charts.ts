/**
 * Survey results as charts drawn on the server: inline SVG horizontal bars,
 * readable without JavaScript and by screen readers. Each SVG is role="img"
 * named by its <title> and described by its <desc> (which also says every
 * figure in words), and every bar has its label and its figure written out
 * next to it ("12 · 40 %"), so that colour and length are never the only
 * cue. The style follows the observatory's campaign charts (one blue,
 * Okabe-Ito; system fonts; width 100 % with a viewBox so that a chart
 * shrinks on a narrow screen), drawn here because src/surveys/ imports
 * nothing of the rest of Baseline.
 *
 * Every text is escaped: labels come from uploaded forms.
 *
 * @example
 *   const svg = choiceChart(form, results.questions[0], "English (en)");
 */
import { textIn, type Form, type Translated } from "./form.ts";
import type { CrossTab, QuestionResult } from "./results.ts";

const FONT = `font-family="system-ui,'Segoe UI','Liberation Sans',sans-serif"`;
const BAR_COLOUR = "#0072B2";
/** Cross-tabulation groups alternate two Okabe-Ito colours, with the group's name written above. */
const GROUP_COLOURS = ["#0072B2", "#D55E00"] as const;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

export interface ChartBar {
  label: string;
  count: number;
  /** 0..100. */
  percent: number;
}

export interface BarChartInput {
  /** Prefix of the title's and description's ids (unique on the page). */
  id: string;
  title: string;
  /** Said before the figures in <desc>, e.g. "42 answered". */
  description?: string;
  bars: readonly ChartBar[];
  width?: number;
}

const round1 = (value: number): string => String(Math.round(value * 10) / 10);

/** "12 · 40 %": the count and the percentage, as written next to a bar. */
export function figureText(bar: Pick<ChartBar, "count" | "percent">): string {
  return `${bar.count} · ${round1(bar.percent)} %`;
}

function cut(label: string, max: number): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

function svgOf(id: string, title: string, description: string, width: number, height: number, parts: readonly string[]): string {
  const safeId = id.replace(/[^a-zA-Z0-9_-]/g, "-");
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="${safeId}-title ${safeId}-desc" viewBox="0 0 ${width} ${height}" width="100%" style="max-width:${width}px" ${FONT}><title id="${safeId}-title">${escapeXml(title)}</title><desc id="${safeId}-desc">${escapeXml(description)}</desc>${parts.join("")}</svg>`;
}

function describe(prefix: string | undefined, bars: readonly ChartBar[]): string {
  const figures = bars.map((bar) => `${bar.label}: ${bar.count} (${round1(bar.percent)} %)`).join("; ");
  return prefix ? `${prefix}. ${figures}` : figures;
}

interface Row {
  kind: "bar" | "heading";
  text: string;
  bar?: ChartBar;
  colour?: string;
}

function drawRows(rows: readonly Row[], width: number): { parts: string[]; height: number } {
  const labelWidth = Math.min(240, Math.round(width * 0.36));
  const figureWidth = 110;
  const rowHeight = 22;
  const top = 6;
  const axis = 18;
  const x0 = labelWidth + 8;
  const barWidth = width - x0 - figureWidth - 8;
  const height = top * 2 + rowHeight * rows.length + axis;
  const parts: string[] = [];
  // The scale under the bars: 0, 50 and 100 %.
  for (const at of [0, 0.5, 1]) {
    const x = round1(x0 + barWidth * at);
    parts.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${height - top - axis + 4}" stroke="${at === 0 ? "#555" : "#d5dbe1"}" stroke-width="1"/>`);
    parts.push(`<text x="${x}" y="${height - top}" text-anchor="middle" font-size="11" fill="#333">${at * 100} %</text>`);
  }
  rows.forEach((row, index) => {
    const y = top + index * rowHeight;
    if (row.kind === "heading") {
      parts.push(`<text x="4" y="${y + 15}" font-size="13" font-weight="bold" fill="#1a1a1a">${escapeXml(cut(row.text, 80))}</text>`);
      return;
    }
    const bar = row.bar ?? { label: row.text, count: 0, percent: 0 };
    parts.push(`<text x="${labelWidth}" y="${y + 15}" text-anchor="end" font-size="13" fill="#1a1a1a">${escapeXml(cut(row.text, 36))}</text>`);
    const length = (barWidth * Math.min(Math.max(bar.percent, 0), 100)) / 100;
    if (bar.count > 0) parts.push(`<rect x="${x0}" y="${y + 4}" width="${round1(Math.max(length, 1))}" height="${rowHeight - 8}" fill="${row.colour ?? BAR_COLOUR}"/>`);
    parts.push(`<text x="${round1(x0 + barWidth + 6)}" y="${y + 15}" font-size="13" fill="#1a1a1a">${escapeXml(figureText(bar))}</text>`);
  });
  return { parts, height };
}

/** Horizontal bars, one row each: the label, the bar (0..100 %), and "count · percent" after it. */
export function barChart(input: BarChartInput): string {
  const width = input.width ?? 640;
  const { parts, height } = drawRows(
    input.bars.map((bar) => ({ kind: "bar", text: bar.label, bar })),
    width,
  );
  return svgOf(input.id, input.title, describe(input.description, input.bars), width, height, parts);
}

function labelIn(form: Form, label: Translated, name: string, language: string): string {
  return textIn(label, language, form).trim() || name;
}

/**
 * The chart of a choice question's tally; null for other questions.
 * `answeredText` words the description's prefix (default "N answered"),
 * so that the page can say it in its own language.
 */
export function choiceChart(form: Form, result: QuestionResult, language: string, options: { id?: string; answeredText?: (answered: number) => string; width?: number } = {}): string | null {
  if (result.kind !== "choices") return null;
  return barChart({
    id: options.id ?? `chart-${result.name}`,
    title: labelIn(form, result.label, result.name, language),
    description: options.answeredText ? options.answeredText(result.answered) : `${result.answered} answered`,
    bars: result.choices.map((choice) => ({ label: labelIn(form, choice.label, choice.name, language), count: choice.count, percent: choice.percent })),
    ...(options.width === undefined ? {} : { width: options.width }),
  });
}

/**
 * A cross-tabulation as grouped bars: under each choice of the question
 * cross-tabulated by (a heading), one bar per choice of the other question,
 * as a percentage of that row.
 */
export function crossTabChart(form: Form, table: CrossTab, byLabel: string, language: string, options: { id?: string; width?: number } = {}): string {
  const width = options.width ?? 640;
  const rows: Row[] = [];
  const words: string[] = [];
  table.rows.forEach((row, index) => {
    const heading = `${labelIn(form, row.label, row.name, language)} (${row.total})`;
    rows.push({ kind: "heading", text: heading });
    const colour = GROUP_COLOURS[index % GROUP_COLOURS.length];
    const bars = row.cells.map((cell) => ({ label: labelIn(form, cell.label, cell.name, language), count: cell.count, percent: cell.percent }));
    for (const bar of bars) rows.push({ kind: "bar", text: bar.label, bar, ...(colour === undefined ? {} : { colour }) });
    words.push(`${heading}: ${describe(undefined, bars)}`);
  });
  const { parts, height } = drawRows(rows, width);
  const title = `${labelIn(form, table.label, table.question, language)} × ${byLabel}`;
  return svgOf(options.id ?? `cross-${table.question}`, title, words.join(". "), width, height, parts);
}
