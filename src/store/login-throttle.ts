/**
 * The stored state of login throttling (the scheme itself is in
 * src/server/login-throttle.ts): one row per key (an address, an account or
 * a known device) with its count of failures and when the last one was.
 * Kept in the database so that a restart forgets nothing and no number of
 * other keys can push a key out; rows nobody has failed on for a day are
 * pruned.
 *
 * Keys are stored as their SHA-256: the table holds no e-mail address (nor
 * the password someone typed into the e-mail field) and every key has the
 * same small size, whatever a client sends.
 *
 * @example
 *   const allowed = await updateLoginThrottle(db, ["address:192.0.2.1", "account:a@example.org"], now, (records) => decide(records));
 */
import { createHash } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { Schema } from "./schema.ts";
import { isPostgres } from "./support.ts";

/** The table, typed here: it is the throttle's alone, and backups leave it out (it is no data of the observatory). */
export interface LoginThrottleTable {
  key: string;
  failures: number;
  last_failure_at: string;
}

/** One key's state; times in milliseconds since the epoch. A key never seen has 0 failures. */
export interface ThrottleRecord {
  failures: number;
  lastFailureAt: number;
}

function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Reads the records of `keys`, lets `decide` say what to write (null removes
 * a record), writes it, and returns `decide`'s result, all in one
 * transaction that holds the rows: parallel attempts for one key are counted
 * one after the other, never from the same stale count. On PostgreSQL the
 * rows are created first (so that there is a row to lock) and locked in key
 * order (so that two attempts never wait for each other's locks); SQLite
 * runs one transaction at a time on the store's connection.
 */
export async function updateLoginThrottle<T>(
  db: Kysely<Schema>,
  keys: readonly string[],
  now: number,
  decide: (records: ReadonlyMap<string, ThrottleRecord>) => { result: T; write: ReadonlyMap<string, ThrottleRecord | null> },
): Promise<T> {
  const throttleDb = db.$extendTables<{ login_throttle: LoginThrottleTable }>();
  const hashed = new Map(keys.map((key) => [hashKey(key), key]));
  const ordered = [...hashed.keys()].sort();
  const postgres = isPostgres(db);
  return withoutFlush(throttleDb, postgres, async (trx) => {
    if (postgres) {
      await trx
        .insertInto("login_throttle")
        .values(ordered.map((key) => ({ key, failures: 0, last_failure_at: iso(now) })))
        .onConflict((conflict) => conflict.column("key").doNothing())
        .execute();
    }
    const query = trx.selectFrom("login_throttle").selectAll().where("key", "in", ordered).orderBy("key");
    const rows = await (postgres ? query.forUpdate() : query).execute();
    const records = new Map<string, ThrottleRecord>();
    for (const key of keys) records.set(key, { failures: 0, lastFailureAt: 0 });
    for (const row of rows) {
      const key = hashed.get(row.key);
      if (key !== undefined) records.set(key, { failures: row.failures, lastFailureAt: Date.parse(row.last_failure_at) });
    }
    const { result, write } = decide(records);
    for (const [key, record] of write) {
      const stored = hashKey(key);
      if (record === null) {
        await trx.deleteFrom("login_throttle").where("key", "=", stored).execute();
        continue;
      }
      const values = { failures: record.failures, last_failure_at: iso(record.lastFailureAt) };
      await trx
        .insertInto("login_throttle")
        .values({ key: stored, ...values })
        .onConflict((conflict) => conflict.column("key").doUpdateSet(values))
        .execute();
    }
    return result;
  });
}

/**
 * Runs `work` in a transaction whose commit does not wait for the disk.
 * Every login attempt commits here, before its password is checked: under
 * a flood of attempts, SQLite's fsync per commit (synchronous FULL, the
 * store's setting for data) held the event loop about 5 ms each time, and
 * that alone put a real login's answer past a second. A power cut may lose
 * the last moment's counts, which only gives back a few guesses; a crash of
 * the process loses nothing (SQLite's WAL with synchronous NORMAL;
 * PostgreSQL's synchronous_commit off keeps its write-ahead log intact too).
 * On SQLite the setting belongs to the connection and cannot change inside
 * a transaction, so it is set around it, on the one connection, and put back.
 */
async function withoutFlush<DB, T>(db: Kysely<DB>, postgres: boolean, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  if (postgres) {
    return db.transaction().execute(async (trx) => {
      await sql`set local synchronous_commit = off`.execute(trx);
      return work(trx);
    });
  }
  return db.connection().execute(async (connection) => {
    const before = (await sql<{ synchronous: number }>`pragma synchronous`.execute(connection)).rows[0]?.synchronous ?? 2;
    await sql`pragma synchronous = normal`.execute(connection);
    try {
      return await connection.transaction().execute(work);
    } finally {
      await sql`pragma synchronous = ${sql.raw(String(before))}`.execute(connection);
    }
  });
}

/** Removes the records whose last failure is older than `before` (ms); returns how many. */
export async function pruneLoginThrottle(db: Kysely<Schema>, before: number): Promise<number> {
  const throttleDb = db.$extendTables<{ login_throttle: LoginThrottleTable }>();
  const result = await throttleDb.deleteFrom("login_throttle").where("last_failure_at", "<", iso(before)).executeTakeFirst();
  return Number(result.numDeletedRows);
}
