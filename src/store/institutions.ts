/**
 * Institutions: the governments, regulators, standards bodies, companies
 * and others whose procurement policies the observatory maps.
 *
 * @example
 *   const nl = await createInstitution(db, { name: "Forum Standaardisatie", kind: "government", country: "NL", region: "155" }, user.id);
 *   const { items, total } = await listInstitutions(db, { region: "155", search: "forum" });
 */
import type { Kysely } from "kysely";
import { audit, changedFields } from "./audit.ts";
import { cachedRead } from "./read-cache.ts";
import { institutionFromRow, institutionInput, type Institution, type InstitutionInput, type ValidInstitution } from "./records.ts";
import type { InstitutionKind, Schema } from "./schema.ts";
import { ConflictError, NotFoundError, containsText, inTransaction, newId, pageOf, parseInput, timestamp } from "./support.ts";

export interface InstitutionFilter {
  /** Part of the name, any case. */
  search?: string;
  kind?: InstitutionKind;
  /** UN M49 code, matched exactly. */
  region?: string;
  country?: string;
  sector?: string;
  globalSouth?: boolean;
  limit?: number;
  offset?: number;
}

export async function createInstitution(db: Kysely<Schema>, input: InstitutionInput, actorId: string | null): Promise<Institution> {
  const valid = parseInput(institutionInput, input, "institution");
  return inTransaction(db, async (trx) => {
    const institution = await insertInstitution(trx, valid);
    await audit(trx, { userId: actorId, action: "create", entity: "institution", entityId: institution.id, detail: valid });
    return institution;
  });
}

export async function getInstitution(db: Kysely<Schema>, id: string): Promise<Institution | undefined> {
  const row = await db.selectFrom("institutions").selectAll().where("id", "=", id).executeTakeFirst();
  return row && institutionFromRow(row);
}

/** Replaces every field with those of `input`. */
export async function updateInstitution(db: Kysely<Schema>, id: string, input: InstitutionInput, actorId: string | null): Promise<Institution> {
  const valid = parseInput(institutionInput, input, "institution");
  return inTransaction(db, async (trx) => {
    const before = await getInstitution(trx, id);
    if (!before) throw new NotFoundError(`no institution with id ${id}`);
    const after = await replaceInstitution(trx, id, valid);
    await audit(trx, { userId: actorId, action: "update", entity: "institution", entityId: id, detail: changedFields(before, after) });
    return after;
  });
}

/** Refused while policies still belong to the institution. */
export async function deleteInstitution(db: Kysely<Schema>, id: string, actorId: string | null): Promise<void> {
  await inTransaction(db, async (trx) => {
    const before = await getInstitution(trx, id);
    if (!before) throw new NotFoundError(`no institution with id ${id}`);
    const { total } = await trx
      .selectFrom("policies")
      .select((eb) => eb.fn.countAll().as("total"))
      .where("institution_id", "=", id)
      .executeTakeFirstOrThrow();
    if (Number(total) > 0) throw new ConflictError(`institution "${before.name}" still has ${Number(total)} policies; delete or move them first`);
    await trx.deleteFrom("institutions").where("id", "=", id).execute();
    await audit(trx, { userId: actorId, action: "delete", entity: "institution", entityId: id, detail: { name: before.name } });
  });
}

/** One page of institutions by name, and how many match in all (kept under the data revision, read-cache.ts). */
export async function listInstitutions(db: Kysely<Schema>, filter: InstitutionFilter = {}): Promise<{ items: Institution[]; total: number }> {
  // A free-text search is typed once and would only fill the cache.
  if (filter.search?.trim()) return readInstitutions(db, filter);
  return cachedRead(db, "list", `institutions:${JSON.stringify(filter)}`, () => readInstitutions(db, filter));
}

