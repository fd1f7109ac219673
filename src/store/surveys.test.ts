// Surveys in the store (issue 12) on SQLite and PostgreSQL: what a response,
// a submitted session and an invitation keep (and do not), submits that
// store once under concurrency, invitations spent once, keyset iteration,
// deletion with everything that belongs to a survey, and the audit log.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { Migrator } from "kysely/migration";
import { backupDatabase, restoreDatabase } from "./backup.ts";
import { migrationProvider } from "./migrations.ts";
import { listAudit } from "./audit.ts";
import type { Store } from "./database.ts";
import { ConflictError, NotFoundError, ValidationError } from "./support.ts";
import {
  countResponses,
  createAnswerSession,
  createInvitations,
  createSurvey,
  deleteSurvey,
  getAnswerSession,
  getSurvey,
  InvitationError,
  iterateResponses,
  listInvitations,
  listSurveys,
  markInvitationSent,
  pruneAnswerSessions,
  saveAnswerSession,
  submitAnswerSession,
  updateSurveySettings,
  type Survey,
} from "./surveys.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "./test-databases.ts";
import { createUser } from "./users.ts";

const FORM = { id: "dm_survey", title: "Decision makers", version: "1", questions: [{ name: "region", type: "select_one" }] };
const SECRET = "a very personal answer 4711";

async function newSurvey(db: Store["db"], userId: string | null = null): Promise<Survey> {
  return createSurvey(db, { form: FORM, formId: "dm_survey", title: "Decision makers", version: "1", fileName: "dm.xlsx" }, userId);
}

