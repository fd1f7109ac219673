/**
 * Reading a portfolio's domain list: a CSV file with the header
 * domain,organisation,sector,region (any order; comma or semicolon, as
 * spreadsheets in different locales save it), or plain text with one
 * domain per line ("#" starts a comment). Each domain is normalised as
 * `baseline check` does (checks/context.ts normalizeDomain), so that the
 * portfolio holds what the checks will test.
 *
 * Bad lines do not spoil the list: each is reported with its line number,
 * the value as given and why, and the good lines are kept. Only what makes
 * the whole input unreadable (not text, a broken CSV quote, an unknown
 * column) or too large (over the byte or domain limit, named) refuses it.
 *
 * Institutions of the observatory have no domain: picking one gives the
 * domains typed with it the institution's name, sector and region, and a
 * link to it (domainsForInstitution).
 *
 * @example
 *   const read = readDomainList("domain,organisation\nexample.nl,Ministry A\nnot a domain,B\n");
 *   read.entries;  // [{ line: 2, domain: "example.nl", organisation: "Ministry A", ... }]
 *   read.problems; // [{ line: 3, value: "not a domain", reason: "\"not a domain\" is not a domain name ..." }]
 */
import { parse } from "csv-parse/sync";
import { normalizeDomain } from "../checks/context.ts";
import { CheckInputError } from "../checks/errors.ts";
import { unguardCell } from "../store/csv.ts";
import { MAX_PORTFOLIO_DOMAINS } from "./portfolios.ts";

/** An upload or pasted list above this is refused: 10,000 CSV lines with long organisation names are about 1 MiB. */
export const MAX_IMPORT_BYTES = 4 * 1024 * 1024;
/** Problems kept in a report; beyond it they are counted (a file of 100,000 bad lines would make a page of megabytes). */
export const MAX_REPORTED_PROBLEMS = 500;

export const CSV_COLUMNS = ["domain", "organisation", "sector", "region"] as const;
type Column = (typeof CSV_COLUMNS)[number];
/** Header spellings taken for a column (the American spelling is common in exports). */
const COLUMN_ALIASES: Readonly<Record<string, Column>> = { domain: "domain", organisation: "organisation", organization: "organisation", sector: "sector", region: "region" };
/** Longest cell per column, as the store takes them (portfolios.ts). */
const MAX_CELL: Readonly<Record<Exclude<Column, "domain">, number>> = { organisation: 300, sector: 200, region: 50 };

export interface ImportedDomain {
  line: number;
  domain: string;
  organisation: string | null;
  sector: string | null;
  region: string | null;
  institutionId: string | null;
}

export interface ImportProblem {
  line: number;
  /** The line's value as given (the domain cell, or the whole line), shortened past 200 characters. */
  value: string;
  reason: string;
}

export interface DomainList {
  format: "csv" | "lines";
  entries: ImportedDomain[];
  /** The first MAX_REPORTED_PROBLEMS problems, by line. */
  problems: ImportProblem[];
  /** All problems, counted (problems.length when none were left out). */
  problemCount: number;
}

/** The whole input is refused: the message names the input's problem (and the limit, when it is one). */
export class ImportRefusedError extends Error {
  override name = "ImportRefusedError";
}

export interface ReadOptions {
  /** Most domains a list may give (default MAX_PORTFOLIO_DOMAINS). */
  limit?: number;
  /** Most bytes (default MAX_IMPORT_BYTES). */
  maxBytes?: number;
}

const shorten = (value: string): string => (value.length > 200 ? `${value.slice(0, 200)}…` : value);

/** Collects entries and problems; drops a domain seen on an earlier line, naming that line. */
class ListBuilder {
  readonly entries: ImportedDomain[] = [];
  readonly problems: ImportProblem[] = [];
  problemCount = 0;
  readonly #seen = new Map<string, number>();

  problem(line: number, value: string, reason: string): void {
    this.problemCount++;
    if (this.problems.length < MAX_REPORTED_PROBLEMS) this.problems.push({ line, value: shorten(value), reason });
  }

  /** Normalises the domain and keeps the entry, or records why not. */
  add(line: number, given: string, details: Omit<ImportedDomain, "line" | "domain">): void {
    let domain: string;
    try {
      domain = normalizeDomain(given);
    } catch (error) {
      if (!(error instanceof CheckInputError)) throw error;
      this.problem(line, given, error.message);
      return;
    }
    const earlier = this.#seen.get(domain);
    if (earlier !== undefined) {
      this.problem(line, given, `${domain} is already on line ${earlier}; the first is kept`);
      return;
    }
    this.#seen.set(domain, line);
    this.entries.push({ line, domain, ...details });
  }

  result(format: DomainList["format"], limit: number): DomainList {
    if (this.entries.length > limit) throw new ImportRefusedError(`the list has ${this.entries.length} domains; the limit is ${limit} domains per portfolio`);
    return { format, entries: this.entries, problems: this.problems, problemCount: this.problemCount };
  }
}

function textOf(input: string | Uint8Array, maxBytes: number): string {
  const size = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.byteLength;
  if (size > maxBytes) throw new ImportRefusedError(`the list is ${size} bytes; the limit is ${maxBytes} bytes (${Math.round(maxBytes / 1024 / 1024)} MiB)`);
  if (typeof input === "string") return input.replace(/^\uFEFF/, "");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(input).replace(/^\uFEFF/, "");
  } catch {
    throw new ImportRefusedError("the file is not UTF-8 text; save it as CSV UTF-8 or plain text");
  }
}

/** Lines as people count them: \r\n, \n and \r each end one. */
const splitLines = (text: string): string[] => text.split(/\r\n|\r|\n/);

