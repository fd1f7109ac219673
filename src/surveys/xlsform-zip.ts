/**
 * The zip bomb guard in front of exceljs. An .xlsx is a zip, and a zip can
 * announce, or hide, far more data than its size suggests; exceljs (through
 * JSZip) inflates every part into memory. So, before exceljs sees the
 * bytes, yauzl reads the central directory and refuses too many entries,
 * too many announced bytes, or a part that inflates more than any XML does;
 * then every entry is inflated once into nothing, yauzl's validateEntrySizes
 * stopping an entry that produces more than it announced, so a directory
 * that lies cannot slip a bomb past the first check (the same two passes as
 * src/tenders/ingest/docx.ts).
 */
import type { Readable } from "node:stream";
import yauzl from "yauzl";
import { FormError, formatBytes, oneLineText } from "./xlsform-common.ts";

export interface ZipLimits {
  /** Entries in the zip: a workbook has a few dozen. */
  maxEntries: number;
  /** All entries together, inflated. */
  maxUncompressedBytes: number;
  /**
   * The parts exceljs parses (everything but media), inflated: exceljs holds
   * about 60 bytes of memory per byte of sheet XML, so this bounds its
   * memory (10 MB of XML is some 300,000 cells, far beyond any form).
   */
  maxXmlBytes: number;
  /** Inflated over compressed size of one entry larger than ratioFloorBytes; XML rarely passes 50. */
  maxRatio: number;
  ratioFloorBytes: number;
}

export const ZIP_LIMITS: ZipLimits = {
  maxEntries: 1_000,
  maxUncompressedBytes: 50 * 1024 * 1024,
  maxXmlBytes: 10 * 1024 * 1024,
  maxRatio: 200,
  ratioFloorBytes: 1024 * 1024,
};

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** Pictures and embedded files, which exceljs keeps as bytes without parsing. */
const MEDIA = /^xl\/(media|embeddings)\/|\.(png|jpe?g|gif|bmp|tiff?|emf|wmf|svg|webp|bin)$/i;
const isXmlPart = (name: string): boolean => !MEDIA.test(name);

const startsWith = (bytes: Uint8Array, magic: readonly number[]): boolean => magic.every((byte, index) => bytes[index] === byte);

/** A legacy .xls, or an .xlsx with a password, is an OLE compound file. */
export const isOleFile = (bytes: Uint8Array): boolean => startsWith(bytes, OLE_MAGIC);
export const isZipFile = (bytes: Uint8Array): boolean => startsWith(bytes, ZIP_MAGIC);

const bomb = (message: string): FormError => new FormError("", null, null, `refused: ${message}, possibly a zip bomb`);
const tooMuchXml = (limits: ZipLimits): FormError =>
  new FormError("", null, null, `refused: the workbook's sheets unpack to more than ${formatBytes(limits.maxXmlBytes)}, far more than any form (or a zip bomb)`);
const corrupt = (error: unknown): FormError => new FormError("", null, null, `corrupt .xlsx: ${oneLineText(error instanceof Error ? error.message : String(error))}`);

/** Throws a FormError unless the bytes are a zip that inflates within the limits. */
export async function checkZip(bytes: Uint8Array, limits: ZipLimits = ZIP_LIMITS): Promise<void> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  await checkDirectory(buffer, limits);
  await inflateAll(buffer, limits);
}

async function openZip(buffer: Buffer): Promise<yauzl.ZipFile> {
  try {
    return await yauzl.fromBufferPromise(buffer, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false });
  } catch (error) {
    throw corrupt(error);
  }
}

async function checkDirectory(buffer: Buffer, limits: ZipLimits): Promise<void> {
  const zip = await openZip(buffer);
  try {
    if (zip.entryCount > limits.maxEntries) throw bomb(`the zip holds ${zip.entryCount} entries (limit ${limits.maxEntries})`);
    let total = 0;
    let xml = 0;
    for await (const entry of zip.eachEntry()) {
      total += entry.uncompressedSize;
      if (total > limits.maxUncompressedBytes) {
        throw bomb(`it would unpack to more than ${formatBytes(limits.maxUncompressedBytes)} (the zip announces at least ${formatBytes(total)})`);
      }
      if (isXmlPart(entry.fileName)) xml += entry.uncompressedSize;
      if (xml > limits.maxXmlBytes) throw tooMuchXml(limits);
      if (entry.uncompressedSize > limits.ratioFloorBytes && entry.uncompressedSize > limits.maxRatio * Math.max(entry.compressedSize, 1)) {
        throw bomb(`${entry.fileName} unpacks ${Math.round(entry.uncompressedSize / Math.max(entry.compressedSize, 1))} times its size (limit ${limits.maxRatio})`);
      }
    }
  } catch (error) {
    throw error instanceof FormError ? error : corrupt(error);
  } finally {
    zip.close();
  }
}

async function inflateAll(buffer: Buffer, limits: ZipLimits): Promise<void> {
  const zip = await openZip(buffer);
  let total = 0;
  let xml = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith("/")) continue;
      const counted = isXmlPart(entry.fileName);
      const stream: Readable = await zip.openReadStreamPromise(entry);
      for await (const chunk of stream) {
        total += (chunk as Buffer).length;
        if (counted) xml += (chunk as Buffer).length;
        if (total > limits.maxUncompressedBytes) {
          stream.destroy();
          throw bomb(`it unpacks to more than ${formatBytes(limits.maxUncompressedBytes)}`);
        }
        if (xml > limits.maxXmlBytes) {
          stream.destroy();
          throw tooMuchXml(limits);
        }
      }
    }
  } catch (error) {
    if (error instanceof FormError) throw error;
    // yauzl's validateEntrySizes: the entry inflates to more than the directory says.
    if (String(error instanceof Error ? error.message : error).includes("too many bytes")) {
      throw bomb("an entry unpacks to more bytes than the zip directory announces");
    }
    throw corrupt(error);
  } finally {
    zip.close();
  }
}
