import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CpvError, CpvVocabulary, parseCpv } from "./cpv.ts";

const csv = fileURLToPath(new URL("../../catalog/cpv/cpv-2008.csv", import.meta.url));
const vocabulary = CpvVocabulary.fromCsv(csv);

describe("CPV vocabulary", () => {
  it("holds the complete CPV 2008 main vocabulary", () => {
    assert.equal(vocabulary.size, 9454);
    const seeds = vocabulary.resolve("03111000-2");
    assert.equal(vocabulary.label(seeds, "en"), "Seeds");
    assert.equal(vocabulary.label(seeds, "nl"), "Zaden");
  });

  it("is the same file as the project's shared reference data, when that is present", (t) => {
    const shared = fileURLToPath(new URL("../../../shared/data/cpv/cpv-2008.csv", import.meta.url));
    if (!existsSync(shared)) {
      t.skip("../shared/data/cpv is not present");
      return;
    }
    assert.ok(readFileSync(csv).equals(readFileSync(shared)));
  });

  it("accepts codes with and without check digit", () => {
    assert.equal(vocabulary.format(vocabulary.resolve("72415000-2")), "72415000-2");
    assert.equal(vocabulary.format(vocabulary.resolve("72415000")), "72415000-2");
  });

  it("rejects a wrong check digit and names the right code", () => {
    assert.throws(() => vocabulary.resolve("72415000-3"), (error: unknown) => {
      assert.ok(error instanceof CpvError);
      assert.match(error.message, /72415000-3 has a wrong check digit: did you mean 72415000-2 \(World wide web/);
      return true;
    });
  });

  it("rejects unknown and malformed codes", () => {
    assert.throws(() => vocabulary.resolve("72415999-1"), /72415999-1 is not in the CPV 2008 vocabulary/);
    assert.throws(() => parseCpv("7241500"), /malformed/);
    assert.throws(() => parseCpv("72415000-22"), /malformed/);
    assert.throws(() => parseCpv("abc"), /malformed/);
  });

  it("walks up the positional hierarchy, skipping levels the vocabulary lacks", () => {
    const lineage = vocabulary.lineage(vocabulary.resolve("72415000-2")).map((entry) => entry.code);
    assert.deepEqual(lineage, ["72415000", "72410000", "72400000", "72000000"]);
    const division = vocabulary.lineage(vocabulary.resolve("72000000-5")).map((entry) => entry.code);
    assert.deepEqual(division, ["72000000"]);
  });
});
