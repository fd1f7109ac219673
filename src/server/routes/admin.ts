/**
 * For admins: the accounts (change a role) and the audit log of every
 * change (who, when, what).
 */
import type { Hono } from "hono";
import { listAudit, listUsers, ROLES, updateUser, ValidationError } from "../../store/index.ts";
import { pageContext, type AppContext, type AppEnv } from "../context.ts";
import { html } from "../html.ts";
import { page } from "../layout.ts";

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

  app.get("/admin/users", (c) => usersPage(c));
  app.post("/admin/users/:id/role", async (c) => {
    const body = await c.req.parseBody();
    const role = ROLES.find((value) => value === body.role);
    if (!role) return usersPage(c, "role: must be admin, editor or viewer");
    try {
      await updateUser(c.get("services").store.db, c.req.param("id"), { role }, c.get("user")?.id ?? null);
    } catch (error) {
      if (error instanceof ValidationError) return usersPage(c, error.message);
      throw error;
    }
    return c.redirect("/admin/users", 303);
  });

  app.get("/admin/audit", async (c) => {
    const offset = Math.max(0, Number(c.req.query("offset") ?? 0) || 0);
    const { items, total } = await listAudit(c.get("services").store.db, { limit: 100, offset });
    const users = new Map((await listUsers(c.get("services").store.db)).map((user) => [user.id, user.email]));
    const body = html`<p>${total} changes</p>
      <table><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Record</th><th scope="col">Detail</th></tr></thead>
      <tbody>${items.map((entry) => html`<tr><td>${entry.at}</td><td>${entry.userId ? (users.get(entry.userId) ?? entry.userId) : "system"}</td><td>${entry.action} ${entry.entity}</td><td>${entry.entityId ?? ""}</td><td><code>${entry.detail === null ? "" : JSON.stringify(entry.detail).slice(0, 300)}</code></td></tr>`)}</tbody></table>
      ${offset + 100 < total ? html`<p><a href="/admin/audit?offset=${offset + 100}">→</a></p>` : ""}`;
    return c.html(page(pageContext(c), "Audit log", body));
  });
}

async function usersPage(c: AppContext, error?: string): Promise<Response> {
  const users = await listUsers(c.get("services").store.db);
  if (error) c.status(400);
  const body = html`<table><thead><tr><th scope="col">E-mail</th><th scope="col">Name</th><th scope="col">Role</th></tr></thead>
    <tbody>${users.map((user) => html`<tr><td>${user.email}</td><td>${user.name}</td><td>
      <form method="post" action="/admin/users/${user.id}/role" class="inline">
        <input type="hidden" name="csrf" value="${c.get("csrfToken") ?? ""}">
        <label for="role-${user.id}" class="muted">Role</label>
        <select id="role-${user.id}" name="role">${ROLES.map((role) => html`<option value="${role}"${role === user.role ? html` selected` : ""}>${role}</option>`)}</select>
        <button type="submit">Save</button>
      </form></td></tr>`)}</tbody></table>
    <p>New accounts: <code>baseline admin create --email … --name … --role editor</code>. <a href="/admin/audit">Audit log</a></p>`;
  return c.html(page(pageContext(c), "Accounts", body, error ? { error } : undefined));
}
