// The batch API on both databases, through the whole app (createApp with a
// real CampaignEngine on the embedded queue); the checks are stand-ins
// (every check of the suite passes but the few a domain's name asks to
// fail), so that a request runs in milliseconds. EVERY reply of these
// tests is validated against the OpenAPI document the server serves
// (BatchApiValidator, Ajv): its status must be declared for the operation
// and its body must match the declared schema, errors included.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { CampaignEngine } from "../../campaigns/engine.ts";
import { apiTests } from "../../campaigns/internetnl.ts";
import { loadCatalog } from "../../catalog/load.ts";
import { defaultSettings } from "../../checks/context.ts";
import { CheckInputError } from "../../checks/errors.ts";
import { checksOf } from "../../checks/registry.ts";
import { testResult } from "../../checks/report/test-reports.ts";
import { scoreReport } from "../../checks/run.ts";
import type { CheckStatus, DomainReport, Suite } from "../../checks/types.ts";
import { createResolver } from "../../dns/resolver.ts";
import { EmbeddedQueue } from "../../jobs/embedded.ts";
import { createApiAccount } from "../../store/api-accounts.ts";
import { createUser } from "../../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { hashPassword, LoginLimiter } from "../auth.ts";
import { applyCorrections, originalDocument } from "./batch-api-openapi.ts";
import { BatchApiValidator } from "./batch-api-validator.ts";

const PASSWORD = "correct horse battery staple";
const OTHER_PASSWORD = "another long passphrase";

/** What the stand-in check makes of a domain: `hsts-fails.example` fails web.hsts, `broken.example` cannot be checked. */
function standInReport(domain: string, suite: Suite): DomainReport {
  const failing = new Map<string, CheckStatus>();
  if (domain.startsWith("hsts-fails.")) failing.set("web.hsts", "failed");
  if (domain.startsWith("no-dmarc.")) failing.set("mail.dmarc.exists", "failed").set("mail.dmarc.policy", "not_tested");
  const tests = checksOf(suite).map((check) =>
    testResult(check.id, check.category, failing.get(check.id) ?? "passed", {
      standard: check.standard,
      weight: check.weight,
      evidence: check.id.endsWith("ns-aaaa") ? { nameServers: [{ name: `ns.${domain}`, ipv4: ["192.0.2.53"], ipv6: ["2001:db8::53"] }] } : {},
    }),
  );
  return scoreReport({ domain, suite, score: null, categories: [], tests, startedAt: new Date().toISOString(), durationMs: 5 });
}

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

