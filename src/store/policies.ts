/**
 * Policy documents and the researcher's coding of them, with the catalog
 * categories they cover and the catalog standards they cite. A policy and
 * its two lists are written in one transaction: a reader never sees a policy
 * without its standards, and a failure leaves nothing half-saved.
 *
 * Reading is safe by default: every query shows published policies only,
 * unless the caller (an editor's page) asks for other review states.
 *
 * @example
 *   const policy = await createPolicy(db, { institutionId, title: "BOD 18-01", type: "policy", status: "in-force", standards: ["https", "hsts", "dmarc"] }, user.id);
 *   const { items, total } = await listPolicies(db, { standard: "dnssec", region: "150" }); // published only
 */
import { sql, type Kysely } from "kysely";
import { audit, changedFields } from "./audit.ts";
import { cachedRead } from "./read-cache.ts";
import {
  fieldMessage,
  policyFromRow,
  policyInput,
  unknownCatalogIds,
  type Institution,
  type KnownIds,
  type Policy,
  type PolicyInput,
  type ValidPolicy,
} from "./records.ts";
import { REVIEW_STATES, type InstitutionKind, type PolicyStatus, type PolicyType, type ReviewState, type Schema } from "./schema.ts";
import { NotFoundError, ValidationError, containsText, inTransaction, isPostgres, newId, pageOf, parseInput, timestamp } from "./support.ts";

/** What anonymous visitors may see; the default of every read. */
export const PUBLIC_REVIEW_STATES: readonly ReviewState[] = ["published"];

export type InstitutionSummary = Pick<Institution, "id" | "name" | "kind" | "country" | "region" | "globalSouth" | "sector">;

export interface PolicyWithInstitution extends Policy {
  institution: InstitutionSummary;
}

export type PolicySort = "title" | "adoptedOn" | "updatedAt" | "institution";

export interface PolicyFilter {
  /** Part of the title or of the security text, any case. */
  search?: string;
  /** Cites this catalog standard. */
  standard?: string;
  /** Covers this catalog category. */
  category?: string;
  type?: PolicyType;
  status?: PolicyStatus;
  /** Which review states to show; published only unless given (anonymous visitors must not see drafts). */
  reviewStates?: readonly ReviewState[];
  institutionId?: string;
  /** Of the institution; for country and sector, null asks for institutions without one. */
  region?: string;
  country?: string | null;
  sector?: string | null;
  kind?: InstitutionKind;
  globalSouth?: boolean;
  citesStandards?: boolean;
  sort?: PolicySort;
  direction?: "asc" | "desc";
  limit?: number;
  offset?: number;
}

export interface WriteOptions {
  /** The catalog's ids: when given, a policy citing an unknown standard or category is refused. */
  known?: KnownIds;
}

export async function createPolicy(db: Kysely<Schema>, input: PolicyInput, actorId: string | null, options: WriteOptions = {}): Promise<Policy> {
  const checked = validatePolicy(input, options.known);
  const valid = input.reviewedBy === undefined ? { ...checked, reviewedBy: reviewerOf(checked.reviewState, undefined, actorId) } : checked;
  return inTransaction(db, async (trx) => {
    const policy = await insertPolicy(trx, valid);
    await audit(trx, { userId: actorId, action: "create", entity: "policy", entityId: policy.id, detail: valid });
    return policy;
  });
}

/** Replaces every field, and the category and standard lists, with those of `input`. */
export async function updatePolicy(
  db: Kysely<Schema>,
  id: string,
  input: PolicyInput,
  actorId: string | null,
  options: WriteOptions = {},
): Promise<Policy> {
  const checked = validatePolicy(input, options.known);
  return inTransaction(db, async (trx) => {
    const before = await getPolicy(trx, id, { reviewStates: REVIEW_STATES });
    if (!before) throw new NotFoundError(`no policy with id ${id}`);
    // A form sends no reviewer: the server keeps or sets it, as for an import.
    const valid = input.reviewedBy === undefined ? { ...checked, reviewedBy: reviewerOf(checked.reviewState, before, actorId) } : checked;
    const after = await replacePolicy(trx, id, valid);
    await audit(trx, { userId: actorId, action: "update", entity: "policy", entityId: id, detail: changedFields<Policy>(before, after) });
    return after;
  });
}

