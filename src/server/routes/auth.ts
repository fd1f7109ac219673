/**
 * Log in and out, and change one's own password (the current one is
 * required). Failed logins and failed current-password checks are rate
 * limited.
 */
import type { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { audit, createSession, deleteSession, findUserByEmail, updateUser } from "../../store/index.ts";
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem, verifyPassword } from "../auth.ts";
import { pageContext, type AppContext, type AppEnv } from "../context.ts";
import { html, type SafeHtml } from "../html.ts";
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

/** Starts a session for `userId` and hands its cookie to the browser; pages rendered after this carry its CSRF token. */
async function startSession(c: AppContext, userId: string): Promise<void> {
  const { store, secureCookies } = c.get("services");
  const session = await createSession(store.db, userId);
  setCookie(c, SESSION_COOKIE, session.token, { path: "/", httpOnly: true, sameSite: "Lax", secure: secureCookies, expires: new Date(session.expiresAt) });
  c.set("csrfToken", session.csrfToken);
}

type PasswordErrors = Partial<Record<"current" | "password" | "repeat", string>>;

function passwordForm(c: AppContext, errors: PasswordErrors = {}, status: { notice?: string; error?: string } = {}): Response | Promise<Response> {
  const t = c.get("t");
  const field = (name: keyof PasswordErrors, label: string, autocomplete: string, hint?: SafeHtml): SafeHtml => {
    const error = errors[name];
    return html`<label for="${name}">${label}</label>${hint ?? ""}${error ? html`<span class="error" id="${name}-error">${error}</span>` : ""}
      <input id="${name}" name="${name}" type="password" autocomplete="${autocomplete}" required${name === "current" ? "" : html` minlength="${MIN_PASSWORD_LENGTH}" maxlength="${MAX_PASSWORD_LENGTH}"`}${error ? html` aria-invalid="true" aria-describedby="${name}-error"` : ""}>`;
  };
  const body = html`<form method="post" action="/account/password">
    <input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">
    ${field("current", t("field.currentPassword"), "current-password")}
    ${field("password", t("field.newPassword"), "new-password", html`<p class="muted">${t("password.hint", { min: MIN_PASSWORD_LENGTH })}</p>`)}
    ${field("repeat", t("field.repeatPassword"), "new-password")}
    <p><button type="submit">${t("account.change")}</button></p>
  </form>`;
  return c.html(page(pageContext(c), t("account.title"), body, status));
}

export function registerAuthRoutes(app: Hono<AppEnv>): void {
  app.get("/login", (c) => loginForm(c));

  app.post("/login", async (c) => {
    const { store, limiter } = c.get("services");
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
    await startSession(c, user.id);
    await audit(store.db, { userId: user.id, action: "login", entity: "user", entityId: user.id });
    return c.redirect("/", 303);
  });

  app.get("/account/password", (c) => (c.get("user") ? passwordForm(c) : c.redirect("/login", 303)));

  app.post("/account/password", async (c) => {
    const user = c.get("user");
    if (!user) return c.redirect("/login", 303);
    const { store, limiter } = c.get("services");
    const t = c.get("t");
    const body = await c.req.parseBody();
    const field = (name: string): string => (typeof body[name] === "string" ? body[name] : "");
    // A stolen session must not become a way to guess the password: the same limit as logins, per account.
    const key = `password-change|${user.id}`;
    const wait = limiter.retryAfter(key);
    if (wait > 0) {
      c.status(429);
      return passwordForm(c, {}, { error: t("login.tooMany", { minutes: Math.ceil(wait / 60_000) }) });
    }
    const stored = await findUserByEmail(store.db, user.email);
    if (!stored || !(await verifyPassword(field("current"), stored.passwordHash))) {
      limiter.fail(key);
      c.status(400);
      return passwordForm(c, { current: t("account.wrongPassword") }, { error: t("error.invalid") });
    }
    limiter.succeed(key);
    const password = field("password");
    const problem = passwordProblem(password);
    const errors: PasswordErrors = {};
    if (problem === "short") errors.password = t("password.short", { min: MIN_PASSWORD_LENGTH });
    if (problem === "long") errors.password = t("password.long", { max: MAX_PASSWORD_LENGTH });
    if (!problem && field("repeat") !== password) errors.repeat = t("account.mismatch");
    if (Object.keys(errors).length > 0) {
      c.status(400);
      return passwordForm(c, errors, { error: t("error.invalid") });
    }
    await updateUser(store.db, user.id, { passwordHash: await hashPassword(password) }, user.id);
    // updateUser ended every session of the user, this one too (whoever else had the old password is out);
    // a new session keeps this browser signed in. Rendered here rather than redirected, so no link can fake the notice.
    await startSession(c, user.id);
    return passwordForm(c, {}, { notice: t("account.changed") });
  });

  app.post("/logout", async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await deleteSession(c.get("services").store.db, token);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/", 303);
  });
}
