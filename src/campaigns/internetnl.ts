/**
 * Baseline's check results in internet.nl's words, for the batch API
 * (internet.nl batch API v2, data/internetnl-batch-api/openapi.yaml): its
 * categories (`web_https`, `mail_auth`, ...), its test names
 * (`web_https_http_hsts`, `mail_auth_spf_policy`, ...), the report
 * metadata that names and groups them, and the `results` and
 * `results_technical` objects of one domain built from Baseline's stored
 * report.
 *
 * Why a table and not a rule: the two projects name their tests
 * differently (`web.cert.trust` is internet.nl's `web_https_cert_chain`),
 * and a few tests exist on one side only. internet.nl tests that Baseline
 * has no counterpart for are answered `not_tested`, so that a client that
 * looks a test up by name always finds it; Baseline's own tests that
 * internet.nl lacks (CAA, extended master secret, post-quantum key exchange,
 * MTA-STS, TLS-RPT, mail OCSP stapling) go under `custom.baseline_tests`,
 * where the document puts results that are "not tied to any one of the
 * tests". Baseline judges the RPKI of a web server's and its name servers'
 * addresses together: internet.nl's server and name-server RPKI tests
 * both carry that one verdict.
 *
 * Verdicts are only keys for translation in internet.nl; here they are
 * `good` (passed), `bad` (failed, warning), `info` (info), and the two
 * keys that stand on their own, `detail verdict not-tested` and
 * `detail verdict could-not-test` (error); `/metadata/report` lists them
 * per test. Baseline's own verdict in words is in its report, linked from
 * each domain's `report.url`.
 *
 * The technical results are read from the evidence Baseline keeps (compacted
 * as runs.ts stores it); where Baseline does not measure something the
 * document requires, the choice is said where it is made.
 */
import type { CategoryResult, CheckResult, CheckStatus, DomainReport, Suite } from "../checks/types.ts";

/** The batch API version Baseline implements (the document's `api_version`). */
export const BATCH_API_VERSION = "2.1.0";

export type ApiTestStatus = "passed" | "failed" | "info" | "warning" | "not_tested" | "error";
export type ApiCategoryStatus = "passed" | "failed" | "info" | "warning" | "error";

interface TestItem {
  name: string;
  type: "test";
  key: string;
  /** The Baseline check whose status this test carries. */
  baseline: string;
}
interface GroupItem {
  name: string;
  type: "category" | "section";
  key: string;
  children: MetadataItem[];
}
type MetadataItem = TestItem | GroupItem;

const test = (name: string, key: string, baseline: string): TestItem => ({ name, type: "test", key, baseline });
const section = (name: string, key: string, children: MetadataItem[]): GroupItem => ({ name, type: "section", key, children });
const category = (name: string, key: string, children: MetadataItem[]): GroupItem => ({ name, type: "category", key, children });

