/**
 * Observatory web app benchmark: do the list and matrix pages answer at p95
 * under 150 ms with 2,000 institutions and 10,000 policies, under 50
 * concurrent clients (issue 5, "Performance")?
 *
 * 1. Data: 2,000 institutions and 10,000 policies generated from a fixed
 *    seed: UN M49 sub-regions for national bodies, regions or World (001)
 *    for regional and global ones (Europe is 150, as in the starter data),
 *    every institution kind, free-text sectors, 0-6 catalog standards and
 *    0-3 catalog categories per policy, about 85% published. Every record
 *    passes the store's own validation (institutionInput, validatePolicy
 *    with the catalog's ids) and is then written with Kysely `insertInto`
 *    in one transaction: createPolicy costs 1.6 ms (SQLite) to 2.7 ms
 *    (PostgreSQL) per policy with its reference checks and audit row, which
 *    would spend a third of the time budget on loading. No audit rows are
 *    written; the pages read none.
 * 2. Server: createApp on @hono/node-server in this process, on 127.0.0.1
 *    port 0, as `baseline serve` runs it; anonymous requests.
 * 3. Load: autocannon in a worker thread (so that the load generator does
 *    not share the server's event loop), 50 connections, a 1 s warm-up and
 *    then 10 s per page. Latency percentiles are computed exactly from
 *    every response time; autocannon's own histogram ("ac") only offers
 *    p97.5 and p99, printed beside them as a cross-check.
 *
 * Pages: the policies list, a filtered list, the region x standard and
 * sector x standard matrices, the home page, and the list page through a
 * few ten thousand different addresses (pages, filters and orders) in turn: the cost
 * of a list that no cache has seen.
 *
 * The peer, measured in the same run by the same server: the /policies page
 * as a static file (hono's serveStatic: same bytes, no database, no
 * rendering). "x static" is how many static requests the server answers in
 * the time of one app request: the app's own cost.
 *
 * SQLite runs on a temporary file (WAL, as `baseline serve`), PostgreSQL on
 * a fresh schema that is dropped afterwards, and is skipped when it cannot
 * be reached. After the bulk load both get fresh planner statistics, as
 * they would within minutes in a running app: PostgreSQL a VACUUM ANALYZE,
 * as autovacuum does on its own after many inserts (the vacuum also lets
 * counts read the index alone); SQLite `store.optimize()`, as `baseline
 * serve` runs on start and every five minutes.
 *
 * Run: `node bench/observatory.ts [--seconds 10] [--connections 50]
 * [--postgres URL | --no-postgres] [--keep-sqlite FILE] [--keep-postgres]`
 * (about 2.5 minutes; --keep-postgres leaves the PostgreSQL schema in place
 * and prints its name; --keep-sqlite leaves the generated SQLite database at FILE for
 * EXPLAIN and profiling). Not part of the test suite.
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { serve } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { sql, type Insertable } from "kysely";
import pg from "pg";
import type { Catalog } from "../src/catalog/catalog.ts";
import { loadCatalog } from "../src/catalog/load.ts";
import { createApp } from "../src/server/app.ts";
import { LoginLimiter } from "../src/server/auth.ts";
import {
  institutionInput,
  knownIdsOf,
  listPolicies,
  openDatabase,
  policyColumns,
  redactUrl,
  validatePolicy,
  type InstitutionKind,
  type InstitutionsTable,
  type PoliciesTable,
  type PolicyStatus,
  type PolicyType,
  type ReviewState,
  type Store,
} from "../src/store/index.ts";

const INSTITUTIONS = 2000;
const POLICIES = 10_000;
const TARGET_P95_MS = 150;
const WARMUP_SECONDS = 1;

/** One load run, from the main thread to the load generator. */
interface LoadJob {
  base: string;
  /** Requested in turn across all connections: one path, or many to spread the load over many pages. */
  paths: string[];
  connections: number;
  seconds: number;
}

/** What one load run measured, back to the main thread. */
interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  autocannonP97_5: number;
  autocannonP99: number;
  completed: number;
  /** Requests sent through the path list, warm-up included (0 for a single path). */
  requested: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  meanBytes: number;
}

// ---- the load generator (worker thread) ----

