// Survey results (issue 12): tallies per question, numbers, free text
// (capped), cross-tabulation with row percentages, bounded memory for many
// answers, and the SVG charts (accessible, escaped).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asyncResponses, EN, FR, TEST_FORM, TEST_RESPONSES } from "./export-test-support.ts";
import { barChart, choiceChart, crossTabChart } from "./result-charts.ts";
import { MAX_LISTED_TEXTS, ResultsError, tallySurvey, type QuestionResult } from "./results.ts";

function find(results: { questions: QuestionResult[] }, name: string): QuestionResult {
  const found = results.questions.find((question) => question.name === name);
  assert.ok(found, name);
  return found;
}

const counts = (result: QuestionResult): Record<string, [number, number]> => {
  assert.ok(result.kind === "choices", result.name);
  return Object.fromEntries(result.choices.map((choice) => [choice.name, [choice.count, Math.round(choice.percent * 10) / 10]]));
};

describe("survey results", () => {
  it("counts choices with percentages of those who answered, numbers, and lists free text", async () => {
    const results = await tallySurvey(TEST_FORM, asyncResponses());
    assert.equal(results.responses, 3);
    assert.equal(results.firstSubmittedOn, "2026-12-01");
    assert.equal(results.lastSubmittedOn, "2026-12-02");
    assert.deepEqual(counts(find(results, "region")), { europe: [2, 66.7], africa: [1, 33.3], asia: [0, 0] });
    assert.equal(find(results, "region").answered, 3);
    assert.deepEqual(counts(find(results, "barriers")), { cost: [1, 50], skills: [1, 50], rules: [1, 50] }, "of the 2 who answered; adds up past 100");
    assert.deepEqual(counts(find(results, "priority")), { cost: [1, 50], skills: [0, 0], rules: [1, 50] }, "rank: the first choice");
    assert.deepEqual(counts(find(results, "consent")), { OK: [2, 100] });
    assert.deepEqual(counts(find(results, "role")), { buyer: [1, 33.3], lawyer: [1, 33.3], other: [1, 33.3] });

    const years = find(results, "years");
    assert.ok(years.kind === "number");
    assert.deepEqual(years.summary, { n: 2, mean: 7.5, median: 7.5, min: 3, max: 12, approximate: false });
    const budget = find(results, "budget");
    assert.ok(budget.kind === "number");
    assert.equal(budget.summary?.median, 0.625);

    const comment = find(results, "comment");
    assert.ok(comment.kind === "text");
    assert.deepEqual(comment.texts.total, 3);
    assert.equal(comment.texts.values[1], '=HYPERLINK("http://x")');
    const other = find(results, "role_other");
    assert.ok(other.kind === "text");
    assert.deepEqual(other.texts, { values: ["Auditor"], total: 1 });
    assert.ok(!results.questions.some((question) => ["intro", "score", "start"].includes(question.name)), "notes, calculations and metadata are not tallied");
  });

  it("cross-tabulates every choice question by a select question, with row percentages", async () => {
    const results = await tallySurvey(TEST_FORM, asyncResponses(), { by: "region" });
    assert.equal(results.by, "region");
    const barriers = results.crossTabs.find((table) => table.question === "barriers");
    assert.ok(barriers);
    assert.deepEqual(
      barriers.rows.map((row) => [row.name, row.total, row.cells.map((cell) => [cell.name, cell.count, cell.percent])]),
      [
        ["europe", 1, [["cost", 1, 100], ["skills", 0, 0], ["rules", 1, 100]]],
        ["africa", 1, [["cost", 0, 0], ["skills", 1, 100], ["rules", 0, 0]]],
        ["asia", 0, [["cost", 0, 0], ["skills", 0, 0], ["rules", 0, 0]]],
      ],
    );
    const role = results.crossTabs.find((table) => table.question === "role");
    assert.deepEqual(role?.rows[0]?.cells.map((cell) => cell.count), [1, 1, 0]);
    assert.ok(!results.crossTabs.some((table) => table.question === "region"), "not by itself");
    await assert.rejects(tallySurvey(TEST_FORM, asyncResponses(), { by: "years" }), ResultsError);
    await assert.rejects(tallySurvey(TEST_FORM, asyncResponses(), { by: "nope" }), /not a select_one or select_multiple question/);
  });

  it("stays bounded over many answers: texts capped, medians estimated past many distinct values", async () => {
    const many = 30_000;
    async function* responses(): AsyncGenerator<{ answers: Record<string, string> }> {
      for (let n = 0; n < many; n++) {
        if (n % 1000 === 0) await Promise.resolve();
        yield { answers: { comment: `answer ${n} ${"x".repeat(n === 0 ? 5000 : 10)}`, budget: String(n / 7), years: String(n % 40), region: n % 3 === 0 ? "asia" : "europe" } };
      }
    }
    const results = await tallySurvey(TEST_FORM, responses());
    const comment = find(results, "comment");
    assert.ok(comment.kind === "text");
    assert.equal(comment.texts.total, many);
    assert.equal(comment.texts.values.length, MAX_LISTED_TEXTS);
    assert.ok((comment.texts.values[0]?.length ?? 0) <= 2000, "a long text is cut");
    const budget = find(results, "budget");
    assert.ok(budget.kind === "number" && budget.summary);
    assert.equal(budget.summary.approximate, true);
    const exact = (many - 1) / 2 / 7;
    assert.ok(Math.abs(budget.summary.median - exact) / exact < 0.05, `median ${budget.summary.median} near ${exact}`);
    const years = find(results, "years");
    assert.ok(years.kind === "number" && years.summary);
    assert.deepEqual([years.summary.approximate, years.summary.median, years.summary.min, years.summary.max], [false, 19.5, 0, 39]);
    assert.deepEqual(counts(find(results, "region")), { europe: [20_000, 66.7], africa: [0, 0], asia: [10_000, 33.3] });
  });

  it("draws accessible SVG bars with labels and figures, text escaped", async () => {
    const results = await tallySurvey(TEST_FORM, asyncResponses());
    const svg = choiceChart(TEST_FORM, find(results, "region"), FR);
    assert.ok(svg);
    assert.match(svg, /^<svg [^>]*role="img" aria-labelledby="chart-region-title chart-region-desc"/);
    assert.match(svg, /<title id="chart-region-title">Votre région<\/title>/);
    assert.match(svg, /<desc id="chart-region-desc">3 answered\. Europe: 2 \(66\.7 %\); Afrique: 1 \(33\.3 %\); Asie: 0 \(0 %\)<\/desc>/);
    assert.match(svg, />Afrique<\/text>/);
    assert.match(svg, />2 · 66\.7 %<\/text>/);
    assert.equal((svg.match(/<rect /g) ?? []).length, 2, "no bar for a zero");
    assert.equal(choiceChart(TEST_FORM, find(results, "years"), EN), null);

    const hostile = barChart({ id: "x\"><script>", title: "<script>alert(1)</script>", bars: [{ label: "a & b \"c\" <d>", count: 1, percent: 100 }] });
    assert.doesNotMatch(hostile, /<script/);
    assert.match(hostile, /a &#38; b &#34;c&#34; &#60;d&#62;/);
    assert.match(hostile, /id="x---script--title"/);

    const english = choiceChart(TEST_FORM, find(results, "barriers"), EN);
    assert.match(english ?? "", /Rules, &#34;unclear&#34;/);
  });

  it("draws a cross-tabulation as grouped bars with a heading per row", async () => {
    const results = await tallySurvey(TEST_FORM, asyncResponses(), { by: "region" });
    const table = results.crossTabs.find((found) => found.question === "barriers");
    assert.ok(table);
    const svg = crossTabChart(TEST_FORM, table, "Your region", EN);
    assert.match(svg, /<title id="cross-barriers-title">Barriers × Your region<\/title>/);
    assert.match(svg, /font-weight="bold"[^>]*>Europe \(1\)<\/text>/);
    assert.match(svg, /Europe \(1\): Cost: 1 \(100 %\); Skills: 0 \(0 %\)/);
    assert.equal(TEST_RESPONSES.length, 3);
  });
});
