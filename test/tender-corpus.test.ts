// The tender monitor on its labelled corpus (corpus/): the same tender reads
// the same from text, PDF and DOCX; OCDS and eForms samples work end to end;
// and detection quality does not fall below the target.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadCatalog } from "../src/catalog/load.ts";
import { analyzeTender } from "../src/tenders/analyze.ts";
import { ingestPaths } from "../src/tenders/ingest/index.ts";
import type { TenderAnalysis } from "../src/tenders/types.ts";

interface Label {
  file: string;
  ict: boolean;
  requested: Record<string, "required" | "desired">;
}

const corpus = fileURLToPath(new URL("../corpus/", import.meta.url));
const bin = fileURLToPath(new URL("../bin/baseline.js", import.meta.url));
const fixtures = fileURLToPath(new URL("../src/tenders/ingest/fixtures/", import.meta.url));
const catalog = loadCatalog();
const labels = readdirSync(join(corpus, "tenders"))
  .filter((name) => /^labels(-[\w-]+)?\.json$/.test(name))
  .flatMap((name) => JSON.parse(readFileSync(join(corpus, "tenders", name), "utf8")) as Label[]);

async function analyzeAll(paths: string[]): Promise<TenderAnalysis[]> {
  const analyses: TenderAnalysis[] = [];
  for await (const item of ingestPaths(paths)) {
    assert.ok(!("error" in item), "error" in item ? `${item.source}: ${item.error}` : "");
    analyses.push(analyzeTender(item, catalog));
  }
  return analyses;
}

describe("tender corpus", () => {
  it("has at least 40 labelled tenders in several languages, ICT and non-ICT", () => {
    assert.ok(labels.length >= 40, `${labels.length} labelled tenders`);
    assert.ok(labels.some((label) => !label.ict));
    const languages = new Set(labels.map((label) => label.file.replace(/^x[a-c]-/, "").slice(0, 2)));
    for (const language of ["en", "nl", "fr", "es", "de", "pt"]) assert.ok(languages.has(language), language);
  });

  it("reads the same requests from the PDF and DOCX copies as from the text", async () => {
    const documents = readdirSync(join(corpus, "documents")).filter((name) => /\.(pdf|docx)$/.test(name));
    assert.ok(documents.filter((name) => name.endsWith(".pdf")).length >= 3);
    assert.ok(documents.filter((name) => name.endsWith(".docx")).length >= 3);
    for (const name of documents) {
      const [analysis] = await analyzeAll([join(corpus, "documents", name)]);
      const label = labels.find((entry) => entry.file === name.replace(/\.(pdf|docx)$/, ".txt"));
      assert.ok(analysis && label, name);
      assert.deepEqual(analysis.requested.map((entry) => entry.standard).sort(), Object.keys(label.requested).sort(), name);
      if (name.endsWith(".pdf")) assert.ok(analysis.requested.every((entry) => entry.evidence.every((evidence) => typeof evidence.page === "number")), `${name} keeps page numbers`);
    }
  });

  it("keeps F1 of requested standards at 0.95 or more, with no false alarm on non-ICT tenders", async () => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let falseAlarms = 0;
    for (const label of labels) {
      const [analysis] = await analyzeAll([join(corpus, "tenders", label.file)]);
      const found = new Set(analysis?.requested.map((entry) => entry.standard));
      const expected = new Set(Object.keys(label.requested));
      for (const standard of found) {
        if (expected.has(standard)) tp++;
        else fp++;
      }
      for (const standard of expected) if (!found.has(standard)) fn++;
      if (!label.ict) falseAlarms += found.size;
    }
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    const f1 = (2 * precision * recall) / (precision + recall);
    assert.ok(f1 >= 0.95, `F1 ${f1.toFixed(3)} (P ${precision.toFixed(3)}, R ${recall.toFixed(3)})`);
    assert.equal(falseAlarms, 0);
  });
});

describe("OCDS and eForms samples through the command line", () => {
  it("analyses an OCDS release package and an eForms notice", () => {
    const result = spawnSync(process.execPath, [bin, "tender", "analyze", "--json", join(fixtures, "release-package.json"), join(fixtures, "contract-notice.xml")], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    const analyses = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as TenderAnalysis);
    assert.ok(analyses.length >= 2);
    const notice = analyses.find((analysis) => analysis.source.endsWith("contract-notice.xml"));
    assert.ok(notice);
    assert.ok(notice.cpv.length > 0, "eForms CPV codes are read");
    assert.ok(notice.categories.length > 0);
    assert.ok(analyses.some((analysis) => analysis.source.includes("release-package.json#") && analysis.cpv.length > 0), "OCDS tenders keep their ocid and CPV codes");
  });
});