/** internet.nl's web report: categories, sections and tests with their translation keys, and the Baseline check behind each test. */
const WEB_REPORT: readonly GroupItem[] = [
  category("web_ipv6", "siteipv6", [
    section("web_ipv6_nameservers", "domain-mail ipv6 name-servers", [
      test("web_ipv6_ns_address", "web-mail ipv6 ns-AAAA", "web.ipv6.ns-aaaa"),
      test("web_ipv6_ns_reach", "web-mail ipv6 ns-reach", "web.ipv6.ns-reachable"),
    ]),
    section("web_ipv6_webserver", "domain ipv6 web-server", [
      test("web_ipv6_ws_address", "web ipv6 web-AAAA", "web.ipv6.aaaa"),
      test("web_ipv6_ws_reach", "web ipv6 web-reach", "web.ipv6.reachable"),
      test("web_ipv6_ws_similar", "web ipv6 web-ipv46", "web.ipv6.same-content"),
    ]),
  ]),
  category("web_dnssec", "sitednssec", [
    test("web_dnssec_exist", "web dnnsec exists", "web.dnssec.exists"),
    test("web_dnssec_valid", "web dnnsec valid", "web.dnssec.valid"),
  ]),
  category("web_https", "sitetls", [
    section("web_https_http", "domain tls https", [
      test("web_https_http_available", "web tls https-exists", "web.https.available"),
      test("web_https_http_redirect", "web tls https-forced", "web.https.redirect"),
      test("web_https_http_compress", "web tls http-compression", "web.http-compression"),
      test("web_https_http_hsts", "web tls https-hsts", "web.hsts"),
    ]),
    section("web_https_tls", "domain tls tls", [
      test("web_https_tls_version", "web tls version", "web.tls.versions"),
      test("web_https_tls_ciphers", "web tls ciphers", "web.tls.ciphers"),
      test("web_https_tls_cipherorder", "web tls cipher-order", "web.tls.cipher-order"),
      test("web_https_tls_keyexchange", "web tls fs-params", "web.tls.key-exchange"),
      test("web_https_tls_keyexchangehash", "web tls kex-hash-func", "web.tls.kex-hash"),
      test("web_https_tls_compress", "web tls compression", "web.tls.compression"),
      test("web_https_tls_secreneg", "web tls renegotiation-secure", "web.tls.secure-renegotiation"),
      test("web_https_tls_clientreneg", "web tls renegotiation-client", "web.tls.client-renegotiation"),
      test("web_https_tls_0rtt", "web tls zero-rtt", "web.tls.zero-rtt"),
      test("web_https_tls_ocsp", "web tls ocsp-stapling", "web.tls.ocsp-stapling"),
    ]),
    section("web_https_certificate", "domain-mail tls certificate", [
      test("web_https_cert_chain", "web tls cert-trust", "web.cert.trust"),
      test("web_https_cert_pubkey", "web tls cert-pubkey", "web.cert.pubkey"),
      test("web_https_cert_sig", "web tls cert-signature", "web.cert.signature"),
      test("web_https_cert_domain", "web tls cert-hostmatch", "web.cert.hostname"),
    ]),
    section("web_https_dane", "domain-mail tls dane", [
      test("web_https_dane_exist", "web tls dane-exists", "web.dane.exists"),
      test("web_https_dane_valid", "web tls dane-valid", "web.dane.valid"),
    ]),
  ]),
  category("web_appsecpriv", "siteappsecpriv", [
    section("web_appsecpriv_http_headers", "domain appsecpriv http-headers", [
      test("web_appsecpriv_x_frame_options", "web appsecpriv http-x-frame", "web.headers.x-frame-options"),
      test("web_appsecpriv_x_content_type_options", "web appsecpriv http-x-content", "web.headers.x-content-type-options"),
      test("web_appsecpriv_csp", "web appsecpriv http-csp", "web.headers.csp"),
      test("web_appsecpriv_referrer_policy", "web appsecpriv http-referrer-policy", "web.headers.referrer-policy"),
      test("web_appsecpriv_securitytxt", "web appsecpriv http-securitytxt", "web.security-txt"),
    ]),
  ]),
  category("web_rpki", "siterpki", [
    section("web_rpki", "domain rpki web-server", [
      test("web_rpki_exists", "web rpki exists", "web.rpki.exists"),
      test("web_rpki_valid", "web rpki valid", "web.rpki.valid"),
    ]),
    section("web_ns_rpki", "domain-mail rpki name-servers", [
      test("web_ns_rpki_exists", "web-mail rpki ns-exists", "web.rpki.exists"),
      test("web_ns_rpki_valid", "web-mail rpki ns-valid", "web.rpki.valid"),
    ]),
  ]),
];

