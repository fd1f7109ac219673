/**
 * CSV export and import of institutions and policies, on SQLite (in
 * memory) and PostgreSQL (a schema of its own, dropped afterwards; skipped
 * when no server answers): the round trip, formula-injection cells, bad
 * rows reported by line while the good ones land, and files refused whole.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { parse } from "csv-parse/sync";
import { listAudit } from "./audit.ts";
import { CSV_COLUMNS, exportCsv, guardCell, importCsv, readCsv, unguardCell } from "./csv.ts";
import { exportObservatory } from "./exchange.ts";
import { createInstitution, getInstitution, listInstitutions } from "./institutions.ts";
import { createPolicy, listPolicies } from "./policies.ts";
import type { KnownIds } from "./records.ts";
import { REVIEW_STATES } from "./schema.ts";
import { ValidationError } from "./support.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "./test-databases.ts";

const KNOWN: KnownIds = { standards: new Set(["dnssec", "https", "hsts", "tls"]), categories: new Set(["web-hosting", "dns-hosting"]) };
const BOM = "\uFEFF";

describe("CSV cells", () => {
  it("guards formula cells with one apostrophe and takes exactly that one back", () => {
    for (const value of ["=1+1", "+31 20", "-x", "@SUM(A1)", "\tx", "\rx", "'=already", "''@twice", "'plain", "plain", "", "a=b"]) {
      assert.equal(unguardCell(guardCell(value)), value, JSON.stringify(value));
    }
    assert.equal(guardCell("=1+1"), "'=1+1");
    assert.equal(guardCell("'=1"), "''=1");
    assert.equal(guardCell("'plain"), "'plain");
    assert.equal(unguardCell("'plain"), "'plain");
  });
});

for (const dialect of TEST_DIALECTS) {
  describe(`CSV export and import on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;

    before(async () => {
      store = await openTestStore(dialect, { name: "csv_test", postgres: { max: 4 } });
    });

    after(() => store.close());

    beforeEach(async () => {
      for (const table of ["policy_standards", "policy_categories", "policies", "institutions", "audit_log"] as const) await store.db.deleteFrom(table).execute();
    });

    async function counts(): Promise<{ institutions: number; policies: number }> {
      return {
        institutions: (await listInstitutions(store.db, { limit: 1 })).total,
        policies: (await listPolicies(store.db, { reviewStates: REVIEW_STATES, limit: 1 })).total,
      };
    }

    /** Two institutions and three policies with every awkward value a cell can hold. */
    async function fixture(): Promise<void> {
      await createInstitution(store.db, { name: "Société, \"Numérique\"; Ñandú", kind: "government", country: "FR", region: "155", sector: "public administration" }, null);
      const world = await createInstitution(store.db, { name: "=HYPERLINK(\"http://evil.example\",\"click\")", kind: "intergovernmental", region: "001", globalSouth: true }, null);
      await createPolicy(
        store.db,
        {
          institutionId: world.id,
          title: "@SUM(1+1) policy",
          type: "guideline",
          status: "in-force",
          adoptedOn: "2024-05",
          sourceUrl: "https://example.org/policy?a=1&b=2",
          language: "pt-BR",
          coversInternet: true,
          securityText: "Line one,\r\nline \"two\"; and three\nend",
          securityTags: ["-leading dash", "plain tag"],
          otherStandards: "+ ISO 27001",
          evidence: ["Agencies shall use HTTPS; and HSTS.", "[bracketed] quote", "a, b"],
          bestPracticeTags: ["comply-or-explain"],
          barrierTags: [],
          globalSouthTags: ["capacity"],
          categories: ["web-hosting", "dns-hosting"],
          standards: ["https", "hsts", "dnssec"],
          reviewState: "published",
        },
        null,
        { known: KNOWN },
      );
      await createPolicy(store.db, { institutionId: world.id, title: "Secret draft", type: "policy", status: "draft", reviewState: "draft", securityTags: ["a"] }, null);
      await createPolicy(store.db, { institutionId: world.id, title: "Reviewed, not published", type: "law", status: "repealed", reviewState: "reviewed", citesStandards: true }, null);
    }

    it("exports a header of the JSON field names, a BOM, CRLF, and published policies unless told", async () => {
      await fixture();
      const institutions = await exportCsv(store.db, "institutions");
      assert.ok(institutions.startsWith(`${BOM}id,name,kind,country,region,globalSouth,sector,createdAt,updatedAt\r\n`));
      const published = await exportCsv(store.db, "policies");
      assert.ok(published.startsWith(`${BOM}${CSV_COLUMNS.policies.join(",")}\r\n`));
      assert.match(published, /@SUM/);
      assert.doesNotMatch(published, /Secret draft|Reviewed, not published/);
      const all = await exportCsv(store.db, "policies", { reviewStates: REVIEW_STATES });
      assert.match(all, /Secret draft/);
      const records = parse<Record<string, string>>(all, { bom: true, columns: true });
      const first = records.find((record) => record.title?.includes("SUM"));
      assert.equal(first?.institutionName, "'=HYPERLINK(\"http://evil.example\",\"click\")");
      assert.equal(first.standards, "dnssec; hsts; https");
      assert.equal(first.securityTags, "'-leading dash; plain tag", "a list cell starting with - is guarded as a whole");
      assert.equal(first.evidence, JSON.stringify(["Agencies shall use HTTPS; and HSTS.", "[bracketed] quote", "a, b"]));
      assert.equal(first.coversInternet, "true");
      assert.equal(first.barrierTags, "");
    });

    it("round-trips export then import into an empty database, and updates by id on a re-import", async () => {
      await fixture();
      const before = await exportObservatory(store.db, { reviewStates: REVIEW_STATES });
      const institutionsCsv = await exportCsv(store.db, "institutions");
      const policiesCsv = await exportCsv(store.db, "policies", { reviewStates: REVIEW_STATES });

      for (const table of ["policy_standards", "policy_categories", "policies", "institutions"] as const) await store.db.deleteFrom(table).execute();
      assert.deepEqual(await importCsv(store.db, institutionsCsv, null), { table: "institutions", imported: 2, institutions: 2, policies: 0, errors: [] });
      assert.deepEqual(await importCsv(store.db, policiesCsv, null, { known: KNOWN }), { table: "policies", imported: 3, institutions: 0, policies: 3, errors: [] });

      // The times are the server's (issue 15, finding 7): set anew by the import, not read from the file.
      const withoutTimes = (data: typeof before) => ({
        institutions: data.institutions.map((item) => ({ ...item, createdAt: "", updatedAt: "" })),
        policies: data.policies.map((item) => ({ ...item, createdAt: "", updatedAt: "" })),
      });
      const afterImport = await exportObservatory(store.db, { reviewStates: REVIEW_STATES });
      assert.deepEqual(withoutTimes(afterImport), withoutTimes(before));

      // The same file again, with one title changed: updated in place, nothing added.
      const changed = policiesCsv.replace("Secret draft", "Secret draft (revised)");
      const report = await importCsv(store.db, new TextEncoder().encode(changed), null, { known: KNOWN });
      assert.deepEqual(report.errors, []);
      assert.deepEqual(await counts(), { institutions: 2, policies: 3 });
      const titles = (await listPolicies(store.db, { reviewStates: REVIEW_STATES })).items.map((item) => item.title);
      assert.ok(titles.includes("Secret draft (revised)"));
      assert.ok(!titles.includes("Secret draft"));
      const audit = (await listAudit(store.db, { entity: "observatory" })).items;
      assert.deepEqual(audit[0]?.detail, { format: "csv", table: "policies", institutions: 0, policies: 3, created: 0, updated: 1, unchanged: 2, errors: 0 });
    });

    it("brings formula-like values back exactly, guarded in the file", async () => {
      const text = [
        "id,name,kind,region,sector",
        `a,"=cmd|' /C calc'!A0",government,150,'=already guarded`,
        "b,+31 20 123,regulator,150,@home",
        "c,-minus,academia,150,''-two",
      ].join("\r\n");
      const report = await importCsv(store.db, text, null);
      assert.deepEqual(report.errors, []);
      assert.equal((await getInstitution(store.db, "a"))?.name, "=cmd|' /C calc'!A0");
      assert.equal((await getInstitution(store.db, "a"))?.sector, "=already guarded");
      assert.equal((await getInstitution(store.db, "b"))?.name, "+31 20 123");
      assert.equal((await getInstitution(store.db, "b"))?.sector, "@home");
      assert.equal((await getInstitution(store.db, "c"))?.sector, "'-two");
      const exported = await exportCsv(store.db, "institutions");
      const records = parse<Record<string, string>>(exported, { bom: true, columns: true });
      assert.deepEqual(
        records.map((record) => [record.id, record.name, record.sector]),
        [
          ["a", "'=cmd|' /C calc'!A0", "'=already guarded"],
          ["b", "'+31 20 123", "'@home"],
          ["c", "'-minus", "''-two"],
        ],
      );
      for (const record of records) for (const cell of Object.values(record)) assert.doesNotMatch(cell, /^[=+\-@\t\r]/);
      await importCsv(store.db, exported, null);
      assert.equal((await getInstitution(store.db, "c"))?.sector, "'-two");
      assert.equal((await getInstitution(store.db, "a"))?.name, "=cmd|' /C calc'!A0");
    });

    it("reports each bad row with its line and the field, and imports the good rows", async () => {
      const institutions = [
        "id,name,kind,country,region,globalSouth,sector",
        "ke-ict,Kenya ICT Authority,government,ke,14,yes,ICT", // line 2: region 14 read as 014
        "bad-kind,Ministry,ministry,NL,155,,", // line 3
        'multi,"A name over',
        'two lines",academia,,150,no,', // lines 4-5: a line break in a one-line field (issue 15, finding 8)
        "bad-flag,Flag,academia,,150,maybe,", // line 6
        "short,Short,academia", // line 7
        ",,,,,,", // line 8: empty, skipped
        "bad-region,Region,academia,,Europe,,", // line 9
        "",
      ].join("\r\n");
      const report = await importCsv(store.db, institutions, null);
      assert.equal(report.table, "institutions");
      assert.equal(report.institutions, 1);
      assert.deepEqual(report.errors.map((error) => error.row), [3, 4, 6, 7, 9]);
      const message = (line: number) => report.errors.find((error) => error.row === line)?.message ?? "";
      assert.match(message(3), /^kind: must be one of government, /);
      assert.equal(message(4), "name: must not contain the control character U+000D");
      assert.match(message(6), /^globalSouth: must be true or false/);
      assert.match(message(7), /has 3 cells where the header row has 7/);
      assert.match(message(9), /^region: must be a UN M49 area code/);
      assert.equal((await getInstitution(store.db, "ke-ict"))?.region, "014");
      assert.equal((await getInstitution(store.db, "ke-ict"))?.country, "KE");
      assert.equal((await getInstitution(store.db, "ke-ict"))?.globalSouth, true);
      assert.equal(await getInstitution(store.db, "multi"), undefined);

      // Semicolon-separated, as a French or Spanish Excel saves it: a list cell then needs quotes.
      const policies = [
        "institutionId;title;type;status;standards;categories;evidence;reviewState",
        'ke-ict;Good policy;policy;in-force;"https; hsts";web-hosting;"[""One; quote"",""Two""]";published', // line 2
        'ke-ict;"Quoted title, on one line";guideline;draft;;;"A quote over\r\nthree\r\nlines";', // lines 3-5: good, a quote keeps its line breaks
        "nobody;Orphan;policy;in-force;;;;", // line 6
        "ke-ict;;policy;in-force;;;;", // line 7
        "ke-ict;Made up;policy;in-force;dnssec; made-up;;;", // line 8: too many cells, the ; of an unquoted list
        'ke-ict;Made up;policy;in-force;"dnssec; made-up";;;', // line 9
        'ke-ict;Bad list;policy;in-force;;;"[""unclosed""";', // line 10
      ];
      const policyReport = await importCsv(store.db, `${BOM}${policies.join("\r\n")}`, null, { known: KNOWN });
      assert.equal(policyReport.table, "policies");
      assert.equal(policyReport.policies, 2);
      assert.deepEqual(policyReport.errors.map((error) => error.row), [6, 7, 8, 9, 10]);
      const problem = (line: number) => policyReport.errors.find((error) => error.row === line)?.message ?? "";
      assert.match(problem(6), /institutionId: no institution with id nobody/);
      assert.match(problem(7), /title: must not be empty/);
      assert.match(problem(8), /has 9 cells where the header row has 8/);
      assert.match(problem(9), /standards: "made-up" is not a standard in the catalog/);
      assert.match(problem(10), /evidence: must be entries separated by ";", or a JSON list of strings/);
      const good = (await listPolicies(store.db, { reviewStates: REVIEW_STATES, search: "Good policy" })).items[0];
      assert.deepEqual(good?.standards, ["hsts", "https"]);
      assert.deepEqual(good.evidence, ["One; quote", "Two"]);
      assert.equal(good.reviewState, "published");
      const draft = (await listPolicies(store.db, { reviewStates: REVIEW_STATES, search: "Quoted title" })).items[0];
      assert.equal(draft?.reviewState, "draft", "a blank reviewState is a draft");
      assert.deepEqual(draft.evidence, ["A quote over\r\nthree\r\nlines"]);
      assert.deepEqual(await counts(), { institutions: 1, policies: 2 });
      assert.equal((await store.db.selectFrom("policy_standards").select("policy_id").execute()).length, 2, "nothing of the rejected rows");
    });

    it("imports nothing from a file whose header is unknown, or that is not CSV text", async () => {
      const refuse = async (file: string | Uint8Array, pattern: RegExp, table?: "institutions" | "policies") => {
        await assert.rejects(importCsv(store.db, file, null, table ? { table } : {}), (error: unknown) => {
          assert.ok(error instanceof ValidationError, String(error));
          assert.match(error.message, pattern);
          return true;
        });
      };
      await refuse("colour,size\nred,1\n", /invalid CSV file: the header row names neither institutions/);
      await refuse("id,name,kind,region,colour\nx,X,academia,150,red\n", /unknown column "colour" for institutions; the columns of institutions are id, name, kind/);
      await refuse("id,name,kind\nx,X,academia\n", /missing column "region"/);
      await refuse("name,name,kind,region\nx,X,academia,150\n", /column "name" appears twice/);
      await refuse("name,kind,region\nX,academia,150\n", /unknown column "name" for policies;.*missing column "institutionId"/, "policies");
      await refuse('name,kind,region\n"X,academia,150\n', /not well-formed CSV \(Quote Not Closed/);
      await refuse(new Uint8Array([0x6e, 0x61, 0x6d, 0x65, 0x0a, 0xe9, 0x74, 0xe9]), /not UTF-8 text/);
      await refuse(new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0x01]), /not a text file/);
      await refuse(`${BOM}\r\n`, /the file is empty/);
      await refuse(JSON.stringify({ institutions: [{ name: "X", kind: "academia", region: "150" }] }), /not well-formed CSV/);
      assert.deepEqual(await counts(), { institutions: 0, policies: 0 });
      assert.equal((await listAudit(store.db, {})).total, 0, "no audit entry for a refused file");
      assert.deepEqual(readCsv("name,kind,region\n").rows, [], "a header alone is an empty import");
    });
  });
}
