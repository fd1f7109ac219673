/**
 * A survey's responses as CSV, laid out as KoboToolbox's CSV export (see
 * export-columns.ts): question names as headers and choice names as values,
 * or with `{ labels: true, language }` labels for both (Kobo's "labels"
 * export). UTF-8 without a byte order mark, comma-separated, quoted where
 * needed (csv-stringify, RFC 4180), streamed: one response in memory at a
 * time, and the writer's backpressure respected.
 *
 * Cells that a spreadsheet would run as a formula (text starting with =, +,
 * -, @, a tab or a carriage return, other than a plain number) get a
 * leading apostrophe, as OWASP advises against CSV injection: answers come
 * from anonymous respondents and the file is opened in Excel. The JSON
 * export keeps every answer exactly as given.
 *
 * @example
 *   await exportCsv(form, iterateResponses(db, id), createWriteStream("answers.csv"));
 */
import type { Writable } from "node:stream";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stringify } from "csv-stringify";
import { cellText, columnHeader, exportColumns, responsesOf, type ExportOptions, type ResponseSource } from "./export-columns.ts";
import type { Form } from "./form.ts";

export interface CsvExportOptions extends ExportOptions {
  /** Prefix formula-looking text with an apostrophe (default true). */
  escapeFormulas?: boolean;
  /** End `out` when done (default true; false for standard output). */
  end?: boolean;
}

const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The text with an apostrophe before it when a spreadsheet would take it for a formula. */
export function defuseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

export async function exportCsv(form: Form, responses: ResponseSource, out: Writable, options: CsvExportOptions = {}): Promise<void> {
  const columns = exportColumns(form);
  const escape = options.escapeFormulas ?? true;
  const cell = (text: string): string => (escape ? defuseFormula(text) : text);
  async function* rows(): AsyncGenerator<string[]> {
    yield columns.map((column) => cell(columnHeader(form, column, options)));
    let index = 0;
    for await (const response of responsesOf(responses)) {
      yield columns.map((column) => cell(cellText(form, column, response, index, options)));
      index += 1;
    }
  }
  await pipeline(Readable.from(rows()), stringify({ eof: true }), out, { end: options.end ?? true });
}
