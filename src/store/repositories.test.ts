/**
 * The repositories, backup and restore, run as one suite against SQLite (a
 * temporary file) and PostgreSQL (a schema of its own, dropped afterwards;
 * skipped when no server answers on 127.0.0.1:5432). The same assertions on
 * both are what keeps the two dialects interchangeable.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { InsertQueryNode, TableNode, sql, type KyselyPlugin } from "kysely";
import { listAudit } from "./audit.ts";
import { BackupError, backupDatabase, restoreDatabase } from "./backup.ts";
import type { Store } from "./database.ts";
import { deleteDecisionMatrix, getDecisionMatrix, listDecisionMatrices, saveDecisionMatrix } from "./decision-matrices.ts";
import { exportObservatory, importObservatory } from "./exchange.ts";
import { createInstitution, deleteInstitution, getInstitution, institutionFacets, listInstitutions, updateInstitution } from "./institutions.ts";
import { coverageBy, matrixCellPolicies, matrixCounts, tagCounts } from "./matrix.ts";
import { MIGRATIONS } from "./migrations.ts";
import { createPolicy, deletePolicy, getPolicy, listPolicies, setReviewState, updatePolicy } from "./policies.ts";
import type { Institution, InstitutionInput, PolicyInput, User } from "./records.ts";
import { BOOLEAN_COLUMNS, REVIEW_STATES, TABLE_COLUMNS, type TableName } from "./schema.ts";
import { ConflictError, NotFoundError, ValidationError } from "./support.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "./test-databases.ts";
import { createSession, createUser, deleteSession, findSession, findUserByEmail, findUserById, updateUser } from "./users.ts";

const ALL_STATES = REVIEW_STATES;
const TABLES = Object.keys(TABLE_COLUMNS) as TableName[];

const DIALECT_NAMES = { sqlite: "SQLite", postgres: "PostgreSQL" } as const;

// ---- fixtures ----

function institution(overrides: Partial<InstitutionInput> = {}): InstitutionInput {
  return { name: "Forum Standaardisatie", kind: "government", country: "NL", region: "155", sector: "public administration", ...overrides };
}

function policy(institutionId: string, overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    institutionId,
    title: "Comply-or-explain list",
    type: "policy",
    status: "in-force",
    adoptedOn: "2008-01-01",
    sourceUrl: "https://www.forumstandaardisatie.nl/open-standaarden",
    language: "nl",
    coversInternet: true,
    securityText: "Agencies must require DNSSEC and HTTPS in tenders.",
    securityTags: ["mandatory-standards"],
    evidence: ["Overheden zijn verplicht ... te vragen"],
    bestPracticeTags: ["comply-or-explain"],
    categories: ["web-hosting"],
    standards: ["dnssec", "https"],
    reviewState: "published",
    ...overrides,
  };
}

/** Makes the database refuse inserts into `table`: a real failure half-way through a transaction. */
function failingInsertsInto(table: string): KyselyPlugin {
  return {
    transformQuery: ({ node }) =>
      InsertQueryNode.is(node) && node.into?.table.identifier.name === table
        ? InsertQueryNode.cloneWith({ ...node, into: TableNode.create(`${table}_that_does_not_exist`) }, {})
        : node,
    transformResult: ({ result }) => Promise.resolve(result),
  };
}

async function rowCount(store: Store, table: TableName): Promise<number> {
  const { total } = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as("total"))
    .executeTakeFirstOrThrow();
  return Number(total);
}

async function dumpTables(store: Store): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const rows = await store.db.selectFrom(table).selectAll().execute();
    const booleans: readonly string[] = BOOLEAN_COLUMNS[table] ?? [];
    // SQLite's 1/0 as true/false, so that dumps of the two databases compare.
    const normalized = rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([key, value]) => [key, booleans.includes(key) ? Boolean(value) : (value as unknown)])),
    );
    dump[table] = normalized.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return dump;
}

