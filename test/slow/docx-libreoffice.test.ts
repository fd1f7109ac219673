// Slow group: a real office suite opens the generated Word file. LibreOffice
// (installed by scripts/system-deps.sh) converts it to plain text, and the
// text must hold the requirements the generator put in.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadCatalog } from "../../src/catalog/load.ts";
import { renderRequirements } from "../../src/requirements/render/index.ts";
import { requirementsFor } from "../../src/requirements/select.ts";

describe("DOCX in LibreOffice", { timeout: 180_000 }, () => {
  it("opens the annex and shows every requirement's clause and the checklist", async () => {
    const work = mkdtempSync(join(tmpdir(), "baseline-docx-"));
    try {
      const set = requirementsFor(loadCatalog(), { categories: ["email-service"], language: "fr" });
      const docx = await renderRequirements(set, "docx", { version: "test", date: "2026-01-31" });
      writeFileSync(join(work, "annex.docx"), docx);
      const converted = spawnSync(
        "soffice",
        [`-env:UserInstallation=file://${join(work, "profile")}`, "--headless", "--convert-to", "txt:Text (encoded):UTF8", "--outdir", work, join(work, "annex.docx")],
        { encoding: "utf8", timeout: 150_000 },
      );
      assert.equal(converted.status, 0, `soffice failed: ${converted.stderr || String(converted.error)}`);
      const text = readFileSync(join(work, "annex.txt"), "utf8").replace(/\s+/g, " ");
      assert.match(text, /Annexe : normes de sécurité de l'Internet et de l'information/);
      for (const requirement of set.requirements) {
        assert.ok(text.includes(requirement.clause.replace(/\s+/g, " ")), `clause of ${requirement.standard} is in the text`);
      }
      assert.ok(text.includes("Grille d'évaluation"));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
