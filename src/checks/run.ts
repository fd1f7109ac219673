/**
 * Runs one suite's checks on one domain: all at once (they share probes
 * through the context, so concurrency costs no extra connections), each
 * bounded by the domain's deadline, a thrown error becoming that test's
 * `error` while the others go on; then scores the categories.
 */
import { DomainContext, type CheckSettings } from "./context.ts";
import { checksOf, SUITE_CATEGORIES } from "./registry.ts";
import { overallScore, scoreCategories } from "./scoring.ts";
import type { CheckDefinition, CheckOutcome, CheckResult, DomainReport, Suite } from "./types.ts";

export interface RunOptions {
  /** Run only these check ids (default: the whole suite). */
  only?: readonly string[];
  /** Run these definitions instead of the suite's (tests, custom sets). */
  checks?: readonly CheckDefinition[];
}

export async function checkDomain(domain: string, suite: Suite, settings: CheckSettings, options: RunOptions = {}): Promise<DomainReport> {
  const context = new DomainContext(domain, settings);
  const started = settings.now();
  const checks = (options.checks ?? checksOf(suite)).filter((check) => !options.only || options.only.includes(check.id));
  try {
    const tests = await Promise.all(checks.map((check) => runCheck(check, context)));
    return {
      domain: context.domain,
      suite,
      score: null,
      categories: [],
      tests,
      startedAt: new Date(started).toISOString(),
      durationMs: settings.now() - started,
    };
  } finally {
    context.close();
  }
}

/** Scores a report's categories and overall score (separate so that reports read back from storage can be rescored). */
export function scoreReport(report: DomainReport): DomainReport {
  const categories = scoreCategories(SUITE_CATEGORIES[report.suite], report.tests);
  return { ...report, categories, score: overallScore(categories) };
}

export async function checkAndScore(domain: string, suite: Suite, settings: CheckSettings, options: RunOptions = {}): Promise<DomainReport> {
  return scoreReport(await checkDomain(domain, suite, settings, options));
}

async function runCheck(check: CheckDefinition, context: DomainContext): Promise<CheckResult> {
  const started = context.settings.now();
  let outcome: CheckOutcome;
  try {
    outcome = await untilDeadline(check.run(context), context.signal);
  } catch (error) {
    outcome = { status: "error", summary: `could not be tested: ${reasonOf(error)}`, evidence: { error: reasonOf(error) } };
  }
  const needsFix = outcome.status === "failed" || outcome.status === "warning" || outcome.status === "error";
  return {
    id: check.id,
    standard: check.standard,
    category: check.category,
    weight: check.weight,
    title: check.title,
    status: outcome.status,
    summary: outcome.summary,
    evidence: outcome.evidence,
    fix: needsFix ? check.fix : null,
    link: `/standards/${check.standard}`,
    durationMs: context.settings.now() - started,
  };
}

function untilDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // One line, bounded: a hostile server's text can end up here.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
  const line = message.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
