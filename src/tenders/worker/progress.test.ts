import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { analyzeTender } from "../analyze.ts";
import { ingestFile } from "../ingest/index.ts";

const fixtures = new URL("../ingest/fixtures/", import.meta.url);

/**
 * Each reader, and the analysis, call onProgress while they work on a
 * document of many small parts, so that the pool's stall watchdog can tell
 * them from a stuck reader (review L1 of issue 15: only PDFs did).
 */
describe("progress reported by the readers and the analysis (review L1 of issue 15)", () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), "baseline-progress-"));
  });
  after(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  const release = (index: number): unknown => ({ ocid: `ocds-x-${index}`, id: `${index}`, date: "2026-01-01T00:00:00Z", tag: ["tender"], tender: { id: `${index}`, title: "Hosting", description: "The supplier shall use DNSSEC." } });
  const notice = (): string => {
    // The fixture notice with its lot repeated: many tags for the scan before the XML parser.
    const xml = readFileSync(new URL("contract-notice.xml", fixtures), "utf8");
    const lot = /<cac:ProcurementProjectLot>[\s\S]*?<\/cac:ProcurementProjectLot>/.exec(xml)?.[0] ?? "";
    assert.notEqual(lot, "", "the fixture notice has a lot");
    return xml.replace(lot, lot.repeat(200));
  };
  const inputs: [string, string, () => string][] = [
    ["HTML", "page.html", () => `<html><body>${"<h2>Security</h2><p>The supplier shall use DNSSEC.</p>".repeat(2000)}</body></html>`],
    ["text", "notes.txt", () => "The supplier shall use DNSSEC.\n\n".repeat(2000)],
    ["OCDS", "package.json", () => JSON.stringify({ uri: "x", publishedDate: "2026-01-01T00:00:00Z", releases: Array.from({ length: 20 }, (_, index) => release(index)) })],
    ["OCDS JSON Lines", "releases.jsonl", () => Array.from({ length: 600 }, (_, index) => JSON.stringify(release(index))).join("\n")],
    ["eForms", "notice.xml", notice],
  ];
  for (const [name, file, content] of inputs) {
    it(`review L1: the ${name} reader calls onProgress`, async () => {
      const path = join(folder, file);
      writeFileSync(path, content());
      let calls = 0;
      const results = await ingestFile(path, { onProgress: () => calls++ });
      assert.ok(results.length > 0 && results.every((result) => !("error" in result)), JSON.stringify(results.find((result) => "error" in result)));
      assert.ok(calls > 0, `${name}: no progress reported`);
    });
  }

  it("review L1: the analysis (relevance scan and detection) calls onProgress", () => {
    const catalog = loadCatalog();
    const passages = Array.from({ length: 2000 }, () => ({ text: "The supplier shall use DNSSEC." }));
    let calls = 0;
    const analysis = analyzeTender({ source: "x", format: "text", cpv: [], passages }, catalog, { assumeIct: true, onProgress: () => calls++ });
    assert.ok(analysis.requested.some((entry) => entry.standard === "dnssec"));
    assert.ok(calls > 0);
  });
});
