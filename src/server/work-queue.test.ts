// The bounded work queue (finding 2; review H3 and L4): concurrency, a cap
// per client, and who is refused when the waiting list is full: the
// newcomer (imports), or, for logins, an unprioritised job of the largest
// group, never a prioritised one.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueFullError, WorkQueue, type JobOptions } from "./work-queue.ts";

type Outcome = "ran" | "refused" | "error";

function outcomes(settled: readonly PromiseSettledResult<unknown>[]): Outcome[] {
  return settled.map((outcome) => (outcome.status === "fulfilled" ? "ran" : outcome.reason instanceof QueueFullError ? "refused" : "error"));
}

/** Starts jobs of `ms` one after the other (each enters the queue before the next), settles them all. */
async function submit(queue: WorkQueue, jobs: readonly (JobOptions & { key: string })[], ms = 20): Promise<Outcome[]> {
  const runs = jobs.map(({ key, ...options }) => queue.run(key, () => sleep(ms), options));
  return outcomes(await Promise.allSettled(runs));
}

describe("work queue", () => {
  it("runs at most `concurrency` jobs at once and, evicting, refuses the oldest waiting one when full (finding 2)", async () => {
    const queue = new WorkQueue({ concurrency: 2, maxWaiting: 3, perKey: 1, whenFull: "evict" });
    let running = 0;
    let most = 0;
    const job = async (): Promise<number> => {
      running++;
      most = Math.max(most, running);
      await sleep(20);
      running--;
      return 1;
    };
    const settled = await Promise.allSettled(Array.from({ length: 10 }, (_, n) => queue.run(`client-${n}`, job)));
    assert.equal(most, 2);
    // Two ran at once, clients 2-6 were refused to make room, the newest three waited and ran.
    assert.deepEqual(outcomes(settled), ["ran", "ran", "refused", "refused", "refused", "refused", "refused", "ran", "ran", "ran"]);
    assert.equal(queue.running + queue.waiting, 0);
  });

  it("review L4: first come, first served refuses the newcomer, so a queued import is never dropped for a later one", async () => {
    const queue = new WorkQueue({ concurrency: 1, maxWaiting: 2, perKey: 1, whenFull: "refuse-newest" });
    assert.deepEqual(await submit(queue, ["a", "b", "c", "d", "e"].map((key) => ({ key }))), ["ran", "ran", "ran", "refused", "refused"]);
    assert.equal(new WorkQueue().options.whenFull, "refuse-newest", "the default: only the login queue asks for eviction");
  });

  it("review H3: a prioritised job is never refused for unprioritised ones, however many come after it, and starts first", async () => {
    const queue = new WorkQueue({ concurrency: 1, maxWaiting: 2, perKey: 1, whenFull: "evict" });
    const order: string[] = [];
    const jobs = [{ key: "flood-0" }, { key: "flood-1" }, { key: "user", priority: true }, ...Array.from({ length: 20 }, (_, n) => ({ key: `flood-${n + 2}` }))];
    const runs = jobs.map(({ key, ...options }) => queue.run(key, async () => { order.push(key); await sleep(10); }, options));
    const settled = outcomes(await Promise.allSettled(runs));
    assert.equal(settled[2], "ran", "the prioritised job");
    assert.equal(order[1], "user", "it starts as soon as the running job ends");
    assert.equal(settled.filter((state) => state === "ran").length, 3, "the running one, the prioritised one, one unprioritised");
  });

  it("review H3: a prioritised newcomer takes an unprioritised place; prioritised jobs are refused only by each other", async () => {
    const queue = new WorkQueue({ concurrency: 1, maxWaiting: 2, perKey: 1, whenFull: "evict" });
    const states = await submit(queue, [{ key: "a" }, { key: "b" }, { key: "c" }, { key: "d", priority: true }, { key: "e", priority: true }, { key: "f", priority: true }]);
    assert.deepEqual(states, ["ran", "refused", "refused", "ran", "ran", "refused"]);
  });

  it("review H3: among unprioritised jobs, the group with the most waiting loses its oldest, not a stranger", async () => {
    const queue = new WorkQueue({ concurrency: 1, maxWaiting: 2, perKey: 1, whenFull: "evict" });
    // A stranger waits first; then a flood from one network keeps arriving.
    const flood = Array.from({ length: 8 }, (_, n) => ({ key: `198.51.100.${n}`, group: "198.51.100.0/24" }));
    const states = await submit(queue, [{ key: "run", group: "x" }, { key: "192.0.2.7", group: "192.0.2.0/24" }, ...flood]);
    assert.equal(states[1], "ran", "the stranger");
    assert.deepEqual(states.slice(2), ["refused", "refused", "refused", "refused", "refused", "refused", "refused", "ran"], "the flood refuses its own older jobs");
  });

  it("review H3: keeps reserved running places for prioritised jobs: a known device never waits for a guesser's hash", async () => {
    const queue = new WorkQueue({ concurrency: 2, maxWaiting: 4, perKey: 1, whenFull: "evict", reservedForPriority: 1 });
    const started: string[] = [];
    const job = (name: string, ms: number) => async (): Promise<void> => {
      started.push(name);
      await sleep(ms);
    };
    const plain = [queue.run("a", job("a", 60)), queue.run("b", job("b", 60))];
    assert.deepEqual(started, ["a"], "unprioritised jobs use one place of two");
    const user = queue.run("user", job("user", 10), { priority: true });
    assert.deepEqual(started, ["a", "user"], "the prioritised job starts at once");
    await Promise.all([...plain, user]);
    assert.deepEqual(started, ["a", "user", "b"]);
    assert.equal(queue.running + queue.waiting, 0);
    assert.throws(() => new WorkQueue({ concurrency: 1, reservedForPriority: 1 }), /reservedForPriority \(1\) must be below concurrency \(1\)/);
  });

  it("lets one client hold only `perKey` places", async () => {
    const queue = new WorkQueue({ concurrency: 1, maxWaiting: 10, perKey: 2 });
    const settled = await Promise.allSettled([1, 2, 3].map(() => queue.run("one", () => sleep(5))));
    assert.deepEqual(settled.map((outcome) => outcome.status), ["fulfilled", "fulfilled", "rejected"]);
    await queue.run("one", () => sleep(1));
  });
});
