/**
 * A budget on the bytes pdf.js decodes, counted where it decodes them.
 *
 * pdf.js (bundled by unpdf) grows every decoded stream (Flate, LZW,
 * RunLength, ASCIIHex, ASCII85, predictors, any chain of them, in content
 * streams, object streams and fonts) through one method,
 * `DecodeStream.ensureBuffer(size)`, where `size` is what the stream has
 * decoded so far. It offers no option to limit it, and a pre-scan of the
 * file's syntax cannot see what pdf.js will decode: name escapes
 * (`/Flat#65Decode`), filter arrays, strings holding " obj", long
 * dictionaries and other filters all passed the earlier scan (review M1 of
 * issue 15). So a module hook adds one call there (and in the loop that
 * collects a DecompressionStream's output) when unpdf's pdf.js bundle is
 * loaded, and the call counts each stream's size and the document's total
 * against the budget of the PDF being read.
 *
 * Patching a bundled library's text is brittle: if a new unpdf no longer
 * holds the exact code, nothing is patched, `decodeBudgetActive()` says
 * so (a test checks it), and only the pre-scan (pdf-streams.ts) and the
 * worker's memory limits remain.
 */
import { registerHooks } from "node:module";
import { formatBytes } from "./common.ts";

const GROW = `globalThis[Symbol.for("baseline.pdfDecodeBudget")]?.grow`;
const HOOK = Symbol.for("baseline.pdfDecodeBudget");

/**
 * The two places pdf.js grows decoded data, as minified in unpdf 1.x's
 * pdfjs.mjs, and the same with the budget call: DecodeStream.ensureBuffer
 * (every decoder, chunk by chunk) and the loop that collects the chunks of
 * a DecompressionStream (pdf.js inflates Flate streams that way when it can).
 */
const PATCHES: [string, string][] = [
  ["ensureBuffer(e){let t=this.buffer;if(e<=t.byteLength)return t;", `ensureBuffer(e){${GROW}(this,e);let t=this.buffer;if(e<=t.byteLength)return t;`],
  ["for await(let e of n)a.push(e),o+=e.byteLength;", `for await(let e of n)a.push(e),o+=e.byteLength,${GROW}(this,o);`],
];

let patched = false;

registerHooks({
  load(url, context, nextLoad) {
    const result = nextLoad(url, context);
    if (!/\/unpdf\/dist\/pdfjs\.mjs$/.test(url) || result.source === undefined) return result;
    let source = typeof result.source === "string" ? result.source : Buffer.from(result.source as Uint8Array).toString("utf8");
    // All or nothing: a budget on one path only would look active and still let the other through.
    if (!PATCHES.every(([original]) => source.split(original).length === 2)) return result;
    for (const [original, replacement] of PATCHES) source = source.replace(original, replacement);
    patched = true;
    return { ...result, source };
  },
});

/** Whether pdf.js was loaded with the budget call in place (false before the first PDF is opened). */
export function decodeBudgetActive(): boolean {
  return patched;
}

export interface DecodeLimits {
  /** Largest single stream, decoded. */
  maxPartBytes: number;
  /** Largest total over all streams of the document, decoded. */
  maxUncompressedBytes: number;
}

/**
 * The budget of one PDF. pdf.js may catch an error thrown inside it (it
 * skips a broken content stream and goes on), so the first overrun is also
 * kept in `exceeded` for the reader to check, and every later call throws
 * again, so that nothing more is decoded either way.
 */
export class DecodeBudget {
  readonly #limits: DecodeLimits;
  readonly #counted = new WeakMap<object, number>();
  #total = 0;
  exceeded: string | undefined;

  constructor(limits: DecodeLimits) {
    this.#limits = limits;
  }

  grow(stream: object, size: number): void {
    if (this.exceeded === undefined) {
      const before = this.#counted.get(stream) ?? 0;
      if (size <= before) return;
      this.#counted.set(stream, size);
      this.#total += size - before;
      if (size > this.#limits.maxPartBytes) {
        this.exceeded = `a compressed stream unpacks to more than ${formatBytes(this.#limits.maxPartBytes)} (limit per stream), possibly a decompression bomb`;
      } else if (this.#total > this.#limits.maxUncompressedBytes) {
        this.exceeded = `its compressed streams unpack to more than ${formatBytes(this.#limits.maxUncompressedBytes)}, possibly a decompression bomb`;
      }
    }
    if (this.exceeded !== undefined) throw new Error(this.exceeded);
  }

  /**
   * Runs `read` with this budget counting pdf.js's decoding. pdf.js runs in
   * this thread (unpdf's serverless build), and each worker reads one file
   * at a time, so one budget is active per thread; a nested call keeps the
   * outer budget in place again afterwards.
   */
  async during<T>(read: () => Promise<T>): Promise<T> {
    const scope = globalThis as Record<symbol, unknown>;
    const outer = scope[HOOK];
    scope[HOOK] = this;
    try {
      return await read();
    } finally {
      scope[HOOK] = outer;
    }
  }
}