/**
 * Who reviewed a policy written by a form or an import, which never says
 * (the reviewer is an account id anyone could type, and public exports show
 * it). A draft has none; a policy whose review state stays as it was keeps
 * its reviewer; otherwise whoever writes it vouches for the state, as
 * setReviewState records whoever moves a policy.
 */
export function reviewerOf(state: ReviewState, before: Policy | undefined, actorId: string | null): string | null {
  if (state === "draft") return null;
  if (before && before.reviewState === state) return before.reviewedBy;
  return actorId;
}

/** Moves a policy between draft, reviewed and published; the reviewer is recorded (and cleared on a return to draft). */
export async function setReviewState(
  db: Kysely<Schema>,
  id: string,
  state: ReviewState,
  actorId: string | null,
): Promise<PolicyWithInstitution> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable("policies")
      .set({ review_state: state, reviewed_by: state === "draft" ? null : actorId, updated_at: timestamp() })
      .where("id", "=", id)
      .returning("review_state")
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`no policy with id ${id}`);
    await audit(trx, { userId: actorId, action: "review", entity: "policy", entityId: id, detail: { reviewState: state } });
    const policy = await getPolicy(trx, id, { reviewStates: [state] });
    if (!policy) throw new NotFoundError(`no policy with id ${id}`);
    return policy;
  });
}

export async function deletePolicy(db: Kysely<Schema>, id: string, actorId: string | null): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await trx.deleteFrom("policies").where("id", "=", id).returning("title").executeTakeFirst();
    if (!row) throw new NotFoundError(`no policy with id ${id}`);
    await audit(trx, { userId: actorId, action: "delete", entity: "policy", entityId: id, detail: { title: row.title } });
  });
}

/** One policy with its institution, if it exists in one of `reviewStates` (published only by default). */
export async function getPolicy(
  db: Kysely<Schema>,
  id: string,
  options: { reviewStates?: readonly ReviewState[] } = {},
): Promise<PolicyWithInstitution | undefined> {
  const [row] = await policyRows(db, [id], options.reviewStates ?? PUBLIC_REVIEW_STATES);
  return row && policyWithInstitution(row);
}

/** One page of policies matching `filter` (published only unless it says otherwise), and how many match in all. */
export async function listPolicies(db: Kysely<Schema>, filter: PolicyFilter = {}): Promise<{ items: PolicyWithInstitution[]; total: number }> {
  return listPage(db, filter);
}

/**
 * A list page changes only with the data, and the same pages (the first
 * page, a matrix cell's policies) are asked for again and again, so pages
 * are kept under the data revision like the matrices (read-cache.ts).
 */
async function listPage(db: Kysely<Schema>, filter: PolicyFilter): Promise<{ items: PolicyWithInstitution[]; total: number }> {
  // A free-text search is typed once and would only fill the cache (anyone
  // can send a new one with every request).
  if (filter.search?.trim()) return readListPage(db, filter);
  return cachedRead(db, "list", `policies:${JSON.stringify(filter)}`, () => readListPage(db, filter));
}

