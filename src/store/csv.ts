/**
 * The observatory's institutions and policies as CSV files, one file per
 * table, for spreadsheets: export, and import through the same per-row
 * checks, savepoints, replace-by-id and audit entry as the JSON import
 * (exchange.ts). The mapping of fields to cells is all this module adds.
 *
 * The format:
 * - RFC 4180 CSV, comma-separated, CRLF between records, UTF-8 with a byte
 *   order mark (without one, Excel reads UTF-8 as the local code page and
 *   "Société" comes out garbled). The importer strips a BOM if there is one,
 *   and also reads semicolon-separated files (what Excel saves where the
 *   decimal separator is a comma): the header row tells which.
 * - One header row of the JSON field names, in {@link CSV_COLUMNS} order,
 *   then one row per record. Policies carry `institutionName` too, for
 *   reading; the importer ignores it. Columns may come in any order and the
 *   optional ones may be left out (they take the same defaults as a JSON
 *   field left out); an unknown column refuses the whole file.
 * - Booleans are `true` / `false` (read in any case, and yes/no, 1/0); an
 *   empty cell is null, or the default for booleans, lists, `id` (a new
 *   record), `reviewState` (draft) and the times.
 * - Lists (tags, standards, categories, evidence quotes) are their entries
 *   joined with "; ". A list with an entry that contains ";" or starts with
 *   "[" is written as a JSON array instead (`["a; b","c"]`), so that
 *   nothing is split or merged on the way back; the importer reads a cell
 *   that starts with "[" as such an array. Someone typing a list in a
 *   spreadsheet writes "dnssec; https" and needs JSON only for such entries.
 * - A cell that a spreadsheet would run as a formula (starting with = + - @
 *   tab or carriage return) is written with a leading apostrophe, which the
 *   importer removes again; see {@link guardCell}.
 * - Import reports a bad row with the line it starts on (the header is
 *   line 1; a quoted cell may span lines) and the store's message.
 *
 * @example
 *   const text = await exportCsv(db, "policies", { reviewStates: ["published"] });
 *   const report = await importCsv(otherDb, text, user.id, { known: knownIdsOf(catalog) });
 *   // { table: "policies", imported: 29, institutions: 0, policies: 29, errors: [{ table: "policies", row: 7, message: "title: must not be empty" }] }
 */
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import type { Kysely } from "kysely";
import { z } from "zod";
import { importRows, inExportSnapshot, institutionPages, policyPages, type ExportPaging, type ImportOptions, type ImportReport, type ImportRow } from "./exchange.ts";
import { PUBLIC_REVIEW_STATES } from "./policies.ts";
import { cachedRead } from "./read-cache.ts";
import { FIELD_MESSAGES, type Institution, type Policy } from "./records.ts";
import type { ReviewState, Schema } from "./schema.ts";
import { ValidationError, describeError } from "./support.ts";

export type CsvTable = "institutions" | "policies";

/** How a column's cell becomes a field of the imported row. */
type CellKind =
  /** The text as it is: the store's schema trims it and turns blank optional fields into null. */
  | "text"
  /** Left out of the row when blank, so that the field takes its default. */
  | "optional"
  | "boolean"
  | "list"
  /** A region code, its leading zeros restored. */
  | "region"
  /** Written for people reading the file; not a field of the record. */
  | "ignored";

const INSTITUTION_CELLS = {
  id: "optional",
  name: "text",
  kind: "text",
  country: "text",
  region: "region",
  globalSouth: "boolean",
  sector: "text",
  createdAt: "optional",
  updatedAt: "optional",
} as const satisfies Partial<Record<keyof Institution, CellKind>>;

type PolicyCsvRecord = Policy & { institutionName: string };

const POLICY_CELLS = {
  id: "optional",
  institutionId: "text",
  institutionName: "ignored",
  title: "text",
  type: "text",
  status: "text",
  adoptedOn: "text",
  sourceUrl: "text",
  language: "text",
  coversInternet: "boolean",
  securityText: "text",
  securityTags: "list",
  citesStandards: "boolean",
  standards: "list",
  otherStandards: "text",
  categories: "list",
  evidence: "list",
  bestPracticeTags: "list",
  barrierTags: "list",
  globalSouthTags: "list",
  reviewState: "optional",
  reviewedBy: "text",
  createdAt: "optional",
  updatedAt: "optional",
} as const satisfies Partial<Record<keyof PolicyCsvRecord, CellKind>>;

