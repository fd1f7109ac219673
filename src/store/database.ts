/**
 * Opens the observatory's database from a URL and brings its schema up to
 * date: SQLite (embedded, the default) through node:sqlite, or PostgreSQL
 * through a `pg` pool. Both sit behind one Kysely instance typed with
 * {@link Schema}, so the repositories run unchanged on either.
 *
 * @example
 *   const store = await openDatabase("sqlite:data/baseline.db");
 *   const users = await store.db.selectFrom("users").selectAll().execute();
 *   await store.close();
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import { migrationProvider } from "./migrations.ts";
import type { Schema } from "./schema.ts";
import { NodeSqliteDialect } from "./sqlite.ts";
import { describeError } from "./support.ts";

export type DialectName = "sqlite" | "postgres";

export interface OpenDatabaseOptions {
  /** Extra `pg` pool settings (pool size, `options: "-c search_path=..."`); the URL gives the connection. */
  postgres?: Omit<pg.PoolConfig, "connectionString">;
}

export interface Store {
  db: Kysely<Schema>;
  dialect: DialectName;
  /** The URL it was opened with, password hidden: safe to print. */
  url: string;
  /**
   * Refreshes the query planner's statistics where the data has grown or
   * shrunk a lot since they were taken. SQLite keeps none unless asked, and
   * without them it takes "review state = published" (85% of the rows) for
   * a selective condition and reads lists through the wrong index: 10 times
   * slower filtered lists on 10,000 policies. Cheap when nothing changed
   * (SQLite's `pragma optimize` checks first); nothing to do on PostgreSQL,
   * whose autovacuum analyses on its own. Called on open, after seeding and
   * restoring, and every few minutes by `baseline serve`.
   */
  optimize(): Promise<void>;
  close(): Promise<void>;
}

/** The database URL is not one Baseline understands. */
export class DatabaseUrlError extends Error {
  override name = "DatabaseUrlError";
}

/** The database could not be reached, created or migrated. */
export class DatabaseOpenError extends Error {
  override name = "DatabaseOpenError";
}

export type DatabaseLocation = { dialect: "sqlite"; path: string } | { dialect: "postgres"; connectionString: string };

const URL_FORMS = "expected sqlite:PATH, sqlite::memory: or postgres://USER@HOST[:PORT]/DB";
/** How long a writer waits for another connection's lock before SQLite gives up with SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;
const POSTGRES_CONNECT_TIMEOUT_MS = 5000;

/** `sqlite:PATH`, `sqlite::memory:`, `postgres://USER@HOST[:PORT]/DB` (or `postgresql://`). */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  const shown = redactUrl(url);
  if (url.startsWith("sqlite:")) {
    let path = url.slice("sqlite:".length);
    // sqlite:///abs/path and sqlite://rel/path, as other tools write them.
    if (path.startsWith("//")) path = path.slice(2);
    if (path === "") throw new DatabaseUrlError(`invalid database URL "${shown}": the file path is missing (${URL_FORMS})`);
    return { dialect: "sqlite", path };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DatabaseUrlError(`invalid database URL "${shown}": not a well-formed URL (${URL_FORMS})`);
    }
    if (parsed.hostname === "") throw new DatabaseUrlError(`invalid database URL "${shown}": the host is missing (${URL_FORMS})`);
    if (parsed.pathname.length <= 1) throw new DatabaseUrlError(`invalid database URL "${shown}": the database name is missing (${URL_FORMS})`);
    return { dialect: "postgres", connectionString: url };
  }
  throw new DatabaseUrlError(`invalid database URL "${shown}": ${URL_FORMS}`);
}

/** The URL with its password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}

/** Opens (creating when needed) and migrates the database at `url`. */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Store> {
  const location = parseDatabaseUrl(url);
  const shown = redactUrl(url);
  const store =
    location.dialect === "sqlite"
      ? await openSqlite(location.path, shown)
      : openPostgres(location.connectionString, shown, options.postgres ?? {});
  try {
    await migrate(store);
    await store.optimize();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw new DatabaseOpenError(`cannot open database ${shown}: ${describeError(error)}`, { cause: error });
  }
  return store;
}

async function openSqlite(path: string, shown: string): Promise<Store> {
  const inMemory = path === ":memory:";
  let database: DatabaseSync;
  try {
    if (!inMemory) mkdirSync(dirname(resolve(path)), { recursive: true });
    database = new DatabaseSync(path, { timeout: SQLITE_BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true });
  } catch (error) {
    throw new DatabaseOpenError(`cannot open database ${shown}: ${describeError(error)}`, { cause: error });
  }
  const db = new Kysely<Schema>({ dialect: new NodeSqliteDialect(database) });
  const store: Store = {
    db,
    dialect: "sqlite",
    url: shown,
    // 0x10000: every table, not only those this connection has used; 0x02: ANALYZE where needed.
    optimize: async () => {
      await sql`pragma optimize = 0x10002`.execute(db);
    },
    close: () => db.destroy(),
  };
  try {
    await sql`pragma foreign_keys = on`.execute(db);
    if (!inMemory) {
      // WAL: readers do not block the writer, and a crash of the process loses
      // no committed transaction. synchronous stays at SQLite's default (FULL),
      // so a committed transaction also survives a power cut.
      const result = await sql<{ journal_mode: string }>`pragma journal_mode = wal`.execute(db);
      const mode = result.rows[0]?.journal_mode;
      if (mode !== "wal") throw new Error(`the file system does not support WAL mode (journal mode stays "${mode ?? "unknown"}")`);
    }
  } catch (error) {
    await db.destroy();
    throw new DatabaseOpenError(`cannot open database ${shown}: ${describeError(error)}`, { cause: error });
  }
  return store;
}

function openPostgres(connectionString: string, shown: string, poolConfig: Omit<pg.PoolConfig, "connectionString">): Store {
  const pool = new pg.Pool({ connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS, ...poolConfig, connectionString });
  // An idle client whose server went away emits "error" on the pool; without
  // a listener that would end the process. The pool drops that client and
  // the next query gets a new one, so there is nothing else to do here.
  pool.on("error", () => undefined);
  // A client that a query or transaction holds is off the pool's idle list,
  // and an error on it (the server restarting between two statements) would
  // be unheard and end the process too; the statement fails with it anyway.
  pool.on("connect", (client) => client.on("error", () => undefined));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: "postgres", url: shown, optimize: () => Promise.resolve(), close: () => db.destroy() };
}

async function migrate(store: Store): Promise<void> {
  const migrationTableSchema = store.dialect === "postgres" ? await currentPostgresSchema(store.db) : undefined;
  const migrator = new Migrator({
    db: store.db,
    provider: migrationProvider,
    // Kysely looks for its migration table in every schema unless told which
    // one; pin it to ours, so that two schemas in one database stay apart.
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === "Error");
    throw new Error(`${failed ? `migration ${failed.migrationName} failed: ` : ""}${describeError(error)}`, { cause: error });
  }
}

async function currentPostgresSchema(db: Kysely<Schema>): Promise<string | undefined> {
  const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return result.rows[0]?.schema ?? undefined;
}
