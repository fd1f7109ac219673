/**
 * Kysely on Node's built-in SQLite (`node:sqlite`), so that the embedded
 * database needs no native addon (none can be built on our machines).
 *
 * Kysely's SqliteDialect is written for better-sqlite3: it calls
 * `prepare(sql)` and asks the statement's `reader` flag whether to fetch rows
 * (`all`) or to run it for its changes (`run`), and it passes parameters as
 * one array. node:sqlite's StatementSync has no `reader` flag and takes
 * parameters as separate arguments. This adapter supplies both: a statement
 * is a reader when it has result columns (`columns()`, i.e.
 * sqlite3_column_count > 0, which is what better-sqlite3 reports too, and
 * which holds for `INSERT ... RETURNING`). The rest of the dialect (query
 * compiler, introspection, the one-connection mutex, transactions) is
 * Kysely's own.
 *
 * @example
 *   const db = new Kysely<Schema>({ dialect: new NodeSqliteDialect(new DatabaseSync(path)) });
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
  type SqliteStatement,
} from "kysely";
import { LRUCache } from "lru-cache";

/** Statements prepared once and reused: list and matrix pages run the same few queries over and over. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * How many of this thread's SQLite writes are waiting for, or holding, the
 * database's one write lock: raised before a write transaction begins (or a
 * write statement outside one runs) and lowered when it ends. Shared memory,
 * so that a worker thread given it (the web app's import) sees at once that
 * the server wants to write, commits and steps aside until the server is
 * done (importRows' `yieldTo`). The server's thread waits for the lock
 * synchronously (node:sqlite has no asynchronous API), stopping every other
 * request meanwhile; without this, a login during a long import waited the
 * whole busy timeout (5 s) and then failed.
 */
export const sqliteWriteIntent = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));

/** Statements that never ask for the write lock (or, like COMMIT, end what asked for it). */
const NOT_A_WRITE = /^\s*(?:select|explain|begin|commit|end|rollback|savepoint|release)\b/i;

/** Kysely's SQLite dialect over a node:sqlite database, with DDL in transactions and transactions that take the write lock first. */
export class NodeSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(database: DatabaseSync) {
    const config = { database: kyselySqliteDatabase(database) };
    super(config);
    this.#config = config;
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  override createDriver(): Driver {
    return new ImmediateTransactionSqliteDriver(this.#config);
  }
}

/**
 * Transactions begin with BEGIN IMMEDIATE, which takes the database's one
 * write lock at the start (waiting, up to the busy timeout, while another
 * connection holds it). Kysely's driver says BEGIN (deferred): a
 * transaction that reads, then writes, asks for the lock only at its first
 * write, and when another connection (the web app's import worker) has
 * committed since its read, SQLite refuses the write at once with
 * SQLITE_BUSY_SNAPSHOT instead of waiting: a login or an import row would
 * fail with "database is locked". With the lock taken first the snapshot
 * cannot go stale. https://www.sqlite.org/lang_transaction.html
 */
class ImmediateTransactionSqliteDriver extends SqliteDriver {
  /** Whether this driver's open transaction has raised sqliteWriteIntent (lowered once, whether it commits or rolls back). */
  #announced = false;

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    this.#announce();
    try {
      await connection.executeQuery(CompiledQuery.raw("begin immediate"));
    } catch (error) {
      this.#withdraw();
      throw error;
    }
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.commitTransaction(connection);
    } finally {
      this.#withdraw();
    }
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.rollbackTransaction(connection);
    } finally {
      this.#withdraw();
    }
  }

  #announce(): void {
    if (this.#announced) return;
    this.#announced = true;
    Atomics.add(sqliteWriteIntent, 0, 1);
  }

  #withdraw(): void {
    if (!this.#announced) return;
    this.#announced = false;
    Atomics.sub(sqliteWriteIntent, 0, 1);
  }
}

/**
 * SQLite runs CREATE TABLE and friends inside transactions, but Kysely's
 * adapter says it does not, and its Migrator then applies migrations
 * statement by statement. Saying so makes a failed (or interrupted)
 * migration leave the database as it was.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** The better-sqlite3-shaped view of a node:sqlite database that Kysely's SQLite driver expects. */
export function kyselySqliteDatabase(database: DatabaseSync): SqliteDatabase {
  const statements = new LRUCache<string, SqliteStatement>({ max: STATEMENT_CACHE_SIZE });
  return {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare: (sqlText) => {
      let statement = statements.get(sqlText);
      if (!statement) {
        statement = adaptStatement(database, database.prepare(sqlText), !NOT_A_WRITE.test(sqlText));
        statements.set(sqlText, statement);
      }
      return statement;
    },
  };
}

function adaptStatement(database: DatabaseSync, statement: StatementSync, writes: boolean): SqliteStatement {
  // A write outside a transaction takes the write lock for itself: announced
  // like a transaction (inside one, the transaction has announced it).
  const announced = <T>(run: () => T): T => {
    if (!writes || database.isTransaction) return run();
    Atomics.add(sqliteWriteIntent, 0, 1);
    try {
      return run();
    } finally {
      Atomics.sub(sqliteWriteIntent, 0, 1);
    }
  };
  return {
    reader: statement.columns().length > 0,
    all: (parameters) => announced(() => statement.all(...toSqliteValues(parameters))),
    run: (parameters) => announced(() => statement.run(...toSqliteValues(parameters))),
    iterate: (parameters) => statement.iterate(...toSqliteValues(parameters)),
  };
}

/** SQLite has no boolean type: true/false are stored as 1/0, as SQLite's own TRUE and FALSE are. */
function toSqliteValues(parameters: readonly unknown[]): SQLInputValue[] {
  return parameters.map((value, index) => {
    if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "bigint") return value;
    if (typeof value === "boolean") return value ? 1 : 0;
    if (value === undefined) return null;
    if (value instanceof Uint8Array) return value;
    throw new TypeError(`SQLite parameter ${index + 1} is a ${typeof value}, which SQLite cannot store; convert it first (JSON text, ISO date)`);
  });
}
