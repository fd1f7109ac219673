// The dashboard's queries on SQLite and PostgreSQL, over two runs whose
// verdicts are known: adoption per standard (a failure un-adopts, an error
// is not measured), the matrix page with categories from the stored
// reports and a search, the regressions between the runs, run history and
// a domain's history.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../store/test-databases.ts";
import { adoptionHistory, adoptionKey, domainHistory, domainMatrix, latestRuns, matrixCategories, regressionsSinceLastRun, runHistory } from "./dashboard.ts";
import { stubReport } from "./portfolio-test-support.ts";
import { addPortfolioDomains, createPortfolio } from "./portfolios.ts";
import { createRun, finishRunIfComplete, recordResult } from "./runs.ts";

for (const dialect of TEST_DIALECTS) {
  describe(`portfolio dashboard on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let portfolioId: string;
    let firstRunId: string;
    let secondRunId: string;

    before(async () => {
      store = await openTestStore(dialect, { name: "dashboard_test" });
      const portfolio = await createPortfolio(store.db, { name: "Ministries", suites: "web" }, null);
      portfolioId = portfolio.id;
      await addPortfolioDomains(store.db, portfolioId, [{ domain: "a.example", organisation: "Ministry A" }, { domain: "b.example", organisation: "Ministry B" }, { domain: "c.example", organisation: "Agency C" }], null);
      const targets = ["a.example", "b.example", "c.example"].map((domain) => ({ domain, suite: "web" as const }));
      // Run 1: a all passed; b fails HSTS; c's DNSSEC could not be tested.
      const first = await createRun(store.db, { subjectKind: "portfolio", subjectId: portfolioId, slot: "2026-12-01T02:00:00.000Z", targets, now: new Date("2026-12-01T02:00:00Z") });
      firstRunId = first.run.id;
      await recordResult(store.db, { runId: firstRunId, domain: "a.example", suite: "web", report: stubReport("a.example", "web") });
      await recordResult(store.db, { runId: firstRunId, domain: "b.example", suite: "web", report: stubReport("b.example", "web", { "web.hsts": "failed" }) });
      await recordResult(store.db, { runId: firstRunId, domain: "c.example", suite: "web", report: stubReport("c.example", "web", { "web.dnssec.valid": "error" }) });
      assert.ok(await finishRunIfComplete(store.db, firstRunId));
      // Run 2: a now fails HSTS and TLS versions (regressions); b fixed HSTS (a recovery); c could not be checked at all.
      const second = await createRun(store.db, { subjectKind: "portfolio", subjectId: portfolioId, slot: "2026-12-08T02:00:00.000Z", targets, now: new Date("2026-12-08T02:00:00Z") });
      secondRunId = second.run.id;
      await recordResult(store.db, { runId: secondRunId, domain: "a.example", suite: "web", report: stubReport("a.example", "web", { "web.hsts": "failed", "web.tls.versions": "failed" }) });
      await recordResult(store.db, { runId: secondRunId, domain: "b.example", suite: "web", report: stubReport("b.example", "web") });
      await recordResult(store.db, { runId: secondRunId, domain: "c.example", suite: "web", error: "no address for c.example" });
      assert.ok(await finishRunIfComplete(store.db, secondRunId));
    });
    after(() => store.close());

    it("counts adoption per standard per run, oldest run first", async () => {
      const history = await adoptionHistory(store.db, portfolioId);
      assert.deepEqual(history.map((entry) => entry.run.id), [firstRunId, secondRunId]);
      const of = (index: number, key: string) => history[index]?.standards.find((entry) => adoptionKey(entry) === key);
      assert.deepEqual(of(0, "web:hsts"), { suite: "web", standard: "hsts", adopted: 2, notAdopted: 1, notMeasured: 0, share: 66.7 });
      assert.deepEqual(of(0, "web:dnssec"), { suite: "web", standard: "dnssec", adopted: 2, notAdopted: 0, notMeasured: 1, share: 100 }, "an error is not measured, not a failure");
      assert.deepEqual(of(1, "web:hsts"), { suite: "web", standard: "hsts", adopted: 1, notAdopted: 1, notMeasured: 0, share: 50 }, "c has no tests in run 2");
      assert.equal(of(1, "web:tls")?.share, 50);
      assert.equal(of(0, "web:caa"), undefined, "only required tests count: CAA is recommended");
      assert.equal(history[0]?.meanScore, Math.round(((stubReport("a.example", "web").score ?? 0) + (stubReport("b.example", "web", { "web.hsts": "failed" }).score ?? 0) + (stubReport("c.example", "web", { "web.dnssec.valid": "error" }).score ?? 0)) / 3));
      assert.deepEqual(await adoptionHistory(store.db, "no-such-portfolio"), []);
      assert.equal((await adoptionHistory(store.db, portfolioId, { limit: 1 }))[0]?.run.id, secondRunId, "the newest runs");
    });

    it("gives the latest run's domains × categories from the stored reports, a page at a time, searchable", async () => {
      const { latest, previous, current } = await latestRuns(store.db, portfolioId);
      assert.equal(latest?.id, secondRunId);
      assert.equal(previous?.id, firstRunId);
      assert.equal(current, undefined);
      assert.deepEqual(matrixCategories("web"), ["web.ipv6", "web.dnssec", "web.https", "web.appsecpriv", "web.rpki"]);
      assert.equal(matrixCategories("all").length, 10);
      const page = await domainMatrix(store.db, portfolioId, secondRunId, { limit: 2 });
      assert.equal(page.total, 3);
      assert.deepEqual(page.rows.map((row) => row.domain), ["a.example", "b.example"]);
      const [a, b] = page.rows;
      assert.ok(a && b);
      assert.equal(a.organisation, "Ministry A");
      assert.equal(a.categories["web.https"]?.status, "failed");
      assert.equal(a.categories["web.ipv6"]?.status, "passed");
      assert.equal(b.categories["web.https"]?.status, "passed");
      const next = await domainMatrix(store.db, portfolioId, secondRunId, { limit: 2, offset: 2 });
      const c = next.rows[0];
      assert.ok(c);
      assert.deepEqual(c.suites, [{ suite: "web", score: null, error: "no address for c.example" }]);
      assert.equal(c.categories["web.dnssec"]?.status, "error");
      const found = await domainMatrix(store.db, portfolioId, secondRunId, { search: "agency" });
      assert.deepEqual(found.rows.map((row) => row.domain), ["c.example"], "by organisation too");
      assert.equal(found.total, 1);
    });

    it("lists the regressions and recoveries since the previous run", async () => {
      const changes = await regressionsSinceLastRun(store.db, portfolioId);
      assert.ok(changes);
      assert.deepEqual(changes.regressions.map((change) => [change.domain, change.testId, change.before, change.after]), [
        ["a.example", "web.hsts", "passed", "failed"],
        ["a.example", "web.tls.versions", "passed", "failed"],
      ]);
      assert.deepEqual(changes.recoveries.map((change) => [change.domain, change.testId]), [["b.example", "web.hsts"]]);
    });

    it("gives the run history with progress, errors and mean score, and a domain's history", async () => {
      const history = await runHistory(store.db, portfolioId);
      assert.deepEqual(history.map((entry) => [entry.run.id, entry.done, entry.errors]), [
        [secondRunId, 3, 1],
        [firstRunId, 3, 0],
      ]);
      assert.equal(typeof history[0]?.meanScore, "number");
      const domain = await domainHistory(store.db, portfolioId, "c.example");
      assert.deepEqual(domain.map((entry) => [entry.run.id, entry.error]), [
        [secondRunId, "no address for c.example"],
        [firstRunId, null],
      ]);
    });
  });
}
