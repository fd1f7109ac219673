/**
 * Contracts after award: who bought what from whom, the standards the
 * supplier must meet (the catalog's requirement set for what was bought, or
 * what an analysed tender asked for), the deadline, and the assets (web and
 * mail domains) whose checks show whether the supplier does. Every write is
 * validated (zod) and recorded in the audit log in the same transaction.
 *
 * @example
 *   const standards = catalogStandards(catalog, { categories: ["web-hosting"] });
 *   const contract = await createContract(store.db, catalog, { title: "Hosting", buyer: "City", supplier: "ACME", standards }, user.id);
 *   await setAssets(store.db, contract.id, [{ domain: "acme.example", suite: "web" }], user.id);
 */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Catalog } from "../catalog/catalog.ts";
import { REQUIRED_LANGUAGES, type Language } from "../catalog/schema.ts";
import { normalizeDomain } from "../checks/context.ts";
import { requirementsFor } from "../requirements/select.ts";
import { audit, type Schema } from "../store/index.ts";
import { NotFoundError, ValidationError, inTransaction, parseInput, type Issue } from "../store/support.ts";
import { letterLanguage } from "../tenders/monitor/letter.ts";
import type { TenderAnalysis } from "../tenders/types.ts";
import { normaliseSchedule, ScheduleError } from "./schedule.ts";
import { firstRunAt } from "./scheduler.ts";

export interface ContractAsset {
  domain: string;
  suite: "web" | "mail";
}

export interface Contract {
  id: string;
  title: string;
  buyer: string;
  supplier: string;
  language: Language;
  categories: string[];
  cpvCodes: string[];
  standards: string[];
  source: string | null;
  signedOn: string | null;
  deadlineOn: string | null;
  schedule: string;
  nextRunAt: string | null;
  deadlineAlertedAt: string | null;
  alertEmails: string[];
  webhookUrl: string | null;
  /** Never shown on pages; the webhook's HMAC key. */
  webhookSecret: string | null;
  assets: ContractAsset[];
  createdAt: string;
  updatedAt: string;
}

/** A calendar day, YYYY-MM-DD (2026-02-31 is refused: Date.parse would roll it over to March). */
export const calendarDay = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date YYYY-MM-DD")
  .refine((text) => !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text), "not a calendar date");
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .nullish()
    .transform((text) => (text ? text : null));

/** What a contract form, an import file or the API gives. */
export const contractInput = z.strictObject({
  title: z.string().trim().min(1, "required").max(300),
  buyer: z.string().trim().min(1, "required").max(300),
  supplier: z.string().trim().min(1, "required").max(300),
  language: z.enum(REQUIRED_LANGUAGES).default("en"),
  categories: z.array(z.string().trim().min(1).max(100)).max(50).default([]),
  cpvCodes: z.array(z.string().trim().min(1).max(20)).max(200).default([]),
  /** Empty: the catalog's mandatory set for the categories and CPV codes. */
  standards: z.array(z.string().trim().min(1).max(100)).max(100).default([]),
  source: optionalText(500),
  signedOn: calendarDay.nullish().transform((value) => value ?? null),
  deadlineOn: calendarDay.nullish().transform((value) => value ?? null),
  schedule: z.string().trim().max(100).default("manual"),
  alertEmails: z.array(z.email("not an e-mail address").max(254)).max(20).default([]),
  webhookUrl: z
    .url({ protocol: /^https?$/, error: "expected an http(s) URL" })
    .max(2000)
    .nullish()
    .transform((value) => value ?? null),
  webhookSecret: optionalText(200),
  assets: z.array(z.strictObject({ domain: z.string().trim().min(1).max(253), suite: z.enum(["web", "mail"]) })).max(1000).optional(),
});
export type ContractInput = z.input<typeof contractInput>;

/**
 * The standard ids of the catalog's requirement set for what is bought. By
 * default the mandatory ones: what the catalog recommends was an award
 * criterion in the tender, an obligation only if the buyer ticks it.
 */
export function catalogStandards(catalog: Catalog, scope: { categories?: readonly string[]; cpv?: readonly string[]; level?: "mandatory" | "all" }): string[] {
  return requirementsFor(catalog, { categories: scope.categories ?? [], cpv: scope.cpv ?? [], level: scope.level ?? "mandatory" }).requirements.map((requirement) => requirement.standard);
}

