/**
 * /check: anyone can test a domain's website against the standards and read
 * the report (the HTML report's pieces, checks/report/html.ts, inside the
 * site's layout). GET /check shows the form; GET /check?domain=D&suite=web
 * runs the suite. The form is a GET so that a report can be linked to, and
 * because the app refuses POSTs without a session; a link followed from
 * another site (Sec-Fetch-Site: cross-site) only fills the form in, so that
 * no other site can spend a visitor's checks or make the server probe.
 *
 * Every check makes this server connect to someone else's hosts, so:
 * - per client (the address, IPv6 by its /64, as client-address.ts finds it
 *   behind --trust-proxy; a signed-in user by account) a number of checks
 *   per window, counted when a check is asked for; beyond it a 429 page
 *   with Retry-After;
 * - a global bound of checks running at once and waiting (work-queue.ts),
 *   beyond it a 503 page with Retry-After;
 * - private targets are refused unless the operator started the server with
 *   --allow-private (the context's address policy); a domain that points only
 *   at such addresses gets a page saying so before any probe is made.
 */
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Hono } from "hono";
import { defaultSettings, DomainContext, normalizeDomain, type CheckSettings } from "../../checks/context.ts";
import { checksOf } from "../../checks/registry.ts";
import { domainSection, ENGLISH_LABELS, REPORT_CSS, type HtmlLabels } from "../../checks/report/html.ts";
import { checkAndScore } from "../../checks/run.ts";
import { CHECK_STATUSES, type DomainReport, type Suite } from "../../checks/types.ts";
import { CheckInputError } from "../../checks/errors.ts";
import { createResolver } from "../../dns/resolver.ts";
import { clientAddress, throttleAddress } from "../client-address.ts";
import { pageContext, type AppContext, type AppEnv } from "../context.ts";
import { html, raw, type SafeHtml } from "../html.ts";
import type { MessageKey, Translate } from "../i18n.ts";
import { page } from "../layout.ts";
import { QueueFullError, WorkQueue } from "../work-queue.ts";

export interface CheckRouteOptions {
  /** What every check obeys (resolver, --allow-private, --ca-file, routing data); default: the public internet. */
  settings?: CheckSettings;
  /** Checks per client in each window: anonymous clients by address. */
  perAddress?: RateLimit;
  /** Signed-in users, by account. */
  perUser?: RateLimit;
  /** Checks running at once on the server, and waiting for a place. */
  concurrency?: number;
  maxWaiting?: number;
  /** Runs one check (tests give their own). */
  check?: (domain: string, suite: Suite, settings: CheckSettings) => Promise<DomainReport>;
  /** Clock of the rate limits (tests). */
  now?: () => number;
}

export interface RateLimit {
  max: number;
  windowMs: number;
}

export const DEFAULT_PER_ADDRESS: RateLimit = { max: 10, windowMs: 10 * 60 * 1000 };
export const DEFAULT_PER_USER: RateLimit = { max: 100, windowMs: 10 * 60 * 1000 };
/** Each check holds sockets and a TLS prober for up to a minute; a handful at once is what a small server should carry. */
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_MAX_WAITING = 8;

/**
 * Checks asked for per key in a sliding window. In memory: a restart forgets
 * the counts, which costs at most one window's worth of checks per client.
 */
export class CheckRateLimiter {
  readonly #times = new Map<string, number[]>();
  #calls = 0;

