// End-to-end (slow): a portfolio in real Chromium (Debian's package, driven
// by playwright-core). An editor signs in, creates a portfolio, imports a
// list with a bad line and reads the report, sets a cron schedule, runs it
// twice and watches each run finish (the page refreshes itself, no
// script), reads the regressions, the matrix and the charts, drills down
// to a domain, and downloads the CSV and the XLSX (opened with exceljs).
//
// The runs go through a real CampaignEngine (embedded queue, results in
// the store) whose check is a stand-in with known verdicts, so that what
// got worse is known and nothing is probed; the same pages over real checks
// of the web lab are tested in test/lab/portfolio-lab.test.ts.
// Screenshots at 1280 px wide: /tmp/portfolio-list.png,
// /tmp/portfolio-import-report.png, /tmp/portfolio-dashboard.png,
// /tmp/portfolio-drilldown.png.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { serve, type ServerType } from "@hono/node-server";
import ExcelJS from "exceljs";
import { chromium, type Browser, type Page } from "playwright-core";
import { loadCatalog } from "../../src/catalog/load.ts";
import { CampaignEngine } from "../../src/campaigns/engine.ts";
import { stubReport } from "../../src/campaigns/portfolio-test-support.ts";
import { defaultSettings } from "../../src/checks/context.ts";
import type { CheckStatus, DomainReport, Suite } from "../../src/checks/types.ts";
import { createResolver } from "../../src/dns/resolver.ts";
import { EmbeddedQueue } from "../../src/jobs/embedded.ts";
import { createApp } from "../../src/server/app.ts";
import { LoginLimiter } from "../../src/server/auth.ts";
import { createTestAccounts, TEST_PASSWORD } from "../../src/server/test-browser.ts";
import { openTestStore, type TestStore } from "../../src/store/test-databases.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_MISSING = existsSync(CHROMIUM) ? undefined : `Chromium is not installed at ${CHROMIUM} (scripts/system-deps.sh installs it)`;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const STEP_TIMEOUT_MS = 10_000;
/** A run of six domains with a pause per check, plus the page's 5 s refresh. */
const RUN_TIMEOUT_MS = 30_000;

/** The stand-in's verdicts per round: some failures from the start, and what changes in the second run. */
const VERDICTS: Record<string, (round: number) => Record<string, CheckStatus>> = {
  "ministry-a.example": (round): Record<string, CheckStatus> => (round >= 2 ? { "web.hsts": "failed", "web.tls.versions": "failed" } : {}),
  "ministry-b.example": (round) => ({ "web.dnssec.exists": "failed", "web.dnssec.valid": "failed", "mail.dmarc.policy": "failed", ...(round >= 2 ? {} : { "web.security-txt": "failed" }) }),
  "agency-c.example": () => ({ "web.ipv6.aaaa": "failed", "web.ipv6.reachable": "failed", "mail.starttls.available": "error" }),
  "agency-d.example": () => ({ "web.headers.csp": "failed", "web.rpki.valid": "error" }),
  "council-e.example": (round) => ({ "web.hsts": "failed", "mail.spf.policy": round >= 2 ? "failed" : "passed", "mail.dane.exists": "failed" }),
};

function skippedWithoutChromium(t: TestContext): boolean {
  if (CHROMIUM_MISSING) t.skip(CHROMIUM_MISSING);
  return CHROMIUM_MISSING !== undefined;
}

