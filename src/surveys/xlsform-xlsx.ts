/**
 * An .xlsx XLSForm as plain sheets of text, read with exceljs after the zip
 * bomb guard (xlsform-zip.ts). Only the sheets the form uses (survey,
 * choices, settings) are turned into text; other sheets (notes, lookups)
 * are left alone, whatever they hold.
 *
 * Cells become text as pyxform's reader makes them: whole numbers without
 * a decimal point ("1", not "1.0"), dates as ISO dates, times of day as
 * HH:MM:SS, rich text as its plain text. A formula is refused rather than replaced by its cached
 * result: the result Excel saved may be stale or absent (files written by
 * other tools often have none), and a form whose labels or names come from
 * formulas is not what its author sees.
 */
import ExcelJS from "exceljs";
import { columnLetter, FormError, formSheetName, MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, oneLineText, type Sheet, type SheetRow } from "./xlsform-common.ts";
import { checkZip, isOleFile, isZipFile } from "./xlsform-zip.ts";

export async function readXlsxSheets(bytes: Uint8Array): Promise<Sheet[]> {
  if (isOleFile(bytes)) {
    throw new FormError("", null, null, "a legacy .xls or a password-protected workbook: save it as an .xlsx without a password");
  }
  if (!isZipFile(bytes)) throw new FormError("", null, null, "not an .xlsx file (an .xlsx is a zip archive; this is not one)");
  await checkZip(bytes);
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs's typings ask for its own Buffer type; a Node Buffer over the same bytes is what it reads.
    await workbook.xlsx.load(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as ExcelJS.Buffer);
  } catch (error) {
    throw new FormError("", null, null, `corrupt .xlsx: ${oneLineText(error instanceof Error ? error.message : String(error))}`);
  }
  if (workbook.worksheets.length === 0) throw new FormError("", null, null, "not an .xlsx workbook: the zip holds no worksheets");
  return workbook.worksheets.filter((worksheet) => formSheetName(worksheet.name) !== null).map(sheetOf);
}

function sheetOf(worksheet: ExcelJS.Worksheet): Sheet {
  const name = worksheet.name;
  const rows: SheetRow[] = [];
  let header: readonly string[] | null = null;
  worksheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    if (rows.length >= MAX_SHEET_ROWS) throw new FormError(formSheetName(name) ?? name, rowNumber, null, `the sheet has more than ${MAX_SHEET_ROWS} rows`);
    const cells: string[] = [];
    row.eachCell({ includeEmpty: false }, (cell, columnNumber) => {
      const index = columnNumber - 1;
      const column = header?.[index] || columnLetter(index);
      const text = cellText(cell, () => new FormError(formSheetName(name) ?? name, rowNumber, column, ""));
      if (text === "") return;
      if (index >= MAX_SHEET_COLUMNS) throw new FormError(formSheetName(name) ?? name, rowNumber, column, `the sheet has more than ${MAX_SHEET_COLUMNS} columns`);
      while (cells.length < index) cells.push("");
      cells[index] = text;
    });
    if (cells.length === 0) return;
    rows.push({ number: rowNumber, cells });
    header ??= cells.map((cell) => cell.trim());
  });
  return { name, rows };
}

/** The text of a cell as pyxform would read it; a formula or an error value is refused with the place `at()` names. */
function cellText(cell: ExcelJS.Cell, at: () => FormError): string {
  const refuse = (message: string): never => {
    const where = at();
    throw new FormError(where.sheet, where.row, where.column, message);
  };
  if (cell.type === ExcelJS.ValueType.Merge) return "";
  if (cell.type === ExcelJS.ValueType.Formula || cell.formula) {
    const formula = cell.formula || "";
    return refuse(`the cell holds a formula${formula ? ` (=${oneLineText(formula).slice(0, 60)})` : ""}: replace it by its value (Paste Special, Values)`);
  }
  const value = cell.value;
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return numberText(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof Date) {
    // exceljs turns every number in a date-formatted cell into a Date: past Date's range, it is lost.
    if (Number.isNaN(value.getTime())) {
      return refuse("the cell holds a number formatted as a date that no calendar reaches (a version such as 2024120701?): format the cell as a number or as text");
    }
    return dateText(value);
  }
  if (typeof value === "object") {
    if ("richText" in value && Array.isArray(value.richText)) return value.richText.map((part) => part.text).join("");
    if ("error" in value) return refuse(`the cell holds an error value (${value.error})`);
    if ("text" in value) {
      const text: unknown = value.text;
      if (typeof text === "string") return text;
      if (typeof text === "object" && text !== null && "richText" in text && Array.isArray(text.richText)) {
        return (text.richText as { text: string }[]).map((part) => part.text).join("");
      }
    }
    if ("formula" in value || "sharedFormula" in value) return refuse("the cell holds a formula: replace it by its value (Paste Special, Values)");
  }
  return refuse("the cell holds a value that is not text, a number, a date or a boolean");
}

/** Excel's day 0 (1899-12-30) as days before 1970-01-01, which exceljs counts dates from. */
const EXCEL_EPOCH_DAYS = 25_569;

/** Whole numbers without ".0", as pyxform prints them (a choice named 1 is "1"). */
function numberText(value: number): string {
  return Number.isInteger(value) ? value.toFixed(0) : String(value);
}

/**
 * A date cell as an ISO date, with its time only when it has one (exceljs
 * gives dates as UTC); a time of day alone (Excel's day 0, 1899-12-30) as
 * HH:MM:SS, which a time question's default takes.
 */
function dateText(date: Date): string {
  if (Number.isNaN(date.getTime())) return "";
  if (date.getUTCFullYear() > 9999) {
    // A number formatted as a date (a version such as 20241207): the number typed, as Excel's day count.
    const serial = date.getTime() / 86_400_000 + EXCEL_EPOCH_DAYS;
    return Math.abs(serial - Math.round(serial)) < 1e-6 ? numberText(Math.round(serial)) : String(serial);
  }
  const iso = date.toISOString();
  if (iso.startsWith("1899-12-30T")) return iso.slice(11, 19);
  return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso.replace(/\.000Z$/, "").replace("T", " ");
}
