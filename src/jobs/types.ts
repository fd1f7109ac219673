/**
 * The job queue's contract: a job is one target of a run (domain × suite);
 * a queue hands jobs to a handler with bounded concurrency, retries a job
 * whose handler threw (with backoff, a bounded number of times), and gives a
 * job whose runner died to another runner after its lease. Two queues keep
 * it: the embedded one (embedded.ts, in-process, on the run_targets table;
 * the default with SQLite) and pg-boss on PostgreSQL (pg-boss.ts, for
 * `baseline worker` on any number of machines).
 *
 * Handlers must be idempotent: a job can be delivered more than once (the
 * result table's key makes the second write a no-op, campaigns/runs.ts).
 */

export interface CheckJob {
  runId: string;
  domain: string;
  /** The check suite (checks/types.ts Suite; spelled out here because the queue knows nothing of checks). */
  suite: "web" | "mail";
}

export interface JobAttempt {
  /** 1 for the first delivery. */
  attempt: number;
  /** The queue gives up after this many; the handler records a final error on the last. */
  maxAttempts: number;
}

/** Does the job; throws to have it retried (until the last attempt). */
export type JobHandler = (job: CheckJob, attempt: JobAttempt) => Promise<void>;

export interface JobQueue {
  /** Makes jobs available to runners (a no-op where the run's targets are the queue). */
  enqueue(jobs: readonly CheckJob[]): Promise<void>;
  /** Drops the jobs of a run that were not started (a cancelled run). */
  dropRun(runId: string): Promise<void>;
  /** Starts handing jobs to `handler`; resolves once it is taking jobs. */
  start(handler: JobHandler): Promise<void>;
  /** Stops taking jobs and waits for the running ones (at most `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** Attempts per job, and the backoff between them (doubling, capped). */
export const DEFAULT_MAX_ATTEMPTS = 3;
export const RETRY_BASE_MS = 2_000;
export const RETRY_MAX_MS = 60_000;

/** Wait before attempt `attempt + 1`, after attempt `attempt` failed. */
export function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
}
