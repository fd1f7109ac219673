/**
 * The job handler: checks one target of a run and writes its result once.
 * It runs wherever the queue delivers (the server's embedded runner or a
 * `baseline worker`), and is safe to deliver twice: a target that has its
 * result is not checked again (the delivery only finishes the run, in case
 * the one that wrote the result died before it could), and the result's key
 * keeps a second write out.
 *
 * A contract's run checks only the tests of the standards the contract
 * requires. A check that throws is retried by the queue; on the last attempt
 * its error is written as the result, so that every target ends with one.
 *
 * @example
 *   const handle = createCheckHandler({ store, settings, onRunFinished: CampaignEngine.afterRun(deliver) });
 *   await queue.start(handle);
 */
import { CheckInputError } from "../checks/errors.ts";
import type { CheckSettings } from "../checks/context.ts";
import { checksOf } from "../checks/registry.ts";
import { checkAndScore, type RunOptions } from "../checks/run.ts";
import type { DomainReport, Suite } from "../checks/types.ts";
import type { Store } from "../store/index.ts";
import type { CheckJob, JobHandler } from "../jobs/types.ts";
import { finishRunWithAlerts, type AlertRecord } from "./alerts.ts";
import { getRun, recordResult, type RunRecord } from "./runs.ts";

export type CheckFunction = (domain: string, suite: Suite, settings: CheckSettings, options: RunOptions) => Promise<DomainReport>;

export interface CheckHandlerOptions {
  store: Store;
  settings: CheckSettings;
  /** Called once per run, by whichever handler finished it, with the alerts it raised (already stored): deliver them. */
  onRunFinished?: (run: RunRecord, alerts: AlertRecord[]) => Promise<void>;
  /** The check itself (default checkAndScore; benchmarks and tests pass their own). */
  check?: CheckFunction;
}

/** The check ids of a suite that test one of `standards`. */
export function testsOfStandards(suite: Suite, standards: readonly string[]): string[] {
  const wanted = new Set(standards);
  return checksOf(suite)
    .filter((check) => wanted.has(check.standard))
    .map((check) => check.id);
}

export function createCheckHandler(options: CheckHandlerOptions): JobHandler {
  const check = options.check ?? checkAndScore;
  return async (job, attempt) => {
    const { store } = options;
    const run = await getRun(store.db, job.runId);
    // A run deleted or cancelled meanwhile: nothing to do, and nothing to retry.
    if (!run || run.status === "cancelled" || run.status === "done") return;
    // Delivered again after its result was written (a worker killed between writing and acknowledging, a lease
    // that ran out): the servers checked are not asked twice. The run may have ended with that very result.
    if (await hasResult(store, job)) {
      await finishRun(options, job.runId);
      return;
    }
    const only = run.onlyStandards === null ? undefined : testsOfStandards(job.suite, run.onlyStandards);
    let written: boolean;
    if (only !== undefined && only.length === 0) {
      // The contract requires nothing this suite tests: an empty result still marks the target done.
      written = await recordResult(store.db, { ...job, report: emptyReport(job.domain, job.suite) });
    } else {
      try {
        const report = await check(job.domain, job.suite, options.settings, only === undefined ? {} : { only });
        written = await recordResult(store.db, { ...job, report });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        // A name that is not a domain will not become one on a retry.
        if (!(error instanceof CheckInputError) && attempt.attempt < attempt.maxAttempts) throw error;
        written = await recordResult(store.db, { ...job, error: reason });
      }
    }
    if (written) await finishRun(options, job.runId);
  };
}

/**
 * What a queue calls when it gives up on a target (jobs/pg-boss.ts onGiveUp:
 * its jobs failed round after round without a result, because the check
 * stops its worker or the result cannot be written): `reason` becomes the
 * target's result, without checking again, and the run ends if it was its
 * last. The result's key keeps it to one, as with the handler.
 */
export function createGiveUp(options: Pick<CheckHandlerOptions, "store" | "onRunFinished">): (job: CheckJob, reason: string) => Promise<void> {
  return async (job, reason) => {
    const run = await getRun(options.store.db, job.runId);
    if (!run || run.status === "cancelled" || run.status === "done") return;
    await recordResult(options.store.db, { ...job, error: reason });
    await finishRun(options, job.runId);
  };
}

async function hasResult(store: Store, job: CheckJob): Promise<boolean> {
  const row = await store.db.selectFrom("results").select("run_id").where("run_id", "=", job.runId).where("domain", "=", job.domain).where("suite", "=", job.suite).executeTakeFirst();
  return row !== undefined;
}

/** Marks the run done (with its alerts) if this was its last result; the one call that did runs onRunFinished. */
async function finishRun(options: Pick<CheckHandlerOptions, "store" | "onRunFinished">, runId: string): Promise<void> {
  const finished = await finishRunWithAlerts(options.store.db, runId);
  if (finished && options.onRunFinished) await options.onRunFinished(finished.run, finished.alerts).catch((error: unknown) => console.error(`baseline: after run ${runId}: ${String(error)}`));
}

function emptyReport(domain: string, suite: Suite): DomainReport {
  return { domain, suite, score: null, categories: [], tests: [], startedAt: new Date().toISOString(), durationMs: 0 };
}
