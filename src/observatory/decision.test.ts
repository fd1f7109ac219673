import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { translator } from "../server/i18n.ts";
import { localizedIssue } from "../server/issue-messages.ts";
import {
  DECISION_MESSAGES,
  DecisionMatrixError,
  MAX_ALTERNATIVES,
  MAX_COMPARISONS,
  MAX_CRITERIA,
  MAX_PAIRWISE_CRITERIA,
  RANDOM_INDEX,
  ahpWeights,
  decisionMessage,
  groupPairwise,
  normalizeDirectWeights,
  rank,
  sensitivity,
  validateDecisionMatrix,
  type Comparison,
  type DecisionMatrix,
} from "./decision.ts";

const close = (actual: number | undefined, expected: number, tolerance: number, label = ""): void => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= tolerance, `${label} expected ${expected} ± ${tolerance}, got ${actual}`);
};
/** A·w = λ·w, row by row. */
const assertEigenvector = (matrix: number[][], weights: number[], lambda: number): void => {
  matrix.forEach((row, i) => {
    close(row.reduce((total, value, j) => total + value * (weights[j] ?? 0), 0), lambda * (weights[i] ?? 0), 1e-9, `row ${i}`);
  });
};
const criteria = (...ids: string[]): { id: string; name: string }[] => ids.map((id) => ({ id, name: id.toUpperCase() }));

