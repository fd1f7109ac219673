/**
 * Corpus-level figures over analysed tenders, the numbers a tender monitor
 * publishes: of all standard-tender pairs where a standard is relevant, which
 * share did the tender ask for (the headline of the Dutch monitor), and how
 * that splits per tender, per standard, per contracting authority and over
 * time.
 *
 * The unit of counting is the pair (tender, relevant standard), as in the
 * Dutch monitor: a tender for web hosting with five relevant standards that
 * asks for four contributes five relevant pairs and four requested ones.
 * Requests for standards that are not relevant to the purchase are kept per
 * tender (`alsoRequested`) but never counted, so they cannot lift a share.
 *
 * @example
 *   const report = aggregate(analyses);
 *   report.totals.shareRequested; // 0.51
 */
import type { RequestedStandard, TenderAnalysis } from "../types.ts";

export type RequestLevel = RequestedStandard["level"];

/** Figures shared by the whole corpus, an authority and a period. */
export interface PairCounts {
  tenders: number;
  /** Tenders with at least one relevant standard. */
  ictTenders: number;
  /** Sum over tenders of their relevant standards. */
  relevantPairs: number;
  /** The relevant pairs the tender asked for. */
  requestedPairs: number;
  /** requestedPairs / relevantPairs; null when nothing was relevant. */
  shareRequested: number | null;
  /** ICT tenders that asked for every relevant standard. */
  allRequested: number;
}

export interface MonitorTotals extends PairCounts {
  /** allRequested / ictTenders; null without ICT tenders. */
  allRequestedShare: number | null;
  /** Tenders with a blanket demand for "the mandatory standards" (comply-or-explain list). */
  genericDemand: number;
  /** Tenders without a usable publication date; they count in every figure except the trend. */
  undated: number;
  /** First and last publication date (YYYY-MM-DD) in the corpus; null when no tender is dated. */
  firstPublished: string | null;
  lastPublished: string | null;
}

export interface TenderRow {
  source: string;
  title: string | null;
  authority: string | null;
  publishedAt: string | null;
  language: string;
  relevant: string[];
  /** The relevant standards asked for, with how firmly. */
  requested: { standard: string; level: RequestLevel }[];
  /** Standards asked for that are not relevant to what is bought; not counted. */
  alsoRequested: string[];
  missing: string[];
  /** requested / relevant; null when nothing is relevant. */
  coverage: number | null;
  genericDemand: boolean;
}

export interface StandardRow {
  standard: string;
  /** Tenders for which the standard is relevant. */
  relevantIn: number;
  /** Of those, tenders that asked for it. */
  requestedIn: number;
  shareRequested: number;
  /** Of requestedIn: as a minimum requirement, and as a wish or award criterion. */
  required: number;
  desired: number;
}

export interface AuthorityRow extends PairCounts {
  /** The name as first seen; null gathers tenders that do not name their buyer. */
  authority: string | null;
}

export interface PeriodRow extends PairCounts {
  /** "2024" for a year, "2024-Q1" for a quarter. */
  period: string;
}

export interface MissingRow {
  standard: string;
  /** Tenders for which it was relevant and not asked for. */
  missingIn: number;
  /** missingIn over the tenders for which it was relevant. */
  shareMissing: number;
}

export interface MonitorReport {
  totals: MonitorTotals;
  /** In input order. */
  tenders: TenderRow[];
  /** Most often relevant first, then by id. */
  standards: StandardRow[];
  /** Most tenders first, then by name; the unnamed group last. */
  authorities: AuthorityRow[];
  trend: {
    /** Oldest first; only periods with at least one dated tender. */
    byYear: PeriodRow[];
    byQuarter: PeriodRow[];
  };
  /** Most often missing first, then by id; only standards missing at least once. */
  mostMissing: MissingRow[];
}

/** Computes every figure of the monitor from analysed tenders. */
export function aggregate(analyses: readonly TenderAnalysis[]): MonitorReport {
  const tenders = analyses.map(toTenderRow);
  const dates = tenders.map((row) => publicationDate(row.publishedAt));
  const dated = dates.filter((date): date is PublicationDate => date !== null).map((date) => date.day);
  dated.sort();
  const totals: MonitorTotals = {
    ...countPairs(tenders),
    allRequestedShare: null,
    genericDemand: tenders.filter((row) => row.genericDemand).length,
    undated: dates.filter((date) => date === null).length,
    firstPublished: dated[0] ?? null,
    lastPublished: dated.at(-1) ?? null,
  };
  totals.allRequestedShare = ratio(totals.allRequested, totals.ictTenders);
  const standards = standardRows(tenders);
  return {
    totals,
    tenders,
    standards,
    authorities: authorityRows(tenders),
    trend: {
      byYear: periodRows(tenders, dates.map((date) => date?.year ?? null)),
      byQuarter: periodRows(tenders, dates.map((date) => date?.quarter ?? null)),
    },
    mostMissing: mostMissing(standards),
  };
}

/**
 * One tender's line of the report. Recomputes requested and missing from
 * `relevant` and `requested` rather than trusting `missing` and `coverage`,
 * so that every figure of the report adds up even if an analysis was edited
 * by hand.
 */
