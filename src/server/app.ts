/**
 * The observatory web app (Hono): server-rendered pages usable without
 * JavaScript. Middleware picks the UI language, finds the session from its
 * cookie, refuses NUL characters (PostgreSQL text cannot hold them), caps
 * the bytes and fields of every request body (anonymous ones most), and
 * refuses any state-changing request without the session's CSRF token (the
 * login form has its own, routes/auth.ts). A route refuses a bad request by
 * throwing HTTPException(400, { message }): onError renders it as a page with that
 * one line. Routes live in routes/*.ts; pages never build SQL, they call
 * the store.
 *
 * @example
 *   const app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
 *   serve({ fetch: app.fetch, port: 8080 });
 */
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";
import { findSession } from "../store/index.ts";
import { sameToken } from "./auth.ts";
import { readLimitedBody } from "./form-limits.ts";
import { canEdit, pageContext, type AppContext, type AppEnv, type AppServices, type RequestServices } from "./context.ts";
import { ExportCache } from "./export-cache.ts";
import { html } from "./html.ts";
import { pickLanguage, translator } from "./i18n.ts";
import { page } from "./layout.ts";
import { registerAdminRoutes } from "./routes/admin.ts";
import { BATCH_API_PREFIX, batchApiNotFound, batchApiOnError, registerBatchApiRoutes, type BatchApiOptions } from "./routes/batch-api.ts";
import { registerAuthRoutes, SESSION_COOKIE } from "./routes/auth.ts";
import { registerCatalogRoutes } from "./routes/catalog.ts";
import { registerCheckRoutes, type CheckRouteOptions } from "./routes/check.ts";
import { registerCompareRoutes } from "./routes/compare.ts";
import { registerContractRoutes } from "./routes/contracts.ts";
import { registerDecisionRoutes } from "./routes/decision.ts";
import { registerEditRoutes } from "./routes/edit.ts";
import { MAX_UPLOAD_BYTES, registerExchangeRoutes } from "./routes/exchange.ts";
import { registerMapRoutes } from "./routes/map.ts";
import { registerObservatoryRoutes } from "./routes/observatory.ts";
import { registerPortfolioRoutes } from "./routes/portfolios.ts";
import { registerSurveyAdminRoutes } from "./routes/survey-admin.ts";
import { isSurveyAnswerPost, registerSurveyRoutes, SURVEY_MAX_BODY_BYTES, SURVEY_MAX_FORM_FIELDS, surveyRateLimit, type SurveyOptions } from "./routes/surveys.ts";
import { HeavyWork } from "./workers/heavy-work.ts";

/** Request bodies above this are refused, whether they announce their length or arrive chunked (uploads included). */
export const MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024;
/** Form fields per request: the policy form's repeated standards and categories are the most, a few hundred at worst. */
export const MAX_FORM_FIELDS = 1000;
/** A POST without a session (logging in: three fields and a few hundred bytes). */
export const ANONYMOUS_MAX_BODY_BYTES = 16 * 1024;
export const ANONYMOUS_MAX_FORM_FIELDS = 50;

/** A parameter or field name as a message quotes it: short, whatever a client sent, its NUL shown as \0. */
const quoted = (name: string): string => (name.length > 40 ? `${name.slice(0, 40)}…` : name).replaceAll("\0", "\\0");

/** The one POST that needs no session: logging in (routes/auth.ts checks its own token, the throttle and the hashing queue). */
const isLogin = (c: AppContext): boolean => c.req.path === "/login";
/** The batch API (routes/batch-api.ts): HTTP Basic, JSON bodies of its own size, no session, no CSRF token, JSON errors. */
const isBatchApi = (c: AppContext): boolean => c.req.path.startsWith(BATCH_API_PREFIX);

function csrfRefused(c: AppContext): Response | Promise<Response> {
  c.status(403);
  return c.html(page(pageContext(c), c.get("t")("error.forbidden"), html`<p>${c.get("t")("error.csrf")}</p>`));
}

