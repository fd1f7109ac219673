// /check through Hono's fetch handler: the form, a report, bad input, the
// per-client rate limit (429), the global bound (503), private targets,
// links from other sites, escaping of hostile evidence, and the page in
// French. The checks are stand-ins, except where private addresses are
// refused: there the real DomainContext reads a resolver with fixed answers.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { defaultSettings } from "../../checks/context.ts";
import { sampleReport } from "../../checks/report/test-reports.ts";
import type { DomainReport } from "../../checks/types.ts";
import type { Resolution, Resolver } from "../../dns/resolver.ts";
import { openTestStore, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import type { CheckRouteOptions } from "./check.ts";

const catalog = loadCatalog();

/** Fixed A/AAAA answers (a Resolver as far as DomainContext uses one). */
function fixedResolver(records: Record<string, string[]>): Resolver {
  const resolver = {
    resolve(name: string, type = "A"): Promise<Resolution> {
      const data = records[`${name} ${type}`] ?? [];
      return Promise.resolve({ name, type, rcode: "NOERROR", security: "insecure", reason: null, chain: [], referrals: [], answer: data.map((value) => ({ name, type, ttl: 60, data: value })) });
    },
  };
  // Only resolve() is used by the context; the rest of the class is not needed here.
  return resolver as unknown as Resolver;
}

const RECORDS = { "private.example. A": ["10.0.0.7"], "mixed.example. A": ["192.168.1.1", "8.8.8.8"], "public.example. A": ["8.8.8.8"] };

describe("/check", () => {
  let store: TestStore;
  const checked: string[] = [];
  const check = (domain: string): Promise<DomainReport> => {
    checked.push(domain);
    return Promise.resolve(sampleReport(domain));
  };
  const appWith = (options: CheckRouteOptions): ReturnType<typeof createApp> =>
    createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false, checks: { settings: defaultSettings(fixedResolver(RECORDS)), check, ...options } });

  before(async () => {
    store = await openTestStore("sqlite", { name: "check_route_test" });
  });
  after(() => store.close());

  it("shows the form, and the navigation links to it", async () => {
    const response = await appWith({}).request("/check");
    assert.equal(response.status, 200);
    const body = await response.text();
    assert.match(body, /<form method="get" action="\/check"/);
    assert.match(body, /<input id="check-domain" name="domain"/);
    assert.match(body, /<option value="web" selected>Website<\/option>/);
    assert.match(body, /<option value="mail">E-mail<\/option>/);
    assert.match(body, /<a href="\/check" aria-current="page">Check a domain<\/a>/);
  });

  it("runs the suite and shows the report with every piece escaped", async () => {
    checked.length = 0;
    const response = await appWith({}).request("/check?domain=Public.Example.&suite=web");
    assert.equal(response.status, 200);
    assert.deepEqual(checked, ["public.example"]);
    const body = await response.text();
    assert.match(body, /<h1>Check of public\.example/);
    assert.match(body, /<section class="bl-domain" data-domain="public\.example">/);
    assert.match(body, /<a href="\/standards\/hsts">About the standard: hsts<\/a>/);
    assert.match(body, /<details><summary>Evidence<\/summary>/);
    assert.doesNotMatch(body, /<script|<img/i);
    assert.match(body, /&#60;script&#62;/);
    assert.match(body, /<input id="check-domain" name="domain" type="text" value="public\.example"/);
    assert.equal(response.headers.get("cache-control"), "no-store");
  });

  it("refuses a malformed domain with 400 and one line naming it, before any check", async () => {
    checked.length = 0;
    const response = await appWith({}).request("/check?domain=%3Cb%3Ex%3C%2Fb%3E%20y.example");
    assert.equal(response.status, 400);
    const body = await response.text();
    assert.match(body, /<p class="error" role="alert">This cannot be checked: &#34;&#60;b&#62;x&#60;\/b&#62; y\.example&#34; is not a domain name/);
    assert.deepEqual(checked, []);
    assert.equal((await appWith({}).request("/check?domain=example.org&suite=ftp")).status, 400);
  });

  it("refuses a domain that points only at private addresses, and tells which", async () => {
    checked.length = 0;
    const response = await appWith({}).request("/check?domain=private.example");
    assert.equal(response.status, 400);
    assert.match(await response.text(), /private\.example points only to private, loopback or other special-purpose addresses \(10\.0\.0\.7\)\. This server checks public addresses only\./);
    assert.deepEqual(checked, []);
    const mixed = await appWith({}).request("/check?domain=mixed.example");
    assert.equal(mixed.status, 200);
    assert.match(await mixed.text(), /Some addresses of mixed\.example are private, loopback or special-purpose and were not tested: 192\.168\.1\.1\./);
    // The operator allowed private targets (a lab): the check runs.
    const lab = appWith({ settings: defaultSettings(fixedResolver(RECORDS), { allowPrivate: true }) });
    assert.equal((await lab.request("/check?domain=private.example")).status, 200);
    assert.deepEqual(checked, ["mixed.example", "private.example"]);
  });

  it("limits each client address to its checks per window, with 429 and Retry-After", async () => {
    let now = 1_000_000;
    const app = appWith({ perAddress: { max: 3, windowMs: 600_000 }, now: () => now });
    for (let index = 0; index < 3; index++) assert.equal((await app.request(`/check?domain=public.example`)).status, 200);
    const refused = await app.request("/check?domain=public.example");
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("retry-after"), "600");
    assert.match(await refused.text(), /Too many checks from your address: at most 3 every 10 minutes\. Try again in 10 minutes\./);
    // Bad input and the bare form do not count, and the window moves on.
    assert.equal((await app.request("/check")).status, 200);
    now += 600_001;
    assert.equal((await app.request("/check?domain=public.example")).status, 200);
  });

  it("bounds the checks running at once: beyond it 503 with Retry-After", async () => {
    let release: () => void = () => undefined;
    const slow = (domain: string): Promise<DomainReport> => new Promise((resolve) => (release = () => resolve(sampleReport(domain))));
    const app = appWith({ concurrency: 1, maxWaiting: 0, check: slow, perAddress: { max: 100, windowMs: 1000 } });
    const first = app.request("/check?domain=public.example");
    // Let the first request take the only running place.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await app.request("/check?domain=public.example", { headers: { "x-forwarded-for": "198.51.100.1" } });
    assert.equal(second.status, 503);
    assert.equal(second.headers.get("retry-after"), "60");
    assert.match(await second.text(), /The server is running as many checks as it can/);
    release();
    assert.equal((await first).status, 200);
  });

  it("only fills the form in when the link came from another site", async () => {
    checked.length = 0;
    const response = await appWith({}).request("/check?domain=public.example", { headers: { "sec-fetch-site": "cross-site" } });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /You followed a link from another site: press “Check” to run the check of public\.example\./);
    assert.deepEqual(checked, []);
  });

  it("speaks the visitor's language", async () => {
    const body = await (await appWith({}).request("/check?domain=public.example&lang=fr")).text();
    assert.match(body, /<h1>Test de public\.example/);
    assert.match(body, /<span class="bl-badge bl-failed">échoué<\/span>/);
    assert.match(body, /Comment corriger/);
    assert.match(body, /HTTPS et TLS/);
  });
});
