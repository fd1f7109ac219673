/**
 * What changed between two runs of one subject: tests that got worse
 * (regressions) and tests that got better (recoveries), per domain, suite
 * and test. "Worse" is passed → warning or failed, and warning → failed; a
 * test that could not be run (error, not_tested) is neither, since it says
 * nothing about what is deployed. A contract's exempted standards are left
 * out: the buyer has accepted their absence.
 *
 * @example
 *   const { regressions } = await compareRuns(store.db, previous.id, run.id);
 */
import type { Kysely } from "kysely";
import type { Schema } from "../store/index.ts";

export interface TestChange {
  domain: string;
  suite: string;
  testId: string;
  standard: string;
  before: string;
  after: string;
}

export interface RunComparison {
  regressions: TestChange[];
  recoveries: TestChange[];
}

/** How bad a status is for regressions: only verdicts on what is deployed count. */
const SEVERITY: Readonly<Record<string, number>> = { passed: 0, info: 0, warning: 1, failed: 2 };

export async function compareRuns(db: Kysely<Schema>, beforeRunId: string, afterRunId: string, options: { ignoreStandards?: ReadonlySet<string> } = {}): Promise<RunComparison> {
  const rows = await db
    .selectFrom("result_tests as after")
    .innerJoin("result_tests as before", (join) =>
      join.onRef("before.domain", "=", "after.domain").onRef("before.suite", "=", "after.suite").onRef("before.test_id", "=", "after.test_id").on("before.run_id", "=", beforeRunId),
    )
    .select(["after.domain", "after.suite", "after.test_id", "after.standard", "before.status as before_status", "after.status as after_status"])
    .where("after.run_id", "=", afterRunId)
    .whereRef("before.status", "<>", "after.status")
    .orderBy("after.domain")
    .orderBy("after.suite")
    .orderBy("after.test_id")
    .execute();
  const regressions: TestChange[] = [];
  const recoveries: TestChange[] = [];
  for (const row of rows) {
    if (options.ignoreStandards?.has(row.standard)) continue;
    const before = SEVERITY[row.before_status];
    const after = SEVERITY[row.after_status];
    if (before === undefined || after === undefined || before === after) continue;
    const change = { domain: row.domain, suite: row.suite, testId: row.test_id, standard: row.standard, before: row.before_status, after: row.after_status };
    (after > before ? regressions : recoveries).push(change);
  }
  return { regressions, recoveries };
}

/** The standards a contract has a live exemption for on `day` (YYYY-MM-DD). */
export async function exemptStandards(db: Kysely<Schema>, contractId: string, day: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom("exemptions")
    .select("standard")
    .where("contract_id", "=", contractId)
    .where((eb) => eb.or([eb("expires_on", "is", null), eb("expires_on", ">=", day)]))
    .execute();
  return new Set(rows.map((row) => row.standard));
}
