/**
 * The queue for many machines: pg-boss on the campaign's own PostgreSQL
 * database (in a schema of its own, "pgboss" by default). `baseline serve
 * --db postgres://...` enqueues; `baseline worker --db postgres://...` on
 * any number of machines takes jobs; PostgreSQL is the only moving part.
 *
 * How each promise of the queue contract (types.ts) is kept:
 *
 * - Enqueued once: one queue with pg-boss's "exclusive" policy, each job
 *   keyed `runId/suite/domain` (singletonKey). While a job of that key is
 *   created, waiting for a retry or active, another insert of it is a
 *   no-op, so a scheduler that fires twice, or the sweep below, adds none.
 * - Leases: a job that is taken is "active", and its worker touches it
 *   (pg-boss's heartbeat) every leaseSeconds/2. A worker that dies (SIGKILL,
 *   machine lost) stops beating; pg-boss's supervisor (in every serve and
 *   worker process) sees the heartbeat older than leaseSeconds and puts the
 *   job back for a retry. expireInSeconds bounds a job's run time as well
 *   (a hung check), at maxRunSeconds.
 * - Retries: retryLimit = maxAttempts - 1, with exponential backoff from
 *   RETRY_BASE_MS capped at RETRY_MAX_MS (pg-boss adds jitter). The handler
 *   is told which attempt it is, and writes an error result on the last one.
 * - Results written once: not the queue's doing but the results table's
 *   key (campaigns/runs.ts recordResult): a job delivered again after its
 *   worker wrote the result and died writes nothing the second time.
 * - Nothing lost: a target whose job went missing (the server died between
 *   creating a run and enqueueing it; the last attempt's result could not
 *   be written because the database was away) is still "pending" in
 *   run_targets. Every process that holds a PgBossQueue with a store sweeps
 *   such targets of live runs back into the queue now and then: those with
 *   no live job in pg-boss's table, a bounded number per sweep; the key
 *   keeps a target from doubling should its job appear meanwhile.
 *   A target put back maxSweeps times and lost again (its check kills
 *   every worker that runs it, its result cannot be written) is given up
 *   on: onGiveUp writes the error as its result, so that it ends too.
 * - Bounded concurrency: at most `concurrency` jobs per process. Its loop
 *   fetches as many jobs as it has free places, and again as soon as one
 *   frees (pg-boss's fetch, complete, fail and touch), so a slow domain
 *   holds up no other and a quick one leaves no place idle.
 *
 * @example
 *   const queue = new PgBossQueue({ connectionString: "postgres://baseline@db/baseline", concurrency: 16, store });
 *   await queue.start(createCheckHandler({ store, settings }));   // a worker
 *   await queue.enqueue([{ runId, domain: "example.nl", suite: "web" }]);  // a server
 *   await queue.close();
 */
import { sql, type RawBuilder } from "kysely";
import { PgBoss, type JobWithMetadata } from "pg-boss";
import type { Store } from "../store/index.ts";
import { DEFAULT_MAX_ATTEMPTS, RETRY_BASE_MS, RETRY_MAX_MS, type CheckJob, type JobHandler, type JobQueue } from "./types.ts";
import { Pause } from "./pause.ts";

/** The one queue of check jobs. */
export const CHECK_QUEUE = "baseline-checks";
export const DEFAULT_PGBOSS_SCHEMA = "pgboss";

