// The login throttle's scheme on SQLite and PostgreSQL, with the clock
// given: free attempts, backoff that ends, known devices passing the
// account's backoff (and nothing else passing it), counts that survive a
// restart and a flood of other keys, and parallel attempts counted one
// after the other (finding 1, review H1).
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
        assert.deepEqual(await throttle.reserve(store.db, keys(n), T0), { allowed: true }, `attempt ${n + 1}`);
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

    it("review H1: while an account backs off, only a known device passes; fresh addresses each get nothing", async () => {
      const throttle = new LoginThrottle();
      const account = "account:victim@example.org";
      for (let n = 0; n < 5; n++) await throttle.reserve(store.db, { address: `address:192.0.2.${n}`, account }, T0 + n);
      // An attacker rotating addresses: each one clean, none held back by its own count.
      const rotating = [];
      for (let n = 0; n < 20; n++) rotating.push(await throttle.reserve(store.db, { address: `address:2001:db8:${n + 1}::/64`, account }, T0 + 100 + n * 250));
      // Five seconds of rotation: the account's waits of 1 s, 2 s (then 4 s) let two guesses through, not one a second.
      assert.equal(rotating.filter((verdict) => verdict.allowed).length, 2, JSON.stringify(rotating));
      assert.ok(rotating.every((verdict) => verdict.allowed || verdict.by === "account"));
      const device = "device:a-known-browser";
      assert.deepEqual(await throttle.reserve(store.db, { address: "address:192.0.2.101", account, device }, T0 + 5200), { allowed: true }, "the real user's known device");
      assert.deepEqual(await throttle.reserve(store.db, { address: "address:192.0.2.101", account, device }, T0 + 5201), { allowed: true }, "again at once: no account wait for it");
      const newDevice = await throttle.reserve(store.db, { address: "address:192.0.2.102", account }, T0 + 5202);
      assert.equal(!newDevice.allowed && newDevice.by, "account", "a browser that never signed in waits like anyone");
      await throttle.succeeded(store.db, { address: "address:192.0.2.101", account, device }, T0 + 5300);
      const after = await throttle.reserve(store.db, { address: "address:192.0.2.103", account }, T0 + 5301);
      assert.equal(!after.allowed && after.by, "account", "the real user's login takes back one attempt; the guesser's count stays");
    });

    it("review H1: a known device still has its address's limit and a limit of its own (a stolen cookie is no key to unlimited guesses)", async () => {
      const throttle = new LoginThrottle();
      const account = "account:device-limit@example.org";
      const device = "device:stolen";
      for (let n = 0; n < 10; n++) assert.equal((await throttle.reserve(store.db, { address: `address:203.0.113.${n + 100}`, account, device }, T0)).allowed, true);
      const eleventh = await throttle.reserve(store.db, { address: "address:203.0.113.199", account, device }, T0);
      assert.equal(!eleventh.allowed && eleventh.by, "device");
      for (let n = 0; n < 10; n++) await throttle.reserve(store.db, { address: "address:203.0.113.250", account: `account:spray${n}@example.org` }, T0);
      const fromFailingAddress = await throttle.reserve(store.db, { address: "address:203.0.113.250", account, device: "device:another" }, T0);
      assert.equal(!fromFailingAddress.allowed && fromFailingAddress.by, "address");
    });

    it("keeps its counts across a restart and a flood of other keys (finding 1)", async () => {
      const account = "account:kept@example.org";
      const first = new LoginThrottle();
      for (let n = 0; n < 5; n++) await first.reserve(store.db, { address: `address:198.18.0.${n}`, account }, T0);
      // A flood of failures for 10,050 other accounts (the old in-memory limiter kept 10,000 keys),
      // the last 50 through the throttle, the rest written straight to the table in one statement (as quick as a test should be).
      const rows = Array.from({ length: 10_000 }, (_, n) => ({ key: `flood-${n}`, failures: 1, last_failure_at: new Date(T0).toISOString() }));
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
