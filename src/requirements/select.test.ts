import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UnknownIdError } from "../catalog/catalog.ts";
import { CpvError } from "../catalog/cpv.ts";
import { loadCatalog } from "../catalog/load.ts";
import { REQUIRED_LANGUAGES } from "../catalog/schema.ts";
import { EmptySelectionError, requirementsFor } from "./select.ts";

const catalog = loadCatalog();

describe("requirementsFor", () => {
  it("lists a category's standards, mandatory first, numbered from 1", () => {
    const set = requirementsFor(catalog, { categories: ["web-hosting"] });
    const category = catalog.category("web-hosting");
    assert.deepEqual(set.requirements.map((requirement) => requirement.standard).sort(), category.standards.map((entry) => entry.id).sort());
    assert.deepEqual(set.requirements.map((requirement) => requirement.number), set.requirements.map((_, index) => index + 1));
    const levels = set.requirements.map((requirement) => requirement.level);
    assert.deepEqual(levels, [...levels].sort((a, b) => (a === b ? 0 : a === "mandatory" ? -1 : 1)));
    for (const requirement of set.requirements) {
      const standard = catalog.standard(requirement.standard);
      const clause = requirement.level === "mandatory" ? standard.clause.mandatory.en : standard.clause.desirable.en;
      assert.equal(requirement.clause, clause);
    }
  });

  it("keeps only mandatory standards at --level mandatory", () => {
    const set = requirementsFor(catalog, { categories: ["email-service"], level: "mandatory" });
    const expected = catalog.category("email-service").standards.filter((entry) => entry.level === "mandatory").map((entry) => entry.id);
    assert.deepEqual(set.requirements.map((requirement) => requirement.standard).sort(), expected.sort());
  });

  it("combines categories: each standard once, at its highest level", () => {
    const ids = catalog.categories.map((category) => category.id);
    for (const first of ids) {
      for (const second of ids) {
        if (first >= second) continue;
        const set = requirementsFor(catalog, { categories: [first, second] });
        const standards = set.requirements.map((requirement) => requirement.standard);
        assert.equal(new Set(standards).size, standards.length, `${first}+${second} repeats a standard`);
        for (const requirement of set.requirements) {
          const levels = [first, second].flatMap((id) => catalog.category(id).standards.filter((entry) => entry.id === requirement.standard).map((entry) => entry.level));
          const expected = levels.includes("mandatory") ? "mandatory" : "recommended";
          assert.equal(requirement.level, expected, `${first}+${second}: ${requirement.standard}`);
          assert.equal(requirement.reasons.length, levels.length);
        }
      }
    }
  });

  it("takes CPV codes and records which category each maps to", () => {
    const set = requirementsFor(catalog, { cpv: ["72415000-2", "64200000"] });
    assert.deepEqual(set.scope.cpv.map((scope) => scope.code), ["72415000-2", "64200000-8"]);
    assert.ok(set.scope.cpv[0]?.categories.includes("web-hosting"));
    assert.ok(set.scope.cpv[1]?.categories.includes("network-connectivity"));
    assert.equal(set.scope.cpv[0]?.label, "World wide web (www) site operation host services");
  });

  it("reports a non-ICT CPV code next to ICT ones as unmatched", () => {
    const set = requirementsFor(catalog, { cpv: ["72415000-2", "39130000-2"] });
    assert.deepEqual(set.scope.unmatchedCpv, [{ code: "39130000-2", label: "Office furniture" }]);
    assert.ok(set.requirements.length > 0);
  });

  it("refuses a selection that maps to nothing, saying why", () => {
    assert.throws(() => requirementsFor(catalog, { cpv: ["39130000-2"] }), (error: unknown) => {
      assert.ok(error instanceof EmptySelectionError);
      assert.match(error.message, /^CPV 39130000-2 \(Office furniture\) belongs to no Baseline procurement category/);
      return true;
    });
    assert.throws(() => requirementsFor(catalog, {}), EmptySelectionError);
  });

  it("refuses unknown categories and bad CPV codes", () => {
    assert.throws(() => requirementsFor(catalog, { categories: ["web-hostin"] }), UnknownIdError);
    assert.throws(() => requirementsFor(catalog, { cpv: ["72415000-3"] }), CpvError);
  });

  it("writes every text in the chosen language", () => {
    for (const language of REQUIRED_LANGUAGES) {
      const set = requirementsFor(catalog, { categories: ["dns-hosting"], language });
      const dnssec = set.requirements.find((requirement) => requirement.standard === "dnssec");
      assert.ok(dnssec);
      const standard = catalog.standard("dnssec");
      assert.equal(dnssec.clause, standard.clause.mandatory[language]);
      assert.equal(dnssec.orEquivalent, standard.orEquivalent[language]);
      assert.equal(dnssec.checklist, standard.checklist[language]);
      assert.equal(set.scope.categories[0]?.name, catalog.category("dns-hosting").name[language]);
    }
  });
});