/** internet.nl's mail report, likewise. */
const MAIL_REPORT: readonly GroupItem[] = [
  category("mail_ipv6", "mailipv6", [
    section("mail_ipv6_nameservers", "domain-mail ipv6 name-servers", [
      test("mail_ipv6_ns_address", "web-mail ipv6 ns-AAAA", "mail.ipv6.ns-aaaa"),
      test("mail_ipv6_ns_reach", "web-mail ipv6 ns-reach", "mail.ipv6.ns-reachable"),
    ]),
    section("mail_ipv6_mailserver", "mail ipv6 mail-servers", [
      test("mail_ipv6_mx_address", "mail ipv6 mx-AAAA", "mail.ipv6.mx-aaaa"),
      test("mail_ipv6_mx_reach", "mail ipv6 mx-reach", "mail.ipv6.mx-reachable"),
    ]),
  ]),
  category("mail_dnssec", "maildnssec", [
    section("mail_dnssec_domain", "mail dnssec domain", [
      test("mail_dnssec_mailto_exist", "mail dnnsec exists", "mail.dnssec.exists"),
      test("mail_dnssec_mailto_valid", "mail dnnsec valid", "mail.dnssec.valid"),
    ]),
    section("mail_dnssec_mailservers", "mail dnssec mail-servers", [
      test("mail_dnssec_mx_exist", "mail dnnsec mx-exists", "mail.dnssec.mx-exists"),
      test("mail_dnssec_mx_valid", "mail dnnsec mx-valid", "mail.dnssec.mx-valid"),
    ]),
  ]),
  category("mail_auth", "mailauth", [
    section("mail_auth_dmarc", "mail auth dmarc", [
      test("mail_auth_dmarc_exist", "mail auth dmarc", "mail.dmarc.exists"),
      test("mail_auth_dmarc_policy", "mail auth dmarc-policy", "mail.dmarc.policy"),
    ]),
    section("mail_auth_dkim", "mail auth dkim", [test("mail_auth_dkim_exist", "mail auth dkim", "mail.dkim.exists")]),
    section("mail_auth_spf", "mail auth spf", [
      test("mail_auth_spf_exist", "mail auth spf", "mail.spf.exists"),
      test("mail_auth_spf_policy", "mail auth spf-policy", "mail.spf.policy"),
    ]),
  ]),
  category("mail_starttls", "mailtls", [
    section("mail_starttls_tls", "mail tls starttls", [
      test("mail_starttls_tls_available", "mail tls starttls-exists", "mail.starttls.available"),
      test("mail_starttls_tls_version", "mail tls version", "mail.tls.versions"),
      test("mail_starttls_tls_ciphers", "mail tls ciphers", "mail.tls.ciphers"),
      test("mail_starttls_tls_cipherorder", "mail tls cipher-order", "mail.tls.cipher-order"),
      test("mail_starttls_tls_keyexchange", "mail tls fs-params", "mail.tls.key-exchange"),
      test("mail_starttls_tls_keyexchangehash", "mail tls kex-hash-func", "mail.tls.kex-hash"),
      test("mail_starttls_tls_compress", "mail tls compression", "mail.tls.compression"),
      test("mail_starttls_tls_secreneg", "mail tls renegotiation-secure", "mail.tls.secure-renegotiation"),
      test("mail_starttls_tls_clientreneg", "mail tls renegotiation-client", "mail.tls.client-renegotiation"),
      test("mail_starttls_tls_0rtt", "mail tls zero-rtt", "mail.tls.zero-rtt"),
    ]),
    section("mail_starttls_certificate", "domain-mail tls certificate", [
      test("mail_starttls_cert_chain", "mail tls cert-trust", "mail.cert.trust"),
      test("mail_starttls_cert_pubkey", "mail tls cert-pubkey", "mail.cert.pubkey"),
      test("mail_starttls_cert_sig", "mail tls cert-signature", "mail.cert.signature"),
      test("mail_starttls_cert_domain", "mail tls cert-hostmatch", "mail.cert.hostname"),
    ]),
    section("mail_starttls_dane", "domain-mail tls dane", [
      test("mail_starttls_dane_exist", "mail tls dane-exists", "mail.dane.exists"),
      test("mail_starttls_dane_valid", "mail tls dane-valid", "mail.dane.valid"),
      test("mail_starttls_dane_rollover", "mail tls dane-rollover", "mail.dane.rollover"),
    ]),
  ]),
  category("mail_rpki", "mailrpki", [
    section("mail_rpki", "mail rpki mail-servers", [
      test("mail_rpki_exists", "mail rpki exists", "mail.rpki.exists"),
      test("mail_rpki_valid", "mail rpki valid", "mail.rpki.valid"),
    ]),
    section("mail_ns_rpki", "domain-mail rpki name-servers", [
      test("mail_ns_rpki_exists", "web-mail rpki ns-exists", "mail.rpki.exists"),
      test("mail_ns_rpki_valid", "web-mail rpki ns-valid", "mail.rpki.valid"),
    ]),
    section("mail_mx_ns_rpki", "domain-mail rpki mx-name-servers", [
      test("mail_mx_ns_rpki_exists", "mail rpki mx-ns-exists", "mail.rpki.exists"),
      test("mail_mx_ns_rpki_valid", "mail rpki mx-ns-valid", "mail.rpki.valid"),
    ]),
  ]),
];

