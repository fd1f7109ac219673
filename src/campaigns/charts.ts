/**
 * Charts drawn on the server as inline SVG: a line chart (adoption over
 * runs) and a horizontal bar chart (adoption in one run), readable without
 * JavaScript and by screen readers: each SVG is role="img" named by its
 * <title> and described by its <desc>, and every figure it draws is also
 * in a table next to it (figuresTable), which is what assistive technology
 * and a copy-paste into a spreadsheet read.
 *
 * Hand-written, not a chart library: the two charts are some hundred lines
 * of coordinates, whereas the libraries that draw on the server either need
 * a DOM (D3 with jsdom), a canvas (native builds), or ship megabytes for
 * charts we do not draw. Series are told apart by marker shape and dash as
 * well as by colour (Okabe-Ito palette, safe for colour blindness), so that
 * colour is never the only cue.
 *
 * Every text is escaped: organisation names and standard names reach here.
 *
 * @example
 *   const svg = lineChart({ id: "adoption", title: "Adoption", description: "...", xLabels: ["2026-12-01"], series: [{ name: "HSTS", values: [66.7] }] });
 */
import { escapeHtml } from "../requirements/render/html.ts";

/** Okabe-Ito colours without the yellow (too pale on white for lines of 2 px). */
const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"] as const;
const DASHES = ["", "6 3", "2 3", "8 3 2 3"] as const;
const MARKERS = ["circle", "square", "triangle", "diamond"] as const;
type Marker = (typeof MARKERS)[number];

const FONT = `font-family="system-ui,'Segoe UI','Liberation Sans',sans-serif"`;

export interface LineSeries {
  name: string;
  /** One per x label; null where there is no figure (the line breaks there). */
  values: readonly (number | null)[];
}

export interface LineChartInput {
  /** Prefix of the title's and description's ids (unique on the page). */
  id: string;
  title: string;
  description: string;
  /** The x axis: evenly spaced categories (run dates), oldest first. */
  xLabels: readonly string[];
  series: readonly LineSeries[];
  width?: number;
  height?: number;
  /** Top of the y axis (default 100) and the unit after the figures (default "%"). */
  max?: number;
  unit?: string;
  /** Draw the legend under the plot (default: when there are several series). */
  legend?: boolean;
}

const round1 = (value: number): string => String(Math.round(value * 10) / 10);

function markerPath(shape: Marker, x: number, y: number, size: number): string {
  switch (shape) {
    case "circle":
      return `<circle cx="${round1(x)}" cy="${round1(y)}" r="${size}"/>`;
    case "square":
      return `<rect x="${round1(x - size)}" y="${round1(y - size)}" width="${size * 2}" height="${size * 2}"/>`;
    case "triangle":
      return `<path d="M${round1(x)} ${round1(y - size * 1.2)}L${round1(x + size * 1.1)} ${round1(y + size * 0.9)}L${round1(x - size * 1.1)} ${round1(y + size * 0.9)}Z"/>`;
    case "diamond":
      return `<path d="M${round1(x)} ${round1(y - size * 1.3)}L${round1(x + size * 1.3)} ${round1(y)}L${round1(x)} ${round1(y + size * 1.3)}L${round1(x - size * 1.3)} ${round1(y)}Z"/>`;
  }
}

/** The style of series `index`: colour, dash and marker, cycling apart so that neighbours differ in all three. */
export function seriesStyle(index: number): { colour: string; dash: string; marker: Marker } {
  return { colour: COLOURS[index % COLOURS.length] ?? "#000", dash: DASHES[index % DASHES.length] ?? "", marker: MARKERS[index % MARKERS.length] ?? "circle" };
}

