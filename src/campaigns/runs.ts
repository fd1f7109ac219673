/**
 * Runs and their results in the store: a run is one pass over a subject's
 * targets (a portfolio's domains, a contract's assets, a batch request's
 * list), fixed when it is created; each target ends with exactly one result.
 *
 * Exactly once by construction, not by care: a run is unique per subject and
 * slot (the scheduled time), so a scheduler that fires twice creates it
 * once; a result is keyed by run, domain and suite and written with "insert
 * or do nothing", so a job delivered twice (a worker killed after writing,
 * a lease that ran out) leaves one result.
 *
 * @example
 *   const { run } = await createRun(store.db, { subjectKind: "portfolio", subjectId, slot: "2026-12-07T02:00:00.000Z", targets });
 *   await recordResult(store.db, { runId: run.id, domain: "example.nl", suite: "web", report });
 *   if (await finishRunIfComplete(store.db, run.id)) console.log("run done");
 */
import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { DomainReport, Suite } from "../checks/types.ts";
import type { RunStatus, RunSubjectKind, Schema } from "../store/index.ts";

export interface Target {
  domain: string;
  suite: Suite;
}

export interface RunRecord {
  id: string;
  subjectKind: RunSubjectKind;
  subjectId: string;
  slot: string;
  status: RunStatus;
  /** The standards a contract's run checks; null: every test of the suite. */
  onlyStandards: string[] | null;
  total: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface NewRun {
  subjectKind: RunSubjectKind;
  subjectId: string;
  /** The scheduled time (ISO) the run stands for, or a unique "manual:..." slot (see manualSlot). */
  slot: string;
  targets: readonly Target[];
  onlyStandards?: readonly string[] | null;
  now?: Date;
}

/** A slot of its own, for a run started by hand or by the batch API. */
export function manualSlot(now: Date = new Date()): string {
  return `manual:${now.toISOString()}:${randomUUID()}`;
}

type RunRow = Schema["runs"];

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    subjectKind: row.subject_kind,
    subjectId: row.subject_id,
    slot: row.slot,
    status: row.status,
    onlyStandards: row.only_standards === null ? null : (JSON.parse(row.only_standards) as string[]),
    total: row.total,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** Rows per insert: SQLite caps a statement's parameters. */
const INSERT_CHUNK = 500;

/**
 * Creates the run of a subject's slot with its targets (duplicates dropped),
 * or returns the one that exists already (`created: false`).
 */
export async function createRun(db: Kysely<Schema>, input: NewRun): Promise<{ run: RunRecord; created: boolean }> {
  const now = (input.now ?? new Date()).toISOString();
  const unique = new Map<string, Target>();
  for (const target of input.targets) unique.set(`${target.domain}\u0000${target.suite}`, target);
  const targets = [...unique.values()];
  const id = randomUUID();
  const created = await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto("runs")
      .values({
        id,
        subject_kind: input.subjectKind,
        subject_id: input.subjectId,
        slot: input.slot,
        status: targets.length === 0 ? "done" : "queued",
        only_standards: input.onlyStandards ? JSON.stringify([...input.onlyStandards]) : null,
        total: targets.length,
        created_at: now,
        started_at: null,
        finished_at: targets.length === 0 ? now : null,
      })
      .onConflict((conflict) => conflict.columns(["subject_kind", "subject_id", "slot"]).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
    for (let start = 0; start < targets.length; start += INSERT_CHUNK) {
      const rows = targets.slice(start, start + INSERT_CHUNK).map((target) => ({ run_id: id, domain: target.domain, suite: target.suite, state: "pending" as const, attempts: 0 }));
      await trx.insertInto("run_targets").values(rows).execute();
    }
    return true;
  });
  const row = await db
    .selectFrom("runs")
    .selectAll()
    .where("subject_kind", "=", input.subjectKind)
    .where("subject_id", "=", input.subjectId)
    .where("slot", "=", input.slot)
    .executeTakeFirstOrThrow();
  return { run: toRun(row), created };
}