async function readListPage(db: Kysely<Schema>, filter: PolicyFilter): Promise<{ items: PolicyWithInstitution[]; total: number }> {
  const { limit, offset } = pageOf(filter.limit, filter.offset);
  const direction = filter.direction ?? (filter.sort === "updatedAt" || filter.sort === "adoptedOn" ? "desc" : "asc");
  const sort = filter.sort ?? "title";
  // A deferred join: first the ids of the page, in order, from indexes alone
  // (the institution is joined only to sort by its name), then the wide rows
  // of those ids. Reading whole rows (and their institutions) only to skip
  // them made page 40 of the list cost 3.4 ms instead of 0.1 ms.
  const pageIdsQuery = (): Promise<{ id: string }[]> => {
    if (sort === "institution") {
      return matchingPolicies(db, filter)
        .select("p.id")
        .orderBy((eb) => eb.fn("lower", ["i.name"]), direction)
        .orderBy((eb) => eb.fn("lower", ["p.title"]))
        .orderBy("p.id")
        .limit(limit)
        .offset(offset)
        .execute();
    }
    let ordered = matchingPoliciesWithoutJoin(db, filter).select("p.id");
    switch (sort) {
      case "title":
        ordered = ordered.orderBy((eb) => eb.fn("lower", ["p.title"]), direction);
        break;
      case "adoptedOn":
        // Undated policies last either way: SQLite and PostgreSQL disagree on
        // where NULL sorts unless told. NULLS LAST (rather than a CASE on
        // null) lets both read the newest first from an index.
        ordered = ordered.orderBy("p.adopted_on", (order) => (direction === "desc" ? order.desc() : order.asc()).nullsLast());
        break;
      case "updatedAt":
        ordered = ordered.orderBy("p.updated_at", direction);
        break;
    }
    // The id breaks ties in the same direction, so that the order is the
    // index's own, read forwards or backwards.
    return ordered.orderBy("p.id", direction).limit(limit).offset(offset).execute();
  };
  const countQuery = async (): Promise<number> => {
    const row = await matchingPoliciesWithoutJoin(db, filter).select((eb) => eb.fn.countAll().as("total")).executeTakeFirstOrThrow();
    return Number(row.total);
  };
  const [pageIds, total] = await Promise.all([pageIdsQuery(), countQuery()]);
  const order = pageIds.map((row) => row.id);
  const rows = order.length > 0 ? await policyRows(db, order, filter.reviewStates ?? PUBLIC_REVIEW_STATES) : [];
  const byId = new Map(rows.map((row) => [row.id, row]));
  // A policy deleted (or moved out of the review states) between the two
  // reads is left out: the page is one shorter, never wrong.
  const items = order.flatMap((id) => {
    const row = byId.get(id);
    return row ? [policyWithInstitution(row)] : [];
  });
  return { items, total };
}

/**
 * Whole policy rows with their institution's fields and their category and
 * standard ids (as JSON lists), for the ids of one page: one statement
 * instead of three, since on PostgreSQL each statement costs a round trip
 * and a plan (a third of an uncached list page's time).
 */
function policyRows(db: Kysely<Schema>, ids: readonly string[], reviewStates: readonly ReviewState[]) {
  // SQLite's json_group_array and PostgreSQL's json_agg say the same; the
  // ids are sorted in idList, the same way on both.
  const aggregate = sql.raw(isPostgres(db) ? "json_agg" : "json_group_array");
  const listOf = (table: "policy_categories" | "policy_standards", column: "category_id" | "standard_id") =>
    sql<string | string[] | null>`(select ${aggregate}(${sql.ref(column)}) from ${sql.table(table)} where policy_id = p.id)`;
  return db
    .selectFrom("policies as p")
    .innerJoin("institutions as i", "i.id", "p.institution_id")
    .selectAll("p")
    .select([
      "i.name as institution_name",
      "i.kind as institution_kind",
      "i.country as institution_country",
      "i.region as institution_region",
      "i.global_south as institution_global_south",
      "i.sector as institution_sector",
      listOf("policy_categories", "category_id").as("category_ids"),
      listOf("policy_standards", "standard_id").as("standard_ids"),
    ])
    .where("p.id", "in", ids)
    .where((eb) => (reviewStates.length > 0 ? eb("p.review_state", "in", reviewStates) : eb.lit(false)))
    .execute();
}

/** One row of {@link policyRows} as a record. */
function policyWithInstitution(row: Awaited<ReturnType<typeof policyRows>>[number]): PolicyWithInstitution {
  return {
    ...policyFromRow(row, idList(row.category_ids), idList(row.standard_ids)),
    institution: {
      id: row.institution_id,
      name: row.institution_name,
      kind: row.institution_kind,
      country: row.institution_country,
      region: row.institution_region,
      globalSouth: Boolean(row.institution_global_south),
      sector: row.institution_sector,
    },
  };
}

/** A list of ids as the database returned it (parsed JSON on PostgreSQL, JSON text on SQLite, null for none), sorted. */
function idList(value: string | string[] | null): string[] {
  const list: unknown = typeof value === "string" ? JSON.parse(value) : (value ?? []);
  if (!Array.isArray(list) || !list.every((item) => typeof item === "string")) throw new Error(`a policy's link list is not a list of ids: ${String(value).slice(0, 80)}`);
  return sortIds(list);
}

