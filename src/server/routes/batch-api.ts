/**
 * The batch API, compatible with internet.nl's batch API v2
 * (data/internetnl-batch-api/openapi.yaml; served completed at
 * /api/batch/openapi.yaml): a client written for internet.nl registers a
 * list of domains under /api/batch/v2/, polls the request's status and
 * fetches its results in internet.nl's categories and test names.
 *
 * - Authentication: HTTP Basic with an API account's e-mail address and
 *   password (`baseline admin create --role api`). Nothing else in the app
 *   reads the Authorization header, so API credentials open no page, and
 *   the pages' sessions open nothing here. A password is checked as at the
 *   login (login-throttle.ts counts wrong ones per address and per account,
 *   work-queue.ts bounds the hashing); a right one is then remembered for a
 *   while under an HMAC of account, stored hash and password with a key
 *   of this process, so that a client polling every few seconds costs no
 *   scrypt per request, and concurrent first requests share one check.
 * - A request is a run of subject kind "batch" (CampaignEngine.runTargets).
 *   Its status moves registering → running (run queued) → generating (run
 *   done, answers being assembled) → done, or cancelled (PATCH, or the run
 *   cancelled) or error. The status moves when it is read: a poll that
 *   finds the run done starts assembling the results in the background and
 *   answers `generating`; assembled answers are kept in memory (bounded)
 *   and rebuilt from the stored results when they were dropped.
 * - Errors have the document's shapes: 400 `bad-request` (or `invalid-url`
 *   for a path that is not part of the API), 404 `unknown-request` for a
 *   request that is absent or another account's, 500 `server-error`; 401
 *   has no body but its WWW-Authenticate challenge.
 * - `report.url` of each domain is /api/batch/report/ID/DOMAIN: Baseline's
 *   full report of that domain, readable without credentials as
 *   internet.nl's report links are; the request id (128 random bits) is the
 *   key.
 *
 * @example
 *   curl -u ci@example.org:PASSWORD -H 'content-type: application/json' \
 *     -d '{"type":"web","name":"suppliers","domains":["example.nl"]}' http://localhost:8080/api/batch/v2/requests
 */
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { LRUCache } from "lru-cache";
import { BATCH_API_VERSION, domainResult, domainTechnical, reportMetadata } from "../../campaigns/internetnl.ts";
import { getResult, getRun, listRuns } from "../../campaigns/runs.ts";
import { normalizeDomain } from "../../checks/context.ts";
import { CheckInputError } from "../../checks/errors.ts";
import { renderHtmlReport } from "../../checks/report/html.ts";
import type { DomainReport } from "../../checks/types.ts";
import { findApiAccountByEmail, type ApiAccount } from "../../store/api-accounts.ts";
import {
  attachBatchRun,
  BATCH_REQUEST_ID,
  createBatchRequest,
  FINAL_BATCH_STATUSES,
  findBatchRequest,
  getBatchRequest,
  listBatchRequests,
  moveBatchRequest,
  runResultsPage,
  type BatchRequestRecord,
  type BatchType,
} from "../../store/batch-requests.ts";
import { dummyPasswordHash, MAX_PASSWORD_LENGTH, verifyPassword } from "../auth.ts";
import { addressGroup, clientAddress, requestedHost, throttleAddress } from "../client-address.ts";
import type { AppContext, AppEnv } from "../context.ts";
import { readLimitedBody } from "../form-limits.ts";
import { QueueFullError } from "../work-queue.ts";
import { batchApiDocumentText } from "./batch-api-openapi.ts";

export const BATCH_API_PREFIX = "/api/batch/";
/** Domains one request may hold unless configured otherwise (internet.nl's own limit). */
export const DEFAULT_MAX_DOMAINS = 5000;
/** Requests listed when `limit` is not given (the document's default). */
const DEFAULT_LIST_LIMIT = 10;
/** How long a checked password is remembered. */
const CREDENTIAL_TTL_MS = 10 * 60 * 1000;
const MAX_EMAIL_LENGTH = 320;
/** A request still registering this long after it was made lost its server on the way (see refresh). */
const REGISTERING_GIVE_UP_MS = 5 * 60 * 1000;
/** Bytes a request's body may take per domain (a name is at most 253), plus room for the rest. */
const BODY_BYTES_PER_DOMAIN = 300;
const BODY_BYTES_BASE = 64 * 1024;
/** A PATCH body ({"status": "cancelled"}) is a few dozen bytes. */
const MAX_PATCH_BODY_BYTES = 4096;

