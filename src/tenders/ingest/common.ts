/**
 * What every ingester shares: the limits that keep one hostile file from
 * exhausting memory, the error that turns into a one-line IngestFailure, and
 * the small normalisations (CPV codes, dates, whitespace) that make documents
 * from different formats comparable.
 */

export interface IngestOptions {
  /** Folder where the files named by OCDS `documents[].url` are looked up by file name. */
  documentRoot?: string;
  /** Largest file read, in bytes (default 50 MiB). */
  maxBytes?: number;
  /** PDF pages read before extraction stops and the document is marked truncated (default 2000). */
  maxPages?: number;
  /** Largest total a DOCX (zip) may unpack to, in bytes (default 200 MiB). */
  maxUncompressedBytes?: number;
}

export type IngestLimits = Required<Omit<IngestOptions, "documentRoot">>;

const MIB = 1024 * 1024;

export const DEFAULT_LIMITS: IngestLimits = {
  maxBytes: 50 * MIB,
  maxPages: 2000,
  maxUncompressedBytes: 200 * MIB,
};

export function limitsOf(options: IngestOptions): IngestLimits {
  return {
    maxBytes: options.maxBytes ?? DEFAULT_LIMITS.maxBytes,
    maxPages: options.maxPages ?? DEFAULT_LIMITS.maxPages,
    maxUncompressedBytes: options.maxUncompressedBytes ?? DEFAULT_LIMITS.maxUncompressedBytes,
  };
}

/**
 * A file that cannot be read, with a message meant for the person who gave
 * it ("encrypted PDF", "corrupt DOCX: ..."). Ingesters throw it; the batch
 * turns it into an IngestFailure and goes on.
 */
export class IngestError extends Error {
  override name = "IngestError";
}

/** An error's message on one line, whatever threw it. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, " ").trim() || "unknown error";
}

/** "1.5 MiB": sizes in error messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] ?? "TiB"}`;
}

/** Runs of whitespace (including no-break spaces) become one space. */
export function collapseWhitespace(text: string): string {
  return text.replace(/[\s\u00a0\u200b]+/g, " ").trim();
}

/**
 * "72415000-2", "72415000" or " 72415000 " → "72415000"; anything that does
 * not start with eight digits is not a CPV code and gives undefined. OCDS
 * allows codes "with or without the check digit"; eForms writes none.
 */
export function cpvCode(value: string): string | undefined {
  return /^\s*(\d{8})(?:-\d)?\s*$/.exec(value)?.[1];
}

/** Appends codes not yet present, keeping first-seen order. */
export function addCpv(codes: string[], value: string | undefined): void {
  const code = value === undefined ? undefined : cpvCode(value);
  if (code !== undefined && !codes.includes(code)) codes.push(code);
}

/**
 * The calendar date of an ISO 8601 date or date-time ("2024-03-15",
 * "2024-03-15T09:00:00Z", eForms' "2024-03-15+01:00"), or undefined.
 */
export function isoDate(value: string | undefined): string | undefined {
  return value === undefined ? undefined : /^\s*(\d{4}-\d{2}-\d{2})/.exec(value)?.[1];
}
