// Answering a survey through Hono's fetch handler, on SQLite and
// PostgreSQL: consent, pages with skip logic worked out on the server,
// errors next to their fields and in the summary, save and resume (also
// across a second app on the same database, as after a restart), the
// language switch, submit stored once, anonymity (the answers are in
// survey_responses only; the response row holds no session or invitation
// id), single-use invitations, closed and not yet open surveys, and the
// rate limit.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { readXlsForm } from "../../surveys/xlsform.ts";
import { countResponses, createInvitations, createSurvey, iterateResponses, updateSurveySettings, type Store, type Survey } from "../../store/index.ts";
import { TABLE_COLUMNS, type TableName } from "../../store/schema.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { twoLanguageForm, xlsForm } from "../survey-test-support.ts";

const catalog = loadCatalog();

function appOn(store: Store, surveys: Parameters<typeof createApp>[0]["surveys"] = {}): ReturnType<typeof createApp> {
  return createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false, surveys });
}

/** A form post as a browser sends it; a list value is the field repeated. */
function post(app: ReturnType<typeof createApp>, path: string, fields: Record<string, string | readonly string[]>, headers: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const item of typeof value === "string" ? [value] : value) body.append(name, item);
  return Promise.resolve(app.request(path, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded", ...headers } }));
}

async function get(app: ReturnType<typeof createApp>, path: string): Promise<Response> {
  return app.request(path);
}

/** Starts answering (consent given) and returns the private link. */
async function start(app: ReturnType<typeof createApp>, survey: Survey, query = ""): Promise<string> {
  const response = await post(app, `/surveys/${survey.id}/start${query}`, { "-consent": "yes" });
  assert.equal(response.status, 303, await response.text());
  const location = response.headers.get("location") ?? "";
  assert.match(location, new RegExp(`^/surveys/${survey.id}/r/[A-Za-z0-9_-]{40,}$`));
  return location;
}

/** Follows a 303 and returns the page. */
async function follow(app: ReturnType<typeof createApp>, response: Response): Promise<{ status: number; body: string; location: string }> {
  assert.equal(response.status, 303, await response.clone().text());
  const location = response.headers.get("location") ?? "";
  const page = await get(app, location);
  return { status: page.status, body: await page.text(), location };
}

for (const dialect of TEST_DIALECTS) {
  describe(`answering a survey on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;
    let survey: Survey;

    before(async () => {
      store = await openTestStore(dialect, { name: "survey_answering", file: true });
      app = appOn(store);
      const form = await readXlsForm(await twoLanguageForm(), "procurement-test.xlsx");
      survey = await createSurvey(store.db, { form, formId: form.id, title: form.title, version: form.version, fileName: "procurement-test.xlsx" }, null);
    });
    after(() => store.close());

    it("shows the introduction with the privacy notice, the consent box and both languages, and needs consent to start", async () => {
      const intro = await get(app, `/surveys/${survey.id}`);
      assert.equal(intro.status, 200);
      const body = await intro.text();
      assert.match(body, /<h1>Procurement test<\/h1>/);
      assert.match(body, /not your IP address/);
      assert.match(body, /<input type="checkbox" id="consent" name="-consent" value="yes"/);
      assert.match(body, /<a href="\/surveys\/[^"]+\?lang=fr" lang="fr" hreflang="fr">Français<\/a>/);
      const french = await (await get(app, `/surveys/${survey.id}?lang=fr`)).text();
      assert.match(french, /<html lang="fr">/);
      assert.match(french, /Votre vie privée/);
      const refused = await post(app, `/surveys/${survey.id}/start`, {});
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), /Tick the box to agree before you start\./);
      assert.equal((await get(app, "/surveys/no-such-survey")).status, 404);
    });

    it("answers page by page: errors next to the field and in the summary, skip logic, back, submit once", async () => {
      const link = await start(app, survey);
      const first = await (await get(app, link)).text();
      // The barriers page is not counted until "yes" brings it in.
      assert.match(first, /Page 1 of 2/);
      assert.match(first, /<progress max="2" value="1"/);
      assert.match(first, /Bookmark this link to continue later/);
      assert.match(first, /<legend>Where do you work\?/);

      // A team of 0 breaks the constraint; a missing answer is required.
      const bad = await post(app, `${link}?page=about`, { region: "150", staff: "0", "-action": "next" });
      assert.equal(bad.status, 400);
      const page = await bad.text();
      assert.match(page, /role="alert"/);
      assert.match(page, /<a href="#q-staff">How many people work in your team\? — Give a number from 1 to 1000\.<\/a>/);
      assert.match(page, /<p class="error" id="q-staff-error">Give a number from 1 to 1000\.<\/p>/);
      assert.match(page, /id="q-staff" name="staff" value="0"[^>]*aria-describedby="q-staff-hint q-staff-error" aria-invalid="true"/);
      assert.match(page, /<a href="#q-buys_it--0">Do you buy IT services\? — Answer this question\.<\/a>/);

      // "No" skips the barriers page: page 2 of 2 is the last.
      const last = await follow(app, await post(app, `${link}?page=about`, { region: "150", staff: "12", buys_it: "no", "-action": "next" }));
      assert.match(last.location, /page=last/);
      assert.match(last.body, /Page 2 of 2/);
      assert.match(last.body, /Submit my answers/);
      // Back, and "yes" brings the barriers page in.
      const back = await follow(app, await post(app, `${link}?page=last`, { "-action": "back" }));
      assert.match(back.body, /value="12"/, "the answers so far come back");
      const barriers = await follow(app, await post(app, `${link}?page=about`, { region: "150", staff: "12", buys_it: "yes", "-action": "next" }));
      assert.match(barriers.body, /Page 2 of 3/);
      assert.match(barriers.body, /<legend>What holds you back\?/);
      assert.match(barriers.body, /name="barriers_other"/);
      const toLast = await follow(app, await post(app, `${link}?page=barriers_page`, { barriers: ["cost", "other"], barriers_other: "Vendor lock-in", comment: "marker-4711", "-action": "next" }));
      assert.match(toLast.body, /Page 3 of 3/);

      const unconfirmed = await post(app, `${link}?page=last`, { "-action": "next" });
      assert.equal(unconfirmed.status, 400);
      assert.equal(await countResponses(store.db, survey.id), 0);
      const thanks = await follow(app, await post(app, `${link}?page=last`, { confirm: "OK", "-action": "next" }));
      assert.match(thanks.body, /Your answers have been recorded/);
      // A resent submit shows the same thanks and stores nothing more.
      const again = await follow(app, await post(app, `${link}?page=last`, { confirm: "OK", "-action": "next" }));
      assert.match(again.body, /Your answers have been recorded/);
      assert.equal(await countResponses(store.db, survey.id), 1);
      const responses = [];
      for await (const response of iterateResponses(store.db, survey.id)) responses.push(response);
      assert.equal(responses.length, 1);
      const answers = responses[0]?.answers ?? {};
      assert.equal(answers.staff, "12");
      assert.equal(answers.barriers, "cost other");
      assert.equal(answers.barriers_other, "Vendor lock-in");
      assert.equal(answers.comment, "marker-4711");
      assert.match(responses[0]?.submittedOn ?? "", /^\d{4}-\d{2}-\d{2}$/);
    });

    it("keeps the answers in survey_responses only, and the response row holds no session or invitation id", async () => {
      assert.deepEqual([...TABLE_COLUMNS.survey_responses].sort(), ["answers", "id", "submitted_on", "survey_id"]);
      const holding: string[] = [];
      for (const table of Object.keys(TABLE_COLUMNS) as TableName[]) {
        const rows = await store.db.selectFrom(table).selectAll().execute();
        for (const row of rows) if (JSON.stringify(row).includes("marker-4711")) holding.push(table);
      }
      assert.deepEqual(holding, ["survey_responses"]);
      const sessions = await store.db.selectFrom("survey_sessions").selectAll().execute();
      assert.ok(sessions.every((session) => session.state !== "submitted" || !session.answers.includes("Vendor")));
    });

    it("saves and resumes, also from a second app on the same database (a restart), and switches language mid-way", async () => {
      const link = await start(app, survey);
      const saved = await follow(app, await post(app, `${link}?page=about`, { region: "002", staff: "7", buys_it: "yes", "-action": "save" }));
      assert.match(saved.body, /Your answers are saved/);
      assert.match(saved.body, new RegExp(`href="http://localhost${link}"`));
      const second = await store.openAnother();
      const restarted = appOn(second);
      const resumed = await (await get(restarted, `${link}?lang=fr`)).text();
      assert.match(resumed, /<html lang="fr">/);
      assert.match(resumed, /Où travaillez-vous/);
      assert.match(resumed, /id="q-region--1" name="region" value="002" checked/);
      assert.match(resumed, /value="7"/);
      const barriers = await follow(restarted, await post(restarted, `${link}?page=about&lang=fr`, { region: "002", staff: "7", buys_it: "yes", "-action": "next" }));
      assert.match(barriers.body, /Qu&#39;est-ce qui vous freine|Qu'est-ce qui vous freine/);
      assert.match(barriers.location, /lang=fr/);
      // The language is kept with the session: the link alone opens in French.
      const plain = await (await get(app, link)).text();
      assert.match(plain, /Page 2 sur 3/);
    });

    it("refuses a survey before it opens and after it closes", async () => {
      const link = await start(app, survey);
      await updateSurveySettings(store.db, survey.id, { mode: "public", opensAt: null, closesAt: "2020-01-01T00:00:00.000Z", privacyNotice: "", consentText: "" }, null);
      const closed = await get(app, `/surveys/${survey.id}`);
      assert.equal(closed.status, 410);
      assert.match(await closed.text(), /This survey closed on 2020-01-01 00:00 UTC/);
      assert.equal((await get(app, link)).status, 410);
      assert.equal((await post(app, `${link}?page=about`, { "-action": "next" })).status, 410);
      await updateSurveySettings(store.db, survey.id, { mode: "public", opensAt: "2999-01-01T00:00:00.000Z", closesAt: null, privacyNotice: "Only the answers.", consentText: "I agree." }, null);
      const early = await get(app, `/surveys/${survey.id}`);
      assert.equal(early.status, 403);
      assert.match(await early.text(), /This survey opens on 2999-01-01 00:00 UTC/);
      await updateSurveySettings(store.db, survey.id, { mode: "public", opensAt: null, closesAt: null, privacyNotice: "Only the answers.", consentText: "I agree." }, null);
      const custom = await (await get(app, `/surveys/${survey.id}`)).text();
      assert.match(custom, /<p>Only the answers\.<\/p>/);
      assert.match(custom, /<span>I agree\.<\/span>/);
    });

    it("needs an invitation in invitation mode, and each invitation starts answers once", async () => {
      await updateSurveySettings(store.db, survey.id, { mode: "invitation", opensAt: null, closesAt: null, privacyNotice: "", consentText: "" }, null);
      const without = await get(app, `/surveys/${survey.id}`);
      assert.equal(without.status, 403);
      assert.match(await without.text(), /by invitation only/);
      assert.equal((await post(app, `/surveys/${survey.id}/start`, { "-consent": "yes" })).status, 403);
      const [invitation] = await createInvitations(store.db, survey.id, ["someone@example.org"], null);
      assert.ok(invitation);
      const intro = await (await get(app, `/surveys/${survey.id}?invite=${invitation.token}`)).text();
      assert.match(intro, new RegExp(`name="-invite" value="${invitation.token}"`));
      const started = await post(app, `/surveys/${survey.id}/start`, { "-consent": "yes", "-invite": invitation.token });
      assert.equal(started.status, 303);
      const reused = await post(app, `/surveys/${survey.id}/start`, { "-consent": "yes", "-invite": invitation.token });
      assert.equal(reused.status, 403);
      assert.match(await reused.text(), /This invitation has been used already/);
      const unknown = await post(app, `/surveys/${survey.id}/start`, { "-consent": "yes", "-invite": "not-a-token" });
      assert.equal(unknown.status, 403);
      assert.match(await unknown.text(), /not valid for this survey/);
      await updateSurveySettings(store.db, survey.id, { mode: "public", opensAt: null, closesAt: null, privacyNotice: "", consentText: "" }, null);
    });

    it("shows a form in a language the pages have no words for, marked with its language and direction", async () => {
      const bytes = await xlsForm({
        survey: [["type", "name", "label::Deutsch (de)", "label::العربية (ar)"], ["text", "name", "Ihr Name?", "ما اسمك؟"]],
        settings: [["form_title", "default_language"], ["Umfrage", "Deutsch (de)"]],
      });
      const form = await readXlsForm(bytes, "umfrage.xlsx");
      const other = await createSurvey(store.db, { form, formId: form.id, title: form.title, version: form.version, fileName: "umfrage.xlsx" }, null);
      const link = await start(app, other, "?lang=ar");
      const page = await (await get(app, link)).text();
      assert.match(page, /<html lang="en">/, "our own words are in English");
      assert.match(page, /<div lang="ar" dir="rtl">/);
      assert.match(page, /ما اسمك؟/);
      const german = await (await get(app, `${link}?lang=de`)).text();
      assert.match(german, /<div lang="de">/);
      assert.match(german, /Ihr Name\?/);
    });

    it("refuses a private link that does not exist, and a post from another site", async () => {
      const unknown = await get(app, `/surveys/${survey.id}/r/no-such-token`);
      assert.equal(unknown.status, 404);
      assert.match(await unknown.text(), /This link does not lead to any answers/);
      const link = await start(app, survey);
      const forged = await post(app, `${link}?page=about`, { region: "150", "-action": "save" }, { "sec-fetch-site": "cross-site" });
      assert.equal(forged.status, 403);
    });

    it("refuses an answering post past its size limit before reading it all", async () => {
      const link = await start(app, survey);
      const response = await post(app, `${link}?page=about`, { comment: "x".repeat(300 * 1024), "-action": "save" });
      assert.equal(response.status, 413);
    });

    it("limits the posts of one client, in memory, with a 429 page", async () => {
      const limited = appOn(store, { rateLimit: { max: 3, windowMs: 60_000 } });
      for (let i = 0; i < 3; i++) assert.notEqual((await post(limited, `/surveys/${survey.id}/start`, {})).status, 429);
      const refused = await post(limited, `/surveys/${survey.id}/start`, { "-consent": "yes" });
      assert.equal(refused.status, 429);
      assert.ok(refused.headers.get("retry-after"));
      assert.match(await refused.text(), /Too many pages were sent from your network/);
      // Reading is not limited.
      assert.equal((await get(limited, `/surveys/${survey.id}`)).status, 200);
    });
  });
}
