// The batch API's full cycle on the labs (slow; needs root): the mail lab
// (which starts the web lab and the DNS lab under it), the app served over
// real HTTP on 127.0.0.1 with a CampaignEngine that runs the REAL checks
// with the lab options `baseline serve` takes (--root-hints,
// --trust-anchor, --allow-private, --ca-file, --rpki-vrps, --bgp-origins),
// and a client that speaks only HTTP, as a script written for internet.nl
// does: it registers a web and a mail request, polls until done, reads the
// results, the technical results and the metadata, and follows report.url.
// Every reply is validated against the served OpenAPI document (Ajv); the
// verdicts must be those the labs' cases say (lab/net/cases.json,
// lab/mail/cases.json), in internet.nl's test names. Takes its turn
// through lab-lock.ts and stops the labs it started.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import { CampaignEngine } from "../../src/campaigns/engine.ts";
import { loadCatalog } from "../../src/catalog/load.ts";
import { defaultSettings, type CheckSettings } from "../../src/checks/context.ts";
import { loadBgpOrigins, loadVrps } from "../../src/checks/routing-data.ts";
import { parseRecords } from "../../src/dns/presentation.ts";
import { createResolver } from "../../src/dns/resolver.ts";
import { createApp } from "../../src/server/app.ts";
import { hashPassword, LoginLimiter } from "../../src/server/auth.ts";
import { BatchApiValidator } from "../../src/server/routes/batch-api-validator.ts";
import { createApiAccount } from "../../src/store/api-accounts.ts";
import { openTestStore, type TestStore } from "../../src/store/test-databases.ts";
import { acquireLab, releaseLab } from "./lab-lock.ts";

const netDir = fileURLToPath(new URL("../../lab/net/", import.meta.url));
const mailDir = fileURLToPath(new URL("../../lab/mail/", import.meta.url));
const dnsRun = fileURLToPath(new URL("../../lab/dns/run/", import.meta.url));
const PASSWORD = "lab batch password";

function missingTool(): string | null {
  if (process.getuid?.() !== 0) return "needs root (ports 25, 53, 80, 443 on loopback, addresses on lo)";
  for (const tool of ["nginx", "openssl", "ip", "postfix", "dig"]) {
    const found = spawnSync("bash", ["-c", `PATH=$PATH:/usr/sbin:/sbin command -v ${tool}`], { encoding: "utf8" });
    if (found.status !== 0) return `${tool} is missing (scripts/system-deps.sh installs it)`;
  }
  return null;
}

/** What `baseline serve --root-hints ... --trust-anchor ... --allow-private --ca-file ... --rpki-vrps ... --bgp-origins ...` gives its checks (plus the lab's DKIM selector). */
function labSettings(): CheckSettings {
  const resolver = createResolver({
    rootHints: parseRecords(readFileSync(join(dnsRun, "root.hints"), "utf8"), "root.hints"),
    trustAnchors: parseRecords(readFileSync(join(dnsRun, "root-anchor.ds"), "utf8"), "root-anchor.ds"),
    allowPrivate: true,
    timeoutMs: 1500,
    retries: 1,
  });
  const vrpsFile = join(netDir, "rpki", "vrps.json");
  const originsFile = join(netDir, "rpki", "bgp-origins.txt");
  return defaultSettings(resolver, {
    allowPrivate: true,
    extraCa: [readFileSync(join(netDir, "run", "ca.pem"), "utf8")],
    routing: { vrps: loadVrps(vrpsFile), origins: loadBgpOrigins(originsFile), sources: { vrps: vrpsFile, origins: originsFile } },
    timeoutMs: 3000,
    domainDeadlineMs: 25_000,
    dkimSelectors: ["lab"],
  });
}

type Json = Record<string, unknown>;
interface Tests {
  [name: string]: { status: string; verdict: string } | undefined;
}
interface DomainResults {
  status: string;
  scoring?: { percentage: number };
  report?: { url: string };
  results?: { categories: Record<string, { status: string } | undefined>; tests: Tests; custom: { baseline_tests: Record<string, { status: string } | undefined> } };
}