export const REPORT_LAYOUT: Readonly<Record<Suite, readonly GroupItem[]>> = { web: WEB_REPORT, mail: MAIL_REPORT };

function testsOf(items: readonly MetadataItem[]): TestItem[] {
  return items.flatMap((item) => (item.type === "test" ? [item] : testsOf(item.children)));
}

/** internet.nl's test names of a suite, each with the Baseline check it carries. */
export function apiTests(suite: Suite): readonly { name: string; category: string; baseline: string }[] {
  return REPORT_LAYOUT[suite].flatMap((group) => testsOf(group.children).map((item) => ({ name: item.name, category: group.name, baseline: item.baseline })));
}

/** internet.nl's category name of a Baseline category id: `web.https` → `web_https`. */
export function apiCategory(baselineCategory: string): string {
  return baselineCategory.replaceAll(".", "_").replaceAll("-", "_");
}

/** Baseline checks with an internet.nl counterpart. */
const MAPPED = new Set([...apiTests("web"), ...apiTests("mail")].map((item) => item.baseline));

/** Whether internet.nl has a test for this Baseline check (otherwise it goes under custom.baseline_tests). */
export function hasApiTest(baselineId: string): boolean {
  return MAPPED.has(baselineId);
}

export const NOT_TESTED_VERDICT = "detail verdict not-tested";
export const ERROR_VERDICT = "detail verdict could-not-test";

const VERDICTS: Record<CheckStatus, string> = {
  passed: "good",
  failed: "bad",
  warning: "bad",
  info: "info",
  not_tested: NOT_TESTED_VERDICT,
  error: ERROR_VERDICT,
};

export function apiTestResult(status: CheckStatus): { status: ApiTestStatus; verdict: string } {
  return { status, verdict: VERDICTS[status] };
}

/**
 * A category's status: internet.nl has no `not_tested` for a category;
 * Baseline's (nothing could be scored) is `error` when a test of it could
 * not be completed, else `info` (nothing required failed, nothing scored).
 */
export function apiCategoryStatus(result: CategoryResult, tests: readonly CheckResult[]): ApiCategoryStatus {
  if (result.status !== "not_tested") return result.status;
  return tests.some((item) => item.category === result.id && item.status === "error") ? "error" : "info";
}

// --- /metadata/report -----------------------------------------------------

export interface ReportMetadata {
  data: Record<string, { type: "category" | "section" | "test"; translation_key: string; status_verdict_map?: Record<string, string[]> }>;
  hierarchy: { web: HierarchyItem[]; mail: HierarchyItem[] };
}
interface HierarchyItem {
  name: string;
  children?: HierarchyItem[];
}

const STATUS_VERDICT_MAP: Record<string, string[]> = {
  passed: ["good"],
  failed: ["bad"],
  warning: ["bad"],
  info: ["info"],
  not_tested: [NOT_TESTED_VERDICT],
  error: [ERROR_VERDICT],
};

/** The document's MetadataReportResponse.report: every item once in `data`, and each suite's tree. */
export function reportMetadata(): ReportMetadata {
  const data: ReportMetadata["data"] = {};
  const walk = (item: MetadataItem): HierarchyItem => {
    if (item.type === "test") {
      data[item.name] = { type: "test", translation_key: item.key, status_verdict_map: STATUS_VERDICT_MAP };
      return { name: item.name };
    }
    data[item.name] = { type: item.type, translation_key: item.key };
    return { name: item.name, children: item.children.map(walk) };
  };
  return { data, hierarchy: { web: WEB_REPORT.map(walk), mail: MAIL_REPORT.map(walk) } };
}

// --- results ---------------------------------------------------------------

export interface ApiDomainResult {
  status: "ok" | "error";
  scoring?: { percentage: number };
  report?: { url: string };
  results?: {
    categories: Record<string, { status: ApiCategoryStatus; verdict: string }>;
    tests: Record<string, { status: ApiTestStatus; verdict: string }>;
    custom: { baseline_tests: Record<string, { status: CheckStatus; summary: string }> };
  };
}

/**
 * One domain of `GET requests/{id}/results`. `report` is absent for a
 * domain Baseline could not check at all (then only `status: error`, as the
 * document says).
 */