async function readInstitutions(db: Kysely<Schema>, filter: InstitutionFilter): Promise<{ items: Institution[]; total: number }> {
  let query = db.selectFrom("institutions");
  if (filter.search?.trim()) {
    const needle = filter.search.trim();
    query = query.where((eb) => containsText(eb.ref("name"), needle));
  }
  if (filter.kind !== undefined) query = query.where("kind", "=", filter.kind);
  if (filter.region !== undefined) query = query.where("region", "=", filter.region);
  if (filter.country !== undefined) query = query.where("country", "=", filter.country.toUpperCase());
  if (filter.sector !== undefined) query = query.where("sector", "=", filter.sector);
  if (filter.globalSouth !== undefined) query = query.where("global_south", "=", filter.globalSouth);
  const { limit, offset } = pageOf(filter.limit, filter.offset);
  const [rows, count] = await Promise.all([
    query
      .selectAll()
      .orderBy((eb) => eb.fn("lower", ["name"]))
      .orderBy("id")
      .limit(limit)
      .offset(offset)
      .execute(),
    query.select((eb) => eb.fn.countAll().as("total")).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(institutionFromRow), total: Number(count.total) };
}

/**
 * The institutions whose name is `name`, ignoring case (not a part of it, as
 * listInstitutions' search): for /compare, where a typed name must find its
 * institution even when many others contain it. Both sides go through the
 * database's lower(), so the comparison folds case as the name index
 * (lower(name), id) does and can use it; SQLite folds ASCII letters only.
 * Names are not unique, hence a list (in id order, which the index gives
 * for free) of at most `limit`, within pageOf's bounds.
 */
export async function findInstitutionsByName(db: Kysely<Schema>, name: string, options: { limit?: number } = {}): Promise<Institution[]> {
  const { limit } = pageOf(options.limit, 0);
  const rows = await db
    .selectFrom("institutions")
    .selectAll()
    .where((eb) => eb(eb.fn("lower", ["name"]), "=", eb.fn("lower", [eb.val(name.trim())])))
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map(institutionFromRow);
}

/** An institution as a menu shows it. */
export interface InstitutionName {
  id: string;
  name: string;
}

/**
 * The id and name of every institution, by name: the policy form's menu,
 * which must hold the policy's institution whatever its place in the list
 * (a page of listInstitutions stops at MAX_PAGE_SIZE, and a menu lacking the
 * current institution makes the browser submit another one). Not paged on
 * purpose: two short strings per institution are some 100 bytes each, a
 * megabyte or two at the tens of thousands of institutions the observatory
 * is built for.
 */
export async function listInstitutionNames(db: Kysely<Schema>): Promise<InstitutionName[]> {
  return db
    .selectFrom("institutions")
    .select(["id", "name"])
    .orderBy((eb) => eb.fn("lower", ["name"]))
    .orderBy("id")
    .execute();
}

export interface InstitutionFacets {
  kinds: InstitutionKind[];
  regions: string[];
  countries: string[];
  sectors: string[];
}

/** The values in use, for the filter menus of the list pages. */
export async function institutionFacets(db: Kysely<Schema>): Promise<InstitutionFacets> {
  const distinct = async (column: "kind" | "region" | "country" | "sector"): Promise<string[]> => {
    const rows = await db
      .selectFrom("institutions")
      .select((eb) => eb.ref(column).as("value"))
      .distinct()
      .where(column, "is not", null)
      .orderBy("value")
      .execute();
    return rows.map((row) => row.value).filter((value) => value !== null);
  };
  const [kinds, regions, countries, sectors] = await Promise.all([distinct("kind"), distinct("region"), distinct("country"), distinct("sector")]);
  return { kinds: kinds as InstitutionKind[], regions, countries, sectors };
}

// ---- without validation or audit: for callers that did both (import) ----

export async function insertInstitution(
  db: Kysely<Schema>,
  valid: ValidInstitution,
  known: { id?: string | undefined; createdAt?: string | undefined } = {},
): Promise<Institution> {
  const now = timestamp();
  const row = {
    id: known.id ?? newId(),
    name: valid.name,
    kind: valid.kind,
    country: valid.country,
    region: valid.region,
    global_south: valid.globalSouth,
    sector: valid.sector,
    created_at: known.createdAt ?? now,
    updated_at: now,
  };
  await db.insertInto("institutions").values(row).execute();
  return institutionFromRow(row);
}

export async function replaceInstitution(db: Kysely<Schema>, id: string, valid: ValidInstitution): Promise<Institution> {
  const row = await db
    .updateTable("institutions")
    .set({
      name: valid.name,
      kind: valid.kind,
      country: valid.country,
      region: valid.region,
      global_south: valid.globalSouth,
      sector: valid.sector,
      updated_at: timestamp(),
    })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`no institution with id ${id}`);
  return institutionFromRow(row);
}
