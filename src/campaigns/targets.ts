/**
 * What a subject's run checks: a portfolio's domains in its suites, or a
 * contract's assets (each asset names its suite), read when the run is made.
 */
import type { Kysely } from "kysely";
import type { Suite } from "../checks/types.ts";
import type { Schema, SuiteChoice } from "../store/index.ts";
import type { Target } from "./runs.ts";

export function suitesOf(choice: SuiteChoice): Suite[] {
  return choice === "all" ? ["web", "mail"] : [choice];
}

export async function portfolioTargets(db: Kysely<Schema>, portfolioId: string): Promise<Target[]> {
  const portfolio = await db.selectFrom("portfolios").select("suites").where("id", "=", portfolioId).executeTakeFirst();
  if (!portfolio) return [];
  const domains = await db.selectFrom("portfolio_domains").select("domain").where("portfolio_id", "=", portfolioId).orderBy("domain").execute();
  return domains.flatMap((row) => suitesOf(portfolio.suites).map((suite) => ({ domain: row.domain, suite })));
}

export async function contractTargets(db: Kysely<Schema>, contractId: string): Promise<Target[]> {
  const rows = await db.selectFrom("contract_assets").select(["domain", "suite"]).where("contract_id", "=", contractId).orderBy("domain").orderBy("suite").execute();
  return rows.map((row) => ({ domain: row.domain, suite: row.suite }));
}

/** The standards a contract requires (what its runs check). */
export async function contractStandards(db: Kysely<Schema>, contractId: string): Promise<string[]> {
  const row = await db.selectFrom("contracts").select("standards").where("id", "=", contractId).executeTakeFirst();
  return row ? (JSON.parse(row.standards) as string[]) : [];
}
