/**
 * The decision matrix: which institutions to engage first. A researcher
 * gives criteria, weights (directly or by AHP pairwise comparison), and
 * scores per institution as JSON in a form (works without JavaScript); the
 * page shows the weights, the AHP consistency ratio with a warning above
 * 0.1, the ranked list, and how the ranking moves when one weight moves.
 * Editors save matrices; anyone can export one as JSON.
 */
import type { Hono } from "hono";
import {
  CONSISTENCY_THRESHOLD,
  DecisionMatrixError,
  MAX_ALTERNATIVES,
  MAX_CRITERIA,
  MAX_DEFINITION_CHARACTERS,
  rank,
  sensitivity,
  sizeIssues,
  validateDecisionMatrix,
  type DecisionMatrix,
  type MatrixIssue,
} from "../../observatory/decision.ts";
import { getDecisionMatrix, listDecisionMatrices, listInstitutions, saveDecisionMatrix, ValidationError, type DecisionMatrixInput } from "../../store/index.ts";
import { canEdit, pageContext, type AppContext, type AppEnv } from "../context.ts";
import { html, type SafeHtml } from "../html.ts";
import { localizedIssue } from "../issue-messages.ts";
import { page } from "../layout.ts";

/** Problems listed on the page; a matrix missing every score would otherwise list 50,000. */
const MAX_SHOWN_PROBLEMS = 20;
/** Alternatives named in each row of the sensitivity table: the leaders are what it is about. */
const SENSITIVITY_SHOWN = 10;

export function registerDecisionRoutes(app: Hono<AppEnv>): void {
  app.get("/decision", async (c) => {
    const example = await exampleMatrix(c);
    return decisionPage(c, JSON.stringify(example, null, 2));
  });

  app.post("/decision", async (c) => {
    const body = await c.req.parseBody();
    const definition = typeof body.definition === "string" ? body.definition : "";
    const save = body.save === "1";
    return decisionPage(c, definition, save);
  });

  app.get("/decision/:id", async (c) => {
    const saved = await getDecisionMatrix(c.get("services").store.db, c.req.param("id"));
    if (!saved) return c.notFound();
    if (c.req.query("format") === "json") return c.json(saved.definition);
    return decisionPage(c, JSON.stringify(saved.definition, null, 2), false, true);
  });
}

/** An example in the reader's language: its names are data once saved, but a first look should read naturally. */
async function exampleMatrix(c: AppContext): Promise<DecisionMatrix> {
  const t = c.get("t");
  const { items } = await listInstitutions(c.get("services").store.db, { limit: 3 });
  const alternatives = items.map((institution) => ({ id: institution.id, name: institution.name }));
  const criteria = [
    { id: "influence", name: t("decision.example.influence") },
    { id: "readiness", name: t("decision.example.readiness") },
    { id: "reach", name: t("decision.example.reach") },
  ];
  return {
    name: t("decision.example.name"),
    criteria,
    weighting: { mode: "pairwise", comparisons: [{ a: "influence", b: "readiness", value: 3 }, { a: "influence", b: "reach", value: 5 }, { a: "readiness", b: "reach", value: 2 }] },
    alternatives,
    scores: Object.fromEntries(alternatives.map((alternative, index) => [alternative.id, { influence: 8 - index, readiness: 5 + index, reach: 6 }])),
  };
}

/** The first problems, each "path: message" in the reader's language, and how many more there are. */
function problemsLine(c: AppContext, issues: readonly MatrixIssue[]): string {
  const t = c.get("t");
  const shown = issues.slice(0, MAX_SHOWN_PROBLEMS).map((issue) => `${issue.path}: ${localizedIssue(issue.message, t)}`);
  if (issues.length > shown.length) shown.push(t("decision.moreProblems", { count: issues.length - shown.length }));
  return shown.join("; ");
}

/**
 * What the page shows of a matrix: its weights, ranking and sensitivity, or
 * why it cannot, and whether the definition is too large to send back.
 */
type Outcome = { matrix: DecisionMatrix; result: SafeHtml } | { error: string; oversized?: true };

