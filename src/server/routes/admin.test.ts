// Route tests of account management in the browser (issue 5), on SQLite and,
// when it is reachable, PostgreSQL in a schema of its own: admins create
// accounts, nobody else may, the last admin keeps the role, and users change
// their own password. Requests go through Hono's fetch handler.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { createUser, findUserByEmail, LastAdminError, listAudit, updateUser } from "../../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { hashPassword, LoginLimiter, MIN_PASSWORD_LENGTH, verifyPassword } from "../auth.ts";
import { createTestAccounts, TEST_PASSWORD as PASSWORD, testBrowser, type TestBrowser } from "../test-browser.ts";

const catalog = loadCatalog();

for (const dialect of TEST_DIALECTS) {
  describe(`account management on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;

    before(async () => {
      store = await openTestStore(dialect, { name: "admin_test" });
      // No starter dataset: these pages do not need it, and hashing is the slow part already.
      await createTestAccounts(store);
      app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
    });

    after(() => store.close());

    async function signedIn(email: string): Promise<{ user: TestBrowser; csrf: string }> {
      const user = testBrowser(app);
      assert.equal((await user.login(email)).status, 303, `${email} logs in`);
      return { user, csrf: await user.csrf("/") };
    }

    /** The id in the role form of the accounts page's row for `email`. */
    function rowId(accountsPage: string, email: string): string {
      const row = accountsPage.split("<tr>").find((candidate) => candidate.includes(`<td>${email}</td>`)) ?? "";
      const id = row.match(/action="\/admin\/users\/([^/"]+)\/role"/)?.[1];
      assert.ok(id, `a row for ${email}`);
      return id;
    }

    it("lets an admin create an editor who can then log in, audited with the admin as actor", async () => {
      const { user: admin, csrf } = await signedIn("admin@example.org");
      const created = await admin.post("/admin/users", { csrf, email: " New.Editor@Example.org ", name: "Nora Editor", role: "editor", password: "correct horse battery" });
      assert.equal(created.status, 303, await created.text());
      const accounts = await (await admin.get(created.headers.get("location") ?? "")).text();
      assert.match(accounts, /role="status">Account new\.editor@example\.org created\./);
      assert.match(accounts, /<td>new\.editor@example\.org<\/td><td>Nora Editor<\/td>/);

      const editor = testBrowser(app);
      assert.equal((await editor.login("new.editor@example.org", "correct horse battery")).status, 303);
      assert.match(await (await editor.get("/")).text(), /Nora Editor<\/a> \(editor\)/);
      assert.equal((await editor.get("/institutions/new")).status, 200, "an editor may edit");

      const adminId = (await findUserByEmail(store.db, "admin@example.org"))?.id;
      const { items } = await listAudit(store.db, { entity: "user", limit: 50 });
      const entry = items.find((item) => item.action === "create" && JSON.stringify(item.detail).includes("new.editor@example.org"));
      assert.ok(entry, "the creation is in the audit log");
      assert.equal(entry.userId, adminId);
      assert.doesNotMatch(JSON.stringify(entry.detail), /scrypt|correct horse/, "the log holds no password or hash");
    });

    it("refuses a taken e-mail with 400 and says so next to the field", async () => {
      const { user: admin, csrf } = await signedIn("admin@example.org");
      const response = await admin.post("/admin/users", { csrf, email: "EDITOR@example.org", name: "Someone Else", role: "viewer", password: "another long password" });
      assert.equal(response.status, 400);
      const text = await response.text();
      assert.match(text, /<span class="error" id="new-email-error">An account with the e-mail editor@example\.org already exists\.<\/span>/);
      assert.match(text, /value="Someone Else"/, "the form keeps what was typed");
      assert.doesNotMatch(text, /another long password/, "but never the password");
    });

    it("reports each invalid field, with the password rule of `baseline admin create`, in the reader's language", async () => {
      const { user: admin, csrf } = await signedIn("admin@example.org");
      const response = await admin.post("/admin/users", { csrf, email: "not an address", name: "  ", role: "root", password: "x".repeat(MIN_PASSWORD_LENGTH - 1) });
      assert.equal(response.status, 400);
      const text = await response.text();
      assert.match(text, /id="new-email-error">Enter an e-mail address/);
      assert.match(text, /id="new-name-error">Enter a name/);
      assert.match(text, /id="new-role-error">Choose a role/);
      assert.match(text, new RegExp(`id="new-password-error">The password must have at least ${MIN_PASSWORD_LENGTH} characters\\.`));
      assert.equal(await findUserByEmail(store.db, "not an address"), undefined);
      const french = await admin.post("/admin/users?lang=fr", { csrf, email: "short@example.org", name: "Court", role: "viewer", password: "short" });
      assert.equal(french.status, 400);
      assert.match(await french.text(), /Le mot de passe doit compter au moins 12 caractères/);
      assert.equal(await findUserByEmail(store.db, "short@example.org"), undefined);
    });

    it("refuses the create route to editors and viewers (403) and sends anonymous visitors to log in", async () => {
      for (const email of ["editor@example.org", "viewer@example.org"]) {
        const { user, csrf } = await signedIn(email);
        assert.equal((await user.get("/admin/users")).status, 403, `${email} reads no accounts`);
        const response = await user.post("/admin/users", { csrf, email: `by-${email}`, name: "Intruder", role: "admin", password: "a long enough password" });
        assert.equal(response.status, 403, `${email} creates no account`);
      }
      assert.equal(await findUserByEmail(store.db, "by-editor@example.org"), undefined);
      assert.equal(await findUserByEmail(store.db, "by-viewer@example.org"), undefined);
      const anonymous = await app.request("/admin/users");
      assert.equal(anonymous.status, 303);
      assert.equal(anonymous.headers.get("location"), "/login");
    });

    it("escapes a <script> in a name on the accounts page", async () => {
      const { user: admin, csrf } = await signedIn("admin@example.org");
      const name = '<script>alert("x")</script> Mallory';
      assert.equal((await admin.post("/admin/users", { csrf, email: "mallory@example.org", name, role: "viewer", password: "a long enough password" })).status, 303);
      const accounts = await (await admin.get("/admin/users")).text();
      assert.doesNotMatch(accounts, /<script>alert/);
      assert.match(accounts, /<td>&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62; Mallory<\/td>/);
    });

    it("does not let the last admin be demoted, in the browser or in the store", async () => {
      const { user: admin, csrf } = await signedIn("admin@example.org");
      const accounts = await (await admin.get("/admin/users")).text();
      const adminId = rowId(accounts, "admin@example.org");
      const refused = await admin.post(`/admin/users/${adminId}/role`, { csrf, role: "editor" });
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), /role="alert">The last admin cannot lose the admin role/);
      assert.equal((await findUserByEmail(store.db, "admin@example.org"))?.role, "admin");
      await assert.rejects(updateUser(store.db, adminId, { role: "viewer" }, null), LastAdminError);
      // Name and password changes of the last admin are not role changes.
      await updateUser(store.db, adminId, { name: "The admin" }, null);

      // With a second admin, either may step down, but then the other is the last one.
      const second = await createUser(store.db, { email: "second.admin@example.org", name: "Second", role: "admin", passwordHash: await hashPassword(PASSWORD) }, null);
      assert.equal((await admin.post(`/admin/users/${second.id}/role`, { csrf, role: "editor" })).status, 303);
      assert.equal((await findUserByEmail(store.db, "second.admin@example.org"))?.role, "editor");
      assert.equal((await admin.post(`/admin/users/${adminId}/role`, { csrf, role: "viewer" })).status, 400);
    });

    it("keeps one admin when the last two are demoted at the same time", async () => {
      const first = await findUserByEmail(store.db, "admin@example.org");
      assert.ok(first);
      const other = await createUser(store.db, { email: "racing.admin@example.org", name: "Racer", role: "admin", passwordHash: "x" }, null);
      // On PostgreSQL these run on two pooled connections at once.
      const results = await Promise.allSettled([updateUser(store.db, first.id, { role: "editor" }, null), updateUser(store.db, other.id, { role: "editor" }, null)]);
      assert.deepEqual(results.map((result) => result.status).sort(), ["fulfilled", "rejected"]);
      const rejected = results.find((result) => result.status === "rejected");
      assert.ok(rejected?.reason instanceof LastAdminError);
      const admins = (await Promise.all(["admin@example.org", "racing.admin@example.org"].map((email) => findUserByEmail(store.db, email)))).filter((user) => user?.role === "admin");
      assert.equal(admins.length, 1);
      // Back to the one admin the other tests sign in as.
      await updateUser(store.db, first.id, { role: "admin" }, null);
      await updateUser(store.db, other.id, { role: "viewer" }, null);
    });

    it("lets an admin set another user's password, which ends that user's sessions", async () => {
      const { user: viewer } = await signedIn("viewer@example.org");
      const { user: admin, csrf } = await signedIn("admin@example.org");
      const viewerId = rowId(await (await admin.get("/admin/users")).text(), "viewer@example.org");
      assert.equal((await admin.post(`/admin/users/${viewerId}/password`, { csrf, password: "short" })).status, 400);
      const reset = await admin.post(`/admin/users/${viewerId}/password`, { csrf, password: "a brand new viewer password" });
      assert.equal(reset.status, 303);
      assert.match(await (await admin.get(reset.headers.get("location") ?? "")).text(), /New password set for viewer@example\.org/);
      assert.equal((await viewer.get("/institutions/new")).headers.get("location"), "/login", "the viewer's session has ended");
      assert.equal((await testBrowser(app).login("viewer@example.org", "a brand new viewer password")).status, 303);
      await updateUser(store.db, viewerId, { passwordHash: await hashPassword(PASSWORD) }, null);
    });

    it("lets any signed-in user change their own password with the current one, and stay signed in", async () => {
      assert.equal((await app.request("/account/password")).headers.get("location"), "/login");
      const { user: editor } = await signedIn("editor@example.org");
      const { user: elsewhere } = await signedIn("editor@example.org");
      let csrf = await editor.csrf("/account/password");
      const wrong = await editor.post("/account/password", { csrf, current: "not my password", password: "a new editor password", repeat: "a new editor password" });
      assert.equal(wrong.status, 400);
      assert.match(await wrong.text(), /id="current-error">The current password is wrong\./);
      const differ = await editor.post("/account/password", { csrf, current: PASSWORD, password: "a new editor password", repeat: "a new editor passw0rd" });
      assert.equal(differ.status, 400);
      assert.match(await differ.text(), /id="repeat-error">The two new passwords differ\./);

      const changed = await editor.post("/account/password", { csrf, current: PASSWORD, password: "a new editor password", repeat: "a new editor password" });
      const text = await changed.text();
      assert.equal(changed.status, 200, text);
      assert.match(text, /role="status">Password changed\./);
      const stored = await findUserByEmail(store.db, "editor@example.org");
      assert.ok(stored && (await verifyPassword("a new editor password", stored.passwordHash)));
      assert.equal((await editor.get("/institutions/new")).status, 200, "this browser stays signed in");
      assert.equal((await elsewhere.get("/institutions/new")).headers.get("location"), "/login", "the other session has ended");
      csrf = text.match(/name="csrf" value="([^"]+)"/)?.[1] ?? "";
      assert.equal((await editor.post("/account/password", { csrf, current: "a new editor password", password: PASSWORD, repeat: PASSWORD })).status, 200, "the new page carries the new session's CSRF token");
    });
  });
}
