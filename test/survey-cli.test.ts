// `baseline survey validate` as a user runs it: the form as JSON (interfaces.md §5) or a
// summary, and for a form it cannot take exit code 2 with `FILE: sheet ROW, column: message`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ExcelJS from "exceljs";
import type { FormJson } from "../src/surveys/form.ts";

const bin = fileURLToPath(new URL("../bin/baseline.js", import.meta.url));
const household = fileURLToPath(new URL("../src/surveys/fixtures/household.csv", import.meta.url));
const starter = fileURLToPath(new URL("../data/surveys/procurement-policies.xlsx", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "baseline-survey-"));
after(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `baseline ARGS`; asynchronous so that a test can start several at once (each start loads the whole CLI). */
function baseline(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: "utf8", cwd: work }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe("baseline survey validate", { concurrency: true }, () => {
  it("prints the form as JSON", async () => {
    const result = await baseline("survey", "validate", household, "--json");
    assert.equal(result.status, 0, result.stderr);
    const form = JSON.parse(result.stdout) as FormJson;
    assert.equal(form.id, "household");
    assert.equal(form.version, "2026120701");
    assert.equal(form.default_language, "English (en)");
    assert.deepEqual(form.languages, ["English (en)", "Français (fr)"]);
    const age = form.questions.find((question) => question.name === "age");
    assert.deepEqual(age, { name: "age", type: "integer", group: "about", list: null, label: { "English (en)": "Your age", "Français (fr)": "Votre âge" }, required: true, relevant: null, constraint: ". >= 18 and . <= 120", choices: null });
    assert.deepEqual(form.questions.map((question) => question.name), ["start", "consent", "age", "country", "city", "tools", "likes", "likes_other", "double_age", "comments", "score"]);
  });

  it("prints a summary of the starter survey without --json", async () => {
    const result = await baseline("survey", "validate", starter);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Security standards in public procurement/);
    assert.match(result.stdout, /id procurement_policies, version \d{10}/);
    assert.match(result.stdout, /languages: English \(en\), Français \(fr\), Español \(es\)/);
    assert.match(result.stdout, /\d+ questions \(\d+ asked\) in 5 groups/);
  });

  it("exits 2 with one line per problem, naming sheet, row and column", async () => {
    const file = join(work, "bad.csv");
    writeFileSync(file, "survey\n,type,name,label,relevant\n,text,name,Your name,\n,geopoint,where,Where,\n,text,age,Age,${nmae} != ''\n");
    const result = await baseline("survey", "validate", file, "--json");
    assert.equal(result.status, 2);
    assert.equal(result.stdout, "");
    assert.deepEqual(result.stderr.trim().split("\n"), [`${file}: survey 3, type: type "geopoint" is unsupported`, `${file}: survey 4, relevant: \${nmae} refers to no question of the form`]);
  });

  it("exits 2 for a formula cell, an .xls, an oversize file, a missing file", async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("survey");
    sheet.addRow(["type", "name", "label"]);
    sheet.addRow(["text", "a", { formula: "UPPER(\"x\")", result: "X" }]);
    const formula = join(work, "formula.xlsx");
    writeFileSync(formula, new Uint8Array(await workbook.xlsx.writeBuffer()));
    const xls = join(work, "old.xls");
    writeFileSync(xls, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]));
    const big = join(work, "big.csv");
    writeFileSync(big, Buffer.alloc(5 * 1024 * 1024 + 1, 0x20));
    const [refused, legacy, oversize, missing] = await Promise.all([
      baseline("survey", "validate", formula),
      baseline("survey", "validate", xls),
      baseline("survey", "validate", big),
      baseline("survey", "validate", join(work, "nowhere.xlsx")),
    ]);

    assert.equal(refused.status, 2);
    assert.match(refused.stderr, new RegExp(`^${formula.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: survey 2, label: the cell holds a formula \\(=UPPER\\("x"\\)\\)`));
    assert.equal(refused.stderr.trim().split("\n").length, 1);

    assert.equal(legacy.status, 2);
    assert.equal(legacy.stderr, `${xls}: legacy .xls workbooks are not read: save the form as .xlsx (Excel Workbook) and try again\n`);

    assert.equal(oversize.status, 2);
    assert.equal(oversize.stderr, `${big}: the file is 5.0 MB, over the 5.0 MB limit for a form\n`);

    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^baseline: cannot read .*nowhere\.xlsx: no such file\n$/);
  });
});

describe("baseline serve's survey options", { concurrency: true }, () => {
  it("refuses a rate limit or a keeping time that is not a whole number in range, with one line and exit 2", async () => {
    const [rate, days] = await Promise.all([
      baseline("serve", "--db", `sqlite:${join(work, "serve.sqlite")}`, "--survey-posts-per-minute", "0"),
      baseline("serve", "--db", `sqlite:${join(work, "serve.sqlite")}`, "--survey-keep-days", "1.5"),
    ]);
    assert.equal(rate.status, 2);
    assert.match(rate.stderr, /^baseline: --survey-posts-per-minute 0: expected a whole number from 1 to 100000\n$/);
    assert.equal(days.status, 2);
    assert.match(days.stderr, /^baseline: --survey-keep-days 1\.5: expected a whole number of days from 1 to 3650\n$/);
  });
});
