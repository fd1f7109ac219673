/**
 * What every repository shares: the errors they throw, input parsing with
 * zod into one readable message, ids and timestamps, transactions that nest,
 * and a portable case-insensitive "contains" for search boxes.
 */
import { randomUUID } from "node:crypto";
import { PostgresAdapter, sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import type { z } from "zod";
import type { Schema } from "./schema.ts";

export interface Issue {
  /** Dotted path of the field ("standards.2"), empty for the value itself. */
  path: string;
  message: string;
}

/** Input that does not fit the schema; `issues` lists every field at fault. */
export class ValidationError extends Error {
  override name = "ValidationError";
  readonly issues: readonly Issue[];

  constructor(what: string, issues: readonly Issue[]) {
    super(`invalid ${what}: ${issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join("; ")}`);
    this.issues = issues;
  }
}

/** The record asked for does not exist (or the caller may not see it). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** The change would break a rule of the data: a taken e-mail address, an institution that still has policies. */
export class ConflictError extends Error {
  override name = "ConflictError";
}

/** Parses `input` with `schema`, or throws a ValidationError naming `what` and each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    what,
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message })),
  );
}

export function newId(): string {
  return randomUUID();
}

/** Timestamps are ISO 8601 in UTC with milliseconds: one fixed width, so text order is time order. */
export function timestamp(date: Date = new Date()): string {
  return date.toISOString();
}

/** Runs `work` in a transaction, or in the caller's when `db` already is one (Kysely does not nest them). */
export async function inTransaction<T>(db: Kysely<Schema>, work: (trx: Kysely<Schema>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/**
 * `column` contains `needle`, ignoring case, on both SQLite and PostgreSQL
 * (`ilike` is PostgreSQL's only). `%`, `_` and `\` in the needle are taken
 * literally. SQLite's lower() folds ASCII letters only.
 */
export function containsText(column: Expression<string | null>, needle: string): RawBuilder<SqlBool> {
  const pattern = `%${needle.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
  return sql<SqlBool>`lower(${column}) like ${pattern} escape '\\'`;
}

/** Page size bounds for every list: enough for a page, not enough to dump a table by accident. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/**
 * The limit and offset a list sends to SQL: whole numbers only, the limit
 * within 1..MAX_PAGE_SIZE (50 when not given or not usable), the offset 0 or
 * more. Number.isInteger holds for 1e20 too, which neither database takes
 * (SQLite refuses the double, PostgreSQL overflows bigint), so an offset
 * past the safe integers is clamped to Number.MAX_SAFE_INTEGER: still past
 * the last row, so the page is empty, which is what such an offset means.
 */
export function pageOf(limit: number | undefined, offset: number | undefined): { limit: number; offset: number } {
  const safeLimit = limit !== undefined && Number.isInteger(limit) && limit > 0 ? Math.min(limit, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  const safeOffset = offset !== undefined && Number.isInteger(offset) && offset > 0 ? Math.min(offset, Number.MAX_SAFE_INTEGER) : 0;
  return { limit: safeLimit, offset: safeOffset };
}

/** A one-line reason; connection failures to several addresses arrive as an AggregateError with no message. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(describeError))].join("; ");
  }
  if (error instanceof Error) {
    if (error.message !== "") return error.message;
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === "string" ? code : error.name;
  }
  return String(error);
}

/** For the few statements whose SQL differs between the two databases (triggers, JSON aggregates). */
export function isPostgres<DB>(db: Kysely<DB>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
