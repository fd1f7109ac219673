// End-to-end (slow): the observatory in real Chromium (Debian's package,
// installed by scripts/system-deps.sh), driven by playwright-core. The app
// runs in this process on a temporary SQLite file with the starter dataset,
// an editor and a viewer; each user has a browser context of their own, so
// cookies never leak between them. The steps build on each other (the
// policy added in one is looked for in the next), so they run in order.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { after, before, describe, it, type TestContext } from "node:test";
import { serve, type ServerType } from "@hono/node-server";
import JSZip from "jszip";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { loadCatalog } from "../../src/catalog/load.ts";
import { createApp } from "../../src/server/app.ts";
import { hashPassword, LoginLimiter } from "../../src/server/auth.ts";
import { seedIfEmpty } from "../../src/server/seed.ts";
import { createUser } from "../../src/store/index.ts";
import { openTestStore, type TestStore } from "../../src/store/test-databases.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_MISSING = existsSync(CHROMIUM) ? undefined : `Chromium is not installed at ${CHROMIUM} (scripts/system-deps.sh installs it)`;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SCREENSHOT = "/tmp/observatory-matrix.png";
/** Long enough for a slow machine, short enough that a missing element fails fast. */
const STEP_TIMEOUT_MS = 10_000;

const PASSWORD = "a long enough password";
const EDITOR = { email: "editor@example.org", name: "Erin Editor" };
const VIEWER = { email: "viewer@example.org", name: "Victor Viewer" };
const ADMIN = { email: "admin@example.org", name: "Ada Admin" };
/** UN M49 Eastern Africa: no starter institution is there, so its matrix row starts empty. */
const REGION = "014";
const INSTITUTION = "E2E Communications Authority";
const POLICY = "E2E guideline: sign every public zone with DNSSEC";

/** Skips the step, with the reason, when there is no browser to run it in. */
function skippedWithoutChromium(t: TestContext): boolean {
  if (CHROMIUM_MISSING) t.skip(CHROMIUM_MISSING);
  return CHROMIUM_MISSING !== undefined;
}

/** Listens on a free port of 127.0.0.1 and resolves with the server's base URL. */
function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<{ server: ServerType; baseUrl: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
      resolve({ server, baseUrl: `http://127.0.0.1:${info.port}` });
    });
  });
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
  });
}

/**
 * The count in the region × standard matrix for one region row and one
 * standard column; 0 when the region has no row (no policy there yet).
 */
async function matrixCount(page: Page, region: string, standard: string): Promise<number> {
  await page.goto("/matrix");
  const headers = (await page.locator("main table thead th").allTextContents()).map((text) => text.trim());
  const column = headers.indexOf(standard);
  assert.ok(column > 0, `the matrix has a column for ${standard}`);
  const row = page.locator("main table tbody tr").filter({ has: page.locator(`th[scope="row"]`, { hasText: new RegExp(`^${region}$`) }) });
  if ((await row.count()) === 0) return 0;
  // The first header cell names the rows, so data cell i sits under header i + 1.
  return Number((await row.locator("td").nth(column - 1).textContent())?.trim());
}

