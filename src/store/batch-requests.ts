/**
 * The batch API's requests (internet.nl's batch API v2): one row per
 * request, owned by one API account, with the run that checks its domains.
 * Every read is per account: another account's request is absent, never
 * "forbidden", so that its id tells nothing.
 *
 * The status follows internet.nl's lifecycle, and only forwards:
 * registering → running → generating → done, and cancelled or error from
 * any state that has not ended. A transition is one conditional UPDATE
 * (WHERE status IN the states it may come from), so that two servers or
 * two polls racing cannot both move a request, nor move it back.
 *
 * @example
 *   const request = await createBatchRequest(db, { accountId, name: "Suppliers", type: "web" });
 *   await attachBatchRun(db, request.id, run.id);            // registering → running
 *   await moveBatchRequest(db, request.id, "generating");    // when the run is done
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { BatchStatus, Schema } from "./schema.ts";
import { timestamp } from "./support.ts";

export type BatchType = "web" | "mail";

export interface BatchRequestRecord {
  /** 32 lower-case hex digits. */
  id: string;
  accountId: string;
  name: string;
  type: BatchType;
  status: BatchStatus;
  runId: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** internet.nl's request ids: 32 lower-case hex digits (the OpenAPI document's RequestId). */
export const BATCH_REQUEST_ID = /^[a-f0-9]{32}$/;

/** The states each state may be reached from. */
const REACHED_FROM: Record<BatchStatus, readonly BatchStatus[]> = {
  registering: [],
  running: ["registering"],
  generating: ["running"],
  done: ["generating"],
  cancelled: ["registering", "running"],
  error: ["registering", "running", "generating"],
};

/** States after which nothing changes any more. */
export const FINAL_BATCH_STATUSES: readonly BatchStatus[] = ["done", "cancelled", "error"];

type Row = Schema["batch_requests"];

function toRecord(row: Row): BatchRequestRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    type: row.type,
    status: row.status,
    runId: row.run_id,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

export function newBatchRequestId(): string {
  return randomBytes(16).toString("hex");
}

/** A new request, `registering`, with no run yet. */
export async function createBatchRequest(db: Kysely<Schema>, input: { accountId: string; name: string; type: BatchType; now?: Date }): Promise<BatchRequestRecord> {
  const row: Row = {
    id: newBatchRequestId(),
    account_id: input.accountId,
    name: input.name,
    type: input.type,
    status: "registering",
    run_id: null,
    created_at: timestamp(input.now),
    finished_at: null,
  };
  await db.insertInto("batch_requests").values(row).execute();
  return toRecord(row);
}

/** The account's requests, newest first; `limit` 0 or undefined: all of them. */
export async function listBatchRequests(db: Kysely<Schema>, accountId: string, limit?: number): Promise<BatchRequestRecord[]> {
  let query = db.selectFrom("batch_requests").selectAll().where("account_id", "=", accountId).orderBy("created_at", "desc").orderBy("id", "desc");
  if (limit !== undefined && limit > 0) query = query.limit(limit);
  return (await query.execute()).map(toRecord);
}

/** The account's request `id`, or undefined when it has none by that id (another account's included). */
export async function getBatchRequest(db: Kysely<Schema>, accountId: string, id: string): Promise<BatchRequestRecord | undefined> {
  if (!BATCH_REQUEST_ID.test(id)) return undefined;
  const row = await db.selectFrom("batch_requests").selectAll().where("id", "=", id).where("account_id", "=", accountId).executeTakeFirst();
  return row && toRecord(row);
}

/** A request by its id alone: for the report links, where the unguessable id is the key (as internet.nl's report URLs). */
export async function findBatchRequest(db: Kysely<Schema>, id: string): Promise<BatchRequestRecord | undefined> {
  if (!BATCH_REQUEST_ID.test(id)) return undefined;
  const row = await db.selectFrom("batch_requests").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toRecord(row);
}

/** The request with the run that checks it: registering → running. False when it was no longer registering. */
export async function attachBatchRun(db: Kysely<Schema>, id: string, runId: string): Promise<boolean> {
  const updated = await db.updateTable("batch_requests").set({ run_id: runId, status: "running" }).where("id", "=", id).where("status", "=", "registering").executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/**
 * Moves the request to `to` if its current state allows it (see
 * REACHED_FROM); the final states get their finished time. True for the
 * one call that moved it.
 */
export async function moveBatchRequest(db: Kysely<Schema>, id: string, to: BatchStatus, now: Date = new Date()): Promise<boolean> {
  const from = REACHED_FROM[to];
  if (from.length === 0) return false;
  const finished = FINAL_BATCH_STATUSES.includes(to) ? { finished_at: timestamp(now) } : {};
  const updated = await db
    .updateTable("batch_requests")
    .set({ status: to, ...finished })
    .where("id", "=", id)
    .where("status", "in", [...from])
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Requests in `status` (all accounts): what a server picks up again after a restart. */
export async function batchRequestsIn(db: Kysely<Schema>, status: BatchStatus, limit = 100): Promise<BatchRequestRecord[]> {
  const rows = await db.selectFrom("batch_requests").selectAll().where("status", "=", status).orderBy("created_at").limit(limit).execute();
  return rows.map(toRecord);
}

export interface StoredBatchResult {
  domain: string;
  error: string | null;
  /** The compacted report's JSON text (runs.ts compactReport); parse one at a time. */
  report: string;
}

/**
 * The results of a run, a page at a time in domain order (`after`: the
 * last domain of the previous page), so that assembling the answer to a
 * request of thousands of domains never holds all their reports at once.
 */
export async function runResultsPage(db: Kysely<Schema>, runId: string, after: string | null, pageSize = 200): Promise<StoredBatchResult[]> {
  let query = db.selectFrom("results").select(["domain", "error", "report"]).where("run_id", "=", runId).orderBy("domain").limit(pageSize);
  if (after !== null) query = query.where("domain", ">", after);
  return query.execute();
}
