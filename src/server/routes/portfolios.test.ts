// The portfolio pages through Hono's fetch handler, on SQLite and
// PostgreSQL, with a real CampaignEngine (embedded queue) whose check is a
// stand-in: who may look and who may change, the form's errors, an import
// with bad lines (each reported, the rest kept) and one over the limit,
// two runs started from the page and followed to their end, the dashboard
// (regressions, matrix, charts with tables), the drill-down, the exports,
// and the pages in French.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import ExcelJS from "exceljs";
import { loadCatalog } from "../../catalog/load.ts";
import { CampaignEngine } from "../../campaigns/engine.ts";
import { stubReport } from "../../campaigns/portfolio-test-support.ts";
import { getPortfolio, listPortfolios, MAX_PORTFOLIO_DOMAINS } from "../../campaigns/portfolios.ts";
import { defaultSettings } from "../../checks/context.ts";
import type { CheckStatus, DomainReport, Suite } from "../../checks/types.ts";
import { createResolver } from "../../dns/resolver.ts";
import { EmbeddedQueue } from "../../jobs/embedded.ts";
import { createInstitution, listAudit } from "../../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { createTestAccounts, testBrowser, type TestBrowser } from "../test-browser.ts";

for (const dialect of TEST_DIALECTS) {
  describe(`portfolio pages on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let campaigns: CampaignEngine;
    let app: ReturnType<typeof createApp>;
    let editor: TestBrowser;
    let viewer: TestBrowser;
    let portfolioId = "";
    /** What the stand-in check answers: run 1 all passed, from run 2 on a.example fails HSTS. */
    let round = 1;

    before(async () => {
      store = await openTestStore(dialect, { name: "portfolio_pages" });
      await createTestAccounts(store);
      campaigns = new CampaignEngine({
        store,
        settings: defaultSettings(createResolver()),
        queue: new EmbeddedQueue(store, { concurrency: 4, pollMs: 20 }),
        check: (domain: string, suite: Suite): Promise<DomainReport> => {
          const statuses: Record<string, CheckStatus> = round >= 2 && domain === "a.example" ? { "web.hsts": "failed" } : {};
          return Promise.resolve(stubReport(domain, suite, statuses, new Date().toISOString()));
        },
      });
      await campaigns.start();
      app = createApp({ store, catalog: loadCatalog(), limiter: new LoginLimiter(), secureCookies: false, campaigns });
      editor = testBrowser(app);
      await editor.login("editor@example.org");
      viewer = testBrowser(app);
      await viewer.login("viewer@example.org");
    });
    after(async () => {
      await campaigns.stop();
      await store.close();
    });

    /** Waits until the portfolio has no run under way (the page says so). */
    async function waitForRun(): Promise<void> {
      for (let attempt = 0; attempt < 400; attempt++) {
        const body = await (await editor.get(`/portfolios/${portfolioId}`)).text();
        if (!body.includes('http-equiv="refresh"')) return;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.fail("the run did not finish");
    }

    it("sends anonymous visitors to the login page, and lets viewers look but not change", async () => {
      const anonymous = await app.request("/portfolios");
      assert.equal(anonymous.status, 303);
      assert.equal(anonymous.headers.get("location"), "/login");
      const list = await viewer.get("/portfolios");
      assert.equal(list.status, 200);
      const body = await list.text();
      assert.match(body, /No portfolio yet\./);
      assert.doesNotMatch(body, /href="\/portfolios\/new"/);
      assert.equal((await viewer.get("/portfolios/new")).status, 403);
      const csrf = await viewer.csrf("/portfolios");
      assert.equal((await viewer.post("/portfolios/new", { csrf, name: "Mine" })).status, 403);
      assert.equal((await listPortfolios(store.db)).length, 0);
    });

    it("shows the form's errors next to their fields, and creates a portfolio with its schedule", async () => {
      const csrf = await editor.csrf("/portfolios/new");
      const bad = await editor.post("/portfolios/new", { csrf, name: "", suites: "web", scheduleChoice: "cron", cron: "every day", alertEmails: "not-an-address", webhookUrl: "" });
      assert.equal(bad.status, 400);
      const page = await bad.text();
      assert.match(page, /<p class="error" id="name-error">must not be empty<\/p>/);
      assert.match(page, /<p class="error" id="schedule-error">schedule &#34;every day&#34;: expected manual, daily, weekly, monthly or a cron expression/);
      assert.match(page, /id="alertEmails-error">must be an e-mail address/);
      assert.match(page, /value="every day"/, "what was typed comes back");

      const created = await editor.post("/portfolios/new", { csrf, name: "Ministries", description: "Central government", suites: "web", scheduleChoice: "weekly", cron: "", alertEmails: "ciso@example.org\nsoc@example.org", webhookUrl: "https://hooks.example.org/baseline", webhookSecret: "s3cret" });
      assert.equal(created.status, 303);
      const location = created.headers.get("location") ?? "";
      const id = /^\/portfolios\/([^/]+)\/import\?created=1$/.exec(location)?.[1];
      assert.ok(id, location);
      portfolioId = id;
      const portfolio = await getPortfolio(store.db, portfolioId);
      assert.ok(portfolio);
      assert.equal(portfolio.schedule, "weekly");
      assert.ok(portfolio.nextRunAt, "a schedule sets the next run");
      assert.deepEqual(portfolio.alertEmails, ["ciso@example.org", "soc@example.org"]);
      assert.match(await (await editor.get(location)).text(), /Portfolio created\. Now add its domains\./);
    });

    it("imports a list, reporting each bad line with its number, value and why, and keeping the rest", async () => {
      const csrf = await editor.csrf(`/portfolios/${portfolioId}/import`);
      const list = "domain,organisation,sector,region\na.example,Ministry A,government,155\nnot a domain,Ministry B,government,155\nb.example,Ministry B,government,155\na.example,Again,government,155\n";
      const response = await editor.post(`/portfolios/${portfolioId}/import`, { csrf, list });
      assert.equal(response.status, 200);
      const page = await response.text();
      assert.match(page, /2 domain\(s\) added, 0 already there updated; 2 line\(s\) not taken\. The portfolio has 2 domains\./);
      assert.match(page, /<tr><td class="num">3<\/td><td><code>not a domain<\/code><\/td><td>&#34;not a domain&#34; is not a domain name \(give the host only, e\.g\. example\.org\)<\/td><\/tr>/);
      assert.match(page, /<tr><td class="num">5<\/td><td><code>a\.example<\/code><\/td><td>a\.example is already on line 2; the first is kept<\/td><\/tr>/);

      const upload = new FormData();
      upload.set("csrf", csrf);
      upload.set("file", new File(["c.example\n"], "more.txt", { type: "text/plain" }));
      const uploaded = await editor.upload(`/portfolios/${portfolioId}/import`, upload);
      assert.match(await uploaded.text(), /1 domain\(s\) added.*The portfolio has 3 domains/);

      const institution = await createInstitution(store.db, { name: "Data Agency", kind: "regulator", country: "NL", region: "155", sector: "data" }, null);
      const picked = await editor.post(`/portfolios/${portfolioId}/import`, { csrf, institution: institution.id, institutionDomains: "agency.example" });
      assert.match(await picked.text(), /The portfolio has 4 domains/);
      const { items } = await listAudit(store.db, { entity: "portfolio", entityId: portfolioId });
      assert.ok(items.some((item) => item.action === "import" && JSON.stringify(item.detail).includes("institution Data Agency")));

      const tooMany = Array.from({ length: MAX_PORTFOLIO_DOMAINS + 1 }, (_, index) => `d${index}.example`).join("\n");
      const refused = await editor.post(`/portfolios/${portfolioId}/import`, { csrf, list: tooMany });
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), new RegExp(`Nothing was added: the list has ${MAX_PORTFOLIO_DOMAINS + 1} domains; the limit is ${MAX_PORTFOLIO_DOMAINS} domains per portfolio\\.`));
      const empty = await editor.post(`/portfolios/${portfolioId}/import`, { csrf, list: "  " });
      assert.equal(empty.status, 400);
    });

    it("starts runs from the page, follows them, and shows regressions, the matrix and the charts", async () => {
      assert.equal((await viewer.post(`/portfolios/${portfolioId}/run`, { csrf: await viewer.csrf("/portfolios") })).status, 403);
      const csrf = await editor.csrf(`/portfolios/${portfolioId}`);
      const started = await editor.post(`/portfolios/${portfolioId}/run`, { csrf });
      assert.equal(started.status, 303);
      await waitForRun();
      let page = await (await editor.get(`/portfolios/${portfolioId}`)).text();
      assert.match(page, /The charts over time appear after the second run\./);
      round = 2;
      await editor.post(`/portfolios/${portfolioId}/run`, { csrf });
      await waitForRun();
      page = await (await viewer.get(`/portfolios/${portfolioId}`)).text();
      // Regressions since the run before: a.example's HSTS.
      assert.match(page, /<h2 id="regressions">Got worse since the run before<\/h2>/);
      assert.match(page, /<th scope="row"><a href="\/portfolios\/[^"]+\/domains\/a\.example\?run=[^"]+">a\.example<\/a><\/th><td><code>web\.hsts<\/code><\/td>/);
      // The matrix: categories as columns, a symbol, the score and the word in each cell.
      assert.match(page, /<th scope="col" title="HTTPS and TLS">HTTPS \/ TLS<\/th>/);
      assert.match(page, /<td class="pf-cell bl-failed" title="HTTPS \/ TLS: failed"><span class="pf-sym" aria-hidden="true">✗<\/span> \d+<span class="pf-sr"> failed<\/span><\/td>/);
      assert.match(page, /<td class="pf-cell bl-passed" title="Web IPv6: passed">/);
      assert.match(page, /<td>Ministry A<\/td>/);
      // Charts: SVG with title and desc, and tables with the same figures.
      assert.match(page, /<svg [^>]*role="img" aria-labelledby="adoption-latest-title adoption-latest-desc"/);
      assert.match(page, /<title id="adoption-0-title">Adoption of [^<]+ over time<\/title>/);
      assert.match(page, /<table class="figures"><caption>Adoption per standard in each run/);
      assert.match(page, /<th scope="row">Website · HSTS<\/th><td class="num">100%<\/td><td class="num">75%<\/td>/);
      assert.doesNotMatch(page, /<script/);
      // The alert the second run raised.
      assert.match(page, /<h2 id="alerts">Alerts<\/h2>/);
      assert.match(page, /<td>got worse<\/td><td>Ministries: 1 test\(s\) got worse on 1 domain\(s\)<\/td>/);
      // Viewers see no buttons that would change anything.
      assert.doesNotMatch(page, /action="\/portfolios\/[^"]+\/run"/);
    });

    it("drills down to a domain's stored report and its history", async () => {
      const response = await viewer.get(`/portfolios/${portfolioId}/domains/a.example`);
      assert.equal(response.status, 200);
      const page = await response.text();
      assert.match(page, /<h1>a\.example in Ministries<\/h1>/);
      assert.match(page, /<li[^>]*data-test="web\.hsts"/);
      assert.match(page, /<h2>Needs attention \(1\)<\/h2>/);
      assert.match(page, /<strong>HSTS<\/strong> <code class="muted">web\.hsts<\/code> <strong class="pf-down">\(worse since the run before\)<\/strong>/);
      assert.match(page, /This domain in the portfolio&#39;s runs/);
      assert.equal((await viewer.get(`/portfolios/${portfolioId}/domains/nowhere.example`)).status, 404);
      assert.equal((await viewer.get(`/portfolios/${portfolioId}/domains/a.example?run=not-a-run`)).status, 404);
    });

    it("exports the latest run as CSV and XLSX", async () => {
      const csv = await viewer.get(`/portfolios/${portfolioId}/export.csv`);
      assert.equal(csv.headers.get("content-type"), "text/csv; charset=utf-8");
      assert.match(csv.headers.get("content-disposition") ?? "", /^attachment; filename="Ministries-\d{4}-\d{2}-\d{2}\.csv"$/);
      const text = await csv.text();
      assert.match(text, /^\uFEFF?domain,organisation,sector,region,web score/);
      assert.equal(text.trim().split("\r\n").length, 5, "a header and four domains");
      const xlsx = await viewer.get(`/portfolios/${portfolioId}/export.xlsx`);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(await xlsx.arrayBuffer());
      assert.deepEqual(workbook.worksheets.map((sheet) => sheet.name), ["Domains", "Adoption", "Regressions"]);
      assert.equal(workbook.getWorksheet("Regressions")?.getRow(2).getCell(1).value, "a.example");
    });

    it("edits the schedule, keeps the secret unless removed, and speaks French", async () => {
      const csrf = await editor.csrf(`/portfolios/${portfolioId}/edit`);
      const saved = await editor.post(`/portfolios/${portfolioId}/edit`, { csrf, name: "Ministries", suites: "web", scheduleChoice: "cron", cron: "30 6 * * 1-5", alertEmails: "", webhookUrl: "", webhookSecret: "" });
      assert.equal(saved.status, 303);
      const edited = await getPortfolio(store.db, portfolioId);
      assert.ok(edited);
      assert.equal(edited.schedule, "30 6 * * 1-5");
      assert.equal(edited.webhookSecret, "s3cret");
      await editor.post(`/portfolios/${portfolioId}/edit`, { csrf, name: "Ministries", suites: "web", scheduleChoice: "manual", removeSecret: "on" });
      const manual = await getPortfolio(store.db, portfolioId);
      assert.ok(manual);
      assert.equal(manual.webhookSecret, null);
      assert.equal(manual.nextRunAt, null);
      const french = await (await editor.get(`/portfolios/${portfolioId}?lang=fr`)).text();
      assert.match(french, /<h2 id="matrix">Domaines × catégories<\/h2>/);
      assert.match(french, /Dégradé depuis l&#39;exécution précédente/);
    });

    it("deletes a portfolio only when confirmed", async () => {
      const csrf = await editor.csrf(`/portfolios/${portfolioId}/edit`);
      assert.equal((await editor.post(`/portfolios/${portfolioId}/delete`, { csrf })).status, 400);
      assert.equal((await editor.post(`/portfolios/${portfolioId}/delete`, { csrf, confirm: "on" })).status, 303);
      assert.equal((await viewer.get(`/portfolios/${portfolioId}`)).status, 404);
    });
  });
}