export function domainResult(report: DomainReport | null, reportUrl: string): ApiDomainResult {
  if (!report) return { status: "error" };
  const byId = new Map(report.tests.map((item) => [item.id, item]));
  const categories: Record<string, { status: ApiCategoryStatus; verdict: string }> = {};
  for (const group of REPORT_LAYOUT[report.suite]) {
    const baselineId = group.name.replace("_", ".");
    const found = report.categories.find((item) => item.id === baselineId);
    const status = found ? apiCategoryStatus(found, report.tests) : "info";
    categories[group.name] = { status, verdict: status };
  }
  const tests: Record<string, { status: ApiTestStatus; verdict: string }> = {};
  for (const item of apiTests(report.suite)) tests[item.name] = apiTestResult(byId.get(item.baseline)?.status ?? "not_tested");
  const extra = Object.fromEntries(report.tests.filter((item) => !MAPPED.has(item.id)).map((item) => [item.id, { status: item.status, summary: item.summary }]));
  return {
    status: "ok",
    ...(report.score === null ? {} : { scoring: { percentage: Math.round(report.score) } }),
    report: { url: reportUrl },
    results: { categories, tests, custom: { baseline_tests: extra } },
  };
}

// --- results_technical -----------------------------------------------------

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}
function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}
function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A report's tests by id, with what the technical results need to ask of them. */
class Evidence {
  readonly #tests: Map<string, CheckResult>;

  constructor(report: DomainReport) {
    this.#tests = new Map(report.tests.map((item) => [item.id, item]));
  }

  status(id: string): CheckStatus | undefined {
    return this.#tests.get(id)?.status;
  }

  of(id: string): Json {
    return this.#tests.get(id)?.evidence ?? {};
  }

  /** The per-address (web) or per-server (mail) entry of a test for `address`. */
  entry(id: string, address: string, host?: string): Json | undefined {
    const evidence = this.of(id);
    const entries = [...records(evidence.addresses), ...records(evidence.servers)];
    return entries.find((item) => item.address === address && (host === undefined || item.host === undefined || item.host === host));
  }

  /** The test's status for one address: its entry's, or the test's own when it has no entries. */
  statusAt(id: string, address: string, host?: string): CheckStatus | undefined {
    const found = this.entry(id, address, host);
    const status = text(found?.status) as CheckStatus | undefined;
    return status ?? this.status(id);
  }
}

interface Routing {
  origin: string;
  route: string;
  rov_state: "valid" | "invalid" | "not-found";
}

/**
 * Route origin validation per address, from the RPKI test's evidence. The
 * document requires `routing` for every address; an address Baseline has
 * no route for (no routing data given to the server, or none covering it)
 * is `not-found` with empty origin and route.
 */
function routingTable(evidence: Evidence, suite: Suite): Map<string, Routing> {
  const table = new Map<string, Routing>();
  for (const id of [`${suite}.rpki.valid`, `${suite}.rpki.exists`]) {
    for (const item of records(evidence.of(id).addresses)) {
      const address = text(item.address);
      if (!address || table.has(address)) continue;
      const route = records(item.routes)[0];
      const state = text(item.state);
      table.set(address, {
        origin: typeof route?.asn === "number" ? `AS${route.asn}` : "",
        route: text(route?.prefix) ?? "",
        rov_state: state === "valid" || state === "invalid" ? state : "not-found",
      });
    }
  }
  return table;
}

const NO_ROUTE: Routing = { origin: "", route: "", rov_state: "not-found" };

type DnssecStatus = "secure" | "insecure" | "bogus" | "error";

function dnssecStatus(exists: CheckStatus | undefined, valid: CheckStatus | undefined): DnssecStatus {
  if (valid === "passed") return "secure";
  if (valid === "failed") return "bogus";
  if (exists === "failed") return "insecure";
  return "error";
}

/**
 * Name servers with their addresses. IPv6 reachability is Baseline's probe
 * over UDP and TCP; IPv4 addresses are not probed one by one (the
 * resolution of the domain goes through them), so they are listed as
 * reachable unless the name-server lookup itself failed.
 */
