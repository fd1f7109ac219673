/**
 * Answering a survey, without an account and without JavaScript:
 *
 * - GET /surveys/:id: the introduction (title, privacy notice, consent, the
 *   dates it is open, the form's languages); invitation surveys need
 *   ?invite=TOKEN.
 * - POST /surveys/:id/start: consent given → a session → 303 to its private
 *   link /surveys/:id/r/:token, which is shown on every page to bookmark.
 * - GET/POST /surveys/:id/r/:token?page=ID&lang=CODE: one page per top-level
 *   group (engine.ts), Back, Next, "Save and continue later"; skip logic is
 *   worked out again on every request from the stored answers, so that all
 *   state is in the database (a server restart between pages loses
 *   nothing). The last page's Next submits: every answer checked again,
 *   the final answers stored once (a resent submit shows the same thanks).
 *
 * Anonymous: the pages set no cookie of their own and store nothing about
 * the client; the rate limit counts POSTs per address in memory only
 * (survey-rate-limit.ts). app.ts lets these POSTs through without a
 * session or CSRF token (there is no session to protect; the private link
 * is the secret) and with body limits of their own; a POST from another
 * site is refused here.
 */
import type { Hono, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { applyPage, finalAnswers, initialAnswers, isRelevant, pagesOf, relevantPages, validateAll, type FieldError, type Page, type Posted } from "../../surveys/engine.ts";
import { languageCode, otherFieldName, type Answers, type Form } from "../../surveys/form.ts";
import { ConflictError, createAnswerSession, getAnswerSession, getSurvey, InvitationError, saveAnswerSession, submitAnswerSession, ValidationError, type AnswerSession, type Survey } from "../../store/index.ts";
import { requestedHost } from "../client-address.ts";
import { pageContext, type AppContext, type AppEnv } from "../context.ts";
import { html, raw, utcMinute, type SafeHtml } from "../html.ts";
import { LANGUAGES, translator, type Translate, type UiLanguage } from "../i18n.ts";
import { page as layout } from "../layout.ts";
import { errorSummary, languageSwitch, otherFieldsOf, pageFields, progress, requiredNote, SURVEY_STYLE } from "../survey-render.ts";
import { SurveyRateLimit, surveyClient, type SurveyRateLimitOptions } from "../survey-rate-limit.ts";

/** What `serve` passes for surveys (createApp's `surveys` option). */
export interface SurveyOptions {
  rateLimit?: SurveyRateLimitOptions;
  /** The invitation e-mails' SMTP server and the links' base address (survey-mail.ts). */
  smtpUrl?: string;
  mailFrom?: string;
  baseUrl?: string;
}

/** Bytes and fields of one answering POST: a page of a long form with its lists (a select_multiple is a field per ticked box). */
export const SURVEY_MAX_BODY_BYTES = 256 * 1024;
export const SURVEY_MAX_FORM_FIELDS = 2000;

const ANSWER_POST = /^\/surveys\/(?!admin(?:\/|$))[^/]+\/(?:start|r\/[^/]+)$/;

/** A POST of someone answering a survey: no session, no CSRF token (app.ts). */
export function isSurveyAnswerPost(c: AppContext): boolean {
  return c.req.method === "POST" && ANSWER_POST.test(c.req.path);
}

/** The rate limit of answering POSTs, before their body is read (app.ts registers it first). */
export function surveyRateLimit(options: SurveyRateLimitOptions = {}): MiddlewareHandler<AppEnv> {
  const limit = new SurveyRateLimit(options);
  return async (c, next) => {
    if (!isSurveyAnswerPost(c)) return next();
    if (limit.take(surveyClient(c))) return next();
    c.header("Retry-After", String(Math.ceil(limit.windowMs / 1000)));
    c.status(429);
    const t = c.get("t");
    return c.html(layout(pageContext(c), t("surveys.tooMany.title"), html`<p>${t("surveys.tooMany.text", { seconds: Math.ceil(limit.windowMs / 1000) })}</p>`));
  };
}

/** Whether the survey takes answers at `now`. */
export type SurveyStatus = "open" | "notYetOpen" | "closed";
export function surveyStatus(survey: Pick<Survey, "opensAt" | "closesAt">, now: Date): SurveyStatus {
  if (survey.opensAt && now.getTime() < Date.parse(survey.opensAt)) return "notYetOpen";
  if (survey.closesAt && now.getTime() >= Date.parse(survey.closesAt)) return "closed";
  return "open";
}

/** The field names the pages use for themselves: a question name cannot start with "-" (XML names). */
const ACTION = "-action";
const CONSENT = "-consent";
const INVITE = "-invite";

export function registerSurveyRoutes(app: Hono<AppEnv>, options: SurveyOptions = {}): void {
  app.get("/surveys/:id", async (c) => {
    const found = await surveyOf(c);
    if (found instanceof Response) return found;
    return intro(c, found, {});
  });

  app.post("/surveys/:id/start", async (c) => {
    const found = await surveyOf(c);
    if (found instanceof Response) return found;
    refuseOtherSites(c);
    const { survey, view } = found;
    const body = await c.req.parseBody();
    const field = (name: string): string => (typeof body[name] === "string" ? body[name] : "");
    const invite = field(INVITE).trim();
    if (field(CONSENT) !== "yes") return intro(c, found, { consentError: true, invite });
    const { store } = c.get("services");
    const now = new Date();
    let started: { token: string; session: AnswerSession };
    try {
      started = await createAnswerSession(store.db, { surveyId: survey.id, language: view.language, ...(invite ? { invitationToken: invite } : {}) });
    } catch (error) {
      if (error instanceof InvitationError) return refusal(c, view, 403, view.t(error.reason === "used" ? "surveys.invite.used" : "surveys.invite.unknown"));
      throw error;
    }
    const first = relevantPages(view.form, initialAnswers(view.form, now), now)[0] ?? null;
    await saveAnswerSession(store.db, started.session.id, { answers: { ...initialAnswers(view.form, now) }, page: first?.id ?? null, language: view.language });
    return c.redirect(resumePath(survey, started.token), 303);
  });

  app.get("/surveys/:id/r/:token", async (c) => {
    const found = await sessionOf(c);
    if (found instanceof Response) return found;
    const { view, session } = found;
    if (session.state === "submitted") return thanks(c, view);
    const closed = closedRefusal(c, found);
    if (closed) return closed;
    const now = new Date();
    const answers = session.answers;
    const pages = relevantPages(view.form, answers, now);
    const wanted = c.req.query("page");
    const current = pages.find((page) => page.id === wanted) ?? pages.find((page) => page.id === session.page) ?? pages[0];
    // Nothing left to answer: a GET never submits (a link checker or a
    // browser's prefetch of the private link must not send the answers).
    if (!current) return readyToSubmit(c, found);
    const notice = c.req.query("saved") ? view.t("surveys.saved") : c.req.query("more") ? view.t("surveys.more") : undefined;
    return answerPage(c, options, found, { page: current, answers, errors: [], ...(notice ? { notice } : {}) });
  });

  app.post("/surveys/:id/r/:token", async (c) => {
    const found = await sessionOf(c);
    if (found instanceof Response) return found;
    refuseOtherSites(c);
    try {
      return await answer(c, options, found);
    } catch (error) {
      // Submitted meanwhile (a second tab, a resent post): stored once; thanks again.
      if (error instanceof ConflictError) return c.redirect(`${resumePath(found.survey, found.token)}${found.view.langQuery.replace("&", "?")}`, 303);
      if (error instanceof ValidationError) throw new HTTPException(400, { message: found.view.t("surveys.tooLong") });
      throw error;
    }
  });
}

/** A page posted: saved, then the next page, the same one with its errors, or the submission. */
async function answer(c: AppContext, options: SurveyOptions, found: FoundSession): Promise<Response> {
  const { view, session, survey, token } = found;
  const { store } = c.get("services");
  // A resent submit (or a second tab): the answers were stored once; say thanks again.
  if (session.state === "submitted") return c.redirect(`${resumePath(survey, token)}${view.langQuery.replace("&", "?")}`, 303);
  const closed = closedRefusal(c, found);
  if (closed) return closed;
  const now = new Date();
  const form = view.form;
  const all = pagesOf(form);
  const pageId = c.req.query("page") ?? session.page ?? "";
  const page = all.find((candidate) => candidate.id === pageId) ?? relevantPages(form, session.answers, now)[0];
  if (!page) return submitOrErrors(c, options, found, session.answers, now);
  const body = await c.req.parseBody({ all: true });
  const posted = postedOf(page, body);
  const action = lastString(body[ACTION]);
  const applied = applyPage(form, page, posted, session.answers, now);
  const answers = applied.answers;
  const save = async (pageAfter: Page | undefined): Promise<void> => saveAnswerSession(store.db, session.id, { answers: { ...answers }, page: pageAfter?.id ?? page.id, language: view.language });
  const pages = relevantPages(form, answers, now);
  const query = (target: Page, extra = ""): string => `${resumePath(survey, token)}?page=${encodeURIComponent(target.id)}${view.langQuery}${extra}`;

  if (action === "back") {
    const previous = [...pages].reverse().find((candidate) => candidate.index < page.index) ?? page;
    await save(previous);
    return c.redirect(query(previous), 303);
  }
  if (action === "save") {
    await save(page);
    return c.redirect(query(page, "&saved=1"), 303);
  }
  if (applied.errors.length > 0) {
    await save(page);
    c.status(400);
    return answerPage(c, options, found, { page, answers, posted, errors: applied.errors });
  }
  // A question this page's answers made relevant is shown before moving on (without a script it could not appear by itself).
  const before = new Set(page.questions.filter((question) => isRelevant(form, question, session.answers, now)).map((question) => question.name));
  const others = otherFieldsOf(page);
  const appeared = page.questions.some((question) => question.type !== "note" && !others.has(question.name) && !before.has(question.name) && isRelevant(form, question, answers, now));
  if (appeared) {
    await save(page);
    return c.redirect(query(page, "&more=1"), 303);
  }
  const next = pages.find((candidate) => candidate.index > page.index);
  if (next) {
    await save(next);
    return c.redirect(query(next), 303);
  }
  await save(page);
  return submitOrErrors(c, options, { ...found, session: { ...session, answers: { ...answers } } }, answers, now);
}

interface FormView {
  form: Form;
  /** The form's language shown, as the form names it. */
  language: string;
  /** The UI's language for our own words: the form language's when we have it. */
  ui: UiLanguage;
  t: Translate;
  /** "&lang=CODE" for a form with several languages, so that links, redirects and the thank-you page keep it; else "". */
  langQuery: string;
}

interface Found {
  survey: Survey;
  view: FormView;
}

interface FoundSession extends Found {
  session: AnswerSession;
  token: string;
}

/**
 * The form's language: asked for in the query (?lang=fr or the full name),
 * else the session's, else the visitor's UI language when the form has it,
 * else the form's default. Our own words follow it when it is English,
 * French or Spanish, else the visitor's UI language.
 */
function viewOf(c: AppContext, form: Form, stored: string | undefined): FormView {
  const languages = form.languages.length ? form.languages : [form.defaultLanguage];
  const match = (value: string | undefined): string | undefined => {
    if (!value) return undefined;
    const lower = value.toLowerCase();
    return languages.find((language) => language === value) ?? languages.find((language) => languageCode(language) === lower);
  };
  const asked = match(c.req.query("lang"));
  const language = asked ?? (stored && languages.includes(stored) ? stored : undefined) ?? match(c.get("language")) ?? form.defaultLanguage;
  const code = languageCode(language);
  const ui = LANGUAGES.find((candidate) => candidate === code) ?? (code ? "en" : c.get("language"));
  // Every link and form of a form with several languages says which one, so that the thank-you page (whose session no longer keeps it) and any resent post keep it.
  return { form, language, ui, t: translator(ui), langQuery: languages.length > 1 ? `&lang=${encodeURIComponent(code ?? language)}` : "" };
}

async function surveyOf(c: AppContext): Promise<Found | Response> {
  const survey = await getSurvey(c.get("services").store.db, c.req.param("id") ?? "");
  if (!survey) return c.notFound();
  return { survey, view: viewOf(c, survey.form as Form, undefined) };
}

async function sessionOf(c: AppContext): Promise<FoundSession | Response> {
  const { store } = c.get("services");
  const survey = await getSurvey(store.db, c.req.param("id") ?? "");
  if (!survey) return c.notFound();
  const token = c.req.param("token") ?? "";
  // The private link holds answers: no cache keeps it, and it is not sent on as a Referer.
  c.header("Cache-Control", "private, no-store");
  c.header("Referrer-Policy", "no-referrer");
  const session = await getAnswerSession(store.db, survey.id, token);
  const view = viewOf(c, survey.form as Form, session?.language);
  if (!session) return refusal(c, view, 404, view.t("surveys.unknownLink"), survey.title);
  return { survey, view, session, token };
}

function resumePath(survey: Survey, token: string): string {
  return `/surveys/${survey.id}/r/${token}`;
}

/** Browsers say where a form was sent from; a survey's pages only take their own. */
function refuseOtherSites(c: AppContext): void {
  const site = c.req.header("sec-fetch-site");
  let other = site !== undefined ? site === "cross-site" : false;
  const origin = c.req.header("origin");
  if (site === undefined && origin !== undefined && origin !== "null") {
    try {
      other = new URL(origin).host !== requestedHost(undefined, c.req.header("host"), undefined, c.get("services").limiter.proxies);
    } catch {
      other = true;
    }
  }
  if (other) throw new HTTPException(403, { message: c.get("t")("error.csrf") });
}

/** The page shell in the form's language (our words in `ui`), the form's own text marked with its language. */
function render(c: AppContext, view: FormView, title: string, body: SafeHtml, status?: { notice?: string; error?: string }): Response | Promise<Response> {
  const context = { ...pageContext(c), language: view.ui, t: view.t };
  const code = languageCode(view.language);
  // Arabic, Hebrew, Persian, Urdu... run right to left.
  const rtl = code !== null && /^(?:ar|he|fa|ur|ps|sd|ug|yi|dv|ckb)(?:-|$)/.test(code);
  const inner = code && code !== view.ui ? html`<div lang="${code}"${rtl ? html` dir="rtl"` : ""}>${body}</div>` : body;
  return c.html(layout(context, title, html`<style>${raw(SURVEY_STYLE)}</style>${inner}`, status));
}

function refusal(c: AppContext, view: FormView, status: 403 | 404 | 410, text: string, title?: string): Response | Promise<Response> {
  c.status(status);
  return render(c, view, title ?? view.t("surveys.unavailable"), html`<p class="error">${text}</p>`);
}

/** A refusal page when the survey does not take answers now, else null. */
function closedRefusal(c: AppContext, found: Found): Response | Promise<Response> | null {
  const { survey, view } = found;
  const status = surveyStatus(survey, new Date());
  if (status === "closed") return refusal(c, view, 410, view.t("surveys.closed", { date: when(survey.closesAt) }), survey.title);
  if (status === "notYetOpen") return refusal(c, view, 403, view.t("surveys.notYetOpen", { date: when(survey.opensAt) }), survey.title);
  return null;
}

function when(iso: string | null): string {
  return utcMinute(iso);
}

function intro(c: AppContext, found: Found, state: { consentError?: boolean; invite?: string }): Response | Promise<Response> {
  const { survey, view } = found;
  const { t } = view;
  const closed = closedRefusal(c, found);
  if (closed) return closed;
  const invite = state.invite ?? c.req.query("invite")?.trim() ?? "";
  if (survey.mode === "invitation" && !invite) return refusal(c, view, 403, t("surveys.invite.needed"), survey.title);
  const notice = survey.privacyNotice.trim() || t("surveys.privacy.default");
  const consent = survey.consentText.trim() || t("surveys.consent.default");
  const query = (code: string): string => `/surveys/${survey.id}?lang=${encodeURIComponent(code)}${invite ? `&invite=${encodeURIComponent(invite)}` : ""}`;
  const body = html`${languageSwitch(t, view.form, view.language, query)}
    ${state.consentError ? html`<div class="sv-summary" role="alert"><h2>${t("surveys.errors.title", { count: 1 })}</h2><ul><li><a href="#consent">${t("surveys.consent.needed")}</a></li></ul></div>` : ""}
    <h2>${t("surveys.privacy.title")}</h2>
    ${notice.split(/\n\s*\n/).map((paragraph) => html`<p>${paragraph}</p>`)}
    ${survey.closesAt ? html`<p>${t("surveys.closesOn", { date: when(survey.closesAt) })}</p>` : ""}
    <form method="post" action="/surveys/${survey.id}/start${view.langQuery ? `?${view.langQuery.slice(1)}` : ""}" novalidate>
      ${invite ? html`<input type="hidden" name="${INVITE}" value="${invite}">` : ""}
      <div class="sv-q${state.consentError ? " sv-invalid" : ""}">
        ${state.consentError ? html`<p class="error" id="consent-error">${t("surveys.consent.needed")}</p>` : ""}
        <label class="sv-option" for="consent"><input type="checkbox" id="consent" name="${CONSENT}" value="yes" aria-required="true"${state.consentError ? html` aria-invalid="true" aria-describedby="consent-error"` : ""}> <span>${consent}</span></label>
      </div>
      <div class="sv-actions"><button type="submit">${t("surveys.start")}</button></div>
    </form>`;
  if (state.consentError) c.status(400);
  return render(c, view, survey.title, body);
}

/** The form fields of `page` in a post: lists as arrays (empty entries dropped), the rest as their last value. */
function postedOf(page: Page, body: Record<string, string | File | (string | File)[]>): Posted {
  // No prototype: a question may be named "__proto__" (a valid XML name), and its answer must be an answer.
  const posted = Object.create(null) as Record<string, string | readonly string[]>;
  for (const question of page.questions) {
    const value = body[question.name];
    const strings = (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((item): item is string => typeof item === "string");
    if (question.type === "select_multiple" || question.type === "rank") posted[question.name] = strings.filter((item) => item !== "");
    else if (strings.length) posted[question.name] = strings.at(-1) ?? "";
    const other = lastString(body[otherFieldName(question)]);
    if (question.orOther && other !== undefined && !(otherFieldName(question) in posted)) posted[otherFieldName(question)] = other;
  }
  return posted;
}

function lastString(value: string | File | (string | File)[] | undefined): string | undefined {
  const last = Array.isArray(value) ? value.at(-1) : value;
  return typeof last === "string" ? last : undefined;
}

function resumeBox(c: AppContext, options: SurveyOptions, found: FoundSession): SafeHtml {
  const base = options.baseUrl?.replace(/\/+$/, "") ?? new URL(c.req.url).origin;
  const url = `${base}${resumePath(found.survey, found.token)}`;
  return html`<aside class="sv-resume" aria-label="${found.view.t("surveys.resume.label")}"><p>${found.view.t("surveys.resume.text")}</p><p><a href="${url}">${url}</a></p></aside>`;
}

interface PageState {
  page: Page;
  answers: Answers;
  posted?: Posted;
  errors: readonly FieldError[];
  notice?: string;
}

function answerPage(c: AppContext, options: SurveyOptions, found: FoundSession, state: PageState): Response | Promise<Response> {
  const { survey, view, token } = found;
  const { t, form } = view;
  const now = new Date();
  const pages = relevantPages(form, state.answers, now);
  const position = Math.max(1, pages.findIndex((page) => page.id === state.page.id) + 1);
  const total = Math.max(pages.length, position);
  const isLast = !pages.some((page) => page.index > state.page.index);
  const isFirst = !pages.some((page) => page.index < state.page.index);
  const action = `${resumePath(survey, token)}?page=${encodeURIComponent(state.page.id)}${view.langQuery}`;
  const pageView = { form, page: state.page, answers: state.answers, errors: state.errors, language: view.language, t, now, position, total, action, isFirst, isLast, ...(state.posted ? { posted: state.posted } : {}) };
  const heading = state.page.group ? html`<h2>${textOf(view, state.page.group.label) || state.page.group.name}</h2>` : html``;
  const switchHref = (code: string): string => `${resumePath(survey, token)}?page=${encodeURIComponent(state.page.id)}&lang=${encodeURIComponent(code)}`;
  const body = html`${languageSwitch(t, form, view.language, switchHref)}
    ${progress(t, position, total)}
    ${errorSummary({ form, language: view.language, answers: state.answers, t }, state.errors)}
    <form method="post" action="${action}" novalidate>
      ${heading}
      ${requiredNote(pageView)}
      ${pageFields(pageView)}
      <div class="sv-actions">
        <button type="submit" name="${ACTION}" value="next">${isLast ? t("surveys.submit") : t("surveys.next")}</button>
        ${isFirst ? "" : html`<button type="submit" name="${ACTION}" value="back" class="sv-secondary">${t("surveys.back")}</button>`}
        <button type="submit" name="${ACTION}" value="save" class="sv-secondary">${t("surveys.saveLater")}</button>
      </div>
    </form>
    ${resumeBox(c, options, found)}`;
  const title = state.errors.length ? `${t("surveys.errors.prefix")} ${survey.title}` : survey.title;
  return render(c, view, title, body, state.notice ? { notice: state.notice } : undefined);
}

function textOf(view: FormView, text: Readonly<Record<string, string>>): string {
  return text[view.language] ?? text[view.form.defaultLanguage] ?? Object.values(text)[0] ?? "";
}

/** Every answer checked again; the first page with a problem shown, else the final answers stored. */
async function submitOrErrors(c: AppContext, options: SurveyOptions, found: FoundSession, answers: Answers, now: Date): Promise<Response> {
  const { view, session, survey, token } = found;
  const form = view.form;
  const errors = validateAll(form, answers, now);
  if (errors.length) {
    const names = new Set(errors.map((error) => error.name));
    const pages = relevantPages(form, answers, now);
    const page = pages.find((candidate) => candidate.questions.some((question) => names.has(question.name))) ?? pages[0];
    if (page) {
      const onPage = errors.filter((error) => page.questions.some((question) => question.name === error.name));
      await saveAnswerSession(c.get("services").store.db, session.id, { answers: { ...answers }, page: page.id, language: view.language });
      c.status(400);
      return answerPage(c, options, found, { page, answers, errors: onPage });
    }
  }
  const final = finalAnswers(form, answers, now, { start: session.startedAt, end: now.toISOString(), deviceid: "baseline" });
  await submitAnswerSession(c.get("services").store.db, session.id, { ...final });
  return c.redirect(`${resumePath(survey, token)}${view.langQuery.replace("&", "?")}`, 303);
}

/** The last step when no page is left to show: one button that submits, by POST. */
function readyToSubmit(c: AppContext, found: FoundSession): Response | Promise<Response> {
  const { view, survey, token } = found;
  return render(
    c,
    view,
    survey.title,
    html`<form method="post" action="${resumePath(survey, token)}${view.langQuery.replace("&", "?")}"><div class="sv-actions"><button type="submit" name="${ACTION}" value="next">${view.t("surveys.submit")}</button></div></form>`,
  );
}

function thanks(c: AppContext, view: FormView): Response | Promise<Response> {
  return render(c, view, view.t("surveys.thanks.title"), html`<p class="notice" role="status">${view.t("surveys.thanks.text")}</p>`);
}

