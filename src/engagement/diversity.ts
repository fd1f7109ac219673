/**
 * The working group's diversity as the public may see it: counts and
 * shares of members by stakeholder group, region or gender at given dates,
 * with every cell of fewer than five people suppressed, so that nobody can
 * be singled out (issue 13: `/diversity` shows aggregates only).
 *
 * Suppressing the small cells is not enough when the total is shown: one
 * hidden cell in a row is the total minus the others. So when a row has
 * exactly one suppressed cell, the next smallest cell of that row is
 * hidden too ("complementary suppression", as statistics offices do).
 * Totals below five are suppressed with everything in them. What this
 * does not stop: comparing two dates (a cell shown in June, hidden in
 * March) can still hint at a few people's joins or leaves; the pages show
 * quarters, not days, to keep those steps coarse.
 *
 * Pure: members in, table out; the store and the pages call it.
 *
 * @example
 *   const table = diversityTable(members, "gender", ["2026-06-30", "2026-12-31"]);
 *   // table.rows[i].cells: { value: "woman", count: 12, share: 0.4 } or { value: "man", count: null, share: null } (suppressed)
 */

/** The IGF's stakeholder groups. */
export const STAKEHOLDER_GROUPS = ["government", "private-sector", "civil-society", "technical-community", "academia", "intergovernmental"] as const;
export type StakeholderGroup = (typeof STAKEHOLDER_GROUPS)[number];

/** Self-declared and optional: "prefer-not-to-say" and no answer are counted apart, never guessed. */
export const GENDERS = ["woman", "man", "non-binary", "self-described", "prefer-not-to-say", "not-given"] as const;
export type Gender = (typeof GENDERS)[number];

/** The smallest number of people a published cell may count. */
export const MIN_CELL = 5;

export interface MemberPeriod {
  stakeholderGroup: StakeholderGroup;
  /** UN M49 code of the member's region. */
  region: string;
  gender: Gender;
  /** YYYY-MM-DD: the member was in the group from this day... */
  joinedOn: string;
  /** ...until this day (left that day), or still a member. */
  leftOn: string | null;
}

export type Dimension = "stakeholderGroup" | "region" | "gender";

export interface DiversityCell {
  value: string;
  /** null when suppressed. */
  count: number | null;
  /** Of the row's total, 0 to 1; null when suppressed. */
  share: number | null;
}

export interface DiversityRow {
  /** The date (YYYY-MM-DD) the row counts members on. */
  on: string;
  /** null when the whole row is under MIN_CELL. */
  total: number | null;
  cells: DiversityCell[];
}

export interface DiversityTable {
  dimension: Dimension;
  /** Every value that occurs on any date, in a fixed order (known lists first, then others sorted). */
  values: string[];
  rows: DiversityRow[];
}

function memberOn(member: MemberPeriod, on: string): boolean {
  return member.joinedOn <= on && (member.leftOn === null || member.leftOn > on);
}

function orderedValues(dimension: Dimension, seen: Set<string>): string[] {
  const known: readonly string[] = dimension === "stakeholderGroup" ? STAKEHOLDER_GROUPS : dimension === "gender" ? GENDERS : [];
  return [...known.filter((value) => seen.has(value)), ...[...seen].filter((value) => !known.includes(value)).sort()];
}

/**
 * Marks the cells to hide in one row: every count from 1 to MIN_CELL - 1,
 * and, when that leaves exactly one hidden cell, the smallest other
 * non-zero one. Zero is shown: it singles nobody out.
 */
export function suppressedCells(counts: readonly number[]): boolean[] {
  const hidden = counts.map((count) => count > 0 && count < MIN_CELL);
  if (hidden.filter(Boolean).length === 1) {
    let smallest = -1;
    counts.forEach((count, index) => {
      if (!hidden[index] && count > 0 && (smallest < 0 || count < (counts[smallest] ?? Infinity))) smallest = index;
    });
    if (smallest >= 0) hidden[smallest] = true;
  }
  return hidden;
}

/** Members counted by `dimension` on each date, small cells suppressed. */
export function diversityTable(members: readonly MemberPeriod[], dimension: Dimension, dates: readonly string[]): DiversityTable {
  const seen = new Set<string>();
  const countsByDate = dates.map((on) => {
    const counts = new Map<string, number>();
    for (const member of members) {
      if (!memberOn(member, on)) continue;
      const value = member[dimension];
      seen.add(value);
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    return counts;
  });
  const values = orderedValues(dimension, seen);
  const rows = dates.map((on, index): DiversityRow => {
    const counts = values.map((value) => countsByDate[index]?.get(value) ?? 0);
    const total = counts.reduce((sum, count) => sum + count, 0);
    if (total < MIN_CELL) return { on, total: null, cells: values.map((value) => ({ value, count: null, share: null })) };
    const hidden = suppressedCells(counts);
    return {
      on,
      total,
      cells: values.map((value, position) => {
        const count = counts[position] ?? 0;
        return hidden[position] ? { value, count: null, share: null } : { value, count, share: count / total };
      }),
    };
  });
  return { dimension, values, rows };
}

/** The last day of each quarter from `from` to `to` (YYYY-MM-DD), for growth over time. */
export function quarterEnds(from: string, to: string): string[] {
  const ends: string[] = [];
  const [startYear = 0, startMonth = 1] = from.split("-").map(Number);
  for (let year = startYear, quarter = Math.floor((startMonth - 1) / 3); ; quarter++) {
    if (quarter === 4) {
      quarter = 0;
      year++;
    }
    const end = new Date(Date.UTC(year, quarter * 3 + 3, 0)).toISOString().slice(0, 10);
    if (end > to) {
      if (ends.at(-1) !== to && to >= from) ends.push(to);
      return ends;
    }
    ends.push(end);
  }
}
