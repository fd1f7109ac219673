// The import report of a file with many bad rows: the first
// MAX_REPORTED_ERRORS rows with their line and reason, then one line that
// counts the others, so that the page stays small whatever the file holds.
// On SQLite and PostgreSQL.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { getInstitution } from "../../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { createTestAccounts, testBrowser, type TestBrowser } from "../test-browser.ts";
import { MAX_REPORTED_ERRORS } from "./exchange.ts";

const catalog = loadCatalog();
const BAD_ROWS = 400;

for (const dialect of TEST_DIALECTS) {
  describe(`import report on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let editor: TestBrowser;
    let csrf: string;

    before(async () => {
      store = await openTestStore(dialect, { name: "import_report_test" });
      await createTestAccounts(store, ["editor"]);
      const app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
      editor = testBrowser(app);
      await editor.login("editor@example.org");
      csrf = await editor.csrf("/import");
    });
    after(() => store.close());

    /** An institutions CSV: one good row (line 2), then BAD_ROWS rows of an unknown kind (lines 3 on). */
    function upload(): FormData {
      const lines = ["id,name,kind,region", "good-one,Good Institution,academia,150"];
      for (let index = 0; index < BAD_ROWS; index++) lines.push(`bad-${index},Bad ${index},no-such-kind,150`);
      const form = new FormData();
      form.set("csrf", csrf);
      form.set("file", new File([lines.join("\r\n")], "institutions.csv", { type: "text/csv" }));
      return form;
    }

    it("lists the first problems only, counts the rest, and keeps the totals", async () => {
      const response = await editor.upload("/import", upload());
      const page = await response.text();
      assert.equal(response.status, 400);
      assert.match(page, /1 imported \(1 institutions, 0 policies\)/);
      const rows = [...page.matchAll(/<tr><td>Institutions<\/td><td>(\d+)<\/td><td>kind: [^<]+<\/td><\/tr>/g)].map((match) => Number(match[1]));
      assert.equal(rows.length, MAX_REPORTED_ERRORS);
      assert.deepEqual(rows, Array.from({ length: MAX_REPORTED_ERRORS }, (_, index) => index + 3), "the first ones, by line");
      assert.match(page, new RegExp(`<p>… and ${BAD_ROWS - MAX_REPORTED_ERRORS} more problems \\(only the first ${MAX_REPORTED_ERRORS} are listed\\)\\.</p>`));
      assert.ok(page.length < 32 * 1024, `a page of ${page.length} characters`);
      assert.equal((await getInstitution(store.db, "good-one"))?.name, "Good Institution");
      assert.equal(await getInstitution(store.db, "bad-0"), undefined);
    });

    it("says so in French and Spanish too", async () => {
      const french = await (await editor.upload("/import?lang=fr", upload())).text();
      assert.match(french, new RegExp(`… et ${BAD_ROWS - MAX_REPORTED_ERRORS} autres problèmes \\(seuls les ${MAX_REPORTED_ERRORS} premiers sont listés\\)\\.`));
      const spanish = await (await editor.upload("/import?lang=es", upload())).text();
      assert.match(spanish, new RegExp(`… y ${BAD_ROWS - MAX_REPORTED_ERRORS} problemas más \\(solo se muestran los ${MAX_REPORTED_ERRORS} primeros\\)\\.`));
    });

    it("adds no such line when every problem is listed", async () => {
      const form = new FormData();
      form.set("csrf", csrf);
      form.set("file", new File(["name,kind,region\r\nOne,no-such-kind,150\r\n"], "institutions.csv", { type: "text/csv" }));
      const page = await (await editor.upload("/import", form)).text();
      assert.match(page, /<tr><td>Institutions<\/td><td>2<\/td>/);
      assert.doesNotMatch(page, /more problems/);
    });
  });
}