/** The parts of autocannon's programmatic API used here (it ships no types). */
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  requests?: { setupRequest: (request: { path: string }) => { path: string } }[];
}
interface AutocannonRawResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  totalBytes: number;
}
interface AutocannonInstance {
  on(event: "response", listener: (client: unknown, statusCode: number, bytes: number, milliseconds: number) => void): void;
}
interface Autocannon {
  (options: AutocannonOptions, done: (error: Error | null, result: AutocannonRawResult) => void): AutocannonInstance;
  aggregateResult(results: AutocannonRawResult[], options: AutocannonOptions): { latency: { p97_5: number; p99: number } };
}

/** The worker's side: one worker serves every run of the benchmark, one job at a time. */
function serveLoadJobs(): void {
  // autocannon's per-request timer can be rescheduled to a negative delay as a
  // run ends; Node's warning about that says nothing about the server.
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name !== "TimeoutNegativeWarning") console.warn(warning);
  });
  parentPort?.on("message", (job: LoadJob) => {
    void load(job).then((result) => parentPort?.postMessage(result));
  });
}

async function load(job: LoadJob): Promise<LoadResult> {
  const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;
  let turn = 0;
  const options: AutocannonOptions = {
    url: `${job.base}${job.paths[0] ?? "/"}`,
    connections: job.connections,
    duration: job.seconds,
    ...(job.paths.length > 1 ? { requests: [{ setupRequest: (request) => ({ ...request, path: job.paths[turn++ % job.paths.length] ?? "/" }) }] } : {}),
  };
  const run = (seconds: number, onResponse?: (statusCode: number, milliseconds: number) => void): Promise<AutocannonRawResult> =>
    new Promise((resolve, reject) => {
      const instance = autocannon({ ...options, duration: seconds }, (error, result) => {
        if (error) reject(error);
        else resolve(result);
      });
      if (onResponse) instance.on("response", (_client, statusCode, _bytes, milliseconds) => onResponse(statusCode, milliseconds));
    });

  await run(WARMUP_SECONDS);
  const latencies: number[] = [];
  const raw = await run(job.seconds, (statusCode, milliseconds) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(milliseconds);
  });
  // Outside the main thread autocannon leaves its result unaggregated; this decodes its latency histogram.
  const { latency } = autocannon.aggregateResult([raw], options);
  const sorted = Float64Array.from(latencies).sort();
  return {
    requestsPerSecond: sorted.length / raw.duration,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    autocannonP97_5: latency.p97_5,
    autocannonP99: latency.p99,
    completed: sorted.length,
    requested: turn,
    errors: raw.errors,
    timeouts: raw.timeouts,
    non2xx: raw.non2xx,
    meanBytes: sorted.length > 0 ? raw.totalBytes / sorted.length : 0,
  };
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

// ---- generated data ----