export interface PgBossQueueOptions {
  /** postgres://... of the campaign database. */
  connectionString: string;
  /** pg-boss's own schema (created when missing). Default "pgboss". */
  schema?: string;
  /** Jobs this process handles at once (>= 1); also bounds its pool. */
  concurrency: number;
  /** Attempts per job (default 3). */
  maxAttempts?: number;
  /** A job whose worker stopped beating for this long goes to another worker (default 30, pg-boss's minimum 10). */
  leaseSeconds?: number;
  /** A job running longer than this is failed and retried (default 180: three times a domain's 60 s deadline). */
  maxRunSeconds?: number;
  /** Wait before the first retry, in whole seconds (default RETRY_BASE_MS); doubles with each retry, capped at RETRY_MAX_MS. */
  retryDelaySeconds?: number;
  /** How often this process's supervisor looks for lost leases (default 10 s). */
  superviseSeconds?: number;
  /** How often an idle worker asks for jobs (default 0.5 s). */
  pollSeconds?: number;
  /** Sweeps pending targets of live runs back into the queue (see the module comment); without it, no sweep. */
  store?: Store;
  /** Between sweeps (default 60 s); a run is swept once it is older than this. */
  sweepMs?: number;
  /** Targets one sweep puts back at most (default 1000); more wait for the next sweep. */
  sweepLimit?: number;
  /** Times the sweep puts one target back (>= 1, default 3); lost once more, it is given up on (onGiveUp). */
  maxSweeps?: number;
  /**
   * Writes `reason` as the result of a target given up on, and finishes its
   * run if that was its last (campaigns/execute.ts createGiveUp). Every
   * process that sweeps needs it: without it such a target stays pending.
   */
  onGiveUp?: (job: CheckJob, reason: string) => Promise<void>;
  /** Where pg-boss's own errors go (default: stderr, at most one line a second). */
  onError?: (message: string) => void;
}

/** Jobs inserted per statement: one JSON parameter each, kept moderate. */
const INSERT_CHUNK = 1000;

export class PgBossQueue implements JobQueue {
  readonly #options: PgBossQueueOptions;
  readonly #boss: PgBoss;
  readonly #maxAttempts: number;
  readonly #sweepLimit: number;
  readonly #maxSweeps: number;
  #opening: Promise<void> | null = null;
  #handler: JobHandler | null = null;
  #loop: Promise<void> | null = null;
  #stopping = false;
  readonly #pause = new Pause();
  #heartbeat: NodeJS.Timeout | undefined;
  readonly #running = new Map<string, { work: Promise<void> }>();
  #sweeper: NodeJS.Timeout | null = null;
  #sweeping: Promise<void> | null = null;
  #lastErrorAt = 0;
  #closed = false;

