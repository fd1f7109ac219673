/**
 * A cache of read results (matrix counts, tag counts, coverage) that is
 * never stale: each entry remembers the database's data revision when it
 * was computed, and is used only while the revision is unchanged. Every
 * audited write raises the revision in its own transaction (audit.ts), so a
 * change made by this process, another server on the same PostgreSQL, or a
 * `baseline restore` all invalidate it at once.
 *
 * Why: an aggregate over 10,000 policies costs 10-30 ms of SQL; asking for
 * the revision costs one primary-key read. The observatory is read far more
 * than written, so most pages are served from the cache.
 *
 * @example
 *   const cells = await cachedRead(db, `matrix:${JSON.stringify(query)}`, () => countMatrix(db, query));
 */
import type { Kysely } from "kysely";
import { LRUCache } from "lru-cache";
import type { Schema } from "./schema.ts";

/** Distinct aggregates kept per database: the matrix views × review-state sets × a few filters. */
const ENTRIES_PER_DATABASE = 500;

interface Entry {
  revision: number;
  value: unknown;
}

// One cache per Kysely instance (per store), so that two stores in one
// process (tests, the benchmark) never see each other's results.
const caches = new WeakMap<object, LRUCache<string, Entry>>();

/** The current data revision; raised by every audited write. */
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
export async function cachedRead<T>(db: Kysely<Schema>, key: string, compute: () => Promise<T>): Promise<T> {
  // Inside a transaction the caller may be looking at its own uncommitted
  // writes, which other readers must not get from the cache.
  if (db.isTransaction) return compute();
  let cache = caches.get(db);
  if (!cache) {
    cache = new LRUCache<string, Entry>({ max: ENTRIES_PER_DATABASE });
    caches.set(db, cache);
  }
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
