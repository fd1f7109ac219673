/**
 * The text report of `baseline check`: one domain, its overall score, each
 * category with its score and status, each test with a status mark, title
 * and one-line summary, and for what needs work how to fix it and where the
 * catalog explains the standard; the points a category lost are listed
 * under it. Lines fit `width` columns (80 by default), wrapped at spaces
 * with hanging indents. Colour (ANSI) only when asked for; every string is
 * cleaned of control characters first (summaries can quote servers).
 */
import type { CategoryResult, CheckResult, CheckStatus, DomainReport } from "../types.ts";
import { categoryName, cleanText, STATUS_MARKS, STATUS_WORDS } from "./labels.ts";

export interface TextOptions {
  /** Columns (default 80). */
  width?: number;
  colour?: boolean;
  /** Baseline's version, shown with the time of the check. */
  version?: string;
}

const COLOURS: Record<CheckStatus, string> = {
  passed: "32",
  failed: "31",
  warning: "33",
  info: "36",
  not_tested: "2",
  error: "35",
};

/** Where a test's title, summary and fix start. */
const INDENT = " ".repeat(8);

/** How scores are made, printed once under the reports. */
export const SCORING_NOTE =
  "Scores: a category's score is the share of its required tests that passed (a warning still earns its points); " +
  "recommended and informational tests never cost points. The overall score is the mean of the category scores.";

export function renderText(report: DomainReport, options: TextOptions = {}): string {
  const width = Math.max(40, options.width ?? 80);
  const paint = (code: string, text: string): string => (options.colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const lines: string[] = [];
  const score = report.score === null ? "no score (nothing could be scored)" : `score ${report.score}/100`;
  lines.push(...wrap(`${report.domain} (${report.suite} suite): ${score}`, width, "", "  ").map((line, index) => (index === 0 ? paint("1", line) : line)));
  const when = `Checked ${report.startedAt.replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC")} in ${seconds(report.durationMs)}${options.version ? `, Baseline ${options.version}` : ""}`;
  lines.push(...wrap(when, width, "", "  "));
  if (report.tests.length === 0) lines.push(...wrap(`The ${report.suite} suite has no checks yet.`, width, "", "  "));

  for (const category of report.categories) {
    const tests = report.tests.filter((test) => test.category === category.id);
    if (tests.length === 0) continue;
    lines.push("");
    const categoryScore = category.score === null ? "not scored" : `${category.score}/100`;
    const heading = `${categoryName(category.id)} (${category.id}): ${categoryScore}, ${STATUS_WORDS[category.status]}`;
    lines.push(...wrap(heading, width, "", "  ").map((line) => paint("1", line)));
    for (const test of tests) lines.push(...testLines(test, width, paint));
    lines.push(...deductionLines(category, width));
  }
  return `${lines.join("\n")}\n`;
}

function testLines(test: CheckResult, width: number, paint: (code: string, text: string) => string): string[] {
  const lines: string[] = [];
  const mark = STATUS_MARKS[test.status];
  const weight = test.weight === "required" ? "" : ` [${test.weight}, not scored]`;
  // The mark takes columns 3-6 and the title starts at column 9, like the lines under it.
  const title = wrap(`${cleanText(test.title)} (${test.id})${weight}`, width, INDENT, INDENT);
  lines.push(...title.map((line, index) => (index === 0 ? `  ${paint(COLOURS[test.status], mark)}  ${line.slice(INDENT.length)}` : line)));
  lines.push(...wrap(cleanText(test.summary), width, INDENT, INDENT));
  if (test.fix !== null && test.status !== "passed") {
    lines.push(...wrap(`Fix: ${cleanText(test.fix)}`, width, INDENT, `${INDENT}  `));
    lines.push(...wrap(`More: baseline standards show ${test.standard}`, width, INDENT, `${INDENT}  `));
  }
  return lines;
}

function deductionLines(category: CategoryResult, width: number): string[] {
  const lost = category.deductions.filter((deduction) => deduction.points > 0);
  if (lost.length === 0) return [];
  const parts = lost.map((deduction) => `${deduction.test} -${deduction.points} (${deduction.reason.startsWith("could not") ? "could not be tested" : "failed"})`);
  return wrap(`Points lost: ${parts.join(", ")}`, width, "  ", "    ");
}

/** A duration for people: "850 ms", "3.4 s", "2 min 5 s". */
function seconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * `text` in lines of at most `width` characters: the first starts with
 * `first`, the others with `rest`; broken at spaces, a word longer than a
 * line (a long header value, a base64 key) broken where it must.
 */
export function wrap(text: string, width: number, first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  const room = (): number => width - characters(line).length;
  for (let word of text.split(" ").filter((part) => part !== "")) {
    const needed = characters(word).length + (empty ? 0 : 1);
    if (needed <= room()) {
      line += (empty ? "" : " ") + word;
      empty = false;
      continue;
    }
    if (!empty) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    // A word longer than a whole line: cut it into pieces that fit.
    while (characters(word).length > room()) {
      const pieces = characters(word);
      const fits = Math.max(1, room());
      lines.push(line + pieces.slice(0, fits).join(""));
      word = pieces.slice(fits).join("");
      line = rest;
    }
    line += word;
    empty = word === "";
  }
  if (!empty || lines.length === 0) lines.push(line);
  return lines;
}

/** Code points: a column each for the scripts reports mostly hold (wide CJK characters count one, a known limit). */
function characters(text: string): string[] {
  return Array.from(text);
}
