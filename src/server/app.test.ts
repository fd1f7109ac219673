// Route tests of the observatory app for every role, on SQLite and, when it
// is reachable, PostgreSQL: requests go through Hono's fetch handler, no
// network in between.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../catalog/load.ts";
import { createPolicy, listAudit, listInstitutions } from "../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../store/test-databases.ts";
import { createApp } from "./app.ts";
import { LoginLimiter } from "./auth.ts";
import { seedIfEmpty } from "./seed.ts";
import { createTestAccounts, testBrowser } from "./test-browser.ts";

const catalog = loadCatalog();

for (const dialect of TEST_DIALECTS) {
  describe(`web app on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;

    before(async () => {
      store = await openTestStore(dialect, { name: "web_test" });
      await seedIfEmpty(store, catalog);
      await createTestAccounts(store);
      app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
    });

    after(() => store.close());

    it("shows a newcomer the starter dataset, published", async () => {
      const home = await (await app.request("/")).text();
      assert.match(home, /Published policies<\/a>: <strong>(\d{2,})<\/strong>/);
      assert.match(home, /<html lang="en">/);
      assert.match(await (await app.request("/?lang=es")).text(), /Políticas publicadas/);
    });

    it("hides drafts from anonymous visitors and shows them to signed-in users", async () => {
      const { items } = await listInstitutions(store.db, { limit: 1 });
      const draft = await createPolicy(store.db, { institutionId: items[0]?.id ?? "", title: "Secret draft policy", type: "policy", status: "draft", reviewState: "draft", categories: [], standards: [] }, null);
      assert.doesNotMatch(await (await app.request("/policies")).text(), /Secret draft policy/);
      assert.equal((await app.request(`/policies/${draft.id}`)).status, 404);
      const viewer = testBrowser(app);
      assert.equal((await viewer.login("viewer@example.org")).status, 303);
      assert.match(await (await viewer.get("/policies")).text(), /Secret draft policy/);
      assert.equal((await viewer.get(`/policies/${draft.id}`)).status, 200);
    });

    it("refuses wrong passwords, then rate limits", async () => {
      const visitor = testBrowser(app);
      // An e-mail of its own, so that the limit does not lock out the accounts the other tests use.
      for (let attempt = 0; attempt < 5; attempt++) assert.equal((await visitor.login("ghost@example.org", "wrong password")).status, 401);
      const limited = await visitor.login("ghost@example.org", "wrong password");
      assert.equal(limited.status, 429);
      assert.match(await limited.text(), /Too many failed attempts\. Try again in \d+ seconds?\./);
      // The wait in the visitor's language, with the unit's plural right ("1 seconde", never "1 secondes").
      const french = testBrowser(app);
      const wait = await (await french.post("/login?lang=fr", { csrf: await french.csrf("/login?lang=fr"), email: "ghost@example.org", password: "wrong password" })).text();
      assert.match(wait, /Réessayez dans (1\sseconde|[2-9]\ssecondes|\d{2,}\ssecondes)\./);
    });

    it("lets a viewer read but not edit, and sends anonymous editors to log in", async () => {
      assert.equal((await app.request("/institutions/new")).headers.get("location"), "/login");
      const viewer = testBrowser(app);
      await viewer.login("viewer@example.org");
      assert.equal((await viewer.get("/institutions/new")).status, 403);
      assert.equal((await viewer.get("/policies/new")).status, 403);
      const csrf = await viewer.csrf("/");
      assert.ok(csrf, "the logout form carries the CSRF token");
      assert.equal((await viewer.post("/institutions/new", { csrf, name: "X", kind: "government", region: "150" })).status, 403);
    });

    it("lets an editor add an institution with the CSRF token only, escapes it, and audits it", async () => {
      const editor = testBrowser(app);
      await editor.login("editor@example.org");
      const form = { name: '<script>alert("x")</script> Ministry', kind: "government", country: "ke", region: "014", globalSouth: "on", sector: "ICT" };
      assert.equal((await editor.post("/institutions/new", form)).status, 403, "no CSRF token");
      const csrf = await editor.csrf("/institutions/new");
      const invalid = await editor.post("/institutions/new", { ...form, csrf, region: "Europe" });
      assert.equal(invalid.status, 400);
      assert.match(await invalid.text(), /must be a UN M49 area code/);
      const inFrench = await editor.post("/institutions/new?lang=fr", { ...form, csrf, region: "Europe", name: "" });
      assert.equal(inFrench.status, 400);
      const french = await inFrench.text();
      assert.match(french, /doit être un code de zone M49 de l(?:'|&#39;)ONU/, "the store's message in the visitor's language");
      assert.match(french, /ne doit pas être vide/);
      const saved = await editor.post("/institutions/new", { ...form, csrf });
      assert.equal(saved.status, 303);
      const list = await (await app.request("/institutions")).text();
      assert.doesNotMatch(list, /<script>alert/);
      assert.match(list, /&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62; Ministry/);
      const { items } = await listAudit(store.db, { limit: 50 });
      assert.ok(items.some((entry) => entry.action === "create" && entry.entity === "institution"));
    });

    it("shows a new published policy in the matrix", async () => {
      const before = await (await app.request("/matrix?rows=region&columns=standard")).text();
      const editor = testBrowser(app);
      await editor.login("editor@example.org");
      const csrf = await editor.csrf("/institutions/new");
      await editor.post("/institutions/new", { csrf, name: "Antarctic Treaty Secretariat", kind: "intergovernmental", region: "010" });
      const institution = (await listInstitutions(store.db, { search: "Antarctic", limit: 1 })).items[0];
      assert.ok(institution);
      const created = await editor.post("/policies/new", { csrf, institutionId: institution.id, title: "Polar DNS policy", type: "policy", status: "in-force", standards: ["dnssec"], categories: ["dns-hosting"], reviewState: "published" });
      assert.equal(created.status, 303, await created.text());
      const after = await (await app.request("/matrix?rows=region&columns=standard")).text();
      assert.doesNotMatch(before, /<th scope="row">010<\/th>/);
      assert.match(after, /<th scope="row">010<\/th>.*?<a href="\/policies\?standard=dnssec&(?:amp|#38);region=010">1<\/a>/s);
    });

    it("ranks with the decision matrix and warns about inconsistent judgements", async () => {
      const form = await (await app.request("/decision")).text();
      assert.match(form, /Consistency ratio \(AHP\): <strong>0\.00\d<\/strong>/);
      const editor = testBrowser(app);
      await editor.login("editor@example.org");
      const csrf = await editor.csrf("/decision");
      const matrix = {
        name: "Circular",
        criteria: [{ id: "a", name: "A" }, { id: "b", name: "B" }, { id: "c", name: "C" }],
        weighting: { mode: "pairwise", comparisons: [{ a: "a", b: "b", value: 5 }, { a: "b", b: "c", value: 5 }, { a: "c", b: "a", value: 5 }] },
        alternatives: [{ id: "x", name: "Ministry X" }, { id: "y", name: "Agency Y" }],
        scores: { x: { a: 9, b: 1, c: 1 }, y: { a: 1, b: 9, c: 9 } },
      };
      const ranked = await editor.post("/decision", { csrf, definition: JSON.stringify(matrix), save: "1" });
      const text = await ranked.text();
      assert.equal(ranked.status, 200, text);
      assert.match(text, /role="alert">[^<]*consisten/i);
      assert.match(text, /<ol><li>(Ministry X|Agency Y)/);
      assert.match(text, /Saved\. \/decision\/[\w-]+/);
      const bad = await editor.post("/decision", { csrf, definition: "{ not json" });
      assert.equal(bad.status, 400);
    });

    it("exports what the visitor may see as JSON", async () => {
      const data = (await (await app.request("/export.json")).json()) as { institutions: unknown[]; policies: { reviewState: string }[] };
      assert.ok(data.institutions.length > 0);
      assert.ok(data.policies.every((policy) => policy.reviewState === "published"));
    });

    it("pre-fills a policy's standards from an uploaded document, and refuses other file types", async () => {
      const editor = testBrowser(app);
      await editor.login("editor@example.org");
      const csrf = await editor.csrf("/policies/prefill");
      const upload = (name: string, content: string): Promise<Response> => {
        const form = new FormData();
        form.set("csrf", csrf);
        form.set("file", new File([content], name));
        return editor.upload("/policies/prefill", form);
      };
      const read = await upload("policy.txt", "Government websites shall use HTTPS with HSTS and sign their domains with DNSSEC.");
      assert.equal(read.status, 303);
      const location = read.headers.get("location") ?? "";
      assert.match(location, /^\/policies\/new\?/);
      assert.deepEqual(new URLSearchParams(location.split("?")[1]).getAll("standard").sort(), ["dnssec", "hsts", "https"]);
      const refused = await upload("tool.exe", "MZ");
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), /only .pdf, .docx/);
    });

    it("compares institutions side by side", async () => {
      const { items } = await listInstitutions(store.db, { limit: 2 });
      const page = await (await app.request(`/compare?institution=${items[0]?.id ?? ""}&institution=${items[1]?.id ?? ""}`)).text();
      assert.equal(page.match(/<th scope="col"><a href="\/institutions\//g)?.length, 2);
      assert.match(page, /<th scope="row">dnssec<\/th>/);
    });

    it("shows accounts and the audit log to admins only", async () => {
      const editor = testBrowser(app);
      await editor.login("editor@example.org");
      assert.equal((await editor.get("/admin/audit")).status, 403);
      const admin = testBrowser(app);
      await admin.login("admin@example.org");
      const log = await (await admin.get("/admin/audit")).text();
      assert.match(log, /<td>editor@example\.org<\/td><td>create institution<\/td>/);
      const users = await (await admin.get("/admin/users")).text();
      const viewerId = users.match(/action="\/admin\/users\/([^/]+)\/role"[\s\S]*?viewer@example/)?.[1];
      assert.match(users, /viewer@example\.org/);
      const csrf = await admin.csrf("/admin/users");
      const viewerRow = users.split("<tr>").find((row) => row.includes("viewer@example.org")) ?? "";
      const id = viewerRow.match(/\/admin\/users\/([^/]+)\/role/)?.[1] ?? viewerId ?? "";
      assert.equal((await admin.post(`/admin/users/${id}/role`, { csrf, role: "superuser" })).status, 400);
    });

    it("builds a requirements annex to download", async () => {
      const docx = await app.request("/requirements/download?category=web-hosting&format=docx&lang=fr");
      assert.equal(docx.status, 200);
      assert.equal(Buffer.from(await docx.arrayBuffer()).subarray(0, 2).toString(), "PK");
      const bad = await app.request("/requirements/download?category=nope&format=md");
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /unknown category &#34;nope&#34;/);
    });
  });
}
