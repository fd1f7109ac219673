// Hostile inputs against `baseline tender analyze` (issue 15, findings 11 to 17), generated at test time into
// a temporary folder and run through the real command, as a user would: each must give one clear line on
// stderr or the right result, within 10 s and 1 GB of peak memory for the whole process (workers included),
// and the documents after it must still be read.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as hostile from "../../src/tenders/hostile-fixtures.ts";
import type { TenderAnalysis } from "../../src/tenders/types.ts";

const bin = fileURLToPath(new URL("../../bin/baseline.js", import.meta.url));
const MIB = 1024 * 1024;
/** The targets; the machine running the suite is shared, so they are the bounds, not a margin. */
const MAX_SECONDS = 10;
const MAX_PEAK_MIB = 1024;

/** Writes the process's peak resident memory (all threads) to a file when it exits. */
const PEAK_PRELOAD =
  'data:text/javascript,import{writeFileSync}from"node:fs";process.on("exit",()=>writeFileSync(process.env.PEAK_RSS_FILE,String(process.resourceUsage().maxRSS)))';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  peakMib: number;
  analyses: TenderAnalysis[];
}

let work = "";
let runs = 0;

function baseline(...args: string[]): Run {
  const peakFile = join(work, `peak-${++runs}`);
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [`--import=${PEAK_PRELOAD}`, bin, "tender", "analyze", "--json", ...args], {
    encoding: "utf8",
    cwd: work,
    env: { ...process.env, PEAK_RSS_FILE: peakFile, NO_COLOR: "1" },
    timeout: 60_000,
    maxBuffer: 64 * MIB,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakMib = Number(readFileSync(peakFile, "utf8")) / 1024;
  const analyses = result.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TenderAnalysis);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, seconds, peakMib, analyses };
}

function withinBudget(run: Run, what: string): void {
  assert.ok(run.seconds < MAX_SECONDS, `${what}: took ${run.seconds.toFixed(1)} s (limit ${MAX_SECONDS} s); stderr: ${run.stderr}`);
  assert.ok(run.peakMib < MAX_PEAK_MIB, `${what}: peak memory ${Math.round(run.peakMib)} MiB (limit ${MAX_PEAK_MIB} MiB)`);
}

/** stderr lines that name a document (not the closing count). */
function errorLines(run: Run): string[] {
  return run.stderr.split("\n").filter((line) => line.startsWith("baseline: ") && !/could not be read$|read only in part$/.test(line));
}

