/**
 * A survey's responses as one self-contained SPSS syntax file (.sps) that
 * SPSS Statistics and GNU PSPP run to get the data labelled: DATA LIST FREE
 * with the data inline (BEGIN DATA ... END DATA), VARIABLE LABELS, VALUE
 * LABELS, MISSING VALUES, then EXECUTE. UTF-8 with a byte order mark and
 * SPSS's "Encoding" comment, so that both read the labels right.
 *
 * Variables, in KoboToolbox's column order (export-columns.ts):
 * - select_one: the choices coded 1..n in list order, with value labels;
 *   acknowledge: 1 = OK;
 * - select_multiple: one 0/1 variable per option (1 = selected), missing
 *   when the question was not answered;
 * - integer, decimal, range: numbers, with as many decimals as the data has;
 * - everything else (text, dates, times, rank, calculate, metadata, _id,
 *   _submitted_on): strings as wide (in bytes) as the longest value, with
 *   blank declared missing.
 * Names are made valid SPSS names (letters, digits, _ . @ # $; at most 64
 * bytes; unique without regard to case; not a reserved word): a name that
 * had to change is listed with the original in a comment at the top.
 *
 * The data is one value per line, each followed by a comma (DATA LIST FREE
 * reads cases across lines, so no line is longer than its value). A string
 * is quoted with " or, when it holds ", with '; neither reader knows an
 * escaped quote inside data, so a value holding both has its " turned into
 * ', and line breaks inside a value become spaces. Labels are cut to
 * SPSS's lengths (variable labels 255 bytes, value labels 120).
 *
 * Two passes over the responses (the first measures the string widths and
 * the decimals): the source is a function that reads them afresh; memory
 * holds one response at a time.
 *
 * @example
 *   await exportSpss(form, () => iterateResponses(db, id), createWriteStream("answers.sps"));
 */
import type { Writable } from "node:stream";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { cellText, choiceLabel, columnHeader, exportColumns, numberOf, NUMERIC_TYPES, type Column, type ExportResponse } from "./export-columns.ts";
import type { Form } from "./form.ts";

export interface SpssExportOptions {
  /** The language of the labels; default the form's default language. */
  language?: string;
  /** End `out` when done (default true; false for standard output). */
  end?: boolean;
}

const RESERVED = new Set(["ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"]);
const MAX_NAME_BYTES = 64;
const MAX_STRING_BYTES = 32_767;
const MAX_VARIABLE_LABEL_BYTES = 255;
const MAX_VALUE_LABEL_BYTES = 120;

type Kind = "coded" | "option" | "number" | "string";

interface Variable {
  name: string;
  column: Column;
  kind: Kind;
  label: string;
  /** coded: choice name → code. */
  codes: Map<string, number>;
  valueLabels: [number, string][];
  /** Measured in the first pass. */
  bytes: number;
  decimals: number;
  integerDigits: number;
  negative: boolean;
}

/** `text` cut to at most `max` bytes of UTF-8, at a character boundary. */
export function cutToBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let cut = "";
  let bytes = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character);
    if (bytes + size > max) break;
    cut += character;
    bytes += size;
  }
  return cut;
}

