/**
 * Tender document ingestion: files and folders in, one TenderDocument per
 * tender out (or an IngestFailure saying in one line why a file could not be
 * read). Folders are walked recursively in sorted order, skipping hidden
 * entries and files whose extension no ingester handles. The format comes
 * from the file's first bytes where they are conclusive (%PDF-, a zip or OLE
 * header), from the extension otherwise, and from the first character
 * (`{`, `[` or `<`) for files without a known extension.
 *
 * One bad file never stops the batch, and no file is read before its size
 * is checked against `maxBytes`.
 *
 * @example
 *   for await (const result of ingestPaths(["tenders/"], { documentRoot: "tenders/docs" })) {
 *     if (isIngestFailure(result)) console.error(`${result.source}: ${result.error}`);
 *     else analyse(result);
 *   }
 */
import { constants, type Dirent } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import type { IngestFailure, Passage, TenderDocument } from "../types.ts";
import { formatBytes, IngestError, limitsOf, oneLine, type IngestLimits, type IngestOptions } from "./common.ts";
import { ingestDocx, isOleFile, isZipFile } from "./docx.ts";
import { ingestEforms } from "./eforms.ts";
import { ingestHtml } from "./html.ts";
import { ocdsDocuments } from "./ocds.ts";
import { ingestPdf } from "./pdf.ts";
import { ingestText } from "./text.ts";

export { DEFAULT_LIMITS, IngestError, type IngestOptions } from "./common.ts";

export type IngestResult = TenderDocument | IngestFailure;

type Format = TenderDocument["format"];

/** Extensions an ingester handles; anything else is skipped in folders. */
const EXTENSIONS = new Map<string, Format>([
  [".txt", "text"],
  [".text", "text"],
  [".md", "text"],
  [".html", "html"],
  [".htm", "html"],
  [".xhtml", "html"],
  [".pdf", "pdf"],
  [".docx", "docx"],
  // Legacy Word: read only to say clearly that it is not supported.
  [".doc", "docx"],
  [".json", "ocds"],
  [".jsonl", "ocds"],
  [".ndjson", "ocds"],
  [".xml", "eforms"],
]);

export function isIngestFailure(result: IngestResult): result is IngestFailure {
  return "error" in result;
}

/** Ingests files and folders, in the order given; folders in sorted order. Never throws for a bad file. */
export async function* ingestPaths(paths: string[], options: IngestOptions = {}): AsyncGenerator<IngestResult> {
  for await (const entry of filesOf(paths)) {
    if (typeof entry === "string") yield* ingestFileStream(entry, options);
    else yield entry;
  }
}

/**
 * The files ingestPaths would read, in the same order, without reading
 * them: paths given as files as they are, folders walked. For callers that
 * read each file elsewhere (the worker pool).
 */
export async function* filesOf(paths: string[]): AsyncGenerator<string | IngestFailure> {
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (error) {
      yield failure(path, `cannot read: ${describeFsError(error)}`);
      continue;
    }
    if (isDirectory) yield* walk(path);
    else yield path;
  }
}

/** Ingests one file: one document, several (an OCDS package), or failures. */
export async function ingestFile(path: string, options: IngestOptions = {}): Promise<IngestResult[]> {
  const results: IngestResult[] = [];
  for await (const result of ingestFileStream(path, options)) results.push(result);
  return results;
}

/** Ingests one file, yielding each document as soon as it is built (an OCDS package holds many). */
export async function* ingestFileStream(path: string, options: IngestOptions = {}): AsyncGenerator<IngestResult> {
  const limits = limitsOf(options);
  let bytes: Buffer;
  try {
    bytes = await readBounded(path, limits.maxBytes);
  } catch (error) {
    yield failure(path, error instanceof IngestError ? error.message : `cannot read: ${describeFsError(error)}`);
    return;
  }
  const extension = extname(path).toLowerCase();
  const format = detectFormat(bytes, extension);
  if (format === undefined) {
    yield failure(path, `unknown file type${extension ? ` "${extension}"` : ""}: not PDF, DOCX, HTML, text, OCDS JSON or eForms XML`);
    return;
  }
  try {
    for await (const result of ingestAs(format, bytes, path, extension, options, limits)) {
      yield "error" in result ? result : capCharacters(result, limits.maxCharacters);
    }
  } catch (error) {
    if (error instanceof IngestError) yield failure(path, error.message);
    else yield failure(path, `${format} reader failed: ${oneLine(error)}`);
  }
}