export async function getRun(db: Kysely<Schema>, id: string): Promise<RunRecord | undefined> {
  const row = await db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toRun(row) : undefined;
}

/** A subject's runs, newest first. */
export async function listRuns(db: Kysely<Schema>, subjectKind: RunSubjectKind, subjectId: string, limit = 50): Promise<RunRecord[]> {
  const rows = await db
    .selectFrom("runs")
    .selectAll()
    .where("subject_kind", "=", subjectKind)
    .where("subject_id", "=", subjectId)
    .orderBy("created_at", "desc")
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map(toRun);
}

/** The subject's last finished run created before `run` (what regressions compare with). */
export async function previousFinishedRun(db: Kysely<Schema>, run: RunRecord): Promise<RunRecord | undefined> {
  const row = await db
    .selectFrom("runs")
    .selectAll()
    .where("subject_kind", "=", run.subjectKind)
    .where("subject_id", "=", run.subjectId)
    .where("status", "=", "done")
    .where("id", "<>", run.id)
    .where("created_at", "<=", run.createdAt)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? toRun(row) : undefined;
}

export async function listTargets(db: Kysely<Schema>, runId: string): Promise<Target[]> {
  const rows = await db.selectFrom("run_targets").select(["domain", "suite"]).where("run_id", "=", runId).orderBy("domain").orderBy("suite").execute();
  return rows.map((row) => ({ domain: row.domain, suite: row.suite }));
}

export interface RunProgress {
  total: number;
  done: number;
}

export async function runProgress(db: Kysely<Schema>, runId: string): Promise<RunProgress> {
  const run = await db.selectFrom("runs").select("total").where("id", "=", runId).executeTakeFirst();
  const counted = await db.selectFrom("results").select((eb) => eb.fn.countAll<string>().as("n")).where("run_id", "=", runId).executeTakeFirstOrThrow();
  return { total: run?.total ?? 0, done: Number(counted.n) };
}

export interface ResultInput {
  runId: string;
  domain: string;
  suite: Suite;
  /** The scored report; absent when the domain could not be checked at all (then `error`). */
  report?: DomainReport;
  error?: string;
  now?: Date;
}

/**
 * Writes a target's result, once: true when this call wrote it, false when
 * the target had one already (a job delivered again) or the run is gone.
 */
export async function recordResult(db: Kysely<Schema>, input: ResultInput): Promise<boolean> {
  const now = (input.now ?? new Date()).toISOString();
  const report = input.report ? compactReport(input.report) : null;
  return db.transaction().execute(async (trx) => {
    const run = await trx.selectFrom("runs").select(["id", "status"]).where("id", "=", input.runId).executeTakeFirst();
    if (!run) return false;
    const inserted = await trx
      .insertInto("results")
      .values({
        run_id: input.runId,
        domain: input.domain,
        suite: input.suite,
        score: report?.score === null || report?.score === undefined ? null : Math.round(report.score),
        error: report ? null : (input.error ?? "not checked"),
        checked_at: report?.startedAt ?? now,
        duration_ms: Math.round(report?.durationMs ?? 0),
        report: JSON.stringify(report ?? { domain: input.domain, suite: input.suite, error: input.error ?? "not checked" }),
      })
      .onConflict((conflict) => conflict.columns(["run_id", "domain", "suite"]).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
    if (report) {
      const rows = report.tests.map((test) => ({
        run_id: input.runId,
        domain: input.domain,
        suite: input.suite,
        test_id: test.id,
        standard: test.standard,
        category: test.category,
        status: test.status,
      }));
      for (let start = 0; start < rows.length; start += INSERT_CHUNK) await trx.insertInto("result_tests").values(rows.slice(start, start + INSERT_CHUNK)).execute();
    }
    await trx
      .updateTable("run_targets")
      .set({ state: "done", lease_until: null })
      .where("run_id", "=", input.runId)
      .where("domain", "=", input.domain)
      .where("suite", "=", input.suite)
      .execute();
    if (run.status === "queued") await trx.updateTable("runs").set({ status: "running", started_at: now }).where("id", "=", input.runId).where("status", "=", "queued").execute();
    return true;
  });
}

/**
 * Marks the run done when every target has its result. True for the one
 * call that finished it (so that only one caller sends its alerts).
 */
export async function finishRunIfComplete(db: Kysely<Schema>, runId: string, now: Date = new Date()): Promise<boolean> {
  const updated = await db
    .updateTable("runs")
    .set({ status: "done", finished_at: now.toISOString() })
    .where("id", "=", runId)
    .where("status", "in", ["queued", "running"])
    .where((eb) => eb(eb.selectFrom("results").select((inner) => inner.fn.countAll().as("n")).whereRef("results.run_id", "=", "runs.id"), ">=", eb.ref("runs.total")))
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Stops a run: targets not yet checked are dropped, results written stay. False when it had ended already. */
export async function cancelRun(db: Kysely<Schema>, runId: string, now: Date = new Date()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable("runs")
      .set({ status: "cancelled", finished_at: now.toISOString() })
      .where("id", "=", runId)
      .where("status", "in", ["queued", "running"])
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return false;
    await trx.updateTable("run_targets").set({ state: "done", lease_until: null }).where("run_id", "=", runId).where("state", "<>", "done").execute();
    return true;
  });
}

