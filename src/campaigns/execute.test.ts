/**
 * The job handler on both databases: a job delivered again after its
 * result was written checks nothing a second time, and finishes the run if
 * the first delivery died before it could (a worker killed between writing
 * the last result and marking the run done left the run "running" for ever).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { defaultSettings } from "../checks/context.ts";
import { fixedResolver } from "../checks/http/test-support.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../store/test-databases.ts";
import { fakeReport } from "./contracts-test-support.ts";
import { createCheckHandler } from "./execute.ts";
import { createRun, getRun, recordResult, type RunRecord } from "./runs.ts";

for (const dialect of TEST_DIALECTS) {
  describe(`check handler on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    before(async () => (store = await openTestStore(dialect, { name: "check_handler" })));
    after(() => store.close());

    test("a job delivered again after its result was written checks nothing, and finishes the run once", async () => {
      const { run } = await createRun(store.db, { subjectKind: "batch", subjectId: "redelivery", slot: "manual:redelivery", targets: [{ domain: "a.example", suite: "web" }] });
      // The first delivery wrote the result and died before marking the run done.
      assert.ok(await recordResult(store.db, { runId: run.id, domain: "a.example", suite: "web", report: fakeReport("a.example", "web", { https: "passed" }) }));
      assert.equal((await getRun(store.db, run.id))?.status, "running");
      const checked: string[] = [];
      const finished: RunRecord[] = [];
      const handle = createCheckHandler({
        store,
        settings: defaultSettings(fixedResolver({})),
        check: (domain, suite) => {
          checked.push(domain);
          return Promise.resolve(fakeReport(domain, suite, { https: "failed" }));
        },
        onRunFinished: (done) => Promise.resolve(void finished.push(done)),
      });
      await handle({ runId: run.id, domain: "a.example", suite: "web" }, { attempt: 2, maxAttempts: 3 });
      assert.deepEqual(checked, [], "the domain is not checked again");
      assert.equal((await getRun(store.db, run.id))?.status, "done", "the second delivery finishes the run");
      assert.deepEqual(finished.map((done) => done.id), [run.id]);
      await handle({ runId: run.id, domain: "a.example", suite: "web" }, { attempt: 3, maxAttempts: 3 });
      assert.equal(finished.length, 1, "a run is finished once");
    });
  });
}