function nameServers(evidence: Evidence, suite: Suite, routing: Map<string, Routing>): Record<string, Json> {
  const servers: Record<string, Json> = {};
  const reach = new Map<string, boolean>();
  for (const item of records(evidence.of(`${suite}.ipv6.ns-reachable`).results)) {
    const address = text(item.address);
    const udp = isRecord(item.udp) && item.udp.answered === true;
    const tcp = isRecord(item.tcp) && item.tcp.answered === true;
    if (address) reach.set(address, udp && tcp);
  }
  const lookupFailed = evidence.status(`${suite}.ipv6.ns-aaaa`) === "error";
  for (const server of records(evidence.of(`${suite}.ipv6.ns-aaaa`).nameServers)) {
    const name = text(server.name);
    if (!name) continue;
    const address = (value: string, reachable: boolean): Json => ({ address: value, reachable, routing: routing.get(value) ?? NO_ROUTE });
    servers[name] = {
      ipv4: { addresses: strings(server.ipv4).map((value) => address(value, !lookupFailed)) },
      ipv6: { addresses: strings(server.ipv6).map((value) => address(value, reach.get(value) ?? false)) },
    };
  }
  return servers;
}

function levelLists(evidence: Json, key: "versions" | "suites", name: "version" | "name"): { bad: string[]; phaseOut: string[] } {
  const bad: string[] = [];
  const phaseOut: string[] = [];
  const items = key === "versions" ? records(evidence.versions) : records(evidence.versions).flatMap((version) => records(version.suites));
  for (const item of items) {
    if (key === "versions" && item.accepted !== true) continue;
    const level = text(item.level) ?? "";
    const label = text(item[name]);
    if (!label) continue;
    if (level === "insufficient") bad.push(label);
    else if (level.includes("phase")) phaseOut.push(label);
  }
  return { bad: [...new Set(bad)], phaseOut: [...new Set(phaseOut)] };
}

/** TechnicalSharedDetails for one server address (web `addresses`, mail `servers`), from the TLS and certificate tests. */
function tlsDetails(evidence: Evidence, suite: Suite, address: string, host?: string): Json {
  const at = (id: string): CheckStatus | undefined => evidence.statusAt(`${suite}.${id}`, address, host);
  const entry = (id: string): Json => evidence.entry(`${suite}.${id}`, address, host) ?? {};
  const protocols = levelLists(entry("tls.versions"), "versions", "version");
  const ciphers = levelLists(entry("tls.ciphers"), "suites", "name");
  const details: Json = {
    protocols_bad: protocols.bad,
    protocols_phase_out: protocols.phaseOut,
    ciphers_bad: ciphers.bad,
    ciphers_phase_out: ciphers.phaseOut,
  };
  const order = at("tls.cipher-order");
  if (order) details.cipher_order = order === "passed" ? "good" : order === "failed" ? "bad" : "na";
  const compression = at("tls.compression");
  if (compression === "passed" || compression === "failed") details.compression = compression === "failed";
  const secure = at("tls.secure-renegotiation");
  if (secure === "passed" || secure === "failed") details.secure_reneg = secure === "passed";
  const client = at("tls.client-renegotiation");
  if (client === "passed" || client === "failed" || client === "warning") details.client_reneg = client === "passed" ? "not_allowed" : "allowed_with_too_high_limit";
  const kexHash = at("tls.kex-hash");
  details.kex_hash_func = kexHash === "passed" ? "good" : kexHash === "failed" ? "bad" : "unknown";
  const zeroRtt = at("tls.zero-rtt");
  details.zero_rtt = zeroRtt === "passed" ? "good" : zeroRtt === "failed" ? "bad" : "na";
  const ems = at("tls.ems");
  details.extended_master_secret_status = ems === "passed" ? "supported" : ems === "failed" ? "not_supported" : "unknown";
  const trust = at("cert.trust");
  if (trust === "passed" || trust === "failed") details.cert_trusted = trust === "passed";
  const hostname = entry("cert.hostname");
  if (at("cert.hostname") === "failed") details.cert_hostmatch_bad = strings(hostname.names);
  const ocsp = entry("tls.ocsp-stapling");
  if (typeof ocsp.stapled === "boolean") details.ocsp_stapling = ocsp.stapled ? "good" : "ok";
  const dane = at("dane.valid");
  const daneExists = evidence.status(`${suite}.dane.exists`);
  details.dane_status = dane === "passed" ? "validated" : dane === "failed" ? "failed" : daneExists === "failed" ? "none" : "none";
  const daneEvidence = evidence.of(`${suite}.dane.exists`);
  const hostDane = host === undefined ? daneEvidence : records(daneEvidence.hosts).find((item) => item.host === host);
  details.dane_records = strings(hostDane?.records);
  return details;
}

