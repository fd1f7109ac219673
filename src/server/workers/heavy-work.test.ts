/**
 * The web app's heavy store work (issue 15, finding 6) as the server runs
 * it: imports and export builds in worker threads on a connection of their
 * own, on SQLite (a file) and PostgreSQL (a schema of this file's own,
 * skipped when no server answers), and exports read a page at a time and
 * written as chunks: the same text as the whole, within a worker heap much
 * smaller than the export, and served to every reader as the same chunks.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { createInstitution, exportCsv, exportObservatory, knownIdsOf, REVIEW_STATES, writeExportCsv, writeExportJson } from "../../store/index.ts";
import { insertBulkInstitutions, openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { streamOf } from "../export-cache.ts";
import { seedIfEmpty } from "../seed.ts";
import { ExportBytesWriter, type ExportBytes } from "./export-bytes.ts";
import { HeavyWork, WorkLimitError } from "./heavy-work.ts";

const catalog = loadCatalog();
const decoded = (bytes: ExportBytes): string => Buffer.concat(bytes.chunks).toString("utf8");

for (const dialect of TEST_DIALECTS) {
  describe(`paged export on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    before(async () => {
      store = await openTestStore(dialect, { name: "paged_export" });
      await seedIfEmpty(store, catalog);
      // Straight into the table, as values saved before the fields refused them: a bell, and a formula.
      await insertBulkInstitutions(store.db, 7, { namePrefix: "=HYPERLINK(1)\u0007 Ministry", idPrefix: "zz-odd-" });
    });
    after(() => store.close());

    it("finding 6: the JSON export written three records a page is the very text of the whole", async () => {
      const pieces: string[] = [];
      await writeExportJson(store.db, { reviewStates: REVIEW_STATES, pageRows: 3 }, (text) => void pieces.push(text));
      const text = pieces.join("");
      const { exportedAt } = JSON.parse(text) as { exportedAt: string };
      const whole = await exportObservatory(store.db, { reviewStates: REVIEW_STATES });
      assert.ok(whole.institutions.length > 7 && whole.policies.length > 3, "pages of three cover several pages of each table");
      assert.equal(text, JSON.stringify({ ...whole, exportedAt }));
      assert.ok(!text.includes("\\u0007"), "control characters dropped");
      assert.equal(new Set(whole.institutions.map((institution) => institution.id)).size, whole.institutions.length, "no record twice across pages");
    });

    it("finding 6: both CSV exports written three records a page are the very text of the whole (BOM, CRLF, formula guard)", async () => {
      for (const table of ["institutions", "policies"] as const) {
        const pieces: string[] = [];
        await writeExportCsv(store.db, table, { reviewStates: REVIEW_STATES, pageRows: 3 }, (text) => void pieces.push(text));
        const text = pieces.join("");
        assert.equal(text, await exportCsv(store.db, table, { reviewStates: REVIEW_STATES }));
        assert.ok(text.startsWith("\uFEFFid,") && text.endsWith("\r\n"), table);
        assert.equal(text.split("\r\n").length - 2, table === "institutions" ? (await exportObservatory(store.db)).institutions.length : (await exportObservatory(store.db, { reviewStates: REVIEW_STATES })).policies.length);
      }
      const institutions = await exportCsv(store.db, "institutions");
      assert.match(institutions, /\r\nzz-odd-0001,'=HYPERLINK\(1\) Ministry 0001,/);
    });
  });
}

describe("export bytes", () => {
  it("finding 6: every reader's stream hands over the cached chunks themselves, not copies", async () => {
    const writer = new ExportBytesWriter();
    for (let n = 0; n < 5000; n++) writer.write(`{"n":${n},"text":"${"é".repeat(300)}"},`);
    const bytes = writer.finish();
    assert.ok(bytes.chunks.length > 1, "more than one chunk");
    assert.equal(bytes.byteLength, bytes.chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
    for (let reader = 0; reader < 2; reader++) {
      const seen: Uint8Array[] = [];
      for await (const chunk of streamOf(bytes)) seen.push(chunk);
      assert.equal(seen.length, bytes.chunks.length);
      assert.ok(seen.every((chunk, index) => chunk === bytes.chunks[index]));
    }
    assert.ok(decoded(bytes).startsWith(`{"n":0,"text":"é`));
  });
});

describe("a large export in a worker thread (SQLite file)", () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore("sqlite", { name: "large_export", file: true });
    // About 30 MiB of JSON: built as objects, then one string, then bytes, it needed several times that in the worker's heap.
    for (let batch = 0; batch < 40; batch++) await insertBulkInstitutions(store.db, 3000, { namePrefix: `Institution of the heap-bounded export benchmark, batch ${batch}, with a long name` });
  });
  after(() => store.close());

  it("finding 6: a 30 MiB JSON export builds in a worker whose heap is capped at 48 MB", async () => {
    const work = new HeavyWork({ database: { url: store.url }, maxHeapMb: 48 });
    assert.ok(work.inWorkers);
    let bytes: ExportBytes;
    try {
      bytes = await work.run(store.db, { kind: "export", format: "json", reviewStates: ["published"] }, "json");
    } catch (error) {
      assert.fail(error instanceof WorkLimitError ? `the build needed more than its heap: ${error.message}` : String(error));
    }
    assert.ok(bytes.byteLength > 30 * 1024 * 1024, `${bytes.byteLength} bytes`);
    const data = JSON.parse(decoded(bytes)) as { institutions: unknown[] };
    assert.equal(data.institutions.length, 120_000);
  });
});

describe("an import in a worker thread beside the server's own writes (SQLite file)", () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore("sqlite", { name: "import_yield", file: true });
  });
  after(() => store.close());

  it("finding 6: the import steps aside for a write of the server's thread, which goes through at once", async () => {
    const work = new HeavyWork({ database: { url: store.url } });
    // Several seconds of import: longer than SQLite's 5 s busy timeout on a loaded machine is not needed, only longer than the wait below.
    const lines = ["name,kind,region", ...Array.from({ length: 40_000 }, (_, n) => `Agency stepping aside ${n},government,155`)];
    const job = { kind: "import" as const, bytes: new TextEncoder().encode(lines.join("\n")), fileName: "agencies.csv", fileType: "text/csv", actorId: null, known: knownIdsOf(catalog) };
    let done = false;
    const importing = work.run(store.db, job, "importer").finally(() => (done = true));
    // Wait until the worker is writing (its rows become visible only at its commits, so watch the clock instead).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const waits: number[] = [];
    for (let n = 0; n < 5; n++) {
      const started = performance.now();
      // The server thread's write: before, it waited the busy timeout (the event loop stopped) and failed, "database is locked".
      await createInstitution(store.db, { name: `Written during the import ${n}`, kind: "academia", region: "150" }, null);
      waits.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stillImporting = !done;
    const outcome = await importing;
    assert.ok(Math.max(...waits) < 500, `the server's writes waited ${waits.map((ms) => ms.toFixed(0)).join(", ")} ms`);
    assert.ok(stillImporting, "the writes came while the import ran");
    assert.ok("report" in outcome && outcome.report.imported === 40_000 && outcome.report.errors.length === 0, JSON.stringify(outcome).slice(0, 300));
  });
});

describe("import and export in worker threads on PostgreSQL", { skip: await skipReason("postgres") }, () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore("postgres", { name: "heavy_work" });
    await seedIfEmpty(store, catalog);
  });
  after(() => store.close());

  it("finding 6: a CSV import and the JSON and CSV exports run in worker threads on PostgreSQL", async () => {
    const work = new HeavyWork({ database: store.connection });
    assert.ok(work.inWorkers, "the jobs run in worker threads, not in-process");
    const lines = ["name,kind,country,region,globalSouth,sector"];
    for (let n = 0; n < 300; n++) lines.push(`Worker-imported agency ${n},regulator,FR,155,false,=SUM(1)`);
    lines.push("Bad row,not-a-kind,FR,155,false,");
    const outcome = await work.run(
      store.db,
      { kind: "import", bytes: new TextEncoder().encode(lines.join("\r\n")), fileName: "agencies.csv", fileType: "text/csv", actorId: null, known: knownIdsOf(catalog) },
      "importer",
    );
    assert.ok("report" in outcome, JSON.stringify(outcome));
    assert.equal(outcome.format, "csv");
    assert.equal(outcome.report.institutions, 300);
    assert.deepEqual(outcome.report.errors.map((error) => error.row), [302]);
    // Written by the worker's connection, seen by the server's (PostgreSQL counts as bigint, given as text).
    assert.equal((await store.db.selectFrom("institutions").select((eb) => eb.fn.countAll<number | string>().as("n")).where("name", "like", "Worker-imported agency %").executeTakeFirstOrThrow()).n, "300");

    const json = await work.run(store.db, { kind: "export", format: "json", reviewStates: ["published"] }, "json");
    const data = JSON.parse(decoded(json)) as { formatVersion: number; institutions: { name: string; sector: string | null }[]; policies: unknown[] };
    const whole = await exportObservatory(store.db);
    assert.equal(data.formatVersion, 1);
    assert.deepEqual(data.institutions, whole.institutions);
    assert.deepEqual(data.policies, whole.policies);
    assert.equal(data.institutions.filter((institution) => institution.name.startsWith("Worker-imported agency ")).length, 300);

    const csv = decoded(await work.run(store.db, { kind: "export", format: "institutions.csv", reviewStates: ["published"] }, "csv"));
    assert.equal(csv, await exportCsv(store.db, "institutions"));
    assert.match(csv, /,Worker-imported agency 0,regulator,FR,155,false,'=SUM\(1\),/);
    const policies = decoded(await work.run(store.db, { kind: "export", format: "policies.csv", reviewStates: ["published"] }, "csv"));
    assert.equal(policies, await exportCsv(store.db, "policies"));
  });
});
