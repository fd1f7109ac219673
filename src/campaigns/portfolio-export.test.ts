// The exports of a portfolio with two runs: the CSV's header and rows, a
// formula-like organisation guarded, and the XLSX read back with exceljs
// (three sheets, status words with their fill, adoption per run,
// the regressions).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import ExcelJS from "exceljs";
import { parse } from "csv-parse/sync";
import { openTestStore, type TestStore } from "../store/test-databases.ts";
import { latestRuns } from "./dashboard.ts";
import { portfolioCsv, portfolioXlsx } from "./portfolio-export.ts";
import { stubReport } from "./portfolio-test-support.ts";
import { addPortfolioDomains, createPortfolio, type Portfolio } from "./portfolios.ts";
import { createRun, finishRunIfComplete, recordResult, type RunRecord } from "./runs.ts";

describe("portfolio exports", () => {
  let store: TestStore;
  let portfolio: Portfolio;
  let latest: RunRecord;

  before(async () => {
    store = await openTestStore("sqlite", { name: "portfolio_export_test" });
    portfolio = await createPortfolio(store.db, { name: "Export", suites: "web" }, null);
    await addPortfolioDomains(store.db, portfolio.id, [{ domain: "a.example", organisation: '=HYPERLINK("http://evil.example","x")' }, { domain: "b.example", organisation: "B", sector: "health" }], null);
    const targets = ["a.example", "b.example"].map((domain) => ({ domain, suite: "web" as const }));
    for (const [slot, hsts] of [["2026-12-01T02:00:00.000Z", "passed"], ["2026-12-08T02:00:00.000Z", "failed"]] as const) {
      const { run } = await createRun(store.db, { subjectKind: "portfolio", subjectId: portfolio.id, slot, targets, now: new Date(slot) });
      await recordResult(store.db, { runId: run.id, domain: "a.example", suite: "web", report: stubReport("a.example", "web", { "web.hsts": hsts }) });
      await recordResult(store.db, { runId: run.id, domain: "b.example", suite: "web", report: stubReport("b.example", "web") });
      await finishRunIfComplete(store.db, run.id, new Date(slot));
    }
    const runs = await latestRuns(store.db, portfolio.id);
    assert.ok(runs.latest);
    latest = runs.latest;
  });
  after(() => store.close());

  it("writes the latest run's matrix as CSV, formulas guarded", async () => {
    const csv = await portfolioCsv(store.db, portfolio, latest);
    assert.ok(csv.startsWith("\uFEFF"), "a byte order mark, for spreadsheets");
    const rows: string[][] = parse(csv, { bom: true });
    assert.equal(rows.length, 3);
    const [header, a, b] = rows;
    assert.ok(header && a && b);
    assert.deepEqual(header.slice(0, 7), ["domain", "organisation", "sector", "region", "web score", "web error", "web.ipv6 status"]);
    assert.equal(a[1], `'=HYPERLINK("http://evil.example","x")`);
    const https = header.indexOf("web.https status");
    assert.equal(a[https], "failed");
    assert.equal(b[https], "passed");
    assert.equal(b[2], "health");
  });

  it("writes a workbook of domains, adoption and regressions", async () => {
    const bytes = await portfolioXlsx(store.db, portfolio, latest);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
    assert.deepEqual(workbook.worksheets.map((sheet) => sheet.name), ["Domains", "Adoption", "Regressions"]);
    const domains = workbook.getWorksheet("Domains");
    assert.ok(domains);
    const header = (domains.getRow(1).values as unknown[]).slice(1);
    const https = header.indexOf("web.https status") + 1;
    const cell = domains.getRow(2).getCell(https);
    assert.equal(cell.value, "failed");
    assert.deepEqual(cell.fill, { type: "pattern", pattern: "solid", fgColor: { argb: "FFFDE4E4" } });
    assert.equal(domains.getRow(2).getCell(2).value, `'=HYPERLINK("http://evil.example","x")`, "a string, guarded, never a formula");
    assert.equal(domains.getRow(2).getCell(2).formula, undefined);
    const adoption = workbook.getWorksheet("Adoption");
    assert.ok(adoption);
    assert.deepEqual((adoption.getRow(1).values as unknown[]).slice(1), ["suite", "standard", "2026-12-01", "2026-12-08"]);
    const hsts = adoption.getRows(2, adoption.rowCount - 1)?.find((row) => row.getCell(2).value === "hsts");
    assert.deepEqual([hsts?.getCell(3).value, hsts?.getCell(4).value], [100, 50]);
    const regressions = workbook.getWorksheet("Regressions");
    assert.ok(regressions);
    assert.deepEqual((regressions.getRow(2).values as unknown[]).slice(1), ["a.example", "web", "web.hsts", "hsts", "passed", "failed"]);
  });
});
