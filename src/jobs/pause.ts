/**
 * The pause of a queue's worker loop: it sleeps until its poll interval has
 * passed or until something wakes it (a job was enqueued, a place freed, the
 * queue stops), whichever comes first. Both queues (embedded.ts, pg-boss.ts)
 * poll this way.
 */
export class Pause {
  #wake: (() => void) | null = null;

  /** Resolves after `ms`, or at once when wake() is called meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  /** Ends the current sleep, if any (a wake with nobody asleep is lost: the loop is busy and looks again anyway). */
  wake(): void {
    this.#wake?.();
  }
}