const { version: BASELINE_VERSION } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

export interface BatchApiOptions {
  /** Domains one request may hold (default: BASELINE_BATCH_MAX_DOMAINS from the environment, else 5,000). */
  maxDomains?: number;
  /** Bytes of assembled answers kept in memory (default 64 MiB). */
  cacheBytes?: number;
}

function configuredMaxDomains(options: BatchApiOptions): number {
  if (options.maxDomains !== undefined) return options.maxDomains;
  const fromEnvironment = Number(process.env.BASELINE_BATCH_MAX_DOMAINS);
  return Number.isInteger(fromEnvironment) && fromEnvironment > 0 ? fromEnvironment : DEFAULT_MAX_DOMAINS;
}

type ErrorLabel = "bad-request" | "invalid-url" | "unknown-request" | "server-error" | "too-many-requests" | "busy";

/** A refusal in the document's error shape (BadRequestResponse and its siblings). */
export class BatchApiError extends Error {
  override name = "BatchApiError";
  readonly status: 400 | 404 | 429 | 500 | 503;
  readonly label: ErrorLabel;

  constructor(status: BatchApiError["status"], label: ErrorLabel, message: string) {
    super(message);
    this.status = status;
    this.label = label;
  }
}

function errorReply(c: AppContext, status: BatchApiError["status"], label: ErrorLabel, msg: string): Response {
  c.header("Cache-Control", "no-store");
  return c.json({ api_version: BATCH_API_VERSION, error: { label, msg } }, status);
}

/** For app.ts's notFound: a path under /api/batch/ that is not part of the API. */
export function batchApiNotFound(c: AppContext): Response {
  const path = c.req.path.length > 100 ? `${c.req.path.slice(0, 100)}…` : c.req.path;
  const hint = c.req.path.startsWith("/api/batch/v2/") ? "" : " (this server speaks version 2 of the batch API: /api/batch/v2/)";
  return errorReply(c, 400, "invalid-url", `${c.req.method} ${path} is not part of the batch API${hint}`);
}

/** For app.ts's onError: errors of /api/batch/ paths in the document's shapes, never an HTML page. */
export function batchApiOnError(error: Error, c: AppContext): Response {
  if (error instanceof BatchApiError) return errorReply(c, error.status, error.label, error.message);
  if (error instanceof HTTPException && error.status < 500) return errorReply(c, 400, "bad-request", error.message || "bad request");
  console.error(error);
  return errorReply(c, 500, "server-error", "General server error. Please report this if it keeps happening.");
}

function unauthorised(c: AppContext, why: string): Response {
  c.header("WWW-Authenticate", 'Basic realm="Baseline batch API", charset="UTF-8"');
  c.header("Cache-Control", "no-store");
  return c.text(`${why}\n`, 401);
}

/** The socket's remote address; none when the app is called in-process (tests). */
function peerAddress(c: AppContext): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/**
 * Where clients reach this server, for `report.url` and the document's
 * `servers`: the Host the client used, or, behind a trusted proxy
 * (--trust-proxy), its X-Forwarded-Host and X-Forwarded-Proto.
 */
function publicOrigin(c: AppContext): string {
  const url = new URL(c.req.url);
  const peer = peerAddress(c);
  const proxies = c.get("services").limiter.proxies;
  const host = requestedHost(peer, c.req.header("host"), c.req.header("x-forwarded-host"), proxies);
  const proto = peer !== undefined && proxies.has(peer) ? c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() : undefined;
  const scheme = proto === "https" || proto === "http" ? proto : url.protocol.slice(0, -1);
  return `${scheme}://${host !== undefined && /^[a-z0-9.:[\]-]{1,300}$/i.test(host) ? host : url.host}`;
}

