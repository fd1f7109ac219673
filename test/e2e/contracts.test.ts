// End-to-end (slow): contracts in real Chromium. The app runs in this
// process on a temporary SQLite file with a campaign engine whose check is a
// stand-in (what is under test is the pages and the alerting, not the
// checks), alerts delivered by e-mail to a private Postfix on loopback (when
// run as root: test/support/postfix-sink.ts) and by webhook to a node:http
// receiver on loopback. An editor creates a contract from categories (the
// standards previewed), adds assets, runs it twice (the second run
// regresses), sees compliance, adds an exemption, finds the alert in the
// mailbox, sees the missed deadline's alert after a scheduler tick, finds
// both in the Atom feed (fetched without a session, with the feed's token),
// downloads the letter, and makes a second contract from a tender file.
// Screenshots at 1280 px go to /tmp/contracts-*.png, the letter to
// /tmp/contracts-letter.docx.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it, type TestContext } from "node:test";
import { serve, type ServerType } from "@hono/node-server";
import JSZip from "jszip";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { listAlerts } from "../../src/campaigns/alerts.ts";
import { fakeReport } from "../../src/campaigns/contracts-test-support.ts";
import { AlertDeliverer } from "../../src/campaigns/delivery.ts";
import { CampaignEngine } from "../../src/campaigns/engine.ts";
import { loadCatalog } from "../../src/catalog/load.ts";
import { defaultSettings } from "../../src/checks/context.ts";
import { fixedResolver } from "../../src/checks/http/test-support.ts";
import type { Suite } from "../../src/checks/types.ts";
import { EmbeddedQueue } from "../../src/jobs/embedded.ts";
import { createApp } from "../../src/server/app.ts";
import { hashPassword, LoginLimiter } from "../../src/server/auth.ts";
import { createUser } from "../../src/store/index.ts";
import { openTestStore, type TestStore } from "../../src/store/test-databases.ts";
import { bodyText, postfixSinkSkipReason, startPostfixSink, type PostfixSink } from "../support/postfix-sink.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_MISSING = existsSync(CHROMIUM) ? undefined : `Chromium is not installed at ${CHROMIUM} (scripts/system-deps.sh installs it)`;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const STEP_TIMEOUT_MS = 15_000;
const PASSWORD = "a long enough password";
const WEBHOOK_SECRET = "e2e-webhook-secret";

function skippedWithoutChromium(t: TestContext): boolean {
  if (CHROMIUM_MISSING) t.skip(CHROMIUM_MISSING);
  return CHROMIUM_MISSING !== undefined;
}

function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<{ server: ServerType; baseUrl: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve({ server, baseUrl: `http://127.0.0.1:${info.port}` }));
  });
}

