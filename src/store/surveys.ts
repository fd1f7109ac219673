/**
 * Surveys (issue 12): forms imported from XLSForm, the answers being given,
 * single-use invitations, and the submitted responses. The store keeps the
 * form as JSON text and does not read it (src/surveys/ does).
 *
 * Anonymity is the point: no answer can be linked to a person, not even by
 * someone who reads the whole database. What is stored:
 * - a survey: its form, title, settings (mode, opening and closing, privacy
 *   notice, consent text), when it was imported and by which staff account;
 * - an invitation: the e-mail address, the SHA-256 of its token (the token
 *   itself is only in the e-mail), when it was sent, and whether it was used
 *   (a yes/no; not when). It is spent when a session starts with it, and
 *   the session is not told which invitation started it;
 * - a session (answers being given): the SHA-256 of the private link's
 *   token, the answers so far, the page, the language, when it started and
 *   was last saved. On submit it keeps only its token's hash, its survey and
 *   its state ("submitted"): answers, page and language are cleared and both
 *   times become the submission's date;
 * - a response: a random id, the survey, the date of submission (YYYY-MM-DD,
 *   UTC, no time) and the answers.
 * What is not stored: IP addresses, user agents, cookies other than the
 * private link, the time of submission, any link from a response to a
 * session or an invitation, or from a session to an invitation. Responses
 * are read in the order of their random ids, not the order they came in
 * (and on SQLite are stored that way: the table has no rowid).
 * Limits: answers to metadata questions the form itself asks for (start,
 * end) hold times, as the form's author chose; and a database administrator
 * analysing the database's internals (PostgreSQL's transaction ids of rows,
 * pages not yet overwritten) could narrow down when an answer was stored.
 *
 * A submit is one transaction whose first statement is a conditional UPDATE
 * (state 'open' → 'submitted'): of two submits of one session (a resent
 * POST, two tabs), one stores and the other stores nothing.
 *
 * @example
 *   const survey = await createSurvey(db, { form, formId: form.id, title: form.title, version: form.version, fileName }, user.id);
 *   const { token, session } = await createAnswerSession(db, { surveyId: survey.id, language: "English (en)" });
 *   await submitAnswerSession(db, session.id, finalAnswers);
 *   for await (const response of iterateResponses(db, survey.id)) write(response);
 */
import { createHash, randomBytes } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import { audit, changedFields } from "./audit.ts";
import { SURVEY_MODES, type AnswerSessionState, type Schema, type SurveyMode, type SurveySessionsTable, type SurveysTable } from "./schema.ts";
import { ConflictError, NotFoundError, ValidationError, inTransaction, newId, parseInput, timestamp } from "./support.ts";

export { SURVEY_MODES, type SurveyMode } from "./schema.ts";

export interface Survey {
  id: string;
  formId: string;
  title: string;
  version: string;
  /** The Form (src/surveys/form.ts) as JSON parsed. */
  form: unknown;
  fileName: string;
  mode: SurveyMode;
  opensAt: string | null;
  closesAt: string | null;
  /** Plain text set by staff; "" for the web app's default. */
  privacyNotice: string;
  consentText: string;
  createdAt: string;
  createdBy: string | null;
}

export interface SurveySettings {
  mode: SurveyMode;
  /** ISO 8601 date or date and time; stored as an ISO timestamp (UTC). */
  opensAt: string | null;
  closesAt: string | null;
  privacyNotice: string;
  consentText: string;
}

export interface AnswerSession {
  id: string;
  surveyId: string;
  answers: Record<string, string>;
  page: string | null;
  language: string;
  startedAt: string;
  updatedAt: string;
  state: AnswerSessionState;
}

export interface StoredResponse {
  id: string;
  submittedOn: string;
  answers: Record<string, string>;
}

export interface Invitation {
  id: string;
  email: string;
  sentAt: string | null;
  used: boolean;
}

/** An invitation token that is not this survey's ("unknown") or was spent already ("used"). */
export class InvitationError extends Error {
  override name = "InvitationError";
  readonly reason: "unknown" | "used";
  constructor(reason: "unknown" | "used") {
    super(reason === "used" ? "this invitation has been used already" : "this invitation is not valid for this survey");
    this.reason = reason;
  }
}

/** Bounds that keep one row reasonable whatever a client sends. */
const MAX_FORM_JSON = 5 * 1024 * 1024;
const MAX_ANSWERS_JSON = 1024 * 1024;
const MAX_SETTINGS_TEXT = 20_000;
const MAX_INVITATIONS = 10_000;

