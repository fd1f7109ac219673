// The survey exports (issue 12): CSV in KoboToolbox's layout (names and
// labels), JSON, XLSX read back with exceljs (three sheets, numbers as
// numbers, formula-looking text as text), and SPSS syntax run in GNU PSPP
// when it is installed (labels, codes, missing values).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { parse } from "csv-parse/sync";
import ExcelJS from "exceljs";
import { exportColumns } from "./export-columns.ts";
import { defuseFormula, exportCsv } from "./export-csv.ts";
import { exportJson } from "./export-json.ts";
import { cutToBytes, exportSpss, spssNames, spssVariableNames } from "./export-spss.ts";
import { exportXlsx } from "./export-xlsx.ts";
import { asyncResponses, FR, TEST_FORM, TEST_RESPONSES } from "./export-test-support.ts";

/** Everything written to a stream, as a Buffer. */
function collector(): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

const HEADERS = [
  "start",
  "region",
  "role",
  "role_other",
  "barriers",
  "barriers/cost",
  "barriers/skills",
  "barriers/rules",
  "years",
  "budget",
  "comment",
  "consent",
  "priority",
  "score",
  "_id",
  "_submitted_on",
];

describe("survey exports", () => {
  it("lays out the columns as KoboToolbox: sheet order, notes out, one 1/0 column per option, _id and _submitted_on last", () => {
    assert.deepEqual(
      exportColumns(TEST_FORM).map((column) => column.name),
      HEADERS,
    );
    const withoutOtherQuestion = { ...TEST_FORM, questions: TEST_FORM.questions.filter((question) => question.name !== "role_other") };
    assert.ok(exportColumns(withoutOtherQuestion).some((column) => column.kind === "other" && column.name === "role_other"), "or_other's text gets a column even without its question");
  });

  it("writes CSV with names and values, option columns empty when unanswered, formula-looking text defused", async () => {
    const out = collector();
    await exportCsv(TEST_FORM, asyncResponses(), out.stream);
    const rows: string[][] = parse(out.bytes().toString("utf8"), { relax_column_count: false });
    assert.deepEqual(rows[0], HEADERS);
    const byName = (index: number): Record<string, string> => Object.fromEntries(HEADERS.map((header, column) => [header, rows[index]?.[column] ?? ""]));
    assert.deepEqual(
      { ...byName(1) },
      {
        start: "2026-12-01T10:00:00.000Z",
        region: "europe",
        role: "buyer",
        role_other: "",
        barriers: "cost rules",
        "barriers/cost": "1",
        "barriers/skills": "0",
        "barriers/rules": "1",
        years: "12",
        budget: "1.5",
        comment: 'He said "hi", then – «left»',
        consent: "OK",
        priority: "rules cost skills",
        score: "24",
        _id: "r1",
        _submitted_on: "2026-12-01",
      },
    );
    assert.equal(byName(2).comment, "'=HYPERLINK(\"http://x\")", "a formula is defused");
    assert.equal(byName(2).budget, "-0.25", "a negative number stays a number");
    assert.equal(byName(2).role_other, "Auditor");
    assert.deepEqual([byName(3)["barriers/cost"], byName(3)["barriers/skills"]], ["", ""], "unanswered: no 0s");
    assert.equal(byName(3).comment, "it's a 'quote' and a \"double\"\nsecond line", "quoted, line break kept");
    assert.equal(rows.length, 4);
  });

  it("writes CSV with labels in the language asked for (Kobo's labels export)", async () => {
    const out = collector();
    await exportCsv(TEST_FORM, asyncResponses(), out.stream, { labels: true, language: FR });
    const rows: string[][] = parse(out.bytes().toString("utf8"), { relax_column_count: false });
    assert.deepEqual(rows[0]?.slice(1, 8), ["Votre région", "Votre rôle", "Précisez.", "Obstacles", "Obstacles/Coût", "Obstacles/Compétences", "Obstacles/Règles floues"]);
    assert.deepEqual([rows[1]?.[1], rows[2]?.[1], rows[1]?.[4]], ["Europe", "Afrique", "Coût Règles floues"]);
    assert.equal(rows[0][0], "start", "a question without a label is headed by its name");
  });

  it("defuses only what a spreadsheet would run", () => {
    assert.equal(defuseFormula("=1+1"), "'=1+1");
    assert.equal(defuseFormula("@SUM(A1)"), "'@SUM(A1)");
    assert.equal(defuseFormula("+33 1 23"), "'+33 1 23");
    assert.equal(defuseFormula("-3.5"), "-3.5");
    assert.equal(defuseFormula("a=b"), "a=b");
  });

  it("streams JSON: an array of _id, _submitted_on and the answers as stored", async () => {
    const out = collector();
    await exportJson(TEST_FORM, asyncResponses(), out.stream);
    const parsed = JSON.parse(out.bytes().toString("utf8")) as Record<string, string>[];
    assert.equal(parsed.length, 3);
    assert.deepEqual(parsed[1], { _id: "r2", _submitted_on: "2026-12-02", ...TEST_RESPONSES[1]?.answers });
    assert.deepEqual(Object.keys(parsed[1] as object).slice(0, 5), ["_id", "_submitted_on", "region", "role", "role_other"]);
    const empty = collector();
    await exportJson(TEST_FORM, asyncResponses([]), empty.stream);
    assert.deepEqual(JSON.parse(empty.bytes().toString("utf8")), []);
    const odd = collector();
    await exportJson(TEST_FORM, asyncResponses([{ id: "x", submittedOn: "2026-12-03", answers: JSON.parse('{"__proto__":"p","region":"asia"}') as Record<string, string> }]), odd.stream);
    assert.match(odd.bytes().toString("utf8"), /"__proto__":"p"/);
  });

  it("writes an XLSX workbook with data, labels and codebook sheets, numbers as numbers and formulas as text", async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (chunk: Buffer) => chunks.push(chunk));
    await exportXlsx(TEST_FORM, () => asyncResponses(), out, { language: FR });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
    assert.deepEqual(
      workbook.worksheets.map((sheet) => sheet.name),
      ["data", "labels", "codebook"],
    );
    const data = workbook.getWorksheet("data");
    assert.ok(data);
    const header = (data.getRow(1).values as unknown[]).slice(1);
    assert.deepEqual(header, HEADERS);
    const cell = (sheet: ExcelJS.Worksheet, row: number, name: string): ExcelJS.CellValue => sheet.getRow(row).getCell(HEADERS.indexOf(name) + 1).value;
    assert.equal(cell(data, 2, "years"), 12);
    assert.equal(cell(data, 3, "budget"), -0.25);
    assert.equal(cell(data, 2, "barriers/rules"), 1);
    assert.equal(cell(data, 2, "barriers/skills"), 0);
    assert.equal(cell(data, 4, "barriers/cost"), null);
    assert.equal(cell(data, 2, "region"), "europe");
    assert.equal(cell(data, 3, "comment"), '=HYPERLINK("http://x")', "text, exactly");
    assert.equal(data.getRow(3).getCell(HEADERS.indexOf("comment") + 1).type, ExcelJS.ValueType.String, "not a formula");

    const labels = workbook.getWorksheet("labels");
    assert.ok(labels);
    assert.equal(labels.getRow(1).getCell(2).value, "Votre région");
    assert.equal(cell(labels, 3, "region"), "Afrique");
    assert.equal(cell(labels, 2, "barriers"), "Coût Règles floues");

    const codebook = workbook.getWorksheet("codebook");
    assert.ok(codebook);
    const lines = codebook.getRows(1, codebook.rowCount)?.map((row) => Array.from((row.values as unknown[]).slice(1), (value) => value ?? "")) ?? [];
    assert.deepEqual(lines[0], ["variable", "label", "type", "value", "value label"]);
    const region = lines.findIndex((line) => line[0] === "region");
    assert.deepEqual(lines.slice(region, region + 4), [
      ["region", "Votre région", "select_one"],
      ["", "", "", "europe", "Europe"],
      ["", "", "", "africa", "Afrique"],
      ["", "", "", "asia", "Asie"],
    ]);
    assert.ok(lines.some((line) => line[0] === "barriers/cost" && line[2] === "select_multiple option"));
  });

  // SPSS streams through the same pipeline as CSV and JSON (after a first, full pass that measures).
  for (const format of ["csv", "json", "xlsx"] as const) {
    it(`${format}: stops reading the responses when the output is closed early (a download given up)`, async () => {
      let read = 0;
      let released = false;
      async function* many(): AsyncGenerator<(typeof TEST_RESPONSES)[number]> {
        try {
          for (let n = 0; n < 200_000; n++) {
            read += 1;
            if (n % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
            yield TEST_RESPONSES[n % TEST_RESPONSES.length] ?? TEST_RESPONSES[0] ?? { id: "", submittedOn: "", answers: {} };
          }
        } finally {
          released = true;
        }
      }
      let bytes = 0;
      const out = new Writable({
        highWaterMark: 1024,
        write(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          if (bytes > 50_000) this.destroy();
          else setTimeout(done, 1);
        },
      });
      const exported = format === "csv" ? exportCsv(TEST_FORM, many(), out) : format === "json" ? exportJson(TEST_FORM, many(), out) : exportXlsx(TEST_FORM, () => many(), out);
      await assert.rejects(exported);
      assert.ok(read < 20_000, `stopped after ${read} responses`);
      assert.ok(released, "the source was closed (the store's cursor released)");
    });
  }

  it("makes valid, unique SPSS names", () => {
    assert.deepEqual(spssNames(["barriers/cost", "_id", "BY", "a.", "role", "ROLE", "x-y", "1st"]), ["barriers_cost", "v_id", "BY_v", "a", "role", "ROLE_2", "x_y", "v1st"]);
    assert.equal(cutToBytes("ééé", 5), "éé");
    assert.ok(spssNames(["x".repeat(100)])[0]?.length === 64);
    assert.deepEqual(
      spssVariableNames(TEST_FORM).find((entry) => entry.column === "_submitted_on"),
      { column: "_submitted_on", name: "v_submitted_on" },
    );
  });

  describe("SPSS syntax", () => {
    let folder = "";
    let syntax = "";
    before(async () => {
      folder = mkdtempSync(join(tmpdir(), "baseline-spss-"));
      const out = collector();
      await exportSpss(TEST_FORM, () => asyncResponses(), out.stream);
      syntax = out.bytes().toString("utf8");
    });
    after(() => rmSync(folder, { recursive: true, force: true }));

    it("declares the data, the labels, codes and missing values", () => {
      assert.ok(syntax.startsWith("\uFEFF* Encoding: UTF-8."));
      assert.match(syntax, /DATA LIST FREE \/ start\n {2}\(A24\) region\n {2}\(F1\.0\) role\n/);
      assert.match(syntax, /\n {2}\(F2\.0\) budget\n {2}\(F5\.2\) comment\n {2}\(A41\) consent\n/, "room for -0.25; the longest comment in bytes");
      assert.match(syntax, /VALUE LABELS region\n {4}1 "Europe"\n {4}2 "Africa"\n {4}3 "Asia"\n/);
      assert.match(syntax, /\/barriers_rules\n {4}0 "not selected"\n {4}1 "selected"\n/);
      assert.match(syntax, /\/barriers_rules "Barriers\/Rules, ""unclear"""\n/);
      assert.match(syntax, /MISSING VALUES start \(""\)\n {2}\/role_other \(""\)\n/);
      assert.ok(syntax.trimEnd().endsWith("EXECUTE."));
      assert.match(syntax, /\n"it's a 'quote' and a 'double' second line",\n/, "both quotes: \" becomes ', the line break a space");
    });

    it("opens in GNU PSPP with variable and value labels", { skip: spawnSync("pspp", ["--version"]).status === 0 ? false : "GNU PSPP is not installed (apt-get install pspp)" }, () => {
      const file = join(folder, "answers.sps");
      writeFileSync(file, `${syntax}DISPLAY DICTIONARY.\nLIST.\nFREQUENCIES region.\n`);
      // PSPP's CSV output: its tables without the text driver's line wrapping.
      const run = spawnSync("pspp", ["-o", join(folder, "out.csv"), file], { encoding: "utf8", env: { ...process.env, LANG: "C.UTF-8" } });
      const output = readFileSync(join(folder, "out.csv"), "utf8").replaceAll('""', '"');
      assert.equal(run.status, 0, `${run.stderr}\n${output}`);
      assert.doesNotMatch(output, /warning|error/i, output);
      for (const text of ["Your region", "Barriers/Rules, \"unclear\"", "Years in post", "response id (random)", "Europe", "Africa", "not selected", "He said \"hi\", then – «left»", "=HYPERLINK(\"http://x\")"]) {
        assert.ok(output.includes(text), `PSPP shows ${text}\n${output}`);
      }
      // The frequency table counts the regions by label: Europe twice, Africa once.
      assert.match(output, /\nregion,2,Your region,Nominal,/);
      assert.match(output, /,Europe,2,/);
      assert.match(output, /,Africa,1,/);
    });
  });
});
