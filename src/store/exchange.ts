/**
 * Export and import of the observatory's data (institutions, and policies
 * with their categories and standards) as plain objects, for the JSON and
 * CSV downloads and uploads. Accounts, sessions and the audit log are not
 * part of it (a backup holds those).
 *
 * Import checks every row on its own: a bad row is reported with its number
 * and the reason, and nothing of it is written, while the good rows are
 * imported. A row with an id that exists replaces that record; other rows
 * are added (with their id when they carry one). Each record created or
 * changed gets its own audit entry, as a form's change does (what changed,
 * before and after); a row that changes nothing writes nothing. What the
 * server owns is never taken from the file: the times of creation and
 * update, and the reviewer (see {@link reviewerOf}).
 *
 * An export never holds a control character the import would refuse (a
 * value saved before the fields refused them is written without it), so
 * that every export can be imported again.
 *
 * @example
 *   const data = await exportObservatory(db, { reviewStates: REVIEW_STATES });
 *   const report = await importObservatory(otherDb, data, user.id);
 *   // { imported: 42, institutions: 12, policies: 30, errors: [{ table: "policies", row: 7, message: "title: must not be empty" }] }
 */
import { sql, type ControlledTransaction, type Kysely } from "kysely";
import { z } from "zod";
import { audit, changedFields } from "./audit.ts";
import { getInstitution, insertInstitution, replaceInstitution } from "./institutions.ts";
import { PUBLIC_REVIEW_STATES, getPolicy, insertPolicy, linksOf, matchingPolicies, replacePolicy, reviewerOf } from "./policies.ts";
import { cachedRead } from "./read-cache.ts";
import {
  institutionFromRow,
  institutionRow,
  policyFromRow,
  policyRow,
  unknownCatalogIds,
  withoutRefusedControls,
  withoutRefusedControlsIn,
  type Institution,
  type KnownIds,
  type Policy,
  type ValidPolicy,
} from "./records.ts";
import { REVIEW_STATES, type ReviewState, type Schema } from "./schema.ts";
import { ValidationError, describeError, isPostgres, parseInput, timestamp } from "./support.ts";

export const EXPORT_FORMAT_VERSION = 1;

export interface ObservatoryExport {
  formatVersion: typeof EXPORT_FORMAT_VERSION;
  exportedAt: string;
  institutions: Institution[];
  policies: Policy[];
}

/** Every institution, and the policies in `reviewStates` (published only unless told otherwise). */
export async function exportObservatory(
  db: Kysely<Schema>,
  options: { reviewStates?: readonly ReviewState[] } = {},
): Promise<ObservatoryExport> {
  // Kept under the data revision (read-cache.ts), stamped with the time of each export.
  const states = options.reviewStates ?? PUBLIC_REVIEW_STATES;
  const data = await cachedRead(db, "export", `json:${JSON.stringify(states)}`, () => readExport(db, states));
  return { ...data, exportedAt: timestamp() };
}

async function readExport(db: Kysely<Schema>, reviewStates: readonly ReviewState[]): Promise<ObservatoryExport> {
  return inExportSnapshot(db, async (snapshot) => {
    const data: ObservatoryExport = { formatVersion: EXPORT_FORMAT_VERSION, exportedAt: timestamp(), institutions: [], policies: [] };
    for await (const page of institutionPages(snapshot)) data.institutions.push(...page);
    for await (const page of policyPages(snapshot, reviewStates)) data.policies.push(...page.map((entry) => entry.policy));
    return data;
  });
}

/**
 * The JSON export as text, in pieces given to `write` as they are made: the
 * very text `JSON.stringify(await exportObservatory(...))` is, but read a
 * page of records at a time and written record by record, so that what it
 * holds at once is one page, whatever the size of the whole (a 126 MiB
 * export of 260,000 institutions built as objects, then one string, then
 * bytes took over 1.3 GB).
 */
