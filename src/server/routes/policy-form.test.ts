// The policy form's institution menu with more institutions than a list page
// holds (MAX_PAGE_SIZE): the policy's institution is in it and selected, so
// that saving the form as a browser sends it keeps the policy where it is.
// On SQLite and PostgreSQL.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { createPolicy, getPolicy, REVIEW_STATES, type Policy } from "../../store/index.ts";
import { insertBulkInstitutions, openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { createTestAccounts, testBrowser, type TestBrowser } from "../test-browser.ts";

const catalog = loadCatalog();
const INSTITUTIONS = 600;

/** The institution menu's option values, and the one a browser submits: the selected option, else the first. */
function institutionMenu(page: string): { values: string[]; submitted: string | undefined } {
  const select = /<select id="institutionId" name="institutionId">(.*?)<\/select>/s.exec(page)?.[1] ?? "";
  const options = [...select.matchAll(/<option value="([^"]*)"( selected)?>/g)];
  const values = options.map((option) => option[1] ?? "");
  const selected = options.filter((option) => option[2] !== undefined).map((option) => option[1]);
  assert.ok(selected.length <= 1, "one option selected at most");
  return { values, submitted: selected[0] ?? values[0] };
}

for (const dialect of TEST_DIALECTS) {
  describe(`policy form with ${INSTITUTIONS} institutions on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let editor: TestBrowser;
    let ids: string[];
    let policy: Policy;

    before(async () => {
      store = await openTestStore(dialect, { name: "policy_form_test" });
      await createTestAccounts(store, ["editor"]);
      // Straight into the table: the form is under test, not createInstitution.
      ids = (await insertBulkInstitutions(store.db, INSTITUTIONS, { namePrefix: "Institution", idPrefix: "institution-" })).map((row) => row.id);
      const last = ids.at(-1) ?? "";
      policy = await createPolicy(store.db, { institutionId: last, title: "Policy of the last institution", type: "policy", status: "in-force", reviewState: "draft", standards: ["dnssec"] }, null);
      const app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
      editor = testBrowser(app);
      await editor.login("editor@example.org");
    });
    after(() => store.close());

    it("offers every institution, by name, with the policy's own selected", async () => {
      const menu = institutionMenu(await (await editor.get(`/policies/${policy.id}/edit`)).text());
      assert.deepEqual(menu.values, ids);
      assert.equal(menu.submitted, policy.institutionId);
    });

    it("keeps the policy's institution when the form is saved as the browser sends it", async () => {
      const page = await (await editor.get(`/policies/${policy.id}/edit`)).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
      const { submitted } = institutionMenu(page);
      const saved = await editor.post(`/policies/${policy.id}/edit`, {
        csrf,
        institutionId: submitted ?? "",
        title: "Policy of the last institution, edited",
        type: policy.type,
        status: policy.status,
        reviewState: policy.reviewState,
        standards: policy.standards,
      });
      assert.equal(saved.status, 303, await saved.text());
      const reloaded = await getPolicy(store.db, policy.id, { reviewStates: REVIEW_STATES });
      assert.ok(reloaded);
      assert.equal(reloaded.title, "Policy of the last institution, edited");
      assert.equal(reloaded.institutionId, ids.at(-1));
    });

    it("selects the institution a new-policy link names, and keeps an unknown one rather than the first", async () => {
      const last = ids.at(-1) ?? "";
      assert.equal(institutionMenu(await (await editor.get(`/policies/new?institution=${last}`)).text()).submitted, last);
      const unknown = institutionMenu(await (await editor.get("/policies/new?institution=gone")).text());
      assert.equal(unknown.submitted, "gone");
      assert.equal(unknown.values.length, INSTITUTIONS + 1);
    });
  });
}
