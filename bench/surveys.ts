/**
 * Survey benchmark (issue 12, "Performance"): do 500 respondents answering
 * a 40-question form at the same time get each page within 150 ms at p95,
 * on SQLite and on PostgreSQL; and how long, and in how much memory, do
 * 100,000 answers take to export as CSV and XLSX?
 *
 * 1. The form: 40 questions in 8 groups (select_one, select_multiple,
 *    integer with a constraint, decimal, date, text; skip logic on one
 *    group; English and French), written as an XLSForm with exceljs and
 *    read by `readXlsForm`, as an upload would be.
 * 2. The server: createApp on @hono/node-server in this process, as
 *    `baseline serve` runs it; the survey stored with createSurvey.
 * 3. The respondents: a worker thread (so that the load generator does not
 *    share the server's event loop) runs 500 respondents at once, each on a
 *    keep-alive connection from its own loopback address (127.1.x.y: the
 *    per-client rate limit counts addresses, and 500 people are 500
 *    clients). They arrive at random within --arrival seconds (10); each
 *    opens the survey, starts it, and then, page after page, posts its
 *    answers (303) and loads the next page, spending between --think-min
 *    and --think-max seconds on each page (5-15 s: people read and type
 *    five questions in no less), then submits. All 500 are answering at
 *    the same time for most of the run. The stress run has them all arrive
 *    at once and spend no time on any page. Every response time is kept;
 *    percentiles are exact.
 *    The run checks that the store holds exactly one response per respondent.
 * 4. The peer, in the same run and server: the same respondents, same
 *    think times, each loading a rendered survey page as a static file
 *    (hono's serveStatic: same bytes, no database, no engine) as many
 *    times as they send requests. "x static" is our p95 over the static p95.
 * 5. Export: 100,000 responses of the same form written straight into
 *    survey_responses (batches of 1,000 in transactions), then exported by
 *    exportCsv and exportXlsx to a file, timed, with the process's peak
 *    resident memory sampled every 10 ms. The peer: the database's own
 *    dump of the same rows (sqlite3 -csv; psql \copy ... csv), which knows
 *    nothing of questions, labels or option columns.
 *
 * Run: `node --expose-gc bench/surveys.ts [--respondents 500] [--arrival 10]
 * [--think-min 5] [--think-max 15] [--answers 100000] [--postgres URL |
 * --no-postgres]` (about 9 minutes). Not part of the test suite.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { parseArgs } from "node:util";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { serve } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import ExcelJS from "exceljs";
import { Hono } from "hono";
import pg from "pg";
import { loadCatalog } from "../src/catalog/load.ts";
import { createApp } from "../src/server/app.ts";
import { LoginLimiter } from "../src/server/auth.ts";
import { countResponses, createSurvey, openDatabase, redactUrl, type Store } from "../src/store/index.ts";
import { pagesOf, type Page } from "../src/surveys/engine.ts";
import { exportCsv } from "../src/surveys/export-csv.ts";
import { exportXlsx } from "../src/surveys/export-xlsx.ts";
import type { Answers, Form, Question } from "../src/surveys/form.ts";
import { readXlsForm } from "../src/surveys/xlsform.ts";

const TARGET_P95_MS = 150;
const GROUPS = 8;
const PER_GROUP = 5;

// ---- the form ----

/** The 40-question XLSForm, as bytes of an .xlsx. */
async function benchFormBytes(): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  const survey = workbook.addWorksheet("survey");
  survey.addRow(["type", "name", "label::English (en)", "label::Français (fr)", "required", "relevant", "constraint", "constraint_message::English (en)"]);
  const kinds = ["select_one yesno", "select_multiple topics", "integer", "decimal", "text", "date"];
  for (let group = 1; group <= GROUPS; group++) {
    survey.addRow(["begin group", `g${group}`, `Part ${group}`, `Partie ${group}`]);
    for (let index = 1; index <= PER_GROUP; index++) {
      const type = kinds[(group + index) % kinds.length] ?? "text";
      const name = `q${group}_${index}`;
      const constraint = type === "integer" ? ". >= 0 and . <= 100" : "";
      // Group 8 is asked only of those who said yes to the first question.
      const relevant = group === GROUPS && index === 1 ? "${q1_1} = 'yes'" : "";
      survey.addRow([type, name, `Question ${group}.${index}`, `Question ${group}.${index} (fr)`, index <= 3 ? "yes" : "", relevant, constraint, constraint ? "Between 0 and 100" : ""]);
    }
    survey.addRow(["end group"]);
  }
  const choices = workbook.addWorksheet("choices");
  choices.addRow(["list_name", "name", "label::English (en)", "label::Français (fr)"]);
  choices.addRow(["yesno", "yes", "Yes", "Oui"]);
  choices.addRow(["yesno", "no", "No", "Non"]);
  for (const topic of ["dnssec", "tls", "dmarc", "dane", "rpki", "ipv6"]) choices.addRow(["topics", topic, topic.toUpperCase(), topic.toUpperCase()]);
  const settings = workbook.addWorksheet("settings");
  settings.addRow(["form_title", "form_id", "version", "default_language"]);
  settings.addRow(["Benchmark survey", "bench_40", "1", "English (en)"]);
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

