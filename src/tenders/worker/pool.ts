/**
 * Reads and analyses tender files in worker threads, so that no file can
 * take the process down or hold it up (findings 11 to 16 of issue 15): each
 * worker has a heap limit (`resourceLimits`), each file a time limit, and
 * the whole process a memory budget. A file that breaks one of them yields
 * one failure, its worker is replaced, and the files after it go on.
 *
 * Workers are kept and reused (two by default, one per core on this kind of
 * machine): starting one costs a catalog load and the PDF and DOCX readers,
 * far more than reading a small document.
 *
 * @example
 *   const pool = new TenderPool();
 *   for await (const result of pool.analyzeFiles(["a.pdf", "b.docx"])) console.log(result);
 *   await pool.close();
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { formatBytes, type IngestOptions } from "../ingest/common.ts";
import type { IngestFailure, TenderAnalysis } from "../types.ts";
import type { TaskMessage, WorkerMessage } from "./protocol.ts";

export type PoolResult = TenderAnalysis | IngestFailure;

export interface PoolOptions {
  /** Workers (default: the number of cores, at most 2). */
  size?: number;
  /** Old-generation heap per worker, in MiB (default 512). */
  maxHeapMb?: number;
  /** A file that shows no progress for this long is stopped (default 10 s). */
  stallMs?: number;
  /** A file still being read after this long is stopped, progress or not (default 120 s). */
  timeLimitMs?: number;
  /** Resident memory of the whole process above which the file whose worker holds the most memory is stopped (default 1 GiB less a margin). */
  memoryBudgetBytes?: number;
  /** Ingestion options for every file (document root, caps). */
  ingest?: Omit<IngestOptions, "onProgress">;
  /** analyzeTender's assumeIct. */
  assumeIct?: boolean;
  /** Let the process exit while workers idle (a server's pool): workers and the watchdog are unref'd. */
  unref?: boolean;
  /** The worker script, speaking protocol.ts (default: worker.ts); tests put a stuck or memory-hungry reader in its place. */
  workerUrl?: URL;
}

const MIB = 1024 * 1024;

interface Task {
  id: number;
  path: string;
  results: PoolResult[];
  done: boolean;
  /** Wakes the consumer waiting for this task's next result. */
  wake: (() => void) | undefined;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  task: Task | undefined;
  startedAt: number;
  lastProgress: number;
  /** Whether the task was handed to the worker (it had finished starting): only then can it stall. */
  posted: boolean;
  /** Why the pool stopped this worker, reported as the task's failure. */
  stopReason: string | undefined;
}

export class TenderPool {
  readonly #size: number;
  readonly #maxHeapMb: number;
  readonly #stallMs: number;
  readonly #timeLimitMs: number;
  readonly #memoryBudget: number;
  readonly #ingest: Omit<IngestOptions, "onProgress">;
  readonly #assumeIct: boolean;
  readonly #unref: boolean;
  readonly #workerUrl: URL;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #nextId = 1;
  #watchdog: NodeJS.Timeout | undefined;
  #closed = false;
  /** Whether the workers' memory is being measured after the budget was exceeded (one measurement at a time). */
  #measuring = false;

  constructor(options: PoolOptions = {}) {
    this.#size = Math.max(1, options.size ?? Math.min(2, availableParallelism()));
    this.#maxHeapMb = options.maxHeapMb ?? 512;
    this.#stallMs = options.stallMs ?? 10_000;
    this.#timeLimitMs = options.timeLimitMs ?? 120_000;
    this.#memoryBudget = options.memoryBudgetBytes ?? 900 * MIB;
    this.#ingest = options.ingest ?? {};
    this.#assumeIct = options.assumeIct === true;
    this.#unref = options.unref === true;
    this.#workerUrl = options.workerUrl ?? new URL("./worker.ts", import.meta.url);
  }

