/**
 * The exports (/export.json, /export/*.csv) as bytes, built once per data
 * revision and shared by every reader: with 260,000 institutions the JSON
 * export is 60 MB, and serialising it again for each request (30 slow
 * readers held 30 copies: 2.8 GB) is what this avoids. Each reader gets the
 * same buffer, which Node writes to every socket without copying it.
 *
 * Entries are kept under the revision they were built at (read before the
 * build, as read-cache.ts does, so that a write during the build leaves an
 * entry the next reader rebuilds, never a stale one); readers who arrive
 * during a build wait for that build rather than starting another. At most
 * MAX_CACHED_BYTES are kept, the least recently read dropped first.
 *
 * @example
 *   const bytes = await cache.get(store.db, "json:published", () => work.run(store.db, { kind: "export", format: "json", reviewStates }, "json:published"));
 */
import type { Kysely } from "kysely";
import { LRUCache } from "lru-cache";
import { dataRevision, type Schema } from "../store/index.ts";

const MAX_CACHED_BYTES = 256 * 1024 * 1024;

interface Built {
  revision: number;
  bytes: Uint8Array<ArrayBuffer>;
}

export class ExportCache {
  readonly #built = new LRUCache<string, Built>({ maxSize: MAX_CACHED_BYTES, sizeCalculation: (entry) => Math.max(1, entry.bytes.byteLength) });
  readonly #building = new Map<string, { revision: number; bytes: Promise<Uint8Array<ArrayBuffer>> }>();

  async get(db: Kysely<Schema>, key: string, build: () => Promise<Uint8Array<ArrayBuffer>>): Promise<Uint8Array<ArrayBuffer>> {
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
