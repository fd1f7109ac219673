/**
 * What an import may change and how it is recorded (issue 15, findings 7
 * and 8), for JSON and CSV files, on SQLite and PostgreSQL (skipped when no
 * server answers): one audit entry per created or changed record with the
 * fields before and after, nothing for an unchanged row; times and reviewer
 * set by the server whatever the file says; control characters refused
 * with row and field named; and exports, even of values saved before the
 * fields refused them, that their own import takes back.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { listAudit } from "./audit.ts";
import { exportCsv, importCsv } from "./csv.ts";
import { exportObservatory, importObservatory } from "./exchange.ts";
import { createInstitution, getInstitution } from "./institutions.ts";
import { createPolicy, getPolicy } from "./policies.ts";
import type { KnownIds } from "./records.ts";
import { REVIEW_STATES } from "./schema.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "./test-databases.ts";
import { createUser } from "./users.ts";

const KNOWN: KnownIds = { standards: new Set(["dnssec", "https"]), categories: new Set(["web-hosting"]) };
const LONG_AGO = "2001-01-01T00:00:00.000Z";

for (const dialect of TEST_DIALECTS) {
  describe(`import audit, trust and control characters on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let importer: string;
    let someoneElse: string;

    before(async () => {
      store = await openTestStore(dialect, { name: "exchange_test" });
      importer = (await createUser(store.db, { email: "importer@example.org", name: "Importer", role: "editor", passwordHash: "-" }, null)).id;
      someoneElse = (await createUser(store.db, { email: "other@example.org", name: "Other", role: "admin", passwordHash: "-" }, null)).id;
    });

    after(() => store.close());

    beforeEach(async () => {
      for (const table of ["policy_standards", "policy_categories", "policies", "institutions", "audit_log"] as const) await store.db.deleteFrom(table).execute();
    });

    /** The audit entries of records (not the import's summary), oldest first. */
    async function recordEntries(): Promise<{ action: string; entity: string; entityId: string | null; userId: string | null; detail: unknown }[]> {
      const { items } = await listAudit(store.db, { limit: 500 });
      // Entries written within one millisecond have no defined order in the log (time, then a random id):
      // updates are listed before creations, each kind by record id, so that the assertions do not depend on it.
      return items
        .filter((entry) => entry.entity !== "observatory")
        .sort((a, b) => b.action.localeCompare(a.action) || (a.entityId ?? "").localeCompare(b.entityId ?? ""))
        .map(({ action, entity, entityId, userId, detail }) => ({ action, entity, entityId, userId, detail }));
    }

    it("finding 7: a JSON import audits each created and changed record with before and after, and nothing for an unchanged one", async () => {
      const agency = await createInstitution(store.db, { name: "Agency", kind: "government", country: "NL", region: "155" }, null);
      const kept = await createPolicy(store.db, { institutionId: agency.id, title: "Kept as it is", type: "policy", status: "in-force", reviewState: "draft" }, null);
      const edited = await createPolicy(store.db, { institutionId: agency.id, title: "Old title", type: "policy", status: "in-force", reviewState: "draft", standards: ["dnssec"] }, null);
      const exported = await exportObservatory(store.db, { reviewStates: REVIEW_STATES });
      await store.db.deleteFrom("audit_log").execute();

      const file = JSON.parse(JSON.stringify(exported)) as typeof exported;
      const policy = file.policies.find((item) => item.id === edited.id);
      assert.ok(policy);
      policy.title = "New title";
      policy.standards = ["dnssec", "https"];
      file.policies.push({ ...policy, id: "added-policy", title: "Added" });
      const report = await importObservatory(store.db, file, importer, { known: KNOWN });
      assert.deepEqual(report.errors, []);

      const entries = await recordEntries();
      assert.deepEqual(
        entries.map((entry) => [entry.action, entry.entity, entry.entityId, entry.userId]),
        [
          ["update", "policy", edited.id, importer],
          ["create", "policy", "added-policy", importer],
        ],
        "one entry per changed or created record; the unchanged institution and policy have none",
      );
      assert.deepEqual(entries[0]?.detail, { title: ["Old title", "New title"], standards: [["dnssec"], ["dnssec", "https"]] });
      assert.equal((entries[1]?.detail as { title?: string }).title, "Added");
      assert.equal((await getPolicy(store.db, kept.id, { reviewStates: REVIEW_STATES }))?.updatedAt, kept.updatedAt, "an unchanged row is not even rewritten");
      const summary = (await listAudit(store.db, { entity: "observatory" })).items[0];
      assert.deepEqual(summary?.detail, { institutions: 1, policies: 3, created: 1, updated: 1, unchanged: 2, errors: 0 });
    });

    it("finding 7: a CSV import audits each record as well", async () => {
      const agency = await createInstitution(store.db, { name: "Agency", kind: "government", region: "155" }, null);
      await store.db.deleteFrom("audit_log").execute();
      const csv = ["id,name,kind,country,region", `${agency.id},Agency renamed,regulator,,155`, "new-one,New body,academia,,150", ""].join("\r\n");
      assert.deepEqual((await importCsv(store.db, csv, importer)).errors, []);
      const entries = await recordEntries();
      assert.deepEqual(entries.map((entry) => [entry.action, entry.entityId]), [["update", agency.id], ["create", "new-one"]]);
      assert.deepEqual(entries[0]?.detail, { name: ["Agency", "Agency renamed"], kind: ["government", "regulator"] });
    });

    it("finding 7: times and reviewer are the server's, whatever the file says, so public exports never show the file's", async () => {
      const file = {
        institutions: [{ id: "agency", name: "Agency", kind: "government", region: "155", createdAt: LONG_AGO, updatedAt: LONG_AGO }],
        policies: [
          { id: "published", institutionId: "agency", title: "Published", type: "policy", status: "in-force", reviewState: "published", reviewedBy: someoneElse, createdAt: LONG_AGO, updatedAt: LONG_AGO },
          { id: "draft", institutionId: "agency", title: "Draft", type: "policy", status: "draft", reviewState: "draft", reviewedBy: someoneElse },
        ],
      };
      const started = new Date().toISOString();
      assert.deepEqual((await importObservatory(store.db, file, importer, { known: KNOWN })).errors, []);
      const institution = await getInstitution(store.db, "agency");
      assert.ok(institution && institution.createdAt >= started && institution.updatedAt >= started, "the import's own times");
      const publicExport = await exportObservatory(store.db);
      assert.deepEqual(publicExport.policies.map((item) => [item.id, item.reviewedBy]), [["published", importer]], "the importer vouches for the published policy");
      assert.ok(publicExport.policies.every((item) => item.createdAt >= started));
      assert.doesNotMatch(JSON.stringify(publicExport), new RegExp(`${someoneElse}|${LONG_AGO}`));
      assert.equal((await getPolicy(store.db, "draft", { reviewStates: REVIEW_STATES }))?.reviewedBy, null, "a draft has no reviewer");

      // Another account re-imports with the same review state: the reviewer stays, the file's createdAt is still ignored.
      const [published] = file.policies;
      const again = { policies: [{ ...published, title: "Published, edited", reviewedBy: "nobody", createdAt: LONG_AGO }] };
      assert.deepEqual((await importObservatory(store.db, again, someoneElse, { known: KNOWN })).errors, []);
      const policy = await getPolicy(store.db, "published");
      assert.equal(policy?.reviewedBy, importer);
      assert.notEqual(policy.createdAt, LONG_AGO);
    });

    it("finding 8: JSON and CSV imports refuse control characters with the row and field named, and keep tabs and line breaks in multi-line text", async () => {
      const json = await importObservatory(
        store.db,
        {
          institutions: [
            { id: "agency", name: "Agency", kind: "government", region: "155" },
            { name: "Nul\u0000name", kind: "government", region: "155" },
            { name: "Sector", kind: "government", region: "155", sector: "ICT\u007f" },
          ],
          policies: [
            { institutionId: "agency", title: "Title\u0000", type: "policy", status: "in-force" },
            { institutionId: "agency", title: "Fine", type: "policy", status: "in-force", securityText: "One\r\n\ttwo", evidence: ["a quote\nover lines"] },
            { institutionId: "agency", title: "Bell", type: "policy", status: "in-force", securityText: "ring\u0007", securityTags: ["tab\ttag"] },
          ],
        },
        importer,
        { known: KNOWN },
      );
      assert.deepEqual(
        json.errors.map((error) => `${error.table} ${error.row}: ${error.message}`),
        [
          "institutions 2: name: must not contain the control character U+0000",
          "institutions 3: sector: must not contain the control character U+007F",
          "policies 1: title: must not contain the control character U+0000",
          "policies 3: securityText: must not contain the control character U+0007; securityTags.0: must not contain the control character U+0009",
        ],
      );
      assert.equal(json.policies, 1);

      // A NUL in a CSV cell is that row's problem, not a reason to refuse the file.
      const csv = ["institutionId,title,type,status", "agency,Good,policy,in-force", "agency,Bad\u0000title,policy,in-force", ""].join("\r\n");
      const report = await importCsv(store.db, new TextEncoder().encode(csv), importer, { known: KNOWN });
      assert.equal(report.policies, 1);
      assert.deepEqual(report.errors, [{ table: "policies", row: 3, message: "title: must not contain the control character U+0000" }]);
    });

    it("finding 8: exports leave out control characters saved before they were refused, so that every export imports again", async () => {
      // As an older version saved them: SQLite held a NUL from a JSON import; PostgreSQL text cannot, but other controls it can.
      const control = dialect === "sqlite" ? "\u0000" : "\u0001";
      const now = new Date().toISOString();
      await store.db.insertInto("institutions").values({ id: "old", name: `Old${control} agency`, kind: "government", country: null, region: "155", global_south: false, sector: `ICT${control}`, created_at: now, updated_at: now }).execute();
      await store.db
        .insertInto("policies")
        .values({ id: "old-policy", institution_id: "old", title: `Title with${control} a control`, type: "policy", status: "in-force", adopted_on: null, source_url: null, language: null, covers_internet: true, security_text: `Line one\r\n\tLine${control} two`, security_tags: JSON.stringify([`tag${control}`]), cites_standards: false, other_standards: null, evidence: JSON.stringify([`quote${control}\nnext line`]), best_practice_tags: "[]", barrier_tags: "[]", global_south_tags: "[]", review_state: "published", reviewed_by: null, created_at: now, updated_at: now })
        .execute();

      const json = JSON.parse(JSON.stringify(await exportObservatory(store.db))) as unknown;
      const institutionsCsv = await exportCsv(store.db, "institutions");
      const policiesCsv = await exportCsv(store.db, "policies");
      for (const text of [JSON.stringify(json), institutionsCsv, policiesCsv]) {
        assert.ok(!text.includes("\u0000") && !text.includes("\u0001") && !/\\u000[01]/.test(text), "no control character, raw or escaped");
      }

      for (const table of ["policy_standards", "policy_categories", "policies", "institutions"] as const) await store.db.deleteFrom(table).execute();
      assert.deepEqual((await importCsv(store.db, institutionsCsv, importer)).errors, []);
      assert.deepEqual((await importCsv(store.db, policiesCsv, importer, { known: KNOWN })).errors, []);
      const policy = await getPolicy(store.db, "old-policy");
      assert.equal(policy?.title, "Title with a control");
      assert.equal(policy.securityText, "Line one\r\n\tLine two", "tab and line breaks kept in multi-line text");
      assert.deepEqual(policy.evidence, ["quote\nnext line"]);
      assert.deepEqual(policy.securityTags, ["tag"]);
      assert.equal((await getInstitution(store.db, "old"))?.name, "Old agency");

      for (const table of ["policy_standards", "policy_categories", "policies", "institutions"] as const) await store.db.deleteFrom(table).execute();
      assert.deepEqual((await importObservatory(store.db, json, importer, { known: KNOWN })).errors, [], "the JSON export imports again too");
    });
  });
}
