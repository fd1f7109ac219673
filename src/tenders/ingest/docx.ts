/**
 * DOCX ingestion: mammoth turns the document into HTML that keeps headings,
 * lists and tables, and the HTML ingester turns that into passages.
 *
 * A DOCX is a zip, and a zip can announce or hide far more data than its
 * size suggests. Before mammoth (through JSZip) unpacks anything, yauzl
 * reads the central directory and the file is refused when the announced
 * total is over the limit; then every entry is inflated once into nothing,
 * with yauzl stopping any entry that produces more bytes than it announced,
 * so a directory that lies cannot slip a bomb past the first check.
 *
 * A password-protected DOCX is not a zip at all but an OLE compound file
 * (as is a legacy .doc); both are refused with the same message.
 */
import type { Readable } from "node:stream";
import { XMLParser } from "fast-xml-parser";
import mammoth from "mammoth";
import yauzl from "yauzl";
import type { TenderDocument } from "../types.ts";
import { collapseWhitespace, formatBytes, IngestError, oneLine } from "./common.ts";
import { documentFrom, htmlContent } from "./html.ts";

export interface DocxOptions {
  maxUncompressedBytes: number;
  /** Largest part other than media (word/document.xml, or whatever a relationship names) read; mammoth holds a tree of the whole part in memory. */
  maxPartBytes: number;
  /** Called after mammoth's conversion (which reports none) and while its HTML is read, for a watchdog. */
  onProgress?: () => void;
}

/**
 * Entries that may be larger than a part: images and embedded files, which
 * mammoth never parses. Every other entry is capped, whatever its name:
 * mammoth finds the main document, headers and notes through relationship
 * targets, which may have any name or none (review M2 of issue 15: a main
 * part named "word/main" escaped a cap on *.xml and *.rels).
 */
const MEDIA_NAME = /\.(?:png|jpe?g|gif|bmp|tiff?|emf|wmf|svg|webp|ico|bin|ole|xlsx|xlsm|xls|docx|pptx|pdf|mp3|mp4|wav|avi|mov|wdp|jxr)$/i;
const isMediaName = (name: string): boolean => MEDIA_NAME.test(name);

/** XML starts with "<" after an optional byte order mark and white space; a "media" entry that does is capped as a part. */
function looksLikeXml(head: Buffer): boolean {
  if (head[0] === 0xfe || head[0] === 0xff) return true;
  const text = head.subarray(0, 64).toString("latin1").replace(/^\xef\xbb\xbf/, "").trimStart();
  return text.startsWith("<");
}

/** A Word document has a few dozen parts; tens of thousands mean something else. */
const MAX_ENTRIES = 10_000;
/** docProps/core.xml is a few hundred bytes; more is not read. */
const MAX_CORE_PROPERTIES_BYTES = 1024 * 1024;

const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/** Title and Subtitle paragraphs are headings too; mammoth's default style map leaves them as plain paragraphs. */
const STYLE_MAP = ["p[style-name='Title'] => h1:fresh", "p[style-name='Subtitle'] => h2:fresh"];

export function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((byte, index) => bytes[index] === byte);
}

export const isOleFile = (bytes: Uint8Array): boolean => startsWith(bytes, OLE_MAGIC);
export const isZipFile = (bytes: Uint8Array): boolean => startsWith(bytes, ZIP_MAGIC);

export async function ingestDocx(bytes: Uint8Array, source: string, options: DocxOptions): Promise<TenderDocument> {
  if (isOleFile(bytes)) throw new IngestError("encrypted or legacy Word file: save it as a .docx without a password");
  if (!isZipFile(bytes)) throw new IngestError("corrupt DOCX: not a zip file");
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  await checkZipDirectory(buffer, options);
  const properties = await inflateAll(buffer, options);

  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer },
      {
        styleMap: STYLE_MAP,
        externalFileAccess: false,
        // Images carry no text; reading them would only cost memory.
        convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: "" })),
      },
    );
    html = result.value;
  } catch (error) {
    throw new IngestError(`corrupt DOCX: ${oneLine(error)}`);
  }
  options.onProgress?.();
  const content = htmlContent(html, options.onProgress);
  const title = properties.title ?? content.title;
  const language = properties.language ?? content.lang;
  return documentFrom(source, "docx", { passages: content.passages, ...(title ? { title } : {}), ...(language ? { lang: language } : {}) });
}