describe("ahpWeights", () => {
  it("refuses too many or no criteria with the named messages, which the web app translates (review: code quality)", () => {
    const messagesOf = (run: () => unknown): string[] => {
      try {
        run();
      } catch (error) {
        if (error instanceof DecisionMatrixError) return [...error.issues];
        throw error;
      }
      return [];
    };
    const ids = Array.from({ length: MAX_PAIRWISE_CRITERIA + 1 }, (_, index) => `c${index}`);
    const comparisons = ids.flatMap((a, index) => ids.slice(index + 1).map((b) => ({ a, b, value: 1 })));
    const tooMany = messagesOf(() => ahpWeights(criteria(...ids), comparisons));
    const none = messagesOf(() => ahpWeights([], []));
    assert.deepEqual(tooMany, [decisionMessage.pairwiseLimit(MAX_PAIRWISE_CRITERIA)]);
    assert.deepEqual(none, [DECISION_MESSAGES.needsCriterion]);
    const fr = translator("fr");
    for (const message of [...tooMany, ...none]) assert.notEqual(localizedIssue(message, fr), message, `French for "${message}"`);
  });

  it("reproduces the textbook 3×3 example", () => {
    // a is 3× as important as b and 5× as c; b is 2× as important as c.
    const result = ahpWeights(criteria("a", "b", "c"), [
      { a: "a", b: "b", value: 3 },
      { a: "a", b: "c", value: 5 },
      { a: "b", b: "c", value: 2 },
    ]);
    close(result.weights.a, 0.648, 0.001, "a");
    close(result.weights.b, 0.230, 0.001, "b");
    close(result.weights.c, 0.122, 0.001, "c");
    close(result.lambdaMax, 3.0037, 0.0001, "λmax");
    close(result.consistencyIndex, 0.00185, 0.0001, "CI");
    assert.equal(result.randomIndex, 0.58);
    close(result.consistencyRatio, 0.0032, 0.0003, "CR");
    assert.equal(result.consistent, true);
    assert.equal(result.warning, undefined);
    // For n = 3 the geometric mean and the eigenvector coincide (a known property).
    close(result.geometricMeanWeights.a, result.weights.a ?? 0, 1e-9, "geometric a");
    assertEigenvector(result.matrix, Object.values(result.weights), result.lambdaMax);
  });

  it("builds the reciprocal matrix whatever the direction of each judgement", () => {
    const result = ahpWeights(criteria("a", "b", "c"), [
      { a: "b", b: "a", value: 1 / 3 },
      { a: "c", b: "a", value: 1 / 5 },
      { a: "b", b: "c", value: 2 },
    ]);
    assert.deepEqual(result.matrix.map((row) => row.map((value) => Number(value.toFixed(4)))), [
      [1, 3, 5],
      [0.3333, 1, 2],
      [0.2, 0.5, 1],
    ]);
    close(result.weights.a, 0.648, 0.001);
  });

  it("gives CR = 0 and exact weights for perfectly consistent judgements", () => {
    // Weights 4 : 2 : 1, so a/b = 2, a/c = 4, b/c = 2 exactly.
    const result = ahpWeights(criteria("a", "b", "c"), [
      { a: "a", b: "b", value: 2 },
      { a: "a", b: "c", value: 4 },
      { a: "b", b: "c", value: 2 },
    ]);
    close(result.weights.a, 4 / 7, 1e-12);
    close(result.weights.b, 2 / 7, 1e-12);
    close(result.weights.c, 1 / 7, 1e-12);
    close(result.lambdaMax, 3, 1e-12);
    close(result.consistencyRatio, 0, 1e-12);
    assert.equal(result.consistent, true);
  });

  it("warns when the consistency ratio is above 0.1", () => {
    // a > b > c > a: circular, as inconsistent as judgements get.
    const result = ahpWeights(criteria("a", "b", "c"), [
      { a: "a", b: "b", value: 5 },
      { a: "b", b: "c", value: 5 },
      { a: "c", b: "a", value: 5 },
    ]);
    assert.ok(result.consistencyRatio > 0.1, `CR ${result.consistencyRatio}`);
    assert.equal(result.consistent, false);
    assert.match(result.warning ?? "", /inconsistent.*consistency ratio \d+\.\d{3} > 0\.1/);
    // Circular symmetry gives equal weights.
    close(result.weights.a, 1 / 3, 1e-9);
  });

  it("uses the random index of the matrix order", () => {
    const ids = ["a", "b", "c", "d"];
    const comparisons: Comparison[] = [];
    ids.forEach((a, i) => {
      for (const b of ids.slice(i + 1)) comparisons.push({ a, b, value: i === 0 && b === "d" ? 7 : 2 });
    });
    const result = ahpWeights(criteria(...ids), comparisons);
    assert.equal(result.randomIndex, 0.9);
    // From n = 4 on the geometric mean is only an approximation of the eigenvector.
    assertEigenvector(result.matrix, Object.values(result.weights), result.lambdaMax);
    const gap = Math.max(...ids.map((id) => Math.abs((result.weights[id] ?? 0) - (result.geometricMeanWeights[id] ?? 0))));
    assert.ok(gap > 1e-6 && gap < 0.02, `gap ${gap}`);
    assert.ok(result.lambdaMax > 4);
    close(result.consistencyRatio, result.consistencyIndex / 0.9, 1e-12);
    close(Object.values(result.weights).reduce((total, value) => total + value, 0), 1, 1e-12);
  });

  it("handles a single criterion", () => {
    const result = ahpWeights(criteria("only"), []);
    assert.deepEqual(result.weights, { only: 1 });
    assert.equal(result.lambdaMax, 1);
    assert.equal(result.consistencyRatio, 0);
    assert.equal(result.consistent, true);
  });

  it("handles two criteria, which are always consistent", () => {
    const result = ahpWeights(criteria("a", "b"), [{ a: "a", b: "b", value: 3 }]);
    close(result.weights.a, 0.75, 1e-12);
    close(result.weights.b, 0.25, 1e-12);
    close(result.lambdaMax, 2, 1e-12);
    assert.equal(result.consistencyIndex, 0);
    assert.equal(result.consistencyRatio, 0);
  });

  it("names missing, repeated and unknown pairs instead of guessing", () => {
    assert.throws(
      () => ahpWeights(criteria("a", "b", "c"), [{ a: "a", b: "b", value: 3 }]),
      (error: unknown) =>
        error instanceof DecisionMatrixError &&
        error.issues.includes('missing a comparison of "a" with "c"') &&
        error.issues.includes('missing a comparison of "b" with "c"'),
    );
    assert.throws(
      () => ahpWeights(criteria("a", "b"), [{ a: "a", b: "b", value: 3 }, { a: "b", b: "a", value: 2 }]),
      /comparisons\.1: "b" and "a" are already compared at comparisons\.0/,
    );
    assert.throws(() => ahpWeights(criteria("a", "b"), [{ a: "a", b: "z", value: 3 }]), /comparisons\.0\.b: unknown criterion "z"/);
  });

  it("carries Saaty's published random index table", () => {
    assert.deepEqual([...RANDOM_INDEX], [0, 0, 0.58, 0.9, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59]);
  });
});

