/**
 * PDF ingestion through unpdf (a serverless build of Mozilla's pdf.js).
 * Pages are read one at a time, up to the page cap, and each page's text
 * items are put back into lines and paragraphs by their positions: pdf.js
 * gives a line break per line but no paragraph breaks, and a larger vertical
 * gap than the page's usual line spacing is where a paragraph ends. The
 * paragraphs then go through the same heading rules as plain text, so
 * passages carry both `page` and `section`.
 *
 * unpdf's `extractText` reads every page at once, with no cap, hence the
 * page-by-page loop on `getDocumentProxy`.
 */
import { getDocumentProxy } from "unpdf";
import type { Passage, TenderDocument } from "../types.ts";
import { IngestError, oneLine } from "./common.ts";
import { DecodeBudget } from "./pdf-decode-budget.ts";
import { checkPdfStreams } from "./pdf-streams.ts";
import { textPassages } from "./text.ts";

export interface PdfOptions {
  maxPages: number;
  /** Budget on what compressed streams unpack to (see pdf-streams.ts); unchecked when absent. */
  maxPartBytes?: number;
  maxUncompressedBytes?: number;
  /** Called after each page. */
  onProgress?: () => void;
}

type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>;

export interface PositionedText {
  str: string;
  /** Baseline height on the page, from the bottom. */
  y: number;
  height: number;
  hasEOL: boolean;
}

/** The header must appear in the first kilobyte (PDF 32000-1, 7.5.2; readers tolerate leading junk). */
export function hasPdfHeader(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024)).includes("%PDF-");
}

export async function ingestPdf(bytes: Uint8Array, source: string, options: PdfOptions): Promise<TenderDocument> {
  if (!hasPdfHeader(bytes)) throw new IngestError("corrupt PDF: no %PDF- header");
  if (options.maxPartBytes === undefined || options.maxUncompressedBytes === undefined) return readPdf(bytes, source, options, undefined);
  const limits = { maxPartBytes: options.maxPartBytes, maxUncompressedBytes: options.maxUncompressedBytes };
  // The plain FlateDecode bomb is refused here before pdf.js holds the file; the budget inside pdf.js catches the rest.
  checkPdfStreams(bytes, limits);
  const budget = new DecodeBudget(limits);
  try {
    return await budget.during(() => readPdf(bytes, source, options, budget));
  } catch (error) {
    if (budget.exceeded !== undefined) throw new IngestError(`refused PDF: ${budget.exceeded}`);
    throw error;
  }
}

async function readPdf(bytes: Uint8Array, source: string, options: PdfOptions, budget: DecodeBudget | undefined): Promise<TenderDocument> {
  // pdf.js skips a content stream that fails to decode and goes on, so an overrun is checked after each step too.
  const checkBudget = (): void => {
    if (budget?.exceeded !== undefined) throw new IngestError(`refused PDF: ${budget.exceeded}`);
  };
  const pdf = await openPdf(bytes);
  try {
    checkBudget();
    const pages = pdf.numPages;
    const readPages = Math.min(pages, options.maxPages);
    const pageLines: string[][] = [];
    for (let number = 1; number <= readPages; number++) {
      pageLines.push(await readPageLines(pdf, number));
      checkBudget();
      options.onProgress?.();
    }
    let passages = passagesOf(dropRunningLines(pageLines));
    // Pages that all repeat the same lines (a form, a one-line page stamped on every page) lose everything to the
    // running-line filter; their text is still text (finding 17 of issue 15).
    if (passages.length === 0) passages = passagesOf(pageLines);
    if (passages.length === 0 && readPages > 0) {
      throw new IngestError("PDF has no extractable text (scanned images? it needs OCR first)");
    }
    const document: TenderDocument = { source, format: "pdf", cpv: [], passages, pages };
    if (pages > readPages) document.truncated = true;
    await addMetadata(pdf, document);
    checkBudget();
    return document;
  } finally {
    await pdf.loadingTask.destroy();
  }
}

function passagesOf(pageLines: string[][]): Passage[] {
  const passages: Passage[] = [];
  let section: string | undefined;
  pageLines.forEach((lines, index) => {
    for (const passage of textPassages(lines.join("\n"), section)) {
      passages.push({ ...passage, page: index + 1 });
      section = passage.section;
    }
  });
  return passages;
}

async function openPdf(bytes: Uint8Array): Promise<PdfDocument> {
  try {
    // pdf.js may take over the buffer it is given, so it gets a copy.
    return await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "PasswordException") throw new IngestError("encrypted PDF: it needs a password to open");
    throw new IngestError(`corrupt PDF: ${oneLine(error)}`);
  }
}

