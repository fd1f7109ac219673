// The batch requests' repository on both databases: ids of internet.nl's
// shape, reads per account only, newest first, and a lifecycle that only
// moves forwards (a second mover, or a move backwards, changes nothing).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRun } from "../campaigns/runs.ts";
import { createApiAccount } from "./api-accounts.ts";
import { attachBatchRun, BATCH_REQUEST_ID, batchRequestsIn, createBatchRequest, findBatchRequest, getBatchRequest, listBatchRequests, moveBatchRequest } from "./batch-requests.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "./test-databases.ts";

for (const dialect of TEST_DIALECTS) {
  describe(`batch requests on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let mine: string;
    let theirs: string;

    before(async () => {
      store = await openTestStore(dialect, { name: "batch_requests" });
      mine = (await createApiAccount(store.db, { email: "a@example.org", name: "A", passwordHash: "x" }, null)).id;
      theirs = (await createApiAccount(store.db, { email: "b@example.org", name: "B", passwordHash: "x" }, null)).id;
    });
    after(() => store.close());

    it("makes requests with 32 lower-case hex ids, readable by their account only, listed newest first", async () => {
      const first = await createBatchRequest(store.db, { accountId: mine, name: "first", type: "web", now: new Date("2026-12-01T00:00:00Z") });
      const second = await createBatchRequest(store.db, { accountId: mine, name: "second", type: "mail", now: new Date("2026-12-02T00:00:00Z") });
      await createBatchRequest(store.db, { accountId: theirs, name: "theirs", type: "web" });
      assert.match(first.id, BATCH_REQUEST_ID);
      assert.notEqual(first.id, second.id);
      assert.equal(first.status, "registering");
      assert.deepEqual((await listBatchRequests(store.db, mine)).map((request) => request.name), ["second", "first"]);
      assert.deepEqual((await listBatchRequests(store.db, mine, 1)).map((request) => request.name), ["second"]);
      assert.equal((await getBatchRequest(store.db, mine, first.id))?.name, "first");
      assert.equal(await getBatchRequest(store.db, theirs, first.id), undefined, "another account's request is absent");
      assert.equal(await getBatchRequest(store.db, mine, "not-an-id"), undefined);
      assert.equal((await findBatchRequest(store.db, first.id))?.accountId, mine);
    });

    it("moves a request forwards only, once, and stamps the final states", async () => {
      const request = await createBatchRequest(store.db, { accountId: mine, name: "cycle", type: "web" });
      const { run } = await createRun(store.db, { subjectKind: "batch", subjectId: request.id, slot: "manual:1", targets: [{ domain: "a.example", suite: "web" }] });
      assert.equal(await moveBatchRequest(store.db, request.id, "generating"), false, "not from registering");
      assert.equal(await attachBatchRun(store.db, request.id, run.id), true);
      assert.equal(await attachBatchRun(store.db, request.id, run.id), false, "attached once");
      assert.deepEqual((await batchRequestsIn(store.db, "running")).map((item) => item.id), [request.id]);
      assert.equal(await moveBatchRequest(store.db, request.id, "done"), false, "not before generating");
      assert.equal(await moveBatchRequest(store.db, request.id, "generating"), true);
      assert.equal(await moveBatchRequest(store.db, request.id, "generating"), false, "a second poll does not move it again");
      assert.equal(await moveBatchRequest(store.db, request.id, "cancelled"), false, "too late to cancel");
      const finished = new Date("2026-12-07T12:00:00.000Z");
      assert.equal(await moveBatchRequest(store.db, request.id, "done", finished), true);
      const done = await getBatchRequest(store.db, mine, request.id);
      assert.equal(done?.status, "done");
      assert.equal(done.runId, run.id);
      assert.equal(done.finishedAt, finished.toISOString());
      for (const status of ["running", "generating", "error", "cancelled", "registering"] as const) assert.equal(await moveBatchRequest(store.db, request.id, status), false, `done stays done (${status})`);
    });

    it("cancels a registering or running request, and errs one from any state that has not ended", async () => {
      const cancelled = await createBatchRequest(store.db, { accountId: mine, name: "c", type: "web" });
      assert.equal(await moveBatchRequest(store.db, cancelled.id, "cancelled"), true);
      assert.notEqual((await getBatchRequest(store.db, mine, cancelled.id))?.finishedAt, null);
      assert.equal(await moveBatchRequest(store.db, cancelled.id, "error"), false);
      const failed = await createBatchRequest(store.db, { accountId: mine, name: "e", type: "web" });
      assert.equal(await moveBatchRequest(store.db, failed.id, "error"), true);
      assert.equal(await moveBatchRequest(store.db, failed.id, "running"), false);
    });
  });
}
