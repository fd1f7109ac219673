// Route tests of the contract pages on SQLite and PostgreSQL, through Hono's
// fetch handler: who may see and change contracts, the form (preview of the
// catalog's set, refusals naming the field, the webhook secret kept on
// edit), a contract from a tender document, the JSON import, "Run now" with
// a stand-in check and the compliance view that follows, exemptions, the
// letter (HTML in another language, DOCX), the supplier page, and the Atom
// feed (refused without a session or token, served with the token).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { XMLParser } from "fast-xml-parser";
import { fakeReport } from "../../campaigns/contracts-test-support.ts";
import { getContract, listContracts } from "../../campaigns/contracts.ts";
import { CampaignEngine } from "../../campaigns/engine.ts";
import { getRun } from "../../campaigns/runs.ts";
import { loadCatalog } from "../../catalog/load.ts";
import { defaultSettings } from "../../checks/context.ts";
import { fixedResolver } from "../../checks/http/test-support.ts";
import type { Suite } from "../../checks/types.ts";
import { EmbeddedQueue } from "../../jobs/embedded.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { createTestAccounts, testBrowser, type TestBrowser } from "../test-browser.ts";

const catalog = loadCatalog();

for (const dialect of TEST_DIALECTS) {
  describe(`contract pages on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;
    let engine: CampaignEngine;
    let hsts: "passed" | "failed" = "passed";

    before(async () => {
      store = await openTestStore(dialect, { name: "contract_routes", file: true });
      await createTestAccounts(store);
      const check = (domain: string, suite: Suite): Promise<ReturnType<typeof fakeReport>> => Promise.resolve(fakeReport(domain, suite, suite === "web" ? { https: "passed", hsts } : { dmarc: "passed" }));
      engine = new CampaignEngine({ store, settings: defaultSettings(fixedResolver({})), queue: new EmbeddedQueue(store, { concurrency: 2, pollMs: 20 }), check, tickMs: 60_000 });
      await engine.start();
      app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false, campaigns: engine });
    });
    after(async () => {
      await engine.stop();
      await store.close();
    });

    async function signedIn(email: string): Promise<{ user: TestBrowser; csrf: string }> {
      const user = testBrowser(app);
      assert.equal((await user.login(email)).status, 303, `${email} logs in`);
      return { user, csrf: await user.csrf("/") };
    }

    async function runAndWait(user: TestBrowser, csrf: string, id: string): Promise<void> {
      const before = new Set((await store.db.selectFrom("runs").select("id").where("subject_id", "=", id).execute()).map((row) => row.id));
      assert.equal((await user.post(`/contracts/${id}/run`, { csrf })).status, 303);
      const run = (await store.db.selectFrom("runs").select("id").where("subject_id", "=", id).execute()).find((row) => !before.has(row.id));
      assert.ok(run, "a run was made");
      for (let i = 0; i < 500 && (await getRun(store.db, run.id))?.status !== "done"; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      // The run's alerts are written just after it is marked done.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    it("is for signed-in staff; only editors and admins change contracts", async () => {
      const anonymous = testBrowser(app);
      assert.equal((await anonymous.get("/contracts")).status, 401);
      assert.equal((await anonymous.get("/alerts.atom")).status, 401);
      const { user: viewer, csrf } = await signedIn("viewer@example.org");
      assert.equal((await viewer.get("/contracts")).status, 200);
      assert.equal((await viewer.get("/contracts/new")).status, 403);
      assert.equal((await viewer.post("/contracts/new", { csrf, title: "X", buyer: "B", supplier: "S", standards: "https" })).status, 403);
    });

    it("previews the catalog's set for the categories, creates, and refuses bad fields naming them", async () => {
      const { user, csrf } = await signedIn("editor@example.org");
      const preview = await user.post("/contracts/new", { csrf, action: "preview", title: "Web hosting", buyer: "City", supplier: "ACME Hosting", categories: "web-hosting", cpv: "" });
      assert.equal(preview.status, 200);
      const text = await preview.text();
      assert.match(text, /role="status">The catalog&#39;s mandatory set for Websites and web hosting: 7 standard\(s\)/);
      assert.match(text, /name="standards" value="https" checked/);
      assert.match(text, /name="standards" value="caa">/, "a recommended standard is offered, not ticked");
      assert.match(text, /value="ACME Hosting"/, "the form keeps what was typed");

      const refused = await user.post("/contracts/new", { csrf, action: "save", title: "Web hosting", buyer: "City", supplier: "ACME Hosting", categories: "web-hosting", deadlineOn: "2026-13-01", assets: "shop.example ftp" });
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), /Assets, line 1: expected a domain and web or mail, got &#34;shop\.example ftp&#34;/);
      const badDate = await user.post("/contracts/new", { csrf, action: "save", title: "Web hosting", buyer: "City", supplier: "ACME Hosting", categories: "web-hosting", deadlineOn: "2026-13-01" });
      assert.equal(badDate.status, 400);
      assert.match(await badDate.text(), /deadlineOn: not a calendar date/);

      const created = await user.post("/contracts/new", {
        csrf,
        action: "save",
        title: "Web hosting",
        buyer: "City",
        supplier: "ACME Hosting",
        language: "fr",
        categories: "web-hosting",
        standards: ["https", "hsts"],
        deadlineOn: "2026-06-30",
        schedule: "weekly",
        assets: "shop.example web\nshop.example mail",
        webhookUrl: "https://hooks.city.example/baseline",
        webhookSecret: "keep-me",
      });
      assert.equal(created.status, 303, await created.text());
      const location = created.headers.get("location") ?? "";
      assert.match(location, /^\/contracts\/[\w-]+\?done=created$/);
      const page = await (await user.get(location)).text();
      assert.match(page, /role="status">Contract created\./);
      assert.match(page, /shop\.example \(web\)/);
      assert.match(page, /class="state-unchecked">not yet checked/);
      const id = location.split("/")[2]?.split("?")[0] ?? "";
      const contract = await getContract(store.db, id);
      assert.deepEqual(contract?.standards, ["https", "hsts"]);
      assert.ok(contract.nextRunAt, "a weekly schedule has its next run");

      // Edit without a secret keeps the one stored.
      const form = await (await user.get(`/contracts/${id}/edit`)).text();
      assert.ok(!form.includes("keep-me"), "the secret is never shown");
      const saved = await user.post(`/contracts/${id}/edit`, { csrf, action: "save", title: "Web hosting 2", buyer: "City", supplier: "ACME Hosting", language: "fr", standards: ["https", "hsts"], assets: "shop.example web", webhookUrl: "https://hooks.city.example/baseline", webhookSecret: "", schedule: "manual" });
      assert.equal(saved.status, 303);
      const edited = await getContract(store.db, id);
      assert.equal(edited?.webhookSecret, "keep-me");
      assert.equal(edited.title, "Web hosting 2");
      assert.equal(edited.nextRunAt, null);
    });

    it("runs now, shows compliance and the regression alert, records exemptions, writes the letter, serves the feed", async () => {
      const { user, csrf } = await signedIn("editor@example.org");
      hsts = "passed";
      const created = await user.post("/contracts/new", { csrf, action: "save", title: "Shop", buyer: "City of Ghent", supplier: "Shop & Co", language: "nl", standards: ["https", "hsts", "iso-27001"], assets: "shop.example", schedule: "manual" });
      const id = (created.headers.get("location") ?? "").split("/")[2]?.split("?")[0] ?? "";
      await runAndWait(user, csrf, id);
      assert.match(await (await user.get(`/contracts/${id}`)).text(), /2 compliant · 0 failing/);
      hsts = "failed";
      await runAndWait(user, csrf, id);
      const page = await (await user.get(`/contracts/${id}`)).text();
      assert.match(page, /1 compliant · 1 failing · 0 exempted/);
      assert.match(page, /class="state-failing">failing<\/td><td>failing since /);
      assert.match(page, /hsts probe: hsts failed on shop\.example/);
      assert.match(page, /no automated check covers on these assets \(evidence on paper\): ISO\/IEC 27001/);
      assert.match(page, /<td>regression<\/td><td>Shop: 1 test\(s\) got worse on 1 domain\(s\)<\/td><td>pending<\/td><td>pending<\/td>/, "no delivery configured here: the states wait");

      const exempted = await user.post(`/contracts/${id}/exemptions`, { csrf, standard: "hsts", reason: "Legacy kiosk clients", decidedBy: "CISO", expiresOn: "2099-12-31" });
      assert.equal(exempted.status, 303);
      const withExemption = await (await user.get(`/contracts/${id}`)).text();
      assert.match(withExemption, /class="state-exempted">exempted<\/td><td>until 2099-12-31<\/td><td>Legacy kiosk clients/);
      const refused = await user.post(`/contracts/${id}/exemptions`, { csrf, standard: "dmarc", reason: "x", decidedBy: "y" });
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), /does not require &#34;dmarc&#34;/);

      const letter = await (await user.get(`/contracts/${id}/letter.html?lang=es`)).text();
      assert.match(letter, /<html lang="es">/);
      assert.match(letter, /Los requisitos siguientes están exentos/);
      const exemptionId = withExemption.match(/action="\/contracts\/[\w-]+\/exemptions\/([\w-]+)\/delete"/)?.[1] ?? "";
      assert.equal((await user.post(`/contracts/${id}/exemptions/${exemptionId}/delete`, { csrf })).status, 303);
      const docx = await user.get(`/contracts/${id}/letter.docx`);
      assert.equal(docx.headers.get("content-type"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
      assert.match(docx.headers.get("content-disposition") ?? "", /letter-Shop-Co-nl\.docx/);
      assert.equal(Buffer.from(await docx.arrayBuffer()).subarray(0, 2).toString(), "PK");
      const markdown = await (await user.get(`/contracts/${id}/letter.md`)).text();
      assert.match(markdown, /## R2\. HSTS/);
      assert.ok(markdown.replace(/\\/g, "").includes(catalog.standard("hsts").clause.mandatory.nl), "the Dutch clause");

      const supplier = await (await user.get(`/suppliers/${encodeURIComponent("shop & co")}`)).text();
      assert.match(supplier, /Supplier: Shop &#38; Co/);
      assert.match(supplier, /href="\/contracts\/[\w-]+">Shop<\/a>/);

      // The feed: its address (with the token) is on the list page; a reader sends no cookie.
      const list = await (await user.get("/contracts")).text();
      const feedPath = (list.match(/href="http:\/\/localhost(\/alerts\.atom\?[^"]+)"/)?.[1] ?? "").replace(/&#38;/g, "&");
      assert.match(feedPath, /^\/alerts\.atom\?user=[\w-]+&token=[\w-]{32}$/);
      const reader = testBrowser(app);
      const feed = await reader.get(feedPath);
      assert.equal(feed.status, 200);
      assert.match(feed.headers.get("content-type") ?? "", /application\/atom\+xml/);
      const parsed = new XMLParser().parse(await feed.text()) as { feed: { entry: { title: string } | { title: string }[] } };
      const entries = [parsed.feed.entry].flat();
      assert.ok(entries.some((entry) => entry.title === "Shop: 1 test(s) got worse on 1 domain(s)"));
      assert.equal((await reader.get(feedPath.replace(/token=([\w-])/, (_, first: string) => `token=${first === "A" ? "B" : "A"}`))).status, 401);
      const contractFeed = await reader.get(feedPath.replace("/alerts.atom", `/contracts/${id}/alerts.atom`));
      assert.equal(contractFeed.status, 200);
    });

    it("a tender document fills the form with the standards it requested", async () => {
      const { user, csrf } = await signedIn("editor@example.org");
      const form = new FormData();
      form.set("csrf", csrf);
      const tender = "Tender: hosting of the municipal website\n\nCPV 72415000-2 Web-site hosting services.\n\nThe contractor shall serve the website over HTTPS only, with HSTS, and sign the DNS zone with DNSSEC.\nThe website shall be reachable over IPv6.\n";
      form.set("file", new File([tender], "hosting-tender.txt", { type: "text/plain" }));
      const response = await user.upload("/contracts/from-tender", form);
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.match(text, /Read from hosting-tender\.txt: \d+ standard\(s\) requested/);
      for (const standard of ["https", "hsts", "dnssec", "ipv6"]) assert.match(text, new RegExp(`name="standards" value="${standard}" checked`));
      assert.match(text, /name="standards" value="dane">/, "not requested, not ticked");
      assert.match(text, /action="\/contracts\/new"/);
      const wrong = new FormData();
      wrong.set("csrf", csrf);
      wrong.set("file", new File(["x"], "tender.exe"));
      assert.equal((await user.upload("/contracts/from-tender", wrong)).status, 400);
    });

    it("imports contracts from JSON, all or nothing", async () => {
      const { user, csrf } = await signedIn("admin@example.org");
      const count = (await listContracts(store.db)).length;
      const upload = async (content: unknown): Promise<Response> => {
        const form = new FormData();
        form.set("csrf", csrf);
        form.set("file", new File([JSON.stringify(content)], "contracts.json", { type: "application/json" }));
        return user.upload("/contracts/import", form);
      };
      const bad = await upload([{ title: "A", buyer: "B", supplier: "Imp", standards: ["https"] }, { title: "B", buyer: "B", supplier: "Imp", standards: ["https"], assets: [{ domain: "x", suite: "gopher" }] }]);
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /contracts\.json: invalid contract 2: assets\.0\.suite/);
      assert.equal((await listContracts(store.db)).length, count);
      const good = await upload([{ title: "A", buyer: "B", supplier: "Imp", categories: ["email-service"], assets: [{ domain: "imp.example", suite: "mail" }] }]);
      assert.equal(good.status, 200);
      assert.match(await good.text(), /1 contract\(s\) imported/);
      assert.equal((await listContracts(store.db)).length, count + 1);
    });
  });
}
