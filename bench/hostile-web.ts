/**
 * Hostile-input benchmark of the web app (issue 15, findings 2 and 6): does
 * a real login answer within 1 s during a flood of 100 wrong logins, and
 * does `GET /` keep a p95 under 150 ms while a 10 MiB import or a large
 * export runs, with the process under about 1 GB?
 *
 * Setup: a SQLite file (WAL), as `baseline serve` uses, with the starter
 * dataset; createApp on @hono/node-server on 127.0.0.1 port 0, imports and
 * export builds in worker threads (workers/heavy-work.ts). Clients connect
 * from other loopback addresses (127.0.0.2, 127.0.1.x ...: Linux routes all
 * of 127/8 to the loopback interface), so the server sees real, distinct
 * peers without a proxy. Each request has a connection of its own.
 *
 * Measured, each against a peer from the same run:
 * 1. Login: the real user's login (right password, an address that has not
 *    been failing), idle (the peer) and during 100 parallel wrong logins
 *    from one other address and from 100 other addresses (each for another
 *    e-mail, so that the throttle alone does not stop them: the hashing
 *    queue must). Three rounds each; the worst is printed.
 * 2. `GET /` latency, one request every 20 ms: idle (the peer), during a
 *    10 MiB CSV import of 113,000 institutions in a worker, during the same
 *    import run in-process as before this change (the "before" peer: the
 *    event loop and the one SQLite connection busy), and during the first
 *    build of a large /export.json (260,000 institutions added first).
 * 3. Memory: the process's resident set (workers included) sampled every
 *    25 ms during the first build of the large export (rows read a page at
 *    a time in the worker and written as chunks: about the export's size
 *    added), and while 30 slow clients download it at once (each stops
 *    reading for 5 s after the first 64 KiB; every reader is sent the same
 *    cached chunks), and the process's peak over the whole run (which
 *    includes the in-process import of the "before" peer; --no-before
 *    leaves it out).
 *
 * Run: `node --expose-gc bench/hostile-web.ts [--institutions 260000]
 * [--import-mib 10] [--no-before]` (about 3 minutes; --no-before skips the
 * in-process import, which freezes the server for its whole length).
 * Not part of the test suite.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { serve, type ServerType } from "@hono/node-server";
import { loadCatalog } from "../src/catalog/load.ts";
import { createApp } from "../src/server/app.ts";
import { hashPassword, LoginLimiter } from "../src/server/auth.ts";
import { seedIfEmpty } from "../src/server/seed.ts";
import { HeavyWork } from "../src/server/workers/heavy-work.ts";
import { createUser, openDatabase, type Store } from "../src/store/index.ts";
import { insertBulkInstitutions } from "../src/store/test-databases.ts";

const { values: args } = parseArgs({
  options: {
    institutions: { type: "string", default: "260000" },
    "import-mib": { type: "string", default: "10" },
    "no-before": { type: "boolean", default: false },
  },
});

const PASSWORD = "the right password, long enough";
const catalog = loadCatalog();

interface Reply {
  status: number;
  body: Buffer;
  /** Bytes received (the body may have been discarded). */
  size: number;
  ms: number;
  setCookie: string[];
}

let port = 0;

function call(path: string, options: { method?: string; from?: string; headers?: Record<string, string>; body?: Buffer | string; slow?: boolean; discard?: boolean } = {}): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers, ...(options.body === undefined ? {} : { "content-length": String(Buffer.byteLength(options.body)) }) };
    const req = httpRequest({ host: "127.0.0.1", port, path, method: options.method ?? "GET", localAddress: options.from ?? "127.0.0.1", headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      let paused = false;
      res.on("data", (chunk: Buffer) => {
        // A slow reader keeps nothing (it only counts), so that the memory measured is the server's.
        if (!options.slow && !options.discard) chunks.push(chunk);
        received += chunk.length;
        if (options.slow && !paused && received > 64 * 1024) {
          paused = true;
          res.pause();
          setTimeout(() => res.resume(), 5000);
        }
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), size: received, ms: performance.now() - started, setCookie: res.headers["set-cookie"] ?? [] }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const cookieOf = (reply: Reply, name: string): string => reply.setCookie.map((line) => new RegExp(`^${name}=([^;]*)`).exec(line)?.[1]).find((value) => value !== undefined) ?? "";

async function loginForm(from: string): Promise<{ cookie: string; csrf: string }> {
  const page = await call("/login", { from });
  return { cookie: `baseline_login=${cookieOf(page, "baseline_login")}`, csrf: /name="csrf" value="([^"]+)"/.exec(page.body.toString())?.[1] ?? "" };
}

async function login(email: string, password: string, from: string, form?: { cookie: string; csrf: string }): Promise<Reply> {
  const { cookie, csrf } = form ?? (await loginForm(from));
  return call("/login", { method: "POST", from, headers: { "content-type": "application/x-www-form-urlencoded", cookie }, body: new URLSearchParams({ csrf, email, password }).toString() });
}

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
};
const ms = (value: number): string => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/**
 * GET / every 20 ms until `until` settles; the latencies. The client runs in
 * a worker thread: on the server's own event loop it would be frozen along
 * with the server and could not see the wait.
 */