  /** Counts a check for `key` unless the window is full; then says how long until a place frees. */
  take(key: string, limit: RateLimit, now: number): { allowed: true } | { allowed: false; retryAfterMs: number } {
    const recent = (this.#times.get(key) ?? []).filter((time) => now - time < limit.windowMs);
    if (recent.length >= limit.max) {
      this.#times.set(key, recent);
      return { allowed: false, retryAfterMs: (recent[0] ?? now) + limit.windowMs - now };
    }
    recent.push(now);
    this.#times.set(key, recent);
    // Now and then, forget clients whose window has passed, so the map does not grow with every address ever seen.
    if (++this.#calls % 1000 === 0) this.#prune(now, limit.windowMs);
    return { allowed: true };
  }

  #prune(now: number, windowMs: number): void {
    for (const [key, times] of this.#times) if (times.every((time) => now - time >= windowMs)) this.#times.delete(key);
  }
}

const SUITES: readonly Suite[] = ["web", "mail"];

/** The report's words in the visitor's language. */
export function reportLabels(t: Translate): HtmlLabels {
  const statuses = Object.fromEntries(CHECK_STATUSES.map((status) => [status, t(`check.status.${status}` as MessageKey)])) as HtmlLabels["statuses"];
  const categories: Record<string, string> = { ...ENGLISH_LABELS.categories };
  for (const id of ["web.ipv6", "web.dnssec", "web.https", "web.appsecpriv", "web.rpki"]) categories[id] = t(`check.category.${id}` as MessageKey);
  return {
    title: t("check.report.title"),
    score: t("check.report.score"),
    notScored: t("check.report.notScored"),
    domain: t("check.report.domain"),
    suite: t("check.report.suite"),
    evidence: t("check.report.evidence"),
    fix: t("check.report.fix"),
    about: t("check.report.about"),
    pointsLost: t("check.report.pointsLost"),
    generated: t("check.report.generated"),
    noChecks: t("check.report.noChecks"),
    scoringNote: t("check.report.scoringNote"),
    weight: { recommended: t("check.report.recommended"), informational: t("check.report.informational") },
    statuses,
    categories,
  };
}

export function registerCheckRoutes(app: Hono<AppEnv>, options: CheckRouteOptions = {}): void {
  // Made on first use: an app that never checks (most tests) never builds a resolver.
  let settings = options.settings;
  const settingsOf = (): CheckSettings => (settings ??= defaultSettings(createResolver()));
  const limiter = new CheckRateLimiter();
  const perAddress = options.perAddress ?? DEFAULT_PER_ADDRESS;
  const perUser = options.perUser ?? DEFAULT_PER_USER;
  const queue = new WorkQueue({ concurrency: options.concurrency ?? DEFAULT_CONCURRENCY, maxWaiting: options.maxWaiting ?? DEFAULT_MAX_WAITING, perKey: 2, whenFull: "refuse-newest" });
  const check = options.check ?? checkAndScore;
  const now = options.now ?? Date.now;

  app.get("/check", async (c) => {
    const t = c.get("t");
    const given = c.req.query("domain");
    const suiteText = c.req.query("suite") ?? "web";
    if (given === undefined || given.trim() === "") return formPage(c, { domain: "", suite: "web" });
    const suite = SUITES.find((candidate) => candidate === suiteText);
    if (!suite) return formPage(c, { domain: given, suite: "web" }, { code: 400, error: t("check.badSuite") });
    if (checksOf(suite).length === 0) return formPage(c, { domain: given, suite }, { code: 400, error: t("check.noChecks") });
    let domain: string;
    try {
      domain = normalizeDomain(given);
    } catch (error) {
      if (!(error instanceof CheckInputError)) throw error;
      return formPage(c, { domain: given, suite }, { code: 400, error: t("check.badDomain", { reason: error.message }) });
    }
    if (c.req.header("sec-fetch-site") === "cross-site") return formPage(c, { domain, suite }, { code: 200, notice: t("check.fromElsewhere", { domain }) });

    const user = c.get("user");
    const key = user ? `user:${user.id}` : `address:${throttleAddress(clientAddress(peerAddress(c), c.req.header("x-forwarded-for"), c.get("services").limiter.proxies))}`;
    const limit = user ? perUser : perAddress;
    const verdict = limiter.take(key, limit, now());
    if (!verdict.allowed) {
      c.header("Retry-After", String(Math.ceil(verdict.retryAfterMs / 1000)));
      const values = { max: limit.max, minutes: Math.round(limit.windowMs / 60_000), wait: Math.max(1, Math.ceil(verdict.retryAfterMs / 60_000)) };
      return formPage(c, { domain, suite }, { code: 429, error: t("check.tooMany", values) });
    }

    let report: DomainReport;
    let notice: string | undefined;
    try {
      report = await queue.run(key, async () => {
        const current = settingsOf();
        const refused = await privateOnly(domain, current);
        if (refused.all) throw new PrivateTargetError(refused.addresses);
        if (refused.addresses.length > 0) notice = t("check.somePrivate", { domain, addresses: refused.addresses.join(", ") });
        return check(domain, suite, current);
      });
    } catch (error) {
      if (error instanceof PrivateTargetError) return formPage(c, { domain, suite }, { code: 400, error: t("check.private", { domain, addresses: error.addresses.join(", ") }) });
      if (!(error instanceof QueueFullError)) throw error;
      c.header("Retry-After", "60");
      return formPage(c, { domain, suite }, { code: 503, error: t("check.busy") });
    }
    c.header("Cache-Control", "no-store");
    const body = html`${form(t, { domain, suite })}
      <div class="bl-report">${raw(domainSection(report, { labels: reportLabels(t), standardHref: (standard) => `/standards/${encodeURIComponent(standard)}`, headingLevel: 2 }))}</div>
      <p class="bl-note">${t("check.report.scoringNote")}</p>
      <p class="muted">${t("check.cli")} <code>baseline check ${domain} --suite ${suite}</code></p>`;
    return c.html(page(pageContext(c), t("check.reportTitle", { domain }), withStyle(body), notice ? { notice } : undefined));
  });
}

class PrivateTargetError extends Error {
  readonly addresses: string[];
  constructor(addresses: string[]) {
    super(`only private addresses: ${addresses.join(", ")}`);
    this.addresses = addresses;
  }
}

/**
 * The addresses of the domain the policy refuses, and whether it has no
 * other: then nothing of it can be checked, and the visitor is told so
 * instead of reading a report of errors. A DNS failure is left to the
 * checks to report.
 */
async function privateOnly(domain: string, settings: CheckSettings): Promise<{ all: boolean; addresses: string[] }> {
  if (settings.allowPrivate) return { all: false, addresses: [] };
  const context = new DomainContext(domain, settings);
  try {
    const found = await context.addresses(domain);
    const addresses = found.refused.map((entry) => entry.address).slice(0, 10);
    return { all: addresses.length > 0 && found.ipv4.length === 0 && found.ipv6.length === 0, addresses };
  } catch {
    return { all: false, addresses: [] };
  } finally {
    context.close();
  }
}

function peerAddress(c: AppContext): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // called in-process (tests): no socket
  }
}