/** `checks`: what /check's checks obey (the `serve` options) and its limits; default: the public internet. */
export function createApp(given: AppServices & { checks?: CheckRouteOptions; batchApi?: BatchApiOptions; surveys?: SurveyOptions }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const services: RequestServices = { ...given, heavyWork: given.heavyWork ?? new HeavyWork(), exportCache: new ExportCache() };

  app.use(async (c, next) => {
    const language = pickLanguage(c.req.query("lang"), getCookie(c, "lang"), c.req.header("accept-language"));
    if (c.req.query("lang") === language) setCookie(c, "lang", language, { path: "/", sameSite: "Lax", maxAge: 365 * 24 * 3600 });
    c.set("services", services);
    c.set("language", language);
    c.set("t", translator(language));
    // Set before anything can refuse the request, so that its error page has them too.
    c.set("user", null);
    c.set("csrfToken", null);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("X-Frame-Options", "DENY");
    c.header("Referrer-Policy", "same-origin");
    c.header("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
    // PostgreSQL text cannot hold a NUL character: a lookup or search with
    // one fails outright (a 500), where SQLite would store it. Nothing the
    // observatory holds has one, so the request is refused as the client's
    // mistake, on both databases alike. Hono decodes both path and query.
    const t = c.get("t");
    if (c.req.path.includes("\0")) throw new HTTPException(400, { message: t("error.nulPath") });
    for (const [name, values] of Object.entries(c.req.queries())) {
      if (name.includes("\0") || values.some((value) => value.includes("\0"))) throw new HTTPException(400, { message: t("error.nulQuery", { name: quoted(name) }) });
    }
    const token = getCookie(c, SESSION_COOKIE);
    // Any cookie is safe to look up: the store looks for the token's hash, never the token itself.
    const session = token ? await findSession(services.store.db, token) : undefined;
    c.set("user", session?.user ?? null);
    // A signed-in visitor's pages and files hold drafts: no shared cache may hand them to anyone else.
    if (session) c.header("Cache-Control", "private, no-store");
    c.set("csrfToken", session?.csrfToken ?? null);
    await next();
  });

  // Answering a survey: POSTs counted per client (in memory only) before their body is read.
  app.use(surveyRateLimit(given.surveys?.rateLimit));

  // Every state-changing request needs a session (and, below, its CSRF
  // token). Without one it is refused here, before its body is read: an
  // anonymous client must not make the server buffer and parse uploads.
  app.use(async (c, next) => {
    if (c.req.method !== "POST" || isLogin(c) || isBatchApi(c) || isSurveyAnswerPost(c) || c.get("csrfToken")) return next();
    return csrfRefused(c);
  });

  // Every POST body is read here, within limits on its bytes and its
  // fields counted as it arrives (form-limits.ts), before anything parses
  // it. A POST without a session (the login form; later surveys) gets small
  // limits: nobody signed in has a reason to send more.
  app.use(async (c, next) => {
    if (c.req.method !== "POST" || isBatchApi(c)) return next();
    const limits = isSurveyAnswerPost(c)
      ? { maxBytes: SURVEY_MAX_BODY_BYTES, maxFields: SURVEY_MAX_FORM_FIELDS }
      : c.get("user")
        ? { maxBytes: MAX_BODY_BYTES, maxFields: MAX_FORM_FIELDS }
        : { maxBytes: ANONYMOUS_MAX_BODY_BYTES, maxFields: ANONYMOUS_MAX_FORM_FIELDS };
    const read = await readLimitedBody(c.req.raw, limits);
    // A form whose fields could not be counted as the parser will read them (form-limits.ts): malformed, not too large.
    if ("refused" in read && read.refused === "form") throw new HTTPException(400, { message: c.get("t")("error.badForm") });
    if ("refused" in read) throw new HTTPException(413, { message: c.get("t")(read.refused === "bytes" ? "error.tooLarge" : "error.tooManyFields", { max: limits.maxFields }) });
    c.req.raw = read.request;
    return next();
  });

  app.use(async (c, next) => {
    if (c.req.method !== "POST" || isBatchApi(c)) return next();
    // Every value of a repeated field (all: true); the routes parse again as
    // they need, from the form data Hono keeps, not from this result.
    const body = await c.req.parseBody({ all: true }).catch((): never => {
      // Broken multipart (or a body cut short): what the client sent, not a fault of the server.
      throw new HTTPException(400, { message: c.get("t")("error.badForm") });
    });
    for (const [name, value] of Object.entries(body)) {
      const strings = (Array.isArray(value) ? value : [value]).filter((item) => typeof item === "string");
      if (name.includes("\0") || strings.some((item) => item.includes("\0"))) throw new HTTPException(400, { message: c.get("t")("error.nulField", { name: quoted(name) }) });
    }
    // Answering a survey needs no session: its private link is the secret (routes/surveys.ts refuses other sites).
    if (isLogin(c) || isSurveyAnswerPost(c)) return next();
    const expected = c.get("csrfToken");
    // The last of repeated values, as parseBody() without `all` gives.
    const field = Array.isArray(body.csrf) ? body.csrf.at(-1) : body.csrf;
    const given = typeof field === "string" ? field : "";
    if (!expected || !sameToken(given, expected)) return csrfRefused(c);
    return next();
  });

  registerAuthRoutes(app);
  registerAdminRoutes(app);
  // Before the reading routes, so that /institutions/new is not taken for an institution called "new".
  registerEditRoutes(app);
  registerExchangeRoutes(app);
  registerCompareRoutes(app);
  registerObservatoryRoutes(app);
  registerMapRoutes(app);
  registerCatalogRoutes(app);
  registerDecisionRoutes(app);
  registerPortfolioRoutes(app);
  registerCheckRoutes(app, given.checks);
  registerContractRoutes(app);
  // The staff pages first, so that /surveys/admin is not taken for a survey called "admin".
  registerSurveyAdminRoutes(app, given.surveys);
  registerSurveyRoutes(app, given.surveys);
  registerBatchApiRoutes(app, given.batchApi);

  app.notFound((c) => {
    if (isBatchApi(c)) return batchApiNotFound(c);
    c.status(404);
    return c.html(page(pageContext(c), c.get("t")("error.notFound"), html``));
  });
  app.onError((error, c) => {
    if (isBatchApi(c)) return batchApiOnError(error, c);
    const t = c.get("t");
    // A refusal thrown on purpose (a bad parameter, a NUL character, a body
    // too large): the client's mistake, told in one line with its status.
    if (error instanceof HTTPException && error.status < 500) {
      c.status(error.status);
      return c.html(page(pageContext(c), t("error.title"), html``, { error: error.message || t("error.unexpected") }));
    }
    console.error(error);
    c.status(500);
    return c.html(page(pageContext(c), t("error.title"), html`<p>${canEdit(c.get("user")) ? error.message : t("error.unexpected")}</p>`));
  });
  return app;
}