const surveyInput = z.object({
  form: z.record(z.string(), z.unknown()),
  formId: z.string().trim().min(1, "must not be empty").max(200),
  title: z.string().trim().min(1, "must not be empty").max(1000),
  version: z.string().trim().max(200),
  fileName: z.string().trim().min(1, "must not be empty").max(500),
});

/** A date, or a date and time, that Date reads; kept as an ISO timestamp in UTC. */
const moment = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/, "must be a date (YYYY-MM-DD) or an ISO 8601 date and time")
  .transform((text, context) => {
    const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text.replace(" ", "T"));
    if (Number.isNaN(date.getTime())) {
      context.addIssue({ code: "custom", message: "must be a real date" });
      return z.NEVER;
    }
    return date.toISOString();
  });

const settingsInput = z
  .object({
    mode: z.enum(SURVEY_MODES, `must be one of ${SURVEY_MODES.join(", ")}`),
    opensAt: z.union([z.literal("").transform(() => null), moment, z.null()]),
    closesAt: z.union([z.literal("").transform(() => null), moment, z.null()]),
    privacyNotice: z.string().max(MAX_SETTINGS_TEXT, `must be at most ${MAX_SETTINGS_TEXT} characters`),
    consentText: z.string().max(MAX_SETTINGS_TEXT, `must be at most ${MAX_SETTINGS_TEXT} characters`),
  })
  .refine((settings) => settings.opensAt === null || settings.closesAt === null || settings.opensAt < settings.closesAt, {
    path: ["closesAt"],
    message: "must be after the opening",
  });

const answersInput = z
  .record(z.string(), z.string())
  .refine((answers) => JSON.stringify(answers).length <= MAX_ANSWERS_JSON, `must be at most ${MAX_ANSWERS_JSON} bytes as JSON`);

const sessionSave = z.object({
  page: z.string().max(500).nullable(),
  language: z.string().max(200),
});

/**
 * The answers checked (strings, size) and returned as given: zod's record()
 * builds its output by assignment, which turns a key named "__proto__" (a
 * valid XLSForm question name, which src/surveys/ keeps as an own property)
 * into the object's prototype, and the answer would be lost without a word.
 */
function checkedAnswers(answers: Record<string, string>, what: string): Record<string, string> {
  parseInput(answersInput, answers, what);
  if (!Object.values(answers).every((value) => typeof value === "string")) {
    throw new ValidationError(what, [{ path: "", message: "every answer must be text" }]);
  }
  if (JSON.stringify(answers).length > MAX_ANSWERS_JSON) throw new ValidationError(what, [{ path: "", message: `must be at most ${MAX_ANSWERS_JSON} bytes as JSON` }]);
  return answers;
}

const emailList = z
  .array(z.string().trim().toLowerCase().pipe(z.email("must be an e-mail address")))
  .max(MAX_INVITATIONS, `must have at most ${MAX_INVITATIONS} addresses`);

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** YYYY-MM-DD in UTC: the only time a response or a submitted session keeps. */
function dateOnly(date: Date = new Date()): string {
  return date.toISOString().slice(0, 10);
}

