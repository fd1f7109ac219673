// The login throttle's scheme on SQLite and PostgreSQL, with the clock
// given: free attempts, backoff that ends, the lane for addresses that have
// not been failing, counts that survive a restart and a flood of other keys,
// and parallel attempts counted one after the other (finding 1).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LoginThrottleTable } from "../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../store/test-databases.ts";
import { backoffMs, DEFAULT_LOGIN_THROTTLE, LoginThrottle } from "./login-throttle.ts";

describe("backoff", () => {
  it("is free for the first failures, then doubles up to the maximum", () => {
    const policy = { free: 5, baseMs: 1000, maxMs: 300_000 };
    assert.deepEqual([0, 4, 5, 6, 7, 13, 14, 1000].map((failures) => backoffMs(failures, policy)), [0, 0, 1000, 2000, 4000, 256_000, 300_000, 300_000]);
  });
});

for (const dialect of TEST_DIALECTS) {
  describe(`login throttle on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    const T0 = Date.parse("2026-12-07T10:00:00Z");

    before(async () => {
      store = await openTestStore(dialect, { name: "login_throttle_test", file: true });
    });
    after(() => store.close());

    it("lets an account fail five times, then makes it wait, longer each time, and never for ever (finding 1)", async () => {
      const throttle = new LoginThrottle();
      const keys = (n: number) => ({ address: `address:198.51.100.${n}`, account: "account:wait@example.org" });
      // Each from an address of its own that has failed before, so that only the account's count decides.
      for (let n = 0; n < 5; n++) {
        await throttle.reserve(store.db, { address: keys(n).address, account: `account:other${n}@example.org` }, T0);
        assert.deepEqual(await throttle.reserve(store.db, keys(n), T0), { allowed: true, waitMs: 0 }, `attempt ${n + 1}`);
      }
      const refused = await throttle.reserve(store.db, keys(0), T0 + 10);
      assert.equal(refused.allowed, false);
      assert.deepEqual(refused, { allowed: false, by: "account", retryAfterMs: 990 });
      assert.equal((await throttle.reserve(store.db, keys(1), T0 + 1000)).allowed, true, "after the wait");
      assert.equal((await throttle.reserve(store.db, keys(1), T0 + 2500)).allowed, false, "the next wait is twice as long");
      assert.equal((await throttle.reserve(store.db, keys(1), T0 + 3000)).allowed, true);
      assert.equal((await throttle.reserve(store.db, keys(2), T0 + 3000 + DEFAULT_LOGIN_THROTTLE.forgetAfterMs)).allowed, true, "forgotten a day later");
    });

    it("refuses an address after ten failures, whatever the accounts (finding 1)", async () => {
      const throttle = new LoginThrottle();
      for (let n = 0; n < 10; n++) assert.equal((await throttle.reserve(store.db, { address: "address:203.0.113.9", account: `account:guess${n}@example.org` }, T0)).allowed, true);
      const refused = await throttle.reserve(store.db, { address: "address:203.0.113.9", account: "account:fresh@example.org" }, T0);
      assert.equal(!refused.allowed && refused.by, "address");
    });

    it("lets a correct password from an address that has not been failing in after a short wait, one per lane slot", async () => {
      const throttle = new LoginThrottle();
      const account = "account:victim@example.org";
      for (let n = 0; n < 8; n++) {
        await throttle.reserve(store.db, { address: `address:192.0.2.${n}`, account: `account:elsewhere${n}@example.org` }, T0);
        await throttle.reserve(store.db, { address: `address:192.0.2.${n}`, account }, T0 + n);
      }
      assert.equal((await throttle.reserve(store.db, { address: "address:192.0.2.1", account }, T0 + 100)).allowed, false, "a failing address waits for the account");
      const user = await throttle.reserve(store.db, { address: "address:2001:db8:1::/64", account }, T0 + 100);
      assert.deepEqual(user, { allowed: true, waitMs: 0 }, "a clean address takes the lane's free slot");
      const next = await throttle.reserve(store.db, { address: "address:2001:db8:2::/64", account }, T0 + 200);
      assert.deepEqual(next, { allowed: true, waitMs: 900 }, "the next clean address waits for the next slot");
      await throttle.reserve(store.db, { address: "address:2001:db8:3::/64", account }, T0 + 200);
      const full = await throttle.reserve(store.db, { address: "address:2001:db8:4::/64", account }, T0 + 200);
      assert.equal(full.allowed, false, "no one waits more than two seconds: refused beyond");
      await throttle.succeeded(store.db, { address: "address:2001:db8:1::/64", account }, T0 + 300);
      assert.deepEqual(await throttle.reserve(store.db, { address: "address:192.0.2.1", account }, T0 + 300), { allowed: true, waitMs: 0 }, "a success starts the account afresh");
    });

    it("keeps its counts across a restart and a flood of other keys (finding 1)", async () => {
      const account = "account:kept@example.org";
      const first = new LoginThrottle();
      for (let n = 0; n < 5; n++) await first.reserve(store.db, { address: `address:198.18.0.${n}`, account }, T0);
      // A flood of failures for 10,050 other accounts (the old in-memory limiter kept 10,000 keys),
      // the last 50 through the throttle, the rest written straight to the table in one statement (as quick as a test should be).
      const rows = Array.from({ length: 10_000 }, (_, n) => ({ key: `flood-${n}`, failures: 1, last_failure_at: new Date(T0).toISOString(), lane_at: null }));
      for (let start = 0; start < rows.length; start += 1000) await store.db.$extendTables<{ login_throttle: LoginThrottleTable }>().insertInto("login_throttle").values(rows.slice(start, start + 1000)).execute();
      const flood = new LoginThrottle({ address: { free: 1e9, baseMs: 1, maxMs: 1 } });
      await Promise.all(Array.from({ length: 50 }, (_, n) => flood.reserve(store.db, { address: "address:198.19.0.1", account: `account:flood${n}@example.org` }, T0 + 1)));
      const restarted = await store.openAnother();
      const verdict = await new LoginThrottle().reserve(restarted.db, { address: "address:198.18.0.1", account }, T0 + 2);
      assert.equal(!verdict.allowed && verdict.by, "account", "another server (or this one restarted) still makes the account wait");
    });

    it("counts parallel attempts one after the other: of 200, five reach the password (finding 1)", async () => {
      const throttle = new LoginThrottle();
      const verdicts = await Promise.all(Array.from({ length: 200 }, () => throttle.reserve(store.db, { address: "address:192.0.2.200", account: "account:parallel@example.org" }, T0)));
      assert.equal(verdicts.filter((verdict) => verdict.allowed).length, 5);
    });
  });
}