for (const dialect of TEST_DIALECTS) {
  describe(`store on ${DIALECT_NAMES[dialect]}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let editor: User;

    before(async () => {
      // A file, so that a second connection sees the same database.
      store = await openTestStore(dialect, { name: "baseline_test", file: true, postgres: { max: 4 } });
    });

    after(() => store.close());

    beforeEach(async () => {
      for (const table of [...TABLES].reverse()) await store.db.deleteFrom(table).execute();
      editor = await createUser(store.db, { email: "Editor@Example.org", name: "Ed Itor", role: "editor", passwordHash: "scrypt$hash" }, null);
    });

    describe("migrations", () => {
      it("run once: opening the database again changes nothing and keeps the data", async () => {
        const nl = await createInstitution(store.db, institution(), editor.id);
        const again = await store.openAnother();
        try {
          assert.equal((await getInstitution(again.db, nl.id))?.name, "Forum Standaardisatie");
          const applied = await again.db
            .selectFrom(sql<{ name: string }>`kysely_migration`.as("m"))
            .select("m.name")
            .execute();
          assert.deepEqual(
            applied.map((row) => row.name),
            Object.keys(MIGRATIONS),
          );
        } finally {
          await again.close();
        }
      });

      it("create the columns the schema module lists", async () => {
        const tables = await store.db.introspection.getTables();
        const schemaOf = async () => (await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db)).rows[0]?.schema;
        const current = store.dialect === "postgres" ? await schemaOf() : undefined;
        for (const table of TABLES) {
          const found = tables.find((candidate) => candidate.name === table && (current === undefined || candidate.schema === current));
          assert.ok(found, `table ${table} exists`);
          assert.deepEqual(found.columns.map((column) => column.name).sort(), [...TABLE_COLUMNS[table]].sort(), table);
        }
      });
    });

    describe("users and sessions", () => {
      it("finds a user by e-mail whatever its case, with the hash, and refuses the address twice", async () => {
        const found = await findUserByEmail(store.db, "  EDITOR@example.ORG ");
        assert.equal(found?.id, editor.id);
        assert.equal(found.passwordHash, "scrypt$hash");
        assert.equal(found.email, "editor@example.org");
        assert.deepEqual(await findUserById(store.db, editor.id), editor);
        await assert.rejects(
          createUser(store.db, { email: "editor@EXAMPLE.org", name: "Other", role: "viewer", passwordHash: "x" }, null),
          ConflictError,
        );
        await assert.rejects(createUser(store.db, { email: "not-an-address", name: "X", role: "root" as "admin", passwordHash: "x" }, null), (error: unknown) => {
          assert.ok(error instanceof ValidationError);
          assert.match(error.message, /email: must be an e-mail address/);
          assert.match(error.message, /role: /);
          return true;
        });
      });

      it("keeps only a hash of the session token, expires sessions, and ends them on a role change", async () => {
        const now = new Date("2030-01-01T00:00:00Z");
        const session = await createSession(store.db, editor.id, { ttlMs: 60_000, now });
        const stored = await store.db.selectFrom("sessions").selectAll().execute();
        assert.equal(stored.length, 1);
        assert.notEqual(stored[0]?.id, session.token);
        const found = await findSession(store.db, session.token, new Date("2030-01-01T00:00:30Z"));
        assert.equal(found?.user.id, editor.id);
        assert.equal(found.csrfToken, session.csrfToken);
        assert.equal(await findSession(store.db, session.token, new Date("2030-01-01T00:01:01Z")), undefined);
        assert.equal(await findSession(store.db, "forged-token", now), undefined);

        const second = await createSession(store.db, editor.id, { now });
        await deleteSession(store.db, second.token);
        assert.equal(await findSession(store.db, second.token, now), undefined);

        const third = await createSession(store.db, editor.id);
        await updateUser(store.db, editor.id, { role: "viewer" }, null);
        assert.equal(await findSession(store.db, third.token), undefined);
        assert.equal((await findUserById(store.db, editor.id))?.role, "viewer");
      });
    });

    describe("institutions", () => {
      it("are created, read, updated and deleted, each change in the audit log", async () => {
        const created = await createInstitution(store.db, institution({ country: " nl ", sector: "" }), editor.id);
        assert.equal(created.country, "NL");
        assert.equal(created.sector, null);
        assert.equal(created.globalSouth, false);
        assert.deepEqual(await getInstitution(store.db, created.id), created);

        const updated = await updateInstitution(store.db, created.id, institution({ name: "Forum", globalSouth: true }), editor.id);
        assert.equal(updated.name, "Forum");
        assert.equal(updated.globalSouth, true);
        assert.equal((await getInstitution(store.db, created.id))?.globalSouth, true);

        await deleteInstitution(store.db, created.id, editor.id);
        assert.equal(await getInstitution(store.db, created.id), undefined);
        await assert.rejects(deleteInstitution(store.db, created.id, editor.id), NotFoundError);

        const { items } = await listAudit(store.db, { entity: "institution", entityId: created.id });
        assert.deepEqual(items.map((entry) => entry.action).sort(), ["create", "delete", "update"]);
        const update = items.find((entry) => entry.action === "update");
        assert.equal(update?.userId, editor.id);
        assert.deepEqual((update.detail as Record<string, unknown>).name, ["Forum Standaardisatie", "Forum"]);
      });

      it("refuse bad fields with a message naming each", async () => {
        await assert.rejects(createInstitution(store.db, institution({ name: " ", country: "Netherlands", region: "Europe" }), null), (error: unknown) => {
          assert.ok(error instanceof ValidationError);
          assert.deepEqual(error.issues.map((issue) => issue.path).sort(), ["country", "name", "region"]);
          assert.match(error.message, /^invalid institution: /);
          return true;
        });
        assert.equal(await rowCount(store, "institutions"), 0);
      });

      it("cannot be deleted while they have policies", async () => {
        const owner = await createInstitution(store.db, institution(), null);
        await createPolicy(store.db, policy(owner.id), null);
        await assert.rejects(deleteInstitution(store.db, owner.id, null), ConflictError);
        assert.ok(await getInstitution(store.db, owner.id));
      });

      it("are listed with search, filters, paging and the total", async () => {
        await createInstitution(store.db, institution({ name: "CISA", country: "US", region: "021", sector: "security" }), null);
        await createInstitution(store.db, institution({ name: "ENISA", kind: "regulator", country: null, region: "150", sector: "security" }), null);
        await createInstitution(store.db, institution({ name: "Kenya ICT Authority", country: "KE", region: "014", globalSouth: true, sector: null }), null);
        await createInstitution(store.db, institution({ name: "100% Secure_Co", kind: "private-company", country: "BR", region: "005", globalSouth: true }), null);

        const names = async (filter: Parameters<typeof listInstitutions>[1]) => (await listInstitutions(store.db, filter)).items.map((item) => item.name);
        assert.deepEqual(await names({}), ["100% Secure_Co", "CISA", "ENISA", "Kenya ICT Authority"]);
        assert.deepEqual(await names({ search: "enis" }), ["ENISA"]);
        assert.deepEqual(await names({ search: "% s" }), ["100% Secure_Co"], "% is literal");
        assert.deepEqual(await names({ search: "e_c" }), ["100% Secure_Co"], "_ is literal");
        assert.deepEqual(await names({ kind: "regulator" }), ["ENISA"]);
        assert.deepEqual(await names({ region: "014" }), ["Kenya ICT Authority"]);
        assert.deepEqual(await names({ country: "us" }), ["CISA"]);
        assert.deepEqual(await names({ sector: "security" }), ["CISA", "ENISA"]);
        assert.deepEqual(await names({ globalSouth: true }), ["100% Secure_Co", "Kenya ICT Authority"]);
        const page = await listInstitutions(store.db, { limit: 2, offset: 2 });
        assert.equal(page.total, 4);
        assert.deepEqual(page.items.map((item) => item.name), ["ENISA", "Kenya ICT Authority"]);

        const facets = await institutionFacets(store.db);
        assert.deepEqual(facets.countries, ["BR", "KE", "US"]);
        assert.deepEqual(facets.kinds, ["government", "private-company", "regulator"]);
      });
    });

    describe("policies", () => {
      let owner: Institution;
      beforeEach(async () => {
        owner = await createInstitution(store.db, institution(), editor.id);
      });

      it("are saved with their categories and standards, and updated as a whole", async () => {
        const created = await createPolicy(store.db, policy(owner.id, { standards: ["https", "dnssec", "https"], citesStandards: false }), editor.id);
        assert.deepEqual(created.standards, ["dnssec", "https"]);
        assert.equal(created.citesStandards, true, "listing standards is citing them");
        const read = await getPolicy(store.db, created.id);
        assert.ok(read);
        assert.deepEqual(read.categories, ["web-hosting"]);
        assert.deepEqual(read.standards, ["dnssec", "https"]);
        assert.deepEqual(read.evidence, ["Overheden zijn verplicht ... te vragen"]);
        assert.equal(read.coversInternet, true);
        assert.equal(read.institution.name, "Forum Standaardisatie");

        const changed = policy(owner.id, { title: "New title", categories: ["saas", "cloud-hosting"], standards: ["tls"] });
        const updated = await updatePolicy(store.db, created.id, changed, editor.id);
        assert.deepEqual(updated.categories, ["cloud-hosting", "saas"]);
        assert.deepEqual((await getPolicy(store.db, created.id))?.standards, ["tls"]);
        assert.equal(await rowCount(store, "policy_standards"), 1);

        await deletePolicy(store.db, created.id, editor.id);
        assert.equal(await getPolicy(store.db, created.id, { reviewStates: ALL_STATES }), undefined);
        assert.equal(await rowCount(store, "policy_categories"), 0);
        const actions = (await listAudit(store.db, { entity: "policy", entityId: created.id })).items.map((entry) => entry.action);
        assert.deepEqual(actions.sort(), ["create", "delete", "update"]);
      });

      it("keep their reviewer when a form saves them unchanged in review state, and take the saver's when the state moves", async () => {
        const other = await createUser(store.db, { email: "second@example.org", name: "Second", role: "editor", passwordHash: "scrypt$hash" }, null);
        const created = await createPolicy(store.db, policy(owner.id, { reviewState: "published" }), editor.id);
        assert.equal(created.reviewedBy, editor.id, "whoever publishes vouches for it");
        // The edit form sends no reviewer (it is the server's to set).
        const edited = await updatePolicy(store.db, created.id, policy(owner.id, { title: "Edited by the second editor", reviewState: "published" }), other.id);
        assert.equal(edited.reviewedBy, editor.id, "an edit that leaves the state keeps the reviewer");
        assert.equal((await updatePolicy(store.db, created.id, policy(owner.id, { reviewState: "reviewed" }), other.id)).reviewedBy, other.id);
        assert.equal((await updatePolicy(store.db, created.id, policy(owner.id, { reviewState: "draft" }), other.id)).reviewedBy, null);
      });

      it("are saved atomically: a failing insert of the standards leaves nothing behind", async () => {
        const failing = store.db.withPlugin(failingInsertsInto("policy_standards"));
        await assert.rejects(createPolicy(failing, policy(owner.id, { title: "Half-saved?" }), editor.id));
        assert.equal(await rowCount(store, "policies"), 0);
        assert.equal(await rowCount(store, "policy_categories"), 0);
        assert.equal((await listAudit(store.db, { entity: "policy" })).total, 0);

        const kept = await createPolicy(store.db, policy(owner.id), editor.id);
        await assert.rejects(updatePolicy(failing, kept.id, policy(owner.id, { title: "Changed", categories: ["saas"], standards: ["tls"] }), editor.id));
        const after = await getPolicy(store.db, kept.id);
        assert.equal(after?.title, "Comply-or-explain list");
        assert.deepEqual(after.categories, ["web-hosting"]);
        assert.deepEqual(after.standards, ["dnssec", "https"]);
      });

      it("refuse an unknown institution, reviewer or catalog id with a clear message", async () => {
        await assert.rejects(createPolicy(store.db, policy("no-such-institution"), null), /institutionId: no institution with id no-such-institution/);
        await assert.rejects(createPolicy(store.db, policy(owner.id, { reviewedBy: "ghost" }), null), /reviewedBy: no user with id ghost/);
        const known = { standards: new Set(["dnssec", "https"]), categories: new Set(["web-hosting"]) };
        await assert.rejects(
          createPolicy(store.db, policy(owner.id, { standards: ["dnssec", "dnsec"] }), null, { known }),
          /standards: "dnsec" is not a standard in the catalog/,
        );
        await assert.rejects(createPolicy(store.db, policy(owner.id, { adoptedOn: "2024-02-30", sourceUrl: "javascript:alert(1)" }), null), (error: unknown) => {
          assert.ok(error instanceof ValidationError);
          assert.deepEqual(error.issues.map((issue) => issue.path).sort(), ["adoptedOn", "sourceUrl"]);
          return true;
        });
        assert.equal(await rowCount(store, "policies"), 0);
      });

      it("show anonymous visitors published ones only", async () => {
        const draft = await createPolicy(store.db, policy(owner.id, { title: "Draft", reviewState: "draft" }), editor.id);
        await createPolicy(store.db, policy(owner.id, { title: "Reviewed", reviewState: "reviewed" }), editor.id);
        await createPolicy(store.db, policy(owner.id, { title: "Published" }), editor.id);

        const anonymous = await listPolicies(store.db, {});
        assert.deepEqual(anonymous.items.map((item) => item.title), ["Published"]);
        assert.equal(anonymous.total, 1);
        assert.equal(await getPolicy(store.db, draft.id), undefined);
        assert.equal((await listPolicies(store.db, { reviewStates: [] })).total, 0);
        assert.equal((await listPolicies(store.db, { reviewStates: ALL_STATES })).total, 3);
        assert.deepEqual((await matrixCounts(store.db, { rows: "region", columns: "standard" })).map((cell) => cell.count), [1, 1]);

        const published = await setReviewState(store.db, draft.id, "published", editor.id);
        assert.equal(published.reviewedBy, editor.id);
        assert.equal((await listPolicies(store.db, {})).total, 2);
        const backToDraft = await setReviewState(store.db, draft.id, "draft", editor.id);
        assert.equal(backToDraft.reviewedBy, null);
      });

      it("are listed with search, filters, sorting and paging", async () => {
        const other = await createInstitution(store.db, institution({ name: "NIST", country: "US", region: "021", kind: "standards-body", sector: "standards" }), null);
        await createPolicy(store.db, policy(owner.id, { title: "B policy", adoptedOn: null, securityText: "Requires RPKI for transit." }), null);
        await createPolicy(store.db, policy(owner.id, { title: "a policy", adoptedOn: "2020-05-01", type: "law", standards: ["tls"], categories: ["saas"] }), null);
        await createPolicy(store.db, policy(other.id, { title: "C guideline", adoptedOn: "2022-01-01", type: "guideline", status: "draft", standards: [] }), null);

        const titles = async (filter: Parameters<typeof listPolicies>[1]) => (await listPolicies(store.db, filter)).items.map((item) => item.title);
        assert.deepEqual(await titles({}), ["a policy", "B policy", "C guideline"]);
        assert.deepEqual(await titles({ search: "rpki" }), ["B policy"], "searches the security text");
        assert.deepEqual(await titles({ search: "GUIDE" }), ["C guideline"]);
        assert.deepEqual(await titles({ standard: "tls" }), ["a policy"]);
        assert.deepEqual(await titles({ category: "web-hosting" }), ["B policy", "C guideline"]);
        assert.deepEqual(await titles({ type: "law" }), ["a policy"]);
        assert.deepEqual(await titles({ status: "draft" }), ["C guideline"]);
        assert.deepEqual(await titles({ institutionId: other.id }), ["C guideline"]);
        assert.deepEqual(await titles({ region: "021" }), ["C guideline"]);
        assert.deepEqual(await titles({ kind: "standards-body" }), ["C guideline"]);
        assert.deepEqual(await titles({ citesStandards: true }), ["a policy", "B policy"]);
        assert.deepEqual(await titles({ sort: "adoptedOn" }), ["C guideline", "a policy", "B policy"], "newest first, undated last");
        assert.deepEqual(await titles({ sort: "adoptedOn", direction: "asc" }), ["a policy", "C guideline", "B policy"], "undated last either way");
        assert.deepEqual(await titles({ sort: "title", direction: "desc" }), ["C guideline", "B policy", "a policy"]);
        assert.deepEqual(await titles({ sort: "institution" }), ["a policy", "B policy", "C guideline"]);
        const page = await listPolicies(store.db, { limit: 1, offset: 1 });
        assert.equal(page.total, 3);
        assert.deepEqual(page.items.map((item) => item.title), ["B policy"]);
      });
    });

    describe("matrices", () => {
      beforeEach(async () => {
        const nl = await createInstitution(store.db, institution({ name: "NL gov", region: "155", sector: "public administration" }), null);
        const de = await createInstitution(store.db, institution({ name: "BSI", country: "DE", region: "155", kind: "regulator", sector: "security" }), null);
        const ke = await createInstitution(store.db, institution({ name: "KE gov", country: "KE", region: "014", globalSouth: true, sector: null }), null);
        const coded = (overrides: Partial<PolicyInput>) => ({ globalSouthTags: [], barrierTags: [], ...overrides });
        await createPolicy(store.db, policy(nl.id, coded({ standards: ["dnssec", "https"], categories: ["web-hosting", "dns-hosting"], barrierTags: ["cost"] })), null);
        await createPolicy(store.db, policy(nl.id, coded({ title: "Mail", standards: ["dmarc", "dnssec"], categories: ["email-service"], barrierTags: ["cost", "skills"] })), null);
        await createPolicy(store.db, policy(de.id, { title: "TR", standards: ["tls"], categories: ["web-hosting"], barrierTags: ["skills"] }), null);
        await createPolicy(store.db, policy(ke.id, { title: "KE", standards: ["dnssec"], categories: [], globalSouthTags: ["capacity"] }), null);
        // Counted nowhere: not cited standards, or not published.
        await createPolicy(store.db, policy(ke.id, { title: "KE no standards", standards: [], citesStandards: false, categories: ["web-hosting"] }), null);
        await createPolicy(store.db, policy(de.id, { title: "Draft", reviewState: "draft", standards: ["dnssec", "tls"], categories: ["saas"] }), null);
      });

      it("count published policies citing each standard per region, sector and kind", async () => {
        const cells = (list: Awaited<ReturnType<typeof matrixCounts>>) => list.map((cell) => `${cell.row ?? "-"}|${cell.column}=${cell.count}`);
        assert.deepEqual(cells(await matrixCounts(store.db, { rows: "region", columns: "standard" })), [
          "014|dnssec=1",
          "155|dmarc=1",
          "155|dnssec=2",
          "155|https=1",
          "155|tls=1",
        ]);
        assert.deepEqual(cells(await matrixCounts(store.db, { rows: "sector", columns: "standard" })), [
          "public administration|dmarc=1",
          "public administration|dnssec=2",
          "public administration|https=1",
          "security|tls=1",
          "-|dnssec=1",
        ]);
        assert.deepEqual(cells(await matrixCounts(store.db, { rows: "kind", columns: "category" })), [
          "government|dns-hosting=1",
          "government|email-service=1",
          "government|web-hosting=1",
          "regulator|web-hosting=1",
        ]);
        assert.deepEqual(cells(await matrixCounts(store.db, { rows: "region", columns: "standard", filter: { globalSouth: true } })), ["014|dnssec=1"]);
        const withDrafts = await matrixCounts(store.db, { rows: "kind", columns: "standard", filter: { reviewStates: ALL_STATES } });
        assert.deepEqual(cells(withDrafts).filter((cell) => cell.startsWith("regulator")), ["regulator|dnssec=1", "regulator|tls=2"]);
      });

      it("list the policies behind a cell, as many as it counts", async () => {
        for (const query of [
          { rows: "region", columns: "standard" },
          { rows: "sector", columns: "standard" },
          { rows: "kind", columns: "category" },
          { rows: "country", columns: "category" },
        ] as const) {
          const cells = await matrixCounts(store.db, query);
          assert.ok(cells.length > 0);
          for (const cell of cells) {
            const behind = await matrixCellPolicies(store.db, { ...query, row: cell.row, column: cell.column });
            assert.equal(behind.total, cell.count, `${query.rows} ${cell.row ?? "null"} × ${cell.column}`);
          }
        }
        const dnssecInEurope = await matrixCellPolicies(store.db, { rows: "region", columns: "standard", row: "155", column: "dnssec" });
        assert.deepEqual(dnssecInEurope.items.map((item) => item.title).sort(), ["Comply-or-explain list", "Mail"]);
        assert.equal((await matrixCellPolicies(store.db, { rows: "kind", columns: "standard", row: "no-such-kind", column: "dnssec" })).total, 0);
      });

      it("summarise coverage per country and the tags", async () => {
        const coverage = await coverageBy(store.db, "country");
        assert.deepEqual(coverage, [
          { key: "DE", policies: 1, citing: 1 },
          { key: "KE", policies: 2, citing: 1 },
          { key: "NL", policies: 2, citing: 2 },
        ]);
        const tags = await tagCounts(store.db);
        assert.deepEqual(tags.barrierTags, [
          { tag: "cost", count: 2 },
          { tag: "skills", count: 2 },
        ]);
        assert.deepEqual(tags.globalSouthTags, [{ tag: "capacity", count: 1 }]);
        assert.deepEqual(tags.bestPracticeTags, [{ tag: "comply-or-explain", count: 5 }]);
      });
    });

    describe("decision matrices", () => {
      it("are saved, loaded, listed, updated and deleted", async () => {
        const definition = { criteria: [{ id: "reach", weight: 0.6 }, { id: "readiness", weight: 0.4 }], scores: { x: { reach: 3 } } };
        const saved = await saveDecisionMatrix(store.db, { name: "Whom first", definition }, editor.id);
        assert.deepEqual((await getDecisionMatrix(store.db, saved.id))?.definition, definition);
        const renamed = await saveDecisionMatrix(store.db, { id: saved.id, name: "Whom first (v2)", definition: { criteria: [] } }, editor.id);
        assert.equal(renamed.ownerId, editor.id);
        assert.deepEqual(
          (await listDecisionMatrices(store.db, { ownerId: editor.id })).map((matrix) => matrix.name),
          ["Whom first (v2)"],
        );
        await assert.rejects(saveDecisionMatrix(store.db, { id: "missing", name: "x", definition: {} }, editor.id), NotFoundError);
        await assert.rejects(saveDecisionMatrix(store.db, { name: "", definition: {} }, editor.id), ValidationError);
        await deleteDecisionMatrix(store.db, saved.id, editor.id);
        assert.equal(await getDecisionMatrix(store.db, saved.id), undefined);
      });
    });

    describe("export and import", () => {
      it("round-trip everything through plain objects", async () => {
        const owner = await createInstitution(store.db, institution(), null);
        await createPolicy(store.db, policy(owner.id, { reviewedBy: editor.id }), null);
        await createPolicy(store.db, policy(owner.id, { title: "Draft", reviewState: "draft" }), null);
        assert.equal((await exportObservatory(store.db)).policies.length, 1, "published only by default");
        const exported = await exportObservatory(store.db, { reviewStates: ALL_STATES });
        assert.equal(exported.policies.length, 2);
        const plain: unknown = JSON.parse(JSON.stringify(exported));

        for (const table of ["policy_standards", "policy_categories", "policies", "institutions"] as const) await store.db.deleteFrom(table).execute();
        const report = await importObservatory(store.db, plain, editor.id);
        assert.deepEqual(report, { imported: 3, institutions: 1, policies: 2, errors: [] });
        const again = await exportObservatory(store.db, { reviewStates: ALL_STATES });
        // What the server owns (issue 15, finding 7) is set by this import: the times, and the importer as reviewer of the published policy.
        const withoutServerFields = (data: typeof exported) => ({
          institutions: data.institutions.map((item) => ({ ...item, createdAt: "", updatedAt: "" })),
          policies: data.policies.map((item) => ({ ...item, createdAt: "", updatedAt: "", reviewedBy: "" })),
        });
        assert.deepEqual(withoutServerFields(again), withoutServerFields(exported));
        assert.deepEqual(again.policies.map((item) => [item.reviewState, item.reviewedBy]).sort(), [["draft", null], ["published", editor.id]]);
      });

      it("reports each bad row and imports the good ones, and nothing of a bad one", async () => {
        const existing = await createInstitution(store.db, institution({ name: "Before" }), null);
        const report = await importObservatory(
          store.db,
          {
            institutions: [
              { id: "cisa", name: "CISA", kind: "government", country: "US", region: "021" },
              { name: "No region", kind: "government" },
              { id: existing.id, name: "After", kind: "regulator", region: "155" },
              { name: "Bad kind", kind: "ministry", region: "155", colour: "red" },
            ],
            policies: [
              {
                institutionId: "cisa",
                title: "BOD 18-01",
                type: "policy",
                status: "in-force",
                standards: ["https", "hsts"],
                categories: ["web-hosting"],
                reviewState: "published",
              },
              { institutionId: "cisa", title: "", type: "policy", status: "in-force" },
              { institutionId: "nobody", title: "Orphan", type: "policy", status: "in-force", standards: ["tls"] },
              { institutionId: "cisa", title: "Unknown standard", type: "policy", status: "in-force", standards: ["dnssec", "made-up"] },
              "not an object",
            ],
          },
          editor.id,
          { known: { standards: new Set(["https", "hsts", "tls", "dnssec"]), categories: new Set(["web-hosting"]) } },
        );
        assert.equal(report.imported, 3);
        assert.equal(report.institutions, 2);
        assert.equal(report.policies, 1);
        assert.deepEqual(
          report.errors.map((error) => `${error.table} ${error.row}`),
          ["institutions 2", "institutions 4", "policies 2", "policies 3", "policies 4", "policies 5"],
        );
        const message = (table: string, row: number) => report.errors.find((error) => error.table === table && error.row === row)?.message ?? "";
        assert.match(message("institutions", 2), /region: /);
        assert.match(message("institutions", 4), /kind: must be one of .*unknown field "colour"|unknown field "colour".*kind: must be one of /s);
        assert.match(message("policies", 2), /title: must not be empty/);
        assert.match(message("policies", 3), /institutionId: no institution with id nobody/);
        assert.match(message("policies", 4), /"made-up" is not a standard in the catalog/);

        assert.equal((await getInstitution(store.db, existing.id))?.name, "After");
        assert.equal((await getInstitution(store.db, "cisa"))?.name, "CISA");
        const { items } = await listPolicies(store.db, { reviewStates: ALL_STATES });
        assert.deepEqual(items.map((item) => item.title), ["BOD 18-01"]);
        assert.deepEqual(items[0]?.standards, ["hsts", "https"]);
        assert.equal(await rowCount(store, "policy_standards"), 2, "nothing of the rejected rows");
        const entry = (await listAudit(store.db, { entity: "observatory" })).items[0];
        assert.deepEqual(entry?.detail, { institutions: 2, policies: 1, created: 2, updated: 1, unchanged: 0, errors: 6 });
      });

      it("refuses a file that is not an export as a whole", async () => {
        await assert.rejects(importObservatory(store.db, { policies: "all of them" }, null), /invalid import file: policies: /);
        await assert.rejects(importObservatory(store.db, [], null), ValidationError);
      });
    });

    describe("backup and restore", () => {
      let folder: string;
      before(() => {
        folder = mkdtempSync(join(tmpdir(), "baseline-backup-"));
      });
      after(() => {
        rmSync(folder, { recursive: true, force: true });
      });

      async function fillSome(): Promise<void> {
        const owner = await createInstitution(store.db, institution({ globalSouth: true }), editor.id);
        await createPolicy(store.db, policy(owner.id, { reviewedBy: editor.id }), editor.id);
        await createPolicy(store.db, policy(owner.id, { title: "No standards", standards: [], categories: [], coversInternet: false }), editor.id);
        await createSession(store.db, editor.id);
        await saveDecisionMatrix(store.db, { name: "m", definition: { criteria: ["a"] } }, editor.id);
      }

      it("restores exactly what was backed up, replacing what came after", async () => {
        await fillSome();
        const before = await dumpTables(store);
        const file = join(folder, "round-trip", "backup.json");
        const summary = await backupDatabase(store, file);
        assert.equal(summary.tables.policies, 2);
        const written = JSON.parse(readFileSync(file, "utf8")) as { format: string; formatVersion: number; tables: { institutions: { global_south: unknown }[] } };
        assert.equal(written.format, "baseline-backup");
        assert.equal(written.formatVersion, 1);
        assert.equal(written.tables.institutions[0]?.global_south, true, "booleans as booleans");

        await createInstitution(store.db, institution({ name: "Added later" }), editor.id);
        await store.db.deleteFrom("policies").where("title", "=", "No standards").execute();
        await restoreDatabase(store, file);

        const afterRestore = await dumpTables(store);
        const { audit_log: auditBefore, ...restBefore } = before;
        const { audit_log: auditAfter, ...restAfter } = afterRestore;
        assert.deepEqual(restAfter, restBefore);
        assert.equal(auditAfter?.length, (auditBefore?.length ?? 0) + 1, "the backup's log plus the restore entry");
      });

      it("changes nothing when the file is not a usable backup", async () => {
        await fillSome();
        const before = await dumpTables(store);
        const bad = join(folder, "bad.json");
        const good = join(folder, "good.json");
        await backupDatabase(store, good);
        const backup = JSON.parse(readFileSync(good, "utf8")) as { tables: Record<string, Record<string, unknown>[]>; schemaVersion: string };

        writeFileSync(bad, "{ not json");
        await assert.rejects(restoreDatabase(store, bad), (error: unknown) => error instanceof BackupError && error.message.includes(bad));
        writeFileSync(bad, JSON.stringify({ ...backup, schemaVersion: "9999-from-the-future" }));
        await assert.rejects(restoreDatabase(store, bad), /9999-from-the-future/);
        writeFileSync(bad, JSON.stringify({ ...backup, tables: { ...backup.tables, policies: [{ id: "x", evil: 1 }] } }));
        await assert.rejects(restoreDatabase(store, bad), /policies row 1: unknown column "evil"/);
        // Valid in shape, refused by the database half-way: the transaction undoes the deletes.
        const orphan = { ...backup.tables.policy_standards?.[0], policy_id: "no-such-policy" };
        writeFileSync(bad, JSON.stringify({ ...backup, tables: { ...backup.tables, policy_standards: [orphan] } }));
        await assert.rejects(restoreDatabase(store, bad));

        assert.deepEqual(await dumpTables(store), before);
      });

      if (dialect === "postgres") {
        it("restores a backup taken from SQLite", async () => {
          const sqliteStore = await openTestStore("sqlite");
          const file = join(folder, "cross", "backup.json");
          try {
            const user = await createUser(sqliteStore.db, { email: "a@example.org", name: "A", role: "admin", passwordHash: "h" }, null);
            const owner = await createInstitution(sqliteStore.db, institution({ globalSouth: true }), user.id);
            await createPolicy(sqliteStore.db, policy(owner.id, { reviewedBy: user.id }), user.id);
            await backupDatabase(sqliteStore, file);
            await restoreDatabase(store, file);
            const { items } = await listPolicies(store.db, {});
            assert.equal(items.length, 1);
            assert.equal(items[0]?.institution.globalSouth, true);
            assert.equal(items[0].reviewedBy, user.id);
          } finally {
            await sqliteStore.close();
          }
        });
      }
    });
  });
}
