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
 *   Prioritised jobs start first, each kind in arrival order.
 *
 * Hand-written: the queue libraries (p-queue and the like) have priorities
 * but no bounded waiting list with eviction, nor a cap per key.
 *
 * @example
 *   const hashing = new WorkQueue({ concurrency: 2, maxWaiting: 2, perKey: 2, whenFull: "evict" });
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
  #arrivals = 0;
  readonly #waiting: Waiting[] = [];
  readonly #perKey = new Map<string, number>();

  constructor(options: Partial<WorkQueueOptions> = {}) {
    this.options = { concurrency: Math.max(1, Math.min(availableParallelism(), 4)), maxWaiting: 2, perKey: 2, whenFull: "refuse-newest", ...options };
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
    try {
      // A finished job hands its slot straight to the next waiting one, so
      // that no newcomer slips in between and the count never exceeds concurrency.
      if (this.#running < this.options.concurrency) this.#running++;
      else await this.#wait({ group: job.group ?? key, priority: job.priority ?? false });
      try {
        return await work();
      } finally {
        const next = this.#takeNext();
        if (next) next.start();
        else this.#running--;
      }
    } finally {
      this.#count(key, -1);
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

  /** The next waiting job to start: the oldest prioritised one, else the oldest. */
  #takeNext(): Waiting | undefined {
    const index = this.#waiting.findIndex((job) => job.priority);
    return this.#waiting.splice(index === -1 ? 0 : index, 1)[0];
  }

  #count(key: string, change: number): void {
    const count = (this.#perKey.get(key) ?? 0) + change;
    if (count > 0) this.#perKey.set(key, count);
    else this.#perKey.delete(key);
  }
}