type InstitutionColumn = keyof typeof INSTITUTION_CELLS;
type PolicyColumn = keyof typeof POLICY_CELLS;

const CELLS: Record<CsvTable, Readonly<Record<string, CellKind>>> = { institutions: INSTITUTION_CELLS, policies: POLICY_CELLS };

/** The header row of each file, in the order the export writes it. */
export const CSV_COLUMNS = {
  institutions: Object.keys(INSTITUTION_CELLS) as InstitutionColumn[],
  policies: Object.keys(POLICY_CELLS) as PolicyColumn[],
} as const;

/** The columns an import file must have: the required fields of each record. */
const REQUIRED_COLUMNS: Record<CsvTable, readonly string[]> = {
  institutions: ["name", "kind", "region"],
  policies: ["institutionId", "title", "type", "status"],
};

// ---- cells ----

/**
 * Spreadsheets run a cell that starts with = + - or @ as a formula (and
 * some skip a leading tab or carriage return first), so an exported title
 * such as `=HYPERLINK("http://evil.example", "click")` would run on the
 * reader's machine: CSV (formula) injection. csv-stringify has no option
 * for it, so every exported cell passes here: such a cell gets a leading
 * apostrophe, which spreadsheets show as text. A cell that already starts
 * with apostrophes before such a character gets one more, so that
 * {@link unguardCell} can remove exactly the one added, and every value
 * comes back as it was.
 */
export function guardCell(value: string): string {
  return /^'*[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Undoes {@link guardCell}: removes the one apostrophe it added, and nothing else. */
export function unguardCell(value: string): string {
  return /^'+[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
}

type CellValue = string | boolean | null | readonly string[];

function formatCell(value: CellValue): string {
  if (value === null) return "";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "string") return value;
  // An entry with ";" would come back as two, one starting with "[" would be read as JSON: such lists are JSON.
  return value.some((item) => item.includes(";") || item.startsWith("[")) ? JSON.stringify(value) : value.join("; ");
}

function cellsOf<K extends string>(record: Readonly<Record<K, CellValue>>, columns: readonly K[]): string[] {
  return columns.map((column) => guardCell(formatCell(record[column])));
}

function csvRecords(rows: string[][]): string {
  return stringify(rows, { record_delimiter: "windows" });
}

const BOOLEANS = new Map([
  ["true", true],
  ["yes", true],
  ["1", true],
  ["false", false],
  ["no", false],
  ["0", false],
]);

const stringList = z.array(z.string());
/**
 * What this module says of a file or a cell, in English, named (as the
 * store's FIELD_MESSAGES) so that the web app can show it in the visitor's
 * language (server/issue-messages.ts).
 */
export const CSV_MESSAGES = {
  list: 'must be entries separated by ";", or a JSON list of strings',
  notUtf8: 'not UTF-8 text (in a spreadsheet, save it as "CSV UTF-8")',
  notText: 'not a text file in UTF-8 (in a spreadsheet, save it as "CSV UTF-8")',
  empty: "the file is empty",
} as const;

/** The messages with values in them; each takes its values as text, so that a pattern can be made of it. */
export const csvMessage = {
  cellCount: (cells: number | string, header: number | string) => `has ${cells} cells where the header row has ${header} (a missing or extra separator?)`,
  malformed: (reason: string) => `not well-formed CSV (${reason})`,
  noTable: (institutions: string, policies: string) =>
    `the header row names neither institutions (${institutions}, ...) nor policies (${policies}, ...): export a file from the observatory to see the columns`,
  unnamedColumn: (position: number | string) => `column ${position} of the header row has no name`,
  unknownColumn: (column: string, table: string) => `unknown column "${column}" for ${table}`,
  duplicateColumn: (column: string) => `column "${column}" appears twice`,
  missingColumn: (column: string) => `missing column "${column}"`,
  columnsAre: (table: string, columns: string) => `the columns of ${table} are ${columns}`,
} as const;

