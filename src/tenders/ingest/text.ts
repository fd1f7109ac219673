/**
 * Plain text ingestion, and the paragraph and heading rules that PDF text
 * reuses: a blank line or a list item starts a new passage, and every
 * passage carries the nearest heading-like line above it as its section
 * ("3.2 Security", "SECURITY REQUIREMENTS", "Requirements:"), so evidence
 * can be found again in the original.
 *
 * Heading lines are kept as passages too: a misjudged heading must not make
 * its text disappear from the analysis.
 */
import type { Passage, TenderDocument } from "../types.ts";
import { collapseWhitespace, IngestError, progressTicker } from "./common.ts";

/** Passages longer than this are split at sentence ends, so evidence stays quotable. */
const MAX_PASSAGE_CHARS = 1200;
/** Headings are short; longer lines are prose whatever they look like. */
const MAX_HEADING_CHARS = 120;
const MAX_HEADING_WORDS = 12;

const NOT_TEXT = "not a text file (binary content or an unknown encoding)";

/**
 * Decodes a file that claims to be text. UTF-8 (with or without BOM) and
 * UTF-16 with BOM are read as such; other bytes that are not valid UTF-8 are
 * read as Windows-1252, the usual encoding of older Western European
 * documents, unless too many are invalid or control characters show that the
 * file is binary.
 */
export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  if (looksBinary(bytes)) throw new IngestError(NOT_TEXT);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const lenient = new TextDecoder("utf-8").decode(bytes);
    const invalid = lenient.match(/\uFFFD/g)?.length ?? 0;
    // Windows-1252 text has an odd accented letter here and there; binary
    // data decodes to replacement characters in large numbers.
    if (invalid > Math.max(8, lenient.length * 0.02)) throw new IngestError(NOT_TEXT);
    return new TextDecoder("windows-1252").decode(bytes);
  }
}

/** NUL bytes, or more than 1% control characters other than tab, line breaks, form feed and escape. */
function looksBinary(bytes: Uint8Array): boolean {
  let controls = 0;
  for (const byte of bytes) {
    if (byte === 0) return true;
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d && byte !== 0x1b) || byte === 0x7f) controls++;
  }
  return controls > bytes.length * 0.01;
}

export function ingestText(bytes: Uint8Array, source: string, onProgress?: () => void): TenderDocument {
  const passages = textPassages(decodeText(bytes), undefined, onProgress);
  return { source, format: "text", cpv: [], passages };
}

const NUMBERED_HEADING = /^(?:\d{1,2}(?:\.\d{1,3}){0,4}\.?|[IVX]{1,4}\.|[A-Z][.)])\s+(\p{L}.*)$/u;
const NAMED_HEADING =
  /^(?:chapter|section|article|annex|appendix|part|hoofdstuk|paragraaf|artikel|bijlage|deel|chapitre|annexe|partie|cap[ií]tulo|secci[oó]n|art[ií]culo|anexo|parte)\s+[\dIVXA-Z]/iu;
const MARKDOWN_HEADING = /^#{1,6}\s+(.+?)\s*#*$/;
/** Bullets and numbered or lettered items: each starts a passage of its own. */
const LIST_ITEM = /^(?:[-*•▪◦‣–—·]\s+|\(?\d{1,3}[.)]\s+|\(?[a-z][.)]\s+)/u;

/**
 * The heading a line stands for, or undefined when it reads as prose. A
 * heading is short, does not end like a sentence, and is numbered ("3.2
 * Security"), named ("Annex B ..."), written in capitals, marked up in
 * Markdown, or a lead-in ending with a colon.
 */