function surveyFromRow(row: Selectable<SurveysTable>): Survey {
  return {
    id: row.id,
    formId: row.form_id,
    title: row.title,
    version: row.version,
    form: JSON.parse(row.form) as unknown,
    fileName: row.file_name,
    mode: row.mode,
    opensAt: row.opens_at,
    closesAt: row.closes_at,
    privacyNotice: row.privacy_notice,
    consentText: row.consent_text,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

function sessionFromRow(row: Selectable<SurveySessionsTable>): AnswerSession {
  return {
    id: row.id,
    surveyId: row.survey_id,
    answers: JSON.parse(row.answers) as Record<string, string>,
    page: row.page,
    language: row.language,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    state: row.state,
  };
}

/** Stores an imported form (already validated by src/surveys/xlsform.ts) as a public survey, open at once. */
export async function createSurvey(
  db: Kysely<Schema>,
  input: { form: object; formId: string; title: string; version: string; fileName: string },
  userId: string | null,
): Promise<Survey> {
  const valid = parseInput(surveyInput, input, "survey");
  const form = JSON.stringify(valid.form);
  if (form.length > MAX_FORM_JSON) throw new ValidationError("survey", [{ path: "form", message: `must be at most ${MAX_FORM_JSON} bytes as JSON` }]);
  return inTransaction(db, async (trx) => {
    const row: Selectable<SurveysTable> = {
      id: newId(),
      form_id: valid.formId,
      title: valid.title,
      version: valid.version,
      form,
      file_name: valid.fileName,
      mode: "public",
      opens_at: null,
      closes_at: null,
      privacy_notice: "",
      consent_text: "",
      created_at: timestamp(),
      created_by: userId,
    };
    await trx.insertInto("surveys").values(row).execute();
    await audit(trx, { userId, action: "create", entity: "survey", entityId: row.id, detail: { formId: row.form_id, title: row.title, version: row.version, fileName: row.file_name } });
    return surveyFromRow(row);
  });
}

/**
 * Parsed forms by survey id. A survey's form is never changed after import
 * (a new version is a new survey), so the parsed form can be shared for as
 * long as the survey exists: every page of every respondent reads the
 * survey, and reading and parsing a 40-question form's JSON each time was
 * the largest cost of a page. The settings are read fresh every time.
 * Shared objects: callers treat the form as read-only (its type says so).
 */
const parsedForms = new LRUCache<string, { form: unknown }>({ max: 256 });

export async function getSurvey(db: Kysely<Schema>, id: string): Promise<Survey | null> {
  const row = await db
    .selectFrom("surveys")
    .select(["id", "form_id", "title", "version", "file_name", "mode", "opens_at", "closes_at", "privacy_notice", "consent_text", "created_at", "created_by"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  let cached = parsedForms.get(id);
  if (!cached) {
    const stored = await db.selectFrom("surveys").select("form").where("id", "=", id).executeTakeFirst();
    if (!stored) return null;
    cached = { form: JSON.parse(stored.form) as unknown };
    parsedForms.set(id, cached);
  }
  return { ...surveyFromRow({ ...row, form: "null" }), form: cached.form };
}

/** Every survey, newest first, with its number of responses. */
export async function listSurveys(db: Kysely<Schema>): Promise<(Survey & { responses: number })[]> {
  const rows = await db
    .selectFrom("surveys")
    .selectAll("surveys")
    .select((eb) => eb.selectFrom("survey_responses").select((inner) => inner.fn.countAll().as("n")).whereRef("survey_responses.survey_id", "=", "surveys.id").as("responses"))
    .orderBy("created_at", "desc")
    .orderBy("id")
    .execute();
  return rows.map((row) => ({ ...surveyFromRow(row), responses: Number(row.responses ?? 0) }));
}

export async function updateSurveySettings(db: Kysely<Schema>, id: string, settings: SurveySettings, userId: string | null): Promise<Survey> {
  const valid = parseInput(settingsInput, settings, "survey settings");
  return inTransaction(db, async (trx) => {
    const before = await getSurvey(trx, id);
    if (!before) throw new NotFoundError(`no survey with id ${id}`);
    await trx
      .updateTable("surveys")
      .set({ mode: valid.mode, opens_at: valid.opensAt, closes_at: valid.closesAt, privacy_notice: valid.privacyNotice, consent_text: valid.consentText })
      .where("id", "=", id)
      .execute();
    const after: Survey = { ...before, ...valid };
    const settingsOf = (survey: Survey): SurveySettings => ({ mode: survey.mode, opensAt: survey.opensAt, closesAt: survey.closesAt, privacyNotice: survey.privacyNotice, consentText: survey.consentText });
    await audit(trx, { userId, action: "update", entity: "survey", entityId: id, detail: changedFields(settingsOf(before), settingsOf(after)) });
    return after;
  });
}

/** Deletes the survey with its invitations, sessions and responses. */
export async function deleteSurvey(db: Kysely<Schema>, id: string, userId: string | null): Promise<void> {
  await inTransaction(db, async (trx) => {
    const before = await getSurvey(trx, id);
    if (!before) throw new NotFoundError(`no survey with id ${id}`);
    const responses = await countResponses(trx, id);
    await trx.deleteFrom("surveys").where("id", "=", id).execute();
    await audit(trx, { userId, action: "delete", entity: "survey", entityId: id, detail: { title: before.title, responses } });
  });
}

/**
 * Starts answering: a session under a new private token (only its hash is
 * kept). A survey in invitation mode needs an unused invitation token of
 * its own; the invitation is spent here, in the same transaction, and the
 * session does not record which one it was.
 */
export async function createAnswerSession(
  db: Kysely<Schema>,
  input: { surveyId: string; language: string; invitationToken?: string },
): Promise<{ token: string; session: AnswerSession }> {
  const language = parseInput(z.string().max(200), input.language, "answer session language");
  return inTransaction(db, async (trx) => {
    const survey = await trx.selectFrom("surveys").select(["id", "mode"]).where("id", "=", input.surveyId).executeTakeFirst();
    if (!survey) throw new NotFoundError(`no survey with id ${input.surveyId}`);
    if (input.invitationToken !== undefined || survey.mode === "invitation") {
      if (input.invitationToken === undefined || input.invitationToken === "") throw new InvitationError("unknown");
      const hash = hashToken(input.invitationToken);
      const spent = await trx
        .updateTable("survey_invitations")
        .set({ used: true })
        .where("survey_id", "=", survey.id)
        .where("token_hash", "=", hash)
        .where("used", "=", false)
        .executeTakeFirst();
      if (Number(spent.numUpdatedRows) === 0) {
        const known = await trx.selectFrom("survey_invitations").select("id").where("survey_id", "=", survey.id).where("token_hash", "=", hash).executeTakeFirst();
        throw new InvitationError(known ? "used" : "unknown");
      }
    }
    const token = newToken();
    const now = timestamp();
    const row: Selectable<SurveySessionsTable> = {
      id: newId(),
      survey_id: survey.id,
      token_hash: hashToken(token),
      answers: "{}",
      page: null,
      language,
      started_at: now,
      updated_at: now,
      state: "open",
    };
    await trx.insertInto("survey_sessions").values(row).execute();
    return { token, session: sessionFromRow(row) };
  });
}

/** The session behind a private link, open or submitted; null for a token that is not this survey's. */
export async function getAnswerSession(db: Kysely<Schema>, surveyId: string, token: string): Promise<AnswerSession | null> {
  if (token === "" || token.length > 200) return null;
  const row = await db.selectFrom("survey_sessions").selectAll().where("token_hash", "=", hashToken(token)).where("survey_id", "=", surveyId).executeTakeFirst();
  return row ? sessionFromRow(row) : null;
}

/** Saves the answers so far; a submitted session is not changed (ConflictError). */
export async function saveAnswerSession(db: Kysely<Schema>, sessionId: string, input: { answers: Record<string, string>; page: string | null; language: string }): Promise<void> {
  const valid = parseInput(sessionSave, { page: input.page, language: input.language }, "answers");
  const answers = checkedAnswers(input.answers, "answers");
  const result = await db
    .updateTable("survey_sessions")
    .set({ answers: JSON.stringify(answers), page: valid.page, language: valid.language, updated_at: timestamp() })
    .where("id", "=", sessionId)
    .where("state", "=", "open")
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) > 0) return;
  const exists = await db.selectFrom("survey_sessions").select("state").where("id", "=", sessionId).executeTakeFirst();
  if (!exists) throw new NotFoundError(`no answer session with id ${sessionId}`);
  throw new ConflictError("these answers have been submitted already");
}

/**
 * Stores the answers once: flips the session from open to submitted (a
 * conditional UPDATE, so that of concurrent submits exactly one goes on),
 * clears what the session held, and inserts the response with a random id
 * and the date only. `stored` is false when the session was submitted
 * already (nothing is written then).
 */
export async function submitAnswerSession(db: Kysely<Schema>, sessionId: string, answers: Record<string, string>): Promise<{ stored: boolean }> {
  const valid = checkedAnswers(answers, "answers");
  return inTransaction(db, async (trx) => {
    const today = dateOnly();
    const flipped = await trx
      .updateTable("survey_sessions")
      .set({ state: "submitted", answers: "{}", page: null, language: "", started_at: today, updated_at: today })
      .where("id", "=", sessionId)
      .where("state", "=", "open")
      .returning("survey_id")
      .executeTakeFirst();
    if (!flipped) {
      const exists = await trx.selectFrom("survey_sessions").select("id").where("id", "=", sessionId).executeTakeFirst();
      if (!exists) throw new NotFoundError(`no answer session with id ${sessionId}`);
      return { stored: false };
    }
    await trx.insertInto("survey_responses").values({ id: newId(), survey_id: flipped.survey_id, submitted_on: today, answers: JSON.stringify(valid) }).execute();
    return { stored: true };
  });
}

/**
 * Forgets answers that were started and left: open sessions not saved
 * since `before` are deleted with what they held (nothing of them was
 * submitted). Submitted sessions stay (they hold no answer, only the link
 * that says "submitted already"). Returns how many were deleted.
 */
export async function pruneAnswerSessions(db: Kysely<Schema>, before: Date): Promise<number> {
  const result = await db.deleteFrom("survey_sessions").where("state", "=", "open").where("updated_at", "<", timestamp(before)).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * One invitation per new address (addresses already invited to this survey
 * are left out of the result, so nobody holds two tokens); the raw tokens
 * are returned once, for the e-mails, and only their hashes kept.
 */
export async function createInvitations(db: Kysely<Schema>, surveyId: string, emails: string[], userId: string | null): Promise<{ id: string; email: string; token: string }[]> {
  const valid = [...new Set(parseInput(emailList, emails, "invitation addresses"))];
  return inTransaction(db, async (trx) => {
    const survey = await trx.selectFrom("surveys").select("id").where("id", "=", surveyId).executeTakeFirst();
    if (!survey) throw new NotFoundError(`no survey with id ${surveyId}`);
    const existing = new Map((await trx.selectFrom("survey_invitations").select(["id", "email", "sent_at", "used"]).where("survey_id", "=", surveyId).execute()).map((row) => [row.email, row]));
    const created = valid.filter((email) => !existing.has(email)).map((email) => ({ id: newId(), email, token: newToken() }));
    // An invitation whose e-mail never went out (the SMTP server refused it) gets a new token and is sent again;
    // its old token was never seen by anyone. One that was sent stays as it is: nobody holds two tokens.
    const again = valid.flatMap((email) => {
      const row = existing.get(email);
      return row && row.sent_at === null && !row.used ? [{ id: row.id, email, token: newToken() }] : [];
    });
    for (const invitation of again) await trx.updateTable("survey_invitations").set({ token_hash: hashToken(invitation.token) }).where("id", "=", invitation.id).execute();
    // Bounded statements: SQLite caps the parameters of one statement.
    for (let start = 0; start < created.length; start += 500) {
      await trx
        .insertInto("survey_invitations")
        .values(created.slice(start, start + 500).map((invitation) => ({ id: invitation.id, survey_id: surveyId, email: invitation.email, token_hash: hashToken(invitation.token), sent_at: null, used: false })))
        .execute();
    }
    await audit(trx, { userId, action: "invite", entity: "survey", entityId: surveyId, detail: { invitations: created.length, sentAgain: again.length, alreadyInvited: valid.length - created.length - again.length } });
    return [...created, ...again];
  });
}

/** A survey's invitations by address. */
export async function listInvitations(db: Kysely<Schema>, surveyId: string): Promise<Invitation[]> {
  const rows = await db.selectFrom("survey_invitations").select(["id", "email", "sent_at", "used"]).where("survey_id", "=", surveyId).orderBy("email").execute();
  return rows.map((row) => ({ id: row.id, email: row.email, sentAt: row.sent_at, used: Boolean(row.used) }));
}

export async function markInvitationSent(db: Kysely<Schema>, id: string, at: string | Date = new Date()): Promise<void> {
  await db
    .updateTable("survey_invitations")
    .set({ sent_at: typeof at === "string" ? at : timestamp(at) })
    .where("id", "=", id)
    .execute();
}

export async function countResponses(db: Kysely<Schema>, surveyId: string): Promise<number> {
  const { total } = await db
    .selectFrom("survey_responses")
    .select((eb) => eb.fn.countAll().as("total"))
    .where("survey_id", "=", surveyId)
    .executeTakeFirstOrThrow();
  return Number(total);
}

/**
 * A survey's responses in id order (random, so no order of arrival), read
 * in keyset pages of `batchSize`: memory stays bounded by one page however
 * many there are, and no page is skipped or repeated while others submit.
 */
export async function* iterateResponses(db: Kysely<Schema>, surveyId: string, batchSize = 1000): AsyncIterable<StoredResponse> {
  const size = Math.max(1, Math.min(Math.trunc(batchSize) || 1000, 10_000));
  let after: string | null = null;
  for (;;) {
    let query = db.selectFrom("survey_responses").select(["id", "submitted_on", "answers"]).where("survey_id", "=", surveyId);
    if (after !== null) query = query.where("id", ">", after);
    const rows = await query.orderBy("id").limit(size).execute();
    for (const row of rows) yield { id: row.id, submittedOn: row.submitted_on, answers: JSON.parse(row.answers) as Record<string, string> };
    if (rows.length < size) return;
    after = rows[rows.length - 1]?.id ?? null;
  }
}
