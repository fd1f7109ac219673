/**
 * Test support (not used by Baseline itself): scored reports of every real
 * test of a suite, all passed unless told otherwise, so that portfolio
 * tests (dashboard, pages, the browser test's stand-in check) can make
 * runs whose adoption and regressions they know in advance.
 *
 * @example
 *   const report = stubReport("a.example", "web", { "web.hsts": "failed" });
 */
import { checksOf } from "../checks/registry.ts";
import { scoreReport } from "../checks/run.ts";
import type { CheckStatus, DomainReport, Suite } from "../checks/types.ts";

export function stubReport(domain: string, suite: Suite, statuses: Readonly<Record<string, CheckStatus>> = {}, startedAt = "2026-12-07T02:00:00.000Z"): DomainReport {
  const tests = checksOf(suite).map((check) => {
    const status = statuses[check.id] ?? "passed";
    return {
      id: check.id,
      standard: check.standard,
      category: check.category,
      weight: check.weight,
      title: check.title,
      status,
      summary: `${check.title}: ${status} on ${domain}`,
      evidence: { domain, status },
      fix: status === "failed" || status === "warning" || status === "error" ? check.fix : null,
      link: `/standards/${check.standard}`,
      durationMs: 5,
    };
  });
  return scoreReport({ domain, suite, score: null, categories: [], tests, startedAt, durationMs: 40 });
}