async function* ingestAs(format: Format, bytes: Buffer, path: string, extension: string, options: IngestOptions, limits: IngestLimits): AsyncGenerator<IngestResult> {
  switch (format) {
    case "pdf":
      yield await ingestPdf(bytes, path, { ...limits, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
      return;
    case "docx":
      yield await ingestDocx(bytes, path, { ...limits, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
      return;
    case "html":
      yield ingestHtml(bytes, path, options.onProgress);
      return;
    case "text":
      yield ingestText(bytes, path, options.onProgress);
      return;
    case "eforms":
      yield ingestEforms(bytes, path, options.onProgress);
      return;
    case "ocds": {
      const { documentRoot } = options;
      yield* ocdsDocuments(bytes, path, {
        jsonLines: extension === ".jsonl" || extension === ".ndjson",
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(documentRoot === undefined
          ? {}
          : {
              documentRoot,
              // A referenced file is read with the same limits, but its own references are not followed.
              readAttachment: (attachment: string) => ingestFile(attachment, { ...options, documentRoot: undefined }),
            }),
      });
      return;
    }
  }
}

/**
 * Keeps the first `maxCharacters` characters of a document's passages and
 * marks it truncated when more were dropped, so that a result built from
 * part of a document says so. Files the document shares with others count
 * too, each once, whole: one that no longer fits is left out (not cut, since
 * a cut copy would be a file of this document's own, analysed again for
 * every tender; review H2 of issue 15).
 */
export function capCharacters(document: TenderDocument, maxCharacters: number): TenderDocument {
  let total = 0;
  let kept: Passage[] | undefined;
  document.passages.forEach((passage, index) => {
    if (kept) return;
    total += passage.text.length;
    if (total > maxCharacters) {
      const room = passage.text.length - (total - maxCharacters);
      kept = document.passages.slice(0, index);
      if (room > 0) kept.push({ ...passage, text: passage.text.slice(0, room) });
    }
  });
  const shared = document.shared ?? [];
  let citations = shared;
  for (const [index, citation] of shared.entries()) {
    if (total + citation.group.characters <= maxCharacters) {
      total += citation.group.characters;
      continue;
    }
    citations = shared.slice(0, index);
    break;
  }
  if (!kept && citations === shared) return document;
  const capped: TenderDocument = { ...document, passages: kept ?? document.passages, truncated: true };
  if (citations.length > 0) capped.shared = citations;
  else delete capped.shared;
  return capped;
}

/**
 * The format of a file. Magic numbers win over the extension (a PDF saved
 * as .txt is still a PDF); text formats follow the extension, and only a
 * file without a known one is judged by its first character.
 */
export function detectFormat(bytes: Uint8Array, extension: string): Format | undefined {
  if (startsWithAscii(bytes, "%PDF-")) return "pdf";
  if (isZipFile(bytes) || isOleFile(bytes)) return "docx";
  const byExtension = EXTENSIONS.get(extension);
  const head = new TextDecoder("utf-8").decode(bytes.subarray(0, 1024)).replace(/^\uFEFF/, "").trimStart();
  const markup = head.startsWith("<");
  const withoutComments = head.replace(/<!--[\s\S]*?(?:-->|$)/g, "").trimStart();
  const html = markup && /^(?:<\?xml[^>]*>\s*)?<(?:!doctype\s+html|html[\s>])/i.test(withoutComments);
  if (byExtension === "html" || byExtension === "eforms") return markup ? (html || byExtension === "html" ? "html" : "eforms") : byExtension;
  if (byExtension !== undefined) return byExtension;
  if (head.startsWith("{") || head.startsWith("[")) return "ocds";
  if (markup) return html ? "html" : "eforms";
  return undefined;
}

function startsWithAscii(bytes: Uint8Array, magic: string): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, magic.length)).toString("latin1") === magic;
}

/**
 * Reads a whole file, refusing it when it is larger than `maxBytes`: first
 * by its size on disk, then by what is actually read, in case it grows.
 * Only a regular file is read. It is opened without blocking, so that a
 * FIFO (or a device) given as a path is refused at once instead of waiting
 * forever for a writer (finding 16 of issue 15); the check is on the opened
 * descriptor, so the path cannot be swapped in between.
 */
async function readBounded(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new IngestError("not a regular file");
    if (stats.size > maxBytes) throw new IngestError(`file too large: ${formatBytes(stats.size)} (limit ${formatBytes(maxBytes)})`);
    const buffer = Buffer.alloc(stats.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length >= buffer.length) throw new IngestError(`file too large: it grew past ${formatBytes(stats.size)} while being read`);
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** Files to ingest under a folder (paths), and failures for subfolders that cannot be listed. */
async function* walk(folder: string): AsyncGenerator<string | IngestFailure> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    yield failure(folder, `cannot list folder: ${describeFsError(error)}`);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      yield* walk(path);
      continue;
    }
    // Symbolic links are followed to files only, so a link cannot make the walk loop.
    const isFile = entry.isFile() || (entry.isSymbolicLink() && (await stat(path).then((stats) => stats.isFile(), () => false)));
    if (isFile && EXTENSIONS.has(extname(entry.name).toLowerCase())) yield path;
  }
}

function failure(source: string, error: string): IngestFailure {
  return { source, error };
}

/** "no such file or directory" rather than "ENOENT: no such file or directory, stat 'x'". */
function describeFsError(error: unknown): string {
  const message = oneLine(error);
  return /^E[A-Z]+: ([^,]+)/.exec(message)?.[1] ?? message;
}
