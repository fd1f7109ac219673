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
  /** Largest total a DOCX (zip) or the compressed streams of a PDF may unpack to, in bytes (default 200 MiB). */
  maxUncompressedBytes?: number;
  /**
   * Largest single part: a DOCX XML part or a PDF stream, unpacked (default
   * 16 MiB). The DOCX reader builds a tree of the whole part, about sixty
   * times its size in memory, so this cap, not the total, is what keeps one
   * small zip from exhausting memory.
   */
  maxPartBytes?: number;
  /** Characters of text kept per document; the rest is dropped and the document marked truncated (default 30 million). */
  maxCharacters?: number;
  /**
   * Called now and then while a long document is read (each PDF page, every
   * few hundred HTML tags, text lines or OCDS releases), so that a watchdog
   * can tell slow from stuck. It may be called very often: the caller
   * throttles it (the tender worker posts at most one message per 250 ms).
   */
  onProgress?: () => void;
}

/** Ticks between two onProgress calls in a hot loop: a function call per item would cost little, but nothing is gained by it. */
const TICKS_PER_PROGRESS = 256;

/**
 * A tick for a loop over many small items (tags, lines, passages) that
 * calls `onProgress` every few hundred ticks; without a callback, a no-op.
 * The loops report progress as they go, not a percentage: a watchdog only
 * needs to know that they are still moving (review L1 of issue 15).
 */
export function progressTicker(onProgress: (() => void) | undefined): () => void {
  if (!onProgress) return noop;
  let ticks = 0;
  return () => {
    if (++ticks < TICKS_PER_PROGRESS) return;
    ticks = 0;
    onProgress();
  };
}

function noop(): void {
  // Nobody watches this loop.
}

export type IngestLimits = Required<Omit<IngestOptions, "documentRoot" | "onProgress">>;

const MIB = 1024 * 1024;

export const DEFAULT_LIMITS: IngestLimits = {
  maxBytes: 50 * MIB,
  maxPages: 2000,
  maxUncompressedBytes: 200 * MIB,
  maxPartBytes: 16 * MIB,
  maxCharacters: 30_000_000,
};

export function limitsOf(options: IngestOptions): IngestLimits {
  return {
    maxBytes: options.maxBytes ?? DEFAULT_LIMITS.maxBytes,
    maxPages: options.maxPages ?? DEFAULT_LIMITS.maxPages,
    maxUncompressedBytes: options.maxUncompressedBytes ?? DEFAULT_LIMITS.maxUncompressedBytes,
    maxPartBytes: options.maxPartBytes ?? DEFAULT_LIMITS.maxPartBytes,
    maxCharacters: options.maxCharacters ?? DEFAULT_LIMITS.maxCharacters,
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

/**
 * Text as detection compares it: NFKC (fullwidth "ＤＮＳＳＥＣ" and ligatures
 * become plain letters) without the characters no reader sees: format
 * characters (soft hyphen, zero-width space and joiners, direction marks),
 * which Word and web editors slip into names ("D\u00adANE"), and the rest
 * of Unicode's default ignorable code points (variation selectors, the
 * combining grapheme joiner, Hangul fillers; review L7 of issue 15:
 * "H\uFE00STS" and "D\u034FANE" still hid names). Letters of other scripts
 * are left alone: a Cyrillic look-alike stays Cyrillic.
 */
export function normalizeText(text: string): string {
  // Pure ASCII needs neither step; most text is, and normalize() is not free.
  if (/^\p{ASCII}*$/u.test(text)) return text;
  return text.normalize("NFKC").replace(/[\p{Cf}\p{Default_Ignorable_Code_Point}]+/gu, "");
}

/** Runs of whitespace (including no-break spaces) become one space, after normalizeText. */
export function collapseWhitespace(text: string): string {
  // Only runs that are not already one plain space are replaced: replacing every single space as well cost a
  // second and 300 MB on 5 MB of "< < <" (V8 builds the result from one part per match).
  return normalizeText(text).replace(/\s{2,}|[^\S ]/g, " ").trim();
}

/**
 * Text for a terminal or a one-line message, with everything that could act
 * on the terminal or fake a line written as an escape: C0 and C1 controls
 * (a newline in a file name would start a line that looks like another
 * file's error; ESC starts sequences that clear the screen, set the window
 * title or the clipboard), line and paragraph separators, and the bidi
 * embeddings, overrides and isolates that reorder what is shown (U+202A to
 * U+202E, U+2066 to U+2069): "\n", "\x1b", "\u202e". A backslash is doubled,
 * so that a file name holding the two characters "\n" differs from one
 * holding a newline.
 */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
  return text.replace(/[\\\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (character) => {
    const named: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    const code = character.charCodeAt(0);
    return named[character] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`);
  });
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
