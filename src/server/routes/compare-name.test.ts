// /compare with an institution's whole name: found even when more than a
// page of candidates contain it and sort before it, and answered with the
// candidates when several institutions bear that very name. On SQLite and
// PostgreSQL.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { createInstitution, type Institution } from "../../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";

const catalog = loadCatalog();

for (const dialect of TEST_DIALECTS) {
  describe(`compare by whole name on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;
    let agency: Institution;

    before(async () => {
      store = await openTestStore(dialect, { name: "compare_name_test" });
      // Twelve names that contain "Data Agency" and sort before it: more than the ten candidates a substring search returns.
      for (let index = 1; index <= 12; index++) {
        await createInstitution(store.db, { name: `Aa Data Agency ${String(index).padStart(2, "0")}`, kind: "government", country: "KE", region: "014" }, null);
      }
      agency = await createInstitution(store.db, { name: "Data Agency", kind: "regulator", country: "KE", region: "014" }, null);
      app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
    });
    after(() => store.close());

    const text = async (path: string): Promise<string> => (await app.request(path)).text();

    it("finds the institution whose whole name was typed, in any case, past the first candidates", async () => {
      for (const typed of ["Data Agency", "data AGENCY", " data agency "]) {
        const page = await text(`/compare?subject=${encodeURIComponent(typed)}&subject=NL`);
        assert.match(page, new RegExp(`<th scope="col"><a href="/institutions/${agency.id}">Data Agency</a></th>`), typed);
        assert.doesNotMatch(page, /fits several institutions/, typed);
      }
    });

    it("still offers candidates for a part of a name, and for a name several institutions bear", async () => {
      const part = await text("/compare?subject=aa+data");
      assert.match(part, /fits several institutions/);
      assert.equal(part.match(/<li><a href="\/compare\?subject=[^"]+">Aa Data Agency \d\d<\/a>/g)?.length, 10);
      const twin = await createInstitution(store.db, { name: "DATA AGENCY", kind: "government", country: "UG", region: "014" }, null);
      const both = await text("/compare?subject=data+agency");
      assert.match(both, /fits several institutions/);
      const offered = [...both.matchAll(/<li><a href="\/compare\?subject=([^"]+)">([^<]+)<\/a>/g)].map((match) => match[1]);
      assert.deepEqual(offered.sort(), [agency.id, twin.id].sort(), "exactly the two of that name");
    });
  });
}
