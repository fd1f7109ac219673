// Edges of answering a survey, on SQLite and PostgreSQL: a GET of the
// private link never submits (a link checker or a prefetch must not send
// the answers), and labels fill in only the answers' own names (never what
// an object inherits, and beyond ASCII).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { countResponses, createSurvey, type Store, type Survey } from "../../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { readXlsForm } from "../../surveys/xlsform.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { formText } from "../survey-render.ts";
import { xlsForm } from "../survey-test-support.ts";

const catalog = loadCatalog();

function post(app: ReturnType<typeof createApp>, path: string, fields: Record<string, string>): Promise<Response> {
  return Promise.resolve(app.request(path, { method: "POST", body: new URLSearchParams(fields), headers: { "content-type": "application/x-www-form-urlencoded" } }));
}

async function surveyOf(store: Store, rows: (string | null)[][]): Promise<Survey> {
  const form = await readXlsForm(await xlsForm({ survey: rows }), "edge.xlsx");
  return createSurvey(store.db, { form, formId: form.id, title: form.title, version: form.version, fileName: "edge.xlsx" }, null);
}

async function start(app: ReturnType<typeof createApp>, survey: Survey): Promise<string> {
  const response = await post(app, `/surveys/${survey.id}/start`, { "-consent": "yes" });
  assert.equal(response.status, 303);
  return response.headers.get("location") ?? "";
}

for (const dialect of TEST_DIALECTS) {
  describe(`survey answering edges on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;
    before(async () => {
      store = await openTestStore(dialect, { name: "survey_edges" });
      app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
    });
    after(() => store.close());

    it("shows a submit button, and stores nothing, when a GET finds no page left to answer", async () => {
      const survey = await surveyOf(store, [["type", "name", "label", "relevant"], ["text", "never", "Never asked", "1 = 2"]]);
      const link = await start(app, survey);
      const page = await app.request(link);
      assert.equal(page.status, 200);
      const body = await page.text();
      assert.match(body, /<form method="post" action="\/surveys\/[^"]+\/r\/[^"]+"><div class="sv-actions"><button type="submit" name="-action" value="next">/);
      assert.equal(await countResponses(store.db, survey.id), 0);
      const submitted = await post(app, link, { "-action": "next" });
      assert.equal(submitted.status, 303);
      assert.equal(await countResponses(store.db, survey.id), 1);
    });

    it("never fills a label with what an object inherits, and fills names the reader allows beyond ASCII", () => {
      const form = { defaultLanguage: "default" } as Parameters<typeof formText>[0];
      assert.equal(formText(form, { default: "A ${constructor} B ${toString}" }, "default", {}), "A  B ");
      assert.equal(formText(form, { default: "Bonjour ${prénom}" }, "default", { prénom: "Léa" }), "Bonjour Léa");
    });
  });
}
