// End-to-end (slow): a survey in real Chromium. The app runs in this process
// on a temporary SQLite file, its invitation e-mails going to a private
// Postfix on loopback (when run as root: test/support/postfix-sink.ts).
// An editor imports a two-language XLSForm (groups, skip logic, a
// constraint, select_multiple with or_other: survey-test-support.ts). A
// respondent opens the public link, answers page 1 in English, meets a
// validation error, switches to French mid-way, saves and continues later
// from the private link in a new browser context, and submits; the results
// page counts the answer. axe-core checks every answering page (no
// violation of serious or critical impact). Then the survey goes to
// invitation mode: the e-mail arrives in the mailbox and its link starts
// answers once. Screenshots at 1280 px: /tmp/survey-*.png.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { serve, type ServerType } from "@hono/node-server";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { loadCatalog } from "../../src/catalog/load.ts";
import { createApp } from "../../src/server/app.ts";
import { LoginLimiter } from "../../src/server/auth.ts";
import { twoLanguageForm } from "../../src/server/survey-test-support.ts";
import { createTestAccounts, TEST_PASSWORD } from "../../src/server/test-browser.ts";
import { countResponses } from "../../src/store/index.ts";
import { openTestStore, type TestStore } from "../../src/store/test-databases.ts";
import { bodyText, postfixSinkSkipReason, startPostfixSink, type PostfixSink } from "../support/postfix-sink.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_MISSING = existsSync(CHROMIUM) ? undefined : `Chromium is not installed at ${CHROMIUM} (scripts/system-deps.sh installs it)`;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const STEP_TIMEOUT_MS = 10_000;
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

function skippedWithoutChromium(t: TestContext): boolean {
  if (CHROMIUM_MISSING) t.skip(CHROMIUM_MISSING);
  return CHROMIUM_MISSING !== undefined;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: unknown[];
}

/** axe-core on the page as it is: no violation of serious or critical impact. */
async function assertAccessible(page: Page, what: string): Promise<void> {
  await page.addScriptTag({ path: AXE });
  // A string, as the page runs it (this file is not compiled with the DOM's types).
  const violations = await page.evaluate<AxeViolation[]>(
    "axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((node) => node.target) })))",
  );
  const serious = violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
  assert.deepEqual(serious, [], `${what}: ${JSON.stringify(serious, null, 1)}`);
}