/** [ISO 3166, UN M49 sub-region, Global South, language of its documents] */
const COUNTRIES: readonly (readonly [string, string, boolean, string])[] = [
  ["NL", "155", false, "nl"], ["DE", "155", false, "de"], ["FR", "155", false, "fr"], ["BE", "155", false, "fr"], ["AT", "155", false, "de"],
  ["GB", "154", false, "en"], ["SE", "154", false, "sv"], ["DK", "154", false, "da"], ["FI", "154", false, "fi"], ["IE", "154", false, "en"], ["EE", "154", false, "et"],
  ["ES", "039", false, "es"], ["IT", "039", false, "it"], ["PT", "039", false, "pt"], ["GR", "039", false, "el"],
  ["PL", "151", false, "pl"], ["CZ", "151", false, "cs"], ["RO", "151", false, "ro"], ["UA", "151", true, "uk"],
  ["US", "021", false, "en"], ["CA", "021", false, "en"], ["MX", "013", true, "es"], ["CR", "013", true, "es"],
  ["BR", "005", true, "pt"], ["AR", "005", true, "es"], ["CL", "005", true, "es"], ["CO", "005", true, "es"], ["JM", "029", true, "en"], ["DO", "029", true, "es"],
  ["KE", "014", true, "en"], ["RW", "014", true, "en"], ["ET", "014", true, "en"], ["NG", "011", true, "en"], ["GH", "011", true, "en"], ["SN", "011", true, "fr"],
  ["CI", "011", true, "fr"], ["ZA", "018", true, "en"], ["EG", "015", true, "ar"], ["MA", "015", true, "fr"], ["CM", "017", true, "fr"],
  ["IN", "034", true, "en"], ["PK", "034", true, "en"], ["BD", "034", true, "bn"], ["ID", "035", true, "id"], ["SG", "035", false, "en"], ["MY", "035", true, "ms"],
  ["PH", "035", true, "en"], ["VN", "035", true, "vi"], ["JP", "030", false, "ja"], ["KR", "030", false, "ko"], ["CN", "030", true, "zh"], ["KZ", "143", true, "ru"],
  ["AE", "145", true, "ar"], ["SA", "145", true, "ar"], ["TR", "145", true, "tr"], ["IL", "145", false, "he"], ["AU", "053", false, "en"], ["NZ", "053", false, "en"], ["FJ", "054", true, "en"],
];
/** Regional and global bodies: [[UN M49 region, Global South], weight]. */
const AREAS: readonly (readonly [readonly [string, boolean], number])[] = [
  [["150", false], 30], [["001", false], 25], [["002", true], 15], [["419", true], 12], [["142", true], 10], [["019", false], 5], [["009", false], 3],
];
const M49_IN_USE = [...new Set([...COUNTRIES.map(([, region]) => region), ...AREAS.map(([[region]]) => region)])].sort();
const KINDS: readonly (readonly [InstitutionKind, number])[] = [
  ["government", 40], ["regulator", 14], ["intergovernmental", 6], ["standards-body", 8], ["private-company", 15], ["civil-society", 10], ["academia", 7],
];
const BODY_NAMES: Record<InstitutionKind, readonly string[]> = {
  government: ["Ministry of Digital Affairs", "National Procurement Agency", "Office of the Chief Information Officer", "Ministry of the Interior", "National Cyber Security Centre"],
  regulator: ["Communications Regulatory Authority", "Data Protection Authority", "Financial Supervisory Authority", "Energy Regulator"],
  intergovernmental: ["Council on Digital Cooperation", "Regional Economic Community", "Development Bank", "Telecommunications Union"],
  "standards-body": ["Standards Institute", "Internet Standards Forum", "Electrotechnical Committee"],
  "private-company": ["Telecom Group", "Cloud Services", "Bank", "Energy Utility", "Software House"],
  "civil-society": ["Internet Society Chapter", "Digital Rights Foundation", "Consumers' Association"],
  academia: ["University Computing Centre", "Research Network", "Institute of Technology"],
};
const SECTORS = [
  "digital government", "public procurement", "cybersecurity", "telecommunications", "financial services", "health", "energy", "transport",
  "education and research", "defence", "standards and technology", "internet governance", "consumer protection", "economic policy", "cloud services", "manufacturing",
];
const POLICY_TYPES: readonly (readonly [PolicyType, number])[] = [["law", 10], ["regulation", 12], ["policy", 25], ["guideline", 25], ["tender-template", 12], ["model-contract", 8], ["standard", 8]];
const STATUSES: readonly (readonly [PolicyStatus, number])[] = [["in-force", 75], ["draft", 10], ["repealed", 15]];
const REVIEW_STATES: readonly (readonly [ReviewState, number])[] = [["published", 85], ["reviewed", 8], ["draft", 7]];
/** How many catalog standards a policy cites: [count, weight]. */
const STANDARD_COUNTS: readonly (readonly [number, number])[] = [[0, 15], [1, 15], [2, 20], [3, 20], [4, 15], [5, 10], [6, 5]];
/** Cited three times as often as the rest. */
const POPULAR_STANDARDS = new Set(["https", "tls", "hsts", "dnssec", "dmarc", "spf", "dkim", "iso-27001", "ipv6", "sbom", "vulnerability-disclosure"]);
const TITLE_STARTS = ["Minimum security requirements for", "Procurement guidance on", "Model contract clauses for", "Tender template for", "Baseline for", "Supply-chain security of"];
const TITLE_SUBJECTS = ["cloud services", "e-mail", "websites", "network equipment", "connected devices", "software", "DNS services", "hosting", "ICT services"];
// Tags from data/observatory/README.md, "Tags in use".
const SECURITY_TAGS = ["software-supply-chain", "supply-chain-risk-management", "transport-encryption", "secure-by-design", "vulnerability-management", "vulnerability-disclosure", "sbom", "email-authentication", "web-security", "baseline-controls"];
const BEST_PRACTICE_TAGS = ["named-standards", "mandatory-by-law", "lifecycle-requirements", "supplier-due-diligence", "sbom-on-request", "contract-clauses", "third-party-certification", "minimum-baseline", "comply-or-explain", "or-equivalent-clause", "deadlines", "tender-clauses"];
const BARRIER_TAGS = ["voluntary-guidance", "no-named-standards", "compliance-burden", "technical-expertise-gap", "slow-adoption", "policy-reversal", "fragmented-requirements", "cost-of-certification", "paywalled-standard"];
const GLOBAL_SOUTH_TAGS = ["free-to-access", "reusable-model", "cost-of-access", "market-access-requirement", "builds-on-international-frameworks", "capacity-building-needed"];

