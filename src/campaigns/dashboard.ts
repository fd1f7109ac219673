/**
 * What a portfolio's dashboard shows, as queries on the stored runs:
 * adoption per standard per run, the latest run's domains × categories,
 * the regressions since the run before, and the run history. The pages,
 * the charts and the exports read these; nothing here renders.
 *
 * Adoption, per suite and standard: a domain adopts a standard in a run
 * when every scored (required) test of the standard passed, as the scoring
 * counts them (passed, warning and info earn their points); one failure
 * and it does not. A domain whose tests of the standard could not be run
 * (error, not tested) and did not fail is "not measured" and left out of
 * the share, since it says nothing of what is deployed. The share is
 * counted in SQL, grouped per run, domain and standard, so that a
 * portfolio of 10,000 domains does not bring millions of rows to Node.
 *
 * @example
 *   const history = await adoptionHistory(store.db, portfolio.id);
 *   const page = await domainMatrix(store.db, portfolio.id, latest.id, { limit: 100 });
 */
import { sql, type Kysely } from "kysely";
import { allChecks, SUITE_CATEGORIES } from "../checks/registry.ts";
import type { CheckStatus, DomainReport, Suite } from "../checks/types.ts";
import type { Schema, SuiteChoice } from "../store/schema.ts";
import { containsText, pageOf } from "../store/support.ts";
import { compareRuns, type RunComparison, type TestChange } from "./regressions.ts";
import { countResults, listRuns, previousFinishedRun, type RunRecord } from "./runs.ts";
import { suitesOf } from "./targets.ts";

/** The tests whose verdicts count for adoption: the required ones, as the scoring counts them. */
const SCORED_TEST_IDS: readonly string[] = allChecks()
  .filter((check) => check.weight === "required")
  .map((check) => check.id);

export interface StandardAdoption {
  suite: Suite;
  standard: string;
  /** Domains every scored test of the standard passed on. */
  adopted: number;
  /** Domains with at least one scored test of the standard failed. */
  notAdopted: number;
  /** Domains whose tests of the standard could not be run (and did not fail). */
  notMeasured: number;
  /** adopted / (adopted + notAdopted), 0-100; null when no domain was measured. */
  share: number | null;
}

export interface RunAdoption {
  run: RunRecord;
  /** Mean score of the run's results that have one (0-100), or null. */
  meanScore: number | null;
  standards: StandardAdoption[];
}

/** `suite:standard`, the key of a standard's series across runs. */
export const adoptionKey = (entry: { suite: string; standard: string }): string => `${entry.suite}:${entry.standard}`;

/**
 * Adoption per standard in each of the portfolio's last `limit` finished
 * runs, oldest first (the order of a chart's x axis).
 */
export async function adoptionHistory(db: Kysely<Schema>, portfolioId: string, options: { limit?: number } = {}): Promise<RunAdoption[]> {
  const runs = (await listRuns(db, "portfolio", portfolioId, 500)).filter((run) => run.status === "done").slice(0, options.limit ?? 24).reverse();
  if (runs.length === 0) return [];
  const missing = runs.filter((run) => !FINISHED_RUNS.has(run.id));
  if (missing.length > 0) {
    const counted = await countAdoption(db, missing.map((run) => run.id));
    for (const run of missing) remember(run.id, counted.get(run.id) ?? { meanScore: null, standards: [] });
  }
  return runs.map((run) => {
    const figures = FINISHED_RUNS.get(run.id) ?? { meanScore: null, standards: [] };
    return { run, meanScore: figures.meanScore, standards: figures.standards.map((entry) => ({ ...entry })) };
  });
}

/**
 * A finished run's figures never change (its results are written once), so
 * they are counted once per process: on SQLite a run of 10,000 domains
 * takes some 0.6 s to count, and the dashboard shows twelve runs. Run ids
 * are random UUIDs, unique across databases. Bounded: the oldest entries go
 * first.
 */
const FINISHED_RUNS = new Map<string, { meanScore: number | null; standards: StandardAdoption[] }>();
const MAX_CACHED_RUNS = 2000;

function remember(key: string, figures: { meanScore: number | null; standards: StandardAdoption[] }): void {
  FINISHED_RUNS.set(key, figures);
  if (FINISHED_RUNS.size > MAX_CACHED_RUNS) FINISHED_RUNS.delete(FINISHED_RUNS.keys().next().value ?? "");
}

