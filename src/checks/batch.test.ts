import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { inOrder, type BatchProgress } from "./batch.ts";

describe("inOrder", () => {
  it("yields results in input order whatever order they finish in, never running more than the bound", async () => {
    const delays = [60, 5, 30, 1, 45, 2, 20, 10, 3, 50];
    let running = 0;
    let most = 0;
    const finished: number[] = [];
    const results: number[] = [];
    for await (const value of inOrder(delays, async (delay, index) => {
      running++;
      most = Math.max(most, running);
      await sleep(delay);
      running--;
      finished.push(index);
      return index;
    }, { concurrency: 3 })) results.push(value);
    assert.deepEqual(results, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.notDeepEqual(finished, results, "they did finish out of order");
    assert.equal(most, 3);
  });

  it("hands out each result as soon as it and those before it are done", async () => {
    const started = Date.now();
    const times: number[] = [];
    for await (const value of inOrder([10, 200, 10], async (delay) => { await sleep(delay); return delay; }, { concurrency: 3 })) times.push(Date.now() - started + value * 0);
    assert.ok((times[0] ?? Infinity) < 150, `the first came after ${times[0]} ms, not after the slow second`);
    assert.ok((times[1] ?? 0) >= 190);
  });

  it("buffers at most `window` results behind a slow one", async () => {
    let started = 0;
    const generator = inOrder(Array.from({ length: 50 }, (_, index) => index), async (index) => {
      started++;
      await sleep(index === 0 ? 150 : 1);
      return index;
    }, { concurrency: 4, window: 8 });
    const first = await generator.next();
    assert.equal(first.value, 0);
    // While item 0 was slow, items 1..7 finished and waited; item 8 could not start.
    assert.ok(started <= 9, `${started} items were started while the first was pending`);
    const rest: number[] = [];
    for await (const value of generator) rest.push(value);
    assert.equal(rest.length, 49);
  });

  it("throws an item's error at its turn, after the earlier results", async () => {
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const value of inOrder([1, 2, 3], async (item) => {
        await sleep(item === 2 ? 1 : 20);
        if (item === 2) throw new Error("item 2 broke");
        return item;
      }, { concurrency: 3 })) seen.push(value);
    }, /item 2 broke/);
    assert.deepEqual(seen, [1]);
  });

  it("reports progress ending with everything done and nothing running", async () => {
    const states: BatchProgress[] = [];
    let count = 0;
    for await (const value of inOrder([1, 2, 3, 4], async (item) => { await sleep(item); return item; }, { concurrency: 2, onProgress: (state) => states.push(state) })) count += value;
    assert.equal(count, 10);
    assert.deepEqual(states.at(-1), { done: 4, running: 0, total: 4 });
    assert.ok(states.every((state) => state.running <= 2));
  });

  it("handles an empty list", async () => {
    for await (const value of inOrder([], () => Promise.resolve(1), { concurrency: 2 })) assert.fail(`nothing to yield, got ${value}`);
  });
});
