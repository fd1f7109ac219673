/**
 * The JSON report of `baseline check --json` (interfaces.md §3): one object
 * per domain and suite, on one line, so that several domains make JSON
 * Lines. The fields of §3 come first (domain, suite, score, categories with
 * id, status and score, tests with id, standard, status, summary and
 * evidence); the rest (weights, titles, fixes, deductions, timings) follows.
 */
import type { DomainReport } from "../types.ts";

export interface JsonReport {
  domain: string;
  suite: string;
  score: number | null;
  categories: { id: string; status: string; score: number | null; deductions: DomainReport["categories"][number]["deductions"] }[];
  tests: {
    id: string;
    standard: string;
    status: string;
    summary: string;
    evidence: Record<string, unknown>;
    category: string;
    weight: string;
    title: string;
    fix: string | null;
    link: string;
    durationMs: number;
  }[];
  startedAt: string;
  durationMs: number;
  baselineVersion?: string;
}

export function toJson(report: DomainReport, version?: string): JsonReport {
  return {
    domain: report.domain,
    suite: report.suite,
    score: report.score,
    categories: report.categories.map(({ id, status, score, deductions }) => ({ id, status, score, deductions })),
    tests: report.tests.map(({ id, standard, status, summary, evidence, category, weight, title, fix, link, durationMs }) => ({
      id,
      standard,
      status,
      summary,
      evidence,
      category,
      weight,
      title,
      fix,
      link,
      durationMs,
    })),
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    ...(version === undefined ? {} : { baselineVersion: version }),
  };
}

/** One JSON Lines record: the report on one line, ended by a newline. */
export function jsonLine(report: DomainReport, version?: string): string {
  return `${JSON.stringify(toJson(report, version))}\n`;
}
