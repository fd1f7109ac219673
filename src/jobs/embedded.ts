/**
 * The embedded queue: `baseline serve` alone runs campaigns, with no queue
 * server. The queue is the run_targets table itself: a runner leases a
 * pending target (state, lease_until, attempts), hands it to the handler,
 * and on failure puts it back with a backoff (not_before). Everything is in
 * the database, so a server stopped mid-run picks up where it was: on start
 * it takes back the leases of the process that died (there is one embedded
 * runner per database), and results already written are not done again.
 *
 * It works on PostgreSQL too (claims skip rows other runners hold), but the
 * queue made for several machines is pg-boss (pg-boss.ts).
 *
 * @example
 *   const queue = new EmbeddedQueue(store, { concurrency: 8 });
 *   await queue.start(handler);
 */
import { sql, type Kysely } from "kysely";
import type { Schema, Store } from "../store/index.ts";
import { isPostgres } from "../store/support.ts";
import { DEFAULT_MAX_ATTEMPTS, retryDelayMs, type CheckJob, type JobHandler, type JobQueue } from "./types.ts";
import { Pause } from "./pause.ts";

export interface EmbeddedQueueOptions {
  /** Jobs handled at once (>= 1). */
  concurrency: number;
  /** Attempts per job before the handler's last word stands (default 3). */
  maxAttempts?: number;
  /** How long a leased job may run before another runner may take it (default 3 minutes: over a domain's 60 s deadline). */
  leaseMs?: number;
  /** How often an idle runner looks for work (default 1 s); enqueue() wakes it at once. */
  pollMs?: number;
  /** Whether leases left by a previous process are taken back on start (true: one embedded runner per database). */
  recoverLeases?: boolean;
  now?: () => Date;
}

const DEFAULT_LEASE_MS = 3 * 60_000;
const DEFAULT_POLL_MS = 1000;

export class EmbeddedQueue implements JobQueue {
  readonly #store: Store;
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #recoverLeases: boolean;
  readonly #now: () => Date;
  #handler: JobHandler | null = null;
  #running = new Set<Promise<void>>();
  #stopping = false;
  #loop: Promise<void> | null = null;
  readonly #pause = new Pause();

  constructor(store: Store, options: EmbeddedQueueOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${options.concurrency}`);
    this.#store = store;
    this.#concurrency = options.concurrency;
    this.#maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.#recoverLeases = options.recoverLeases ?? true;
    this.#now = options.now ?? (() => new Date());
  }

  /** The targets are in the table already (createRun wrote them): only wake the runner. */
  enqueue(): Promise<void> {
    this.#pause.wake();
    return Promise.resolve();
  }

  /** cancelRun marks the targets done; nothing more to drop here. */
  dropRun(): Promise<void> {
    return Promise.resolve();
  }

  async start(handler: JobHandler): Promise<void> {
    if (this.#loop) throw new Error("the queue is running already");
    this.#handler = handler;
    this.#stopping = false;
    if (this.#recoverLeases) {
      await this.#store.db.updateTable("run_targets").set({ state: "pending", lease_until: null }).where("state", "=", "leased").execute();
    }
    this.#loop = this.#run();
  }

  async stop(graceMs = 30_000): Promise<void> {
    this.#stopping = true;
    this.#pause.wake();
    await this.#loop;
    this.#loop = null;
    const all = Promise.allSettled([...this.#running]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  /** Jobs being handled now (tests, progress). */
  get active(): number {
    return this.#running.size;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      const free = this.#concurrency - this.#running.size;
      let claimed: ClaimedJob[] = [];
      if (free > 0) {
        try {
          claimed = await claimJobs(this.#store.db, free, this.#now(), this.#leaseMs);
        } catch (error) {
          // The database is away (restarting, locked): try again after a pause, never give up the loop.
          console.error(`baseline: job queue: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      for (const job of claimed) this.#handle(job);
      if (claimed.length === 0 || this.#running.size >= this.#concurrency) await this.#pause.sleep(this.#pollMs);
    }
  }

  #handle(job: ClaimedJob): void {
    const handler = this.#handler as JobHandler;
    const work = (async () => {
      try {
        await handler(job, { attempt: job.attempt, maxAttempts: this.#maxAttempts });
        await this.#settle(job, null);
      } catch (error) {
        await this.#settle(job, error);
      }
    })();
    this.#running.add(work);
    void work.finally(() => {
      this.#running.delete(work);
      this.#pause.wake();
    });
  }

  /** After the handler: done (recordResult marked it), or back to pending with a backoff. */
  async #settle(job: ClaimedJob, error: unknown): Promise<void> {
    const db = this.#store.db;
    const key = db.updateTable("run_targets").where("run_id", "=", job.runId).where("domain", "=", job.domain).where("suite", "=", job.suite).where("state", "=", "leased");
    try {
      if (error === null) {
        // A handler that returned without writing a result (the run was cancelled or deleted) ends the job.
        await key.set({ state: "done", lease_until: null }).execute();
      } else {
        const notBefore = new Date(this.#now().getTime() + retryDelayMs(job.attempt)).toISOString();
        await key.set({ state: "pending", lease_until: null, not_before: notBefore }).execute();
      }
    } catch (settleError) {
      // The lease runs out and the job is taken again: delivered twice at worst, and results are written once.
      console.error(`baseline: job queue: ${settleError instanceof Error ? settleError.message : String(settleError)}`);
    }
  }

}

interface ClaimedJob extends CheckJob {
  attempt: number;
}

/** Claims up to `limit` due targets of live runs, oldest run first: each one leased by exactly one claimer. */
async function claimJobs(db: Kysely<Schema>, limit: number, now: Date, leaseMs: number): Promise<ClaimedJob[]> {
  const at = now.toISOString();
  const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
  return db.transaction().execute(async (trx) => {
    let query = trx
      .selectFrom("run_targets")
      .innerJoin("runs", "runs.id", "run_targets.run_id")
      .select(["run_targets.run_id", "run_targets.domain", "run_targets.suite", "run_targets.attempts"])
      .where("runs.status", "in", ["queued", "running"])
      .where((eb) =>
        eb.or([
          eb.and([eb("run_targets.state", "=", "pending"), eb.or([eb("run_targets.not_before", "is", null), eb("run_targets.not_before", "<=", at)])]),
          eb.and([eb("run_targets.state", "=", "leased"), eb("run_targets.lease_until", "<", at)]),
        ]),
      )
      .orderBy("runs.created_at")
      .orderBy("run_targets.domain")
      .limit(limit);
    // Two runners on one PostgreSQL database never claim the same row; SQLite has one writer at a time anyway.
    if (isPostgres<Schema>(trx)) query = query.forUpdate("run_targets").skipLocked();
    const rows = await query.execute();
    const claimed: ClaimedJob[] = [];
    for (const row of rows) {
      const updated = await trx
        .updateTable("run_targets")
        .set({ state: "leased", lease_until: leaseUntil, attempts: sql<number>`attempts + 1` })
        .where("run_id", "=", row.run_id)
        .where("domain", "=", row.domain)
        .where("suite", "=", row.suite)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) claimed.push({ runId: row.run_id, domain: row.domain, suite: row.suite, attempt: row.attempts + 1 });
    }
    return claimed;
  });
}
