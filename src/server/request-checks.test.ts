// What the app refuses before any route runs, and how: query numbers that
// are not whole numbers from 0 to MAX_QUERY_NUMBER, NUL characters in the
// path, the query or a form (PostgreSQL text cannot hold them), bodies past
// MAX_BODY_BYTES even when sent chunked, and POSTs without a session, whose
// bodies are not even read. On SQLite and PostgreSQL.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../catalog/load.ts";
import { createInstitution, createPolicy, listInstitutions } from "../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../store/test-databases.ts";
import { createApp, MAX_BODY_BYTES } from "./app.ts";
import { LoginLimiter } from "./auth.ts";
import { MAX_QUERY_NUMBER } from "./context.ts";
import { escapeHtml } from "./html.ts";
import { createTestAccounts, testBrowser } from "./test-browser.ts";

const catalog = loadCatalog();

/** The one-line message of an error page, as the page has it (escaped). */
function alertOf(page: string): string | undefined {
  return /<p class="error" role="alert">([^<]*)<\/p>/.exec(page)?.[1];
}

/** A body that arrives in chunks with no length announced, and counts what was read of it. */
function streamedBody(total: number, chunk = 64 * 1024, byte = "a".charCodeAt(0), start = ""): { stream: ReadableStream<Uint8Array>; read: () => number } {
  const opening = new TextEncoder().encode(start);
  let sent = 0;
  // highWaterMark 0: nothing is pulled before someone reads, so `read` is what the server asked for.
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent >= total) {
          controller.close();
          return;
        }
        const size = Math.min(chunk, total - sent);
        const bytes = new Uint8Array(size).fill(byte);
        // The first chunk begins with `start` (a multipart body's first delimiter and part header).
        if (sent === 0) bytes.set(opening.subarray(0, size));
        sent += size;
        controller.enqueue(bytes);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, read: () => sent };
}

