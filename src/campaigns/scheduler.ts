/**
 * The scheduler: every tick, each portfolio and contract whose next run is
 * due gets its run (slot = the time it was due), its targets go to the
 * queue, and its next time is set from its schedule; a slot that comes while
 * the subject's previous run is still under way is skipped. A tick that runs twice
 * (two servers, a restart between creating the run and moving the time)
 * finds the run of that slot made already and makes no second one.
 *
 * @example
 *   const scheduler = new Scheduler({ store, queue });
 *   scheduler.start();           // ticks every 30 s
 *   await startRunNow(store.db, queue, "portfolio", id);
 */
import type { Kysely } from "kysely";
import type { Schema, Store } from "../store/index.ts";
import type { JobQueue } from "../jobs/types.ts";
import { createRun, manualSlot, type RunRecord, type Target } from "./runs.ts";
import { nextRunAfter } from "./schedule.ts";
import { contractStandards, contractTargets, portfolioTargets } from "./targets.ts";

export interface SchedulerOptions {
  store: Store;
  queue: JobQueue;
  /** Between looks for due runs (default 30 s). */
  tickMs?: number;
  now?: () => Date;
  /** Also called every tick, after the runs (the contracts' deadline alerts). */
  onTick?: (now: Date) => Promise<void>;
}

type ScheduledKind = "portfolio" | "contract";

/** The next_run_at a subject gets when its schedule is set or changed (null: manual). */
export function firstRunAt(schedule: string, now: Date = new Date()): string | null {
  return nextRunAfter(schedule, now)?.toISOString() ?? null;
}

/** Creates a run of the subject now (a slot of its own) and queues its targets. */
export async function startRunNow(db: Kysely<Schema>, queue: JobQueue, kind: ScheduledKind, id: string, now: Date = new Date()): Promise<RunRecord> {
  return makeRun(db, queue, kind, id, manualSlot(now), now);
}

async function makeRun(db: Kysely<Schema>, queue: JobQueue, kind: ScheduledKind, id: string, slot: string, now: Date): Promise<RunRecord> {
  let targets: Target[];
  let onlyStandards: string[] | null = null;
  if (kind === "portfolio") {
    targets = await portfolioTargets(db, id);
  } else {
    targets = await contractTargets(db, id);
    onlyStandards = await contractStandards(db, id);
  }
  const { run, created } = await createRun(db, { subjectKind: kind, subjectId: id, slot, targets, onlyStandards, now });
  if (created) await queue.enqueue(targets.map((target) => ({ runId: run.id, ...target })));
  return run;
}

export class Scheduler {
  readonly #options: SchedulerOptions;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<RunRecord[]> | null = null;

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#timer) return;
    const every = this.#options.tickMs ?? 30_000;
    const tick = (): void => {
      this.#ticking ??= this.tick()
        .catch((error: unknown) => {
          console.error(`baseline: scheduler: ${error instanceof Error ? error.message : String(error)}`);
          return [];
        })
        .finally(() => (this.#ticking = null));
    };
    tick();
    this.#timer = setInterval(tick, every);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#ticking;
  }

  /** One look for due subjects: the runs it made (or found made). */
  async tick(): Promise<RunRecord[]> {
    const now = (this.#options.now ?? (() => new Date()))();
    const at = now.toISOString();
    const db = this.#options.store.db;
    const runs: RunRecord[] = [];
    for (const kind of ["portfolio", "contract"] as const) {
      const table = kind === "portfolio" ? "portfolios" : "contracts";
      const due = await db.selectFrom(table).select(["id", "schedule", "next_run_at"]).where("next_run_at", "is not", null).where("next_run_at", "<=", at).execute();
      for (const subject of due) {
        const slot = subject.next_run_at as string;
        // A run of this subject still under way (a schedule faster than its checks, a backlog): this slot is
        // skipped, not queued behind it, or runs would pile up without end. The run of this very slot (a tick
        // repeated after a restart) is not "another": createRun finds it.
        const live = await db
          .selectFrom("runs")
          .select("id")
          .where("subject_kind", "=", kind)
          .where("subject_id", "=", subject.id)
          .where("status", "in", ["queued", "running"])
          .where("slot", "<>", slot)
          .limit(1)
          .executeTakeFirst();
        if (live) console.error(`baseline: scheduler: ${kind} ${subject.id}: the run of ${slot} is skipped, run ${live.id} is still under way`);
        else runs.push(await makeRun(db, this.#options.queue, kind, subject.id, slot, now));
        // Moved only if nobody moved it meanwhile; a missed slot (the server was down) is not made up twice.
        await db
          .updateTable(table)
          .set({ next_run_at: firstRunAt(subject.schedule, now) })
          .where("id", "=", subject.id)
          .where("next_run_at", "=", slot)
          .execute();
      }
    }
    await this.#options.onTick?.(now);
    return runs;
  }
}
