/**
 * A survey's responses as an Excel workbook, in bounded memory: exceljs's
 * streaming WorkbookWriter, no shared strings table (which would hold every
 * text in memory), rows committed as they are written. Three sheets:
 * - "data": question names as headers, values as stored (choice names),
 *   numbers as numbers, KoboToolbox's layout (export-columns.ts);
 * - "labels": the same table with question labels and choice labels, in
 *   the language asked for (Kobo's "labels" export);
 * - "codebook": each variable with its label and type, and each value a
 *   choice variable can take with its label.
 * No styles (useStyles: false): exceljs's streaming writer looks up a
 * style for every cell it writes when styles are on, which halved the
 * export's speed for a bold header row. The header stays frozen instead.
 * A zip archive is written one sheet after the other (a second sheet
 * written at the same time would wait in memory), so the responses are
 * read twice: the source is a function that reads them afresh.
 *
 * Text is always written as text, never as a formula, whatever it starts
 * with (=, +, -, @); characters XML cannot hold are left out, and a text
 * longer than a cell can hold (32,767 characters) is cut there.
 *
 * @example
 *   await exportXlsx(form, () => iterateResponses(db, id), createWriteStream("answers.xlsx"));
 */
import type { Writable } from "node:stream";
import ExcelJS from "exceljs";
import { cellText, choiceLabel, columnHeader, exportColumns, NUMERIC_TYPES, numberOf, questionLabel, type Column, type ExportOptions, type ExportResponse } from "./export-columns.ts";
import type { Form } from "./form.ts";

export interface XlsxExportOptions {
  /** The language of the labels and codebook sheets; default the form's default language. */
  language?: string;
}

/** Excel's limit for the text of one cell. */
const MAX_CELL_TEXT = 32_767;

/** Characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF). */
// eslint-disable-next-line no-control-regex -- these are exactly what must go
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xlsxText(text: string): string {
  const clean = text.replace(NOT_XML, "");
  return clean.length > MAX_CELL_TEXT ? clean.slice(0, MAX_CELL_TEXT) : clean;
}

/** A cell's value: a number for numeric questions and option columns, else the text. */
function cellValue(form: Form, column: Column, response: ExportResponse, index: number, options: ExportOptions): string | number | null {
  const text = cellText(form, column, response, index, options);
  if (text === "") return null;
  if (column.kind === "option" || (column.kind === "question" && NUMERIC_TYPES.has(column.question.type))) return numberOf(text) ?? xlsxText(text);
  return xlsxText(text);
}

const outputClosed = (): Error => new Error("the output was closed before the export was complete");

/** Resolves on `source`'s "drain"; rejects when `out` closes first (a download the client gave up). */
function drainOrClose(source: NodeJS.EventEmitter, out: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stop = (): void => {
      source.off("drain", onDrain);
      out.off("close", onClose);
    };
    const onDrain = (): void => {
      stop();
      resolve();
    };
    const onClose = (): void => {
      stop();
      reject(outputClosed());
    };
    source.on("drain", onDrain);
    out.on("close", onClose);
  });
}

/** Resolves once `out` can take more, so that the export stops reading when nobody takes what it writes. */
async function drained(out: Writable): Promise<void> {
  if (out.destroyed || out.writableEnded) throw outputClosed();
  if (out.writableNeedDrain) await drainOrClose(out, out);
}

/** The part of a Writable's internal state that says it holds more than it wants (readable-stream 2 and 3, which archiver uses). */
interface WritableState {
  needDrain?: boolean;
}

/**
 * Resolves once the zip has taken the sheet's rows written so far. exceljs
 * writes a sheet's XML into a PassThrough that archiver reads and deflates,
 * and ignores what that stream's write returns: rows produced faster than
 * zlib compresses them piled up there (600 MB for 100,000 rows of a
 * 40-question form). exceljs has no public way to wait, so this looks at
 * that stream's own state; if a later exceljs lays things out differently,
 * it stops waiting (and the test of the export's memory fails).
 */
async function zipCaughtUp(sheet: ReturnType<ExcelJS.stream.xlsx.WorkbookWriter["addWorksheet"]>, out: Writable): Promise<void> {
  const into = (sheet as unknown as { stream?: { pipes?: unknown[] } }).stream?.pipes?.[0] as (NodeJS.EventEmitter & { _writableState?: WritableState }) | undefined;
  if (into?._writableState?.needDrain) await drainOrClose(into, out);
}

async function writeTable(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  out: Writable,
  name: string,
  form: Form,
  columns: readonly Column[],
  responses: AsyncIterable<ExportResponse>,
  options: ExportOptions,
): Promise<void> {
  const sheet = workbook.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }] });
  const header = sheet.addRow(columns.map((column) => xlsxText(columnHeader(form, column, options))));
  header.commit();
  let index = 0;
  for await (const response of responses) {
    sheet.addRow(columns.map((column) => cellValue(form, column, response, index, options))).commit();
    index += 1;
    // Let the zip and the file catch up now and then, so that rows do not pile up in memory.
    if (index % 500 === 0) {
      await zipCaughtUp(sheet, out);
      await drained(out);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  sheet.commit();
}

function writeCodebook(workbook: ExcelJS.stream.xlsx.WorkbookWriter, form: Form, columns: readonly Column[], language: string): void {
  const sheet = workbook.addWorksheet("codebook", { views: [{ state: "frozen", ySplit: 1 }] });
  const header = sheet.addRow(["variable", "label", "type", "value", "value label"]);
  header.commit();
  const add = (cells: (string | number)[]): void => sheet.addRow(cells.map((cell) => (typeof cell === "string" ? xlsxText(cell) : cell))).commit();
  for (const column of columns) {
    switch (column.kind) {
      case "question":
        add([column.name, questionLabel(form, column.question, language), column.question.type]);
        if (column.question.type === "acknowledge") add(["", "", "", "OK", "OK"]);
        for (const choice of column.question.choices ?? []) add(["", "", "", choice.name, choiceLabel(form, choice, language)]);
        break;
      case "option":
        add([column.name, `${questionLabel(form, column.question, language)}/${choiceLabel(form, column.choice, language)}`, "select_multiple option"]);
        add(["", "", "", 1, "selected"]);
        add(["", "", "", 0, "not selected"]);
        break;
      case "other":
        add([column.name, columnHeader(form, column, { labels: true, language }), "text"]);
        break;
      case "id":
        add([column.name, "response id (random)", "text"]);
        break;
      case "submitted":
        add([column.name, "date submitted (UTC)", "date"]);
        break;
    }
  }
  sheet.commit();
}

/** Writes the workbook to `out` and ends it. */
export async function exportXlsx(form: Form, responses: () => AsyncIterable<ExportResponse>, out: Writable, options: XlsxExportOptions = {}): Promise<void> {
  const language = options.language ?? form.defaultLanguage;
  const columns = exportColumns(form);
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false });
  workbook.creator = "Baseline";
  await writeTable(workbook, out, "data", form, columns, responses(), {});
  await writeTable(workbook, out, "labels", form, columns, responses(), { labels: true, language });
  writeCodebook(workbook, form, columns, language);
  await workbook.commit();
}