function parseBasic(header: string | undefined): { email: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { email: decoded.slice(0, colon).trim().toLowerCase(), password: decoded.slice(colon + 1) };
}

/** The Request object of the document. */
function requestJson(request: BatchRequestRecord): Record<string, unknown> {
  return {
    request_id: request.id,
    name: request.name,
    request_type: request.type,
    status: request.status,
    submit_date: request.createdAt,
    finished_date: request.finishedAt,
  };
}

interface RegisterInput {
  type: BatchType;
  name: string;
  domains: string[];
}

/** The body of POST requests, or a BatchApiError naming what is wrong. */
export function parseRegisterBody(body: unknown, maxDomains: number): RegisterInput {
  const bad = (msg: string): BatchApiError => new BatchApiError(400, "bad-request", msg);
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw bad("the body must be a JSON object with type, domains and (optional) name");
  const fields = body as Record<string, unknown>;
  if (fields.type !== "web" && fields.type !== "mail") throw bad(`type: expected "web" or "mail", got ${JSON.stringify(fields.type ?? null).slice(0, 40)}`);
  let name = "";
  if (fields.name !== undefined && fields.name !== null) {
    if (typeof fields.name !== "string") throw bad("name: expected a string");
    if (fields.name.length > 255) throw bad(`name: at most 255 characters (got ${fields.name.length})`);
    name = fields.name;
  }
  if (!Array.isArray(fields.domains)) throw bad("domains: expected a list of domain names");
  if (fields.domains.length === 0) throw bad("domains: the list is empty");
  if (fields.domains.length > maxDomains) throw bad(`domains: ${fields.domains.length} domains is over this server's limit of ${maxDomains} domains per request`);
  const domains: string[] = [];
  const problems: string[] = [];
  fields.domains.forEach((given, index) => {
    if (typeof given !== "string") {
      problems.push(`domains[${index}]: expected a string`);
      return;
    }
    try {
      domains.push(normalizeDomain(given));
    } catch (error) {
      if (!(error instanceof CheckInputError)) throw error;
      problems.push(`domains[${index}]: ${error.message}`);
    }
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join("; ");
    throw bad(problems.length > 5 ? `${shown}; and ${problems.length - 5} more` : shown);
  }
  return { type: fields.type, name, domains: [...new Set(domains)] };
}

export function registerBatchApiRoutes(app: Hono<AppEnv>, options: BatchApiOptions = {}): void {
  const maxDomains = configuredMaxDomains(options);
  const maxBodyBytes = maxDomains * BODY_BYTES_PER_DOMAIN + BODY_BYTES_BASE;
  const secret = randomBytes(32);
  const verified = new LRUCache<string, string>({ max: 1000, ttl: CREDENTIAL_TTL_MS });
  const checking = new Map<string, Promise<boolean>>();
  const answers = new LRUCache<string, string>({ maxSize: options.cacheBytes ?? 64 * 1024 * 1024, sizeCalculation: (value) => Math.max(1, value.length) });
  const generating = new Set<string>();

  /** The account the Basic credentials name, or the refusal to send. */
  async function authenticate(c: AppContext): Promise<ApiAccount | Response> {
    const credentials = parseBasic(c.req.header("authorization"));
    if (!credentials) return unauthorised(c, "HTTP Basic authentication with an API account's e-mail address and password is required");
    const { store, limiter } = c.get("services");
    const { email, password } = credentials;
    if (email === "" || email.length > MAX_EMAIL_LENGTH || password.length > MAX_PASSWORD_LENGTH) return unauthorised(c, "wrong e-mail address or password");
    const account = await findApiAccountByEmail(store.db, email);
    const key = account && createHmac("sha256", secret).update(`${account.id}\0${account.passwordHash}\0${password}`).digest("base64");
    if (key !== undefined && verified.get(key) === account?.id) return account as ApiAccount;
    const address = clientAddress(peerAddress(c), c.req.header("x-forwarded-for"), limiter.proxies);
    const check = async (): Promise<boolean> => {
      const keys = { address: `address:${throttleAddress(address)}`, account: `api-account:${email}` };
      const verdict = await limiter.throttle.reserve(store.db, keys);
      if (!verdict.allowed) {
        c.header("Retry-After", String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))));
        throw new BatchApiError(429, "too-many-requests", "too many wrong passwords for this account or from this address; try again later");
      }
      let right: boolean;
      try {
        right = await limiter.hashing.run(keys.address, async () => verifyPassword(password, account?.passwordHash ?? (await dummyPasswordHash())), { group: addressGroup(address) });
      } catch (error) {
        if (!(error instanceof QueueFullError)) throw error;
        c.header("Retry-After", "1");
        throw new BatchApiError(503, "busy", "the server is checking too many passwords at once; try again in a second");
      }
      if (right && account) await limiter.throttle.succeeded(store.db, keys);
      return right && account !== undefined;
    };
    let pending = key === undefined ? undefined : checking.get(key);
    if (!pending) {
      pending = check();
      if (key !== undefined) {
        checking.set(key, pending);
        void pending.then(
          () => checking.delete(key),
          () => checking.delete(key),
        );
      }
    }
    const right = await pending;
    if (!right || !account || key === undefined) return unauthorised(c, "wrong e-mail address or password");
    verified.set(key, account.id);
    return account;
  }

  /** The request of `id` as the account may see it, its status brought up to date with its run. */
  async function requestOf(c: AppContext, account: ApiAccount, id: string): Promise<BatchRequestRecord> {
    if (!BATCH_REQUEST_ID.test(id)) throw new BatchApiError(400, "bad-request", `request_id: expected 32 lower-case hexadecimal digits, got "${id.slice(0, 40)}"`);
    const request = await getBatchRequest(c.get("services").store.db, account.id, id);
    if (!request) throw new BatchApiError(404, "unknown-request", "This request_id does not exist for the user.");
    return refresh(c, request);
  }

  async function refresh(c: AppContext, request: BatchRequestRecord): Promise<BatchRequestRecord> {
    // Ended: nothing moves any more (a list of thousands of old requests costs no query per request).
    if (FINAL_BATCH_STATUSES.includes(request.status)) return request;
    const db = c.get("services").store.db;
    if (request.status === "registering") {
      // Left so by a server stopped between making the request and queueing its run: its run is found
      // by subject, or the request is given up after a while.
      const [run] = await listRuns(db, "batch", request.id, 1);
      if (run) await attachBatchRun(db, request.id, run.id);
      else if (Date.now() - Date.parse(request.createdAt) > REGISTERING_GIVE_UP_MS) await moveBatchRequest(db, request.id, "error");
      else return request;
      const moved = await getBatchRequest(db, request.accountId, request.id);
      return moved && moved.status !== "registering" ? refresh(c, moved) : (moved ?? request);
    }
    if (request.status === "running" && request.runId) {
      const run = await getRun(db, request.runId);
      if (!run) await moveBatchRequest(db, request.id, "error");
      else if (run.status === "cancelled") await moveBatchRequest(db, request.id, "cancelled");
      else if (run.status === "done") await moveBatchRequest(db, request.id, "generating");
      else return request;
    } else if (request.status === "running" && !request.runId) {
      await moveBatchRequest(db, request.id, "error");
    }
    const now = (await getBatchRequest(db, request.accountId, request.id)) ?? request;
    if (now.status === "generating" && !generating.has(now.id)) startGenerating(c, now);
    return now;
  }

  /** Assembles both answers of a finished request in the background, then marks it done. */
  function startGenerating(c: AppContext, request: BatchRequestRecord): void {
    generating.add(request.id);
    const origin = publicOrigin(c);
    const db = c.get("services").store.db;
    void (async () => {
      try {
        // The answers carry the time the request will be marked done with.
        const finished = new Date();
        const done = { ...request, status: "done" as const, finishedAt: finished.toISOString() };
        await assemble(c, done, origin, "results");
        await assemble(c, done, origin, "results_technical");
        await moveBatchRequest(db, request.id, "done", finished);
      } catch (error) {
        console.error(`baseline: batch request ${request.id}: ${String(error)}`);
        await moveBatchRequest(db, request.id, "error").catch(() => undefined);
      } finally {
        generating.delete(request.id);
      }
    })();
  }

  /** The JSON text of a finished request's results or technical results (from the cache, or built from the stored results). */
  async function assemble(c: AppContext, request: BatchRequestRecord, origin: string, kind: "results" | "results_technical"): Promise<string> {
    const cacheKey = `${request.id}\0${origin}\0${kind}`;
    const kept = answers.get(cacheKey);
    if (kept !== undefined) return kept;
    const db = c.get("services").store.db;
    const domains: Record<string, unknown> = {};
    if (request.runId) {
      let after: string | null = null;
      for (;;) {
        const page = await runResultsPage(db, request.runId, after);
        for (const row of page) {
          const report = row.error === null ? (JSON.parse(row.report) as DomainReport) : null;
          const url = `${origin}${BATCH_API_PREFIX}report/${request.id}/${encodeURIComponent(row.domain)}`;
          domains[row.domain] = kind === "results" ? domainResult(report, url) : domainTechnical(report);
        }
        if (page.length === 0) break;
        after = page.at(-1)?.domain ?? null;
      }
    }
    const text = JSON.stringify({ api_version: BATCH_API_VERSION, request: requestJson({ ...request, status: "done" }), domains });
    answers.set(cacheKey, text);
    return text;
  }

  const json = (c: AppContext, body: unknown): Response => {
    c.header("Cache-Control", "no-store");
    return c.json(body);
  };

  // The document, without authentication.
  app.get(`${BATCH_API_PREFIX}openapi.yaml`, (c) => {
    c.header("Content-Type", "application/yaml; charset=utf-8");
    return c.body(batchApiDocumentText(publicOrigin(c)));
  });

  // Baseline's own report of one domain of a request: the link of `report.url`.
  app.get(`${BATCH_API_PREFIX}report/:id/:domain`, async (c) => {
    const db = c.get("services").store.db;
    const request = await findBatchRequest(db, c.req.param("id"));
    const stored = request?.runId ? await getResult(db, request.runId, c.req.param("domain"), request.type) : undefined;
    if (!stored?.report) throw new BatchApiError(404, "unknown-request", "no report for this request and domain");
    c.header("Cache-Control", "private, no-store");
    return c.html(renderHtmlReport([stored.report], { version: BASELINE_VERSION, generatedAt: new Date(stored.checkedAt) }));
  });

  // Everything under v2 needs an API account (kept per request: AppVariables has no place for it).
  const accounts = new WeakMap<Request, ApiAccount>();
  app.use(`${BATCH_API_PREFIX}v2/*`, async (c: AppContext, next) => {
    const account = await authenticate(c);
    if (account instanceof Response) return account;
    accounts.set(c.req.raw, account);
    await next();
  });
  const accountOf = (c: AppContext): ApiAccount => {
    const account = accounts.get(c.req.raw);
    if (!account) throw new Error("batch API route reached without an account");
    return account;
  };

  app.post(`${BATCH_API_PREFIX}v2/requests`, async (c) => {
    const account = accountOf(c);
    const { store, campaigns } = c.get("services");
    // A JSON type makes a browser ask first (CORS preflight, which this API never allows): another site's
    // form cannot post here with Basic credentials the browser remembers.
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type)) throw new BatchApiError(400, "bad-request", `Content-Type: expected application/json, got "${type.slice(0, 60)}"`);
    const read = await readLimitedBody(c.req.raw, { maxBytes: maxBodyBytes, maxFields: Number.MAX_SAFE_INTEGER });
    if ("refused" in read) throw new BatchApiError(400, "bad-request", `the body is over ${maxBodyBytes} bytes (this server takes at most ${maxDomains} domains per request)`);
    let body: unknown;
    try {
      body = JSON.parse(await read.request.text());
    } catch (error) {
      throw new BatchApiError(400, "bad-request", `the body is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const input = parseRegisterBody(body, maxDomains);
    if (!campaigns) throw new BatchApiError(500, "server-error", "this server runs no checks (it was started without its campaign engine)");
    const request = await createBatchRequest(store.db, { accountId: account.id, name: input.name, type: input.type });
    try {
      const run = await campaigns.runTargets(request.id, input.domains.map((domain) => ({ domain, suite: input.type })));
      await attachBatchRun(store.db, request.id, run.id);
    } catch (error) {
      await moveBatchRequest(store.db, request.id, "error");
      throw error;
    }
    const registered = (await getBatchRequest(store.db, account.id, request.id)) ?? request;
    return json(c, { api_version: BATCH_API_VERSION, request: requestJson(registered) });
  });

  app.get(`${BATCH_API_PREFIX}v2/requests`, async (c) => {
    const account = accountOf(c);
    const given = c.req.query("limit")?.trim();
    let limit = DEFAULT_LIST_LIMIT;
    if (given !== undefined && given !== "") {
      if (!/^\d{1,9}$/.test(given)) throw new BatchApiError(400, "bad-request", `limit: expected a whole number (0 for no limit), got "${given.slice(0, 40)}"`);
      limit = Number(given);
    }
    const requests = await listBatchRequests(c.get("services").store.db, account.id, limit);
    const current = await Promise.all(requests.map((request) => refresh(c, request)));
    return json(c, { api_version: BATCH_API_VERSION, requests: current.map(requestJson) });
  });

  app.get(`${BATCH_API_PREFIX}v2/requests/:id`, async (c) => {
    const request = await requestOf(c, accountOf(c), c.req.param("id"));
    return json(c, { api_version: BATCH_API_VERSION, request: requestJson(request) });
  });

  app.patch(`${BATCH_API_PREFIX}v2/requests/:id`, async (c) => {
    const account = accountOf(c);
    const { store, campaigns } = c.get("services");
    const request = await requestOf(c, account, c.req.param("id"));
    // The only body this takes is {"status": "cancelled"}: read within a small limit, as POST's is (a PATCH
    // passes none of app.ts's body limits, which are for POST).
    const read = await readLimitedBody(c.req.raw, { maxBytes: MAX_PATCH_BODY_BYTES, maxFields: Number.MAX_SAFE_INTEGER });
    if ("refused" in read && read.refused === "bytes") throw new BatchApiError(400, "bad-request", `the body is over ${MAX_PATCH_BODY_BYTES} bytes: the only change a request takes is {"status": "cancelled"}`);
    let body: unknown;
    try {
      if ("refused" in read) throw new Error("not JSON");
      body = JSON.parse(await read.request.text());
    } catch {
      throw new BatchApiError(400, "bad-request", 'the body must be JSON: {"status": "cancelled"}');
    }
    if (typeof body !== "object" || body === null || (body as Record<string, unknown>).status !== "cancelled") {
      throw new BatchApiError(400, "bad-request", 'status: the only change a request takes is {"status": "cancelled"}');
    }
    if (request.status !== "cancelled") {
      if (request.status !== "registering" && request.status !== "running") {
        throw new BatchApiError(400, "bad-request", `the request is ${request.status}: only a registering or running request can be cancelled`);
      }
      if (request.runId && campaigns) await campaigns.cancel(request.runId);
      await moveBatchRequest(store.db, request.id, "cancelled");
    }
    const now = (await getBatchRequest(store.db, account.id, request.id)) ?? request;
    return json(c, { api_version: BATCH_API_VERSION, request: requestJson(now) });
  });

  for (const kind of ["results", "results_technical"] as const) {
    app.get(`${BATCH_API_PREFIX}v2/requests/:id/${kind}`, async (c) => {
      const request = await requestOf(c, accountOf(c), c.req.param("id"));
      if (request.status !== "done") throw new BatchApiError(400, "bad-request", `the request is ${request.status}: results are available once it is done`);
      c.header("Cache-Control", "no-store");
      c.header("Content-Type", "application/json");
      return c.body(await assemble(c, request, publicOrigin(c), kind));
    });
  }

  app.get(`${BATCH_API_PREFIX}v2/metadata/report`, (c) => json(c, { api_version: BATCH_API_VERSION, report: reportMetadata() }));
}
