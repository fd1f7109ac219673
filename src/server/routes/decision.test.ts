// Route tests of the decision matrix page (issue 15, findings 5 and 10) on
// SQLite and, when it is reachable, PostgreSQL: matrices at the caps rank
// within a time bound, larger ones and oversized saved ones are refused
// with one line, __proto__ ids give a 400 and never a 500, anonymous
// visitors get no button that would answer 403, and the messages come in
// the visitor's language. Matrices are built at test time.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { MAX_ALTERNATIVES, MAX_CRITERIA, MAX_DEFINITION_CHARACTERS, type DecisionMatrix } from "../../observatory/decision.ts";
import { findUserByEmail, saveDecisionMatrix } from "../../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { createTestAccounts, testBrowser, type TestBrowser } from "../test-browser.ts";

const catalog = loadCatalog();

/** A direct-weight matrix of `criteriaCount` × `alternativeCount` with varied scores. */
function sizedMatrix(criteriaCount: number, alternativeCount: number): DecisionMatrix {
  const criterionIds = Array.from({ length: criteriaCount }, (_, index) => `c${index}`);
  const alternatives = Array.from({ length: alternativeCount }, (_, index) => ({ id: `a${index}`, name: `Institution ${index}` }));
  return {
    name: "Sized",
    criteria: criterionIds.map((id, index) => ({ id, name: `Criterion ${index}`, weight: index + 1 })),
    weighting: { mode: "direct", weights: {} },
    alternatives,
    scores: Object.fromEntries(alternatives.map((alternative, row) => [alternative.id, Object.fromEntries(criterionIds.map((id, column) => [id, (row * 7 + column * 13) % 10]))])),
  };
}

/** The one-line error of a page (layout.ts puts it in role="alert"). */
function errorLine(page: string): string {
  return page.match(/<p class="error" role="alert">([^<]*)<\/p>/)?.[1] ?? "";
}