/** Adoption per standard and the mean score of each of the given (finished) runs, counted in SQL. */
async function countAdoption(db: Kysely<Schema>, runIds: readonly string[]): Promise<Map<string, { meanScore: number | null; standards: StandardAdoption[] }>> {
  const perDomain = db
    .selectFrom("result_tests")
    .select([
      "run_id",
      "suite",
      "domain",
      "standard",
      sql<number>`sum(case when status = 'failed' then 1 else 0 end)`.as("bad"),
      sql<number>`sum(case when status in ('passed', 'warning', 'info') then 1 else 0 end)`.as("good"),
      sql<number>`sum(case when status = 'error' then 1 else 0 end)`.as("unknown"),
    ])
    .where("run_id", "in", [...runIds])
    .where("test_id", "in", [...SCORED_TEST_IDS])
    .groupBy(["run_id", "suite", "domain", "standard"]);
  const rows = await db
    .selectFrom(perDomain.as("t"))
    .select([
      "t.run_id",
      "t.suite",
      "t.standard",
      sql<string>`sum(case when t.bad = 0 and t.unknown = 0 and t.good > 0 then 1 else 0 end)`.as("adopted"),
      sql<string>`sum(case when t.bad > 0 then 1 else 0 end)`.as("not_adopted"),
      sql<string>`count(*)`.as("domains"),
    ])
    .groupBy(["t.run_id", "t.suite", "t.standard"])
    .execute();
  const scores = await db
    .selectFrom("results")
    .select(["run_id", sql<string | number | null>`avg(score)`.as("mean")])
    .where("run_id", "in", [...runIds])
    .groupBy("run_id")
    .execute();
  const meanOf = new Map(scores.map((row) => [row.run_id, row.mean === null ? null : Math.round(Number(row.mean))]));
  const byRun = new Map<string, StandardAdoption[]>(runIds.map((id) => [id, []]));
  for (const row of rows) {
    const adopted = Number(row.adopted);
    const notAdopted = Number(row.not_adopted);
    const measured = adopted + notAdopted;
    byRun.get(row.run_id)?.push({
      suite: row.suite,
      standard: row.standard,
      adopted,
      notAdopted,
      notMeasured: Number(row.domains) - measured,
      share: measured === 0 ? null : Math.round((1000 * adopted) / measured) / 10,
    });
  }
  return new Map(
    runIds.map((id) => [id, { meanScore: meanOf.get(id) ?? null, standards: (byRun.get(id) ?? []).sort((a, b) => a.suite.localeCompare(b.suite) || a.standard.localeCompare(b.standard)) }]),
  );
}

/** The newest finished run of the portfolio, and the one before it. */
export async function latestRuns(db: Kysely<Schema>, portfolioId: string): Promise<{ latest: RunRecord | undefined; previous: RunRecord | undefined; current: RunRecord | undefined }> {
  const runs = await listRuns(db, "portfolio", portfolioId, 20);
  const latest = runs.find((run) => run.status === "done");
  // A run in progress, or queued: the page shows its progress above the latest finished one.
  const current = runs.find((run) => run.status === "queued" || run.status === "running");
  const previous = latest ? await previousFinishedRun(db, latest) : undefined;
  return { latest, previous, current };
}

/** The categories a portfolio's matrix has as columns, in the reports' order. */
export function matrixCategories(suites: SuiteChoice): string[] {
  return suitesOf(suites).flatMap((suite) => [...SUITE_CATEGORIES[suite]]);
}

export interface MatrixCell {
  status: CheckStatus;
  score: number | null;
}

export interface MatrixRow {
  domain: string;
  organisation: string | null;
  sector: string | null;
  region: string | null;
  /** Per suite checked: its score, or the error that kept it from being checked. */
  suites: { suite: Suite; score: number | null; error: string | null }[];
  /** Category id → its status and score in the stored report; absent: not checked in this run. */
  categories: Record<string, MatrixCell>;
}

export interface MatrixPage {
  rows: MatrixRow[];
  /** Domains of the run matching the filter. */
  total: number;
}

/**
 * One page of the run's domains (by name) with the status of each category
 * from the stored reports. Only the page's reports are read: a report is
 * some kilobytes, and the portfolio may have 10,000 domains.
 */
export async function domainMatrix(db: Kysely<Schema>, portfolioId: string, runId: string, options: { limit?: number; offset?: number; search?: string } = {}): Promise<MatrixPage> {
  const { limit, offset } = pageOf(options.limit, options.offset);
  let domains = db.selectFrom("results").where("results.run_id", "=", runId);
  const search = options.search?.trim();
  if (search) {
    domains = domains
      .leftJoin("portfolio_domains", (join) => join.onRef("portfolio_domains.domain", "=", "results.domain").on("portfolio_domains.portfolio_id", "=", portfolioId))
      .where((eb) => eb.or([containsText(eb.ref("results.domain"), search), containsText(eb.ref("portfolio_domains.organisation"), search)]));
  }
  const [page, counted] = await Promise.all([
    domains.select("results.domain").distinct().orderBy("results.domain").limit(limit).offset(offset).execute(),
    domains.select(sql<string>`count(distinct results.domain)`.as("n")).executeTakeFirstOrThrow(),
  ]);
  const names = page.map((row) => row.domain);
  return { rows: await matrixRows(db, portfolioId, runId, names), total: Number(counted.n) };
}

