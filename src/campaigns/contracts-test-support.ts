/**
 * Test support for the contracts' tests (not part of the app): a stand-in
 * check report with one test per standard and the status asked for.
 */
import type { DomainReport, Suite } from "../checks/types.ts";

/** A report of one suite with a test per standard, each passed unless named in `failing`. */
export function fakeReport(domain: string, suite: Suite, tests: Record<string, "passed" | "failed" | "warning">): DomainReport {
  return {
    domain,
    suite,
    score: 50,
    categories: [],
    tests: Object.entries(tests).map(([standard, status]) => ({
      id: `${suite}.${standard}.probe`,
      standard,
      category: `${suite}.${standard}`,
      weight: "required" as const,
      title: `${standard} probe`,
      fix: null,
      link: "",
      durationMs: 1,
      status,
      summary: `${standard} ${status} on ${domain}`,
      evidence: {},
    })),
    startedAt: new Date().toISOString(),
    durationMs: 1,
  };
}

