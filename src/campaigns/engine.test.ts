/**
 * The campaign engine on both databases: a run's targets each end with
 * exactly one result, a failing check is retried and then recorded as an
 * error, a server stopped mid-run resumes without doubling anything, a
 * second run's regressions become an alert, and a schedule makes its run
 * once however often the scheduler ticks. The checks are stand-ins here
 * (what is under test is the orchestration); the lab tests run real ones.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { DomainReport, Suite } from "../checks/types.ts";
import { defaultSettings } from "../checks/context.ts";
import { EmbeddedQueue } from "../jobs/embedded.ts";
import type { JobQueue } from "../jobs/types.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../store/test-databases.ts";
import { listAlerts } from "./alerts.ts";
import { CampaignEngine } from "./engine.ts";
import { createRun, getRun, recordResult, type RunRecord } from "./runs.ts";
import { Scheduler } from "./scheduler.ts";
import { fixedResolver } from "../checks/http/test-support.ts";

const settings = defaultSettings(fixedResolver({}));

function report(domain: string, suite: Suite, status: "passed" | "failed"): DomainReport {
  return {
    domain,
    suite,
    score: status === "passed" ? 100 : 0,
    categories: [],
    tests: [{ id: `${suite}.https.exists`, standard: "https", category: `${suite}.https`, weight: "required", title: "HTTPS", fix: null, link: "", durationMs: 1, status, summary: status, evidence: { long: "x".repeat(2000) } }],
    startedAt: new Date().toISOString(),
    durationMs: 1,
  };
}

async function addPortfolio(store: TestStore, domains: string[], schedule = "manual", nextRunAt: string | null = null): Promise<string> {
  const id = `p-${Math.random().toString(36).slice(2)}`;
  const now = new Date().toISOString();
  await store.db.insertInto("portfolios").values({ id, name: `Portfolio ${id}`, description: null, suites: "web", schedule, next_run_at: nextRunAt, alert_emails: "[]", webhook_url: null, webhook_secret: null, created_at: now, updated_at: now }).execute();
  if (domains.length > 0) await store.db.insertInto("portfolio_domains").values(domains.map((domain) => ({ portfolio_id: id, domain, organisation: null, sector: null, region: null, institution_id: null, added_at: now }))).execute();
  return id;
}

async function waitForRun(store: TestStore, runId: string, timeoutMs = 10_000): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRun(store.db, runId);
    if (run && (run.status === "done" || run.status === "cancelled")) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} not done after ${timeoutMs} ms (status ${run?.status ?? "gone"})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function resultCounts(store: TestStore, runId: string): Promise<Map<string, number>> {
  const rows = await store.db.selectFrom("results").select(["domain", "suite"]).where("run_id", "=", runId).execute();
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(`${row.domain}/${row.suite}`, (counts.get(`${row.domain}/${row.suite}`) ?? 0) + 1);
  return counts;
}

for (const dialect of TEST_DIALECTS) {
  describe(`campaign engine on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    before(async () => (store = await openTestStore(dialect, { name: "campaign_engine", file: true })));
    after(() => store.close());

    test("every target ends with one result, the evidence compacted", async () => {
      const domains = Array.from({ length: 25 }, (_, index) => `d${index}.example`);
      const portfolio = await addPortfolio(store, domains);
      const engine = new CampaignEngine({ store, settings, concurrency: 4, queue: new EmbeddedQueue(store, { concurrency: 4, pollMs: 20 }), check: (domain, suite) => Promise.resolve(report(domain, suite, "passed")) });
      await engine.start();
      try {
        const run = await engine.runNow("portfolio", portfolio);
        assert.equal(run.total, 25);
        const done = await waitForRun(store, run.id);
        assert.equal(done.status, "done");
        const counts = await resultCounts(store, run.id);
        assert.equal(counts.size, 25);
        assert.ok([...counts.values()].every((count) => count === 1));
        const stored = await store.db.selectFrom("results").select("report").where("run_id", "=", run.id).executeTakeFirstOrThrow();
        assert.ok(stored.report.length < 1500, `compacted report is ${stored.report.length} characters`);
      } finally {
        await engine.stop();
      }
    });

    test("a check that keeps failing is retried, then recorded as an error", async () => {
      const portfolio = await addPortfolio(store, ["flaky.example", "broken.example"]);
      const calls = new Map<string, number>();
      const check = (domain: string, suite: Suite): Promise<DomainReport> => {
        calls.set(domain, (calls.get(domain) ?? 0) + 1);
        if (domain === "broken.example" || calls.get(domain) === 1) return Promise.reject(new Error(`resolver exploded for ${domain}`));
        return Promise.resolve(report(domain, suite, "passed"));
      };
      // Backoff of 2 s, 4 s would slow the test: a clock running 100 s ahead per read makes every retry due at once.
      let offset = 0;
      const queue = new EmbeddedQueue(store, { concurrency: 2, pollMs: 20, maxAttempts: 3, now: () => new Date(Date.now() + (offset += 100_000)) });
      const engine = new CampaignEngine({ store, settings, queue, check });
      await engine.start();
      try {
        const run = await engine.runNow("portfolio", portfolio);
        await waitForRun(store, run.id);
        assert.equal(calls.get("flaky.example"), 2);
        assert.equal(calls.get("broken.example"), 3);
        const broken = await store.db.selectFrom("results").selectAll().where("run_id", "=", run.id).where("domain", "=", "broken.example").executeTakeFirstOrThrow();
        assert.match(broken.error ?? "", /resolver exploded/);
      } finally {
        await engine.stop();
      }
    });

    test("a server stopped mid-run resumes: each target once, nothing doubled", async () => {
      const domains = Array.from({ length: 30 }, (_, index) => `r${String(index).padStart(2, "0")}.example`);
      const portfolio = await addPortfolio(store, domains);
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const first = new CampaignEngine({
        store,
        settings,
        queue: new EmbeddedQueue(store, { concurrency: 3, pollMs: 20 }),
        // The first "server" finishes 9 domains, then hangs on the rest until it is stopped.
        check: async (domain, suite) => {
          if (Number(domain.slice(1).split(".")[0]) >= 9) await gate;
          return report(domain, suite, "passed");
        },
      });
      await first.start();
      const run = await first.runNow("portfolio", portfolio);
      const deadline = Date.now() + 5000;
      while ((await resultCounts(store, run.id)).size < 9 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      // Stop without waiting for the hung checks (a crash, for the queue); they finish later and must not double anything.
      await first.stop(0);
      const second = new CampaignEngine({ store, settings, queue: new EmbeddedQueue(store, { concurrency: 4, pollMs: 20 }), check: (domain, suite) => Promise.resolve(report(domain, suite, "passed")) });
      await second.start();
      try {
        const done = await waitForRun(store, run.id);
        release();
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(done.status, "done");
        const counts = await resultCounts(store, run.id);
        assert.equal(counts.size, 30);
        assert.ok([...counts.values()].every((count) => count === 1));
      } finally {
        release();
        await second.stop();
      }
    });

    test("a server that died after the last result but before marking the run done finishes it on start", async () => {
      const portfolio = await addPortfolio(store, ["last.example"]);
      const { run } = await createRun(store.db, { subjectKind: "portfolio", subjectId: portfolio, slot: "manual:died", targets: [{ domain: "last.example", suite: "web" }] });
      assert.ok(await recordResult(store.db, { runId: run.id, domain: "last.example", suite: "web", report: report("last.example", "web", "passed") }));
      const engine = new CampaignEngine({ store, settings, queue: new EmbeddedQueue(store, { concurrency: 1, pollMs: 20 }), check: () => Promise.reject(new Error("nothing is left to check")) });
      await engine.start();
      try {
        assert.equal((await getRun(store.db, run.id))?.status, "done");
      } finally {
        await engine.stop();
      }
    });

    test("a regression against the previous run becomes an alert", async () => {
      const portfolio = await addPortfolio(store, ["good.example", "slipping.example"]);
      let failing = false;
      const delivered: string[] = [];
      const engine = new CampaignEngine({
        store,
        settings,
        queue: new EmbeddedQueue(store, { concurrency: 2, pollMs: 20 }),
        check: (domain, suite) => Promise.resolve(report(domain, suite, failing && domain === "slipping.example" ? "failed" : "passed")),
        deliver: (alert) => {
          delivered.push(alert.kind);
          return Promise.resolve();
        },
      });
      await engine.start();
      try {
        await waitForRun(store, (await engine.runNow("portfolio", portfolio)).id);
        assert.deepEqual(await listAlerts(store.db, { subjectKind: "portfolio", subjectId: portfolio }), []);
        failing = true;
        await waitForRun(store, (await engine.runNow("portfolio", portfolio)).id);
        // The alerts are written just after the run is marked done (by the handler that finished it): wait for them.
        let alerts = await listAlerts(store.db, { subjectKind: "portfolio", subjectId: portfolio });
        for (let waited = 0; alerts.length === 0 && waited < 5000; waited += 20) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          alerts = await listAlerts(store.db, { subjectKind: "portfolio", subjectId: portfolio });
        }
        assert.equal(alerts.length, 1);
        assert.equal(alerts[0]?.kind, "regression");
        assert.deepEqual(
          (alerts.at(0)?.detail.changes ?? []).map((change) => [change.domain, change.before, change.after]),
          [["slipping.example", "passed", "failed"]],
        );
        for (let waited = 0; delivered.length === 0 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(delivered, ["regression"]);
      } finally {
        await engine.stop();
      }
    });

    test("a due schedule makes its run once, however often the scheduler ticks", async () => {
      const due = new Date(Date.now() - 60_000).toISOString();
      const portfolio = await addPortfolio(store, ["a.example", "b.example"], "daily", due);
      const enqueued: number[] = [];
      const counting: JobQueue = { enqueue: (jobs: readonly unknown[]) => Promise.resolve(void enqueued.push(jobs.length)), dropRun: () => Promise.resolve(), start: () => Promise.resolve(), stop: () => Promise.resolve() };
      // Two schedulers at once, as two servers on one database would be.
      const [one, two] = [new Scheduler({ store, queue: counting }), new Scheduler({ store, queue: counting })];
      await Promise.all([one.tick(), two.tick(), one.tick()]);
      const runs = await store.db.selectFrom("runs").selectAll().where("subject_id", "=", portfolio).execute();
      assert.equal(runs.length, 1);
      assert.equal(runs[0]?.slot, due);
      assert.deepEqual(enqueued, [2]);
      const next = await store.db.selectFrom("portfolios").select("next_run_at").where("id", "=", portfolio).executeTakeFirstOrThrow();
      assert.ok((next.next_run_at ?? "") > new Date().toISOString(), `next run ${next.next_run_at ?? "null"} is in the future`);
    });

    test("a slot that comes while the previous run is under way is skipped, not piled up", async () => {
      const portfolio = await addPortfolio(store, ["a.example"], "* * * * *", new Date(Date.now() - 120_000).toISOString());
      const quiet: JobQueue = { enqueue: () => Promise.resolve(), dropRun: () => Promise.resolve(), start: () => Promise.resolve(), stop: () => Promise.resolve() };
      const scheduler = new Scheduler({ store, queue: quiet });
      assert.equal((await scheduler.tick()).length, 1, "the first slot makes its run");
      // The next slot is due while that run has no result yet (no runner here).
      await store.db.updateTable("portfolios").set({ next_run_at: new Date(Date.now() - 1000).toISOString() }).where("id", "=", portfolio).execute();
      const errors: unknown[] = [];
      const original = console.error;
      console.error = (...args: unknown[]) => void errors.push(args.join(" "));
      try {
        assert.equal((await scheduler.tick()).length, 0, "no second run while the first is under way");
      } finally {
        console.error = original;
      }
      assert.match(String(errors[0]), /is skipped, run .* is still under way/);
      const runs = await store.db.selectFrom("runs").select("id").where("subject_id", "=", portfolio).execute();
      assert.equal(runs.length, 1);
      const next = await store.db.selectFrom("portfolios").select("next_run_at").where("id", "=", portfolio).executeTakeFirstOrThrow();
      assert.ok((next.next_run_at ?? "") > new Date().toISOString(), "the skipped slot moves the next time on");
    });
  });
}
