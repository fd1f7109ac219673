// The staff's survey pages through Hono's fetch handler, on SQLite and
// PostgreSQL, for every role: anonymous visitors are sent to log in,
// viewers read the results and download the exports but change nothing,
// editors and admins import forms (bad ones refused with the CLI's one
// line, nothing stored), change the settings, and cannot invite without
// an SMTP server (nothing made). The results page counts the answers,
// cross-tabulates them by a select question, and links regions to the
// observatory; the exports stream as attachments.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import ExcelJS from "exceljs";
import { loadCatalog } from "../../catalog/load.ts";
import { countResponses, createAnswerSession, getSurvey, listInvitations, listSurveys, submitAnswerSession } from "../../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { twoLanguageForm, xlsForm } from "../survey-test-support.ts";
import { createTestAccounts, testBrowser, type TestBrowser } from "../test-browser.ts";

function upload(csrf: string, bytes: Uint8Array, name: string): FormData {
  const form = new FormData();
  form.set("csrf", csrf);
  form.set("file", new File([bytes], name));
  return form;
}

/** The one-line error of a page (the layout's role="alert" paragraph). */
async function errorLine(response: Response): Promise<string> {
  const body = await response.text();
  const match = /<p class="error" role="alert">([^<]*)<\/p>/.exec(body);
  assert.ok(match, `no error line in the page (status ${response.status})`);
  return (match[1] ?? "").replaceAll("&#34;", '"').replaceAll("&#39;", "'").replaceAll("&amp;", "&");
}