/** One address family of the web servers (TechnicalWebServerV4/V6). */
function webServerFamily(evidence: Evidence, addresses: string[], family: "ipv4" | "ipv6", routing: Map<string, Routing>): Json {
  const reachable = (address: string): boolean => {
    if (family === "ipv6") {
      const entry = evidence.entry("web.ipv6.reachable", address);
      if (entry) return (isRecord(entry.http) && entry.http.reachable === true) || (isRecord(entry.https) && entry.https.reachable === true);
    }
    const https = evidence.entry("web.https.available", address);
    const http = evidence.entry("web.https.redirect", address);
    return text(https?.status) === "passed" || typeof http?.httpStatus === "number" || typeof https?.httpStatus === "number";
  };
  const listed = addresses.map((address) => ({ address, reachable: reachable(address), routing: routing.get(address) ?? NO_ROUTE }));
  const server: Json = { addresses: listed };
  const tested = listed[0];
  if (!tested) return server;
  server.tested_address = tested.address;
  server.server_reachable = tested.reachable;
  const httpsEnabled = evidence.statusAt("web.https.available", tested.address) === "passed";
  server.https_enabled = httpsEnabled;
  if (!tested.reachable || !httpsEnabled) {
    server.details = {};
    return server;
  }
  const at = (id: string): CheckStatus | undefined => evidence.statusAt(id, tested.address);
  const entry = (id: string): Json => evidence.entry(id, tested.address) ?? {};
  const details = tlsDetails(evidence, "web", tested.address);
  const redirect = at("web.https.redirect");
  details.https_redirect = redirect === "passed" ? "good" : redirect === "not_tested" ? "no_http" : "bad";
  details.http_compression = at("web.http-compression") === "failed" || at("web.http-compression") === "warning" || at("web.http-compression") === "info";
  const hsts = entry("web.hsts");
  const header = text(hsts.header);
  details.hsts = at("web.hsts") === "passed" ? "yes" : header ? "max_age" : "no";
  details.hsts_policies = header ? [header] : [];
  const frame = strings(entry("web.headers.x-frame-options").xFrameOptions);
  details.x_frame_options_enabled = frame.length > 0;
  details.x_frame_options_values = frame;
  const referrer = strings(entry("web.headers.referrer-policy").referrerPolicy);
  details.referrer_policy_enabled = at("web.headers.referrer-policy") === "passed";
  details.referrer_policy_values = referrer;
  details.content_security_policy_enabled = records(entry("web.headers.csp").policies).length > 0;
  const contentType = strings(entry("web.headers.x-content-type-options").xContentTypeOptions);
  details.x_content_type_options_enabled = contentType.length > 0;
  details.x_content_type_options_values = contentType;
  const securityTxt = at("web.security-txt");
  details.securitytxt_enabled = securityTxt === "passed" || securityTxt === "warning";
  const caa = evidence.of("web.caa");
  const caaRecords = records(caa.records);
  details.caa_enabled = caaRecords.length > 0;
  details.caa_records = caaRecords.map((item) => `${typeof item.flags === "number" ? item.flags : 0} ${text(item.tag) ?? ""} "${text(item.value) ?? ""}"`);
  const foundAt = text(caa.foundAt);
  if (foundAt) details.caa_found_on_domain = foundAt;
  server.details = details;
  return server;
}

function webTechnical(report: DomainReport): Json {
  const evidence = new Evidence(report);
  const routing = routingTable(evidence, "web");
  const hosts = evidence.of("web.ipv6.aaaa");
  const result: Json = {
    status: "ok",
    domain: { dnssec: { status: dnssecStatus(evidence.status("web.dnssec.exists"), evidence.status("web.dnssec.valid")) } },
    nameservers: nameServers(evidence, "web", routing),
    webservers: {
      ipv4: webServerFamily(evidence, strings(hosts.ipv4), "ipv4", routing),
      ipv6: webServerFamily(evidence, strings(hosts.ipv6), "ipv6", routing),
    },
  };
  const similar = evidence.status("web.ipv6.same-content");
  if (similar === "passed" || similar === "failed") (result.webservers as Json).ip_similarity = similar === "passed";
  return result;
}

