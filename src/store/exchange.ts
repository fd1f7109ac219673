/**
 * Export and import of the observatory's data (institutions, and policies
 * with their categories and standards) as plain objects, for the JSON and
 * CSV downloads and uploads. Accounts, sessions and the audit log are not
 * part of it (a backup holds those).
 *
 * Import checks every row on its own: a bad row is reported with its number
 * and the reason, and nothing of it is written, while the good rows are
 * imported. A row with an id that exists replaces that record; other rows
 * are added (with their id when they carry one).
 *
 * @example
 *   const data = await exportObservatory(db, { reviewStates: REVIEW_STATES });
 *   const report = await importObservatory(otherDb, data, user.id);
 *   // { imported: 42, institutions: 12, policies: 30, errors: [{ table: "policies", row: 7, message: "title: must not be empty" }] }
 */
import type { ControlledTransaction, Kysely } from "kysely";
import { z } from "zod";
import { audit } from "./audit.ts";
import { insertInstitution, replaceInstitution } from "./institutions.ts";
import { PUBLIC_REVIEW_STATES, insertPolicy, linksOf, matchingPolicies, replacePolicy } from "./policies.ts";
import { cachedRead } from "./read-cache.ts";
import { institutionFromRow, institutionRow, policyFromRow, policyRow, unknownCatalogIds, type Institution, type KnownIds, type Policy } from "./records.ts";
import type { ReviewState, Schema } from "./schema.ts";
import { ValidationError, describeError, parseInput, timestamp } from "./support.ts";

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
  const institutionRows = await db.selectFrom("institutions").selectAll().orderBy("id").execute();
  const policyRows = await matchingPolicies(db, { reviewStates })
    .selectAll("p")
    .orderBy("p.id")
    .execute();
  const links = await linksOf(db, policyRows.map((row) => row.id));
  return {
    formatVersion: EXPORT_FORMAT_VERSION,
    exportedAt: timestamp(),
    institutions: institutionRows.map(institutionFromRow),
    policies: policyRows.map((row) => {
      const { categories, standards } = links.get(row.id) ?? { categories: [], standards: [] };
      return policyFromRow(row, categories, standards);
    }),
  };
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
  options: { known?: KnownIds } = {},
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
 * The import itself, whatever the file's format: `rows` in the order given
 * (institutions first, for policies that refer to them), in one
 * transaction, each row inside its own savepoint, and one audit entry with
 * the counts (and `auditDetail`, such as the format). A row with an id that
 * exists replaces that record; other rows are added. `db` must not already
 * be a transaction.
 */
export async function importRows(
  db: Kysely<Schema>,
  rows: readonly ImportRow[],
  actorId: string | null,
  options: { known?: KnownIds; auditDetail?: Record<string, unknown> } = {},
): Promise<ImportReport> {
  const report: ImportReport = { imported: 0, institutions: 0, policies: 0, errors: [] };
  const trx = await db.startTransaction().execute();
  try {
    for (const row of rows) {
      const message =
        "error" in row
          ? row.error
          : await inSavepoint(trx, (rowDb) => (row.table === "institutions" ? importInstitution(rowDb, row.value) : importPolicy(rowDb, row.value, options.known)));
      if (message === undefined) report[row.table]++;
      else report.errors.push({ table: row.table, row: row.row, message });
    }
    report.imported = report.institutions + report.policies;
    await audit(trx, {
      userId: actorId,
      action: "import",
      entity: "observatory",
      detail: { ...options.auditDetail, institutions: report.institutions, policies: report.policies, errors: report.errors.length },
    });
    await trx.commit().execute();
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
  return report;
}

/** Runs one row's writes; on failure undoes them and returns why. */
async function inSavepoint(trx: ControlledTransaction<Schema>, work: (db: Kysely<Schema>) => Promise<void>): Promise<string | undefined> {
  const point = await trx.savepoint("import_row").execute();
  try {
    await work(point);
    await point.releaseSavepoint("import_row").execute();
    return undefined;
  } catch (error) {
    await point.rollbackToSavepoint("import_row").execute();
    await point.releaseSavepoint("import_row").execute();
    return rowErrorMessage(error);
  }
}

function rowErrorMessage(error: unknown): string {
  if (error instanceof ValidationError) {
    return error.issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join("; ");
  }
  return describeError(error);
}

async function importInstitution(db: Kysely<Schema>, raw: unknown): Promise<void> {
  // The extra fields (id, createdAt, updatedAt) are ignored by the writers.
  const row = parseInput(institutionRow, raw, "institution");
  if (row.id !== undefined && (await exists(db, "institutions", row.id))) await replaceInstitution(db, row.id, row);
  else await insertInstitution(db, row, { id: row.id, createdAt: row.createdAt });
}

async function importPolicy(db: Kysely<Schema>, raw: unknown, known: KnownIds | undefined): Promise<void> {
  const row = parseInput(policyRow, raw, "policy");
  const problems = unknownCatalogIds(row, known);
  if (problems.length > 0) throw new ValidationError("policy", problems);
  // The reviewer is an account of the database the file came from; here it
  // may not exist, and the review itself is kept in reviewState.
  if (row.reviewedBy !== null && !(await exists(db, "users", row.reviewedBy))) row.reviewedBy = null;
  if (row.id !== undefined && (await exists(db, "policies", row.id))) await replacePolicy(db, row.id, row);
  else await insertPolicy(db, row, { id: row.id, createdAt: row.createdAt });
}

async function exists(db: Kysely<Schema>, table: "institutions" | "policies" | "users", id: string): Promise<boolean> {
  return (await db.selectFrom(table).select("id").where("id", "=", id).executeTakeFirst()) !== undefined;
}
