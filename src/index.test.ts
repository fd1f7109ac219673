// The library entry point as a user imports it: by the package name.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadCatalog, renderRequirements, requirementsFor } from "baseline";

describe("import from \"baseline\"", () => {
  it("loads the catalog and generates requirements", async () => {
    const set = requirementsFor(loadCatalog(), { categories: ["dns-hosting"], language: "nl" });
    assert.ok(set.requirements.some((requirement) => requirement.standard === "dnssec"));
    const markdown = await renderRequirements(set, "md", { version: "1", date: "2026-01-31" });
    assert.match(markdown as string, /^# Bijlage: /);
  });
});
