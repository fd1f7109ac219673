import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { overallScore, scoreCategory } from "./scoring.ts";
import type { CheckResult, CheckStatus, Weight } from "./types.ts";

function result(id: string, status: CheckStatus, weight: Weight = "required"): CheckResult {
  return { id, standard: "tls", category: "web.https", weight, title: id, status, summary: `${id} is ${status}`, evidence: {}, fix: null, link: "/standards/tls", durationMs: 1 };
}

describe("category scores", () => {
  it("gives 100 when every required test passed", () => {
    const category = scoreCategory("web.https", [result("a", "passed"), result("b", "passed"), result("c", "info", "informational")]);
    assert.deepEqual(category, { id: "web.https", status: "passed", score: 100, deductions: [] });
  });

  it("deducts an equal share for each failed or unanswered required test, and says why", () => {
    const category = scoreCategory("web.https", [result("a", "passed"), result("b", "failed"), result("c", "error"), result("d", "passed")]);
    assert.equal(category.score, 50);
    assert.equal(category.status, "error");
    assert.deepEqual(category.deductions.map((deduction) => [deduction.test, deduction.points]), [["b", 25], ["c", 25]]);
    assert.match(category.deductions.at(0)?.reason ?? "", /^failed: b is failed/);
    assert.match(category.deductions.at(1)?.reason ?? "", /^could not be tested/);
  });

  it("lets recommended tests warn without costing points", () => {
    const category = scoreCategory("web.appsecpriv", [result("a", "passed"), result("b", "failed", "recommended")]);
    assert.equal(category.score, 100);
    assert.equal(category.status, "warning");
    assert.deepEqual(category.deductions, [{ test: "b", points: 0, reason: "recommended, not scored: b is failed" }]);
  });

  it("lists recommended tests that warn also when the category has nothing scored", () => {
    const category = scoreCategory("web.appsecpriv", [result("a", "warning", "recommended"), result("b", "passed", "recommended")]);
    assert.equal(category.score, null);
    assert.equal(category.status, "warning");
    assert.deepEqual(category.deductions.map((deduction) => deduction.test), ["a"]);
  });

  it("has no score when nothing could be scored", () => {
    const category = scoreCategory("web.rpki", [result("a", "not_tested"), result("b", "not_tested")]);
    assert.equal(category.score, null);
    assert.equal(category.status, "not_tested");
  });
});

describe("overall score", () => {
  it("is the mean of the categories that have a score", () => {
    assert.equal(overallScore([
      { id: "a", status: "passed", score: 100, deductions: [] },
      { id: "b", status: "failed", score: 50, deductions: [] },
      { id: "c", status: "not_tested", score: null, deductions: [] },
    ]), 75);
    assert.equal(overallScore([]), null);
  });
});