/** A valid answer to a question, varied by respondent. */
function answerFor(question: Question, respondent: number): string[] {
  const choices = question.choices ?? [];
  switch (question.type) {
    case "select_one":
      return [choices[respondent % 4 === 0 ? 1 : 0]?.name ?? ""];
    case "select_multiple":
      return [choices[respondent % choices.length]?.name ?? "", choices[(respondent + 2) % choices.length]?.name ?? ""];
    case "integer":
      return [String(respondent % 101)];
    case "decimal":
      return [(respondent / 7).toFixed(2)];
    case "date":
      return [`2026-${String((respondent % 12) + 1).padStart(2, "0")}-15`];
    case "text":
      return [`Answer of respondent ${respondent}: our rules name no standards yet.`];
    default:
      return [];
  }
}

/** The answers a response holds, for the export's bulk insert. */
function responseAnswers(form: Form, respondent: number): Answers {
  const yes = answerFor(form.questions[0] as Question, respondent)[0] === "yes";
  const entries = form.questions
    // Group 8 is skipped unless the first answer is yes, as the pages do.
    .filter((question) => yes || !question.name.startsWith(`q${GROUPS}_`))
    .map((question) => [question.name, answerFor(question, respondent).join(" ")] as const)
    .filter(([, value]) => value !== "");
  return Object.fromEntries(entries);
}

// ---- the respondents (worker thread) ----

interface LoadJob {
  base: string;
  surveyId: string;
  form: Form;
  respondents: number;
  thinkMin: number;
  thinkMax: number;
  /** Respondents arrive at random moments within this many milliseconds. */
  arrivalMs: number;
  /** Instead of answering: load this static path as many times as a respondent sends requests. */
  staticPath?: string;
}

type RequestKind = "intro" | "start" | "page post" | "page load" | "submit" | "static";

interface LoadResult {
  seconds: number;
  requests: number;
  failures: string[];
  byKind: Partial<Record<RequestKind, { count: number; p50: number; p95: number; p99: number }>>;
  all: { p50: number; p95: number; p99: number };
}

interface Reply {
  status: number;
  location: string | undefined;
  body: string;
}