/** A CSV's header: the first line that is not blank, naming the domain column. */
function csvHeader(text: string): { line: number; delimiter: "," | ";" } | undefined {
  const lines = splitLines(text);
  const index = lines.findIndex((line) => line.trim() !== "");
  if (index < 0) return undefined;
  const first = (lines[index] ?? "").toLowerCase();
  const delimiter = (first.match(/;/g)?.length ?? 0) > (first.match(/,/g)?.length ?? 0) ? ";" : ",";
  const cells = first.split(delimiter).map((cell) => cell.trim().replace(/^"|"$/g, "").trim());
  return cells.includes("domain") ? { line: index + 1, delimiter } : undefined;
}

/** Reads a pasted or uploaded list: CSV when its first line is a header naming `domain`, otherwise one domain per line. */
export function readDomainList(input: string | Uint8Array, options: ReadOptions = {}): DomainList {
  const text = textOf(input, options.maxBytes ?? MAX_IMPORT_BYTES);
  const limit = options.limit ?? MAX_PORTFOLIO_DOMAINS;
  const header = csvHeader(text);
  return header ? readCsv(text, header, limit) : readLines(text, limit, null);
}

/**
 * Domains typed for an institution of the observatory: one per line (or
 * separated by commas or spaces, as people type a few), each given the
 * institution's name, sector and region.
 */
export function domainsForInstitution(institution: { id: string; name: string; sector: string | null; region: string }, typed: string, options: ReadOptions = {}): DomainList {
  const text = textOf(typed, options.maxBytes ?? MAX_IMPORT_BYTES);
  return readLines(text, options.limit ?? MAX_PORTFOLIO_DOMAINS, institution);
}

function readLines(text: string, limit: number, institution: { id: string; name: string; sector: string | null; region: string } | null): DomainList {
  const builder = new ListBuilder();
  const details = institution
    ? { organisation: institution.name.slice(0, MAX_CELL.organisation), sector: institution.sector?.slice(0, MAX_CELL.sector) ?? null, region: institution.region, institutionId: institution.id }
    : { organisation: null, sector: null, region: null, institutionId: null };
  splitLines(text).forEach((raw, index) => {
    const line = index + 1;
    const value = raw.replace(/#.*$/, "").trim();
    if (value === "") return;
    if (institution) {
      for (const domain of value.split(/[\s,;]+/).filter(Boolean)) builder.add(line, domain, details);
      return;
    }
    // Someone pasted a spreadsheet without its header: say how to keep the organisations, rather than "not a domain".
    if (/[,;\t]/.test(value)) {
      builder.problem(line, raw.trim(), `has a separator (, ; or tab): a list with organisations needs the header ${CSV_COLUMNS.join(",")} on its first line; a plain list has one domain per line`);
      return;
    }
    builder.add(line, value, details);
  });
  return builder.result("lines", limit);
}

function readCsv(text: string, header: { line: number; delimiter: "," | ";" }, limit: number): DomainList {
  const bytes = Buffer.from(text, "utf8");
  // Where each record ends (bytes), to tell the line each starts on, quoted line breaks included.
  const ends: number[] = [];
  let records: string[][];
  try {
    records = parse(bytes, {
      delimiter: header.delimiter,
      relax_column_count: true,
      skip_empty_lines: false,
      on_record: (record: string[], context) => {
        ends.push(context.bytes);
        return record;
      },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ImportRefusedError(`the CSV cannot be read: ${message}`);
  }
  const builder = new ListBuilder();
  const lineAt = (() => {
    // Line breaks counted once, in order: records come in order.
    let position = 0;
    let line = 1;
    return (offset: number): number => {
      const slice = bytes.subarray(position, offset).toString("utf8");
      line += slice.match(/\r\n|\r|\n/g)?.length ?? 0;
      position = offset;
      return line;
    };
  })();
  let columns: (Column | null)[] | undefined;
  records.forEach((cells, index) => {
    const line = lineAt(index === 0 ? 0 : (ends[index - 1] ?? bytes.length));
    const values = cells.map((cell) => unguardCell(cell).trim());
    if (values.every((value) => value === "")) return;
    if (!columns) {
      columns = values.map((name) => COLUMN_ALIASES[name.toLowerCase()] ?? null);
      const unknown = values.filter((_, position) => columns?.[position] === null);
      if (unknown.length > 0) throw new ImportRefusedError(`line ${line}: unknown column ${unknown.map((name) => `"${shorten(name)}"`).join(", ")}; the columns are ${CSV_COLUMNS.join(", ")}`);
      const repeated = CSV_COLUMNS.filter((column) => (columns ?? []).filter((found) => found === column).length > 1);
      if (repeated.length > 0) throw new ImportRefusedError(`line ${line}: column "${repeated[0]}" is named twice`);
      return;
    }
    const cell = (column: Column): string => values[columns?.indexOf(column) ?? -1] ?? "";
    if (values.length > columns.length && values.slice(columns.length).some((value) => value !== "")) {
      builder.problem(line, cells.join(header.delimiter), `has ${values.length} cells; the header has ${columns.length}`);
      return;
    }
    const domain = cell("domain");
    if (domain === "") {
      builder.problem(line, cells.join(header.delimiter), "has no domain");
      return;
    }
    for (const column of ["organisation", "sector", "region"] as const) {
      if (cell(column).length > MAX_CELL[column]) {
        builder.problem(line, domain, `${column} is longer than ${MAX_CELL[column]} characters`);
        return;
      }
    }
    const optional = (column: Column): string | null => cell(column) || null;
    builder.add(line, domain, { organisation: optional("organisation"), sector: optional("sector"), region: optional("region"), institutionId: null });
  });
  return builder.result("csv", limit);
}