export function toTenderRow(analysis: TenderAnalysis): TenderRow {
  const relevant = unique(analysis.relevant);
  const relevantSet = new Set(relevant);
  const levels = strongestLevels(analysis.requested);
  const requested = relevant.flatMap((standard) => {
    const level = levels.get(standard);
    return level ? [{ standard, level }] : [];
  });
  return {
    source: analysis.source,
    title: analysis.title,
    authority: analysis.authority,
    publishedAt: analysis.publishedAt,
    language: analysis.language,
    relevant,
    requested,
    alsoRequested: [...levels.keys()].filter((standard) => !relevantSet.has(standard)),
    missing: relevant.filter((standard) => !levels.has(standard)),
    coverage: ratio(requested.length, relevant.length),
    genericDemand: analysis.genericDemand.length > 0,
  };
}

/** One level per standard; "required" wins when a tender both requires and wishes for it. */
function strongestLevels(requested: readonly RequestedStandard[]): Map<string, RequestLevel> {
  const levels = new Map<string, RequestLevel>();
  for (const { standard, level } of requested) {
    if (levels.get(standard) !== "required") levels.set(standard, level);
  }
  return levels;
}

function countPairs(rows: readonly TenderRow[]): PairCounts {
  let relevantPairs = 0;
  let requestedPairs = 0;
  let ictTenders = 0;
  let allRequested = 0;
  for (const row of rows) {
    relevantPairs += row.relevant.length;
    requestedPairs += row.requested.length;
    if (row.relevant.length > 0) {
      ictTenders += 1;
      if (row.missing.length === 0) allRequested += 1;
    }
  }
  return {
    tenders: rows.length,
    ictTenders,
    relevantPairs,
    requestedPairs,
    shareRequested: ratio(requestedPairs, relevantPairs),
    allRequested,
  };
}

function standardRows(rows: readonly TenderRow[]): StandardRow[] {
  const byStandard = new Map<string, StandardRow>();
  for (const row of rows) {
    for (const standard of row.relevant) {
      const entry = byStandard.get(standard) ?? { standard, relevantIn: 0, requestedIn: 0, shareRequested: 0, required: 0, desired: 0 };
      entry.relevantIn += 1;
      byStandard.set(standard, entry);
    }
    for (const { standard, level } of row.requested) {
      const entry = byStandard.get(standard);
      if (!entry) continue;
      entry.requestedIn += 1;
      entry[level] += 1;
    }
  }
  const list = [...byStandard.values()];
  for (const entry of list) entry.shareRequested = entry.requestedIn / entry.relevantIn;
  return list.sort((a, b) => b.relevantIn - a.relevantIn || a.standard.localeCompare(b.standard));
}

/**
 * Groups by buyer name, ignoring case and spacing, since the same authority
 * is often typed slightly differently across notices.
 */
function authorityRows(rows: readonly TenderRow[]): AuthorityRow[] {
  const groups = new Map<string, { authority: string | null; rows: TenderRow[] }>();
  for (const row of rows) {
    const name = row.authority?.replace(/\s+/g, " ").trim() || null;
    const key = name === null ? "" : name.toLocaleLowerCase();
    const group = groups.get(key) ?? { authority: name, rows: [] };
    group.rows.push(row);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((group) => ({ authority: group.authority, ...countPairs(group.rows) }))
    .sort(
      (a, b) =>
        Number(a.authority === null) - Number(b.authority === null) ||
        b.tenders - a.tenders ||
        (a.authority ?? "").localeCompare(b.authority ?? ""),
    );
}

function periodRows(rows: readonly TenderRow[], periods: readonly (string | null)[]): PeriodRow[] {
  const groups = new Map<string, TenderRow[]>();
  rows.forEach((row, index) => {
    const period = periods[index];
    if (period === null || period === undefined) return;
    groups.set(period, [...(groups.get(period) ?? []), row]);
  });
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([period, group]) => ({ period, ...countPairs(group) }));
}

function mostMissing(standards: readonly StandardRow[]): MissingRow[] {
  return standards
    .map((row) => ({ standard: row.standard, missingIn: row.relevantIn - row.requestedIn, shareMissing: 1 - row.shareRequested }))
    .filter((row) => row.missingIn > 0)
    .sort((a, b) => b.missingIn - a.missingIn || a.standard.localeCompare(b.standard));
}

interface PublicationDate {
  /** YYYY-MM-DD, or YYYY-MM / YYYY when the source is that coarse. */
  day: string;
  year: string;
  /** Null when only the year is known. */
  quarter: string | null;
}

/**
 * Reads the date part of an ISO 8601 date or timestamp ("2024-03-15",
 * "2024-03-15T09:00:00+01:00", "2024-03"). Only the calendar date as written
 * counts: a notice published late on 31 December belongs to that year
 * wherever the reader sits.
 */
function publicationDate(value: string | null): PublicationDate | null {
  const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:$|T)/.exec(value?.trim() ?? "");
  if (!match) return null;
  const [, year = "", month, day] = match;
  const monthNumber = month === undefined ? null : Number(month);
  if (monthNumber !== null && (monthNumber < 1 || monthNumber > 12)) return null;
  return {
    day: [year, month, day].filter((part) => part !== undefined).join("-"),
    year,
    quarter: monthNumber === null ? null : `${year}-Q${Math.ceil(monthNumber / 3)}`,
  };
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
