/**
 * Hostile tender inputs (issue 15, findings 11 to 17, and the review's
 * bypasses H2, M1, M2) against the real
 * command, `baseline tender analyze --json`, one child process per input:
 * wall time and the peak resident memory of the whole process (workers
 * included, from process.resourceUsage().maxRSS written at exit), next to a
 * peer run in the same benchmark: the same command on a good document of
 * the same kind and, where it makes sense, the same size. Targets: every
 * hostile input under 10 s and 1 GiB, and never a crash.
 *
 * Inputs are generated into a temporary folder and deleted afterwards.
 * Run: `node --expose-gc bench/hostile-tenders.ts` (about two minutes).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as hostile from "../src/tenders/hostile-fixtures.ts";

const bin = fileURLToPath(new URL("../bin/baseline.js", import.meta.url));
const MIB = 1024 * 1024;
const PEAK_PRELOAD =
  'data:text/javascript,import{writeFileSync}from"node:fs";process.on("exit",()=>writeFileSync(process.env.PEAK_RSS_FILE,String(process.resourceUsage().maxRSS)))';

export interface Measure {
  seconds: number;
  peakMib: number;
  exit: number | null;
  /** The first stderr line naming a document, or the number of analyses printed. */
  outcome: string;
}

export interface Row {
  input: string;
  bytes: number;
  hostile: Measure;
  peerName: string;
  peer: Measure;
}

