/**
 * Alerts to their channels: e-mail through the SMTP server the operator
 * names (`serve --smtp-url`), a webhook (a JSON POST signed with
 * HMAC-SHA256), and an Atom feed (RFC 4287) that readers poll. Each alert
 * row records its e-mail and webhook state ("none", "pending", "sent",
 * "failed: attempt N of M: why"); what failed is tried again on later
 * scheduler ticks, a bounded number of times. Every tick also looks for
 * contracts past their deadline with requirements still failing (one
 * "deadline" alert per contract).
 *
 * Webhook receivers verify `X-Baseline-Signature: sha256=HEX`, the
 * HMAC-SHA256 under the subject's webhook secret of
 * `${X-Baseline-Timestamp}.${body}`; the timestamp (seconds) lets them refuse
 * replays. Webhooks never reach loopback, private or special-purpose
 * addresses unless the server allows private targets (--allow-private), and
 * the address checked is the one connected to (no second DNS answer).
 *
 * @example
 *   const delivery = new AlertDeliverer({ store, smtpUrl: "smtp://127.0.0.1:25", mailFrom: "baseline@example.org" });
 *   const engine = new CampaignEngine({ store, settings, deliver: delivery.deliver, onTick: delivery.onTick });
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { Kysely } from "kysely";
import nodemailer, { type Transporter } from "nodemailer";
import { isSpecialPurpose } from "../dns/address-policy.ts";
import type { Schema, Store } from "../store/index.ts";
import { insertAlert, toAlert, type AlertDelivery, type AlertRecord } from "./alerts.ts";
import { contractCompliance } from "./compliance.ts";
import { getContract } from "./contracts.ts";

export interface DeliveryOptions {
  store: Store;
  /** smtp://host:port or smtps://...; absent: alerts with recipients record that no server is configured. */
  smtpUrl?: string;
  /** The From address of alert e-mails (default baseline@localhost). */
  mailFrom?: string;
  /** Whether webhooks may reach loopback and private addresses (the server's --allow-private). */
  allowPrivate?: boolean;
  /** The server's public address, for links in e-mails and webhooks (e.g. https://baseline.example.org). */
  baseUrl?: string;
  /** Per attempt, for the SMTP conversation and the webhook request (default 10 s). */
  timeoutMs?: number;
  /** Attempts per channel (default 5). */
  maxAttempts?: number;
  /** A pending alert untouched this long is taken up by a tick (its first delivery died with its process). */
  staleAfterMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_ATTEMPTS = 5;
/** Alerts older than this are not tried again: a week-old alarm is history, the feed holds it. */
const RETRY_WINDOW_MS = 24 * 3600 * 1000;

type Channel = "email" | "webhook";

interface Recipients {
  emails: string[];
  webhookUrl: string | null;
  webhookSecret: string | null;
}

export class WebhookRefusedError extends Error {
  override name = "WebhookRefusedError";
}

/** The signature header's value for a body sent at `timestamp` (seconds). */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** The attempt a channel's state records ("failed: attempt 2 of 5: ..." → 2; pending → 0). */
export function attemptsOf(state: string): number {
  const match = /^(?:failed|sending): attempt (\d+)/.exec(state);
  return match ? Number(match[1]) : 0;
}

export class AlertDeliverer {
  readonly #options: DeliveryOptions;
  readonly #transport: Transporter | null;

  constructor(options: DeliveryOptions) {
    const problem = options.smtpUrl === undefined ? null : smtpUrlProblem(options.smtpUrl);
    if (problem) throw new Error(problem);
    this.#options = options;
    const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#transport = options.smtpUrl
      ? nodemailer.createTransport({ url: options.smtpUrl, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout } as Parameters<typeof nodemailer.createTransport>[0])
      : null;
  }

  /** For CampaignEngine's `deliver`: both channels of one new alert. */
  readonly deliver: AlertDelivery = async (alert) => {
    await this.#deliverChannels(alert, ["email", "webhook"]);
  };

  /** For CampaignEngine's `onTick`: missed deadlines, then what is still to deliver. */
  readonly onTick = async (now: Date): Promise<void> => {
    await this.checkDeadlines(now);
    await this.retry(now);
  };

