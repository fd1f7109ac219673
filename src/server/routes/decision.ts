/**
 * The decision matrix: which institutions to engage first. A researcher
 * gives criteria, weights (directly or by AHP pairwise comparison), and
 * scores per institution as JSON in a form (works without JavaScript); the
 * page shows the weights, the AHP consistency ratio with a warning above
 * 0.1, the ranked list, and how the ranking moves when one weight moves.
 * Editors save matrices; anyone can export one as JSON.
 */
import type { Hono } from "hono";
import { CONSISTENCY_THRESHOLD, rank, sensitivity, validateDecisionMatrix, type DecisionMatrix } from "../../observatory/decision.ts";
import { getDecisionMatrix, listDecisionMatrices, listInstitutions, saveDecisionMatrix, type DecisionMatrixInput } from "../../store/index.ts";
import { canEdit, pageContext, type AppContext, type AppEnv } from "../context.ts";
import { html, type SafeHtml } from "../html.ts";
import { page } from "../layout.ts";

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
    return decisionPage(c, JSON.stringify(saved.definition, null, 2));
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

async function decisionPage(c: AppContext, definition: string, save = false): Promise<Response> {
  const t = c.get("t");
  const { store } = c.get("services");
  const user = c.get("user");
  let result: SafeHtml = html``;
  let error: string | undefined;
  let notice: string | undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch (failure) {
    error = `JSON: ${failure instanceof Error ? failure.message : String(failure)}`;
  }
  if (parsed !== undefined) {
    const validation = validateDecisionMatrix(parsed);
    if (!validation.ok) {
      error = validation.errors.join("; ");
    } else {
      const matrix = validation.matrix;
      const ranking = rank(matrix);
      const first = matrix.criteria[0];
      const moves = first ? sensitivity(matrix, first.id) : undefined;
      if (save && canEdit(user) && user) {
        const saved = await saveDecisionMatrix(store.db, { name: matrix.name, definition: JSON.parse(JSON.stringify(matrix)) as DecisionMatrixInput["definition"] }, user.id);
        notice = `${t("saved")} /decision/${saved.id}`;
      }
      // The module's warning is English; the page says the same in the reader's language.
      result = html`<h2>${t("decision.weights")}</h2>
        <table><thead><tr><th scope="col">${t("decision.criterion")}</th><th scope="col">${t("decision.weight")}</th></tr></thead>
        <tbody>${matrix.criteria.map((criterion) => html`<tr><td>${criterion.name}</td><td class="count">${(ranking.weights[criterion.id] ?? 0).toFixed(3)}</td></tr>`)}</tbody></table>
        ${ranking.ahp ? html`<p>${t("decision.consistency")} <strong>${ranking.ahp.consistencyRatio.toFixed(3)}</strong>${ranking.ahp.warning ? html` <span class="error" role="alert">${t("decision.inconsistent", { ratio: ranking.ahp.consistencyRatio.toFixed(3), threshold: CONSISTENCY_THRESHOLD })}</span>` : ""}</p>` : ""}
        <h2>${t("decision.ranking")}</h2>
        <ol>${ranking.ranking.map((entry) => html`<li>${entry.name}: ${entry.score.toFixed(3)}</li>`)}</ol>
        ${moves && first ? html`<h2>${t("decision.sensitivity", { criterion: first.name })}</h2>
          <table><thead><tr><th scope="col">${t("decision.weight")}</th><th scope="col">${t("decision.order")}</th></tr></thead>
          <tbody>${moves.steps.map((step) => html`<tr${step.topChanged ? html` class="gap"` : ""}><td class="count">${(step.weight).toFixed(1)}</td><td>${step.order.map((id) => matrix.alternatives.find((alternative) => alternative.id === id)?.name ?? id).join(" > ")}</td></tr>`)}</tbody></table>` : ""}`;
    }
  }
  const saved = await listDecisionMatrices(store.db);
  const body = html`<form method="post" action="/decision">
      <input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">
      <label for="definition">${t("decision.definition")}</label>
      <textarea id="definition" name="definition" rows="18" spellcheck="false">${definition}</textarea>
      <p><button type="submit">${t("decision.rank")}</button> ${canEdit(user) ? html`<button type="submit" name="save" value="1">${t("action.save")}</button>` : ""}</p>
    </form>
    ${result}
    ${saved.length ? html`<h2>${t("decision.saved")}</h2><ul>${saved.map((matrix) => html`<li><a href="/decision/${matrix.id}">${matrix.name}</a> (<a href="/decision/${matrix.id}?format=json">JSON</a>)</li>`)}</ul>` : ""}`;
  if (error) c.status(400);
  return c.html(page(pageContext(c), t("nav.decision"), body, { ...(error ? { error } : {}), ...(notice ? { notice } : {}) }));
}
