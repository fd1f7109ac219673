/**
 * Accounts of the internet.nl-compatible batch API (HTTP Basic). Kept apart
 * from the users of the pages: an API account has no role there, cannot
 * hold a session, and sees only its own requests. The password arrives
 * hashed, as for users.
 *
 * @example
 *   await createApiAccount(db, { email: "ci@example.org", name: "CI", passwordHash }, actorId);
 *   const account = await findApiAccountByEmail(db, "ci@example.org");
 */
import type { Kysely } from "kysely";
import { z } from "zod";
import { audit } from "./audit.ts";
import type { Schema } from "./schema.ts";
import { ConflictError, inTransaction, newId, parseInput, timestamp } from "./support.ts";

export interface ApiAccount {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

export interface ApiAccountWithPassword extends ApiAccount {
  passwordHash: string;
}

const apiAccountInput = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email("must be an e-mail address")),
  name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  passwordHash: z.string().min(1),
});

export async function createApiAccount(db: Kysely<Schema>, input: { email: string; name: string; passwordHash: string }, actorId: string | null): Promise<ApiAccount> {
  const valid = parseInput(apiAccountInput, input, "API account");
  return inTransaction(db, async (trx) => {
    const taken = await trx.selectFrom("api_accounts").select("id").where("email", "=", valid.email).executeTakeFirst();
    if (taken) throw new ConflictError(`an API account with e-mail ${valid.email} already exists`);
    const row = { id: newId(), email: valid.email, name: valid.name, password_hash: valid.passwordHash, created_at: timestamp() };
    await trx.insertInto("api_accounts").values(row).execute();
    await audit(trx, { userId: actorId, action: "create", entity: "api_account", entityId: row.id, detail: { email: row.email, name: row.name } });
    return { id: row.id, email: row.email, name: row.name, createdAt: row.created_at };
  });
}

/** With the password hash, to check HTTP Basic credentials; the address is matched without regard to case. */
export async function findApiAccountByEmail(db: Kysely<Schema>, email: string): Promise<ApiAccountWithPassword | undefined> {
  const row = await db.selectFrom("api_accounts").selectAll().where("email", "=", email.trim().toLowerCase()).executeTakeFirst();
  return row && { id: row.id, email: row.email, name: row.name, createdAt: row.created_at, passwordHash: row.password_hash };
}

export async function listApiAccounts(db: Kysely<Schema>): Promise<ApiAccount[]> {
  const rows = await db.selectFrom("api_accounts").selectAll().orderBy("email").execute();
  return rows.map((row) => ({ id: row.id, email: row.email, name: row.name, createdAt: row.created_at }));
}