/** Valid, unique (case-insensitively) SPSS names for `names`, in order. */
export function spssNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((original) => {
    let base = original.replace(/[^A-Za-z0-9_.@#$]/g, "_");
    if (!/^[A-Za-z@]/.test(base)) base = `v${base}`;
    base = base.replace(/[._]+$/, "") || "v";
    if (RESERVED.has(base.toUpperCase())) base = `${base}_v`;
    base = cutToBytes(base, MAX_NAME_BYTES);
    let name = base;
    for (let n = 2; taken.has(name.toUpperCase()); n++) name = `${cutToBytes(base, MAX_NAME_BYTES - String(n).length - 1)}_${n}`;
    taken.add(name.toUpperCase());
    return name;
  });
}

/** An SPSS syntax string literal: double quotes, doubled inside, on one line. */
export function syntaxString(text: string, maxBytes: number): string {
  return `"${cutToBytes(text.replace(/[\r\n\t]+/g, " "), maxBytes).replace(/"/g, '""')}"`;
}

/** A string value in the inline data: quoted with a quote character it does not hold. */
function dataString(text: string): string {
  let value = cutToBytes(text.replace(/\r\n|[\r\n]/g, " "), MAX_STRING_BYTES);
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  value = value.replace(/"/g, "'");
  return `"${value}"`;
}

function variablesOf(form: Form, language: string): Variable[] {
  const columns = exportColumns(form);
  const names = spssNames(columns.map((column) => column.name));
  return columns.map((column, index) => {
    const base = { name: names[index] ?? column.name, column, codes: new Map<string, number>(), valueLabels: [] as [number, string][], bytes: 1, decimals: 0, integerDigits: 1, negative: false };
    const label = columnHeader(form, column, { labels: true, language });
    if (column.kind === "option") return { ...base, kind: "option" as const, label, valueLabels: [[0, "not selected"], [1, "selected"]] };
    if (column.kind === "question" && column.question.type === "select_one") {
      const choices = column.question.choices ?? [];
      return {
        ...base,
        kind: "coded" as const,
        label,
        codes: new Map(choices.map((choice, code) => [choice.name, code + 1])),
        valueLabels: choices.map((choice, code): [number, string] => [code + 1, choiceLabel(form, choice, language)]),
      };
    }
    if (column.kind === "question" && column.question.type === "acknowledge") return { ...base, kind: "coded" as const, label, codes: new Map([["OK", 1]]), valueLabels: [[1, "OK"]] };
    if (column.kind === "question" && NUMERIC_TYPES.has(column.question.type)) return { ...base, kind: "number" as const, label };
    const fixed = column.kind === "id" ? "response id (random)" : column.kind === "submitted" ? "date submitted (UTC)" : label;
    return { ...base, kind: "string" as const, label: fixed };
  });
}

/** The value of one variable for one response, as the inline data writes it ("" is missing). */
function dataValue(form: Form, variable: Variable, response: ExportResponse, index: number): string {
  const text = cellText(form, variable.column, response, index);
  switch (variable.kind) {
    case "option":
      return text;
    case "coded":
      return String(variable.codes.get(text) ?? "");
    case "number": {
      const number = numberOf(text);
      return number === null ? "" : String(number);
    }
    case "string":
      return dataString(text);
  }
}

function measure(variable: Variable, value: string): void {
  if (variable.kind === "string") {
    variable.bytes = Math.max(variable.bytes, Math.min(Buffer.byteLength(value.replace(/\r\n|[\r\n]/g, " ")), MAX_STRING_BYTES));
  } else if (variable.kind === "number" && value !== "") {
    const number = numberOf(value);
    if (number === null) return;
    const [whole = "", fraction = ""] = Math.abs(number).toString().split(".");
    // Exponent notation (very large or tiny numbers) is read by both; keep the widths sane.
    variable.integerDigits = Math.max(variable.integerDigits, Math.min(whole.length, 20));
    variable.decimals = Math.max(variable.decimals, Math.min(fraction.length, 16));
    variable.negative ||= number < 0;
  }
}

function formatOf(variable: Variable): string {
  switch (variable.kind) {
    case "option":
      return "F1.0";
    case "coded":
      return `F${String(Math.max(variable.codes.size, 1)).length}.0`;
    case "number": {
      const width = Math.min(variable.integerDigits + (variable.decimals > 0 ? variable.decimals + 1 : 0) + (variable.negative ? 1 : 0), 40);
      return `F${Math.max(width, 1)}.${variable.decimals}`;
    }
    case "string":
      return `A${variable.bytes}`;
  }
}

/** Writes the .sps to `out` (and ends it, unless told not to). */
export async function exportSpss(form: Form, responses: () => AsyncIterable<ExportResponse>, out: Writable, options: SpssExportOptions = {}): Promise<void> {
  const language = options.language ?? form.defaultLanguage;
  const variables = variablesOf(form, language);
  let cases = 0;
  for await (const response of responses()) {
    for (const variable of variables) measure(variable, variable.kind === "string" || variable.kind === "number" ? cellText(form, variable.column, response, cases) : "");
    cases += 1;
  }

  async function* lines(): AsyncGenerator<string> {
    yield "\uFEFF* Encoding: UTF-8.\n";
    yield `* ${form.title.replace(/[\r\n]+/g, " ")}${form.version ? ` (version ${form.version})` : ""}: ${cases} responses, exported by Baseline.\n`;
    yield `* Labels in ${language.replace(/[\r\n]+/g, " ")}. Run the whole file (PSPP: pspp FILE.sps; SPSS: Run > All).\n`;
    const renamed = variables.filter((variable) => variable.name !== variable.column.name);
    if (renamed.length > 0) {
      yield "* Variables renamed to be valid SPSS names:\n";
      for (const variable of renamed) yield `*   ${variable.name} = ${variable.column.name.replace(/[\r\n]+/g, " ")}\n`;
      yield "*   (end of list).\n";
    }
    yield "SET DECIMAL=DOT.\n";
    // No line of a command starts with a variable's name: PSPP takes a line
    // that starts with a command's name (a question named "comment") for
    // that command. Each line ends with a name and the next starts with its
    // format, or with the "/" before the next name.
    yield `DATA LIST FREE / ${variables[0]?.name ?? ""}`;
    for (const [index, variable] of variables.entries()) yield `\n  (${formatOf(variable)})${index + 1 < variables.length ? ` ${variables[index + 1]?.name ?? ""}` : ""}`;
    yield ".\nBEGIN DATA\n";
    let index = 0;
    for await (const response of responses()) {
      let record = "";
      for (const variable of variables) record += `${dataValue(form, variable, response, index)},\n`;
      yield record;
      index += 1;
    }
    yield "END DATA.\n\n";
    yield "VARIABLE LABELS";
    for (const [index, variable] of variables.entries()) yield `${index === 0 ? " " : "\n  /"}${variable.name} ${syntaxString(variable.label, MAX_VARIABLE_LABEL_BYTES)}`;
    yield "\n";
    yield ".\n\n";
    const labelled = variables.filter((variable) => variable.valueLabels.length > 0);
    if (labelled.length > 0) {
      yield "VALUE LABELS";
      for (const [index, variable] of labelled.entries()) {
        yield `${index === 0 ? " " : "  /"}${variable.name}\n`;
        for (const [code, label] of variable.valueLabels) yield `    ${code} ${syntaxString(label, MAX_VALUE_LABEL_BYTES)}\n`;
      }
      yield ".\n\n";
    }
    // Choices are categories, not amounts: nominal, so that SPSS offers them as such.
    const nominal = variables.filter((variable) => variable.kind === "coded" || variable.kind === "option");
    if (nominal.length > 0) yield `VARIABLE LEVEL ${nominal.map((variable) => variable.name).join("\n  ")} (NOMINAL).\n\n`;
    const strings = variables.filter((variable) => variable.kind === "string");
    if (strings.length > 0) {
      yield "MISSING VALUES";
      for (const [index, variable] of strings.entries()) yield `${index === 0 ? " " : "\n  /"}${variable.name} ("")`;
      yield "\n";
      yield ".\n\n";
    }
    yield "EXECUTE.\n";
  }
  await pipeline(Readable.from(lines()), out, { end: options.end ?? true });
}

/** For tests and the codebook: the SPSS name each export column gets. */
export function spssVariableNames(form: Form): { column: string; name: string }[] {
  return variablesOf(form, form.defaultLanguage).map((variable) => ({ column: variable.column.name, name: variable.name }));
}
