/**
 * A cache of read results (matrix counts, tag counts, coverage) that is
 * never stale: each entry remembers the database's data revision when it
 * was computed, and is used only while the revision is unchanged. The
 * database raises the revision on every change to the observatory's tables,
 * in the changing transaction (triggers, migrations.ts), so a change made by
 * this process, another server on the same PostgreSQL, a `baseline
 * restore` or plain SQL all invalidate it at once.
 *
 * Why: an aggregate over 10,000 policies costs 10-30 ms of SQL; asking for
 * the revision costs one primary-key read. The observatory is read far more
 * than written, so most pages are served from the cache.
 *
 * @example
 *   const cells = await cachedRead(db, "aggregate", `matrix:${JSON.stringify(query)}`, () => countMatrix(db, query));
 */
import type { Kysely } from "kysely";
import { LRUCache } from "lru-cache";
import type { Schema } from "./schema.ts";

/**
 * What is cached, each kind in its own bounded LRU so that a crawler walking
 * thousands of list pages cannot push the matrices out:
 * - "aggregate": matrices, tag counts, coverage (a few dozen views × review-state sets);
 * - "list": one page of a list (up to a few hundred records), or one
 *   narrowed aggregate (one institution's or country's counts), bounded in
 *   entries and by size (key and value in JSON, plus overhead; 50 policies
 *   are about 60 KiB), so memory stays bounded whatever pages are asked
 *   for. Free-text searches are not cached at all (see listPolicies): each
 *   is typed once.
 * - "export": whole exports (JSON and CSV, per review-state set), a few MiB
 *   each and few of them: open to anonymous visitors, they would otherwise
 *   read every policy on every request.
 */
const LIST_CACHE_BYTES = 48 * 1024 * 1024;
const LIST_CACHE_ENTRIES = 5000;
/** What an entry costs beyond its key and value (LRU bookkeeping, the entry object): an estimate on the safe side. */
const ENTRY_OVERHEAD_BYTES = 512;
export type CacheSpace = "aggregate" | "list" | "export";

interface Entry {
  revision: number;
  value: unknown;
}

// Per Kysely instance (per store), so that two stores in one process
// (tests, the benchmark) never see each other's results.
const caches = new WeakMap<object, Record<CacheSpace, LRUCache<string, Entry>>>();

function cacheOf(db: Kysely<Schema>, space: CacheSpace): LRUCache<string, Entry> {
  let spaces = caches.get(db);
  if (!spaces) {
    spaces = {
      aggregate: new LRUCache({ max: 200 }),
      // The key counts too (it holds the filter), and every entry costs the
      // map and the objects around it; the entry cap bounds the rest.
      export: new LRUCache({ max: 8 }),
      list: new LRUCache({ max: LIST_CACHE_ENTRIES, maxSize: LIST_CACHE_BYTES, sizeCalculation: (entry, key) => ENTRY_OVERHEAD_BYTES + key.length + JSON.stringify(entry.value).length }),
    };
    caches.set(db, spaces);
  }
  return spaces[space];
}

/** How many entries, and how many bytes by the cache's own estimate, each space holds now: for tests and diagnostics. */
export function cacheStats(db: Kysely<Schema>): Record<CacheSpace, { entries: number; bytes: number }> {
  const stats = (space: CacheSpace) => {
    const cache = cacheOf(db, space);
    return { entries: cache.size, bytes: cache.calculatedSize };
  };
  return { aggregate: stats("aggregate"), list: stats("list"), export: stats("export") };
}

/** The current data revision; raised by every change to institutions, policies and their links. */
export async function dataRevision(db: Kysely<Schema>): Promise<number> {
  const row = await db.selectFrom("data_revision").select("revision").where("id", "=", 1).executeTakeFirst();
  return row?.revision ?? 0;
}

/**
 * `compute()`'s result, from the cache when nothing was written since it was
 * computed under the same `key`. The revision is read before computing, so
 * that a write landing during the computation leaves an entry that the next
 * reader (seeing the raised revision) recomputes, never a stale one.
 *
 * The value is shared by every caller, so it is frozen (deeply): a caller
 * that tried to change it would throw rather than corrupt other pages.
 */
export async function cachedRead<T>(db: Kysely<Schema>, space: CacheSpace, key: string, compute: () => Promise<T>): Promise<T> {
  // Inside a transaction the caller may be looking at its own uncommitted
  // writes, which other readers must not get from the cache.
  if (db.isTransaction) return compute();
  const cache = cacheOf(db, space);
  const revision = await dataRevision(db);
  const entry = cache.get(key);
  if (entry?.revision === revision) return entry.value as T;
  const value = deepFreeze(await compute());
  cache.set(key, { revision, value });
  return value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