export async function writeExportJson(
  db: Kysely<Schema>,
  options: ExportPaging,
  write: (text: string) => void | Promise<void>,
): Promise<void> {
  const states = options.reviewStates ?? PUBLIC_REVIEW_STATES;
  await inExportSnapshot(db, async (snapshot) => {
    // The keys in ObservatoryExport's order, as JSON.stringify of the whole object writes them.
    await write(`{"formatVersion":${JSON.stringify(EXPORT_FORMAT_VERSION)},"exportedAt":${JSON.stringify(timestamp())},"institutions":[`);
    let first = true;
    for await (const page of institutionPages(snapshot, options.pageRows)) {
      for (const institution of page) {
        await write(`${first ? "" : ","}${JSON.stringify(institution)}`);
        first = false;
      }
    }
    await write(`],"policies":[`);
    first = true;
    for await (const page of policyPages(snapshot, states, options.pageRows)) {
      for (const { policy } of page) {
        await write(`${first ? "" : ","}${JSON.stringify(policy)}`);
        first = false;
      }
    }
    await write("]}");
  });
}

/** Records per query of a paged export: a few MiB of rows at most, and few enough round trips. */
const EXPORT_PAGE_ROWS = 2000;

/** What a paged export writes: the policies in `reviewStates` (published only unless told), read `pageRows` records at a time. */
export interface ExportPaging {
  reviewStates?: readonly ReviewState[];
  pageRows?: number;
}

/**
 * Runs `work` on one snapshot of the database, so that an export read in
 * many queries is still of one moment (a policy never without the
 * institution it refers to). A read-only transaction of its own, begun by
 * hand: PostgreSQL's default (read committed) would let each page see
 * another moment, so it is repeatable read; on SQLite, a plain (deferred)
 * BEGIN, which reads one snapshot and takes no lock writers wait for, where
 * the store's transactions begin immediate (sqlite.ts) and would hold the
 * write lock for the whole export.
 */
export async function inExportSnapshot<T>(db: Kysely<Schema>, work: (snapshot: Kysely<Schema>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db);
  const begin = isPostgres(db) ? sql`begin transaction isolation level repeatable read, read only` : sql`begin`;
  return db.connection().execute(async (connection) => {
    await begin.execute(connection);
    try {
      const result = await work(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection);
      throw error;
    }
  });
}

/**
 * Every institution, a page at a time in id order (keyset pagination: each
 * page starts after the last id of the one before, so that no page costs
 * more than the first), as the export writes them (control characters the
 * import would refuse dropped).
 */
export async function* institutionPages(db: Kysely<Schema>, pageRows = EXPORT_PAGE_ROWS): AsyncGenerator<Institution[]> {
  let after: string | undefined;
  for (;;) {
    const last = after;
    const rows = await db
      .selectFrom("institutions")
      .selectAll()
      .$if(last !== undefined, (query) => query.where("id", ">", last ?? ""))
      .orderBy("id")
      .limit(pageRows)
      .execute();
    if (rows.length > 0) yield rows.map((row) => withoutRefusedControlsIn(institutionFromRow(row)));
    if (rows.length < pageRows) return;
    after = rows[rows.length - 1]?.id;
  }
}

/** A policy as exported, with the name of its institution (the CSV export shows it). */
export interface ExportedPolicy {
  policy: Policy;
  institutionName: string;
}

/** The policies in `reviewStates`, a page at a time in id order (as {@link institutionPages}). */
export async function* policyPages(db: Kysely<Schema>, reviewStates: readonly ReviewState[], pageRows = EXPORT_PAGE_ROWS): AsyncGenerator<ExportedPolicy[]> {
  let after: string | undefined;
  for (;;) {
    const last = after;
    const rows = await matchingPolicies(db, { reviewStates })
      .selectAll("p")
      .select("i.name as institution_name")
      .$if(last !== undefined, (query) => query.where("p.id", ">", last ?? ""))
      .orderBy("p.id")
      .limit(pageRows)
      .execute();
    if (rows.length > 0) {
      const links = await linksOf(db, rows.map((row) => row.id));
      yield rows.map(({ institution_name, ...row }) => {
        const { categories, standards } = links.get(row.id) ?? { categories: [], standards: [] };
        return { policy: withoutRefusedControlsIn(policyFromRow(row, categories, standards)), institutionName: withoutRefusedControls(institution_name) };
      });
    }
    if (rows.length < pageRows) return;
    after = rows[rows.length - 1]?.id;
  }
}

export interface ImportError {
  table: "institutions" | "policies";
  /** Position in its list, from 1 (JSON); the line the row starts on, header included (CSV). */
  row: number;
  message: string;
}

