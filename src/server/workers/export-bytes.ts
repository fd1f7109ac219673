/**
 * An export's bytes as a list of chunks of about a MiB, each with an
 * ArrayBuffer of its own: built piece by piece as the export is written
 * (never one string of the whole, then a copy as bytes: for a 126 MiB
 * export that alone was three times its size), moved from the worker thread
 * without a copy (each chunk's buffer is transferable, which a slice of
 * Node's shared Buffer pool is not), and sent to every reader as the same
 * chunks (export-cache.ts).
 *
 * @example
 *   const writer = new ExportBytesWriter();
 *   await writeExportJson(db, { reviewStates }, (text) => writer.write(text));
 *   const bytes = writer.finish(); // { chunks: [...], byteLength }
 */

export interface ExportBytes {
  chunks: Uint8Array<ArrayBuffer>[];
  byteLength: number;
}

/** Text gathered before it is encoded: big enough that chunks are few, small enough that the pending text costs little. */
const CHUNK_CHARACTERS = 1024 * 1024;

export class ExportBytesWriter {
  readonly #chunks: Uint8Array<ArrayBuffer>[] = [];
  readonly #encoder = new TextEncoder();
  #byteLength = 0;
  #pending: string[] = [];
  #pendingCharacters = 0;

  /** Adds `text`, a whole piece (never half of a surrogate pair: each piece is encoded as it stands). */
  write(text: string): void {
    this.#pending.push(text);
    this.#pendingCharacters += text.length;
    if (this.#pendingCharacters >= CHUNK_CHARACTERS) this.#flush();
  }

  /** The bytes written; the writer is not to be used afterwards. */
  finish(): ExportBytes {
    this.#flush();
    return { chunks: this.#chunks, byteLength: this.#byteLength };
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    // TextEncoder gives a fresh buffer of the chunk's exact size: transferable, and nothing else in it.
    const chunk = this.#encoder.encode(this.#pending.join(""));
    this.#pending = [];
    this.#pendingCharacters = 0;
    this.#chunks.push(chunk);
    this.#byteLength += chunk.byteLength;
  }
}
