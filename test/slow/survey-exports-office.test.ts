// Slow group: a real office suite opens the survey exports (issue 12: "exports
// open in LibreOffice (tested) with labels"). LibreOffice Calc (installed by
// scripts/system-deps.sh) converts every sheet of the XLSX export to CSV: the
// data sheet must hold the names and values, the labels sheet the French
// labels, the codebook the value labels, and formula-looking answers must
// come out as the text they were. The CSV export is opened too (as UTF-8)
// and saved as a workbook. GNU PSPP's run of the SPSS syntax is fast and
// lives beside the code (src/surveys/exports.test.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { after, before, describe, it } from "node:test";
import { parse } from "csv-parse/sync";
import ExcelJS from "exceljs";
import { exportCsv } from "../../src/surveys/export-csv.ts";
import { asyncResponses, FR, TEST_FORM } from "../../src/surveys/export-test-support.ts";
import { exportXlsx } from "../../src/surveys/export-xlsx.ts";

const CALC = "/usr/lib/libreoffice/program/libsclo.so";

function calcMissing(): string | false {
  if (spawnSync("soffice", ["--version"], { encoding: "utf8" }).status !== 0) return "LibreOffice (soffice) is not installed: run scripts/system-deps.sh";
  if (!existsSync(CALC)) return "LibreOffice Calc is not installed (apt-get install libreoffice-calc-nogui)";
  return false;
}

describe("survey exports in LibreOffice Calc", { skip: calcMissing(), timeout: 180_000 }, () => {
  let work = "";
  before(() => {
    work = mkdtempSync(join(tmpdir(), "baseline-survey-office-"));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** Runs soffice with a profile of its own (so that it runs beside other instances). */
  function soffice(...args: string[]): void {
    const run = spawnSync("soffice", [`-env:UserInstallation=file://${join(work, "profile")}`, "--headless", ...args], { encoding: "utf8", timeout: 150_000 });
    assert.equal(run.status, 0, `soffice failed: ${run.stderr || String(run.error)}`);
  }

  const table = (file: string): string[][] => parse(readFileSync(file, "utf8"), { relax_column_count: true });

  it("opens the XLSX export: data, labels and codebook sheets as written, formulas as text", async () => {
    const file = join(work, "answers.xlsx");
    const out = createWriteStream(file);
    await exportXlsx(TEST_FORM, () => asyncResponses(), out, { language: FR });
    await finished(out);
    // Every sheet to a CSV of its own (the last token, -1), UTF-8 (76), cells as shown.
    soffice("--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", "--outdir", work, file);

    const data = table(join(work, "answers-data.csv"));
    const header = data[0] ?? [];
    const cell = (row: number, name: string): string | undefined => data[row]?.[header.indexOf(name)];
    assert.deepEqual(header.slice(0, 8), ["start", "region", "role", "role_other", "barriers", "barriers/cost", "barriers/skills", "barriers/rules"]);
    assert.deepEqual([cell(1, "region"), cell(1, "barriers/rules"), cell(1, "years"), cell(2, "budget")], ["europe", "1", "12", "-0.25"]);
    assert.equal(cell(2, "comment"), '=HYPERLINK("http://x")', "the answer's text, not a formula's result");
    assert.equal(cell(1, "comment"), 'He said "hi", then – «left»');

    const labels = table(join(work, "answers-labels.csv"));
    assert.deepEqual(labels[0]?.slice(1, 6), ["Votre région", "Votre rôle", "Précisez.", "Obstacles", "Obstacles/Coût"]);
    assert.deepEqual([labels[1]?.[1], labels[2]?.[1], labels[2]?.[2], labels[1]?.[4]], ["Europe", "Afrique", "Autre", "Coût Règles floues"]);

    const codebook = table(join(work, "answers-codebook.csv"));
    assert.deepEqual(codebook[0], ["variable", "label", "type", "value", "value label"]);
    const region = codebook.findIndex((row) => row[0] === "region");
    assert.deepEqual(codebook[region + 2], ["", "", "", "africa", "Afrique"]);
  });

  it("opens the CSV export as UTF-8 with its labels", async () => {
    const file = join(work, "labels.csv");
    const out = createWriteStream(file);
    await exportCsv(TEST_FORM, asyncResponses(), out, { labels: true, language: FR });
    await finished(out);
    soffice("--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", work, file);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(join(work, "labels.xlsx"));
    const sheet = workbook.worksheets[0];
    assert.ok(sheet);
    assert.deepEqual([sheet.getCell("B1").value, sheet.getCell("B2").value, sheet.getCell("B3").value], ["Votre région", "Europe", "Afrique"]);
    assert.equal(sheet.getCell("I2").value, 12, "a number is read as a number");
    assert.equal(sheet.getCell("K3").value, "'=HYPERLINK(\"http://x\")", "the defused formula stays text");
  });
});