describe("surveys in Chromium (slow)", { timeout: 180_000 }, () => {
  let store: TestStore;
  let server: ServerType;
  let baseUrl = "";
  let browser: Browser;
  let staffContext: BrowserContext;
  let staff: Page;
  let sink: PostfixSink | undefined;
  let folder = "";
  let surveyAdminPath = "";
  let publicPath = "";
  let resumeLink = "";

  before(async () => {
    if (CHROMIUM_MISSING) return;
    store = await openTestStore("sqlite", { name: "e2e_surveys", file: true });
    await createTestAccounts(store, ["editor"]);
    if (!postfixSinkSkipReason()) sink = await startPostfixSink();
    const app = createApp({ store, catalog: loadCatalog(), limiter: new LoginLimiter(), secureCookies: false, surveys: sink ? { smtpUrl: sink.url, mailFrom: "surveys@city.example" } : {} });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
        baseUrl = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
    folder = mkdtempSync(join(tmpdir(), "survey-e2e-"));
    writeFileSync(join(folder, "procurement-test.xlsx"), await twoLanguageForm());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    staffContext = await browser.newContext({ baseURL: baseUrl, locale: "en-US", viewport: { width: 1280, height: 900 }, bypassCSP: true });
    staffContext.setDefaultTimeout(STEP_TIMEOUT_MS);
    staff = await staffContext.newPage();
  });

  after(async () => {
    if (CHROMIUM_MISSING) return;
    if (typeof staffContext !== "undefined") await staffContext.close();
    if (typeof browser !== "undefined") await browser.close();
    if (typeof server !== "undefined") await new Promise<void>((resolve) => server.close(() => resolve()));
    await sink?.stop();
    if (typeof store !== "undefined") await store.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  /** A browser of its own, as another person or device would be. */
  async function respondent(locale = "en-US"): Promise<{ context: BrowserContext; page: Page }> {
    // bypassCSP: axe-core is injected as a script, which the pages' Content-Security-Policy rightly refuses.
    const context = await browser.newContext({ baseURL: baseUrl, locale, viewport: { width: 1280, height: 900 }, bypassCSP: true });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    return { context, page: await context.newPage() };
  }

  it("an editor imports a two-language XLSForm", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await staff.goto("/login");
    await staff.getByLabel("E-mail", { exact: true }).fill("editor@example.org");
    await staff.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
    await staff.getByRole("button", { name: "Log in", exact: true }).click();
    await staff.waitForURL((url) => url.pathname === "/");
    await staff.getByRole("link", { name: "Surveys" }).click();
    await staff.getByLabel("XLSForm file (.xlsx or .csv)").setInputFiles(join(folder, "procurement-test.xlsx"));
    await staff.getByRole("button", { name: "Import the form" }).click();
    await staff.getByText("Survey imported.").waitFor();
    surveyAdminPath = new URL(staff.url()).pathname;
    publicPath = (await staff.locator("main a", { hasText: "/surveys/" }).first().getAttribute("href")) ?? "";
    assert.match(publicPath, /^\/surveys\/[0-9a-f-]+$/);
    await staff.screenshot({ path: "/tmp/survey-admin-imported.png", fullPage: true });
  });

  it("a respondent answers in English, meets an error, switches to French, saves, resumes elsewhere and submits", async (t) => {
    if (skippedWithoutChromium(t)) return;
    const first = await respondent();
    const page = first.page;
    await page.goto(publicPath);
    await page.getByRole("heading", { name: "Your privacy" }).waitFor();
    await assertAccessible(page, "introduction");
    await page.screenshot({ path: "/tmp/survey-intro.png", fullPage: true });
    // Starting without consent is refused, with the reason.
    await page.getByRole("button", { name: "Start the survey" }).click();
    await page.getByRole("alert").getByText("Tick the box to agree before you start.").waitFor();
    await page.getByLabel("I have read how my answers are kept and I agree to take part.").check();
    await page.getByRole("button", { name: "Start the survey" }).click();
    await page.locator("#sv-progress-text", { hasText: "Page 1 of 2" }).waitFor();
    await assertAccessible(page, "page 1");

    await page.getByRole("radio", { name: "Europe" }).check();
    await page.getByLabel("How many people work in your team?").fill("0");
    await page.getByRole("radio", { name: "Yes" }).check();
    await page.getByRole("button", { name: "Next" }).click();
    const summary = page.getByRole("alert");
    await summary.getByText("There is a problem with 1 answer(s)").waitFor();
    await summary.getByRole("link", { name: /Give a number from 1 to 1000\./ }).click();
    assert.equal(await page.evaluate("document.activeElement && document.activeElement.id"), "q-staff", "the summary's link leads to the field");
    assert.equal(await page.getByLabel("How many people work in your team?").getAttribute("aria-invalid"), "true");
    await assertAccessible(page, "page 1 with an error");
    await page.screenshot({ path: "/tmp/survey-error.png", fullPage: true });
    await page.getByLabel("How many people work in your team?").fill("12");
    await page.getByRole("button", { name: "Next" }).click();
    await page.locator("#sv-progress-text", { hasText: "Page 2 of 3" }).waitFor();

    // French mid-way: the page, its choices and our words.
    await page.getByRole("link", { name: "Français" }).click();
    await page.locator("#sv-progress-text", { hasText: "Page 2 sur 3" }).waitFor();
    await page.getByRole("group", { name: /Qu'est-ce qui vous freine/ }).waitFor();
    await assertAccessible(page, "page 2 in French");
    await page.getByRole("checkbox", { name: "Coût" }).check();
    await page.getByRole("checkbox", { name: "Autre" }).check();
    await page.getByLabel("Si autre, précisez").fill("Dépendance aux fournisseurs");
    await page.getByRole("button", { name: "Enregistrer et continuer plus tard" }).click();
    await page.getByText("Vos réponses sont enregistrées.").waitFor();
    await page.screenshot({ path: "/tmp/survey-saved-fr.png", fullPage: true });
    resumeLink = (await page.getByRole("complementary", { name: "Votre lien privé" }).getByRole("link").getAttribute("href")) ?? "";
    assert.match(resumeLink, /\/surveys\/[^/]+\/r\/[A-Za-z0-9_-]{40,}$/);
    await first.context.close();

    // Another browser (no cookie, no history): the private link alone.
    const second = await respondent("en-US");
    const resumed = second.page;
    await resumed.goto(resumeLink);
    await resumed.locator("#sv-progress-text", { hasText: "Page 2 sur 3" }).waitFor();
    assert.equal(await resumed.getByRole("checkbox", { name: "Coût" }).isChecked(), true);
    assert.equal(await resumed.getByLabel("Si autre, précisez").inputValue(), "Dépendance aux fournisseurs");
    await resumed.getByRole("button", { name: "Suivant" }).click();
    await resumed.locator("#sv-progress-text", { hasText: "Page 3 sur 3" }).waitFor();
    await assertAccessible(resumed, "page 3 in French");
    await resumed.getByRole("checkbox", { name: "Je confirme mes réponses." }).check();
    await resumed.screenshot({ path: "/tmp/survey-last-fr.png", fullPage: true });
    await resumed.getByRole("button", { name: "Envoyer mes réponses" }).click();
    await resumed.getByText("Vos réponses ont été enregistrées.").waitFor();
    await assertAccessible(resumed, "thank-you page");
    // The private link now only thanks (the session no longer keeps the language: the browser's is used).
    await resumed.goto(resumeLink);
    await resumed.getByText(/Vos réponses ont été enregistrées\.|Your answers have been recorded\./).waitFor();
    await second.context.close();
    assert.equal(await countResponses(store.db, publicPath.split("/").at(-1) ?? ""), 1);
  });

  it("the results page counts the answer, and cross-tabulates by a select question", async (t) => {
    if (skippedWithoutChromium(t)) return;
    await staff.goto(surveyAdminPath);
    await staff.getByText("1 response(s).").waitFor();
    await staff.getByRole("heading", { name: /What holds you back\?/ }).waitFor();
    await staff.getByRole("row", { name: "Cost 1 100%" }).waitFor();
    await staff.getByRole("row", { name: "Skills 0 0%" }).waitFor();
    await staff.locator("main").getByText("Dépendance aux fournisseurs").waitFor();
    // The region question's answers lead to the observatory's policies of that region.
    assert.equal(await staff.getByRole("row", { name: /^Europe 1 100%/ }).getByRole("link").getAttribute("href"), "/policies?region=150");
    await staff.getByLabel("Cross-tabulate by").selectOption("region");
    await staff.getByRole("button", { name: "Show" }).click();
    await staff.waitForURL(/by=region/);
    await staff.getByRole("table", { name: "What holds you back? by Where do you work?" }).waitFor();
    await assertAccessible(staff, "results page");
    await staff.screenshot({ path: "/tmp/survey-results.png", fullPage: true });
  });

  it("an invitation goes out by e-mail and its link starts answers once", async (t) => {
    if (skippedWithoutChromium(t)) return;
    if (!sink) {
      t.skip(String(postfixSinkSkipReason()));
      return;
    }
    await staff.goto(surveyAdminPath);
    await staff.getByRole("radio", { name: /By invitation/ }).check();
    await staff.getByRole("button", { name: "Save the settings" }).click();
    await staff.getByText("Settings saved.").waitFor();
    await staff.getByLabel("E-mail addresses, one per line").fill("officer@city.example");
    await staff.getByRole("button", { name: "Send the invitations" }).click();
    await staff.getByText("1 invitation(s) sent.").waitFor();
    const message = await sink.waitFor((text) => text.includes("officer@city.example") && text.includes("Invitation: Procurement test"));
    const link = /http:\/\/127\.0\.0\.1:\d+\/surveys\/[^\s?]+\?invite=[A-Za-z0-9_-]+/.exec(bodyText(message))?.[0];
    assert.ok(link, bodyText(message));

    const invited = await respondent();
    await invited.page.goto(publicPath);
    await invited.page.getByText("This survey is by invitation only").waitFor();
    await invited.page.goto(link);
    await invited.page.getByLabel("I have read how my answers are kept and I agree to take part.").check();
    await invited.page.getByRole("button", { name: "Start the survey" }).click();
    await invited.page.locator("#sv-progress-text", { hasText: "Page 1 of 2" }).waitFor();
    await invited.context.close();

    const again = await respondent();
    await again.page.goto(link);
    await again.page.getByLabel("I have read how my answers are kept and I agree to take part.").check();
    await again.page.getByRole("button", { name: "Start the survey" }).click();
    await again.page.getByText("This invitation has been used already").waitFor();
    await again.page.screenshot({ path: "/tmp/survey-invitation-used.png", fullPage: true });
    await again.context.close();
  });
});
