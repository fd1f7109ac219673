/**
 * Checking many domains: at most `concurrency` at once, results handed out
 * in input order, each as soon as it and every one before it are done (so a
 * caller can stream JSON Lines). A slow domain holds back the output of
 * those after it, not their checks; but only `window` results may wait for
 * it, so memory stays bounded however long the list is.
 *
 * @example
 *   for await (const report of inOrder(domains, (domain) => checkAndScore(domain, "web", settings), { concurrency: 8 })) print(report);
 */

export interface BatchOptions {
  /** Items being worked on at once (>= 1). */
  concurrency: number;
  /**
   * Items started but not yet handed out, at most (default: 4 × concurrency):
   * the bound on results buffered behind a slow one.
   */
  window?: number;
  /** Called whenever an item starts or ends: how many are done and running, of how many. */
  onProgress?: (progress: BatchProgress) => void;
}

export interface BatchProgress {
  done: number;
  running: number;
  total: number;
}

/**
 * Runs `work` on every item with bounded concurrency and yields the results
 * in the order of `items`. A failing item's error is thrown when its turn to
 * be yielded comes (the items after it are still worked on until then).
 */
export async function* inOrder<T, R>(items: readonly T[], work: (item: T, index: number) => Promise<R>, options: BatchOptions): AsyncGenerator<R> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const window = Math.max(concurrency, options.window ?? concurrency * 4);
  const total = items.length;
  const pending = new Map<number, Promise<R>>();
  let next = 0;
  let running = 0;
  let done = 0;
  let wake: (() => void) | null = null;
  const report = (): void => options.onProgress?.({ done, running, total });

  // Starts items while a running place is free and the window allows.
  const fill = (yielded: number): void => {
    while (running < concurrency && next < total && next - yielded < window) {
      const index = next++;
      running++;
      const result = work(items[index] as T, index);
      // The yield below reads the outcome; this only frees the place.
      const settled = result.then(
        () => undefined,
        () => undefined,
      );
      void settled.then(() => {
        running--;
        done++;
        report();
        wake?.();
      });
      // An item that fails before its turn must not be an unhandled rejection.
      result.catch(() => undefined);
      pending.set(index, result);
    }
    report();
  };

  for (let index = 0; index < total; index++) {
    fill(index);
    const result = pending.get(index) as Promise<R>;
    // Keep starting items while this one is awaited: each end frees a place.
    const state = { finished: false };
    const settled = result.then(
      () => void (state.finished = true),
      () => void (state.finished = true),
    );
    while (!state.finished) {
      await Promise.race([settled, new Promise<void>((resolve) => (wake = resolve))]);
      wake = null;
      fill(index);
    }
    pending.delete(index);
    yield await result;
  }
}