/** mulberry32: a small seeded generator, so that every run benchmarks the same data. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random choices over one seeded generator. */
function chooser(seed: number) {
  const random = seededRandom(seed);
  const weighted = <T>(items: readonly (readonly [T, number])[]): T => {
    let left = random() * items.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [item, weight] of items) {
      left -= weight;
      if (left < 0) return item;
    }
    const last = items.at(-1);
    if (!last) throw new Error("nothing to choose from");
    return last[0];
  };
  return {
    random,
    chance: (probability: number): boolean => random() < probability,
    integer: (below: number): number => Math.floor(random() * below),
    pick: <T>(items: readonly T[]): T => weighted(items.map((item) => [item, 1] as const)),
    weighted,
    /** `count` distinct items, the heavier ones more often. */
    sample<T>(items: readonly (readonly [T, number])[], count: number): T[] {
      const pool = [...items];
      const chosen: T[] = [];
      while (chosen.length < count && pool.length > 0) {
        const item = weighted(pool);
        chosen.push(item);
        pool.splice(pool.findIndex(([candidate]) => candidate === item), 1);
      }
      return chosen;
    },
    shuffle<T>(items: T[]): T[] {
      for (let index = items.length - 1; index > 0; index--) {
        const other = Math.floor(random() * (index + 1));
        [items[index], items[other]] = [items[other] as T, items[index] as T];
      }
      return items;
    },
  };
}

interface GeneratedData {
  institutions: Insertable<InstitutionsTable>[];
  policies: Insertable<PoliciesTable>[];
  standardLinks: { policy_id: string; standard_id: string }[];
  categoryLinks: { policy_id: string; category_id: string }[];
}

