// The comparison page: countries and institutions side by side, typed as a
// code, an id or part of a name; counts per standard from visible policies.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { createInstitution, createPolicy, listInstitutions, listPolicies } from "../../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { seedIfEmpty } from "../seed.ts";
import { createTestAccounts, testBrowser } from "../test-browser.ts";

const catalog = loadCatalog();

for (const dialect of TEST_DIALECTS) {
  describe(`compare on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;

    before(async () => {
      store = await openTestStore(dialect, { name: "compare_test" });
      await seedIfEmpty(store, catalog);
      await createTestAccounts(store, ["viewer"]);
      app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
    });
    after(() => store.close());

    const text = async (path: string): Promise<string> => (await app.request(path)).text();
    /** The counts row of one standard, one number per column. */
    const row = (page: string, label: string): number[] => {
      const found = new RegExp(`<tr><th scope="row">${label}</th>((?:<td[^>]*>\\d+</td>)+)</tr>`).exec(page);
      assert.ok(found, `a row for ${label}`);
      return [...(found[1] ?? "").matchAll(/>(\d+)</g)].map((match) => Number(match[1]));
    };

    it("puts two countries side by side with their policy counts per standard", async () => {
      const page = await text("/compare?subject=NL&subject=us");
      assert.match(page, /<th scope="col"><a href="\/policies\?country=NL">Netherlands<\/a><\/th>/);
      assert.match(page, /<th scope="col"><a href="\/policies\?country=US">United States<\/a><\/th>/);
      const nl = await listPolicies(store.db, { country: "NL", limit: 1 });
      const usHttps = await listPolicies(store.db, { country: "US", standard: "https", limit: 1 });
      const nlHttps = await listPolicies(store.db, { country: "NL", standard: "https", limit: 1 });
      assert.equal(row(page, "Policies")[0], nl.total);
      assert.deepEqual(row(page, "https"), [nlHttps.total, usHttps.total]);
      assert.ok(nlHttps.total > 0 && usHttps.total > 0, "the starter data has HTTPS policies in both");
    });

    it("finds an institution by part of its name, and asks when a part fits several", async () => {
      const [first] = (await listInstitutions(store.db, { limit: 1 })).items;
      assert.ok(first);
      const byName = await text(`/compare?subject=${encodeURIComponent(first.name.toUpperCase())}`);
      assert.match(byName, new RegExp(`<th scope="col"><a href="/institutions/${first.id}">`));
      await createInstitution(store.db, { name: "Twin Agency North", kind: "government", country: "KE", region: "014" }, null);
      await createInstitution(store.db, { name: "Twin Agency South", kind: "government", country: "KE", region: "014" }, null);
      const ambiguous = await text("/compare?subject=twin+agency&subject=NL");
      assert.match(ambiguous, /fits several institutions/);
      assert.equal(ambiguous.match(/<li><a href="\/compare\?subject=[^"]+&(?:amp|#38);subject=NL">Twin Agency (North|South)<\/a>/g)?.length, 2);
      assert.match(await text("/compare?subject=no+such+body"), /Nothing matches “no such body”/);
    });

    it("counts drafts for signed-in users only, and still takes the older ?institution=ID", async () => {
      const institution = await createInstitution(store.db, { name: "Draft Office", kind: "regulator", country: "RW", region: "014" }, null);
      await createPolicy(store.db, { institutionId: institution.id, title: "Draft rule", type: "regulation", status: "draft", reviewState: "draft", standards: ["dnssec"] }, null);
      const anonymous = await text(`/compare?institution=${institution.id}`);
      assert.deepEqual(row(anonymous, "dnssec"), [0], "the draft is not counted for an anonymous visitor");
      const viewer = testBrowser(app);
      await viewer.login("viewer@example.org");
      const signedIn = await (await viewer.get(`/compare?subject=${institution.id}`)).text();
      assert.deepEqual(row(signedIn, "dnssec"), [1], "a signed-in viewer counts it");
    });

    it("escapes what was typed", async () => {
      const page = await text(`/compare?subject=${encodeURIComponent("<script>x</script>")}`);
      assert.doesNotMatch(page, /<script>x/);
    });
  });
}
