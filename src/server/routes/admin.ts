/**
 * For admins: the accounts (create one, change a role, set a new password)
 * and the audit log of every change (who, when, what). The store audits
 * each change with the signed-in admin as actor, and refuses to take the
 * admin role from the last admin.
 *
 * The store has no way to disable or delete an account (no column for it,
 * and deleting a user would also delete the decision matrices they own), so
 * an admin locks someone out by setting a new password: that ends all of
 * the user's sessions.
 */
import type { Hono } from "hono";
import {
  ConflictError,
  createUser,
  findUserById,
  LastAdminError,
  listAudit,
  listUsers,
  NotFoundError,
  ROLES,
  updateUser,
  userInput,
  ValidationError,
  type Issue,
  type Role,
} from "../../store/index.ts";
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem } from "../auth.ts";
import { pageContext, wholeNumberQuery, type AppContext, type AppEnv } from "../context.ts";
import { html, type SafeHtml } from "../html.ts";
import type { Translate } from "../i18n.ts";
import { page } from "../layout.ts";

/** What the new-account form sent back, and the problem with each field. */
interface AccountForm {
  values: { email: string; name: string; role: string };
  errors: Partial<Record<"email" | "name" | "role" | "password", string>>;
}

interface UsersPageState {
  account?: AccountForm;
  error?: string;
  notice?: string;
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");

export function registerAdminRoutes(app: Hono<AppEnv>): void {
  app.use("/admin/*", async (c: AppContext, next) => {
    const user = c.get("user");
    if (!user) return c.redirect("/login", 303);
    if (user.role !== "admin") {
      c.status(403);
      return c.html(page(pageContext(c), c.get("t")("error.forbidden"), html``));
    }
    await next();
    return undefined;
  });

  app.get("/admin/users", async (c) => {
    const t = c.get("t");
    // Notices name the account by id, looked up here, so that a crafted link cannot make the page announce anything else.
    const created = c.req.query("created");
    const reset = c.req.query("reset");
    const subject = created ?? reset;
    const user = subject ? await findUserById(c.get("services").store.db, subject) : undefined;
    if (user && created) return usersPage(c, { notice: t("admin.created", { email: user.email }) });
    if (user && reset) return usersPage(c, { notice: t("admin.passwordReset", { email: user.email }) });
    return usersPage(c, c.req.query("saved") ? { notice: t("saved") } : {});
  });

  app.post("/admin/users", async (c) => {
    const t = c.get("t");
    const body = await c.req.parseBody();
    const values = { email: text(body.email), name: text(body.name), role: text(body.role) };
    const password = text(body.password);
    const errors = accountErrors(t, values, password);
    if (Object.keys(errors).length > 0) return usersPage(c, { account: { values, errors }, error: t("error.invalid") });
    const valid = userInput.parse({ ...values, passwordHash: "-" });
    try {
      // Hashed only once everything else is known to be valid: scrypt costs 32 MiB and a few tens of milliseconds.
      const user = await createUser(c.get("services").store.db, { ...valid, passwordHash: await hashPassword(password) }, c.get("user")?.id ?? null);
      return c.redirect(`/admin/users?created=${encodeURIComponent(user.id)}`, 303);
    } catch (error) {
      // The store checks the address again inside its transaction: two admins may create the same account at once.
      if (error instanceof ConflictError) {
        return usersPage(c, { account: { values, errors: { email: t("admin.emailTaken", { email: valid.email }) } }, error: t("error.invalid") });
      }
      if (error instanceof ValidationError) return usersPage(c, { account: { values, errors: issueErrors(t, error.issues) }, error: t("error.invalid") });
      throw error;
    }
  });

  app.post("/admin/users/:id/role", async (c) => {
    const t = c.get("t");
    const body = await c.req.parseBody();
    const role = ROLES.find((value) => value === body.role);
    if (!role) return usersPage(c, { error: t("admin.roleInvalid") });
    try {
      await updateUser(c.get("services").store.db, c.req.param("id"), { role }, c.get("user")?.id ?? null);
    } catch (error) {
      if (error instanceof LastAdminError) return usersPage(c, { error: t("admin.lastAdmin") });
      if (error instanceof NotFoundError) return c.notFound();
      if (error instanceof ValidationError) return usersPage(c, { error: t("error.invalid") });
      throw error;
    }
    return c.redirect("/admin/users?saved=1", 303);
  });

  app.post("/admin/users/:id/password", async (c) => {
    const t = c.get("t");
    const { store } = c.get("services");
    const id = c.req.param("id");
    // Their own password admins change like everyone else, with the current one (and without ending their own session).
    if (id === c.get("user")?.id) return c.redirect("/account/password", 303);
    const target = await findUserById(store.db, id);
    if (!target) return c.notFound();
    const body = await c.req.parseBody();
    const password = text(body.password);
    const problem = passwordProblem(password);
    if (problem) return usersPage(c, { error: `${target.email}: ${passwordMessage(t, problem)}` });
    // updateUser ends the user's sessions: a new password also locks out whoever had the old one.
    try {
      await updateUser(store.db, id, { passwordHash: await hashPassword(password) }, c.get("user")?.id ?? null);
    } catch (error) {
      // Deleted while its password was being hashed: the account is not there any more.
      if (error instanceof NotFoundError) return c.notFound();
      throw error;
    }
    return c.redirect(`/admin/users?reset=${encodeURIComponent(id)}`, 303);
  });

  app.get("/admin/audit", async (c) => {
    const t = c.get("t");
    const offset = wholeNumberQuery(c, "offset", 0);
    const { items, total } = await listAudit(c.get("services").store.db, { limit: 100, offset });
    const users = new Map((await listUsers(c.get("services").store.db)).map((user) => [user.id, user.email]));
    // Actions and record kinds stay as logged (create, policy, ...): they are the log's own vocabulary, also in exports.
    const body = html`<p>${t("admin.changes", { count: total })} · <a href="/admin/users">${t("admin.accounts")}</a></p>
      <table><thead><tr><th scope="col">${t("admin.when")}</th><th scope="col">${t("admin.who")}</th><th scope="col">${t("admin.what")}</th><th scope="col">${t("admin.record")}</th><th scope="col">${t("admin.detail")}</th></tr></thead>
      <tbody>${items.map((entry) => html`<tr><td>${entry.at}</td><td>${entry.userId ? (users.get(entry.userId) ?? entry.userId) : t("admin.system")}</td><td>${entry.action} ${entry.entity}</td><td>${entry.entityId ?? ""}</td><td><code>${entry.detail === null ? "" : JSON.stringify(entry.detail).slice(0, 300)}</code></td></tr>`)}</tbody></table>
      ${offset + 100 < total ? html`<p><a href="/admin/audit?offset=${offset + 100}">→</a></p>` : ""}`;
    return c.html(page(pageContext(c), t("admin.audit"), body));
  });
}

function passwordMessage(t: Translate, problem: "short" | "long"): string {
  return problem === "short" ? t("password.short", { min: MIN_PASSWORD_LENGTH }) : t("password.long", { max: MAX_PASSWORD_LENGTH });
}

/** The store's own rules (userInput) for e-mail, name and role, and the password rule, as one message per field. */
function accountErrors(t: Translate, values: AccountForm["values"], password: string): AccountForm["errors"] {
  const parsed = userInput.safeParse({ ...values, passwordHash: "-" });
  const errors = parsed.success ? {} : issueErrors(t, parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message })));
  const problem = passwordProblem(password);
  return problem ? { ...errors, password: passwordMessage(t, problem) } : errors;
}

