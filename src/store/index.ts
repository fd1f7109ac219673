/**
 * The observatory's database layer: open a store (SQLite or PostgreSQL,
 * migrated on open), then call the repositories with `store.db`. Every
 * write validates its input, runs in a transaction and records itself in
 * the audit log; every read shows published policies only unless asked.
 *
 * @example
 *   const store = await openDatabase("sqlite:data/baseline.db");
 *   const { items } = await listPolicies(store.db, { standard: "dnssec" });
 *   await store.close();
 */
export * from "./audit.ts";
export * from "./backup.ts";
export * from "./csv.ts";
export * from "./database.ts";
export * from "./decision-matrices.ts";
export * from "./devices.ts";
export * from "./exchange.ts";
export * from "./institutions.ts";
export * from "./login-throttle.ts";
export * from "./matrix.ts";
export * from "./policies.ts";
export * from "./records.ts";
export * from "./schema.ts";
export { ConflictError, NotFoundError, ValidationError, type Issue } from "./support.ts";
export * from "./users.ts";
export { cachedRead, dataRevision, type CacheSpace } from "./read-cache.ts";
export { sqliteWriteIntent } from "./sqlite.ts";
export * from "./api-accounts.ts";
export * from "./surveys.ts";