/** The same data on every run (ids and timestamps aside), validated as the store validates its input. */
function generateData(catalog: Catalog): GeneratedData {
  const choose = chooser(20261123);
  const known = knownIdsOf(catalog);
  const standards = catalog.standards.map((standard) => [standard.id, POPULAR_STANDARDS.has(standard.id) ? 3 : 1] as const);
  const categories = catalog.categories.map((category) => [category.id, 1] as const);
  const tags = (vocabulary: readonly string[], max: number): string[] => choose.sample(vocabulary.map((tag) => [tag, 1] as const), choose.integer(max + 1));
  const now = Date.now();
  const threeYearsAgo = now - 3 * 365 * 24 * 3600 * 1000;
  const someTimeBetween = (from: number, to: number): Date => new Date(from + choose.random() * (to - from));
  const data: GeneratedData = { institutions: [], policies: [], standardLinks: [], categoryLinks: [] };

  const issuers: { id: string; region: string; globalSouth: boolean; language: string }[] = [];
  for (let index = 0; index < INSTITUTIONS; index++) {
    const kind = choose.weighted(KINDS);
    const regional = kind === "intergovernmental" || choose.chance(kind === "standards-body" || kind === "civil-society" ? 0.4 : 0.04);
    const country = regional ? undefined : choose.pick(COUNTRIES);
    const [region, globalSouth] = country ? [country[1], country[2]] : choose.weighted(AREAS);
    const valid = institutionInput.parse({
      name: `${choose.pick(BODY_NAMES[kind])} ${country?.[0] ?? region}-${index + 1}`,
      kind,
      country: country?.[0] ?? "",
      region,
      globalSouth,
      sector: choose.chance(0.1) ? "" : choose.pick(SECTORS),
    });
    const id = randomUUID();
    const created = someTimeBetween(threeYearsAgo, now).toISOString();
    issuers.push({ id, region, globalSouth, language: country?.[3] ?? "en" });
    data.institutions.push({ id, name: valid.name, kind: valid.kind, country: valid.country, region: valid.region, global_south: valid.globalSouth, sector: valid.sector, created_at: created, updated_at: created });
  }

  for (let index = 0; index < POLICIES; index++) {
    // Skewed: a few institutions issue many documents, most issue a handful.
    const issuer = issuers[Math.floor(choose.random() ** 2 * issuers.length)];
    if (!issuer) throw new Error("no institutions generated");
    const year = 2005 + choose.integer(22);
    const month = String(1 + choose.integer(12)).padStart(2, "0");
    const day = String(1 + choose.integer(28)).padStart(2, "0");
    const cited = choose.sample(standards, choose.weighted(STANDARD_COUNTS));
    const otherStandards = choose.chance(0.2) ? "Cyber Essentials; BSI TR-02102-2" : "";
    const valid = validatePolicy(
      {
        institutionId: issuer.id,
        title: `${choose.pick(TITLE_STARTS)} ${choose.pick(TITLE_SUBJECTS)} (${year}, no. ${index + 1})`,
        type: choose.weighted(POLICY_TYPES),
        status: choose.weighted(STATUSES),
        adoptedOn: choose.chance(0.1) ? "" : choose.chance(0.3) ? String(year) : `${year}-${month}-${day}`,
        sourceUrl: choose.chance(0.05) ? "" : `https://publications.example.org/${issuer.region}/${index + 1}`,
        language: issuer.language,
        coversInternet: choose.chance(0.8),
        securityText: choose.chance(0.15) ? "" : "Requires suppliers to follow current security standards for the services bought, to report vulnerabilities and to keep the systems up to date during the contract.",
        securityTags: tags(SECURITY_TAGS, 4),
        citesStandards: cited.length > 0 || otherStandards !== "",
        otherStandards,
        evidence: choose.chance(0.5) ? [`Section ${1 + choose.integer(9)} lists the required standards.`] : [],
        bestPracticeTags: tags(BEST_PRACTICE_TAGS, 4),
        barrierTags: tags(BARRIER_TAGS, 3),
        globalSouthTags: issuer.globalSouth ? tags(GLOBAL_SOUTH_TAGS, 3) : [],
        reviewState: choose.weighted(REVIEW_STATES),
        categories: choose.sample(categories, choose.integer(4)),
        standards: cited,
      },
      known,
    );
    const id = randomUUID();
    const created = someTimeBetween(threeYearsAgo, now);
    data.policies.push({
      id,
      ...policyColumns(valid),
      reviewed_by: null,
      created_at: created.toISOString(),
      updated_at: someTimeBetween(created.getTime(), now).toISOString(),
    });
    for (const standard_id of valid.standards) data.standardLinks.push({ policy_id: id, standard_id });
    for (const category_id of valid.categories) data.categoryLinks.push({ policy_id: id, category_id });
  }
  return data;
}

/** One transaction, in chunks that keep each statement under SQLite's and PostgreSQL's parameter limits. */
async function insertData(store: Store, data: GeneratedData): Promise<void> {
  const CHUNK = 500;
  const chunks = <T>(rows: T[]): T[][] => Array.from({ length: Math.ceil(rows.length / CHUNK) }, (_, index) => rows.slice(index * CHUNK, (index + 1) * CHUNK));
  await store.db.transaction().execute(async (trx) => {
    for (const rows of chunks(data.institutions)) await trx.insertInto("institutions").values(rows).execute();
    for (const rows of chunks(data.policies)) await trx.insertInto("policies").values(rows).execute();
    for (const rows of chunks(data.standardLinks)) await trx.insertInto("policy_standards").values(rows).execute();
    for (const rows of chunks(data.categoryLinks)) await trx.insertInto("policy_categories").values(rows).execute();
  });
  // What autovacuum does on its own a little later; SQLite's statistics are the app's business (Store.optimize).
  if (store.dialect === "postgres") await sql`vacuum analyze`.execute(store.db);
  else await store.optimize();
}

/**
 * 100 pages of the whole list and the first page of every standard x region
 * x type filter, each in every order the list offers, in a fixed shuffled
 * order: more addresses than a run sends, so that every request is one no
 * cache has seen (the report says so if a run ever wraps around).
 */
function variedListPaths(catalog: Catalog): string[] {
  const lists = Array.from({ length: 100 }, (_, page) => `offset=${page * 50}`);
  for (const standard of catalog.standards) {
    for (const region of M49_IN_USE) {
      for (const type of ["", "law", "policy", "guideline", "tender-template"]) lists.push(`standard=${standard.id}&region=${region}${type ? `&type=${type}` : ""}`);
    }
  }
  const paths = lists.flatMap((list) => ["title", "adoptedOn", "updatedAt", "institution"].map((sort) => `/policies?${list}&sort=${sort}`));
  return chooser(5).shuffle(paths);
}

