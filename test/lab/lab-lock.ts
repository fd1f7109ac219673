/**
 * One lab test file at a time: the lab test files share the DNS lab (and the
 * web lab on top of it), and some of them restart or stop it, while
 * `node --test` runs test files in parallel. Each lab suite takes this lock
 * in its `before` hook and gives it back in `after`; a lock whose holder died
 * is taken over. (A directory is the lock because mkdir is atomic, and Node
 * has no flock.)
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const LOCK_DIR = fileURLToPath(new URL("../../lab/.test-lock", import.meta.url));
const OWNER = join(LOCK_DIR, "pid");

function holderAlive(): boolean {
  try {
    const pid = Number(readFileSync(OWNER, "utf8"));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Waits until this process holds the lab (at most `timeoutMs`). */
export async function acquireLab(timeoutMs = 900_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(OWNER, String(process.pid));
      process.once("exit", releaseLab);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    // The holder may not have written its pid yet: only a lock older than a second with no live holder is stale.
    await sleep(250);
    if (!holderAlive()) {
      await sleep(1000);
      if (!holderAlive()) rmSync(LOCK_DIR, { recursive: true, force: true });
    }
    if (Date.now() > deadline) throw new Error(`the lab stayed busy for ${timeoutMs} ms (lock ${LOCK_DIR})`);
  }
}

export function releaseLab(): void {
  try {
    if (Number(readFileSync(OWNER, "utf8")) === process.pid) rmSync(LOCK_DIR, { recursive: true, force: true });
  } catch {
    // Not held.
  }
}
