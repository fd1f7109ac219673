/**
 * Campaigns in one object, for `baseline serve`: the scheduler makes runs
 * when they are due, the queue hands their targets to the check handler,
 * and a finished run's regressions become alerts that go to their
 * channels. By default everything runs in the server's process on the
 * embedded queue; with pg-boss the server only schedules (runJobs: false)
 * and `baseline worker` processes anywhere run the checks.
 *
 * @example
 *   const engine = new CampaignEngine({ store, settings });
 *   await engine.start();
 *   const run = await engine.runNow("portfolio", portfolioId);
 */
import type { CheckSettings } from "../checks/context.ts";
import { EmbeddedQueue } from "../jobs/embedded.ts";
import type { JobQueue } from "../jobs/types.ts";
import type { Store } from "../store/index.ts";
import { finishRunWithAlerts, type AlertDelivery, type AlertRecord } from "./alerts.ts";
import { createCheckHandler, type CheckFunction } from "./execute.ts";
import { cancelRun, createRun, manualSlot, type RunRecord, type Target } from "./runs.ts";
import { Scheduler, startRunNow } from "./scheduler.ts";

export interface CampaignEngineOptions {
  store: Store;
  settings: CheckSettings;
  /** Default: the embedded queue on the store, with `concurrency`. */
  queue?: JobQueue;
  /** Domains checked at once by the embedded queue (default 8). */
  concurrency?: number;
  /** Whether this process runs checks (false: it schedules and enqueues; workers run them). Default true. */
  runJobs?: boolean;
  /** The scheduler's tick (default 30 s). */
  tickMs?: number;
  /** Sends an alert (email, webhook); the alert row is written whether or not this is given. */
  deliver?: AlertDelivery;
  /** Called every scheduler tick (the contracts' deadline alerts). */
  onTick?: (now: Date) => Promise<void>;
  /** Replaces the checks (tests, benchmarks). */
  check?: CheckFunction;
}

export class CampaignEngine {
  readonly queue: JobQueue;
  readonly scheduler: Scheduler;
  readonly #options: CampaignEngineOptions;
  #started = false;

  constructor(options: CampaignEngineOptions) {
    this.#options = options;
    this.queue = options.queue ?? new EmbeddedQueue(options.store, { concurrency: options.concurrency ?? 8 });
    this.scheduler = new Scheduler({
      store: options.store,
      queue: this.queue,
      ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
      ...(options.onTick === undefined ? {} : { onTick: options.onTick }),
    });
  }

  /**
   * What runs when a run ends: its alerts (stored with the run's end, alerts.ts finishRunWithAlerts) delivered.
   * Also for workers (they finish runs too). A delivery that fails here is tried again by the deliverer's tick.
   */
  static afterRun(_store: Store, deliver?: AlertDelivery): (run: RunRecord, alerts: AlertRecord[]) => Promise<void> {
    return async (_run, alerts) => {
      for (const alert of alerts) await deliver?.(alert).catch((error: unknown) => console.error(`baseline: alert ${alert.id}: ${String(error)}`));
    };
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (this.#options.runJobs ?? true) {
      const handler = createCheckHandler({
        store: this.#options.store,
        settings: this.#options.settings,
        onRunFinished: CampaignEngine.afterRun(this.#options.store, this.#options.deliver),
        ...(this.#options.check ? { check: this.#options.check } : {}),
      });
      await this.queue.start(handler);
      await this.#finishCompleteRuns();
    }
    this.scheduler.start();
  }

  /**
   * Runs with every result written but not marked done: the process that wrote the last result died before it
   * could mark the run (the embedded queue marks a target done with its result, so no job comes back to do it).
   */
  async #finishCompleteRuns(): Promise<void> {
    const { store } = this.#options;
    const live = await store.db.selectFrom("runs").select("id").where("status", "in", ["queued", "running"]).execute();
    const afterRun = CampaignEngine.afterRun(store, this.#options.deliver);
    for (const { id } of live) {
      const finished = await finishRunWithAlerts(store.db, id);
      if (finished) await afterRun(finished.run, finished.alerts).catch((error: unknown) => console.error(`baseline: after run ${id}: ${String(error)}`));
    }
  }

  /** Stops scheduling and taking jobs; waits up to `graceMs` for the checks running (their leases bring back the rest). */
  async stop(graceMs?: number): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.scheduler.stop();
    if (this.#options.runJobs ?? true) await this.queue.stop(graceMs);
  }

  /** Checks a portfolio or contract now, outside its schedule. */
  runNow(kind: "portfolio" | "contract", id: string): Promise<RunRecord> {
    return startRunNow(this.#options.store.db, this.queue, kind, id);
  }

  /** A run of an ad-hoc list (the batch API's requests): created and queued. */
  async runTargets(subjectId: string, targets: readonly Target[]): Promise<RunRecord> {
    const { run, created } = await createRun(this.#options.store.db, { subjectKind: "batch", subjectId, slot: manualSlot(), targets });
    if (created) await this.queue.enqueue(targets.map((target) => ({ runId: run.id, ...target })));
    return run;
  }

  async cancel(runId: string): Promise<boolean> {
    const cancelled = await cancelRun(this.#options.store.db, runId);
    if (cancelled) await this.queue.dropRun(runId);
    return cancelled;
  }
}
