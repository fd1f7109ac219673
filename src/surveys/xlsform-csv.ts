/**
 * An XLSForm written as one CSV file, in pyxform's layout: a row whose first
 * cell holds a sheet name (survey, choices, settings) starts that sheet;
 * the sheet's rows follow with an empty first cell, the first of them being
 * its header:
 *
 *   survey,,,
 *   ,type,name,label
 *   ,text,your_name,What is your name?
 *   choices,,,
 *   ,list_name,name,label
 *
 * Rows are numbered per sheet as a spreadsheet would number them, the
 * header being row 1, so that a message points at the same row whether the
 * form came as .xlsx or .csv. The file must be UTF-8 (a byte order mark is
 * allowed); "=" at the start of a CSV cell is text, not a formula. Commas
 * separate cells, or semicolons when the first line does (`survey;;;`, as
 * Excel saves CSV in much of Europe).
 */
import { parse } from "csv-parse/sync";
import { FormError, formSheetName, MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, oneLineText, type Sheet, type SheetRow } from "./xlsform-common.ts";

export function readCsvSheets(bytes: Uint8Array): Sheet[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new FormError("", null, null, "the CSV file is not UTF-8 text: save it as \"CSV UTF-8\"");
  }
  if (text.includes("\u0000")) throw new FormError("", null, null, "the CSV file holds binary data (NUL bytes), not text");
  let records: string[][];
  try {
    // Excel saves "CSV" with semicolons where the decimal mark is a comma; the first line tells which.
    const delimiter = /^\s*"?[A-Za-z_]+"?\s*;/.test(text) ? ";" : ",";
    const parsed: unknown = parse(text, { delimiter, relax_column_count: true, relax_quotes: false, skip_empty_lines: false });
    records = parsed as string[][];
  } catch (error) {
    throw new FormError("", null, null, `unreadable CSV: ${oneLineText(error instanceof Error ? error.message : String(error))}`);
  }

  const sheets: { name: string; rows: SheetRow[]; headerAt: number | null }[] = [];
  records.forEach((record, index) => {
    const first = (record[0] ?? "").trim();
    const rest = record.slice(1);
    const empty = rest.every((cell) => cell.trim() === "");
    if (first !== "") {
      // A sheet-name row may carry the header on the same line; usually it is the next row.
      sheets.push({ name: first, rows: [], headerAt: empty ? null : index });
      if (!empty) sheets.at(-1)?.rows.push({ number: 1, cells: rest });
      return;
    }
    if (empty) return;
    const sheet = sheets.at(-1);
    if (sheet === undefined) {
      throw new FormError("", index + 1, null, "the CSV file must start with a sheet name (survey) in the first column, as pyxform's CSV layout has it");
    }
    sheet.headerAt ??= index;
    const number = index - sheet.headerAt + 1;
    if (sheet.rows.length >= MAX_SHEET_ROWS) throw new FormError(formSheetName(sheet.name) ?? sheet.name, number, null, `the sheet has more than ${MAX_SHEET_ROWS} rows`);
    if (rest.length > MAX_SHEET_COLUMNS && rest.slice(MAX_SHEET_COLUMNS).some((cell) => cell.trim() !== "")) {
      throw new FormError(formSheetName(sheet.name) ?? sheet.name, number, null, `the sheet has more than ${MAX_SHEET_COLUMNS} columns`);
    }
    sheet.rows.push({ number, cells: rest.slice(0, MAX_SHEET_COLUMNS) });
  });
  const named = sheets.filter((sheet) => formSheetName(sheet.name) !== null);
  const seen = new Set<string>();
  for (const sheet of named) {
    const key = formSheetName(sheet.name) ?? sheet.name;
    if (seen.has(key)) throw new FormError(key, null, null, `the CSV file starts the ${key} sheet twice`);
    seen.add(key);
  }
  return named.map(({ name, rows }) => ({ name, rows }));
}