before(() => {
  work = mkdtempSync(join(tmpdir(), "baseline-hostile-"));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe("hostile tender documents through the command line", () => {
  it("finding 11 and review M2: DOCX files that unpack to 52 and 199 MiB, or 50 MiB in a part without an extension, give one line each, and the next document is read", () => {
    const folder = join(work, "docx");
    mkdirSync(folder);
    hostile.expandingDocx(folder, "a-52mib.docx", 52 * MIB);
    hostile.expandingDocx(folder, "b-199mib.docx", 199 * MIB);
    // Review M2: a main part named without an extension got only the total cap (13 s and 899 MB at 50 MiB).
    hostile.expandingDocx(folder, "b-noext-50mib.docx", 50 * MIB, "word/main");
    hostile.textTender(folder, "c-good.txt", 4000);
    const run = baseline(folder);
    withinBudget(run, "expanding DOCX");
    assert.equal(run.status, 1);
    const errors = errorLines(run);
    assert.equal(errors.length, 3, run.stderr);
    assert.match(errors[0] ?? "", /^baseline: .*a-52mib\.docx: refused DOCX: word\/document\.xml unpacks to 52\.0 MiB \(limit 16\.0 MiB per part\)/);
    assert.match(errors[1] ?? "", /^baseline: .*b-199mib\.docx: refused DOCX: /);
    assert.match(errors[2] ?? "", /^baseline: .*b-noext-50mib\.docx: refused DOCX: word\/main unpacks to 50\.0 MiB \(limit 16\.0 MiB per part\)/);
    assert.deepEqual(run.analyses.map((analysis) => analysis.source.split("/").pop()), ["c-good.txt"]);
  });

  it("finding 11: a DOCX that exhausts a worker's heap is one failure, not a crash", () => {
    // Under the per-part cap but far over a small heap: the limit that catches what the caps do not.
    const folder = join(work, "heap");
    mkdirSync(folder);
    hostile.expandingDocx(folder, "a-15mib.docx", 15 * MIB);
    hostile.textTender(folder, "b-good.txt", 4000);
    const run = baselineWithHeap(folder, 64);
    withinBudget(run, "DOCX over the heap limit");
    assert.equal(run.status, 1);
    assert.match(errorLines(run)[0] ?? "", /a-15mib\.docx: reading it needed more than 64 MiB of memory; stopped$/);
    assert.equal(run.analyses.length, 1);
  });

  it("finding 12 and review H2: 400 OCDS releases citing one 20 MiB annex, under one title or 400, read it once and share its result", () => {
    const { packagePath, documents } = hostile.sharedAnnexOcds(join(work, "ocds"), 400, 20 * MIB);
    const run = baseline(packagePath, "--documents", documents);
    withinBudget(run, "shared annex");
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.analyses.length, 400);
    for (const analysis of run.analyses) assert.ok(analysis.requested.some((entry) => entry.standard === "dane"), `${analysis.source} lost the annex`);

    // Review H2: a title of its own per release made each copy and analyse the annex again (124 s, 36 of 400 reported).
    const titled = hostile.sharedAnnexOcds(join(work, "ocds-titles"), 400, 20 * MIB, true);
    const distinct = baseline(titled.packagePath, "--documents", titled.documents);
    withinBudget(distinct, "shared annex under 400 titles");
    assert.equal(distinct.status, 0, distinct.stderr);
    assert.ok(distinct.seconds < run.seconds * 1.5 + 2, `distinct titles took ${distinct.seconds.toFixed(1)} s, one title ${run.seconds.toFixed(1)} s`);
    assert.equal(distinct.analyses.length, 400);
    distinct.analyses.forEach((analysis, index) => {
      const dane = analysis.requested.find((entry) => entry.standard === "dane");
      assert.ok(dane?.evidence.some((evidence) => evidence.section?.startsWith(`Annex A (${index}) / `)), `${analysis.source}: ${JSON.stringify(dane)}`);
    });
  });

  it("finding 13: a 2.1 MB <h2> and a DOCX with a 1 MB Heading 1 are analysed in time", async () => {
    const html = hostile.headingHtml(work, "heading.html", 2_100_000);
    const docx = await hostile.headingDocx(work, "heading.docx", 1_000_000);
    const run = baseline(html, docx);
    withinBudget(run, "long headings");
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.analyses.length, 2);
    for (const analysis of run.analyses) {
      assert.ok(analysis.requested.some((entry) => entry.standard === "dnssec"));
      for (const entry of analysis.requested) for (const evidence of entry.evidence) assert.ok((evidence.section ?? "").length <= 200 && evidence.quote.length <= 300);
    }
  });

  it("finding 14: a 4 MB flate bomb is refused at once; 49 MB of '< ' and a 40 MB eForms description stay bounded", () => {
    const bomb = hostile.flateBombPdf(work, "bomb.pdf", 4096 * MIB);
    const good = hostile.compressedPdf(work, "good.pdf", 40);
    const run = baseline(bomb, good);
    withinBudget(run, "flate bomb");
    assert.match(errorLines(run)[0] ?? "", /bomb\.pdf: refused PDF: a compressed stream unpacks to more than 16\.0 MiB .*decompression bomb/);
    assert.equal(run.analyses.length, 1);

    const lessThan = baseline(hostile.lessThanHtml(work, "lt.html", 49 * MIB));
    withinBudget(lessThan, "49 MB of '< '");
    assert.equal(lessThan.analyses.length, 1, lessThan.stderr);

    const eforms = baseline(hostile.hugeEforms(work, "notice.xml", 40 * MIB));
    withinBudget(eforms, "40 MB eForms description");
    assert.equal(eforms.analyses[0]?.truncated, true, eforms.stderr);
    assert.ok(eforms.analyses[0].requested.some((entry) => entry.standard === "dnssec"));
  });

  it("review M1: flate bombs disguised from a scan of PDF syntax, LZW and RunLength bombs are refused where pdf.js decodes them", () => {
    // Two runs of three, so that each stays well within the time bound on a loaded machine.
    for (const variants of [hostile.DISGUISED_BOMBS.slice(0, 3), hostile.DISGUISED_BOMBS.slice(3)]) {
      const folder = join(work, `disguised-${variants[0]}`);
      mkdirSync(folder);
      for (const variant of variants) hostile.disguisedBombPdf(folder, `${variant}.pdf`, variant, 24 * MIB);
      hostile.compressedPdf(folder, "z-good.pdf", 40);
      const run = baseline(folder);
      withinBudget(run, `disguised PDF bombs ${variants.join(", ")}`);
      assert.equal(run.status, 1);
      const errors = errorLines(run);
      assert.equal(errors.length, variants.length, run.stderr);
      for (const [index, variant] of [...variants].sort().entries()) {
        assert.match(errors[index] ?? "", new RegExp(`${variant}\\.pdf: refused PDF: a compressed stream unpacks to more than 16\\.0 MiB \\(limit per stream\\), possibly a decompression bomb$`));
      }
      assert.deepEqual(run.analyses.map((analysis) => analysis.source.split("/").pop()), ["z-good.pdf"]);
    }
  });

  it("finding 15: a 2,001-page PDF is marked truncated, with a line on stderr and exit 1", () => {
    const run = baseline(hostile.longPdf(work, "long.pdf", 2001));
    withinBudget(run, "2,001 pages");
    assert.equal(run.status, 1);
    const [analysis] = run.analyses;
    assert.equal(analysis?.truncated, true);
    // DANE is asked for on page 2,001 only: reported missing, but the mark says the result is partial.
    assert.ok(analysis.missing.length > 0);
    assert.match(run.stderr, /long\.pdf: read only in part \(page or character cap reached\); its result is marked truncated/);
  });

  it("finding 16: a FIFO given as a path is refused at once and the next file is read", () => {
    const pipe = hostile.fifo(work, "pipe.txt");
    const good = hostile.textTender(work, "after-pipe.txt", 2000);
    const run = baseline(pipe, good);
    withinBudget(run, "FIFO");
    assert.match(errorLines(run)[0] ?? "", /pipe\.txt: not a regular file$/);
    assert.equal(run.analyses.length, 1);
  });

  it("finding 17 and review L7: control characters in names are escaped, deep JSON gets the right column, repeated PDF lines are text, disguised names are found", () => {
    const folder = join(work, "small");
    mkdirSync(folder);
    hostile.newlineNamedFile(folder);
    const { column } = hostile.deepInvalidJson(folder, "deep.json", 600);
    hostile.repeatedLinesPdf(folder, "repeated.pdf", 6);
    hostile.disguisedNamesHtml(folder, "disguised.html");
    const run = baseline(join(folder, "evil\nbaseline: other.txt: forged.txt"), join(folder, "deep.json"), join(folder, "repeated.pdf"), join(folder, "disguised.html"));
    withinBudget(run, "small tricks");
    const lines = run.stderr.split("\n");
    assert.ok(lines.some((line) => line.includes("evil\\nbaseline: other.txt: forged.txt: not a text file")), run.stderr);
    assert.ok(!lines.some((line) => line.startsWith("baseline: other.txt")), "a file name forged an error line");
    assert.ok(lines.some((line) => line.includes(`deep.json: invalid JSON at line 1, column ${column}: `)), run.stderr);
    const repeated = run.analyses.find((analysis) => analysis.source.endsWith("repeated.pdf"));
    assert.ok(repeated?.requested.some((entry) => entry.standard === "dnssec"), run.stderr);
    const disguised = run.analyses.find((analysis) => analysis.source.endsWith("disguised.html"));
    assert.deepEqual(disguised?.requested.map((entry) => entry.standard).filter((id) => ["dane", "dmarc", "dnssec", "hsts", "https", "spf"].includes(id)), ["dane", "dmarc", "dnssec", "hsts", "https"]);
    // The evidence is quoted readably: the soft hyphen is gone, the fullwidth letters are plain.
    assert.ok(disguised.requested.some((entry) => entry.evidence.some((evidence) => evidence.quote.includes("DANE records"))));
    assert.ok(disguised.requested.some((entry) => entry.evidence.some((evidence) => evidence.quote.includes("with HSTS"))));
  });

  it("a 20 MB line without a full stop is analysed within the budget", () => {
    const run = baseline(hostile.singleLineText(work, "line.txt", 20 * MIB));
    withinBudget(run, "20 MB line");
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.analyses[0]?.requested.some((entry) => entry.standard === "dnssec"));
  });
});

/** The command with a smaller worker heap, through the environment variable the pool reads for tests and benchmarks. */
function baselineWithHeap(path: string, heapMb: number): Run {
  const previous = process.env.BASELINE_TENDER_HEAP_MB;
  process.env.BASELINE_TENDER_HEAP_MB = String(heapMb);
  try {
    return baseline(path);
  } finally {
    if (previous === undefined) delete process.env.BASELINE_TENDER_HEAP_MB;
    else process.env.BASELINE_TENDER_HEAP_MB = previous;
  }
}
