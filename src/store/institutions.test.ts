// The institution look-ups that pages rely on beyond a list page: a whole
// name ignoring case (compare), every id and name (the policy form's menu),
// and pages asked for with offsets no database takes (pageOf). On SQLite and
// PostgreSQL.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { listAudit } from "./audit.ts";
import { createInstitution, findInstitutionsByName, listInstitutionNames, listInstitutions } from "./institutions.ts";
import { listPolicies } from "./policies.ts";
import { REVIEW_STATES } from "./schema.ts";
import { MAX_PAGE_SIZE, pageOf } from "./support.ts";
import { insertBulkInstitutions, openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "./test-databases.ts";

describe("pageOf", () => {
  it("sends only safe integers to SQL", () => {
    for (const offset of [1e20, 1e300, 2 ** 53, Number.MAX_VALUE]) {
      const page = pageOf(undefined, offset);
      assert.ok(Number.isSafeInteger(page.offset), `offset ${offset} became ${page.offset}`);
      assert.equal(page.offset, Number.MAX_SAFE_INTEGER, "past every row, as asked");
    }
    for (const offset of [-5, 2.5, Number.NaN, Number.POSITIVE_INFINITY, undefined]) assert.equal(pageOf(undefined, offset).offset, 0, String(offset));
    assert.deepEqual(pageOf(1e20, 10), { limit: MAX_PAGE_SIZE, offset: 10 });
    assert.deepEqual(pageOf(Number.POSITIVE_INFINITY, 0), { limit: 50, offset: 0 });
  });
});

for (const dialect of TEST_DIALECTS) {
  describe(`institution look-ups on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;

    before(async () => {
      store = await openTestStore(dialect, { name: "institution_lookups_test" });
    });
    after(() => store.close());

    it("finds a whole name ignoring case, and no name it is only part of", async () => {
      const agency = await createInstitution(store.db, { name: "Data Agency", kind: "regulator", country: "KE", region: "014" }, null);
      await createInstitution(store.db, { name: "Big Data Agency", kind: "regulator", country: "KE", region: "014" }, null);
      assert.deepEqual((await findInstitutionsByName(store.db, "DATA agency")).map((found) => found.id), [agency.id]);
      assert.deepEqual((await findInstitutionsByName(store.db, "  data agency ")).map((found) => found.id), [agency.id], "trimmed, as typed");
      assert.deepEqual(await findInstitutionsByName(store.db, "Data"), []);
      assert.deepEqual(await findInstitutionsByName(store.db, "Data Agenc_"), [], "_ and % are no wildcards");
      const twin = await createInstitution(store.db, { name: "data AGENCY", kind: "government", country: "UG", region: "014" }, null);
      assert.deepEqual((await findInstitutionsByName(store.db, "Data Agency")).map((found) => found.id).sort(), [agency.id, twin.id].sort());
      assert.equal((await findInstitutionsByName(store.db, "Data Agency", { limit: 1 })).length, 1);
    });

    it("lists every institution's id and name by name, past a list page's cap, and takes any offset", async () => {
      // Straight into the table: 600 validated, audited creates would only slow the test.
      const rows = await insertBulkInstitutions(store.db, MAX_PAGE_SIZE + 100, { namePrefix: "Bulk Institution" });
      const names = await listInstitutionNames(store.db);
      const { total } = await listInstitutions(store.db, { limit: 1 });
      assert.equal(names.length, total);
      assert.ok(names.length > MAX_PAGE_SIZE);
      assert.deepEqual(Object.keys(names[0] ?? {}).sort(), ["id", "name"]);
      const bulk = names.filter((entry) => entry.name.startsWith("Bulk Institution"));
      assert.deepEqual(bulk.map((entry) => entry.name), rows.map((row) => row.name));
      assert.deepEqual(names.map((entry) => entry.name.toLowerCase()), names.map((entry) => entry.name.toLowerCase()).sort(), "by name, ignoring case");

      for (const offset of [1e20, 1e300, Number.MAX_SAFE_INTEGER]) {
        assert.deepEqual((await listInstitutions(store.db, { offset })).items, [], `institutions at ${offset}`);
        assert.deepEqual((await listPolicies(store.db, { offset, reviewStates: REVIEW_STATES })).items, [], `policies at ${offset}`);
        assert.deepEqual((await listAudit(store.db, { offset })).items, [], `audit at ${offset}`);
      }
    });
  });
}
