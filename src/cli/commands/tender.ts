/** `baseline tender analyze` and `baseline tender monitor`: the tender monitor's faces. */
import { mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { Option, type Command } from "commander";
import type { Catalog } from "../../catalog/catalog.ts";
import { loadCatalog } from "../../catalog/load.ts";
import { escapeControl } from "../../tenders/ingest/common.ts";
import { filesOf } from "../../tenders/ingest/index.ts";
import { aggregate, feedbackLetter, renderMonitorHtml, standardNames, type MonitorReport } from "../../tenders/monitor/index.ts";
import type { TenderAnalysis } from "../../tenders/types.ts";
import { TenderPool } from "../../tenders/worker/pool.ts";
import { writeFileAtomically } from "../output.ts";

interface IngestOptions {
  documents?: string;
}

export function registerTenderCommands(program: Command): void {
  const tender = program.command("tender").description("read tender documents: which security standards did they ask for?");

  tender
    .command("analyze")
    .description("analyse tender documents (text, HTML, PDF, DOCX, OCDS, eForms; folders are walked)")
    .argument("<paths...>", "files or folders")
    .option("--json", "print JSON Lines, one object per document")
    .option("--documents <dir>", "folder where documents referenced by URL in OCDS packages are found (by file name)")
    .action(async (paths: string[], options: IngestOptions & { json?: boolean }) => {
      const failures = await analyzeAll(paths, options, (analysis) => {
        process.stdout.write(options.json ? `${JSON.stringify(analysis)}\n` : describe(analysis));
      });
      process.exitCode = failures > 0 ? 1 : 0;
    });

  tender
    .command("monitor")
    .description("monitor a corpus of tenders: share of relevant standards requested, per tender, standard, authority and period")
    .argument("<paths...>", "files or folders")
    .addOption(new Option("--json", "print the report as JSON").conflicts("html"))
    .option("--html", "print a standalone HTML report with charts")
    .option("-o, --output <file>", "write the report to FILE")
    .option("--letters <dir>", "write a feedback letter per tender to DIR")
    .addOption(new Option("--letter-format <format>", "letters as Markdown or HTML").choices(["md", "html"]).default("md"))
    .addOption(new Option("--lang <code>", "language of the HTML report").choices(["en", "fr", "es", "nl"]).default("en"))
    .option("--documents <dir>", "folder where documents referenced by URL in OCDS packages are found (by file name)")
    .action(async (paths: string[], options: IngestOptions & { json?: boolean; html?: boolean; output?: string; letters?: string; letterFormat: "md" | "html"; lang: "en" | "fr" | "es" | "nl" }) => {
      // Only the HTML report and the letters need the catalog here (the workers load their own): loading it takes
      // most of a second on a machine whose cores the workers need.
      let loaded: Catalog | undefined;
      const catalog = (): Catalog => (loaded ??= loadCatalog());
      const analyses: TenderAnalysis[] = [];
      const failures = await analyzeAll(paths, options, (analysis) => analyses.push(analysis));
      const report = aggregate(analyses);
      const output = options.json
        ? `${JSON.stringify(report, null, 2)}\n`
        : options.html
          ? renderMonitorHtml(report, { language: options.lang, generatedAt: new Date().toISOString().slice(0, 10), standardNames: standardNames(catalog(), options.lang) })
          : summary(report);
      if (options.output) writeFileAtomically(options.output, output);
      else process.stdout.write(output);
      if (options.letters) {
        mkdirSync(options.letters, { recursive: true });
        analyses.forEach((analysis, index) => {
          const name = `${String(index + 1).padStart(3, "0")}-${basename(analysis.source).replace(/[^\w.-]+/g, "_")}.${options.letterFormat}`;
          writeFileAtomically(join(options.letters ?? ".", name), feedbackLetter(analysis, catalog(), options.letterFormat));
        });
        console.error(`baseline: wrote ${analyses.length} feedback letters to ${options.letters}`);
      }
      process.exitCode = failures > 0 ? 1 : 0;
    });
}

/**
 * Ingests and analyses every document in the tender pool's workers, printing
 * results in the order of the paths. A document that cannot be read, or was
 * read only in part (page or character cap), gets one line on stderr and
 * counts as a failure for the exit code; the batch goes on.
 */
async function analyzeAll(paths: string[], options: IngestOptions, onAnalysis: (analysis: TenderAnalysis) => void): Promise<number> {
  let failures = 0;
  let truncated = 0;
  let done = 0;
  const progress = process.stderr.isTTY && !process.env.NO_COLOR;
  // BASELINE_TENDER_HEAP_MB: the workers' heap limit, for tests that show what happens when it is reached.
  const heap = Number(process.env.BASELINE_TENDER_HEAP_MB);
  const pool = new TenderPool({ ingest: options.documents ? { documentRoot: options.documents } : {}, ...(heap > 0 ? { maxHeapMb: heap } : {}) });
  try {
    for await (const item of pool.analyzeFiles(filesOf(paths))) {
      if ("error" in item) {
        failures++;
        console.error(`baseline: ${escapeControl(item.source)}: ${escapeControl(item.error)}`);
        continue;
      }
      if (item.truncated) {
        truncated++;
        console.error(`baseline: ${escapeControl(item.source)}: read only in part (page or character cap reached); its result is marked truncated`);
      }
      onAnalysis(item);
      done++;
      if (progress && done % 100 === 0) process.stderr.write(`\r${done} documents`);
    }
  } finally {
    await pool.close();
  }
  if (progress && done >= 100) process.stderr.write("\n");
  if (failures > 0) console.error(`baseline: ${failures} document${failures === 1 ? "" : "s"} could not be read`);
  if (truncated > 0) console.error(`baseline: ${truncated} document${truncated === 1 ? " was" : "s were"} read only in part`);
  return failures + truncated;
}

/**
 * The readable report of one analysis. Every string in it comes from the
 * document (titles, quotes, a declared language, the source's name) and goes
 * through escapeControl, so that a tender cannot write escape sequences or
 * bidi overrides to the reader's terminal (review M4 of issue 15).
 */
function describe(analysis: TenderAnalysis): string {
  const e = escapeControl;
  const lines = [`${e(analysis.source)}${analysis.truncated ? "  [truncated]" : ""}  (${e(analysis.language)}${analysis.categories.length ? `, ${e(analysis.categories.join(", "))}` : ", no ICT category"}${analysis.cpv.length ? `; CPV ${e(analysis.cpv.join(", "))}` : ""})`];
  if (analysis.title) lines.push(`  title:     ${e(analysis.title)}`);
  lines.push(`  requested: ${e(analysis.requested.map((entry) => `${entry.standard} (${entry.level})`).join(", ")) || "none"}`);
  if (analysis.relevant.length > 0) {
    lines.push(`  missing:   ${e(analysis.missing.join(", ")) || "none"}`);
    lines.push(`  coverage:  ${analysis.relevant.length - analysis.missing.length}/${analysis.relevant.length} relevant standards (${Math.round((analysis.coverage ?? 0) * 100)}%)`);
  }
  if (analysis.genericDemand.length > 0) lines.push(`  generic demand for the mandatory standards list: "${e(analysis.genericDemand[0]?.quote ?? "")}"`);
  for (const entry of analysis.requested) {
    const evidence = entry.evidence[0];
    if (evidence) lines.push(`    ${e(entry.standard).padEnd(24)} ${evidence.page ? `p.${evidence.page} ` : ""}"${e(evidence.quote)}"`);
  }
  for (const mention of analysis.ignored) lines.push(`    (not counted: ${e(mention.standard)}, ${mention.reason}: "${e(mention.evidence.quote.slice(0, 100))}")`);
  return `${lines.join("\n")}\n\n`;
}

function summary(report: MonitorReport): string {
  const { totals } = report;
  const percent = (share: number | null): string => (share === null ? "-" : `${Math.round(share * 100)}%`);
  const lines = [
    `${totals.tenders} tenders, ${totals.ictTenders} with relevant standards${totals.firstPublished ? ` (${totals.firstPublished} to ${totals.lastPublished ?? ""})` : ""}`,
    `relevant standards requested: ${totals.requestedPairs} of ${totals.relevantPairs} (${percent(totals.shareRequested)})`,
    `tenders that requested every relevant standard: ${totals.allRequested} (${percent(totals.allRequestedShare)})`,
    `tenders with a generic demand for the mandatory standards list: ${totals.genericDemand}`,
    "",
    "per standard (relevant in / requested in):",
    ...report.standards.map((row) => `  ${row.standard.padEnd(26)} ${String(row.relevantIn).padStart(4)} ${String(row.requestedIn).padStart(4)}  ${percent(row.shareRequested)}`),
    "",
    "most often missing:",
    ...report.mostMissing.slice(0, 10).map((row) => `  ${row.standard.padEnd(26)} missing in ${row.missingIn} tenders (${percent(row.shareMissing)})`),
  ];
  if (report.trend.byYear.length > 0) {
    lines.push("", "by year:", ...report.trend.byYear.map((row) => `  ${row.period}  ${row.requestedPairs}/${row.relevantPairs} (${percent(row.shareRequested)})`));
  }
  return `${lines.join("\n")}\n`;
}
