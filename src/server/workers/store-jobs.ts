/**
 * The heavy store work of the web app, as jobs that need nothing but a
 * database handle and plain data in and out (structured-cloneable), so that
 * they run the same in a worker thread (store-worker.ts) or, for a database
 * a worker cannot open (SQLite in memory), in-process:
 * - an import: the uploaded bytes, read as CSV or JSON and imported;
 * - an export build: the JSON or a CSV export, serialised to bytes once,
 *   a page of records at a time (export-bytes.ts).
 *
 * @example
 *   const outcome = await runStoreJob(store.db, { kind: "import", bytes, fileName: "data.csv", fileType: "text/csv", actorId, known });
 */
import type { Kysely } from "kysely";
import { importCsv, importObservatory, ValidationError, writeExportCsv, writeExportJson, type CsvTable, type ImportReport, type KnownIds, type ReviewState, type Schema } from "../../store/index.ts";
import { ExportBytesWriter, type ExportBytes } from "./export-bytes.ts";

export type ExportFormat = "json" | "institutions.csv" | "policies.csv";

export interface ImportJob {
  kind: "import";
  bytes: Uint8Array;
  fileName: string;
  fileType: string;
  /** The table a CSV file holds, when the uploader chose one. */
  table?: CsvTable;
  actorId: string | null;
  known: KnownIds;
  /** On SQLite, the server thread's count of writes waiting for the one write lock: the import steps aside for them (ImportOptions.yieldTo). */
  yieldTo?: Int32Array;
}

export interface ExportJob {
  kind: "export";
  format: ExportFormat;
  reviewStates: readonly ReviewState[];
}

export type StoreJob = ImportJob | ExportJob;

/** What an import did: its report, or why the file as a whole was refused (nothing imported). */
export type ImportOutcome = { report: ImportReport; format: "csv" | "json" } | { notJson: string } | { invalid: string };

export type JobResult<J extends StoreJob> = J extends ImportJob ? ImportOutcome : ExportBytes;

/** CSV by its name or type; otherwise by its content, since a JSON export starts with "{" and a CSV file with its header row. */
function isCsv(job: ImportJob): boolean {
  const name = job.fileName.toLowerCase();
  if (name.endsWith(".csv") || job.fileType.startsWith("text/csv")) return true;
  if (name.endsWith(".json") || job.fileType.startsWith("application/json")) return false;
  const start = new TextDecoder().decode(job.bytes.subarray(0, 64)).replace(/^\uFEFF/, "").trimStart();
  return !start.startsWith("{") && !start.startsWith("[");
}

async function runImport(db: Kysely<Schema>, job: ImportJob): Promise<ImportOutcome> {
  try {
    if (isCsv(job)) return { report: await importCsv(db, job.bytes, job.actorId, { table: job.table, known: job.known, yieldTo: job.yieldTo }), format: "csv" };
    let data: unknown;
    try {
      data = JSON.parse(new TextDecoder().decode(job.bytes));
    } catch (error) {
      return { notJson: error instanceof Error ? error.message : String(error) };
    }
    return { report: await importObservatory(db, data, job.actorId, { known: job.known, yieldTo: job.yieldTo }), format: "json" };
  } catch (error) {
    // The file as a whole is not an export (unknown CSV header, not CSV at all, not the JSON shape): nothing was imported.
    if (error instanceof ValidationError) return { invalid: error.message };
    throw error;
  }
}

/** The export read a page at a time and written as chunks of bytes: what it holds at once is the output so far and one page. */
async function buildExport(db: Kysely<Schema>, job: ExportJob): Promise<ExportBytes> {
  const writer = new ExportBytesWriter();
  const write = (text: string): void => writer.write(text);
  if (job.format === "json") await writeExportJson(db, { reviewStates: job.reviewStates }, write);
  else await writeExportCsv(db, job.format === "institutions.csv" ? "institutions" : "policies", { reviewStates: job.reviewStates }, write);
  return writer.finish();
}

export async function runStoreJob<J extends StoreJob>(db: Kysely<Schema>, job: J): Promise<JobResult<J>> {
  return (job.kind === "import" ? await runImport(db, job) : await buildExport(db, job)) as JobResult<J>;
}