async function logIn(page: Page, email: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("E-mail", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in", exact: true }).click();
  await page.waitForURL((url) => url.pathname === "/");
}

describe("observatory in Chromium (slow)", { timeout: 90_000 }, () => {
  let store: TestStore;
  let server: ServerType;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let anonymous: Page;
  let editor: Page;
  /** Path of the policy the editor adds, e.g. /policies/abc. */
  let policyPath = "";

  async function newUserPage(): Promise<Page> {
    const context = await browser.newContext({ baseURL: baseUrl, locale: "en-US", viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    contexts.push(context);
    return context.newPage();
  }

  before(async () => {
    if (CHROMIUM_MISSING) return;
    const catalog = loadCatalog();
    store = await openTestStore("sqlite", { name: "e2e", file: true });
    await seedIfEmpty(store, catalog);
    for (const [account, role] of [[EDITOR, "editor"], [VIEWER, "viewer"], [ADMIN, "admin"]] as const) {
      await createUser(store.db, { ...account, role, passwordHash: await hashPassword(PASSWORD) }, null);
    }
    ({ server, baseUrl } = await listen(createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false }).fetch));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    anonymous = await newUserPage();
    editor = await newUserPage();
  });

  after(async () => {
    if (CHROMIUM_MISSING) return;
    // Each step is guarded, so that a failure half-way through `before` still frees what was made.
    for (const context of contexts) await context.close();
    if (typeof browser !== "undefined") await browser.close();
    if (typeof server !== "undefined") await closeServer(server);
    if (typeof store !== "undefined") await store.close();
  });

  it("shows an anonymous visitor the published starter policies", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await anonymous.goto("/");
    const published = Number(await anonymous.locator("main li", { hasText: "Published policies" }).locator("strong").textContent());
    assert.ok(published >= 15, `the starter dataset is published (${published} policies)`);
    const latest = anonymous.locator("main table tbody tr");
    assert.equal(await latest.count(), 10, "the ten latest policies are listed");
    assert.match((await latest.first().locator("a").getAttribute("href")) ?? "", /^\/policies\/[^/]+$/);
    assert.equal(await anonymous.getByRole("link", { name: "Log in", exact: true }).count(), 1, "nobody is signed in");
  });

  it("lets an editor log in, add an institution and a published policy citing DNSSEC", async (t) => {
    if (skippedWithoutChromium(t)) return;
    assert.equal(await matrixCount(anonymous, REGION, "dnssec"), 0, "no policy of the region cites DNSSEC before");

    await logIn(editor, EDITOR.email);
    assert.match(await editor.locator("header").innerText(), /Erin Editor \(editor\)/);

    await editor.goto("/institutions");
    await editor.getByRole("link", { name: "New", exact: true }).click();
    await editor.waitForURL((url) => url.pathname === "/institutions/new");
    await editor.getByLabel("Name", { exact: true }).fill(INSTITUTION);
    await editor.getByLabel("Kind", { exact: true }).selectOption("regulator");
    await editor.getByLabel("Country (ISO 3166 code)", { exact: true }).fill("KE");
    await editor.getByLabel("Region (UN M49 code)", { exact: true }).fill(REGION);
    await editor.getByLabel("Global South", { exact: true }).check();
    await editor.getByLabel("Sector", { exact: true }).fill("telecommunications");
    await editor.getByRole("button", { name: "Save", exact: true }).click();
    await editor.waitForURL(/\/institutions\/(?!new$)[^/]+$/);
    assert.equal(await editor.locator("main h1").textContent(), INSTITUTION);
    assert.match(await editor.locator("main").innerText(), /regulator · KE · M49 014 · telecommunications/);

    await editor.goto("/policies");
    await editor.getByRole("link", { name: "New", exact: true }).click();
    await editor.waitForURL((url) => url.pathname === "/policies/new");
    await editor.getByLabel("Title", { exact: true }).fill(POLICY);
    await editor.getByLabel("Institution", { exact: true }).selectOption({ label: INSTITUTION });
    await editor.getByLabel("Type", { exact: true }).selectOption("guideline");
    await editor.getByLabel("Status", { exact: true }).selectOption("in-force");
    await editor.getByLabel("Adopted on", { exact: true }).fill("2025-06");
    await editor.getByLabel("Source address", { exact: true }).fill("https://example.org/e2e-dnssec-guideline");
    await editor.getByLabel("Covers Internet and digital communications", { exact: true }).check();
    await editor.getByLabel("DNSSEC", { exact: true }).check();
    await editor.getByLabel("Review state", { exact: true }).selectOption("published");
    await editor.getByRole("button", { name: "Save", exact: true }).click();
    await editor.waitForURL(/\/policies\/(?!new$)[^/]+$/);
    policyPath = new URL(editor.url()).pathname;

    assert.equal(await editor.locator("main h1").textContent(), POLICY);
    assert.equal(await editor.locator("main dd").getByRole("link", { name: "DNSSEC", exact: true }).getAttribute("href"), "/standards/dnssec");
    assert.equal(await editor.locator("main dd").filter({ hasText: /^published$/ }).count(), 1, "the policy is published");
    assert.equal(await editor.getByRole("link", { name: "Edit", exact: true }).count(), 1, "the editor may edit it");
  });

  it("counts the new policy in the region × standard matrix, and the cell lists it", async (t) => {
    if (skippedWithoutChromium(t)) return;
    assert.ok(policyPath, "the policy was added in the step before");
    assert.equal(await matrixCount(editor, REGION, "dnssec"), 1);
    assert.equal(await matrixCount(anonymous, REGION, "dnssec"), 1, "published, so anonymous visitors count it too");
    await editor.screenshot({ path: SCREENSHOT, fullPage: true });

    const headers = (await editor.locator("main table thead th").allTextContents()).map((text) => text.trim());
    const row = editor.locator("main table tbody tr").filter({ has: editor.locator(`th[scope="row"]`, { hasText: new RegExp(`^${REGION}$`) }) });
    await row.locator("td").nth(headers.indexOf("dnssec") - 1).getByRole("link").click();
    await editor.waitForURL((url) => url.pathname === "/policies");
    const query = new URL(editor.url()).searchParams;
    assert.equal(query.get("standard"), "dnssec");
    assert.equal(query.get("region"), REGION);
    assert.match(await editor.locator("main").innerText(), /\b1 found\b/);
    const listed = editor.locator("main table tbody tr a");
    assert.deepEqual(await listed.allTextContents(), [POLICY]);
    assert.equal(await listed.first().getAttribute("href"), policyPath);
  });

  it("colours the new institution's country on the world map, and the country's link lists the policy", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await anonymous.goto("/map");
    const kenya = anonymous.locator('main svg a[href="/policies?country=KE"]');
    assert.equal(await kenya.count(), 1, "Kenya is a link on the map");
    assert.match((await kenya.locator("title").textContent()) ?? "", /^Kenya\b.*\b1\b/);
    const row = anonymous.locator("main table tbody tr").filter({ has: anonymous.locator('th[scope="row"]', { hasText: /^Kenya$/ }) });
    assert.deepEqual((await row.locator("td.count").allTextContents()).map((text) => text.trim()), ["1", "1"], "one policy, citing standards");
    await kenya.click();
    await anonymous.waitForURL((url) => url.pathname === "/policies" && url.searchParams.get("country") === "KE");
    assert.deepEqual(await anonymous.locator("main table tbody tr a").allTextContents(), [POLICY]);
  });

  it("exports the policies as CSV that a spreadsheet reads", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await editor.goto("/policies");
    const [download] = await Promise.all([editor.waitForEvent("download"), editor.getByRole("link", { name: "Export CSV", exact: true }).click()]);
    assert.equal(download.suggestedFilename(), "policies.csv");
    const text = readFileSync(await download.path(), "utf8");
    assert.ok(text.startsWith("\uFEFFid,institutionId,institutionName,title,"), "a BOM, then the header of field names");
    assert.ok(text.includes(`,${POLICY},guideline,in-force,2025-06,`), "the new policy is a row");
  });

  it("lets an admin create an editor account in the browser, who can then log in", async (t) => {
    if (skippedWithoutChromium(t)) return;
    const admin = await newUserPage();
    await logIn(admin, ADMIN.email);
    await admin.goto("/admin/users");
    // Each account's row has a role menu of its own; the new account's form is the one with the button.
    const form = admin.locator("main form").filter({ has: admin.getByRole("button", { name: "Create account", exact: true }) });
    await form.getByLabel("E-mail", { exact: true }).fill("new.editor@example.org");
    await form.getByLabel("Name", { exact: true }).fill("Nia New");
    await form.getByLabel("Role", { exact: true }).selectOption("editor");
    await form.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await form.getByRole("button", { name: "Create account", exact: true }).click();
    await admin.locator("main table tbody tr", { hasText: "new.editor@example.org" }).waitFor();

    const newcomer = await newUserPage();
    await logIn(newcomer, "new.editor@example.org");
    assert.match(await newcomer.locator("header").innerText(), /Nia New \(editor\)/);
    assert.equal((await newcomer.goto("/institutions/new"))?.status(), 200, "an editor may add institutions");
    assert.equal((await newcomer.goto("/admin/users"))?.status(), 403, "but may not manage accounts");
  });

  it("ranks the example decision matrix and shows its consistency ratio", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await editor.goto("/decision");
    const example = JSON.parse(await editor.getByLabel(/as JSON/).inputValue()) as { alternatives: { name: string }[] };
    assert.equal(example.alternatives.length, 3, "the example compares three institutions");
    await editor.getByRole("button", { name: "Rank", exact: true }).click();
    await editor.getByRole("heading", { name: "Ranking", exact: true }).waitFor();

    const entries = (await editor.locator("main h2:text-is('Ranking') + ol > li").allTextContents()).map((text) => {
      const match = /^(.*): (\d+\.\d{3})$/.exec(text.trim());
      assert.ok(match, `a ranked entry reads "name: score" (${text})`);
      return { name: match[1] ?? "", score: Number(match[2]) };
    });
    assert.deepEqual(entries.map((entry) => entry.name).sort(), example.alternatives.map((alternative) => alternative.name).sort());
    for (let index = 1; index < entries.length; index++) {
      assert.ok((entries[index - 1]?.score ?? 0) >= (entries[index]?.score ?? 0), "best first");
    }
    const ratio = Number(await editor.locator("main p", { hasText: "Consistency ratio (AHP)" }).locator("strong").textContent());
    assert.ok(ratio >= 0 && ratio < 0.1, `the example's judgements are consistent (CR ${ratio})`);
    assert.equal(await editor.locator("main [role=alert]").count(), 0, "no inconsistency warning");
  });

  it("downloads a requirements annex for a category as DOCX", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await editor.goto("/requirements");
    await editor.getByLabel("E-mail service", { exact: true }).check();
    await editor.getByLabel("Format", { exact: true }).selectOption("docx");
    const [download] = await Promise.all([editor.waitForEvent("download"), editor.getByRole("button", { name: "Download", exact: true }).click()]);
    assert.equal(download.suggestedFilename(), "requirements.docx");
    const file = readFileSync(await download.path());
    assert.equal(file.subarray(0, 2).toString("latin1"), "PK", "a DOCX is a ZIP archive");
    const document = await (await JSZip.loadAsync(file)).file("word/document.xml")?.async("string");
    assert.match(document ?? "", /DMARC/, "the annex holds the e-mail standards");
  });

  it("keeps a viewer from editing", async (t) => {
    if (skippedWithoutChromium(t)) return;
    const viewer = await newUserPage();
    await logIn(viewer, VIEWER.email);
    assert.match(await viewer.locator("header").innerText(), /Victor Viewer \(viewer\)/);

    const response = await viewer.goto("/institutions/new");
    assert.equal(response?.status(), 403);
    assert.equal(await viewer.locator("main h1").textContent(), "You may not do this.");
    assert.equal(await viewer.locator("main form").count(), 0, "no form to fill");

    const policy = await viewer.goto(policyPath);
    assert.equal(policy?.status(), 200);
    assert.equal(await viewer.locator("main h1").textContent(), POLICY);
    assert.equal(await viewer.getByRole("link", { name: "Edit", exact: true }).count(), 0, "no Edit link for a viewer");
  });

  it("makes the skip link the first Tab stop", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await anonymous.goto("/");
    await anonymous.keyboard.press("Tab");
    const focused = anonymous.locator(":focus");
    assert.equal(await focused.textContent(), "Skip to content");
    assert.equal(await focused.getAttribute("href"), "#content");
    const box = await focused.boundingBox();
    assert.ok(box && box.x >= 0 && box.y >= 0, "the focused skip link moves on screen");
    await anonymous.keyboard.press("Enter");
    await anonymous.waitForURL((url) => url.hash === "#content");
  });
});
