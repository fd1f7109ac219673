// A portfolio over real checks of the web lab (slow; needs root, like
// test/lab/web-lab.test.ts, and Chromium): an editor presses "Run now" in
// Chromium, a CampaignEngine with the real checkAndScore checks the
// portfolio's domains in the lab, the page follows the run to its end, and
// the portfolio pages read what it stored. Screenshot:
// /tmp/portfolio-lab-dashboard.png.
// The browser test (test/e2e/portfolios.test.ts) uses a stand-in check so
// that it is quick and its regressions are known; this one shows that the
// same path works on reports the checks really make: per-test verdicts
// stored, the matrix's categories from the real reports, adoption counted,
// the drill-down and the CSV.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import { chromium, type Browser } from "playwright-core";
import { loadCatalog } from "../../src/catalog/load.ts";
import { adoptionHistory, latestRuns } from "../../src/campaigns/dashboard.ts";
import { CampaignEngine } from "../../src/campaigns/engine.ts";
import { addPortfolioDomains, createPortfolio } from "../../src/campaigns/portfolios.ts";
import { defaultSettings, type CheckSettings } from "../../src/checks/context.ts";
import { loadBgpOrigins, loadVrps } from "../../src/checks/routing-data.ts";
import { parseRecords } from "../../src/dns/presentation.ts";
import { createResolver } from "../../src/dns/resolver.ts";
import { EmbeddedQueue } from "../../src/jobs/embedded.ts";
import { createApp } from "../../src/server/app.ts";
import { LoginLimiter } from "../../src/server/auth.ts";
import { createTestAccounts, TEST_PASSWORD, testBrowser, type TestBrowser } from "../../src/server/test-browser.ts";
import { openTestStore, type TestStore } from "../../src/store/test-databases.ts";
import { acquireLab, releaseLab } from "./lab-lock.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const netDir = fileURLToPath(new URL("../../lab/net/", import.meta.url));
const netRun = join(netDir, "run");
const dnsRun = fileURLToPath(new URL("../../lab/dns/run/", import.meta.url));

function missingTool(): string | null {
  if (process.getuid?.() !== 0) return "needs root (ports 53, 80, 443 on loopback, addresses on lo)";
  if (!existsSync(CHROMIUM)) return `Chromium is not installed at ${CHROMIUM} (scripts/system-deps.sh installs it)`;
  for (const tool of ["nginx", "openssl", "ip"]) {
    const found = spawnSync("bash", ["-c", `PATH=$PATH:/usr/sbin:/sbin command -v ${tool}`], { encoding: "utf8" });
    if (found.status !== 0) return `${tool} is missing (scripts/system-deps.sh installs it)`;
  }
  return null;
}
const skip = missingTool();

/** As `baseline serve --allow-private --ca-file lab/net/run/ca.pem --rpki-vrps ... --bgp-origins ...` would check. */
function labSettings(): CheckSettings {
  const resolver = createResolver({
    rootHints: parseRecords(readFileSync(join(dnsRun, "root.hints"), "utf8"), "root.hints"),
    trustAnchors: parseRecords(readFileSync(join(dnsRun, "root-anchor.ds"), "utf8"), "root-anchor.ds"),
    allowPrivate: true,
    timeoutMs: 1500,
    retries: 1,
  });
  const vrpsFile = join(netDir, "rpki", "vrps.json");
  const originsFile = join(netDir, "rpki", "bgp-origins.txt");
  return defaultSettings(resolver, {
    allowPrivate: true,
    extraCa: [readFileSync(join(netRun, "ca.pem"), "utf8")],
    routing: { vrps: loadVrps(vrpsFile), origins: loadBgpOrigins(originsFile), sources: { vrps: vrpsFile, origins: originsFile } },
    timeoutMs: 3000,
    domainDeadlineMs: 25_000,
  });
}

const DOMAINS = ["good.web.secure", "no-hsts.web.secure", "v4only.web.secure", "good.web.insecure", "no-security-txt.web.secure"];