for (const dialect of TEST_DIALECTS) {
  describe(`surveys store on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let other: Store;
    let editor = "";

    before(async () => {
      // A file and a pool, so that a second connection really runs at the same time.
      store = await openTestStore(dialect, { name: "surveys_test", file: true, postgres: { max: 4 } });
      other = await store.openAnother();
      editor = (await createUser(store.db, { email: "ed@example.org", name: "Ed", role: "editor", passwordHash: "scrypt$x" }, null)).id;
    });
    after(() => store.close());

    it("creates, reads, lists, updates settings and deletes a survey, each in the audit log", async () => {
      const survey = await newSurvey(store.db, editor);
      assert.deepEqual(survey.form, FORM);
      assert.equal(survey.mode, "public");
      assert.deepEqual(await getSurvey(store.db, survey.id), survey);
      assert.equal(await getSurvey(store.db, "nope"), null);

      const updated = await updateSurveySettings(store.db, survey.id, { mode: "invitation", opensAt: "2026-12-01", closesAt: "2026-12-31T18:00:00+01:00", privacyNotice: "We keep no addresses.", consentText: "I agree" }, editor);
      assert.equal(updated.opensAt, "2026-12-01T00:00:00.000Z");
      assert.equal(updated.closesAt, "2026-12-31T17:00:00.000Z");
      assert.deepEqual(await getSurvey(store.db, survey.id), updated);
      await assert.rejects(updateSurveySettings(store.db, survey.id, { ...updated, opensAt: "2027-01-01", closesAt: "2026-01-01" }, editor), (error: unknown) => error instanceof ValidationError && /closesAt: must be after the opening/.test(error.message));
      await assert.rejects(updateSurveySettings(store.db, survey.id, { ...updated, mode: "open" as "public" }, editor), ValidationError);
      await assert.rejects(updateSurveySettings(store.db, survey.id, { ...updated, opensAt: "next week" }, editor), ValidationError);
      await assert.rejects(updateSurveySettings(store.db, "nope", updated, editor), NotFoundError);

      const listed = await listSurveys(store.db);
      assert.equal(listed.find((found) => found.id === survey.id)?.responses, 0);

      await deleteSurvey(store.db, survey.id, editor);
      assert.equal(await getSurvey(store.db, survey.id), null);
      await assert.rejects(deleteSurvey(store.db, survey.id, editor), NotFoundError);
      const { items } = await listAudit(store.db, { entity: "survey", entityId: survey.id });
      assert.deepEqual(items.map((entry) => entry.action).sort(), ["create", "delete", "update"]);
      assert.ok(items.every((entry) => entry.userId === editor));
    });

    it("refuses a survey without a title or file name", async () => {
      await assert.rejects(createSurvey(store.db, { form: FORM, formId: "x", title: " ", version: "", fileName: "f.xlsx" }, null), /title: must not be empty/);
      await assert.rejects(createSurvey(store.db, { form: FORM, formId: "x", title: "T", version: "", fileName: "" }, null), /fileName/);
    });

    it("keeps the answers of a session under its token's hash, and after submit only the response, anonymous", async () => {
      const survey = await newSurvey(store.db);
      const { token, session } = await createAnswerSession(store.db, { surveyId: survey.id, language: "English (en)" });
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(session.state, "open");
      assert.deepEqual(await getAnswerSession(store.db, survey.id, token), session);
      assert.equal(await getAnswerSession(store.db, "another-survey", token), null, "a token is its own survey's only");
      assert.equal(await getAnswerSession(store.db, survey.id, `${token}x`), null);

      await saveAnswerSession(store.db, session.id, { answers: { region: "150", story: SECRET }, page: "about_you", language: "Français (fr)" });
      const saved = await getAnswerSession(other.db, survey.id, token);
      assert.deepEqual(saved?.answers, { region: "150", story: SECRET }, "survives a restart: another connection reads it");
      assert.equal(saved.page, "about_you");
      assert.equal(saved.language, "Français (fr)");

      assert.deepEqual(await submitAnswerSession(store.db, session.id, { region: "150", story: SECRET }), { stored: true });
      assert.deepEqual(await submitAnswerSession(store.db, session.id, { region: "999" }), { stored: false }, "a resent POST stores nothing");
      await assert.rejects(saveAnswerSession(store.db, session.id, { answers: {}, page: null, language: "x" }), ConflictError);
      await assert.rejects(submitAnswerSession(store.db, "no-such-session", {}), NotFoundError);

      const today = new Date().toISOString().slice(0, 10);
      const responses = await store.db.selectFrom("survey_responses").selectAll().where("survey_id", "=", survey.id).execute();
      assert.equal(responses.length, 1);
      const [response] = responses;
      assert.ok(response);
      assert.deepEqual(Object.keys(response).sort(), ["answers", "id", "submitted_on", "survey_id"], "nothing else is kept with an answer");
      assert.equal(response.submitted_on, today, "the date only");
      assert.notEqual(response.id, session.id);
      assert.deepEqual(JSON.parse(response.answers), { region: "150", story: SECRET });

      const sessionRow = await store.db.selectFrom("survey_sessions").selectAll().where("id", "=", session.id).executeTakeFirstOrThrow();
      assert.deepEqual(
        { ...sessionRow, id: "", token_hash: "" },
        { id: "", survey_id: survey.id, token_hash: "", answers: "{}", page: null, language: "", started_at: today, updated_at: today, state: "submitted" },
        "the submitted session keeps its token's hash and state, no answers, no time",
      );
      assert.match(sessionRow.token_hash, /^[0-9a-f]{64}$/);
      assert.notEqual(sessionRow.token_hash, token);
      assert.equal((await getAnswerSession(store.db, survey.id, token))?.state, "submitted", "the link still says it was submitted");

      const audit = JSON.stringify((await listAudit(store.db, { limit: 500 })).items);
      assert.ok(!audit.includes(SECRET), "no answer in the audit log");
    });

    it("keeps the answer of a question named __proto__ or constructor (valid XLSForm names), in a session and a response", async () => {
      const survey = await newSurvey(store.db);
      const answers: Record<string, string> = {};
      for (const [name, value] of [["__proto__", "proto answer"], ["constructor", "c"], ["region", "150"]]) {
        Object.defineProperty(answers, name as string, { value, enumerable: true, writable: true, configurable: true });
      }
      const { token, session } = await createAnswerSession(store.db, { surveyId: survey.id, language: "en" });
      await saveAnswerSession(store.db, session.id, { answers, page: null, language: "en" });
      const saved = await getAnswerSession(store.db, survey.id, token);
      assert.equal(saved && Object.hasOwn(saved.answers, "__proto__") ? saved.answers.__proto__ : "(lost)", "proto answer");
      assert.deepEqual(await submitAnswerSession(store.db, session.id, answers), { stored: true });
      const stored: Record<string, string>[] = [];
      for await (const response of iterateResponses(store.db, survey.id)) stored.push(response.answers);
      assert.deepEqual(Object.entries(stored[0] ?? {}), [["__proto__", "proto answer"], ["constructor", "c"], ["region", "150"]]);
      const tooLong: Record<string, string> = {};
      Object.defineProperty(tooLong, "__proto__", { value: "x".repeat(1024 * 1024 + 1), enumerable: true });
      await assert.rejects(saveAnswerSession(store.db, session.id, { answers: tooLong, page: null, language: "en" }), ValidationError);
    });

    it("stores a response once when the same session is submitted many times at once", async () => {
      const survey = await newSurvey(store.db);
      const sessions = await Promise.all([1, 2, 3].map(() => createAnswerSession(store.db, { surveyId: survey.id, language: "en" })));
      // PostgreSQL: two pools of 4 connections, as two servers would have.
      // SQLite: one connection (as a server has), whose transactions take
      // turns; a second connection in the same thread would wait for the
      // lock synchronously while the first cannot go on.
      const second = dialect === "postgres" ? other.db : store.db;
      const results = await Promise.all(
        sessions.flatMap(({ session }) => Array.from({ length: 8 }, (_, index) => submitAnswerSession(index % 2 === 0 ? store.db : second, session.id, { n: String(index) }))),
      );
      assert.equal(results.filter((result) => result.stored).length, 3, "one per session");
      assert.equal(await countResponses(store.db, survey.id), 3);
    });

    it("spends an invitation when a session starts with it, and links neither to the other", async () => {
      const survey = await newSurvey(store.db, editor);
      await updateSurveySettings(store.db, survey.id, { mode: "invitation", opensAt: null, closesAt: null, privacyNotice: "", consentText: "" }, editor);
      const invitations = await createInvitations(store.db, survey.id, ["Ana@Example.org", "bob@example.org", "ana@example.org "], editor);
      assert.deepEqual(invitations.map((invitation) => invitation.email).sort(), ["ana@example.org", "bob@example.org"]);
      const bobFirst = invitations.find((invitation) => invitation.email === "bob@example.org");
      const bobAgain = await createInvitations(store.db, survey.id, ["bob@example.org"], editor);
      assert.equal(bobAgain.length, 1, "an invitation never sent is made again, to be sent");
      assert.equal(bobAgain[0]?.id, bobFirst?.id, "the same invitation");
      assert.notEqual(bobAgain[0]?.token, bobFirst?.token, "under a new token");
      await assert.rejects(createAnswerSession(store.db, { surveyId: survey.id, language: "en", invitationToken: bobFirst?.token ?? "" }), (error: unknown) => error instanceof InvitationError && error.reason === "unknown", "the old token no longer opens it");
      await assert.rejects(createInvitations(store.db, survey.id, ["not an address"], editor), ValidationError);
      await assert.rejects(createInvitations(store.db, "nope", ["c@example.org"], editor), NotFoundError);

      const rows = await store.db.selectFrom("survey_invitations").selectAll().where("survey_id", "=", survey.id).execute();
      for (const invitation of invitations) assert.ok(rows.every((row) => row.token_hash !== invitation.token && /^[0-9a-f]{64}$/.test(row.token_hash)), "only hashes are stored");

      const [ana, bob] = [...invitations].sort((a, b) => a.email.localeCompare(b.email));
      assert.ok(ana && bob);
      await assert.rejects(createAnswerSession(store.db, { surveyId: survey.id, language: "en" }), (error: unknown) => error instanceof InvitationError && error.reason === "unknown", "invitation mode needs a token");
      await assert.rejects(createAnswerSession(store.db, { surveyId: survey.id, language: "en", invitationToken: "made-up" }), (error: unknown) => error instanceof InvitationError && error.reason === "unknown");
      const other = await newSurvey(store.db);
      await assert.rejects(createAnswerSession(store.db, { surveyId: other.id, language: "en", invitationToken: ana.token }), (error: unknown) => error instanceof InvitationError && error.reason === "unknown", "not another survey's");

      const started = await Promise.allSettled([1, 2, 3, 4].map(() => createAnswerSession(store.db, { surveyId: survey.id, language: "en", invitationToken: ana.token })));
      assert.equal(started.filter((result) => result.status === "fulfilled").length, 1, "single use, even at once");
      assert.ok(started.every((result) => result.status === "fulfilled" || (result.reason instanceof InvitationError && result.reason.reason === "used")));
      const session = started.find((result) => result.status === "fulfilled")?.value.session;
      assert.ok(session);
      const sessionRow = await store.db.selectFrom("survey_sessions").selectAll().where("id", "=", session.id).executeTakeFirstOrThrow();
      assert.ok(!Object.values(sessionRow).includes(ana.id), "the session does not name its invitation");

      await markInvitationSent(store.db, bob.id, "2026-12-07T18:00:00.000Z");
      assert.deepEqual(await createInvitations(store.db, survey.id, ["bob@example.org", "ana@example.org"], editor), [], "an address sent an invitation, or that used it, is invited once");
      assert.deepEqual(
        (await listInvitations(store.db, survey.id)).map(({ email, sentAt, used }) => ({ email, sentAt, used })),
        [
          { email: "ana@example.org", sentAt: null, used: true },
          { email: "bob@example.org", sentAt: "2026-12-07T18:00:00.000Z", used: false },
        ],
      );
      await submitAnswerSession(store.db, session.id, { region: "150" });
      const [response] = await store.db.selectFrom("survey_responses").selectAll().where("survey_id", "=", survey.id).execute();
      assert.ok(response && !JSON.stringify(response).includes(ana.id) && !JSON.stringify(response).includes(session.id));
      const audit = JSON.stringify((await listAudit(store.db, { entity: "survey", entityId: survey.id })).items);
      assert.ok(audit.includes('"invitations":2'), audit);
      assert.ok(audit.includes('"sentAgain":1'), audit);
    });

    it("iterates every response once in keyset pages, and deleting a survey takes everything with it", async () => {
      const survey = await newSurvey(store.db);
      for (let n = 0; n < 10; n++) {
        const { session } = await createAnswerSession(store.db, { surveyId: survey.id, language: "en" });
        await submitAnswerSession(store.db, session.id, { n: String(n) });
      }
      const open = await createAnswerSession(store.db, { surveyId: survey.id, language: "en" });
      await createInvitations(store.db, survey.id, ["x@example.org"], null);
      const seen: string[] = [];
      const values: string[] = [];
      for await (const response of iterateResponses(store.db, survey.id, 3)) {
        seen.push(response.id);
        values.push(response.answers.n ?? "");
        assert.match(response.submittedOn, /^\d{4}-\d{2}-\d{2}$/);
      }
      assert.equal(seen.length, 10);
      assert.deepEqual([...seen].sort(), seen, "in id order");
      assert.deepEqual(values.sort(), ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
      assert.equal((await listSurveys(store.db)).find((found) => found.id === survey.id)?.responses, 10);

      await deleteSurvey(store.db, survey.id, null);
      for (const table of ["survey_sessions", "survey_responses", "survey_invitations"] as const) {
        const left = await store.db.selectFrom(table).select("id").where("survey_id", "=", survey.id).execute();
        assert.equal(left.length, 0, table);
      }
      assert.equal(await getAnswerSession(store.db, survey.id, open.token), null);
      await assert.rejects(createAnswerSession(store.db, { surveyId: survey.id, language: "en" }), NotFoundError);
    });

    it("forgets sessions started and left, not the submitted ones", async () => {
      const survey = await newSurvey(store.db);
      const left = await createAnswerSession(store.db, { surveyId: survey.id, language: "en" });
      await saveAnswerSession(store.db, left.session.id, { answers: { story: SECRET }, page: null, language: "en" });
      const done = await createAnswerSession(store.db, { surveyId: survey.id, language: "en" });
      await submitAnswerSession(store.db, done.session.id, { region: "150" });
      assert.equal(await pruneAnswerSessions(store.db, new Date(Date.now() - 60_000)), 0, "saved a moment ago");
      assert.equal(await pruneAnswerSessions(store.db, new Date(Date.now() + 60_000)), 1);
      assert.equal(await getAnswerSession(store.db, survey.id, left.token), null);
      assert.equal((await getAnswerSession(store.db, survey.id, done.token))?.state, "submitted");
      assert.equal(await countResponses(store.db, survey.id), 1);
    });

    it("keeps surveys through a backup and restore, and a backup from before 0006 restores with none", async () => {
      const folder = mkdtempSync(join(tmpdir(), "baseline-survey-backup-"));
      try {
        const survey = await newSurvey(store.db);
        const [invitation] = await createInvitations(store.db, survey.id, ["kim@example.org"], null);
        assert.ok(invitation);
        const { session } = await createAnswerSession(store.db, { surveyId: survey.id, language: "en", invitationToken: invitation.token });
        await submitAnswerSession(store.db, session.id, { region: "002" });
        const file = join(folder, "backup.json");
        await backupDatabase(store, file);
        await deleteSurvey(store.db, survey.id, null);
        await restoreDatabase(store, file);
        assert.equal(await countResponses(store.db, survey.id), 1);
        assert.deepEqual((await listInvitations(store.db, survey.id)).map((found) => found.used), [true]);

        const backup = JSON.parse(readFileSync(file, "utf8")) as { schemaVersion: string; tables: Record<string, unknown> };
        const older = Object.fromEntries(Object.entries(backup.tables).filter(([table]) => !table.startsWith("survey")));
        writeFileSync(file, JSON.stringify({ ...backup, schemaVersion: "0005-campaigns", tables: older }));
        await restoreDatabase(store, file);
        assert.equal(await getSurvey(store.db, survey.id), null);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });

    it("migration 0006 goes down and up again", async () => {
      const schema = dialect === "postgres" ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db)).rows[0]?.schema : undefined;
      const migrator = new Migrator({ db: store.db, provider: migrationProvider, ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
      const down = await migrator.migrateTo("0005-campaigns");
      assert.equal(down.error, undefined, String(down.error));
      const tables = (await store.db.introspection.getTables()).filter((table) => schema === undefined || table.schema === schema).map((table) => table.name);
      assert.ok(!tables.includes("surveys") && !tables.includes("survey_responses"));
      const up = await migrator.migrateToLatest();
      assert.equal(up.error, undefined, String(up.error));
      const survey = await newSurvey(store.db);
      assert.equal((await getSurvey(store.db, survey.id))?.title, "Decision makers");
    });
  });
}
