// Route tests of the world map page on SQLite and, when it is reachable,
// PostgreSQL: what anonymous visitors and signed-in users are counted, and
// the page in another language. Requests go through Hono's fetch handler.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { createInstitution, createPolicy, listPolicies } from "../../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { seedIfEmpty } from "../seed.ts";
import { createTestAccounts, testBrowser } from "../test-browser.ts";

const catalog = loadCatalog();

for (const dialect of TEST_DIALECTS) {
  describe(`world map page on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;

    before(async () => {
      store = await openTestStore(dialect, { name: "map_test" });
      await seedIfEmpty(store, catalog);
      await createTestAccounts(store, ["viewer"]);
      app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
    });

    after(() => store.close());

    /** GET as the signed-in viewer. */
    async function asViewer(path: string): Promise<string> {
      const viewer = testBrowser(app);
      assert.equal((await viewer.login("viewer@example.org")).status, 303);
      assert.ok(viewer.cookie, "the login sets a session cookie");
      return (await viewer.get(path)).text();
    }

    it("shows anonymous visitors the published starter data, country by country", async () => {
      const response = await app.request("/map");
      assert.equal(response.status, 200);
      const text = await response.text();
      // Counted independently of the map's query: the list page's filter, published only.
      const published = await listPolicies(store.db, { country: "NL", limit: 1 });
      const citing = await listPolicies(store.db, { country: "NL", citesStandards: true, limit: 1 });
      assert.ok(published.total >= 2, "the starter data has Dutch policies");
      assert.match(text, new RegExp(`<a href="/policies\\?country=NL"><title>Netherlands · policies: ${published.total} · citing standards: ${citing.total}</title><path class="s\\d" d="`));
      assert.match(text, new RegExp(`<th scope="row">Netherlands</th><td class="count">${published.total}</td><td class="count">${citing.total}</td>`));
      assert.match(text, /<svg class="world-map"[^>]* role="img" aria-label="World map of policies per country: \d+ countries/);
      assert.match(text, /Published policies only\./);
      // Bodies without a country are listed by M49 area instead.
      assert.match(text, /<h2>Regional and international bodies<\/h2>/);
      assert.match(text, /<th scope="row">World \(001\)<\/th><td class="count">\d+<\/td>/);
      assert.match(text, /<a href="\/map" aria-current="page">World map<\/a>/);
      assert.doesNotMatch(text, /<script/);
      assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    });

    it("counts a draft of a new country for signed-in users only", async () => {
      const kenya = await createInstitution(store.db, { name: "ICT Authority", kind: "government", country: "KE", region: "014", globalSouth: true }, null);
      await createPolicy(store.db, { institutionId: kenya.id, title: "Draft ICT standards for procurement", type: "standard", status: "draft", reviewState: "draft", categories: [], standards: ["dnssec"] }, null);
      const anonymous = await (await app.request("/map")).text();
      assert.doesNotMatch(anonymous, /country=KE/);
      assert.match(anonymous, /<path class="gap" d="[^"]+"><title>Kenya: no policies<\/title>/);
      const signedIn = await asViewer("/map");
      assert.match(signedIn, /<a href="\/policies\?country=KE"><title>Kenya · policies: 1 · citing standards: 1<\/title><path class="s\d" /);
      assert.match(signedIn, /<th scope="row">Kenya<\/th><td class="count">1<\/td><td class="count">1<\/td>/);
      assert.match(signedIn, /drafts included/);
    });

    it("speaks French with ?lang=fr", async () => {
      const text = await (await app.request("/map?lang=fr")).text();
      assert.match(text, /<html lang="fr">/);
      assert.match(text, /<h1>Carte mondiale de la couverture<\/h1>/);
      assert.match(text, /<title>Pays-Bas · politiques : \d+ · citant des normes : \d+<\/title>/);
      assert.match(text, /<th scope="row">Pays-Bas<\/th>/);
      assert.match(text, /<h2>Organismes régionaux et internationaux<\/h2>/);
      assert.match(text, /<th scope="row">Monde \(001\)<\/th>/);
      assert.match(text, /Colorer selon/);
    });

    it("colours by policies citing standards with ?measure=citing", async () => {
      const text = await (await app.request("/map?measure=citing")).text();
      assert.match(text, /aria-label="World map of policies citing standards per country/);
      assert.match(text, /<strong aria-current="true">policies citing standards<\/strong>/);
      assert.match(text, /<a href="\/map">policies<\/a>/);
    });
  });
}
