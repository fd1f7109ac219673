/**
 * Known devices: browsers an account has signed in from. A successful login
 * hands the browser a random token in a long-lived cookie; the database
 * keeps only the token's SHA-256 with the user's id (a copy of the database
 * names no usable token). At login, a valid token for the account lets the
 * attempt through while the account backs off (src/server/login-throttle.ts)
 * and ahead in the hashing queue: it is something an attacker guessing
 * passwords does not have.
 *
 * Bounded: at most MAX_DEVICES_PER_USER per account (the least recently used
 * go first), each forgotten DEVICE_TTL_MS after its last login. A new
 * password forgets them all (users.ts): whoever knew the old one may have
 * signed in from their own browser.
 *
 * Kept out of backups, like the throttle: it is no data of the observatory,
 * and a restored database starts with none (users sign in once more).
 *
 * @example
 *   const token = await rememberDevice(db, user.id, cookieTokens);
 *   const known = await knownDevice(db, cookieTokens, user.id); // at the next login
 */
import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "./schema.ts";
import { timestamp } from "./support.ts";

export interface LoginDevicesTable {
  /** SHA-256 of the cookie's token. */
  id: string;
  user_id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
}

export const DEVICE_TTL_MS = 180 * 24 * 60 * 60 * 1000;
export const MAX_DEVICES_PER_USER = 10;

type DevicesDb = Kysely<Schema & { login_devices: LoginDevicesTable }>;

const devices = (db: Kysely<Schema>): DevicesDb => db.$extendTables<{ login_devices: LoginDevicesTable }>();

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The first of `tokens` that is a live device of `userId`, or undefined. */
export async function knownDevice(db: Kysely<Schema>, tokens: readonly string[], userId: string, now: Date = new Date()): Promise<string | undefined> {
  if (tokens.length === 0) return undefined;
  const hashes = tokens.map(hashToken);
  const rows = await devices(db)
    .selectFrom("login_devices")
    .select("id")
    .where("id", "in", hashes)
    .where("user_id", "=", userId)
    .where("expires_at", ">", timestamp(now))
    .execute();
  const found = new Set(rows.map((row) => row.id));
  return tokens.find((_, index) => found.has(hashes[index] ?? ""));
}

/**
 * After a successful login: renews the device among `tokens` that is
 * `userId`'s, or makes a new one, and returns its token (for the cookie);
 * then forgets the account's expired devices and those beyond the bound.
 */
export async function rememberDevice(
  db: Kysely<Schema>,
  userId: string,
  tokens: readonly string[] = [],
  options: { now?: Date; ttlMs?: number; maxPerUser?: number } = {},
): Promise<{ token: string; expiresAt: Date }> {
  const now = options.now ?? new Date();
  const expiresAt = new Date(now.getTime() + (options.ttlMs ?? DEVICE_TTL_MS));
  const existing = await knownDevice(db, tokens, userId, now);
  const token = existing ?? randomBytes(32).toString("base64url");
  const table = devices(db);
  if (existing) {
    await table.updateTable("login_devices").set({ last_used_at: timestamp(now), expires_at: timestamp(expiresAt) }).where("id", "=", hashToken(existing)).execute();
  } else {
    await table.insertInto("login_devices").values({ id: hashToken(token), user_id: userId, created_at: timestamp(now), last_used_at: timestamp(now), expires_at: timestamp(expiresAt) }).execute();
  }
  const keep = await table
    .selectFrom("login_devices")
    .select("id")
    .where("user_id", "=", userId)
    .where("expires_at", ">", timestamp(now))
    .orderBy("last_used_at", "desc")
    .orderBy("id")
    .limit(options.maxPerUser ?? MAX_DEVICES_PER_USER)
    .execute();
  await table
    .deleteFrom("login_devices")
    .where("user_id", "=", userId)
    .where(
      "id",
      "not in",
      keep.map((row) => row.id),
    )
    .execute();
  return { token, expiresAt };
}

/** Forgets every device of `userId` (a new password). */
export async function forgetDevices(db: Kysely<Schema>, userId: string): Promise<void> {
  await devices(db).deleteFrom("login_devices").where("user_id", "=", userId).execute();
}
