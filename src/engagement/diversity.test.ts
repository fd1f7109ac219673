// /diversity's figures: counts on a date from join and leave days, cells
// under five people hidden, and a second cell hidden where one hidden cell
// could be worked out from the total; totals under five hide everything.
import assert from "node:assert/strict";
import { test } from "node:test";
import { diversityTable, quarterEnds, suppressedCells, type Gender, type MemberPeriod, type StakeholderGroup } from "./diversity.ts";

function members(count: number, group: StakeholderGroup, gender: Gender, joinedOn = "2026-01-10", leftOn: string | null = null): MemberPeriod[] {
  return Array.from({ length: count }, () => ({ stakeholderGroup: group, region: "150", gender, joinedOn, leftOn }));
}

test("hides cells of one to four people, and a second cell when one alone could be worked out", () => {
  assert.deepEqual(suppressedCells([12, 3, 9, 0]), [false, true, true, false], "3 hidden, then the smallest other (9); zero shown");
  assert.deepEqual(suppressedCells([12, 3, 2, 9]), [false, true, true, false], "two hidden already: nothing more");
  assert.deepEqual(suppressedCells([12, 9, 5]), [false, false, false]);
});

test("counts members on each date from their join and leave days, by gender, small cells suppressed", () => {
  const all = [
    ...members(8, "government", "woman"),
    ...members(7, "civil-society", "man"),
    ...members(2, "academia", "non-binary"),
    ...members(3, "technical-community", "prefer-not-to-say", "2026-05-01"),
    ...members(6, "private-sector", "man", "2026-01-10", "2026-06-30"),
  ];
  const table = diversityTable(all, "gender", ["2026-03-31", "2026-06-30"]);
  assert.deepEqual(table.values, ["woman", "man", "non-binary", "prefer-not-to-say"]);
  const [march, june] = table.rows;
  assert.ok(march && june);
  assert.equal(march.total, 23);
  assert.deepEqual(march.cells.map((cell) => cell.count), [null, 13, null, 0], "2 non-binary hidden, and the smallest other cell (8 women) with it; 0 shown");
  assert.equal(june.total, 20, "the six who left on 30 June are not counted that day; three joined in May");
  assert.deepEqual(june.cells.map((cell) => cell.count), [8, 7, null, null], "2 and 3 hidden: two cells, nothing more");
  assert.equal(june.cells[0]?.share, 8 / 20);
});

test("hides a whole date whose total is under five", () => {
  const table = diversityTable(members(4, "government", "woman"), "stakeholderGroup", ["2026-03-31"]);
  assert.deepEqual(table.rows[0], { on: "2026-03-31", total: null, cells: [{ value: "government", count: null, share: null }] });
});

test("quarter ends from a start to a day, that day last", () => {
  assert.deepEqual(quarterEnds("2026-02-15", "2026-12-07"), ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-07"]);
  assert.deepEqual(quarterEnds("2025-12-01", "2026-03-31"), ["2025-12-31", "2026-03-31"]);
});
