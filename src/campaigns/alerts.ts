/**
 * Alerts: when a run ends, its changes against the subject's previous run
 * become alert rows (a regression, a recovery); the contracts' missed
 * deadlines become one alert each. The rows are the record (the Atom feed
 * and the pages read them); delivery (email, webhook) is a separate step
 * that marks each row's state, so that a failed delivery is visible and can
 * be tried again.
 */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { AlertKind, RunSubjectKind, Schema } from "../store/index.ts";
import { compareRuns, exemptStandards, type TestChange } from "./regressions.ts";
import { finishRunIfComplete, getRun, previousFinishedRun, type RunRecord } from "./runs.ts";

export interface AlertRecord {
  id: string;
  subjectKind: RunSubjectKind;
  subjectId: string;
  runId: string | null;
  kind: AlertKind;
  title: string;
  detail: AlertDetail;
  createdAt: string;
  emailState: string;
  webhookState: string;
}

export interface AlertDetail {
  subjectName: string;
  changes?: TestChange[];
  /** Missed deadline: the day, and the requirements failing on it. */
  deadline?: string;
  failing?: { domain: string; suite: string; standard: string; testId: string; status: string }[];
}

/** Hands new alerts to their channels (email, webhook); see delivery in the contracts' module. */
export type AlertDelivery = (alert: AlertRecord) => Promise<void>;

type AlertRow = Schema["alerts"];

export function toAlert(row: AlertRow): AlertRecord {
  return {
    id: row.id,
    subjectKind: row.subject_kind,
    subjectId: row.subject_id,
    runId: row.run_id,
    kind: row.kind,
    title: row.title,
    detail: JSON.parse(row.detail) as AlertDetail,
    createdAt: row.created_at,
    emailState: row.email_state,
    webhookState: row.webhook_state,
  };
}

async function subjectName(db: Kysely<Schema>, kind: RunSubjectKind, id: string): Promise<string> {
  if (kind === "portfolio") return (await db.selectFrom("portfolios").select("name").where("id", "=", id).executeTakeFirst())?.name ?? id;
  if (kind === "contract") return (await db.selectFrom("contracts").select("title").where("id", "=", id).executeTakeFirst())?.title ?? id;
  return id;
}

export async function insertAlert(db: Kysely<Schema>, alert: Omit<AlertRecord, "id" | "createdAt" | "emailState" | "webhookState">, now: Date = new Date()): Promise<AlertRecord> {
  const row: AlertRow = {
    id: randomUUID(),
    subject_kind: alert.subjectKind,
    subject_id: alert.subjectId,
    run_id: alert.runId,
    kind: alert.kind,
    title: alert.title,
    detail: JSON.stringify(alert.detail),
    created_at: now.toISOString(),
    email_state: "pending",
    webhook_state: "pending",
  };
  await db.insertInto("alerts").values(row).execute();
  return toAlert(row);
}

/**
 * The alerts a finished run raises against the subject's previous finished
 * run: one for its regressions, one for its recoveries (none on a first run,
 * or for batch requests).
 */
export async function alertsForRun(db: Kysely<Schema>, run: RunRecord, now: Date = new Date()): Promise<AlertRecord[]> {
  if (run.subjectKind === "batch") return [];
  const previous = await previousFinishedRun(db, run);
  if (!previous) return [];
  const ignore = run.subjectKind === "contract" ? await exemptStandards(db, run.subjectId, now.toISOString().slice(0, 10)) : new Set<string>();
  const { regressions, recoveries } = await compareRuns(db, previous.id, run.id, { ignoreStandards: ignore });
  const name = await subjectName(db, run.subjectKind, run.subjectId);
  const alerts: AlertRecord[] = [];
  if (regressions.length > 0) {
    const domains = new Set(regressions.map((change) => change.domain)).size;
    alerts.push(
      await insertAlert(db, { subjectKind: run.subjectKind, subjectId: run.subjectId, runId: run.id, kind: "regression", title: `${name}: ${regressions.length} test(s) got worse on ${domains} domain(s)`, detail: { subjectName: name, changes: regressions } }, now),
    );
  }
  if (recoveries.length > 0) {
    alerts.push(
      await insertAlert(db, { subjectKind: run.subjectKind, subjectId: run.subjectId, runId: run.id, kind: "recovered", title: `${name}: ${recoveries.length} test(s) recovered`, detail: { subjectName: name, changes: recoveries } }, now),
    );
  }
  return alerts;
}

/**
 * Marks the run done if every target has its result, and writes the alerts
 * it raises, in one transaction: a process that dies in between leaves
 * neither (the run is finished again later, by a redelivered job or the
 * engine's start), so a finished run never lacks its alerts. Null when this
 * call did not finish the run; delivering the alerts is the caller's part.
 */
export async function finishRunWithAlerts(db: Kysely<Schema>, runId: string, now: Date = new Date()): Promise<{ run: RunRecord; alerts: AlertRecord[] } | null> {
  return db.transaction().execute(async (trx) => {
    if (!(await finishRunIfComplete(trx, runId, now))) return null;
    const run = await getRun(trx, runId);
    if (!run) return null;
    return { run, alerts: await alertsForRun(trx, run, now) };
  });
}

/** A subject's alerts (or everyone's), newest first: the feed and the pages. */
export async function listAlerts(db: Kysely<Schema>, filter: { subjectKind?: RunSubjectKind; subjectId?: string; limit?: number } = {}): Promise<AlertRecord[]> {
  let query = db.selectFrom("alerts").selectAll().orderBy("created_at", "desc").orderBy("id").limit(filter.limit ?? 100);
  if (filter.subjectKind) query = query.where("subject_kind", "=", filter.subjectKind);
  if (filter.subjectId) query = query.where("subject_id", "=", filter.subjectId);
  return (await query.execute()).map(toAlert);
}
