// `baseline survey import` and `baseline survey export` as a user runs them
// (interfaces.md §5): real processes on a SQLite file, responses stored
// through the store as the web app stores them, every format written to a
// file or to standard output, and the one-line errors with exit code 2.
// A process costs some 2 s of start-up on a busy machine, so the processes
// after the import start together, and the cases that differ only in
// options call the command's function in this process.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ExcelJS from "exceljs";
import { exportCommand } from "../src/cli/commands/survey.ts";
import { UsageError } from "../src/cli/output.ts";
import { createAnswerSession, createSurvey, getSurvey, openDatabase, submitAnswerSession } from "../src/store/index.ts";

const bin = fileURLToPath(new URL("../bin/baseline.js", import.meta.url));
const fixture = fileURLToPath(new URL("../src/surveys/fixtures/household.csv", import.meta.url));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `baseline ARGS` and closes its standard output after the first chunk,
 * as `| head -1` does: what the process then does (status, standard error).
 */
function baselineClosedEarly(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: tmpdir(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.once("data", (chunk: Buffer) => {
      stdout = chunk.toString("utf8");
      child.stdout.destroy();
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs `baseline ARGS`; asynchronous so that several run at once. */
function baseline(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: "utf8", cwd: tmpdir() }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
    });
  });
}

function assertUsageError(result: Run, pattern: RegExp): void {
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
  assert.match(result.stderr.trimEnd(), pattern);
}

describe("baseline survey import and export", () => {
  let work = "";
  let db = "";
  let id = "";
  let runs: Record<"csv" | "xlsx" | "format" | "unknown" | "bad" | "head", Promise<Run>>;
  let many = "";

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "baseline-survey-cli-"));
    db = `sqlite:${join(work, "baseline.sqlite")}`;
    const imported = await baseline("survey", "import", fixture, "--db", db);
    assert.equal(imported.status, 0, imported.stderr);
    const match = /^(\S+) \/surveys\/(\S+)\n$/.exec(imported.stdout);
    assert.ok(match && match[1] === match[2], imported.stdout);
    id = match[1] ?? "";
    const store = await openDatabase(db);
    try {
      const responses: Record<string, string>[] = [
        { consent: "OK", age: "34", country: "nl", city: "ams", tools: "hammer saw", likes: "other", likes_other: "=cmd|' /C calc'!A0", comments: "Fine, \"really\"", score: "7" },
        { consent: "OK", age: "51", country: "fr", city: "par", tools: "saw", likes: "yes", comments: "Très bien" },
      ];
      for (const answers of responses) {
        const { session } = await createAnswerSession(store.db, { surveyId: id, language: "English (en)" });
        assert.deepEqual(await submitAnswerSession(store.db, session.id, answers), { stored: true });
      }
      // A second survey with more answers than a pipe holds, for a reader that stops early.
      const survey = await createSurvey(store.db, { form: JSON.parse(JSON.stringify((await getSurvey(store.db, id))?.form)) as object, formId: "many", title: "Many", version: "", fileName: "many.csv" }, null);
      many = survey.id;
      for (let index = 0; index < 100; index++) {
        const { session } = await createAnswerSession(store.db, { surveyId: many, language: "English (en)" });
        await submitAnswerSession(store.db, session.id, { consent: "OK", age: String(index), comments: "a long comment, so that a hundred answers fill the pipe ".repeat(25) });
      }
    } finally {
      await store.close();
    }
    const bad = join(work, "bad.csv");
    writeFileSync(bad, "survey,,,\n,type,name,label\n,geopoint,where,Where\n");
    runs = {
      csv: baseline("survey", "export", id, "--db", db),
      xlsx: baseline("survey", "export", id, "--format", "xlsx", "-o", join(work, "answers.xlsx"), "--db", db),
      format: baseline("survey", "export", "no-such-survey", "--format", "sav", "--db", db),
      unknown: baseline("survey", "export", "no-such-survey", "--db", db),
      bad: baseline("survey", "import", bad, "--db", db),
      head: baselineClosedEarly("survey", "export", many, "--db", db),
    };
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("exports CSV to standard output by default, in KoboToolbox's layout", async () => {
    const result = await runs.csv;
    assert.equal(result.status, 0, result.stderr);
    const [header, ...rows] = result.stdout.trimEnd().split("\n");
    assert.equal(header, "start,consent,age,country,city,tools,tools/hammer,tools/saw,likes,likes_other,double_age,comments,score,_id,_submitted_on");
    assert.equal(rows.length, 2);
    assert.ok(rows.some((row) => row.includes(",hammer saw,1,1,other,'=cmd|' /C calc'!A0,")), rows.join("\n"));
    assert.ok(rows.some((row) => row.includes('"Fine, ""really"""')));
  });

  it("stops quietly when standard output is closed early (| head)", async () => {
    const result = await runs.head;
    assert.match(result.stdout, /^start,consent,age,/);
    assert.equal(result.stderr, "");
    assert.equal(result.status, 0);
  });

  it("writes XLSX to a file with -o, through a temporary file", async () => {
    const file = join(work, "answers.xlsx");
    const result = await runs.xlsx;
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "");
    assert.deepEqual(
      readdirSync(work).filter((name) => name.endsWith(".tmp")),
      [],
      "no temporary file left",
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    assert.deepEqual(
      workbook.worksheets.map((sheet) => sheet.name),
      ["data", "labels", "codebook"],
    );
    assert.equal(workbook.getWorksheet("labels")?.getRow(1).getCell(4).value, "Country");
  });

  it("writes JSON, SPSS and labelled CSV in another language (the command in-process)", async () => {
    await exportCommand(id, { format: "json", output: join(work, "answers.json"), db });
    const json = JSON.parse(readFileSync(join(work, "answers.json"), "utf8")) as Record<string, string>[];
    assert.deepEqual(json.map((record) => record.country).sort(), ["fr", "nl"]);
    await exportCommand(id, { format: "spss", output: join(work, "answers.sps"), db });
    const spss = readFileSync(join(work, "answers.sps"), "utf8");
    assert.match(spss, /VALUE LABELS consent\n {4}1 "OK"\n/);
    assert.match(spss, /\/country\n {4}1 "Netherlands"\n {4}2 "France"\n/);
    await exportCommand(id, { format: "csv", labels: true, language: "Français (fr)", output: join(work, "labels.csv"), db });
    const labelled = readFileSync(join(work, "labels.csv"), "utf8");
    assert.match(labelled, /^start,J'accepte de participer,Votre âge,Pays,Ville,/);
    assert.match(labelled, /,Pays-Bas,Amsterdam,Marteau Scie,1,1,/);
    await assert.rejects(exportCommand(id, { format: "csv", language: "Klingon", db }), (error: unknown) => error instanceof UsageError && error.message === "--language Klingon: the form's languages are English (en), Français (fr)");
    await assert.rejects(exportCommand(id, { format: "csv", output: join(work, "no-such-folder", "x.csv"), db }), (error: unknown) => error instanceof UsageError && /^cannot write .*x\.csv: its folder does not exist$/.test(error.message));
    assert.ok(!existsSync(join(work, "no-such-folder")));
  });

  it("refuses an unknown format, an unknown survey and a bad form with one line and exit 2", async () => {
    assertUsageError(await runs.format, /--format.*sav.*csv, xlsx, json, spss/);
    assertUsageError(await runs.unknown, /^baseline: no survey with id no-such-survey$/);
    const refused = await runs.bad;
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /bad\.csv: survey 2, type: .*unsupported/);
  });
});
