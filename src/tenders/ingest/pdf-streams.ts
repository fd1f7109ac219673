/**
 * A budget on what a PDF's compressed streams unpack to, checked before
 * pdf.js opens the file. pdf.js inflates every content stream, font and
 * object stream it needs into memory with no limit, so a 4 MB FlateDecode
 * bomb grew the process to 9 GB (finding 14 of issue 15), and pdf.js has no
 * option to stop it. Hence this scan: every `stream ... endstream` whose
 * dictionary names FlateDecode is inflated by zlib with an output cap and
 * the bytes thrown away, per stream and in total.
 *
 * This scan reads PDF syntax with expressions, so it misses streams spelt
 * otherwise (review M1 of issue 15); it stays as a cheap early refusal of the
 * plain case, and pdf-decode-budget.ts counts what pdf.js really decodes.
 *
 * Images are skipped: text extraction never decodes them, and scanned pages
 * legitimately unpack to far more than their text. Streams whose data zlib
 * cannot read (another filter first, encryption) are skipped too: the worker
 * that parses the document keeps its own memory and time limits for
 * whatever this scan cannot see.
 */
import { constants, inflateRawSync, inflateSync } from "node:zlib";
import { formatBytes, IngestError } from "./common.ts";

export interface StreamBudget {
  /** Largest single stream, unpacked. */
  maxPartBytes: number;
  /** Largest total over all streams, unpacked. */
  maxUncompressedBytes: number;
}

const STREAM_START = /\bstream(?:\r\n|\n|\r)/g;

export function checkPdfStreams(bytes: Uint8Array, budget: StreamBudget): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // latin1 keeps one character per byte, so string offsets are byte offsets.
  const text = buffer.toString("latin1");
  let total = 0;
  STREAM_START.lastIndex = 0;
  for (let match = STREAM_START.exec(text); match !== null; match = STREAM_START.exec(text)) {
    const dictionary = dictionaryBefore(text, match.index);
    const start = match.index + match[0].length;
    const end = text.indexOf("endstream", start);
    const stop = end === -1 ? text.length : end;
    STREAM_START.lastIndex = stop;
    if (!/\/(?:FlateDecode|Fl)\b/.test(dictionary) || /\/Subtype\s*\/Image\b/.test(dictionary)) continue;
    const size = inflatedSize(buffer.subarray(start, stop), budget.maxPartBytes);
    if (size === undefined) continue;
    if (size > budget.maxPartBytes) {
      throw new IngestError(`refused PDF: a compressed stream unpacks to more than ${formatBytes(budget.maxPartBytes)} (limit per stream), possibly a decompression bomb`);
    }
    total += size;
    if (total > budget.maxUncompressedBytes) {
      throw new IngestError(`refused PDF: its compressed streams unpack to more than ${formatBytes(budget.maxUncompressedBytes)}, possibly a decompression bomb`);
    }
  }
}

/** The dictionary text just before a `stream` keyword: back to the object header, at most 4 KiB. */
function dictionaryBefore(text: string, at: number): string {
  const from = Math.max(0, at - 4096);
  const window = text.slice(from, at);
  const header = window.lastIndexOf(" obj");
  return header === -1 ? window : window.slice(header);
}

/**
 * Bytes the stream inflates to, or more than `limit` when it goes past it
 * (zlib stops there rather than allocating the rest); undefined when zlib
 * cannot read it. A truncated stream counts what it holds.
 */
function inflatedSize(data: Buffer, limit: number): number | undefined {
  const options = { maxOutputLength: limit + 1, finishFlush: constants.Z_SYNC_FLUSH };
  for (const inflate of [inflateSync, inflateRawSync]) {
    try {
      return inflate(data, options).length;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return limit + 1;
    }
  }
  return undefined;
}
