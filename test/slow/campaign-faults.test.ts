/**
 * Campaigns under faults, with real processes and real checks: every
 * scheduled domain ends with exactly one result per run when
 *
 * - a `baseline worker` is killed with SIGKILL mid-run (its jobs go to the
 *   other worker once their lease runs out),
 * - PostgreSQL is restarted mid-run (workers, their queue and their
 *   connection slots reconnect; lost writes come back through the retries
 *   and the sweep),
 * - a `baseline serve` on SQLite (the embedded runner) is killed mid-run and
 *   started again (it takes back the leases of the process that died).
 *
 * PostgreSQL here is a private cluster made with initdb in a temporary
 * folder, on a port of its own, run as the postgres user
 * (bench/lib/private-postgres.ts, which the campaign bench shares): the
 * machine's shared server (5432) is never restarted. That part needs root (runuser)
 * and PostgreSQL's binaries; it is skipped, saying why, without them.
 *
 * The checks are Baseline's real web suite, resolving through a DNS server
 * on loopback that answers every query with REFUSED after 250 ms: every
 * check runs, nothing leaves the machine, and a domain takes a few hundred
 * milliseconds, long enough to be caught mid-run.
 *
 * Run alone: `node --test test/slow/campaign-faults.test.ts` (about 50 s).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { CampaignEngine } from "../../src/campaigns/engine.ts";
import { createRun, getRun, manualSlot, type RunRecord } from "../../src/campaigns/runs.ts";
import { defaultSettings } from "../../src/checks/context.ts";
import { fixedResolver } from "../../src/checks/http/test-support.ts";
import { encodeMessage, parseMessage } from "../../src/dns/wire.ts";
import { PgBossQueue } from "../../src/jobs/pg-boss.ts";
import { openDatabase, type Store } from "../../src/store/index.ts";
import { PrivateCluster, privateClusterUnavailable } from "../../bench/lib/private-postgres.ts";

const bin = fileURLToPath(new URL("../../bin/baseline.js", import.meta.url));
const DOMAINS = 60;
const DNS_DELAY_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A DNS server on loopback that refuses every query after DNS_DELAY_MS. */
async function slowRefusingDns(): Promise<{ port: number; close: () => void }> {
  const server: Socket = createSocket("udp4");
  server.on("message", (packet, remote) => {
    const query = parseMessage(packet);
    const answer = encodeMessage({ ...query, flags: { ...query.flags, qr: true, ra: true, aa: false, ad: false, tc: false }, rcode: "REFUSED", answers: [], authorities: [], additionals: [], edns: undefined });
    setTimeout(() => server.send(answer, remote.port, remote.address), DNS_DELAY_MS);
  });
  await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve));
  return { port: server.address().port, close: () => server.close() };
}

/** A `baseline` child process; its stderr kept for the failure message. */
class Child {
  readonly process: ChildProcess;
  output = "";
  constructor(args: string[]) {
    this.process = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    this.process.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.process.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
  }
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.process.exitCode !== null) throw new Error(`the child exited (${this.process.exitCode}) before printing ${pattern}: ${this.output}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} after ${timeoutMs} ms: ${this.output}`);
      await sleep(50);
    }
  }
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process.once("exit", resolve));
    this.process.kill(signal);
    await exited;
  }
}

async function addPortfolio(store: Store, domains: string[]): Promise<string> {
  const id = `p-${Math.random().toString(36).slice(2)}`;
  const now = new Date().toISOString();
  await store.db.insertInto("portfolios").values({ id, name: `Faults ${id}`, description: null, suites: "web", schedule: "manual", next_run_at: null, alert_emails: "[]", webhook_url: null, webhook_secret: null, created_at: now, updated_at: now }).execute();
  await store.db.insertInto("portfolio_domains").values(domains.map((domain) => ({ portfolio_id: id, domain, organisation: null, sector: null, region: null, institution_id: null, added_at: now }))).execute();
  return id;
}

