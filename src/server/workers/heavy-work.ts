/**
 * Runs the web app's heavy store jobs (store-jobs.ts: imports, export
 * builds) off the event loop: each in a worker thread of its own, with its
 * own database connection, a time limit and a heap limit. A 10 MiB CSV
 * import froze every request for 16-29 s when it ran on the event loop
 * (SQLite runs synchronously there, and the import held the one
 * connection); in a worker the server keeps answering while it runs.
 *
 * One job of each kind runs at a time, a few wait (beyond, WorkBusyError: a
 * 503); a job past its time or memory is stopped (WorkLimitError). A
 * database a worker cannot open (SQLite in memory: tests) runs its jobs
 * in-process, with the same queue.
 *
 * @example
 *   const work = new HeavyWork({ database: { url: "sqlite:data/baseline.sqlite" } });
 *   const outcome = await work.run(store.db, { kind: "import", bytes, fileName, fileType, actorId, known }, userId);
 */
import { Worker } from "node:worker_threads";
import type { Kysely } from "kysely";
import { sqliteWriteIntent, type OpenDatabaseOptions, type Schema } from "../../store/index.ts";
import { QueueFullError, WorkQueue } from "../work-queue.ts";
import { runStoreJob, type JobResult, type StoreJob } from "./store-jobs.ts";

/** Where a worker connects: the URL the server opened (with its password) and the same options. */
export interface WorkerDatabase {
  url: string;
  options?: OpenDatabaseOptions;
}

export interface HeavyWorkOptions {
  /** Absent, or SQLite in memory: jobs run in-process. */
  database?: WorkerDatabase;
  timeoutMs?: number;
  /** The worker's V8 heap (old generation); buffers such as an export's bytes come on top. */
  maxHeapMb?: number;
}

/** Too many jobs of this kind already: try again later (503). */
export class WorkBusyError extends Error {
  override name = "WorkBusyError";
}

/** The job took longer or needed more memory than allowed, and was stopped; on SQLite, an import keeps the batches it had committed (store-worker.ts). */
export class WorkLimitError extends Error {
  override name = "WorkLimitError";
}

export class HeavyWork {
  readonly timeoutMs: number;
  readonly maxHeapMb: number;
  readonly #database: WorkerDatabase | undefined;
  // One at a time per kind: imports all write (the database takes one writer
  // at a time anyway), and export builds are few (cached until the next write).
  readonly #queues = { import: new WorkQueue({ concurrency: 1, maxWaiting: 4, perKey: 1, whenFull: "refuse-newest" }), export: new WorkQueue({ concurrency: 1, maxWaiting: 6, perKey: 1 }) };

  constructor(options: HeavyWorkOptions = {}) {
    this.#database = options.database?.url === "sqlite::memory:" ? undefined : options.database;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.maxHeapMb = options.maxHeapMb ?? 512;
  }

  /** Whether jobs run in worker threads (false: in-process). */
  get inWorkers(): boolean {
    return this.#database !== undefined;
  }

  /** Runs `job`; `key` says whose it is (the user, the export), each key one job at a time. */
  async run<J extends StoreJob>(db: Kysely<Schema>, job: J, key: string): Promise<JobResult<J>> {
    try {
      return await this.#queues[job.kind].run(key, () => (this.#database ? this.#inWorker(this.#database, job) : runStoreJob(db, job)));
    } catch (error) {
      if (error instanceof QueueFullError) throw new WorkBusyError(`too many ${job.kind}s at once`);
      throw error;
    }
  }

  #inWorker<J extends StoreJob>(database: WorkerDatabase, job: J): Promise<JobResult<J>> {
    return new Promise((resolve, reject) => {
      const transfer = job.kind === "import" ? [job.bytes.buffer as ArrayBuffer] : [];
      const worker = new Worker(new URL("./store-worker.ts", import.meta.url), {
        // An import in a worker steps aside whenever this thread wants SQLite's write lock (ImportOptions.yieldTo).
        workerData: { database, job: job.kind === "import" ? { ...job, yieldTo: sqliteWriteIntent } : job },
        transferList: transfer,
        resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb },
      });
      let settled = false;
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const timer = setTimeout(() => {
        finish(() => reject(new WorkLimitError(`${job.kind} stopped after ${this.timeoutMs / 1000} s`)));
        void worker.terminate();
      }, this.timeoutMs);
      worker.on("message", (message: { result: JobResult<J> } | { error: string }) => {
        finish(() => ("error" in message ? reject(new Error(message.error)) : resolve(message.result)));
      });
      worker.on("error", (error: Error & { code?: string }) => {
        finish(() => reject(error.code === "ERR_WORKER_OUT_OF_MEMORY" ? new WorkLimitError(`${job.kind} stopped: it needed more than ${this.maxHeapMb} MB`) : error));
      });
      worker.on("exit", (code) => finish(() => reject(new Error(`the ${job.kind} worker stopped (exit code ${code}) without an answer`))));
    });
  }
}
