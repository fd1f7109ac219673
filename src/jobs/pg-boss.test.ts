/**
 * The pg-boss queue on the test PostgreSQL server, each test store with a
 * pg-boss schema of its own: a job is enqueued once however often it is
 * sent, every target of a run ends with one result across two workers, a
 * failing check is retried with the attempt counted and recorded as an
 * error on the last one, a cancelled run's waiting jobs are dropped, and
 * the sweep brings back a target whose job was lost. The checks are
 * stand-ins (the orchestration is under test); test/slow/campaign-faults
 * runs real ones in real worker processes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { defaultSettings } from "../checks/context.ts";
import { fixedResolver } from "../checks/http/test-support.ts";
import type { DomainReport, Suite } from "../checks/types.ts";
import { createCheckHandler, createGiveUp } from "../campaigns/execute.ts";
import { cancelRun, createRun, getRun, manualSlot, type RunRecord } from "../campaigns/runs.ts";
import { openTestStore, skipReason, type TestStore } from "../store/test-databases.ts";
import { CHECK_QUEUE, PgBossQueue } from "./pg-boss.ts";

const settings = defaultSettings(fixedResolver({}));
const TEST_POSTGRES_URL = process.env.BASELINE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

function report(domain: string, suite: Suite): DomainReport {
  return { domain, suite, score: 100, categories: [], tests: [], startedAt: new Date().toISOString(), durationMs: 1 };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function finished(store: TestStore, runId: string): Promise<RunRecord> {
  return waitFor(`run ${runId} done`, async () => {
    const run = await getRun(store.db, runId);
    return run && run.status !== "queued" && run.status !== "running" ? run : undefined;
  });
}

async function resultCounts(store: TestStore, runId: string): Promise<number[]> {
  const rows = await store.db.selectFrom("results").select(["domain", "suite"]).where("run_id", "=", runId).execute();
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(`${row.domain}/${row.suite}`, (counts.get(`${row.domain}/${row.suite}`) ?? 0) + 1);
  return [...counts.values()];
}

describe("pg-boss queue", { skip: await skipReason("postgres") }, () => {
  let store: TestStore;
  let schema: string;
  const queues: PgBossQueue[] = [];
  const queue = (concurrency: number, extra: Partial<ConstructorParameters<typeof PgBossQueue>[0]> = {}): PgBossQueue => {
    const made = new PgBossQueue({ connectionString: TEST_POSTGRES_URL, schema, concurrency, pollSeconds: 0.5, retryDelaySeconds: 1, superviseSeconds: 1, ...extra });
    queues.push(made);
    return made;
  };

  /** The run's jobs in `states`, read from pg-boss's table. */
  const jobsOf = async (runId: string, states: string[]): Promise<number> => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(`select count(*) as n from "${schema}".job where name = $1 and singleton_key like $2 and state::text = any($3)`, [CHECK_QUEUE, `${runId}/%`, states]);
      return Number(rows[0]?.n);
    } finally {
      await client.end();
    }
  };

  before(async () => {
    store = await openTestStore("postgres", { name: "pgboss_queue" });
    schema = `pgboss_${process.pid}_${Date.now()}`;
  });
  after(async () => {
    for (const made of queues) await made.close(1000);
    await store.close();
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  });

  test("a job sent twice is queued once; two workers give every target one result, each checked once", async () => {
    const domains = Array.from({ length: 30 }, (_, index) => `d${index}.example`);
    const { run } = await createRun(store.db, { subjectKind: "batch", subjectId: "b1", slot: manualSlot(), targets: domains.map((domain) => ({ domain, suite: "web" as const })) });
    const producer = queue(1);
    const jobs = domains.map((domain) => ({ runId: run.id, domain, suite: "web" as const }));
    await producer.enqueue(jobs);
    await producer.enqueue(jobs);
    await producer.enqueue(jobs.slice(0, 5));
    assert.equal((await producer.counts()).queued, 30, "the key keeps the second send out");

    const checked = new Map<string, number>();
    let running = 0;
    let peak = 0;
    const check = async (domain: string, suite: Suite): Promise<DomainReport> => {
      checked.set(domain, (checked.get(domain) ?? 0) + 1);
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 30));
      running--;
      return report(domain, suite);
    };
    const workers = [queue(3), queue(3)];
    for (const worker of workers) await worker.start(createCheckHandler({ store, settings, check }));
    const done = await finished(store, run.id);
    for (const worker of workers) await worker.close(1000);
    assert.equal(done.status, "done");
    const counts = await resultCounts(store, run.id);
    assert.equal(counts.length, 30);
    assert.ok(counts.every((count) => count === 1));
    assert.ok([...checked.values()].every((count) => count === 1), "no job was delivered twice");
    assert.ok(peak <= 6, `at most 3 per worker at once, saw ${peak}`);
  });

  test("a failing check is retried with its attempt counted, and its error recorded on the last attempt", async () => {
    const { run } = await createRun(store.db, { subjectKind: "batch", subjectId: "b2", slot: manualSlot(), targets: [{ domain: "flaky.example", suite: "web" }, { domain: "broken.example", suite: "mail" }] });
    const attempts: string[] = [];
    const worker = queue(2, { maxAttempts: 2 });
    await worker.start(async (job, attempt) => {
      attempts.push(`${job.domain} ${attempt.attempt}/${attempt.maxAttempts}`);
      await createCheckHandler({
        store,
        settings,
        check: (domain, suite) => (domain === "flaky.example" && attempt.attempt === 2 ? Promise.resolve(report(domain, suite)) : Promise.reject(new Error("connection reset"))),
      })(job, attempt);
    });
    await worker.enqueue([{ runId: run.id, domain: "flaky.example", suite: "web" }, { runId: run.id, domain: "broken.example", suite: "mail" }]);
    await finished(store, run.id);
    await worker.close(1000);
    assert.deepEqual(attempts.sort(), ["broken.example 1/2", "broken.example 2/2", "flaky.example 1/2", "flaky.example 2/2"]);
    const rows = await store.db.selectFrom("results").select(["domain", "error", "score"]).where("run_id", "=", run.id).orderBy("domain").execute();
    assert.deepEqual(rows, [
      { domain: "broken.example", error: "connection reset", score: null },
      { domain: "flaky.example", error: null, score: 100 },
    ]);
  });

  test("a cancelled run's waiting jobs are dropped", async () => {
    const domains = Array.from({ length: 8 }, (_, index) => `c${index}.example`);
    const { run } = await createRun(store.db, { subjectKind: "batch", subjectId: "b3", slot: manualSlot(), targets: domains.map((domain) => ({ domain, suite: "web" as const })) });
    const producer = queue(1);
    await producer.enqueue(domains.map((domain) => ({ runId: run.id, domain, suite: "web" as const })));
    assert.equal(await jobsOf(run.id, ["created", "retry"]), 8);
    assert.ok(await cancelRun(store.db, run.id));
    await producer.dropRun(run.id);
    assert.equal(await jobsOf(run.id, ["created", "retry"]), 0);
  });

  test("the sweep brings back a target whose job was lost, and adds nothing for queued ones", async () => {
    const { run } = await createRun(store.db, { subjectKind: "batch", subjectId: "b4", slot: manualSlot(), targets: [{ domain: "lost.example", suite: "web" }, { domain: "kept.example", suite: "web" }] });
    const producer = queue(1, { store });
    // The server died after creating the run and before enqueueing lost.example.
    await producer.enqueue([{ runId: run.id, domain: "kept.example", suite: "web" }]);
    assert.equal(await producer.sweep(0), 1, "only lost.example is new");
    assert.equal(await producer.sweep(0), 0, "a second sweep adds nothing");
    assert.equal(await jobsOf(run.id, ["created"]), 2);
  });

  test("the sweep puts back only targets without a live job, at most sweepLimit at a time", async () => {
    const domains = Array.from({ length: 9 }, (_, index) => `s${index}.example`);
    const { run } = await createRun(store.db, { subjectKind: "batch", subjectId: "b5", slot: manualSlot(), targets: domains.map((domain) => ({ domain, suite: "web" as const })) });
    const producer = queue(1, { store, sweepLimit: 2 });
    // Four were enqueued; five were lost.
    await producer.enqueue(domains.slice(0, 4).map((domain) => ({ runId: run.id, domain, suite: "web" as const })));
    assert.deepEqual([await producer.sweep(0), await producer.sweep(0), await producer.sweep(0), await producer.sweep(0)], [2, 2, 1, 0]);
    assert.equal(await jobsOf(run.id, ["created"]), 9);
  });

  test("a target whose jobs keep ending without a result is given up on after maxSweeps, with one error result", async () => {
    const { run } = await createRun(store.db, { subjectKind: "batch", subjectId: "b6", slot: manualSlot(), targets: [{ domain: "doomed.example", suite: "web" }] });
    // One attempt a job, so that each round is one delivery; the handler fails as one whose result cannot be written
    // (or whose worker is killed on the last attempt): the job ends "failed" and the target stays pending.
    const worker = queue(1, { store, maxAttempts: 1, maxSweeps: 2, onGiveUp: createGiveUp({ store }) });
    let deliveries = 0;
    // (Jobs the sweeps of the tests above put back reach this worker too: only this run's count.)
    await worker.start((job) => {
      if (job.runId === run.id) deliveries++;
      return Promise.reject(new Error("the result cannot be written"));
    });
    const roundEnds = (round: number): Promise<true> => waitFor(`round ${round} fails`, async () => (deliveries === round && (await jobsOf(run.id, ["created", "retry", "active"])) === 0 ? true : undefined));
    await worker.enqueue([{ runId: run.id, domain: "doomed.example", suite: "web" }]);
    await roundEnds(1);
    assert.equal(await worker.sweep(0), 1, "put back once");
    await roundEnds(2);
    assert.equal(await worker.sweep(0), 1, "put back twice");
    await roundEnds(3);
    assert.equal(await worker.sweep(0), 0, "lost a third time: given up, not put back");
    assert.equal(await worker.sweep(0), 0);
    await worker.close(1000);
    assert.equal(deliveries, 3);
    const rows = await store.db.selectFrom("results").select(["domain", "error", "score"]).where("run_id", "=", run.id).execute();
    assert.equal(rows.length, 1);
    assert.match(rows[0]?.error ?? "", /^gave up after 3 rounds in the queue of up to 1 deliveries each without a result/);
    assert.equal((await getRun(store.db, run.id))?.status, "done");
  });
});