for (const dialect of TEST_DIALECTS) {
  describe(`batch API on ${dialect}`, { skip: await skipReason(dialect), timeout: 120_000 }, () => {
    let store: TestStore;
    let campaigns: CampaignEngine;
    let app: ReturnType<typeof createApp>;
    let validator: BatchApiValidator;
    /** Domains whose check waits until released (the cancel test). */
    const held = new Map<string, () => void>();
    let replies = 0;

    const basic = (email: string, password: string): string => `Basic ${Buffer.from(`${email}:${password}`).toString("base64")}`;
    const ci = basic("ci@example.org", PASSWORD);
    const other = basic("other@example.org", OTHER_PASSWORD);

    /**
     * One call of `method template` (e.g. "/requests/{request_id}") with
     * `id` filled in; its reply is validated against the document before
     * the test looks at it.
     */
    async function api(method: string, template: string, options: { id?: string; auth?: string | null; body?: unknown; raw?: string; type?: string; query?: string } = {}): Promise<Reply> {
      const path = `/api/batch/v2${template.replace("{request_id}", options.id ?? "")}${options.query ?? ""}`;
      const headers: Record<string, string> = {};
      if (options.auth !== null) headers.authorization = options.auth ?? ci;
      let body: string | undefined;
      if (options.body !== undefined || options.raw !== undefined) {
        body = options.raw ?? JSON.stringify(options.body);
        headers["content-type"] = options.type ?? "application/json";
      }
      const response = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      const isJson = (response.headers.get("content-type") ?? "").includes("application/json");
      const parsed: unknown = isJson ? JSON.parse(text) : text;
      const problems = validator.errors(method, template, response.status, parsed);
      assert.deepEqual(problems, [], `${method} ${path} → ${response.status} does not match the document: ${text.slice(0, 400)}`);
      replies++;
      return { status: response.status, headers: response.headers, body: parsed };
    }

    const requestOf = (reply: Reply): { request_id: string; status: string; finished_date: string | null; name: string; request_type: string } =>
      (reply.body as { request: { request_id: string; status: string; finished_date: string | null; name: string; request_type: string } }).request;
    const errorOf = (reply: Reply): { label: string; msg: string } => (reply.body as { error: { label: string; msg: string } }).error;

    async function register(domains: unknown[], type = "web", name = "test", auth = ci): Promise<string> {
      const reply = await api("POST", "/requests", { body: { type, name, domains }, auth });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(requestOf(reply).status, "running", "registered and queued when the POST answers");
      assert.equal(requestOf(reply).finished_date, null);
      return requestOf(reply).request_id;
    }

    /** Polls the status as a client does until it is `want` (seeing only statuses of the lifecycle on the way). */
    async function waitFor(id: string, want: string, auth = ci): Promise<string[]> {
      const seen: string[] = [];
      for (let attempt = 0; attempt < 400; attempt++) {
        const status = requestOf(await api("GET", "/requests/{request_id}", { id, auth })).status;
        if (seen.at(-1) !== status) seen.push(status);
        if (status === want) return seen;
        assert.ok(["registering", "running", "generating"].includes(status), `unexpected status ${status} (seen ${seen.join(" → ")})`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.fail(`request ${id} did not become ${want} (seen ${seen.join(" → ")})`);
    }

    before(async () => {
      store = await openTestStore(dialect, { name: "batch_api" });
      await createApiAccount(store.db, { email: "ci@example.org", name: "CI", passwordHash: await hashPassword(PASSWORD) }, null);
      await createApiAccount(store.db, { email: "other@example.org", name: "Other", passwordHash: await hashPassword(OTHER_PASSWORD) }, null);
      await createUser(store.db, { email: "admin@example.org", name: "Admin", role: "admin", passwordHash: await hashPassword(PASSWORD) }, null);
      campaigns = new CampaignEngine({
        store,
        settings: defaultSettings(createResolver()),
        queue: new EmbeddedQueue(store, { concurrency: 4, pollMs: 20 }),
        check: async (domain, suite) => {
          if (domain.startsWith("broken.")) throw new CheckInputError(`${domain} cannot be checked here`);
          if (domain.startsWith("slow.")) await new Promise<void>((resolve) => held.set(domain, resolve));
          return standInReport(domain, suite);
        },
      });
      await campaigns.start();
      // The throttle's account backoff starts after 3 wrong passwords here (5 in serve), so that the 429 test is short.
      const limiter = new LoginLimiter({ throttle: { account: { free: 3, baseMs: 60_000, maxMs: 60_000 } } });
      app = createApp({ store, catalog: loadCatalog(), limiter, secureCookies: false, campaigns, batchApi: { maxDomains: 5 } });
      validator = await BatchApiValidator.fromServer(app);
    });

    after(async () => {
      for (const release of held.values()) release();
      await campaigns.stop(2000);
      await store.close();
    });

    it("serves the OpenAPI document without credentials: internet.nl's, completed, with only the named corrections", async () => {
      const response = await app.request("/api/batch/openapi.yaml");
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^application\/yaml/);
      const text = await response.text();
      assert.doesNotMatch(text, /OVERRIDE THIS VALUE|@@DESC_/);
      const served = parse(text) as Record<string, unknown>;
      assert.equal(served.DISCLAIMER, undefined);
      assert.match((served.info as { version: string }).version, /^\d+\.\d+\.\d+$/);
      assert.deepEqual(served.servers, [{ url: "http://localhost/api/batch/v2", description: "this server" }]);
      const corrected = applyCorrections(originalDocument());
      assert.deepEqual(served.paths, corrected.paths, "the operations are internet.nl's (plus 429 and 503)");
      assert.deepEqual(served.components, corrected.components, "the schemas are internet.nl's, with the named corrections");
      const behind = parse(await (await app.request("/api/batch/openapi.yaml", { headers: { host: "batch.example.org", "x-forwarded-proto": "https", "x-forwarded-host": "evil.example" } })).text()) as { servers: { url: string }[] };
      assert.equal(behind.servers[0]?.url, "http://batch.example.org/api/batch/v2", "the Host asked for; X-Forwarded-* only from a trusted proxy");
      const original = originalDocument() as { paths: Record<string, unknown> };
      assert.deepEqual(Object.keys(served.paths as object), Object.keys(original.paths));
    });

    it("refuses missing and wrong credentials with 401 and a Basic challenge, and a user of the pages too", async () => {
      for (const auth of [null, basic("ci@example.org", "wrong password!"), basic("nobody@example.org", PASSWORD), basic("admin@example.org", PASSWORD), "Bearer abc", "Basic !!!"]) {
        const reply = await api("GET", "/requests", { auth });
        assert.equal(reply.status, 401, String(auth));
        assert.match(reply.headers.get("www-authenticate") ?? "", /^Basic realm="Baseline batch API"/);
      }
      const metadata = await api("GET", "/metadata/report", { auth: basic("CI@Example.org", PASSWORD) });
      assert.equal(metadata.status, 200, "the e-mail address is matched without regard to case");
    });

    it("runs a web request through registering/running → generating → done, with internet.nl's categories and tests", async () => {
      const id = await register(["good.example", "HSTS-fails.Example.", "broken.example", "good.example"], "web", "Suppliers 2026");
      assert.match(id, /^[a-f0-9]{32}$/);
      const seen = await waitFor(id, "done");
      const order = seen.map((status) => ["running", "generating", "done"].indexOf(status));
      assert.ok(order.every((place, index) => place >= 0 && (index === 0 || place > (order[index - 1] ?? -1))), `the lifecycle, as polled: ${seen.join(" → ")}`);
      const status = requestOf(await api("GET", "/requests/{request_id}", { id }));
      assert.equal(status.name, "Suppliers 2026");
      assert.equal(status.request_type, "web");
      assert.ok(status.finished_date !== null && Date.parse(status.finished_date) >= 0, "a done request has its finished date");

      const results = await api("GET", "/requests/{request_id}/results", { id });
      assert.equal(results.status, 200);
      const body = results.body as { request: { status: string; finished_date: string }; domains: Record<string, { status: string; scoring?: { percentage: number }; report?: { url: string }; results?: { categories: Record<string, { status: string }>; tests: Record<string, { status: string; verdict: string }>; custom: { baseline_tests: Record<string, { status: string }> } } }> };
      assert.equal(body.request.status, "done");
      assert.equal(body.request.finished_date, status.finished_date);
      assert.deepEqual(Object.keys(body.domains).sort(), ["broken.example", "good.example", "hsts-fails.example"], "names normalised, duplicates dropped");
      assert.deepEqual(body.domains["broken.example"], { status: "error" });
      const good = body.domains["good.example"];
      assert.equal(good?.status, "ok");
      assert.deepEqual(Object.keys(good.results?.categories ?? {}), ["web_ipv6", "web_dnssec", "web_https", "web_appsecpriv", "web_rpki"]);
      assert.deepEqual(Object.keys(good.results?.tests ?? {}).sort(), apiTests("web").map((item) => item.name).sort());
      assert.equal(good.scoring?.percentage, 100);
      assert.ok(Object.keys(good.results?.custom.baseline_tests ?? {}).includes("web.caa"), "Baseline-only tests are under custom");
      const failing = body.domains["hsts-fails.example"]?.results;
      assert.ok(failing);
      assert.deepEqual(failing.tests.web_https_http_hsts, { status: "failed", verdict: "bad" });
      assert.equal(failing.categories.web_https?.status, "failed");
      assert.equal(failing.tests.web_https_http_available?.status, "passed");

      // report.url: Baseline's own report, without credentials.
      const url = new URL(good.report?.url ?? "");
      assert.equal(url.pathname, `/api/batch/report/${id}/good.example`);
      const page = await app.request(url.pathname);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /good\.example[\s\S]*web\.hsts/);
      assert.equal((await app.request(`/api/batch/report/${id}/unknown.example`)).status, 404);

      const technical = await api("GET", "/requests/{request_id}/results_technical", { id });
      assert.equal(technical.status, 200);
      assert.deepEqual(validator.schemaErrors("DomainWebTechnicalReply", technical.body), [], "the web branch of the technical results");
      const domains = (technical.body as { domains: Record<string, { status: string; nameservers?: Record<string, unknown> }> }).domains;
      assert.deepEqual(domains["broken.example"], { status: "error" });
      assert.ok(domains["good.example"]?.nameservers?.["ns.good.example"], "name servers from the evidence");

      const list = await api("GET", "/requests");
      assert.ok((list.body as { requests: { request_id: string }[] }).requests.some((request) => request.request_id === id));
    });

    it("runs a mail request, with the mail categories and a technical answer of the mail branch", async () => {
      const id = await register(["good.example", "no-dmarc.example"], "mail");
      await waitFor(id, "done");
      const results = await api("GET", "/requests/{request_id}/results", { id });
      const domains = (results.body as { domains: Record<string, { results: { categories: Record<string, unknown>; tests: Record<string, { status: string }> } }> }).domains;
      assert.deepEqual(Object.keys(domains["good.example"]?.results.categories ?? {}), ["mail_ipv6", "mail_dnssec", "mail_auth", "mail_starttls", "mail_rpki"]);
      assert.deepEqual(Object.keys(domains["good.example"]?.results.tests ?? {}).sort(), apiTests("mail").map((item) => item.name).sort());
      assert.equal(domains["no-dmarc.example"]?.results.tests.mail_auth_dmarc_exist?.status, "failed");
      assert.equal(domains["no-dmarc.example"].results.tests.mail_auth_dmarc_policy?.status, "not_tested");
      const technical = await api("GET", "/requests/{request_id}/results_technical", { id });
      assert.deepEqual(validator.schemaErrors("DomainMailTechnicalReply", technical.body), []);
    });

    it("answers bad requests with the document's error shapes, each naming the problem", async () => {
      const cases: [options: Parameters<typeof api>[2], pattern: RegExp][] = [
        [{ raw: "{not json" }, /the body is not JSON/],
        [{ raw: '{"type":"web","domains":["a.example"]}', type: "text/plain" }, /Content-Type: expected application\/json/],
        [{ body: ["a.example"] }, /JSON object/],
        [{ body: { domains: ["a.example"] } }, /type: expected "web" or "mail"/],
        [{ body: { type: "dns", domains: ["a.example"] } }, /type: expected "web" or "mail", got "dns"/],
        [{ body: { type: "web", domains: "a.example" } }, /domains: expected a list/],
        [{ body: { type: "web", domains: [] } }, /domains: the list is empty/],
        [{ body: { type: "web", name: "x".repeat(256), domains: ["a.example"] } }, /name: at most 255 characters/],
        [{ body: { type: "web", domains: ["a.example", "https://b.example/", 42, "192.0.2.1"] } }, /domains\[1\]: "https:\/\/b\.example\/" is not a domain name.*domains\[2\]: expected a string.*domains\[3\]: "192\.0\.2\.1" is an IP address/],
        [{ body: { type: "web", domains: ["a.example", "b.example", "c.example", "d.example", "e.example", "f.example"] } }, /6 domains is over this server's limit of 5 domains per request/],
      ];
      for (const [options, pattern] of cases) {
        const reply = await api("POST", "/requests", options);
        assert.equal(reply.status, 400, JSON.stringify(options));
        assert.equal(errorOf(reply).label, "bad-request");
        assert.match(errorOf(reply).msg, pattern);
      }
      const huge = await api("POST", "/requests", { raw: JSON.stringify({ type: "web", domains: Array.from({ length: 10_000 }, (_, index) => `d${index}.example`) }) });
      assert.equal(huge.status, 400);
      assert.match(errorOf(huge).msg, /the body is over \d+ bytes \(this server takes at most 5 domains per request\)/);
      const badId = await api("GET", "/requests/{request_id}", { id: "NOT-AN-ID" });
      assert.equal(badId.status, 400);
      assert.match(errorOf(badId).msg, /request_id: expected 32 lower-case hexadecimal digits/);
      const unknown = await api("GET", "/requests/{request_id}", { id: "0".repeat(32) });
      assert.equal(unknown.status, 404);
      assert.equal(errorOf(unknown).label, "unknown-request");
      const limit = await api("GET", "/requests", { query: "?limit=ten" });
      assert.equal(limit.status, 400);
      assert.match(errorOf(limit).msg, /limit: expected a whole number/);
      const path = await app.request("/api/batch/v1/requests", { headers: { authorization: ci } });
      assert.equal(path.status, 400);
      const pathBody = (await path.json()) as { error: { label: string; msg: string } };
      assert.equal(pathBody.error.label, "invalid-url");
      assert.match(pathBody.error.msg, /version 2 of the batch API/);
      assert.deepEqual(validator.schemaErrors("BadRequestResponse", pathBody), []);
      const nul = await app.request("/api/batch/v2/requests?limit=%00", { headers: { authorization: ci } });
      assert.equal(nul.status, 400, "the app's NUL refusal comes as JSON here too");
      assert.deepEqual(validator.schemaErrors("BadRequestResponse", await nul.json()), []);
    });

    it("lists newest first within the limit, and keeps each account's requests invisible to the others", async () => {
      const mine = await register(["a.example"]);
      const theirs = await register(["b.example"], "web", "theirs", other);
      const one = await api("GET", "/requests", { query: "?limit=1" });
      assert.deepEqual((one.body as { requests: { request_id: string }[] }).requests.map((request) => request.request_id), [mine]);
      const all = await api("GET", "/requests", { query: "?limit=0" });
      const ids = (all.body as { requests: { request_id: string }[] }).requests.map((request) => request.request_id);
      assert.ok(ids.length >= 3 && ids.includes(mine) && !ids.includes(theirs));
      for (const [method, template] of [["GET", "/requests/{request_id}"], ["GET", "/requests/{request_id}/results"], ["GET", "/requests/{request_id}/results_technical"]] as const) {
        const reply = await api(method, template, { id: theirs });
        assert.equal(reply.status, 404, `${method} ${template} of another account's request`);
        assert.equal(errorOf(reply).label, "unknown-request");
      }
      const cancel = await api("PATCH", "/requests/{request_id}", { id: theirs, body: { status: "cancelled" } });
      assert.equal(cancel.status, 404);
      assert.equal(requestOf(await api("GET", "/requests/{request_id}", { id: theirs, auth: other })).request_id, theirs);
      await waitFor(theirs, "done", other);
    });

    it("cancels a running request (PATCH), which then stays cancelled and has no results", async () => {
      const id = await register(["slow.example", "slow2.example"]);
      const running = requestOf(await api("GET", "/requests/{request_id}", { id }));
      assert.equal(running.status, "running");
      assert.equal(running.finished_date, null);
      const huge = await api("PATCH", "/requests/{request_id}", { id, raw: `{"status": "cancelled", "pad": "${"x".repeat(10_000)}"}` });
      assert.equal(huge.status, 400, "a PATCH body is read within a small limit");
      assert.match(errorOf(huge).msg, /the body is over 4096 bytes/);
      assert.equal(requestOf(await api("GET", "/requests/{request_id}", { id })).status, "running", "a refused PATCH changes nothing");
      const wrong = await api("PATCH", "/requests/{request_id}", { id, body: { status: "done" } });
      assert.equal(wrong.status, 400);
      assert.match(errorOf(wrong).msg, /the only change a request takes is \{"status": "cancelled"\}/);
      const cancelled = await api("PATCH", "/requests/{request_id}", { id, body: { status: "cancelled" } });
      assert.equal(cancelled.status, 200);
      assert.equal(requestOf(cancelled).status, "cancelled");
      for (const release of held.values()) release();
      held.clear();
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(requestOf(await api("GET", "/requests/{request_id}", { id })).status, "cancelled");
      const again = await api("PATCH", "/requests/{request_id}", { id, body: { status: "cancelled" } });
      assert.equal(requestOf(again).status, "cancelled", "cancelling twice is harmless");
      const results = await api("GET", "/requests/{request_id}/results", { id });
      assert.equal(results.status, 400);
      assert.match(errorOf(results).msg, /the request is cancelled: results are available once it is done/);
      const done = await register(["a.example"]);
      await waitFor(done, "done");
      const late = await api("PATCH", "/requests/{request_id}", { id: done, body: { status: "cancelled" } });
      assert.equal(late.status, 400);
      assert.match(errorOf(late).msg, /the request is done: only a registering or running request can be cancelled/);
    });

    it("gives an API account's credentials no page of the app", async () => {
      for (const path of ["/admin/users", "/account/password", "/institutions/new", "/"]) {
        const response = await app.request(path, { headers: { authorization: ci } });
        const text = await response.text();
        assert.doesNotMatch(text, /ci@example\.org|Log out|action="\/logout"/i, `${path} shows nothing of the API account`);
        if (path !== "/") assert.notEqual(response.status, 200, `${path} is not served to Basic credentials`);
      }
      const posted = await app.request("/institutions/new", { method: "POST", headers: { authorization: ci, "content-type": "application/x-www-form-urlencoded" }, body: "name=x" });
      assert.equal(posted.status, 403, "a POST outside /api/batch/ still needs a session and its CSRF token");
    });

    it("remembers a right password for a while: polls cost no password hash, and a wrong one is still refused", async () => {
      await createApiAccount(store.db, { email: "poller@example.org", name: "Poller", passwordHash: await hashPassword(PASSWORD) }, null);
      const poller = basic("poller@example.org", PASSWORD);
      const first = performance.now();
      assert.equal((await api("GET", "/metadata/report", { auth: poller })).status, 200);
      const fresh = performance.now() - first;
      const start = performance.now();
      for (let index = 0; index < 10; index++) assert.equal((await api("GET", "/metadata/report", { auth: poller })).status, 200);
      const cached = performance.now() - start;
      // An scrypt check takes tens of milliseconds; ten remembered requests together take less than three of them.
      assert.ok(cached < fresh * 3, `10 remembered requests took ${cached.toFixed(0)} ms, the first one ${fresh.toFixed(0)} ms`);
      assert.equal((await api("GET", "/requests", { auth: basic("poller@example.org", `${PASSWORD}x`) })).status, 401);
    });

    it("throttles wrong passwords per account with 429 and Retry-After, in the corrected document's shape", async () => {
      await createApiAccount(store.db, { email: "guessed@example.org", name: "Guessed", passwordHash: await hashPassword(PASSWORD) }, null);
      const statuses: number[] = [];
      let last: Reply | undefined;
      for (let attempt = 0; attempt < 6; attempt++) {
        last = await api("GET", "/requests", { auth: basic("guessed@example.org", `wrong ${attempt} password`) });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
      assert.ok(statuses.slice(3).every((status) => status === 429), statuses.join(","));
      assert.ok(Number(last?.headers.get("retry-after")) > 0);
      assert.equal(errorOf(last as Reply).label, "too-many-requests");
      const right = await api("GET", "/requests", { auth: basic("guessed@example.org", PASSWORD) });
      assert.equal(right.status, 429, "while the account backs off, even the right password waits");
    });

    it("holds out against a flood of wrong passwords: refused at once past the address's free guesses, while a known client goes on", async () => {
      const started = performance.now();
      const flood = Array.from({ length: 60 }, (_, index) => api("GET", "/requests", { auth: basic(`guess${index}@example.org`, `guess ${index} password`) }));
      const during = performance.now();
      const known = await api("GET", "/requests");
      const knownMs = performance.now() - during;
      const statuses = (await Promise.all(flood)).map((reply) => reply.status);
      const floodMs = performance.now() - started;
      assert.equal(known.status, 200);
      assert.ok(statuses.every((status) => status === 401 || status === 429 || status === 503), statuses.join(","));
      const hashed = statuses.filter((status) => status === 401).length;
      assert.ok(hashed <= 10, `at most the address's 10 free guesses reach a password hash (${hashed} did)`);
      assert.ok(statuses.filter((status) => status === 429).length >= 50);
      console.log(`batch API flood: 60 wrong passwords answered in ${floodMs.toFixed(0)} ms (${hashed} hashed); a remembered client's request meanwhile took ${knownMs.toFixed(0)} ms`);
    });

    after(() => {
      assert.ok(replies > 60, `every one of the ${replies} replies was validated`);
    });
  });
}