function request(agent: http.Agent, base: string, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded", "content-length": String(Buffer.byteLength(body)) };
    const call = http.request(`${base}${path}`, { method, agent, headers, timeout: 60_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, location: response.headers.location, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    call.on("timeout", () => call.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
    call.on("error", reject);
    call.end(body);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function summary(times: number[]): { p50: number; p95: number; p99: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function load(job: LoadJob): Promise<LoadResult> {
  const times = new Map<RequestKind, number[]>();
  const failures: string[] = [];
  const pages = pagesOf(job.form);
  /**
   * A respondent's time on a page. Past the server's keep-alive timeout (5 s,
   * Node's default) the server closes the idle connection; a browser then
   * opens a new one, and so does the respondent (reusing the old one races
   * the server's close: "socket hang up").
   */
  const think = async (agent: http.Agent): Promise<void> => {
    const ms = job.thinkMin + Math.random() * (job.thinkMax - job.thinkMin);
    await sleep(ms);
    if (ms > 4000) agent.destroy();
  };
  const timed = async (agent: http.Agent, kind: RequestKind, method: string, path: string, body?: string): Promise<Reply> => {
    const started = performance.now();
    const reply = await request(agent, job.base, method, path, body);
    const list = times.get(kind) ?? [];
    list.push(performance.now() - started);
    times.set(kind, list);
    return reply;
  };
  const expect = (reply: Reply, status: number, what: string): void => {
    if (reply.status !== status) throw new Error(`${what} answered ${reply.status}, not ${status}: ${reply.body.replace(/\s+/g, " ").slice(0, 200)}`);
  };

  async function respondent(index: number): Promise<void> {
    // Its own client address: 127.1.0.1 .. 127.1.255.254, then 127.2...
    const address = `127.${1 + Math.floor(index / 65_000)}.${Math.floor((index % 65_000) / 250)}.${(index % 250) + 1}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: address });
    try {
      // People arrive over a while, not all in the same millisecond.
      await sleep(Math.random() * job.arrivalMs);
      if (job.staticPath) {
        // The same requests at the same moments as a respondent: three on arrival, then two after each page's time.
        const get = async (): Promise<void> => expect(await timed(agent, "static", "GET", job.staticPath ?? ""), 200, "static page");
        for (let step = 0; step < 3; step++) await get();
        for (let page = 0; page < pages.length; page++) {
          await think(agent);
          await get();
          await get();
        }
        return;
      }
      expect(await timed(agent, "intro", "GET", `/surveys/${job.surveyId}`), 200, "intro");
      const started = await timed(agent, "start", "POST", `/surveys/${job.surveyId}/start`, "-consent=yes");
      expect(started, 303, "start");
      let location = started.location ?? "";
      for (;;) {
        const shown = await timed(agent, "page load", "GET", location);
        expect(shown, 200, `page ${location}`);
        // The thank-you page: answers recorded, nothing more to post.
        if (shown.body.includes("Your answers have been recorded")) break;
        const pageId = new URL(location, job.base).searchParams.get("page");
        const page: Page | undefined = pages.find((candidate) => candidate.id === pageId) ?? (pageId === null ? pages[0] : undefined);
        if (!page) throw new Error(`no page ${pageId ?? "(first)"} in the form`);
        const body = new URLSearchParams();
        for (const question of page.questions) for (const value of answerFor(question, index)) if (value) body.append(question.name, value);
        body.append("-action", "next");
        await think(agent);
        const last = page.index === pages.at(-1)?.index;
        const posted = await timed(agent, last ? "submit" : "page post", "POST", location, body.toString());
        if (posted.status === 200) break;
        expect(posted, 303, `post of page ${page.id}`);
        location = posted.location ?? "";
      }
    } catch (error) {
      failures.push(`respondent ${index}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      agent.destroy();
    }
  }

  const started = performance.now();
  await Promise.all(Array.from({ length: job.respondents }, (_, index) => respondent(index)));
  const seconds = (performance.now() - started) / 1000;
  const byKind: LoadResult["byKind"] = {};
  const everything: number[] = [];
  for (const [kind, list] of times) {
    byKind[kind] = { count: list.length, ...summary(list) };
    everything.push(...list);
  }
  return { seconds, requests: everything.length, failures, byKind, all: summary(everything) };
}

function serveLoadJobs(): void {
  parentPort?.on("message", (job: LoadJob) => {
    void load(job).then((result) => parentPort?.postMessage(result));
  });
}

// ---- the server ----

interface RunningServer {
  base: string;
  close(): Promise<void>;
}

async function startServer(store: Store, staticRoot: string): Promise<RunningServer> {
  const app = createApp({ store, catalog: loadCatalog(), limiter: new LoginLimiter(), secureCookies: false });
  const peer = new Hono().use("/static/*", serveStatic({ root: staticRoot, rewriteRequestPath: (path) => path.slice("/static".length) }));
  const server = serve({ fetch: (request, env) => (new URL(request.url).pathname.startsWith("/static/") ? peer.fetch(request, env) : app.fetch(request, env)), port: 0, hostname: "127.0.0.1" });
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the server has no TCP address");
  // Listening on 127.0.0.1 only: the respondents' own addresses are the sources, not the destination.
  return { base: `http://127.0.0.1:${address.port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

// ---- the export ----

async function insertResponses(store: Store, surveyId: string, form: Form, count: number): Promise<void> {
  const today = new Date().toISOString().slice(0, 10);
  for (let start = 0; start < count; start += 1000) {
    const rows = Array.from({ length: Math.min(1000, count - start) }, (_, offset) => ({
      id: randomUUID(),
      survey_id: surveyId,
      submitted_on: today,
      answers: JSON.stringify(responseAnswers(form, start + offset)),
    }));
    await store.db.transaction().execute((trx) => trx.insertInto("survey_responses").values(rows).execute());
  }
}

/** Runs `work` while sampling the resident set size; returns seconds and the peak in MB. */
async function measured(work: () => Promise<void>): Promise<{ seconds: number; peakMb: number; baseMb: number }> {
  globalThis.gc?.();
  const baseMb = process.memoryUsage.rss() / 1e6;
  let peak = baseMb;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss() / 1e6)), 10);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return { seconds: (performance.now() - started) / 1000, peakMb: Math.max(peak, process.memoryUsage.rss() / 1e6), baseMb };
}

async function benchmarkExport(store: Store, surveyId: string, form: Form, answers: number, directory: string, dump: (file: string) => void): Promise<void> {
  const inserted = await measured(() => insertResponses(store, surveyId, form, answers));
  console.log(`  ${answers.toLocaleString("en")} responses inserted in ${inserted.seconds.toFixed(1)} s`);
  const { iterateResponses } = await import("../src/store/surveys.ts");
  const source = () => iterateResponses(store.db, surveyId);
  const rows: [string, string, { seconds: number; peakMb: number; baseMb: number }][] = [];
  const csvFile = join(directory, "answers.csv");
  rows.push(["CSV", csvFile, await measured(async () => {
    const out = createWriteStream(csvFile);
    await exportCsv(form, source(), out);
    await finished(out);
  })]);
  const xlsxFile = join(directory, "answers.xlsx");
  rows.push(["XLSX", xlsxFile, await measured(async () => {
    const out = createWriteStream(xlsxFile);
    await exportXlsx(form, source, out);
    await finished(out);
  })]);
  const dumpFile = join(directory, "dump.csv");
  const peer = await measured(() => {
    dump(dumpFile);
    return Promise.resolve();
  });
  console.log(`  ${"export".padEnd(28)} ${"seconds".padStart(8)} ${"rows/s".padStart(9)} ${"MB".padStart(6)} ${"peak RSS".padStart(9)} ${"+ over idle".padStart(11)} ${"x dump".padStart(7)}`);
  for (const [label, file, result] of [...rows, ["database dump (peer)", dumpFile, peer] as const]) {
    console.log(
      `  ${label.padEnd(28)} ${result.seconds.toFixed(2).padStart(8)} ${Math.round(answers / result.seconds).toLocaleString("en").padStart(9)} ${(statSync(file).size / 1e6).toFixed(1).padStart(6)} ${result.peakMb.toFixed(0).padStart(9)} ${(result.peakMb - result.baseMb).toFixed(0).padStart(11)} ${(result.seconds / peer.seconds).toFixed(1).padStart(7)}`,
    );
  }
}

// ---- the report ----

function reportLoad(label: string, result: LoadResult, staticP95?: number): void {
  console.log(`  ${label}: ${result.requests.toLocaleString("en")} requests in ${result.seconds.toFixed(1)} s (${Math.round(result.requests / result.seconds)}/s), ${result.failures.length} respondents failed`);
  for (const failure of result.failures.slice(0, 5)) console.log(`    ${failure}`);
  console.log(`    ${"request".padEnd(12)} ${"count".padStart(7)} ${"p50".padStart(7)} ${"p95".padStart(7)} ${"p99".padStart(7)}`);
  for (const [kind, figures] of Object.entries(result.byKind)) {
    console.log(`    ${kind.padEnd(12)} ${String(figures.count).padStart(7)} ${figures.p50.toFixed(1).padStart(7)} ${figures.p95.toFixed(1).padStart(7)} ${figures.p99.toFixed(1).padStart(7)}`);
  }
  const verdict = result.all.p95 < TARGET_P95_MS ? "below" : "ABOVE";
  const ratio = staticP95 ? `, ${(result.all.p95 / staticP95).toFixed(1)} x static p95` : "";
  console.log(`    ${"all".padEnd(12)} ${String(result.requests).padStart(7)} ${result.all.p50.toFixed(1).padStart(7)} ${result.all.p95.toFixed(1).padStart(7)} ${result.all.p99.toFixed(1).padStart(7)}  p95 ${verdict} ${TARGET_P95_MS} ms${ratio}`);
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      respondents: { type: "string", default: "500" },
      arrival: { type: "string", default: "10" },
      "think-min": { type: "string", default: "5" },
      "think-max": { type: "string", default: "15" },
      answers: { type: "string", default: "100000" },
      postgres: { type: "string", default: process.env.BASELINE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test" },
      "no-postgres": { type: "boolean", default: false },
    },
  });
  const respondents = Number(args.respondents);
  const thinkMin = Number(args["think-min"]) * 1000;
  const thinkMax = Number(args["think-max"]) * 1000;
  const answers = Number(args.answers);
  const arrivalMs = Number(args.arrival) * 1000;
  if (!Number.isInteger(respondents) || respondents < 1 || !(thinkMin >= 0) || !(thinkMax >= thinkMin) || !Number.isInteger(answers) || answers < 1 || !(arrivalMs >= 0)) {
    throw new Error("--respondents and --answers must be positive integers, 0 <= --think-min <= --think-max, --arrival >= 0");
  }
  const form = await readXlsForm(await benchFormBytes(), "bench-40.xlsx");
  const temporary = mkdtempSync(join(tmpdir(), "baseline-bench-surveys-"));
  const loader = new Worker(new URL(import.meta.url));
  const runLoad = async (job: LoadJob): Promise<LoadResult> => {
    loader.postMessage(job);
    const [result] = (await once(loader, "message")) as [LoadResult];
    return result;
  };

  async function benchmark(label: string, store: Store, dump: (surveyId: string) => (file: string) => void): Promise<void> {
    console.log(`\n${label}`);
    const survey = await createSurvey(store.db, { form, formId: form.id, title: form.title, version: form.version, fileName: "bench-40.xlsx" }, null);
    const server = await startServer(store, temporary);
    try {
      const intro = await fetch(`${server.base}/surveys/${survey.id}`);
      writeFileSync(join(temporary, "page.html"), await intro.text());
      const job = { base: server.base, surveyId: survey.id, form, respondents, thinkMin, thinkMax, arrivalMs };
      const peer = await runLoad({ ...job, staticPath: "/static/page.html" });
      reportLoad(`peer: static page, ${respondents} clients`, peer);
      const result = await runLoad(job);
      reportLoad(`${respondents} respondents arriving within ${arrivalMs / 1000} s, ${thinkMin / 1000}-${thinkMax / 1000} s on each page`, result, peer.all.p95);
      const stored = await countResponses(store.db, survey.id);
      console.log(`    stored responses: ${stored} of ${respondents - result.failures.length} respondents who finished${stored === respondents - result.failures.length ? "" : "  MISMATCH"}`);
      const stress = await runLoad({ ...job, thinkMin: 0, thinkMax: 0, arrivalMs: 0 });
      reportLoad(`stress: ${respondents} respondents at once, no time on any page`, stress, peer.all.p95);
    } finally {
      await server.close();
    }
    const exportSurvey = await createSurvey(store.db, { form, formId: form.id, title: form.title, version: form.version, fileName: "bench-40.xlsx" }, null);
    await benchmarkExport(store, exportSurvey.id, form, answers, temporary, dump(exportSurvey.id));
  }

  console.log(`surveys: ${GROUPS * PER_GROUP}-question form in ${GROUPS} pages; times in ms; node ${process.version}, ${availableParallelism()} CPUs shared by server, respondents${args["no-postgres"] ? "" : " and PostgreSQL"}`);
  try {
    const sqliteFile = join(temporary, "bench.sqlite");
    const sqlite = await openDatabase(`sqlite:${sqliteFile}`);
    try {
      await benchmark("SQLite (file, WAL)", sqlite, (surveyId) => (file) => {
        execFileSync("sh", ["-c", `sqlite3 -csv '${sqliteFile}' "select id, submitted_on, answers from survey_responses where survey_id = '${surveyId}'" > '${file}'`]);
      });
    } finally {
      await sqlite.close();
    }
    if (!args["no-postgres"]) await benchmarkPostgres(args.postgres, benchmark);
  } finally {
    await loader.terminate();
    rmSync(temporary, { recursive: true, force: true });
  }
}

async function benchmarkPostgres(url: string, benchmark: (label: string, store: Store, dump: (surveyId: string) => (file: string) => void) => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`\nPostgreSQL: skipped, ${redactUrl(url)} cannot be reached (${error instanceof Error ? error.message : String(error)})`);
    return;
  }
  const schema = `bench_surveys_${process.pid}_${Date.now()}`;
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    const store = await openDatabase(url, { postgres: { options: `-c search_path=${schema}` } });
    try {
      await benchmark(`PostgreSQL (fresh schema ${schema})`, store, (surveyId) => (file) => {
        execFileSync("psql", [url, "-qc", `\\copy (select id, submitted_on, answers from ${schema}.survey_responses where survey_id = '${surveyId}') to '${file}' csv`]);
      });
    } finally {
      await store.close();
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

if (isMainThread) await main();
else serveLoadJobs();
