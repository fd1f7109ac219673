// Route tests of the edit forms and of what signed-in users read (issue 15,
// findings 8, 9 and 10) on SQLite and, when it is reachable, PostgreSQL:
// saving at the address of a missing record is a 404 page, values a user
// can type or craft (an unknown kind, a long non-date, a control character,
// "XX" for a country) are 400 forms naming the field in the visitor's
// language, never a 500, and counts that include drafts say so.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { createInstitution, createPolicy, getInstitution, listPolicies, REVIEW_STATES } from "../../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { createTestAccounts, testBrowser, type TestBrowser } from "../test-browser.ts";

const catalog = loadCatalog();

/** The message shown next to a field of the form (edit.ts's errorFor). */
function fieldError(page: string, field: string): string {
  return page.match(new RegExp(`<span class="error" id="${field}-error">([^<]*)</span>`))?.[1] ?? "";
}

for (const dialect of TEST_DIALECTS) {
  describe(`edit forms and signed-in counts on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;
    let editor: TestBrowser;
    let csrf: string;
    let institutionId: string;

    before(async () => {
      store = await openTestStore(dialect, { name: "edit_test" });
      await createTestAccounts(store, ["editor"]);
      app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
      editor = testBrowser(app);
      assert.equal((await editor.login("editor@example.org")).status, 303);
      csrf = await editor.csrf("/institutions/new");
      institutionId = (await createInstitution(store.db, { name: "Agency", kind: "government", country: "NL", region: "155" }, null)).id;
      await createPolicy(store.db, { institutionId, title: "Published one", type: "policy", status: "in-force", reviewState: "published" }, null);
      await createPolicy(store.db, { institutionId, title: "Draft one", type: "policy", status: "draft", reviewState: "draft" }, null);
    });

    after(() => store.close());

    const institution = { name: "Agency", kind: "government", country: "NL", region: "155", sector: "" };
    const policy = { institutionId: "", title: "A policy", type: "policy", status: "in-force", reviewState: "draft" };

    it("finding 9: saving an institution or a policy that does not exist is a 404 page, not a 500", async () => {
      for (const path of ["/institutions/no-such-institution/edit", "/policies/no-such-policy/edit"]) {
        const response = await editor.post(path, { csrf, ...institution, ...policy, institutionId });
        assert.equal(response.status, 404, path);
        const text = await response.text();
        assert.match(text, /<h1>Not found\.<\/h1>/);
        assert.doesNotMatch(text, /NotFoundError|no institution with id|no policy with id/);
      }
    });

    it("finding 9: values a user can send (an unknown option, a long non-date) are 400 forms naming the field, never a 500", async () => {
      const kind = await editor.post(`/institutions/${institutionId}/edit`, { csrf, ...institution, kind: "ministry" });
      assert.equal(kind.status, 400);
      assert.match(fieldError(await kind.text(), "kind"), /^must be one of government, intergovernmental, /);

      // Ten characters or more that are no date made the calendar check throw (RangeError: Invalid time value).
      const date = await editor.post("/policies/new", { csrf, ...policy, institutionId, adoptedOn: "next spring, maybe" });
      assert.equal(date.status, 400);
      assert.equal(fieldError(await date.text(), "adoptedOn"), "must be a date as YYYY-MM-DD, YYYY-MM or YYYY");

      const state = await editor.post("/policies/new", { csrf, ...policy, institutionId, reviewState: "approved", type: "memo" });
      assert.equal(state.status, 400);
      const text = await state.text();
      assert.equal(fieldError(text, "type"), "must be one of law, regulation, policy, guideline, tender-template, model-contract, standard");
      assert.equal(fieldError(text, "reviewState"), "must be one of draft, reviewed, published");
    });

    it("finding 9: no 500 for odd values in any parameter or field of the reading, editing and decision pages", async () => {
      const odd = ["", "x".repeat(3000), "'\"<>%&", "__proto__", "constructor", "-1", "1e999", "😀", "a\u0001b", "next spring, maybe", "[]"];
      const parameters = ["q", "standard", "category", "region", "country", "sector", "type", "status", "kind", "institution", "sort", "offset", "rows", "columns", "subject", "format"];
      const failures: string[] = [];
      const check = async (label: string, response: Promise<Response> | Response): Promise<void> => {
        const status = (await response).status;
        if (status >= 500) failures.push(`${label}: ${status}`);
      };
      for (const value of odd) {
        const query = new URLSearchParams(parameters.map((name): [string, string] => [name, value])).toString();
        const id = encodeURIComponent(value);
        for (const path of ["/", "/policies", "/institutions", "/matrix", "/gaps", "/map", "/compare", "/decision", "/export.json", "/admin/audit"]) {
          await check(`GET ${path} (${value.slice(0, 20)})`, editor.get(`${path}?${query}`));
          await check(`anonymous GET ${path} (${value.slice(0, 20)})`, app.request(`${path}?${query}`));
        }
        for (const path of [`/policies/${id}`, `/institutions/${id}`, `/decision/${id}`, `/institutions/${id}/edit`, `/policies/${id}/edit`]) await check(`GET ${path.slice(0, 40)}`, editor.get(path));
        const fields = { name: value, kind: value, country: value, region: value, sector: value, globalSouth: value, title: value, institutionId: value, type: value, status: value, adoptedOn: value, sourceUrl: value, language: value, reviewState: value, evidence: value, securityTags: value, standards: value, categories: value, otherStandards: value, securityText: value };
        for (const path of ["/institutions/new", `/institutions/${institutionId}/edit`, `/institutions/${id}/edit`, "/policies/new", `/policies/${id}/edit`]) await check(`POST ${path.slice(0, 40)}`, editor.post(path, { csrf, ...fields }));
        await check("POST /decision", editor.post("/decision", { csrf, definition: value }));
        const matrix = { name: value, criteria: [{ id: value, name: value }], weighting: { mode: "direct", weights: { [value]: 1 } }, alternatives: [{ id: value, name: value }], scores: { [value]: { [value]: 1 } } };
        await check("POST /decision (matrix)", editor.post("/decision", { csrf, definition: JSON.stringify(matrix), save: "1" }));
      }
      assert.deepEqual(failures, []);
    });

    it("finding 8: a control character in a one-line field is refused with the field named; a tab or line break in the security text is kept", async () => {
      const refused = await editor.post("/policies/new", { csrf, ...policy, institutionId, title: "Bell\u0007 policy" });
      assert.equal(refused.status, 400);
      assert.equal(fieldError(await refused.text(), "title"), "must not contain the control character U+0007");
      const kept = await editor.post("/policies/new", { csrf, ...policy, institutionId, title: "Multi-line text", securityText: "First line\r\n\tindented" });
      assert.equal(kept.status, 303);
      const saved = (await listPolicies(store.db, { reviewStates: REVIEW_STATES, search: "Multi-line text" })).items[0];
      assert.equal(saved?.securityText, "First line\r\n\tindented");
    });

    it("finding 10: a country code must be one ISO 3166-1 assigns; a regional body has none", async () => {
      const xx = await editor.post("/institutions/new", { csrf, ...institution, name: "Nowhere", country: "xx" });
      assert.equal(xx.status, 400);
      assert.equal(fieldError(await xx.text(), "country"), "“XX” is not an ISO 3166-1 country code");
      const french = await editor.post("/institutions/new?lang=fr", { csrf, ...institution, name: "Nowhere", country: "XX" });
      assert.equal(fieldError(await french.text(), "country"), "« XX » n&#39;est pas un code de pays ISO 3166-1");
      const spanish = await editor.post("/institutions/new?lang=es", { csrf, ...institution, kind: "ministry" });
      assert.match(fieldError(await spanish.text(), "kind"), /^debe ser uno de estos valores: government, /);

      const kenya = await editor.post("/institutions/new", { csrf, ...institution, name: "ICT Authority", country: "ke", region: "014" });
      assert.equal(kenya.status, 303);
      const regional = await editor.post("/institutions/new", { csrf, ...institution, name: "Regional body", kind: "intergovernmental", country: "", region: "150" });
      assert.equal(regional.status, 303);
      const id = decodeURIComponent(regional.headers.get("location")?.split("/").at(-1) ?? "");
      assert.equal((await getInstitution(store.db, id))?.country, null);
    });

    it("finding 10: signed-in users see the policy count labelled as including drafts; anonymous visitors see published ones", async () => {
      const anonymous = await (await app.request("/")).text();
      assert.match(anonymous, /<a href="\/policies">Published policies<\/a>: <strong>1<\/strong>/);
      const signedIn = await (await editor.get("/")).text();
      const all = (await listPolicies(store.db, { reviewStates: REVIEW_STATES, limit: 1 })).total;
      assert.ok(all > 1);
      assert.match(signedIn, new RegExp(`<a href="/policies">Policies \\(every review state, drafts included\\)</a>: <strong>${all}</strong>`));
      assert.doesNotMatch(signedIn, /Published policies/);
      assert.match(await (await editor.get("/matrix")).text(), /in every review state, drafts included \(you are signed in\)/);
      assert.match(await (await app.request("/matrix")).text(), /Each cell counts the published policies/);
    });
  });
}