// ---- the server under test ----

interface RunningServer {
  base: string;
  /** Resolves when no request is being handled. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The app on `store`, with the static peer under /static/ (files from `staticRoot`) on the same server. */
async function startServer(store: Store, catalog: Catalog, staticRoot: string): Promise<RunningServer> {
  const app = createApp({ store, catalog, limiter: new LoginLimiter(), secureCookies: false });
  const peer = new Hono().use("/static/*", serveStatic({ root: staticRoot, rewriteRequestPath: (path) => path.slice("/static".length) }));
  // autocannon drops its connections when time is up, not the requests in
  // flight: their handlers must finish before the next page is loaded and
  // before the database is closed.
  let running = 0;
  let whenIdle: (() => void) | undefined;
  const handle = async (request: Request): Promise<Response> => {
    running++;
    try {
      return await (new URL(request.url).pathname.startsWith("/static/") ? peer.fetch(request) : app.fetch(request));
    } finally {
      running--;
      if (running === 0) whenIdle?.();
    }
  };
  const idle = (): Promise<void> => (running === 0 ? Promise.resolve() : new Promise((resolve) => (whenIdle = resolve)));
  const server = serve({ fetch: handle, port: 0, hostname: "127.0.0.1" });
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the server has no TCP address");
  return {
    base: `http://127.0.0.1:${address.port}`,
    idle,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await idle();
    },
  };
}

