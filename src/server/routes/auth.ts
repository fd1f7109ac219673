/** Log in and out. Failed logins are rate limited per address and e-mail. */
import type { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { audit, createSession, deleteSession, findUserByEmail } from "../../store/index.ts";
import { verifyPassword } from "../auth.ts";
import { pageContext, type AppContext, type AppEnv } from "../context.ts";
import { html } from "../html.ts";
import { page } from "../layout.ts";

export const SESSION_COOKIE = "baseline_session";

function loginForm(c: AppContext, error?: string): Response | Promise<Response> {
  const t = c.get("t");
  const body = html`<form method="post" action="/login">
    <label for="email">${t("field.email")}</label><input id="email" name="email" type="email" autocomplete="username" required>
    <label for="password">${t("field.password")}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
    <p><button type="submit">${t("action.login")}</button></p>
  </form>`;
  if (error) c.status(401);
  return c.html(page(pageContext(c), t("nav.login"), body, error ? { error } : undefined));
}

export function registerAuthRoutes(app: Hono<AppEnv>): void {
  app.get("/login", (c) => loginForm(c));

  app.post("/login", async (c) => {
    const { store, limiter, secureCookies } = c.get("services");
    const t = c.get("t");
    const body = await c.req.parseBody();
    const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
    const password = typeof body.password === "string" ? body.password : "";
    const address = c.req.header("x-forwarded-for")?.split(",")[0]?.trim() ?? "local";
    const key = `${address}|${email}`;
    const wait = limiter.retryAfter(key);
    if (wait > 0) {
      c.status(429);
      return c.html(page(pageContext(c), t("nav.login"), html``, { error: t("login.tooMany", { minutes: Math.ceil(wait / 60_000) }) }));
    }
    const user = email ? await findUserByEmail(store.db, email) : undefined;
    if (!user || !(await verifyPassword(password, user.passwordHash))) {
      limiter.fail(key);
      return loginForm(c, t("login.failed"));
    }
    limiter.succeed(key);
    const session = await createSession(store.db, user.id);
    setCookie(c, SESSION_COOKIE, session.token, { path: "/", httpOnly: true, sameSite: "Lax", secure: secureCookies, expires: new Date(session.expiresAt) });
    await audit(store.db, { userId: user.id, action: "login", entity: "user", entityId: user.id });
    return c.redirect("/", 303);
  });

  app.post("/logout", async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await deleteSession(c.get("services").store.db, token);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/", 303);
  });
}
