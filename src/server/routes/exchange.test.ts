/**
 * Route tests of the CSV exports and of the import page, on SQLite and,
 * when it is reachable, PostgreSQL (a schema of its own, dropped
 * afterwards): who may import, what anonymous visitors get in an export,
 * and the report of an editor's upload.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { createInstitution, createPolicy, getInstitution, listAudit, listInstitutions } from "../../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { createTestAccounts, testBrowser } from "../test-browser.ts";

const catalog = loadCatalog();

for (const dialect of TEST_DIALECTS) {
  describe(`CSV export and import pages on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;

    before(async () => {
      store = await openTestStore(dialect, { name: "exchange_test" });
      await createTestAccounts(store);
      const institution = await createInstitution(store.db, { name: "Forum Standaardisatie", kind: "government", country: "NL", region: "155" }, null);
      await createPolicy(store.db, { institutionId: institution.id, title: "Published list", type: "policy", status: "in-force", reviewState: "published", standards: ["dnssec"] }, null);
      await createPolicy(store.db, { institutionId: institution.id, title: "Secret draft policy", type: "policy", status: "draft", reviewState: "draft" }, null);
      app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
    });

    after(() => store.close());

    function csvForm(csrf: string, content: string, name = "institutions.csv"): FormData {
      const form = new FormData();
      form.set("csrf", csrf);
      form.set("file", new File([content], name, { type: "text/csv" }));
      return form;
    }

    it("exports published policies only to anonymous visitors, and everything to signed-in users", async () => {
      const anonymous = await app.request("/export/policies.csv");
      assert.equal(anonymous.status, 200);
      assert.match(anonymous.headers.get("content-type") ?? "", /^text\/csv; charset=utf-8/);
      assert.match(anonymous.headers.get("content-disposition") ?? "", /attachment; filename="policies.csv"/);
      const text = await anonymous.text();
      assert.match(text, /Published list/);
      assert.doesNotMatch(text, /Secret draft policy/);
      assert.doesNotMatch(text, /,draft,|,draft\r\n/, "no draft review state in the file");

      const viewer = testBrowser(app);
      assert.equal((await viewer.login("viewer@example.org")).status, 303);
      const signedIn = await viewer.get("/export/policies.csv");
      assert.match(await signedIn.text(), /Secret draft policy/);
      assert.equal(signedIn.headers.get("cache-control"), "private, no-store");

      const institutions = await (await app.request("/export/institutions.csv")).arrayBuffer();
      assert.deepEqual([...new Uint8Array(institutions).subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 with a BOM, for Excel");
      assert.match(new TextDecoder().decode(institutions), /^id,name,kind,country,region,globalSouth,sector,createdAt,updatedAt\r\n/);
    });

    it("lets neither anonymous visitors nor viewers import", async () => {
      const before = (await listInstitutions(store.db, { limit: 1 })).total;
      const content = "name,kind,region\nSneaky,academia,150\n";
      const anonymous = await app.request("/import", { method: "POST", body: csvForm("", content) });
      assert.equal(anonymous.status, 403);
      assert.doesNotMatch(await (await app.request("/import")).text(), /<form method="post" action="\/import"/);

      const viewer = testBrowser(app);
      await viewer.login("viewer@example.org");
      const csrf = await viewer.csrf("/import");
      assert.ok(csrf, "the page carries the session's CSRF token");
      assert.equal((await viewer.upload("/import", csvForm(csrf, content))).status, 403);
      assert.equal((await listInstitutions(store.db, { limit: 1 })).total, before);
    });

    it("shows an editor each bad row with its line, imports the good ones, and refuses an unknown header whole", async () => {
      const editor = testBrowser(app);
      await editor.login("editor@example.org");
      const csrf = await editor.csrf("/import");
      const importPage = await (await editor.get("/import?lang=fr")).text();
      assert.match(importPage, /href="\/export\/institutions\.csv"/);
      assert.match(importPage, /href="\/export\/policies\.csv"/);
      assert.match(importPage, /Le fichier CSV contient/);

      const content = ["id,name,kind,region", "csv-one,Imported by CSV,academia,150", "csv-two,<b>Bad</b>,ministry,150", "csv-three,Third,academia,Europe"].join("\r\n");
      const response = await editor.upload("/import?lang=en", csvForm(csrf, content));
      const page = await response.text();
      assert.equal(response.status, 400);
      assert.match(page, /1 imported \(1 institutions, 0 policies\)/);
      assert.match(page, /<th scope="col">Line<\/th>/);
      assert.match(page, /<tr><td>Institutions<\/td><td>3<\/td><td>kind: [^<]+<\/td><\/tr>/);
      assert.match(page, /<tr><td>Institutions<\/td><td>4<\/td><td>region: must be a UN M49 area code[^<]*<\/td><\/tr>/);
      assert.equal((await getInstitution(store.db, "csv-one"))?.name, "Imported by CSV");
      assert.equal(await getInstitution(store.db, "csv-two"), undefined);
      const entry = (await listAudit(store.db, { entity: "observatory" })).items[0];
      assert.deepEqual(entry?.detail, { format: "csv", table: "institutions", institutions: 1, policies: 0, created: 1, updated: 0, unchanged: 0, errors: 2 });

      // The exported file, re-imported with one name changed: an update, not a second record.
      const exported = await (await editor.get("/export/institutions.csv")).text();
      const count = (await listInstitutions(store.db, { limit: 1 })).total;
      const again = await editor.upload("/import", csvForm(csrf, exported.replace("Imported by CSV", "Renamed by CSV"), "export.txt"));
      assert.equal(again.status, 200, await again.text());
      assert.equal((await listInstitutions(store.db, { limit: 1 })).total, count);
      assert.equal((await getInstitution(store.db, "csv-one"))?.name, "Renamed by CSV");

      const unknown = await editor.upload("/import", csvForm(csrf, "colour,size\nred,1\n", "colours.csv"));
      assert.equal(unknown.status, 400);
      assert.match(await unknown.text(), /colours\.csv: invalid CSV file: the header row names neither institutions/);
      const wrongTable = new FormData();
      wrongTable.set("csrf", csrf);
      wrongTable.set("table", "policies");
      wrongTable.set("file", new File([content], "institutions.csv"));
      assert.match(await (await editor.upload("/import", wrongTable)).text(), /unknown column “name” for policies/);
      assert.equal((await listInstitutions(store.db, { limit: 1 })).total, count, "nothing of a refused file");
    });

    it("shows the refused rows and a refused file in the visitor's language (issue 15, finding 10)", async () => {
      const editor = testBrowser(app);
      await editor.login("editor@example.org");
      const csrf = await editor.csrf("/import");
      const content = ["id,name,kind,region", "csv-fr,Rangée,academia,Europe"].join("\r\n");
      const page = await (await editor.upload("/import?lang=fr", csvForm(csrf, content))).text();
      assert.match(page, /<td>region: [^<]+<\/td>/);
      assert.doesNotMatch(page, /must be a UN M49 area code/, "the row's problem is translated");
      const unknown = await (await editor.upload("/import?lang=es", csvForm(csrf, "colour,size\nred,1\n", "colours.csv"))).text();
      assert.match(unknown, /colours\.csv: /);
      assert.doesNotMatch(unknown, /the header row names neither/, "the file's problem is translated");
    });

    it("still imports JSON on the same page", async () => {
      const editor = testBrowser(app);
      await editor.login("editor@example.org");
      const csrf = await editor.csrf("/import");
      const form = new FormData();
      form.set("csrf", csrf);
      form.set("file", new File([JSON.stringify({ institutions: [{ id: "json-one", name: "From JSON", kind: "academia", region: "150" }] })], "export.json"));
      const response = await editor.upload("/import", form);
      assert.equal(response.status, 200);
      assert.match(await response.text(), /1 imported \(1 institutions, 0 policies\)/);
      const bad = new FormData();
      bad.set("csrf", csrf);
      bad.set("file", new File(["{ not json"], "broken.json"));
      const refused = await editor.upload("/import", bad);
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), /broken\.json: not JSON/);
    });
  });
}