/** The page's body; throws with the reason when it does not answer 200 (a benchmark of error pages proves nothing). */
async function fetchPage(base: string, path: string): Promise<string> {
  const response = await fetch(`${base}${path}`);
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${body.slice(0, 300)}`);
  return body;
}

// ---- the report ----

const COLUMNS = `${"page".padEnd(26)} ${"req/s".padStart(8)} ${"p50".padStart(7)} ${"p95".padStart(7)} ${"p99".padStart(7)}  ${"ac p97.5".padStart(8)} ${"ac p99".padStart(7)} ${"KiB".padStart(5)} ${"x static".padStart(8)}  p95 < ${TARGET_P95_MS}`;

function reportRow(label: string, result: LoadResult, staticRate: number | undefined, paths = 1): string {
  const ms = (value: number): string => (Number.isNaN(value) ? "-" : value.toFixed(1)).padStart(7);
  const ratio = staticRate === undefined ? "peer" : result.completed === 0 ? "-" : (staticRate / result.requestsPerSecond).toFixed(1);
  // NaN (nothing completed) is over the target too.
  const verdict = staticRate === undefined ? "" : result.p95 < TARGET_P95_MS ? "ok" : "OVER";
  const failures = result.errors + result.timeouts + result.non2xx;
  const notes = [
    ...(result.completed === 0 ? ["no response completed"] : []),
    ...(paths > 1 && result.requested > paths ? [`${result.requested - paths} of ${result.requested} requests repeated an address (cache hits possible)`] : []),
    ...(failures > 0 ? [`${result.errors} errors, ${result.timeouts} timeouts (10 s), ${result.non2xx} non-2xx`] : []),
  ];
  return [
    label.padEnd(26),
    result.requestsPerSecond.toFixed(0).padStart(8),
    ms(result.p50),
    ms(result.p95),
    ms(result.p99),
    ` ${String(result.autocannonP97_5).padStart(8)}`,
    String(result.autocannonP99).padStart(7),
    (result.meanBytes / 1024).toFixed(0).padStart(5),
    ratio.padStart(8),
    ` ${verdict}${notes.length > 0 ? `  (${notes.join("; ")})` : ""}`,
  ].join(" ");
}

// ---- the benchmark (main thread) ----

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      seconds: { type: "string", default: "10" },
      connections: { type: "string", default: "50" },
      postgres: { type: "string", default: process.env.BASELINE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test" },
      "no-postgres": { type: "boolean", default: false },
      "keep-sqlite": { type: "string" },
      "keep-postgres": { type: "boolean", default: false },
    },
  });
  const seconds = Number(args.seconds);
  const connections = Number(args.connections);
  if (!(seconds > 0) || !Number.isInteger(connections) || connections < 1) throw new Error("--seconds and --connections must be positive numbers");

  const catalog = loadCatalog();
  const varied = variedListPaths(catalog);
  const pages: [label: string, paths: string[]][] = [
    ["policies list", ["/policies"]],
    ["filtered list", ["/policies?standard=dnssec&region=150"]],
    ["region x standard matrix", ["/matrix?rows=region&columns=standard"]],
    ["sector x standard matrix", ["/matrix?rows=sector&columns=standard"]],
    ["home", ["/"]],
    [`lists, ${varied.length} URLs`, varied],
  ];
  const data = generateData(catalog);
  const temporary = mkdtempSync(join(tmpdir(), "baseline-bench-"));
  const loader = new Worker(new URL(import.meta.url));
  const runLoad = async (base: string, paths: string[]): Promise<LoadResult> => {
    loader.postMessage({ base, paths, connections, seconds } satisfies LoadJob);
    const [result] = (await once(loader, "message")) as [LoadResult];
    return result;
  };
  let staticRate: number | undefined;

  async function benchmark(label: string, store: Store): Promise<void> {
    const started = performance.now();
    await insertData(store, data);
    const loadSeconds = (performance.now() - started) / 1000;
    const published = await listPolicies(store.db, { limit: 1 });
    const filtered = await listPolicies(store.db, { standard: "dnssec", region: "150", limit: 1 });
    console.log(`\n${label}: ${INSTITUTIONS} institutions, ${POLICIES} policies (${published.total} published, ${filtered.total} of those cite dnssec in region 150), inserted in ${loadSeconds.toFixed(1)} s`);
    const server = await startServer(store, catalog, temporary);
    try {
      for (const [, paths] of pages) await fetchPage(server.base, paths[0] ?? "/");
      console.log(COLUMNS);
      if (staticRate === undefined) {
        writeFileSync(join(temporary, "policies.html"), await fetchPage(server.base, "/policies"));
        await fetchPage(server.base, "/static/policies.html");
        const peer = await runLoad(server.base, ["/static/policies.html"]);
        staticRate = peer.requestsPerSecond;
        console.log(reportRow("static /policies (peer)", peer, undefined));
      }
      for (const [pageLabel, paths] of pages) {
        await server.idle();
        console.log(reportRow(pageLabel, await runLoad(server.base, paths), staticRate, paths.length));
      }
    } finally {
      await server.close();
    }
  }

  console.log(`observatory web app: ${connections} connections, ${WARMUP_SECONDS} s warm-up + ${seconds} s per page, anonymous; times in ms; "ac" = autocannon's histogram`);
  console.log(`node ${process.version}, ${availableParallelism()} CPUs shared by the server, the load generator${args["no-postgres"] ? "" : " and PostgreSQL"}`);
  try {
    const sqliteFile = args["keep-sqlite"] ?? join(temporary, "bench.sqlite");
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${sqliteFile}${suffix}`, { force: true });
    const sqlite = await openDatabase(`sqlite:${sqliteFile}`);
    try {
      await benchmark("SQLite (file, WAL)", sqlite);
    } finally {
      await sqlite.close();
    }
    if (!args["no-postgres"]) await benchmarkPostgres(args.postgres, benchmark, args["keep-postgres"]);
  } finally {
    await loader.terminate();
    rmSync(temporary, { recursive: true, force: true });
  }
}

/** Runs `benchmark` on a fresh schema of the database at `url`, dropped afterwards unless `keep`; says so and returns when it cannot be reached. */
async function benchmarkPostgres(url: string, benchmark: (label: string, store: Store) => Promise<void>, keep: boolean): Promise<void> {
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`\nPostgreSQL: skipped, ${redactUrl(url)} cannot be reached (${error instanceof Error ? error.message || error.name : String(error)})`);
    return;
  }
  const schema = `bench_observatory_${process.pid}_${Date.now()}`;
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    const store = await openDatabase(url, { postgres: { options: `-c search_path=${schema}` } });
    try {
      await benchmark(`PostgreSQL (fresh schema ${schema})`, store);
    } finally {
      await store.close();
    }
  } finally {
    if (keep) console.log(`PostgreSQL schema ${schema} kept (--keep-postgres); drop it with DROP SCHEMA ${schema} CASCADE`);
    else await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

// Last, so that every constant above is initialised before either side runs.
if (isMainThread) await main();
else serveLoadJobs();