const SAMPLER = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const latencies = [];
let stop = false;
parentPort.on("message", () => (stop = true));
const once = () => new Promise((resolve) => {
  const started = performance.now();
  const req = http.get({ host: "127.0.0.1", port: workerData.port, path: "/", localAddress: "127.0.0.9", agent: false }, (res) => {
    res.resume();
    res.on("end", () => resolve(performance.now() - started));
  });
  req.on("error", () => resolve(performance.now() - started));
});
(async () => {
  while (!stop) {
    latencies.push(await once());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  parentPort.postMessage(latencies);
})();
`;

async function sampleHome(until: Promise<unknown>): Promise<number[]> {
  const worker = new Worker(SAMPLER, { eval: true, workerData: { port } });
  const result = new Promise<number[]>((resolve) => worker.once("message", (latencies: number[]) => resolve(latencies)));
  await until.catch(() => undefined);
  worker.postMessage("stop");
  const latencies = await result;
  await worker.terminate();
  return latencies;
}

const homeLine = (label: string, latencies: readonly number[], idle: readonly number[]): string =>
  `${label.padEnd(44)} p50 ${ms(percentile(latencies, 50)).padStart(8)}  p95 ${ms(percentile(latencies, 95)).padStart(8)}  max ${ms(Math.max(...latencies)).padStart(9)}  (${latencies.length} requests; p95 ${(percentile(latencies, 95) / percentile(idle, 95)).toFixed(1)}x idle)`;

/** The process's resident set, sampled every 25 ms while `during` runs: its peak. */
async function peakRss(during: Promise<unknown>): Promise<number> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 25);
  try {
    await during;
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage.rss());
}

function listen(store: Store, heavyWork: HeavyWork): Promise<ServerType> {
  return new Promise((resolve) => {
    const server = serve({ fetch: createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false, heavyWork }).fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
      port = info.port;
      resolve(server);
    });
  });
}

const closeServer = (server: ServerType): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

function csvOfMiB(mib: number, prefix: string): { text: string; rows: number } {
  const lines = ["name,kind,country,region,globalSouth,sector"];
  let size = 0;
  let rows = 0;
  // Up to the upload limit (MAX_UPLOAD_BYTES, 10 MiB), not past it.
  for (;;) {
    const line = `${prefix} Ministry of Imported Things number ${rows},government,NL,155,false,ICT and digital government`;
    if (size + line.length + 2 > mib * 1024 * 1024 - 1024) break;
    lines.push(line);
    size += line.length + 2;
    rows++;
  }
  return { text: lines.join("\r\n"), rows };
}

async function importOver(cookie: string, text: string): Promise<Reply> {
  const csrf = /name="csrf" value="([^"]+)"/.exec((await call("/import", { from: "127.0.0.8", headers: { cookie } })).body.toString())?.[1] ?? "";
  const form = new FormData();
  form.set("csrf", csrf);
  form.set("file", new File([text], "institutions.csv", { type: "text/csv" }));
  const encoded = new Response(form);
  return call("/import", { method: "POST", from: "127.0.0.8", headers: { cookie, "content-type": encoded.headers.get("content-type") ?? "" }, body: Buffer.from(await encoded.arrayBuffer()) });
}

const folder = mkdtempSync(join(tmpdir(), "baseline-hostile-web-"));
const url = `sqlite:${join(folder, "observatory.sqlite")}`;
const store = await openDatabase(url);
try {
  await seedIfEmpty(store, catalog);
  const passwordHash = await hashPassword(PASSWORD);
  for (let n = 0; n < 7; n++) await createUser(store.db, { email: `real${n}@example.org`, name: `Real ${n}`, role: "editor", passwordHash }, null);
  let server = await listen(store, new HeavyWork({ database: { url } }));
  console.log(`Baseline web app under hostile input (node ${process.version}, SQLite file, imports and exports in worker threads)\n`);

  // 1. Login latency.
  const idleLogins: number[] = [];
  for (let n = 0; n < 5; n++) {
    const reply = await login("real0@example.org", PASSWORD, `127.0.0.${10 + n}`);
    if (reply.status !== 303) throw new Error(`idle login: ${reply.status}`);
    idleLogins.push(reply.ms);
  }
  const idleLogin = percentile(idleLogins, 50);
  console.log(`login, idle (peer)                           median ${ms(idleLogin)} of ${idleLogins.length}`);
  for (const flood of ["one other address", "100 other addresses"] as const) {
    const rounds: number[] = [];
    const outcomes: string[] = [];
    for (let round = 0; round < 3; round++) {
      const from = (n: number): string => (flood === "one other address" ? `127.0.${20 + round}.1` : `127.0.${30 + round}.${n + 1}`);
      const attacker = await loginForm(from(0));
      const floodReplies = Promise.all(Array.from({ length: 100 }, (_, n) => login(`flood${round}-${n}@example.org`, "wrong password", from(n), attacker)));
      await new Promise((resolve) => setTimeout(resolve, 30));
      const email = `real${1 + round + (flood === "one other address" ? 0 : 3)}@example.org`;
      const user = await loginForm(`127.0.${40 + round}.${flood === "one other address" ? 1 : 2}`);
      const reply = await login(email, PASSWORD, `127.0.${40 + round}.${flood === "one other address" ? 1 : 2}`, user);
      if (reply.status !== 303) throw new Error(`login during the flood: ${reply.status}`);
      rounds.push(reply.ms);
      const statuses = (await floodReplies).map((answer) => answer.status);
      outcomes.push([401, 429, 503].map((status) => `${statuses.filter((s) => s === status).length}×${status}`).join(" "));
    }
    console.log(`login during 100 wrong logins, ${flood.padEnd(20)} worst ${ms(Math.max(...rounds))} (${(Math.max(...rounds) / idleLogin).toFixed(1)}x idle; rounds ${rounds.map(ms).join(", ")}; flood answered ${outcomes.join(" / ")})`);
  }

  // 2. GET / while an import runs.
  const idle = await sampleHome(new Promise((resolve) => setTimeout(resolve, 4000)));
  console.log(`\n${homeLine("GET /, idle (peer)", idle, idle)}`);
  const editor = `baseline_session=${cookieOf(await login("real0@example.org", PASSWORD, "127.0.0.8"), "baseline_session")}`;
  const csv = csvOfMiB(Number(args["import-mib"]), "Worker");
  const started = performance.now();
  const importing = importOver(editor, csv.text);
  const duringImport = await sampleHome(importing);
  const imported = await importing;
  if (imported.status !== 200) throw new Error(`import: ${imported.status} ${imported.body.toString().slice(0, 300)}`);
  console.log(`${homeLine(`GET /, during a ${args["import-mib"]} MiB import (worker)`, duringImport, idle)}; import of ${csv.rows} rows took ${ms(performance.now() - started)}`);
  if (!args["no-before"]) {
    // The same import on the event loop, as before this change: another server on the same database, in-process jobs.
    await closeServer(server);
    server = await listen(store, new HeavyWork());
    const before = csvOfMiB(Number(args["import-mib"]), "Inline");
    const inline = performance.now();
    const importingInline = importOver(editor, before.text);
    const duringInline = await sampleHome(importingInline);
    await importingInline;
    console.log(`${homeLine(`GET /, during the same import in-process (before)`, duringInline, idle)}; import took ${ms(performance.now() - inline)}`);
    await closeServer(server);
    server = await listen(store, new HeavyWork({ database: { url } }));
  }

  // 3. A large export: first build, then 30 slow readers.
  const target = Number(args.institutions);
  // In statements of 3,000 rows (SQLite takes at most 32,766 parameters in one).
  for (let done = 0; done < target; done += 3000) await insertBulkInstitutions(store.db, Math.min(3000, target - done), { namePrefix: `Bulk institution for the export benchmark, batch ${done / 3000}` });
  await store.optimize();
  (globalThis as { gc?: () => void }).gc?.();
  const rssBeforeBuild = process.memoryUsage.rss();
  const building = call("/export.json", { from: "127.0.0.11", discard: true });
  const buildPeak = peakRss(building);
  const duringExport = await sampleHome(building);
  const first = await building;
  console.log(`${homeLine(`GET /, during the first build of /export.json`, duringExport, idle)}; the build took ${ms(first.ms)} for ${mb(first.size)}`);
  console.log(`first build of /export.json (${mb(first.size)}): resident set ${mb(rssBeforeBuild)} before, peak ${mb(await buildPeak)} during (worker thread included)`);
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage.rss();
  const readers = Promise.all(Array.from({ length: 30 }, (_, n) => call("/export.json", { from: `127.0.50.${n + 1}`, slow: true })));
  const peak = await peakRss(readers);
  const replies = await readers;
  if (replies.some((reply) => reply.status !== 200)) throw new Error("an export reader failed");
  console.log(`\n30 slow readers of /export.json (${mb(first.size)}): resident set ${mb(rssBefore)} before (export cached), peak ${mb(peak)} during (${((peak - rssBefore) / first.size).toFixed(1)}x the export's size added)`);
  console.log(`peak resident set of the whole run (worker threads included): ${mb(process.resourceUsage().maxRSS * 1024)}`);
  await closeServer(server);
} finally {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
}