function rankMatrix(c: AppContext, definition: string, saved: boolean): Outcome {
  const t = c.get("t");
  // Counted before parsing: the text is what costs time, whoever sent it.
  const savedTooLarge = { error: t("decision.savedTooLarge", { criteria: MAX_CRITERIA, alternatives: MAX_ALTERNATIVES, max: MAX_DEFINITION_CHARACTERS }), oversized: true } as const;
  if (definition.length > MAX_DEFINITION_CHARACTERS) {
    return saved ? savedTooLarge : { error: t("decision.tooLarge", { size: definition.length, max: MAX_DEFINITION_CHARACTERS }), oversized: true };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch (failure) {
    // The parser's own words (English) say where; the sentence around them is the reader's.
    return { error: t("decision.notJson", { reason: failure instanceof Error ? failure.message : String(failure) }) };
  }
  // Saved before the caps: said as such, and not sent back (a 12,000-alternative matrix is megabytes of page).
  if (saved && sizeIssues(parsed).length > 0) return savedTooLarge;
  const validation = validateDecisionMatrix(parsed);
  if (!validation.ok) return { error: problemsLine(c, validation.issues) };
  const matrix = validation.matrix;
  try {
    return { matrix, result: resultHtml(c, matrix) };
  } catch (error) {
    // Validation checks what ranking needs; should the two ever disagree, the reader gets the reason, not a 500.
    if (error instanceof DecisionMatrixError) return { error: error.issues.join("; ") };
    throw error;
  }
}

/** Weights, consistency, ranking and sensitivity: linear in criteria × alternatives (names found by Map, not by search). */
function resultHtml(c: AppContext, matrix: DecisionMatrix): SafeHtml {
  const t = c.get("t");
  const ranking = rank(matrix);
  const first = matrix.criteria[0];
  const moves = first ? sensitivity(matrix, first.id) : undefined;
  const names = new Map(matrix.alternatives.map((alternative) => [alternative.id, alternative.name]));
  const weights = new Map(Object.entries(ranking.weights));
  const orderText = (order: readonly string[]): string => {
    const shown = order.slice(0, SENSITIVITY_SHOWN).map((id) => names.get(id) ?? id).join(" > ");
    return order.length > SENSITIVITY_SHOWN ? `${shown} ${t("decision.moreAlternatives", { count: order.length - SENSITIVITY_SHOWN })}` : shown;
  };
  // The module's warning is English; the page says the same in the reader's language.
  return html`<h2>${t("decision.weights")}</h2>
    <table><thead><tr><th scope="col">${t("decision.criterion")}</th><th scope="col">${t("decision.weight")}</th></tr></thead>
    <tbody>${matrix.criteria.map((criterion) => html`<tr><td>${criterion.name}</td><td class="count">${(weights.get(criterion.id) ?? 0).toFixed(3)}</td></tr>`)}</tbody></table>
    ${ranking.ahp ? html`<p>${t("decision.consistency")} <strong>${ranking.ahp.consistencyRatio.toFixed(3)}</strong>${ranking.ahp.warning ? html` <span class="error" role="alert">${t("decision.inconsistent", { ratio: ranking.ahp.consistencyRatio.toFixed(3), threshold: CONSISTENCY_THRESHOLD })}</span>` : ""}</p>` : ""}
    <h2>${t("decision.ranking")}</h2>
    <ol>${ranking.ranking.map((entry) => html`<li>${entry.name}: ${entry.score.toFixed(3)}</li>`)}</ol>
    ${moves && first ? html`<h2>${t("decision.sensitivity", { criterion: first.name })}</h2>
      <table><thead><tr><th scope="col">${t("decision.weight")}</th><th scope="col">${t("decision.order")}</th></tr></thead>
      <tbody>${moves.steps.map((step) => html`<tr${step.topChanged ? html` class="gap"` : ""}><td class="count">${step.weight.toFixed(1)}</td><td>${orderText(step.order)}</td></tr>`)}</tbody></table>` : ""}`;
}

/**
 * The page: the definition in a form, and what it ranks to. Anonymous
 * visitors see the ranking of what is shown (the example, a saved matrix)
 * but have no button: posting needs a session (app.ts), so a "Rank" button
 * would only answer 403. They are told to sign in instead.
 */
async function decisionPage(c: AppContext, definition: string, save = false, saved = false): Promise<Response> {
  const t = c.get("t");
  const { store } = c.get("services");
  const user = c.get("user");
  const outcome = rankMatrix(c, definition, saved);
  let error = "error" in outcome ? outcome.error : undefined;
  let notice: string | undefined;
  if ("matrix" in outcome && save && canEdit(user) && user) {
    try {
      const stored = await saveDecisionMatrix(store.db, { name: outcome.matrix.name, definition: JSON.parse(JSON.stringify(outcome.matrix)) as DecisionMatrixInput["definition"] }, user.id);
      notice = `${t("saved")} /decision/${stored.id}`;
    } catch (failure) {
      if (!(failure instanceof ValidationError)) throw failure;
      error = failure.issues.map((issue) => `${issue.path}: ${localizedIssue(issue.message, t)}`).join("; ");
    }
  }
  // A definition too large to rank is not sent back either: the page would be as large.
  const shownDefinition = "oversized" in outcome ? "" : definition;
  const matrices = await listDecisionMatrices(store.db);
  const body = html`<form method="post" action="/decision">
      <input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">
      <label for="definition">${t("decision.definition")}</label>
      <textarea id="definition" name="definition" rows="18" spellcheck="false"${user ? "" : html` readonly`}>${shownDefinition}</textarea>
      <p class="muted">${t("decision.limits", { criteria: MAX_CRITERIA, alternatives: MAX_ALTERNATIVES })}</p>
      ${user
        ? html`<p><button type="submit">${t("decision.rank")}</button> ${canEdit(user) ? html`<button type="submit" name="save" value="1">${t("action.save")}</button>` : ""}</p>`
        : html`<p>${t("decision.signInToRank")} <a href="/login">${t("nav.login")}</a></p>`}
    </form>
    ${"result" in outcome ? outcome.result : ""}
    ${matrices.length ? html`<h2>${t("decision.saved")}</h2><ul>${matrices.map((matrix) => html`<li><a href="/decision/${matrix.id}">${matrix.name}</a> (<a href="/decision/${matrix.id}?format=json">JSON</a>)</li>`)}</ul>` : ""}`;
  // A saved matrix past the caps is no mistake of the reader's: 422, the request was fine but the matrix cannot be ranked.
  if (error) c.status(saved ? 422 : 400);
  return c.html(page(pageContext(c), t("nav.decision"), body, { ...(error ? { error } : {}), ...(notice ? { notice } : {}) }));
}
