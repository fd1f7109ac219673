/**
 * A portfolio's results as files for a spreadsheet: CSV (the latest run's
 * domains × categories, one row per domain) and XLSX (the same as the
 * first sheet, with status cells coloured and their words kept, then the
 * adoption per standard over the runs, then the regressions since the run
 * before).
 *
 * Formula injection: a cell starting with = + - @ (an organisation name a
 * user imported, an error a hostile server caused) would run as a formula
 * in a spreadsheet that opens the CSV. Every text cell goes through the
 * store's guardCell, in the XLSX too: its cells are typed strings, but a
 * user who edits one and presses Enter would turn it into a formula.
 *
 * @example
 *   const csv = await portfolioCsv(store.db, portfolio, run);
 *   const xlsx = await portfolioXlsx(store.db, portfolio, run);
 */
import { stringify } from "csv-stringify/sync";
import ExcelJS from "exceljs";
import type { Kysely } from "kysely";
import { STATUS_WORDS } from "../checks/report/labels.ts";
import type { CheckStatus } from "../checks/types.ts";
import { guardCell } from "../store/csv.ts";
import type { Schema } from "../store/schema.ts";
import { MAX_PAGE_SIZE } from "../store/support.ts";
import { adoptionHistory, adoptionKey, domainMatrix, matrixCategories, regressionsSinceLastRun, type MatrixRow } from "./dashboard.ts";
import type { Portfolio } from "./portfolios.ts";
import type { RunRecord } from "./runs.ts";
import { suitesOf } from "./targets.ts";

/** Every row of the run's matrix, read a page at a time (the reports are parsed per page). */
async function* allRows(db: Kysely<Schema>, portfolioId: string, runId: string): AsyncGenerator<MatrixRow> {
  for (let offset = 0; ; offset += MAX_PAGE_SIZE) {
    const page = await domainMatrix(db, portfolioId, runId, { limit: MAX_PAGE_SIZE, offset });
    yield* page.rows;
    if (offset + MAX_PAGE_SIZE >= page.total) return;
  }
}

function matrixHeader(portfolio: Portfolio): string[] {
  const suites = suitesOf(portfolio.suites);
  const categories = matrixCategories(portfolio.suites);
  return ["domain", "organisation", "sector", "region", ...suites.map((suite) => `${suite} score`), ...suites.map((suite) => `${suite} error`), ...categories.flatMap((id) => [`${id} status`, `${id} score`])];
}

function matrixCells(portfolio: Portfolio, row: MatrixRow): (string | number | null)[] {
  const suites = suitesOf(portfolio.suites);
  const of = (suite: string) => row.suites.find((entry) => entry.suite === suite);
  return [
    row.domain,
    row.organisation,
    row.sector,
    row.region,
    ...suites.map((suite) => of(suite)?.score ?? null),
    ...suites.map((suite) => of(suite)?.error ?? null),
    ...matrixCategories(portfolio.suites).flatMap((id) => {
      const cell = row.categories[id];
      return [cell?.status ?? null, cell?.score ?? null];
    }),
  ];
}

const guarded = (value: string | number | null): string | number | null => (typeof value === "string" ? guardCell(value) : value);

/** The latest run's domains × categories as CSV (UTF-8 with a byte order mark, as spreadsheets need to read it as UTF-8). */
export async function portfolioCsv(db: Kysely<Schema>, portfolio: Portfolio, run: RunRecord): Promise<string> {
  const records: (string | number | null)[][] = [matrixHeader(portfolio)];
  for await (const row of allRows(db, portfolio.id, run.id)) records.push(matrixCells(portfolio, row).map(guarded));
  return stringify(records, { bom: true, record_delimiter: "windows" });
}

/** Status cell colours, as the pages show them (light fill, dark text: the word stays readable in print). */
const FILLS: Record<CheckStatus, string> = {
  passed: "FFE3F4E1",
  failed: "FFFDE4E4",
  warning: "FFFFF1D6",
  info: "FFE4F0FB",
  not_tested: "FFF0F0F0",
  error: "FFF6E6F6",
};

/** The workbook: Domains (the matrix), Adoption (per standard and run), Regressions (since the run before). */
export async function portfolioXlsx(db: Kysely<Schema>, portfolio: Portfolio, run: RunRecord): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = "Baseline";
  workbook.created = new Date(run.finishedAt ?? run.createdAt);

  const domains = workbook.addWorksheet("Domains", { views: [{ state: "frozen", xSplit: 1, ySplit: 1 }] });
  const header = matrixHeader(portfolio);
  domains.addRow(header).font = { bold: true };
  const statusColumns = new Set(header.flatMap((name, index) => (name.endsWith(" status") ? [index + 1] : [])));
  for await (const row of allRows(db, portfolio.id, run.id)) {
    const added = domains.addRow(matrixCells(portfolio, row).map(guarded));
    for (const column of statusColumns) {
      const cell = added.getCell(column);
      const status = cell.value as CheckStatus | null;
      if (status && status in FILLS) {
        cell.fill = { type: "pattern", pattern: "solid", fgColor: { argb: FILLS[status] } };
        // The word, not only the colour: "not_tested" reads as "not tested".
        cell.value = STATUS_WORDS[status];
      }
    }
  }
  domains.getColumn(1).width = 32;
  domains.getColumn(2).width = 28;

  // Share of measured domains adopting each standard (0-100), one column per finished run, oldest first.
  const adoption = workbook.addWorksheet("Adoption");
  const history = await adoptionHistory(db, portfolio.id);
  const keys = [...new Set(history.flatMap((entry) => entry.standards.map(adoptionKey)))].sort();
  adoption.addRow(["suite", "standard", ...history.map((entry) => (entry.run.finishedAt ?? entry.run.createdAt).slice(0, 10))]).font = { bold: true };
  for (const key of keys) {
    const [suite = "", standard = ""] = key.split(":");
    const shares = history.map((entry) => entry.standards.find((item) => adoptionKey(item) === key)?.share ?? null);
    adoption.addRow([suite, standard, ...shares]);
  }
  adoption.addRow(["", "mean score", ...history.map((entry) => entry.meanScore)]);
  adoption.getColumn(2).width = 24;

  const regressions = workbook.addWorksheet("Regressions");
  regressions.addRow(["domain", "suite", "test", "standard", "before", "after"]).font = { bold: true };
  const changes = await regressionsSinceLastRun(db, portfolio.id);
  if (changes && changes.latest.id === run.id) {
    for (const change of changes.regressions) regressions.addRow([change.domain, change.suite, change.testId, change.standard, change.before, change.after].map(guarded));
  }
  regressions.getColumn(1).width = 32;
  regressions.getColumn(3).width = 28;

  return Buffer.from(await workbook.xlsx.writeBuffer());
}