function run(work: string, args: string[]): Measure {
  const peakFile = join(work, "peak");
  writeFileSync(peakFile, "0");
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [`--import=${PEAK_PRELOAD}`, bin, "tender", "analyze", "--json", ...args], {
    encoding: "utf8",
    env: { ...process.env, PEAK_RSS_FILE: peakFile, NO_COLOR: "1" },
    timeout: 120_000,
    maxBuffer: 256 * MIB,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const error = result.stderr.split("\n").find((line) => line.startsWith("baseline: ") && !/could not be read$|read only in part$/.test(line));
  const analyses = result.stdout.split("\n").filter(Boolean);
  const truncated = analyses.filter((line) => line.includes('"truncated":true')).length;
  const outcome = error
    ? error.replace(/^baseline: (?:[^:]*\/)?/, "").slice(0, 90)
    : `${analyses.length} analys${analyses.length === 1 ? "is" : "es"}${truncated ? `, ${truncated} truncated` : ""}`;
  return { seconds, peakMib: Number(readFileSync(peakFile, "utf8")) / 1024, exit: result.signal ? null : result.status, outcome };
}

function sizeOf(...paths: string[]): number {
  return paths.reduce((total, path) => total + statSync(path).size, 0);
}

/** Generates every input, runs each with its peer, and returns the rows. */
export async function runHostileBench(): Promise<Row[]> {
  const work = mkdtempSync(join(tmpdir(), "baseline-hostile-bench-"));
  const rows: Row[] = [];
  const measure = (input: string, paths: string[], args: string[], peerName: string, peerArgs: string[]): void => {
    rows.push({ input, bytes: sizeOf(...paths), hostile: run(work, args), peerName, peer: run(work, peerArgs) });
  };
  try {
    const small = hostile.textTender(work, "small.txt", 4000);

    const docx52 = hostile.expandingDocx(work, "docx-52.docx", 52 * MIB);
    const docx199 = hostile.expandingDocx(work, "docx-199.docx", 199 * MIB);
    const docx4 = hostile.expandingDocx(work, "docx-4.docx", 4 * MIB);
    measure("DOCX unpacking to 52 MiB (finding 11)", [docx52], [docx52], "DOCX unpacking to 4 MiB", [docx4]);
    measure("DOCX unpacking to 199 MiB (finding 11)", [docx199], [docx199], "DOCX unpacking to 4 MiB", [docx4]);
    const docxNoExtension = hostile.expandingDocx(work, "docx-noext-150.docx", 150 * MIB, "word/main");
    measure("DOCX, 150 MiB main part named without extension (review M2)", [docxNoExtension], [docxNoExtension], "DOCX unpacking to 4 MiB", [docx4]);

    const { packagePath, documents } = hostile.sharedAnnexOcds(join(work, "ocds-400"), 400, 20 * MIB);
    const single = hostile.sharedAnnexOcds(join(work, "ocds-1"), 1, 20 * MIB);
    measure(
      "400 OCDS releases citing one 20 MiB annex (finding 12)",
      [packagePath, join(documents, "annex.txt")],
      [packagePath, "--documents", documents],
      "1 release citing the same annex",
      [single.packagePath, "--documents", single.documents],
    );

    const titled = hostile.sharedAnnexOcds(join(work, "ocds-400-titles"), 400, 20 * MIB, true);
    measure(
      "400 OCDS releases, one 20 MiB annex under 400 titles (review H2)",
      [titled.packagePath, join(titled.documents, "annex.txt")],
      [titled.packagePath, "--documents", titled.documents],
      "400 releases, the annex under one title",
      [packagePath, "--documents", documents],
    );
    const heading = hostile.headingHtml(work, "heading.html", 2_100_000);
    const paragraphs = join(work, "paragraphs.html");
    writeFileSync(paragraphs, `<!doctype html><html><body><p>CPV 72415000-2</p>${"<p>Security requirements for DNSSEC and HTTPS.</p>".repeat(2_100_000 / 50)}</body></html>`);
    measure("HTML with a 2.1 MB <h2> (finding 13)", [heading], [heading], "2.1 MB of HTML paragraphs", [paragraphs]);
    const headingDocx = await hostile.headingDocx(work, "heading.docx", 1_000_000);
    measure("DOCX with a 1 MB Heading 1 (finding 13)", [headingDocx], [headingDocx], "DOCX unpacking to 4 MiB", [docx4]);

    const bomb = hostile.flateBombPdf(work, "bomb.pdf", 4096 * MIB);
    const goodPdf = hostile.compressedPdf(work, "good.pdf", 2000);
    measure("PDF, 4 MB FlateDecode bomb to 4 GiB (finding 14)", [bomb], [bomb], "PDF with an honest compressed page", [goodPdf]);
    for (const variant of hostile.DISGUISED_BOMBS) {
      const disguisedBomb = hostile.disguisedBombPdf(work, `bomb-${variant}.pdf`, variant, 2048 * MIB);
      measure(`PDF bomb to 2 GiB, ${variant} (review M1)`, [disguisedBomb], [disguisedBomb], "PDF with an honest compressed page", [goodPdf]);
    }
    const lessThan = hostile.lessThanHtml(work, "lt.html", 49 * MIB);
    const text49 = hostile.textTender(work, "text-49.txt", 49 * MIB);
    measure("HTML of 49 MB of \"< \" (finding 14)", [lessThan], [lessThan], "49 MB plain-text tender", [text49]);
    const eforms = hostile.hugeEforms(work, "notice.xml", 40 * MIB);
    const notice = fileURLToPath(new URL("../src/tenders/ingest/fixtures/contract-notice.xml", import.meta.url));
    measure("eForms notice with a 40 MB description (finding 14)", [eforms], [eforms], "the 10 KB eForms test notice", [notice]);

    const long = hostile.longPdf(work, "long.pdf", 2001);
    const capped = hostile.longPdf(work, "capped.pdf", 2000);
    measure("PDF of 2,001 pages (finding 15)", [long], [long], "PDF of 2,000 pages", [capped]);

    const pipe = hostile.fifo(work, "pipe.txt");
    measure("FIFO given as a path (finding 16)", [small], [pipe], "4 KB text tender", [small]);

    const deep = hostile.deepInvalidJson(work, "deep.json", 600).path;
    const repeated = hostile.repeatedLinesPdf(work, "repeated.pdf", 6);
    const disguised = hostile.disguisedNamesHtml(work, "disguised.html");
    const newline = hostile.newlineNamedFile(mkdirAndReturn(join(work, "names")));
    measure("deep JSON, repeated-line PDF, disguised names, newline in a name (finding 17)", [deep, repeated, disguised, newline], [newline, deep, repeated, disguised], "4 KB text tender", [small]);

    const line = hostile.singleLineText(work, "line.txt", 20 * MIB);
    const text20 = hostile.textTender(work, "text-20.txt", 20 * MIB);
    measure("text: one 20 MB line without a full stop", [line], [line], "20 MB plain-text tender", [text20]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

function mkdirAndReturn(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

function formatRows(rows: Row[]): string {
  const size = (bytes: number): string => (bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`);
  const cell = (measure: Measure): string => `${measure.seconds.toFixed(1)} s, ${Math.round(measure.peakMib)} MiB, exit ${measure.exit ?? "killed"}`;
  const lines = ["| hostile input | on disk | time, peak memory, exit | outcome | peer (same run) | peer time, peak memory, exit |", "|---|---|---|---|---|---|"];
  for (const row of rows) lines.push(`| ${row.input} | ${size(row.bytes)} | ${cell(row.hostile)} | ${row.hostile.outcome.replace(/\|/g, "\\|")} | ${row.peerName} | ${cell(row.peer)} |`);
  const worst = rows.reduce((most, row) => ({ seconds: Math.max(most.seconds, row.hostile.seconds), peakMib: Math.max(most.peakMib, row.hostile.peakMib) }), { seconds: 0, peakMib: 0 });
  const crashed = rows.filter((row) => row.hostile.exit === null || (row.hostile.exit !== 0 && row.hostile.exit !== 1)).length;
  lines.push("", `worst hostile input: ${worst.seconds.toFixed(1)} s (target under 10 s), ${Math.round(worst.peakMib)} MiB peak (target under 1024 MiB); crashed or killed: ${crashed} (target 0)`);
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  console.log(formatRows(await runHostileBench()));
}