  /** Tries again the channels pending (stale) or failed with attempts left, of alerts from the last day. */
  async retry(now: Date = new Date()): Promise<number> {
    const db = this.#options.store.db;
    const since = new Date(now.getTime() - RETRY_WINDOW_MS).toISOString();
    const staleBefore = new Date(now.getTime() - (this.#options.staleAfterMs ?? 120_000)).toISOString();
    const rows = await db
      .selectFrom("alerts")
      .selectAll()
      .where("created_at", ">=", since)
      .where((eb) =>
        eb.or([
          eb("email_state", "like", "failed: attempt%"),
          eb("webhook_state", "like", "failed: attempt%"),
          eb.and([eb("created_at", "<=", staleBefore), eb.or([eb("email_state", "=", "pending"), eb("webhook_state", "=", "pending"), eb("email_state", "like", "sending:%"), eb("webhook_state", "like", "sending:%")])]),
        ]),
      )
      .orderBy("created_at")
      .limit(100)
      .execute();
    const max = this.#options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    let tried = 0;
    for (const row of rows) {
      // A "sending" state that old was left by a process that died mid-attempt (an attempt lasts seconds).
      const stale = row.created_at <= staleBefore;
      const due = (state: string): boolean => (stale && state === "pending") || ((state.startsWith("failed: attempt") || (stale && state.startsWith("sending:"))) && attemptsOf(state) < max);
      const channels: Channel[] = [];
      if (due(row.email_state)) channels.push("email");
      if (due(row.webhook_state)) channels.push("webhook");
      if (channels.length === 0) continue;
      tried += 1;
      await this.#deliverChannels(toAlert(row), channels);
    }
    return tried;
  }

  /**
   * One "deadline" alert for each contract whose deadline has passed (from
   * the day after it: the deadline day is the supplier's, as the contract's
   * page counts it) with non-exempted requirements failing in its latest
   * finished run; marked on the contract so that it goes out once.
   */
  async checkDeadlines(now: Date = new Date()): Promise<AlertRecord[]> {
    const db = this.#options.store.db;
    const today = now.toISOString().slice(0, 10);
    const due = await db.selectFrom("contracts").select("id").where("deadline_on", "is not", null).where("deadline_on", "<", today).where("deadline_alerted_at", "is", null).execute();
    const alerts: AlertRecord[] = [];
    for (const { id } of due) {
      const contract = await getContract(db, id);
      if (!contract) continue;
      const view = await contractCompliance(db, contract, now);
      const failing = view.cells.filter((cell) => cell.state === "failing");
      if (failing.length === 0) continue;
      // Claimed before the alert is written: two servers ticking at once make one alert.
      const claimed = await db.updateTable("contracts").set({ deadline_alerted_at: now.toISOString() }).where("id", "=", id).where("deadline_alerted_at", "is", null).executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) continue;
      const detail = {
        subjectName: contract.title,
        deadline: contract.deadlineOn ?? today,
        failing: failing.flatMap((cell) =>
          cell.tests.filter((test) => test.status === "failed").map((test) => ({ domain: cell.domain, suite: cell.suite, standard: cell.standard, testId: test.id, status: test.status })),
        ),
      };
      const standards = new Set(failing.map((cell) => cell.standard)).size;
      const alert = await insertAlert(db, { subjectKind: "contract", subjectId: id, runId: view.cells.find((cell) => cell.runId)?.runId ?? null, kind: "deadline", title: `${contract.title}: deadline ${detail.deadline} passed with ${standards} requirement(s) failing`, detail }, now);
      alerts.push(alert);
      await this.deliver(alert);
    }
    return alerts;
  }

  async #deliverChannels(alert: AlertRecord, channels: readonly Channel[]): Promise<void> {
    const db = this.#options.store.db;
    const recipients = await recipientsOf(db, alert);
    const max = this.#options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    for (const channel of channels) {
      const column = channel === "email" ? "email_state" : "webhook_state";
      const current = channel === "email" ? alert.emailState : alert.webhookState;
      const configured = channel === "email" ? recipients.emails.length > 0 : recipients.webhookUrl !== null;
      if (!configured) {
        await db.updateTable("alerts").set({ [column]: "none" }).where("id", "=", alert.id).where(column, "=", current).execute();
        continue;
      }
      const attempt = attemptsOf(current) + 1;
      // Claimed by a conditional update: a retrying tick and the first delivery do not both send.
      const claimed = await db.updateTable("alerts").set({ [column]: `sending: attempt ${attempt}` }).where("id", "=", alert.id).where(column, "=", current).executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) continue;
      let state: string;
      try {
        if (channel === "email") await this.#sendEmail(alert, recipients.emails);
        else await this.#sendWebhook(alert, recipients.webhookUrl as string, recipients.webhookSecret);
        state = "sent";
      } catch (error) {
        const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").slice(0, 300);
        state = `failed: attempt ${attempt} of ${max}: ${reason}`;
      }
      await db.updateTable("alerts").set({ [column]: state }).where("id", "=", alert.id).execute();
    }
  }

  async #sendEmail(alert: AlertRecord, to: string[]): Promise<void> {
    if (!this.#transport) throw new Error("no SMTP server configured (serve --smtp-url)");
    await this.#transport.sendMail({
      from: this.#options.mailFrom ?? "baseline@localhost",
      to,
      subject: `[Baseline] ${alert.title}`,
      text: alertText(alert, this.#options.baseUrl),
      headers: { "X-Baseline-Alert": alert.id },
    });
  }

  async #sendWebhook(alert: AlertRecord, url: string, secret: string | null): Promise<void> {
    const body = JSON.stringify(webhookPayload(alert, this.#options.baseUrl));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "Baseline-alerts",
      "x-baseline-event": alert.kind,
      "x-baseline-delivery": alert.id,
      "x-baseline-timestamp": timestamp,
    };
    if (secret) headers["x-baseline-signature"] = webhookSignature(secret, timestamp, body);
    await postJson(url, body, headers, { allowPrivate: this.#options.allowPrivate ?? false, timeoutMs: this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  }

  /** Closes the SMTP transport's pooled connections, if any. */
  close(): void {
    this.#transport?.close();
  }
}

/** Why `url` is no SMTP server's address (smtp://host[:port] or smtps://...), naming the option; null when it is one. nodemailer would take anything. */
export function smtpUrlProblem(url: string): string | null {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // Named below.
  }
  if (!parsed || (parsed.protocol !== "smtp:" && parsed.protocol !== "smtps:") || parsed.hostname === "") return `--smtp-url ${url}: expected smtp://host:port or smtps://host:port`;
  return null;
}

async function recipientsOf(db: Kysely<Schema>, alert: AlertRecord): Promise<Recipients> {
  const table = alert.subjectKind === "contract" ? "contracts" : alert.subjectKind === "portfolio" ? "portfolios" : null;
  if (!table) return { emails: [], webhookUrl: null, webhookSecret: null };
  const row = await db.selectFrom(table).select(["alert_emails", "webhook_url", "webhook_secret"]).where("id", "=", alert.subjectId).executeTakeFirst();
  if (!row) return { emails: [], webhookUrl: null, webhookSecret: null };
  return { emails: JSON.parse(row.alert_emails) as string[], webhookUrl: row.webhook_url, webhookSecret: row.webhook_secret };
}

/** Where an alert's subject is shown in the web app. */
export function subjectPath(alert: Pick<AlertRecord, "subjectKind" | "subjectId">): string {
  return alert.subjectKind === "contract" ? `/contracts/${alert.subjectId}` : alert.subjectKind === "portfolio" ? `/portfolios/${alert.subjectId}` : "/";
}

/** The lines of what an alert is about: each change or each failing requirement. */
export function alertLines(alert: AlertRecord): string[] {
  const lines: string[] = [];
  for (const change of alert.detail.changes ?? []) lines.push(`${change.domain} (${change.suite}) ${change.testId} [${change.standard}]: ${change.before} → ${change.after}`);
  for (const item of alert.detail.failing ?? []) lines.push(`${item.domain} (${item.suite}) ${item.testId} [${item.standard}]: ${item.status}`);
  return lines;
}

function alertText(alert: AlertRecord, baseUrl?: string): string {
  const lines = [alert.title, "", ...alertLines(alert).map((line) => `- ${line}`)];
  if (alert.detail.deadline) lines.push("", `Deadline: ${alert.detail.deadline}`);
  if (baseUrl) lines.push("", `${baseUrl.replace(/\/$/, "")}${subjectPath(alert)}`);
  lines.push("", `Alert ${alert.id} of ${alert.createdAt}.`);
  return `${lines.join("\n")}\n`;
}

function webhookPayload(alert: AlertRecord, baseUrl?: string): Record<string, unknown> {
  return {
    id: alert.id,
    kind: alert.kind,
    subject: { kind: alert.subjectKind, id: alert.subjectId, name: alert.detail.subjectName, ...(baseUrl ? { url: `${baseUrl.replace(/\/$/, "")}${subjectPath(alert)}` } : {}) },
    runId: alert.runId,
    title: alert.title,
    createdAt: alert.createdAt,
    ...(alert.detail.changes ? { changes: alert.detail.changes } : {}),
    ...(alert.detail.deadline ? { deadline: alert.detail.deadline } : {}),
    ...(alert.detail.failing ? { failing: alert.detail.failing } : {}),
  };
}

/**
 * POSTs `body` to `url`: the host's addresses are looked up once and
 * checked (no special-purpose address unless allowed), and the request
 * connects to the address checked. Any status but 2xx is a failure.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, options: { allowPrivate: boolean; timeoutMs: number }): Promise<number> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new WebhookRefusedError(`webhook URL ${url} is not a URL`);
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") throw new WebhookRefusedError(`webhook URL ${url}: expected http or https`);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) !== 0 ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  if (addresses.length === 0) throw new WebhookRefusedError(`webhook host ${host} has no address`);
  if (!options.allowPrivate) {
    const special = addresses.find((entry) => isSpecialPurpose(entry.address));
    if (special) throw new WebhookRefusedError(`webhook host ${host} is at ${special.address}: loopback, private or special-purpose (allowed only with --allow-private)`);
  }
  const chosen = addresses[0] as { address: string; family: number };
  const client = target.protocol === "https:" ? https : http;
  return new Promise<number>((resolve, reject) => {
    const request = client.request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        timeout: options.timeoutMs,
        // The address checked above, whatever DNS says now.
        lookup: (_hostname, lookupOptions, callback) => {
          if (typeof lookupOptions === "object" && lookupOptions.all) callback(null, [{ address: chosen.address, family: chosen.family }]);
          else callback(null, chosen.address, chosen.family);
        },
      },
      (response) => {
        response.resume();
        response.on("end", () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(status);
          else reject(new Error(`webhook answered HTTP ${status}`));
        });
      },
    );
    // `timeout` above is the socket's idle time: a receiver that sends a byte now and then never trips it. The
    // deadline bounds the whole exchange.
    const deadline = setTimeout(() => request.destroy(new Error(`webhook did not answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    request.on("close", () => clearTimeout(deadline));
    request.on("timeout", () => request.destroy(new Error(`webhook did not answer within ${options.timeoutMs} ms`)));
    request.on("error", reject);
    request.end(body);
  });
}

// ---------------------------------------------------------------- Atom feed

export interface FeedOptions {
  /** The feed's own URL (without secrets: it is the feed's id). */
  id: string;
  title: string;
  /** Absolute base of the links (http://host:port). */
  baseUrl: string;
  /** The URL readers fetch (rel="self"), token included. */
  selfUrl: string;
  now?: Date;
}

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[character] ?? "amp"};`).replace(/\p{Cc}/gu, (character) => (character === "\n" || character === "\t" || character === "\r" ? character : ""));
}

/** An Atom feed (RFC 4287) of alerts, newest first: each entry's id is the alert's urn:uuid. */
export function atomFeed(alerts: readonly AlertRecord[], options: FeedOptions): string {
  const base = options.baseUrl.replace(/\/$/, "");
  const updated = alerts[0]?.createdAt ?? (options.now ?? new Date()).toISOString();
  const entries = alerts.map((alert) => {
    const lines = alertLines(alert);
    const summary = [alert.title, ...lines].join("\n");
    return `  <entry>
    <id>urn:uuid:${xml(alert.id)}</id>
    <title>${xml(alert.title)}</title>
    <updated>${xml(alert.createdAt)}</updated>
    <link rel="alternate" type="text/html" href="${xml(`${base}${subjectPath(alert)}`)}"/>
    <category term="${xml(alert.kind)}"/>
    <summary type="text">${xml(summary)}</summary>
  </entry>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${xml(options.id)}</id>
  <title>${xml(options.title)}</title>
  <updated>${xml(updated)}</updated>
  <author><name>Baseline</name></author>
  <link rel="self" type="application/atom+xml" href="${xml(options.selfUrl)}"/>
  <link rel="alternate" type="text/html" href="${xml(`${base}/contracts`)}"/>
${entries.join("\n")}
</feed>
`;
}

// ---------------------------------------------------------- feed readers' tokens

/**
 * A feed reader sends no session cookie, so a feed URL carries a token:
 * per user, the HMAC-SHA256 of the user's id under the user's stored
 * password hash (a secret only the database holds). It needs no table of
 * its own, works on every server sharing the database, and changing the
 * password (or deleting the account) revokes it.
 */
export async function feedToken(db: Kysely<Schema>, userId: string): Promise<string | null> {
  const row = await db.selectFrom("users").select("password_hash").where("id", "=", userId).executeTakeFirst();
  return row ? createHmac("sha256", row.password_hash).update(`baseline-feed:${userId}`).digest("base64url").slice(0, 32) : null;
}

export async function verifyFeedToken(db: Kysely<Schema>, userId: string, token: string): Promise<boolean> {
  if (userId.length > 100 || token.length !== 32) return false;
  const expected = await feedToken(db, userId);
  return expected !== null && timingSafeEqual(Buffer.from(expected), Buffer.from(token));
}