  constructor(options: PgBossQueueOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${options.concurrency}`);
    const leaseSeconds = options.leaseSeconds ?? 30;
    if (!Number.isInteger(leaseSeconds) || leaseSeconds < 10) throw new Error(`leaseSeconds must be a whole number of at least 10 (pg-boss heartbeats), got ${leaseSeconds}`);
    this.#options = { ...options, leaseSeconds };
    this.#maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.#sweepLimit = options.sweepLimit ?? 1000;
    if (!Number.isInteger(this.#sweepLimit) || this.#sweepLimit < 1) throw new Error(`sweepLimit must be a positive integer, got ${this.#sweepLimit}`);
    // At least once: a target whose job was never enqueued (the server died first) has had no delivery at all.
    this.#maxSweeps = options.maxSweeps ?? 3;
    if (!Number.isInteger(this.#maxSweeps) || this.#maxSweeps < 1) throw new Error(`maxSweeps must be a positive integer, got ${this.#maxSweeps}`);
    const supervise = options.superviseSeconds ?? 10;
    this.#boss = new PgBoss({
      connectionString: options.connectionString,
      schema: options.schema ?? DEFAULT_PGBOSS_SCHEMA,
      // Workers, their heartbeats, completions, the supervisor and the sweep, with room to spare.
      max: Math.min(50, options.concurrency + 6),
      connectionTimeoutMillis: 5000,
      // Every process supervises: whichever is alive puts a dead worker's jobs back.
      supervise: true,
      superviseIntervalSeconds: supervise,
      monitorIntervalSeconds: supervise,
      // No cron schedules here (campaigns/scheduler.ts makes the runs).
      schedule: false,
    });
    this.#boss.on("error", (error: Error) => this.#reportError(error.message));
  }

  /** Connects, installs pg-boss's schema and the queue when missing, and starts the sweep (idempotent). */
  open(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the queue is closed"));
    this.#opening ??= (async () => {
      await this.#boss.start();
      await this.#ensureQueue();
      if (this.#options.store) {
        const every = this.#options.sweepMs ?? 60_000;
        this.#sweeper = setInterval(() => void this.sweep(), every);
        this.#sweeper.unref();
      }
    })();
    // A failed start may be tried again (the database was away).
    this.#opening.catch(() => (this.#opening = null));
    return this.#opening;
  }

  async enqueue(jobs: readonly CheckJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.open();
    for (let start = 0; start < jobs.length; start += INSERT_CHUNK) {
      const chunk = jobs.slice(start, start + INSERT_CHUNK).map((job) => ({
        data: { runId: job.runId, domain: job.domain, suite: job.suite },
        singletonKey: jobKey(job),
      }));
      await this.#boss.insert(CHECK_QUEUE, chunk);
    }
    // A worker in this process (serve --run-checks) need not wait for its next poll.
    this.#pause.wake();
  }

  /** Deletes the run's jobs that wait (created or retry); running ones find the run cancelled and end. */
  async dropRun(runId: string): Promise<void> {
    await this.open();
    for (;;) {
      const queued = await this.#boss.findJobs<CheckJob>(CHECK_QUEUE, { data: { runId }, queued: true, limit: 1000 });
      if (queued.length === 0) return;
      await this.#boss.deleteJob(CHECK_QUEUE, queued.map((job) => job.id));
      if (queued.length < 1000) return;
    }
  }

  async start(handler: JobHandler): Promise<void> {
    if (this.#loop) throw new Error("the queue is running already");
    await this.open();
    this.#handler = handler;
    this.#stopping = false;
    // The lease: running jobs' heartbeats, twice per lease.
    const beat = Math.max(1000, ((this.#options.leaseSeconds ?? 30) * 1000) / 2);
    this.#heartbeat = setInterval(() => void this.#touch(), beat);
    this.#loop = this.#run();
  }

  /** Stops taking jobs; running ones get `graceMs`, then are failed back to the queue (and retried elsewhere). */
  async stop(graceMs = 30_000): Promise<void> {
    if (!this.#loop) return;
    this.#stopping = true;
    this.#pause.wake();
    await this.#loop;
    this.#loop = null;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.#running.values()].map((entry) => entry.work)), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    clearInterval(this.#heartbeat);
    // Still running after the grace time: back to the queue now rather than after the lease.
    const left = [...this.#running.keys()];
    if (left.length > 0) await this.#boss.fail(CHECK_QUEUE, left, { message: "the worker stopped" }).catch((error: unknown) => this.#reportError(String(error)));
  }

  /**
   * The worker loop (pg-boss's fetch, complete and fail, as its work() does,
   * but fetching as many jobs as there are free places, again as soon as one
   * frees: work() waits out its polling interval after each job, which caps
   * quick jobs, such as domains without an address, at two a second a place).
   */
  async #run(): Promise<void> {
    const poll = (this.#options.pollSeconds ?? 0.5) * 1000;
    while (!this.#stopping) {
      const free = this.#options.concurrency - this.#running.size;
      let jobs: JobWithMetadata<CheckJob>[] = [];
      if (free > 0) {
        try {
          jobs = await this.#boss.fetch<CheckJob>(CHECK_QUEUE, { batchSize: free, includeMetadata: true });
        } catch (error) {
          // The database is away (restarting): ask again after a pause.
          this.#reportError(error instanceof Error ? error.message : String(error));
        }
      }
      for (const job of jobs) this.#handle(job);
      if (jobs.length === 0 || this.#running.size >= this.#options.concurrency) await this.#pause.sleep(poll);
    }
  }

  #handle(job: JobWithMetadata<CheckJob>): void {
    const handler = this.#handler as JobHandler;
    const { runId, domain, suite } = job.data;
    const work = (async () => {
      try {
        // retryCount counts the deliveries before this one; retryLimit the retries allowed.
        await handler({ runId, domain, suite }, { attempt: job.retryCount + 1, maxAttempts: job.retryLimit + 1 });
        await this.#boss.complete(CHECK_QUEUE, job.id);
      } catch (error) {
        // A retry with backoff while retries are left; a settle that fails leaves the job to its lease.
        await this.#boss.fail(CHECK_QUEUE, job.id, { message: error instanceof Error ? error.message : String(error) }).catch((failed: unknown) => this.#reportError(String(failed)));
      }
    })().catch((error: unknown) => this.#reportError(String(error)));
    this.#running.set(job.id, { work });
    void work.finally(() => {
      this.#running.delete(job.id);
      this.#pause.wake();
    });
  }

  async #touch(): Promise<void> {
    const ids = [...this.#running.keys()];
    if (ids.length === 0) return;
    await this.#boss.touch(CHECK_QUEUE, ids).catch((error: unknown) => this.#reportError(`heartbeat: ${String(error)}`));
  }


  /** stop(), then the sweep and pg-boss itself (its pool, supervisor and listener). */
  async close(graceMs = 30_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    await this.#sweeping;
    await this.stop(graceMs);
    if (this.#opening) await this.#boss.stop({ graceful: true, timeout: graceMs, close: true }).catch((error: unknown) => this.#reportError(String(error)));
  }

  /**
   * Puts pending targets of live runs older than `olderThanMs` that have no
   * live job (created, retry or active in pg-boss's job table, found by the
   * singleton key) back into the queue, at most `sweepLimit` of them, oldest
   * run first; the rest wait for the next sweep. The database finds them
   * (on the key, one probe of pg-boss's unique index of live
   * exclusive jobs per pending target), so a sweep reads and inserts at most
   * sweepLimit rows however large the backlog of queued jobs.
   *
   * Each time counts in run_targets.attempts (which only the embedded queue
   * uses otherwise). A target put back `maxSweeps` times that is lost once
   * more is given up on (onGiveUp writes the error as its result): its jobs
   * keep ending without one, a check that stops its worker or a result that
   * cannot be written, and would otherwise come back for ever. The row's
   * not_before keeps two processes sweeping at once from counting it twice.
   *
   * Returns how many jobs were new, which is 0 when nothing was lost.
   */
  async sweep(olderThanMs = this.#options.sweepMs ?? 60_000): Promise<number> {
    const store = this.#options.store;
    if (!store || this.#closed) return 0;
    if (this.#sweeping) {
      await this.#sweeping;
      return 0;
    }
    let added = 0;
    this.#sweeping = (async () => {
      try {
        await this.open();
        const now = Date.now();
        const before = new Date(now - olderThanMs).toISOString();
        const at = new Date(now).toISOString();
        const notBefore = new Date(now + olderThanMs / 2).toISOString();
        const { rows } = await sql<{ run_id: string; domain: string; suite: CheckJob["suite"]; attempts: number }>`
          update run_targets set attempts = attempts + 1, not_before = ${notBefore}
          where (run_id, domain, suite) in (
            select t.run_id, t.domain, t.suite
            from run_targets t join runs r on r.id = t.run_id
              left join lateral (${this.#liveJobOf(sql`t`)}) live on true
            where live.found is null
              and r.status in ('queued', 'running') and r.created_at <= ${before} and t.state <> 'done'
              and (t.not_before is null or t.not_before <= ${at})
            order by r.created_at, t.run_id, t.suite, t.domain
            limit ${this.#sweepLimit}
            for update of t skip locked)
          returning run_id, domain, suite, attempts`.execute(store.db);
        const again: CheckJob[] = [];
        for (const row of rows) {
          const job: CheckJob = { runId: row.run_id, domain: row.domain, suite: row.suite };
          if (row.attempts <= this.#maxSweeps) again.push(job);
          else await this.#giveUp(job, row.attempts);
        }
        for (let start = 0; start < again.length; start += INSERT_CHUNK) {
          const chunk = again.slice(start, start + INSERT_CHUNK).map((job) => ({ data: job, singletonKey: jobKey(job) }));
          added += (await this.#boss.insert(CHECK_QUEUE, chunk, { returnId: true }))?.length ?? 0;
        }
        if (added > 0) this.#pause.wake();
      } catch (error) {
        this.#reportError(`sweep: ${error instanceof Error ? error.message : String(error)}`);
      }
    })();
    await this.#sweeping;
    this.#sweeping = null;
    return added;
  }

  /** A target lost `rounds` times: its error as its result (onGiveUp); tried again at a later sweep if that fails. */
  async #giveUp(job: CheckJob, rounds: number): Promise<void> {
    const reason = `gave up after ${rounds} rounds in the queue of up to ${this.#maxAttempts} deliveries each without a result (the check stops its worker, or its result cannot be written)`;
    if (!this.#options.onGiveUp) {
      this.#reportError(`sweep: ${jobKey(job)}: ${reason}; left pending (no onGiveUp)`);
      return;
    }
    await this.#options.onGiveUp(job, reason).catch((error: unknown) => this.#reportError(`sweep: giving up on ${jobKey(job)}: ${error instanceof Error ? error.message : String(error)}`));
  }

  /**
   * The live job of run_targets row `target`, in pg-boss's own table: the
   * condition of its index job_i6 (policy exclusive, state up to active, on
   * name and coalesce(singleton_key, '')), so that each probe is one index
   * lookup. A lateral subquery rather than NOT EXISTS: on tables without
   * planner statistics yet (a fresh pg-boss partition), PostgreSQL planned
   * the anti-join as a scan of every job per target (100,000 targets: over
   * 14 minutes); the lateral one is a probe per target (375 ms). pg-boss
   * v12's layout; a change in it makes the sweep fail loudly (reportError),
   * not double jobs: the insert's key still guards them.
   */
  #liveJobOf(target: RawBuilder<unknown>): RawBuilder<unknown> {
    const jobs = sql.id(this.#options.schema ?? DEFAULT_PGBOSS_SCHEMA, "job");
    return sql`select 1 as found from ${jobs} j
      where j.name = ${CHECK_QUEUE} and j.policy = 'exclusive' and j.state <= 'active'
        and coalesce(j.singleton_key, '') = ${target}.run_id || '/' || ${target}.suite || '/' || ${target}.domain
      limit 1`;
  }

  /** Jobs of the queue by state, counted now (tests, the benchmark, progress). */
  async counts(): Promise<{ queued: number; active: number; completed: number; failed: number }> {
    await this.open();
    const schema = this.#options.schema ?? DEFAULT_PGBOSS_SCHEMA;
    const { rows } = await this.#boss.getDb().executeSql(`select state, count(*)::int as n from "${schema}".job where name = $1 group by state`, [CHECK_QUEUE]);
    const by = new Map((rows as { state: string; n: number }[]).map((row) => [row.state, row.n]));
    return { queued: (by.get("created") ?? 0) + (by.get("retry") ?? 0), active: by.get("active") ?? 0, completed: by.get("completed") ?? 0, failed: by.get("failed") ?? 0 };
  }

  async #ensureQueue(): Promise<void> {
    const options = {
      policy: "exclusive",
      retryLimit: Math.max(0, this.#maxAttempts - 1),
      retryDelay: this.#options.retryDelaySeconds ?? Math.max(1, Math.round(RETRY_BASE_MS / 1000)),
      retryBackoff: true,
      retryDelayMax: Math.round(RETRY_MAX_MS / 1000),
      expireInSeconds: this.#options.maxRunSeconds ?? 180,
      heartbeatSeconds: this.#options.leaseSeconds ?? 30,
      // Finished jobs are kept a day (the results table is the record), waiting ones two weeks.
      deleteAfterSeconds: 86_400,
    } as const;
    const existing = await this.#boss.getQueue(CHECK_QUEUE);
    if (!existing) {
      try {
        await this.#boss.createQueue(CHECK_QUEUE, options);
        return;
      } catch (error) {
        // Two processes starting at once: the other one created it.
        if (!(await this.#boss.getQueue(CHECK_QUEUE))) throw error;
      }
    }
    // Settings follow the process that started last (lease, attempts), as with any configuration change.
    const { retryLimit, retryDelay, retryBackoff, retryDelayMax, expireInSeconds, heartbeatSeconds, deleteAfterSeconds } = options;
    await this.#boss.updateQueue(CHECK_QUEUE, { retryLimit, retryDelay, retryBackoff, retryDelayMax, expireInSeconds, heartbeatSeconds, deleteAfterSeconds });
  }

  #reportError(message: string): void {
    if (this.#options.onError) {
      this.#options.onError(message);
      return;
    }
    // A database restart makes every worker fail at once: one line a second is enough to say so.
    const now = Date.now();
    if (now - this.#lastErrorAt < 1000) return;
    this.#lastErrorAt = now;
    console.error(`baseline: job queue: ${message.split("\n")[0] ?? message}`);
  }
}

/** The job's key: one job per run, suite and domain at a time. */
export function jobKey(job: CheckJob): string {
  return `${job.runId}/${job.suite}/${job.domain}`;
}