async function openZip(buffer: Buffer): Promise<yauzl.ZipFile> {
  try {
    return await yauzl.fromBufferPromise(buffer, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false });
  } catch (error) {
    throw new IngestError(`corrupt DOCX: ${oneLine(error)}`);
  }
}

/** Refuses a zip whose central directory announces too many entries or too many bytes. */
async function checkZipDirectory(buffer: Buffer, { maxUncompressedBytes, maxPartBytes }: DocxOptions): Promise<void> {
  const zip = await openZip(buffer);
  try {
    if (zip.entryCount > MAX_ENTRIES) {
      throw new IngestError(`refused DOCX: the zip holds ${zip.entryCount} entries (limit ${MAX_ENTRIES}), possibly a zip bomb`);
    }
    let total = 0;
    for await (const entry of zip.eachEntry()) {
      if (!isMediaName(entry.fileName) && entry.uncompressedSize > maxPartBytes) throw partTooLarge(entry.fileName, entry.uncompressedSize, maxPartBytes);
      total += entry.uncompressedSize;
      if (total > maxUncompressedBytes) {
        throw new IngestError(
          `refused DOCX: it would unpack to more than ${formatBytes(maxUncompressedBytes)} (the zip announces at least ${formatBytes(total)}), possibly a zip bomb`,
        );
      }
    }
  } catch (error) {
    throw error instanceof IngestError ? error : new IngestError(`corrupt DOCX: ${oneLine(error)}`);
  } finally {
    zip.close();
  }
}

/** `announced`: the size the zip directory gives; without it the part was found too large while unpacking. */
function partTooLarge(name: string, announced: number | undefined, limit: number): IngestError {
  const size = announced === undefined ? `more than ${formatBytes(limit)}` : formatBytes(announced);
  return new IngestError(`refused DOCX: ${name} unpacks to ${size} (limit ${formatBytes(limit)} per part), possibly a zip bomb`);
}

interface CoreProperties {
  title?: string;
  language?: string;
}

/**
 * Inflates every entry and throws the bytes away, so that corrupt data or a
 * size that differs from the directory's is found before mammoth runs;
 * keeps docProps/core.xml for the title.
 */
async function inflateAll(buffer: Buffer, { maxUncompressedBytes, maxPartBytes }: DocxOptions): Promise<CoreProperties> {
  const zip = await openZip(buffer);
  let total = 0;
  let core: CoreProperties = {};
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith("/")) continue;
      const keep = entry.fileName === "docProps/core.xml" && entry.uncompressedSize <= MAX_CORE_PROPERTIES_BYTES;
      let capped = !isMediaName(entry.fileName);
      const chunks: Buffer[] = [];
      const stream: Readable = await zip.openReadStreamPromise(entry);
      let part = 0;
      for await (const chunk of stream) {
        const data = chunk as Buffer;
        if (part === 0 && !capped) capped = looksLikeXml(data);
        total += data.length;
        part += data.length;
        if (capped && part > maxPartBytes) {
          stream.destroy();
          throw partTooLarge(entry.fileName, undefined, maxPartBytes);
        }
        if (total > maxUncompressedBytes) {
          stream.destroy();
          throw new IngestError(`refused DOCX: it unpacks to more than ${formatBytes(maxUncompressedBytes)}, possibly a zip bomb`);
        }
        if (keep) chunks.push(data);
      }
      if (keep) core = coreProperties(Buffer.concat(chunks).toString("utf8"));
    }
  } catch (error) {
    if (error instanceof IngestError) throw error;
    // yauzl's validateEntrySizes: the entry inflates to more than the directory says.
    if (oneLine(error).includes("too many bytes")) {
      throw new IngestError("refused DOCX: an entry unpacks to more bytes than the zip directory announces, possibly a zip bomb");
    }
    throw new IngestError(`corrupt DOCX: ${oneLine(error)}`);
  } finally {
    zip.close();
  }
  return core;
}

/** dc:title and dc:language of the package's core properties (ECMA-376 part 2, 11). */
function coreProperties(xml: string): CoreProperties {
  try {
    const parsed: unknown = new XMLParser({ removeNSPrefix: true, parseTagValue: false, processEntities: true }).parse(xml);
    const root = (parsed as { coreProperties?: Record<string, unknown> } | undefined)?.coreProperties ?? {};
    const properties: CoreProperties = {};
    const title = typeof root.title === "string" ? collapseWhitespace(root.title) : "";
    if (title !== "") properties.title = title;
    const language = typeof root.language === "string" ? root.language.trim() : "";
    if (/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(language)) properties.language = language;
    return properties;
  } catch {
    return {};
  }
}