for (const dialect of TEST_DIALECTS) {
  describe(`request checks on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    let app: ReturnType<typeof createApp>;
    let policyId: string;

    before(async () => {
      store = await openTestStore(dialect, { name: "request_checks_test" });
      await createTestAccounts(store);
      const institution = await createInstitution(store.db, { name: "Forum Standaardisatie", kind: "government", country: "NL", region: "155" }, null);
      policyId = (await createPolicy(store.db, { institutionId: institution.id, title: "Published list", type: "policy", status: "in-force", reviewState: "published" }, null)).id;
      app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
    });
    after(() => store.close());

    it("answers an offset that is not a whole number from 0 to the bound with a 400 naming it", async () => {
      for (const offset of ["1e20", "99999999999999999999", "1e300", "-5", "abc", "2.5", "0x10", "+5", String(MAX_QUERY_NUMBER + 1)]) {
        const response = await app.request(`/policies?offset=${encodeURIComponent(offset)}`);
        const page = await response.text();
        assert.equal(response.status, 400, offset);
        assert.equal(alertOf(page), escapeHtml(`The parameter “offset” must be a whole number from 0 to 1000000; “${offset}” is not.`), offset);
        assert.equal(response.headers.get("x-content-type-options"), "nosniff", "the error page keeps the security headers");
      }
      for (const offset of ["", "0", "50", ` ${MAX_QUERY_NUMBER} `]) assert.equal((await app.request(`/policies?offset=${encodeURIComponent(offset)}`)).status, 200, offset);
      assert.match(await (await app.request(`/policies?offset=${MAX_QUERY_NUMBER}`)).text(), /<p>1 found · .*<p>Nothing found\.<\/p>/s, "past the end: the count, and an empty page");
      const french = await (await app.request("/policies?offset=abc&lang=fr")).text();
      assert.equal(alertOf(french), escapeHtml("Le paramètre « offset » doit être un nombre entier de 0 à 1000000 ; « abc » n'en est pas un."));
      const spanish = await (await app.request("/policies?offset=-1&lang=es")).text();
      assert.equal(alertOf(spanish), "El parámetro «offset» debe ser un número entero de 0 a 1000000; «-1» no lo es.");
    });

    it("answers the audit log's bad offsets the same way", async () => {
      const admin = testBrowser(app);
      assert.equal((await admin.login("admin@example.org")).status, 303);
      for (const offset of ["1e20", "-5", "abc"]) {
        const response = await admin.get(`/admin/audit?offset=${offset}`);
        assert.equal(response.status, 400, offset);
        assert.match(alertOf(await response.text()) ?? "", /^The parameter “offset” must be a whole number/);
      }
      assert.equal((await admin.get("/admin/audit?offset=100")).status, 200);
    });

    it("refuses a NUL character in the path or in any query parameter with a 400", async () => {
      for (const path of ["/institutions/a%00", `/policies/${policyId}%00`, "/standards/dns%00sec"]) {
        const response = await app.request(path);
        assert.equal(response.status, 400, path);
        assert.equal(alertOf(await response.text()), "The address contains a NUL character (%00), which no page has.", path);
        assert.equal(response.headers.get("content-security-policy")?.startsWith("default-src 'self'"), true, "refused in the first middleware, with its headers");
      }
      for (const [path, name] of [["/compare?subject=a%00b", "subject"], ["/policies?q=a%00", "q"], ["/policies?sort=title&region=%00", "region"], ["/?x%00y=1", "x\\0y"], ["/compare?subject=NL&subject=%00", "subject"]] as const) {
        const response = await app.request(path);
        assert.equal(response.status, 400, path);
        assert.equal(alertOf(await response.text()), `The parameter “${name}” contains a NUL character (%00), which cannot be searched for or stored.`, path);
      }
      assert.match(alertOf(await (await app.request("/policies?q=%00&lang=fr")).text()) ?? "", /^Le paramètre « q » contient un caractère NUL/);
      // Encoded twice it is the text "%00", no NUL: an ordinary search.
      assert.equal((await app.request("/policies?q=%2500")).status, 200);
    });

    it("refuses a NUL character in any form field, of a login too, and saves nothing", async () => {
      const editor = testBrowser(app);
      await editor.login("editor@example.org");
      const csrf = await editor.csrf("/institutions/new");
      const count = (await listInstitutions(store.db, { limit: 1 })).total;
      const refused = await editor.post("/institutions/new", { csrf, name: "Null\u0000 Ministry", kind: "government", region: "150" });
      assert.equal(refused.status, 400);
      assert.equal(alertOf(await refused.text()), "The form field “name” contains a NUL character, which cannot be stored.");
      const repeated = await editor.post("/policies/new", { csrf, title: "T", standards: ["dnssec", "https\u0000"] });
      assert.equal(repeated.status, 400, "every value of a repeated field is checked");
      assert.equal((await listInstitutions(store.db, { limit: 1 })).total, count);

      const upload = new FormData();
      upload.set("csrf", csrf);
      upload.set("table", "institutions\u0000");
      upload.set("file", new File(["name,kind,region\nX,academia,150\n"], "x.csv", { type: "text/csv" }));
      const multipart = await editor.upload("/import", upload);
      assert.equal(multipart.status, 400);
      assert.match(alertOf(await multipart.text()) ?? "", /form field “table”/);

      const login = await testBrowser(app).login("editor\u0000@example.org");
      assert.equal(login.status, 400);
      assert.match(alertOf(await login.text()) ?? "", /form field “email”/);
      assert.equal((await testBrowser(app).login("editor@example.org")).status, 303, "logging in still works");
    });

    it("answers a form that cannot be parsed with a 400", async () => {
      const editor = testBrowser(app);
      await editor.login("editor@example.org");
      const response = await app.request("/import", { method: "POST", body: "not multipart at all", headers: { cookie: editor.cookie, "content-type": "multipart/form-data; boundary=x" } });
      assert.equal(response.status, 400);
      assert.equal(alertOf(await response.text()), "The form could not be read: the request does not hold well-formed form data.");
    });

    it("refuses a POST without a session before reading its body", async () => {
      for (const path of ["/import", "/institutions/new", "/decision", "/logout"]) {
        const body = streamedBody(1024 * 1024);
        const response = await app.request(path, { method: "POST", body: body.stream, duplex: "half", headers: { "content-type": "multipart/form-data; boundary=x" } });
        assert.equal(response.status, 403, path);
        assert.equal(body.read(), 0, `${path}: not a byte read`);
      }
    });

    it("limits a chunked body as it arrives, and still parses one within the limit", async () => {
      const editor = testBrowser(app);
      await editor.login("editor@example.org");
      const chunk = 64 * 1024;
      // A well-formed start (the form reader refuses a multipart body that never shows its delimiter), then too many bytes.
      const body = streamedBody(MAX_BODY_BYTES + 4 * 1024 * 1024, chunk, "a".charCodeAt(0), '--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n');
      const response = await app.request("/import", { method: "POST", body: body.stream, duplex: "half", headers: { cookie: editor.cookie, "content-type": "multipart/form-data; boundary=x" } });
      assert.equal(response.status, 413);
      assert.equal(alertOf(await response.text()), "The request is too large.");
      assert.ok(body.read() <= MAX_BODY_BYTES + chunk, `read ${body.read()} bytes, stopped near the limit`);

      const csrf = await editor.csrf("/institutions/new");
      const form = new TextEncoder().encode(new URLSearchParams({ csrf, name: "Streamed Ministry", kind: "government", region: "150" }).toString());
      const small = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(form.subarray(0, 10));
          controller.enqueue(form.subarray(10));
          controller.close();
        },
      });
      const saved = await app.request("/institutions/new", { method: "POST", body: small, duplex: "half", headers: { cookie: editor.cookie, "content-type": "application/x-www-form-urlencoded" } });
      assert.equal(saved.status, 303, await saved.text());
      assert.equal((await listInstitutions(store.db, { search: "Streamed Ministry" })).total, 1);
    });

    it("keeps unexpected errors a 500 with the generic message", async (t) => {
      const broken = await openTestStore(dialect, { name: "request_checks_broken" });
      await broken.close();
      t.mock.method(console, "error", () => undefined);
      const response = await createApp({ store: broken, catalog, limiter: new LoginLimiter(), secureCookies: false }).request("/policies");
      assert.equal(response.status, 500);
      assert.match(await response.text(), /<p>Something went wrong\.<\/p>/);
    });
  });
}
