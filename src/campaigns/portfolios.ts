/**
 * Portfolios: named sets of domains (each with its organisation, sector and
 * region) that are checked together on a schedule, and the alert settings
 * of their regressions. Like the observatory's repositories, every write
 * validates its input (zod), runs in a transaction and records itself in
 * the audit log in that transaction.
 *
 * Setting or changing the schedule sets next_run_at (scheduler.ts
 * firstRunAt), which is what the scheduler watches; "manual" clears it.
 * The webhook secret is never written to the audit log (only whether it
 * changed).
 *
 * @example
 *   const portfolio = await createPortfolio(db, { name: "Ministries", schedule: "weekly" }, user.id);
 *   await addPortfolioDomains(db, portfolio.id, [{ domain: "example.nl", organisation: "Ministry A" }], user.id);
 */
import type { Kysely } from "kysely";
import { z } from "zod";
import { audit, changedFields } from "../store/audit.ts";
import { SUITE_CHOICES, type Schema, type SuiteChoice } from "../store/schema.ts";
import { ConflictError, NotFoundError, inTransaction, newId, pageOf, parseInput, timestamp, ValidationError } from "../store/support.ts";
import { normaliseSchedule, ScheduleError } from "./schedule.ts";
import { firstRunAt } from "./scheduler.ts";

/**
 * Domains a portfolio may hold. Each run checks every domain (twice with
 * both suites); at the embedded queue's 8 at once and some 20 s a domain,
 * 10,000 domains are about 7 hours a run: past that a schedule of "daily"
 * cannot keep up on one server.
 */
export const MAX_PORTFOLIO_DOMAINS = 10_000;
/** Addresses alerted per portfolio: a list of people, not a mailing list. */
export const MAX_ALERT_EMAILS = 20;

export interface Portfolio {
  id: string;
  name: string;
  description: string | null;
  suites: SuiteChoice;
  /** manual, daily, weekly, monthly or a five-field cron expression (UTC), normalised. */
  schedule: string;
  nextRunAt: string | null;
  alertEmails: string[];
  webhookUrl: string | null;
  webhookSecret: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PortfolioDomain {
  portfolioId: string;
  domain: string;
  organisation: string | null;
  sector: string | null;
  region: string | null;
  institutionId: string | null;
  addedAt: string;
}

/** Blank text is absent: forms send "" for a field left empty. */
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => (value ? value : null));

const scheduleField = z
  .string()
  .trim()
  .default("manual")
  .transform((value, context) => {
    try {
      return normaliseSchedule(value === "" ? "manual" : value);
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      context.addIssue({ code: "custom", message: error.message });
      return z.NEVER;
    }
  });

export const portfolioInput = z.object({
  name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  description: optionalText(2000),
  suites: z.enum(SUITE_CHOICES, { error: `must be one of ${SUITE_CHOICES.join(", ")}` }).default("all"),
  schedule: scheduleField,
  alertEmails: z
    .array(z.string().trim().toLowerCase().pipe(z.email("must be an e-mail address")))
    .max(MAX_ALERT_EMAILS, `at most ${MAX_ALERT_EMAILS} addresses`)
    .default([])
    .transform((emails) => [...new Set(emails)]),
  // Plain http too: a webhook receiver inside the buyer's network may have no certificate; the signature still authenticates.
  webhookUrl: optionalText(2000).pipe(z.url({ protocol: /^https?$/, error: "must be an http:// or https:// address" }).nullable()),
  webhookSecret: optionalText(200),
});

export type PortfolioInput = z.input<typeof portfolioInput>;

export const portfolioDomainInput = z.object({
  domain: z.string().trim().toLowerCase().min(1, "must not be empty").max(253, "must be at most 253 characters"),
  organisation: optionalText(300),
  sector: optionalText(200),
  region: optionalText(50),
  institutionId: optionalText(100),
});

export type PortfolioDomainInput = z.input<typeof portfolioDomainInput>;

type PortfolioRow = Schema["portfolios"];