function mailTechnical(report: DomainReport): Json {
  const evidence = new Evidence(report);
  const routing = routingTable(evidence, "mail");
  const dmarcEvidence = evidence.of("mail.dmarc.policy");
  const dmarc: Json = { records: strings(evidence.of("mail.dmarc.exists").records) };
  const policyDomain = text(evidence.of("mail.dmarc.exists").policyDomain);
  if (policyDomain && policyDomain !== report.domain) dmarc.record_org_domain = policyDomain;
  const dmarcPolicy = evidence.status("mail.dmarc.policy");
  if (dmarcPolicy === "passed") dmarc.policy_status = "valid";
  else if (dmarcPolicy === "failed") dmarc.policy_status = strings(dmarcEvidence.syntaxErrors).length > 0 || records(dmarcEvidence.syntaxErrors).length > 0 ? "invalid_syntax" : "invalid_p_sp";
  const spfEvidence = evidence.of("mail.spf.policy");
  const spf: Json = { records: strings(evidence.of("mail.spf.exists").spfRecords) };
  const spfPolicy = evidence.status("mail.spf.policy");
  if (spfPolicy === "passed") spf.policy_status = "valid";
  else if (spfPolicy === "failed") spf.policy_status = typeof spfEvidence.lookups === "number" && spfEvidence.lookups > 10 ? "max_dns_lookups" : "invalid_all";
  const mxDnssec = new Map(records(evidence.of("mail.dnssec.mx-valid").hosts).map((item) => [text(item.host) ?? "", text(item.status) as CheckStatus | undefined]));
  const rollover = new Map(records(evidence.of("mail.dane.rollover").hosts).map((item) => [text(item.host) ?? "", text(item.status)]));
  const starttls = records(evidence.of("mail.starttls.available").servers);
  const receiving: Record<string, Json> = {};
  for (const host of records(evidence.of("mail.ipv6.mx-aaaa").hosts)) {
    const name = text(host.name);
    if (!name) continue;
    const ipv4 = strings(host.ipv4);
    const ipv6 = strings(host.ipv6);
    const probes = starttls.filter((item) => item.host === name);
    const reached = (address: string): boolean => {
      const probe = probes.find((item) => item.address === address);
      return probe !== undefined && text(probe.status) !== "error";
    };
    const listed = (address: string): Json => ({ address, reachable: reached(address), routing: routing.get(address) ?? NO_ROUTE });
    const valid = mxDnssec.get(name);
    const server: Json = {
      addresses: { ipv4: ipv4.map(listed), ipv6: ipv6.map(listed) },
      dnssec: { status: valid === "passed" ? "secure" : valid === "failed" ? "bogus" : "insecure" },
    };
    const tested = probes.find((item) => text(item.status) === "passed") ?? probes[0];
    server.server_reachable = probes.some((item) => text(item.status) !== "error");
    server.starttls_enabled = probes.some((item) => text(item.status) === "passed");
    server.server_testable = tested !== undefined && text(tested.status) !== "error";
    const address = text(tested?.address);
    if (server.server_reachable === true && server.starttls_enabled === true && server.server_testable === true && address) {
      server.details = { ...tlsDetails(evidence, "mail", address, name), dane_rollover: rollover.get(name) === "passed" };
    } else {
      server.details = {};
    }
    receiving[name] = server;
  }
  return {
    status: "ok",
    domain: {
      dnssec: { status: dnssecStatus(evidence.status("mail.dnssec.exists"), evidence.status("mail.dnssec.valid")) },
      dmarc,
      spf,
      dkim: { discovered: evidence.status("mail.dkim.exists") === "passed" },
    },
    nameservers: nameServers(evidence, "mail", routing),
    receiving_mailservers: receiving,
  };
}

/** One domain of `GET requests/{id}/results_technical` (DomainWebTechnical or DomainMailTechnical). */
export function domainTechnical(report: DomainReport | null): Json {
  if (!report) return { status: "error" };
  return report.suite === "web" ? webTechnical(report) : mailTechnical(report);
}