describe("portfolios in Chromium (slow)", { timeout: 180_000 }, () => {
  let store: TestStore;
  let server: ServerType;
  let browser: Browser;
  let page: Page;
  let campaigns: CampaignEngine;
  let round = 1;
  let dashboardPath = "";
  const work = mkdtempSync(join(tmpdir(), "baseline-portfolio-e2e-"));

  before(async () => {
    if (CHROMIUM_MISSING) return;
    store = await openTestStore("sqlite", { name: "portfolio_e2e", file: true });
    await createTestAccounts(store, ["editor"]);
    campaigns = new CampaignEngine({
      store,
      settings: defaultSettings(createResolver()),
      queue: new EmbeddedQueue(store, { concurrency: 2, pollMs: 50 }),
      check: async (domain: string, suite: Suite): Promise<DomainReport> => {
        // Slow enough that the browser sees the run under way.
        await new Promise((resolve) => setTimeout(resolve, 250));
        return stubReport(domain, suite, VERDICTS[domain]?.(round) ?? {}, new Date().toISOString());
      },
    });
    await campaigns.start();
    const app = createApp({ store, catalog: loadCatalog(), limiter: new LoginLimiter(), secureCookies: false, campaigns });
    const baseURL = await new Promise<string>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ baseURL, locale: "en-US", viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    page = await context.newPage();
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    if (CHROMIUM_MISSING) return;
    if (typeof browser !== "undefined") await browser.close();
    if (typeof server !== "undefined") await new Promise<void>((resolve) => server.close(() => resolve()));
    if (typeof campaigns !== "undefined") await campaigns.stop();
    if (typeof store !== "undefined") await store.close();
  });

  /** Presses "Run now", sees the run under way, and waits until the page (refreshing itself) shows it finished. */
  async function runAndWatch(): Promise<void> {
    await page.getByRole("button", { name: "Run now", exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get("started") === "1");
    assert.match(await page.locator(".pf-progress").innerText(), /Run (queued|under way): \d+ of 10 checked/);
    await page.locator(".pf-progress").waitFor({ state: "detached", timeout: RUN_TIMEOUT_MS });
    await page.getByRole("button", { name: "Run now", exact: true }).waitFor();
  }

  it("signs in, creates a portfolio and imports a list with a bad line", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await page.goto("/login");
    await page.getByLabel("E-mail", { exact: true }).fill("editor@example.org");
    await page.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await page.getByRole("link", { name: "Portfolios", exact: true }).click();
    await page.getByRole("link", { name: "New portfolio", exact: true }).click();
    await page.getByLabel("Name", { exact: true }).fill("Central government");
    await page.getByLabel("Description", { exact: true }).fill("Ministries and agencies of the central government");
    await page.getByLabel("What to check", { exact: true }).selectOption("all");
    await page.getByLabel("Weekly (Mondays 02:00 UTC)").check();
    await page.getByLabel("Alert e-mails when something gets worse (one per line)").fill("ciso@example.org");
    await page.getByRole("button", { name: "Create the portfolio", exact: true }).click();
    await page.waitForURL((url) => url.pathname.endsWith("/import"));
    assert.match(await page.getByRole("status").innerText(), /Portfolio created/);

    const list = [
      "domain,organisation,sector,region",
      "ministry-a.example,Ministry of Health,health,155",
      "ministry-b.example,Ministry of Finance,finance,155",
      "https://www.agency.example/,Tax Agency,finance,155",
      "agency-c.example,Data Agency,digital,155",
      "agency-d.example,Statistics Agency,statistics,155",
    ].join("\n");
    await page.getByLabel("Domains (one per line, or CSV with its header)").fill(list);
    await page.getByRole("button", { name: "Add these domains" }).first().click();
    await page.waitForURL((url) => url.pathname.endsWith("/import"));
    assert.match(await page.getByRole("alert").innerText(), /1 line\(s\) could not be taken; the others were added\./);
    assert.match(await page.locator("main").innerText(), /4 domain\(s\) added, 0 already there updated; 1 line\(s\) not taken\. The portfolio has 4 domains\./);
    const problem = page.locator("table.pf-problems tbody tr");
    assert.equal(await problem.count(), 1);
    assert.deepEqual((await problem.locator("td").allInnerTexts()).map((text) => text.trim()), ["4", "https://www.agency.example/", '"https://www.agency.example/" is not a domain name (give the host only, e.g. example.org)']);
    await page.screenshot({ path: "/tmp/portfolio-import-report.png", fullPage: true });

    // A file upload: the fifth domain.
    await page.getByRole("link", { name: "Add more domains" }).click();
    const file = join(work, "more.txt");
    writeFileSync(file, "# one more\ncouncil-e.example\n");
    await page.getByLabel(/CSV or text file/).setInputFiles(file);
    await page.getByRole("button", { name: "Add these domains" }).nth(1).click();
    assert.match(await page.locator("main").innerText(), /The portfolio has 5 domains/);
    await page.getByRole("link", { name: "To the portfolio" }).click();
    dashboardPath = new URL(page.url()).pathname;
    assert.match(await page.locator("main").innerText(), /Not checked yet/);
  });

  it("sets a cron schedule", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await page.getByRole("link", { name: "Edit settings" }).click();
    await page.getByLabel("Custom (cron expression, UTC)").check();
    await page.getByLabel(/^Cron expression/).fill("0 3 * * 1-5");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.waitForURL((url) => url.pathname === dashboardPath);
    assert.match(await page.getByRole("status").innerText(), /Portfolio saved/);
    const summary = await page.locator(".pf-summary").innerText();
    assert.match(summary, /cron 0 3 \* \* 1-5 \(UTC\)/);
    assert.match(summary, /next: \d{4}-\d{2}-\d{2} 03:00 UTC/);
  });

  it("runs twice, watching each run finish, and shows regressions, the matrix and the charts", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await runAndWatch();
    assert.match(await page.locator("main").innerText(), /The charts over time appear after the second run\./);
    round = 2;
    await runAndWatch();

    const regressions = page.locator("#regressions + p + table tbody tr");
    const rows = (await regressions.allInnerTexts()).map((text) => text.replace(/\s+/g, " ").trim());
    assert.equal(rows.length, 3, rows.join("\n"));
    assert.ok(rows.some((row) => row.startsWith("ministry-a.example web.hsts")));
    assert.ok(rows.some((row) => row.startsWith("council-e.example mail.spf.policy")));

    // The matrix: a row per domain, categories as columns, a symbol and a word in each status cell.
    const matrix = page.locator("table.pf-matrix");
    assert.equal(await matrix.locator("tbody tr").count(), 5);
    const heads = (await matrix.locator("thead th").allInnerTexts()).map((text) => text.trim());
    assert.deepEqual(heads.slice(4), ["Web IPv6", "Web DNSSEC", "HTTPS / TLS", "Security headers", "Web RPKI", "Mail IPv6", "Mail DNSSEC", "DMARC / DKIM / SPF", "STARTTLS / DANE", "Mail RPKI"]);
    const ministryB = matrix.locator("tbody tr").filter({ hasText: "ministry-b.example" });
    const dnssec = ministryB.locator("td.pf-cell").nth(1);
    assert.match((await dnssec.getAttribute("class")) ?? "", /bl-failed/);
    assert.match(await dnssec.textContent() ?? "", /✗ 0 failed/);

    // Charts: the latest bars and one line per standard, with their tables.
    assert.equal(await page.locator('svg[aria-labelledby="adoption-latest-title adoption-latest-desc"]').count(), 1);
    const lines = page.locator(".pf-grid figure svg");
    assert.ok((await lines.count()) >= 10);
    assert.equal(await lines.first().locator("path[stroke]").count(), 1);
    const history = page.locator("table.figures").filter({ hasText: "Adoption per standard in each run" });
    const hsts = history.locator("tbody tr").filter({ has: page.locator('th:text-is("Website · HSTS")') });
    assert.deepEqual((await hsts.locator("td").allInnerTexts()).map((text) => text.trim()), ["80%", "60%"]);
    await page.screenshot({ path: "/tmp/portfolio-dashboard.png", fullPage: true });
  });

  it("drills down to a domain's report", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await page.locator("table.pf-matrix").getByRole("link", { name: "ministry-a.example" }).click();
    assert.equal(await page.locator("h1").innerText(), "ministry-a.example in Central government");
    const hsts = page.locator('li[data-test="web.hsts"]');
    assert.match(await hsts.innerText(), /failed/);
    assert.equal(await page.locator("section.bl-category").count(), 10, "web and mail categories");
    await page.screenshot({ path: "/tmp/portfolio-drilldown.png", fullPage: false });
    await page.getByRole("link", { name: "← Central government" }).click();
  });

  it("downloads the CSV and the XLSX", async (t) => {
    if (skippedWithoutChromium(t)) return;
    const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "CSV", exact: true }).click()]);
    const csvPath = join(work, "export.csv");
    await csvDownload.saveAs(csvPath);
    assert.match(csvDownload.suggestedFilename(), /^Central-government-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync(csvPath, "utf8");
    assert.equal(csv.trim().split("\r\n").length, 6);
    assert.match(csv, /ministry-a\.example,Ministry of Health,health,155,/);

    const [xlsxDownload] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "XLSX", exact: true }).click()]);
    const xlsxPath = join(work, "export.xlsx");
    await xlsxDownload.saveAs(xlsxPath);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(xlsxPath);
    assert.deepEqual(workbook.worksheets.map((sheet) => sheet.name), ["Domains", "Adoption", "Regressions"]);
    const domains = workbook.getWorksheet("Domains");
    assert.equal(domains?.rowCount, 6);
    assert.equal(workbook.getWorksheet("Regressions")?.rowCount, 4, "a header and three regressions");

    await page.getByRole("link", { name: "Portfolios", exact: true }).click();
    assert.equal(await page.locator("main table tbody tr").count(), 1);
    await page.screenshot({ path: "/tmp/portfolio-list.png", fullPage: false });
  });
});
