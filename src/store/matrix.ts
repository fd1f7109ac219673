/**
 * The observatory's matrices and summaries, counted in SQL: how many
 * (published) policies cite each standard per region, sector, kind of
 * institution or country, and how many that cite standards cover each
 * procurement category. An empty cell is a gap. Every cell can be opened:
 * {@link matrixCellPolicies} lists the policies behind it through the same
 * filter the list pages use, so the count and the list always agree.
 *
 * @example
 *   const cells = await matrixCounts(db, { rows: "region", columns: "standard" });
 *   const behind = await matrixCellPolicies(db, { rows: "region", columns: "standard", row: "150", column: "dnssec" });
 */
import type { Kysely } from "kysely";
import { listPolicies, matchingPolicies, type PolicyFilter, type PolicyWithInstitution } from "./policies.ts";
import { cachedRead, type CacheSpace } from "./read-cache.ts";
import { parseList } from "./records.ts";
import { INSTITUTION_KINDS, type InstitutionKind, type Schema } from "./schema.ts";

/** Institution fields a matrix can have as rows. */
export type MatrixRows = "region" | "sector" | "kind" | "country";
/**
 * "standard": policies citing the standard. "category": policies covering
 * the category that cite standards (catalog ones or others).
 */
export type MatrixColumns = "standard" | "category";

/** A base filter for a matrix (say, Global South institutions only); paging and sorting do not apply. */
export type MatrixFilter = Omit<PolicyFilter, "sort" | "direction" | "limit" | "offset">;

export interface MatrixQuery {
  rows: MatrixRows;
  columns: MatrixColumns;
  /** Published only unless `filter.reviewStates` says otherwise. */
  filter?: MatrixFilter;
}

export interface MatrixCell {
  /** The institution field's value; null for institutions without one (no sector, no country). */
  row: string | null;
  column: string;
  /** Distinct policies. */
  count: number;
}

const ROW_COLUMN = { region: "i.region", sector: "i.sector", kind: "i.kind", country: "i.country" } as const;

/** The non-empty cells, ordered by row (null last) then column. */
export async function matrixCounts(db: Kysely<Schema>, query: MatrixQuery): Promise<MatrixCell[]> {
  return cachedRead(db, spaceFor(query.filter), `matrix:${JSON.stringify(query)}`, () => countMatrix(db, query));
}

async function countMatrix(db: Kysely<Schema>, query: MatrixQuery): Promise<MatrixCell[]> {
  // count(*) counts distinct policies: a policy meets a standard (category)
  // once (the link tables' primary keys), and the filter narrows with EXISTS,
  // never with a join that could repeat a policy. Half the time of
  // count(distinct) on PostgreSQL.
  const base = matchingPolicies(db, query.filter ?? {});
  const rowColumn = ROW_COLUMN[query.rows];
  const rows =
    query.columns === "standard"
      ? await base
          .innerJoin("policy_standards as link", "link.policy_id", "p.id")
          .select((eb) => [eb.ref(rowColumn).as("row_key"), eb.ref("link.standard_id").as("column_key"), eb.fn.countAll().as("count")])
          .groupBy([rowColumn, "link.standard_id"])
          .execute()
      : await base
          .innerJoin("policy_categories as link", "link.policy_id", "p.id")
          .where("p.cites_standards", "=", true)
          .select((eb) => [eb.ref(rowColumn).as("row_key"), eb.ref("link.category_id").as("column_key"), eb.fn.countAll().as("count")])
          .groupBy([rowColumn, "link.category_id"])
          .execute();
  return rows
    .map((row) => ({ row: row.row_key, column: row.column_key, count: Number(row.count) }))
    .sort((a, b) => compareNullLast(a.row, b.row) || compareNullLast(a.column, b.column));
}

/**
 * The matrices of the whole observatory (filtered by review state at most)
 * are few and asked for on every visit; those narrowed to one institution or
 * country (the comparison page) are many: they go where the list pages go,
 * so that a crawler walking every comparison cannot push the matrices out.
 */
function spaceFor(filter: MatrixFilter | undefined): CacheSpace {
  const narrowed = Object.keys(filter ?? {}).some((field) => field !== "reviewStates");
  return narrowed ? "list" : "aggregate";
}

export interface MatrixCellQuery extends MatrixQuery {
  row: string | null;
  column: string;
  sort?: PolicyFilter["sort"];
  direction?: PolicyFilter["direction"];
  limit?: number;
  offset?: number;
}

