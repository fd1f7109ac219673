/**
 * The audit log: who changed what, and when. Every write of the
 * repositories records itself here in the same transaction as the change,
 * so that a change without its entry (or the reverse) cannot be committed.
 *
 * @example
 *   await audit(db, { userId: admin.id, action: "login", entity: "user", entityId: admin.id });
 *   const { items } = await listAudit(db, { entity: "policy", entityId: policy.id });
 */
import type { Kysely } from "kysely";
import type { Schema } from "./schema.ts";
import { newId, pageOf, timestamp } from "./support.ts";

export interface AuditEntryInput {
  /** The acting user; null for the system (first start, command line without an account). */
  userId: string | null;
  /** What happened: create, update, delete, import, restore, login, ... */
  action: string;
  /** The kind of record: user, institution, policy, decision-matrix, database. */
  entity: string;
  entityId?: string | null;
  /** What changed, kept as JSON. */
  detail?: unknown;
}

export interface AuditEntry {
  id: string;
  at: string;
  userId: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  detail: unknown;
}

export interface AuditFilter {
  userId?: string;
  entity?: string;
  entityId?: string;
  limit?: number;
  offset?: number;
}

export async function audit(db: Kysely<Schema>, entry: AuditEntryInput): Promise<void> {
  await db
    .insertInto("audit_log")
    .values({
      id: newId(),
      at: timestamp(),
      user_id: entry.userId,
      action: entry.action,
      entity: entry.entity,
      entity_id: entry.entityId ?? null,
      detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
    })
    .execute();
}

/** Newest first. */
export async function listAudit(db: Kysely<Schema>, filter: AuditFilter = {}): Promise<{ items: AuditEntry[]; total: number }> {
  let query = db.selectFrom("audit_log");
  if (filter.userId !== undefined) query = query.where("user_id", "=", filter.userId);
  if (filter.entity !== undefined) query = query.where("entity", "=", filter.entity);
  if (filter.entityId !== undefined) query = query.where("entity_id", "=", filter.entityId);
  const { limit, offset } = pageOf(filter.limit, filter.offset);
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy("at", "desc").orderBy("id").limit(limit).offset(offset).execute(),
    query.select((eb) => eb.fn.countAll().as("total")).executeTakeFirstOrThrow(),
  ]);
  return {
    total: Number(count.total),
    items: rows.map((row) => ({
      id: row.id,
      at: row.at,
      userId: row.user_id,
      action: row.action,
      entity: row.entity,
      entityId: row.entity_id,
      detail: row.detail === null ? null : (JSON.parse(row.detail) as unknown),
    })),
  };
}

/** The fields whose values differ, as { field: [before, after] }: the "what" of an update. */
export function changedFields<T extends object>(before: T, after: T): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  for (const key of Object.keys(after) as (keyof T & string)[]) {
    if (key === "updatedAt") continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes[key] = [before[key], after[key]];
  }
  return changes;
}