/** The store's messages are English; each field gets a translated one that says what to enter. */
function issueErrors(t: Translate, issues: readonly Issue[]): AccountForm["errors"] {
  const errors: AccountForm["errors"] = {};
  for (const issue of issues) {
    if (issue.path === "email") errors.email = t("admin.emailInvalid");
    else if (issue.path === "name") errors.name = t("admin.nameInvalid");
    else if (issue.path === "role") errors.role = t("admin.roleInvalid");
  }
  return errors;
}

function roleOptions(t: Translate, selected: string): SafeHtml {
  return html`${ROLES.map((role: Role) => html`<option value="${role}"${role === selected ? html` selected` : ""}>${t(`role.${role}`)}</option>`)}`;
}

/** A labelled field of the new-account form, with its message and the ARIA link between them. */
function field(id: string, label: string, error: string | undefined, control: (invalid: SafeHtml) => SafeHtml): SafeHtml {
  const invalid = error ? html` aria-invalid="true" aria-describedby="${id}-error"` : html``;
  return html`<label for="${id}">${label}</label>${error ? html`<span class="error" id="${id}-error">${error}</span>` : ""}${control(invalid)}`;
}

async function usersPage(c: AppContext, state: UsersPageState): Promise<Response> {
  const t = c.get("t");
  const self = c.get("user");
  const csrf = c.get("csrfToken") ?? "";
  const users = await listUsers(c.get("services").store.db);
  if (state.error) c.status(400);
  const values = state.account?.values ?? { email: "", name: "", role: "editor" };
  const errors = state.account?.errors ?? {};
  const body = html`<table><thead><tr><th scope="col">${t("field.email")}</th><th scope="col">${t("field.name")}</th><th scope="col">${t("field.role")}</th><th scope="col">${t("field.password")}</th></tr></thead>
    <tbody>${users.map((user) => html`<tr><td>${user.email}</td><td>${user.name}${user.id === self?.id ? html` <span class="muted">(${t("admin.you")})</span>` : ""}</td><td>
      <form method="post" action="/admin/users/${user.id}/role" class="inline">
        <input type="hidden" name="csrf" value="${csrf}">
        <label for="role-${user.id}" class="muted">${t("field.role")}</label>
        <select id="role-${user.id}" name="role">${roleOptions(t, user.role)}</select>
        <button type="submit">${t("action.save")}</button>
      </form></td><td>${
        user.id === self?.id
          ? html`<a href="/account/password">${t("account.change")}</a>`
          : html`<form method="post" action="/admin/users/${user.id}/password" class="inline">
        <input type="hidden" name="csrf" value="${csrf}">
        <label for="password-${user.id}" class="muted">${t("field.newPassword")}</label>
        <input id="password-${user.id}" name="password" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" maxlength="${MAX_PASSWORD_LENGTH}" required>
        <button type="submit">${t("admin.resetPassword")}</button>
      </form>`
      }</td></tr>`)}</tbody></table>
    <h2>${t("admin.newAccount")}</h2>
    <form method="post" action="/admin/users">
      <input type="hidden" name="csrf" value="${csrf}">
      ${field("new-email", t("field.email"), errors.email, (invalid) => html`<input id="new-email" name="email" type="email" autocomplete="off" value="${values.email}" required${invalid}>`)}
      ${field("new-name", t("field.name"), errors.name, (invalid) => html`<input id="new-name" name="name" type="text" autocomplete="off" value="${values.name}" required${invalid}>`)}
      ${field("new-role", t("field.role"), errors.role, (invalid) => html`<select id="new-role" name="role"${invalid}>${roleOptions(t, values.role)}</select>`)}
      ${field("new-password", t("field.password"), errors.password, (invalid) => html`<p class="muted" id="new-password-hint">${t("password.hint", { min: MIN_PASSWORD_LENGTH })}</p><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" maxlength="${MAX_PASSWORD_LENGTH}" required${invalid}>`)}
      <p><button type="submit">${t("admin.create")}</button></p>
    </form>
    <p>${t("admin.cliHint")} <code>baseline admin create --email … --name … --role editor</code> · <a href="/admin/audit">${t("admin.audit")}</a></p>`;
  const status = { ...(state.error ? { error: state.error } : {}), ...(state.notice ? { notice: state.notice } : {}) };
  return c.html(page(pageContext(c), t("admin.accounts"), body, status));
}
