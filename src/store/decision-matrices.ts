/**
 * Saved decision matrices (criteria, weights, scores per institution). The
 * decision module owns the definition's shape; the store keeps it as JSON
 * with a name and an owner.
 *
 * @example
 *   const saved = await saveDecisionMatrix(db, { name: "Whom to engage first", definition }, user.id);
 *   const again = await getDecisionMatrix(db, saved.id);
 */
import type { Kysely, Selectable } from "kysely";
import { audit } from "./audit.ts";
import { decisionMatrixInput, type DecisionMatrixInput } from "./records.ts";
import type { DecisionMatricesTable, Schema } from "./schema.ts";
import { NotFoundError, inTransaction, newId, parseInput, timestamp } from "./support.ts";

export interface DecisionMatrix {
  id: string;
  name: string;
  ownerId: string;
  definition: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export type DecisionMatrixSummary = Omit<DecisionMatrix, "definition">;

function matrixFromRow(row: Selectable<DecisionMatricesTable>): DecisionMatrix {
  return {
    id: row.id,
    name: row.name,
    ownerId: row.owner_id,
    definition: JSON.parse(row.definition) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Creates a matrix owned by `ownerId`, or, with `id`, replaces the name and
 * definition of an existing one (its owner stays).
 */
export async function saveDecisionMatrix(
  db: Kysely<Schema>,
  input: DecisionMatrixInput & { id?: string },
  ownerId: string,
): Promise<DecisionMatrix> {
  const { id, ...fields } = input;
  const valid = parseInput(decisionMatrixInput, fields, "decision matrix");
  const now = timestamp();
  const definition = JSON.stringify(valid.definition);
  return inTransaction(db, async (trx) => {
    if (id === undefined) {
      const row = { id: newId(), name: valid.name, owner_id: ownerId, definition, created_at: now, updated_at: now };
      await trx.insertInto("decision_matrices").values(row).execute();
      await audit(trx, { userId: ownerId, action: "create", entity: "decision-matrix", entityId: row.id, detail: { name: valid.name } });
      return matrixFromRow(row);
    }
    const row = await trx
      .updateTable("decision_matrices")
      .set({ name: valid.name, definition, updated_at: now })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`no decision matrix with id ${id}`);
    await audit(trx, { userId: ownerId, action: "update", entity: "decision-matrix", entityId: id, detail: { name: valid.name } });
    return matrixFromRow(row);
  });
}

export async function getDecisionMatrix(db: Kysely<Schema>, id: string): Promise<DecisionMatrix | undefined> {
  const row = await db.selectFrom("decision_matrices").selectAll().where("id", "=", id).executeTakeFirst();
  return row && matrixFromRow(row);
}

/** Newest first; one owner's when `ownerId` is given. */
export async function listDecisionMatrices(db: Kysely<Schema>, options: { ownerId?: string } = {}): Promise<DecisionMatrixSummary[]> {
  let query = db.selectFrom("decision_matrices").select(["id", "name", "owner_id", "created_at", "updated_at"]);
  if (options.ownerId !== undefined) query = query.where("owner_id", "=", options.ownerId);
  const rows = await query.orderBy("updated_at", "desc").orderBy("id").execute();
  return rows.map((row) => ({ id: row.id, name: row.name, ownerId: row.owner_id, createdAt: row.created_at, updatedAt: row.updated_at }));
}

export async function deleteDecisionMatrix(db: Kysely<Schema>, id: string, actorId: string | null): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await trx.deleteFrom("decision_matrices").where("id", "=", id).returning("name").executeTakeFirst();
    if (!row) throw new NotFoundError(`no decision matrix with id ${id}`);
    await audit(trx, { userId: actorId, action: "delete", entity: "decision-matrix", entityId: id, detail: { name: row.name } });
  });
}