/** Ids in one order on both databases (code units, not PostgreSQL's collation). */
function sortIds(ids: string[]): string[] {
  return ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Policies joined with their institution (`p`, `i`), narrowed by `filter`:
 * the one definition of "which policies match" that the list, its count and
 * the matrix cells share.
 */
export function matchingPolicies(db: Kysely<Schema>, filter: PolicyFilter) {
  return matchingPoliciesWithoutJoin(db, filter).innerJoin("institutions as i", "i.id", "p.institution_id");
}

/**
 * The same policies as {@link matchingPolicies}, without the institution's
 * columns: for counting and for the ids of a page, which need only `p`.
 *
 * The standard, category and institution conditions are inner joins (each
 * matches at most one row per policy: one standard id, one category id, the
 * institution's key), not EXISTS or IN subqueries, so that the planner may
 * start from the smallest side: the 85 institutions of a region rather
 * than every policy citing DNSSEC (0.3 ms instead of 2.4 ms on 10,000
 * policies). The conditions sit in the ON clauses, which keeps the joined
 * tables out of the query's type: callers see `p` only.
 */
function matchingPoliciesWithoutJoin(db: Kysely<Schema>, filter: PolicyFilter) {
  const states = filter.reviewStates ?? PUBLIC_REVIEW_STATES;
  const { standard, category, region, kind, globalSouth, country, sector } = filter;
  const byInstitution = region !== undefined || kind !== undefined || globalSouth !== undefined || country !== undefined || sector !== undefined;
  let query = db
    .selectFrom("policies as p")
    .$if(standard !== undefined, (qb) =>
      qb.innerJoin("policy_standards as ps", (join) => join.onRef("ps.policy_id", "=", "p.id").on("ps.standard_id", "=", standard ?? "")),
    )
    .$if(category !== undefined, (qb) =>
      qb.innerJoin("policy_categories as pc", (join) => join.onRef("pc.policy_id", "=", "p.id").on("pc.category_id", "=", category ?? "")),
    )
    .$if(byInstitution, (qb) =>
      qb.innerJoin("institutions as fi", (join) =>
        join.onRef("fi.id", "=", "p.institution_id").on((eb) =>
          eb.and([
            ...(region !== undefined ? [eb("fi.region", "=", region)] : []),
            ...(kind !== undefined ? [eb("fi.kind", "=", kind)] : []),
            ...(globalSouth !== undefined ? [eb("fi.global_south", "=", globalSouth)] : []),
            ...(country !== undefined ? [country === null ? eb("fi.country", "is", null) : eb("fi.country", "=", country.toUpperCase())] : []),
            ...(sector !== undefined ? [sector === null ? eb("fi.sector", "is", null) : eb("fi.sector", "=", sector)] : []),
          ]),
        ),
      ),
    )
    .where((eb) => (states.length > 0 ? eb("p.review_state", "in", states) : eb.lit(false)));
  const search = filter.search?.trim();
  if (search) {
    query = query.where((eb) => eb.or([containsText(eb.ref("p.title"), search), containsText(eb.ref("p.security_text"), search)]));
  }
  if (filter.type !== undefined) query = query.where("p.type", "=", filter.type);
  if (filter.status !== undefined) query = query.where("p.status", "=", filter.status);
  if (filter.institutionId !== undefined) query = query.where("p.institution_id", "=", filter.institutionId);
  if (filter.citesStandards !== undefined) query = query.where("p.cites_standards", "=", filter.citesStandards);
  return query;
}

/** The category and standard ids of each policy, sorted. */
export async function linksOf(db: Kysely<Schema>, policyIds: readonly string[]): Promise<Map<string, { categories: string[]; standards: string[] }>> {
  const links = new Map<string, { categories: string[]; standards: string[] }>(policyIds.map((id) => [id, { categories: [], standards: [] }]));
  // Bounded `IN` lists: SQLite caps the number of parameters of one statement.
  for (let start = 0; start < policyIds.length; start += 500) {
    const ids = policyIds.slice(start, start + 500);
    const [categories, standards] = await Promise.all([
      db.selectFrom("policy_categories").select(["policy_id", "category_id"]).where("policy_id", "in", ids).execute(),
      db.selectFrom("policy_standards").select(["policy_id", "standard_id"]).where("policy_id", "in", ids).execute(),
    ]);
    for (const row of categories) links.get(row.policy_id)?.categories.push(row.category_id);
    for (const row of standards) links.get(row.policy_id)?.standards.push(row.standard_id);
  }
  for (const link of links.values()) {
    sortIds(link.categories);
    sortIds(link.standards);
  }
  return links;
}

// ---- without audit: for callers that audit themselves (import) ----

export function validatePolicy(input: unknown, known: KnownIds | undefined): ValidPolicy {
  const valid = parseInput(policyInput, input, "policy");
  const problems = unknownCatalogIds(valid, known);
  if (problems.length > 0) throw new ValidationError("policy", problems);
  return valid;
}

/** Inserts a validated policy with its categories and standards; call inside a transaction. */
export async function insertPolicy(
  db: Kysely<Schema>,
  valid: ValidPolicy,
  known: { id?: string | undefined; createdAt?: string | undefined } = {},
): Promise<Policy> {
  await checkReferences(db, valid);
  const now = timestamp();
  const row = { id: known.id ?? newId(), ...policyColumns(valid), created_at: known.createdAt ?? now, updated_at: now };
  await db.insertInto("policies").values(row).execute();
  await insertLinks(db, row.id, valid);
  return policyFromRow(row, [...valid.categories].sort(), [...valid.standards].sort());
}

/** Replaces a validated policy's fields and lists; call inside a transaction. */
export async function replacePolicy(db: Kysely<Schema>, id: string, valid: ValidPolicy): Promise<Policy> {
  await checkReferences(db, valid);
  const row = await db
    .updateTable("policies")
    .set({ ...policyColumns(valid), updated_at: timestamp() })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`no policy with id ${id}`);
  await db.deleteFrom("policy_categories").where("policy_id", "=", id).execute();
  await db.deleteFrom("policy_standards").where("policy_id", "=", id).execute();
  await insertLinks(db, id, valid);
  return policyFromRow(row, [...valid.categories].sort(), [...valid.standards].sort());
}

