/**
 * The shapes of `baseline check`: a check definition (one test id of
 * interfaces.md §4), what one run of it says, and the report of a domain.
 * A check knows its standard and category; it reads the network only
 * through the DomainContext, so that every host is probed once per domain.
 */
import type { DomainContext } from "./context.ts";

/** interfaces.md §3. */
export type CheckStatus = "passed" | "failed" | "warning" | "info" | "not_tested" | "error";
export const CHECK_STATUSES: readonly CheckStatus[] = ["passed", "failed", "warning", "info", "not_tested", "error"];

export type Suite = "web" | "mail";

/**
 * How a test counts towards its category's score, as internet.nl does:
 * `required` tests are scored (a failure costs points), `recommended` ones
 * warn without costing points, `informational` ones never cost points.
 */
export type Weight = "required" | "recommended" | "informational";

/** What one run of a check found. */
export interface CheckOutcome {
  status: CheckStatus;
  /** One line, for the report: what was found, in plain words. */
  summary: string;
  /** The facts behind the verdict: records, headers, accepted suites, ... (JSON-serialisable). */
  evidence: Record<string, unknown>;
}

export interface CheckDefinition {
  /** Test id of interfaces.md §4, e.g. "web.tls.versions". */
  id: string;
  /** Catalog standard id, e.g. "tls". */
  standard: string;
  /** Category id, e.g. "web.https". */
  category: string;
  weight: Weight;
  /** Short title for reports ("TLS versions"). */
  title: string;
  /** How to fix a failure or warning, one or two sentences. */
  fix: string;
  run(context: DomainContext): Promise<CheckOutcome>;
}

/** One test in a report (interfaces.md §3, plus the fields reports need). */
export interface CheckResult extends CheckOutcome {
  id: string;
  standard: string;
  category: string;
  weight: Weight;
  title: string;
  /** How to fix it, when the status is failed, warning or error; otherwise null. */
  fix: string | null;
  /** The catalog's page on the standard (web app path). */
  link: string;
  /** Milliseconds the check took, including waits for shared probes. */
  durationMs: number;
}

/** Why a category lost points: one line per test that cost some. */
export interface Deduction {
  test: string;
  /** Points lost out of the category's 100. */
  points: number;
  reason: string;
}

export interface CategoryResult {
  id: string;
  /** Worst status among its scored tests (passed when all passed); not_tested when nothing could be scored. */
  status: CheckStatus;
  /** 0-100, or null when no scored test ran. */
  score: number | null;
  deductions: Deduction[];
}

export interface DomainReport {
  domain: string;
  suite: Suite;
  /** Mean of the category scores (categories without a score left out), 0-100. */
  score: number | null;
  categories: CategoryResult[];
  tests: CheckResult[];
  /** ISO time when the checks started. */
  startedAt: string;
  durationMs: number;
}
