/**
 * Accounts and sessions. Passwords arrive already hashed (the server hashes
 * them with a memory-hard function); session tokens are stored only as their
 * SHA-256, so that a copy of the database cannot be used to log in.
 *
 * @example
 *   const admin = await createUser(db, { email, name, role: "admin", passwordHash }, null);
 *   const { token, csrfToken } = await createSession(db, admin.id);
 *   const session = await findSession(db, token); // from the cookie, on each request
 */
import { createHash, randomBytes } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { z } from "zod";
import { audit, changedFields } from "./audit.ts";
import { forgetDevices } from "./devices.ts";
import { roleSchema, userInput, type User, type UserInput } from "./records.ts";
import type { Schema, UsersTable } from "./schema.ts";
import { ConflictError, NotFoundError, inTransaction, newId, parseInput, timestamp } from "./support.ts";

export interface UserWithPassword extends User {
  passwordHash: string;
}

function userFromRow(row: Selectable<UsersTable>): User {
  return { id: row.id, email: row.email, name: row.name, role: row.role, createdAt: row.created_at };
}

export async function createUser(db: Kysely<Schema>, input: UserInput, actorId: string | null): Promise<User> {
  const valid = parseInput(userInput, input, "user");
  return inTransaction(db, async (trx) => {
    const taken = await trx.selectFrom("users").select("id").where("email", "=", valid.email).executeTakeFirst();
    if (taken) throw new ConflictError(`a user with e-mail ${valid.email} already exists`);
    const row = {
      id: newId(),
      email: valid.email,
      name: valid.name,
      role: valid.role,
      password_hash: valid.passwordHash,
      created_at: timestamp(),
    };
    await trx.insertInto("users").values(row).execute();
    const user = userFromRow(row);
    await audit(trx, { userId: actorId, action: "create", entity: "user", entityId: user.id, detail: { email: user.email, name: user.name, role: user.role } });
    return user;
  });
}

/** With the password hash, to check a login; the address is matched without regard to case. */
export async function findUserByEmail(db: Kysely<Schema>, email: string): Promise<UserWithPassword | undefined> {
  const row = await db.selectFrom("users").selectAll().where("email", "=", email.trim().toLowerCase()).executeTakeFirst();
  return row && { ...userFromRow(row), passwordHash: row.password_hash };
}

export async function findUserById(db: Kysely<Schema>, id: string): Promise<User | undefined> {
  const row = await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  return row && userFromRow(row);
}

export async function listUsers(db: Kysely<Schema>): Promise<User[]> {
  const rows = await db.selectFrom("users").selectAll().orderBy("email").execute();
  return rows.map(userFromRow);
}

/** Zero on a new installation: the cue for `baseline admin create`. */
export async function countUsers(db: Kysely<Schema>): Promise<number> {
  const { total } = await db.selectFrom("users").select((eb) => eb.fn.countAll().as("total")).executeTakeFirstOrThrow();
  return Number(total);
}

const userChanges = z.strictObject({
  name: userInput.shape.name.optional(),
  role: roleSchema.optional(),
  passwordHash: userInput.shape.passwordHash.optional(),
});
export type UserChanges = z.input<typeof userChanges>;

/** Thrown when a change would leave the installation without any admin. */
export class LastAdminError extends ConflictError {
  override name = "LastAdminError";
}

/**
 * Refuses to take the admin role from `id` when no other admin would be left
 * (nobody could then manage accounts except on the command line).
 * The no-op update first locks every admin row: on PostgreSQL two concurrent
 * demotions of the last two admins would otherwise each count the other one
 * and both commit; with the lock the second waits and then counts again.
 * On SQLite the update takes the database's write lock, to the same effect.
 */
async function keepAnAdmin(trx: Kysely<Schema>, id: string): Promise<void> {
  await trx.updateTable("users").set((eb) => ({ role: eb.ref("role") })).where("role", "=", "admin").execute();
  const { others } = await trx
    .selectFrom("users")
    .select((eb) => eb.fn.countAll().as("others"))
    .where("role", "=", "admin")
    .where("id", "<>", id)
    .executeTakeFirstOrThrow();
  if (Number(others) === 0) throw new LastAdminError("the last admin cannot lose the admin role");
}

