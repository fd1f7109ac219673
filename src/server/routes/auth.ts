/**
 * Log in and out, and change one's own password (the current one is
 * required).
 *
 * Logging in is the one thing an anonymous client can make the server work
 * hard for (a password hash), so it passes, in this order: the login
 * form's own CSRF check (a token in a cookie of its own, matched by the
 * form, and a cross-site Sec-Fetch-Site or Origin refused), the throttle
 * (login-throttle.ts: per address, per account and per known device,
 * counted before the hash), and the bounded hashing queue (work-queue.ts).
 * An unknown e-mail address costs the same hash as a known one. A
 * successful login ends the session the browser had before and starts a new
 * one (never one the client names: no session fixation), and makes the
 * browser a known device of the account (store/devices.ts): its later
 * logins pass the account's backoff and go first in the hashing queue.
 */
import { randomBytes } from "node:crypto";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { audit, createSession, DEVICE_TTL_MS, deleteSession, findUserByEmail, knownDevice, rememberDevice, updateUser } from "../../store/index.ts";
import { dummyPasswordHash, hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem, sameToken, verifyPassword } from "../auth.ts";
import { addressGroup, clientAddress, requestedHost, throttleAddress } from "../client-address.ts";
import { pageContext, type AppContext, type AppEnv } from "../context.ts";
import { QueueFullError } from "../work-queue.ts";
import { html, type SafeHtml } from "../html.ts";
import { page } from "../layout.ts";

export const SESSION_COOKIE = "baseline_session";

/** The login form's CSRF token lives in a cookie sent to /login only; the form repeats it. */
const LOGIN_TOKEN_COOKIE = "baseline_login";
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The known-device cookie: the tokens of the last few accounts that signed
 * in from this browser (a shared computer has several), newest first,
 * separated by dots. Sent to /login only.
 */
const DEVICE_COOKIE = "baseline_device";
const DEVICE_TOKENS_KEPT = 3;

function deviceTokens(c: AppContext): string[] {
  return (getCookie(c, DEVICE_COOKIE) ?? "").split(".").filter((token) => TOKEN_SHAPE.test(token)).slice(0, DEVICE_TOKENS_KEPT);
}

/** The browser's login token, made (and set as a cookie) when it has none. */
function loginToken(c: AppContext): string {
  const existing = getCookie(c, LOGIN_TOKEN_COOKIE);
  if (existing && TOKEN_SHAPE.test(existing)) return existing;
  const token = randomBytes(32).toString("base64url");
  setCookie(c, LOGIN_TOKEN_COOKIE, token, { path: "/login", httpOnly: true, sameSite: "Strict", secure: c.get("services").secureCookies, maxAge: 24 * 3600 });
  return token;
}

/**
 * A login sent from another site (login CSRF: the victim signed into the
 * attacker's account). Browsers say where a request comes from in
 * Sec-Fetch-Site; older ones only in Origin. The token is checked as well.
 */
function fromAnotherSite(c: AppContext): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) return site !== "same-origin" && site !== "none";
  const origin = c.req.header("origin");
  if (origin === undefined) return false;
  try {
    // Behind a trusted proxy that rewrites Host, the name the browser used is in X-Forwarded-Host.
    return new URL(origin).host !== requestedHost(peerAddress(c), c.req.header("host"), c.req.header("x-forwarded-host"), c.get("services").limiter.proxies);
  } catch {
    return true; // "null", from a sandboxed frame or a redirect across sites
  }
}

/** The socket's remote address; none when the app is called in-process (tests). */
function peerAddress(c: AppContext): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

function loginForm(c: AppContext, status?: { code: 401 | 403 | 429 | 503; error: string }): Response | Promise<Response> {
  const t = c.get("t");
  const body = html`<form method="post" action="/login">
    <input type="hidden" name="csrf" value="${loginToken(c)}">
    <label for="email">${t("field.email")}</label><input id="email" name="email" type="email" autocomplete="username" required>
    <label for="password">${t("field.password")}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
    <p><button type="submit">${t("action.login")}</button></p>
  </form>`;
  if (status) c.status(status.code);
  // The page carries this browser's token: no cache may keep it for another.
  c.header("Cache-Control", "no-store");
  return c.html(page(pageContext(c), t("nav.login"), body, status ? { error: status.error } : undefined));
}