function toPortfolio(row: PortfolioRow): Portfolio {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    suites: row.suites,
    schedule: row.schedule,
    nextRunAt: row.next_run_at,
    alertEmails: JSON.parse(row.alert_emails) as string[],
    webhookUrl: row.webhook_url,
    webhookSecret: row.webhook_secret,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toDomain(row: Schema["portfolio_domains"]): PortfolioDomain {
  return {
    portfolioId: row.portfolio_id,
    domain: row.domain,
    organisation: row.organisation,
    sector: row.sector,
    region: row.region,
    institutionId: row.institution_id,
    addedAt: row.added_at,
  };
}

/** What the audit log keeps of a portfolio: everything but the secret, which it only says is set. */
function auditable(portfolio: Omit<Portfolio, "id" | "createdAt" | "updatedAt" | "nextRunAt"> & { webhookSecret: string | null }): Record<string, unknown> {
  const { webhookSecret, ...rest } = portfolio;
  return { ...rest, webhookSecret: webhookSecret === null ? null : "(set)" };
}

export async function createPortfolio(db: Kysely<Schema>, input: PortfolioInput, actorId: string | null, now: Date = new Date()): Promise<Portfolio> {
  const valid = parseInput(portfolioInput, input, "portfolio");
  const row: PortfolioRow = {
    id: newId(),
    name: valid.name,
    description: valid.description,
    suites: valid.suites,
    schedule: valid.schedule,
    next_run_at: firstRunAt(valid.schedule, now),
    alert_emails: JSON.stringify(valid.alertEmails),
    webhook_url: valid.webhookUrl,
    webhook_secret: valid.webhookSecret,
    created_at: timestamp(now),
    updated_at: timestamp(now),
  };
  return inTransaction(db, async (trx) => {
    await trx.insertInto("portfolios").values(row).execute();
    await audit(trx, { userId: actorId, action: "create", entity: "portfolio", entityId: row.id, detail: auditable(valid) });
    return toPortfolio(row);
  });
}

export async function getPortfolio(db: Kysely<Schema>, id: string): Promise<Portfolio | undefined> {
  const row = await db.selectFrom("portfolios").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toPortfolio(row);
}

export interface PortfolioSummary extends Portfolio {
  domains: number;
}

/** Every portfolio by name, with its number of domains (a list of some dozens). */
export async function listPortfolios(db: Kysely<Schema>): Promise<PortfolioSummary[]> {
  const rows = await db.selectFrom("portfolios").selectAll().orderBy("name").orderBy("id").execute();
  const counts = await db.selectFrom("portfolio_domains").select(["portfolio_id", (eb) => eb.fn.countAll<string>().as("n")]).groupBy("portfolio_id").execute();
  const byId = new Map(counts.map((count) => [count.portfolio_id, Number(count.n)]));
  return rows.map((row) => ({ ...toPortfolio(row), domains: byId.get(row.id) ?? 0 }));
}

/**
 * Replaces the portfolio's settings with `input`. The next run time is set
 * anew only when the schedule changes, so that saving the form does not
 * push a due run away. A webhook secret left out (undefined) is kept: the
 * form never shows it back.
 */
export async function updatePortfolio(db: Kysely<Schema>, id: string, input: PortfolioInput, actorId: string | null, now: Date = new Date()): Promise<Portfolio> {
  return inTransaction(db, async (trx) => {
    const before = await getPortfolio(trx, id);
    if (!before) throw new NotFoundError(`no portfolio with id ${id}`);
    const valid = parseInput(portfolioInput, { ...input, webhookSecret: input.webhookSecret === undefined ? before.webhookSecret : input.webhookSecret }, "portfolio");
    const nextRunAt = valid.schedule === before.schedule ? before.nextRunAt : firstRunAt(valid.schedule, now);
    await trx
      .updateTable("portfolios")
      .set({
        name: valid.name,
        description: valid.description,
        suites: valid.suites,
        schedule: valid.schedule,
        next_run_at: nextRunAt,
        alert_emails: JSON.stringify(valid.alertEmails),
        webhook_url: valid.webhookUrl,
        webhook_secret: valid.webhookSecret,
        updated_at: timestamp(now),
      })
      .where("id", "=", id)
      .execute();
    const after = (await getPortfolio(trx, id)) as Portfolio;
    const changes = changedFields(auditable(before), auditable(after));
    await audit(trx, { userId: actorId, action: "update", entity: "portfolio", entityId: id, detail: changes });
    return after;
  });
}

/** Deletes the portfolio and its domains; its runs and their results go too (they are history of nothing). */
export async function deletePortfolio(db: Kysely<Schema>, id: string, actorId: string | null): Promise<void> {
  await inTransaction(db, async (trx) => {
    const before = await getPortfolio(trx, id);
    if (!before) throw new NotFoundError(`no portfolio with id ${id}`);
    // runs.subject_id is no foreign key (a run's subject may be of three kinds): its rows go by hand.
    await trx.deleteFrom("runs").where("subject_kind", "=", "portfolio").where("subject_id", "=", id).execute();
    await trx.deleteFrom("portfolios").where("id", "=", id).execute();
    await audit(trx, { userId: actorId, action: "delete", entity: "portfolio", entityId: id, detail: { name: before.name } });
  });
}

export async function countPortfolioDomains(db: Kysely<Schema>, portfolioId: string): Promise<number> {
  const row = await db.selectFrom("portfolio_domains").select((eb) => eb.fn.countAll<string>().as("n")).where("portfolio_id", "=", portfolioId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One page of the portfolio's domains, by domain. */
export async function listPortfolioDomains(db: Kysely<Schema>, portfolioId: string, page: { limit?: number; offset?: number } = {}): Promise<PortfolioDomain[]> {
  const { limit, offset } = pageOf(page.limit, page.offset);
  const rows = await db.selectFrom("portfolio_domains").selectAll().where("portfolio_id", "=", portfolioId).orderBy("domain").limit(limit).offset(offset).execute();
  return rows.map(toDomain);
}

export async function getPortfolioDomain(db: Kysely<Schema>, portfolioId: string, domain: string): Promise<PortfolioDomain | undefined> {
  const row = await db.selectFrom("portfolio_domains").selectAll().where("portfolio_id", "=", portfolioId).where("domain", "=", domain).executeTakeFirst();
  return row && toDomain(row);
}

export interface AddedDomains {
  /** Domains new to the portfolio. */
  added: number;
  /** Domains it had, whose organisation, sector, region or institution were replaced. */
  updated: number;
}

/** Rows per statement: SQLite caps a statement's parameters (7 per row). */
const CHUNK = 100;

/**
 * Adds domains to the portfolio, or replaces the details of those it has
 * (a later import corrects an earlier one). Refused whole, naming the
 * limit, when the portfolio would hold more than `limit` domains. The
 * domains must be normalised already (domain-import.ts does it).
 */
export async function addPortfolioDomains(
  db: Kysely<Schema>,
  portfolioId: string,
  entries: readonly PortfolioDomainInput[],
  actorId: string | null,
  options: { limit?: number; now?: Date; source?: string } = {},
): Promise<AddedDomains> {
  const limit = options.limit ?? MAX_PORTFOLIO_DOMAINS;
  const valid = new Map<string, z.output<typeof portfolioDomainInput>>();
  entries.forEach((entry, index) => {
    const parsed = portfolioDomainInput.safeParse(entry);
    if (!parsed.success) throw new ValidationError("portfolio domain", parsed.error.issues.map((issue) => ({ path: [index, ...issue.path].map(String).join("."), message: issue.message })));
    valid.set(parsed.data.domain, parsed.data);
  });
  const now = timestamp(options.now);
  return inTransaction(db, async (trx) => {
    if (!(await getPortfolio(trx, portfolioId))) throw new NotFoundError(`no portfolio with id ${portfolioId}`);
    const domains = [...valid.keys()];
    const existing = new Set<string>();
    for (let start = 0; start < domains.length; start += 500) {
      const rows = await trx.selectFrom("portfolio_domains").select("domain").where("portfolio_id", "=", portfolioId).where("domain", "in", domains.slice(start, start + 500)).execute();
      for (const row of rows) existing.add(row.domain);
    }
    const added = domains.length - existing.size;
    const total = (await countPortfolioDomains(trx, portfolioId)) + added;
    if (total > limit) throw new ConflictError(`the portfolio would hold ${total} domains; the limit is ${limit} domains per portfolio`);
    // Institutions picked must exist: a dangling id would fail the foreign key with a database's own words.
    const institutionIds = [...new Set([...valid.values()].map((entry) => entry.institutionId).filter((id): id is string => id !== null))];
    if (institutionIds.length > 0) {
      const found = new Set((await trx.selectFrom("institutions").select("id").where("id", "in", institutionIds).execute()).map((row) => row.id));
      const missing = institutionIds.filter((id) => !found.has(id));
      if (missing.length > 0) throw new ValidationError("portfolio domain", [{ path: "institutionId", message: `no institution with id ${missing.join(", ")}` }]);
    }
    const rows = [...valid.values()].map((entry) => ({
      portfolio_id: portfolioId,
      domain: entry.domain,
      organisation: entry.organisation,
      sector: entry.sector,
      region: entry.region,
      institution_id: entry.institutionId,
      added_at: now,
    }));
    for (let start = 0; start < rows.length; start += CHUNK) {
      await trx
        .insertInto("portfolio_domains")
        .values(rows.slice(start, start + CHUNK))
        .onConflict((conflict) =>
          conflict.columns(["portfolio_id", "domain"]).doUpdateSet((eb) => ({
            organisation: eb.ref("excluded.organisation"),
            sector: eb.ref("excluded.sector"),
            region: eb.ref("excluded.region"),
            institution_id: eb.ref("excluded.institution_id"),
          })),
        )
        .execute();
    }
    await trx.updateTable("portfolios").set({ updated_at: now }).where("id", "=", portfolioId).execute();
    // The counts and a sample, not 10,000 domains: the log stays readable.
    await audit(trx, { userId: actorId, action: "import", entity: "portfolio", entityId: portfolioId, detail: { added, updated: existing.size, source: options.source ?? null, sample: domains.slice(0, 20) } });
    return { added, updated: existing.size };
  });
}

/** Removes domains from the portfolio: false when it had none of them. Past runs keep their results. */
export async function removePortfolioDomains(db: Kysely<Schema>, portfolioId: string, domains: readonly string[], actorId: string | null): Promise<boolean> {
  if (domains.length === 0) return false;
  return inTransaction(db, async (trx) => {
    const removed = await trx.deleteFrom("portfolio_domains").where("portfolio_id", "=", portfolioId).where("domain", "in", [...domains]).executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) return false;
    await audit(trx, { userId: actorId, action: "remove-domains", entity: "portfolio", entityId: portfolioId, detail: { domains: domains.slice(0, 20), count: Number(removed.numDeletedRows) } });
    return true;
  });
}