export interface ImportReport {
  /** Rows written, of both kinds. */
  imported: number;
  institutions: number;
  policies: number;
  errors: ImportError[];
}

const importFile = z.strictObject({
  formatVersion: z.literal(EXPORT_FORMAT_VERSION).optional(),
  exportedAt: z.string().optional(),
  institutions: z.array(z.unknown()).default([]),
  policies: z.array(z.unknown()).default([]),
});

/**
 * Imports `data` (the shape {@link exportObservatory} writes; both lists
 * optional) in one transaction, each row inside its own savepoint.
 * Institutions come first, so that policies may refer to institutions of
 * the same file. Throws a ValidationError only when `data` as a whole is
 * not such an object. `db` must not already be a transaction.
 */
export async function importObservatory(
  db: Kysely<Schema>,
  data: unknown,
  actorId: string | null,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const file = parseInput(importFile, data, "import file");
  return importRows(
    db,
    [
      ...file.institutions.map((value, index): ImportRow => ({ table: "institutions", row: index + 1, value })),
      ...file.policies.map((value, index): ImportRow => ({ table: "policies", row: index + 1, value })),
    ],
    actorId,
    options,
  );
}

/**
 * One row of an import file: where it is (for the report), and either the
 * record as read, or why it could not even be read (a CSV cell that is not
 * a boolean, say), which is reported like a row the store refused.
 */
export type ImportRow = { table: ImportError["table"]; row: number } & ({ value: unknown } | { error: string });

/**
 * Longest an import steps aside at once for other connections' writes
 * (see ImportOptions.yieldTo): a steady stream of them (a login flood)
 * slows an import down, but cannot stop it.
 */
const MAX_YIELD_MS = 2000;

/** What every import takes: the catalog's ids (for a policy's categories and standards), and whom it steps aside for. */
export interface ImportOptions {
  known?: KnownIds;
  /**
   * Another thread's count of SQLite writes waiting for the write lock
   * (sqliteWriteIntent of the web server's thread, for an import in a
   * worker). Between rows, while it is above zero, the import commits what
   * it has and waits until it is zero again (at most MAX_YIELD_MS), then
   * goes on in a new transaction. In one transaction, a 10 MiB import held
   * the lock for 41 s, and every write of the server meanwhile waited the
   * busy timeout (5 s, its event loop stopped) and then failed.
   */
  yieldTo?: Int32Array;
}

/**
 * The import itself, whatever the file's format: `rows` in the order given
 * (institutions first, for policies that refer to them), in one
 * transaction (or in several, one after another, with `yieldTo`),
 * each row inside its own savepoint. A row with an id that exists replaces
 * that record; other rows are added. Each record created or changed is
 * audited on its own, with `actorId` as actor; one more entry sums the
 * import up (with `auditDetail`, such as the format). `db` must not
 * already be a transaction.
 */
export async function importRows(
  db: Kysely<Schema>,
  rows: readonly ImportRow[],
  actorId: string | null,
  options: ImportOptions & { auditDetail?: Record<string, unknown> } = {},
): Promise<ImportReport> {
  const report: ImportReport = { imported: 0, institutions: 0, policies: 0, errors: [] };
  const outcomes: Record<RowOutcome, number> = { created: 0, updated: 0, unchanged: 0 };
  const waiting = options.yieldTo;
  let trx = await db.startTransaction().execute();
  try {
    for (const row of rows) {
      if (waiting && Atomics.load(waiting, 0) > 0) {
        await trx.commit().execute();
        const until = performance.now() + MAX_YIELD_MS;
        while (Atomics.load(waiting, 0) > 0 && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 1));
        trx = await db.startTransaction().execute();
      }
      const result =
        "error" in row
          ? { error: row.error }
          : await inSavepoint(trx, (rowDb) =>
              row.table === "institutions" ? importInstitution(rowDb, row.value, actorId) : importPolicy(rowDb, row.value, actorId, options.known),
            );
      if ("error" in result) {
        report.errors.push({ table: row.table, row: row.row, message: result.error });
      } else {
        report[row.table]++;
        outcomes[result.outcome]++;
      }
    }
    report.imported = report.institutions + report.policies;
    await audit(trx, {
      userId: actorId,
      action: "import",
      entity: "observatory",
      detail: { ...options.auditDetail, institutions: report.institutions, policies: report.policies, ...outcomes, errors: report.errors.length },
    });
    await trx.commit().execute();
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
  return report;
}

