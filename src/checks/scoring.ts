/**
 * Category and overall scores, as internet.nl computes them and with every
 * lost point explained: a category's score is 100 times the points its
 * required tests earned over the points they could earn (passed earns all,
 * failed and error none); recommended tests that warn or fail are listed
 * but cost nothing, informational tests never count. The overall score is
 * the mean of the categories that have a score.
 */
import type { CategoryResult, CheckResult, CheckStatus, Deduction } from "./types.ts";

/** Worse first: the category's status is its worst scored test's. */
const SEVERITY: readonly CheckStatus[] = ["error", "failed", "warning", "passed", "info", "not_tested"];

function worse(a: CheckStatus, b: CheckStatus): CheckStatus {
  return SEVERITY.indexOf(a) <= SEVERITY.indexOf(b) ? a : b;
}

export function scoreCategory(id: string, tests: readonly CheckResult[]): CategoryResult {
  const scored = tests.filter((test) => test.weight === "required" && test.status !== "not_tested" && test.status !== "info");
  const deductions: Deduction[] = [];
  let status: CheckStatus = "not_tested";
  for (const test of tests) {
    if (test.weight === "informational" || test.status === "not_tested" || test.status === "info") continue;
    // A recommended test that fails makes the category warn, never fail.
    const effective = test.weight === "recommended" && test.status === "failed" ? "warning" : test.status;
    status = status === "not_tested" ? effective : worse(status, effective);
  }
  const notScored = tests
    .filter((test) => test.weight === "recommended" && (test.status === "failed" || test.status === "warning"))
    .map((test) => ({ test: test.id, points: 0, reason: `recommended, not scored: ${test.summary}` }));
  if (scored.length === 0) return { id, status, score: null, deductions: notScored };
  const share = 100 / scored.length;
  let earned = 0;
  for (const test of scored) {
    if (test.status === "passed" || test.status === "warning") {
      earned += share;
      if (test.status === "warning") deductions.push({ test: test.id, points: 0, reason: `warning: ${test.summary}` });
    } else {
      deductions.push({ test: test.id, points: round(share), reason: `${test.status === "error" ? "could not be tested" : "failed"}: ${test.summary}` });
    }
  }
  deductions.push(...notScored);
  return { id, status, score: Math.round(earned), deductions };
}

/** Categories in the given order; tests of a category not listed are ignored. */
export function scoreCategories(categoryIds: readonly string[], tests: readonly CheckResult[]): CategoryResult[] {
  return categoryIds.map((id) => scoreCategory(id, tests.filter((test) => test.category === id)));
}

export function overallScore(categories: readonly CategoryResult[]): number | null {
  const scores = categories.map((category) => category.score).filter((score): score is number => score !== null);
  if (scores.length === 0) return null;
  return Math.round(scores.reduce((sum, score) => sum + score, 0) / scores.length);
}

function round(points: number): number {
  return Math.round(points * 10) / 10;
}