export function headingOf(line: string): string | undefined {
  const trimmed = collapseWhitespace(line);
  if (trimmed.length < 2 || trimmed.length > MAX_HEADING_CHARS) return undefined;
  const markdown = MARKDOWN_HEADING.exec(trimmed);
  if (markdown?.[1]) return markdown[1];
  if (trimmed.split(" ").length > MAX_HEADING_WORDS) return undefined;
  if (/[:：]$/.test(trimmed)) {
    const lead = trimmed.slice(0, -1).trim();
    return /\p{L}/u.test(lead) ? lead : undefined;
  }
  if (/[.;,!?]$/.test(trimmed)) return undefined;
  if (NUMBERED_HEADING.test(trimmed) || NAMED_HEADING.test(trimmed)) return trimmed;
  const letters = trimmed.match(/\p{L}/gu)?.length ?? 0;
  if (letters >= 4 && !/\p{Ll}/u.test(trimmed) && trimmed.length <= 80) return trimmed;
  return undefined;
}

/**
 * Text to passages: paragraphs separated by blank lines, list items, and
 * heading lines; lines of one paragraph are joined, undoing hyphenation at
 * line ends. `startSection` carries the section over from an earlier page;
 * `onProgress` is called every few hundred lines, for a watchdog.
 */
export function textPassages(text: string, startSection?: string, onProgress?: () => void): Passage[] {
  const tick = progressTicker(onProgress);
  const passages: Passage[] = [];
  let section = startSection;
  let lines: string[] = [];
  const flush = (): void => {
    if (lines.length > 0) {
      for (const chunk of splitLong(joinLines(lines, tick), MAX_PASSAGE_CHARS, tick)) passages.push(section === undefined ? { text: chunk } : { text: chunk, section });
    }
    lines = [];
  };
  for (const raw of text.replace(/\r\n?/g, "\n").replace(/\f/g, "\n\n").split("\n")) {
    tick();
    const line = raw.trim();
    if (line === "") {
      flush();
      continue;
    }
    const heading = headingOf(line);
    if (heading !== undefined) {
      flush();
      section = heading;
      passages.push({ text: collapseWhitespace(line.replace(/^#+\s*/, "")), section });
      continue;
    }
    if (LIST_ITEM.test(line)) flush();
    lines.push(line);
  }
  flush();
  return passages;
}

/**
 * Joins the lines of one paragraph. A line that ends in a hyphen after a
 * lower-case letter, followed by a lower-case word, was hyphenated: the
 * hyphen goes ("beveiligings-/eisen"). After a capital or digit it stays,
 * without a space, because it joins a compound ("DNSSEC-/ondertekening").
 */
export function joinLines(lines: string[], tick?: () => void): string {
  // Pieces joined once at the end, and each line's end tested on that line
  // alone: testing the end of the growing paragraph made a paragraph of
  // 25,000 lines (1.6 MB) take 16 s, every test flattening and scanning it.
  const pieces: string[] = [];
  let previous = "";
  for (const line of lines) {
    tick?.();
    if (pieces.length === 0) pieces.push(line);
    else if (/\p{Ll}-$/u.test(previous) && /^\p{Ll}/u.test(line)) {
      pieces[pieces.length - 1] = previous.slice(0, -1);
      pieces.push(line);
    } else if (/[\p{Lu}\d]-$/u.test(previous)) pieces.push(line);
    else pieces.push(" ", line);
    previous = line;
  }
  return collapseWhitespace(pieces.join(""));
}

/**
 * Splits text longer than MAX_PASSAGE_CHARS at sentence ends (or, failing
 * that, at a space); `tick` is called per sentence, since one paragraph of
 * megabytes takes seconds.
 */
export function splitLong(text: string, max: number = MAX_PASSAGE_CHARS, tick?: () => void): string[] {
  if (text.length <= max) return text === "" ? [] : [text];
  const chunks: string[] = [];
  let current = "";
  for (const sentence of text.split(/(?<=[.!?;])\s+/u)) {
    tick?.();
    if (current !== "" && current.length + 1 + sentence.length > max) {
      chunks.push(current);
      current = "";
    }
    current = current === "" ? sentence : `${current} ${sentence}`;
    while (current.length > max) {
      tick?.();
      const cut = current.lastIndexOf(" ", max);
      const at = cut > max / 2 ? cut : max;
      chunks.push(current.slice(0, at).trim());
      current = current.slice(at).trim();
    }
  }
  if (current !== "") chunks.push(current);
  return chunks;
}
