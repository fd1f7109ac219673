/**
 * `baseline backup` and `baseline restore`: every table as JSON, with a
 * format version and the schema version (the newest migration) it was
 * taken at. The file does not depend on the database it came from, so a
 * SQLite backup restores into PostgreSQL and the reverse (booleans are
 * written as true/false, whatever the database returned).
 *
 * A backup is read in one transaction (one consistent snapshot) and written
 * to a temporary file that is then renamed, so a crash never leaves half a
 * backup under the real name. A restore checks the whole file first, then
 * replaces the content of every table in one transaction: it succeeds
 * completely or changes nothing.
 *
 * @example
 *   await backupDatabase(store, "backups/2025-01-01.json");
 *   await restoreDatabase(store, "backups/2025-01-01.json");
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Kysely } from "kysely";
import { z } from "zod";
import { audit } from "./audit.ts";
import type { Store } from "./database.ts";
import { LATEST_MIGRATION, MIGRATIONS } from "./migrations.ts";
import { BOOLEAN_COLUMNS, TABLE_COLUMNS, TABLES_SINCE, type Schema, type TableName } from "./schema.ts";
import { describeError, timestamp } from "./support.ts";

export const BACKUP_FORMAT = "baseline-backup";
export const BACKUP_FORMAT_VERSION = 1;

export type BackupValue = string | number | boolean | null;
export type BackupRow = Record<string, BackupValue>;

export interface BackupFile {
  format: typeof BACKUP_FORMAT;
  formatVersion: typeof BACKUP_FORMAT_VERSION;
  /** The newest migration the database had: a restore needs a Baseline that knows it. */
  schemaVersion: string;
  createdAt: string;
  /** Where it was taken; for information only. */
  dialect: Store["dialect"];
  tables: Record<TableName, BackupRow[]>;
}

export interface BackupSummary {
  file: string;
  /** Rows per table. */
  tables: Record<TableName, number>;
}

/** The backup or restore could not be done; the message names the file and the reason. */
export class BackupError extends Error {
  override name = "BackupError";
}

/** Parents first: the order to insert in. */
const TABLES = Object.keys(TABLE_COLUMNS) as TableName[];

/**
 * Tables handled one after the other by name: their columns are checked
 * against TABLE_COLUMNS, so the generic view of the database loses nothing.
 */
type AnyTables = Record<string, Record<string, BackupValue>>;

function generic(db: Kysely<Schema>): Kysely<AnyTables> {
  return db as unknown as Kysely<AnyTables>;
}

export async function backupDatabase(store: Store, file: string): Promise<BackupSummary> {
  let transaction = store.db.transaction();
  // PostgreSQL's default (read committed) would let each table's SELECT see
  // a different moment; SQLite's read transaction is one snapshot already.
  if (store.dialect === "postgres") transaction = transaction.setIsolationLevel("repeatable read");
  const tables = await transaction.execute(async (trx) => {
    const db = generic(trx);
    const content = {} as Record<TableName, BackupRow[]>;
    for (const table of TABLES) {
      const keyColumns = table === "policy_categories" || table === "policy_standards" ? TABLE_COLUMNS[table] : [TABLE_COLUMNS[table][0]];
      let query = db.selectFrom(table).select([...TABLE_COLUMNS[table]]);
      for (const column of keyColumns) query = query.orderBy(column);
      content[table] = (await query.execute()).map((row) => withBooleans(table, row));
    }
    return content;
  });
  const backup: BackupFile = {
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    schemaVersion: LATEST_MIGRATION,
    createdAt: timestamp(),
    dialect: store.dialect,
    tables,
  };
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(temporary, JSON.stringify(backup), { flush: true });
    await rename(temporary, file);
  } catch (error) {
    throw new BackupError(`cannot write backup ${file}: ${describeError(error)}`, { cause: error });
  }
  return { file, tables: countRows(tables) };
}

const backupFileSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT, `must be "${BACKUP_FORMAT}"`),
  formatVersion: z.literal(BACKUP_FORMAT_VERSION, `must be ${BACKUP_FORMAT_VERSION}`),
  schemaVersion: z.string(),
  createdAt: z.string(),
  dialect: z.enum(["sqlite", "postgres"]),
  tables: z.record(z.string(), z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])))),
});

/**
 * Replaces the content of every table with the backup's, in one
 * transaction. `actorId` is recorded in the audit log (after the restore,
 * so the entry survives it).
 */
export async function restoreDatabase(store: Store, file: string, options: { actorId?: string | null } = {}): Promise<BackupSummary> {
  const backup = await readBackup(file);
  await store.db.transaction().execute(async (trx) => {
    const db = generic(trx);
    for (const table of [...TABLES].reverse()) await db.deleteFrom(table).execute();
    for (const table of TABLES) {
      const rows = backup.tables[table].map((row) => withBooleans(table, row));
      // Bounded statements: SQLite caps the parameters of one statement.
      const chunk = Math.max(1, Math.floor(5000 / TABLE_COLUMNS[table].length));
      for (let start = 0; start < rows.length; start += chunk) {
        await db.insertInto(table).values(rows.slice(start, start + chunk)).execute();
      }
    }
    await audit(trx, {
      userId: options.actorId ?? null,
      action: "restore",
      entity: "database",
      detail: { file, createdAt: backup.createdAt, rows: countRows(backup.tables) },
    });
  });
  await store.optimize();
  return { file, tables: countRows(backup.tables) };
}

/** Reads and checks a backup file entirely before anything is deleted. */
async function readBackup(file: string): Promise<BackupFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new BackupError(`cannot read backup ${file}: ${describeError(error)}`, { cause: error });
  }
  const result = backupFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new BackupError(`${file} is not a Baseline backup: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  const backup = result.data;
  if (!Object.hasOwn(MIGRATIONS, backup.schemaVersion)) {
    throw new BackupError(`${file} was taken at schema version "${backup.schemaVersion}", which this Baseline does not know; restore it with a newer Baseline`);
  }
  for (const table of Object.keys(backup.tables)) {
    if (!Object.hasOwn(TABLE_COLUMNS, table)) throw new BackupError(`${file}: unknown table "${table}"`);
  }
  for (const table of TABLES) {
    const since = TABLES_SINCE[table];
    // An older backup has no rows of tables that came later: empty, not missing.
    if (backup.tables[table] === undefined && since !== undefined && backup.schemaVersion < since) backup.tables[table] = [];
    const rows = backup.tables[table];
    if (!rows) throw new BackupError(`${file}: table "${table}" is missing`);
    const columns = new Set<string>(TABLE_COLUMNS[table]);
    for (const [index, row] of rows.entries()) {
      const unknown = Object.keys(row).find((column) => !columns.has(column));
      if (unknown !== undefined) throw new BackupError(`${file}: ${table} row ${index + 1}: unknown column "${unknown}"`);
    }
  }
  return { ...backup, tables: backup.tables };
}

/** true/false for boolean columns, whether the database said 1/0 or the file did. */
function withBooleans(table: TableName, row: Record<string, BackupValue>): BackupRow {
  const columns: readonly string[] = BOOLEAN_COLUMNS[table] ?? [];
  if (columns.length === 0) return { ...row };
  const copy = { ...row };
  for (const column of columns) {
    if (copy[column] !== undefined && copy[column] !== null) copy[column] = Boolean(copy[column]);
  }
  return copy;
}

function countRows(tables: Record<TableName, BackupRow[]>): Record<TableName, number> {
  return Object.fromEntries(TABLES.map((table) => [table, tables[table].length])) as Record<TableName, number>;
}
