/**
 * The read-speed migration on a database that already holds data, as a
 * user's would: down to the first schema, data written there, up again;
 * afterwards the revision counter exists and the triggers raise it, on
 * SQLite and PostgreSQL (whose triggers differ).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { Migrator } from "kysely/migration";
import { matrixCounts } from "./matrix.ts";
import { migrationProvider } from "./migrations.ts";
import { createPolicy } from "./policies.ts";
import { dataRevision } from "./read-cache.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "./test-databases.ts";

const NOW = "2026-01-01T00:00:00.000Z";

for (const dialect of TEST_DIALECTS) {
  describe(`migration 0002-read-speed on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let migrator: Migrator;
    /** PostgreSQL: this store's schema (introspection lists every schema's tables). */
    let schema: string | undefined;

    before(async () => {
      store = await openTestStore(dialect, { name: "migration_test" });
      schema = dialect === "postgres" ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db)).rows[0]?.schema : undefined;
      migrator = new Migrator({ db: store.db, provider: migrationProvider, ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
    });
    after(() => store.close());

    it("goes down to the first schema and up again over existing data", async () => {
      const down = await migrator.migrateTo("0001-initial-schema");
      assert.equal(down.error, undefined, String(down.error));
      const tables = (await store.db.introspection.getTables()).filter((table) => schema === undefined || table.schema === schema).map((table) => table.name);
      assert.ok(!tables.includes("data_revision"), "down() removed the revision table");

      // Data written at the first schema, with plain SQL as an older Baseline wrote it.
      await store.db.insertInto("institutions").values({ id: "old-agency", name: "Old Agency", kind: "government", country: "NL", region: "155", global_south: false, sector: null, created_at: NOW, updated_at: NOW }).execute();
      await store.db
        .insertInto("policies")
        .values({ id: "old-policy", institution_id: "old-agency", title: "Old policy", type: "policy", status: "in-force", adopted_on: null, source_url: null, language: null, covers_internet: true, security_text: null, security_tags: "[]", cites_standards: true, other_standards: null, evidence: "[]", best_practice_tags: "[]", barrier_tags: "[]", global_south_tags: "[]", review_state: "published", reviewed_by: null, created_at: NOW, updated_at: NOW })
        .execute();
      await store.db.insertInto("policy_standards").values({ policy_id: "old-policy", standard_id: "dnssec" }).execute();

      const up = await migrator.migrateToLatest();
      assert.equal(up.error, undefined, String(up.error));
      assert.equal(await dataRevision(store.db), 0);
      const cell = (await matrixCounts(store.db, { rows: "region", columns: "standard" })).find((found) => found.row === "155" && found.column === "dnssec");
      assert.equal(cell?.count, 1, "the old data is counted");

      await createPolicy(store.db, { institutionId: "old-agency", title: "New policy", type: "policy", status: "in-force", reviewState: "published", standards: ["dnssec"] }, null);
      assert.ok((await dataRevision(store.db)) > 0, "the triggers raise the revision");
      const after = (await matrixCounts(store.db, { rows: "region", columns: "standard" })).find((found) => found.row === "155" && found.column === "dnssec");
      assert.equal(after?.count, 2);
    });
  });
}
