/**
 * A bounded queue for password hashing. scrypt costs about 100 ms of CPU
 * and 32 MiB per call and runs on libuv's thread pool (4 threads, shared
 * with file and DNS work), which queues without limit: 100 parallel wrong
 * logins held a real one back for 11.7 s. Here at most `concurrency` hashes
 * run at once (the cores), at most `maxWaiting` wait, and each key (a
 * client address) holds at most `perKey` places, running or waiting, so one
 * client cannot fill the queue.
 *
 * When the waiting list is full, the OLDEST waiting job is refused to make
 * room for the new one: a burst cannot hold the queue until it drains, the
 * newest arrival (the real user typing after a flood began) always gets a
 * place, and no one waits longer than maxWaiting / concurrency hashes
 * (2 waiting on 2 cores: one round of 100-200 ms, then its own). Logins
 * are rare; two at once already is a busy moment for this app.
 * Refused jobs fail at once with QueueFullError (a 503 with Retry-After),
 * never silently late.
 *
 * @example
 *   const hashing = new WorkQueue({ concurrency: 2, maxWaiting: 2, perKey: 2 });
 *   const ok = await hashing.run(address, () => verifyPassword(password, hash)); // may throw QueueFullError
 */
import { availableParallelism } from "node:os";

export class QueueFullError extends Error {
  override name = "QueueFullError";
}

export interface WorkQueueOptions {
  concurrency: number;
  maxWaiting: number;
  perKey: number;
}

interface Waiting {
  key: string;
  start: () => void;
  refuse: (error: QueueFullError) => void;
}

export class WorkQueue {
  readonly options: WorkQueueOptions;
  #running = 0;
  readonly #waiting: Waiting[] = [];
  readonly #perKey = new Map<string, number>();

  constructor(options: Partial<WorkQueueOptions> = {}) {
    this.options = { concurrency: Math.max(1, Math.min(availableParallelism(), 4)), maxWaiting: 2, perKey: 2, ...options };
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    if ((this.#perKey.get(key) ?? 0) >= this.options.perKey) throw new QueueFullError(`${key} already has ${this.options.perKey} attempts in progress`);
    this.#count(key, 1);
    try {
      // A finished job hands its slot straight to the next waiting one, so
      // that no newcomer slips in between and the count never exceeds concurrency.
      if (this.#running < this.options.concurrency) this.#running++;
      else await this.#wait(key);
      try {
        return await work();
      } finally {
        const next = this.#waiting.shift();
        if (next) next.start();
        else this.#running--;
      }
    } finally {
      this.#count(key, -1);
    }
  }

  #wait(key: string): Promise<void> {
    if (this.#waiting.length >= this.options.maxWaiting) this.#waiting.shift()?.refuse(new QueueFullError("the queue is full"));
    if (this.options.maxWaiting === 0) return Promise.reject(new QueueFullError("the queue is full"));
    return new Promise((resolve, reject) => this.#waiting.push({ key, start: resolve, refuse: reject }));
  }

  #count(key: string, change: number): void {
    const count = (this.#perKey.get(key) ?? 0) + change;
    if (count > 0) this.#perKey.set(key, count);
    else this.#perKey.delete(key);
  }
}
