/**
 * Comply or explain: the buyer accepts that a contract's supplier does not
 * meet one standard, says why, who decided, and until when. An exempted
 * standard raises no regression alert and no deadline alert while the
 * exemption lasts (regressions.ts exemptStandards), and the compliance view
 * and the letter show it as exempted rather than failing.
 *
 * @example
 *   await addExemption(store.db, contract.id, { standard: "dane", reason: "No DNSSEC at the registrar yet", decidedBy: "CISO", expiresOn: "2027-06-30" }, user.id);
 */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { z } from "zod";
import { audit, type Schema } from "../store/index.ts";
import { calendarDay } from "./contracts.ts";
import { NotFoundError, ValidationError, inTransaction, parseInput } from "../store/support.ts";

export interface Exemption {
  id: string;
  contractId: string;
  standard: string;
  reason: string;
  decidedBy: string;
  /** YYYY-MM-DD, the last day it holds; null: no end. */
  expiresOn: string | null;
  createdAt: string;
}

export const exemptionInput = z.strictObject({
  standard: z.string().trim().min(1, "required").max(100),
  reason: z.string().trim().min(1, "required").max(2000),
  decidedBy: z.string().trim().min(1, "required").max(200),
  // "" (the form's empty date field) is no end, as null is.
  expiresOn: z
    .literal("")
    .or(calendarDay)
    .nullish()
    .transform((value) => value || null),
});
export type ExemptionInput = z.input<typeof exemptionInput>;

function toExemption(row: Schema["exemptions"]): Exemption {
  return { id: row.id, contractId: row.contract_id, standard: row.standard, reason: row.reason, decidedBy: row.decided_by, expiresOn: row.expires_on, createdAt: row.created_at };
}

/** Whether the exemption holds on `day` (YYYY-MM-DD): it ends after its expiry day. */
export function exemptionHolds(exemption: Pick<Exemption, "expiresOn">, day: string): boolean {
  return exemption.expiresOn === null || exemption.expiresOn >= day;
}

/** Records an exemption of a standard the contract requires; throws ValidationError otherwise. */
export async function addExemption(db: Kysely<Schema>, contractId: string, input: unknown, actorId: string | null, now: Date = new Date()): Promise<Exemption> {
  const valid = parseInput(exemptionInput, input, "exemption");
  return inTransaction(db, async (trx) => {
    const contract = await trx.selectFrom("contracts").select("standards").where("id", "=", contractId).executeTakeFirst();
    if (!contract) throw new NotFoundError(`no contract ${contractId}`);
    if (!(JSON.parse(contract.standards) as string[]).includes(valid.standard)) throw new ValidationError("exemption", [{ path: "standard", message: `the contract does not require "${valid.standard}"` }]);
    const row: Schema["exemptions"] = {
      id: randomUUID(),
      contract_id: contractId,
      standard: valid.standard,
      reason: valid.reason,
      decided_by: valid.decidedBy,
      expires_on: valid.expiresOn,
      created_at: now.toISOString(),
    };
    await trx.insertInto("exemptions").values(row).execute();
    await audit(trx, { userId: actorId, action: "create", entity: "exemption", entityId: row.id, detail: { contract: contractId, standard: row.standard, reason: row.reason, decidedBy: row.decided_by, expiresOn: row.expires_on } });
    return toExemption(row);
  });
}

export async function removeExemption(db: Kysely<Schema>, contractId: string, id: string, actorId: string | null): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await trx.selectFrom("exemptions").selectAll().where("id", "=", id).where("contract_id", "=", contractId).executeTakeFirst();
    if (!row) throw new NotFoundError(`no exemption ${id}`);
    await trx.deleteFrom("exemptions").where("id", "=", id).execute();
    await audit(trx, { userId: actorId, action: "delete", entity: "exemption", entityId: id, detail: { contract: contractId, standard: row.standard } });
  });
}

/** A contract's exemptions, expired ones included (the record of what was decided), by standard. */
export async function listExemptions(db: Kysely<Schema>, contractId: string): Promise<Exemption[]> {
  const rows = await db.selectFrom("exemptions").selectAll().where("contract_id", "=", contractId).orderBy("standard").orderBy("created_at").execute();
  return rows.map(toExemption);
}