/** The message for a refusal of `ms` milliseconds, with Retry-After (RFC 9110 section 10.2.3). */
function waitMessage(c: AppContext, ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  c.header("Retry-After", String(seconds));
  // Intl writes the unit with the right plural in each language ("1 seconde", "2 secondes").
  const [amount, unit] = seconds < 120 ? [seconds, "second"] : [Math.ceil(seconds / 60), "minute"];
  const duration = new Intl.NumberFormat(c.get("language"), { style: "unit", unit, unitDisplay: "long" }).format(amount);
  return c.get("t")("login.tooMany", { duration });
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
    const field = (name: string): string => (typeof body[name] === "string" ? body[name] : "");
    const token = getCookie(c, LOGIN_TOKEN_COOKIE) ?? "";
    if (fromAnotherSite(c) || !TOKEN_SHAPE.test(token) || !sameToken(field("csrf"), token)) return loginForm(c, { code: 403, error: t("error.csrf") });
    const email = field("email").trim().toLowerCase();
    const password = field("password");
    const address = clientAddress(peerAddress(c), c.req.header("x-forwarded-for"), limiter.proxies);
    const user = email ? await findUserByEmail(store.db, email) : undefined;
    // Looked up for unknown addresses too (under no user id), so that the answer's timing does not tell them apart.
    const tokens = deviceTokens(c);
    const device = await knownDevice(store.db, tokens, user?.id ?? "");
    const keys = { address: `address:${throttleAddress(address)}`, account: `account:${email}`, ...(device === undefined ? {} : { device: `device:${device}` }) };
    const verdict = await limiter.throttle.reserve(store.db, keys);
    if (!verdict.allowed) return loginForm(c, { code: 429, error: waitMessage(c, verdict.retryAfterMs) });
    let right: boolean;
    try {
      const job = { priority: device !== undefined, group: addressGroup(address) };
      right = await limiter.hashing.run(keys.address, async () => verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash())), job);
    } catch (error) {
      if (!(error instanceof QueueFullError)) throw error;
      c.header("Retry-After", "1");
      return loginForm(c, { code: 503, error: t("login.busy") });
    }
    if (!user || !right) return loginForm(c, { code: 401, error: t("login.failed") });
    await limiter.throttle.succeeded(store.db, keys);
    // Whatever session this browser had (another account's, or this one's) ends here.
    const earlier = getCookie(c, SESSION_COOKIE);
    if (earlier) await deleteSession(store.db, earlier);
    deleteCookie(c, LOGIN_TOKEN_COOKIE, { path: "/login" });
    const remembered = await rememberDevice(store.db, user.id, tokens);
    const kept = [remembered.token, ...tokens.filter((token) => token !== remembered.token)].slice(0, DEVICE_TOKENS_KEPT);
    setCookie(c, DEVICE_COOKIE, kept.join("."), { path: "/login", httpOnly: true, sameSite: "Strict", secure: c.get("services").secureCookies, maxAge: DEVICE_TTL_MS / 1000 });
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
    // A stolen session must not become a way to guess the password: the account's backoff, as for logins.
    const keys = { account: `password-change:${user.id}` };
    const verdict = await limiter.throttle.reserve(store.db, keys);
    if (!verdict.allowed) {
      c.status(429);
      return passwordForm(c, {}, { error: waitMessage(c, verdict.retryAfterMs) });
    }
    const stored = await findUserByEmail(store.db, user.email);
    let right: boolean;
    try {
      right = stored !== undefined && (await limiter.hashing.run(`user:${user.id}`, () => verifyPassword(field("current"), stored.passwordHash)));
    } catch (error) {
      if (!(error instanceof QueueFullError)) throw error;
      c.status(503);
      c.header("Retry-After", "1");
      return passwordForm(c, {}, { error: t("login.busy") });
    }
    if (!right) {
      c.status(400);
      return passwordForm(c, { current: t("account.wrongPassword") }, { error: t("error.invalid") });
    }
    await limiter.throttle.succeeded(store.db, keys);
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
