/**
 * The per-address connection limit: in one process, and across "processes"
 * (limiters with sessions of their own) on the test PostgreSQL server: never
 * more than the limit at once however many ask, a waiter aborted by its
 * signal, and the slots of a process whose session died free at once.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, describe, test } from "node:test";
import pg from "pg";
import { skipReason } from "../store/test-databases.ts";
import { LocalAddressLimiter, PostgresAddressLimiter, type AddressLimiter } from "./address-limit.ts";

const TEST_POSTGRES_URL = process.env.BASELINE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `perLimiter` tasks of `ms` on `address` through each limiter at once; the peak of tasks running together. */
async function peakOf(limiters: AddressLimiter[], address: string, perLimiter: number, ms: number): Promise<{ peak: number; done: number }> {
  let running = 0;
  let peak = 0;
  let done = 0;
  await Promise.all(
    limiters.flatMap((limiter) =>
      Array.from({ length: perLimiter }, () =>
        limiter.run(address, async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(ms);
          running--;
          done++;
        }),
      ),
    ),
  );
  return { peak, done };
}

describe("LocalAddressLimiter", () => {
  test("at most the limit per address at once; other addresses do not wait", async () => {
    const limiter = new LocalAddressLimiter(2);
    const { peak, done } = await peakOf([limiter], "192.0.2.1", 10, 10);
    assert.equal(done, 10);
    assert.equal(peak, 2);
    const blocker = limiter.run("192.0.2.1", () => sleep(200));
    const blocker2 = limiter.run("192.0.2.1", () => sleep(200));
    const started = Date.now();
    await limiter.run("192.0.2.2", () => Promise.resolve());
    assert.ok(Date.now() - started < 100, "another address is not held up");
    await Promise.all([blocker, blocker2]);
    assert.equal(limiter.active("192.0.2.1"), 0);
  });

  test("a waiter whose signal aborts gives up with the signal's reason", async () => {
    const limiter = new LocalAddressLimiter(1);
    const busy = limiter.run("192.0.2.3", () => sleep(300));
    await assert.rejects(limiter.run("192.0.2.3", () => Promise.resolve(), AbortSignal.timeout(50)), /timeout|aborted/i);
    await busy;
  });
});

describe("PostgresAddressLimiter", { skip: await skipReason("postgres") }, () => {
  const made: PostgresAddressLimiter[] = [];
  const limiter = (limit: number): PostgresAddressLimiter => {
    const one = new PostgresAddressLimiter({ connectionString: TEST_POSTGRES_URL, limit, lingerMs: 50, retryMs: 10, onError: () => undefined });
    made.push(one);
    return one;
  };
  // Addresses of this test run: other test files may use the same database at once.
  const address = (n: number): string => `198.51.100.${n}#${process.pid}`;
  after(async () => {
    for (const one of made) await one.close();
  });

  test("three processes with a limit of 3 never run more than 3 connections to one address together", async () => {
    const fleet = [limiter(3), limiter(3), limiter(3)];
    const { peak, done } = await peakOf(fleet, address(1), 12, 15);
    assert.equal(done, 36);
    assert.equal(peak, 3);
    const queries = fleet.reduce((sum, one) => sum + one.lockQueries, 0);
    assert.ok(queries < 36 * 2, `one asker per process, slots handed on within it: ${queries} lock queries for 36 connections`);
  });

  test("a process whose session died frees its slots at once", async () => {
    const [first, second] = [limiter(2), limiter(2)];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holders = [first.run(address(2), () => held), first.run(address(2), () => held)];
    await sleep(100);
    let ran = false;
    const waiting = second.run(address(2), () => {
      ran = true;
      return Promise.resolve();
    });
    await sleep(150);
    assert.equal(ran, false, "both slots are held by the first process");
    // The first process "dies": its backend ends, and PostgreSQL drops its advisory locks.
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    // The first key of its locks is the address's hash (address-limit.ts), as an unsigned oid in pg_locks.
    const key = createHash("sha256").update(`baseline-address:${address(2)}`).digest().readUInt32BE(0);
    const { rows } = await client.query<{ pid: number }>("select distinct pid from pg_locks where locktype = 'advisory' and objsubid = 2 and granted and classid = $1::oid", [key]);
    assert.equal(rows.length, 1, "one session holds the address's slots");
    await client.query("select pg_terminate_backend($1)", [rows[0]?.pid]);
    await client.end();
    const started = Date.now();
    await waiting;
    assert.ok(ran);
    assert.ok(Date.now() - started < 2000);
    release();
    await Promise.all(holders);
  });
});