for (const dialect of TEST_DIALECTS) {
  describe(`decision matrix page on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;
    let editor: TestBrowser;
    let csrf: string;

    before(async () => {
      store = await openTestStore(dialect, { name: "decision_test" });
      await createTestAccounts(store, ["editor"]);
      app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
      editor = testBrowser(app);
      assert.equal((await editor.login("editor@example.org")).status, 303);
      csrf = await editor.csrf("/decision");
      assert.ok(csrf);
    });

    after(() => store.close());

    const rankAs = (definition: unknown, path = "/decision") =>
      editor.post(path, { csrf, definition: typeof definition === "string" ? definition : JSON.stringify(definition) });

    it("finding 5: ranks and renders a matrix at the caps (50 criteria, 1,000 alternatives) within a time bound", async (t) => {
      const started = performance.now();
      const response = await rankAs(sizedMatrix(MAX_CRITERIA, MAX_ALTERNATIVES));
      const text = await response.text();
      const elapsed = performance.now() - started;
      assert.equal(response.status, 200, errorLine(text));
      assert.equal(text.match(/<li>Institution \d+: /g)?.length, MAX_ALTERNATIVES, "every alternative ranked");
      assert.match(text, /… and 990 more<\/td>/, "each sensitivity step names the leaders");
      // About 0.3 s here; the quadratic page took seconds at this size and 103 s at 4.4 MB.
      assert.ok(elapsed < 5000, `ranked and rendered in ${elapsed.toFixed(0)} ms`);
      t.diagnostic(`POST /decision at the caps (${text.length} characters of page): ${elapsed.toFixed(0)} ms`);
    });

    it("finding 5: refuses more criteria or alternatives, and an oversized definition, with 400 and one line", async (t) => {
      const tooManyCriteria = await rankAs(sizedMatrix(MAX_CRITERIA + 1, 3));
      assert.equal(tooManyCriteria.status, 400);
      assert.equal(errorLine(await tooManyCriteria.text()), `criteria: must have at most ${MAX_CRITERIA} criteria`);

      const tooManyAlternatives = await rankAs(sizedMatrix(2, MAX_ALTERNATIVES + 1));
      assert.equal(tooManyAlternatives.status, 400);
      assert.match(errorLine(await tooManyAlternatives.text()), new RegExp(`^alternatives: must have at most ${MAX_ALTERNATIVES} alternatives`));

      const started = performance.now();
      const huge = await rankAs(`{"name":"${"x".repeat(MAX_DEFINITION_CHARACTERS)}"}`);
      const text = await huge.text();
      assert.equal(huge.status, 400);
      assert.equal(errorLine(text), `The definition has ${MAX_DEFINITION_CHARACTERS + 11} characters; the decision page accepts at most ${MAX_DEFINITION_CHARACTERS}.`);
      assert.ok(text.length < 100_000, "the definition is not sent back");
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 5000);
      t.diagnostic(`POST /decision of ${MAX_DEFINITION_CHARACTERS + 11} characters refused in ${elapsed.toFixed(0)} ms`);
    });

    it("finding 5: gives a 400 naming the field for __proto__ ids, and ranks ids named like Object's members", async () => {
      const proto = JSON.stringify({
        name: "m",
        criteria: [{ id: "PROTO", name: "P" }, { id: "b", name: "B" }],
        weighting: { mode: "direct", weights: { PROTO: 1, b: 1 } },
        alternatives: [{ id: "x", name: "X" }, { id: "y", name: "Y" }],
        scores: { x: { PROTO: 1, b: 2 }, y: { PROTO: 2, b: 1 } },
      }).replaceAll("PROTO", "__proto__");
      const refused = await rankAs(proto);
      assert.equal(refused.status, 400);
      assert.equal(errorLine(await refused.text()), "criteria.0.id: must not be “__proto__” (JavaScript reserves that name)");

      const alternativeProto = await rankAs(proto.replaceAll("__proto__", "p").replaceAll('"x"', '"__proto__"'));
      assert.equal(alternativeProto.status, 400);

      const named = await rankAs({
        name: "m",
        criteria: [{ id: "constructor", name: "Constructor", weight: 1 }, { id: "toString", name: "ToString", weight: 3 }],
        weighting: { mode: "direct", weights: {} },
        alternatives: [{ id: "valueOf", name: "ValueOf" }, { id: "hasOwnProperty", name: "HasOwn" }],
        scores: { valueOf: { constructor: 10, toString: 0 }, hasOwnProperty: { constructor: 0, toString: 10 } },
      });
      assert.equal(named.status, 200);
      assert.match(await named.text(), /<ol><li>HasOwn: 0\.750<\/li><li>ValueOf: 0\.250<\/li><\/ol>/);
    });

    it("finding 5: a saved matrix from before the caps is refused with a clear message, quickly, without sending it back", async (t) => {
      const owner = await findUserByEmail(store.db, "editor@example.org");
      assert.ok(owner);
      const saved = await saveDecisionMatrix(store.db, { name: "From before the caps", definition: sizedMatrix(3, 12_000) }, owner.id);
      const started = performance.now();
      // Four anonymous visitors at once, as in the finding.
      const responses = await Promise.all(Array.from({ length: 4 }, async () => app.request(`/decision/${saved.id}`)));
      const elapsed = performance.now() - started;
      for (const response of responses) {
        assert.equal(response.status, 422);
        const text = await response.text();
        assert.match(errorLine(text), /^This saved matrix is larger than the decision page ranks \(at most 50 criteria, 1000 alternatives/);
        assert.ok(text.length < 100_000, `the page is ${text.length} characters`);
      }
      assert.ok(elapsed < 5000, `four views in ${elapsed.toFixed(0)} ms`);
      t.diagnostic(`four parallel anonymous views of a saved 12,000-alternative matrix: ${elapsed.toFixed(0)} ms in all`);
      assert.equal((await app.request(`/decision/${saved.id}?format=json`)).status, 200, "the JSON is still there to download");
    });

    it("finding 10: shows anonymous visitors the ranking of what is shown and how to rank their own, no button that answers 403", async () => {
      const response = await app.request("/decision");
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.doesNotMatch(text, /<button type="submit">Rank<\/button>/);
      assert.match(text, /Sign in to rank a matrix of your own; the ranking below is of the matrix shown\. <a href="\/login">Log in<\/a>/);
      assert.match(text, /<textarea id="definition" name="definition" rows="18" spellcheck="false" readonly>/);
      assert.match(text, /<h2>Ranking<\/h2>/);
      const french = await (await app.request("/decision?lang=fr")).text();
      assert.match(french, /Connectez-vous pour classer votre propre matrice/);

      const signedIn = await (await editor.get("/decision")).text();
      assert.match(signedIn, /<button type="submit">Rank<\/button>/, "a signed-in visitor has the button");
    });

    it("finding 10: says what is wrong with a matrix in French and Spanish", async () => {
      const matrix = { ...sizedMatrix(2, 2), weighting: { mode: "vote" }, criteria: [{ id: "c0", name: "" }, { id: "c0", name: "B" }] };
      const french = await rankAs(matrix, "/decision?lang=fr");
      assert.equal(french.status, 400);
      const frenchLine = errorLine(await french.text());
      assert.match(frenchLine, /criteria\.0\.name: ne doit pas être vide/);
      assert.match(frenchLine, /weighting\.mode: doit avoir le mode « direct » ou « pairwise »/);
      const spanish = errorLine(await (await rankAs(sizedMatrix(MAX_CRITERIA + 1, 1), "/decision?lang=es")).text());
      assert.equal(spanish, `criteria: no puede tener más de ${MAX_CRITERIA} criterios`);
      const notJson = errorLine(await (await rankAs("{ not json", "/decision?lang=es")).text());
      assert.match(notJson, /^La definición no es JSON válido \(/);
    });
  });
}
