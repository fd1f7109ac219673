/**
 * The observatory web app (Hono): server-rendered pages usable without
 * JavaScript. Middleware picks the UI language, finds the session from its
 * cookie, and refuses any state-changing request without the session's
 * CSRF token. Routes live in routes/*.ts; pages never build SQL, they call
 * the store.
 *
 * @example
 *   const app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
 *   serve({ fetch: app.fetch, port: 8080 });
 */
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { findSession } from "../store/index.ts";
import { sameToken } from "./auth.ts";
import { canEdit, pageContext, type AppEnv, type AppServices } from "./context.ts";
import { html } from "./html.ts";
import { pickLanguage, translator } from "./i18n.ts";
import { page } from "./layout.ts";
import { registerAdminRoutes } from "./routes/admin.ts";
import { registerAuthRoutes, SESSION_COOKIE } from "./routes/auth.ts";
import { registerCatalogRoutes } from "./routes/catalog.ts";
import { registerCompareRoutes } from "./routes/compare.ts";
import { registerDecisionRoutes } from "./routes/decision.ts";
import { registerEditRoutes } from "./routes/edit.ts";
import { MAX_UPLOAD_BYTES, registerExchangeRoutes } from "./routes/exchange.ts";
import { registerMapRoutes } from "./routes/map.ts";
import { registerObservatoryRoutes } from "./routes/observatory.ts";

/** Request bodies above this are refused before parsing (uploads included). */
const MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024;

export function createApp(services: AppServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    const language = pickLanguage(c.req.query("lang"), getCookie(c, "lang"), c.req.header("accept-language"));
    if (c.req.query("lang") === language) setCookie(c, "lang", language, { path: "/", sameSite: "Lax", maxAge: 365 * 24 * 3600 });
    c.set("services", services);
    c.set("language", language);
    c.set("t", translator(language));
    const token = getCookie(c, SESSION_COOKIE);
    const session = token ? await findSession(services.store.db, token) : undefined;
    c.set("user", session?.user ?? null);
    c.set("csrfToken", session?.csrfToken ?? null);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("X-Frame-Options", "DENY");
    c.header("Referrer-Policy", "same-origin");
    c.header("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
    await next();
  });

  // Every state-changing request needs the session's CSRF token (login has its own pre-session check).
  app.use(async (c, next) => {
    if (c.req.method !== "POST" || new URL(c.req.url).pathname === "/login") return next();
    if (Number(c.req.header("content-length") ?? 0) > MAX_BODY_BYTES) return c.text(c.get("t")("error.tooLarge"), 413);
    const body = await c.req.parseBody();
    const expected = c.get("csrfToken");
    const given = typeof body.csrf === "string" ? body.csrf : "";
    if (!expected || !sameToken(given, expected)) {
      c.status(403);
      return c.html(page(pageContext(c), c.get("t")("error.forbidden"), html`<p>${c.get("t")("error.csrf")}</p>`));
    }
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

  app.notFound((c) => {
    c.status(404);
    return c.html(page(pageContext(c), c.get("t")("error.notFound"), html``));
  });
  app.onError((error, c) => {
    console.error(error);
    c.status(500);
    const t = c.get("t");
    return c.html(page(pageContext(c), t("error.title"), html`<p>${canEdit(c.get("user")) ? error.message : t("error.unexpected")}</p>`));
  });
  return app;
}