function form(t: Translate, values: { domain: string; suite: Suite }): SafeHtml {
  return html`<form method="get" action="/check" class="inline check-form">
    <div><label for="check-domain">${t("check.domain")}</label><input id="check-domain" name="domain" type="text" value="${values.domain}" placeholder="example.org" required autocomplete="url" spellcheck="false" style="min-width:18rem"></div>
    <div><label for="check-suite">${t("check.suite")}</label><select id="check-suite" name="suite">
      ${SUITES.map((suite) => {
        // A suite whose checks are not written yet is shown, but cannot be chosen.
        const ready = checksOf(suite).length > 0;
        const name = t(`check.suite.${suite}`);
        return html`<option value="${suite}"${suite === values.suite ? " selected" : ""}${ready ? "" : " disabled"}>${ready ? name : t("check.suite.unavailable", { suite: name })}</option>`;
      })}
    </select></div>
    <div><button type="submit">${t("check.run")}</button></div>
  </form>`;
}

function formPage(c: AppContext, values: { domain: string; suite: Suite }, status?: { code: 200 | 400 | 429 | 503; error?: string; notice?: string }): Response | Promise<Response> {
  const t = c.get("t");
  if (status) c.status(status.code);
  const body = html`<p>${t("check.intro")}</p>${form(t, values)}`;
  return c.html(page(pageContext(c), t("check.title"), withStyle(body), status));
}

/** The report's styles: the app's CSP allows inline styles ('unsafe-inline' for style-src). */
function withStyle(body: SafeHtml): SafeHtml {
  return html`<style>${raw(REPORT_CSS)}</style>${body}`;
}