export interface StoredResult {
  runId: string;
  domain: string;
  suite: Suite;
  score: number | null;
  error: string | null;
  checkedAt: string;
  durationMs: number;
  report: DomainReport | null;
}

/** One target's stored result, with its (compacted) report. */
export async function getResult(db: Kysely<Schema>, runId: string, domain: string, suite: Suite): Promise<StoredResult | undefined> {
  const row = await db.selectFrom("results").selectAll().where("run_id", "=", runId).where("domain", "=", domain).where("suite", "=", suite).executeTakeFirst();
  if (!row) return undefined;
  return {
    runId: row.run_id,
    domain: row.domain,
    suite: row.suite,
    score: row.score,
    error: row.error,
    checkedAt: row.checked_at,
    durationMs: row.duration_ms,
    report: row.error === null ? (JSON.parse(row.report) as DomainReport) : null,
  };
}

/** Results written per run (for a list page's progress column), in one query. */
export async function countResults(db: Kysely<Schema>, runIds: readonly string[]): Promise<Map<string, number>> {
  if (runIds.length === 0) return new Map();
  const rows = await db
    .selectFrom("results")
    .select(["run_id", sql<string>`count(*)`.as("n")])
    .where("run_id", "in", [...runIds])
    .groupBy("run_id")
    .execute();
  return new Map(rows.map((row) => [row.run_id, Number(row.n)]));
}

/** Bounds on evidence kept per test: history must stay queryable when a campaign has run for years. */
const MAX_EVIDENCE_STRING = 400;
const MAX_EVIDENCE_ITEMS = 40;
const MAX_EVIDENCE_DEPTH = 5;

/**
 * The report with its evidence cut to a compact size (long strings and
 * lists shortened, with how much was left out), verdicts and summaries kept
 * whole. A full report is one `baseline check` away; history needs only why.
 */
export function compactReport(report: DomainReport): DomainReport {
  return { ...report, tests: report.tests.map((test) => ({ ...test, evidence: compactValue(test.evidence, 0) as Record<string, unknown> })) };
}

function compactValue(value: unknown, depth: number): unknown {
  if (typeof value === "string") return value.length > MAX_EVIDENCE_STRING ? `${value.slice(0, MAX_EVIDENCE_STRING)}… (${value.length - MAX_EVIDENCE_STRING} more characters)` : value;
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_EVIDENCE_DEPTH) return "…";
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_EVIDENCE_ITEMS).map((item) => compactValue(item, depth + 1));
    if (value.length > MAX_EVIDENCE_ITEMS) kept.push(`… (${value.length - MAX_EVIDENCE_ITEMS} more)`);
    return kept;
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, compactValue(item, depth + 1)]));
}
