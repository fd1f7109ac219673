/**
 * The tender pool of a long-running process (the observatory's policy
 * pre-fill): one worker, created on first use and reused, which never keeps
 * the process alive on its own. Its memory budget starts from what the
 * process already holds, since a server's resident memory (caches, open
 * requests) is no sign of a hostile document.
 */
import { TenderPool } from "./pool.ts";

const MIB = 1024 * 1024;
let pool: TenderPool | undefined;

export function documentPool(): TenderPool {
  pool ??= new TenderPool({ size: 1, assumeIct: true, unref: true, memoryBudgetBytes: process.memoryUsage.rss() + 768 * MIB });
  return pool;
}