/** What a good row did to its record. */
type RowOutcome = "created" | "updated" | "unchanged";

/**
 * Runs one row's writes; on failure undoes them and returns why. A row that
 * changed nothing is undone too, so that its record keeps its update time
 * (and the data revision, which every write raises, stays where it was).
 */
async function inSavepoint(trx: ControlledTransaction<Schema>, work: (db: Kysely<Schema>) => Promise<RowOutcome>): Promise<{ outcome: RowOutcome } | { error: string }> {
  const point = await trx.savepoint("import_row").execute();
  try {
    const outcome = await work(point);
    if (outcome === "unchanged") await point.rollbackToSavepoint("import_row").execute();
    await point.releaseSavepoint("import_row").execute();
    return { outcome };
  } catch (error) {
    await point.rollbackToSavepoint("import_row").execute();
    await point.releaseSavepoint("import_row").execute();
    return { error: rowErrorMessage(error) };
  }
}

function rowErrorMessage(error: unknown): string {
  if (error instanceof ValidationError) {
    return error.issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join("; ");
  }
  return describeError(error);
}

async function importInstitution(db: Kysely<Schema>, raw: unknown, actorId: string | null): Promise<RowOutcome> {
  const row = parseInput(institutionRow, raw, "institution");
  const id = row.id;
  const valid = serverFieldsDropped(row);
  const before = id === undefined ? undefined : await getInstitution(db, id);
  return saveImportedRow(db, "institution", before, valid, actorId, {
    replace: (existing) => replaceInstitution(db, existing, valid),
    insert: () => insertInstitution(db, valid, { id }),
  });
}

async function importPolicy(db: Kysely<Schema>, raw: unknown, actorId: string | null, known: KnownIds | undefined): Promise<RowOutcome> {
  const row = parseInput(policyRow, raw, "policy");
  const id = row.id;
  const fields = serverFieldsDropped(row);
  const problems = unknownCatalogIds(fields, known);
  if (problems.length > 0) throw new ValidationError("policy", problems);
  const before = id === undefined ? undefined : await getPolicy(db, id, { reviewStates: REVIEW_STATES });
  const valid: ValidPolicy = { ...fields, reviewedBy: reviewerOf(fields.reviewState, before, actorId) };
  return saveImportedRow(db, "policy", before, valid, actorId, {
    replace: (existing) => replacePolicy(db, existing, valid),
    insert: () => insertPolicy(db, valid, { id }),
  });
}

/**
 * The write both kinds of row share: over the record `before` when the file
 * named one that exists (audited only when a field changed), else a new
 * record, audited with what the file gave.
 */
async function saveImportedRow<R extends { id: string }>(
  db: Kysely<Schema>,
  entity: "institution" | "policy",
  before: R | undefined,
  valid: object,
  actorId: string | null,
  write: { replace: (id: string) => Promise<R>; insert: () => Promise<R> },
): Promise<RowOutcome> {
  if (before) {
    const changes = changedFields<R>(before, await write.replace(before.id));
    if (Object.keys(changes).length === 0) return "unchanged";
    await audit(db, { userId: actorId, action: "update", entity, entityId: before.id, detail: changes });
    return "updated";
  }
  const created = await write.insert();
  await audit(db, { userId: actorId, action: "create", entity, entityId: created.id, detail: valid });
  return "created";
}

/**
 * A row without the fields the server sets: the id (the caller keeps it, to
 * find the record) and the times, which an export carries but an import must
 * not take (they would show in public exports as the file said).
 */
function serverFieldsDropped<T extends { id?: string | undefined; createdAt?: string | undefined; updatedAt?: string | undefined }>(row: T): Omit<T, "id" | "createdAt" | "updatedAt"> {
  const copy: Partial<T> = { ...row };
  delete copy.id;
  delete copy.createdAt;
  delete copy.updatedAt;
  return copy as Omit<T, "id" | "createdAt" | "updatedAt">;
}