/** A line chart over evenly spaced x categories, y from 0 to `max`, with gridlines every quarter. */
export function lineChart(input: LineChartInput): string {
  const width = input.width ?? 640;
  const legend = input.legend ?? input.series.length > 1;
  const legendRows = legend ? Math.ceil(input.series.length / 3) : 0;
  const plotHeight = input.height ?? 220;
  const margin = { top: 12, right: 16, bottom: 36, left: 44 };
  const height = margin.top + plotHeight + margin.bottom + legendRows * 20;
  const plotWidth = width - margin.left - margin.right;
  const max = input.max ?? 100;
  const unit = input.unit ?? "%";
  const count = input.xLabels.length;
  const xOf = (index: number): number => margin.left + (count <= 1 ? plotWidth / 2 : (plotWidth * index) / (count - 1));
  const yOf = (value: number): number => margin.top + plotHeight - (plotHeight * Math.min(Math.max(value, 0), max)) / max;
  const parts: string[] = [];
  for (let step = 0; step <= 4; step++) {
    const value = (max * step) / 4;
    const y = yOf(value);
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${round1(y)}" y2="${round1(y)}" stroke="${step === 0 ? "#555" : "#d5dbe1"}" stroke-width="1"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${round1(y + 4)}" text-anchor="end" font-size="11" fill="#333">${escapeHtml(round1(value))}${escapeHtml(unit)}</text>`);
  }
  // At most some 8 x labels: a year of weekly runs would otherwise print over itself.
  const every = Math.max(1, Math.ceil(count / 8));
  input.xLabels.forEach((label, index) => {
    if (index % every !== 0 && index !== count - 1) return;
    // The first and last labels lean inwards, so that they stay inside a narrow chart.
    const anchor = count > 1 && index === 0 ? "start" : count > 1 && index === count - 1 ? "end" : "middle";
    parts.push(`<text x="${round1(xOf(index))}" y="${margin.top + plotHeight + 16}" text-anchor="${anchor}" font-size="11" fill="#333">${escapeHtml(label)}</text>`);
  });
  input.series.forEach((series, index) => {
    const style = seriesStyle(index);
    // The line breaks at a missing figure rather than drawing through it.
    let path = "";
    let pen = false;
    series.values.forEach((value, position) => {
      if (value === null) {
        pen = false;
        return;
      }
      path += `${pen ? "L" : "M"}${round1(xOf(position))} ${round1(yOf(value))}`;
      pen = true;
    });
    const markers = series.values.map((value, position) => (value === null ? "" : markerPath(style.marker, xOf(position), yOf(value), 3.5))).join("");
    parts.push(
      `<g data-series="${escapeHtml(series.name)}"><path d="${path}" fill="none" stroke="${style.colour}" stroke-width="2"${style.dash ? ` stroke-dasharray="${style.dash}"` : ""}/><g fill="${style.colour}">${markers}</g></g>`,
    );
  });
  if (legend) {
    const column = plotWidth / 3;
    input.series.forEach((series, index) => {
      const style = seriesStyle(index);
      const x = margin.left + (index % 3) * column;
      const y = margin.top + plotHeight + margin.bottom + Math.floor(index / 3) * 20 - 4;
      parts.push(
        `<g><line x1="${round1(x)}" x2="${round1(x + 24)}" y1="${y}" y2="${y}" stroke="${style.colour}" stroke-width="2"${style.dash ? ` stroke-dasharray="${style.dash}"` : ""}/><g fill="${style.colour}">${markerPath(style.marker, x + 12, y, 3.5)}</g><text x="${round1(x + 30)}" y="${y + 4}" font-size="12" fill="#1a1a1a">${escapeHtml(series.name)}</text></g>`,
      );
    });
  }
  return svgOf(input.id, input.title, input.description, width, height, parts);
}

export interface Bar {
  label: string;
  /** null: no figure (drawn as a note, no bar). */
  value: number | null;
  /** Said after the figure, e.g. "2 of 3". */
  note?: string;
}

export interface BarChartInput {
  id: string;
  title: string;
  description: string;
  bars: readonly Bar[];
  width?: number;
  max?: number;
  unit?: string;
  /** What a bar without a figure says (default "no figure"). */
  noValue?: string;
}

/** Horizontal bars, one row each: the label, the bar, and the figure written out after it. */
export function barChart(input: BarChartInput): string {
  const width = input.width ?? 640;
  const labelWidth = Math.min(220, Math.round(width * 0.34));
  const figureWidth = 130;
  const row = 22;
  const top = 6;
  const barWidth = width - labelWidth - figureWidth - 16;
  const max = input.max ?? 100;
  const unit = input.unit ?? "%";
  // Below the bars, the scale: 0, half and the maximum.
  const axis = 18;
  const height = top * 2 + row * input.bars.length + axis;
  const parts: string[] = [];
  const x0 = labelWidth + 8;
  for (const at of [0, 0.5, 1]) {
    const x = round1(x0 + barWidth * at);
    parts.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${height - top - axis + 4}" stroke="${at === 0 ? "#555" : "#d5dbe1"}" stroke-width="1"/>`);
    parts.push(`<text x="${x}" y="${height - top}" text-anchor="middle" font-size="11" fill="#333">${escapeHtml(round1(max * at))}${escapeHtml(unit)}</text>`);
  }
  input.bars.forEach((bar, index) => {
    const y = top + index * row;
    const label = bar.label.length > 34 ? `${bar.label.slice(0, 33)}…` : bar.label;
    parts.push(`<text x="${labelWidth}" y="${y + 15}" text-anchor="end" font-size="13" fill="#1a1a1a">${escapeHtml(label)}</text>`);
    if (bar.value === null) {
      parts.push(`<text x="${x0 + 6}" y="${y + 15}" font-size="13" fill="#555">${escapeHtml(input.noValue ?? "no figure")}</text>`);
      return;
    }
    const length = (barWidth * Math.min(Math.max(bar.value, 0), max)) / max;
    const figure = `${round1(bar.value)}${unit}${bar.note ? ` (${bar.note})` : ""}`;
    parts.push(`<rect x="${x0}" y="${y + 4}" width="${round1(Math.max(length, 1))}" height="${row - 8}" fill="#0072B2"/>`);
    parts.push(`<text x="${round1(x0 + barWidth + 6)}" y="${y + 15}" font-size="13" fill="#1a1a1a">${escapeHtml(figure)}</text>`);
  });
  return svgOf(input.id, input.title, input.description, width, height, parts);
}