describe("normalizeDirectWeights", () => {
  it("scales weights to sum to 1", () => {
    assert.deepEqual(normalizeDirectWeights({ cost: 2, reach: 6, zero: 0 }), { cost: 0.25, reach: 0.75, zero: 0 });
  });

  it("rejects negative weights and an all-zero set", () => {
    assert.throws(() => normalizeDirectWeights({ cost: -1, reach: 2 }), /weights\.cost: must be a finite, non-negative number/);
    assert.throws(() => normalizeDirectWeights({ cost: 0, reach: 0 }), /must not all be zero/);
    assert.throws(() => normalizeDirectWeights({ cost: Number.NaN }), /weights\.cost/);
  });
});

function directMatrix(weights: Record<string, number>, scores: Record<string, Record<string, number>>): DecisionMatrix {
  const criterionIds = Object.keys(weights);
  return {
    name: "test",
    criteria: criteria(...criterionIds),
    weighting: { mode: "direct", weights },
    alternatives: Object.keys(scores).map((id) => ({ id, name: `Institution ${id}` })),
    scores,
  };
}

describe("rank", () => {
  it("ranks by weighted, max-normalised score", () => {
    // reach is on 0..10, budget in millions: max-normalisation makes them comparable.
    const matrix = directMatrix(
      { reach: 3, budget: 1 },
      { x: { reach: 10, budget: 1 }, y: { reach: 5, budget: 200 }, z: { reach: 8, budget: 100 } },
    );
    const { ranking, weights, normalization } = rank(matrix);
    assert.equal(normalization, "max");
    assert.deepEqual(weights, { reach: 0.75, budget: 0.25 });
    // x: 0.75·1 + 0.25·0.005 = 0.75125; z: 0.75·0.8 + 0.25·0.5 = 0.725; y: 0.75·0.5 + 0.25·1 = 0.625.
    assert.deepEqual(ranking.map((entry) => entry.id), ["x", "z", "y"]);
    assert.deepEqual(ranking.map((entry) => entry.rank), [1, 2, 3]);
    close(ranking[0]?.score, 0.75125, 1e-12);
    close(ranking[1]?.score, 0.725, 1e-12);
    close(ranking[2]?.score, 0.625, 1e-12);
    close(ranking[1]?.contributions.budget, 0.125, 1e-12);
    // On raw scores the budget in millions would swamp reach.
    assert.deepEqual(rank(matrix, { normalization: "none" }).ranking.map((entry) => entry.id), ["y", "z", "x"]);
  });

  it("raw scores can be used when all criteria share a scale", () => {
    const matrix = directMatrix({ a: 1, b: 1 }, { p: { a: 10, b: 0 }, q: { a: 4, b: 4 } });
    const raw = rank(matrix, { normalization: "none" }).ranking;
    assert.deepEqual(raw.map((entry) => [entry.id, entry.score]), [["p", 5], ["q", 4]]);
    assert.deepEqual(raw[1]?.contributions, { a: 2, b: 2 });
  });

  it("gives tied alternatives the same rank and keeps their input order", () => {
    const matrix = directMatrix(
      { a: 1, b: 1 },
      { first: { a: 5, b: 5 }, best: { a: 10, b: 10 }, second: { a: 10, b: 0 }, third: { a: 0, b: 10 }, last: { a: 1, b: 1 } },
    );
    const ranking = rank(matrix).ranking;
    assert.deepEqual(
      ranking.map((entry) => [entry.id, entry.rank]),
      [["best", 1], ["first", 2], ["second", 2], ["third", 2], ["last", 5]],
    );
  });

  it("takes its weights from pairwise comparisons and reports the AHP details", () => {
    const matrix: DecisionMatrix = {
      name: "pairwise",
      criteria: criteria("a", "b", "c"),
      weighting: { mode: "pairwise", comparisons: [{ a: "a", b: "b", value: 3 }, { a: "a", b: "c", value: 5 }, { a: "b", b: "c", value: 2 }] },
      alternatives: [{ id: "p", name: "P" }, { id: "q", name: "Q" }],
      scores: { p: { a: 10, b: 0, c: 0 }, q: { a: 0, b: 10, c: 10 } },
    };
    const result = rank(matrix);
    assert.ok(result.ahp !== undefined);
    assert.deepEqual(result.ranking.map((entry) => entry.id), ["p", "q"]);
    close(result.ranking[0]?.score, 0.648, 0.001);
    close(result.ranking[1]?.score, 0.352, 0.001);
  });

  it("falls back on the weight kept with a criterion", () => {
    const matrix: DecisionMatrix = {
      name: "kept",
      criteria: [{ id: "a", name: "A", weight: 1 }, { id: "b", name: "B", weight: 9 }],
      weighting: { mode: "direct", weights: { a: 3 } },
      alternatives: [{ id: "p", name: "P" }],
      scores: { p: { a: 1, b: 1 } },
    };
    assert.deepEqual(rank(matrix).weights, { a: 0.25, b: 0.75 });
  });
});

