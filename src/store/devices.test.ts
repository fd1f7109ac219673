// Known devices (review H1) on SQLite and PostgreSQL: a token is a device
// of its own account only, until it expires; each account keeps a bounded
// number; a new password forgets them all; the database holds no token.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { forgetDevices, knownDevice, rememberDevice, type LoginDevicesTable } from "./devices.ts";
import { createUser, updateUser } from "./users.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "./test-databases.ts";

const DAY = 24 * 60 * 60 * 1000;

for (const dialect of TEST_DIALECTS) {
  describe(`known devices on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let ana = "";
    let bob = "";
    const T0 = new Date("2026-12-07T10:00:00Z");
    const at = (ms: number): Date => new Date(T0.getTime() + ms);

    before(async () => {
      store = await openTestStore(dialect, { name: "devices_test" });
      ana = (await createUser(store.db, { email: "ana@example.org", name: "Ana", role: "editor", passwordHash: "scrypt$one" }, null)).id;
      bob = (await createUser(store.db, { email: "bob@example.org", name: "Bob", role: "viewer", passwordHash: "scrypt$one" }, null)).id;
    });
    after(() => store.close());

    it("review H1: a device is its own account's only, until it expires, and is renewed by each login", async () => {
      const { token, expiresAt } = await rememberDevice(store.db, ana, [], { now: T0 });
      assert.equal(expiresAt.getTime() - T0.getTime(), 180 * DAY);
      assert.equal(await knownDevice(store.db, ["x".repeat(43), token], ana, at(DAY)), token);
      assert.equal(await knownDevice(store.db, [token], bob, at(DAY)), undefined, "not another account's");
      assert.equal(await knownDevice(store.db, [token], ana, at(180 * DAY)), undefined, "expired");
      const renewed = await rememberDevice(store.db, ana, [token], { now: at(100 * DAY) });
      assert.equal(renewed.token, token, "the same browser keeps its token");
      assert.equal(await knownDevice(store.db, [token], ana, at(250 * DAY)), token, "180 days from the last login");
      const rows = await store.db.$extendTables<{ login_devices: LoginDevicesTable }>().selectFrom("login_devices").selectAll().execute();
      assert.ok(rows.every((row) => row.id !== token && /^[0-9a-f]{64}$/.test(row.id)), "only the token's hash is stored");
    });

    it("review H1: keeps at most the bound of devices per account, the least recently used go", async () => {
      await forgetDevices(store.db, ana);
      const tokens: string[] = [];
      for (let n = 0; n < 5; n++) tokens.push((await rememberDevice(store.db, ana, [], { now: at(n * 1000), maxPerUser: 3 })).token);
      const known = await Promise.all(tokens.map((token) => knownDevice(store.db, [token], ana, at(10_000))));
      assert.deepEqual(known.map((found) => found !== undefined), [false, false, true, true, true]);
    });

    it("review H1: a new password forgets the account's devices, and only this account's", async () => {
      const mine = (await rememberDevice(store.db, ana, [], { now: T0 })).token;
      const theirs = (await rememberDevice(store.db, bob, [], { now: T0 })).token;
      await updateUser(store.db, ana, { name: "Ana B." }, ana);
      assert.equal(await knownDevice(store.db, [mine], ana, at(1)), mine, "a new name is no reason");
      await updateUser(store.db, ana, { passwordHash: "scrypt$two" }, ana);
      assert.equal(await knownDevice(store.db, [mine], ana, at(1)), undefined);
      assert.equal(await knownDevice(store.db, [theirs], bob, at(1)), theirs);
    });
  });
}