  /**
   * Results for the files in the order given, each file's as they come; up
   * to two files per worker are in flight, so results wait in memory only
   * while an earlier file is still being read.
   */
  async *analyzeFiles(paths: Iterable<string | IngestFailure> | AsyncIterable<string | IngestFailure>): AsyncGenerator<PoolResult> {
    // A failure given in place of a path (a folder that cannot be listed) keeps its place in the order.
    const window: (Task | IngestFailure)[] = [];
    const ahead = this.#size * 2;
    const drain = (entry: Task | IngestFailure): AsyncGenerator<PoolResult> | PoolResult[] => ("error" in entry ? [entry] : this.#drain(entry));
    for await (const path of paths) {
      window.push(typeof path === "string" ? this.#submit(path) : path);
      if (window.filter((entry) => !("error" in entry)).length < ahead) continue;
      const entry = window.shift();
      if (entry) yield* drain(entry);
    }
    for (const entry of window) yield* drain(entry);
  }

  /** The results of one file. */
  async *analyzeFile(path: string): AsyncGenerator<PoolResult> {
    yield* this.#drain(this.#submit(path));
  }

  /** Stops the workers; the pool cannot be used afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    await Promise.all(this.#slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  #submit(path: string): Task {
    if (this.#closed) throw new Error("the tender pool is closed");
    const task: Task = { id: this.#nextId++, path, results: [], done: false, wake: undefined };
    this.#queue.push(task);
    this.#dispatch();
    return task;
  }

  async *#drain(task: Task): AsyncGenerator<PoolResult> {
    for (;;) {
      const result = task.results.shift();
      if (result !== undefined) {
        yield result;
        continue;
      }
      if (task.done) return;
      await new Promise<void>((resolve) => {
        task.wake = resolve;
      });
    }
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((candidate) => candidate.task === undefined);
      if (!slot && this.#slots.length < this.#size) slot = this.#spawn();
      if (!slot) return;
      const task = this.#queue.shift();
      if (!task) return;
      this.#start(slot, task);
    }
  }

  #start(slot: Slot, task: Task): void {
    slot.task = task;
    slot.posted = false;
    this.#hold(slot, true);
    slot.startedAt = Date.now();
    slot.lastProgress = slot.startedAt;
    const message: TaskMessage = { id: task.id, path: task.path, options: this.#ingest, ...(this.#assumeIct ? { assumeIct: true } : {}) };
    void slot.ready.then(() => {
      // The clock starts when the worker can take the file, not while it is still loading.
      slot.startedAt = Date.now();
      slot.lastProgress = slot.startedAt;
      slot.posted = true;
      slot.worker.postMessage(message);
    });
    this.#startWatchdog();
  }

  #spawn(): Slot {
    const worker = new Worker(this.#workerUrl, {
      resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    });
    let ready: () => void = () => undefined;
    const slot: Slot = { worker, ready: new Promise((resolve) => (ready = resolve)), task: undefined, startedAt: 0, lastProgress: 0, posted: false, stopReason: undefined };
    worker.on("message", (message: WorkerMessage) => {
      if (message.kind === "ready") {
        ready();
        return;
      }
      const task = slot.task;
      if (!task || task.id !== message.id) return;
      slot.lastProgress = Date.now();
      if (message.kind === "analysis") this.#deliver(task, message.analysis);
      else if (message.kind === "failure") this.#deliver(task, message.failure);
      else if (message.kind === "done") this.#finish(slot, task);
    });
    worker.on("error", (error: Error & { code?: string }) => {
      if (error.code === "ERR_WORKER_OUT_OF_MEMORY") slot.stopReason ??= `reading it needed more than ${this.#maxHeapMb} MiB of memory; stopped`;
      else slot.stopReason ??= `reader failed: ${error.message.replace(/\s+/g, " ")}`;
    });
    worker.on("exit", () => {
      const index = this.#slots.indexOf(slot);
      if (index !== -1) this.#slots.splice(index, 1);
      // The worker may die before it is ready: let anything waiting on it go on.
      ready();
      const task = slot.task;
      if (task) {
        this.#deliver(task, { source: task.path, error: slot.stopReason ?? "reader stopped unexpectedly" });
        this.#finish(slot, task);
      }
      if (!this.#closed) this.#dispatch();
    });
    this.#slots.push(slot);
    return slot;
  }

  /**
   * In an unref'd pool a worker holds the process only while it has a file:
   * idle, it lets the process exit. (Called after the listeners are added,
   * since adding a message listener refs the worker again.)
   */
  #hold(slot: Slot, busy: boolean): void {
    if (!this.#unref) return;
    if (busy) slot.worker.ref();
    else slot.worker.unref();
  }

  #deliver(task: Task, result: PoolResult): void {
    task.results.push(result);
    task.wake?.();
    task.wake = undefined;
  }

  #finish(slot: Slot, task: Task): void {
    task.done = true;
    task.wake?.();
    task.wake = undefined;
    if (slot.task === task) {
      slot.task = undefined;
      this.#hold(slot, false);
    }
    if (!this.#closed) this.#dispatch();
    if (this.#slots.every((candidate) => candidate.task === undefined) && this.#queue.length === 0) this.#stopWatchdog();
  }

  /** Stops a worker on behalf of its file; the exit handler reports the reason and replaces it. */
  #stop(slot: Slot, reason: string): void {
    slot.stopReason ??= reason;
    void slot.worker.terminate();
  }

  #startWatchdog(): void {
    if (this.#watchdog) return;
    this.#watchdog = setInterval(() => {
      this.#check();
    }, 100);
    if (this.#unref) this.#watchdog.unref();
  }