describe("sensitivity", () => {
  // Normalised: A = (1, 0.2), B = (0.4, 1), C = (0.5, 0.5). With weight w on
  // c1: A = 0.2 + 0.8w, B = 1 − 0.6w, C = 0.5. A overtakes B at w = 4/7.
  const matrix = directMatrix({ c1: 1, c2: 1 }, { A: { c1: 10, c2: 2 }, B: { c1: 4, c2: 10 }, C: { c1: 5, c2: 5 } });

  it("shows the rank reversal at the right step and the exact crossing", () => {
    const result = sensitivity(matrix, "c1");
    assert.equal(result.steps.length, 11);
    assert.equal(result.baseWeight, 0.5);
    assert.deepEqual(result.steps.map((step) => step.order[0]), ["B", "B", "B", "B", "B", "B", "A", "A", "A", "A", "A"]);
    assert.deepEqual(result.steps.map((step) => step.topChanged), [false, false, false, false, false, false, true, false, false, false, false]);
    assert.deepEqual(result.topChanges.map((change) => [change.from, change.to]), [["B", "A"]]);
    close(result.topChanges[0]?.weight, 4 / 7, 1e-12);
    // The other weight fills what c1 leaves.
    const step3 = result.steps[3];
    close(step3?.weight, 0.3, 1e-12);
    close(step3?.weights.c1, 0.3, 1e-12);
    close(step3?.weights.c2, 0.7, 1e-12);
    // At w = 0 and w = 1 only one criterion counts.
    assert.deepEqual(result.steps[0]?.order, ["B", "C", "A"]);
    assert.deepEqual(result.steps[10]?.order, ["A", "C", "B"]);
  });

  it("finds a change that falls between two steps", () => {
    // Normalised A = (1, 0.1), B = (0.1, 1), C = (0.6, 0.6): A = 0.1 + 0.9w,
    // B = 1 − 0.9w, C = 0.6, so C leads only for w in (4/9, 5/9).
    const band = directMatrix({ c1: 1, c2: 1 }, { A: { c1: 10, c2: 1 }, B: { c1: 1, c2: 10 }, C: { c1: 6, c2: 6 } });
    const result = sensitivity(band, "c1", 3);
    // Steps at 0, 0.5, 1 show B, C, A; the exact points are 4/9 (B → C) and 5/9 (C → A).
    assert.deepEqual(result.steps.map((step) => step.order[0]), ["B", "C", "A"]);
    assert.deepEqual(result.topChanges.map((change) => [change.from, change.to]), [["B", "C"], ["C", "A"]]);
    close(result.topChanges[0]?.weight, 4 / 9, 1e-12);
    close(result.topChanges[1]?.weight, 5 / 9, 1e-12);
    // With only two steps (0 and 1) the steps miss C, the exact points do not.
    assert.deepEqual(sensitivity(band, "c1", 2).topChanges.map((change) => change.to), ["C", "A"]);
  });

  it("reports no change when one alternative dominates", () => {
    const dominant = directMatrix({ c1: 1, c2: 1 }, { A: { c1: 10, c2: 10 }, B: { c1: 5, c2: 5 } });
    const result = sensitivity(dominant, "c2", 5);
    assert.deepEqual(result.topChanges, []);
    assert.ok(result.steps.every((step) => step.order[0] === "A" && !step.topChanged));
  });

  it("keeps the other weights' proportions", () => {
    const three = directMatrix({ a: 2, b: 6, c: 2 }, { x: { a: 1, b: 1, c: 1 } });
    const step = sensitivity(three, "a", 5).steps[2];
    close(step?.weights.a, 0.5, 1e-12);
    close(step?.weights.b, 0.5 * 0.75, 1e-12);
    close(step?.weights.c, 0.5 * 0.25, 1e-12);
  });

  it("rejects an unknown criterion and too few steps", () => {
    assert.throws(() => sensitivity(matrix, "nope"), /criterionId: unknown criterion "nope"/);
    assert.throws(() => sensitivity(matrix, "c1", 1), /steps/);
  });
});

