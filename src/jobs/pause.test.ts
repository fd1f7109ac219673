/** The worker loops' pause: it ends after its time, or at once when woken. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Pause } from "./pause.ts";

test("a pause ends after its time, or at once when woken", async () => {
  const pause = new Pause();
  let started = performance.now();
  await pause.sleep(40);
  assert.ok(performance.now() - started >= 35, "slept its time");

  started = performance.now();
  const sleeping = pause.sleep(10_000);
  setTimeout(() => pause.wake(), 10);
  await sleeping;
  assert.ok(performance.now() - started < 1000, "woken early");

  pause.wake(); // nobody asleep: nothing happens, and the next sleep is not cut short
  started = performance.now();
  await pause.sleep(40);
  assert.ok(performance.now() - started >= 35);
});
