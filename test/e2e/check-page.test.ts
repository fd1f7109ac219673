// End-to-end (slow): /check and the standalone HTML report in real Chromium
// (Debian's package, driven by playwright-core). A visitor fills the form
// in, submits it and reads the report; hostile evidence must not run any
// script (no dialog opens); the evidence opens and closes; a domain that
// points only at private addresses gets its page. The checks are
// stand-ins (src/checks/report/test-reports.ts) so that nothing is probed;
// the private refusal reads the real DomainContext over fixed DNS answers.
// Screenshots: /tmp/check-page.png and /tmp/check-report-file.png.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { pathToFileURL } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import { chromium, type Browser, type Page } from "playwright-core";
import { loadCatalog } from "../../src/catalog/load.ts";
import { defaultSettings } from "../../src/checks/context.ts";
import { renderHtmlReport } from "../../src/checks/report/html.ts";
import { sampleReport } from "../../src/checks/report/test-reports.ts";
import type { Resolution, Resolver } from "../../src/dns/resolver.ts";
import { createApp } from "../../src/server/app.ts";
import { LoginLimiter } from "../../src/server/auth.ts";
import { openTestStore, type TestStore } from "../../src/store/test-databases.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_MISSING = existsSync(CHROMIUM) ? undefined : `Chromium is not installed at ${CHROMIUM} (scripts/system-deps.sh installs it)`;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const STEP_TIMEOUT_MS = 10_000;

function skippedWithoutChromium(t: TestContext): boolean {
  if (CHROMIUM_MISSING) t.skip(CHROMIUM_MISSING);
  return CHROMIUM_MISSING !== undefined;
}

/** Fixed answers: enough of a Resolver for DomainContext.addresses(). */
function fixedResolver(records: Record<string, string[]>): Resolver {
  const resolver = {
    resolve(name: string, type = "A"): Promise<Resolution> {
      const data = records[`${name} ${type}`] ?? [];
      return Promise.resolve({ name, type, rcode: "NOERROR", security: "insecure", reason: null, chain: [], referrals: [], answer: data.map((value) => ({ name, type, ttl: 60, data: value })) });
    },
  };
  // Only resolve() is read by the context.
  return resolver as unknown as Resolver;
}

describe("/check in Chromium (slow)", { timeout: 90_000 }, () => {
  let store: TestStore;
  let server: ServerType;
  let browser: Browser;
  let page: Page;
  let dialogs = 0;
  const work = mkdtempSync(join(tmpdir(), "baseline-check-e2e-"));

  before(async () => {
    if (CHROMIUM_MISSING) return;
    store = await openTestStore("sqlite", { name: "check_e2e" });
    const settings = defaultSettings(fixedResolver({ "supplier.example. A": ["8.8.8.8"], "intranet.example. A": ["10.1.2.3"] }));
    const app = createApp({ store, catalog: loadCatalog(), limiter: new LoginLimiter(), secureCookies: false, checks: { settings, check: (domain) => Promise.resolve(sampleReport(domain)) } });
    const baseURL = await new Promise<string>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ baseURL, locale: "en-US", viewport: { width: 1100, height: 1500 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    page = await context.newPage();
    // Any alert() from hostile evidence would open a dialog.
    page.on("dialog", (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    if (CHROMIUM_MISSING) return;
    if (typeof browser !== "undefined") await browser.close();
    if (typeof server !== "undefined") await new Promise<void>((resolve) => server.close(() => resolve()));
    if (typeof store !== "undefined") await store.close();
  });

  it("checks a domain from the form and shows the report, hostile evidence inert", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await page.goto("/");
    await page.getByRole("link", { name: "Check a domain", exact: true }).click();
    await page.getByLabel("Domain name").fill("Supplier.example");
    await page.getByRole("button", { name: "Check", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/check" && url.searchParams.get("domain") === "Supplier.example");
    assert.equal(await page.locator("h1").innerText(), "Check of supplier.example");
    const https = page.locator('section.bl-category[data-category="web.https"]');
    assert.match(await https.locator("h3").innerText(), /HTTPS and TLS\s+web\.https\s+50\/100\s+failed/);
    const hsts = page.locator('li[data-test="web.hsts"]');
    assert.match(await hsts.locator(".bl-summary").innerText(), /the server sent <script>alert\("x"\)<\/script><img src=x onerror=alert\(1\)>/, "the markup is shown as text");
    assert.match(await hsts.locator(".bl-fix").innerText(), /How to fix: Send Strict-Transport-Security/);
    const evidence = hsts.locator("details pre");
    assert.equal(await evidence.isVisible(), false, "evidence starts collapsed");
    await hsts.locator("details summary").click();
    assert.equal(await evidence.isVisible(), true);
    assert.match(await evidence.innerText(), /"header": "max-age=300; <script>/);
    assert.equal(await page.locator("main img, main script").count(), 0);
    assert.equal(dialogs, 0, "no script from the evidence ran");
    await page.screenshot({ path: "/tmp/check-page.png", fullPage: false });
  });

  it("tells why a domain that points only at private addresses is not checked", async (t) => {
    if (skippedWithoutChromium(t)) return;
    const response = await page.goto("/check?domain=intranet.example");
    assert.equal(response?.status(), 400);
    assert.match(await page.getByRole("alert").innerText(), /intranet\.example points only to private, loopback or other special-purpose addresses \(10\.1\.2\.3\)/);
  });

  it("renders the standalone report of several domains, scripts inert", async (t) => {
    if (skippedWithoutChromium(t)) return;
    const file = join(work, "report.html");
    writeFileSync(file, renderHtmlReport([sampleReport("supplier.example"), sampleReport("other.example")], { version: "0.1.0", generatedAt: new Date("2026-12-07T05:00:00Z") }));
    await page.goto(pathToFileURL(file).href);
    assert.equal(await page.locator("table.bl-summary-table tbody tr").count(), 2);
    await page.getByRole("link", { name: "other.example" }).click();
    assert.match(page.url(), /#domain-2$/);
    await page.locator('#domain-1 li[data-test="web.hsts"] details summary').click();
    assert.equal(dialogs, 0);
    await page.locator("h1").scrollIntoViewIfNeeded();
    await page.screenshot({ path: "/tmp/check-report-file.png", fullPage: false });
  });
});
