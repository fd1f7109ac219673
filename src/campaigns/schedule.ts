/**
 * When a portfolio or contract is checked: "manual" (only when asked),
 * "daily", "weekly", "monthly", or a five-field cron expression, all in UTC.
 * Cron expressions are read by croner (a maintained parser), never by hand.
 *
 * @example
 *   nextRunAfter("weekly", new Date("2026-12-07T15:00:00Z")); // 2026-12-14T02:00:00.000Z (Monday 02:00)
 */
import { Cron } from "croner";

/** The named schedules and the cron expressions they stand for (02:00 UTC, a quiet hour for most servers checked). */
export const NAMED_SCHEDULES: Readonly<Record<string, string>> = {
  daily: "0 2 * * *",
  weekly: "0 2 * * 1",
  monthly: "0 2 1 * *",
};

export const MANUAL = "manual";

/** A schedule the scheduler cannot read. */
export class ScheduleError extends Error {
  override name = "ScheduleError";
}

/** The cron expression a schedule stands for, or null for "manual"; throws ScheduleError naming the problem. */
export function cronOf(schedule: string): string | null {
  const text = schedule.trim().toLowerCase();
  if (text === MANUAL) return null;
  const named = NAMED_SCHEDULES[text];
  if (named !== undefined) return named;
  const fields = text.split(/\s+/);
  // Five fields only: croner also takes seconds (six), which would let a schedule hammer the servers it checks.
  if (fields.length !== 5) throw new ScheduleError(`schedule "${schedule}": expected manual, daily, weekly, monthly or a cron expression of five fields (minute hour day month weekday)`);
  try {
    new Cron(text, { paused: true, timezone: "UTC" });
  } catch (error) {
    throw new ScheduleError(`schedule "${schedule}": ${error instanceof Error ? error.message : String(error)}`);
  }
  return text;
}

/** The normalised schedule (lower case, single spaces), or ScheduleError. */
export function normaliseSchedule(schedule: string): string {
  const cron = cronOf(schedule);
  const text = schedule.trim().toLowerCase().replace(/\s+/g, " ");
  return cron === null ? MANUAL : text;
}

/** The first time strictly after `after` at which the schedule fires, or null for manual. */
export function nextRunAfter(schedule: string, after: Date): Date | null {
  const cron = cronOf(schedule);
  if (cron === null) return null;
  return new Cron(cron, { paused: true, timezone: "UTC" }).nextRun(after);
}