describe("groupPairwise", () => {
  it("aggregates two judges by geometric mean", () => {
    const group = groupPairwise([
      [{ a: "a", b: "b", value: 2 }, { a: "a", b: "c", value: 9 }],
      // The second judge states a/c the other way round: c is 1/1 as important as a.
      [{ a: "a", b: "b", value: 8 }, { a: "c", b: "a", value: 1 }],
    ]);
    assert.deepEqual(group.map((comparison) => [comparison.a, comparison.b]), [["a", "b"], ["a", "c"]]);
    close(group[0]?.value, Math.sqrt(2 * 8), 1e-12);
    close(group[1]?.value, Math.sqrt(9 * 1), 1e-12);
  });

  it("keeps reciprocity: opposite judgements meet at equal importance", () => {
    const group = groupPairwise([[{ a: "x", b: "y", value: 3 }], [{ a: "y", b: "x", value: 3 }]]);
    close(group[0]?.value, 1, 1e-12);
  });

  it("gives the group weights of the aggregated judgements", () => {
    const judges: Comparison[][] = [
      [{ a: "a", b: "b", value: 3 }, { a: "a", b: "c", value: 5 }, { a: "b", b: "c", value: 2 }],
      [{ a: "a", b: "b", value: 3 }, { a: "a", b: "c", value: 5 }, { a: "b", b: "c", value: 2 }],
    ];
    close(ahpWeights(criteria("a", "b", "c"), groupPairwise(judges)).weights.a, 0.648, 0.001);
  });

  it("rejects a judge who compares a pair twice", () => {
    assert.throws(() => groupPairwise([[{ a: "a", b: "b", value: 2 }, { a: "b", b: "a", value: 2 }]]), /judges\.0\.1/);
  });
});

