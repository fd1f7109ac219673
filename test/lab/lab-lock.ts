/**
 * One lab test file at a time: the lab test files share the DNS lab (and the
 * web lab on top of it), and some of them restart or stop it, while
 * `node --test` runs test files in parallel. Each lab suite takes this lock
 * in its `before` hook and gives it back in `after`; a lock whose holder died
 * is taken over. (A directory is the lock because mkdir is atomic, and Node
 * has no flock.)
 *
 * Labs are left as they were found: a lab this checkout did not have running
 * when the lock was taken is stopped when it is given back, so that no
 * daemon outlives the test run and holds the lab's addresses against the
 * next run (from this checkout or another one).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const LOCK_DIR = fileURLToPath(new URL("../../lab/.test-lock", import.meta.url));
const OWNER = join(LOCK_DIR, "pid");
const LAB_DIR = fileURLToPath(new URL("../../lab/", import.meta.url));
const LABS = ["dns", "net", "mail"] as const;
/** The labs that ran when this process took the lock. */
let runningAtStart = new Set<string>();

function labRuns(lab: string): boolean {
  return spawnSync("pgrep", ["-f", join(LAB_DIR, lab, "run") + "/"], { encoding: "utf8" }).status === 0;
}

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
      runningAtStart = new Set(LABS.filter(labRuns));
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
  let held = false;
  try {
    held = Number(readFileSync(OWNER, "utf8")) === process.pid;
  } catch {
    // Not held.
  }
  if (!held) return;
  // The mail lab first, then the web lab: each runs on top of the one before.
  for (const lab of [...LABS].reverse()) {
    if (!runningAtStart.has(lab) && labRuns(lab)) spawnSync("bash", [join(LAB_DIR, lab, "stop.sh")], { encoding: "utf8", timeout: 60_000 });
  }
  rmSync(LOCK_DIR, { recursive: true, force: true });
}