/**
 * The contract an analysed tender becomes (the one action of the tender
 * monitor): its buyer, what it bought, and the standards it requested.
 */
export function contractFromTender(analysis: TenderAnalysis): ContractInput {
  return {
    title: analysis.title?.trim() || analysis.source.split(/[\\/]/).at(-1) || "Contract",
    buyer: analysis.authority?.trim() ?? "",
    supplier: "",
    language: letterLanguage(analysis.language),
    categories: [...analysis.categories],
    cpvCodes: analysis.cpv.map((code) => code.slice(0, 8)),
    standards: [...new Set(analysis.requested.map((entry) => entry.standard))],
    source: `tender: ${analysis.title?.trim() || analysis.source.split(/[\\/]/).at(-1) || analysis.source}`,
  };
}

type Valid = z.output<typeof contractInput>;

/** Checks ids against the catalog and fills the standards from it when none are given; throws ValidationError naming the field. */
function resolveAgainstCatalog(catalog: Catalog, valid: Valid): Valid & { standards: string[]; schedule: string; assets?: ContractAsset[] } {
  const issues: Issue[] = [];
  const categories = [...new Set(valid.categories)];
  categories.forEach((id, index) => {
    if (!catalog.categories.some((category) => category.id === id)) issues.push({ path: `categories.${index}`, message: `unknown category "${id}"` });
  });
  const cpvCodes: string[] = [];
  valid.cpvCodes.forEach((input, index) => {
    try {
      const entry = catalog.cpv.resolve(input);
      const code = catalog.cpv.format(entry);
      if (!cpvCodes.includes(code)) cpvCodes.push(code);
    } catch (error) {
      issues.push({ path: `cpvCodes.${index}`, message: error instanceof Error ? error.message : String(error) });
    }
  });
  let standards = [...new Set(valid.standards)];
  standards.forEach((id, index) => {
    if (!catalog.hasStandard(id)) issues.push({ path: `standards.${index}`, message: `unknown standard "${id}"` });
  });
  let schedule = "manual";
  try {
    schedule = normaliseSchedule(valid.schedule);
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    issues.push({ path: "schedule", message: error.message });
  }
  if (valid.signedOn && valid.deadlineOn && valid.deadlineOn < valid.signedOn) issues.push({ path: "deadlineOn", message: "the deadline is before the signature" });
  const assets = valid.assets === undefined ? undefined : normaliseAssets(valid.assets, issues);
  if (issues.length === 0 && standards.length === 0) {
    if (categories.length === 0 && cpvCodes.length === 0) issues.push({ path: "standards", message: "give the standards, or categories or CPV codes to take them from the catalog" });
    else {
      try {
        standards = catalogStandards(catalog, { categories, cpv: cpvCodes });
      } catch (error) {
        issues.push({ path: "cpvCodes", message: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  if (issues.length > 0) throw new ValidationError("contract", issues);
  return { ...valid, categories, cpvCodes, standards, schedule, ...(assets ? { assets } : {}) };
}

function normaliseAssets(assets: readonly ContractAsset[], issues: Issue[]): ContractAsset[] {
  const seen = new Map<string, ContractAsset>();
  assets.forEach((asset, index) => {
    try {
      const domain = normalizeDomain(asset.domain);
      seen.set(`${domain} ${asset.suite}`, { domain, suite: asset.suite });
    } catch (error) {
      issues.push({ path: `assets.${index}.domain`, message: error instanceof Error ? error.message : String(error) });
    }
  });
  return [...seen.values()].sort((a, b) => a.domain.localeCompare(b.domain) || a.suite.localeCompare(b.suite));
}

type ContractRow = Schema["contracts"];

function toContract(row: ContractRow, assets: ContractAsset[]): Contract {
  return {
    id: row.id,
    title: row.title,
    buyer: row.buyer,
    supplier: row.supplier,
    language: letterLanguage(row.language),
    categories: JSON.parse(row.categories) as string[],
    cpvCodes: JSON.parse(row.cpv_codes) as string[],
    standards: JSON.parse(row.standards) as string[],
    source: row.source,
    signedOn: row.signed_on,
    deadlineOn: row.deadline_on,
    schedule: row.schedule,
    nextRunAt: row.next_run_at,
    deadlineAlertedAt: row.deadline_alerted_at,
    alertEmails: JSON.parse(row.alert_emails) as string[],
    webhookUrl: row.webhook_url,
    webhookSecret: row.webhook_secret,
    assets,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function columnsOf(valid: ReturnType<typeof resolveAgainstCatalog>): Omit<ContractRow, "id" | "created_at" | "updated_at" | "next_run_at" | "deadline_alerted_at"> {
  return {
    title: valid.title,
    buyer: valid.buyer,
    supplier: valid.supplier,
    language: valid.language,
    categories: JSON.stringify(valid.categories),
    cpv_codes: JSON.stringify(valid.cpvCodes),
    standards: JSON.stringify(valid.standards),
    source: valid.source,
    signed_on: valid.signedOn,
    deadline_on: valid.deadlineOn,
    schedule: valid.schedule,
    alert_emails: JSON.stringify([...new Set(valid.alertEmails.map((address) => address.toLowerCase()))]),
    webhook_url: valid.webhookUrl,
    webhook_secret: valid.webhookSecret,
  };
}

async function writeAssets(db: Kysely<Schema>, contractId: string, assets: readonly ContractAsset[]): Promise<void> {
  await db.deleteFrom("contract_assets").where("contract_id", "=", contractId).execute();
  if (assets.length > 0) await db.insertInto("contract_assets").values(assets.map((asset) => ({ contract_id: contractId, domain: asset.domain, suite: asset.suite }))).execute();
}

export async function createContract(db: Kysely<Schema>, catalog: Catalog, input: unknown, actorId: string | null, now: Date = new Date()): Promise<Contract> {
  const valid = resolveAgainstCatalog(catalog, parseInput(contractInput, input, "contract"));
  const id = randomUUID();
  const at = now.toISOString();
  await inTransaction(db, async (trx) => {
    await trx
      .insertInto("contracts")
      .values({ id, ...columnsOf(valid), next_run_at: firstRunAt(valid.schedule, now), deadline_alerted_at: null, created_at: at, updated_at: at })
      .execute();
    if (valid.assets) await writeAssets(trx, id, valid.assets);
    await audit(trx, { userId: actorId, action: "create", entity: "contract", entityId: id, detail: { title: valid.title, supplier: valid.supplier, standards: valid.standards, assets: valid.assets?.length ?? 0 } });
  });
  return (await getContract(db, id)) as Contract;
}

/** Replaces the contract's fields (and its assets when the input lists them). A changed schedule restarts from now; a changed deadline may alert again. */
export async function updateContract(db: Kysely<Schema>, catalog: Catalog, id: string, input: unknown, actorId: string | null, now: Date = new Date()): Promise<Contract> {
  const valid = resolveAgainstCatalog(catalog, parseInput(contractInput, input, "contract"));
  await inTransaction(db, async (trx) => {
    const before = await trx.selectFrom("contracts").selectAll().where("id", "=", id).executeTakeFirst();
    if (!before) throw new NotFoundError(`no contract ${id}`);
    const columns = columnsOf(valid);
    await trx
      .updateTable("contracts")
      .set({
        ...columns,
        next_run_at: columns.schedule === before.schedule ? before.next_run_at : firstRunAt(columns.schedule, now),
        deadline_alerted_at: columns.deadline_on === before.deadline_on ? before.deadline_alerted_at : null,
        updated_at: now.toISOString(),
      })
      .where("id", "=", id)
      .execute();
    if (valid.assets) await writeAssets(trx, id, valid.assets);
    const changed = Object.fromEntries(Object.entries(columns).filter(([key, value]) => key !== "webhook_secret" && before[key as keyof typeof columns] !== value));
    await audit(trx, { userId: actorId, action: "update", entity: "contract", entityId: id, detail: changed });
  });
  return (await getContract(db, id)) as Contract;
}

/** Replaces the assets a contract covers; throws ValidationError for a name that is not a domain. */
export async function setAssets(db: Kysely<Schema>, id: string, assets: readonly ContractAsset[], actorId: string | null): Promise<ContractAsset[]> {
  const issues: Issue[] = [];
  const parsed = parseInput(z.array(z.strictObject({ domain: z.string().trim().min(1).max(253), suite: z.enum(["web", "mail"]) })).max(1000), assets, "assets");
  const valid = normaliseAssets(parsed, issues);
  if (issues.length > 0) throw new ValidationError("assets", issues);
  await inTransaction(db, async (trx) => {
    const exists = await trx.selectFrom("contracts").select("id").where("id", "=", id).executeTakeFirst();
    if (!exists) throw new NotFoundError(`no contract ${id}`);
    await writeAssets(trx, id, valid);
    await trx.updateTable("contracts").set({ updated_at: new Date().toISOString() }).where("id", "=", id).execute();
    await audit(trx, { userId: actorId, action: "update", entity: "contract", entityId: id, detail: { assets: valid.map((asset) => `${asset.domain} (${asset.suite})`) } });
  });
  return valid;
}

/** Deletes the contract with its assets, exemptions and runs (their results go with them); its alerts stay, as a record. */
export async function deleteContract(db: Kysely<Schema>, id: string, actorId: string | null): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await trx.selectFrom("contracts").select(["title"]).where("id", "=", id).executeTakeFirst();
    if (!row) throw new NotFoundError(`no contract ${id}`);
    await trx.deleteFrom("contract_assets").where("contract_id", "=", id).execute();
    await trx.deleteFrom("exemptions").where("contract_id", "=", id).execute();
    // runs.subject_id is no foreign key (a run's subject is of three kinds): the contract's runs go by hand, as a
    // portfolio's do, so that a run under way stops (its handler finds no run) and raises no alert for a contract that is gone.
    await trx.deleteFrom("runs").where("subject_kind", "=", "contract").where("subject_id", "=", id).execute();
    await trx.deleteFrom("contracts").where("id", "=", id).execute();
    await audit(trx, { userId: actorId, action: "delete", entity: "contract", entityId: id, detail: { title: row.title } });
  });
}

export async function getContract(db: Kysely<Schema>, id: string): Promise<Contract | undefined> {
  const row = await db.selectFrom("contracts").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) return undefined;
  const assets = await db.selectFrom("contract_assets").select(["domain", "suite"]).where("contract_id", "=", id).orderBy("domain").orderBy("suite").execute();
  return toContract(
    row,
    assets.map(({ domain, suite }) => ({ domain, suite })),
  );
}

/** Contracts by title (a supplier's only, when given; its name compared without regard to case). */
export async function listContracts(db: Kysely<Schema>, filter: { supplier?: string } = {}): Promise<Contract[]> {
  let query = db.selectFrom("contracts").selectAll().orderBy("title").orderBy("id").limit(1000);
  if (filter.supplier !== undefined) query = query.where((eb) => eb(eb.fn("lower", ["supplier"]), "=", filter.supplier?.trim().toLowerCase() ?? ""));
  const rows = await query.execute();
  if (rows.length === 0) return [];
  const assets = await db
    .selectFrom("contract_assets")
    .select(["contract_id", "domain", "suite"])
    .where(
      "contract_id",
      "in",
      rows.map((row) => row.id),
    )
    .orderBy("domain")
    .orderBy("suite")
    .execute();
  return rows.map((row) => toContract(row, assets.filter((asset) => asset.contract_id === row.id).map(({ domain, suite }) => ({ domain, suite }))));
}

/**
 * Contracts from a JSON file: one contract object (the fields of
 * contractInput, with `assets`) or a list of them, each validated; nothing
 * is written unless every one is valid (the message names the entry).
 */
export async function importContracts(db: Kysely<Schema>, catalog: Catalog, text: string, actorId: string | null, now: Date = new Date()): Promise<Contract[]> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ValidationError("contracts file", [{ path: "", message: `not JSON: ${error instanceof Error ? error.message : String(error)}` }]);
  }
  const entries = Array.isArray(data) ? data : [data];
  if (entries.length === 0 || entries.length > 500) throw new ValidationError("contracts file", [{ path: "", message: "expected from 1 to 500 contracts" }]);
  // Everything is checked before anything is written.
  entries.forEach((entry, index) => {
    try {
      resolveAgainstCatalog(catalog, parseInput(contractInput, entry, "contract"));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      throw new ValidationError(`contract ${index + 1}`, error.issues);
    }
  });
  return inTransaction(db, async (trx) => {
    const created: Contract[] = [];
    for (const entry of entries) created.push(await createContract(trx, catalog, entry, actorId, now));
    return created;
  });
}