/** The matrix rows of the given domains of a run, in the order given. */
export async function matrixRows(db: Kysely<Schema>, portfolioId: string, runId: string, names: readonly string[]): Promise<MatrixRow[]> {
  if (names.length === 0) return [];
  const [results, details] = await Promise.all([
    db.selectFrom("results").select(["domain", "suite", "score", "error", "report"]).where("run_id", "=", runId).where("domain", "in", [...names]).orderBy("suite").execute(),
    db.selectFrom("portfolio_domains").select(["domain", "organisation", "sector", "region"]).where("portfolio_id", "=", portfolioId).where("domain", "in", [...names]).execute(),
  ]);
  const detailOf = new Map(details.map((row) => [row.domain, row]));
  const rows = new Map<string, MatrixRow>(
    names.map((domain) => {
      const detail = detailOf.get(domain);
      return [domain, { domain, organisation: detail?.organisation ?? null, sector: detail?.sector ?? null, region: detail?.region ?? null, suites: [], categories: {} }];
    }),
  );
  for (const result of results) {
    const row = rows.get(result.domain);
    if (!row) continue;
    row.suites.push({ suite: result.suite, score: result.score, error: result.error });
    if (result.error !== null) {
      // Not checked at all (a name that does not resolve to anything checkable): every category of the suite is in error.
      for (const category of SUITE_CATEGORIES[result.suite]) row.categories[category] = { status: "error", score: null };
      continue;
    }
    const report = JSON.parse(result.report) as DomainReport;
    for (const category of report.categories) row.categories[category.id] = { status: category.status, score: category.score };
  }
  return [...rows.values()];
}

export interface Regressions {
  latest: RunRecord;
  previous: RunRecord;
  regressions: TestChange[];
  recoveries: TestChange[];
}

/** What got worse (and better) in the latest finished run against the one before; undefined before two runs. */
export async function regressionsSinceLastRun(db: Kysely<Schema>, portfolioId: string): Promise<Regressions | undefined> {
  const { latest, previous } = await latestRuns(db, portfolioId);
  if (!latest || !previous) return undefined;
  // Two finished runs compare the same way every time (half a second for 10,000 domains): kept, like their adoption.
  const key = `${previous.id}:${latest.id}`;
  let changes = COMPARED.get(key);
  if (!changes) {
    changes = await compareRuns(db, previous.id, latest.id);
    COMPARED.set(key, changes);
    if (COMPARED.size > MAX_COMPARED) COMPARED.delete(COMPARED.keys().next().value ?? "");
  }
  return { latest, previous, regressions: [...changes.regressions], recoveries: [...changes.recoveries] };
}

const COMPARED = new Map<string, RunComparison>();
const MAX_COMPARED = 200;

export interface RunSummary {
  run: RunRecord;
  /** Results written (progress of a run under way). */
  done: number;
  /** Results that are errors (the domain could not be checked). */
  errors: number;
  meanScore: number | null;
}

/** The portfolio's runs, newest first, with their progress and mean score. */
export async function runHistory(db: Kysely<Schema>, portfolioId: string, limit = 20): Promise<RunSummary[]> {
  const runs = await listRuns(db, "portfolio", portfolioId, limit);
  if (runs.length === 0) return [];
  const ids = runs.map((run) => run.id);
  const [done, stats] = await Promise.all([
    countResults(db, ids),
    db
      .selectFrom("results")
      .select(["run_id", sql<string | number | null>`avg(score)`.as("mean"), sql<string>`sum(case when error is null then 0 else 1 end)`.as("errors")])
      .where("run_id", "in", ids)
      .groupBy("run_id")
      .execute(),
  ]);
  const statsOf = new Map(stats.map((row) => [row.run_id, row]));
  return runs.map((run) => {
    const row = statsOf.get(run.id);
    return { run, done: done.get(run.id) ?? 0, errors: Number(row?.errors ?? 0), meanScore: row?.mean === null || row?.mean === undefined ? null : Math.round(Number(row.mean)) };
  });
}

export interface DomainRunScore {
  run: RunRecord;
  suite: Suite;
  score: number | null;
  error: string | null;
}

/** A domain's scores in the portfolio's recent runs, newest first (the drill-down's history). */
export async function domainHistory(db: Kysely<Schema>, portfolioId: string, domain: string, limit = 20): Promise<DomainRunScore[]> {
  const runs = await listRuns(db, "portfolio", portfolioId, limit);
  if (runs.length === 0) return [];
  const rows = await db
    .selectFrom("results")
    .select(["run_id", "suite", "score", "error"])
    .where("run_id", "in", runs.map((run) => run.id))
    .where("domain", "=", domain)
    .execute();
  const runOf = new Map(runs.map((run) => [run.id, run]));
  return rows
    .map((row) => ({ run: runOf.get(row.run_id) as RunRecord, suite: row.suite, score: row.score, error: row.error }))
    .sort((a, b) => b.run.createdAt.localeCompare(a.run.createdAt) || a.suite.localeCompare(b.suite));
}
