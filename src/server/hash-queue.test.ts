// The bounded hashing queue (finding 2): concurrency, a bounded waiting
// list that makes room for the newest, and a cap per client.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueFullError, WorkQueue } from "./hash-queue.ts";

describe("hashing queue", () => {
  it("runs at most `concurrency` jobs at once and refuses the oldest waiting one when full (finding 2)", async () => {
    const queue = new WorkQueue({ concurrency: 2, maxWaiting: 3, perKey: 1 });
    let running = 0;
    let most = 0;
    const job = async (): Promise<number> => {
      running++;
      most = Math.max(most, running);
      await sleep(20);
      running--;
      return 1;
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, n) => queue.run(`client-${n}`, job)));
    assert.equal(most, 2);
    const states = outcomes.map((outcome) => (outcome.status === "fulfilled" ? "ran" : outcome.reason instanceof QueueFullError ? "refused" : "error"));
    // Two ran at once, clients 2-6 were refused to make room, the newest three waited and ran.
    assert.deepEqual(states, ["ran", "ran", "refused", "refused", "refused", "refused", "refused", "ran", "ran", "ran"]);
    assert.equal(queue.running + queue.waiting, 0);
  });

  it("lets one client hold only `perKey` places", async () => {
    const queue = new WorkQueue({ concurrency: 1, maxWaiting: 10, perKey: 2 });
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => queue.run("one", () => sleep(5))));
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ["fulfilled", "fulfilled", "rejected"]);
    await queue.run("one", () => sleep(1));
  });
});