describe("validateDecisionMatrix", () => {
  const valid = {
    name: "Whom to engage first",
    criteria: [{ id: "reach", name: "Reach" }, { id: "readiness", name: "Readiness" }],
    weighting: { mode: "pairwise", comparisons: [{ a: "reach", b: "readiness", value: 3 }] },
    alternatives: [{ id: "nl-fs", name: "Forum Standaardisatie" }, { id: "us-cisa", name: "CISA" }],
    scores: { "nl-fs": { reach: 6, readiness: 9 }, "us-cisa": { reach: 9, readiness: 7 } },
  };
  const errorsOf = (input: unknown): string[] => {
    const result = validateDecisionMatrix(input);
    return result.ok ? [] : result.errors;
  };

  it("accepts a complete matrix", () => {
    const result = validateDecisionMatrix(valid);
    assert.ok(result.ok);
    assert.deepEqual(rank(result.matrix).ranking.map((entry) => entry.id), ["us-cisa", "nl-fs"]);
  });

  it("rejects a comparison value outside Saaty's scale", () => {
    const errors = errorsOf({ ...valid, weighting: { mode: "pairwise", comparisons: [{ a: "reach", b: "readiness", value: 10 }] } });
    assert.deepEqual(errors, ["weighting.comparisons.0.value: must be at most 9 (Saaty's scale runs from 1/9 to 9)"]);
    assert.match(errorsOf({ ...valid, weighting: { mode: "pairwise", comparisons: [{ a: "reach", b: "readiness", value: 0.05 }] } }).join(), /at least 1\/9/);
    assert.ok(validateDecisionMatrix({ ...valid, weighting: { mode: "pairwise", comparisons: [{ a: "reach", b: "readiness", value: 0.111 }] } }).ok);
  });

  it("rejects a comparison with an unknown criterion", () => {
    const errors = errorsOf({ ...valid, weighting: { mode: "pairwise", comparisons: [{ a: "reach", b: "budget", value: 3 }] } });
    assert.ok(errors.includes('weighting.comparisons.0.b: unknown criterion "budget"'), errors.join("\n"));
    assert.ok(errors.includes('weighting.comparisons: missing a comparison of "reach" with "readiness"'), errors.join("\n"));
  });

  it("rejects a negative score", () => {
    const errors = errorsOf({ ...valid, scores: { ...valid.scores, "nl-fs": { reach: -1, readiness: 9 } } });
    assert.deepEqual(errors, ["scores.nl-fs.reach: must not be negative"]);
  });

  it("rejects duplicate ids, missing and stray scores, and bad direct weights", () => {
    const errors = errorsOf({
      ...valid,
      criteria: [...valid.criteria, { id: "reach", name: "Reach again" }],
      weighting: { mode: "direct", weights: { reach: 1, budget: 2 } },
      scores: { "nl-fs": { reach: 1 }, "us-cisa": { reach: 1, readiness: 1 }, ghost: { reach: 1 } },
    });
    for (const expected of [
      'criteria.2.id: duplicate criterion id "reach"',
      'weighting.weights.budget: unknown criterion "budget"',
      'weighting.weights.readiness: criterion "readiness" (criteria.1) has no weight',
      'scores.ghost: unknown alternative "ghost"',
      "scores.nl-fs.readiness: missing score",
    ]) {
      assert.ok(errors.includes(expected), `${expected} not in\n${errors.join("\n")}`);
    }
    assert.deepEqual(errorsOf({ ...valid, weighting: { mode: "direct", weights: { reach: 0, readiness: 0 } } }), ["weighting.weights: weights must not all be zero"]);
  });

  it("names fields with the wrong type or mode", () => {
    assert.deepEqual(errorsOf({ ...valid, weighting: { mode: "vote" } }), ['weighting.mode: must have mode "direct" or "pairwise"']);
    assert.ok(errorsOf({ ...valid, scores: { "nl-fs": { reach: "high", readiness: 9 } } }).includes("scores.nl-fs.reach: must be a number"));
    assert.ok(errorsOf({ ...valid, criteria: [] }).includes("criteria: needs at least one criterion"));
    assert.ok(errorsOf({ ...valid, weighting: { mode: "pairwise", comparisons: [{ a: "reach", b: "readiness", value: Number.POSITIVE_INFINITY }] } }).length > 0);
  });
});

/** A direct-weight matrix of `criteriaCount` × `alternativeCount` with varied scores, built at test time. */
function sizedMatrix(criteriaCount: number, alternativeCount: number): DecisionMatrix {
  const criterionIds = Array.from({ length: criteriaCount }, (_, index) => `c${index}`);
  const alternatives = Array.from({ length: alternativeCount }, (_, index) => ({ id: `a${index}`, name: `Institution ${index}` }));
  return {
    name: "At the cap",
    criteria: criterionIds.map((id, index) => ({ id, name: id.toUpperCase(), weight: index + 1 })),
    weighting: { mode: "direct", weights: {} },
    alternatives,
    scores: Object.fromEntries(alternatives.map((alternative, row) => [alternative.id, Object.fromEntries(criterionIds.map((id, column) => [id, (row * 7 + column * 13) % 10]))])),
  };
}