/**
 * Changes name, role or password; a new password or role ends the user's
 * sessions, and a new password forgets the user's known devices (devices.ts). Taking the admin role from the last admin is a LastAdminError.
 */
export async function updateUser(db: Kysely<Schema>, id: string, changes: UserChanges, actorId: string | null): Promise<User> {
  const valid = parseInput(userChanges, changes, "user");
  return inTransaction(db, async (trx) => {
    const before = await trx.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
    if (!before) throw new NotFoundError(`no user with id ${id}`);
    if (before.role === "admin" && valid.role !== undefined && valid.role !== "admin") await keepAnAdmin(trx, id);
    const after = {
      ...before,
      name: valid.name ?? before.name,
      role: valid.role ?? before.role,
      password_hash: valid.passwordHash ?? before.password_hash,
    };
    await trx
      .updateTable("users")
      .set({ name: after.name, role: after.role, password_hash: after.password_hash })
      .where("id", "=", id)
      .execute();
    if (after.password_hash !== before.password_hash || after.role !== before.role) {
      await trx.deleteFrom("sessions").where("user_id", "=", id).execute();
    }
    // Whoever knew the old password may have signed in from their own browser: it is no known device any more.
    if (after.password_hash !== before.password_hash) await forgetDevices(trx, id);
    const detail: Record<string, unknown> = changedFields(userFromRow(before), userFromRow(after));
    if (after.password_hash !== before.password_hash) detail.password = "changed";
    await audit(trx, { userId: actorId, action: "update", entity: "user", entityId: id, detail });
    return userFromRow(after);
  });
}

// ---- sessions ----

export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface NewSession {
  /** For the cookie; the database keeps only its hash. */
  token: string;
  /** For forms of this session (synchronizer token pattern). */
  csrfToken: string;
  expiresAt: string;
}

export interface Session {
  user: User;
  csrfToken: string;
  expiresAt: string;
}

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

export async function createSession(
  db: Kysely<Schema>,
  userId: string,
  options: { ttlMs?: number; now?: Date } = {},
): Promise<NewSession> {
  const now = options.now ?? new Date();
  const session = {
    token: randomToken(),
    csrfToken: randomToken(),
    expiresAt: timestamp(new Date(now.getTime() + (options.ttlMs ?? DEFAULT_SESSION_TTL_MS))),
  };
  await db
    .insertInto("sessions")
    .values({ id: hashToken(session.token), user_id: userId, csrf_token: session.csrfToken, created_at: timestamp(now), expires_at: session.expiresAt })
    .execute();
  return session;
}

/** The live session of a cookie's token, with its user; undefined when unknown or expired. */
export async function findSession(db: Kysely<Schema>, token: string, now: Date = new Date()): Promise<Session | undefined> {
  const row = await db
    .selectFrom("sessions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .selectAll("u")
    .select(["s.csrf_token", "s.expires_at"])
    .where("s.id", "=", hashToken(token))
    .where("s.expires_at", ">", timestamp(now))
    .executeTakeFirst();
  return row && { user: userFromRow(row), csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

export async function deleteSession(db: Kysely<Schema>, token: string): Promise<void> {
  await db.deleteFrom("sessions").where("id", "=", hashToken(token)).execute();
}

export async function deleteUserSessions(db: Kysely<Schema>, userId: string): Promise<void> {
  await db.deleteFrom("sessions").where("user_id", "=", userId).execute();
}

/** Removes expired sessions; returns how many. */
export async function deleteExpiredSessions(db: Kysely<Schema>, now: Date = new Date()): Promise<number> {
  const result = await db.deleteFrom("sessions").where("expires_at", "<=", timestamp(now)).executeTakeFirst();
  return Number(result.numDeletedRows);
}
