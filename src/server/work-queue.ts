/**
 * A bounded queue for expensive work: password hashes at login, imports and
 * export builds in worker threads (workers/heavy-work.ts). At most
 * `concurrency` jobs run at once, at most `maxWaiting` wait, and each key
 * (a client address, a user) holds at most `perKey` places, running or
 * waiting, so one client cannot fill the queue. A refused job fails at once
 * with QueueFullError (a 503 with Retry-After), never silently late.
 *
 * What happens when the waiting list is full is the `whenFull` option:
 * - "refuse-newest" (first come, first served): the newcomer is refused.
 *   For imports and exports: a queued import is never dropped for a later one.
 * - "evict": for logins, where whoever is waiting is no more deserving than
 *   whoever just came, and a flood must not hold the queue until it drains.
 *   Jobs are either prioritised (a login from a browser the account signed in
 *   from before: see routes/auth.ts) or not.
 *   A prioritised job is never refused to make room for an unprioritised
 *   one, and itself takes the place of an unprioritised one; it is refused
 *   only when prioritised jobs fill the list.
 *   Among the unprioritised (the waiting ones and the newcomer), the `group`
 *   holding the most of them (an address prefix) loses its oldest job. Ties
 *   are broken against the group with the oldest job. So a flood from one
 *   network refuses its own jobs, not a stranger's. A flood spread over
 *   many networks still refuses an unprioritised stranger after
 *   `maxWaiting` newer arrivals: it is the prioritisation that keeps a real
 *   user's login going then.
 *   Prioritised jobs start first, each kind in arrival order, and
 *   `reservedForPriority` of the running places are theirs alone: a
 *   known device's login never waits for a guesser's hash to end, and under
 *   a flood the guessers' hashes leave a core to the event loop (on 2 cores,
 *   2 hashes of 100 ms CPU each made the event loop and every hash 3-5 times
 *   slower).
 *
 * Hand-written: the queue libraries (p-queue and the like) have priorities
 * but no bounded waiting list with eviction, nor a cap per key.
 *
 * @example
 *   const hashing = new WorkQueue({ concurrency: 2, maxWaiting: 2, perKey: 2, whenFull: "evict", reservedForPriority: 1 });
 *   const ok = await hashing.run(address, () => verifyPassword(password, hash), { priority: knownDevice, group: "192.0.2.0/24" }); // may throw QueueFullError
 */
import { availableParallelism } from "node:os";

export class QueueFullError extends Error {
  override name = "QueueFullError";
}

export interface WorkQueueOptions {
  concurrency: number;
  maxWaiting: number;
  perKey: number;
  /** Who is refused when the waiting list is full (see the module comment). */
  whenFull: "refuse-newest" | "evict";
  /** Running places only prioritised jobs may take; fewer than `concurrency`. */
  reservedForPriority: number;
}

export interface JobOptions {
  /** Starts before, and is never refused for, jobs without it ("evict" queues). */
  priority?: boolean;
  /** Fairness between unprioritised jobs ("evict" queues): the largest group loses first. The key when absent. */
  group?: string;
}

interface Waiting {
  group: string;
  priority: boolean;
  /** Arrival order. */
  order: number;
  start: () => void;
  refuse: (error: QueueFullError) => void;
}

export class WorkQueue {
  readonly options: WorkQueueOptions;
  #running = 0;
  /** Of those, the unprioritised. */
  #runningPlain = 0;
  #arrivals = 0;
  readonly #waiting: Waiting[] = [];
  readonly #perKey = new Map<string, number>();

  constructor(options: Partial<WorkQueueOptions> = {}) {
    this.options = { concurrency: Math.max(1, Math.min(availableParallelism(), 4)), maxWaiting: 2, perKey: 2, whenFull: "refuse-newest", reservedForPriority: 0, ...options };
    if (this.options.reservedForPriority >= this.options.concurrency) {
      throw new RangeError(`reservedForPriority (${this.options.reservedForPriority}) must be below concurrency (${this.options.concurrency}), or unprioritised jobs never run`);
    }
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(key: string, work: () => Promise<T>, job: JobOptions = {}): Promise<T> {
    if ((this.#perKey.get(key) ?? 0) >= this.options.perKey) throw new QueueFullError(`${key} already has ${this.options.perKey} attempts in progress`);
    this.#count(key, 1);
    const priority = job.priority ?? false;
    try {
      // Places are taken when a job starts and handed on as soon as one ends
      // (#dispatch), so a waiting job that could start has started: a
      // newcomer that finds a place free slips past no one.
      if (this.#canStart(priority)) this.#take(priority);
      else await this.#wait({ group: job.group ?? key, priority });
      try {
        return await work();
      } finally {
        this.#running--;
        if (!priority) this.#runningPlain--;
        this.#dispatch();
      }
    } finally {
      this.#count(key, -1);
    }
  }

  #canStart(priority: boolean): boolean {
    return this.#running < this.options.concurrency && (priority || this.#runningPlain < this.options.concurrency - this.options.reservedForPriority);
  }

  #take(priority: boolean): void {
    this.#running++;
    if (!priority) this.#runningPlain++;
  }

  /** Starts waiting jobs while places allow: the oldest prioritised first, then the oldest. */
  #dispatch(): void {
    for (;;) {
      let index = this.#waiting.findIndex((job) => job.priority);
      if (index === -1 || !this.#canStart(true)) index = this.#waiting.findIndex((job) => !job.priority && this.#canStart(false));
      const next = index === -1 ? undefined : this.#waiting.splice(index, 1)[0];
      if (!next) return;
      this.#take(next.priority);
      next.start();
    }
  }

  #wait(job: { group: string; priority: boolean }): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry: Waiting = { ...job, order: this.#arrivals++, start: resolve, refuse: reject };
      if (this.#waiting.length < this.options.maxWaiting) {
        this.#waiting.push(entry);
        return;
      }
      const full = new QueueFullError("the queue is full");
      const evicted = this.options.whenFull === "evict" ? this.#victim(entry) : entry;
      if (evicted !== entry) {
        this.#waiting.splice(this.#waiting.indexOf(evicted), 1);
        this.#waiting.push(entry);
      }
      evicted.refuse(full);
    });
  }

  /** Whom to refuse when `newcomer` finds the list full ("evict"): see the module comment. */
  #victim(newcomer: Waiting): Waiting {
    const candidates = [...this.#waiting, newcomer].filter((job) => !job.priority);
    if (candidates.length === 0) return newcomer;
    const groups = new Map<string, Waiting[]>();
    for (const job of candidates) groups.set(job.group, [...(groups.get(job.group) ?? []), job]);
    let chosen: Waiting[] = [];
    for (const jobs of groups.values()) {
      // `jobs` are in arrival order (the list is, and the newcomer is last): jobs[0] is the group's oldest.
      const larger = jobs.length > chosen.length;
      const olderTie = jobs.length === chosen.length && (jobs[0]?.order ?? Infinity) < (chosen[0]?.order ?? Infinity);
      if (larger || olderTie) chosen = jobs;
    }
    return chosen[0] ?? newcomer;
  }

  #count(key: string, change: number): void {
    const count = (this.#perKey.get(key) ?? 0) + change;
    if (count > 0) this.#perKey.set(key, count);
    else this.#perKey.delete(key);
  }
}