/** A validated policy as its row's columns (without id and times): the one mapping of fields to columns. */
export function policyColumns(valid: ValidPolicy) {
  return {
    institution_id: valid.institutionId,
    title: valid.title,
    type: valid.type,
    status: valid.status,
    adopted_on: valid.adoptedOn,
    source_url: valid.sourceUrl,
    language: valid.language,
    covers_internet: valid.coversInternet,
    security_text: valid.securityText,
    security_tags: JSON.stringify(valid.securityTags),
    // Listing a catalog standard is citing one, whatever the checkbox said.
    cites_standards: valid.citesStandards || valid.standards.length > 0,
    other_standards: valid.otherStandards,
    evidence: JSON.stringify(valid.evidence),
    best_practice_tags: JSON.stringify(valid.bestPracticeTags),
    barrier_tags: JSON.stringify(valid.barrierTags),
    global_south_tags: JSON.stringify(valid.globalSouthTags),
    review_state: valid.reviewState,
    reviewed_by: valid.reviewedBy,
  };
}

async function insertLinks(db: Kysely<Schema>, policyId: string, valid: ValidPolicy): Promise<void> {
  if (valid.categories.length > 0) {
    await db
      .insertInto("policy_categories")
      .values(valid.categories.map((category_id) => ({ policy_id: policyId, category_id })))
      .execute();
  }
  if (valid.standards.length > 0) {
    await db
      .insertInto("policy_standards")
      .values(valid.standards.map((standard_id) => ({ policy_id: policyId, standard_id })))
      .execute();
  }
}

/** The foreign keys would refuse these too, but with a message that names neither the field nor the value. */
async function checkReferences(db: Kysely<Schema>, valid: ValidPolicy): Promise<void> {
  const exists = async (table: "institutions" | "users", id: string) =>
    (await db.selectFrom(table).select("id").where("id", "=", id).executeTakeFirst()) !== undefined;
  const issues = [];
  if (!(await exists("institutions", valid.institutionId))) {
    issues.push({ path: "institutionId", message: fieldMessage.noInstitution(valid.institutionId) });
  }
  if (valid.reviewedBy !== null && !(await exists("users", valid.reviewedBy))) {
    issues.push({ path: "reviewedBy", message: `no user with id ${valid.reviewedBy}` });
  }
  if (issues.length > 0) throw new ValidationError("policy", issues);
}