async function readPageLines(pdf: PdfDocument, number: number): Promise<string[]> {
  try {
    const page = await pdf.getPage(number);
    const content = await page.getTextContent();
    page.cleanup();
    const items: PositionedText[] = [];
    for (const item of content.items) {
      if (!("str" in item)) continue;
      const y: unknown = item.transform[5];
      items.push({ str: item.str, y: typeof y === "number" ? y : 0, height: item.height, hasEOL: item.hasEOL });
    }
    return layoutLines(items);
  } catch (error) {
    throw new IngestError(`corrupt PDF: page ${number} cannot be read: ${oneLine(error)}`);
  }
}

/**
 * Lines from text items (a new line after `hasEOL` or when the baseline
 * moves), with an empty line wherever the gap to the next line is clearly
 * wider than the page's usual line spacing, or the text jumps up (a new
 * column or text box).
 */
export function layoutLines(items: PositionedText[]): string[] {
  const lines: { text: string; y: number }[] = [];
  let current: { text: string; y: number; height: number } | undefined;
  for (const item of items) {
    if (current && Math.abs(item.y - current.y) > Math.max(current.height, item.height, 1) * 0.5 && item.str.trim() !== "") {
      lines.push(current);
      current = undefined;
    }
    if (current) current.text += item.str;
    else if (item.str.trim() !== "") current = { text: item.str, y: item.y, height: item.height };
    if (item.hasEOL && current) {
      lines.push(current);
      current = undefined;
    }
  }
  if (current) lines.push(current);

  const gaps = lines.slice(1).map((line, index) => (lines[index]?.y ?? line.y) - line.y).filter((gap) => gap > 0);
  const usual = median(gaps);
  const out: string[] = [];
  lines.forEach((line, index) => {
    const previous = lines[index - 1];
    if (previous && usual !== undefined) {
      const gap = previous.y - line.y;
      if (gap < 0 || gap > usual * 1.5) out.push("");
    }
    out.push(line.text);
  });
  return out;
}

/** A line compared across pages: page numbers ("3", "- 3 -", "pagina 3 van 12" at the end) become "#". */
function runningLineKey(line: string): string {
  return line
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase()
    .replace(/^[^\p{L}\d]*\d+(?:\s*(?:\/|of|van|de|von|sur)\s*\d+)?[^\p{L}\d]*$/u, "#")
    .replace(/\b(page|pagina|página|seite|blad|p\.)\s*\d+(?:\s*(?:\/|of|van|de|von|sur)\s*\d+)?$/u, "$1 #");
}

/** Lines at the top or bottom of a page that may be a running header or footer. */
const RUNNING_LINE_DEPTH = 2;

/**
 * Removes running headers and footers: a line among the first or last two
 * of a page that recurs on at least three pages and half of them (page
 * numbers ignored, so "Page 3 of 12" counts as one line). Left in, a capitalised
 * header would reset the section on every page, and its words would count
 * as evidence once per page.
 */
export function dropRunningLines(pages: string[][]): string[][] {
  const key = (line: string): string => runningLineKey(line);
  const edgeIndexes = (lines: string[]): number[] => {
    const filled = lines.map((line, index) => (line.trim() === "" ? -1 : index)).filter((index) => index >= 0);
    return [...new Set([...filled.slice(0, RUNNING_LINE_DEPTH), ...filled.slice(-RUNNING_LINE_DEPTH)])];
  };
  const pagesWith = new Map<string, number>();
  for (const lines of pages) {
    for (const edge of new Set(edgeIndexes(lines).map((index) => key(lines[index] ?? "")))) pagesWith.set(edge, (pagesWith.get(edge) ?? 0) + 1);
  }
  const threshold = Math.max(3, pages.length / 2);
  return pages.map((lines) => {
    const drop = new Set(edgeIndexes(lines).filter((index) => (pagesWith.get(key(lines[index] ?? "")) ?? 0) >= threshold));
    return lines.filter((_, index) => !drop.has(index));
  });
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Title and language from the document information and catalog, when they say something. */
async function addMetadata(pdf: PdfDocument, document: TenderDocument): Promise<void> {
  const { info } = await pdf.getMetadata().catch(() => ({ info: {} }));
  const fields = info as Record<string, unknown>;
  const title = typeof fields.Title === "string" ? fields.Title.replace(/^Microsoft Word - /, "").trim() : "";
  // Producers often put a file name or "Untitled" there; that is no title.
  if (title !== "" && !/\.(docx?|pdf|odt|rtf)$/i.test(title) && !/^untitled$/i.test(title)) document.title = title;
  const language = typeof fields.Language === "string" ? fields.Language.trim() : "";
  if (/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(language)) document.declaredLanguage = language;
}
