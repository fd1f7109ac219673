/**
 * Where a contract stands, per required standard and asset: compliant,
 * failing (since the first run of the current failing streak), exempted
 * (until when), or not yet checked; read from the contract's finished runs
 * (result_tests for the verdicts, the stored report for the evidence). A
 * standard that no automated test covers in an asset's suite (ISO 27001 on a
 * web domain) is listed apart: it needs evidence on paper, not a check.
 *
 * @example
 *   const view = await contractCompliance(store.db, contract);
 *   for (const cell of view.cells) console.log(cell.domain, cell.standard, cell.state, cell.failingSince);
 */
import type { Kysely } from "kysely";
import type { Schema } from "../store/index.ts";
import type { Contract, ContractAsset } from "./contracts.ts";
import { listContracts } from "./contracts.ts";
import { testsOfStandards } from "./execute.ts";
import { exemptionHolds, listExemptions, type Exemption } from "./exemptions.ts";
import { getResult } from "./runs.ts";

export type ComplianceState = "compliant" | "failing" | "exempted" | "unchecked";

export interface TestEvidence {
  id: string;
  title: string;
  status: string;
  summary: string;
}

export interface ComplianceCell extends ContractAsset {
  standard: string;
  state: ComplianceState;
  /** What the checks say under an exemption (compliant, failing or unchecked). */
  checked: Exclude<ComplianceState, "exempted">;
  /** Failing: when the current failing streak's first run was made. */
  failingSince: string | null;
  /** When the latest result for this asset was checked. */
  checkedAt: string | null;
  runId: string | null;
  exemption: Exemption | null;
  /** The standard's tests in the latest result (failing ones first): the evidence. */
  tests: TestEvidence[];
}

export interface ContractCompliance {
  contract: Contract;
  cells: ComplianceCell[];
  /** Required standards no automated test of any asset's suite covers. */
  manualStandards: string[];
  counts: Record<ComplianceState, number>;
  lastRunAt: string | null;
  deadlinePassed: boolean;
  exemptions: Exemption[];
}

/** Finished runs looked at for a failing streak: a year of weekly runs. */
const HISTORY = 60;

const FAILED = new Set(["failed"]);
const VERDICTS = new Set(["passed", "info", "warning", "failed"]);

export async function contractCompliance(db: Kysely<Schema>, contract: Contract, now: Date = new Date()): Promise<ContractCompliance> {
  const today = now.toISOString().slice(0, 10);
  const exemptions = await listExemptions(db, contract.id);
  const liveExemption = (standard: string): Exemption | null =>
    exemptions.filter((exemption) => exemption.standard === standard && exemptionHolds(exemption, today)).sort((a, b) => (b.expiresOn ?? "9999").localeCompare(a.expiresOn ?? "9999"))[0] ?? null;
  const runs = await db
    .selectFrom("runs")
    .select(["id", "created_at", "finished_at"])
    .where("subject_kind", "=", "contract")
    .where("subject_id", "=", contract.id)
    .where("status", "=", "done")
    .orderBy("created_at", "desc")
    .orderBy("id")
    .limit(HISTORY)
    .execute();
  const runIds = runs.map((run) => run.id);
  const verdicts = runIds.length === 0 ? [] : await db.selectFrom("result_tests").select(["run_id", "domain", "suite", "standard", "status"]).where("run_id", "in", runIds).execute();
  // run → "domain suite standard" → statuses
  const byRun = new Map<string, Map<string, string[]>>();
  for (const row of verdicts) {
    const cells = byRun.get(row.run_id) ?? new Map<string, string[]>();
    const key = `${row.domain} ${row.suite} ${row.standard}`;
    cells.set(key, [...(cells.get(key) ?? []), row.status]);
    byRun.set(row.run_id, cells);
  }
  const stateIn = (runId: string, key: string): Exclude<ComplianceState, "exempted"> | undefined => {
    const statuses = byRun.get(runId)?.get(key);
    if (!statuses) return undefined;
    if (statuses.some((status) => FAILED.has(status))) return "failing";
    return statuses.some((status) => VERDICTS.has(status)) ? "compliant" : "unchecked";
  };

  const cells: ComplianceCell[] = [];
  const covered = new Set<string>();
  for (const asset of contract.assets) {
    const standards = contract.standards.filter((standard) => testsOfStandards(asset.suite, [standard]).length > 0);
    standards.forEach((standard) => covered.add(standard));
    // The latest finished run that has a result for this asset: its report holds the evidence.
    const latestRun = runs.find((run) => [...(byRun.get(run.id)?.keys() ?? [])].some((key) => key.startsWith(`${asset.domain} ${asset.suite} `)));
    const result = latestRun ? await getResult(db, latestRun.id, asset.domain, asset.suite) : undefined;
    for (const standard of standards) {
      const key = `${asset.domain} ${asset.suite} ${standard}`;
      const index = runs.findIndex((run) => stateIn(run.id, key) !== undefined);
      const current = index === -1 ? "unchecked" : (stateIn(runs[index]?.id ?? "", key) ?? "unchecked");
      let failingSince: string | null = null;
      if (current === "failing") {
        for (let at = index; at < runs.length; at++) {
          const run = runs[at];
          if (!run) break;
          const state = stateIn(run.id, key);
          // A run without the test, or whose test could not run (error, not tested), says nothing about what is
          // deployed (as for regressions): it neither ends the streak nor starts it.
          if (state === undefined || state === "unchecked") continue;
          if (state !== "failing") break;
          failingSince = run.created_at;
        }
      }
      const tests = (result?.report?.tests ?? [])
        .filter((test) => test.standard === standard)
        .map((test) => ({ id: test.id, title: test.title, status: test.status, summary: test.summary }))
        .sort((a, b) => Number(FAILED.has(b.status)) - Number(FAILED.has(a.status)));
      const exemption = liveExemption(standard);
      cells.push({
        domain: asset.domain,
        suite: asset.suite,
        standard,
        state: exemption ? "exempted" : current,
        checked: current,
        failingSince,
        checkedAt: result?.checkedAt ?? null,
        runId: index === -1 ? null : (runs[index]?.id ?? null),
        exemption,
        tests,
      });
    }
  }
  const counts: Record<ComplianceState, number> = { compliant: 0, failing: 0, exempted: 0, unchecked: 0 };
  for (const cell of cells) counts[cell.state] += 1;
  return {
    contract,
    cells,
    manualStandards: contract.standards.filter((standard) => !covered.has(standard)),
    counts,
    lastRunAt: runs[0]?.finished_at ?? null,
    deadlinePassed: contract.deadlineOn !== null && contract.deadlineOn < today,
    exemptions,
  };
}

export interface SupplierCompliance {
  supplier: string;
  contracts: ContractCompliance[];
  counts: Record<ComplianceState, number>;
}

/** Every contract of one supplier (its name without regard to case), with the totals. */
export async function supplierCompliance(db: Kysely<Schema>, supplier: string, now: Date = new Date()): Promise<SupplierCompliance> {
  const contracts = await listContracts(db, { supplier });
  const views: ContractCompliance[] = [];
  for (const contract of contracts) views.push(await contractCompliance(db, contract, now));
  const counts: Record<ComplianceState, number> = { compliant: 0, failing: 0, exempted: 0, unchecked: 0 };
  for (const view of views) for (const state of Object.keys(counts) as ComplianceState[]) counts[state] += view.counts[state];
  return { supplier: contracts[0]?.supplier ?? supplier, contracts: views, counts };
}