describe("contracts in Chromium (slow)", { timeout: 180_000 }, () => {
  let store: TestStore;
  let server: ServerType;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let editor: Page;
  let engine: CampaignEngine;
  let deliverer: AlertDeliverer;
  let sink: PostfixSink | undefined;
  let hook: Server;
  let hookUrl = "";
  const hookCalls: { body: string; valid: boolean }[] = [];
  let hsts: "passed" | "failed" = "passed";
  let contractPath = "";

  before(async () => {
    if (CHROMIUM_MISSING) return;
    const catalog = loadCatalog();
    store = await openTestStore("sqlite", { name: "e2e_contracts", file: true });
    await createUser(store.db, { email: "editor@example.org", name: "Erin Editor", role: "editor", passwordHash: await hashPassword(PASSWORD) }, null);
    if (!postfixSinkSkipReason()) sink = await startPostfixSink();
    hook = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const expected = `sha256=${createHmac("sha256", WEBHOOK_SECRET).update(`${String(request.headers["x-baseline-timestamp"])}.${body}`).digest("hex")}`;
        hookCalls.push({ body, valid: request.headers["x-baseline-signature"] === expected });
        response.statusCode = 204;
        response.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const all = { https: "passed", tls: "passed", dnssec: "passed", ipv6: "passed", rpki: "passed", "security-txt": "failed" } as const;
    const check = (domain: string, suite: Suite): Promise<ReturnType<typeof fakeReport>> => Promise.resolve(fakeReport(domain, suite, { ...all, hsts }));
    deliverer = new AlertDeliverer({ store, allowPrivate: true, timeoutMs: 5000, ...(sink ? { smtpUrl: sink.url, mailFrom: "baseline@city.example" } : {}) });
    engine = new CampaignEngine({ store, settings: defaultSettings(fixedResolver({})), queue: new EmbeddedQueue(store, { concurrency: 2, pollMs: 20 }), check, deliver: deliverer.deliver, onTick: deliverer.onTick, tickMs: 60_000 });
    await engine.start();
    ({ server, baseUrl } = await listen(createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false, campaigns: engine }).fetch));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ baseURL: baseUrl, locale: "en-US", viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    editor = await context.newPage();
  });

  after(async () => {
    if (CHROMIUM_MISSING) return;
    if (typeof context !== "undefined") await context.close();
    if (typeof browser !== "undefined") await browser.close();
    if (typeof server !== "undefined") await new Promise<void>((resolve) => server.close(() => resolve()));
    if (typeof engine !== "undefined") await engine.stop();
    deliverer.close();
    if (typeof hook !== "undefined") await new Promise<void>((resolve) => hook.close(() => resolve()));
    await sink?.stop();
    if (typeof store !== "undefined") await store.close();
  });

  /** Clicks "Run now" and reloads the contract page until the run's results show. */
  async function runNow(expect: RegExp): Promise<void> {
    await editor.getByRole("button", { name: "Run now" }).click();
    await editor.waitForURL(/done=run/);
    for (let i = 0; i < 100; i++) {
      await editor.goto(contractPath);
      if (expect.test((await editor.locator("main").textContent()) ?? "")) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`the contract page never showed ${String(expect)}`);
  }

  it("signs in and creates a contract from categories, the standards previewed", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await editor.goto("/login");
    await editor.getByLabel("E-mail", { exact: true }).fill("editor@example.org");
    await editor.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await editor.getByRole("button", { name: "Log in", exact: true }).click();
    await editor.waitForURL((url) => url.pathname === "/");
    await editor.getByRole("link", { name: "Contracts" }).click();
    await editor.getByRole("link", { name: "New contract" }).click();
    await editor.getByLabel("Title").fill("Hosting of the city website");
    await editor.getByLabel("Buyer").fill("City of Ghent");
    await editor.getByLabel("Supplier", { exact: true }).fill("ACME Hosting");
    await editor.getByLabel("Language of the letter to the supplier").selectOption("nl");
    await editor.getByLabel("Websites and web hosting").check();
    await editor.getByRole("button", { name: "Preview standards" }).click();
    await editor.getByText("The catalog's mandatory set for Websites and web hosting: 7 standard(s)").waitFor();
    assert.equal(await editor.locator('input[name="standards"][value="hsts"]').isChecked(), true);
    assert.equal(await editor.locator('input[name="standards"][value="caa"]').isChecked(), false);
    await editor.getByLabel("Assets: one per line").fill("www.ghent.example web");
    await editor.getByLabel("Compliance deadline").fill("2026-06-30");
    await editor.getByLabel("Alert e-mails (one per line)").fill("soc@ghent.example");
    await editor.getByLabel("Webhook URL").fill(hookUrl);
    await editor.getByLabel("Webhook secret").fill(WEBHOOK_SECRET);
    await editor.screenshot({ path: "/tmp/contracts-form.png", fullPage: true });
    await editor.getByRole("button", { name: "Create the contract" }).click();
    await editor.waitForURL(/\/contracts\/[\w-]+\?done=created$/);
    contractPath = new URL(editor.url()).pathname;
    await editor.getByText("Contract created.").waitFor();
    assert.match((await editor.locator("main").textContent()) ?? "", /www\.ghent\.example \(web\)/);
  });

  it("runs it twice: compliance shows the regression, alerts go out", async (t) => {
    if (skippedWithoutChromium(t)) return;
    hsts = "passed";
    await runNow(/6 compliant · 1 failing/);
    hsts = "failed";
    await runNow(/5 compliant · 2 failing/);
    const hstsRow = editor.locator("table.compliance tr", { hasText: "HSTS" });
    assert.match((await hstsRow.textContent()) ?? "", /failing\s*failing since \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    // The alert row and its delivery states (the webhook and, as root, the e-mail).
    for (let i = 0; i < 100; i++) {
      const [alert] = await listAlerts(store.db, { subjectKind: "contract" });
      if (alert && alert.webhookState === "sent" && (!sink || alert.emailState === "sent")) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await editor.goto(contractPath);
    const alertRow = editor.locator("#alerts + table tr", { hasText: "got worse" });
    assert.match((await alertRow.textContent()) ?? "", /regression.*Hosting of the city website: 1 test\(s\) got worse on 1 domain\(s\)/);
    assert.equal(hookCalls.length, 1);
    assert.ok(hookCalls[0]?.valid, "the webhook's signature verifies");
    if (sink) {
      const message = await sink.waitFor((text) => text.includes("Hosting of the city website: 1 test(s) got worse"));
      assert.match(bodyText(message), /www\.ghent\.example \(web\) web\.hsts\.probe \[hsts\]: passed → failed/);
    } else t.diagnostic(`e-mail not tested: ${String(postfixSinkSkipReason())}`);
  });

  it("adds an exemption and sees it in the compliance view", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await editor.goto(contractPath);
    await editor.locator("#x-standard").selectOption("security-txt");
    await editor.getByLabel("Reason").fill("The supplier's disclosure policy is published on paper (comply or explain)");
    await editor.getByLabel("Decided by").fill("CISO, City of Ghent");
    await editor.getByLabel("Expires").fill("2027-06-30");
    await editor.getByRole("button", { name: "Add an exemption" }).click();
    await editor.getByText("Exemption recorded.").waitFor();
    const row = editor.locator("table.compliance tr", { hasText: "security.txt" });
    assert.match((await row.textContent()) ?? "", /exempted\s*until 2027-06-30/);
    assert.match((await editor.locator("main").textContent()) ?? "", /5 compliant · 1 failing · 1 exempted/);
    await editor.screenshot({ path: "/tmp/contracts-detail.png", fullPage: true });
  });

  it("finds the alerts in the Atom feed, fetched without a session: the regression and the missed deadline", async (t) => {
    if (skippedWithoutChromium(t)) return;
    // A scheduler tick (every 30 s in a server) finds the deadline of 2026-06-30 passed with HSTS failing.
    await deliverer.onTick(new Date());
    await editor.goto(contractPath);
    assert.match((await editor.locator("#alerts + table").textContent()) ?? "", /missed deadline\s*Hosting of the city website: deadline 2026-06-30 passed with 1 requirement\(s\) failing/);
    await editor.goto("/contracts");
    await editor.screenshot({ path: "/tmp/contracts-list.png", fullPage: true });
    const href = await editor.getByRole("link", { name: "Atom feed of alerts" }).getAttribute("href");
    assert.ok(href);
    const reader = await browser.newContext();
    try {
      const response = await reader.request.get(href);
      assert.equal(response.status(), 200);
      const xml = await response.text();
      assert.match(xml, /<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom">/);
      assert.match(xml, /<title>Hosting of the city website: 1 test\(s\) got worse on 1 domain\(s\)<\/title>/);
      assert.match(xml, /<title>Hosting of the city website: deadline 2026-06-30 passed with 1 requirement\(s\) failing<\/title>/);
      assert.match(xml, /<category term="deadline"\/>/);
      assert.equal((await reader.request.get(href.replace(/token=[^&]+/, "token=wrong"))).status(), 401);
    } finally {
      await reader.close();
    }
  });

  it("downloads the letter to the supplier (Dutch, DOCX)", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await editor.goto(contractPath);
    const [download] = await Promise.all([editor.waitForEvent("download"), editor.getByRole("button", { name: "Get the letter (DOCX)" }).click()]);
    const path = "/tmp/contracts-letter.docx";
    await download.saveAs(path);
    assert.match(download.suggestedFilename(), /^letter-ACME-Hosting-nl\.docx$/);
    const zip = await JSZip.loadAsync(await import("node:fs").then((fs) => fs.readFileSync(path)));
    const text = ((await zip.file("word/document.xml")?.async("string")) ?? "").replace(/<[^>]+>/g, "");
    assert.match(text, /Beveiligingseisen niet nageleefd/);
    assert.match(text, /hsts failed on www\.ghent\.example/);
    await editor.goto(`${contractPath}/letter.html`);
    await editor.screenshot({ path: "/tmp/contracts-letter-html.png", fullPage: true });
  });

  it("makes a contract from a tender file: the form comes filled in", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await editor.goto("/contracts");
    await editor.getByRole("link", { name: "Contract from a tender" }).click();
    const tender = "Tender: hosting of the municipal website\n\nCPV 72415000-2 Web-site hosting services.\n\nThe contractor shall serve the website over HTTPS only, with HSTS, and sign the DNS zone with DNSSEC.\nThe website shall be reachable over IPv6.\n";
    await editor.getByLabel("Tender document").setInputFiles({ name: "hosting-tender.txt", mimeType: "text/plain", buffer: Buffer.from(tender) });
    await editor.getByRole("button", { name: "Analyse and fill in the contract" }).click();
    await editor.getByText(/Read from hosting-tender\.txt: \d+ standard\(s\) requested/).waitFor();
    for (const standard of ["https", "hsts", "dnssec", "ipv6"]) assert.equal(await editor.locator(`input[name="standards"][value="${standard}"]`).isChecked(), true, standard);
    assert.equal(await editor.locator('input[name="standards"][value="dane"]').isChecked(), false);
    await editor.screenshot({ path: "/tmp/contracts-from-tender.png", fullPage: true });
    await editor.getByLabel("Buyer").fill("Municipality of Utrecht");
    await editor.getByLabel("Supplier", { exact: true }).fill("ACME Hosting");
    await editor.getByLabel("Assets: one per line").fill("utrecht.example web");
    await editor.getByRole("button", { name: "Create the contract" }).click();
    await editor.waitForURL(/done=created/);
    await editor.getByRole("link", { name: "ACME Hosting" }).click();
    await editor.waitForURL(/\/suppliers\/ACME%20Hosting$/);
    const supplier = (await editor.locator("main").textContent()) ?? "";
    assert.match(supplier, /Hosting of the city website/);
    assert.match(supplier, /Tender: hosting of the municipal website|hosting-tender/);
    await editor.screenshot({ path: "/tmp/contracts-supplier.png", fullPage: true });
  });
});
