/**
 * The exports (/export.json, /export/*.csv) as bytes, built once per data
 * revision and shared by every reader: with 260,000 institutions the JSON
 * export is 60 MB, and serialising it again for each request (30 slow
 * readers held 30 copies: 2.8 GB) is what this avoids. The bytes are
 * chunks (workers/export-bytes.ts); each reader gets a stream of the same
 * chunks ({@link streamOf}), which Node writes to every socket without
 * copying them, one at a time as the reader takes them.
 *
 * Entries are kept under the revision they were built at (read before the
 * build, as read-cache.ts does, so that a write during the build leaves an
 * entry the next reader rebuilds, never a stale one); readers who arrive
 * during a build wait for that build rather than starting another. At most
 * MAX_CACHED_BYTES are kept, the least recently read dropped first.
 *
 * @example
 *   const bytes = await cache.get(store.db, "json:published", () => work.run(store.db, { kind: "export", format: "json", reviewStates }, "json:published"));
 *   return new Response(streamOf(bytes), { headers: { "Content-Length": String(bytes.byteLength) } });
 */
import type { Kysely } from "kysely";
import { LRUCache } from "lru-cache";
import { dataRevision, type Schema } from "../store/index.ts";
import type { ExportBytes } from "./workers/export-bytes.ts";

const MAX_CACHED_BYTES = 256 * 1024 * 1024;

interface Built {
  revision: number;
  bytes: ExportBytes;
}

export class ExportCache {
  readonly #built = new LRUCache<string, Built>({ maxSize: MAX_CACHED_BYTES, sizeCalculation: (entry) => Math.max(1, entry.bytes.byteLength) });
  readonly #building = new Map<string, { revision: number; bytes: Promise<ExportBytes> }>();

  async get(db: Kysely<Schema>, key: string, build: () => Promise<ExportBytes>): Promise<ExportBytes> {
    const revision = await dataRevision(db);
    const built = this.#built.get(key);
    if (built?.revision === revision) return built.bytes;
    const building = this.#building.get(key);
    if (building?.revision === revision) return building.bytes;
    const bytes = build().then((result) => {
      this.#built.set(key, { revision, bytes: result });
      return result;
    });
    const entry = { revision, bytes };
    this.#building.set(key, entry);
    // Whatever the outcome, the next reader starts afresh (a failed build is not kept).
    const forget = (): void => {
      if (this.#building.get(key) === entry) this.#building.delete(key);
    };
    bytes.then(forget, forget);
    return bytes;
  }
}

/**
 * One reader's stream of `bytes`: the cached chunks themselves, handed over
 * one at a time as the reader's socket takes them (no copy per reader, and
 * nothing queued beyond what the socket holds).
 */
export function streamOf(bytes: ExportBytes): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const chunk = bytes.chunks[next++];
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}