async function resultCount(store: Store, runId: string): Promise<number> {
  const row = await store.db.selectFrom("results").select((eb) => eb.fn.countAll<string>().as("n")).where("run_id", "=", runId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Polls `probe` through database outages until it holds. */
async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // The database is restarting: ask again.
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Exactly one result per target, and the run done. */
async function assertExactlyOnce(store: Store, run: RunRecord): Promise<void> {
  const rows = await store.db.selectFrom("results").select(["domain", "suite"]).where("run_id", "=", run.id).execute();
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(`${row.domain}/${row.suite}`, (counts.get(`${row.domain}/${row.suite}`) ?? 0) + 1);
  const targets = await store.db.selectFrom("run_targets").select(["domain", "suite"]).where("run_id", "=", run.id).execute();
  assert.equal(targets.length, DOMAINS);
  for (const target of targets) assert.equal(counts.get(`${target.domain}/${target.suite}`), 1, `${target.domain} has one result`);
  assert.equal(rows.length, DOMAINS, "no result for anything else");
  assert.equal((await getRun(store.db, run.id))?.status, "done");
}

const domainsOf = (tag: string): string[] => Array.from({ length: DOMAINS }, (_, index) => `${tag}${index}.example`);

// Both halves at once: their waits (leases, restarts) overlap.
describe("campaign faults", { concurrency: true }, () => {
describe("campaign faults on PostgreSQL with pg-boss workers", { skip: privateClusterUnavailable(), concurrency: 1 }, () => {
  const cluster = new PrivateCluster();
  let dns: Awaited<ReturnType<typeof slowRefusingDns>>;
  let store: Store;
  let producer: PgBossQueue;
  let engine: CampaignEngine;
  const workers: Child[] = [];
  const closers: (() => unknown)[] = [];
  const startWorker = async (): Promise<Child> => {
    const worker = new Child(["worker", "--db", cluster.url, "--resolver", `127.0.0.1:${dns.port}`, "--allow-private", "--concurrency", "3", "--lease", "10"]);
    workers.push(worker);
    await worker.waitFor(/takes checks from/);
    return worker;
  };

  before(async () => {
    dns = await slowRefusingDns();
    closers.push(() => dns.close());
    await cluster.start();
    store = await openDatabase(cluster.url);
    // The server's half, in this process: runs are made and enqueued here, checked by the workers;
    // its sweep brings back targets whose job was lost while the database was away.
    producer = new PgBossQueue({ connectionString: cluster.url, concurrency: 1, store, sweepMs: 5000, superviseSeconds: 2, onError: () => undefined });
    closers.push(() => producer.close(0), () => store.close());
    await producer.open();
    engine = new CampaignEngine({ store, settings: defaultSettings(fixedResolver({})), queue: producer, runJobs: false });
  });
  after(async () => {
    for (const worker of workers) await worker.kill("SIGKILL");
    for (const close of closers.reverse()) await close();
    cluster.remove();
  });

  test("a worker killed with SIGKILL mid-run: its jobs go to the other worker after the lease, one result each", async () => {
    const [doomed, survivor] = [await startWorker(), await startWorker()];
    const run = await engine.runNow("portfolio", await addPortfolio(store, domainsOf("kill")));
    await until("a third of the run", async () => (await resultCount(store, run.id)) >= DOMAINS / 3, 60_000);
    await doomed.kill("SIGKILL");
    const atKill = await resultCount(store, run.id);
    assert.ok(atKill < DOMAINS, "killed mid-run");
    await until("the run done", async () => (await getRun(store.db, run.id))?.status === "done", 90_000);
    await assertExactlyOnce(store, run);
    // The killed worker had jobs in hand: they were delivered again (retry_count > 0).
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where singleton_key like ${`${run.id}/%`} and retry_count > 0`.execute(store.db);
    assert.ok((rows[0]?.n ?? 0) >= 1, "a job of the killed worker was delivered again");
    await survivor.kill("SIGTERM");
  });

  test("PostgreSQL restarted mid-run: the workers carry on, one result each", async () => {
    await startWorker();
    await startWorker();
    const run = await engine.runNow("portfolio", await addPortfolio(store, domainsOf("restart")));
    await until("a third of the run", async () => (await resultCount(store, run.id)) >= DOMAINS / 3, 60_000);
    await cluster.restart(1500);
    assert.ok((await resultCount(store, run.id)) < DOMAINS, "restarted mid-run");
    await until("the run done", async () => (await getRun(store.db, run.id))?.status === "done", 120_000);
    await assertExactlyOnce(store, run);
  });
});

describe("campaign faults on SQLite with the embedded runner", () => {
  let dns: Awaited<ReturnType<typeof slowRefusingDns>>;
  const dir = mkdtempSync(join(tmpdir(), "baseline-faults-sqlite-"));
  const url = `sqlite:${join(dir, "baseline.sqlite")}`;
  const servers: Child[] = [];
  let store: Store;
  const startServer = async (): Promise<Child> => {
    const server = new Child(["serve", "--db", url, "--port", "0", "--resolver", `127.0.0.1:${dns.port}`, "--allow-private", "--check-concurrency", "4"]);
    servers.push(server);
    await server.waitFor(/Baseline observatory on/, 60_000);
    return server;
  };
  const closers: (() => unknown)[] = [];
  before(async () => {
    dns = await slowRefusingDns();
    closers.push(() => dns.close());
  });
  after(async () => {
    for (const server of servers) await server.kill("SIGKILL");
    for (const close of closers.reverse()) await close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a server killed mid-run and started again finishes the run, one result each", async () => {
    const first = await startServer();
    store = await openDatabase(url);
    closers.push(() => store.close());
    const portfolio = await addPortfolio(store, domainsOf("serve"));
    // What "run now" does: the run and its targets, which are the embedded queue.
    const { run } = await createRun(store.db, { subjectKind: "portfolio", subjectId: portfolio, slot: manualSlot(), targets: domainsOf("serve").map((domain) => ({ domain, suite: "web" as const })) });
    await until("a third of the run", async () => (await resultCount(store, run.id)) >= DOMAINS / 3, 60_000);
    await first.kill("SIGKILL");
    const atKill = await resultCount(store, run.id);
    assert.ok(atKill < DOMAINS, "killed mid-run");
    const leased = await store.db.selectFrom("run_targets").select("domain").where("run_id", "=", run.id).where("state", "=", "leased").execute();
    assert.ok(leased.length > 0, "the killed server had targets in hand");
    const second = await startServer();
    await until("the run done", async () => (await getRun(store.db, run.id))?.status === "done", 90_000);
    await assertExactlyOnce(store, run);
    await second.kill("SIGTERM");
  });
});
});