describe("bounded matrices (issue 15, finding 5)", () => {
  it("finding 5: refuses more criteria, alternatives or comparisons than the caps, before parsing the rest", () => {
    const errorsOf = (input: unknown): string[] => {
      const result = validateDecisionMatrix(input);
      return result.ok ? [] : result.errors;
    };
    assert.ok(validateDecisionMatrix(sizedMatrix(MAX_CRITERIA, MAX_ALTERNATIVES)).ok, "a matrix at the caps is accepted");
    assert.deepEqual(errorsOf(sizedMatrix(MAX_CRITERIA + 1, 2)), [`criteria: must have at most ${MAX_CRITERIA} criteria`]);
    assert.deepEqual(errorsOf(sizedMatrix(2, MAX_ALTERNATIVES + 1)), [
      `alternatives: must have at most ${MAX_ALTERNATIVES} alternatives`,
      `scores: must have at most ${MAX_ALTERNATIVES} entries`,
    ]);
    const comparisons = Array.from({ length: MAX_COMPARISONS + 1 }, () => ({ a: "x", b: "y", value: 2 }));
    assert.deepEqual(errorsOf({ ...sizedMatrix(2, 2), weighting: { mode: "pairwise", comparisons } }), [`weighting.comparisons: must have at most ${MAX_COMPARISONS} comparisons`]);
    // 12,000 alternatives (what froze the server): refused from their count, in far less than the ranking would take.
    const started = performance.now();
    assert.equal(errorsOf(sizedMatrix(3, 12_000)).length, 2);
    assert.ok(performance.now() - started < 500, "refused without parsing every alternative");
  });

  it("finding 5: ranks and runs the sensitivity of a matrix at the caps in linear time", (t) => {
    const matrix = sizedMatrix(MAX_CRITERIA, MAX_ALTERNATIVES);
    const started = performance.now();
    const ranking = rank(matrix);
    const moves = sensitivity(matrix, "c0");
    const elapsed = performance.now() - started;
    assert.equal(ranking.ranking.length, MAX_ALTERNATIVES);
    assert.equal(moves.steps.length, 11);
    // Tens of milliseconds on a shared 2-core machine.
    assert.ok(elapsed < 2000, `ranked in ${elapsed.toFixed(0)} ms`);
    t.diagnostic(`rank + sensitivity of ${MAX_CRITERIA} × ${MAX_ALTERNATIVES}: ${elapsed.toFixed(0)} ms`);
  });

  it("finding 5: refuses __proto__ as an id with one clear message, and ranks ids named like Object's members correctly", () => {
    // JSON.parse makes "__proto__" an own key, as a posted definition would.
    const proto = JSON.parse(
      JSON.stringify({
        name: "m",
        criteria: [{ id: "PROTO", name: "P" }, { id: "b", name: "B" }],
        weighting: { mode: "direct", weights: { PROTO: 1, b: 1 } },
        alternatives: [{ id: "x", name: "X" }, { id: "PROTO", name: "Y" }],
        scores: { x: { PROTO: 1, b: 2 }, PROTO: { PROTO: 2, b: 1 } },
      }).replaceAll("PROTO", "__proto__"),
    ) as unknown;
    const result = validateDecisionMatrix(proto);
    assert.ok(!result.ok);
    assert.deepEqual(result.errors, ['criteria.0.id: must not be "__proto__" (JavaScript reserves that name)', 'alternatives.1.id: must not be "__proto__" (JavaScript reserves that name)']);

    // A NUL spelled \u0000 in the JSON passes the form's check for raw NULs: the schema refuses it (PostgreSQL cannot store it in a name).
    const nul = validateDecisionMatrix(JSON.parse('{"name":"a\\u0000b","criteria":[{"id":"c","name":"C"}],"weighting":{"mode":"direct","weights":{"c":1}},"alternatives":[],"scores":{}}'));
    assert.ok(!nul.ok);
    assert.deepEqual(nul.errors, ["name: must not contain the control character U+0000"]);

    // "constructor" has its weight on the criterion only: weights["constructor"] must not find Object's constructor.
    const named = validateDecisionMatrix({
      name: "m",
      criteria: [{ id: "constructor", name: "C", weight: 1 }, { id: "toString", name: "T", weight: 3 }],
      weighting: { mode: "direct", weights: {} },
      alternatives: [{ id: "valueOf", name: "V" }, { id: "hasOwnProperty", name: "H" }],
      scores: { valueOf: { constructor: 10, toString: 0 }, hasOwnProperty: { constructor: 0, toString: 10 } },
    });
    assert.ok(named.ok, named.ok ? "" : named.errors.join("; "));
    const ranked = rank(named.matrix);
    close(new Map(Object.entries(ranked.weights)).get("constructor"), 0.25, 1e-12, "constructor's weight");
    assert.deepEqual(ranked.ranking.map((entry) => [entry.id, entry.score]), [["hasOwnProperty", 0.75], ["valueOf", 0.25]]);
    assert.equal(sensitivity(named.matrix, "constructor").topChanges.length, 1);
  });
});
