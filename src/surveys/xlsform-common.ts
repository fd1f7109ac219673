/**
 * What the XLSForm reader's parts share: the error that names a sheet, row
 * and column (FormError), its one-line form for the CLI and the web, the
 * size limit, and the plain table that the .xlsx and .csv readers both
 * produce, so that xlsform.ts reads one shape whatever the file was.
 */

/** Largest XLSForm accepted, .xlsx or .csv: real forms are tens of kilobytes. */
export const MAX_FORM_BYTES = 5 * 1024 * 1024;

/**
 * A form Baseline cannot take. `sheet` is "survey", "choices" or
 * "settings" ("" for the file as a whole); `row` the sheet's row (1-based,
 * as a spreadsheet numbers it) or null; `column` the column's header as
 * written (or its letter when it has none) or null.
 */
export class FormError extends Error {
  override name = "FormError";
  /** Further errors found in the same pass, in sheet order (the reader reports them all, this one first). */
  others: FormError[] = [];

  readonly sheet: string;
  readonly row: number | null;
  readonly column: string | null;

  constructor(sheet: string, row: number | null, column: string | null, message: string) {
    super(message);
    this.sheet = sheet;
    this.row = row;
    this.column = column;
  }
}

/** `FILE: sheet ROW, column: message`, the parts that are null left out. */
export function formErrorLine(fileName: string, error: FormError): string {
  const where = [error.sheet, error.row === null ? "" : String(error.row)].filter((part) => part !== "").join(" ");
  const place = [where, error.column ?? ""].filter((part) => part !== "").join(", ");
  return oneLineText(`${fileName}: ${place === "" ? "" : `${place}: `}${error.message}`);
}

/** Every line break and control character as a space: a message is one line whatever a cell held. */
export function oneLineText(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").trim();
}

/** A non-empty row of a sheet: its number (1-based, as the sheet numbers it) and its cells' texts. */
export interface SheetRow {
  readonly number: number;
  /** Cell texts by column (0 = the sheet's first column); "" for empty cells. */
  readonly cells: readonly string[];
}

/** A sheet as text: its name as the file gives it, and its non-empty rows in order, the header row first. */
export interface Sheet {
  readonly name: string;
  readonly rows: readonly SheetRow[];
}

/** Rows per sheet and columns per row beyond any real form; a file with more is refused before more work. */
export const MAX_SHEET_ROWS = 20_000;
export const MAX_SHEET_COLUMNS = 500;

/** The sheet names the reader uses, as pyxform matches them (case and surrounding space ignored). */
export const FORM_SHEETS = ["survey", "choices", "settings"] as const;
export type FormSheetName = (typeof FORM_SHEETS)[number];

export function formSheetName(name: string): FormSheetName | null {
  const key = name.trim().toLowerCase();
  return (FORM_SHEETS as readonly string[]).includes(key) ? (key as FormSheetName) : null;
}

/** Spreadsheet column letters for a 0-based index: 0 → A, 26 → AA. */
export function columnLetter(index: number): string {
  let letters = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}
