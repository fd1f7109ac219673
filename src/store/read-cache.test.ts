/**
 * The revision-checked cache of aggregates, on SQLite and PostgreSQL (whose
 * triggers that raise the data revision differ): a cached matrix is served
 * until an audited write, and then never again, whether the write came
 * through this store, another connection to the same database (a second
 * server, `baseline restore`), or a transaction.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Store } from "./database.ts";
import { createInstitution } from "./institutions.ts";
import { matrixCounts } from "./matrix.ts";
import { createPolicy, listPolicies } from "./policies.ts";
import { cacheStats, cachedRead, dataRevision } from "./read-cache.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "./test-databases.ts";

async function dnssecInEurope(db: Store["db"]): Promise<number> {
  const cells = await matrixCounts(db, { rows: "region", columns: "standard" });
  return cells.find((cell) => cell.row === "155" && cell.column === "dnssec")?.count ?? 0;
}

for (const dialect of TEST_DIALECTS) {
  describe(`read cache on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    /** A second store on the same database: the same SQLite file, the same PostgreSQL schema. */
    let other: Store;
    let institutionId: string;

    before(async () => {
      store = await openTestStore(dialect, { name: "read_cache_test", file: true });
      other = await store.openAnother();
      institutionId = (await createInstitution(store.db, { name: "Agency", kind: "government", country: "NL", region: "155" }, null)).id;
    });

    after(() => store.close());

    function publishedPolicy(title: string) {
      return { institutionId, title, type: "policy" as const, status: "in-force" as const, reviewState: "published" as const, standards: ["dnssec"] };
    }

    describe("cachedRead", () => {
      it("computes once while nothing is written", async () => {
        let computed = 0;
        const compute = () => Promise.resolve(++computed);
        assert.equal(await cachedRead(store.db, "aggregate", "test:once", compute), 1);
        assert.equal(await cachedRead(store.db, "aggregate", "test:once", compute), 1);
        assert.equal(computed, 1);
      });

      it("computes again after a write raised the revision", async () => {
        let computed = 0;
        const compute = () => Promise.resolve(++computed);
        await cachedRead(store.db, "aggregate", "test:write", compute);
        const before = await dataRevision(store.db);
        await createPolicy(store.db, publishedPolicy("Raises the revision"), null);
        assert.ok((await dataRevision(store.db)) > before);
        assert.equal(await cachedRead(store.db, "aggregate", "test:write", compute), 2);
      });

      it("keeps the stores apart and the keys apart", async () => {
        assert.equal(await cachedRead(store.db, "aggregate", "test:apart", () => Promise.resolve("this store")), "this store");
        assert.equal(await cachedRead(other.db, "aggregate", "test:apart", () => Promise.resolve("other store")), "other store");
        assert.equal(await cachedRead(store.db, "aggregate", "test:apart-2", () => Promise.resolve("other key")), "other key");
      });

      it("hands out a frozen value, so that no caller can change another's page", async () => {
        const value = await cachedRead(store.db, "aggregate", "test:frozen", () => Promise.resolve({ cells: [{ count: 1 }] }));
        assert.throws(() => {
          (value.cells as { count: number }[]).push({ count: 2 });
        }, TypeError);
        assert.throws(() => {
          (value.cells[0] as { count: number }).count = 5;
        }, TypeError);
      });

      it("does not cache inside a transaction, which may see its own uncommitted writes", async () => {
        let computed = 0;
        await store.db.transaction().execute(async (trx) => {
          await cachedRead(trx, "aggregate", "test:transaction", () => Promise.resolve(++computed));
          await cachedRead(trx, "aggregate", "test:transaction", () => Promise.resolve(++computed));
        });
        assert.equal(computed, 2);
      });
    });

    describe("bounds", () => {
      it("keeps no free-text search, which anyone can vary with every request", async () => {
        const before = cacheStats(store.db).list.entries;
        for (let index = 0; index < 20; index++) await listPolicies(store.db, { search: `nothing like this ${index}` });
        assert.equal(cacheStats(store.db).list.entries, before);
        await listPolicies(store.db, { standard: "dnssec" });
        assert.equal(cacheStats(store.db).list.entries, before + 1, "a filter is kept");
      });

      it("counts an entry's key and overhead, not only its value", async () => {
        const before = cacheStats(store.db).list.bytes;
        await cachedRead(store.db, "list", `test:${"k".repeat(4000)}`, () => Promise.resolve(1));
        assert.ok(cacheStats(store.db).list.bytes - before > 4000);
      });
    });

    describe("the revision and concurrent writers", () => {
      it("raises the revision once for a transaction of many writes, at its commit", async () => {
        const before = await dataRevision(store.db);
        await store.db.transaction().execute(async (trx) => {
          for (let index = 0; index < 5; index++) await createPolicy(trx, publishedPolicy(`Batch ${index}`), null);
          // Not yet raised for another connection: nothing is committed.
          assert.equal(await dataRevision(other.db), before);
        });
        const after = await dataRevision(store.db);
        // PostgreSQL raises once per transaction; SQLite once per row written.
        assert.ok(after > before);
        if (dialect === "postgres") assert.equal(after, before + 1);
      });

      it("lets a writer commit while another transaction with unrelated writes is still open", { skip: dialect === "sqlite" ? "SQLite has one writer at a time by design" : false }, async () => {
        const first = await createPolicy(store.db, publishedPolicy("Long import's row"), null);
        const second = await createPolicy(store.db, publishedPolicy("Editor's row"), null);
        await store.db.transaction().execute(async (trx) => {
          await trx.updateTable("policies").set({ title: "Long import, first write" }).where("id", "=", first.id).execute();
          // The editor saves on another connection while the import is open:
          // with the revision raised at each statement it would wait for the
          // import's end (here: forever), and deadlock in the step below.
          const editor = other.db.updateTable("policies").set({ title: "Editor's save" }).where("id", "=", second.id).execute();
          const waited = await Promise.race([editor.then(() => "committed"), new Promise((resolve) => setTimeout(() => resolve("waiting"), 3000))]);
          assert.equal(waited, "committed");
          await trx.updateTable("policies").set({ title: "Long import, second write" }).where("id", "=", second.id).execute();
        });
        const titles = await store.db.selectFrom("policies").select("title").where("id", "in", [first.id, second.id]).orderBy("title").execute();
        assert.deepEqual(titles.map((row) => row.title), ["Long import, first write", "Long import, second write"]);
      });
    });

    describe("cached matrices", () => {
      it("count a policy written with plain SQL, past every repository", async () => {
        const before = await dnssecInEurope(store.db);
        await dnssecInEurope(store.db);
        const id = "plain-sql-policy";
        await store.db
          .insertInto("policies")
          .values({ id, institution_id: institutionId, title: "Plain SQL", type: "policy", status: "in-force", adopted_on: null, source_url: null, language: null, covers_internet: true, security_text: null, security_tags: "[]", cites_standards: true, other_standards: null, evidence: "[]", best_practice_tags: "[]", barrier_tags: "[]", global_south_tags: "[]", review_state: "published", reviewed_by: null, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" })
          .execute();
        await store.db.insertInto("policy_standards").values({ policy_id: id, standard_id: "dnssec" }).execute();
        assert.equal(await dnssecInEurope(store.db), before + 1);
        await store.db.deleteFrom("policy_standards").where("policy_id", "=", id).execute();
        assert.equal(await dnssecInEurope(store.db), before);
      });

      it("count a policy written through the same store at once", async () => {
        const before = await dnssecInEurope(store.db);
        await createPolicy(store.db, publishedPolicy("Same store"), null);
        assert.equal(await dnssecInEurope(store.db), before + 1);
      });

      it("count a policy written by another connection to the same database (a second server)", async () => {
        const before = await dnssecInEurope(store.db);
        assert.equal(await dnssecInEurope(store.db), before, "served from the cache");
        await createPolicy(other.db, publishedPolicy("Other connection"), null);
        assert.equal(await dnssecInEurope(store.db), before + 1);
      });
    });
  });
}