describe("batch API on the labs", { skip: missingTool() ?? false, timeout: 900_000 }, () => {
  let store: TestStore;
  let campaigns: CampaignEngine;
  let server: ServerType;
  let base: string;
  let validator: BatchApiValidator;
  const auth = `Basic ${Buffer.from(`lab@example.org:${PASSWORD}`).toString("base64")}`;
  let validated = 0;

  /** One call over HTTP; the reply is validated against the document before anything else looks at it. */
  async function api(method: string, template: string, id = "", body?: unknown): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${base}/api/batch/v2${template.replace("{request_id}", id)}`, {
      method,
      headers: { authorization: auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed = (await response.json()) as Json;
    assert.deepEqual(validator.errors(method, template, response.status, parsed), [], `${method} ${template} → ${response.status}: ${JSON.stringify(parsed).slice(0, 300)}`);
    validated++;
    return { status: response.status, body: parsed };
  }

  async function cycle(type: "web" | "mail", domains: string[]): Promise<{ id: string; results: Record<string, DomainResults>; technical: Json; seconds: number }> {
    const started = performance.now();
    const registered = await api("POST", "/requests", "", { type, name: `lab ${type}`, domains });
    assert.equal(registered.status, 200);
    const id = (registered.body.request as { request_id: string }).request_id;
    const seen: string[] = [];
    for (;;) {
      const status = ((await api("GET", "/requests/{request_id}", id)).body.request as { status: string }).status;
      if (seen.at(-1) !== status) seen.push(status);
      if (status === "done") break;
      assert.ok(["running", "generating"].includes(status), `status ${status} (seen ${seen.join(" → ")})`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.deepEqual(seen.filter((status) => status !== "generating"), ["running", "done"], seen.join(" → "));
    const seconds = (performance.now() - started) / 1000;
    const results = (await api("GET", "/requests/{request_id}/results", id)).body.domains as Record<string, DomainResults>;
    const technical = (await api("GET", "/requests/{request_id}/results_technical", id)).body;
    console.log(`batch-api-lab: ${type} request of ${domains.length} domains done in ${seconds.toFixed(1)} s (${seen.join(" → ")})`);
    return { id, results, technical, seconds };
  }

  /** A domain's `results` object, which a checked domain must have. */
  function resultsOf(all: Record<string, DomainResults>, domain: string): NonNullable<DomainResults["results"]> {
    const found = all[domain]?.results;
    assert.ok(found, `${domain} has results`);
    return found;
  }

  before(() => acquireLab());
  before(async () => {
    const started = spawnSync("bash", [join(mailDir, "start.sh")], { encoding: "utf8", timeout: 300_000 });
    assert.equal(started.status, 0, `lab/mail/start.sh failed: ${started.stdout}${started.stderr}`);
    store = await openTestStore("sqlite", { name: "batch_api_lab", file: true });
    await createApiAccount(store.db, { email: "lab@example.org", name: "Lab", passwordHash: await hashPassword(PASSWORD) }, null);
    campaigns = new CampaignEngine({ store, settings: labSettings(), concurrency: 8 });
    await campaigns.start();
    const app = createApp({ store, catalog: loadCatalog(), limiter: new LoginLimiter(), secureCookies: false, campaigns });
    base = await new Promise<string>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
    });
    validator = await BatchApiValidator.fromServer({ request: (path: string) => fetch(`${base}${path}`) });
  });

  after(async () => {
    if (typeof server !== "undefined") await new Promise<void>((resolve) => server.close(() => resolve()));
    if (typeof campaigns !== "undefined") await campaigns.stop(5000);
    if (typeof store !== "undefined") await store.close();
    // The lock stops the labs this process started (the mail lab first).
    releaseLab();
  });

  it("checks web domains of the web lab, in internet.nl's names, as the lab's cases say", async () => {
    const domains = ["good.web.secure", "no-hsts.web.secure", "tls10.web.secure", "v4only.web.secure", "good.web.bogus"];
    const { id, results, technical } = await cycle("web", domains);
    assert.deepEqual(Object.keys(results).sort(), [...domains].sort());
    const tests = (domain: string): Tests => results[domain]?.results?.tests ?? {};
    const good = tests("good.web.secure");
    for (const name of ["web_https_http_hsts", "web_https_tls_version", "web_dnssec_valid", "web_ipv6_ws_address", "web_https_cert_chain", "web_https_dane_valid", "web_rpki_valid", "web_appsecpriv_securitytxt"]) {
      assert.equal(good[name]?.status, "passed", `good.web.secure ${name}`);
    }
    assert.equal(resultsOf(results, "good.web.secure").custom.baseline_tests["web.caa"]?.status, "passed");
    assert.equal(resultsOf(results, "good.web.secure").categories.web_https?.status, "warning", "the post-quantum warning of Baseline's own test counts in the category");
    assert.equal(tests("no-hsts.web.secure").web_https_http_hsts?.status, "failed");
    assert.equal(tests("tls10.web.secure").web_https_tls_version?.status, "failed");
    assert.equal(tests("v4only.web.secure").web_ipv6_ws_address?.status, "failed");
    assert.equal(tests("good.web.bogus").web_dnssec_valid?.status, "failed");
    assert.ok((results["good.web.secure"]?.scoring?.percentage ?? 0) > (results["good.web.bogus"]?.scoring?.percentage ?? 100));

    assert.deepEqual(validator.schemaErrors("DomainWebTechnicalReply", technical), []);
    const technicalOf = (domain: string): Json => (technical.domains as Record<string, Json>)[domain] ?? {};
    const goodServers = technicalOf("good.web.secure").webservers as { ipv4: { tested_address: string; addresses: { routing: { origin: string; rov_state: string } }[]; details: Json }; ipv6: { server_reachable: boolean } };
    assert.match(goodServers.ipv4.tested_address, /^127\.54\.0\.\d+$/);
    assert.deepEqual([goodServers.ipv4.addresses[0]?.routing.origin, goodServers.ipv4.addresses[0]?.routing.rov_state], ["AS64500", "valid"]);
    assert.equal(goodServers.ipv4.details.hsts, "yes");
    assert.equal(goodServers.ipv4.details.dane_status, "validated");
    assert.equal(goodServers.ipv6.server_reachable, true);
    const tls10 = (technicalOf("tls10.web.secure").webservers as { ipv4: { details: Json } }).ipv4.details;
    assert.deepEqual(tls10.protocols_bad, ["TLS 1.0"]);
    assert.equal((technicalOf("good.web.bogus").domain as { dnssec: { status: string } }).dnssec.status, "bogus");

    // report.url: Baseline's report of the domain, over HTTP, without credentials.
    const url = results["no-hsts.web.secure"]?.report?.url ?? "";
    assert.ok(url.startsWith(`${base}/api/batch/report/${id}/`), url);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /no-hsts\.web\.secure/);
    assert.match(html, /data-test="web\.hsts"/);
  });

  it("checks mail domains of the mail lab, in internet.nl's names, as the lab's cases say", async () => {
    const domains = ["good.mail.secure", "no-auth.mail.secure", "no-starttls.mail.secure"];
    const { results, technical } = await cycle("mail", domains);
    const tests = (domain: string): Tests => results[domain]?.results?.tests ?? {};
    for (const name of ["mail_auth_dmarc_exist", "mail_auth_dmarc_policy", "mail_auth_dkim_exist", "mail_auth_spf_exist", "mail_auth_spf_policy", "mail_starttls_tls_available", "mail_starttls_dane_valid", "mail_dnssec_mx_valid", "mail_rpki_valid"]) {
      assert.equal(tests("good.mail.secure")[name]?.status, "passed", `good.mail.secure ${name}`);
    }
    for (const name of ["mail_auth_dmarc_exist", "mail_auth_dkim_exist", "mail_auth_spf_exist"]) assert.equal(tests("no-auth.mail.secure")[name]?.status, "failed", `no-auth.mail.secure ${name}`);
    assert.equal(resultsOf(results, "no-auth.mail.secure").custom.baseline_tests["mail.mta-sts"]?.status, "failed");
    assert.equal(tests("no-starttls.mail.secure").mail_starttls_tls_available?.status, "failed");
    assert.equal(resultsOf(results, "no-auth.mail.secure").categories.mail_auth?.status, "failed");

    assert.deepEqual(validator.schemaErrors("DomainMailTechnicalReply", technical), []);
    const good = (technical.domains as Record<string, Json>)["good.mail.secure"] as { domain: { dkim: { discovered: boolean }; spf: { records: string[]; policy_status: string }; dmarc: { records: string[] } }; receiving_mailservers: Record<string, { starttls_enabled: boolean; dnssec: { status: string }; details: Json }> };
    assert.equal(good.domain.dkim.discovered, true);
    assert.deepEqual(good.domain.spf.records, ["v=spf1 mx -all"]);
    assert.equal(good.domain.spf.policy_status, "valid");
    const mx = good.receiving_mailservers["mx.good.mail.secure"];
    assert.equal(mx?.starttls_enabled, true);
    assert.equal(mx.dnssec.status, "secure");
    assert.equal(mx.details.dane_rollover, true);
    const noAuth = (technical.domains as Record<string, Json>)["no-auth.mail.secure"] as { domain: { spf: { records: string[] }; dmarc: { records: string[] } } };
    assert.deepEqual([noAuth.domain.spf.records, noAuth.domain.dmarc.records], [[], []]);
  });

  it("lists both requests and answers the metadata, every reply valid", async () => {
    const list = await api("GET", "/requests");
    assert.deepEqual((list.body.requests as { request_type: string; status: string }[]).map((request) => [request.request_type, request.status]), [["mail", "done"], ["web", "done"]]);
    const metadata = await api("GET", "/metadata/report");
    assert.equal(metadata.status, 200);
    assert.ok(validated >= 10, `${validated} replies validated`);
  });
});