function svgOf(id: string, title: string, description: string, width: number, height: number, parts: readonly string[]): string {
  const safeId = id.replace(/[^a-zA-Z0-9_-]/g, "-");
  // width 100% with a viewBox: the chart shrinks on a narrow screen instead of overflowing it.
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="${safeId}-title ${safeId}-desc" viewBox="0 0 ${width} ${height}" width="100%" style="max-width:${width}px" ${FONT}><title id="${safeId}-title">${escapeHtml(title)}</title><desc id="${safeId}-desc">${escapeHtml(description)}</desc>${parts.join("")}</svg>`;
}

export interface FiguresTable {
  caption: string;
  /** The first column's heading, then one per figure column. */
  columns: readonly string[];
  rows: readonly { label: string; href?: string; values: readonly string[] }[];
}

/** The chart's figures as an HTML table (escaped): what a screen reader and a spreadsheet read. */
export function figuresTable(table: FiguresTable): string {
  const head = table.columns.map((column, index) => `<th scope="col"${index ? ' class="num"' : ""}>${escapeHtml(column)}</th>`).join("");
  const body = table.rows
    .map((row) => {
      const label = row.href ? `<a href="${escapeHtml(row.href)}">${escapeHtml(row.label)}</a>` : escapeHtml(row.label);
      return `<tr><th scope="row">${label}</th>${row.values.map((value) => `<td class="num">${escapeHtml(value)}</td>`).join("")}</tr>`;
    })
    .join("");
  return `<table class="figures"><caption>${escapeHtml(table.caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}