for (const dialect of TEST_DIALECTS) {
  describe(`survey staff pages on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;
    let admin: TestBrowser;
    let editor: TestBrowser;
    let viewer: TestBrowser;
    let surveyId = "";

    before(async () => {
      store = await openTestStore(dialect, { name: "survey_admin" });
      await createTestAccounts(store);
      app = createApp({ store, catalog: loadCatalog(), limiter: new LoginLimiter(), secureCookies: false });
      admin = testBrowser(app);
      await admin.login("admin@example.org");
      editor = testBrowser(app);
      await editor.login("editor@example.org");
      viewer = testBrowser(app);
      await viewer.login("viewer@example.org");
    });
    after(() => store.close());

    it("sends anonymous visitors to log in, and lets viewers look but not import", async () => {
      const anonymous = await app.request("/surveys/admin");
      assert.equal(anonymous.status, 303);
      assert.equal(anonymous.headers.get("location"), "/login");
      const list = await viewer.get("/surveys/admin");
      assert.equal(list.status, 200);
      const body = await list.text();
      assert.match(body, /No survey yet\./);
      assert.match(body, /<a href="\/surveys\/admin" aria-current="page">Surveys<\/a>/);
      assert.doesNotMatch(body, /action="\/surveys\/admin\/upload"/);
      const csrf = await viewer.csrf("/surveys/admin");
      assert.equal((await viewer.upload("/surveys/admin/upload", upload(csrf, await twoLanguageForm(), "form.xlsx"))).status, 403);
      assert.equal((await viewer.post("/surveys/admin/starter", { csrf })).status, 403);
      assert.equal((await listSurveys(store.db)).length, 0);
    });

    it("refuses bad uploads with one line each, storing nothing", async () => {
      const csrf = await editor.csrf("/surveys/admin");
      const header = ["type", "name", "label"];
      const cases: [string, Uint8Array, RegExp][] = [
        ["old.xls", new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), /^old\.xls: .*\.xlsx/],
        ["broken.xlsx", new TextEncoder().encode("not a zip at all"), /^broken\.xlsx: /],
        ["unsupported.xlsx", await xlsForm({ survey: [header, ["geopoint", "where", "Where?"]] }), /^unsupported\.xlsx: survey 2, type: .*unsupported/],
        ["duplicate.xlsx", await xlsForm({ survey: [header, ["text", "a", "A"], ["text", "a", "Again"]] }), /^duplicate\.xlsx: survey 3, name: .*a/],
        ["nolist.xlsx", await xlsForm({ survey: [header, ["select_one colours", "colour", "Colour?"]] }), /^nolist\.xlsx: .*colours/],
        ["formula.xlsx", await xlsForm({ survey: [header, ["text", "a", { formula: "HYPERLINK(\"http://example.org\")" }]] }), /^formula\.xlsx: survey 2, label: .*formula/i],
        ["badexpr.xlsx", await xlsForm({ survey: [[...header, "relevant"], ["text", "a", "A", ""], ["text", "b", "B", "${nope} = 1"]] }), /^badexpr\.xlsx: survey 3, relevant: .*nope/],
      ];
      for (const [name, bytes, expected] of cases) {
        const response = await editor.upload("/surveys/admin/upload", upload(csrf, bytes, name));
        assert.equal(response.status, 400, name);
        const line = await errorLine(response);
        assert.match(line, expected, name);
        assert.doesNotMatch(line, /\n/);
      }
      const big = new Uint8Array(5 * 1024 * 1024 + 1);
      const oversize = await editor.upload("/surveys/admin/upload", upload(csrf, big, "big.xlsx"));
      assert.equal(oversize.status, 400);
      assert.match(await errorLine(oversize), /^big\.xlsx: larger than 5 MiB: nothing was stored\.$/);
      assert.equal((await listSurveys(store.db)).length, 0);
    });

    it("lists every problem of an upload, one line each, as the CLI does", async () => {
      const csrf = await editor.csrf("/surveys/admin");
      const bytes = await xlsForm({ survey: [["type", "name", "label"], ["geopoint", "where", "Where?"], ["text", "a", "A"], ["text", "a", "Again"]] });
      const response = await editor.upload("/surveys/admin/upload", upload(csrf, bytes, "two.xlsx"));
      assert.equal(response.status, 400);
      const lines = (await errorLine(response)).split("\n");
      assert.equal(lines.length, 2, lines.join(" | "));
      assert.match(lines[0] ?? "", /^two\.xlsx: survey 2, type: .*unsupported/);
      assert.match(lines[1] ?? "", /^two\.xlsx: survey 4, name: /);
      assert.equal((await listSurveys(store.db)).length, 0);
    });

    it("imports a form, which opens with a public link, and lists it", async () => {
      const csrf = await editor.csrf("/surveys/admin");
      const response = await editor.upload("/surveys/admin/upload", upload(csrf, await twoLanguageForm(), "procurement-test.xlsx"));
      assert.equal(response.status, 303);
      surveyId = /^\/surveys\/admin\/([^/?]+)\?created=1$/.exec(response.headers.get("location") ?? "")?.[1] ?? "";
      assert.ok(surveyId);
      const page = await (await editor.get(`/surveys/admin/${surveyId}?created=1`)).text();
      assert.match(page, /Survey imported\./);
      assert.match(page, new RegExp(`<a href="/surveys/${surveyId}">http://localhost/surveys/${surveyId}</a>`));
      const list = await (await viewer.get("/surveys/admin")).text();
      assert.match(list, /<a href="\/surveys\/admin\/[^"]+">Procurement test<\/a>/);
      assert.match(list, /<td>Public link<\/td>\s*<td>open<\/td>\s*<td class="num">0<\/td>/);
    });

    it("imports the starter survey in English, French and Spanish", async () => {
      const csrf = await admin.csrf("/surveys/admin");
      const response = await admin.post("/surveys/admin/starter", { csrf });
      assert.equal(response.status, 303);
      const id = /^\/surveys\/admin\/([^/?]+)\?created=1$/.exec(response.headers.get("location") ?? "")?.[1] ?? "";
      const starter = await getSurvey(store.db, id);
      assert.ok(starter);
      assert.deepEqual((starter.form as { languages: string[] }).languages.map((language) => /\((\w+)\)$/.exec(language)?.[1]), ["en", "fr", "es"]);
      const intro = await (await app.request(`/surveys/${id}?lang=es`)).text();
      assert.match(intro, /<a href="[^"]+lang=fr" lang="fr" hreflang="fr">Français<\/a>/);
      assert.match(intro, /Su privacidad/);
    });

    it("lets editors and admins change the settings, and not viewers", async () => {
      const viewerCsrf = await viewer.csrf(`/surveys/admin/${surveyId}`);
      const viewerPage = await (await viewer.get(`/surveys/admin/${surveyId}`)).text();
      assert.doesNotMatch(viewerPage, /action="\/surveys\/admin\/[^"]+\/settings"/);
      assert.equal((await viewer.post(`/surveys/admin/${surveyId}/settings`, { csrf: viewerCsrf, mode: "invitation" })).status, 403);
      const csrf = await editor.csrf(`/surveys/admin/${surveyId}`);
      const bad = await editor.post(`/surveys/admin/${surveyId}/settings`, { csrf, mode: "public", opensAt: "next week", closesAt: "", privacyNotice: "", consentText: "" });
      assert.equal(bad.status, 400);
      const reversed = await editor.post(`/surveys/admin/${surveyId}/settings`, { csrf, mode: "public", opensAt: "2030-01-02T00:00", closesAt: "2030-01-01T00:00", privacyNotice: "", consentText: "" });
      assert.equal(reversed.status, 400);
      assert.match(await errorLine(reversed), /The closing must come after the opening\./);
      const saved = await editor.post(`/surveys/admin/${surveyId}/settings`, { csrf, mode: "invitation", opensAt: "", closesAt: "2999-12-31T18:00", privacyNotice: "We keep the answers only.", consentText: "I agree." });
      assert.equal(saved.status, 303);
      const survey = await getSurvey(store.db, surveyId);
      assert.ok(survey);
      assert.equal(survey.mode, "invitation");
      assert.equal(survey.closesAt, "2999-12-31T18:00:00.000Z");
      assert.equal(survey.privacyNotice, "We keep the answers only.");
      const adminCsrf = await admin.csrf(`/surveys/admin/${surveyId}`);
      assert.equal((await admin.post(`/surveys/admin/${surveyId}/settings`, { csrf: adminCsrf, mode: "public", opensAt: "", closesAt: "", privacyNotice: "", consentText: "" })).status, 303);
      assert.equal((await getSurvey(store.db, surveyId))?.mode, "public");
    });

    it("makes no invitation when no SMTP server is configured", async () => {
      const page = await (await editor.get(`/surveys/admin/${surveyId}`)).text();
      assert.match(page, /No SMTP server is configured/);
      const csrf = await editor.csrf(`/surveys/admin/${surveyId}`);
      const response = await editor.post(`/surveys/admin/${surveyId}/invitations`, { csrf, emails: "a@example.org\nb@example.org" });
      assert.equal(response.status, 503);
      assert.deepEqual(await listInvitations(store.db, surveyId), []);
    });

    it("shows the results to viewers: counts, a chart, a cross-tabulation, regions linked to the observatory", async () => {
      const answers: Record<string, string>[] = [
        { region: "150", staff: "10", buys_it: "yes", barriers: "cost skills", comment: "Too few suppliers", confirm: "OK" },
        { region: "150", staff: "30", buys_it: "yes", barriers: "cost", confirm: "OK" },
        { region: "002", staff: "5", buys_it: "no", confirm: "OK" },
      ];
      for (const given of answers) {
        const { session } = await createAnswerSession(store.db, { surveyId, language: "English (en)" });
        await submitAnswerSession(store.db, session.id, given);
      }
      assert.equal(await countResponses(store.db, surveyId), 3);
      const response = await viewer.get(`/surveys/admin/${surveyId}`);
      assert.equal(response.status, 200);
      const page = await response.text();
      assert.match(page, /<svg[^>]*role="img"/);
      assert.match(page, /Too few suppliers/);
      assert.match(page, /href="\/policies\?region=150"/);
      assert.match(page, /<td class="num">2<\/td><td class="num">66\.7%<\/td>/);
      const crossed = await (await viewer.get(`/surveys/admin/${surveyId}?by=region#results`)).text();
      assert.match(crossed, /<option value="region" selected>/);
      assert.match(crossed, /<caption>[^<]*by Where do you work\?/);
    });

    it("streams the exports to viewers as attachments", async () => {
      const csv = await viewer.get(`/surveys/admin/${surveyId}/export/csv`);
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get("content-disposition") ?? "", /^attachment; filename="procurement_test-\d{4}-\d{2}-\d{2}\.csv"$/);
      const text = await csv.text();
      assert.match(text.split("\n")[0] ?? "", /region.*staff.*barriers\/cost/);
      assert.equal(text.trim().split("\n").length, 4);
      const labelled = await (await viewer.get(`/surveys/admin/${surveyId}/export/csv-labels`)).text();
      assert.match(labelled.split("\n")[0] ?? "", /Where do you work\?/);
      assert.match(labelled, /Europe/);
      const french = await (await viewer.get(`/surveys/admin/${surveyId}/export/csv-labels?lang=fr`)).text();
      assert.match(french.split("\n")[0] ?? "", /Où travaillez-vous \?/);
      const xlsx = await viewer.get(`/surveys/admin/${surveyId}/export/xlsx`);
      assert.equal(xlsx.status, 200);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(await xlsx.arrayBuffer());
      assert.ok(workbook.worksheets.length >= 2);
      const json = await viewer.get(`/surveys/admin/${surveyId}/export/json`);
      assert.equal(json.status, 200);
      assert.ok(JSON.parse(await json.text()));
      const sps = await viewer.get(`/surveys/admin/${surveyId}/export/sps`);
      assert.equal(sps.status, 200);
      assert.match(await sps.text(), /DATA LIST/);
      assert.equal((await viewer.get(`/surveys/admin/${surveyId}/export/pdf`)).status, 404);
      assert.equal((await app.request(`/surveys/admin/${surveyId}/export/csv`)).status, 303);
    });

    it("lets an admin delete a survey with its responses, and not a viewer", async () => {
      const viewerCsrf = await viewer.csrf(`/surveys/admin/${surveyId}`);
      assert.equal((await viewer.post(`/surveys/admin/${surveyId}/delete`, { csrf: viewerCsrf, confirm: "on" })).status, 403);
      const csrf = await admin.csrf(`/surveys/admin/${surveyId}`);
      assert.equal((await admin.post(`/surveys/admin/${surveyId}/delete`, { csrf })).status, 400);
      assert.equal((await admin.post(`/surveys/admin/${surveyId}/delete`, { csrf, confirm: "on" })).status, 303);
      assert.equal(await getSurvey(store.db, surveyId), null);
    });
  });
}