  #stopWatchdog(): void {
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  #check(): void {
    const now = Date.now();
    const busy = this.#slots.filter((slot) => slot.task !== undefined && slot.stopReason === undefined);
    for (const slot of busy) {
      // A worker still starting (loading the catalog and readers) is not stalled on the file; the time limit still applies.
      if (slot.posted && now - slot.lastProgress > this.#stallMs) this.#stop(slot, `reading it took longer than ${seconds(this.#stallMs)} without progress; stopped`);
      else if (now - slot.startedAt > this.#timeLimitMs) this.#stop(slot, `reading it took longer than ${seconds(this.#timeLimitMs)}; stopped`);
    }
    // The budget is on the whole process, since memory outside the workers' heaps (buffers, a reader's typed
    // arrays) counts too; which worker holds it is then asked of each.
    // While a stopped worker is still exiting, its memory is not yet given back: measuring then would
    // stop an innocent file beside it (seen in a test: the bomb stopped, then its neighbour).
    const exiting = this.#slots.some((slot) => slot.stopReason !== undefined);
    if (this.#measuring || exiting || process.memoryUsage.rss() <= this.#memoryBudget) return;
    const candidates = busy.filter((slot) => slot.stopReason === undefined);
    if (candidates.length > 0) void this.#stopLargest(candidates);
  }

  /**
   * Stops the file whose worker holds the most memory (heap plus external
   * memory: buffers and typed arrays). The longest-running file used to be
   * stopped, and in a server, where other work shares the budget, that could
   * be an innocent one beside a bomb (review L2 of issue 15). A worker that
   * does not answer in time is busy in synchronous work while memory grows
   * (a bomb being unpacked, a buffer being filled) and counts as the
   * largest; among several such, the longest-running file is stopped.
   */
  async #stopLargest(candidates: Slot[]): Promise<void> {
    this.#measuring = true;
    try {
      const measured = await Promise.all(candidates.map(async (slot) => ({ slot, task: slot.task, bytes: await memoryOf(slot.worker) })));
      // A file that finished or was stopped while the workers were measured is no longer a candidate.
      const still = measured.filter(({ slot, task }) => slot.task === task && slot.stopReason === undefined && this.#slots.includes(slot));
      const largest = still.sort((a, b) => b.bytes - a.bytes || a.slot.startedAt - b.slot.startedAt)[0];
      if (largest) this.#stop(largest.slot, `reading it used more than ${formatBytes(this.#memoryBudget)} of memory; stopped`);
    } finally {
      this.#measuring = false;
    }
  }
}

/** How long a worker's memory figure is waited for; the watchdog checks every 100 ms. */
const MEASURE_TIMEOUT_MS = 500;

/**
 * A worker's heap in use plus its external memory, in bytes; Infinity when it
 * cannot answer in time (its thread is busy: the likeliest culprit), 0 when
 * it cannot answer at all (it is exiting).
 */
async function memoryOf(worker: Worker): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      resolve(Number.POSITIVE_INFINITY);
    }, MEASURE_TIMEOUT_MS);
  });
  try {
    const statistics = worker.getHeapStatistics().then((heap) => heap.used_heap_size + heap.external_memory);
    return await Promise.race([statistics, timeout]);
  } catch {
    return 0;
  } finally {
    clearTimeout(timer);
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