/** The policies counted in one cell of {@link matrixCounts}. */
export async function matrixCellPolicies(db: Kysely<Schema>, query: MatrixCellQuery): Promise<{ items: PolicyWithInstitution[]; total: number }> {
  const filter = cellFilter(query);
  if (!filter) return { items: [], total: 0 };
  return listPolicies(db, { ...filter, sort: query.sort, direction: query.direction, limit: query.limit, offset: query.offset });
}

/**
 * The list filter of one cell (for links from a matrix to the list page);
 * undefined for a cell that cannot hold anything (a region or kind of null,
 * a kind that does not exist).
 */
export function cellFilter(query: Omit<MatrixCellQuery, "sort" | "direction" | "limit" | "offset">): PolicyFilter | undefined {
  const filter: PolicyFilter = { ...query.filter };
  const { row } = query;
  switch (query.rows) {
    case "region":
      if (row === null) return undefined;
      filter.region = row;
      break;
    case "kind":
      if (!isInstitutionKind(row)) return undefined;
      filter.kind = row;
      break;
    case "sector":
      filter.sector = row;
      break;
    case "country":
      filter.country = row;
      break;
  }
  if (query.columns === "standard") {
    filter.standard = query.column;
  } else {
    filter.category = query.column;
    filter.citesStandards = true;
  }
  return filter;
}

function isInstitutionKind(value: string | null): value is InstitutionKind {
  return (INSTITUTION_KINDS as readonly (string | null)[]).includes(value);
}

export interface Coverage {
  /** The institution field's value; null for institutions without one. */
  key: string | null;
  /** Matching policies. */
  policies: number;
  /** Of those, the ones that cite standards. */
  citing: number;
}

/** Policies and standard-citing policies per region, sector, kind or country: the world map and the comparisons. */
export async function coverageBy(db: Kysely<Schema>, by: MatrixRows, filter: MatrixFilter = {}): Promise<Coverage[]> {
  return cachedRead(db, spaceFor(filter), `coverage:${by}:${JSON.stringify(filter)}`, () => countCoverage(db, by, filter));
}

async function countCoverage(db: Kysely<Schema>, by: MatrixRows, filter: MatrixFilter): Promise<Coverage[]> {
  const keyColumn = ROW_COLUMN[by];
  const rows = await matchingPolicies(db, filter)
    .select((eb) => [
      eb.ref(keyColumn).as("key"),
      eb.fn.countAll().as("policies"),
      eb.fn.sum(eb.case().when("p.cites_standards", "=", true).then(1).else(0).end()).as("citing"),
    ])
    .groupBy(keyColumn)
    .execute();
  return rows
    .map((row) => ({ key: row.key, policies: Number(row.policies), citing: Number(row.citing) }))
    .sort((a, b) => compareNullLast(a.key, b.key));
}

export interface TagCount {
  tag: string;
  count: number;
}

export interface TagSummary {
  securityTags: TagCount[];
  bestPracticeTags: TagCount[];
  barrierTags: TagCount[];
  globalSouthTags: TagCount[];
}

/**
 * How many matching policies carry each tag, most frequent first: the gap
 * summary's common best practice, most cited barriers and Global South
 * challenges. Tags are JSON lists, which the two databases unpack
 * differently, so they are counted here rather than in SQL.
 */
export async function tagCounts(db: Kysely<Schema>, filter: MatrixFilter = {}): Promise<TagSummary> {
  return cachedRead(db, spaceFor(filter), `tags:${JSON.stringify(filter)}`, () => countTags(db, filter));
}

async function countTags(db: Kysely<Schema>, filter: MatrixFilter): Promise<TagSummary> {
  const rows = await matchingPolicies(db, filter)
    .select(["p.security_tags", "p.best_practice_tags", "p.barrier_tags", "p.global_south_tags"])
    .execute();
  const count = (column: "security_tags" | "best_practice_tags" | "barrier_tags" | "global_south_tags"): TagCount[] => {
    const counts = new Map<string, number>();
    for (const row of rows) {
      for (const tag of parseList(row[column], column)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    }
    return [...counts]
      .map(([tag, tagCount]) => ({ tag, count: tagCount }))
      .sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag));
  };
  return {
    securityTags: count("security_tags"),
    bestPracticeTags: count("best_practice_tags"),
    barrierTags: count("barrier_tags"),
    globalSouthTags: count("global_south_tags"),
  };
}

function compareNullLast(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
