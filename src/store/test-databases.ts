/**
 * Test support (not part of the store): fresh, empty stores for test suites
 * that run on both databases. SQLite is in memory, or in a file of a
 * temporary folder when a test needs a second connection to it; PostgreSQL
 * (BASELINE_TEST_POSTGRES_URL, default the local server) gets a schema of
 * its own per store, so that parallel test files and runs stay apart, and
 * the schema is dropped on close.
 *
 * @example
 *   for (const dialect of TEST_DIALECTS) {
 *     describe(`thing on ${dialect}`, { skip: await skipReason(dialect) }, () => {
 *       let store: TestStore;
 *       before(async () => (store = await openTestStore(dialect, { name: "thing_test" })));
 *       after(() => store.close());
 *     });
 *   }
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openDatabase, redactUrl, type DialectName, type OpenDatabaseOptions, type Store } from "./database.ts";

/** The PostgreSQL server (and database) the tests use. */
const TEST_POSTGRES_URL = process.env.BASELINE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Why the PostgreSQL half of a suite is skipped. */
const POSTGRES_UNREACHABLE = `PostgreSQL is not reachable at ${redactUrl(TEST_POSTGRES_URL)}; start it or set BASELINE_TEST_POSTGRES_URL`;

/** Both dialects, in the order suites run them. */
export const TEST_DIALECTS: readonly DialectName[] = ["sqlite", "postgres"];

let reachable: Promise<boolean> | undefined;

/** Whether the test PostgreSQL server answers (asked once per process, within 2 s). */
function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/** For `describe(name, { skip })`: why tests on `dialect` cannot run here, or false when they can. */
export async function skipReason(dialect: DialectName): Promise<string | false> {
  return dialect === "postgres" && !(await postgresReachable()) ? POSTGRES_UNREACHABLE : false;
}

export interface TestStoreOptions {
  /** Names the PostgreSQL schema (`<name>_<pid>_<time>_<n>`) and the temporary folder; letters, digits and _. */
  name?: string;
  /** SQLite: a file in a temporary folder instead of memory, so that `openAnother` can connect to it. */
  file?: boolean;
  /** Extra `pg` pool settings, e.g. `{ max: 4 }`; the schema's search path is set here. */
  postgres?: Omit<NonNullable<OpenDatabaseOptions["postgres"]>, "options">;
}

/** A store on a database of its own, gone once closed. */
export interface TestStore extends Store {
  /**
   * Another store on the same database: the same SQLite file or PostgreSQL
   * schema, as a second server would have. Closed by `close()` if still open.
   * SQLite in memory has no second connection: open with `{ file: true }`.
   */
  openAnother(): Promise<Store>;
  /**
   * What `openAnother` opens, for a connection made elsewhere (a worker
   * thread): the unredacted URL and, on PostgreSQL, the schema's search path.
   */
  readonly connection: { url: string; options?: OpenDatabaseOptions };
  /** Closes this store and those of `openAnother`, then drops the schema or deletes the folder. */
  close(): Promise<void>;
}

let opened = 0;

/** A fresh, migrated, empty store on `dialect`. */
export async function openTestStore(dialect: DialectName, options: TestStoreOptions = {}): Promise<TestStore> {
  const name = options.name ?? "baseline_test";
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`test store name ${JSON.stringify(name)}: use lower-case letters, digits and _`);
  opened += 1;
  let connection: TestStore["connection"];
  let open: () => Promise<Store>;
  let openAgain: () => Promise<Store>;
  let remove: () => Promise<void>;
  if (dialect === "postgres") {
    const schema = `${name}_${process.pid}_${Date.now()}_${opened}`;
    await onPostgres(`create schema "${schema}"`);
    connection = { url: TEST_POSTGRES_URL, options: { postgres: { ...options.postgres, options: `-c search_path=${schema}` } } };
    open = openAgain = () => openDatabase(connection.url, connection.options);
    remove = () => onPostgres(`drop schema if exists "${schema}" cascade`);
  } else if (options.file) {
    const folder = mkdtempSync(join(tmpdir(), `baseline-${name}-`));
    connection = { url: `sqlite:${join(folder, "observatory.sqlite")}` };
    open = openAgain = () => openDatabase(connection.url);
    remove = () => {
      rmSync(folder, { recursive: true, force: true });
      return Promise.resolve();
    };
  } else {
    connection = { url: "sqlite::memory:" };
    open = () => openDatabase(connection.url);
    openAgain = () => Promise.reject(new Error("an in-memory SQLite database has one connection: open the test store with { file: true }"));
    remove = () => Promise.resolve();
  }

  let store: Store;
  try {
    store = await open();
  } catch (error) {
    await remove();
    throw error;
  }
  const others = new Set<Store>();
  return {
    // Every Store member as it is; only close() is this module's own.
    ...store,
    connection,
    openAnother: async () => {
      const other = await openAgain();
      others.add(other);
      return {
        ...other,
        close: () => {
          others.delete(other);
          return other.close();
        },
      };
    },
    close: async () => {
      try {
        for (const other of others) await other.close();
        others.clear();
        await store.close();
      } finally {
        await remove();
      }
    },
  };
}

/** Runs one statement on the test server, on a connection of its own. */
async function onPostgres(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * `count` institutions written straight into the table in one statement,
 * named `<namePrefix> 0001`, `0002`, ... (ids likewise when `idPrefix` is
 * given, otherwise random): for tests about many institutions, where
 * validated, audited creates would only slow them down.
 */
export async function insertBulkInstitutions(
  db: Store["db"],
  count: number,
  options: { namePrefix: string; idPrefix?: string },
): Promise<{ id: string; name: string }[]> {
  const now = new Date().toISOString();
  const rows = Array.from({ length: count }, (_, index) => {
    const number = String(index + 1).padStart(4, "0");
    return {
      id: options.idPrefix === undefined ? randomUUID() : `${options.idPrefix}${number}`,
      name: `${options.namePrefix} ${number}`,
      kind: "government" as const,
      country: "NL",
      region: "155",
      global_south: false,
      sector: null,
      created_at: now,
      updated_at: now,
    };
  });
  await db.insertInto("institutions").values(rows).execute();
  return rows.map(({ id, name }) => ({ id, name }));
}