function readList(cell: string): string[] | undefined {
  const text = cell.trim();
  if (text === "") return [];
  if (!text.startsWith("[")) {
    return text
      .split(";")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }
  try {
    const parsed = stringList.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** One data row as the record the store's import expects, or the problems with its cells. */
function rowOf(table: CsvTable, header: readonly string[], cells: readonly string[]): { value: Record<string, unknown> } | { error: string } {
  if (cells.length !== header.length) return { error: csvMessage.cellCount(cells.length, header.length) };
  const kinds = CELLS[table];
  const value: Record<string, unknown> = {};
  const problems: string[] = [];
  header.forEach((column, index) => {
    const cell = unguardCell(cells[index] ?? "");
    switch (kinds[column]) {
      case "text":
        value[column] = cell;
        break;
      case "optional":
        if (cell.trim() !== "") value[column] = cell;
        break;
      case "region":
        // Spreadsheets read 001 (World) or 014 (Eastern Africa) as numbers and save 1 and 14.
        value[column] = /^\s*\d{1,2}\s*$/.test(cell) ? cell.trim().padStart(3, "0") : cell;
        break;
      case "boolean": {
        if (cell.trim() === "") break;
        const flag = BOOLEANS.get(cell.trim().toLowerCase());
        if (flag === undefined) problems.push(`${column}: ${FIELD_MESSAGES.boolean}`);
        else value[column] = flag;
        break;
      }
      case "list": {
        const list = readList(cell);
        if (list === undefined) problems.push(`${column}: ${CSV_MESSAGES.list}`);
        else value[column] = list;
        break;
      }
      case "ignored":
      case undefined:
        break;
    }
  });
  return problems.length > 0 ? { error: problems.join("; ") } : { value };
}

// ---- export ----

/**
 * One table as CSV text (with its BOM): every institution, or the policies
 * in `reviewStates` (published only unless told otherwise), ordered by id.
 */
export async function exportCsv(
  db: Kysely<Schema>,
  table: CsvTable,
  options: { reviewStates?: readonly ReviewState[] } = {},
): Promise<string> {
  // Kept under the data revision (read-cache.ts): the file is the same until something changes.
  const states = options.reviewStates ?? PUBLIC_REVIEW_STATES;
  return cachedRead(db, "export", `csv:${table}:${JSON.stringify(states)}`, async () => {
    const pieces: string[] = [];
    await writeExportCsv(db, table, { reviewStates: states }, (text) => void pieces.push(text));
    return pieces.join("");
  });
}

/**
 * The same text as {@link exportCsv}, in pieces given to `write` as they are
 * made: a page of records is read, laid out as cells and written before the
 * next is read, so that a table of any size costs one page at a time.
 */
export async function writeExportCsv(
  db: Kysely<Schema>,
  table: CsvTable,
  options: ExportPaging,
  write: (text: string) => void | Promise<void>,
): Promise<void> {
  const states = options.reviewStates ?? PUBLIC_REVIEW_STATES;
  // csv-stringify ends every record with the delimiter, so pages written one after the other make the whole file.
  await write(stringify([[...CSV_COLUMNS[table]]], { bom: true, record_delimiter: "windows" }));
  await inExportSnapshot(db, async (snapshot) => {
    if (table === "institutions") {
      for await (const page of institutionPages(snapshot, options.pageRows)) await write(csvRecords(page.map((institution) => cellsOf(institution, CSV_COLUMNS.institutions))));
      return;
    }
    for await (const page of policyPages(snapshot, states, options.pageRows)) {
      const records = page.map(({ policy, institutionName }): PolicyCsvRecord => ({ ...policy, institutionName }));
      await write(csvRecords(records.map((record) => cellsOf(record, CSV_COLUMNS.policies))));
    }
  });
}

// ---- import ----

export interface CsvImportReport extends ImportReport {
  /** Which table the file held. */
  table: CsvTable;
}

/** A problem with the file as a whole: nothing of it is imported. */
function fileError(message: string): ValidationError {
  return new ValidationError("CSV file", [{ path: "", message }]);
}

/**
 * Reads a CSV file (bytes, which must be UTF-8, or text) into the rows to
 * import: of `table`, or of the table its header row names. Throws a
 * ValidationError when the file as a whole cannot be read: not UTF-8 text,
 * not well-formed CSV, or a header row that is not of the table.
 */
export function readCsv(file: string | Uint8Array, table?: CsvTable): { table: CsvTable; rows: ImportRow[] } {
  let bytes: Buffer;
  if (typeof file === "string") {
    bytes = Buffer.from(file, "utf8");
  } else {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(file);
    } catch {
      throw fileError(CSV_MESSAGES.notUtf8);
    }
    bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  }
  // UTF-16 text (Excel's "Unicode text") passes as UTF-8 byte by byte, with a
  // NUL in every other byte: that is the whole file's problem. A stray NUL in
  // a cell is its row's, which the store's checks name with row and field.
  if (nulBytes(bytes) * 10 > bytes.length) throw fileError(CSV_MESSAGES.notText);
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  if (text.trim() === "") throw fileError(CSV_MESSAGES.empty);
  // The header names hold neither separator, so whichever its first line has is the file's.
  const firstLine = text.split(/\r\n|\r|\n/, 1)[0] ?? "";
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ";" : ",";

  const ends: number[] = [];
  let records: string[][];
  try {
    records = parse(bytes, {
      bom: true,
      delimiter,
      relax_column_count: true,
      // Where each record ends, to tell the line each starts on: csv-parse's own line count
      // goes wrong after a quoted cell with CRLF line breaks.
      on_record: (record, context) => {
        ends.push(context.bytes);
        return record;
      },
    });
  } catch (error) {
    throw fileError(csvMessage.malformed(describeError(error)));
  }

  const [headerCells, ...dataRecords] = records;
  const header = (headerCells ?? []).map((cell) => unguardCell(cell).trim());
  const chosen = table ?? detectTable(header);
  checkHeader(chosen, header);

  const rows: ImportRow[] = [];
  let line = 1;
  let position = 0;
  dataRecords.forEach((cells, index) => {
    // Data record `index` starts where record `index` (counting the header) ended.
    const start = ends[index] ?? bytes.length;
    line += lineBreaks(bytes, position, start);
    position = start;
    // Blank lines, and the rows of empty cells spreadsheets leave below the data.
    if (cells.every((cell) => cell.trim() === "")) return;
    rows.push({ table: chosen, row: line, ...rowOf(chosen, header, cells) });
  });
  return { table: chosen, rows };
}

function nulBytes(bytes: Buffer): number {
  let count = 0;
  for (let index = bytes.indexOf(0); index >= 0; index = bytes.indexOf(0, index + 1)) count++;
  return count;
}

/** Line breaks (CRLF, LF or CR) in bytes[from, to); UTF-8 never has these bytes inside a character. */
function lineBreaks(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  for (let index = from; index < to; index++) {
    const byte = bytes[index];
    if (byte === 0x0a || (byte === 0x0d && bytes[index + 1] !== 0x0a)) count++;
  }
  return count;
}

function detectTable(header: readonly string[]): CsvTable {
  if (header.includes("title") || header.includes("institutionId")) return "policies";
  if (header.includes("name") || header.includes("kind")) return "institutions";
  throw fileError(csvMessage.noTable(REQUIRED_COLUMNS.institutions.join(", "), REQUIRED_COLUMNS.policies.join(", ")));
}

function checkHeader(table: CsvTable, header: readonly string[]): void {
  const known = CELLS[table];
  const problems: string[] = [];
  header.forEach((column, index) => {
    if (column === "") problems.push(csvMessage.unnamedColumn(index + 1));
    else if (!Object.hasOwn(known, column)) problems.push(csvMessage.unknownColumn(column, table));
    else if (header.indexOf(column) !== index) problems.push(csvMessage.duplicateColumn(column));
  });
  for (const column of REQUIRED_COLUMNS[table]) if (!header.includes(column)) problems.push(csvMessage.missingColumn(column));
  if (problems.length > 0) {
    throw new ValidationError(
      "CSV file",
      [...problems, csvMessage.columnsAre(table, CSV_COLUMNS[table].join(", "))].map((message) => ({ path: "", message })),
    );
  }
}

/**
 * Imports a CSV file of institutions or policies (see {@link readCsv}) in
 * one transaction, like {@link importRows}: each bad row is reported with
 * its line and nothing of it is written, the good rows are imported, a row
 * whose id exists replaces that record. The audit entry says it was CSV.
 * `db` must not already be a transaction.
 */
export async function importCsv(
  db: Kysely<Schema>,
  file: string | Uint8Array,
  actorId: string | null,
  options: ImportOptions & { table?: CsvTable } = {},
): Promise<CsvImportReport> {
  const { table, rows } = readCsv(file, options.table);
  const report = await importRows(db, rows, actorId, { known: options.known, yieldTo: options.yieldTo, auditDetail: { format: "csv", table } });
  return { table, ...report };
}