describe("a portfolio over the web lab (slow)", { skip: skip ?? false, timeout: 600_000 }, () => {
  let store: TestStore;
  let campaigns: CampaignEngine;
  let viewer: TestBrowser;
  let server: ServerType;
  let browser: Browser;
  let baseURL = "";
  let portfolioId = "";

  before(async () => {
    await acquireLab();
    const started = spawnSync("bash", [join(netDir, "start.sh")], { encoding: "utf8", timeout: 180_000 });
    assert.equal(started.status, 0, `lab/net/start.sh: ${started.stderr}`);
    store = await openTestStore("sqlite", { name: "portfolio_lab", file: true });
    await createTestAccounts(store, ["editor", "viewer"]);
    campaigns = new CampaignEngine({ store, settings: labSettings(), queue: new EmbeddedQueue(store, { concurrency: 5, pollMs: 50 }) });
    await campaigns.start();
    const app = createApp({ store, catalog: loadCatalog(), limiter: new LoginLimiter(), secureCookies: false, campaigns });
    baseURL = await new Promise<string>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    viewer = testBrowser(app);
    await viewer.login("viewer@example.org");
    const portfolio = await createPortfolio(store.db, { name: "Lab", suites: "web" }, null);
    portfolioId = portfolio.id;
    await addPortfolioDomains(store.db, portfolioId, DOMAINS.map((domain) => ({ domain, organisation: `Owner of ${domain}` })), null);
  });

  after(async () => {
    if (typeof browser !== "undefined") await browser.close();
    if (typeof server !== "undefined") await new Promise<void>((resolve) => server.close(() => resolve()));
    if (typeof campaigns !== "undefined") await campaigns.stop();
    if (typeof store !== "undefined") await store.close();
    spawnSync("bash", [join(netDir, "stop.sh")], { encoding: "utf8", timeout: 60_000 });
    releaseLab();
  });

  it("runs the real checks from the browser, stores each test's verdict, and the pages read them", async () => {
    const page = await browser.newPage({ baseURL, viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
    await page.goto("/login");
    await page.getByLabel("E-mail", { exact: true }).fill("editor@example.org");
    await page.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await page.goto(`/portfolios/${portfolioId}`);
    await page.getByRole("button", { name: "Run now", exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get("started") === "1");
    // The page refreshes itself until the run has finished.
    await page.locator(".pf-progress").waitFor({ state: "detached", timeout: 300_000 });
    assert.equal(await page.locator("table.pf-matrix tbody tr").count(), DOMAINS.length);
    await page.screenshot({ path: "/tmp/portfolio-lab-dashboard.png", fullPage: true });
    const run = (await latestRuns(store.db, portfolioId)).latest;
    assert.ok(run, "a finished run");
    const status = async (domain: string, test: string): Promise<string | undefined> =>
      (await store.db.selectFrom("result_tests").select("status").where("run_id", "=", run.id).where("domain", "=", domain).where("test_id", "=", test).executeTakeFirst())?.status;
    assert.equal(await status("good.web.secure", "web.hsts"), "passed");
    assert.equal(await status("no-hsts.web.secure", "web.hsts"), "failed");
    assert.equal(await status("v4only.web.secure", "web.ipv6.aaaa"), "failed");
    assert.equal(await status("good.web.insecure", "web.dnssec.exists"), "failed");
    assert.equal(await status("no-security-txt.web.secure", "web.security-txt"), "failed");

    const [adoption] = await adoptionHistory(store.db, portfolioId);
    const hsts = adoption?.standards.find((entry) => entry.standard === "hsts");
    assert.ok(hsts && hsts.notAdopted >= 1 && hsts.adopted >= 3, JSON.stringify(hsts));

    const dashboard = await (await viewer.get(`/portfolios/${portfolioId}`)).text();
    const row = (domain: string): string => new RegExp(`<tr><th scope="row"><a href="[^"]+">${domain.replaceAll(".", "\\.<wbr>")}</a></th>.*?</tr>`).exec(dashboard)?.[0] ?? "";
    assert.match(row("no-hsts.web.secure"), /<td class="pf-cell bl-failed" title="HTTPS \/ TLS: failed">/);
    assert.match(row("good.web.insecure"), /<td class="pf-cell bl-failed" title="Web DNSSEC: failed">/);
    assert.match(row("good.web.secure"), /<td class="pf-cell bl-passed" title="Web IPv6: passed">/);

    const drill = await (await viewer.get(`/portfolios/${portfolioId}/domains/no-hsts.web.secure`)).text();
    assert.match(drill, /<h2>Needs attention \(\d+\)<\/h2>/);
    assert.match(drill, /<strong>[^<]+<\/strong> <code class="muted">web\.hsts<\/code>/);
    const csv = await (await viewer.get(`/portfolios/${portfolioId}/export.csv`)).text();
    assert.equal(csv.trim().split("\r\n").length, DOMAINS.length + 1);
  });
});
